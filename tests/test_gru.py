"""utils.gru: the NumPy GRU must equal Keras' GRU layer, gate values included."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from utils import gru

TOL = 2e-5


def make_layer(units, features, *, reset_after, seed=0, bias_scale=0.5, **kwargs):
    """A built GRU with random weights, non-zero biases included."""
    layer = keras.layers.GRU(units, return_sequences=True, return_state=True,
                             reset_after=reset_after, **kwargs)
    layer.build((None, None, features))
    rng = np.random.default_rng(seed)
    values = []
    for w in layer.get_weights():
        scale = bias_scale if w.ndim == 1 or w.shape[0] == 2 else 0.7
        values.append(rng.normal(scale=scale, size=w.shape).astype(w.dtype))
    layer.set_weights(values)
    return layer


def keras_run(layer, x, mask=None, initial_state=None):
    kwargs = {}
    if mask is not None:
        kwargs["mask"] = mask
    if initial_state is not None:
        kwargs["initial_state"] = initial_state.astype("float32")
    out, state = layer(x.astype("float32"), **kwargs)
    return np.asarray(out), np.asarray(state)


def make_mask(draw, batch, time):
    """Right or left padding per row, and sometimes an all-masked row."""
    mask = np.ones((batch, time), dtype=bool)
    for i in range(batch):
        length = draw(st.integers(0, time))
        if draw(st.booleans()):
            mask[i, length:] = False  # right padding
        else:
            mask[i, : time - length] = False  # left padding
    if draw(st.booleans()):
        mask[draw(st.integers(0, batch - 1))] = False  # an all-masked row
    return mask


@st.composite
def cases(draw):
    batch = draw(st.integers(1, 4))
    time = draw(st.integers(1, 12))
    features = draw(st.integers(1, 4))
    units = draw(st.integers(1, 6))
    reset_after = draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    mask = make_mask(draw, batch, time) if draw(st.booleans()) else None
    return batch, time, features, units, reset_after, seed, mask


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_forward_matches_keras(case):
    batch, time, features, units, reset_after, seed, mask = case
    layer = make_layer(units, features, reset_after=reset_after, seed=seed)
    x = np.random.default_rng(seed + 1).normal(size=(batch, time, features))
    want_h, want_state = keras_run(layer, x, mask)
    trace = gru.forward(layer, x, mask)

    for name in ("h", "z", "r", "candidate"):
        assert getattr(trace, name).shape == (batch, time, units), name
    np.testing.assert_allclose(trace.h, want_h, atol=TOL, rtol=0)
    np.testing.assert_allclose(trace.final_state, want_state, atol=TOL, rtol=0)

    valid = np.ones((batch, time), bool) if mask is None else mask
    np.testing.assert_array_equal(trace.mask, valid)
    for gate in (trace.z, trace.r):
        assert np.all((gate[valid] >= 0) & (gate[valid] <= 1))
        assert np.all(np.isnan(gate[~valid]))
    assert np.all(np.abs(trace.candidate[valid]) <= 1)
    assert np.all(np.isnan(trace.candidate[~valid]))

    # The update: h_t = z h_{t-1} + (1 - z) h~_t at every processed step.
    prev = np.concatenate([np.zeros((batch, 1, units)), trace.h[:, :-1]], axis=1)
    mixed = trace.z * prev + (1 - trace.z) * trace.candidate
    np.testing.assert_allclose(mixed[valid], trace.h[valid], atol=1e-6)


@pytest.mark.parametrize("reset_after", [True, False])
def test_known_gate_values(reset_after):
    """Biases alone set the gates: z = s(b_z + c_z), r = s(b_r + c_r), h~ = tanh(b_h + ...)."""
    layer = make_layer(2, 3, reset_after=reset_after)
    w = gru.get_weights(layer)
    zero = {g: np.zeros_like(v) for g, v in w.kernel.items()}
    zero_u = {g: np.zeros_like(v) for g, v in w.recurrent.items()}
    bias = {"z": np.array([2.0, -1.0]), "r": np.array([0.5, 0.0]), "h": np.array([0.3, -0.2])}
    rbias = {g: (np.full(2, 0.25) if reset_after else np.zeros(2)) for g in "zrh"}
    gru.set_weights(layer, gru.GRUWeights(zero, zero_u, bias, rbias, reset_after))
    trace = gru.forward(layer, np.ones((1, 3, 3)))
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    np.testing.assert_allclose(trace.z[0, 0], sig(bias["z"] + rbias["z"]), atol=1e-6)
    np.testing.assert_allclose(trace.r[0, 0], sig(bias["r"] + rbias["r"]), atol=1e-6)
    # reset_after=True: the recurrent bias of h is scaled by r; reset_after=False has none.
    cand = np.tanh(bias["h"] + sig(bias["r"] + rbias["r"]) * rbias["h"])
    np.testing.assert_allclose(trace.candidate[0, 0], cand, atol=1e-6)
    np.testing.assert_allclose(trace.h[0, 0], (1 - trace.z[0, 0]) * cand, atol=1e-6)


@pytest.mark.parametrize("reset_after", [True, False])
def test_weights_round_trip(reset_after):
    layer = make_layer(3, 2, reset_after=reset_after)
    before = [w.copy() for w in layer.get_weights()]
    w = gru.get_weights(layer)
    assert (w.features, w.units, w.reset_after) == (2, 3, reset_after)
    assert w.kernel["h"].shape == (2, 3) and w.recurrent["z"].shape == (3, 3)
    np.testing.assert_array_equal(w.kernel["r"], before[0][:, 3:6])
    np.testing.assert_array_equal(w.recurrent["h"], before[1][:, 6:])
    gru.set_weights(layer, w)
    for a, b in zip(before, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("reset_after", [True, False])
def test_go_backwards_initial_state_and_no_bias(reset_after):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 7, 2))
    mask = np.ones((3, 7), bool)
    mask[0, 5:] = False
    mask[1, :2] = False
    h0 = rng.normal(size=(3, 4))
    for kwargs in ({"go_backwards": True}, {"use_bias": False}, {}):
        layer = make_layer(4, 2, reset_after=reset_after, **kwargs)
        want_h, want_state = keras_run(layer, x, mask, initial_state=h0)
        trace = gru.forward(layer, x, mask, initial_state=h0)
        np.testing.assert_allclose(trace.h, want_h, atol=TOL, rtol=0)
        np.testing.assert_allclose(trace.final_state, want_state, atol=TOL, rtol=0)


def test_float64_layer_and_long_sequence():
    layer = make_layer(8, 3, reset_after=True, dtype="float64")
    x = np.random.default_rng(0).normal(size=(2, 300, 3))
    out, _ = layer(x)
    trace = gru.forward(layer, x)
    assert trace.h.dtype == np.float64
    np.testing.assert_allclose(trace.h, np.asarray(out), atol=1e-10, rtol=0)


def test_bad_arguments():
    layer = make_layer(2, 3, reset_after=True)
    x = np.zeros((2, 4, 3))
    with pytest.raises(TypeError, match="layer must be a keras.layers.GRU"):
        gru.forward(keras.layers.LSTM(2), x)
    with pytest.raises(ValueError, match="must be built"):
        gru.forward(keras.layers.GRU(2), x)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, time, features\)"):
        gru.forward(layer, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="x has 5 features"):
        gru.forward(layer, np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match="mask must have shape"):
        gru.forward(layer, x, np.ones((2, 5), bool))
    with pytest.raises(ValueError, match="mask must be boolean"):
        gru.forward(layer, x, np.full((2, 4), 2))
    with pytest.raises(ValueError, match="initial_state must have shape"):
        gru.forward(layer, x, initial_state=np.zeros((2, 3)))
    soft = keras.layers.GRU(2, activation="softplus")
    soft.build((None, None, 3))
    with pytest.raises(ValueError, match="activation .softplus. is not supported"):
        gru.forward(soft, x)
    other = make_layer(2, 3, reset_after=False)
    with pytest.raises(ValueError, match="reset_after"):
        gru.set_weights(other, gru.get_weights(layer))
    with pytest.raises(ValueError, match="features"):
        gru.set_weights(make_layer(3, 3, reset_after=True), gru.get_weights(layer))
    with pytest.raises(TypeError, match="GRUWeights"):
        gru.set_weights(layer, layer.get_weights())


def test_fixed_update_intervention():
    layer = make_layer(4, 3, reset_after=True)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 7, 3)).astype("float32")
    free = gru.forward(layer, x)
    # z = 0 everywhere: the state is the candidate; z = 1: the state never leaves zero.
    fixed = np.array([0.2, 0.4, 0.6, 0.8])
    trace = gru.forward(layer, x, fixed_update=fixed)
    np.testing.assert_allclose(trace.z, np.broadcast_to(fixed, trace.z.shape))
    assert not np.allclose(trace.h, free.h)
    zero = gru.forward(layer, x, fixed_update=np.zeros(4))
    np.testing.assert_allclose(zero.h, zero.candidate, atol=1e-6)
    one = gru.forward(layer, x, fixed_update=np.ones(4))
    np.testing.assert_allclose(one.h, 0.0)
    with pytest.raises(ValueError, match=r"fixed_update must have shape \(units,\) = \(4,\)"):
        gru.forward(layer, x, fixed_update=np.ones(3))


def test_sigmoid_is_the_logistic_function():
    a = np.array([-50.0, -1.0, 0.0, 2.0, 50.0])
    np.testing.assert_allclose(gru.sigmoid(a), 1.0 / (1.0 + np.exp(-a)), rtol=1e-12, atol=1e-15)


def test_split_gates_in_keras_order_as_float64_copies():
    a = np.arange(12, dtype=np.float32).reshape(2, 6)
    parts = gru.split_gates(a, 2)
    assert list(parts) == ["z", "r", "h"]
    np.testing.assert_array_equal(parts["r"], a[:, 2:4])
    assert parts["h"].dtype == np.float64
    parts["z"][0, 0] = 99.0
    assert a[0, 0] == 0.0  # a copy
    with pytest.raises(ValueError, match="3 \\* units"):
        gru.split_gates(a, 3)


def test_step_jacobian_matches_autodiff():
    """step_jacobian, equations (gru-jacobian) and (gru-cand-jacobian), against the tape."""
    import tensorflow as tf

    layer = keras.layers.GRU(4, dtype="float64")
    layer.build((None, None, 3))
    rng = np.random.default_rng(5)
    layer.set_weights([rng.normal(scale=0.8, size=w.shape) for w in layer.get_weights()])
    x = rng.normal(size=(6, 1, 3))
    h_prev = tf.Variable(np.tanh(rng.normal(size=(6, 4))))
    with tf.GradientTape() as tape:
        h_next = layer(x, initial_state=h_prev)
    autodiff = tape.batch_jacobian(h_next, h_prev).numpy()
    ours = gru.step_jacobian(gru.get_weights(layer), x[:, 0], h_prev.numpy())
    np.testing.assert_allclose(ours, autodiff, atol=1e-10)
    assert np.abs(autodiff).max() > 0.1
    old = keras.layers.GRU(4, reset_after=False)
    old.build((None, None, 3))
    with pytest.raises(ValueError, match="reset_after"):
        gru.step_jacobian(gru.get_weights(old), x[:, 0], h_prev.numpy())
