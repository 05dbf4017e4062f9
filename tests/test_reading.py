"""Tests of utils.reading: the word-by-word reading equals the Keras model's own outputs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils import data, models, reading  # noqa: E402
from utils.models import ModelConfig  # noqa: E402

TINY = ModelConfig("tiny", num_words=40, embedding_dim=6, units=5, maxlen=12,
                   embedding_dropout=0.3)
REVIEWS = [[1, 5, 9, 13, 7], [1, 30], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]]


@pytest.fixture(scope="module")
def model():
    m = models.build(TINY)
    rng = np.random.default_rng(0)  # untrained weights are too tame: make the GRU move
    m.get_layer("rnn_1").set_weights([rng.normal(scale=0.8, size=w.shape).astype("float32")
                                      for w in m.get_layer("rnn_1").get_weights()])
    return m


def test_read_matches_the_model(model):
    r = reading.read(model, REVIEWS, maxlen=TINY.maxlen)
    assert r.ids.shape == (3, 12) and r.lengths.tolist() == [5, 2, 12]
    want = models.predict(model, REVIEWS, maxlen=TINY.maxlen)
    np.testing.assert_allclose(r.final_probability, want, atol=1e-5)
    # The running probability after the last word of a prefix is the model's output on it.
    prefix = models.predict(model, [REVIEWS[0][:3]], maxlen=TINY.maxlen)
    np.testing.assert_allclose(r.probability[0, 2], prefix[0], atol=1e-5)
    assert np.all(r.state_change[~r.mask] == 0) and np.all(r.state_change[r.mask] > 0)
    assert np.all(np.isnan(r.update[~r.mask]))
    assert np.all((r.update[r.mask] > 0) & (r.update[r.mask] < 1))
    # Truncation keeps the end of the long review.
    assert r.ids[2].tolist() == list(range(4, 16))


def test_word_effects_averages_per_word(model):
    r = reading.read(model, REVIEWS, maxlen=TINY.maxlen)
    effects = reading.word_effects(r, TINY.num_words)
    assert effects["count"][5] == 2 and effects["count"][1] == 2 and effects["count"][0] == 0
    at_five = r.state_change[r.ids == 5]
    assert effects["state_change"][5] == pytest.approx(at_five.mean())
    assert np.isnan(effects["state_change"][0])
    first = r.probability[:, 0] - 0.5
    assert effects["probability_change"][1] == pytest.approx(first[[0, 1]].mean())
    with pytest.raises(ValueError, match="num_words"):
        reading.word_effects(r, 10)
    # read a chunk at a time: the same averages
    chunks = (reading.read(model, [review], maxlen=TINY.maxlen) for review in REVIEWS)
    chunked = reading.word_effects(chunks, TINY.num_words)
    for name, values in effects.items():
        np.testing.assert_allclose(chunked[name], values, rtol=1e-12)
    with pytest.raises(TypeError, match="Readings"):
        reading.word_effects([r, "r"], TINY.num_words)


def test_read_rejects_models_it_cannot_read():
    with pytest.raises(ValueError, match="single keras.layers.GRU"):
        reading.read(models.build(ModelConfig("x", num_words=20, units=3,
                                              pooling="max")), [[1, 2]])
    with pytest.raises(ValueError, match="single keras.layers.GRU"):
        reading.read(models.build(ModelConfig("x", num_words=20, units=3,
                                              rnn="lstm")), [[1, 2]])
    with pytest.raises(ValueError, match="outside the embedding"):
        reading.read(models.build(ModelConfig("x", num_words=20, units=3)), [[1, 25]])


def test_highlight_words_draws_every_word():
    words = ["a", "wonderful", "film", "and", "not", "bad", "at", "all"] * 6
    fig = reading.highlight_words(words, np.linspace(0, 1, len(words)), label="change",
                                  line_chars=30)
    texts = [t for ax in fig.axes for t in ax.texts]
    assert [t.get_text() for t in texts] == words
    assert len(fig.axes) == 2  # the text and the colour bar
    plt.close(fig)
    with pytest.raises(ValueError, match="one number per word"):
        reading.highlight_words(["a", "b"], [1.0])
    assert not fig.texts  # no out-of-vocabulary legend without ids


def test_highlight_words_marks_out_of_vocabulary_words():
    words = ["[start]", "a", "zorblax", "film"]
    ids = [data.START_CHAR, 6, data.OOV_CHAR, 19]
    fig = reading.highlight_words(words, [0.1, 0.2, 0.3, 0.4], ids=ids, label="change")
    texts = {t.get_text(): t for t in fig.axes[0].texts}
    assert list(texts) == words  # the original word is shown, not "?"
    unknown, known = texts["zorblax"], texts["film"]
    assert unknown.get_fontstyle() == "italic" and known.get_fontstyle() == "normal"
    assert unknown.get_bbox_patch().get_linestyle() != "solid"
    assert known.get_bbox_patch().get_edgecolor()[3] == 0  # no box edge
    assert [t.get_text() for t in texts.values() if t.get_fontstyle() == "italic"] == ["zorblax"]
    legend = [t.get_text() for t in fig.texts]
    assert reading.OOV_LEGEND in legend and "out of vocabulary" in reading.OOV_LEGEND
    plt.close(fig)
    fig = reading.highlight_words(words, [0.1] * 4, ids=[1, 6, 7, 19])  # all in vocabulary
    assert not fig.texts
    assert all(t.get_fontstyle() == "normal" for t in fig.axes[0].texts)
    plt.close(fig)
    with pytest.raises(ValueError, match="ids must have one id per word"):
        reading.highlight_words(words, [0.1] * 4, ids=[1, 2])


def test_read_with_the_update_gate_fixed(model):
    free = reading.read(model, REVIEWS, maxlen=TINY.maxlen)
    units = free.trace.z.shape[-1]
    z_mean = np.nanmean(free.trace.z[free.mask], axis=0)
    fixed = reading.read(model, REVIEWS, maxlen=TINY.maxlen, fixed_update=z_mean)
    np.testing.assert_allclose(fixed.trace.z[fixed.mask], np.tile(z_mean, (free.mask.sum(), 1)))
    assert z_mean.shape == (units,)
    assert not np.allclose(fixed.final_probability, free.final_probability)


def test_gru_layers_names_the_three_layers(model):
    import keras

    embedding, recurrent, output = reading.gru_layers(model)
    assert (embedding.name, recurrent.name, output.name) == ("embedding", "rnn_1", "output")
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, name="dense")])
    with pytest.raises(ValueError, match="'embedding', 'rnn_1' and 'output'"):
        reading.gru_layers(other)
