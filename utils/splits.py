"""The book's split of IMDB: training, validation (whole movies held out) and test reviews.

Explained in :doc:`/chapters/06_text_to_tensors` (the split and its word ranks) and
:doc:`/chapters/07_gru_sentiment_classifier` (why validation holds out whole movies).

:func:`imdb_splits` returns each part as ``(x, y)``: ``x`` a list of int32 id arrays (one per
review, of its own length), ``y`` an int64 array of shape ``(n,)``; the sizes are
:func:`data_spec`'s (20,000 / 5,000 / 25,000 reviews, fewer in quick mode).
:func:`hold_out_movies` picks the validation reviews. :mod:`utils.models` trains on this split
and re-exports these names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from utils import config, data

__all__ = ["DataSpec", "data_spec", "hold_out_movies", "imdb_splits"]


@dataclass(frozen=True)
class DataSpec:
    """How many reviews each part of the split has (quick mode uses fewer)."""

    n_train: int
    n_val: int
    n_test: int


def data_spec() -> DataSpec:
    """The split sizes of the current mode: 20,000/5,000/25,000 reviews, or fewer when quick."""
    return config.pick(full=DataSpec(20_000, 5_000, 25_000), quick=DataSpec(2_000, 500, 1_000))


_SPLITS: dict[tuple[int, bool], dict] = {}  # by vocabulary size and quick mode


def hold_out_movies(movie_ids: np.ndarray, labels: np.ndarray, n_val: int,
                    seed: int = 0) -> np.ndarray:
    """Positions of about ``n_val`` reviews that hold out *whole movies*, half of them positive.

    The movies are visited in a seeded random order and a movie joins the held-out set when
    all its reviews fit the remaining quota of each label, so no movie is split between the
    held-out set and the rest, and the labels stay balanced. Returns sorted positions.
    """
    movies, inverse = np.unique(movie_ids, return_inverse=True)
    counts = np.zeros((len(movies), 2), dtype=np.int64)
    np.add.at(counts, (inverse, labels), 1)
    room = np.array([n_val // 2, n_val - n_val // 2])
    taken = np.zeros(len(movies), dtype=bool)
    for m in np.random.default_rng(seed).permutation(len(movies)):
        if np.all(counts[m] <= room):
            taken[m], room = True, room - counts[m]
            if not room.any():
                break
    return np.flatnonzero(taken[inverse])


def imdb_splits(num_words: int = 10_000) -> dict:
    """The book's split of IMDB into train, validation and test, as integer sequences.

    The validation reviews are whole movies held out of the official training split
    (:func:`hold_out_movies`, movies from :func:`utils.data.imdb_movie_ids`), so that, like the
    official test reviews, they are about movies the model never trained on. The training
    reviews are the first ``n_train`` of the others, in the (shuffled) order of
    :func:`utils.data.load_imdb_text`. The test split is the official one. Word ids follow the
    conventions of :func:`utils.data.load_imdb` (start 1, out-of-vocabulary 2, the word of rank
    ``r`` is ``r + 3``), but ranks are counted on the training reviews only
    (:func:`utils.data.rank_words`): the ``num_words - 4`` most frequent words there are kept.

    Returns:
        ``{"train": (x, y), "val": (x, y), "test": (x, y)}`` with ``x`` a list of int32 arrays
        and ``y`` an int64 array; ``"train_index"`` and ``"val_index"``, the positions of those
        reviews in the training split of :func:`utils.data.load_imdb_text`; ``"word_index"``,
        each kept word's rank (id = rank + 3); and ``"key"``, a hash
        of the contents.
    """
    memo = (num_words, config.is_quick())
    if memo in _SPLITS:
        return _SPLITS[memo]
    spec = data_spec()
    (x_train, y_train), (x_test, y_test) = data.load_imdb_arrays()
    if spec.n_train + spec.n_val > len(x_train):
        raise ValueError(f"the training split has {len(x_train)} reviews, fewer than "
                         f"n_train + n_val = {spec.n_train + spec.n_val}")
    val_index = hold_out_movies(data.imdb_movie_ids("train"), y_train, spec.n_val)
    train_index = np.setdiff1d(np.arange(len(x_train)), val_index)[: spec.n_train]
    # Words are ranked on the training part only: the validation reviews shape no input.
    remap, word_index = data.rank_words([x_train[i] for i in train_index], num_words)
    out = {
        "train": ([remap[x_train[i]] for i in train_index], y_train[train_index]),
        "val": ([remap[x_train[i]] for i in val_index], y_train[val_index]),
        "test": ([remap[x] for x in x_test[: spec.n_test]], y_test[: spec.n_test]),
        "train_index": train_index,
        "val_index": val_index,
        "word_index": word_index,
    }
    h = hashlib.sha256(f"{num_words}/{spec}".encode())
    for part in ("train", "val", "test"):
        xs, ys = out[part]
        h.update(np.concatenate(xs).tobytes() if xs else b"")
        h.update(np.array([len(s) for s in xs], dtype=np.int64).tobytes())
        h.update(np.asarray(ys, dtype=np.int64).tobytes())
    out["key"] = h.hexdigest()[:16]
    _SPLITS[memo] = out
    return out

