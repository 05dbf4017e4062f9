"""The strongest cheap baseline for sentiment: NB-weighted logistic regression on n-grams.

Explained in :doc:`/chapters/09_better_models_and_baselines`. Wang and Manning (2012) scale each
binary n-gram feature by its *log-count ratio*: how much more often it occurs in positive than
in negative training reviews, on a log scale; a linear classifier on the scaled features (their
NBSVM; a logistic regression in Mesnil et al., 2015) is a strong bag-of-n-grams baseline on IMDB.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

__all__ = ["NgramLookup", "log_count_ratio", "nb_scale"]


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
    classifier.

    Args:
        features: a sparse or dense ``(examples, features)`` matrix of counts (not modified).
        ratio: ``(features,)`` floats, from :func:`log_count_ratio`.

    Returns:
        A float64 CSR matrix of the same shape and sparsity (one copy of the stored entries:
        scaled in place, so an n-gram matrix of 10 million entries needs 120 MB, not several
        times that).
    """
    ratio = np.asarray(ratio, dtype=np.float64).ravel()
    if ratio.shape != (features.shape[1],):
        raise ValueError(f"ratio must have one value per column of features ({features.shape[1]}); "
                         f"got shape {ratio.shape}")
    scaled = _present(features)
    scaled.data *= ratio[scaled.indices]
    return scaled


def _present(features) -> sp.csr_matrix:
    """1.0 where a feature occurs (count > 0), as a new sparse float64 matrix, indices sorted."""
    present = sp.csr_matrix(features, dtype=np.float64, copy=True)
    present.sort_indices()
    present.data[:] = present.data > 0
    return present


class NgramLookup:
    """A fitted ``CountVectorizer(binary=True)``'s ``transform``, without its vocabulary's strings.

    Fitted on IMDB's uni- and bigrams, a vectorizer holds 1.3 million strings in its
    vocabulary (about 130 MB of Python objects) for as long as it is kept to read new reviews.
    This keeps a 64-bit hash of each n-gram and its column (16 bytes an n-gram) and splits texts
    with an unfitted copy of the vectorizer's analyzer, so :meth:`transform` gives the
    vectorizer's matrix: an n-gram it never saw matches a stored hash with a probability of
    about 10⁻¹³. Python's string hashes differ between processes, so the lookup cannot be
    saved; build it again in a new process.

    Args:
        vectorizer: a fitted ``sklearn.feature_extraction.text.CountVectorizer`` with
            ``binary=True`` (not modified; it can be dropped afterwards).

    Raises:
        ValueError: the vectorizer is not fitted, not binary, or two of its n-grams share a hash.
    """

    def __init__(self, vectorizer):
        vocabulary = getattr(vectorizer, "vocabulary_", None)
        if not vocabulary:
            raise ValueError("vectorizer must be a fitted CountVectorizer (no vocabulary_)")
        if not getattr(vectorizer, "binary", False):
            raise ValueError("vectorizer must count with binary=True")
        n = len(vocabulary)
        keys = np.fromiter(map(hash, vocabulary), dtype=np.int64, count=n)
        columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=n)
        order = np.argsort(keys)
        self._keys, self._columns = keys[order], columns[order]
        if n > 1 and not np.all(np.diff(self._keys) > 0):
            raise ValueError("two n-grams of the vocabulary share a hash")
        self.n_features = n
        self.dtype = vectorizer.dtype
        self._analyze = clone(vectorizer).build_analyzer()

    def transform(self, texts) -> sp.csr_matrix:
        """``(len(texts), n_features)`` binary counts, as the vectorizer's ``transform`` gives."""
        if isinstance(texts, str):
            raise TypeError("texts must be a list of strings, not a single string")
        rows, indptr = [], [0]
        for text in texts:
            keys = np.fromiter(map(hash, self._analyze(text)), dtype=np.int64)
            at = np.searchsorted(self._keys, keys).clip(max=len(self._keys) - 1)
            found = self._keys[at] == keys
            rows.append(np.unique(self._columns[at[found]]))
            indptr.append(indptr[-1] + len(rows[-1]))
        indices = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        return sp.csr_matrix((np.ones(len(indices), dtype=self.dtype), indices.astype(np.int32),
                              np.asarray(indptr, dtype=np.int32)),
                             shape=(len(indptr) - 1, self.n_features))
