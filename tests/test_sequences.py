"""Tests of utils.sequences: truncation, padding, length bucketing and the tf.data pipeline."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utils import sequences
from utils.sequences import Recipe

lengths_st = st.lists(st.integers(min_value=0, max_value=60), min_size=0, max_size=120)


def _seqs(lens, start=1):
    return [np.arange(start, start + n, dtype=np.int32) for n in lens]


def test_truncate_keeps_the_end_or_the_beginning():
    seq = [[1, 2, 3, 4, 5], [7, 8]]
    pre = sequences.truncate(seq, 3, "pre")
    post = sequences.truncate(seq, 3, "post")
    assert [a.tolist() for a in pre] == [[3, 4, 5], [7, 8]]
    assert [a.tolist() for a in post] == [[1, 2, 3], [7, 8]]
    assert all(a.dtype == np.int32 for a in pre + post)


def test_truncate_rejects_bad_arguments():
    with pytest.raises(ValueError, match="maxlen"):
        sequences.truncate([[1]], 0)
    with pytest.raises(ValueError, match="truncating"):
        sequences.truncate([[1]], 3, "middle")
    with pytest.raises(TypeError, match="sequences"):
        sequences.truncate("abc", 3)
    with pytest.raises(TypeError, match=r"sequences\[0\]"):
        sequences.truncate([[1.5, 2.0]], 3)


def test_pad_batch_matches_keras_and_refuses_silent_truncation():
    x = sequences.pad_batch([[1, 2], [3, 4, 5]])
    assert x.tolist() == [[1, 2, 0], [3, 4, 5]] and x.dtype == np.int32
    assert sequences.pad_batch([[1, 2]], length=4, padding="pre").tolist() == [[0, 0, 1, 2]]
    with pytest.raises(ValueError, match="truncate it first"):
        sequences.pad_batch([[1, 2, 3]], length=2)
    with pytest.raises(ValueError, match="padding"):
        sequences.pad_batch([[1]], padding="left")
    assert sequences.pad_batch([], length=3).shape == (0, 3)


@settings(max_examples=60, deadline=None)
@given(lens=lengths_st, batch_size=st.integers(1, 17), pool=st.integers(1, 5),
       shuffle=st.booleans(), bucketing=st.booleans(), seed=st.integers(0, 2**16))
def test_length_batches_is_a_partition(lens, batch_size, pool, shuffle, bucketing, seed):
    lens = np.array(lens, dtype=np.int64)
    batches = sequences.length_batches(lens, batch_size, shuffle=shuffle,
                                       rng=np.random.default_rng(seed), pool_batches=pool,
                                       bucketing=bucketing)
    flat = np.concatenate(batches) if batches else np.zeros(0, int)
    assert sorted(flat.tolist()) == list(range(len(lens)))
    assert all(0 < len(b) <= batch_size for b in batches)
    # A pool holds whole batches, so the number of batches is as without pools.
    assert len(batches) == -(-len(lens) // batch_size)


@settings(max_examples=30, deadline=None)
@given(lens=lengths_st, batch_size=st.integers(1, 17), seed=st.integers(0, 2**16))
def test_length_batches_is_reproducible_and_sorted_when_fixed(lens, batch_size, seed):
    lens = np.array(lens, dtype=np.int64)
    a = sequences.length_batches(lens, batch_size, shuffle=True, rng=np.random.default_rng(seed))
    b = sequences.length_batches(lens, batch_size, shuffle=True, rng=np.random.default_rng(seed))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    fixed = np.concatenate(sequences.length_batches(lens, batch_size, shuffle=False) or [[]])
    assert np.all(np.diff(lens[fixed.astype(int)]) >= 0)


def test_bucketing_cuts_padding_on_skewed_lengths():
    rng = np.random.default_rng(0)
    lens = rng.lognormal(5.2, 0.7, size=5_000).astype(np.int64).clip(1, 500)
    bucketed = sequences.length_batches(lens, 128, shuffle=True, rng=rng)
    plain = sequences.length_batches(lens, 128, shuffle=True, rng=rng, bucketing=False)
    waste_fixed = sequences.padding_fraction(lens, plain, length=500)
    waste_bucketed = sequences.padding_fraction(lens, bucketed)
    assert waste_bucketed < 0.05 < 0.3 < waste_fixed


def test_length_batches_rejects_bad_arguments():
    with pytest.raises(TypeError, match="rng"):
        sequences.length_batches([1, 2], 2, shuffle=True)
    with pytest.raises(ValueError, match="batch_size"):
        sequences.length_batches([1, 2], 0, shuffle=False)
    with pytest.raises(TypeError, match="seq_lengths"):
        sequences.length_batches([[1, 2]], 2, shuffle=False)


def test_recipe_validates_its_fields():
    assert sequences.RECIPE.bucketing and sequences.RECIPE.batch_size > 0
    with pytest.raises(ValueError, match="batch_size"):
        Recipe(batch_size=0)
    with pytest.raises(ValueError, match="truncating"):
        Recipe(truncating="both")
    with pytest.raises(TypeError, match="bucketing"):
        Recipe(bucketing=1)
    with pytest.raises(ValueError, match="length_multiple"):
        Recipe(length_multiple=0)


def test_batch_length_rounds_up_to_the_multiple_and_stops_at_maxlen():
    rounded = Recipe(length_multiple=64)
    assert [sequences.batch_length(n, 500, rounded) for n in (1, 64, 65, 449, 500)] == \
        [64, 64, 128, 500, 500]
    assert sequences.batch_length(37, 500) is None  # the recipe: the longest review
    assert sequences.batch_length(37, 500, Recipe(bucketing=False)) == 500


def test_make_dataset_rounds_bucketed_lengths():
    rng = np.random.default_rng(2)
    seqs = _seqs(rng.integers(1, 40, size=50))
    recipe = Recipe(batch_size=8, pool_batches=2, length_multiple=16)
    xs = [x.numpy() for x, _ in sequences.make_dataset(seqs, np.zeros(50), maxlen=30,
                                                        shuffle=True, seed=3, recipe=recipe)]
    assert {x.shape[1] for x in xs} <= {16, 30}
    for x in xs:  # padded only as far as the rounding needs
        assert (x != 0).sum(axis=1).max() > x.shape[1] - 16


def test_make_dataset_bucketed_batches_and_order():
    rng = np.random.default_rng(1)
    lens = rng.integers(1, 40, size=50)
    seqs = _seqs(lens)
    labels = (lens % 2).astype(np.int64)
    recipe = Recipe(batch_size=8, pool_batches=2)
    ds = sequences.make_dataset(seqs, labels, maxlen=30, shuffle=True, seed=3, recipe=recipe)
    assert int(ds.cardinality()) == 7
    seen = 0
    epochs = []
    first_batches = []
    for _ in range(2):
        rows = []
        for x, y in ds:
            x, y = x.numpy(), y.numpy()
            if not rows:
                first_batches.append(x)
            assert x.dtype == np.int32 and y.dtype == np.float32 and x.shape[0] == y.shape[0]
            # Each batch is padded (at the end) only to its own longest review.
            real = (x != 0).sum(axis=1)
            assert real.max() == x.shape[1] <= 30
            assert np.all(x[:, -1][real < x.shape[1]] == 0)
            # Labels travel with their reviews: the length (truncated to 30) decides the label.
            rows.extend(zip(real.tolist(), y.tolist(), strict=True))
            seen += len(y)
        epochs.append(rows)
    assert seen == 100
    assert sorted(epochs[0]) == sorted(epochs[1]) and epochs[0] != epochs[1]
    # Same seed, same batches: a run is reproducible.
    again = sequences.make_dataset(seqs, labels, maxlen=30, shuffle=True, seed=3, recipe=recipe)
    assert np.array_equal(next(iter(again))[0].numpy(), first_batches[0])


def test_make_dataset_fixed_padding_and_dataset_order():
    seqs = _seqs([5, 1, 9, 3])
    fixed = dataclasses.replace(sequences.RECIPE, bucketing=False, batch_size=3)
    xs = [x.numpy() for x in sequences.make_dataset(seqs, maxlen=6, shuffle=False,
                                                     recipe=fixed, padding="pre")]
    assert [x.shape for x in xs] == [(3, 6), (1, 6)]
    assert xs[0][2].tolist() == [4, 5, 6, 7, 8, 9]  # truncated "pre": the end is kept
    assert xs[0][1].tolist() == [0, 0, 0, 0, 0, 1]
    bucketed = dataclasses.replace(sequences.RECIPE, batch_size=3)
    order = sequences.dataset_order(seqs, maxlen=6, recipe=bucketed)
    assert order.tolist() == [1, 3, 0, 2]
    first = next(iter(sequences.make_dataset(seqs, maxlen=6, shuffle=False, recipe=bucketed)))
    assert first.numpy()[:, 0].tolist() == [1, 1, 1]


def test_make_dataset_checks_labels():
    with pytest.raises(ValueError, match="labels"):
        sequences.make_dataset([[1, 2]], [0, 1], maxlen=4, shuffle=False)
    with pytest.raises(TypeError, match="recipe"):
        sequences.make_dataset([[1, 2]], [0], maxlen=4, shuffle=False, recipe={})
