"""Tests of utils.splits: the book's split of IMDB (whole movies held out for validation)."""

from __future__ import annotations

import collections

import numpy as np

from utils import splits as splits_module


def test_hold_out_movies_keeps_movies_whole_and_labels_balanced():
    rng = np.random.default_rng(0)
    movie_ids = rng.integers(0, 400, size=3_000)
    labels = rng.integers(0, 2, size=3_000)
    val = splits_module.hold_out_movies(movie_ids, labels, 500, seed=3)
    rest = np.setdiff1d(np.arange(3_000), val)
    assert np.all(np.diff(val) > 0)
    assert not set(movie_ids[val].tolist()) & set(movie_ids[rest].tolist())
    assert len(val) == 500 and labels[val].sum() == 250
    again = splits_module.hold_out_movies(movie_ids, labels, 500, seed=3)
    np.testing.assert_array_equal(val, again)
    assert not np.array_equal(val, splits_module.hold_out_movies(movie_ids, labels, 500, seed=4))


def test_real_split_holds_out_whole_movies():
    """The split `make test` uses (quick sizes): disjoint, balanced, no movie on both sides."""
    from utils import data

    splits = splits_module.imdb_splits()
    spec = splits_module.data_spec()
    train, val = splits["train_index"], splits["val_index"]
    assert (len(train), len(val)) == (spec.n_train, spec.n_val)
    assert not set(train.tolist()) & set(val.tolist())
    movies = data.imdb_movie_ids("train")
    assert not set(movies[train].tolist()) & set(movies[val].tolist())
    (_, y_train), _ = data.load_imdb_text()
    np.testing.assert_array_equal(splits["val"][1], y_train[val])
    np.testing.assert_array_equal(splits["train"][1], y_train[train])
    assert abs(splits["val"][1].mean() - 0.5) <= 0.01
    # word ranks are counted on the training reviews alone
    texts, _ = data.load_imdb_text()[0]
    counts = collections.Counter(w for i in train for w in data.tokenize(texts[i]))
    ranked = sorted(splits["word_index"], key=splits["word_index"].get)
    assert [counts[w] for w in ranked[:50]] == sorted(counts.values(), reverse=True)[:50]
    assert set(splits["word_index"]) <= set(counts)
    first = splits["train"][0][0]
    words = [w for w in data.tokenize(texts[train[0]])]
    want = [splits["word_index"][w] + 3 if splits["word_index"].get(w, 10**9) + 3 < 10_000
            else data.OOV_CHAR for w in words]
    assert first.tolist() == [data.START_CHAR, *want]
