"""Named IMDB sentiment models, trained once and shared between chapters.

Explained in :doc:`/chapters/07_gru_sentiment_classifier` (the seed's GRU) and
:doc:`/chapters/09_better_models_and_baselines` (the other rows of the comparison table).

Training the same model twice is waste, so every model a chapter quotes is a *named, seeded
configuration* in :data:`CONFIGS` (:mod:`utils.model_configs`), trained by :func:`trained`. The
first call trains it on the book's split (:func:`imdb_splits`, :mod:`utils.splits`: a
validation set of whole movies held out of the *training* reviews; the test set is only for
the final report) with the batching recipe of :mod:`utils.sequences`, and saves the ``.keras``
file and the history under ``config.build_dir() / "models"``. The file name holds a key of the
configuration, the recipe, the data and the source of the code that trains, so a change to any
of them trains again, and a later chapter, or a rebuild, reloads the model instead.
Training is seeded and deterministic: deleting the cache reproduces the same numbers.

A model maps int ids ``(batch, time)`` to P(positive) ``(batch, 1)``; :func:`predict` gives
``(n,)`` probabilities for ``n`` reviews of any lengths. The end-to-end model (raw strings in,
probability out) is :func:`export_end_to_end`, read back in safe mode by
:func:`load_end_to_end` and used by :func:`predict_sentiment`.

The names of :mod:`utils.model_configs` and :mod:`utils.splits` are re-exported here, so that
``utils.models.CONFIGS`` or ``utils.models.imdb_splits`` is all a chapter needs.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from utils import atomic, config, sequences
from utils.model_configs import (
    CONFIGS,
    RNN_LAYERS,
    SEEDS,
    ModelConfig,
    config_of,
    seed_names,
)
from utils.splits import DataSpec, data_spec, hold_out_movies, imdb_splits

__all__ = [
    # the configurations, from utils.model_configs
    "CONFIGS",
    "SEEDS",
    "ModelConfig",
    "config_of",
    "seed_names",
    # the data split, from utils.splits
    "DataSpec",
    "data_spec",
    "hold_out_movies",
    "imdb_splits",
    # building, training, caching and predicting: this module
    "MaskedGlobalMaxPooling1D",
    "TrainedModel",
    "best_of",
    "build",
    "cache_dir",
    "cache_key",
    "effective",
    "export_end_to_end",
    "keras_refuses_xla",
    "load_end_to_end",
    "predict",
    "predict_sentiment",
    "recipe_for",
    "trained",
]


@keras.saving.register_keras_serializable(package="gru_book")
class MaskedGlobalMaxPooling1D(keras.layers.Layer):
    """The maximum over time of ``(batch, time, features)``, ignoring masked (padding) steps.

    ``keras.layers.GlobalMaxPooling1D`` ignores the mask, so padding steps (whose outputs are
    zeros or copies of the last real step) would take part in the maximum.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            keep = keras.ops.expand_dims(keras.ops.cast(mask, "bool"), -1)
            inputs = keras.ops.where(keep, inputs, keras.ops.full_like(inputs, -1e9))
        return keras.ops.max(inputs, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])



def effective(cfg: ModelConfig) -> ModelConfig:
    """The configuration actually trained in the current mode (quick mode trims sizes)."""
    spec = data_spec()
    limit = cfg.train_limit if cfg.train_limit is not None else spec.n_train
    return dataclasses.replace(
        cfg,
        maxlen=config.pick(full=cfg.maxlen, quick=min(cfg.maxlen, 200)),
        max_epochs=config.pick(full=cfg.max_epochs, quick=min(cfg.max_epochs, 2)),
        train_limit=min(limit, spec.n_train),
    )


def recipe_for(cfg: ModelConfig) -> sequences.Recipe:
    """The batching recipe of a configuration: :data:`utils.sequences.RECIPE`, without length
    bucketing if it asks to be padded to ``maxlen``, with its own batch size if it has one, and
    with XLA on lengths rounded up to :data:`utils.sequences.ROUND_LENGTHS_TO` if it asks for
    ``jit_compile``."""
    recipe = sequences.RECIPE
    if cfg.pad_to_maxlen:
        recipe = dataclasses.replace(recipe, bucketing=False)
    if cfg.batch_size is not None:
        recipe = dataclasses.replace(recipe, batch_size=cfg.batch_size)
    if cfg.micro_batches > 1:  # the optimizer averages micro_batches parts: see ModelConfig
        if recipe.batch_size % cfg.micro_batches:
            raise ValueError(f"batch size {recipe.batch_size} is not a multiple of "
                             f"micro_batches={cfg.micro_batches}")
        recipe = dataclasses.replace(recipe, batch_size=recipe.batch_size // cfg.micro_batches)
    if cfg.jit_compile:
        recipe = dataclasses.replace(recipe, jit_compile=True,
                                     length_multiple=sequences.ROUND_LENGTHS_TO)
    return recipe


def build(cfg: ModelConfig, steps_per_epoch: int | None = None, *,
          jit_compile: bool | None = None, deterministic: bool = True) -> keras.Model:
    """The (compiled) Keras model of a configuration, freshly initialised from ``cfg.seed``.

    ``steps_per_epoch`` (batches per epoch) is needed when ``cfg.lr_decay < 1``.
    ``jit_compile`` (default: the configuration's recipe, :func:`recipe_for`) asks for XLA,
    which Keras ignores while TensorFlow's op determinism is on; ``deterministic=False`` seeds
    without turning it on (for a fresh process that measures or trains with XLA).

    Input: int ids ``(batch, time)``; output: the probability of *positive*, ``(batch, 1)``.
    The layers are named ``embedding``, ``rnn_1`` ... ``rnn_<layers>`` and ``output``.
    """
    if not isinstance(cfg, ModelConfig):
        raise TypeError(f"cfg must be a ModelConfig; got {type(cfg).__name__}")
    config.set_seed(cfg.seed, deterministic=deterministic)
    layers = keras.layers
    inputs = keras.Input(shape=(cfg.maxlen if cfg.unroll else None,), dtype="int32",
                         name="ids")
    x = layers.Embedding(cfg.num_words, cfg.embedding_dim, mask_zero=cfg.mask,
                         name="embedding")(inputs)
    if cfg.embedding_dropout:
        x = layers.SpatialDropout1D(cfg.embedding_dropout, name="embedding_dropout")(x)
    rnn_class = getattr(layers, RNN_LAYERS[cfg.rnn])
    options = {"reset_after": cfg.reset_after} if cfg.rnn == "gru" else {}
    for i in range(1, cfg.layers + 1):
        sequences_out = i < cfg.layers or cfg.pooling != "last"
        rnn = rnn_class(cfg.units, return_sequences=sequences_out, dropout=cfg.dropout,
                        recurrent_dropout=cfg.recurrent_dropout, unroll=cfg.unroll,
                        name=f"rnn_{i}", **options)
        if cfg.bidirectional:
            rnn = layers.Bidirectional(rnn, name=f"rnn_{i}")
        x = rnn(x)
    if cfg.pooling == "max":
        x = MaskedGlobalMaxPooling1D(name="max_pool")(x)
    elif cfg.pooling == "mean":
        x = layers.GlobalAveragePooling1D(name="mean_pool")(x)
    elif cfg.pooling == "max_mean":
        x = layers.Concatenate(name="max_mean_pool")(
            [MaskedGlobalMaxPooling1D(name="max_pool")(x),
             layers.GlobalAveragePooling1D(name="mean_pool")(x)])
    if cfg.output_dropout:
        x = layers.Dropout(cfg.output_dropout, name="output_dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="output")(x)
    model = keras.Model(inputs, outputs, name="sentiment")
    learning_rate = cfg.learning_rate
    if cfg.lr_decay < 1.0:
        if steps_per_epoch is None:
            raise ValueError("steps_per_epoch is needed for a configuration with lr_decay < 1")
        learning_rate = keras.optimizers.schedules.ExponentialDecay(
            cfg.learning_rate, decay_steps=steps_per_epoch, decay_rate=cfg.lr_decay,
            staircase=True)
    if jit_compile is None:
        jit_compile = recipe_for(cfg).jit_compile
    optimizer = keras.optimizers.Adam(
        learning_rate, gradient_accumulation_steps=cfg.micro_batches if cfg.micro_batches > 1
        else None)  # a learning-rate schedule counts parts, as steps_per_epoch does
    model.compile(optimizer=optimizer,
                  loss="binary_crossentropy", metrics=["accuracy"], jit_compile=jit_compile)
    return model


@dataclass
class TrainedModel:
    """A trained model of :data:`CONFIGS` and what its training measured.

    Attributes:
        name: its name in :data:`CONFIGS` (or ``"custom"``).
        config: the configuration as trained in this mode (see :func:`effective`).
        model: the Keras model, with the weights of its best validation epoch.
        history: per-epoch ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``.
        epoch_seconds: wall time of each epoch, validation included (measured when it was
            trained, on whatever else the machine was doing then).
        best_epoch: the epoch (from 1) whose weights were kept.
        path: the ``.keras`` file.
        from_cache: ``True`` when this call loaded it instead of training it.
        machine: where it was trained (:func:`utils.config.machine`: CPU model, cores);
            the times above were measured there.
    """

    name: str
    config: ModelConfig
    model: keras.Model
    history: dict[str, list[float]]
    epoch_seconds: list[float]
    best_epoch: int
    path: Path
    from_cache: bool
    machine: dict = field(default_factory=dict)
    _predictions: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def train_seconds(self) -> float:
        """Total training time in seconds (all epochs, including the ones early stopping
        discarded)."""
        return float(sum(self.epoch_seconds))

    @property
    def seconds_per_epoch(self) -> float:
        return self.train_seconds / max(len(self.epoch_seconds), 1)

    @property
    def val_accuracy(self) -> float:
        """Validation accuracy of the kept (best) epoch."""
        return float(self.history["val_accuracy"][self.best_epoch - 1])

    def probabilities(self, part: str) -> np.ndarray:
        """P(positive) for every review of ``part`` (``"val"`` or ``"test"``), shape ``(n,)``.

        Computed once and cached next to the model. Call it for ``"test"`` only to report a
        model that was chosen without looking at the test set.
        """
        if part not in ("val", "test"):
            raise ValueError(f"part must be 'val' or 'test'; got {part!r}")
        if part not in self._predictions:
            file = self.path.with_suffix(f".{part}.npy")
            if file.is_file():
                self._predictions[part] = np.load(file, allow_pickle=False)
            else:
                x, _ = imdb_splits(self.config.num_words)[part]
                p = predict(self.model, x, maxlen=self.config.maxlen,
                            recipe=recipe_for(self.config), padding=self.config.padding)
                atomic.write(file, lambda tmp: np.save(tmp, p))
                self._predictions[part] = p
                config.release_memory()  # a chapter predicts with a dozen models in turn
        return self._predictions[part]

    def accuracy(self, part: str) -> float:
        """Accuracy on ``part`` (``"val"`` or ``"test"``), at the threshold 0.5."""
        _, y = imdb_splits(self.config.num_words)[part]
        return float(np.mean((self.probabilities(part) > 0.5) == y))

    @property
    def params(self) -> int:
        return int(self.model.count_params())


def cache_dir() -> Path:
    """Where trained models are kept: ``_build/models`` (``_build/quick/models`` when quick)."""
    return config.build_dir() / "models"


#: Top-level names whose statements the code key leaves out: the tables of named models (each
#: model's own fields are part of its key), so that adding a model leaves the others cached.
_NOT_CODE = frozenset({"CONFIGS", "SEEDS"})


def _training_modules(folder: Path) -> list[Path]:
    """The files of the code a model's training and predictions depend on: ``utils/__init__.py``,
    ``utils/models.py`` and every ``utils`` module it imports, transitively (``from utils
    import x``, ``from utils.x import ...`` or ``import utils.x``, inside functions too), found
    with :mod:`ast` in ``folder`` (the ``utils`` package folder). Sorted by name."""
    seen: set[str] = set()
    todo = ["models"]
    while todo:
        name = todo.pop()
        if name in seen or not (folder / f"{name}.py").is_file():
            continue
        seen.add(name)
        for node in ast.walk(ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module == "utils":
                    todo += [alias.name for alias in node.names]
                elif node.module.startswith("utils."):
                    todo.append(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                todo += [alias.name.split(".")[1] for alias in node.names
                         if alias.name.startswith("utils.")]
    return [folder / "__init__.py"] + [folder / f"{name}.py" for name in sorted(seen)]


def _code_key(folder: Path) -> str:
    """A hash of the source of :func:`_training_modules` in ``folder``, less the statements that
    assign the tables :data:`_NOT_CODE`."""
    h = hashlib.sha256()
    for file in _training_modules(folder):
        source = file.read_text(encoding="utf-8")
        lines = source.splitlines(keepends=True)
        for node in reversed(ast.parse(source).body):
            targets = (node.targets if isinstance(node, ast.Assign) else
                       [node.target] if isinstance(node, ast.AnnAssign) else [])
            if any(isinstance(t, ast.Name) and t.id in _NOT_CODE for t in targets):
                del lines[node.lineno - 1:node.end_lineno]
        h.update(f"{file.name}\n".encode())
        h.update("".join(lines).encode())
    return h.hexdigest()[:16]


def _source_key() -> str:
    """A hash of the code that decides how a model trains and predicts, so that a change to it
    trains again: :func:`_code_key` of this package (every module that training imports, found
    from the imports, not from a list kept by hand), without the table :data:`CONFIGS`, so
    adding a model leaves the others cached. The data is keyed by its content
    (:func:`imdb_splits`)."""
    return _code_key(Path(__file__).parent)


def cache_key(cfg: ModelConfig) -> str:
    """The key of a trained configuration: its fields, the recipe, the data and the code."""
    cfg = effective(cfg)
    payload = json.dumps(
        {"config": cfg.key_fields(), "recipe": dataclasses.asdict(recipe_for(cfg)),
         "data": imdb_splits(cfg.num_words)["key"], "code": _source_key(),
         "keras": keras.__version__},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


class _EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def trained(name: str | ModelConfig, *, verbose: int = 2,
            folder: str | os.PathLike | None = None) -> TrainedModel:
    """The trained model ``name`` of :data:`CONFIGS` (or a ``ModelConfig``), trained at most once.

    Looks for ``<name>-<key>.keras`` in :func:`cache_dir`; if it is missing, builds the model,
    trains it on ``imdb_splits()["train"]`` with early stopping on ``["val"]``, and saves it with
    its history. Files of the same name with an older key are removed.

    Args:
        name: a key of :data:`CONFIGS` (or ``<key>_seed<N>``, see :func:`config_of`), or a
            configuration (cached as ``"custom"``).
        verbose: passed to ``model.fit`` (2: one line per epoch, 0: silent).
        folder: where the models are kept; ``None``: :func:`cache_dir` (a fresh process that
            trains with XLA is given its caller's folder).
    """
    if isinstance(name, ModelConfig):
        label, cfg = "custom", name
    elif isinstance(name, str):
        label, cfg = name, config_of(name)
    else:
        raise TypeError(f"name must be a str or a ModelConfig; got {type(name).__name__}")
    cfg = effective(cfg)
    key = cache_key(cfg)
    folder = cache_dir() if folder is None else Path(folder)
    path = folder / f"{label}-{key}.keras"
    meta_file = path.with_suffix(".json")
    if path.is_file() and meta_file.is_file():
        meta = json.loads(meta_file.read_text())
        with warnings.catch_warnings():  # a model trained with XLA, loaded where it is off
            warnings.filterwarnings("ignore", message="Model doesn't support `jit_compile")
            model = keras.saving.load_model(path, safe_mode=True)
        return TrainedModel(label, cfg, model, meta["history"], meta["epoch_seconds"],
                            meta["best_epoch"], path, from_cache=True,
                            machine=meta.get("machine", {}))
    _train(label, cfg, key, path, verbose=verbose)
    # Read back what was saved: the same weights, without the training graph and datasets
    # (hundreds of MB for the larger models), so a freshly trained model is the cached one.
    config.release_memory()
    return dataclasses.replace(trained(name, verbose=verbose, folder=folder), from_cache=False)


def _train(label: str, cfg: ModelConfig, key: str, path: Path, *, verbose: int) -> None:
    """Train ``cfg`` (already :func:`effective`) and save it at ``path`` with its history
    (``path`` with ``.json``), as :func:`trained` describes; in a fresh process if it needs XLA."""
    folder = path.parent
    meta_file = path.with_suffix(".json")

    recipe = recipe_for(cfg)
    if recipe.jit_compile and keras_refuses_xla():
        # Keras would silently train without XLA here: train in a fresh process, then load.
        from utils import fresh_process

        spec = {"name": label} if label != "custom" else {"config": cfg.key_fields()}
        out = fresh_process.run("utils.models", {**spec, "cache_dir": str(folder)},
                                timeout=7200)
        if Path(out["path"]) != path:  # the two processes disagree on the data or the code
            raise RuntimeError(f"{label}: the fresh process saved {out['path']}, not {path}")
        return
    config.release_memory()  # what earlier work freed goes back first: training needs room
    splits = imdb_splits(cfg.num_words)
    x_train, y_train = splits["train"]
    x_train, y_train = x_train[: cfg.train_limit], y_train[: cfg.train_limit]
    x_val, y_val = splits["val"]
    train_ds = sequences.make_dataset(x_train, y_train, maxlen=cfg.maxlen, shuffle=True,
                                      seed=cfg.seed, recipe=recipe, padding=cfg.padding)
    val_ds = sequences.make_dataset(
        x_val, y_val, maxlen=cfg.maxlen, shuffle=False, padding=cfg.padding,
        recipe=dataclasses.replace(recipe, batch_size=recipe.predict_batch_size))
    model = build(cfg, steps_per_epoch=int(train_ds.cardinality()),
                  deterministic=not recipe.jit_compile)
    if model.jit_compile != recipe.jit_compile:  # pragma: no cover - Keras refused XLA
        raise RuntimeError(f"{label}: Keras did not honour jit_compile={recipe.jit_compile}")
    timer = _EpochTimer()
    callbacks: list[keras.callbacks.Callback] = [timer]
    if cfg.patience is not None:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_accuracy", mode="max", patience=cfg.patience,
            restore_best_weights=True))
    fit = model.fit(train_ds, validation_data=val_ds, epochs=cfg.max_epochs,
                    callbacks=callbacks, verbose=verbose, shuffle=False)
    history = {k: [float(v) for v in vs] for k, vs in fit.history.items()}
    best_epoch = (int(np.argmax(history["val_accuracy"])) + 1 if cfg.patience is not None
                  else len(history["val_accuracy"]))
    for old in folder.glob(f"{label}-*"):  # older keys; the same key is replaced atomically,
        if old.stem != path.stem:          # so a process reading it (make test's other
            old.unlink(missing_ok=True)    # worker) never finds it missing
    atomic.write(path, model.save)
    meta = {"name": label, "config": cfg.key_fields(), "history": history,
            "epoch_seconds": timer.seconds, "best_epoch": best_epoch, "key": key,
            "machine": config.machine()}
    atomic.write_text(meta_file, json.dumps(meta, indent=1))


def best_of(names: Sequence[str]) -> str:
    """The name, among ``names``, of the model with the best validation accuracy.

    The choice looks at the validation split only (never the test set); a tie goes to the
    earlier name. Each model is trained (or loaded) with :func:`trained`.
    """
    if isinstance(names, str) or not names:
        raise ValueError(f"names must be a non-empty list of model names; got {names!r}")
    scores = {name: trained(name, verbose=0).val_accuracy for name in names}
    return max(names, key=lambda name: (scores[name], -list(names).index(name)))


def predict(
    model: keras.Model,
    x: Sequence[Sequence[int]],
    *,
    maxlen: int,
    recipe: sequences.Recipe = sequences.RECIPE,
    padding: str = "post",
) -> np.ndarray:
    """P(positive) for integer sequences, shape ``(n,)``, in the order of ``x``.

    Batches of ``recipe.predict_batch_size`` reviews are formed as in training (truncated to
    ``maxlen``; bucketed by length when the recipe says so) and the outputs are put back in the
    input order.
    """
    if len(x) == 0:
        return np.zeros(0, dtype=np.float32)
    recipe = dataclasses.replace(recipe, batch_size=recipe.predict_batch_size)
    ds = sequences.make_dataset(x, None, maxlen=maxlen, shuffle=False, recipe=recipe,
                                padding=padding)
    out = model.predict(ds, verbose=0).reshape(-1)
    order = sequences.dataset_order(x, maxlen=maxlen, recipe=recipe)
    probs = np.empty(len(x), dtype=np.float32)
    probs[order] = out
    return probs


def export_end_to_end(result: TrainedModel) -> Path:
    """Save ``result`` behind a :func:`utils.text.review_vectorizer`: strings in, P(positive)
    out. Returns the ``.keras`` path (next to the model, ``<name>-<key>.end_to_end.keras``)."""
    if not isinstance(result, TrainedModel):
        raise TypeError(f"result must be a TrainedModel; got {type(result).__name__}")
    from utils import text  # TensorFlow string ops: imported here, so that building a model
    #                         needs no TensorFlow (make bench builds it under Keras' JAX backend)

    path = result.path.with_suffix(".end_to_end.keras")
    cfg = result.config
    vectorizer = text.review_vectorizer(cfg.num_words, cfg.maxlen, sequences.RECIPE.truncating,
                                        word_index=imdb_splits(cfg.num_words)["word_index"])
    reviews = keras.Input(shape=(), dtype="string", name="review")
    probability = result.model(vectorizer(reviews))
    end_to_end = keras.Model(reviews, probability, name="sentiment_from_text")
    atomic.write(path, end_to_end.save)
    return path


def load_end_to_end(path: str | os.PathLike) -> keras.Model:
    """Load an end-to-end model saved by :func:`export_end_to_end`, in Keras' safe mode."""
    from utils import text  # noqa: F401  registers the vectorizer's Keras objects

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no saved model at {path}")
    return keras.saving.load_model(path, safe_mode=True)


def predict_sentiment(texts: Sequence[str], model: keras.Model) -> np.ndarray:
    """P(positive) for each review text, shape ``(len(texts),)``, from an end-to-end model.

    Args:
        texts: a list of review strings (a single string is refused: wrap it in a list).
        model: a model from :func:`load_end_to_end`.
    """
    import tensorflow as tf

    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a list of strings, not a single string: use [text]")
    texts = list(texts)
    if not all(isinstance(t, str) for t in texts):
        raise TypeError("texts must be a list of str")
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model; got {type(model).__name__}")
    if not texts:
        return np.zeros(0, dtype=np.float32)
    return np.asarray(model.predict(tf.constant(texts), verbose=0), dtype=np.float32).reshape(-1)


def keras_refuses_xla() -> bool:
    """Whether Keras would turn ``jit_compile=True`` off in this process, as it does while
    TensorFlow's op determinism is on: asked through the public ``keras.Model.jit_compile`` of
    a one-layer model (TensorFlow has no public query of op determinism)."""
    probe = keras.Sequential([keras.Input((1,)), keras.layers.Identity()])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Model doesn't support `jit_compile")
        probe.jit_compile = True
    return not probe.jit_compile


def _worker(spec: dict) -> dict:
    """Train ``spec["name"]`` of :data:`CONFIGS` (or the configuration ``spec["config"]``, its
    fields) in this process, into ``spec["cache_dir"]`` if given (default :func:`cache_dir`), as
    :func:`trained` does; return where it was saved. Run by ``python -m utils.models``."""
    name = spec["name"] if "name" in spec else ModelConfig(**spec["config"])
    result = trained(name, verbose=0, folder=spec.get("cache_dir") or None)
    return {"path": str(result.path), "jit_compile": bool(result.model.jit_compile),
            "epoch_seconds": result.epoch_seconds}


if __name__ == "__main__":
    import sys

    from utils import fresh_process

    if len(sys.argv) == 2 and not sys.argv[1].endswith(".json"):  # python -m utils.models NAME
        print(_worker({"name": sys.argv[1]}))
        sys.exit(0)
    sys.exit(fresh_process.serve(_worker))
