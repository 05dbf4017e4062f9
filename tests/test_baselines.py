"""Tests of utils.baselines: the log-count ratio by hand on a tiny corpus, and its use."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from utils import baselines

# Four documents, three features; counts above 1 count once (binarised).
COUNTS = sp.csr_matrix(np.array([[2, 0, 1], [1, 0, 1], [0, 3, 1], [0, 1, 0]]))
LABELS = np.array([1, 1, 0, 0])


def test_log_count_ratio_by_hand():
    r = baselines.log_count_ratio(COUNTS, LABELS, alpha=1.0)
    p = np.array([1 + 2, 1 + 0, 1 + 2])  # positives having each feature, plus alpha
    q = np.array([1 + 0, 1 + 2, 1 + 1])
    np.testing.assert_allclose(r, np.log(p / p.sum()) - np.log(q / q.sum()))
    assert r[0] > 0 > r[1]  # feature 0 marks positives, feature 1 negatives


def test_dense_input_gives_the_same_ratio():
    np.testing.assert_allclose(baselines.log_count_ratio(COUNTS.toarray(), LABELS),
                               baselines.log_count_ratio(COUNTS, LABELS))


def test_nb_scale_binarises_and_scales_columns():
    r = np.array([0.5, -2.0, 0.0])
    scaled = baselines.nb_scale(COUNTS, r)
    assert sp.isspmatrix_csr(scaled)
    np.testing.assert_allclose(scaled.toarray(), (COUNTS.toarray() > 0) * r)


@pytest.mark.parametrize("labels, alpha, match", [
    (np.array([1, 0, 1]), 1.0, "labels must be"),
    (np.array([1, 2, 0, 0]), 1.0, "labels must be"),
    (LABELS, 0.0, "alpha must be positive"),
])
def test_bad_input(labels, alpha, match):
    with pytest.raises(ValueError, match=match):
        baselines.log_count_ratio(COUNTS, labels, alpha=alpha)


def _nb_scale_by_broadcasting(features, ratio):
    """The first implementation of nb_scale (several copies of the entries); the one kept must
    give the same arrays."""
    present = sp.csr_matrix(features, dtype=np.float64, copy=True)
    present.data[:] = present.data > 0
    return present.multiply(ratio.reshape(1, -1)).tocsr()


def test_nb_scale_equals_broadcasting_entry_for_entry():
    rng = np.random.default_rng(0)
    counts = sp.random(50, 40, density=0.2, format="csr", random_state=1,
                       data_rvs=lambda n: rng.integers(1, 4, n)).astype(np.int64)
    counts.data[::7] = 0  # explicit zeros stay stored, as zeros
    ratio = rng.normal(size=40)
    ratio[3] = 0.0
    before = counts.copy()
    got, want = baselines.nb_scale(counts, ratio), _nb_scale_by_broadcasting(counts, ratio)
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    assert got.data.dtype == np.float64 and got.has_sorted_indices
    # The input is not modified, even when it is float64 already.
    assert (counts != before).nnz == 0
    as_float = counts.astype(np.float64)
    baselines.nb_scale(as_float, ratio)
    np.testing.assert_array_equal(as_float.data, before.data.astype(np.float64))


def test_nb_scale_needs_one_ratio_per_column():
    with pytest.raises(ValueError, match="one value per column"):
        baselines.nb_scale(COUNTS, np.ones(2))


def test_ngram_lookup_transforms_as_the_vectorizer():
    from sklearn.feature_extraction.text import CountVectorizer

    from utils import data

    train = ["not bad at all", "a good film, not a bad one", "bad bad acting", "good good fun"]
    new = ["not good", "unseen words only", "", "a bad film, not good at all at all", "bad"]
    counter = CountVectorizer(tokenizer=data.tokenize, lowercase=False, token_pattern=None,
                              ngram_range=(1, 2), binary=True).fit(train)
    lookup = baselines.NgramLookup(counter)
    got, want = lookup.transform(new), counter.transform(new)
    want.sort_indices()
    assert got.shape == want.shape == (5, len(counter.vocabulary_))
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    assert got.dtype == want.dtype
    assert lookup.transform([]).shape == (0, len(counter.vocabulary_))
    # The scaled features (and so a classifier's output) are the same too.
    r = np.linspace(-1, 1, got.shape[1])
    np.testing.assert_array_equal(baselines.nb_scale(got, r).toarray(),
                                  baselines.nb_scale(want, r).toarray())
    with pytest.raises(TypeError, match="list of strings"):
        lookup.transform("not good")
    with pytest.raises(ValueError, match="fitted"):
        baselines.NgramLookup(CountVectorizer(binary=True))
    with pytest.raises(ValueError, match="binary"):
        baselines.NgramLookup(CountVectorizer().fit(train))
