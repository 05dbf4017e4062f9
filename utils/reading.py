"""How a trained GRU classifier reads a review, word by word.

Explained in :doc:`/chapters/08_inside_the_trained_gru`.

:func:`read` re-runs the recurrent layer of a trained sentiment model (``Embedding`` → optional
dropout → ``GRU`` → ``Dense(1, sigmoid)``, as :func:`utils.models.build` makes with
``pooling="last"``) in NumPy with :func:`utils.gru.forward`, and returns per word: how far the
state moved, how much of it the update gate let the new content replace, and the probability of
*positive* the model would output if the review ended there. :func:`word_effects` averages those
over many reviews per word, and :func:`highlight_words` draws a review with each word shaded by
a value, the figure of that chapter, marking the words the model read as out of vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from utils import data, gru, sequences

__all__ = ["OOV_LEGEND", "Reading", "gru_layers", "highlight_words", "read", "word_effects"]

#: The legend line under a highlighted review that has out-of-vocabulary words.
OOV_LEGEND = "out of vocabulary: the model reads each such word as one shared unknown id"


@dataclass(frozen=True)
class Reading:
    """A GRU classifier's reading of a batch of reviews; arrays of shape ``(batch, time)``.

    Attributes:
        ids: the word ids read, padded with 0 at the end.
        mask: ``True`` at real words.
        state_change: ``||h_t - h_{t-1}||`` (Euclidean; ``h_0 = 0``), 0 at padding.
        update: the mean over units of ``1 - z_t``, the share of the state replaced by the
            candidate at step ``t`` (NaN at padding).
        probability: ``sigmoid(w · h_t + b)`` of the output layer: the prediction if the review
            ended after word ``t`` (the final one at padding).
        trace: the full :class:`utils.gru.GRUTrace` (``h``, ``z``, ``r``, ``candidate``).
    """

    ids: np.ndarray
    mask: np.ndarray
    state_change: np.ndarray
    update: np.ndarray
    probability: np.ndarray
    trace: gru.GRUTrace

    @property
    def lengths(self) -> np.ndarray:
        return self.mask.sum(axis=1)

    @property
    def final_probability(self) -> np.ndarray:
        """The model's prediction for each review, shape ``(batch,)``."""
        return self.probability[:, -1]


def gru_layers(model):
    """The ``(embedding, gru, output)`` layers of a model of :func:`utils.models.build` with one
    forward GRU returning its last state (``rnn="gru"``, ``layers=1``, ``pooling="last"``);
    a ``ValueError`` for any other model."""
    import keras

    try:
        embedding = model.get_layer("embedding")
        recurrent = model.get_layer("rnn_1")
        output = model.get_layer("output")
    except ValueError as err:
        raise ValueError("model must have layers 'embedding', 'rnn_1' and 'output' "
                         f"(as utils.models.build makes them): {err}") from err
    if not isinstance(recurrent, keras.layers.GRU) or recurrent.return_sequences:
        raise ValueError("model's 'rnn_1' must be a single keras.layers.GRU returning its last "
                         "state (a configuration with rnn='gru', layers=1, pooling='last', "
                         "bidirectional=False)")
    if recurrent.go_backwards:
        raise ValueError("model's GRU must read forwards (go_backwards=False)")
    return embedding, recurrent, output


def read(model, reviews: Sequence[Sequence[int]], maxlen: int | None = None, *,
         fixed_update=None) -> Reading:
    """Re-run the GRU of ``model`` over ``reviews`` (lists of word ids) and measure each step.

    Args:
        model: a trained model from :func:`utils.models.build` with one forward GRU and
            ``pooling="last"``.
        reviews: ``n`` id sequences; they are truncated to ``maxlen`` (keeping their end, as the
            book's recipe does) and padded at the end.
        maxlen: the longest sequence read (``None``: no truncation).
        fixed_update: optional (units,) array: re-run the GRU with its update gate fixed at
            this value at every step (:func:`utils.gru.forward_weights`), an intervention.

    Returns:
        A :class:`Reading` with arrays of shape ``(n, longest review)``.
    """
    embedding, recurrent, output = gru_layers(model)
    if isinstance(reviews, (str, bytes)) or len(reviews) == 0:
        raise ValueError("reviews must be a non-empty list of id sequences")
    if maxlen is not None:
        reviews = sequences.truncate(reviews, maxlen, sequences.RECIPE.truncating)
    ids = sequences.pad_batch(reviews, padding="post")
    table = np.asarray(embedding.get_weights()[0])
    if ids.max() >= table.shape[0]:
        raise ValueError(f"a word id ({ids.max()}) is outside the embedding "
                         f"({table.shape[0]} rows)")
    mask = ids != sequences.PAD if embedding.mask_zero else np.ones(ids.shape, bool)
    trace = gru.forward(recurrent, table[ids], mask=mask, fixed_update=fixed_update)
    h = trace.h.astype(np.float64)
    previous = np.concatenate([np.zeros_like(h[:, :1]), h[:, :-1]], axis=1)
    change = np.linalg.norm(h - previous, axis=-1) * mask
    update = np.where(mask, np.mean(1.0 - trace.z, axis=-1), np.nan)
    w, b = (np.asarray(a, dtype=np.float64) for a in output.get_weights())
    logits = h @ w[:, 0] + b[0]
    probability = 0.5 * (1.0 + np.tanh(0.5 * logits))
    return Reading(ids, mask, change, update, probability, trace)


def word_effects(readings: Reading | Iterable[Reading], num_words: int) -> dict[str, np.ndarray]:
    """Per word id, the average over all its occurrences in ``readings``.

    Args:
        readings: one :class:`Reading`, or several (e.g. a generator reading a long list of
            reviews a chunk at a time, so that the traces of only one chunk are held in memory,
            as :doc:`/chapters/08_inside_the_trained_gru` does).
        num_words: the model's vocabulary size: word ids are below it.

    Returns:
        ``{"count", "state_change", "update", "probability_change"}``, each of shape
        ``(num_words,)``; ``probability_change`` is the signed change of the running
        probability at the word (positive: the word pushed the model towards *positive*).
        Averages are NaN for words that never occur.
    """
    if isinstance(readings, Reading):
        readings = [readings]
    count = np.zeros(num_words, dtype=np.int64)
    sums = {name: np.zeros(num_words) for name in ("state_change", "update",
                                                    "probability_change")}
    for reading in readings:
        if not isinstance(reading, Reading):
            raise TypeError(f"readings must be Readings; got {type(reading).__name__}")
        ids = reading.ids[reading.mask]
        if ids.size and ids.max() >= num_words:
            raise ValueError(f"num_words={num_words} is too small for word id {ids.max()}")
        previous = np.concatenate([np.full_like(reading.probability[:, :1], 0.5),
                                   reading.probability[:, :-1]], axis=1)
        step_values = {
            "state_change": reading.state_change[reading.mask],
            "update": reading.update[reading.mask],
            "probability_change": (reading.probability - previous)[reading.mask],
        }
        count += np.bincount(ids, minlength=num_words)
        for name, values in step_values.items():
            sums[name] += np.bincount(ids, weights=values, minlength=num_words)
    out: dict[str, np.ndarray] = {"count": count}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, total in sums.items():
            out[name] = total / count
    return out


def highlight_words(
    words: Sequence[str],
    values: Sequence[float] | np.ndarray,
    *,
    ids: Sequence[int] | np.ndarray | None = None,
    label: str = "",
    cmap: str = "Greens",
    vmin: float = 0.0,
    vmax: float | None = None,
    line_chars: int = 80,
    fontsize: float = 9.0,
):
    """A figure of ``words`` as wrapped text, each on a background shaded by its value.

    Args:
        words: the words, in reading order.
        values: one number per word (NaN: no shading).
        ids: optional, the word ids the model read, one per word. Words it read as
            :data:`utils.data.OOV_CHAR` (out of its vocabulary) are drawn in grey italics in a
            dashed box, with a legend line (:data:`OOV_LEGEND`) under the text.
        label: the colour bar's label (no colour bar when empty).
        cmap: a Matplotlib colormap name; ``vmin``/``vmax`` map values to its ends (``vmax``
            defaults to the largest value).
        line_chars: characters per line before wrapping. The text is set in a monospace font
            and the figure is sized to fit, so words never overlap.
        fontsize: in points.

    Returns:
        The Matplotlib figure.
    """
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    values = np.asarray(values, dtype=np.float64)
    if values.shape != (len(words),):
        raise ValueError(f"values must have one number per word ({len(words)}); got shape "
                         f"{values.shape}")
    if not words:
        raise ValueError("words must not be empty")
    oov = np.zeros(len(words), bool) if ids is None else np.asarray(ids) == data.OOV_CHAR
    if oov.shape != (len(words),):
        raise ValueError(f"ids must have one id per word ({len(words)}); got shape {oov.shape}")
    if vmax is None:
        vmax = float(np.nanmax(values)) if np.any(np.isfinite(values)) else 1.0
    norm = mpl.colors.Normalize(vmin=vmin, vmax=max(vmax, vmin + 1e-12), clip=True)
    colormap = mpl.colormaps[cmap]
    lines: list[list[tuple[int, str, float, bool]]] = [[]]
    column = 0
    for word, value, unknown in zip(words, values, oov):
        if column and column + len(word) > line_chars:
            lines.append([])
            column = 0
        lines[-1].append((column, word, value, unknown))
        column += len(word) + 1
    char_inches = 0.6 * fontsize / 72  # a monospace character is about 0.6 em wide
    line_inches = 1.9 * fontsize / 72
    text_height = len(lines) * line_inches
    bar_height = 0.55 if label else 0.0
    legend_height = 0.3 if oov.any() else 0.0
    fig = plt.figure(figsize=(line_chars * char_inches + 0.3,
                              text_height + legend_height + bar_height + 0.2))
    width, height = fig.get_figwidth(), fig.get_figheight()
    ax = fig.add_axes((0.15 / width, (bar_height + legend_height + 0.1) / height,
                       line_chars * char_inches / width, text_height / height))
    ax.set_xlim(0, line_chars)
    ax.set_ylim(len(lines), 0)
    ax.axis("off")
    text = {"family": "monospace", "fontsize": fontsize, "va": "center", "ha": "left"}
    for row, line in enumerate(lines):
        for col, word, value, unknown in line:
            face = colormap(norm(value)) if np.isfinite(value) else (1, 1, 1, 0)
            ax.text(col, row + 0.5, word, **text, **_word_style(face, unknown))
    if legend_height:  # a sample word in the out-of-vocabulary style, then what it means
        y = (bar_height + 0.1 + legend_height / 2) / height
        fig.text(0.15 / width, y, "word", **text, **_word_style((1, 1, 1, 0), True))
        fig.text((0.15 + 6 * char_inches) / width, y, OOV_LEGEND, **text)
    if label:
        cax = fig.add_axes((0.3, 0.25 / height, 0.4, 0.12 / height))
        fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=colormap), cax=cax,
                     orientation="horizontal", label=label)
    return fig


def _word_style(face, oov: bool) -> dict:
    """How :func:`highlight_words` draws a word on the background colour ``face``: black or
    white text, whichever reads better; grey italics in a dashed box if out of vocabulary."""
    dark = 0.2126 * face[0] + 0.7152 * face[1] + 0.0722 * face[2] < 0.45
    box = {"facecolor": face, "edgecolor": "none", "pad": 1.0}
    if not oov:
        return {"color": "white" if dark else "black", "bbox": box}
    return {"color": "0.8" if dark else "0.4", "fontstyle": "italic",
            "bbox": box | {"edgecolor": "0.3", "linestyle": (0, (2, 1)), "linewidth": 0.8}}
