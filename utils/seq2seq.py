"""Sequence to sequence: dates in human formats to ISO 8601, with a GRU encoder–decoder.

The task is generated with :mod:`datetime` (no download): a date written in one of
:data:`FORMATS` ("25th of December 2024", "12/25/24", "Wed, Dec 25 2024", ...) is the input,
its ISO form ``2024-12-25`` the target, one character per step. :class:`DateTranslator` is
the model: a GRU encoder, a GRU decoder started from the encoder's final state, trained with
teacher forcing, and, optionally, additive attention on the encoder's states
(Bahdanau et al., 2015). :meth:`DateTranslator.greedy_decode` writes the answer from the
input alone, one character at a time, with the same layers (and so the same weights) that
were trained.

Explained in :doc:`/chapters/13_sequence_to_sequence`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import keras
import numpy as np
from keras import ops

__all__ = ["FORMATS", "TARGET_LEN", "format_date", "date_split", "make_examples",
           "CharVocab", "AdditiveAttention", "DateTranslator", "exact_match",
           "mcnemar_exact_p"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Dates are drawn from these years; two-digit years are read as 1950-2049.
YEARS = (1950, 2049)
#: The length of every target, ``YYYY-MM-DD``.
TARGET_LEN = 10


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


#: The human formats, by name: each turns a ``datetime.date`` into a string. Month and day
#: names are spelled out here (not with ``strftime``), so the data do not depend on the locale.
FORMATS: dict[str, Callable[[dt.date], str]] = {
    "us_short": lambda d: f"{d.month}/{d.day}/{d.year % 100:02d}",
    "us_long": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}",
    "european": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    "day_mon_year": lambda d: f"{d.day} {_MONTHS[d.month - 1][:3]} {d.year}",
    "mon_day_year": lambda d: f"{_MONTHS[d.month - 1][:3]} {d.day}, {d.year}",
    "month_day_year": lambda d: f"{_MONTHS[d.month - 1]} {d.day}, {d.year}",
    "ordinal_of": lambda d: f"{_ordinal(d.day)} of {_MONTHS[d.month - 1]} {d.year}",
    "weekday_short": lambda d: (f"{_DAYS[d.weekday()][:3]}, {_MONTHS[d.month - 1][:3]} "
                                f"{d.day} {d.year}"),
    "weekday_long": lambda d: (f"{_DAYS[d.weekday()]}, {d.day} {_MONTHS[d.month - 1]} "
                               f"{d.year}"),
    "lower_the": lambda d: (f"the {_ordinal(d.day)} of {_MONTHS[d.month - 1].lower()}, "
                            f"{d.year}"),
}


def format_date(date: dt.date, style: str) -> str:
    """``date`` written in the format named ``style`` (a key of :data:`FORMATS`)."""
    if style not in FORMATS:
        raise ValueError(f"style must be one of {sorted(FORMATS)}; got {style!r}")
    return FORMATS[style](date)


def date_split(fractions=(0.8, 0.1), seed: int = 0) -> tuple[list[dt.date], ...]:
    """Every day of :data:`YEARS`, shuffled and cut into disjoint train / val / test dates.

    A date in the test part never occurs in training, in any format.
    """
    first, last = dt.date(YEARS[0], 1, 1), dt.date(YEARS[1], 12, 31)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    order = np.random.default_rng(seed).permutation(len(days))
    a, b = int(len(days) * fractions[0]), int(len(days) * sum(fractions))
    return tuple([days[i] for i in order[lo:hi]] for lo, hi in ((0, a), (a, b), (b, None)))


def make_examples(dates: Sequence[dt.date], n: int, seed: int = 0):
    """``n`` examples drawn from ``dates``, each in a random format.

    Returns:
        ``(sources, targets, styles)``: three lists of ``n`` strings; every target is
        ``date.isoformat()``.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int; got {n!r}")
    if len(dates) == 0:
        raise ValueError("dates must not be empty")
    rng = np.random.default_rng(seed)
    names = sorted(FORMATS)
    picks = rng.integers(0, len(dates), size=n)
    styles = [names[i] for i in rng.integers(0, len(names), size=n)]
    sources = [FORMATS[s](dates[i]) for s, i in zip(styles, picks, strict=True)]
    targets = [dates[i].isoformat() for i in picks]
    return sources, targets, styles


class CharVocab:
    """Characters to integer ids: 0 is padding, 1 starts the decoder, then the characters.

    Args:
        texts: the strings whose characters make up the vocabulary.
    """

    PAD, START = 0, 1

    def __init__(self, texts: Sequence[str]):
        self.chars = sorted(set("".join(texts)))
        self.index = {c: i + 2 for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars) + 2

    def encode(self, texts: Sequence[str], length: int) -> np.ndarray:
        """``(N,)`` strings -> ``(N, length)`` int32 ids, padded with 0 at the end."""
        out = np.zeros((len(texts), length), dtype=np.int32)
        for row, text in enumerate(texts):
            if len(text) > length:
                raise ValueError(f"text {text!r} is longer than length={length}")
            unknown = set(text) - set(self.index)
            if unknown:
                raise ValueError(f"text {text!r} has characters not in the vocabulary: "
                                 f"{sorted(unknown)}")
            out[row, :len(text)] = [self.index[c] for c in text]
        return out

    def decode(self, ids: np.ndarray) -> list[str]:
        """``(N, T)`` ids -> ``N`` strings (padding and the start id are dropped)."""
        return ["".join(self.chars[i - 2] for i in row if i >= 2) for row in np.asarray(ids)]

    def decoder_inputs(self, targets: np.ndarray) -> np.ndarray:
        """Teacher forcing: ``(N, T)`` targets -> the start id, then ``targets[:, :-1]``."""
        start = np.full((len(targets), 1), self.START, dtype=np.int32)
        return np.concatenate([start, targets[:, :-1]], axis=1)


class AdditiveAttention(keras.layers.Layer):
    """Additive (Bahdanau) attention: ``score_i = v . tanh(W_k h_i + W_q s)``.

    Call with ``(query, keys, values, mask)``: ``query`` ``(B, U)`` the decoder's state,
    ``keys`` ``(B, T, A)`` the encoder's states already multiplied by ``W_k`` (computed once per
    sequence with :attr:`key_dense`), ``values`` ``(B, T, U)`` the encoder's states, ``mask``
    ``(B, T)`` bool. Returns the context ``(B, U)`` and the weights ``(B, T)``.
    """

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.key_dense = keras.layers.Dense(units, use_bias=False)
        self.query_dense = keras.layers.Dense(units)
        self.score = keras.layers.Dense(1, use_bias=False)

    def call(self, query, keys, values, mask):
        energy = ops.tanh(keys + ops.expand_dims(self.query_dense(query), 1))
        scores = ops.squeeze(self.score(energy), -1)                  # (B, T)
        scores = ops.where(mask, scores, ops.full_like(scores, -1e9))
        weights = ops.softmax(scores, axis=-1)
        context = ops.sum(ops.expand_dims(weights, -1) * values, axis=1)
        return context, weights


class DateTranslator(keras.Model):
    """A character-level GRU encoder–decoder, with or without additive attention.

    The encoder (``Embedding`` -> ``GRU``) reads the source ids ``(B, S)``; its final state
    starts the decoder, a ``GRUCell`` run for :data:`TARGET_LEN` steps. At each step the
    decoder's input is the embedding of the previous character and a context vector: the
    encoder's final state (no attention) or the attention-weighted sum of all the encoder's
    states, with the weights computed from the decoder's previous state (attention). A
    ``Dense`` layer turns the new state and the context into logits over the vocabulary.

    Call it with ``(source_ids, decoder_input_ids)`` for training with teacher forcing (logits
    ``(B, TARGET_LEN, V)``); use :meth:`greedy_decode` at inference.
    """

    def __init__(self, vocab_size: int, units: int = 64, embed_dim: int = 16,
                 attention: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.use_attention = attention
        self.source_embedding = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)
        self.encoder = keras.layers.GRU(units, return_sequences=True, return_state=True)
        self.target_embedding = keras.layers.Embedding(vocab_size, embed_dim)
        self.decoder_cell = keras.layers.GRUCell(units)
        self.attention = AdditiveAttention(units) if attention else None
        self.readout = keras.layers.Dense(vocab_size)

    def encode(self, source):
        """``(B, S)`` ids -> states ``(B, S, U)``, final state ``(B, U)``, mask ``(B, S)``."""
        mask = ops.not_equal(source, 0)
        states, final = self.encoder(self.source_embedding(source), mask=mask)
        return states, final, mask

    def step(self, token, state, encoded):
        """One decoder step: previous ids ``(B,)``, state ``(B, U)`` -> logits, state, weights."""
        states, final, mask, keys = encoded
        if self.use_attention:
            context, weights = self.attention(state, keys, states, mask)
        else:
            context, weights = final, None
        x = ops.concatenate([self.target_embedding(token), context], axis=-1)
        output, new_state = self.decoder_cell(x, [state])
        logits = self.readout(ops.concatenate([output, context], axis=-1))
        return logits, new_state[0], weights

    def _encoded(self, source):
        states, final, mask = self.encode(source)
        keys = self.attention.key_dense(states) if self.use_attention else None
        return (states, final, mask, keys)

    def call(self, inputs):
        source, decoder_inputs = inputs
        encoded = self._encoded(source)
        state, logits = encoded[1], []
        for t in range(TARGET_LEN):
            step_logits, state, _ = self.step(decoder_inputs[:, t], state, encoded)
            logits.append(step_logits)
        return ops.stack(logits, axis=1)

    def greedy_decode(self, source, start_id: int = CharVocab.START):
        """Write the answer from the source alone, feeding back the most likely character.

        Args:
            source: ``(B, S)`` source ids.

        Returns:
            ``(ids, logits, weights)``: ``(B, TARGET_LEN)`` int ids, ``(B, TARGET_LEN, V)``
            logits, and ``(B, TARGET_LEN, S)`` attention weights (``None`` without attention).
        """
        source = ops.convert_to_tensor(source)
        encoded = self._encoded(source)
        state = encoded[1]
        token = ops.full((ops.shape(source)[0],), start_id, dtype="int32")
        ids, logits, weights = [], [], []
        for _ in range(TARGET_LEN):
            step_logits, state, step_weights = self.step(token, state, encoded)
            token = ops.cast(ops.argmax(step_logits, axis=-1), "int32")
            ids.append(token)
            logits.append(step_logits)
            weights.append(step_weights)
        weights = None if weights[0] is None else np.stack([np.asarray(w) for w in weights], 1)
        return (np.stack([np.asarray(i) for i in ids], 1),
                np.stack([np.asarray(x) for x in logits], 1), weights)


def exact_match(predicted: Sequence[str], targets: Sequence[str]) -> np.ndarray:
    """Per example, whether the whole predicted string equals the target: ``(N,)`` bool."""
    if len(predicted) != len(targets):
        raise ValueError(f"predicted and targets must have the same length; got "
                         f"{len(predicted)} and {len(targets)}")
    return np.array([p == t for p, t in zip(predicted, targets, strict=True)])


def mcnemar_exact_p(a_correct: np.ndarray, b_correct: np.ndarray) -> float:
    """Two-sided exact McNemar test of two classifiers on the same examples.

    Only the examples where exactly one of them is right count; under the null hypothesis
    each of those is a fair coin. Returns the p-value.
    """
    a, b = np.asarray(a_correct, bool), np.asarray(b_correct, bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a_correct and b_correct must be (N,) of the same N; got "
                         f"{a.shape} and {b.shape}")
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    n = only_a + only_b
    if n == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(min(only_a, only_b), n, 0.5).pvalue)
