"""The book's one figure style, and the plots that recur across chapters.

Importing this module applies the style; notebooks then draw with ``fig, ax = plt.subplots()``.
Explained in :doc:`/chapters/01_the_imdb_dataset`.

The style also makes every figure check itself: each time a figure made with ``plt.figure`` or
``plt.subplots`` is drawn (shown inline, glued, saved), :func:`check_text_overlap` raises an
``AssertionError`` if two of its tick labels overlap or a legend covers plotted data. Log axes
go through :func:`log_axis` (labels at major ticks only, plain numbers) and legends through
:func:`place_legend` (inside where they cover no data, else outside), both first used in
:doc:`/chapters/05_why_gates_work`.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.transforms import Bbox

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
    # Every figure pyplot makes is checked when drawn (see watch_figure).
    "figure.hooks": ["utils.plots:watch_figure"],
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


# --------------------------------------------------------------------------------------------
# Log axes, legends, and the check that no text overlaps (chapter 05 first)
# --------------------------------------------------------------------------------------------


def log_axis(ax: Axes, which: str = "x", ticks: Sequence[float] | None = None) -> Axes:
    """Put one axis of ``ax`` on a log scale, labelled at its major ticks only, in plain numbers.

    Matplotlib labels some minor ticks of a log axis that spans little more than a decade
    (``3×10⁰ 4×10⁰ 5×10⁰`` crowded together); here minor ticks keep their marks but no
    labels. Call it after plotting, so that the axis' range is known.

    Args:
        ax: the axes.
        which: ``"x"`` or ``"y"``.
        ticks: the values to label (e.g. the lags a curve was measured at); by default the
            powers of ten, and 1, 2, 5 times them where the axis spans less than 30× (1, 3
            times them below 1,000×).

    Returns:
        ``ax``.
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a Matplotlib Axes; got {type(ax).__name__}")
    if which not in ("x", "y"):
        raise ValueError(f"which must be 'x' or 'y'; got {which!r}")
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    if ticks is not None:
        values = [float(t) for t in ticks]
        if not values or min(values) <= 0:
            raise ValueError(f"ticks must be positive numbers on a log axis; got {ticks!r}")
        axis.set_major_locator(ticker.FixedLocator(values))
    else:
        lo, hi = sorted(axis.get_view_interval())
        subs = (1.0, 2.0, 5.0) if hi < 30 * lo else (1.0, 3.0) if hi < 1000 * lo else (1.0,)
        axis.set_major_locator(ticker.LogLocator(base=10, subs=subs))
    axis.set_major_formatter(ticker.FuncFormatter(_log_label))
    axis.set_minor_formatter(ticker.NullFormatter())
    return ax


def lag_curves(ax: Axes, lags: Sequence[int], curves: Mapping[str, tuple], baseline: tuple,
               solved: tuple, log_y: bool = False, xlabel: str = "lag (steps)",
               **line_kw) -> Axes:
    """A long-memory task's test scores against the lag (chapters 3 and 5), on a log lag axis.

    Args:
        ax: the axes to draw on.
        lags: the lags, the x values.
        curves: ``{label: (scores, colour)}``, one line with markers per layer.
        baseline: ``(value, label)`` of the no-memory baseline, drawn dashed.
        solved: ``(value, label)`` of the "solved" threshold, drawn dotted.
        log_y: whether the score axis is logarithmic too.
        xlabel: the label of the lag axis.
        line_kw: passed on to the two horizontal lines (``linewidth=1``, say).
    """
    for label, (scores, colour) in curves.items():
        ax.plot(lags, scores, marker="o", color=colour, label=label)
    for (value, label), style in ((baseline, "--"), (solved, ":")):
        ax.axhline(value, color=COLORS["baseline"], linestyle=style, label=label, **line_kw)
    if log_y:
        log_axis(ax, "y")
    ax.set_xlabel(xlabel)
    return log_axis(ax, "x", ticks=lags)


def _log_label(value: float, _pos=None) -> str:
    """A log axis' tick label: ``0.02``, ``5``, ``20,000``; powers of ten outside 10⁻³..10⁵."""
    if not math.isfinite(value) or value <= 0:
        return ""
    if 1e-3 <= value < 1e5:
        return f"{value:,.6g}"
    exponent = math.floor(math.log10(value))
    mantissa = round(value / 10**exponent, 6)
    if mantissa == 10:
        mantissa, exponent = 1.0, exponent + 1
    power = f"10^{{{exponent}}}"
    return f"${power}$" if mantissa == 1 else f"${mantissa:g}\\times{power}$"


#: Where :func:`place_legend` tries a legend inside the axes, in this order.
INSIDE_LOCATIONS = ("upper right", "upper left", "lower right", "lower left", "center right",
                    "center left", "upper center", "lower center", "center")


def place_legend(ax: Axes, outside: str = "right", **kwargs) -> Legend:
    """Add ``ax``'s legend where it covers no plotted data.

    Tries the corners and edges of the axes (:data:`INSIDE_LOCATIONS`) and keeps the first
    where the legend's box covers no data (see :func:`check_text_overlap`); where every place
    covers some, puts it outside the axes: to the right in one column (``outside="right"``)
    or above (``"top"``, in up to three columns unless ``ncols`` says). ``savefig``'s tight
    bounding box (the book's style) keeps it in the image.

    Args:
        ax: the axes whose labelled artists the legend lists.
        outside: ``"right"`` or ``"top"``, where to go when no place inside is free.
        **kwargs: passed on to ``ax.legend`` (not ``loc`` or ``bbox_to_anchor``).

    Returns:
        The legend.
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a Matplotlib Axes; got {type(ax).__name__}")
    if outside not in ("right", "top"):
        raise ValueError(f"outside must be 'right' or 'top'; got {outside!r}")
    for key in ("loc", "bbox_to_anchor"):
        if key in kwargs:
            raise ValueError(f"place_legend chooses {key} itself; do not pass it")
    fig = ax.get_figure(root=True)
    for loc in INSIDE_LOCATIONS:
        legend = ax.legend(loc=loc, **kwargs)
        renderer = _draw(fig)
        if _legend_covers(legend, renderer) is None:
            return legend
    if outside == "right":  # one column beside the axes
        kwargs = {k: v for k, v in kwargs.items() if k not in ("ncol", "ncols")}
        return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0,
                         **kwargs)
    if "ncol" not in kwargs:
        kwargs.setdefault("ncols", min(len(ax.get_legend_handles_labels()[0]), 3))
    return ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.02), borderaxespad=0,
                     **kwargs)


def check_text_overlap(fig: Figure, renderer=None) -> None:
    """Raise ``AssertionError`` if text in ``fig`` overlaps, as Matplotlib itself measures it.

    Checked, with the extents Matplotlib computes for the drawn figure
    (``Text.get_window_extent``): the visible tick labels of each axis (major and minor; two
    labels overlap when their boxes do, or, for rotated labels, when their anchors are closer
    than the font's size across the text), and each legend against what every axes plots:
    lines, markers, filled areas (``fill_between``) and bars (the part of the legend inside
    the axes, for what the axes clip). Every figure that
    pyplot makes is checked when drawn (:func:`watch_figure`); call this for any other.

    Args:
        fig: the figure.
        renderer: the renderer of a draw that just happened; by default the figure is drawn
            (without output) first.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a Matplotlib Figure; got {type(fig).__name__}")
    if renderer is None:
        renderer = _draw(fig)
    for i, ax in enumerate(fig.axes):
        if not (ax.get_visible() and ax.axison):
            continue
        for name, axis in (("x-axis", ax.xaxis), ("y-axis", ax.yaxis)):
            if not axis.get_visible():
                continue
            labels = _visible_tick_labels(axis)
            for a, b in _overlapping_labels(labels, name[0], renderer):
                raise AssertionError(
                    f"{_describe(fig, i, ax)}, {name}: the tick labels {_plain(a)!r} and "
                    f"{_plain(b)!r} overlap (on a log axis use utils.plots.log_axis; else "
                    "fewer ticks or a smaller font)")
    legends = [ax.get_legend() for ax in fig.axes] + list(fig.legends)
    for legend in legends:
        if legend is None or not legend.get_visible():
            continue
        covered = _legend_covers(legend, renderer)
        if covered is not None:
            what = f"an unlabelled {type(covered).__name__}" \
                if covered.get_label().startswith("_") else repr(covered.get_label())
            raise AssertionError(
                f"{_describe(fig, None, legend.axes)}: the legend covers the plotted data "
                f"{what} (use utils.plots.place_legend)")


def watch_figure(fig: Figure) -> None:
    """Check ``fig`` with :func:`check_text_overlap` each time it is drawn.

    The book's style registers this as Matplotlib's ``figure.hooks``, so it runs for every
    figure ``plt.figure``/``plt.subplots`` makes: in a notebook a failing figure stops the cell
    (under nbval, and as an error in the page) when it is shown or glued.
    """
    fig.canvas.mpl_connect("draw_event", _check_on_draw)


# Figures drawn by place_legend's trials, which are not checked while it tries.
_TRYING: weakref.WeakSet = weakref.WeakSet()


def _check_on_draw(event) -> None:
    fig = event.canvas.figure
    if fig not in _TRYING:
        check_text_overlap(fig, event.renderer)


def _draw(fig: Figure):
    """Draw ``fig`` without output (unchecked) and return the renderer of that draw."""
    drawn = []
    cid = fig.canvas.mpl_connect("draw_event", lambda event: drawn.append(event.renderer))
    _TRYING.add(fig)
    try:
        fig.draw_without_rendering()
    finally:
        _TRYING.discard(fig)
        fig.canvas.mpl_disconnect(cid)
    return drawn[-1]


def _describe(fig: Figure, index: int | None, ax: Axes | None) -> str:
    """Name a figure's axes in an error message: its title, else its axis labels."""
    if ax is None:
        return "the figure's legend"
    if index is None:
        index = fig.axes.index(ax) if ax in fig.axes else -1
    names = [ax.get_title(), ax.get_ylabel(), ax.get_xlabel()]
    name = next((n for n in names if n), "")
    return f"axes {index}" + (f" ({name!r})" if name else "")


def _plain(label) -> str:
    """A label's text without the mathtext wrapping Matplotlib's formatters add."""
    text = label.get_text()
    if text.startswith("$\\mathdefault{") and text.endswith("}$"):
        text = text[len("$\\mathdefault{"):-2]
    return text


def _visible_tick_labels(axis) -> list:
    """The tick labels ``axis`` draws: visible, not empty, at a tick inside the view."""
    lo, hi = axis.get_view_interval()
    to_screen = axis.get_transform()
    lo_t, hi_t = sorted(to_screen.transform(np.array([lo, hi], dtype=float)))
    slack = 1e-9 * max(abs(hi_t - lo_t), 1e-300)
    labels = []
    for ticks in (axis.get_major_ticks(len(axis.get_majorticklocs())),
                  axis.get_minor_ticks(len(axis.get_minorticklocs()))):
        for tick in ticks:
            with np.errstate(all="ignore"):
                loc = float(to_screen.transform(np.array([tick.get_loc()], dtype=float))[0])
            if not (math.isfinite(loc) and lo_t - slack <= loc <= hi_t + slack):
                continue
            for label in (tick.label1, tick.label2):
                if label.get_visible() and label.get_text().strip():
                    labels.append(label)
    return labels


def _overlapping_labels(labels: list, direction: str, renderer) -> Iterable[tuple]:
    """Pairs of ``labels`` (of an x or y axis, ``direction``) whose text overlaps."""
    boxes = [label.get_window_extent(renderer) for label in labels]
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            a, b = labels[i], labels[j]
            angle = math.radians(a.get_rotation()) % math.pi
            if min(angle, math.pi - angle) < 1e-6 or abs(angle - math.pi / 2) < 1e-6:
                if _boxes_overlap(boxes[i], boxes[j]):
                    yield a, b
            else:  # rotated text: its box is not its outline; compare the anchors
                if not _boxes_overlap(boxes[i], boxes[j]):
                    continue
                size = renderer.points_to_pixels(max(a.get_fontsize(), b.get_fontsize()))
                ca, cb = boxes[i].get_points().mean(0), boxes[j].get_points().mean(0)
                along = abs(ca[0] - cb[0]) if direction == "x" else abs(ca[1] - cb[1])
                sine = abs(math.sin(angle)) if direction == "x" else abs(math.cos(angle))
                if along * sine < size:
                    yield a, b


def _boxes_overlap(a: Bbox, b: Bbox) -> bool:
    """Whether two boxes share an area (touching edges do not count)."""
    return min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5


def _legend_covers(legend: Legend, renderer):
    """The first line or scatter (markers) under ``legend``'s box, or None."""
    box = legend.get_window_extent(renderer)
    fig = legend.get_figure(root=True)
    for ax in fig.axes:
        inside = Bbox.intersection(box, ax.get_window_extent(renderer))
        for line in ax.get_lines():
            if not line.get_visible() or len(line.get_xydata()) == 0:
                continue
            area = inside if line.get_clip_on() else box
            if area is None:
                continue
            points = line.get_transform().transform(line.get_xydata())
            points = points[np.isfinite(points).all(axis=1)]
            marker = line.get_marker() not in ("None", "", " ", None)
            if marker and _any_inside(points, area):
                return line
            if line.get_linestyle() not in ("None", "", " "):
                path = line.get_transform().transform_path(line.get_path())
                if path.cleaned(remove_nans=True).intersects_bbox(area, filled=False):
                    return line
        for collection in ax.collections:
            area = inside if collection.get_clip_on() else box
            if not collection.get_visible() or area is None:
                continue
            if isinstance(collection, PathCollection):  # the markers of ax.scatter
                offsets = np.asarray(collection.get_offsets(), dtype=float).reshape(-1, 2)
                if _any_inside(collection.get_offset_transform().transform(offsets), area):
                    return collection
            elif isinstance(collection, (PolyCollection, LineCollection)):  # fill_between, ...
                filled = isinstance(collection, PolyCollection)
                to_screen = collection.get_transform()
                for path in collection.get_paths():
                    if to_screen.transform_path(path).intersects_bbox(area, filled=filled):
                        return collection
        for patch in ax.patches:  # bars, histograms
            area = inside if patch.get_clip_on() else box
            if patch.get_visible() and area is not None and \
                    _boxes_overlap(patch.get_window_extent(renderer), area):
                return patch
    return None


def _any_inside(points: np.ndarray, box: Bbox) -> bool:
    x, y = points[:, 0], points[:, 1]
    return bool(np.any((x > box.x0) & (x < box.x1) & (y > box.y0) & (y < box.y1)))


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
