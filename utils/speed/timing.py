"""Timing with repeats: wall-clock seconds of the same work, run several times.

A shared machine is noisy, so every measurement of the book is repeated and reported as
min / median / max (:class:`Timing`); the chapters quote the median and give the spread. Used
by :mod:`utils.speed.flops` (the matrix-product peak) and :mod:`utils.speed.throughput`.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from utils.checks import positive_int

__all__ = ["Timing", "time_repeats"]




@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated runs of the same work."""

    seconds: tuple[float, ...]

    def __post_init__(self):
        if not self.seconds:
            raise ValueError("seconds must hold at least one timing")
        if any(not math.isfinite(s) or s < 0 for s in self.seconds):
            raise ValueError(f"seconds must be finite and non-negative; got {self.seconds}")

    @property
    def min(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return float(statistics.median(self.seconds))

    @property
    def max(self) -> float:
        return max(self.seconds)

    def summary(self) -> dict[str, float]:
        """``{"min": ..., "median": ..., "max": ..., "repeats": n}``."""
        return {"min": self.min, "median": self.median, "max": self.max,
                "repeats": len(self.seconds)}


def time_repeats(fn: Callable[[], object], *, repeats: int = 3, warmup: int = 1) -> Timing:
    """Call ``fn()`` ``warmup`` times untimed, then ``repeats`` times timed."""
    if not callable(fn):
        raise TypeError(f"fn must be callable; got {type(fn).__name__}")
    positive_int("repeats", repeats)
    if not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be a non-negative int; got {warmup!r}")
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return Timing(tuple(out))
