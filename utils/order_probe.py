"""Where word order decides: pairs of sentences that differ only in the order of their clauses.

Explained in :doc:`/chapters/09_better_models_and_baselines`. In "the plot is thin, but the
acting is superb" the writer's verdict is the clause after *but*; swap the clauses ("the acting
is superb, but the plot is thin") and the verdict turns. A bag of words sees the same words in
both; only a model that reads order can tell them apart. :func:`but_pairs` takes such sentences
from real reviews: one sentence ``A, but B`` per movie whose two clauses point in opposite
directions (by a scoring function, e.g. the n-gram model's log-odds), and makes the pair
``A, but B`` (labelled as ``B``) and ``B, but A`` (labelled as ``A``). The labels rest on that
convention of English, not on a reader's judgement of each sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ProbePair", "but_pairs", "pair_scores", "ranked_right"]

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_BUT = re.compile(r",?\s+but\s+", re.IGNORECASE)


@dataclass(frozen=True)
class ProbePair:
    """One sentence ``A, but B`` and its swap ``B, but A``; ``label`` is the first's (1:
    positive), the swap's is ``1 - label``."""

    first: str
    swapped: str
    label: int
    movie: int


def _clauses(review: str, min_words: int, max_words: int):
    for sentence in _SENTENCE.split(review.replace("<br />", " ")):
        parts = _BUT.split(sentence.strip().rstrip(".!?"))
        if len(parts) == 2 and all(min_words <= len(p.split()) <= max_words for p in parts):
            yield parts[0].strip(), parts[1].strip()


def _swap(first: str, second: str) -> str:
    """``second, but first.`` with the sentence's capital letter moved to its new start (a
    first word such as "I" or "DVD" keeps its capitals)."""
    head = first.split(maxsplit=1)[0]
    if head != "I" and not (len(head) > 1 and head.isupper()):
        first = first[:1].lower() + first[1:]
    return f"{second[:1].upper()}{second[1:]}, but {first}."


def but_pairs(texts: Sequence[str], movies: Sequence[int], score: Callable, *,
              confidence: float = 1.0, min_words: int = 3, max_words: int = 15,
              limit: int = 500, seed: int = 0) -> list[ProbePair]:
    """At most ``limit`` probe pairs, one per movie, from sentences with one *but* whose
    clauses ``score`` puts on opposite sides.

    Args:
        texts: the reviews.
        movies: ``(len(texts),)`` the movie of each review (one pair per movie, so that the
            pairs are nearly independent).
        score: maps a list of ``k`` strings to ``(k,)`` log-odds of *positive*.
        confidence: both clauses' log-odds must exceed it in size, with opposite signs.
        min_words, max_words: the length of each clause, in words.
        limit: the most pairs; ``seed`` picks which sentence of each movie, and which movies.

    Returns:
        The pairs, in a seeded random order of movies.
    """
    if len(texts) != len(movies):
        raise ValueError(f"texts and movies must have the same length; got {len(texts)} and "
                         f"{len(movies)}")
    candidates = [(int(movie), clauses) for text, movie in zip(texts, movies)
                  for clauses in _clauses(text, min_words, max_words)]
    if not candidates:
        return []
    a, b = (np.asarray(score([c[i] for _, c in candidates])) for i in (0, 1))
    keep = np.flatnonzero((np.sign(a) != np.sign(b)) & (np.minimum(abs(a), abs(b)) > confidence))
    rng = np.random.default_rng(seed)
    chosen: dict[int, int] = {}  # movie -> one of its sentences, at random
    for k in rng.permutation(keep):
        chosen.setdefault(candidates[k][0], int(k))
    picked = list(chosen.values())[:limit]
    return [ProbePair(f"{first}, but {second}.", _swap(first, second), int(b[k] > 0), movie)
            for k in picked for movie, (first, second) in [candidates[k]]]


def pair_scores(pairs: Sequence[ProbePair], p_first: np.ndarray, p_swapped: np.ndarray):
    """How many of each pair's two sentences a model gets right: ``(n_pairs,)`` of 0, 1 or 2,
    from its P(positive) of the first sentences and of the swaps."""
    label = np.array([p.label for p in pairs])
    return ((np.asarray(p_first) > 0.5) == label).astype(int) + (
        (np.asarray(p_swapped) > 0.5) == 1 - label).astype(int)


def ranked_right(pairs: Sequence[ProbePair], p_first: np.ndarray, p_swapped: np.ndarray):
    """Whether a model gives each pair's positive sentence the higher P(positive): ``(n_pairs,)``
    of 1, 0, or 0.5 for a tie (a score with no threshold; 0.5 on average for a model that
    ignores order)."""
    label = np.array([p.label for p in pairs])
    first, swapped = np.asarray(p_first), np.asarray(p_swapped)
    positive, negative = np.where(label == 1, first, swapped), np.where(label == 1, swapped, first)
    return (positive > negative) + 0.5 * (positive == negative)
