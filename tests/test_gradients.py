"""Tests for utils.gradients: Jacobians through time against finite differences and theory."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from utils import gradients, rnn


def _run_cell(layer, x, states):
    """Run ``layer``'s cell over ``x`` (batch, time, features) from ``states``; return h."""
    states = [tf.constant(s) for s in states]
    for t in range(x.shape[1]):
        _, states = layer.cell(tf.constant(x[:, t]), states, training=False)
        states = list(states) if isinstance(states, (list, tuple)) else [states]
    return np.asarray(states[0])


def _states_at(layer, x, t):
    """The states (h and, for an LSTM, c) after the first ``t`` steps."""
    states = [np.asarray(s) for s in layer.get_initial_state(x.shape[0])]
    if t == 0:
        return states
    st = [tf.constant(s) for s in states]
    for i in range(t):
        _, st = layer.cell(tf.constant(x[:, i]), st, training=False)
        st = list(st) if isinstance(st, (list, tuple)) else [st]
    return [np.asarray(s) for s in st]


def _finite_difference_jacobians(layer, x, eps=1e-6):
    batch, time, _ = x.shape
    units = int(np.atleast_1d(layer.cell.state_size)[0])
    jac = np.zeros((batch, time, units, units))
    for k in range(time):
        t = time - k  # h_t is the state after t steps
        base = _states_at(layer, x, t)
        for j in range(units):
            plus = [s.copy() for s in base]
            minus = [s.copy() for s in base]
            plus[0][:, j] += eps
            minus[0][:, j] -= eps
            rest = x[:, t:]
            h_plus = _run_cell(layer, rest, plus) if k else plus[0]
            h_minus = _run_cell(layer, rest, minus) if k else minus[0]
            jac[:, k, :, j] = (h_plus - h_minus) / (2 * eps)
    return jac


@pytest.mark.parametrize("make", [
    lambda: rnn.scaled_simple_rnn(3, 2, 1.2, seed=0, dtype="float64"),
    lambda: keras.layers.GRU(3, dtype="float64", reset_after=True),
    lambda: keras.layers.GRU(3, dtype="float64", reset_after=False),
    lambda: keras.layers.LSTM(3, dtype="float64"),
], ids=["simple_rnn", "gru_reset_after", "gru_reset_before", "lstm"])
def test_jacobians_match_finite_differences(make):
    keras.utils.set_random_seed(0)
    layer = make()
    x = np.random.default_rng(0).normal(size=(2, 4, 2))
    layer.build((None, None, 2))
    jac = gradients.state_jacobians(layer, x)
    assert jac.shape == (2, 4, 3, 3)
    np.testing.assert_allclose(jac[:, 0], np.broadcast_to(np.eye(3), (2, 3, 3)))
    np.testing.assert_allclose(jac, _finite_difference_jacobians(layer, x), atol=1e-7)


def test_linear_rnn_jacobian_is_a_matrix_power():
    layer = rnn.scaled_simple_rnn(4, 1, 0.8, seed=2, activation="linear", dtype="float64")
    w = layer.cell.recurrent_kernel.numpy()
    jac = gradients.state_jacobians(layer, np.ones((1, 6, 1)))
    for k in range(6):
        np.testing.assert_allclose(jac[0, k], np.linalg.matrix_power(w.T, k), atol=1e-12)
    norms = gradients.gradient_norms_through_time(layer, np.ones((1, 6, 1)))
    np.testing.assert_allclose(norms.state[0], 0.8 ** np.arange(6), rtol=1e-10)
    assert norms.decay_per_step() == pytest.approx(0.8, rel=1e-9)


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_tanh_rnn_never_beats_the_bound(scale):
    layer = rnn.scaled_simple_rnn(8, 3, scale, seed=1, dtype="float64")
    x = np.random.default_rng(1).normal(size=(4, 12, 3))
    norms = gradients.gradient_norms_through_time(layer, x)
    bound = gradients.per_step_bound(layer.cell.recurrent_kernel.numpy())
    assert bound == pytest.approx(scale)
    assert np.all(norms.state <= bound ** norms.lags * (1 + 1e-9))
    # The loss gradient is the state Jacobian applied to one unit vector: never larger.
    assert np.all(norms.loss <= norms.state * (1 + 1e-9))
    np.testing.assert_allclose(norms.loss[:, 0], 1.0)


def test_custom_loss_gradient_matches_the_tape():
    layer = keras.layers.GRU(5, dtype="float64")
    x = np.random.default_rng(3).normal(size=(3, 7, 2))
    target = tf.constant(np.linspace(-1, 1, 5))

    def loss_fn(h):
        return tf.reduce_sum((h - target) ** 2, axis=-1)

    norms = gradients.gradient_norms_through_time(layer, x, loss_fn=loss_fn)
    # Lag time-1 is h_1: compare with a direct tape through the layer's first step.
    h = tf.constant(np.asarray(layer(x)))
    np.testing.assert_allclose(norms.loss[:, 0], np.linalg.norm(2 * (h - target), axis=-1))
    assert norms.state.shape == norms.loss.shape == (3, 7)
    assert np.all(norms.loss <= norms.loss[:, :1] * norms.state * (1 + 1e-9))


def test_layer_with_return_sequences_and_integer_inputs():
    layer = keras.layers.SimpleRNN(4, return_sequences=True)
    norms = gradients.gradient_norms_through_time(
        layer, np.ones((2, 3, 1), dtype=int), loss_fn=lambda h: tf.reduce_sum(h, axis=-1))
    assert norms.state.shape == (2, 3)


def test_fit_decay_and_geometric_mean():
    lags = np.arange(10)
    assert gradients.fit_decay_per_step(lags, 3 * 0.7 ** lags) == pytest.approx(0.7)
    # zeros (underflow) are skipped by the fit
    norms = 1.5 ** lags
    norms[-1] = 0
    assert gradients.fit_decay_per_step(lags, norms) == pytest.approx(1.5)
    np.testing.assert_allclose(gradients.geometric_mean([[1, 100], [100, 1]]), [10, 10])
    assert gradients.geometric_mean([0.0, 4.0]) == 0


def test_bad_arguments():
    with pytest.raises(TypeError, match="recurrent layer"):
        gradients.state_jacobians(keras.layers.Dense(3), np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match=r"\(batch, time, features\)"):
        gradients.state_jacobians(keras.layers.GRU(2), np.zeros((2, 3)))
    with pytest.raises(TypeError, match="real numbers"):
        gradients.state_jacobians(keras.layers.GRU(2), np.array([[["a"]]]))
    with pytest.raises(TypeError, match="loss_fn"):
        gradients.gradient_norms_through_time(keras.layers.GRU(2), np.zeros((1, 2, 1)), 3)
    with pytest.raises(ValueError, match="per-sample"):
        gradients.gradient_norms_through_time(keras.layers.GRU(2), np.zeros((2, 2, 1)),
                                              loss_fn=tf.reduce_sum)
    with pytest.raises(ValueError, match="square"):
        gradients.per_step_bound(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="at least two"):
        gradients.fit_decay_per_step([0, 1], [1.0, 0.5])
    with pytest.raises(ValueError, match="1-D"):
        gradients.fit_decay_per_step([0, 1, 2], [1.0, 0.5])
    with pytest.raises(ValueError, match="which"):
        norms = gradients.GradientNorms(np.arange(3), np.ones((1, 3)), np.ones((1, 3)))
        norms.decay_per_step("bogus")
    with pytest.raises(ValueError, match="non-negative"):
        gradients.geometric_mean([-1.0])


def test_line_factor_is_one_for_a_geometric_decay():
    lags = np.arange(6)
    exact = gradients.GradientNorms(lags, np.tile(0.5 ** lags, (2, 1)), np.ones((2, 6)))
    assert exact.line_factor() == pytest.approx(1.0)
    bumped = 0.5 ** lags * np.array([1, 1, 1, 4, 1, 1])
    assert gradients.GradientNorms(lags, bumped[None], np.ones((1, 6))).line_factor() > 2
