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


# --------------------------------------------------------------------------------------------
# The GRU cell diagram (chapter 04)
# --------------------------------------------------------------------------------------------

_RAIL_Y, _HBUS_Y, _XBUS_Y = 5.0, 1.1, 0.35


def gru_cell_graph(reset_after: bool = True) -> dict:
    """The data flow of one GRU step, as drawn by :func:`gru_cell_diagram`.

    Explained in :doc:`/chapters/04_gru_gates`. Nodes are the inputs ``x`` and ``h_prev``, the
    gates ``z`` and ``r``, the candidate ``cand``, the products ``rmul`` (reset),
    ``keep`` (``z * h_prev``) and ``new`` (``(1 - z) * cand``), ``one_minus``, the sum ``plus``
    and the output ``h``; ``U_h`` is the candidate's recurrent product, placed before the reset
    product for ``reset_after=True`` and after it for ``False``.

    Returns:
        ``{"nodes": {name: (x, y, kind, label)}, "edges": [(source, target), ...]}`` with
        ``kind`` one of ``"input"``, ``"output"``, ``"box"`` (a layer with weights) or ``"op"``
        (an element-wise operation).
    """
    if not isinstance(reset_after, bool):
        raise TypeError(f"reset_after must be a bool; got {type(reset_after).__name__}")
    nodes = {
        "h_prev": (0.0, _RAIL_Y, "input", r"$h_{t-1}$"),
        "x": (0.0, _XBUS_Y, "input", r"$x_t$"),
        "z": (1.9, 2.4, "box", r"$\sigma$"),
        "r": (3.1, 2.4, "box", r"$\sigma$"),
        "rmul": (4.4, 3.2, "op", r"$\odot$"),
        "keep": (1.9, _RAIL_Y, "op", r"$\odot$"),
        "one_minus": (7.6, 4.2, "op", r"$1-$"),
        "new": (8.7, 4.2, "op", r"$\odot$"),
        "plus": (8.7, _RAIL_Y, "op", r"$+$"),
        "h": (10.0, _RAIL_Y, "output", r"$h_t$"),
    }
    edges = [("x", "z"), ("h_prev", "z"), ("x", "r"), ("h_prev", "r"), ("r", "rmul"),
             ("h_prev", "keep"), ("z", "keep"), ("z", "one_minus"), ("one_minus", "new"),
             ("cand", "new"), ("keep", "plus"), ("new", "plus"), ("plus", "h"), ("x", "cand")]
    if reset_after:
        nodes["U_h"] = (4.4, 2.05, "box", r"$U_h\,\cdot + b_{hr}$")
        nodes["cand"] = (6.45, 3.2, "box", r"$\tanh(W_h x_t + \cdot + b_h)$")
        edges += [("h_prev", "U_h"), ("U_h", "rmul"), ("rmul", "cand")]
    else:
        nodes["U_h"] = (5.2, 3.2, "box", r"$U_h\,\cdot$")
        nodes["cand"] = (7.05, 3.2, "box", r"$\tanh(W_h x_t + \cdot + b_h)$")
        edges += [("h_prev", "rmul"), ("rmul", "U_h"), ("U_h", "cand")]
    return {"nodes": nodes, "edges": edges}


def gru_cell_diagram(ax: Axes | None = None, reset_after: bool = True) -> Axes:
    """Draw one GRU step (Keras' equations, gate order z, r, h) as a data-flow diagram.

    Explained in :doc:`/chapters/04_gru_gates`: ``h_{t-1}`` runs along the top and is kept
    where ``z`` is 1; ``x_t`` and ``h_{t-1}`` feed the two gates (sigmoid boxes) from below; the
    reset gate scales the candidate's recurrent part (after ``U_h`` when ``reset_after=True``,
    before it when ``False``); ``1 - z`` lets the candidate in. The drawing is generated from
    :func:`gru_cell_graph`, whose wiring the tests compare with the equations.

    Args:
        ax: the axes to draw into (a new figure when ``None``).
        reset_after: which of Keras' two forms to draw.
    """
    from matplotlib.patches import FancyBboxPatch

    graph = gru_cell_graph(reset_after)
    nodes = graph["nodes"]
    if ax is None:
        _, ax = plt.subplots(figsize=(7.2, 3.6))
    ink, bus_colour = "#222222", "#555555"
    arrow = {"arrowstyle": "-|>", "color": ink, "lw": 1.1, "shrinkA": 0, "shrinkB": 0,
             "mutation_scale": 10}

    half_widths = {"z": 0.36, "r": 0.36, "cand": 1.15, "U_h": 0.58 if reset_after else 0.34}

    def size(name):
        kind = nodes[name][2]
        if kind == "box":
            return half_widths[name], 0.27
        if kind == "op":
            return 0.22, 0.22
        return 0.0, 0.0

    def edge_point(name, side):
        x, y = nodes[name][:2]
        w, h = size(name)
        return {"left": (x - w, y), "right": (x + w, y), "bottom": (x, y - h),
                "top": (x, y + h)}[side]

    def line(points, head=True, colour=ink):
        xs, ys = zip(*points, strict=True)
        ax.plot(xs[:-1] if head else xs, ys[:-1] if head else ys, color=colour, lw=1.1)
        if head:
            ax.annotate("", xy=points[-1], xytext=points[-2], arrowprops=arrow)

    # The two buses: x_t along the bottom, a copy of h_{t-1} just above it.
    taps_x = [nodes[t][0] for s, t in graph["edges"] if s == "x"]
    taps_h = [nodes[t][0] for s, t in graph["edges"] if s == "h_prev" and t != "keep"]
    hx0 = 0.9
    line([(nodes["x"][0] + 0.3, _XBUS_Y), (max(taps_x), _XBUS_Y)], head=False,
         colour=bus_colour)
    line([(hx0, _RAIL_Y), (hx0, _HBUS_Y), (max(taps_h), _HBUS_Y)], head=False,
         colour=bus_colour)
    ax.plot([hx0], [_RAIL_Y], "o", color=ink, ms=3)
    for source, target in graph["edges"]:
        tx, ty = nodes[target][:2]
        if source == "x":
            line([(tx, _XBUS_Y), edge_point(target, "bottom")])
            ax.plot([tx], [_XBUS_Y], "o", color=ink, ms=3)
        elif source == "h_prev" and target == "keep":
            line([(nodes["h_prev"][0] + 0.35, _RAIL_Y), edge_point("keep", "left")])
        elif source == "h_prev":
            if ("x", target) not in graph["edges"]:
                line([(tx, _HBUS_Y), edge_point(target, "bottom")])
            ax.plot([tx], [_HBUS_Y], "o", color=ink, ms=3)
        elif (source, target) in (("z", "keep"), ("U_h", "rmul"), ("cand", "new"),
                                  ("new", "plus")):
            sx, sy = nodes[source][:2]
            if source == "cand":
                corner = (tx, sy)
                line([edge_point("cand", "right"), corner, edge_point("new", "bottom")])
            else:
                line([edge_point(source, "top"), edge_point(target, "bottom")])
        elif (source, target) == ("z", "one_minus"):
            zx = nodes["z"][0]
            line([(zx, ty), edge_point("one_minus", "left")])
            ax.plot([zx], [ty], "o", color=ink, ms=3)
        elif (source, target) == ("r", "rmul"):
            rx = nodes["r"][0]
            line([edge_point("r", "top"), (rx, ty), edge_point("rmul", "left")])
        else:  # left to right on one level
            line([edge_point(source, "right"), edge_point(target, "left")])

    for name, (x, y, kind, label) in nodes.items():
        if kind == "box":
            w, h = size(name)
            ax.add_patch(FancyBboxPatch((x - w, y - h), 2 * w, 2 * h,
                                        boxstyle="round,pad=0.02", fc="#e8f4f0",
                                        ec=COLORS["gru"], lw=1.2, zorder=3))
            ax.text(x, y, label, ha="center", va="center", fontsize=9, zorder=4)
        elif kind == "op":
            ax.add_patch(mpl.patches.Circle((x, y), 0.22, fc="white", ec=ink, lw=1.1,
                                            zorder=3))
            ax.text(x, y, label, ha="center", va="center", fontsize=8, zorder=4)
        else:
            ax.text(x, y, label, ha="right" if kind == "input" else "left",
                    va="center", fontsize=11)
    # Name each result on the line that carries it.
    names = {"z": (r"$z_t$", 0.55), "r": (r"$r_t$", 0.12), "cand": (r"$\tilde h_t$", 0.0)}
    for name, (text, dy) in names.items():
        x, y = nodes[name][:2]
        w, h = size(name)
        at = (x + w + 0.08, y + 0.05) if name == "cand" else (x + 0.08, y + h + dy)
        ax.text(*at, text, ha="left", va="bottom", fontsize=10, color=COLORS["gru"])
    ax.text(5.0, 5.6, f"reset_after={reset_after}", ha="center", fontsize=9,
            family="monospace")
    ax.set_xlim(-0.7, 10.6)
    ax.set_ylim(-0.1, 5.9)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
