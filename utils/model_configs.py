"""The book's named model configurations: :class:`ModelConfig` and the table :data:`CONFIGS`.

Explained in :doc:`/chapters/07_gru_sentiment_classifier` (the seed's GRU) and
:doc:`/chapters/09_better_models_and_baselines` (the other rows of the comparison table);
:doc:`/chapters/10_fast_training_on_cpu` races some of them.

A :class:`ModelConfig` is a frozen, validated record of one model and how it trains: the
architecture ``Embedding(num_words, embedding_dim)`` → ``layers`` recurrent layers of ``units``
units → pooling over time → ``Dense(1, sigmoid)``, mapping int ids ``(batch, time)`` to
P(positive) ``(batch, 1)``, and the training schedule. :data:`CONFIGS` names the models the
chapters quote; :func:`config_of` reads a name (``<name>_seed<N>`` for another seed).
Building, training and caching them is :mod:`utils.models`, which re-exports these names.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from utils import config, sequences
from utils.checks import positive_int

__all__ = ["CONFIGS", "POOLINGS", "RNN_LAYERS", "SEEDS", "ModelConfig", "config_of",
           "seed_names"]

#: The recurrent layers a configuration may ask for: its ``rnn`` -> the ``keras.layers`` class.
RNN_LAYERS = {"gru": "GRU", "lstm": "LSTM", "simple_rnn": "SimpleRNN"}
#: The poolings over time a configuration may ask for.
POOLINGS = ("last", "max", "mean", "max_mean")


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
    ``batch_size`` replaces the recipe's (``None`` keeps it); ``micro_batches`` > 1 feeds each
    batch in that many equal parts and averages their gradients before one update (Keras'
    ``gradient_accumulation_steps``): the optimizer sees the same batches, while the
    activations kept for back-propagation are those of one part (chapter 9's largest model
    needs this to train within a Binder session's 2 GB); ``train_limit`` trains on the
    first reviews of the training part only. ``reset_after`` (GRU only) and ``unroll`` are
    the recurrent layer's own arguments (Keras' defaults; :doc:`/chapters/10_fast_training_on_cpu`
    measures the others; ``unroll=True`` fixes the input length to ``maxlen``).
    ``jit_compile=True`` trains with XLA on bucketed batches whose lengths are rounded up to
    :data:`utils.sequences.ROUND_LENGTHS_TO` (few shapes, so few compilations). Keras allows XLA
    only while TensorFlow's op determinism is off, and op determinism cannot be turned off in
    a process that has turned it on, so :func:`utils.models.trained` trains such a model in a
    fresh process (``python -m utils.models NAME``) when op determinism is on in its own. XLA's
    CPU code is deterministic by itself: two fresh processes train the same weights.
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
    micro_batches: int = 1
    train_limit: int | None = None
    jit_compile: bool = False
    seed: int = config.SEED

    def __post_init__(self):
        if self.rnn not in RNN_LAYERS:
            raise ValueError(f"rnn must be one of {sorted(RNN_LAYERS)}; got {self.rnn!r}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}; got {self.pooling!r}")
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
        for name in ("units", "num_words", "maxlen", "embedding_dim", "layers", "max_epochs",
                     "micro_batches"):
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
        # (113-170 s in earlier builds), 2026-12-02. Fed as four parts of 64 (micro_batches):
        # with whole batches of 256 chapter 9's kernel peaked at 2.5 GB while training it;
        # training in a fresh process added 1.1 GB at its peak in two halves of 128, 0.8 GB
        # in four parts of 64 (2026-12-05).
        batch_size=256, micro_batches=4),
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

