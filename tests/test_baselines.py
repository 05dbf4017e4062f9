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
