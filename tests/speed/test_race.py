"""Tests of utils.speed.race: the standings on scripted finishes, and one short real race."""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from utils import config, models  # noqa: E402
from utils.speed import race  # noqa: E402


def _standing(label, seconds, target=0.75):
    return race.Standing(label, tuple(
        race.Finish(seed=i + 1, target=target, seconds=s, reviews=None if s is None else 1000,
                    curve=((1.0, 500, 0.6), (2.0, 1000, 0.8)))
        for i, s in enumerate(seconds)))


def test_a_standing_summarises_its_seeds():
    st = _standing("a", [12.0, 10.0, 15.0])
    assert (st.low, st.median, st.high) == (10.0, 12.0, 15.0)
    assert st.spread_text() == "12.0 s, the median of 3 seeds (10.0-15.0 s)"
    missed = _standing("b", [12.0, None, None])
    assert missed.median == float("inf") and missed.low == 12.0
    assert missed.spread_text() == "2 of 3 seeds did not reach it"


def test_the_verdict_follows_the_seeds():
    fast, slow = _standing("fast", [8.0, 9.0, 10.0]), _standing("slow", [11.0, 14.0, 20.0])
    assert race.verdict(fast, slow) == ("fast got there sooner than slow with every seed "
                                        "(medians 9.0 s against 14.0 s)")
    overlap = _standing("overlap", [12.0, 13.0, 30.0])
    assert race.verdict(overlap, slow).endswith("but the seeds overlap")
    assert race.verdict(slow, overlap) == ("slow was not sooner than overlap "
                                           "(medians 14.0 s against 13.0 s)")
    assert race.verdict(_standing("x", [None, None, 1.0]), slow).endswith(
        "(medians not reached against 14.0 s)")
    nobody = _standing("n", [None, None, 3.0])
    assert race.verdict(_standing("m", [None, None, 1.0]), nobody).startswith("neither")


def test_table_and_plot():
    standings = {"a": _standing("a", [12.0, 10.0, None]), "b": _standing("b", [1.0, 2.0, 3.0])}
    md = race.table(standings)
    assert md.splitlines()[0] == "| set-up | seed 1 (s) | seed 2 (s) | seed 3 (s) | median (s) |"
    assert "| a | 12.0 | 10.0 | not reached | 12.0 |" in md
    fig, ax = plt.subplots()
    race.plot_curves(ax, standings, ["r", "g"])
    assert len(ax.lines) == 7  # three seeds each, and the target
    plt.close(fig)


def test_validation_sample_is_fixed_and_in_order():
    x1, y1 = race.validation_sample(50)
    x2, y2 = race.validation_sample(50)
    assert len(x1) == 50 and list(y1) == list(y2) and x1 == x2
    x_val = models.imdb_splits()["val"][0]
    positions = [next(i for i, x in enumerate(x_val) if x is r) for r in x1]
    assert positions == sorted(positions)


def test_run_to_target_stops_at_the_first_evaluation_that_reaches_it():
    cfg = dataclasses.replace(models.CONFIGS["seed_recipe"], train_limit=256)
    never = race.run_to_target(cfg, 1.0, n_val=64, eval_every=64, max_epochs=1)
    assert never.seconds is None and never.reviews is None
    # Batches of 128: an evaluation at the first batch boundary past each 64 reviews.
    assert [reviews for _, reviews, _ in never.curve] == [128, 256]
    seconds = [s for s, _, _ in never.curve]
    assert seconds == sorted(seconds) and seconds[0] > 0
    first = race.run_to_target(cfg, 0.01, n_val=64, eval_every=64, max_epochs=1)
    assert first.reviews == 128 and len(first.curve) == 1
    assert first.seconds == first.curve[0][0]
    with pytest.raises(ValueError, match="target"):
        race.run_to_target(cfg, 75, n_val=64)


def test_race_takes_turns_between_contenders(monkeypatch):
    calls = []

    def fake(cfg, target, **options):
        calls.append((cfg.description, cfg.seed))
        return race.Finish(seed=cfg.seed, target=target, seconds=1.0, reviews=1, curve=())

    monkeypatch.setattr(race, "run_to_target", fake)
    c = models.CONFIGS
    out = race.race({"a": c["seed_recipe"], "b": c["seed_setup"]}, 0.7, [1, 2])
    assert [seed for _, seed in calls] == [1, 1, 2, 2]
    assert [f.seed for f in out["b"].finishes] == [1, 2]
    with pytest.raises(ValueError, match="seeds"):
        race.race({"a": c["seed_recipe"]}, 0.7, [])


def test_an_xla_contender_races_in_a_fresh_process():
    cfg = dataclasses.replace(models.CONFIGS["seed_recipe"], train_limit=256, jit_compile=True)
    config.set_seed()  # turns op determinism on in this process, so Keras refuses XLA here
    assert models.keras_refuses_xla()
    finish = race.run_to_target(cfg, 0.01, n_val=64, eval_every=64, max_epochs=1)
    assert finish.reviews == 128 and finish.seconds == finish.curve[0][0] > 0
