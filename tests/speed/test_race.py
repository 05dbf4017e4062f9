"""Tests of utils.speed.race on runs with scripted histories (no training)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from utils.speed import race


def _run(val, seconds):
    return SimpleNamespace(history={"val_accuracy": list(val)}, epoch_seconds=list(seconds))


def test_seconds_to_counts_whole_epochs():
    run = _run([0.80, 0.86, 0.85], [10.0, 12.0, 11.0])
    assert race.epochs_to(run, 0.86) == 2
    assert race.seconds_to(run, 0.86) == 22.0
    assert race.seconds_to(run, 0.80) == 10.0
    assert race.seconds_to(run, 0.87) is None
    with pytest.raises(ValueError, match="accuracy"):
        race.seconds_to(run, 86)


@hyp_settings(max_examples=50, deadline=None)
@given(accs=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=12),
       target=st.floats(0.01, 1.0))
def test_seconds_to_is_the_first_crossing(accs, target):
    run = _run(accs, [1.0] * len(accs))
    crossings = [i for i, a in enumerate(accs) if a >= target]
    assert race.seconds_to(run, target) == (crossings[0] + 1.0 if crossings else None)


def test_common_accuracy_is_reached_by_every_run():
    runs = [_run([0.80, 0.88, 0.87], [50] * 3), _run([0.84, 0.86], [10] * 2)]
    target = race.common_accuracy(runs)
    assert target == 0.86
    assert all(race.seconds_to(r, target) is not None for r in runs)


def test_time_ratio_and_its_bounds():
    slow = _run([0.80, 0.86], [40.0, 60.0])
    fast = _run([0.86, 0.87], [10.0, 12.0])
    r = race.time_ratio(slow, fast, 0.86)
    assert r.value == pytest.approx(100.0 / 10.0)
    # Two epochs of 40-60 s against one of 10-12 s.
    assert r.low == pytest.approx(2 * 40 / 12) and r.high == pytest.approx(2 * 60 / 10)
    assert r.low <= r.value <= r.high and r.accuracy == 0.86
    with pytest.raises(ValueError, match="both runs"):
        race.time_ratio(slow, fast, 0.9)


def test_ratio_sentence_follows_the_bounds():
    sooner = race.Ratio(value=4.6, low=3.0, high=7.2, accuracy=0.8)
    assert sooner.sentence("S", "F") == ("F got there 4.6 times sooner (3.0 to 7.2 times, "
                                         "given the spread of the epoch times)")
    first = race.Ratio(value=0.5, low=0.4, high=0.8, accuracy=0.8)
    assert first.sentence("S", "F") == "S got there first; F took 2.0 times as long"
    tie = race.Ratio(value=1.04, low=0.58, high=2.01, accuracy=0.8)
    assert tie.sentence("S", "F").startswith("S took 1.04 times as long as F, but between 0.58")
    assert tie.sentence("S", "F").endswith("so neither was clearly sooner")


def test_summary_is_a_table_row():
    run = _run([0.80, 0.86, 0.85], [10.0, 12.0, 11.0])
    run.name, run.best_epoch, run.val_accuracy = "m", 2, 0.86
    run.config = SimpleNamespace(description="a model")
    run.train_seconds, run.machine = 33.0, {"cpu": "x", "cores": 2}
    run.accuracy = lambda part: 0.85
    row = race.summary(run, 0.86)
    assert row["seconds_to_best"] == 22.0 == row["seconds_to_target"]
    assert (row["epochs"], row["test_accuracy"], row["description"]) == (3, 0.85, "a model")
    assert race.summary(run, 0.9)["seconds_to_target"] is None
