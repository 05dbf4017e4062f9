"""The book's one figure style, and the plots that recur across chapters.

Importing this module applies the style; notebooks then draw with ``fig, ax = plt.subplots()``.
Explained in :doc:`/chapters/01_the_imdb_dataset`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

#: Colours used consistently: one per model family, so a GRU is the same colour in every figure.
COLORS = {
    "rnn": "#d95f02",
    "gru": "#1b9e77",
    "lstm": "#7570b3",
    "baseline": "#666666",
    "train": "#1f78b4",
    "validation": "#e31a1c",
}

STYLE = {
    "figure.figsize": (6.4, 3.8),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.prop_cycle": mpl.cycler(color=list(COLORS.values())),
}


def apply_style() -> None:
    """Set the book's Matplotlib style (idempotent; done on import)."""
    mpl.rcParams.update(STYLE)


def plot_history(
    history: Mapping[str, Sequence[float]],
    metric: str = "loss",
    ax: Axes | None = None,
    label: str = "",
) -> Axes:
    """Plot a Keras training history: ``metric`` and ``val_<metric>`` against the epoch.

    Args:
        history: ``model.fit(...).history`` or any mapping of metric name to per-epoch values.
        metric: the metric to draw, e.g. ``"loss"`` or ``"accuracy"``.
        ax: the axes to draw into (a new figure when ``None``).
        label: a prefix for the legend entries, to overlay several runs.
    """
    if not isinstance(history, Mapping):
        raise TypeError(
            f"history must be a mapping of metric -> values; got {type(history).__name__}"
        )
    if metric not in history:
        raise ValueError(f"metric {metric!r} is not in history; it has {sorted(history)}")
    if ax is None:
        _, ax = plt.subplots()
    prefix = f"{label} " if label else ""
    for key, kind in ((metric, "train"), (f"val_{metric}", "validation")):
        if key in history:
            values = list(history[key])
            ax.plot(range(1, len(values) + 1), values, marker="o", label=f"{prefix}{kind}",
                    color=None if label else COLORS[kind])
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.legend()
    return ax


apply_style()
