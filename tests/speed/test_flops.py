"""Tests of utils.speed.flops: FLOP counts from the equations and the matrix-product peak."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from utils.speed import flops
from utils.speed import throughput as tp


def test_step_flops_of_the_seed_gru_by_hand():
    # x W: 2*32*96, h U: 2*32*96, element-wise 17*32 (reset_after=True).
    assert flops.step_flops("gru", 32, 32) == 6144 + 6144 + 17 * 32
    # reset_after=False: the same products, one bias vector fewer (14 per unit).
    assert flops.step_flops("gru", 32, 32, reset_after=False) == 6144 + 6144 + 14 * 32
    assert flops.step_flops("lstm", 128, 64) == 2 * 128 * 256 + 2 * 64 * 256 + 17 * 64
    assert flops.step_flops("simple_rnn", 10, 5) == 2 * 10 * 5 + 2 * 5 * 5 + 3 * 5


@given(kind=st.sampled_from(["gru", "lstm", "simple_rnn"]),
       d=st.integers(1, 512), u=st.integers(1, 512))
def test_step_flops_are_dominated_by_the_products_and_grow_with_size(kind, d, u):
    gates = {"gru": 3, "lstm": 4, "simple_rnn": 1}[kind]
    n = flops.step_flops(kind, d, u)
    products = 2 * (d + u) * gates * u
    assert products < n <= products + 17 * u
    assert flops.step_flops(kind, d + 1, u) > n
    assert flops.step_flops(kind, d, u + 1) > n


@pytest.mark.parametrize("bad", [
    dict(kind="rnn", input_dim=3, units=4),
    dict(kind="gru", input_dim=0, units=4),
    dict(kind="gru", input_dim=3, units=-1),
    dict(kind="gru", input_dim=3.0, units=4),
])
def test_step_flops_rejects_bad_arguments(bad):
    with pytest.raises(ValueError):
        flops.step_flops(**bad)
    with pytest.raises(TypeError, match="reset_after"):
        flops.step_flops("gru", 3, 4, reset_after=1)


def test_model_step_flops_matches_the_keras_weights():
    import keras

    model = tp.seed_model(num_words=50, embedding_dim=6, units=5)
    cell = model.get_layer("rnn_1").cell
    # Two FLOPs per weight of the two kernels, plus the element-wise work.
    products = 2 * (int(np.prod(cell.kernel.shape)) + int(np.prod(cell.recurrent_kernel.shape)))
    assert flops.model_step_flops(model) == products + 17 * 5 == flops.step_flops("gru", 6, 5)

    # The keras-io model: Embedding 8, two Bidirectional LSTMs of 5 units (both directions).
    layers = keras.layers
    kio = keras.Sequential([
        keras.Input((None,), dtype="int32"), layers.Embedding(30, 8),
        layers.Bidirectional(layers.LSTM(5, return_sequences=True)),
        layers.Bidirectional(layers.LSTM(5)), layers.Dense(1)])
    assert flops.model_step_flops(kio) == 2 * flops.step_flops("lstm", 8, 5) + \
        2 * flops.step_flops("lstm", 10, 5)


def test_model_step_flops_rejects_models_without_recurrence():
    import keras

    dense = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="no GRU"):
        flops.model_step_flops(dense)
    with pytest.raises(TypeError, match="keras.Model"):
        flops.model_step_flops("model")


def test_matmul_peak_is_a_plausible_rate():
    peak = flops.matmul_peak(128, repeats=3)
    assert peak.flops == 2 * 128 ** 3
    assert len(peak.timing.seconds) == 3
    assert 0.01 < peak.gflops < 1e5
    assert peak.gflops >= peak.median_gflops


def test_recurrence_rate_counts_the_recurrent_products_trained():
    r = flops.recurrence_rate(batch=4, units=3, steps=5, repeats=2)
    assert (r.batch, r.units, r.steps) == (4, 3, 5)
    # Per step a (4, 3) by (3, 9) product, three times over for forward and backward.
    assert r.flops == flops.TRAINING_FLOPS_FACTOR * 5 * 2 * 4 * 3 * 9
    assert len(r.timing.seconds) == 2 and r.gflops >= r.median_gflops > 0
    with pytest.raises(ValueError, match="steps"):
        flops.recurrence_rate(steps=0)


def test_recurrent_share_is_the_state_products_part_of_a_step():
    assert flops.recurrent_share("gru", 32, 32) == 6144 / flops.step_flops("gru", 32, 32)
    assert flops.recurrent_share("lstm", 128, 64) == \
        2 * 64 * 256 / flops.step_flops("lstm", 128, 64)
