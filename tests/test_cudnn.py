"""Tests of utils.cudnn: which layers and masks Keras 3 would hand to cuDNN, checked on a CPU
against the layer's arguments and against Keras' own decision."""

from __future__ import annotations

import importlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from utils import cudnn

# Keras' TensorFlow RNN module (its package re-exports a function of the same name).
tf_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")

# Each argument that takes a layer off cuDNN, flipped one at a time from Keras' defaults.
GRU_FLIPS = {
    "use_cudnn": (False, "use_cudnn=False"),
    "recurrent_dropout": (0.2, "recurrent_dropout=0.2, not 0"),
    "activation": ("relu", "activation is relu, not tanh"),
    "recurrent_activation": ("hard_sigmoid", "recurrent_activation is hard_sigmoid, not sigmoid"),
    "unroll": (True, "unroll=True"),
    "use_bias": (False, "use_bias=False"),
    "reset_after": (False, "reset_after=False"),
}
LSTM_FLIPS = {k: v for k, v in GRU_FLIPS.items() if k != "reset_after"}
# What does not matter: dropout on the inputs, direction, state, outputs.
HARMLESS = {"dropout": 0.3, "go_backwards": True, "stateful": False, "return_sequences": True,
            "return_state": True, "use_cudnn": True, "activation": keras.ops.tanh,
            "recurrent_activation": tf.sigmoid}


def test_defaults_are_eligible():
    for layer in (keras.layers.GRU(4), keras.layers.LSTM(4),
                  keras.layers.Bidirectional(keras.layers.GRU(4))):
        assert cudnn.cudnn_eligibility(layer) == (True, [])


@pytest.mark.parametrize("kind, flips", [(keras.layers.GRU, GRU_FLIPS),
                                         (keras.layers.LSTM, LSTM_FLIPS)])
def test_each_condition_flipped_alone(kind, flips):
    for arg, (value, reason) in flips.items():
        assert cudnn.cudnn_eligibility(kind(4, **{arg: value})) == (False, [reason]), arg
    for arg, value in HARMLESS.items():
        assert cudnn.cudnn_eligibility(kind(4, **{arg: value})) == (True, []), arg


def test_a_lambda_computing_tanh_does_not_count():
    ok, reasons = cudnn.cudnn_eligibility(keras.layers.GRU(4, activation=lambda x: tf.tanh(x)))
    assert not ok and reasons == ["activation is <lambda>, not tanh"]


def test_all_reasons_listed_and_bidirectional():
    layer = keras.layers.GRU(4, unroll=True, reset_after=False, recurrent_dropout=0.1)
    ok, reasons = cudnn.cudnn_eligibility(keras.layers.Bidirectional(layer))
    assert not ok
    assert reasons == ["recurrent_dropout=0.1, not 0", "unroll=True", "reset_after=False"]


@pytest.mark.parametrize("bad", [keras.layers.SimpleRNN(4), keras.layers.Dense(2), "GRU", None])
def test_other_layers_are_refused(bad):
    with pytest.raises(TypeError, match="GRU or LSTM"):
        cudnn.cudnn_eligibility(bad)


def _all_variants(kind, flips):
    yield kind(3)
    for arg, (value, _) in flips.items():
        yield kind(3, **{arg: value})
    yield kind(3, **{arg: value for arg, (value, _) in flips.items()})


def _keras_tries_cudnn(layer, monkeypatch) -> bool:
    """Keras' own decision: pretend a GPU is visible, replace the cuDNN call by a spy (which
    then declines, so the generic kernel runs on this CPU) and call the layer."""
    calls = []

    def spy(*args, **kwargs):
        calls.append(1)
        raise NotImplementedError

    monkeypatch.setattr(tf_rnn, "_is_gpu_available", lambda: True)
    monkeypatch.setattr(tf_rnn, "_cudnn_gru", spy)
    monkeypatch.setattr(tf_rnn, "_cudnn_lstm", spy)
    layer(np.zeros((2, 5, 3), "float32"))
    return bool(calls)


@pytest.mark.parametrize("kind, flips", [(keras.layers.GRU, GRU_FLIPS),
                                         (keras.layers.LSTM, LSTM_FLIPS)])
def test_agrees_with_keras_own_decision(kind, flips, monkeypatch):
    for layer in _all_variants(kind, flips):
        ok, _ = cudnn.cudnn_eligibility(layer)
        assert ok == _keras_tries_cudnn(layer, monkeypatch), layer.get_config()


@pytest.mark.parametrize("kind, flips", [(keras.layers.GRU, GRU_FLIPS),
                                         (keras.layers.LSTM, LSTM_FLIPS)])
def test_agrees_with_keras_private_argument_check(kind, flips):
    for layer in _all_variants(kind, flips):
        cell = layer.cell
        if kind is keras.layers.GRU:
            args_ok = tf_rnn._do_gru_arguments_support_cudnn(
                cell.activation, cell.recurrent_activation, layer.unroll, cell.use_bias,
                cell.reset_after)
        else:
            args_ok = tf_rnn._do_lstm_arguments_support_cudnn(
                cell.activation, cell.recurrent_activation, layer.unroll, cell.use_bias)
        keras_ok = (args_ok and layer.use_cudnn in ("auto", True)
                    and not layer.recurrent_dropout)
        assert cudnn.cudnn_eligibility(layer)[0] == keras_ok


MASKS = {
    "right-padded": [[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]],
    "left-padded": [[0, 1, 1, 1], [1, 1, 1, 1], [0, 0, 1, 1]],
    "hole": [[1, 0, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]],
    "empty row": [[1, 1, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]],
}


def test_mask_eligibility_reasons():
    masks = {k: np.array(v, bool) for k, v in MASKS.items()}
    assert cudnn.mask_eligibility(masks["right-padded"]) == (True, [])
    assert cudnn.mask_eligibility(masks["left-padded"]) == (
        False, ["2 of 3 rows not right-padded (first: row 0)"])
    assert cudnn.mask_eligibility(masks["hole"]) == (
        False, ["1 of 3 rows not right-padded (first: row 0)"])
    assert cudnn.mask_eligibility(masks["empty row"]) == (
        False, ["1 of 3 rows entirely masked (first: row 1)"])
    ids = np.array([[5, 7, 0], [3, 0, 0]])
    assert cudnn.mask_eligibility(ids != 0)[0]
    assert cudnn.mask_eligibility(tf.constant(masks["right-padded"]))[0]


def test_mask_eligibility_agrees_with_keras_assertion():
    for name, rows in MASKS.items():
        mask = tf.constant(np.array(rows, bool))
        keras_ok = bool(tf_rnn._is_sequence_right_padded(mask)) and not bool(
            tf_rnn._has_fully_masked_sequence(mask))
        assert cudnn.mask_eligibility(mask)[0] == keras_ok, name


def test_mask_eligibility_bad_input():
    with pytest.raises(TypeError, match="boolean"):
        cudnn.mask_eligibility(np.ones((2, 3), int))
    with pytest.raises(ValueError, match="2-D"):
        cudnn.mask_eligibility(np.ones(3, bool))


def test_keras_asserts_right_padding_eagerly_and_when_compiled():
    """What the chapter says of a left-padded mask on a GPU: Keras' check before cuDNN fails
    (eagerly; and inside a compiled function, when it runs, not when it is traced)."""
    good = tf.constant(np.array(MASKS["right-padded"], bool))
    left = tf.constant(np.array(MASKS["left-padded"], bool))
    tf_rnn._assert_valid_mask(good)
    with pytest.raises(tf.errors.InvalidArgumentError, match="right-padded"):
        tf_rnn._assert_valid_mask(left)

    @tf.function
    def compiled(mask):
        tf_rnn._assert_valid_mask(mask)
        return tf.reduce_sum(tf.cast(mask, tf.int32))

    assert int(compiled(good)) == 9
    compiled.get_concrete_function(left)  # tracing passes: the check is an op
    with pytest.raises(tf.errors.InvalidArgumentError, match="right-padded"):
        compiled(left)


def test_eager_layer_falls_back_on_a_left_padded_mask(monkeypatch):
    """With a (pretended) GPU, an eager GRU reaches cuDNN past the mask check only for a
    right-padded mask; a left-padded one fails the check and runs the generic kernel."""
    reached = []

    def spy(inputs, initial_state, kernel, recurrent_kernel, bias, mask, *args):
        if mask is not None:
            tf_rnn._assert_valid_mask(mask)  # what the real _cudnn_gru does first
        reached.append(1)
        raise NotImplementedError

    monkeypatch.setattr(tf_rnn, "_is_gpu_available", lambda: True)
    monkeypatch.setattr(tf_rnn, "_cudnn_gru", spy)
    layer = keras.layers.GRU(2)
    x = np.ones((3, 4, 2), "float32")
    for name, expected in (("right-padded", [1]), ("left-padded", [])):
        reached.clear()
        out = layer(x, mask=np.array(MASKS[name], bool))
        assert reached == expected, name
        assert out.shape == (3, 2)


def test_eligibility_table_says_why_not():
    md = cudnn.eligibility_table({"a": (True, []), "b": (False, ["unroll=True", "x"])})
    assert md.splitlines()[0] == "| layer | cuDNN on a GPU | why not |"
    assert "| a | yes | – |" in md and "| b | no | unroll=True; x |" in md
