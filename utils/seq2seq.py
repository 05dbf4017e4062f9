"""Sequence to sequence: dates in human formats to ISO 8601, with a GRU encoder–decoder.

The task is generated with :mod:`datetime` (no download): a date written in one of
:data:`FORMATS` ("25th of December 2024", "12/25/24", "Wed, Dec 25 2024", ...) is the input,
its ISO form ``2024-12-25`` the target, one character per step. :class:`DateTranslator` is
the model: a GRU encoder, a GRU decoder started from the encoder's final state, trained with
teacher forcing, and, optionally, additive attention on the encoder's states
(Bahdanau et al., 2015). :meth:`DateTranslator.greedy_decode` writes the answer from the
input alone, one character at a time, with the same layers (and so the same weights) that
were trained. :func:`make_dataset` batches the examples by input length,
:func:`teacher_forced_exact_match` measures exact match during training (for early stopping),
and :func:`field_spans` and :func:`attention_peak_share` check where attention looks.

Explained in :doc:`/chapters/13_sequence_to_sequence`.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable, Sequence

import keras
import numpy as np
from keras import ops

from utils import config, sequences
from utils.checks import positive_int

__all__ = ["FORMATS", "FIELDS", "TARGET_LEN", "TARGET_FIELDS", "format_date", "field_spans",
           "date_split", "make_examples", "CharVocab", "make_dataset", "AdditiveAttention",
           "DateTranslator", "teacher_forced_exact_match", "exact_match",
           "attention_peak_share"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Dates are drawn from these years; two-digit years are read as 1950-2049.
YEARS = (1950, 2049)
#: The length of every target, ``YYYY-MM-DD``.
TARGET_LEN = 10
#: What each of the target's ten characters writes: ``YYYY-MM-DD``.
TARGET_FIELDS = ("year",) * 4 + ("dash",) + ("month",) * 2 + ("dash",) + ("day",) * 2


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


#: The pieces a format is made of: placeholder -> (the part of the date it writes, how).
#: Month and day names are spelled out here (not with ``strftime``), so the data do not
#: depend on the locale.
FIELDS: dict[str, tuple[str, Callable[[dt.date], str]]] = {
    "yyyy": ("year", lambda d: f"{d.year}"),
    "yy": ("year", lambda d: f"{d.year % 100:02d}"),
    "m": ("month", lambda d: f"{d.month}"),
    "mm": ("month", lambda d: f"{d.month:02d}"),
    "mon": ("month", lambda d: _MONTHS[d.month - 1][:3]),
    "month": ("month", lambda d: _MONTHS[d.month - 1]),
    "month_lower": ("month", lambda d: _MONTHS[d.month - 1].lower()),
    "d": ("day", lambda d: f"{d.day}"),
    "dd": ("day", lambda d: f"{d.day:02d}"),
    "dth": ("day", lambda d: _ordinal(d.day)),
    "wd": ("weekday", lambda d: _DAYS[d.weekday()][:3]),
    "weekday": ("weekday", lambda d: _DAYS[d.weekday()]),
}

#: The human formats, by name: templates whose ``{placeholders}`` are keys of :data:`FIELDS`.
FORMATS: dict[str, str] = {
    "us_short": "{m}/{d}/{yy}",
    "us_long": "{mm}/{dd}/{yyyy}",
    "european": "{dd}.{mm}.{yyyy}",
    "day_mon_year": "{d} {mon} {yyyy}",
    "mon_day_year": "{mon} {d}, {yyyy}",
    "month_day_year": "{month} {d}, {yyyy}",
    "ordinal_of": "{dth} of {month} {yyyy}",
    "weekday_short": "{wd}, {mon} {d} {yyyy}",
    "weekday_long": "{weekday}, {d} {month} {yyyy}",
    "lower_the": "the {dth} of {month_lower}, {yyyy}",
}


def _render(date: dt.date, style: str) -> tuple[str, dict[str, tuple[int, int]]]:
    if style not in FORMATS:
        raise ValueError(f"style must be one of {sorted(FORMATS)}; got {style!r}")
    if not isinstance(date, dt.date):
        raise TypeError(f"date must be a datetime.date; got {type(date).__name__}")
    text, spans = "", {}
    for literal, field, _, _ in string.Formatter().parse(FORMATS[style]):
        text += literal
        if field is not None:
            part, write = FIELDS[field]
            piece = write(date)
            spans[part] = (len(text), len(text) + len(piece))
            text += piece
    return text, spans


def format_date(date: dt.date, style: str) -> str:
    """``date`` written in the format named ``style`` (a key of :data:`FORMATS`)."""
    return _render(date, style)[0]


def field_spans(date: dt.date, style: str) -> dict[str, tuple[int, int]]:
    """Where each part of the date stands in ``format_date(date, style)``.

    Returns:
        ``{"year": (start, end), "month": ..., "day": ...}`` (and ``"weekday"`` for the
        formats that name it): character positions, ``end`` excluded, so that
        ``text[start:end]`` is the part, e.g. ``"25th"`` or ``"December"``.
    """
    return _render(date, style)[1]


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
    positive_int("n", n)
    if len(dates) == 0:
        raise ValueError("dates must not be empty")
    rng = np.random.default_rng(seed)
    names = sorted(FORMATS)
    picks = rng.integers(0, len(dates), size=n)
    styles = [names[i] for i in rng.integers(0, len(names), size=n)]
    sources = [format_date(dates[i], s) for s, i in zip(styles, picks, strict=True)]
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


def make_dataset(source_ids: np.ndarray, decoder_inputs: np.ndarray, targets: np.ndarray, *,
                 batch_size: int, shuffle: bool, seed: int = 0, pool_batches: int = 8):
    """A ``tf.data.Dataset`` of ``((source, decoder_inputs), targets)`` batches for ``fit``.

    Examples of similar input length share a batch (:func:`utils.sequences.length_batches`,
    explained in :doc:`/chapters/06_text_to_tensors`), and each batch's source ids are cut to
    its longest input, so the encoder reads little padding.

    Args:
        source_ids: ``(N, S)`` int ids, padded with 0 at the end (:meth:`CharVocab.encode`).
        decoder_inputs: ``(N, T)`` teacher-forcing inputs (:meth:`CharVocab.decoder_inputs`).
        targets: ``(N, T)`` target ids.
        batch_size: examples per batch.
        shuffle: a new order on every pass (training), else a fixed order sorted by length.
        seed: seeds the shuffling.
        pool_batches: examples are shuffled, cut into pools of this many batches and sorted
            by length within a pool, so that a batch mixes formats of similar length.

    Returns:
        The dataset: sources ``(B, S_batch)``, decoder inputs and targets ``(B, T)``, int32.
    """
    import tensorflow as tf

    x, dec, y = (np.asarray(a) for a in (source_ids, decoder_inputs, targets))
    if x.ndim != 2 or dec.ndim != 2 or dec.shape != y.shape or len(x) != len(y):
        raise ValueError("source_ids must be (N, S), decoder_inputs and targets (N, T), with "
                         f"the same N; got {x.shape}, {dec.shape} and {y.shape}")
    x, dec, y = (a.astype(np.int32) for a in (x, dec, y))
    lengths = np.sum(x != CharVocab.PAD, axis=1)
    rng = np.random.default_rng(seed)

    def generate():
        for b in sequences.length_batches(lengths, batch_size, shuffle=shuffle, rng=rng,
                                          pool_batches=pool_batches):
            yield (x[b, :lengths[b].max()], dec[b]), y[b]

    steps = dec.shape[1]
    spec = ((tf.TensorSpec((None, None), tf.int32), tf.TensorSpec((None, steps), tf.int32)),
            tf.TensorSpec((None, steps), tf.int32))
    ds = tf.data.Dataset.from_generator(generate, output_signature=spec)
    n_batches = -(-len(x) // batch_size)
    return ds.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(2)


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
        self.sizes = dict(vocab_size=vocab_size, units=units, embed_dim=embed_dim)
        self.use_attention = attention
        self.source_embedding = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)
        self.encoder = keras.layers.GRU(units, return_sequences=True, return_state=True)
        self.target_embedding = keras.layers.Embedding(vocab_size, embed_dim)
        self.decoder_cell = keras.layers.GRUCell(units)
        self.attention = AdditiveAttention(units) if attention else None
        self.readout = keras.layers.Dense(vocab_size)

    def restart(self, seed: int) -> None:
        """Start training again from scratch, keeping the compiled training step.

        The weights become those of a new model built after ``config.set_seed(seed)``, and
        the optimizer's state (its step count and, for Adam, its moments) goes back to zero,
        so ``fit`` then trains as it would train a new model, without tracing the training
        step again (several seconds for this model, about the work of an epoch).
        """
        dummy = (np.ones((1, 2), np.int32), np.ones((1, TARGET_LEN), np.int32))
        if not self.built:
            self(dummy)
        config.set_seed(seed)
        fresh = DateTranslator(**self.sizes, attention=self.use_attention)
        fresh(dummy)
        self.set_weights(fresh.get_weights())
        if self.optimizer is not None:
            rate = self.optimizer.learning_rate      # a variable unless it is a schedule
            for variable in self.optimizer.variables:
                if variable is not rate:
                    variable.assign(ops.zeros_like(variable))

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


def teacher_forced_exact_match(y_true, logits):
    """Per example, 1.0 if the teacher-forced ``argmax`` is right at every step, else 0.0.

    A Keras metric: ``y_true`` ``(B, T)`` ids, ``logits`` ``(B, T, V)`` from the model's
    teacher-forced call; returns ``(B,)`` float32. It equals the exact match of greedy
    decoding: while every earlier character is right, greedy decoding feeds back the same
    characters as teacher forcing, so it writes the target if and only if every teacher-forced
    step's ``argmax`` is the target's character. Unlike :meth:`DateTranslator.greedy_decode`
    it runs inside ``fit`` and ``evaluate`` (``compile(metrics=[...])``).
    """
    predicted = ops.argmax(logits, axis=-1)
    right = ops.equal(predicted, ops.cast(y_true, predicted.dtype))
    return ops.cast(ops.all(right, axis=-1), "float32")


def exact_match(predicted: Sequence[str], targets: Sequence[str]) -> np.ndarray:
    """Per example, whether the whole predicted string equals the target: ``(N,)`` bool."""
    if len(predicted) != len(targets):
        raise ValueError(f"predicted and targets must have the same length; got "
                         f"{len(predicted)} and {len(targets)}")
    return np.array([p == t for p, t in zip(predicted, targets, strict=True)])


def attention_peak_share(weights: np.ndarray, spans: Sequence[dict[str, tuple[int, int]]],
                         after: int = 0) -> np.ndarray:
    """For each output character, how often the decoder looks at the part of the date it writes.

    Args:
        weights: ``(N, TARGET_LEN, S)`` attention weights from
            :meth:`DateTranslator.greedy_decode`.
        spans: ``N`` dicts from :func:`field_spans`, one per input.
        after: also count this many characters right after the part (a forward encoder's
            state there is the first to have read the whole part).

    Returns:
        ``(TARGET_LEN,)`` shares: for output character ``t``, the share of the ``N`` examples
        whose largest attention weight while writing ``t`` falls on the part of the input
        that ``t`` writes (:data:`TARGET_FIELDS`: the year's digits, the month's number or
        name, the day's number with its suffix), or on the ``after`` characters that follow
        it; ``nan`` for the dashes, which write no part of the input.
    """
    w = np.asarray(weights)
    if w.ndim != 3 or w.shape[1] != TARGET_LEN or len(spans) != len(w):
        raise ValueError(f"weights must be (N, {TARGET_LEN}, S) with N = len(spans); got "
                         f"{w.shape} and {len(spans)} spans")
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise ValueError(f"after must be a non-negative int; got {after!r}")
    peaks = w.argmax(axis=-1)                                        # (N, TARGET_LEN)
    shares = np.full(TARGET_LEN, np.nan)
    for t, part in enumerate(TARGET_FIELDS):
        if part != "dash":
            bounds = np.array([span[part] for span in spans])        # (N, 2)
            shares[t] = np.mean((bounds[:, 0] <= peaks[:, t])
                                & (peaks[:, t] < bounds[:, 1] + after))
    return shares
