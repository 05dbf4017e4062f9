"""Tests of utils.speed.setups: the chapter's settings and measuring each distinct one once."""

from __future__ import annotations

import numpy as np
import pytest

from utils import sequences as seqs
from utils.speed import setups


def _reviews(n=400, seed=0):
    rng = np.random.default_rng(seed)
    lens = rng.integers(5, 300, size=n)
    return [rng.integers(1, 50, size=k).astype(np.int32) for k in lens], rng.integers(0, 2, n)


@pytest.mark.parametrize("quick", ["0", "1"])
def test_levers_are_well_formed(monkeypatch, quick):
    monkeypatch.setenv("GRU_BOOK_QUICK", quick)
    levers = setups.levers()
    assert {"batch size", "padding", "truncation", "reset_after", "unroll",
            "recurrent_dropout", "jit_compile", "threads", "op determinism"} <= set(levers)
    for name, settings in levers.items():
        assert len(settings) >= 2, name
        assert len({s.label for s in settings}) == len(settings), name
        isolated = {s.isolated for s in settings}
        expected = {"jit_compile": {True}, "threads": {True},
                    "op determinism": {True}}.get(name, {False})
        assert isolated == expected, name
    for s in levers["unroll"]:
        assert s.model["maxlen"] == s.maxlen and not s.recipe.bucketing
    assert [s.model["jit_compile"] for s in levers["jit_compile"]] == [False, True] * 2
    # Shape caching: the last two rows are the recipe's batches with rounded lengths.
    for s in levers["jit_compile"][2:]:
        assert s.recipe == seqs.Recipe(length_multiple=setups.ROUND_LENGTHS_TO)
    # Op determinism: the recipe with and without it; "on" is the threads lever's default.
    on, off = levers["op determinism"]
    assert (on.deterministic, off.deterministic) == (True, False)
    assert on.key() == levers["threads"][-1].key() and off.key() != on.key()
    assert len(levers["batch size"]) == (2 if quick == "1" else 5)
    assert setups.NAIVE.recipe.batch_size == 32 and not setups.NAIVE.recipe.bucketing
    assert setups.BOOK.recipe == seqs.RECIPE
    # The rows that start from the book's recipe are the same measurement.
    same_as_book = [levers["padding"][2], levers["truncation"][-1], levers["reset_after"][0],
                    levers["recurrent_dropout"][0]]
    assert all(s.key() == setups.BOOK.key() for s in same_as_book)
    # The threads lever measures every row, the default included, in a fresh process.
    assert levers["threads"][-1].threads == (0, 0)
    assert levers["threads"][-1].key()[-1] == setups.BOOK.key()[-1]  # same model
    assert levers["batch size"][0].key() == setups.NAIVE.key()
    assert levers["reset_after"][1].key() != setups.BOOK.key()
    with pytest.raises(ValueError, match="unknown model arguments"):
        setups.Setting("x", model={"units_": 3}).key()


def test_measure_settings_measures_alike_settings_once(monkeypatch):
    calls = []

    def fake_sub(batches, *, variants, **kwargs):
        calls.append(("sub", len(variants), kwargs["intra_op_threads"]))
        return [("sub", v.get("jit_compile")) for v in variants]

    def fake_measure(model, batches, **kwargs):
        calls.append(("here", len(batches)))
        return ("here", model.get("mask", True))

    monkeypatch.setattr(setups, "measure_in_subprocess", fake_sub)
    monkeypatch.setattr(setups, "seed_model", lambda **kw: kw)
    monkeypatch.setattr(setups, "measure_training", fake_measure)
    x, y = _reviews(n=100)
    recipe = seqs.Recipe(batch_size=16)
    settings = [
        setups.Setting("a", recipe, maxlen=40),
        setups.Setting("b", recipe, maxlen=40, deterministic=False, model={"jit_compile": False}),
        setups.Setting("c", recipe, maxlen=40, deterministic=False, model={"jit_compile": True}),
        setups.Setting("d", recipe, maxlen=40, threads=(1, 1)),
        setups.Setting("e", recipe, maxlen=40, threads=(2, 1)),
        setups.Setting("a again", recipe, maxlen=40, model={"mask": True}),
        setups.Setting("f", recipe, maxlen=40, model={"mask": False}),
    ]
    seen = []
    out = setups.measure_settings(settings, x, y, n_reviews=40, progress=seen.append)
    assert out == [("here", True), ("sub", False), ("sub", True), ("sub", None),
                   ("sub", None), ("here", True), ("here", False)]
    assert calls == [("here", 3), ("sub", 2, 0), ("sub", 1, 1), ("sub", 1, 2), ("here", 3)]
    assert seen == ["a", "b, c", "d", "e", "f"]
    # With a cache, a second call measures only what is new.
    cache: dict = {}
    setups.measure_settings(settings[:2], x, y, n_reviews=40, cache=cache)
    calls.clear()
    again = setups.measure_settings(settings[1:3], x, y, n_reviews=40, cache=cache)
    assert again == [("sub", False), ("sub", True)] and calls == [("sub", 1, 0)]
    with pytest.raises(TypeError, match="cache"):
        setups.measure_settings(settings, x, y, n_reviews=40, cache=[])
    # Short sequences get more batches, to make a pass long enough to time.
    calls.clear()
    setups.measure_settings(settings[:1], x, y, n_reviews=16, min_cells=16 * 40 * 5)
    assert calls == [("here", 5)]
    calls.clear()
    setups.measure_settings(settings[:1], x, y, n_reviews=16, min_cells=10**9)  # capped: an epoch
    assert calls == [("here", 7)]
    with pytest.raises(ValueError, match="min_cells"):
        setups.measure_settings(settings, x, y, n_reviews=40, min_cells=-1)
    with pytest.raises(TypeError, match="Setting"):
        setups.measure_settings(settings[0], x, y, n_reviews=10)


def test_model_fields_keep_the_layers_and_leave_the_schedule_to_the_setting():
    from utils import models

    best = models.CONFIGS["best_candidate"]
    fields = setups.model_fields(best)
    assert fields == {"units": 64, "bidirectional": True, "pooling": "max_mean",
                      "num_words": 30_000, "embedding_dim": 64, "embedding_dropout": 0.5,
                      "output_dropout": 0.5}
    assert setups.model_fields(models.CONFIGS["seed_gru"]) == {}
    assert setups.model_fields(models.CONFIGS["seed_gru_xla"]) == {}  # XLA: the setting's
    # A Setting built from them is a valid, distinct measurement of the seed model's builder.
    setting = setups.Setting("best", models.recipe_for(best), model=fields)
    assert setting.key() != setups.BOOK.key()
    assert setting.recipe.batch_size == best.batch_size // best.micro_batches  # as fed
    with pytest.raises(TypeError, match="cfg must be a ModelConfig"):
        setups.model_fields("best_candidate")
