"""Is classifier A better than classifier B on the same examples? McNemar's paired test.

Explained in :doc:`/chapters/09_better_models_and_baselines`. Two accuracies measured on the
same 25,000 test reviews differ by chance: each model gets some reviews right that the other
gets wrong. McNemar's test looks only at those discordant reviews: if neither model is better,
each discordant review is a fair coin flip between them, so the count of the reviews only A gets
right is binomial with p = 1/2 (the exact test, :func:`scipy.stats.binomtest`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["PairedComparison", "mcnemar"]


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
