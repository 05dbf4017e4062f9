"""Tests of utils.text: the Keras text pipeline reproduces utils.data's tokens and ids."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from utils import data, text

# Letters (some accented), digits, punctuation, apostrophes, HTML breaks and spaces.
review_text = st.lists(
    st.sampled_from(["a", "B", "z", "é", "Ö", "1", "9", "'", "''", "-", "_", ".", "!", " ",
                     "  ", "<br />", "<BR/>", "\n", "don't", "rock'n'roll", "ß", "ï"]),
    max_size=40,
).map("".join)


def _standardized_words(texts):
    out = text.standardize_review(tf.constant(texts)).numpy()
    return [t.decode("utf-8").split() for t in out]


@settings(max_examples=150, deadline=None)
@given(st.lists(review_text, min_size=1, max_size=8))
def test_standardize_review_tokenizes_like_utils_data(texts):
    assert _standardized_words(texts) == [data.tokenize(t) for t in texts]


def test_standardize_review_examples():
    assert _standardized_words(["Not bad<br /><br />at ALL -- don't miss 'it'!"]) == [
        ["not", "bad", "at", "all", "don't", "miss", "it"]]
    assert _standardized_words(["rock'n'roll don''t '' x_y"]) == [
        ["rock'n'roll", "don", "t", "x", "y"]]


def test_imdb_ids_shifts_adds_start_and_truncates():
    ids = tf.constant([[5, 1, 7, 0, 0], [3, 4, 5, 6, 8]])
    assert text.ImdbIds(10)(ids).numpy().tolist() == [[1, 6, 2, 8, 0, 0], [1, 4, 5, 6, 7, 9]]
    assert text.ImdbIds(3, "pre")(ids).numpy().tolist() == [[6, 2, 8], [6, 7, 9]]
    assert text.ImdbIds(3, "post")(ids).numpy().tolist() == [[1, 6, 2], [1, 4, 5]]
    # A review without words still starts with the mark, as in utils.data.load_imdb.
    empty = tf.constant([[0, 0], [5, 0]])
    assert text.ImdbIds(10)(empty).numpy().tolist() == [[1, 0], [1, 6]]
    assert text.ImdbIds(10)(tf.zeros((2, 0), tf.int32)).numpy().tolist() == [[1], [1]]
    with pytest.raises(ValueError, match="maxlen"):
        text.ImdbIds(0)
    with pytest.raises(ValueError, match="truncating"):
        text.ImdbIds(3, "both")


def test_review_vectorizer_reproduces_load_imdb_on_real_reviews():
    """The ids the Keras pipeline computes from raw text are those of utils.data.load_imdb."""
    num_words, maxlen, n = 1_000, 60, 300
    (texts, _), _ = data.load_imdb_text()
    (seqs, _), _ = data.load_imdb(num_words=num_words)
    vectorizer = text.review_vectorizer(num_words, maxlen)
    got = vectorizer(tf.constant(texts[:n])).numpy()
    want = keras.utils.pad_sequences(list(seqs[:n]), maxlen=maxlen, padding="post",
                                     truncating="pre")
    assert got.shape[0] == n and got.shape[1] <= maxlen
    np.testing.assert_array_equal(np.pad(got, ((0, 0), (0, maxlen - got.shape[1]))), want)
    assert got.max() < num_words


def test_review_vectorizer_saves_and_reloads_in_safe_mode(tmp_path):
    vectorizer = text.review_vectorizer(500, 20, "post")
    reviews = keras.Input(shape=(), dtype="string")
    model = keras.Model(reviews, vectorizer(reviews))
    path = tmp_path / "vectorizer.keras"
    model.save(path)
    again = keras.saving.load_model(path, safe_mode=True)
    sample = tf.constant(["A great film, not bad at all!", "zzzz qqqq"])
    np.testing.assert_array_equal(again(sample).numpy(), model(sample).numpy())


def test_review_vectorizer_gives_wordless_reviews_the_start_mark():
    vectorizer = text.review_vectorizer(500, 20)
    assert vectorizer(tf.constant(["", "!!! ..."])).numpy().tolist() == [[1], [1]]
    got = vectorizer(tf.constant(["", "the film"])).numpy()
    assert got[0].tolist() == [1, 0, 0] and got[1, 0] == 1 and got[1].min() > 0


def test_review_vectorizer_rejects_bad_num_words():
    with pytest.raises(ValueError, match="num_words"):
        text.review_vectorizer(3, 10)
