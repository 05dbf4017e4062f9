"""Named IMDB sentiment models, trained once and shared between chapters.

Explained in :doc:`/chapters/07_gru_sentiment_classifier` (the seed's GRU) and
:doc:`/chapters/09_better_models_and_baselines` (the other rows of the comparison table).

Training the same model twice is waste, so every model a chapter quotes is a *named, seeded
configuration* in :data:`CONFIGS`, trained by :func:`trained`. The first call trains it on the
book's split (:func:`imdb_splits`: a validation set of whole movies held out of the *training*
reviews; the test set is only for the final report) with the batching recipe of
:mod:`utils.sequences`, and saves the ``.keras`` file and the history under
``config.build_dir() / "models"``. The file name holds a key of the configuration, the recipe,
the data and the source of the code that trains, so a change to any of them trains again, and a
later chapter, or a rebuild, reloads the model instead.
Training is seeded and deterministic: deleting the cache reproduces the same numbers.

The end-to-end model (raw strings in, probability out) is :func:`export_end_to_end`, read back
in safe mode by :func:`load_end_to_end` and used by :func:`predict_sentiment`.
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

from utils import atomic, config, data, sequences
from utils.checks import positive_int

__all__ = [
    "CONFIGS",
    "SEEDS",
    "DataSpec",
    "MaskedGlobalMaxPooling1D",
    "ModelConfig",
    "TrainedModel",
    "best_of",
    "build",
    "cache_dir",
    "config_of",
    "export_end_to_end",
    "hold_out_movies",
    "imdb_splits",
    "load_end_to_end",
    "predict",
    "predict_sentiment",
    "seed_names",
    "trained",
]

_RNNS = {"gru": "GRU", "lstm": "LSTM", "simple_rnn": "SimpleRNN"}
_POOLINGS = ("last", "max", "mean", "max_mean")


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


@dataclass(frozen=True)
class ModelConfig:
    """One model and how it is trained (every field is part of the cache key).

    The architecture is ``Embedding(num_words, embedding_dim, mask_zero=mask)``, optional
    ``SpatialDropout1D(embedding_dropout)``, ``layers`` recurrent layers of kind ``rnn`` with
    ``units`` units (``bidirectional`` doubles them), a ``pooling`` over time (``"last"`` is the
    final state), optional ``Dropout(output_dropout)`` and ``Dense(1, sigmoid)``; trained with
    Adam(``learning_rate``, multiplied by ``lr_decay`` after every epoch) on binary
    cross-entropy for at most ``max_epochs`` epochs, stopping
    after ``patience`` epochs without a better validation accuracy (``None``: no early stop) and
    keeping the weights of the best epoch.

    ``pad_to_maxlen`` pads every review to ``maxlen`` with ``padding`` (the naive pipeline of
    :doc:`/chapters/06_text_to_tensors`) instead of the recipe's length bucketing;
    ``batch_size`` replaces the recipe's (``None`` keeps it); ``train_limit`` trains on the
    first reviews of the training part only. ``reset_after`` (GRU only) and ``unroll`` are
    the recurrent layer's own arguments (Keras' defaults; :doc:`/chapters/10_fast_training_on_cpu`
    measures the others; ``unroll=True`` fixes the input length to ``maxlen``).
    ``jit_compile=True`` trains with XLA on bucketed batches whose lengths are rounded up to
    :data:`utils.sequences.ROUND_LENGTHS_TO` (few shapes, so few compilations). Keras allows XLA
    only while TensorFlow's op determinism is off, and op determinism cannot be turned off in
    a process that has turned it on, so :func:`trained` trains such a model in a fresh process
    (``python -m utils.models NAME``) when op determinism is on in its own. XLA's CPU code is
    deterministic by itself: two fresh processes train the same weights.
    """

    description: str = ""
    rnn: str = "gru"
    units: int = 32
    num_words: int = 10_000
    maxlen: int = 500
    embedding_dim: int = 32
    mask: bool = True
    bidirectional: bool = False
    layers: int = 1
    pooling: str = "last"
    embedding_dropout: float = 0.0
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    reset_after: bool = True
    unroll: bool = False
    output_dropout: float = 0.0
    learning_rate: float = 1e-3
    lr_decay: float = 1.0
    max_epochs: int = 6
    patience: int | None = 1
    pad_to_maxlen: bool = False
    padding: str = "post"
    batch_size: int | None = None
    train_limit: int | None = None
    jit_compile: bool = False
    seed: int = config.SEED

    def __post_init__(self):
        if self.rnn not in _RNNS:
            raise ValueError(f"rnn must be one of {sorted(_RNNS)}; got {self.rnn!r}")
        if self.pooling not in _POOLINGS:
            raise ValueError(f"pooling must be one of {_POOLINGS}; got {self.pooling!r}")
        if self.padding not in ("pre", "post"):
            raise ValueError(f"padding must be 'pre' or 'post'; got {self.padding!r}")
        for name in ("mask", "bidirectional", "reset_after", "unroll", "pad_to_maxlen",
                     "jit_compile"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be a bool; got {getattr(self, name)!r}")
        if not self.reset_after and self.rnn != "gru":
            raise ValueError(f"reset_after=False needs rnn='gru'; got {self.rnn!r}")
        if self.pooling != "last" and not self.mask:
            raise ValueError("pooling over time needs mask=True (padding would be pooled)")
        for name in ("units", "num_words", "maxlen", "embedding_dim", "layers", "max_epochs"):
            positive_int(name, getattr(self, name))
        for name in ("embedding_dropout", "dropout", "recurrent_dropout", "output_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1); got {getattr(self, name)!r}")
        if not 0.0 < self.lr_decay <= 1.0 or not self.learning_rate > 0:
            raise ValueError("learning_rate must be positive and lr_decay in (0, 1]; got "
                             f"{self.learning_rate!r}, {self.lr_decay!r}")
        for name in ("patience", "batch_size", "train_limit"):
            positive_int(name, getattr(self, name), allow_none=True)

    def key_fields(self) -> dict:
        """The fields that decide the model (all but the description)."""
        d = dataclasses.asdict(self)
        d.pop("description")
        return d


#: The named models of the book: the seed's GRU first, then the rows of the comparison table.
CONFIGS: dict[str, ModelConfig] = {
    # Chapter 6: the padding pitfall, on the seed's GRU padded to 500 steps, fixed budget.
    "pad_pre": ModelConfig("pre-padding, no mask", mask=False, pad_to_maxlen=True,
                           padding="pre", max_epochs=2, patience=None, train_limit=10_000),
    "pad_post": ModelConfig("post-padding, no mask", mask=False, pad_to_maxlen=True,
                            padding="post", max_epochs=2, patience=None, train_limit=10_000),
    "pad_post_mask": ModelConfig("post-padding, mask_zero=True", pad_to_maxlen=True,
                                 padding="post", max_epochs=2, patience=None,
                                 train_limit=10_000),
    # Chapter 7: the seed's model, as the seed meant it, and regularised.
    "seed_gru": ModelConfig("GRU(32), the seed's configuration"),
    "seed_gru_dropout": ModelConfig("GRU(32) + embedding dropout 0.5",
                                    embedding_dropout=0.5, max_epochs=10, patience=2),
    # Chapter 10: the race, the seed's GRU under the seed's set-up and under the book's recipe,
    # with the same stopping rule, on the first 5,000 training reviews (so that the seed's slow
    # set-up trains to convergence within the chapter's time);
    # and the keras-io example "Bidirectional LSTM on IMDB" with its own schedule (make bench).
    "seed_setup": ModelConfig("GRU(32), the seed's set-up: batches of 32, pre-padded to 500, "
                              "no mask", mask=False, pad_to_maxlen=True, padding="pre",
                              batch_size=32, train_limit=5_000),
    "seed_recipe": ModelConfig("GRU(32), the book's recipe", train_limit=5_000),
    # The batch-size lever in the race: batches of 256, the learning rate scaled with the batch.
    "seed_recipe_256": ModelConfig("GRU(32), the book's recipe with batches of 256 and twice "
                                   "the learning rate", batch_size=256, learning_rate=2e-3,
                                   train_limit=5_000),
    # The book's recipe with XLA, trained in a fresh process (make bench's race).
    "seed_gru_xla": ModelConfig("GRU(32), the book's recipe with XLA (lengths rounded up to "
                                f"{sequences.ROUND_LENGTHS_TO}, no op determinism)",
                                jit_compile=True),
    "keras_io": ModelConfig("keras-io: two Bidirectional(LSTM(64))", rnn="lstm", units=64,
                            num_words=20_000, maxlen=200, embedding_dim=128, mask=False,
                            bidirectional=True, layers=2, pad_to_maxlen=True, padding="pre",
                            batch_size=32, max_epochs=2, patience=None),
    # Chapter 9: the comparison table (same data, recipe and early stopping).
    "simple_rnn": ModelConfig("SimpleRNN(32)", rnn="simple_rnn"),
    "lstm": ModelConfig("LSTM(32)", rnn="lstm"),
    "bigru": ModelConfig("bidirectional GRU(32)", bidirectional=True),
    "stacked_gru": ModelConfig("two stacked GRU(32) layers", layers=2),
    "gru_max_mean": ModelConfig("GRU(32) + max and mean pooling over time",
                                pooling="max_mean"),
    "gru_output_dropout": ModelConfig("GRU(32) + dropout 0.5 before the output",
                                      output_dropout=0.5, max_epochs=10, patience=2),
    "gru_recurrent_dropout": ModelConfig("GRU(32) + recurrent dropout 0.3",
                                         recurrent_dropout=0.3, max_epochs=10, patience=2),
    "best_candidate": ModelConfig(
        "bidirectional GRU(64) + max and mean pooling, 30,000 words, dropout",
        units=64, bidirectional=True, pooling="max_mean", num_words=30_000, embedding_dim=64,
        embedding_dropout=0.5, output_dropout=0.5, learning_rate=3e-3, lr_decay=0.5,
        # Batches of 256 and a larger step, chosen on validation: three seeds reached 87.0-87.2 %
        # (a mean of 86.7 % with batches of 128 and 2e-3) in 85-104 s of training per seed
        # (113-170 s in earlier builds), 2026-12-02.
        batch_size=256),
}

#: The seeds over which a model's accuracy is reported as mean ± sd (seed 0 is the model itself).
SEEDS: tuple[int, ...] = (0, 1, 2)


def config_of(name: str) -> ModelConfig:
    """The configuration called ``name``: a key of :data:`CONFIGS`, or such a key followed by
    ``_seed<N>`` for the same model initialised and shuffled from seed ``N``."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {type(name).__name__}")
    if name in CONFIGS:
        return CONFIGS[name]
    base, _, seed = name.rpartition("_seed")
    if base in CONFIGS and seed.isdigit():
        return dataclasses.replace(CONFIGS[base], seed=int(seed))
    raise ValueError(f"unknown model {name!r}; known: {sorted(CONFIGS)}, each also as "
                     "<name>_seed<N>")


def seed_names(name: str) -> list[str]:
    """The names of the model ``name`` (a key of :data:`CONFIGS`) trained from each seed of
    :data:`SEEDS`: ``[name, name + "_seed1", name + "_seed2"]``."""
    if name not in CONFIGS:
        raise ValueError(f"name must be a key of CONFIGS; got {name!r}")
    return [name] + [f"{name}_seed{seed}" for seed in SEEDS[1:]]


@dataclass(frozen=True)
class DataSpec:
    """How many reviews each part of the split has (quick mode uses fewer)."""

    n_train: int
    n_val: int
    n_test: int


def data_spec() -> DataSpec:
    """The split sizes of the current mode: 20,000/5,000/25,000 reviews, or fewer when quick."""
    return config.pick(full=DataSpec(20_000, 5_000, 25_000), quick=DataSpec(2_000, 500, 1_000))


_SPLITS: dict[tuple[int, bool], dict] = {}  # by vocabulary size and quick mode


def hold_out_movies(movie_ids: np.ndarray, labels: np.ndarray, n_val: int,
                    seed: int = 0) -> np.ndarray:
    """Positions of about ``n_val`` reviews that hold out *whole movies*, half of them positive.

    The movies are visited in a seeded random order and a movie joins the held-out set when
    all its reviews fit the remaining quota of each label, so no movie is split between the
    held-out set and the rest, and the labels stay balanced. Returns sorted positions.
    """
    movies, inverse = np.unique(movie_ids, return_inverse=True)
    counts = np.zeros((len(movies), 2), dtype=np.int64)
    np.add.at(counts, (inverse, labels), 1)
    room = np.array([n_val // 2, n_val - n_val // 2])
    taken = np.zeros(len(movies), dtype=bool)
    for m in np.random.default_rng(seed).permutation(len(movies)):
        if np.all(counts[m] <= room):
            taken[m], room = True, room - counts[m]
            if not room.any():
                break
    return np.flatnonzero(taken[inverse])


def imdb_splits(num_words: int = 10_000) -> dict:
    """The book's split of IMDB into train, validation and test, as integer sequences.

    The validation reviews are whole movies held out of the official training split
    (:func:`hold_out_movies`, movies from :func:`utils.data.imdb_movie_ids`), so that, like the
    official test reviews, they are about movies the model never trained on. The training
    reviews are the first ``n_train`` of the others, in the (shuffled) order of
    :func:`utils.data.load_imdb_text`. The test split is the official one. Word ids follow the
    conventions of :func:`utils.data.load_imdb` (start 1, out-of-vocabulary 2, the word of rank
    ``r`` is ``r + 3``), but ranks are counted on the training reviews only
    (:func:`utils.data.rank_words`): the ``num_words - 4`` most frequent words there are kept.

    Returns:
        ``{"train": (x, y), "val": (x, y), "test": (x, y)}`` with ``x`` a list of int32 arrays
        and ``y`` an int64 array; ``"train_index"`` and ``"val_index"``, the positions of those
        reviews in the training split of :func:`utils.data.load_imdb_text`; ``"word_index"``,
        each kept word's rank (id = rank + 3); and ``"key"``, a hash
        of the contents.
    """
    memo = (num_words, config.is_quick())
    if memo in _SPLITS:
        return _SPLITS[memo]
    spec = data_spec()
    (x_train, y_train), (x_test, y_test) = data.load_imdb_arrays()
    if spec.n_train + spec.n_val > len(x_train):
        raise ValueError(f"the training split has {len(x_train)} reviews, fewer than "
                         f"n_train + n_val = {spec.n_train + spec.n_val}")
    val_index = hold_out_movies(data.imdb_movie_ids("train"), y_train, spec.n_val)
    train_index = np.setdiff1d(np.arange(len(x_train)), val_index)[: spec.n_train]
    # Words are ranked on the training part only: the validation reviews shape no input.
    remap, word_index = data.rank_words([x_train[i] for i in train_index], num_words)
    out = {
        "train": ([remap[x_train[i]] for i in train_index], y_train[train_index]),
        "val": ([remap[x_train[i]] for i in val_index], y_train[val_index]),
        "test": ([remap[x] for x in x_test[: spec.n_test]], y_test[: spec.n_test]),
        "train_index": train_index,
        "val_index": val_index,
        "word_index": word_index,
    }
    h = hashlib.sha256(f"{num_words}/{spec}".encode())
    for part in ("train", "val", "test"):
        xs, ys = out[part]
        h.update(np.concatenate(xs).tobytes() if xs else b"")
        h.update(np.array([len(s) for s in xs], dtype=np.int64).tobytes())
        h.update(np.asarray(ys, dtype=np.int64).tobytes())
    out["key"] = h.hexdigest()[:16]
    _SPLITS[memo] = out
    return out


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
    rnn_class = getattr(layers, _RNNS[cfg.rnn])
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
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
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
    its history. Older files of the same name are removed.

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
    if recipe.jit_compile and _keras_refuses_xla():
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
    for old in folder.glob(f"{label}-*"):
        old.unlink(missing_ok=True)
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


def _keras_refuses_xla() -> bool:
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
