"""Tests of utils.throughput: FLOP counts, timing summaries, batch sampling, measuring, tracing."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from utils import sequences as seqs
from utils import throughput as tp

# --------------------------------------------------------------------------------------------
# FLOP counts
# --------------------------------------------------------------------------------------------


def test_step_flops_of_the_seed_gru_by_hand():
    # x W: 2*32*96, h U: 2*32*96, element-wise 17*32 (reset_after=True).
    assert tp.step_flops("gru", 32, 32) == 6144 + 6144 + 17 * 32
    # reset_after=False: the same products, one bias vector fewer (14 per unit).
    assert tp.step_flops("gru", 32, 32, reset_after=False) == 6144 + 6144 + 14 * 32
    assert tp.step_flops("lstm", 128, 64) == 2 * 128 * 256 + 2 * 64 * 256 + 17 * 64
    assert tp.step_flops("simple_rnn", 10, 5) == 2 * 10 * 5 + 2 * 5 * 5 + 3 * 5


@given(kind=st.sampled_from(["gru", "lstm", "simple_rnn"]),
       d=st.integers(1, 512), u=st.integers(1, 512))
def test_step_flops_are_dominated_by_the_products_and_grow_with_size(kind, d, u):
    gates = {"gru": 3, "lstm": 4, "simple_rnn": 1}[kind]
    flops = tp.step_flops(kind, d, u)
    products = 2 * (d + u) * gates * u
    assert products < flops <= products + 17 * u
    assert tp.step_flops(kind, d + 1, u) > flops
    assert tp.step_flops(kind, d, u + 1) > flops


@pytest.mark.parametrize("bad", [
    dict(kind="rnn", input_dim=3, units=4),
    dict(kind="gru", input_dim=0, units=4),
    dict(kind="gru", input_dim=3, units=-1),
    dict(kind="gru", input_dim=3.0, units=4),
])
def test_step_flops_rejects_bad_arguments(bad):
    with pytest.raises(ValueError):
        tp.step_flops(**bad)
    with pytest.raises(TypeError, match="reset_after"):
        tp.step_flops("gru", 3, 4, reset_after=1)


def test_model_step_flops_matches_the_keras_weights():
    import keras

    model = tp.gru_classifier(num_words=50, embedding_dim=6, units=5)
    cell = model.get_layer("rnn_1").cell
    # Two FLOPs per weight of the two kernels, plus the element-wise work.
    products = 2 * (int(np.prod(cell.kernel.shape)) + int(np.prod(cell.recurrent_kernel.shape)))
    assert tp.model_step_flops(model) == products + 17 * 5 == tp.step_flops("gru", 6, 5)

    # The keras-io model: Embedding 8, two Bidirectional LSTMs of 5 units (both directions).
    layers = keras.layers
    kio = keras.Sequential([
        keras.Input((None,), dtype="int32"), layers.Embedding(30, 8),
        layers.Bidirectional(layers.LSTM(5, return_sequences=True)),
        layers.Bidirectional(layers.LSTM(5)), layers.Dense(1)])
    assert tp.model_step_flops(kio) == 2 * tp.step_flops("lstm", 8, 5) + \
        2 * tp.step_flops("lstm", 10, 5)


def test_model_step_flops_rejects_models_without_recurrence():
    import keras

    dense = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="no GRU"):
        tp.model_step_flops(dense)
    with pytest.raises(TypeError, match="keras.Model"):
        tp.model_step_flops("model")


def test_matmul_peak_is_a_plausible_rate():
    peak = tp.matmul_peak(128, repeats=3)
    assert peak.flops == 2 * 128 ** 3
    assert len(peak.timing.seconds) == 3
    assert 0.01 < peak.gflops < 1e5
    assert peak.gflops >= peak.median_gflops


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


def test_timing_summary():
    t = tp.Timing((3.0, 1.0, 2.0, 10.0))
    assert (t.min, t.median, t.max) == (1.0, 2.5, 10.0)
    assert t.summary() == {"min": 1.0, "median": 2.5, "max": 10.0, "repeats": 4}
    with pytest.raises(ValueError, match="at least one"):
        tp.Timing(())
    with pytest.raises(ValueError, match="finite"):
        tp.Timing((1.0, math.nan))


def test_time_repeats_calls_warmup_plus_repeats_times():
    calls = []
    t = tp.time_repeats(lambda: calls.append(1), repeats=4, warmup=2)
    assert len(calls) == 6 and len(t.seconds) == 4
    assert all(s >= 0 for s in t.seconds)
    with pytest.raises(ValueError, match="repeats"):
        tp.time_repeats(lambda: None, repeats=0)
    with pytest.raises(TypeError, match="callable"):
        tp.time_repeats(3)


# --------------------------------------------------------------------------------------------
# Batches
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Throughput
# --------------------------------------------------------------------------------------------


def test_throughput_rates_and_round_trip():
    t = tp.Throughput(tp.Timing((2.0, 4.0, 3.0)), 1.5, real_tokens=600, padded_tokens=1000,
                      step_flops=100, batches=2, reviews=10)
    assert t.tokens_per_second == 200.0
    assert t.flops == 3 * 100 * 1000
    assert t.gflops == pytest.approx(t.flops / 3.0 / 1e9)
    assert t.useful_gflops == pytest.approx(0.6 * t.gflops)
    assert t.epoch_seconds(2_000) == 10.0
    assert tp.Throughput.from_dict(t.to_dict()) == t


def test_measure_training_on_a_tiny_model():
    x, y = _reviews(n=64)
    batches = tp.sample_batches(x, y, maxlen=30, recipe=seqs.Recipe(batch_size=16), n_batches=3)
    model = tp.gru_classifier(num_words=50, embedding_dim=4, units=4)
    result = tp.measure_training(model, batches, repeats=2, warmup=2)
    assert len(result.timing.seconds) == 2 and result.timing.min > 0
    assert result.step_flops == tp.step_flops("gru", 4, 4)
    assert (result.real_tokens, result.batches) == (batches.real_tokens, 3)
    assert result.tokens_per_second > 0 and result.first_step_seconds > 0
    with pytest.raises(TypeError, match="Batches"):
        tp.measure_training(model, [(x, y)])


def test_gru_classifier_is_the_seed_model_of_utils_models():
    from utils import models

    ours = tp.gru_classifier()
    theirs = models.build(models.CONFIGS["seed_gru"])
    assert ours.count_params() == theirs.count_params()
    assert [type(layer).__name__ for layer in ours.layers] == \
        [type(layer).__name__ for layer in theirs.layers if type(layer).__name__ != "InputLayer"]
    with pytest.raises(ValueError, match="fixed maxlen"):
        tp.gru_classifier(unroll=True)
    with pytest.raises(ValueError, match="recurrent_dropout"):
        tp.gru_classifier(recurrent_dropout=1.0)
    with pytest.raises(TypeError, match="mask"):
        tp.gru_classifier(mask="yes")


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
    with pytest.raises(ValueError, match="intra_op_threads"):
        tp.measure_in_subprocess(batches, intra_op_threads=-1)
    with pytest.raises(TypeError, match="variants"):
        tp.measure_in_subprocess(batches, variants=tiny)


def test_worker_usage_message(capsys):
    assert tp.main([]) == 2
    assert "usage" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# Time to accuracy
# --------------------------------------------------------------------------------------------


class _FakeModel:
    """Counts training steps; its 'weights' are the step count, its accuracy is scripted."""

    def __init__(self):
        self.steps = 0
        self.weights = None

    def train_on_batch(self, x, y):
        self.steps += 1

    def get_weights(self):
        return self.steps

    def set_weights(self, weights):
        self.weights = weights


def test_train_and_trace_evaluates_at_fixed_batches_and_keeps_the_best():
    model = _FakeModel()
    script = iter([0.6, 0.8, 0.7, 0.75, 0.9])
    trace = tp.train_and_trace(model, lambda: [(None, None)] * 4, lambda m: next(script),
                               batches_per_epoch=4, total_batches=10, eval_every=2, name="f")
    assert model.steps == 10
    assert trace.epochs == [0.5, 1.0, 1.5, 2.0, 2.5]
    assert trace.val_accuracy == [0.6, 0.8, 0.7, 0.75, 0.9]
    assert trace.seconds == sorted(trace.seconds) and trace.seconds[0] >= 0
    assert trace.best_val_accuracy == 0.9 and model.weights == 10
    assert trace.seconds_to(0.8) == trace.seconds[1]
    assert trace.seconds_to(0.95) is None
    with pytest.raises(ValueError, match="target"):
        trace.seconds_to(88)


def test_train_and_trace_stops_on_patience_with_the_best_weights():
    model = _FakeModel()
    script = iter([0.7, 0.8, 0.79, 0.78, 0.99])
    trace = tp.train_and_trace(model, lambda: [(None, None)] * 3, lambda m: next(script),
                               batches_per_epoch=3, total_batches=30, eval_every=1,
                               patience=2)
    assert trace.val_accuracy == [0.7, 0.8, 0.79, 0.78]
    assert model.steps == 4 and model.weights == 2
    assert trace.seconds_to_best == trace.seconds[1]
    with pytest.raises(ValueError, match="eval_every"):
        tp.train_and_trace(model, list, lambda m: 0.5, batches_per_epoch=1, total_batches=1,
                           eval_every=0)


@hyp_settings(max_examples=25, deadline=None)
@given(accs=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20),
       target=st.floats(0.01, 1.0))
def test_seconds_to_is_the_first_crossing(accs, target):
    trace = tp.AccuracyTrace("h", seconds=[float(i) for i in range(len(accs))],
                             epochs=[0.0] * len(accs), val_accuracy=accs)
    got = trace.seconds_to(target)
    crossings = [i for i, a in enumerate(accs) if a >= target]
    assert got == (float(crossings[0]) if crossings else None)
    assert trace.best_val_accuracy == max(accs)
    assert trace.val_accuracy[: trace.best_index].count(max(accs)) == 0


# --------------------------------------------------------------------------------------------
# Settings, levers and contenders
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("quick", ["0", "1"])
def test_levers_are_well_formed(monkeypatch, quick):
    monkeypatch.setenv("GRU_BOOK_QUICK", quick)
    levers = tp.levers()
    assert {"batch size", "padding", "truncation", "reset_after", "unroll",
            "recurrent_dropout", "jit_compile", "threads"} <= set(levers)
    for name, settings in levers.items():
        assert len(settings) >= 2, name
        assert len({s.label for s in settings}) == len(settings), name
        isolated = {s.isolated for s in settings}
        expected = {"jit_compile": {True}, "threads": {True}}.get(name, {False})
        assert isolated == expected, name
    for s in levers["unroll"]:
        assert s.model["maxlen"] == s.maxlen and not s.recipe.bucketing
    assert [s.model["jit_compile"] for s in levers["jit_compile"]] == [False, True]
    assert len(levers["batch size"]) == (2 if quick == "1" else 5)
    assert tp.NAIVE.recipe.batch_size == 32 and not tp.NAIVE.recipe.bucketing
    assert tp.BOOK.recipe == seqs.RECIPE
    # The rows that start from the book's recipe are the same measurement.
    same_as_book = [levers["padding"][2], levers["truncation"][-1], levers["reset_after"][0],
                    levers["recurrent_dropout"][0]]
    assert all(s.key() == tp.BOOK.key() for s in same_as_book)
    # The threads lever measures every row, the default included, in a fresh process.
    assert levers["threads"][-1].threads == (0, 0)
    assert levers["threads"][-1].key()[-1] == tp.BOOK.key()[-1]  # same model
    assert levers["batch size"][0].key() == tp.NAIVE.key()
    assert levers["reset_after"][1].key() != tp.BOOK.key()
    with pytest.raises(ValueError, match="unknown model arguments"):
        tp.Setting("x", model={"units_": 3}).key()


def test_measure_settings_measures_alike_settings_once(monkeypatch):
    calls = []

    def fake_sub(batches, *, variants, **kwargs):
        calls.append(("sub", len(variants), kwargs["intra_op_threads"]))
        return [("sub", v.get("jit_compile")) for v in variants]

    def fake_measure(model, batches, **kwargs):
        calls.append(("here", len(batches)))
        return ("here", model.get("mask", True))

    monkeypatch.setattr(tp, "measure_in_subprocess", fake_sub)
    monkeypatch.setattr(tp, "gru_classifier", lambda **kw: kw)
    monkeypatch.setattr(tp, "measure_training", fake_measure)
    x, y = _reviews(n=100)
    recipe = seqs.Recipe(batch_size=16)
    settings = [
        tp.Setting("a", recipe, maxlen=40),
        tp.Setting("b", recipe, maxlen=40, deterministic=False, model={"jit_compile": False}),
        tp.Setting("c", recipe, maxlen=40, deterministic=False, model={"jit_compile": True}),
        tp.Setting("d", recipe, maxlen=40, threads=(1, 1)),
        tp.Setting("e", recipe, maxlen=40, threads=(2, 1)),
        tp.Setting("a again", recipe, maxlen=40, model={"mask": True}),
        tp.Setting("f", recipe, maxlen=40, model={"mask": False}),
    ]
    seen = []
    out = tp.measure_settings(settings, x, y, n_reviews=40, progress=seen.append)
    assert out == [("here", True), ("sub", False), ("sub", True), ("sub", None),
                   ("sub", None), ("here", True), ("here", False)]
    assert calls == [("here", 3), ("sub", 2, 0), ("sub", 1, 1), ("sub", 1, 2), ("here", 3)]
    assert seen == ["a", "b, c", "d", "e", "f"]
    # With a cache, a second call measures only what is new.
    cache: dict = {}
    tp.measure_settings(settings[:2], x, y, n_reviews=40, cache=cache)
    calls.clear()
    again = tp.measure_settings(settings[1:3], x, y, n_reviews=40, cache=cache)
    assert again == [("sub", False), ("sub", True)] and calls == [("sub", 1, 0)]
    with pytest.raises(TypeError, match="cache"):
        tp.measure_settings(settings, x, y, n_reviews=40, cache=[])
    # Short sequences get more batches, to make a pass long enough to time.
    calls.clear()
    tp.measure_settings(settings[:1], x, y, n_reviews=16, min_cells=16 * 40 * 5)
    assert calls == [("here", 5)]
    calls.clear()
    tp.measure_settings(settings[:1], x, y, n_reviews=16, min_cells=10**9)  # capped: an epoch
    assert calls == [("here", 7)]
    with pytest.raises(ValueError, match="min_cells"):
        tp.measure_settings(settings, x, y, n_reviews=40, min_cells=-1)
    with pytest.raises(TypeError, match="Setting"):
        tp.measure_settings(settings[0], x, y, n_reviews=10)


def test_contenders_are_the_three_set_ups(monkeypatch):
    from utils import models

    monkeypatch.setenv("GRU_BOOK_QUICK", "0")
    chapter = tp.contenders()
    bench = tp.contenders(own_schedules=True)
    assert set(chapter) == {"seed", "book", "keras_io"}
    assert set(bench) == set(chapter) | {"book_batch64", "best_gru"}
    assert bench["seed"].epochs == 5 and bench["keras_io"].epochs == 2
    assert bench["book_batch64"].recipe.batch_size == 64
    assert all(chapter[k].epochs <= bench[k].epochs for k in chapter)
    kio = chapter["keras_io"]
    assert (kio.recipe.batch_size, kio.model.maxlen, kio.model.num_words) == (32, 200, 20_000)
    # The keras-io example's model summary: 2,757,761 parameters.
    assert models.build(kio.model).count_params() == 2_757_761
    seed = chapter["seed"]
    assert (seed.recipe.batch_size, seed.model.maxlen, seed.model.mask) == (32, 500, False)
    assert chapter["book"].recipe == seqs.RECIPE


def test_race_on_a_tiny_split(monkeypatch):
    from utils import models

    x, y = _reviews(n=120)
    splits = {"train": (x[:64], y[:64]), "val": (x[64:96], y[64:96]),
              "test": (x[96:], y[96:]), "key": "tiny"}
    monkeypatch.setattr(models, "imdb_splits", lambda num_words=10_000: splits)
    cfg = models.ModelConfig(units=4, num_words=50, maxlen=30, embedding_dim=4)
    contender = tp.Contender("tiny", cfg, seqs.Recipe(batch_size=16), epochs=1.5,
                             evals_per_epoch=2)
    trace = tp.race(contender, n_test=10)
    assert trace.epochs == [0.5, 1.0, 1.5]
    assert all(0.0 <= a <= 1.0 for a in trace.val_accuracy)
    assert trace.test_accuracy in {i / 10 for i in range(11)}
    summary = json.loads(json.dumps(trace.to_dict()))
    assert summary["train_seconds"] == trace.seconds[-1] == trace.train_seconds
    assert summary["best_val_accuracy"] == max(trace.val_accuracy)
    with pytest.raises(TypeError, match="Contender"):
        tp.race(cfg)
