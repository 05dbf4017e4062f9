"""Tests of utils.live: the live page's model file holds exactly the end-to-end model.

The JavaScript that reads the file is tested in Chromium by tests/test_browser.py (the live
page); here the file itself: the arrays are the model's, the vocabulary is its
``TextVectorization``'s, a NumPy re-run of the file gives ``predict_sentiment``'s numbers, and the
regular expressions are those of ``utils.text.standardize_review``.
"""

from __future__ import annotations

import dataclasses
import inspect
import re

import numpy as np
import pytest

from tests.test_models import TINY, _synthetic_splits
from utils import config, data, live, models, text

REVIEWS = ["Not bad at all<br />a great film!", "boring, boring and BAD.", "", "!!! ...",
           "qqqq zzzz", "don't 'quote' me", "the " * 40]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny GRU trained for one epoch on synthetic ids, saved end to end (real vocabulary)."""
    folder = tmp_path_factory.mktemp("live")
    splits = {**_synthetic_splits(), "word_index": data.imdb_word_index()}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(models, "imdb_splits", lambda num_words=10_000: splits)
        mp.setattr(models, "cache_dir", lambda: folder / "models")
        result = models.trained(dataclasses.replace(TINY, max_epochs=1), verbose=0)
        path = models.export_end_to_end(result)
    return result, path, folder


def test_export_holds_the_models_arrays_and_vocabulary(tiny):
    result, path, folder = tiny
    out = live.export_live_model(path, ["good", "not good"], path=folder / "m.js")
    assert out == folder / "m.js"
    first_line = out.read_text().splitlines()[1]
    assert first_line.startswith("window.LIVE_GRU_MODEL = {") and first_line.endswith("};")
    got = live.read_live_model(out)
    model = result.model
    kernel, recurrent, bias = model.get_layer("rnn_1").get_weights()
    dense_kernel, dense_bias = model.get_layer("output").get_weights()
    want = {"embedding": model.get_layer("embedding").get_weights()[0], "kernel": kernel,
            "recurrent_kernel": recurrent, "bias": bias, "dense_kernel": dense_kernel,
            "dense_bias": dense_bias}
    assert set(got.arrays) == set(want)
    for name, array in want.items():
        np.testing.assert_array_equal(got.arrays[name], array, err_msg=name)
    vectorize = text.review_vectorizer(TINY.num_words, TINY.maxlen).get_layer(
        "text_vectorization")
    assert got.vocabulary == vectorize.get_vocabulary()[3:]
    assert len(got.vocabulary) == TINY.num_words - 4
    s = got.settings
    assert (s["maxlen"], s["truncating"], s["units"], s["num_words"]) == (
        TINY.maxlen, "pre", TINY.units, TINY.num_words)
    assert s["ids"] == {"padding": 0, "start": 1, "oov": 2, "first_word": 4}
    assert s["examples"] == ["good", "not good"] and s["source"] == path.name
    assert got.word_ids[got.vocabulary[0]] == 4
    # Mostly base64 float32: about 4/3 * 4 bytes per parameter, plus the vocabulary.
    params = sum(a.size for a in want.values())
    assert 16 / 3 * params < out.stat().st_size < 16 / 3 * params + 2_000


def test_numpy_rerun_of_the_file_equals_predict_sentiment(tiny):
    _, path, folder = tiny
    end_to_end = models.load_end_to_end(path)
    exported = live.read_live_model(live.export_live_model(end_to_end, path=folder / "n.js"))
    ids = live.keras_ids(end_to_end, REVIEWS)
    assert [i[0] for i in ids[:-1]] == [1] * (len(REVIEWS) - 1), "reviews start with the mark"
    assert ids[2].tolist() == [1] and ids[3].tolist() == [1]
    assert len(ids[-1]) == TINY.maxlen and ids[-1][0] != 1, "cut to maxlen, keeping the end"
    want = models.predict_sentiment(REVIEWS, end_to_end)
    got = []
    for review_ids in ids:
        trace, probability = live.running_probability(exported, review_ids)
        assert trace.h.shape == (1, len(review_ids), TINY.units)
        assert probability.shape == (len(review_ids),)
        got.append(probability[-1])
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_js_steps_are_those_of_standardize_review():
    """Translate the patterns of text.standardize_review to JavaScript; they must match."""
    source = inspect.getsource(text.standardize_review)
    steps = re.findall(r'regex_replace\(text, r"(.*?)", r?"(.*?)"\)', source)
    assert len(steps) == len(live.JS_STANDARDIZE) == 5
    for (pattern, replacement), (js_pattern, js_replacement) in zip(steps,
                                                                    live.JS_STANDARDIZE):
        pattern = pattern.replace(r"\pL", r"\p{L}").replace(r"\pN", r"\p{N}")
        pattern = pattern.replace(r"<br\s*", r"<br[\t\n\f\r ]*")  # RE2's \s is ASCII only
        assert (pattern, replacement.replace("\\1", "$1")) == (js_pattern, js_replacement)
    assert "tf.strings.lower(text" in source, "the page lower-cases first"


def test_export_dir_follows_quick_mode(monkeypatch):
    monkeypatch.setenv(config.QUICK_ENV, "1")
    assert live.export_dir() == config.project_root() / "_build" / "quick" / "live"
    monkeypatch.setenv(config.QUICK_ENV, "0")
    assert live.export_dir() == config.project_root() / "_build" / "live"
    assert live.SCRIPT.is_file() and live.SCRIPT.name == "live_gru.js"


def test_bad_input_is_refused(tiny, tmp_path):
    _, path, _ = tiny
    with pytest.raises(FileNotFoundError):
        live.export_live_model(tmp_path / "missing.keras")
    with pytest.raises(TypeError, match="end_to_end"):
        live.export_live_model(42)
    with pytest.raises(TypeError, match="examples"):
        live.export_live_model(path, "one review")
    with pytest.raises(FileNotFoundError):
        live.read_live_model(tmp_path / "missing.js")
    (tmp_path / "other.js").write_text("window.SOMETHING = {};\n")
    with pytest.raises(ValueError, match="LIVE_GRU_MODEL"):
        live.read_live_model(tmp_path / "other.js")
    exported = live.read_live_model(live.export_live_model(path, path=tmp_path / "m.js"))
    for bad in ([], [[1, 2]], [1, TINY.num_words], [1.0, 2.0]):
        with pytest.raises(ValueError, match="ids"):
            live.running_probability(exported, np.asarray(bad))
    end_to_end = models.load_end_to_end(path)
    with pytest.raises(TypeError, match="texts"):
        live.keras_ids(end_to_end, "one review")


def test_a_model_the_page_cannot_run_is_refused(tmp_path, monkeypatch):
    splits = {**_synthetic_splits(), "word_index": data.imdb_word_index()}
    monkeypatch.setattr(models, "imdb_splits", lambda num_words=10_000: splits)
    monkeypatch.setattr(models, "cache_dir", lambda: tmp_path / "models")
    lstm = models.trained(dataclasses.replace(TINY, rnn="lstm", max_epochs=1), verbose=0)
    with pytest.raises(ValueError, match="GRU"):
        live.export_live_model(models.export_end_to_end(lstm), path=tmp_path / "m.js")
    with pytest.raises(ValueError, match="export_end_to_end"):
        live.export_live_model(lstm.model, path=tmp_path / "m.js")
