"""Is classifier A better than classifier B on the same examples? McNemar's paired test.

Explained in :doc:`/chapters/09_better_models_and_baselines`. Two accuracies measured on the
same 25,000 test reviews differ by chance: each model gets some reviews right that the other
gets wrong. McNemar's test looks only at those discordant reviews: if neither model is better,
each discordant review is a fair coin flip between them, so the count of the reviews only A gets
right is binomial with p = 1/2 (the exact test, :func:`scipy.stats.binomtest`).

How far one model's accuracy is from the accuracy it would have on all reviews of unseen movies
is a different question, explained in :doc:`/chapters/07_gru_sentiment_classifier`:
:func:`accuracy_interval` resamples whole movies, because reviews of one movie are not independent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["AccuracyInterval", "PairedComparison", "accuracy_interval", "difference_interval",
           "mcnemar", "over_seeds"]


@dataclass(frozen=True)
class PairedComparison:
    """The outcome of :func:`mcnemar` for models A and B on the same examples."""

    difference: float  #: accuracy of A minus accuracy of B
    a_only: int  #: examples A gets right and B wrong
    b_only: int  #: examples B gets right and A wrong
    p_value: float  #: two-sided exact McNemar p-value

    def verdict(self, alpha: float = 0.05) -> str:
        """``"better"`` or ``"worse"`` (A against B) when ``p_value < alpha``, else
        ``"within noise"``."""
        if self.p_value >= alpha:
            return "within noise"
        return "better" if self.a_only > self.b_only else "worse"

    def phrase(self, a: str, b: str, alpha: float = 0.05) -> str:
        """The verdict as prose, naming model A ``a`` and model B ``b``: "within noise of each
        other", or how many points apart and in whose favour, beyond noise."""
        if self.verdict(alpha) == "within noise":
            return "within noise of each other"
        winner = a if self.verdict(alpha) == "better" else b
        return f"{abs(self.difference) * 100:.1f} points apart in favour of {winner}, beyond noise"

    def against(self, other: str, alpha: float = 0.05) -> str:
        """The comparison as words about model A against ``other`` (model B), with the
        p-value: "3.1 points below X, beyond noise (p = 0.002)" or "within noise of X (+0.3
        points, p = 0.41)"."""
        from utils.prose import number

        p = number(self.p_value, 2)
        if self.verdict(alpha) == "within noise":
            return f"within noise of {other} ({self.difference * 100:+.1f} points, p = {p})"
        side = "above" if self.difference > 0 else "below"
        return f"{abs(self.difference) * 100:.1f} points {side} {other}, beyond noise (p = {p})"


def mcnemar(correct_a, correct_b) -> PairedComparison:
    """Compare two classifiers from their per-example correctness on the same examples.

    Args:
        correct_a, correct_b: boolean arrays of the same shape, ``True`` where the model's
            prediction was right (``predictions == labels``).

    Returns:
        A :class:`PairedComparison`.
    """
    a = np.asarray(correct_a)
    b = np.asarray(correct_b)
    if a.dtype != bool or b.dtype != bool:
        raise TypeError("correct_a and correct_b must be boolean arrays (predictions == labels); "
                        f"got {a.dtype} and {b.dtype}")
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError("correct_a and correct_b must be non-empty 1-D arrays of one shape; "
                         f"got {a.shape} and {b.shape}")
    a_only, b_only = int(np.sum(a & ~b)), int(np.sum(~a & b))
    discordant = a_only + b_only
    p = stats.binomtest(a_only, discordant, 0.5).pvalue if discordant else 1.0
    return PairedComparison(float(a.mean() - b.mean()), a_only, b_only, float(p))


def over_seeds(comparisons, alpha: float = 0.05) -> str:
    """McNemar's verdicts for several seeds of model A (one :class:`PairedComparison` each,
    against the same model B) as one clause with the range of p-values: "better beyond noise
    for every seed (McNemar, p = 0.001 to 0.02)", "within noise for every seed (...)", or, when
    the seeds disagree, "better beyond noise for 1, worse for 1 and within noise for 1 of the 3
    seeds (McNemar at 5 %, p = ...)". Used in :doc:`/chapters/09_better_models_and_baselines`."""
    from utils.prose import number

    verdicts = [c.verdict(alpha) for c in comparisons]
    if not verdicts:
        raise ValueError("comparisons must hold at least one comparison")
    p = sorted(c.p_value for c in comparisons)
    p_text = "p = " + (number(p[0], 2) if len(p) == 1 else
                       f"{number(p[0], 2)} to {number(p[-1], 2)}")
    for verdict in ("better", "worse", "within noise"):
        if verdicts.count(verdict) == len(verdicts):
            return (f"{verdict} beyond noise" if verdict != "within noise" else verdict) + \
                f" for every seed (McNemar, {p_text})"
    counts = {v: verdicts.count(v) for v in ("better", "worse", "within noise")}
    return (f"better beyond noise for {counts['better']}, worse for {counts['worse']} and "
            f"within noise for {counts['within noise']} of the {len(verdicts)} seeds (McNemar "
            f"at {alpha * 100:g} %, {p_text})")


@dataclass(frozen=True)
class AccuracyInterval:
    """The outcome of :func:`accuracy_interval`."""

    accuracy: float  #: the fraction of examples classified right
    low: float  #: lower end of the percentile bootstrap interval
    high: float  #: upper end
    standard_error: float  #: standard deviation of the bootstrap accuracies
    binomial_standard_error: float  #: sqrt(p (1 - p) / n), as if the examples were independent
    design_effect: float  #: (standard_error / binomial_standard_error) ** 2
    n_clusters: int  #: how many movies the examples are about


def accuracy_interval(correct, movies, level: float = 0.95, n_boot: int = 2000,
                      seed: int = 0) -> AccuracyInterval:
    """Accuracy with a bootstrap interval that resamples whole movies (a cluster bootstrap).

    Reviews of one movie tend to be right or wrong together (same vocabulary, same plot), so
    they carry less information than as many independent reviews; resampling single reviews
    would make the interval too narrow. Each bootstrap sample draws as many movies as there are,
    with replacement, and takes all their reviews.

    Args:
        correct: boolean array, shape ``(n,)``, ``True`` where the prediction was right.
        movies: integer array, shape ``(n,)``, the movie of each example
            (:func:`utils.data.imdb_movie_ids`).
        level: the interval's coverage, between 0 and 1.
        n_boot: number of bootstrap samples (at least 100).
        seed: seed of the resampling.

    Returns:
        An :class:`AccuracyInterval`; its ``design_effect`` is the variance of the accuracy
        relative to the binomial variance of ``n`` independent examples.
    """
    c = np.asarray(correct)
    m = np.asarray(movies)
    if c.dtype != bool:
        raise TypeError(f"correct must be a boolean array (predictions == labels); got {c.dtype}")
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"correct must be a non-empty 1-D array; got shape {c.shape}")
    if m.shape != c.shape:
        raise ValueError(f"movies must have the shape of correct {c.shape}; got {m.shape}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1; got {level}")
    if int(n_boot) < 100:
        raise ValueError(f"n_boot must be at least 100; got {n_boot}")
    boot, k = _cluster_bootstrap(c.astype(np.float64), m, n_boot, seed)
    p = float(c.mean())
    se = float(boot.std(ddof=1))
    binomial = float(np.sqrt(p * (1 - p) / c.size))
    tail = (1 - level) / 2
    low, high = np.quantile(boot, [tail, 1 - tail])
    effect = (se / binomial) ** 2 if binomial > 0 else float("nan")
    return AccuracyInterval(p, float(low), float(high), se, binomial, float(effect), k)


def _cluster_bootstrap(values: np.ndarray, clusters: np.ndarray, n_boot: int, seed: int):
    """Means of ``values`` over ``n_boot`` samples of whole clusters drawn with replacement
    (as many as there are), and the number of clusters."""
    _, inverse = np.unique(clusters, return_inverse=True)
    k = int(inverse.max()) + 1
    total = np.bincount(inverse, weights=values, minlength=k)
    size = np.bincount(inverse, minlength=k).astype(np.float64)
    draws = np.random.default_rng(seed).multinomial(
        k, np.full(k, 1.0 / k), size=int(n_boot)).astype(np.float64)
    return (draws @ total) / (draws @ size), k


def difference_interval(correct_a, correct_b, clusters, level: float = 0.95,
                        n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Accuracy of A minus accuracy of B on the same examples, with a percentile bootstrap
    interval that resamples whole clusters (movies, or the two sentences of a probe pair).

    Args:
        correct_a, correct_b: ``(n,)`` arrays, 1 (or ``True``) where the model is right; may be
            fractions, e.g. the share of several seeds that get an example right.
        clusters: ``(n,)`` the cluster of each example.

    Returns:
        ``(difference, low, high)`` as fractions (0.05 is five points).
    """
    a, b = (np.asarray(x, dtype=np.float64) for x in (correct_a, correct_b))
    if a.shape != b.shape or a.ndim != 1 or a.size == 0 or np.shape(clusters) != a.shape:
        raise ValueError(f"correct_a, correct_b and clusters must be non-empty 1-D arrays of one "
                         f"shape; got {a.shape}, {b.shape} and {np.shape(clusters)}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1; got {level}")
    boot, _ = _cluster_bootstrap(a - b, np.asarray(clusters), n_boot, seed)
    tail = (1 - level) / 2
    low, high = np.quantile(boot, [tail, 1 - tail])
    return float(np.mean(a - b)), float(low), float(high)
