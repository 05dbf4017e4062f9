"""The n-grams' evidence at every step: a GRU that reads naive-Bayes log-count ratios.

Explained in :doc:`/chapters/09_better_models_and_baselines`. A bag of n-grams knows, for every
word and word pair, how much more often it occurs in positive than in negative training reviews
(its log-count ratio, :func:`utils.baselines.log_count_ratio`); a GRU that learns its word
vectors from 20,000 reviews has to find that out for itself. Here each step of a review gets
two numbers beside its word id: the ratio of its word and the ratio of the bigram that the word
ends. On the training reviews the ratios are computed **out of fold** (:func:`step_ratios`:
folds of whole movies, each fold's ratios from the other folds' reviews), so that no review's
own label shapes its inputs; validation and test reviews get ratios from all training reviews.

:func:`build` makes the model (ids ``(batch, time)`` and ratios ``(batch, time, 2)`` in,
P(positive) ``(batch, 1)`` out) with a GRU or, for the ablation that shows what the recurrence
adds, with a per-step dense layer in its place; :func:`train` fits it with early stopping on the
validation reviews.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np
import scipy.sparse as sp

from utils import baselines, config, sequences
from utils.models import MaskedGlobalMaxPooling1D

__all__ = ["NBRun", "StepRatios", "build", "step_keys", "step_ratios", "train"]

#: Word ids are below this; a bigram's key is ``previous * BIGRAM_BASE + word``.
BIGRAM_BASE = 1 << 24


def step_keys(review: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The keys of each step's word and of the bigram it ends (the first step's bigram starts
    at id 0, which no word has), both of shape ``(len(review),)`` int64."""
    ids = np.asarray(review, dtype=np.int64)
    previous = np.concatenate([[0], ids[:-1]])
    return ids, previous * BIGRAM_BASE + ids


def _ratio_table(keys: Sequence[np.ndarray], labels: np.ndarray, alpha: float):
    """Sorted distinct keys, their log-count ratios (:func:`utils.baselines.log_count_ratio` of
    the reviews' key counts), and the ratio of a key never seen (a column of zeros)."""
    flat = np.concatenate(keys)
    review = np.repeat(np.arange(len(keys)), [len(k) for k in keys])
    table, column = np.unique(flat, return_inverse=True)
    counts = sp.csr_matrix((np.ones(flat.size, dtype=np.float32), (review, column)),
                           shape=(len(keys), len(table) + 1))
    ratio = baselines.log_count_ratio(counts, labels, alpha)
    return table, ratio[:-1], float(ratio[-1])


def _lookup(keys: np.ndarray, table) -> np.ndarray:
    known, ratio, unseen = table
    at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
    return np.where(known[at] == keys, ratio[at], unseen).astype(np.float32)


def _ratios(rows, tables) -> list[np.ndarray]:
    """Each review's ``(len, 2)`` ratios from its :func:`step_keys` ``rows``: one lookup over
    all steps, then cut back into reviews."""
    columns = [_lookup(np.concatenate([row[j] for row in rows]), tables[j]) for j in (0, 1)]
    return np.split(np.stack(columns, axis=1), np.cumsum([len(r[0]) for r in rows])[:-1])


class StepRatios(dict):
    """What :func:`step_ratios` returns: ``{part: [one float32 array (len(review), 2) per
    review]}``, and :meth:`of` for reviews that come later."""

    def __init__(self, parts: dict, tables):
        super().__init__(parts)
        self.tables = tables  # the word and bigram tables of all training reviews

    def of(self, reviews: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The ratios of new reviews, from all training reviews (as validation's are)."""
        return _ratios([step_keys(r) for r in reviews], self.tables)


def step_ratios(train: Sequence[np.ndarray], labels: np.ndarray, movies: np.ndarray,
                others: dict[str, Sequence[np.ndarray]], *, folds: int = 5,
                alpha: float = 1.0) -> StepRatios:
    """Each step's word and bigram log-count ratio, out of fold on the training reviews.

    Args:
        train: the training reviews, ``n`` int sequences (already truncated as the model reads
            them).
        labels: ``(n,)`` 0/1 labels of the training reviews.
        movies: ``(n,)`` the movie of each training review: a fold holds whole movies, so that a
            review's ratios come from other movies than its own.
        others: named parts (validation, test) whose ratios come from all training reviews.
        folds: the number of folds (``>= 2``).
        alpha: the smoothing count of :func:`utils.baselines.log_count_ratio`.

    Returns:
        A :class:`StepRatios`, ``{"train": [...], **others}``: for every review a float32 array
        ``(len(review), 2)``, the word's and the bigram's ratio at each step.
    """
    from sklearn.model_selection import GroupKFold

    labels, movies = np.asarray(labels), np.asarray(movies)
    if not len(train) == len(labels) == len(movies):
        raise ValueError(f"train, labels and movies must have one entry per review; got "
                         f"{len(train)}, {len(labels)} and {len(movies)}")
    keys = [step_keys(r) for r in train]

    def tables_of(index):
        return [_ratio_table([keys[i][j] for i in index], labels[index], alpha) for j in (0, 1)]

    out: list[np.ndarray] = [None] * len(train)
    for fit, held in GroupKFold(n_splits=folds).split(labels, groups=movies):
        for i, row in zip(held, _ratios([keys[i] for i in held], tables_of(fit))):
            out[i] = row
    result = StepRatios({"train": out}, tables_of(np.arange(len(train))))
    result.update({part: result.of(reviews) for part, reviews in others.items()})
    return result


def build(num_words: int, *, recurrent: bool = True, units: int = 32, embedding_dim: int = 32,
          embedding_dropout: float = 0.25, learning_rate: float = 2e-3,
          seed: int = 0) -> keras.Model:
    """The model: word vectors and the two ratios at each step, a GRU (``recurrent=True``) or a
    per-step dense layer of as many units (the ablation), max and mean pooling over the
    review's steps, one sigmoid unit.

    Inputs ``ids`` ``(batch, time)`` int32 (0 pads, masked) and ``ratios`` ``(batch, time, 2)``;
    output P(positive) ``(batch, 1)``. Seeded and compiled (Adam, binary cross-entropy).
    """
    config.set_seed(seed)
    layers = keras.layers
    ids = keras.Input((None,), dtype="int32", name="ids")
    ratios = keras.Input((None, 2), dtype="float32", name="ratios")
    words = layers.Embedding(num_words, embedding_dim, mask_zero=True, name="embedding")(ids)
    words = layers.SpatialDropout1D(embedding_dropout, name="embedding_dropout")(words)
    x = layers.Concatenate(name="step_inputs")([words, ratios])
    if recurrent:
        x = layers.GRU(units, return_sequences=True, name="rnn_1")(x)
    else:
        x = layers.Dense(units, activation="tanh", name="per_step")(x)
    x = layers.Concatenate(name="max_mean_pool")(
        [MaskedGlobalMaxPooling1D(name="max_pool")(x),
         layers.GlobalAveragePooling1D(name="mean_pool")(x)])
    outputs = layers.Dense(1, activation="sigmoid", name="output")(x)
    model = keras.Model([ids, ratios], outputs, name="nb_steps_gru" if recurrent else "nb_steps")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def _dataset(ids, ratios, labels, *, num_words: int, batch_size: int, shuffle: bool, seed: int):
    """Batches of similar length (:func:`utils.sequences.length_batches`), padded at the end;
    words of rank ``num_words`` or more become the out-of-vocabulary id 2."""
    import tensorflow as tf

    lens = np.array([len(r) for r in ids], dtype=np.int64)
    rng = np.random.default_rng(seed)
    y = None if labels is None else np.asarray(labels, dtype=np.float32)

    def generate():
        for b in sequences.length_batches(lens, batch_size, shuffle=shuffle, rng=rng):
            x = sequences.pad_batch([np.where(ids[i] < num_words, ids[i], 2) for i in b])
            r = keras.utils.pad_sequences([ratios[i] for i in b], maxlen=x.shape[1],
                                          dtype="float32", padding="post")
            yield ((x, r), y[b]) if y is not None else ((x, r),)

    inputs = (tf.TensorSpec((None, None), tf.int32), tf.TensorSpec((None, None, 2), tf.float32))
    spec = (inputs, tf.TensorSpec((None,), tf.float32)) if y is not None else (inputs,)
    ds = tf.data.Dataset.from_generator(generate, output_signature=spec)
    n_batches = -(-len(ids) // batch_size)
    return ds.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(2)


def predict(model: keras.Model, ids, ratios, *, batch_size: int = 128) -> np.ndarray:
    """P(positive) for each review, shape ``(n,)``, in the order given: ``ids`` and ``ratios``
    as :func:`train` takes them (the vocabulary's size is read from the model)."""
    num_words = model.get_layer("embedding").input_dim
    order = np.concatenate(sequences.length_batches(
        np.array([len(r) for r in ids], dtype=np.int64), batch_size, shuffle=False))
    p = model.predict(_dataset(ids, ratios, None, num_words=num_words, batch_size=batch_size,
                               shuffle=False, seed=0), verbose=0).ravel()
    out = np.empty_like(p)
    out[order] = p
    return out


@dataclass
class NBRun:
    """One trained model of :func:`train`: the Keras model (the kept epoch's weights), its
    probabilities on the validation and test reviews (``(n,)`` each), the validation accuracy of
    each epoch, the kept epoch (from 1) and the training time in seconds."""

    model: keras.Model
    p_val: np.ndarray
    p_test: np.ndarray
    val_accuracy_by_epoch: list[float]
    best_epoch: int
    train_seconds: float

    @property
    def val_accuracy(self) -> float:
        return self.val_accuracy_by_epoch[self.best_epoch - 1]

    def probabilities(self, part: str) -> np.ndarray:
        """P(positive) on ``"val"`` or ``"test"``, shape ``(n,)``, as a trained model of
        :mod:`utils.models` gives it."""
        return {"val": self.p_val, "test": self.p_test}[part]


def train(parts: dict, ratios: dict, *, recurrent: bool = True, seed: int = 0,
          num_words: int = 10_000, batch_size: int = 128, max_epochs: int = 8,
          patience: int = 1, **options) -> NBRun:
    """Build (:func:`build`) and fit on ``parts["train"]`` with early stopping on the
    validation accuracy (the best epoch's weights kept), then predict ``"val"`` and ``"test"``.

    ``parts`` maps ``"train"``, ``"val"``, ``"test"`` to ``(ids, labels)``; ``ratios`` the same
    parts to :func:`step_ratios`' arrays; ``options`` go to :func:`build`.
    """
    model = build(num_words, recurrent=recurrent, seed=seed, **options)
    data = {part: _dataset(parts[part][0], ratios[part], parts[part][1], num_words=num_words,
                           batch_size=batch_size, shuffle=part == "train", seed=seed)
            for part in ("train", "val")}
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=patience,
                                         restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(data["train"], validation_data=data["val"], epochs=max_epochs,
                        callbacks=[stop], verbose=0, shuffle=False).history
    seconds = time.perf_counter() - start
    val = [float(v) for v in history["val_accuracy"]]
    p = {part: predict(model, parts[part][0], ratios[part])
         for part in ("val", "test")}
    del data
    config.release_memory()
    return NBRun(model, p["val"], p["test"], val, int(np.argmax(val)) + 1, seconds)
