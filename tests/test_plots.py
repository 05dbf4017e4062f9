"""Tests of utils.plots: the style is applied and the recurring plots draw what they say."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from utils import plots  # noqa: E402


def test_style_is_applied_on_import():
    plt.rcdefaults()
    plots.apply_style()
    assert plt.rcParams["axes.grid"] is True
    assert plt.rcParams["axes.spines.top"] is False


def test_plot_history_draws_train_and_validation():
    history = {"loss": [0.7, 0.5, 0.4], "val_loss": [0.72, 0.6, 0.58], "accuracy": [0.5, 0.7, 0.8]}
    ax = plots.plot_history(history, "loss")
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["train", "validation"]
    assert list(lines[1].get_ydata()) == history["val_loss"]
    assert list(lines[0].get_xdata()) == [1, 2, 3]
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    ax = plots.plot_history(history, "accuracy")
    assert [line.get_label() for line in ax.get_lines()] == ["train"]
    plt.close("all")


def test_plot_history_rejects_bad_input():
    with pytest.raises(TypeError, match="history must be a mapping"):
        plots.plot_history([0.1, 0.2])
    with pytest.raises(ValueError, match="metric 'auc' is not in history"):
        plots.plot_history({"loss": [1.0]}, "auc")


def _evaluate_graph(graph, w, x, h_prev):
    """Run one GRU step through the diagram's wiring: each node combines what its edges bring."""
    import numpy as np

    preds = {}
    for source, target in graph["edges"]:
        preds.setdefault(target, []).append(source)
    values = {"x": x, "h_prev": h_prev}
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731

    def value(name):
        if name in values:
            return values[name]
        p = preds[name]
        if name in ("z", "r"):
            assert sorted(p) == ["h_prev", "x"], (name, p)
            out = sig(x @ w.kernel[name] + h_prev @ w.recurrent[name] + w.bias[name]
                      + w.recurrent_bias[name])
        elif name == "U_h":
            (only,) = p
            out = value(only) @ w.recurrent["h"] + w.recurrent_bias["h"]
        elif name == "cand":
            assert "x" in p and len(p) == 2, p
            (other,) = [q for q in p if q != "x"]
            out = np.tanh(x @ w.kernel["h"] + value(other) + w.bias["h"])
        elif name in ("rmul", "keep", "new"):
            a, b = p
            out = value(a) * value(b)
        elif name == "one_minus":
            (only,) = p
            out = 1 - value(only)
        elif name in ("plus", "h"):
            out = sum(value(q) for q in p)
        else:
            raise AssertionError(f"unexpected node {name}")
        values[name] = out
        return out

    return value("h")


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_cell_graph_computes_the_gru(reset_after):
    """The diagram's wiring, evaluated node by node, is one step of utils.gru."""
    import numpy as np

    from utils import gru

    rng = np.random.default_rng(0)
    d, n = 3, 4
    rand = lambda *shape: rng.normal(size=shape)  # noqa: E731
    w = gru.GRUWeights(
        kernel={g: rand(d, n) for g in "zrh"}, recurrent={g: rand(n, n) for g in "zrh"},
        bias={g: rand(n) for g in "zrh"},
        recurrent_bias={g: rand(n) if reset_after else np.zeros(n) for g in "zrh"},
        reset_after=reset_after)
    x, h_prev = rand(2, d), np.tanh(rand(2, n))
    want = gru.forward_weights(w, x[:, None], initial_state=h_prev, out_dtype=np.float64).h
    got = _evaluate_graph(plots.gru_cell_graph(reset_after), w, x, h_prev)
    np.testing.assert_allclose(got, want[:, 0], atol=1e-12)


def test_gru_cell_diagram_draws_both_forms():
    fig, axes = plt.subplots(2, 1)
    for ax, reset_after in zip(axes, (True, False), strict=True):
        assert plots.gru_cell_diagram(ax, reset_after=reset_after) is ax
        texts = [t.get_text() for t in ax.texts]
        graph = plots.gru_cell_graph(reset_after)
        for _, _, _, label in graph["nodes"].values():
            assert label in texts
        assert f"reset_after={reset_after}" in texts
        assert (r"$U_h\,\cdot + b_{hr}$" in texts) is reset_after
    plt.close(fig)
    with pytest.raises(TypeError, match="reset_after must be a bool"):
        plots.gru_cell_graph("yes")


# --- Log axes, legends and the overlap check (issue 27) ---

LAGS = [2, 5, 10, 20, 40, 80]


def _lag_figure():
    """The landing figure's shape: a log-log plot of a value by lag, drawn by pyplot."""
    fig, ax = plt.subplots()
    ax.plot(LAGS, [0.004, 0.09, 0.16, 0.166, 0.168, 0.165], marker="o", label="SimpleRNN")
    ax.plot(LAGS, [0.0015, 0.002, 0.003, 0.005, 0.009, 0.02], marker="o", label="GRU")
    ax.axhline(1 / 6, linestyle="--", label="no memory")
    return fig, ax


def test_every_pyplot_figure_is_checked_when_drawn():
    """The crowded minor tick labels of a short log axis (3×10⁰ 4×10⁰ ...) fail on drawing."""
    import io

    assert "utils.plots:watch_figure" in plt.rcParams["figure.hooks"]
    fig, ax = _lag_figure()
    ax.set_xscale("log")
    ax.set_xticks(LAGS, [str(v) for v in LAGS])
    with pytest.raises(AssertionError, match=r"axes 0, x-axis: the tick labels '.+' and '.+' "
                                             r"overlap \(on a log axis use utils.plots.log_axis"):
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


def test_log_axis_labels_major_ticks_only_in_plain_numbers():
    import io

    fig, ax = _lag_figure()
    assert plots.log_axis(ax, "x", ticks=LAGS) is ax
    plots.log_axis(ax, "y")
    plots.place_legend(ax)
    fig.savefig(io.BytesIO(), format="png")  # checked when drawn: no overlap
    plots.check_text_overlap(fig)
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(v) for v in LAGS]
    assert not any(t.get_text() for t in ax.get_xticklabels(minor=True))
    lo, hi = ax.get_ylim()
    shown = [t.get_text() for t, v in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)
             if lo <= v <= hi]
    assert shown == ["0.003", "0.01", "0.03", "0.1"]
    plt.close(fig)


@pytest.mark.parametrize("value, text", [
    (0.02, "0.02"), (5.0, "5"), (20_000.0, "20,000"), (1e-5, "$10^{-5}$"),
    (3e6, "$3\\times10^{6}$"), (0.0, ""),
])
def test_log_labels_read_as_numbers(value, text):
    assert plots._log_label(value) == text


def test_check_text_overlap_on_any_figure():
    """A figure pyplot did not make is checked on request; rotated labels are not misjudged."""
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    ax.set_xticks([i / 40 for i in range(41)])
    with pytest.raises(AssertionError, match="x-axis: the tick labels"):
        plots.check_text_overlap(fig)
    ax.set_xticks([0, 0.5, 1], ["zero", "a half", "one"], rotation=45)
    plots.check_text_overlap(fig)
    with pytest.raises(TypeError, match="fig must be a Matplotlib Figure"):
        plots.check_text_overlap(ax)


def test_legend_over_data_fails_and_place_legend_avoids_it():
    import numpy as np

    fig, ax = plt.subplots()
    x = np.linspace(0, 1, 50)
    ax.plot(x, x, label="rising")
    ax.legend(loc="center")
    with pytest.raises(AssertionError, match="the legend covers the plotted data 'rising'"):
        plots.check_text_overlap(fig)
    legend = plots.place_legend(ax)
    plots.check_text_overlap(fig)
    assert legend.get_window_extent().overlaps(ax.get_window_extent())  # inside the axes
    # Data everywhere: the legend goes outside, to the right or above.
    for level in np.linspace(0, 1, 9):
        ax.axhline(level, label=f"{level:.2f}")
    for outside in ("right", "top"):
        legend = plots.place_legend(ax, outside=outside)
        plots.check_text_overlap(fig)
        box, axes_box = legend.get_window_extent(), ax.get_window_extent()
        assert box.x0 > axes_box.x1 if outside == "right" else box.y0 > axes_box.y1
    plt.close(fig)


def test_log_axis_and_place_legend_reject_bad_input():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="which must be 'x' or 'y'"):
        plots.log_axis(ax, "z")
    with pytest.raises(ValueError, match="ticks must be positive"):
        plots.log_axis(ax, "x", ticks=[0, 1])
    with pytest.raises(TypeError, match="ax must be a Matplotlib Axes"):
        plots.log_axis(fig)
    with pytest.raises(ValueError, match="place_legend chooses loc"):
        plots.place_legend(ax, loc="best")
    with pytest.raises(ValueError, match="outside must be"):
        plots.place_legend(ax, outside="left")
    plt.close(fig)


def test_legend_over_filled_areas_and_bars_fails():
    fig, (left, right) = plt.subplots(1, 2)
    left.fill_between([0, 1], [0, 0], [1, 1], label="band")
    left.legend(loc="center")
    right.bar([0, 1, 2], [3, 3, 3], label="bars")
    with pytest.raises(AssertionError, match="axes 0: the legend covers the plotted data 'band'"):
        plots.check_text_overlap(fig)
    left.get_legend().remove()
    right.legend(loc="center")
    with pytest.raises(AssertionError, match="axes 1: the legend covers the plotted data "
                                             "an unlabelled Rectangle"):
        plots.check_text_overlap(fig)
    plt.close(fig)


def test_lag_curves_draws_scores_baseline_and_threshold():
    fig, ax = plt.subplots()
    lags = [2, 10, 40]
    plots.lag_curves(ax, lags, {"a": ([0.1, 0.05, 0.16], "C0"), "b": ([0.01] * 3, "C1")},
                     baseline=(1 / 6, "no memory"), solved=(1 / 60, "solved"), log_y=True,
                     linewidth=1)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["a", "b", "no memory", "solved"]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert [line.get_linestyle() for line in ax.get_lines()[2:]] == ["--", ":"]
    plt.close(fig)
