"""Tests for utils.tasks: reproducible generators, documented baselines, the training helpers."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utils import tasks

TINY = tasks.Budget(units=4, n_train=64, n_test=32, epochs=1, batch_size=32)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 20), lag=st.integers(0, 12), k=st.integers(2, 6),
       window=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_marked_symbol(n, lag, k, window, seed):
    x, y = tasks.marked_symbol(n, lag, k, window, seed)
    assert x.shape == (n, lag + window, k + 1) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    np.testing.assert_array_equal(x[..., :k].sum(-1), 1)  # one symbol per step
    marker = x[..., k]
    np.testing.assert_array_equal(marker.sum(1), 1)  # exactly one mark...
    assert not marker[:, window:].any()  # ...among the first `window` steps
    where = marker.argmax(1)
    np.testing.assert_array_equal(y, x[np.arange(n), where, :k].argmax(-1))
    x2, y2 = tasks.marked_symbol(n, lag, k, window, seed)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 20), lag=st.integers(0, 12), window=st.integers(2, 6),
       seed=st.integers(0, 2**16))
def test_adding_problem(n, lag, window, seed):
    x, y = tasks.adding_problem(n, lag, window, seed)
    assert x.shape == (n, lag + window, 2) and x.dtype == y.dtype == np.float32
    values, marker = x[..., 0], x[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    np.testing.assert_array_equal(marker.sum(1), 2)
    assert not marker[:, window:].any()
    np.testing.assert_allclose(y, (values * marker).sum(1), rtol=1e-6)
    np.testing.assert_array_equal(x, tasks.adding_problem(n, lag, window, seed)[0])


def test_seeds_differ():
    assert not np.array_equal(tasks.marked_symbol(50, 3, seed=1)[0],
                              tasks.marked_symbol(50, 3, seed=2)[0])
    assert not np.array_equal(tasks.adding_problem(50, 3, seed=1)[1],
                              tasks.adding_problem(50, 3, seed=2)[1])


def test_documented_baselines_hold_empirically():
    symbol = tasks.get_task("marked_symbol")
    _, y = symbol.generate(40_000, 3, 0)
    counts = np.bincount(y, minlength=symbol.num_outputs) / len(y)
    # The best memoryless prediction is the class frequencies: accuracy 1/K, loss ln K.
    assert symbol.baseline_accuracy == 0.25 and symbol.baseline_loss == pytest.approx(math.log(4))
    np.testing.assert_allclose(counts, 0.25, atol=0.01)
    adding = tasks.get_task("adding")
    _, y = adding.generate(40_000, 3, 0)
    assert adding.baseline_loss == pytest.approx(1 / 6)
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, rel=0.03)
    assert np.mean(y) == pytest.approx(1.0, abs=0.01)


def test_baseline_margin_is_two_standard_errors_of_the_no_memory_score():
    adding, symbol = tasks.get_task("adding"), tasks.get_task("marked_symbol")
    # The documented standard deviation of the no-memory squared error, measured.
    _, y = adding.generate(200_000, 3, 1)
    assert np.std((y - 1.0) ** 2) == pytest.approx(adding.baseline_sd, rel=0.01)
    assert adding.baseline_sd == pytest.approx(math.sqrt(7 / 180))
    assert adding.baseline_margin(1024) == pytest.approx(2 * math.sqrt(7 / 180 / 1024))
    assert symbol.baseline_margin(400) == pytest.approx(2 * math.sqrt(0.25 * 0.75 / 400))
    margin = adding.baseline_margin(1024)
    assert adding.at_baseline(1 / 6 - 0.9 * margin, None, 1024)
    assert adding.at_baseline(0.3, None, 1024)  # worse than the baseline: nothing learned
    assert adding.at_baseline(float("nan"), None, 1024)
    assert not adding.at_baseline(1 / 6 - 1.1 * margin, None, 1024)
    assert symbol.at_baseline(1.0, 0.25 + 0.9 * symbol.baseline_margin(400), 400)
    assert not symbol.at_baseline(1.0, 0.25 + 1.1 * symbol.baseline_margin(400), 400)
    with pytest.raises(ValueError, match="accuracy"):
        symbol.at_baseline(1.0, None, 400)
    with pytest.raises(ValueError, match="n_test"):
        adding.baseline_margin(0)
    custom = tasks.Task("sum", "regression", 2, 1, 1 / 6, None,
                        generate=adding.generate, length=adding.length)
    with pytest.raises(ValueError, match="baseline_sd"):
        custom.baseline_margin(100)


def test_baseline_from_needs_an_unbroken_run_to_the_longest_lag():
    def curve(at_baseline):
        at = np.array(at_baseline, dtype=bool)
        lags = np.array([2, 5, 10, 20])[: at.shape[1]]
        zeros = np.zeros(at.shape)
        return tasks.LagCurve("adding", lags, np.arange(at.shape[0]), zeros, zeros,
                              zeros.astype(bool), 1 / 6, None, (), at)

    assert curve([[False, True, False, True]]).baseline_from() == 20
    assert curve([[False, False, True, True]]).baseline_from() == 10
    assert curve([[True, True, True, True]]).baseline_from() == 2
    assert curve([[False, True, True, False]]).baseline_from() is None
    assert curve([[False, True, True], [False, False, True]]).baseline_from() == 10
    unknown = tasks.LagCurve("sum", np.array([2]), np.array([0]), np.zeros((1, 1)),
                             np.zeros((1, 1)), np.zeros((1, 1), bool), 1 / 6, None, ())
    with pytest.raises(ValueError, match="baseline"):
        unknown.baseline_from()


def test_solved_criterion():
    symbol, adding = tasks.get_task("marked_symbol"), tasks.get_task("adding")
    assert symbol.solve_accuracy == pytest.approx(0.925)
    assert symbol.solved(0.3, 0.93) and not symbol.solved(0.3, 0.92)
    assert adding.solve_accuracy is None
    assert adding.solved(0.016) and not adding.solved(0.017)
    with pytest.raises(ValueError, match="accuracy"):
        symbol.solved(0.1)


def test_train_on_task_runs_and_is_reproducible():
    a = tasks.train_on_task(keras.layers.SimpleRNN, "adding", lag=2, budget=TINY, seed=3)
    b = tasks.train_on_task(keras.layers.SimpleRNN, "adding", lag=2, budget=TINY, seed=3)
    assert a.task == "adding" and a.lag == 2 and a.seed == 3
    assert np.isfinite(a.loss) and len(a.history) == TINY.epochs
    assert a.loss == pytest.approx(b.loss, rel=1e-5)
    assert a.accuracy is None and a.baseline_accuracy is None
    assert a.baseline_loss == tasks.get_task("adding").baseline_loss
    # The run is judged against the baseline, and its trained model is kept.
    assert a.at_baseline == tasks.get_task("adding").at_baseline(a.loss, None, TINY.n_test)
    x, _ = tasks.adding_problem(3, 2)
    assert a.model.predict(x, verbose=0).shape == (3, 1)


def test_train_on_task_learns_a_short_lag_and_accepts_custom_tasks():
    # "Remember the first symbol" (window=1) after one distractor: learnable in seconds.
    task = tasks.Task(
        name="first_symbol", kind="classification", num_features=3, num_outputs=2,
        baseline_loss=math.log(2), baseline_accuracy=0.5,
        generate=lambda n, lag, seed: tasks.marked_symbol(n, lag, 2, window=1, seed=seed),
        length=lambda lag: lag + 1,
    )
    budget = tasks.Budget(units=8, n_train=512, n_test=256, epochs=5, batch_size=32)
    result = tasks.train_on_task(keras.layers.GRU, task, lag=1, budget=budget)
    assert result.task == "first_symbol"
    assert result.accuracy > 0.95 and result.solved, result
    assert result.at_baseline is False  # judged by accuracy, no baseline_sd needed
    assert result.loss < 0.5 * task.baseline_loss


def test_evaluate_lags_collects_runs_seed_major(monkeypatch):
    calls = []

    def fake_train(make_layer, task, lag, budget, seed):
        calls.append((lag, seed))
        return tasks.TaskResult(task.name, lag, seed, loss=lag + 100 * seed, accuracy=0.5,
                                baseline_loss=task.baseline_loss,
                                baseline_accuracy=task.baseline_accuracy,
                                solved=lag < 5, history=(1.0,), seconds=0.5)

    monkeypatch.setattr(tasks, "train_on_task", fake_train)
    curve = tasks.evaluate_lags(keras.layers.GRU, "marked_symbol", lags=[2, 5, 10],
                                budget=TINY, seeds=[0, 1])
    assert calls == [(2, 0), (5, 0), (10, 0), (2, 1), (5, 1), (10, 1)]
    assert curve.loss.shape == curve.accuracy.shape == curve.solved.shape == (2, 3)
    np.testing.assert_array_equal(curve.loss, [[2, 5, 10], [102, 105, 110]])
    np.testing.assert_array_equal(curve.lags, [2, 5, 10])
    np.testing.assert_array_equal(curve.seeds, [0, 1])
    assert curve.longest_solved_lag() == 2
    assert curve.seconds == pytest.approx(3.0)
    assert curve.baseline_accuracy == 0.25 and curve.task == "marked_symbol"


def test_evaluate_lags_trains_for_real():
    curve = tasks.evaluate_lags(lambda units: keras.layers.LSTM(units), "marked_symbol",
                                lags=[1], budget=TINY)
    assert curve.loss.shape == (1, 1) and np.isfinite(curve.loss).all()
    assert curve.at_baseline.shape == (1, 1)
    assert np.isnan(curve.accuracy).sum() == 0 and len(curve.runs) == 1


def test_default_budget_is_smaller_in_quick_mode(monkeypatch):
    monkeypatch.setenv("GRU_BOOK_QUICK", "1")
    quick = tasks.default_budget()
    monkeypatch.setenv("GRU_BOOK_QUICK", "0")
    full = tasks.default_budget()
    assert quick.n_train * quick.epochs < full.n_train * full.epochs
    assert quick.units == full.units


def test_budget_clipnorm_clips_each_tensor_separately():
    """As the Budget docstring says: Keras' clipnorm is per tensor, not the global norm."""
    model = tasks.build_model(keras.layers.SimpleRNN, "adding", 2, TINY)
    optimizer = model.optimizer
    assert optimizer.clipnorm == TINY.clipnorm and optimizer.global_clipnorm is None
    grads = [keras.ops.convert_to_tensor(np.full(4, 3.0)),  # norm 6: clipped to 1
             keras.ops.convert_to_tensor(np.full(1, 0.5))]  # norm 0.5: kept
    clipped = [np.asarray(g) for g in optimizer._clip_gradients(grads)]
    np.testing.assert_allclose(np.linalg.norm(clipped[0]), TINY.clipnorm, rtol=1e-6)
    np.testing.assert_allclose(clipped[1], [0.5], rtol=1e-6)  # a global clip would shrink it


def test_bad_arguments():
    with pytest.raises(ValueError, match="lag"):
        tasks.marked_symbol(3, -1)
    with pytest.raises(ValueError, match="n must"):
        tasks.adding_problem(0, 3)
    with pytest.raises(ValueError, match="window"):
        tasks.adding_problem(3, 3, window=1)
    with pytest.raises(ValueError, match="num_symbols"):
        tasks.marked_symbol(3, 3, num_symbols=1)
    with pytest.raises(ValueError, match="task must be"):
        tasks.get_task("copy")
    with pytest.raises(ValueError, match="units"):
        tasks.Budget(units=0)
    with pytest.raises(ValueError, match="learning_rate"):
        tasks.Budget(learning_rate=-1.0)
    with pytest.raises(ValueError, match="clipnorm"):
        tasks.Budget(clipnorm=0.0)
    with pytest.raises(TypeError, match="not a layer instance"):
        tasks.train_on_task(keras.layers.GRU(4), "adding", 2, TINY)
    with pytest.raises(TypeError, match="recurrent layer"):
        tasks.train_on_task(keras.layers.Dense, "adding", 2, TINY)
    with pytest.raises(ValueError, match="return_sequences"):
        tasks.train_on_task(lambda u: keras.layers.GRU(u, return_sequences=True), "adding", 2,
                            TINY)
    with pytest.raises(TypeError, match="budget"):
        tasks.train_on_task(keras.layers.GRU, "adding", 2, budget={"units": 3})
    with pytest.raises(ValueError, match="increasing"):
        tasks.evaluate_lags(keras.layers.GRU, "adding", [5, 2], TINY)
    with pytest.raises(ValueError, match="seeds"):
        tasks.evaluate_lags(keras.layers.GRU, "adding", [2], TINY, seeds=[1, 1])


def test_longest_solved_lag_counts_an_unbroken_run():
    def curve(solved):
        solved = np.array(solved, dtype=bool)
        return tasks.LagCurve("adding", np.array([2, 5, 10, 20])[: solved.shape[1]],
                              np.arange(solved.shape[0]), np.zeros(solved.shape),
                              np.zeros(solved.shape), solved, 1 / 6, None, ())

    assert curve([[True, True, False, True]]).longest_solved_lag() == 5
    assert curve([[True, True, True, True]]).longest_solved_lag() == 20
    assert curve([[False, True, True, True]]).longest_solved_lag() is None
    assert curve([[True, True, True], [True, False, True]]).longest_solved_lag() == 2
