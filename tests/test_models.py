"""Tests of utils.models on a tiny synthetic task (fast) and on the real vocabulary (export)."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from utils import config, model_configs, models, splits
from utils.models import ModelConfig


def _synthetic_splits(num_words=50, seed=0):
    """Reviews of random words; a review is positive when it contains word 7 more than word 8."""
    rng = np.random.default_rng(seed)

    def part(n):
        xs, ys = [], []
        for _ in range(n):
            words = rng.integers(3, num_words, size=rng.integers(3, 30))
            xs.append(np.concatenate([[1], words]).astype(np.int32))
            ys.append(int((words == 7).sum() > (words == 8).sum()))
        return xs, np.array(ys, dtype=np.int64)

    return {"train": part(160), "val": part(60), "test": part(60), "key": f"synthetic{seed}"}


TINY = ModelConfig("tiny", num_words=50, embedding_dim=8, units=6, maxlen=20, max_epochs=3,
                   patience=1)


@pytest.fixture
def tiny_world(tmp_path, monkeypatch):
    """A synthetic dataset and a temporary model cache."""
    splits = _synthetic_splits()
    monkeypatch.setattr(models, "imdb_splits", lambda num_words=10_000: splits)
    monkeypatch.setattr(models, "cache_dir", lambda: tmp_path / "models")
    return splits


def test_recipe_for_follows_padding_and_batch_size():
    from utils import sequences

    assert models.recipe_for(ModelConfig()) == sequences.RECIPE
    padded = models.recipe_for(ModelConfig(pad_to_maxlen=True))
    assert not padded.bucketing and padded.batch_size == sequences.RECIPE.batch_size
    seed = models.recipe_for(models.CONFIGS["seed_setup"])
    assert (seed.batch_size, seed.bucketing) == (32, False)
    # The race compares set-ups, not models, data or stopping rules.
    a, b = models.CONFIGS["seed_setup"], models.CONFIGS["seed_recipe"]
    assert dataclasses.replace(a, description="", mask=True, pad_to_maxlen=False,
                               padding="post", batch_size=None) == \
        dataclasses.replace(b, description="")
    assert dataclasses.replace(b, train_limit=None, description="") == \
        dataclasses.replace(models.CONFIGS["seed_gru"], description="")
    # The larger batch changes the batch and (linear scaling) the learning rate only.
    big = models.CONFIGS["seed_recipe_256"]
    assert big.batch_size == 2 * sequences.RECIPE.batch_size
    assert big.learning_rate == 2 * b.learning_rate
    assert dataclasses.replace(big, description="", batch_size=None,
                               learning_rate=b.learning_rate) == \
        dataclasses.replace(b, description="")
    # XLA: the recipe, compiled, on lengths rounded up to a few shapes; nothing else changes.
    xla = models.CONFIGS["seed_gru_xla"]
    assert models.recipe_for(xla) == dataclasses.replace(
        sequences.RECIPE, jit_compile=True, length_multiple=sequences.ROUND_LENGTHS_TO)
    assert dataclasses.replace(xla, description="", jit_compile=False) == \
        dataclasses.replace(models.CONFIGS["seed_gru"], description="")


def test_keras_io_config_is_the_keras_io_example():
    kio = models.CONFIGS["keras_io"]
    assert (models.recipe_for(kio).batch_size, kio.maxlen, kio.num_words) == (32, 200, 20_000)
    assert (kio.max_epochs, kio.patience) == (2, None)
    # The keras-io example's model summary: 2,757,761 parameters.
    assert models.build(kio).count_params() == 2_757_761


@pytest.mark.parametrize("kwargs", [
    {}, {"rnn": "lstm"}, {"rnn": "simple_rnn"}, {"bidirectional": True},
    {"layers": 2, "pooling": "max_mean", "embedding_dropout": 0.2, "output_dropout": 0.2},
    {"pooling": "mean", "dropout": 0.1, "recurrent_dropout": 0.1},
])
def test_build_shapes_and_parameter_count(kwargs):
    cfg = dataclasses.replace(TINY, **kwargs)
    model = models.build(cfg)
    out = model(np.array([[1, 5, 9, 0, 0], [1, 4, 0, 0, 0]], dtype=np.int32))
    assert tuple(out.shape) == (2, 1)
    assert np.all((out.numpy() > 0) & (out.numpy() < 1))
    u, e = cfg.units, cfg.embedding_dim
    per_layer = {"gru": 3 * (e * u + u * u + 2 * u), "lstm": 4 * (e * u + u * u + u),
                 "simple_rnn": e * u + u * u + u}[cfg.rnn]
    if not kwargs or kwargs.get("rnn"):
        dense = u + 1
        assert model.count_params() == cfg.num_words * e + per_layer + dense
    assert model.get_layer("embedding").mask_zero
    assert model.get_layer("output").activation.__name__ == "sigmoid"


def test_masked_max_pooling_ignores_padding():
    x = np.array([[[1.0, -5.0], [2.0, -6.0], [9.0, 9.0]]], dtype=np.float32)
    mask = np.array([[True, True, False]])
    pooled = models.MaskedGlobalMaxPooling1D()(x, mask=mask)
    np.testing.assert_allclose(pooled, [[2.0, -5.0]])
    np.testing.assert_allclose(models.MaskedGlobalMaxPooling1D()(x), [[9.0, 9.0]])


def test_padding_does_not_change_predictions():
    """With mask_zero, a review gives the same output whatever padding surrounds it."""
    for pooling in ("last", "max_mean"):
        model = models.build(dataclasses.replace(TINY, pooling=pooling, bidirectional=True))
        short = model(np.array([[1, 5, 9]], dtype=np.int32)).numpy()
        padded = model(np.array([[1, 5, 9, 0, 0, 0, 0]], dtype=np.int32)).numpy()
        np.testing.assert_allclose(short, padded, atol=1e-6)


def test_trained_caches_and_is_reproducible(tiny_world, tmp_path):
    first = models.trained(TINY, verbose=0)
    assert not first.from_cache and first.path.is_file()
    assert 1 <= first.best_epoch <= len(first.epoch_seconds) <= TINY.max_epochs
    assert first.val_accuracy == max(first.history["val_accuracy"])
    p_val = first.probabilities("val")
    assert p_val.shape == (60,) and first.accuracy("val") == pytest.approx(first.val_accuracy)

    assert first.machine == config.machine() and first.machine["cores"] >= 1
    again = models.trained(TINY, verbose=0)
    assert again.from_cache and again.history == first.history
    assert again.machine == first.machine  # where it was trained travels with the model
    np.testing.assert_array_equal(again.probabilities("val"), p_val)

    # Deleting the cache and training again reproduces the same numbers exactly.
    for f in (tmp_path / "models").iterdir():
        f.unlink()
    fresh = models.trained(TINY, verbose=0)
    assert not fresh.from_cache and fresh.history == first.history
    for a, b in zip(fresh.model.get_weights(), first.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)

    # A different configuration is a different cache entry.
    other = models.trained(dataclasses.replace(TINY, units=4), verbose=0)
    assert not other.from_cache and other.path != first.path


def test_trained_learns_the_synthetic_task(tiny_world):
    cfg = dataclasses.replace(TINY, max_epochs=12, patience=3, learning_rate=0.02,
                              embedding_dim=16, units=16)
    result = models.trained(cfg, verbose=0)
    assert result.accuracy("test") > 0.7


def test_predict_restores_the_input_order(tiny_world):
    model = models.build(TINY)
    x, _ = tiny_world["val"]
    probs = models.predict(model, x, maxlen=TINY.maxlen)
    one_by_one = [float(model(np.asarray(s[-TINY.maxlen:])[None]).numpy()[0, 0]) for s in x[:8]]
    np.testing.assert_allclose(probs[:8], one_by_one, atol=1e-5)
    assert models.predict(model, [], maxlen=5).shape == (0,)


def test_trained_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown model"):
        models.trained("no_such_model")
    with pytest.raises(ValueError, match="unknown model"):
        models.trained("seed_gru_seed")
    with pytest.raises(TypeError, match="name"):
        models.trained(3)


def test_quick_mode_trims_sizes_only(monkeypatch):
    monkeypatch.setenv(config.QUICK_ENV, "1")
    quick = models.effective(models.CONFIGS["seed_gru"])
    monkeypatch.setenv(config.QUICK_ENV, "0")
    full = models.effective(models.CONFIGS["seed_gru"])
    assert quick.maxlen <= full.maxlen and quick.max_epochs <= full.max_epochs
    assert dataclasses.replace(quick, maxlen=full.maxlen, max_epochs=full.max_epochs,
                               train_limit=full.train_limit) == full


def test_end_to_end_export_reloads_in_safe_mode(tiny_world):
    """Raw strings in, probability out; the same numbers as the integer pipeline."""
    from utils import data

    cfg = dataclasses.replace(TINY, max_epochs=1)
    result = models.trained(cfg, verbose=0)
    # the vectorizer uses the split's word ranks: here an order unlike the official one
    official = data.imdb_word_index()
    tiny_world["word_index"] = {w: len(official) + 1 - r for w, r in official.items()}
    path = models.export_end_to_end(result)
    end_to_end = models.load_end_to_end(path)
    reviews = ["Not bad at all<br />a great film", "boring, boring and bad."]
    got = models.predict_sentiment(reviews, end_to_end)
    word_index = tiny_world["word_index"]
    ids = [[1] + [word_index[w] + 3 if word_index[w] + 3 < cfg.num_words else 2
                  for w in data.tokenize(r)] for r in reviews]
    want = models.predict(result.model, ids, maxlen=cfg.maxlen)
    np.testing.assert_allclose(got, want, atol=1e-6)
    with pytest.raises(TypeError, match="single string"):
        models.predict_sentiment("great", end_to_end)
    with pytest.raises(FileNotFoundError):
        models.load_end_to_end(path.with_name("missing.keras"))
    assert isinstance(end_to_end, keras.Model)


def test_best_of_chooses_on_validation(tiny_world, monkeypatch):
    weak = dataclasses.replace(TINY, max_epochs=1, learning_rate=1e-4)
    strong = dataclasses.replace(TINY, max_epochs=6, patience=3, learning_rate=0.02,
                                 embedding_dim=16, units=16)
    monkeypatch.setattr(model_configs, "CONFIGS", {"weak": weak, "strong": strong})
    scores = {name: models.trained(name, verbose=0).val_accuracy for name in ("weak", "strong")}
    best = models.best_of(["weak", "strong"])
    assert scores[best] == max(scores.values())
    assert models.best_of(["weak", "weak"]) == "weak"
    with pytest.raises(ValueError, match="names"):
        models.best_of([])
    with pytest.raises(ValueError, match="names"):
        models.best_of("weak")


def test_building_a_model_does_not_import_tensorflow_text_ops():
    # make bench builds the seed's GRU through utils.models in a venv with Keras' JAX backend
    # and no TensorFlow: utils.text (TensorFlow string ops) is imported only where it is used.
    import subprocess
    import sys

    code = ("import sys, utils.models as m; m.build(m.CONFIGS['seed_gru']); "
            "assert 'utils.text' not in sys.modules, 'utils.models imported utils.text'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_xla_models_train_in_a_fresh_process_reproducibly(tmp_path, monkeypatch):
    # This process has op determinism on (set_seed), so Keras would ignore jit_compile here:
    # trained() trains an XLA configuration in a fresh process, then loads it. Two fresh
    # processes train the same weights (real reviews, a tiny model).
    config.set_seed()
    cfg = ModelConfig("tiny, XLA", embedding_dim=8, units=6, maxlen=40, max_epochs=2,
                      patience=None, train_limit=256, jit_compile=True)
    runs = []
    for folder in ("a", "b"):
        monkeypatch.setattr(models, "cache_dir", lambda f=folder: tmp_path / f)
        runs.append(models.trained(cfg, verbose=0))
    first, second = runs
    assert not first.from_cache and first.path.parent == tmp_path / "a"
    assert len(first.epoch_seconds) == 2 and first.history == second.history
    for a, b in zip(first.model.get_weights(), second.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # Loaded here, where op determinism is on, it predicts without XLA (and without a warning).
    assert not first.model.jit_compile
    assert 0.0 <= first.accuracy("val") <= 1.0


def testkeras_refuses_xla_while_op_determinism_is_on():
    import subprocess
    import sys

    config.set_seed()  # turns op determinism on
    assert models.keras_refuses_xla()
    code = "import utils.models as m; assert not m.keras_refuses_xla()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_trained_keeps_models_in_the_given_folder(tiny_world, tmp_path):
    folder = tmp_path / "elsewhere"
    first = models.trained(TINY, verbose=0, folder=folder)
    assert first.path.parent == folder and not (tmp_path / "models").exists()
    assert models.trained(TINY, verbose=0, folder=str(folder)).from_cache


def _utils_copy(tmp_path):
    import shutil
    from pathlib import Path

    folder = tmp_path / "utils"
    shutil.copytree(Path(models.__file__).parent, folder,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_code_key_covers_what_models_imports_transitively(tmp_path):
    folder = _utils_copy(tmp_path)
    names = {f.name for f in models._training_modules(folder)}
    # models imports sequences and config directly; text and fresh_process inside functions.
    assert {"__init__.py", "models.py", "sequences.py", "config.py", "data.py", "text.py",
            "fresh_process.py"} <= names
    assert "plots.py" not in names and "reading.py" not in names
    assert models._code_key(folder) == models._source_key()


@pytest.mark.parametrize("module, function", [
    ("sequences.py", "def make_dataset("),  # batching, used by every training run
    ("config.py", "def set_seed("),         # seeding
    ("models.py", "def build("),            # the architecture
])
def test_an_edit_to_a_training_function_changes_the_key(tmp_path, module, function):
    folder = _utils_copy(tmp_path)
    before = models._code_key(folder)
    file = folder / module
    source = file.read_text()
    assert function in source
    file.write_text(source.replace(function, f"{function[:-1]}_edited(", 1))
    assert models._code_key(folder) != before


def test_adding_a_model_or_editing_an_unrelated_module_keeps_the_key(tmp_path):
    folder = _utils_copy(tmp_path)
    before = models._code_key(folder)
    file = next(f for f in models._training_modules(folder)
                if "\nCONFIGS: dict[str, ModelConfig] = {\n" in f.read_text())
    file.write_text(file.read_text().replace(
        "\nCONFIGS: dict[str, ModelConfig] = {\n",
        '\nCONFIGS: dict[str, ModelConfig] = {\n    "new": ModelConfig("new", units=7),\n', 1))
    (folder / "plots.py").write_text((folder / "plots.py").read_text() + "\n# edited\n")
    assert models._code_key(folder) == before


def test_models_re_exports_the_configurations_and_the_split():
    # Chapters use utils.models.<name> for all of them: the same objects, not copies.
    for module in (model_configs, splits):
        for name in module.__all__:
            if name in models.__all__:
                assert getattr(models, name) is getattr(module, name), name
    assert {"CONFIGS", "ModelConfig", "config_of", "imdb_splits", "data_spec",
            "hold_out_movies"} <= set(models.__all__)


def test_micro_batches_make_the_same_update_as_the_whole_batch():
    """Two halves with averaged gradients move the weights as the whole batch does."""
    cfg = dataclasses.replace(TINY, batch_size=8, micro_batches=2, learning_rate=0.01)
    assert models.recipe_for(cfg).batch_size == 4
    with pytest.raises(ValueError, match="multiple"):
        models.recipe_for(dataclasses.replace(cfg, batch_size=9))
    with pytest.raises(ValueError, match="micro_batches"):
        ModelConfig("x", micro_batches=0)
    splits = _synthetic_splits()
    x = keras.utils.pad_sequences(splits["train"][0][:8], maxlen=20, padding="post")
    y = splits["train"][1][:8].astype("float32")
    whole, halves = models.build(dataclasses.replace(cfg, micro_batches=1)), models.build(cfg)
    halves.set_weights(whole.get_weights())
    assert halves.optimizer.gradient_accumulation_steps == 2
    whole.train_on_batch(x, y)
    start = [w.copy() for w in halves.get_weights()]
    halves.train_on_batch(x[:4], y[:4])
    before = [w.copy() for w in halves.get_weights()]
    assert all(np.array_equal(a, b) for a, b in zip(start, before))  # no step after one half
    halves.train_on_batch(x[4:], y[4:])
    # Every weight but the embedding table moves identically. A first Adam step is about
    # lr * g / (|g| + eps): for embedding rows whose gradient is near zero (padding, rare
    # words) float rounding of the sums changes it, but never by more than the step itself.
    (emb_whole, *rest_whole), (emb_half, *rest_half) = whole.get_weights(), halves.get_weights()
    for w_whole, w_half in zip(rest_whole, rest_half):
        np.testing.assert_allclose(w_half, w_whole, atol=1e-6)
    assert np.abs(emb_half - emb_whole).max() <= 1.01 * cfg.learning_rate
    assert any(not np.array_equal(a, b) for a, b in zip(before, halves.get_weights()))
