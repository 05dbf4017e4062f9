"""From integer sequences to the batches a recurrent network trains on.

Explained in :doc:`/chapters/06_text_to_tensors`; this module is the *one* place where the
book's training recipe lives (:data:`RECIPE`), so a later chapter can measure and tune it and
every IMDB chapter follows.

Reviews have very different lengths (median about 174 words, 90th percentile about 460). A
batch has to be a rectangle, so shorter reviews are *padded* with the id :data:`PAD` (0) and
longer ones *truncated*. Padding every review to 500 steps makes a recurrent network spend most
of its time reading padding. *Length bucketing* instead groups reviews of similar length into a
batch and pads each batch only to its own longest review; the padding goes at the end and the
embedding layer's ``mask_zero=True`` tells the recurrent layer to skip it.

The functions here are pure NumPy except :func:`make_dataset`, which wraps the batches in a
``tf.data.Dataset`` for ``model.fit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from utils.checks import positive_int

__all__ = [
    "PAD",
    "RECIPE",
    "ROUND_LENGTHS_TO",
    "Recipe",
    "batch_length",
    "dataset_order",
    "lengths",
    "length_batches",
    "make_dataset",
    "pad_batch",
    "padding_fraction",
    "truncate",
]

#: The id that pads a sequence (``keras.layers.Embedding(mask_zero=True)`` masks it).
PAD = 0

_TRUNCATING = ("pre", "post")
_PADDING = ("pre", "post")


@dataclass(frozen=True)
class Recipe:
    """How the IMDB chapters batch and train (the knobs a speed chapter tunes).

    Attributes:
        batch_size: reviews per batch.
        truncating: ``"pre"`` drops the *beginning* of a review longer than the model's
            ``maxlen`` (keeps its end, as ``keras.utils.pad_sequences`` does by default);
            ``"post"`` drops its end.
        bucketing: batch reviews of similar length together and pad each batch only to its own
            longest review (``True``); or pad every review to ``maxlen`` (``False``).
        pool_batches: with bucketing, reviews are shuffled, cut into pools of this many batches,
            sorted by length inside each pool and batched; then the batches are shuffled. Larger
            pools waste less padding, smaller ones mix lengths more.
        length_multiple: with bucketing, each batch is padded to its longest review rounded up
            to a multiple of this (at most ``maxlen``), so that an epoch has only a few batch
            shapes: XLA compiles each new shape once. 1 pads to the longest review.
        jit_compile: passed to ``model.compile`` (XLA).
        predict_batch_size: reviews per batch when only predicting (validation included). Its
            activations are what a prediction holds: chapter 9's largest model needed 600 MB more
            at 512 reviews a batch, 350 MB at 128, in about the same time (2026-12-05), and a
            reader's session has 2 GB in all.
    """

    batch_size: int = 128
    truncating: str = "pre"
    bucketing: bool = True
    pool_batches: int = 50
    length_multiple: int = 1
    jit_compile: bool = False
    predict_batch_size: int = 128

    def __post_init__(self):
        positive_int("batch_size", self.batch_size)
        positive_int("predict_batch_size", self.predict_batch_size)
        positive_int("pool_batches", self.pool_batches)
        positive_int("length_multiple", self.length_multiple)
        if self.truncating not in _TRUNCATING:
            raise ValueError(f"truncating must be 'pre' or 'post'; got {self.truncating!r}")
        for name in ("bucketing", "jit_compile"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be a bool; got {getattr(self, name)!r}")


#: The recipe every IMDB chapter trains with.
RECIPE = Recipe()
#: The multiple that XLA's recipes round each bucketed batch's length up to (few shapes).
ROUND_LENGTHS_TO = 64


def _as_arrays(sequences: Sequence[Sequence[int]], name: str = "sequences") -> list[np.ndarray]:
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise TypeError(f"{name} must be a sequence of integer sequences; got "
                        f"{type(sequences).__name__}")
    out = []
    for i, s in enumerate(sequences):
        a = np.asarray(s)
        if a.ndim != 1 or (a.size and not np.issubdtype(a.dtype, np.integer)):
            raise TypeError(f"{name}[{i}] must be a 1-D sequence of ints; got {a.dtype} "
                            f"with shape {a.shape}")
        out.append(a.astype(np.int32, copy=False))
    return out


def lengths(sequences: Sequence[Sequence[int]]) -> np.ndarray:
    """The length of each sequence, shape ``(n,)``, int64."""
    return np.fromiter((len(s) for s in _as_arrays(sequences)), dtype=np.int64,
                       count=len(sequences))


def truncate(
    sequences: Sequence[Sequence[int]], maxlen: int, truncating: str = "pre"
) -> list[np.ndarray]:
    """Cut every sequence to at most ``maxlen`` ids, without padding.

    Args:
        sequences: ``n`` integer sequences of any lengths.
        maxlen: the longest sequence to keep.
        truncating: ``"pre"`` keeps the last ``maxlen`` ids, ``"post"`` the first ``maxlen``
            (the same convention as ``keras.utils.pad_sequences``).

    Returns:
        A list of ``n`` int32 arrays, each of length ``min(len(s), maxlen)``.
    """
    positive_int("maxlen", maxlen)
    if truncating not in _TRUNCATING:
        raise ValueError(f"truncating must be 'pre' or 'post'; got {truncating!r}")
    arrays = _as_arrays(sequences)
    if truncating == "pre":
        return [a[-maxlen:] for a in arrays]
    return [a[:maxlen] for a in arrays]


def pad_batch(
    sequences: Sequence[Sequence[int]], length: int | None = None, padding: str = "post"
) -> np.ndarray:
    """Pad sequences with :data:`PAD` into one int32 array of shape ``(n, length)``.

    ``length=None`` pads to the longest sequence. A sequence longer than ``length`` is an error
    here: truncate first (:func:`truncate`), so that what is cut off is a deliberate choice.
    """
    import keras

    arrays = _as_arrays(sequences)
    if padding not in _PADDING:
        raise ValueError(f"padding must be 'pre' or 'post'; got {padding!r}")
    longest = max((len(a) for a in arrays), default=0)
    if length is None:
        length = max(longest, 1)
    positive_int("length", length)
    if longest > length:
        raise ValueError(f"a sequence has {longest} ids, more than length={length}; "
                         "truncate it first")
    if not arrays:
        return np.zeros((0, length), dtype=np.int32)
    return keras.utils.pad_sequences(arrays, maxlen=length, dtype="int32", padding=padding,
                                     value=PAD)


def batch_length(longest: int, maxlen: int, recipe: Recipe = RECIPE) -> int | None:
    """The length a batch whose longest review has ``longest`` ids is padded to under
    ``recipe``: ``maxlen`` without bucketing; with bucketing ``None`` (its longest review) or,
    for ``recipe.length_multiple > 1``, ``longest`` rounded up to that multiple, at most
    ``maxlen``."""
    if not recipe.bucketing:
        return maxlen
    if recipe.length_multiple == 1:
        return None
    return min(-(-max(longest, 1) // recipe.length_multiple) * recipe.length_multiple, maxlen)


def length_batches(
    seq_lengths: Sequence[int] | np.ndarray,
    batch_size: int,
    *,
    shuffle: bool,
    rng: np.random.Generator | None = None,
    pool_batches: int = RECIPE.pool_batches,
    bucketing: bool = True,
) -> list[np.ndarray]:
    """Split ``n`` examples into batches of indices, grouping similar lengths when bucketing.

    Args:
        seq_lengths: the length of each example, shape ``(n,)``.
        batch_size: the most indices per batch (only a pool's last batch can be smaller).
        shuffle: ``False`` gives a fixed order: sorted by length (stable) when bucketing, the
            original order otherwise. ``True`` needs ``rng`` and gives a new order per call.
        rng: a NumPy generator (required when ``shuffle``).
        pool_batches: with bucketing and shuffling, examples are shuffled, cut into pools of
            ``pool_batches * batch_size``, each pool is sorted by length and batched, and the
            batches of all pools are shuffled.
        bucketing: group by length (``True``) or not (``False``).

    Returns:
        A list of int64 index arrays that together hold each of ``0 .. n-1`` exactly once.
    """
    lens = np.asarray(seq_lengths)
    if lens.ndim != 1 or (lens.size and not np.issubdtype(lens.dtype, np.integer)):
        raise TypeError(f"seq_lengths must be a 1-D array of ints; got shape {lens.shape}, "
                        f"dtype {lens.dtype}")
    positive_int("batch_size", batch_size)
    positive_int("pool_batches", pool_batches)
    if shuffle and not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator when shuffle=True; got "
                        f"{type(rng).__name__}")
    n = len(lens)
    if not shuffle:
        order = np.argsort(lens, kind="stable") if bucketing else np.arange(n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]
    order = rng.permutation(n)
    if not bucketing:
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]
    pool = pool_batches * batch_size
    batches = []
    for start in range(0, n, pool):
        chunk = order[start:start + pool]
        chunk = chunk[np.argsort(lens[chunk], kind="stable")]
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def padding_fraction(
    seq_lengths: Sequence[int] | np.ndarray, batches: Sequence[np.ndarray],
    length: int | None = None,
) -> float:
    """The share of the padded batches' cells that are padding.

    Each batch is padded to ``length`` if given, else to its own longest sequence.
    """
    lens = np.asarray(seq_lengths)
    cells = 0
    for b in batches:
        cells += len(b) * (length if length is not None else int(lens[b].max(initial=0)))
    if cells == 0:
        return 0.0
    return float(1.0 - lens.sum() / cells)


def make_dataset(
    sequences: Sequence[Sequence[int]],
    labels: Sequence[int] | np.ndarray | None = None,
    *,
    maxlen: int,
    shuffle: bool,
    seed: int = 0,
    recipe: Recipe = RECIPE,
    padding: str = "post",
):
    """A ``tf.data.Dataset`` of batches built the way :data:`RECIPE` says.

    Sequences are truncated to ``maxlen`` (``recipe.truncating``). With ``recipe.bucketing``
    each batch is padded to its own longest sequence, else every batch is padded to ``maxlen``.

    Args:
        sequences: ``n`` integer sequences.
        labels: ``n`` labels (given as float32), or ``None`` for a dataset of inputs only.
        maxlen: the longest sequence the model reads.
        shuffle: reshuffle on every pass (training); ``False`` keeps the fixed order of
            :func:`length_batches` (use :func:`dataset_order` to map outputs back).
        seed: seeds the shuffling, so a run is reproducible.
        recipe: the batching recipe (default :data:`RECIPE`).
        padding: ``"post"`` (the default; needs ``mask_zero=True`` downstream) or ``"pre"``.

    Returns:
        A dataset yielding ``x`` of shape ``(batch, time)`` int32, and ``y`` of shape
        ``(batch,)`` float32 when ``labels`` is given; its cardinality is the number of batches.
    """
    import tensorflow as tf

    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a Recipe; got {type(recipe).__name__}")
    arrays = truncate(sequences, maxlen, recipe.truncating)
    if labels is not None:
        y = np.asarray(labels, dtype=np.float32)
        if y.shape != (len(arrays),):
            raise ValueError(f"labels must have shape ({len(arrays)},); got {y.shape}")
    if padding not in _PADDING:
        raise ValueError(f"padding must be 'pre' or 'post'; got {padding!r}")
    lens = np.array([len(a) for a in arrays], dtype=np.int64)
    rng = np.random.default_rng(seed)

    def batches():
        return length_batches(lens, recipe.batch_size, shuffle=shuffle, rng=rng,
                              pool_batches=recipe.pool_batches, bucketing=recipe.bucketing)

    def generate():
        for b in batches():
            length = batch_length(int(lens[b].max(initial=0)), maxlen, recipe)
            x = pad_batch([arrays[i] for i in b], length=length, padding=padding)
            yield (x, y[b]) if labels is not None else x

    x_spec = tf.TensorSpec((None, None), tf.int32)
    spec = (x_spec, tf.TensorSpec((None,), tf.float32)) if labels is not None else x_spec
    # A pool holds a whole number of batches, so only the last batch can be short.
    n_batches = -(-len(arrays) // recipe.batch_size)
    ds = tf.data.Dataset.from_generator(generate, output_signature=spec)
    return ds.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(2)


def dataset_order(
    sequences: Sequence[Sequence[int]], *, maxlen: int, recipe: Recipe = RECIPE
) -> np.ndarray:
    """The order in which ``make_dataset(..., shuffle=False)`` yields the examples.

    ``predictions[k]`` of such a dataset belongs to example ``dataset_order(...)[k]``.
    """
    lens = lengths(truncate(sequences, maxlen, recipe.truncating))
    return np.concatenate(length_batches(lens, recipe.batch_size, shuffle=False,
                                         bucketing=recipe.bucketing) or [np.zeros(0, int)])
