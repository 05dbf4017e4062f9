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
