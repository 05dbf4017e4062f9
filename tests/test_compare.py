"""Tests of utils.compare: McNemar's exact test on known tables; the movie-level bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from utils import compare


def _pair(both, a_only, b_only, neither):
    a = np.array([True] * both + [True] * a_only + [False] * b_only + [False] * neither)
    b = np.array([True] * both + [False] * a_only + [True] * b_only + [False] * neither)
    return a, b


def test_counts_difference_and_exact_p_value():
    result = compare.mcnemar(*_pair(80, 15, 5, 0))
    assert (result.a_only, result.b_only) == (15, 5)
    assert result.difference == pytest.approx(0.10)
    # exact two-sided binomial: P(X <= 5 or X >= 15 | n=20, p=1/2) = 0.0414
    assert result.p_value == pytest.approx(0.041389, abs=1e-6)
    assert result.verdict() == "better" and result.verdict(alpha=0.01) == "within noise"
    assert compare.mcnemar(*_pair(80, 5, 15, 0)).verdict() == "worse"


def test_phrase_names_the_winner_only_beyond_noise():
    better = compare.mcnemar(*_pair(80, 15, 5, 0))
    assert better.phrase("A", "B") == "10.0 points apart in favour of A, beyond noise"
    assert compare.mcnemar(*_pair(80, 5, 15, 0)).phrase("A", "B").endswith("of B, beyond noise")
    assert better.phrase("A", "B", alpha=0.01) == "within noise of each other"


def test_agreement_on_every_example_is_no_evidence():
    result = compare.mcnemar(*_pair(70, 0, 0, 30))
    assert result.p_value == 1.0 and result.verdict() == "within noise"


def test_a_balanced_disagreement_is_within_noise():
    assert compare.mcnemar(*_pair(500, 40, 40, 20)).verdict() == "within noise"


@pytest.mark.parametrize("a, b, error", [
    (np.array([1, 0]), np.array([True, False]), TypeError),
    (np.array([True]), np.array([True, False]), ValueError),
    (np.array([], dtype=bool), np.array([], dtype=bool), ValueError),
])
def test_bad_input(a, b, error):
    with pytest.raises(error, match="correct_a and correct_b"):
        compare.mcnemar(a, b)


def test_independent_examples_have_a_design_effect_near_one():
    rng = np.random.default_rng(1)
    correct = rng.random(4000) < 0.8
    result = compare.accuracy_interval(correct, np.arange(4000), n_boot=1000)
    assert result.accuracy == pytest.approx(correct.mean())
    assert result.low < result.accuracy < result.high
    assert result.design_effect == pytest.approx(1.0, abs=0.2)
    assert result.n_clusters == 4000


def test_clusters_that_agree_widen_the_interval():
    # 200 movies of 10 reviews each, all right or all wrong: 10 reviews count as one
    movie_right = np.random.default_rng(2).random(200) < 0.8
    correct = np.repeat(movie_right, 10)
    movies = np.repeat(np.arange(200), 10)
    result = compare.accuracy_interval(correct, movies, n_boot=1000)
    assert result.design_effect == pytest.approx(10, rel=0.25)
    assert result.standard_error == pytest.approx(np.sqrt(0.8 * 0.2 / 200), rel=0.2)


def test_the_interval_is_reproducible_and_its_level_matters():
    correct = np.array([True, False, True, True] * 50)
    movies = np.repeat(np.arange(50), 4)
    a = compare.accuracy_interval(correct, movies, seed=3)
    assert a == compare.accuracy_interval(correct, movies, seed=3)
    wide = compare.accuracy_interval(correct, movies, level=0.99, seed=3)
    assert wide.low <= a.low and wide.high >= a.high


@pytest.mark.parametrize("correct, movies, kwargs, error, name", [
    (np.array([1, 0]), np.array([1, 2]), {}, TypeError, "correct"),
    (np.array([], dtype=bool), np.array([]), {}, ValueError, "correct"),
    (np.array([True, False]), np.array([1]), {}, ValueError, "movies"),
    (np.array([True, False]), np.array([1, 2]), {"level": 95}, ValueError, "level"),
    (np.array([True, False]), np.array([1, 2]), {"n_boot": 10}, ValueError, "n_boot"),
])
def test_bad_interval_input(correct, movies, kwargs, error, name):
    with pytest.raises(error, match=name):
        compare.accuracy_interval(correct, movies, **kwargs)


def test_against_names_the_side_and_the_p_value():
    worse = compare.PairedComparison(difference=-0.031, a_only=10, b_only=40, p_value=0.002)
    assert worse.against("X") == "3.1 points below X, beyond noise (p = 0.002)"
    same = compare.PairedComparison(difference=0.003, a_only=20, b_only=17, p_value=0.41)
    assert same.against("X") == "within noise of X (+0.3 points, p = 0.41)"


def test_over_seeds_says_how_many_seeds_beat_noise():
    def c(diff, p):
        return compare.PairedComparison(difference=diff, a_only=30 if diff > 0 else 10,
                                        b_only=10 if diff > 0 else 30, p_value=p)

    assert compare.over_seeds([c(0.01, 0.001), c(0.01, 0.02)]) == \
        "better beyond noise for every seed (McNemar, p = 0.001 to 0.02)"
    assert compare.over_seeds([c(0.01, 0.001), c(-0.01, 0.03), c(0.0, 0.9)]) == \
        "better beyond noise for 1, worse for 1 and within noise for 1 of the 3 seeds " \
        "(McNemar at 5 %, p = 0.001 to 0.9)"
    assert compare.over_seeds([c(-0.01, 0.01)]) == "worse beyond noise for every seed (McNemar, " \
        "p = 0.01)"
    assert compare.over_seeds([c(0.0, 0.5)]) == "within noise for every seed (McNemar, p = 0.5)"
    with pytest.raises(ValueError, match="comparisons"):
        compare.over_seeds([])


def test_difference_interval_resamples_clusters():
    a = np.array([1, 1, 1, 1, 0, 0])
    b = np.array([1, 0, 1, 0, 0, 0])
    diff, low, high = compare.difference_interval(a, b, [0, 0, 1, 1, 2, 2], n_boot=500)
    assert diff == pytest.approx(2 / 6) and low <= diff <= high
    assert compare.difference_interval(a, a, [0, 0, 1, 1, 2, 2])[1:] == (0.0, 0.0)
    with pytest.raises(ValueError, match="one shape"):
        compare.difference_interval(a, b[:-1], [0] * 6)
