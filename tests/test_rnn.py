"""Tests for utils.rnn: the NumPy recurrent step equals Keras' SimpleRNN."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utils import rnn


def _weights(features, units, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(features, units)), rng.normal(size=(units, units)) * 0.5,
            rng.normal(size=units))


def test_step_matches_formula():
    kernel, recurrent, bias = _weights(3, 4)
    x = np.ones((2, 3))
    h = np.full((2, 4), 0.1)
    expected = np.tanh(x @ kernel + h @ recurrent + bias)
    np.testing.assert_allclose(rnn.rnn_step(x, h, kernel, recurrent, bias), expected)
    relu = rnn.rnn_step(x, h, kernel, recurrent, bias, activation="relu")
    assert (relu >= 0).all()


def test_forward_is_the_unrolled_step():
    kernel, recurrent, bias = _weights(3, 4)
    x = np.random.default_rng(1).normal(size=(2, 5, 3))
    states = rnn.rnn_forward(x, kernel, recurrent, bias)
    assert states.shape == (2, 5, 4)
    h = np.zeros((2, 4))
    for t in range(5):
        h = rnn.rnn_step(x[:, t], h, kernel, recurrent, bias)
        np.testing.assert_allclose(states[:, t], h)


@settings(max_examples=8, deadline=None)
@given(batch=st.integers(1, 4), time=st.integers(1, 7), features=st.integers(1, 5),
       units=st.integers(1, 6), activation=st.sampled_from(["tanh", "relu"]))
def test_numpy_equals_keras_simple_rnn(batch, time, features, units, activation):
    layer = keras.layers.SimpleRNN(units, activation=activation, return_sequences=True)
    x = np.random.default_rng(batch * 100 + time).normal(size=(batch, time, features))
    x = x.astype("float32")
    layer.build((None, time, features))
    layer.cell.bias.assign(np.linspace(-0.5, 0.5, units))
    expected = np.asarray(layer(x))
    got = rnn.rnn_forward(x, *rnn.simple_rnn_weights(layer), activation=activation)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_initial_state_is_used():
    kernel, recurrent, bias = _weights(2, 3)
    x = np.zeros((1, 1, 2))
    h0 = np.full((1, 3), 0.5)
    out = rnn.rnn_forward(x, kernel, recurrent, bias, h0=h0)
    np.testing.assert_allclose(out[:, 0], np.tanh(h0 @ recurrent + bias))


def test_scaled_orthogonal_singular_values():
    w = rnn.scaled_orthogonal(8, 1.5, seed=3)
    np.testing.assert_allclose(np.linalg.svd(w, compute_uv=False), 1.5, rtol=1e-6)
    np.testing.assert_array_equal(w, rnn.scaled_orthogonal(8, 1.5, seed=3))
    assert not np.allclose(w, rnn.scaled_orthogonal(8, 1.5, seed=4))


def test_scaled_simple_rnn():
    layer = rnn.scaled_simple_rnn(6, 2, 0.5, seed=1, dtype="float64", return_sequences=True)
    kernel, recurrent, bias = rnn.simple_rnn_weights(layer)
    assert recurrent.dtype == np.float64
    np.testing.assert_allclose(np.linalg.svd(recurrent, compute_uv=False), 0.5, rtol=1e-10)
    np.testing.assert_array_equal(bias, 0)
    x = np.random.default_rng(0).normal(size=(3, 4, 2))
    np.testing.assert_allclose(np.asarray(layer(x)), rnn.rnn_forward(x, kernel, recurrent, bias),
                               atol=1e-12)


def test_bad_arguments():
    kernel, recurrent, bias = _weights(3, 4)
    with pytest.raises(ValueError, match="x must have 3 dimensions"):
        rnn.rnn_forward(np.zeros((2, 3)), kernel, recurrent, bias)
    with pytest.raises(ValueError, match="features=3"):
        rnn.rnn_forward(np.zeros((2, 5, 2)), kernel, recurrent, bias)
    with pytest.raises(ValueError, match="square"):
        rnn.rnn_forward(np.zeros((2, 5, 3)), kernel, recurrent[:, :3], bias)
    with pytest.raises(ValueError, match="bias"):
        rnn.rnn_forward(np.zeros((2, 5, 3)), kernel, recurrent, bias[:2])
    with pytest.raises(ValueError, match="h0"):
        rnn.rnn_forward(np.zeros((2, 5, 3)), kernel, recurrent, bias, h0=np.zeros((1, 4)))
    with pytest.raises(ValueError, match="activation"):
        rnn.rnn_step(np.zeros((2, 3)), np.zeros((2, 4)), kernel, recurrent, bias, "sigmoid")
    with pytest.raises(TypeError, match="real numbers"):
        rnn.rnn_step(np.array([["a"]]), np.zeros((2, 4)), kernel, recurrent, bias)
    with pytest.raises(TypeError, match="SimpleRNN"):
        rnn.simple_rnn_weights(keras.layers.GRU(3))
    with pytest.raises(ValueError, match="not built"):
        rnn.simple_rnn_weights(keras.layers.SimpleRNN(3))
    with pytest.raises(ValueError, match="units"):
        rnn.scaled_orthogonal(0)
    with pytest.raises(ValueError, match="scale"):
        rnn.scaled_orthogonal(3, -1.0)
    with pytest.raises(ValueError, match="features"):
        rnn.scaled_simple_rnn(3, 0, 1.0)


def test_backward_matches_the_tape():
    """rnn_backward, equation (bptt-weights), is what tf.GradientTape computes."""
    import tensorflow as tf

    layer = rnn.scaled_simple_rnn(5, 3, 1.0, seed=0, dtype="float64")
    x = np.random.default_rng(0).normal(size=(4, 12, 3))
    v = np.random.default_rng(1).normal(size=5)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x) @ v[:, None])
    tape_grads = tape.gradient(loss, layer.trainable_variables)
    ours = rnn.rnn_backward(x, *rnn.simple_rnn_weights(layer), np.tile(v, (4, 1)))
    for theirs, mine in zip(tape_grads, ours, strict=True):
        np.testing.assert_allclose(np.asarray(theirs), mine, atol=1e-10)
    with pytest.raises(ValueError, match="dl_dh_last"):
        rnn.rnn_backward(x, *rnn.simple_rnn_weights(layer), np.ones((4, 3)))

