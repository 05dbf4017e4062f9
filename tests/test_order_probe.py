"""Tests of utils.order_probe: clause-swapped pairs around "but"."""

import numpy as np
import pytest

from utils import order_probe

WORDS = {"superb": 3.0, "awful": -3.0, "fine": 0.2}


def score(sentences):
    return np.array([sum(WORDS.get(w.strip(".,"), 0.0) for w in s.lower().split())
                     for s in sentences])


TEXTS = ["The plot is awful, but the acting is superb. Nothing else.",
         "I liked it.<br /><br />The music is superb but the story is awful!",
         "The sets are fine, but the acting is awful.",  # a clause too weak: skipped
         "Short, but superb."]                           # clauses too short: skipped


def test_pairs_swap_the_clauses_and_take_the_label_of_the_last():
    pairs = order_probe.but_pairs(TEXTS, [1, 2, 3, 4], score, min_words=3)
    assert len(pairs) == 2
    by_movie = {p.movie: p for p in pairs}
    assert by_movie[1].first == "The plot is awful, but the acting is superb."
    assert by_movie[1].swapped == "The acting is superb, but the plot is awful."
    assert by_movie[1].label == 1 and by_movie[2].label == 0


def test_a_swap_moves_the_sentence_capital_but_not_a_word_capital():
    assert order_probe._swap("The plot is bad", "the cast is good") == \
        "The cast is good, but the plot is bad."
    assert order_probe._swap("I hated it", "it is good") == "It is good, but I hated it."


def test_one_pair_per_movie_and_the_limit():
    assert len(order_probe.but_pairs(TEXTS[:2], [7, 7], score)) == 1
    assert len(order_probe.but_pairs(TEXTS, [1, 2, 3, 4], score, limit=1)) == 1
    with pytest.raises(ValueError, match="same length"):
        order_probe.but_pairs(TEXTS, [1], score)


def test_pair_scores_count_the_sentences_right():
    pairs = order_probe.but_pairs(TEXTS, [1, 2, 3, 4], score)
    label = np.array([p.label for p in pairs], dtype=float)
    assert order_probe.pair_scores(pairs, label, 1 - label).tolist() == [2, 2]
    assert order_probe.pair_scores(pairs, label, label).tolist() == [1, 1]  # a bag's answer


def test_ranked_right_compares_the_two_sentences_of_a_pair():
    pairs = order_probe.but_pairs(TEXTS, [1, 2, 3, 4], score)  # labels 1 then 0
    assert order_probe.ranked_right(pairs, [0.9, 0.4], [0.2, 0.6]).tolist() == [1.0, 1.0]
    assert order_probe.ranked_right(pairs, [0.3, 0.4], [0.3, 0.2]).tolist() == [0.5, 0.0]
