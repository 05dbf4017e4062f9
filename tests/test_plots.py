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
