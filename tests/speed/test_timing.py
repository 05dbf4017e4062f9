"""Tests of utils.speed.timing: repeated timings and their summaries."""

from __future__ import annotations

import math

import pytest

from utils.speed import timing


def test_timing_summary():
    t = timing.Timing((3.0, 1.0, 2.0, 10.0))
    assert (t.min, t.median, t.max) == (1.0, 2.5, 10.0)
    assert t.summary() == {"min": 1.0, "median": 2.5, "max": 10.0, "repeats": 4}
    with pytest.raises(ValueError, match="at least one"):
        timing.Timing(())
    with pytest.raises(ValueError, match="finite"):
        timing.Timing((1.0, math.nan))


def test_time_repeats_calls_warmup_plus_repeats_times():
    calls = []
    t = timing.time_repeats(lambda: calls.append(1), repeats=4, warmup=2)
    assert len(calls) == 6 and len(t.seconds) == 4
    assert all(s >= 0 for s in t.seconds)
    with pytest.raises(ValueError, match="repeats"):
        timing.time_repeats(lambda: None, repeats=0)
    with pytest.raises(TypeError, match="callable"):
        timing.time_repeats(3)
