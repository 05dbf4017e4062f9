"""The strongest cheap baseline for sentiment: NB-weighted logistic regression on n-grams.

Explained in :doc:`/chapters/09_better_models_and_baselines`. Wang and Manning (2012) scale each
binary n-gram feature by its *log-count ratio*: how much more often it occurs in positive than
in negative training reviews, on a log scale; a linear classifier on the scaled features (their
NBSVM; a logistic regression in Mesnil et al., 2015) is a strong bag-of-n-grams baseline on IMDB.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["log_count_ratio", "nb_scale"]


def log_count_ratio(features, labels, alpha: float = 1.0) -> np.ndarray:
    """The naive-Bayes log-count ratio ``r`` of each feature (Wang and Manning, 2012).

    ``r = log((p / |p|_1) / (q / |q|_1))`` with ``p = alpha + `` the number of positive training
    examples that have the feature (features are binarised) and ``q`` the same for negatives.

    Args:
        features: a sparse or dense ``(examples, features)`` matrix of counts.
        labels: ``(examples,)`` array of 0 (negative) and 1 (positive).
        alpha: the smoothing count, > 0.

    Returns:
        A float array of shape ``(features,)``: positive for features of positive reviews.
    """
    y = np.asarray(labels)
    if y.ndim != 1 or y.shape[0] != features.shape[0] or not np.isin(y, (0, 1)).all():
        raise ValueError(f"labels must be a 1-D array of 0 and 1, one per row of features; got "
                         f"shape {y.shape} for {features.shape[0]} rows")
    if not alpha > 0:
        raise ValueError(f"alpha must be positive; got {alpha}")
    present = _present(features)
    p = alpha + np.asarray(present[y == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(present[y == 0].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


def nb_scale(features, ratio: np.ndarray) -> sp.csr_matrix:
    """Binarise ``features`` and scale column ``j`` by ``ratio[j]``: the input of the NB-weighted
    classifier."""
    return _present(features).multiply(ratio.reshape(1, -1)).tocsr()


def _present(features) -> sp.csr_matrix:
    """1.0 where a feature occurs (count > 0), as a sparse float matrix."""
    present = sp.csr_matrix(features, dtype=np.float64)
    present.data[:] = present.data > 0
    return present
