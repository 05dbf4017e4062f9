"""Tests of utils.nb_steps: per-step log-count ratios out of fold, the GRU and its ablation."""

import numpy as np
import pytest
import scipy.sparse as sp

from utils import baselines, nb_steps

TRAIN = [np.array(r) for r in ([5, 6, 7], [5, 5, 8], [6, 7], [8, 9], [5, 7], [9, 9, 6])]
LABELS = np.array([1, 1, 0, 0, 1, 0])
MOVIES = np.array([0, 1, 2, 3, 4, 5])


def test_step_keys_give_each_step_its_word_and_the_bigram_it_ends():
    words, bigrams = nb_steps.step_keys(np.array([4, 7, 4]))
    assert words.tolist() == [4, 7, 4]
    assert bigrams.tolist() == [4, 4 * nb_steps.BIGRAM_BASE + 7, 7 * nb_steps.BIGRAM_BASE + 4]


def test_held_out_ratios_equal_the_baselines_log_count_ratio():
    out = nb_steps.step_ratios(TRAIN, LABELS, MOVIES, {"val": [np.array([5, 9, 10])]}, folds=2)
    vocab = sorted({w for r in TRAIN for w in r})
    counts = sp.csr_matrix([[list(r).count(w) for w in vocab] + [0] for r in TRAIN])
    ratio = baselines.log_count_ratio(counts, LABELS)  # the last column: a word never seen
    expected = [ratio[vocab.index(5)], ratio[vocab.index(9)], ratio[-1]]
    assert out["val"][0].shape == (3, 2) and out["val"][0].dtype == np.float32
    np.testing.assert_allclose(out["val"][0][:, 0], expected, rtol=1e-6)


def test_ratios_of_later_reviews_are_those_of_a_held_out_part():
    later = [np.array([5, 9, 10]), np.array([9, 5])]
    out = nb_steps.step_ratios(TRAIN, LABELS, MOVIES, {"val": later}, folds=2)
    for a, b in zip(out.of(later), out["val"]):
        np.testing.assert_array_equal(a, b)


def test_a_training_review_never_sees_its_own_label():
    flipped = LABELS.copy()
    flipped[0] = 1 - flipped[0]
    a = nb_steps.step_ratios(TRAIN, LABELS, MOVIES, {}, folds=3)["train"]
    b = nb_steps.step_ratios(TRAIN, flipped, MOVIES, {}, folds=3)["train"]
    np.testing.assert_array_equal(a[0], b[0])
    assert not all(np.array_equal(x, y) for x, y in zip(a[1:], b[1:]))  # others do see it


def test_step_ratios_reject_mismatched_lengths():
    with pytest.raises(ValueError, match="one entry per review"):
        nb_steps.step_ratios(TRAIN, LABELS[:-1], MOVIES, {})


@pytest.mark.parametrize("recurrent", [True, False])
def test_build_and_train_a_tiny_model(recurrent):
    rng = np.random.default_rng(0)
    ids = [rng.integers(3, 50, size=rng.integers(2, 12)) for _ in range(48)]
    labels = (np.array([r.mean() for r in ids]) > 26).astype(int)
    parts = {part: (ids, labels) for part in ("train", "val", "test")}
    ratios = nb_steps.step_ratios(ids, labels, np.arange(48), {"val": ids, "test": ids})
    run = nb_steps.train(parts, ratios, recurrent=recurrent, num_words=40, batch_size=16,
                         max_epochs=2)
    assert run.p_val.shape == run.p_test.shape == (48,)
    assert 1 <= run.best_epoch <= len(run.val_accuracy_by_epoch) <= 2
    names = {layer.name for layer in run.model.layers}
    assert ("rnn_1" in names) == recurrent and ("per_step" in names) != recurrent
    np.testing.assert_allclose(run.probabilities("test"), run.p_test)
    p = nb_steps.predict(run.model, ids[:5], ratios["val"][:5])
    np.testing.assert_allclose(p, run.p_val[:5], atol=1e-6)
