"""Synthetic long-memory tasks, and one fixed training budget to compare recurrent layers on them.

Explained in :doc:`/chapters/03_vanishing_gradients`; reused unchanged, with the same budget,
for the GRU and the LSTM in the chapter on the GRU's gates, so the comparison is fair.

Two tasks, each with a *lag*: the number of steps between the information the answer depends on
and the last step, where the answer is read out.

``"marked_symbol"`` (classification)
    The sequence is ``lag + window`` steps (``window`` = 5 by default) of a one-hot symbol from
    an alphabet of ``num_symbols`` (default 4), uniformly random at every step, plus a marker
    feature that is 1 at exactly one step among the first ``window``; the answer is the marked
    symbol. It is "remember the first symbol" made fair to gated models, which can learn to
    store *on the marker*; the later symbols are distractors from the same alphabet. A model that
    ignores the past can only guess: accuracy ``1/num_symbols``, cross-entropy
    ``ln(num_symbols)``.
``"adding"`` (regression; Hochreiter & Schmidhuber, 1997)
    The sequence is ``lag + window`` steps of two features: a value drawn uniformly from
    ``[0, 1)`` and a marker, 1 at exactly two steps chosen among the first ``window`` (default
    5) and 0 elsewhere. The answer is the sum of the two marked values. Every marked value is at
    least ``lag`` steps before the end. A model that ignores the past predicts the mean, 1,
    with mean squared error ``Var(U1 + U2) = 1/6``.

A task counts as *solved* when the model explains at least 90 % of what the baseline cannot:
accuracy at least ``baseline + 0.9 * (1 - baseline)`` for classification, mean squared error at
most ``0.1 * baseline`` for regression. At the other end, a run is *at the baseline* when its
test score is no better than a model without memory would reach by luck on the same number of
test sequences: its accuracy is at most ``baseline + 2`` standard errors of a guesser's accuracy,
``sqrt(p (1 - p) / n_test)``, or its mean squared error at least ``baseline - 2`` standard
errors of the no-memory model's error, ``sd / sqrt(n_test)`` with ``sd`` the standard deviation
of one sequence's squared error (for the adding problem ``sqrt(1/15 - 1/36) = sqrt(7/180)``).
A worse score than the baseline's counts as at the baseline: nothing was learned.

:func:`train_on_task` trains ``Input -> recurrent layer -> Dense`` with Adam on a
:class:`Budget` (sizes come from :func:`default_budget`, smaller in quick mode) and evaluates on
fresh test sequences; :func:`evaluate_lags` repeats it over lags (and seeds) for a curve, whose
:meth:`LagCurve.longest_solved_lag` and :meth:`LagCurve.baseline_from` say where a layer stops
solving a task and from which lag on it learns nothing measurable.

What the default budget gives for each layer and lag is measured, and checked, where the book
builds: :doc:`/chapters/03_vanishing_gradients` for the ``SimpleRNN`` and the chapter on why
gates work for the ``GRU`` and the ``LSTM``. The budget is small on purpose (one run takes
seconds on a CPU); layers are compared on it, not judged in absolute terms.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from utils import config

__all__ = [
    "Task",
    "TASKS",
    "get_task",
    "marked_symbol",
    "adding_problem",
    "Budget",
    "default_budget",
    "build_model",
    "TaskResult",
    "train_on_task",
    "LagCurve",
    "evaluate_lags",
]

#: Fraction of the gap between the baseline and perfection a model must close to "solve" a task.
SOLVED_FRACTION = 0.9
#: Standard errors a test score may beat the baseline by and still count as "at the baseline".
BASELINE_Z = 2.0


def _check_int(value, name: str, minimum: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}")
    return int(value)


# --------------------------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------------------------


def marked_symbol(n: int, lag: int, num_symbols: int = 4, window: int = 5,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` "remember the marked symbol" sequences whose marked symbol is ``>= lag`` steps back.

    Returns:
        ``x`` float32 ``(n, lag + window, num_symbols + 1)``: ``x[..., :num_symbols]`` one-hot
        symbols, uniformly random at every step, and ``x[..., -1]`` a marker, 1 at exactly one
        step among the first ``window`` and 0 elsewhere; ``y`` int64 ``(n,)`` the class of the
        marked symbol. With ``window=1`` the marked symbol is always the first one.
        Reproducible per ``seed``.
    """
    n = _check_int(n, "n", 1)
    lag = _check_int(lag, "lag", 0)
    num_symbols = _check_int(num_symbols, "num_symbols", 2)
    window = _check_int(window, "window", 1)
    rng = np.random.default_rng(seed)
    length = lag + window
    symbols = rng.integers(0, num_symbols, size=(n, length))
    mark = rng.integers(0, window, size=n)
    x = np.zeros((n, length, num_symbols + 1), dtype=np.float32)
    x[..., :num_symbols] = np.eye(num_symbols, dtype=np.float32)[symbols]
    x[np.arange(n), mark, num_symbols] = 1.0
    return x, symbols[np.arange(n), mark].astype(np.int64)


def adding_problem(n: int, lag: int, window: int = 5,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences of the adding problem whose marked values are ``>= lag`` steps back.

    Returns:
        ``x`` float32 ``(n, lag + window, 2)``: ``x[..., 0]`` values in ``[0, 1)``,
        ``x[..., 1]`` markers (two 1s per sequence, both among the first ``window`` steps), and
        ``y`` float32 ``(n,)`` the sum of the two marked values. Reproducible per ``seed``.
    """
    n = _check_int(n, "n", 1)
    lag = _check_int(lag, "lag", 0)
    window = _check_int(window, "window", 2)
    rng = np.random.default_rng(seed)
    length = lag + window
    values = rng.random((n, length))
    # Two distinct marked positions per row among the first `window`.
    marks = np.argsort(rng.random((n, window)), axis=1)[:, :2]
    marker = np.zeros((n, length))
    np.put_along_axis(marker, marks, 1.0, axis=1)
    x = np.stack([values, marker], axis=-1).astype(np.float32)
    y = (values * marker).sum(axis=1).astype(np.float32)
    return x, y


@dataclass(frozen=True)
class Task:
    """A long-memory task: its generator, its kind and the baseline of a model without memory.

    Attributes:
        name: ``"marked_symbol"`` or ``"adding"`` for the built-in tasks.
        kind: ``"classification"`` (sparse labels, cross-entropy, accuracy) or ``"regression"``
            (mean squared error).
        num_features: size of the last input axis. num_outputs: classes, or 1 for regression.
        baseline_loss: the loss of the best prediction that ignores the inputs.
        baseline_accuracy: its accuracy (``None`` for regression).
        generate: ``generate(n, lag, seed) -> (x (n, time, num_features) float32, y (n,))``.
        length: ``length(lag)`` the sequence length for a lag.
        baseline_sd: regression only, the standard deviation over sequences of the no-memory
            prediction's squared error (``None``: unknown, so :meth:`baseline_margin` cannot
            be computed).
    """

    name: str
    kind: str
    num_features: int
    num_outputs: int
    baseline_loss: float
    baseline_accuracy: float | None
    generate: Callable[[int, int, int], tuple[np.ndarray, np.ndarray]] = field(repr=False)
    length: Callable[[int], int] = field(repr=False)
    baseline_sd: float | None = None

    def solved(self, loss: float, accuracy: float | None = None) -> bool:
        """Whether a test ``loss``/``accuracy`` counts as solving the task (see module doc)."""
        if self.kind == "classification":
            if accuracy is None:
                raise ValueError(f"task {self.name!r} is judged by accuracy; got None")
            return accuracy >= self.solve_accuracy
        return loss <= (1 - SOLVED_FRACTION) * self.baseline_loss

    @property
    def solve_accuracy(self) -> float | None:
        """The accuracy that counts as solved (classification), else ``None``."""
        if self.baseline_accuracy is None:
            return None
        return self.baseline_accuracy + SOLVED_FRACTION * (1 - self.baseline_accuracy)

    def baseline_margin(self, n_test: int) -> float:
        """How far a score on ``n_test`` sequences may beat the baseline by luck alone.

        :data:`BASELINE_Z` standard errors of a no-memory model's test score: of its accuracy
        for classification, of its mean squared error for regression (see the module doc).
        """
        n_test = _check_int(n_test, "n_test", 1)
        if self.kind == "classification":
            p = self.baseline_accuracy
            return BASELINE_Z * math.sqrt(p * (1 - p) / n_test)
        if self.baseline_sd is None:
            raise ValueError(f"task {self.name!r} has no baseline_sd, so its baseline margin "
                             "is unknown")
        return BASELINE_Z * self.baseline_sd / math.sqrt(n_test)

    def at_baseline(self, loss: float, accuracy: float | None, n_test: int) -> bool:
        """Whether a test score on ``n_test`` sequences is no better than the baseline's.

        Classification: ``accuracy <= baseline_accuracy + margin``; regression:
        ``loss >= baseline_loss - margin``, with :meth:`baseline_margin`. A worse score than
        the baseline's counts too. A non-finite loss counts as at the baseline.
        """
        margin = self.baseline_margin(n_test)
        if self.kind == "classification":
            if accuracy is None:
                raise ValueError(f"task {self.name!r} is judged by accuracy; got None")
            return accuracy <= self.baseline_accuracy + margin
        return not np.isfinite(loss) or loss >= self.baseline_loss - margin


def _marked_symbol_task(num_symbols: int = 4, window: int = 5) -> Task:
    return Task(
        name="marked_symbol", kind="classification", num_features=num_symbols + 1,
        num_outputs=num_symbols, baseline_loss=math.log(num_symbols),
        baseline_accuracy=1 / num_symbols,
        generate=lambda n, lag, seed: marked_symbol(n, lag, num_symbols, window, seed),
        length=lambda lag: lag + window,
    )


def _adding_task(window: int = 5) -> Task:
    return Task(
        name="adding", kind="regression", num_features=2, num_outputs=1,
        baseline_loss=1 / 6, baseline_accuracy=None,
        generate=lambda n, lag, seed: adding_problem(n, lag, window, seed),
        length=lambda lag: lag + window,
        # (S - 1)^2 with S - 1 triangular on [-1, 1]: E = 1/6, E[(S - 1)^4] = 1/15.
        baseline_sd=math.sqrt(1 / 15 - 1 / 36),
    )


#: The built-in tasks by name.
TASKS: dict[str, Task] = {"marked_symbol": _marked_symbol_task(), "adding": _adding_task()}


def get_task(task: str | Task) -> Task:
    """A :class:`Task` from its name (a key of :data:`TASKS`) or the task itself."""
    if isinstance(task, Task):
        return task
    if isinstance(task, str) and task in TASKS:
        return TASKS[task]
    raise ValueError(f"task must be a Task or one of {sorted(TASKS)}; got {task!r}")


# --------------------------------------------------------------------------------------------
# Training on a fixed budget
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """Everything fixed about a training run except the layer, the task, the lag and the seed.

    Attributes:
        units: recurrent units. n_train / n_test: training and test sequences (fresh draws).
        epochs, batch_size: passes over the training set and sequences per update.
        learning_rate: Adam's. clipnorm: passed to Adam as ``clipnorm``, which in Keras
            clips the gradient of *each weight tensor* separately to this norm (not the
            global norm of all gradients together; that is ``global_clipnorm``). ``None``:
            no clipping.
    """

    units: int = 32
    n_train: int = 4096
    n_test: int = 1024
    epochs: int = 6
    batch_size: int = 64
    learning_rate: float = 1e-2
    clipnorm: float | None = 1.0

    def __post_init__(self):
        for name in ("units", "n_train", "n_test", "epochs", "batch_size"):
            _check_int(getattr(self, name), name, 1)
        if not (isinstance(self.learning_rate, (int, float)) and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be a positive number; got {self.learning_rate!r}")
        if self.clipnorm is not None and not self.clipnorm > 0:
            raise ValueError(f"clipnorm must be positive or None; got {self.clipnorm!r}")


def default_budget() -> Budget:
    """The budget the book's task experiments use (smaller in quick mode)."""
    return Budget(
        n_train=config.pick(full=4096, quick=2048),
        n_test=config.pick(full=1024, quick=512),
        epochs=config.pick(full=6, quick=5),
    )


@dataclass(frozen=True)
class TaskResult:
    """The outcome of one :func:`train_on_task` run.

    Attributes:
        task, lag, seed: what was run. loss: test loss (cross-entropy or MSE).
        accuracy: test accuracy (``None`` for regression). baseline_loss / baseline_accuracy:
        the task's no-memory baseline. solved: see :meth:`Task.solved`.
        history: per-epoch training loss. seconds: wall time of the run.
        at_baseline: see :meth:`Task.at_baseline`, on the run's ``n_test`` test sequences
            (``None``: unknown, for a regression task without ``baseline_sd``).
        model: the trained ``Input -> recurrent -> Dense`` Keras model, to look inside
            (``None`` when not kept).
    """

    task: str
    lag: int
    seed: int
    loss: float
    accuracy: float | None
    baseline_loss: float
    baseline_accuracy: float | None
    solved: bool
    history: tuple[float, ...]
    seconds: float
    at_baseline: bool | None = None
    model: object = field(default=None, repr=False, compare=False)


def _make_recurrent(make_layer, units: int):
    import keras

    if isinstance(make_layer, keras.layers.Layer):
        raise TypeError(
            "make_layer must be a layer class or a function units -> new layer (e.g. "
            "keras.layers.GRU), not a layer instance: every run needs fresh weights"
        )
    if not callable(make_layer):
        raise TypeError(f"make_layer must be callable; got {type(make_layer).__name__}")
    layer = make_layer(units)
    if not isinstance(layer, keras.layers.RNN):
        raise TypeError(
            "make_layer(units) must return a Keras recurrent layer (SimpleRNN, GRU, LSTM, RNN); "
            f"got {type(layer).__name__}"
        )
    if getattr(layer, "return_sequences", False):
        raise ValueError("the recurrent layer must return only its last output "
                         "(return_sequences=False)")
    return layer


def build_model(make_layer, task: str | Task, lag: int, budget: Budget | None = None):
    """The (compiled) model :func:`train_on_task` trains: ``Input -> make_layer(units) -> Dense``.

    The ``Dense`` layer gives logits (classification) or one number (regression).
    """
    import keras

    task = get_task(task)
    lag = _check_int(lag, "lag", 0)
    budget = default_budget() if budget is None else budget
    inputs = keras.Input((task.length(lag), task.num_features))
    h = _make_recurrent(make_layer, budget.units)(inputs)
    outputs = keras.layers.Dense(task.num_outputs)(h)
    model = keras.Model(inputs, outputs)
    optimizer = keras.optimizers.Adam(budget.learning_rate, clipnorm=budget.clipnorm)
    if task.kind == "classification":
        model.compile(optimizer,
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
    else:
        model.compile(optimizer, "mse")
    return model


def train_on_task(
    make_layer: Callable,
    task: str | Task,
    lag: int,
    budget: Budget | None = None,
    seed: int = 0,
) -> TaskResult:
    """Train a fresh ``Input -> recurrent -> Dense`` model on one task at one lag; test it.

    Args:
        make_layer: a Keras recurrent layer class or a function ``units -> new layer``, e.g.
            ``keras.layers.SimpleRNN``, ``keras.layers.GRU``, ``keras.layers.LSTM`` or
            ``lambda units: keras.layers.SimpleRNN(units, activation="relu")``. It must return
            only the last output (the default ``return_sequences=False``).
        task: a :class:`Task` or the name of a built-in one (``"marked_symbol"``, ``"adding"``).
        lag: steps between the information needed and the answer (``>= 0``).
        budget: sizes and optimiser (``None``: :func:`default_budget`); keep it the same for
            every layer you compare.
        seed: seeds the weights (``config.set_seed``), the training data (``seed``) and the test
            data (``seed + 10_000``), so a run is reproducible on CPU.

    Returns:
        A :class:`TaskResult` with the test loss and accuracy, whether the task was solved and
        whether the run is at the baseline, and the trained model.
    """
    task = get_task(task)
    lag = _check_int(lag, "lag", 0)
    seed = _check_int(seed, "seed", 0)
    budget = default_budget() if budget is None else budget
    if not isinstance(budget, Budget):
        raise TypeError(f"budget must be a Budget or None; got {type(budget).__name__}")
    start = time.perf_counter()
    config.set_seed(seed)
    model = build_model(make_layer, task, lag, budget)
    x_train, y_train = task.generate(budget.n_train, lag, seed)
    x_test, y_test = task.generate(budget.n_test, lag, seed + 10_000)
    hist = model.fit(x_train, y_train, epochs=budget.epochs, batch_size=budget.batch_size,
                     shuffle=True, verbose=0)
    scores = model.evaluate(x_test, y_test, batch_size=256, verbose=0, return_dict=True)
    loss = float(scores["loss"])
    accuracy = float(scores["accuracy"]) if task.kind == "classification" else None
    judged = task.kind == "classification" or task.baseline_sd is not None
    return TaskResult(
        task=task.name, lag=lag, seed=seed, loss=loss, accuracy=accuracy,
        baseline_loss=task.baseline_loss, baseline_accuracy=task.baseline_accuracy,
        solved=bool(np.isfinite(loss) and task.solved(loss, accuracy)),
        history=tuple(float(v) for v in hist.history["loss"]),
        seconds=time.perf_counter() - start,
        at_baseline=bool(task.at_baseline(loss, accuracy, budget.n_test)) if judged else None,
        model=model,
    )


@dataclass(frozen=True)
class LagCurve:
    """Results of :func:`evaluate_lags`: one run per (seed, lag).

    Attributes:
        task: the task's name. lags: ``(L,)``. seeds: ``(S,)``.
        loss: ``(S, L)`` test losses. accuracy: ``(S, L)`` test accuracies (NaN for
        regression). solved: ``(S, L)`` booleans. baseline_loss / baseline_accuracy: as in
        :class:`Task`. runs: the :class:`TaskResult` objects, seed-major.
        at_baseline: ``(S, L)`` booleans, :attr:`TaskResult.at_baseline` (``None``: unknown).
    """

    task: str
    lags: np.ndarray
    seeds: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    solved: np.ndarray
    baseline_loss: float
    baseline_accuracy: float | None
    runs: tuple[TaskResult, ...] = field(repr=False)
    at_baseline: np.ndarray | None = None

    def longest_solved_lag(self) -> int | None:
        """The longest lag ``L`` such that every lag ``<= L`` was solved by every seed.

        ``None`` when the shortest lag is not solved. Counting only an unbroken run from the
        shortest lag keeps one lucky run at a long lag from counting as "solved up to there".
        """
        ok = self.solved.all(axis=0)
        n = len(ok) if ok.all() else int(np.argmin(ok))
        return int(self.lags[n - 1]) if n else None

    def baseline_from(self) -> int | None:
        """The first lag ``L`` such that every run at ``L`` and at every longer lag is at the
        baseline (:meth:`Task.at_baseline`), for every seed.

        ``None`` when a run at the longest lag is not at the baseline.
        """
        if self.at_baseline is None:
            raise ValueError(f"task {self.task!r} has no baseline margin (baseline_sd), so "
                             "whether a run is at the baseline is unknown")
        ok = self.at_baseline.all(axis=0)
        if not ok[-1]:
            return None
        first = len(ok) - int(np.argmin(ok[::-1])) if not ok.all() else 0
        return int(self.lags[first])

    @property
    def seconds(self) -> float:
        """Total wall time of all runs."""
        return float(sum(r.seconds for r in self.runs))


def evaluate_lags(
    make_layer: Callable,
    task: str | Task,
    lags: Sequence[int],
    budget: Budget | None = None,
    seeds: Sequence[int] = (0,),
) -> LagCurve:
    """:func:`train_on_task` for every lag and seed: a curve of final loss/accuracy over lags.

    Args:
        make_layer, task, budget: as for :func:`train_on_task`.
        lags: non-empty, distinct, increasing lags. seeds: non-empty, distinct seeds.

    Returns:
        A :class:`LagCurve` with arrays of shape ``(len(seeds), len(lags))``.
    """
    task = get_task(task)
    lags = [_check_int(lag, "each lag", 0) for lag in lags]
    seeds = [_check_int(s, "each seed", 0) for s in seeds]
    if not lags or any(b <= a for a, b in zip(lags, lags[1:])):
        raise ValueError(f"lags must be non-empty and strictly increasing; got {lags}")
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be non-empty and distinct; got {seeds}")
    runs = [train_on_task(make_layer, task, lag, budget, seed) for seed in seeds for lag in lags]
    shape = (len(seeds), len(lags))
    return LagCurve(
        task=task.name, lags=np.array(lags), seeds=np.array(seeds),
        loss=np.array([r.loss for r in runs]).reshape(shape),
        accuracy=np.array([np.nan if r.accuracy is None else r.accuracy
                           for r in runs]).reshape(shape),
        solved=np.array([r.solved for r in runs]).reshape(shape),
        baseline_loss=task.baseline_loss, baseline_accuracy=task.baseline_accuracy,
        runs=tuple(runs),
        at_baseline=(None if any(r.at_baseline is None for r in runs) else
                     np.array([r.at_baseline for r in runs]).reshape(shape)),
    )
