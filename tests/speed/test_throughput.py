"""Tests of utils.speed.throughput: batch sampling, measuring here and in a fresh process."""

from __future__ import annotations

import numpy as np
import pytest

from utils import sequences as seqs
from utils.speed import flops, timing
from utils.speed import throughput as tp


def _reviews(n=400, seed=0):
    rng = np.random.default_rng(seed)
    lens = rng.integers(5, 300, size=n)
    return [rng.integers(1, 50, size=k).astype(np.int32) for k in lens], rng.integers(0, 2, n)


def test_sample_batches_bucketing_cuts_padding_and_counts_tokens():
    x, y = _reviews()
    padded = tp.sample_batches(x, y, maxlen=200, n_batches=5, padding="pre",
                               recipe=seqs.Recipe(batch_size=32, bucketing=False))
    bucketed = tp.sample_batches(x, y, maxlen=200, n_batches=5,
                                 recipe=seqs.Recipe(batch_size=32, pool_batches=50))
    assert len(padded) == len(bucketed) == 5
    assert all(b.shape[1] == 200 for b in padded.x)
    assert bucketed.padding_fraction < 0.1 < padded.padding_fraction
    for batches in (padded, bucketed):
        nonzero = sum(int(np.count_nonzero(b)) for b in batches.x)  # ids are >= 1
        assert batches.real_tokens == nonzero
        assert batches.padded_tokens == sum(b.size for b in batches.x)
        assert batches.reviews == sum(len(v) for v in batches.y)
    # Pre-padding puts the zeros first.
    assert np.all(padded.x[0][:, -1] != 0)


def test_sample_batches_is_seeded_and_can_keep_full_batches_only():
    x, y = _reviews(n=100)
    recipe = seqs.Recipe(batch_size=16)
    a = tp.sample_batches(x, y, maxlen=50, recipe=recipe, n_batches=3, seed=1)
    b = tp.sample_batches(x, y, maxlen=50, recipe=recipe, n_batches=3, seed=1)
    assert all(np.array_equal(u, v) for u, v in zip(a.x, b.x))
    full = tp.sample_batches(x, y, maxlen=50, recipe=recipe, n_batches=6, full_only=True)
    assert all(len(v) == 16 for v in full.y)
    with pytest.raises(ValueError, match="batches of an epoch"):
        tp.sample_batches(x, y, maxlen=50, recipe=recipe, n_batches=7, full_only=True)
    with pytest.raises(ValueError, match="labels"):
        tp.sample_batches(x, y[:-1], maxlen=50, recipe=recipe, n_batches=1)
    with pytest.raises(TypeError, match="Recipe"):
        tp.sample_batches(x, y, maxlen=50, recipe={"batch_size": 3}, n_batches=1)


def test_batches_save_and_load(tmp_path):
    x, y = _reviews(n=60)
    batches = tp.sample_batches(x, y, maxlen=40, recipe=seqs.Recipe(batch_size=16), n_batches=3)
    batches.save(tmp_path / "b.npz")
    back = tp.Batches.load(tmp_path / "b.npz")
    assert (back.real_tokens, back.padded_tokens) == (batches.real_tokens, batches.padded_tokens)
    assert all(np.array_equal(u, v) for u, v in zip(back.x, batches.x))
    assert all(np.array_equal(u, v) for u, v in zip(back.y, batches.y))


def test_throughput_rates_and_round_trip():
    t = tp.Throughput(timing.Timing((2.0, 4.0, 3.0)), 1.5, real_tokens=600, padded_tokens=1000,
                      step_flops=100, batches=2, reviews=10)
    assert t.tokens_per_second == 200.0
    assert t.flops == 3 * 100 * 1000
    assert t.gflops == pytest.approx(t.flops / 3.0 / 1e9)
    assert t.useful_gflops == pytest.approx(0.6 * t.gflops)
    assert t.epoch_seconds(2_000) == 10.0
    assert tp.Throughput.from_dict(t.to_dict()) == t
    assert t.tokens_per_second_range == (150.0, 300.0)
    # Against a run twice as fast with passes of 1.0-1.5 s (400-600 tokens/s).
    other = tp.Throughput(timing.Timing((1.0, 1.5, 1.5)), 1.0, real_tokens=600,
                          padded_tokens=1000, step_flops=100, batches=2, reviews=10)
    assert t.ratio_range(other) == (150.0 / 600.0, 300.0 / 400.0)
    low, high = t.ratio_range(t)
    assert low < 1 < high


def test_measure_training_on_a_tiny_model():
    x, y = _reviews(n=64)
    batches = tp.sample_batches(x, y, maxlen=30, recipe=seqs.Recipe(batch_size=16), n_batches=3)
    model = tp.seed_model(num_words=50, embedding_dim=4, units=4)
    result = tp.measure_training(model, batches, repeats=2, warmup=2)
    assert len(result.timing.seconds) == 2 and result.timing.min > 0
    assert result.step_flops == flops.step_flops("gru", 4, 4)
    assert (result.real_tokens, result.batches) == (batches.real_tokens, 3)
    assert result.tokens_per_second > 0 and result.first_step_seconds > 0
    with pytest.raises(TypeError, match="Batches"):
        tp.measure_training(model, [(x, y)])


def test_sample_batches_rounds_lengths_like_make_dataset():
    x, y = _reviews(n=64)
    plain = tp.sample_batches(x, y, maxlen=30, recipe=seqs.Recipe(batch_size=16), n_batches=3)
    rounded = tp.sample_batches(x, y, maxlen=30, n_batches=3,
                                recipe=seqs.Recipe(batch_size=16, length_multiple=8))
    assert rounded.real_tokens == plain.real_tokens  # the same reviews
    assert all(b.shape[1] in (8, 16, 24, 30) for b in rounded.x)
    assert rounded.padded_tokens >= plain.padded_tokens


def test_seed_model_is_the_seed_model_of_utils_models():
    from utils import models

    ours = tp.seed_model()
    theirs = models.build(models.CONFIGS["seed_gru"])
    assert ours.count_params() == theirs.count_params()
    assert [type(layer).__name__ for layer in ours.layers] == \
        [type(layer).__name__ for layer in theirs.layers]
    unrolled = tp.seed_model(unroll=True, maxlen=16, reset_after=False)
    assert unrolled.input_shape == (None, 16)
    assert unrolled.get_layer("rnn_1").unroll and not unrolled.get_layer("rnn_1").reset_after
    with pytest.raises(ValueError, match="recurrent_dropout"):
        tp.seed_model(recurrent_dropout=1.0)
    with pytest.raises(TypeError, match="mask"):
        tp.seed_model(mask="yes")
    with pytest.raises(TypeError, match="unexpected keyword"):
        tp.seed_model(units_=3)


def test_measure_in_subprocess_sets_threads_and_jit():
    x, y = _reviews(n=32)
    batches = tp.sample_batches(x, y, maxlen=20, recipe=seqs.Recipe(batch_size=16),
                                n_batches=2)
    tiny = {"num_words": 50, "embedding_dim": 4, "units": 4}
    off, on = tp.measure_in_subprocess(
        batches, variants=[{**tiny, "jit_compile": False}, {**tiny, "jit_compile": True}],
        intra_op_threads=1, inter_op_threads=1, deterministic=False, repeats=1, warmup=1)
    assert off.info["threads"] == on.info["threads"] == [1, 1]
    assert (off.info["jit_compile"], on.info["jit_compile"]) == (False, True)
    assert on.real_tokens == batches.real_tokens and on.timing.min > 0
    # Same batches, same steps, same seed: op determinism on gives the same weights.
    again = tp.measure_in_subprocess(batches, variants=[{**tiny, "jit_compile": False}],
                                     deterministic=True, repeats=1, warmup=1)[0]
    assert len(off.info["weights_sha256"]) == 64
    assert again.info["weights_sha256"] == off.info["weights_sha256"]
    with pytest.raises(ValueError, match="intra_op_threads"):
        tp.measure_in_subprocess(batches, intra_op_threads=-1)
    with pytest.raises(TypeError, match="variants"):
        tp.measure_in_subprocess(batches, variants=tiny)


def test_worker_usage_message(capsys):
    assert tp.main([]) == 2
    assert "usage" in capsys.readouterr().err


def test_ratio_text_gain_words_and_the_speed_table():
    slow = tp.Throughput(timing.Timing((2.0, 2.2, 2.1)), 1.0, real_tokens=1000,
                         padded_tokens=2000, step_flops=100, batches=2, reviews=8)
    fast = tp.Throughput(timing.Timing((1.0, 1.1, 1.05)), 1.0, real_tokens=1000,
                         padded_tokens=1000, step_flops=100, batches=2, reviews=8)
    assert fast.ratio_text(slow) == "1.82-2.20"  # 1000/1.1 over 1000/2.0; 1000/1.0 over 1000/2.2
    assert fast.gain_words(slow, 0.05, "X") == "2.0 times as many tokens per second as X"
    assert fast.gain_words(slow, 0.9, "X") == (
        "2.00 times as many tokens per second as X, no clear gain in this run")
    md = tp.speed_table([("slow", slow), ("fast", fast)], peak_gflops=1.0).splitlines()
    assert md[0] == "| setting | tokens/s | × first row | range | GFLOP/s | of peak | padding |"
    assert md[2].startswith("| slow | 476 | 1.00 | 0.91-1.10 |") and md[2].endswith("| 50% |")
    assert md[3].startswith("| fast | 952 | 2.00 | 1.82-2.20 |")
    named = tp.speed_table([("fast", fast)], 1.0, baseline=("slow", slow))
    assert "× slow" in named and "| fast | 952 | 2.00 |" in named
