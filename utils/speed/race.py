"""Time to accuracy: which of two trained models got to the same validation accuracy sooner.

A race compares models trained by :func:`utils.models.trained`, so that every contender is
built, trained and stopped by the same code (early stopping on the validation accuracy, the
best epoch's weights kept). Its clock is the epoch: the seconds until the end of the first epoch
whose validation accuracy reached a target, validation included (the same validation reviews
for every contender). Used in :doc:`/chapters/10_fast_training_on_cpu` and by ``make bench``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Ratio", "common_accuracy", "epochs_to", "seconds_to", "summary", "time_ratio"]


def epochs_to(run, accuracy: float) -> int | None:
    """The first epoch (from 1) whose validation accuracy reached ``accuracy``, else ``None``."""
    if not 0.0 < accuracy <= 1.0:
        raise ValueError(f"accuracy must be in (0, 1]; got {accuracy!r}")
    for epoch, acc in enumerate(run.history["val_accuracy"], 1):
        if acc >= accuracy:
            return epoch
    return None


def seconds_to(run, accuracy: float) -> float | None:
    """Seconds of training, validation included, until the end of the first epoch whose
    validation accuracy reached ``accuracy``; ``None`` if none did."""
    epochs = epochs_to(run, accuracy)
    return None if epochs is None else float(sum(run.epoch_seconds[:epochs]))


def common_accuracy(runs) -> float:
    """The highest validation accuracy every run reached: the lowest of their best ones."""
    return min(float(max(run.history["val_accuracy"])) for run in runs)


@dataclass(frozen=True)
class Ratio:
    """How many times as long one run took as another to reach an accuracy.

    ``low`` and ``high`` bound it by the spread of each run's epoch times: the ratio had every
    epoch of the first run taken as long as its fastest (slowest) epoch and every epoch of the
    second as long as its slowest (fastest).
    """

    value: float
    low: float
    high: float
    accuracy: float

    def sentence(self, slow: str, fast: str) -> str:
        """What the ratio says of ``slow`` (the first run) and ``fast`` (the second), decided by
        its bounds: ``fast`` got there sooner, ``slow`` got there first, or neither was clearly
        sooner (a clause for the prose, which goes on with the seconds)."""

        def times(r: float) -> str:
            return f"{r:.1f}" if r >= 2 else f"{r:.2f}"

        if self.low > 1:
            return (f"{fast} got there {times(self.value)} times sooner ({times(self.low)} to "
                    f"{times(self.high)} times, given the spread of the epoch times)")
        if self.high < 1:
            return f"{slow} got there first; {fast} took {times(1 / self.value)} times as long"
        return (f"{slow} took {self.value:.2f} times as long as {fast}, but between "
                f"{self.low:.2f} and {self.high:.2f} times given the spread of the epoch "
                "times, so neither was clearly sooner")


def time_ratio(slow, fast, accuracy: float) -> Ratio:
    """:class:`Ratio` of ``slow``'s seconds to ``accuracy`` over ``fast``'s (both must reach it)."""
    k_slow, k_fast = epochs_to(slow, accuracy), epochs_to(fast, accuracy)
    if k_slow is None or k_fast is None:
        raise ValueError(f"both runs must reach the accuracy {accuracy:.4f}")
    s, f = np.asarray(slow.epoch_seconds), np.asarray(fast.epoch_seconds)
    return Ratio(value=seconds_to(slow, accuracy) / seconds_to(fast, accuracy),
                 low=float(k_slow * s.min() / (k_fast * f.max())),
                 high=float(k_slow * s.max() / (k_fast * f.min())), accuracy=accuracy)


def summary(run, target: float) -> dict:
    """A JSON-able row for a table: epochs, best validation accuracy, seconds to it and to
    ``target``, total seconds, test accuracy of the kept weights, and the machine."""
    return {"name": run.name, "description": run.config.description,
            "epochs": len(run.epoch_seconds), "best_epoch": run.best_epoch,
            "best_val_accuracy": run.val_accuracy,
            "seconds_to_best": float(sum(run.epoch_seconds[:run.best_epoch])),
            "seconds_to_target": seconds_to(run, target), "target": target,
            "train_seconds": run.train_seconds, "test_accuracy": run.accuracy("test"),
            "machine": run.machine}
