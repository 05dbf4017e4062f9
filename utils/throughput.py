"""How fast a recurrent classifier trains on a CPU, measured the same way everywhere.

Explained in :doc:`/chapters/10_fast_training_on_cpu`; ``make bench`` (:mod:`tools.bench`) runs
the same functions with more repeats.

Three kinds of measurement:

- **Work and peak.** :func:`step_flops` counts the floating-point operations of one step of a
  ``GRU``, ``LSTM`` or ``SimpleRNN`` from its equations, :func:`model_step_flops` adds them up
  over a Keras model, and :func:`matmul_peak` measures what the same cores reach on a large
  float32 matrix product, the yardstick for "achieved GFLOP/s".
- **Throughput.** :func:`sample_batches` draws batches from one epoch exactly as a
  :class:`utils.sequences.Recipe` would form them; :func:`measure_training` times training steps
  on them (after a warm-up, with repeats) and returns a :class:`Throughput`: real tokens per
  second, the padded cells the network computed and the GFLOP/s achieved.
  :func:`measure_in_subprocess` does the same in a fresh Python process, for what must be decided
  before TensorFlow starts (thread pools) or what changes global state (op determinism, which
  disables ``jit_compile``), or to run under another Keras backend.
- **Time to accuracy.** :func:`train_and_trace` trains a model for a fixed number of batches,
  evaluating on the validation split at fixed points; the :class:`AccuracyTrace` it returns has
  the *training* seconds (evaluation excluded) at which each validation accuracy was reached.
  The points are fixed in batches, not seconds, so the accuracies are deterministic and only
  the times depend on the machine.
- **The chapter's experiments, as data**, so that the chapter and ``make bench`` measure the
  same things: :func:`levers` lists the :class:`Setting` s each lever compares (starting from
  :data:`NAIVE`, the seed's set-up, and :data:`BOOK`, the book's recipe), and
  :func:`measure_settings` measures them (each distinct setting once); :func:`contenders`
  lists the set-ups of the time-to-accuracy race (:class:`Contender`), run by :func:`race`.

Timings of a shared machine are noisy: every timing is repeated and reported as min/median/max
(:class:`Timing`), and the median is what the chapter quotes.

Nothing here imports TensorFlow at module level, so that :func:`main` (the subprocess worker)
can set thread pools first, and so that it also runs under the JAX backend.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import logging
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from utils import config, fresh_process
from utils import sequences as seqs

__all__ = [
    "TRAINING_FLOPS_FACTOR",
    "BOOK",
    "NAIVE",
    "AccuracyTrace",
    "Batches",
    "Contender",
    "Peak",
    "Setting",
    "Throughput",
    "Timing",
    "gru_classifier",
    "matmul_peak",
    "contenders",
    "levers",
    "measure_in_subprocess",
    "measure_settings",
    "measure_training",
    "model_step_flops",
    "race",
    "sample_batches",
    "step_flops",
    "time_repeats",
    "train_and_trace",
]

#: A training step costs about three forward passes: the forward pass itself, and a backward
#: pass that needs two products of the same size per product of the forward pass (one for the
#: gradient of the input, one for the gradient of the weights).
TRAINING_FLOPS_FACTOR = 3

_GATES = {"gru": 3, "lstm": 4, "simple_rnn": 1}
# Element-wise operations per unit and step (bias additions, gate sums, activations, products).
_ELEMENTWISE = {("gru", True): 17, ("gru", False): 14, ("lstm", None): 17,
                ("simple_rnn", None): 3}


def _positive_int(name: str, value) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive int; got {value!r}")
    return int(value)


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated runs of the same work."""

    seconds: tuple[float, ...]

    def __post_init__(self):
        if not self.seconds:
            raise ValueError("seconds must hold at least one timing")
        if any(not math.isfinite(s) or s < 0 for s in self.seconds):
            raise ValueError(f"seconds must be finite and non-negative; got {self.seconds}")

    @property
    def min(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return float(statistics.median(self.seconds))

    @property
    def max(self) -> float:
        return max(self.seconds)

    def summary(self) -> dict[str, float]:
        """``{"min": ..., "median": ..., "max": ..., "repeats": n}``."""
        return {"min": self.min, "median": self.median, "max": self.max,
                "repeats": len(self.seconds)}


def time_repeats(fn: Callable[[], object], *, repeats: int = 3, warmup: int = 1) -> Timing:
    """Call ``fn()`` ``warmup`` times untimed, then ``repeats`` times timed."""
    if not callable(fn):
        raise TypeError(f"fn must be callable; got {type(fn).__name__}")
    _positive_int("repeats", repeats)
    if not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be a non-negative int; got {warmup!r}")
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return Timing(tuple(out))


# --------------------------------------------------------------------------------------------
# Work (FLOPs) and the machine's peak
# --------------------------------------------------------------------------------------------


def step_flops(kind: str, input_dim: int, units: int, *, reset_after: bool = True) -> int:
    """Floating-point operations of one forward step of a recurrent cell, for one sequence.

    A multiply-add counts as 2, every element-wise operation (addition, product, activation)
    as 1. For a GRU (``kind="gru"``) reading ``d`` inputs with ``u`` units, the equations of
    :doc:`/chapters/04_gru_gates` give ``2·d·3u`` for ``x W``, ``2·u·3u`` for ``h U`` and
    ``17u`` element-wise operations (``14u`` with ``reset_after=False``, which has one bias
    instead of two); an LSTM has four blocks instead of three, a ``SimpleRNN`` one.

    Args:
        kind: ``"gru"``, ``"lstm"`` or ``"simple_rnn"``.
        input_dim: features per step, ``d``.
        units: state size, ``u``.
        reset_after: Keras' GRU variant (ignored for the other kinds).

    Returns:
        The count, an int.
    """
    if kind not in _GATES:
        raise ValueError(f"kind must be one of {sorted(_GATES)}; got {kind!r}")
    d = _positive_int("input_dim", input_dim)
    u = _positive_int("units", units)
    if not isinstance(reset_after, bool):
        raise TypeError(f"reset_after must be a bool; got {reset_after!r}")
    gates = _GATES[kind]
    elementwise = _ELEMENTWISE[(kind, reset_after if kind == "gru" else None)]
    return 2 * d * gates * u + 2 * u * gates * u + elementwise * u


def _recurrent_layers(layer):
    """Yield ``(kind, input_dim, units, reset_after)`` of each recurrent cell inside ``layer``."""
    import keras

    kinds = {keras.layers.GRU: "gru", keras.layers.LSTM: "lstm",
             keras.layers.SimpleRNN: "simple_rnn"}
    if isinstance(layer, keras.layers.Bidirectional):
        yield from _recurrent_layers(layer.forward_layer)
        yield from _recurrent_layers(layer.backward_layer)
        return
    for cls, kind in kinds.items():
        if isinstance(layer, cls):
            cell = layer.cell
            yield kind, int(cell.kernel.shape[0]), int(cell.units), bool(
                getattr(cell, "reset_after", True))
            return
    for sub in getattr(layer, "layers", []):
        yield from _recurrent_layers(sub)


def model_step_flops(model) -> int:
    """Forward FLOPs per time step and sequence of all recurrent layers of a built Keras model.

    ``Bidirectional`` layers count both directions. The embedding (a table look-up) and the
    output layer (once per sequence, not per step) are left out: they are a negligible share.
    Raises ``ValueError`` for a model without recurrent layers.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model; got {type(model).__name__}")
    cells = list(_recurrent_layers(model))
    if not cells:
        raise ValueError("model has no GRU, LSTM or SimpleRNN layer")
    return sum(step_flops(k, d, u, reset_after=r) for k, d, u, r in cells)


@dataclass(frozen=True)
class Peak:
    """The float32 matrix-product rate of this machine: ``n×n`` times ``n×n``, repeated."""

    n: int
    timing: Timing

    @property
    def flops(self) -> int:
        return 2 * self.n ** 3

    @property
    def gflops(self) -> float:
        """The best rate over the repeats, in GFLOP/s (the *peak*)."""
        return self.flops / self.timing.min / 1e9

    @property
    def median_gflops(self) -> float:
        return self.flops / self.timing.median / 1e9


def matmul_peak(n: int = 1024, *, repeats: int = 10) -> Peak:
    """Measure the float32 matrix-product peak of the current TensorFlow set-up.

    Multiplies two random ``n×n`` matrices ``repeats`` times (after one untimed product) with
    the thread settings the process already has; :attr:`Peak.gflops` is the fastest repeat.
    """
    import tensorflow as tf

    _positive_int("n", n)
    rng = np.random.default_rng(0)
    a = tf.constant(rng.standard_normal((n, n), dtype=np.float32))
    b = tf.constant(rng.standard_normal((n, n), dtype=np.float32))
    timing = time_repeats(lambda: tf.linalg.matmul(a, b).numpy(), repeats=repeats, warmup=1)
    return Peak(n, timing)


# --------------------------------------------------------------------------------------------
# Batches and throughput
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Batches:
    """Padded training batches and how much of them is real text.

    Attributes:
        x: int32 arrays of shape ``(batch, time)`` (``time`` may differ between batches).
        y: float32 label arrays of shape ``(batch,)``.
        real_tokens: ids that are not padding, over all batches.
        padded_tokens: cells of the padded arrays (what a masked RNN computes), over all batches.
    """

    x: tuple[np.ndarray, ...]
    y: tuple[np.ndarray, ...]
    real_tokens: int
    padded_tokens: int

    def __post_init__(self):
        if len(self.x) != len(self.y) or not self.x:
            raise ValueError("x and y must hold the same, non-zero number of batches")

    def __len__(self) -> int:
        return len(self.x)

    @property
    def reviews(self) -> int:
        return int(sum(len(y) for y in self.y))

    @property
    def padding_fraction(self) -> float:
        return 1.0 - self.real_tokens / self.padded_tokens

    def save(self, path: str | os.PathLike) -> None:
        """Write to an ``.npz`` file (read back with :meth:`load`)."""
        arrays = {f"x{i}": x for i, x in enumerate(self.x)}
        arrays.update({f"y{i}": y for i, y in enumerate(self.y)})
        np.savez(path, n=np.array(len(self.x)), real=np.array(self.real_tokens), **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Batches:
        with np.load(path, allow_pickle=False) as f:
            n = int(f["n"])
            xs = tuple(f[f"x{i}"] for i in range(n))
            ys = tuple(f[f"y{i}"] for i in range(n))
            real = int(f["real"])
        return cls(xs, ys, real, int(sum(x.size for x in xs)))


def sample_batches(
    sequences: Sequence[Sequence[int]],
    labels: Sequence[int] | np.ndarray,
    *,
    maxlen: int,
    recipe: seqs.Recipe = seqs.RECIPE,
    padding: str = "post",
    n_batches: int,
    seed: int = config.SEED,
    full_only: bool = False,
) -> Batches:
    """``n_batches`` batches drawn at random from one epoch formed as ``recipe`` forms them.

    The epoch's batches are built from *all* ``sequences`` exactly as
    :func:`utils.sequences.make_dataset` builds them (truncated to ``maxlen``, length-bucketed or
    padded to ``maxlen`` as the recipe says), so the sample has the padding of a real epoch.

    Args:
        sequences, labels: the reviews (integer sequences) and their labels.
        maxlen: the longest sequence the model reads.
        recipe: batch size and bucketing.
        padding: ``"post"`` or ``"pre"``.
        n_batches: how many batches to draw (at most the number in an epoch).
        seed: seeds both the epoch's shuffling and the draw.
        full_only: draw only batches of exactly ``recipe.batch_size`` reviews (so that a
            compiler sees one batch size).
    """
    if not isinstance(recipe, seqs.Recipe):
        raise TypeError(f"recipe must be a utils.sequences.Recipe; got {type(recipe).__name__}")
    _positive_int("n_batches", n_batches)
    arrays = seqs.truncate(sequences, maxlen, recipe.truncating)
    y = np.asarray(labels, dtype=np.float32)
    if y.shape != (len(arrays),):
        raise ValueError(f"labels must have shape ({len(arrays)},); got {y.shape}")
    lens = np.array([len(a) for a in arrays], dtype=np.int64)
    rng = np.random.default_rng(seed)
    epoch = seqs.length_batches(lens, recipe.batch_size, shuffle=True, rng=rng,
                                pool_batches=recipe.pool_batches, bucketing=recipe.bucketing)
    if full_only:
        epoch = [b for b in epoch if len(b) == recipe.batch_size]
    if n_batches > len(epoch):
        raise ValueError(f"n_batches={n_batches} is more than the {len(epoch)} batches of an "
                         "epoch")
    chosen = [epoch[i] for i in sorted(rng.choice(len(epoch), n_batches, replace=False))]
    fixed = None if recipe.bucketing else maxlen
    xs = tuple(seqs.pad_batch([arrays[i] for i in b], length=fixed, padding=padding)
               for b in chosen)
    ys = tuple(y[b] for b in chosen)
    real = int(sum(lens[b].sum() for b in chosen))
    return Batches(xs, ys, real, int(sum(x.size for x in xs)))


@dataclass(frozen=True)
class Throughput:
    """What :func:`measure_training` measured: one pass of training over some batches.

    Attributes:
        timing: seconds per pass over all the batches, one entry per repeat.
        first_step_seconds: the first (untimed) training step, tracing and compiling included.
        real_tokens, padded_tokens: as in :class:`Batches`.
        step_flops: forward FLOPs per time step and sequence (:func:`model_step_flops`).
        batches, reviews: how many were timed per pass.
        info: what the measuring process reports about itself (backend, whether
            ``jit_compile`` was really on, thread pools), empty when measured in this process.
    """

    timing: Timing
    first_step_seconds: float
    real_tokens: int
    padded_tokens: int
    step_flops: int
    batches: int
    reviews: int
    info: dict = field(default_factory=dict)

    @property
    def tokens_per_second(self) -> float:
        """Real (non-padding) tokens trained on per second, from the median pass."""
        return self.real_tokens / self.timing.median

    @property
    def flops(self) -> float:
        """Training FLOPs of one pass: every padded cell is a step the network computes."""
        return float(TRAINING_FLOPS_FACTOR * self.step_flops * self.padded_tokens)

    @property
    def gflops(self) -> float:
        """Achieved GFLOP/s of the median pass (padded steps included: the work done)."""
        return self.flops / self.timing.median / 1e9

    @property
    def useful_gflops(self) -> float:
        """GFLOP/s spent on real tokens only (padding excluded)."""
        return self.gflops * self.real_tokens / self.padded_tokens

    def epoch_seconds(self, tokens_per_epoch: int) -> float:
        """Seconds one epoch of ``tokens_per_epoch`` real tokens would take at this rate."""
        return tokens_per_epoch / self.tokens_per_second

    def to_dict(self) -> dict:
        """A JSON-able summary (timing as min/median/max, rates from the median)."""
        d = asdict(self)
        d["timing"] = self.timing.summary()
        d["timing_seconds"] = list(self.timing.seconds)
        d.update(tokens_per_second=self.tokens_per_second, gflops=self.gflops,
                 useful_gflops=self.useful_gflops)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Throughput:
        fields = {k: d[k] for k in ("first_step_seconds", "real_tokens", "padded_tokens",
                                    "step_flops", "batches", "reviews")}
        return cls(timing=Timing(tuple(d["timing_seconds"])), info=dict(d.get("info", {})),
                   **fields)


@contextlib.contextmanager
def _expected_retracing():
    """Silence TensorFlow's warning about "excessive retracing" for a while.

    Each new model traces its own training and prediction functions, and bucketed batches
    have new shapes: here that is expected, not a problem worth a warning in every output.
    """
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def measure_training(model, batches: Batches, *, repeats: int = 3, warmup: int = 2) -> Throughput:
    """Time ``model.train_on_batch`` over ``batches``: ``repeats`` passes after a warm-up.

    The warm-up trains on the first ``warmup`` batches (the first step traces the training
    function, and compiles it under ``jit_compile``; a second batch of another shape makes
    TensorFlow trace once more for variable shapes). The weights change while we time: that
    does not change the work of a step.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model; got {type(model).__name__}")
    if not isinstance(batches, Batches):
        raise TypeError(f"batches must be a Batches; got {type(batches).__name__}")
    _positive_int("repeats", repeats)
    _positive_int("warmup", warmup)
    with _expected_retracing():
        start = time.perf_counter()
        model.train_on_batch(batches.x[0], batches.y[0])
        first = time.perf_counter() - start
        for i in range(1, warmup):
            x, y = batches.x[i % len(batches)], batches.y[i % len(batches)]
            model.train_on_batch(x[: max(len(x) - 1, 1)], y[: max(len(y) - 1, 1)])

        def one_pass():
            for x, y in zip(batches.x, batches.y):
                model.train_on_batch(x, y)

        timing = time_repeats(one_pass, repeats=repeats, warmup=0)
    return Throughput(timing, first, batches.real_tokens, batches.padded_tokens,
                      model_step_flops(model), len(batches), batches.reviews)


def gru_classifier(
    *,
    num_words: int = 10_000,
    embedding_dim: int = 32,
    units: int = 32,
    maxlen: int | None = None,
    mask: bool = True,
    reset_after: bool = True,
    unroll: bool = False,
    recurrent_dropout: float = 0.0,
    jit_compile: bool = False,
    seed: int = config.SEED,
):
    """The seed's classifier, ``Embedding → GRU → Dense(1, sigmoid)``, with its speed knobs.

    The same layers, optimiser (Adam, 1e-3), loss and metric as
    ``utils.models.build(utils.models.CONFIGS["seed_gru"])``; the knobs that configuration does
    not have are the GRU's ``reset_after``, ``unroll`` (needs a fixed ``maxlen``) and
    ``recurrent_dropout``, and ``jit_compile`` (which Keras ignores, with a warning, while
    TensorFlow's op determinism is on: measure it with :func:`measure_in_subprocess`).

    Input: int32 ids ``(batch, maxlen or any)``; output: P(positive), ``(batch, 1)``.
    """
    import keras

    if unroll and maxlen is None:
        raise ValueError("unroll=True needs a fixed maxlen (Keras unrolls a known number of "
                         "steps)")
    for name, value in (("mask", mask), ("reset_after", reset_after), ("unroll", unroll),
                        ("jit_compile", jit_compile)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be a bool; got {value!r}")
    if not 0.0 <= recurrent_dropout < 1.0:
        raise ValueError(f"recurrent_dropout must be in [0, 1); got {recurrent_dropout!r}")
    keras.utils.set_random_seed(seed)
    layers = keras.layers
    model = keras.Sequential([
        keras.Input(shape=(maxlen,), dtype="int32", name="ids"),
        layers.Embedding(num_words, embedding_dim, mask_zero=mask, name="embedding"),
        layers.GRU(units, reset_after=reset_after, unroll=unroll,
                   recurrent_dropout=recurrent_dropout, name="rnn_1"),
        layers.Dense(1, activation="sigmoid", name="output"),
    ], name="sentiment")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"], jit_compile=jit_compile)
    return model


#: The arguments of :func:`gru_classifier` and their defaults (what a :class:`Setting` leaves out).
_CLASSIFIER_DEFAULTS = {name: param.default
                        for name, param in inspect.signature(gru_classifier).parameters.items()}


# --------------------------------------------------------------------------------------------
# Measuring in a fresh process
# --------------------------------------------------------------------------------------------


def measure_in_subprocess(
    batches: Batches,
    *,
    variants: Sequence[dict] = ({},),
    intra_op_threads: int = 0,
    inter_op_threads: int = 0,
    deterministic: bool = True,
    repeats: int = 3,
    warmup: int = 2,
    python: str | os.PathLike | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 900,
) -> list[Throughput]:
    """:func:`measure_training` of :func:`gru_classifier` variants, in a new Python process.

    A fresh process is needed for what TensorFlow fixes when it starts (the sizes of its
    thread pools: ``intra_op_threads`` for the threads *inside* one operation such as a matrix
    product, ``inter_op_threads`` for independent operations run side by side; 0 lets
    TensorFlow choose), for ``deterministic=False`` (op determinism, which
    :func:`utils.config.set_seed` turns on, makes Keras ignore ``jit_compile``), and for another
    Keras backend (pass ``python`` of another environment and ``env={"KERAS_BACKEND": "jax"}``).

    Args:
        batches: what to train on (sent to the process through a temporary ``.npz`` file).
        variants: keyword arguments of :func:`gru_classifier`, one dict per model to measure
            (in this order, in the same process).
        python: the interpreter (default: this one); its environment must be able to import
            this ``utils`` package (the process gets ``PYTHONPATH`` set to the book's root).
        env: extra environment variables for the process.
        timeout: seconds before the process is stopped (a ``subprocess.TimeoutExpired``).

    Returns:
        One :class:`Throughput` per variant; ``info`` says what the process really ran.
    """
    if not isinstance(batches, Batches):
        raise TypeError(f"batches must be a Batches; got {type(batches).__name__}")
    for name, value in (("intra_op_threads", intra_op_threads),
                        ("inter_op_threads", inter_op_threads)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative int; got {value!r}")
    if isinstance(variants, dict) or not variants or \
            not all(isinstance(v, dict) for v in variants):
        raise TypeError("variants must be a non-empty sequence of dicts (gru_classifier "
                        "arguments)")
    spec = {"variants": [dict(v) for v in variants], "intra": intra_op_threads,
            "inter": inter_op_threads, "deterministic": bool(deterministic),
            "repeats": repeats, "warmup": warmup}
    results = fresh_process.run("utils.throughput", spec, files={"batches": batches.save},
                                python=python, env=env, timeout=timeout)
    return [Throughput.from_dict(d) for d in results]


def _worker(spec: dict) -> list[dict]:
    """Run the measurements :func:`measure_in_subprocess` describes (in a fresh process)."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "tensorflow":
        import tensorflow as tf

        # Before anything runs: the thread pools are fixed when TensorFlow starts.
        tf.config.threading.set_intra_op_parallelism_threads(spec["intra"])
        tf.config.threading.set_inter_op_parallelism_threads(spec["inter"])
        if spec["deterministic"]:
            tf.config.experimental.enable_op_determinism()
    import keras

    batches = Batches.load(spec["batches"])
    out = []
    for kwargs in spec["variants"]:
        model = gru_classifier(**kwargs)
        result = measure_training(model, batches, repeats=spec["repeats"],
                                  warmup=spec["warmup"])
        info = {"backend": keras.backend.backend(), "jit_compile": bool(model.jit_compile),
                "keras": keras.__version__}
        if backend == "tensorflow":
            info["threads"] = [tf.config.threading.get_intra_op_parallelism_threads(),
                               tf.config.threading.get_inter_op_parallelism_threads()]
            info["tensorflow"] = tf.__version__
        else:
            import importlib.metadata

            info[backend] = importlib.metadata.version(backend)
        out.append({**result.to_dict(), "info": info})
    return out


# --------------------------------------------------------------------------------------------
# Settings: the levers of the chapter, as data (the chapter and `make bench` measure the same)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One way of training the seed's GRU, as far as speed goes (a row of a lever's table).

    Attributes:
        label: how tables and figures name it.
        recipe: batch size and length bucketing (:class:`utils.sequences.Recipe`).
        maxlen: the truncation length.
        padding: ``"pre"`` or ``"post"``.
        model: keyword arguments of :func:`gru_classifier` (``mask``, ``reset_after``, ...).
        threads: ``(intra_op, inter_op)`` thread-pool sizes, measured in a fresh process
            (0 lets TensorFlow choose; ``None``: this process, whatever it has).
        deterministic: TensorFlow's op determinism (``False`` is measured in a fresh process).
        full_only: time only full batches, so that a compiler sees a single shape.
    """

    label: str
    recipe: seqs.Recipe = seqs.RECIPE
    maxlen: int = 500
    padding: str = "post"
    model: dict = field(default_factory=dict)
    threads: tuple[int, int] | None = None
    deterministic: bool = True
    full_only: bool = False

    @property
    def isolated(self) -> bool:
        """Whether it must be measured in a fresh process."""
        return self.threads is not None or not self.deterministic

    def _batch_key(self) -> tuple:
        return (self.recipe, self.maxlen, self.padding, self.full_only, self.threads,
                self.deterministic)

    def key(self) -> tuple:
        """What decides the measurement: everything but the label, with the model's
        arguments completed by :func:`gru_classifier`'s defaults (equal keys, same work)."""
        defaults = _CLASSIFIER_DEFAULTS
        unknown = set(self.model) - set(defaults)
        if unknown:
            raise ValueError(f"Setting {self.label!r}: unknown model arguments {sorted(unknown)}")
        model = tuple(sorted({**defaults, **self.model}.items()))
        return (*self._batch_key(), model)


#: The seed's set-up: batches of 32 reviews, every review pre-padded to 500 ids, no mask.
NAIVE = Setting("seed: batch 32, padded to 500", seqs.Recipe(batch_size=32, bucketing=False),
                padding="pre", model={"mask": False})
#: The book's recipe (:data:`utils.sequences.RECIPE`), post-padded with a mask.
BOOK = Setting("book's recipe", seqs.RECIPE, padding="post", model={"mask": True})


def levers() -> dict[str, list[Setting]]:
    """The settings each lever of :doc:`/chapters/10_fast_training_on_cpu` compares.

    Every lever but batch size and padding starts from the book's recipe (:data:`BOOK`), so
    several rows are the same measurement (:func:`measure_settings` measures it once). Quick
    mode measures fewer settings of some levers (sizes, not code paths).
    """
    recipe = seqs.RECIPE
    padded = seqs.Recipe(batch_size=recipe.batch_size, bucketing=False)
    pick = config.pick
    out: dict[str, list[Setting]] = {}
    out["batch size"] = [
        Setting(f"batch {b}, padded to 500", seqs.Recipe(batch_size=b, bucketing=False),
                padding="pre", model={"mask": False})
        for b in pick(full=(32, 64, 128, 256, 512), quick=(32, 128))]
    out["padding"] = [
        Setting(f"batch {recipe.batch_size}, pre-padded to 500, no mask", padded,
                padding="pre", model={"mask": False}),
        Setting(f"batch {recipe.batch_size}, post-padded to 500, mask", padded),
        Setting(f"batch {recipe.batch_size}, bucketed by length, mask", recipe),
    ]
    out["truncation"] = [Setting(f"maxlen {m}, bucketed", recipe, maxlen=m)
                         for m in pick(full=(100, 200, 300, 500), quick=(100, 500))]
    out["reset_after"] = [Setting(f"reset_after={r}", recipe, model={"reset_after": r})
                          for r in (True, False)]
    out["unroll"] = [
        Setting(f"{t} steps, {'unrolled' if u else 'loop'}", padded, maxlen=t,
                model={"maxlen": t, "unroll": u})
        for t in pick(full=(16, 32), quick=(16,)) for u in (False, True)]
    out["recurrent_dropout"] = [Setting(f"recurrent_dropout={r}", recipe,
                                        model={"recurrent_dropout": r}) for r in (0.0, 0.2)]
    out["jit_compile"] = [
        Setting(f"padded to 500, jit_compile={j}", padded, model={"jit_compile": j},
                deterministic=False, full_only=True) for j in (False, True)]
    out["threads"] = [
        *(Setting(f"intra_op={a}, inter_op={b}", recipe, threads=(a, b))
          for a, b in pick(full=((1, 1), (2, 1), (1, 2)), quick=((1, 1),))),
        # The default in a fresh process too (0 lets TensorFlow size the pool), so that
        # every row of this lever is measured the same way.
        Setting("TensorFlow's default", recipe, threads=(0, 0)),
    ]
    return out


def measure_settings(
    settings: Sequence[Setting],
    sequences: Sequence[Sequence[int]],
    labels: Sequence[int] | np.ndarray,
    *,
    n_reviews: int,
    repeats: int = 3,
    warmup: int = 2,
    seed: int = config.SEED,
    min_cells: int = 0,
    progress: Callable[[str], None] | None = None,
    cache: dict | None = None,
) -> list[Throughput]:
    """Measure each setting on about ``n_reviews`` reviews drawn from one epoch.

    Each setting gets ``ceil(n_reviews / batch_size)`` batches of its own recipe
    (:func:`sample_batches`, same ``seed``), or more if needed for ``batch_size * maxlen *
    batches >= min_cells`` (so that a pass over short sequences is long enough to time),
    at most an epoch's worth. Settings with equal :meth:`Setting.key` are
    measured once and share the result. Settings that need a fresh process
    (:attr:`Setting.isolated`) with the same batches and process options share one process.

    Args:
        progress: called with the labels of each measurement before it starts.
        cache: a dict kept by the caller between calls on the *same* reviews: settings it
            already holds (for the same sizes) are not measured again.
    """
    if isinstance(settings, Setting) or not all(isinstance(s, Setting) for s in settings):
        raise TypeError("settings must be a sequence of Setting")
    _positive_int("n_reviews", n_reviews)
    if cache is not None and not isinstance(cache, dict):
        raise TypeError(f"cache must be a dict or None; got {type(cache).__name__}")
    if not isinstance(min_cells, int) or min_cells < 0:
        raise ValueError(f"min_cells must be a non-negative int; got {min_cells!r}")
    sizes = (n_reviews, repeats, warmup, seed, min_cells)
    measured: dict[tuple, Throughput] = {} if cache is None else cache
    unique: dict[tuple, Setting] = {}
    for s in settings:
        if (s.key(), sizes) not in measured:
            unique.setdefault(s.key(), s)
    todo = list(unique.values())
    # Group the isolated settings by process: same batches, threads and determinism.
    groups: list[list[Setting]] = []
    for s in todo:
        if s.isolated and groups and groups[-1][0].isolated and \
                groups[-1][0]._batch_key() == s._batch_key():
            groups[-1].append(s)
        else:
            groups.append([s])
    for group in groups:
        first = group[0]
        if progress is not None:
            progress(", ".join(s.label for s in group))
        size = first.recipe.batch_size
        n_batches = max(-(-n_reviews // size), -(-min_cells // (size * first.maxlen)))
        n_batches = min(n_batches, len(sequences) // size if first.full_only
                        else -(-len(sequences) // size))
        batches = sample_batches(sequences, labels, maxlen=first.maxlen, recipe=first.recipe,
                                 padding=first.padding, n_batches=n_batches, seed=seed,
                                 full_only=first.full_only)
        if first.isolated:
            intra, inter = first.threads or (0, 0)
            results = measure_in_subprocess(
                batches, variants=[s.model for s in group], intra_op_threads=intra,
                inter_op_threads=inter, deterministic=first.deterministic, repeats=repeats,
                warmup=warmup)
        else:
            model = gru_classifier(**first.model)
            results = [measure_training(model, batches, repeats=repeats, warmup=warmup)]
        measured.update({(s.key(), sizes): r for s, r in zip(group, results)})
    return [measured[(s.key(), sizes)] for s in settings]


# --------------------------------------------------------------------------------------------
# Time to accuracy
# --------------------------------------------------------------------------------------------


@dataclass
class AccuracyTrace:
    """Validation accuracy against training time, for one model and recipe.

    Attributes:
        name: a label for tables and figures.
        seconds: cumulative *training* seconds at each evaluation (evaluation time excluded).
        epochs: epochs trained at each evaluation (fractions within an epoch).
        val_accuracy: validation accuracy at each evaluation.
        test_accuracy: accuracy on the test reviews of the weights of the best evaluation, once
            training is over (``None`` until measured).
    """

    name: str
    seconds: list[float] = field(default_factory=list)
    epochs: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    test_accuracy: float | None = None

    @property
    def best_index(self) -> int:
        if not self.val_accuracy:
            raise ValueError("the trace has no evaluation")
        return int(np.argmax(self.val_accuracy))

    @property
    def best_val_accuracy(self) -> float:
        return float(self.val_accuracy[self.best_index])

    @property
    def seconds_to_best(self) -> float:
        """Training seconds until the best validation accuracy was first reached."""
        return float(self.seconds[self.best_index])

    @property
    def train_seconds(self) -> float:
        """All training seconds (the last evaluation's)."""
        return float(self.seconds[-1]) if self.seconds else 0.0

    def seconds_to(self, target: float) -> float | None:
        """Training seconds until validation accuracy first reached ``target``, else ``None``."""
        if not 0.0 < target <= 1.0:
            raise ValueError(f"target must be an accuracy in (0, 1]; got {target!r}")
        for s, acc in zip(self.seconds, self.val_accuracy):
            if acc >= target:
                return float(s)
        return None

    def to_dict(self) -> dict:
        """A JSON-able summary: the trace, the best evaluation and the total training time."""
        return {**asdict(self), "best_val_accuracy": self.best_val_accuracy,
                "seconds_to_best": self.seconds_to_best, "train_seconds": self.train_seconds}


def train_and_trace(
    model,
    train_batches: Callable[[], object],
    evaluate: Callable[[object], float],
    *,
    batches_per_epoch: int,
    total_batches: int,
    eval_every: int,
    name: str = "",
    patience: int | None = None,
) -> AccuracyTrace:
    """Train for ``total_batches`` batches, evaluating every ``eval_every``; keep the best.

    Args:
        model: a compiled Keras model.
        train_batches: called once per epoch; returns an iterable of ``(x, y)`` batches (for
            example ``utils.sequences.make_dataset(..., shuffle=True)``, which reshuffles on
            each pass).
        evaluate: ``evaluate(model)`` returns the validation accuracy.
        batches_per_epoch: the number of batches ``train_batches()`` yields.
        total_batches: the training budget, in batches (not seconds, so that the accuracies
            do not depend on the machine's speed).
        eval_every: evaluate after every this many batches, and at the end.
        patience: stop after this many evaluations without a better validation accuracy
            (``None``: never stop early).

    Returns:
        The trace; the model is left with the weights of its best evaluation.
    """
    for arg, value in (("batches_per_epoch", batches_per_epoch),
                       ("total_batches", total_batches), ("eval_every", eval_every)):
        _positive_int(arg, value)
    if patience is not None:
        _positive_int("patience", patience)
    trace = AccuracyTrace(name)
    best_weights, since_best = None, 0
    trained, elapsed = 0, 0.0
    while trained < total_batches:
        start = time.perf_counter()
        for x, y in train_batches():
            model.train_on_batch(x, y)
            trained += 1
            if trained % eval_every == 0 or trained == total_batches:
                elapsed += time.perf_counter() - start
                acc = float(evaluate(model))
                trace.seconds.append(elapsed)
                trace.epochs.append(trained / batches_per_epoch)
                trace.val_accuracy.append(acc)
                if trace.best_index == len(trace.val_accuracy) - 1:
                    best_weights, since_best = model.get_weights(), 0
                else:
                    since_best += 1
                if trained >= total_batches or (patience is not None and since_best >= patience):
                    model.set_weights(best_weights)
                    return trace
                start = time.perf_counter()
        elapsed += time.perf_counter() - start
    model.set_weights(best_weights)  # pragma: no cover - the loop returns at total_batches
    return trace


@dataclass(frozen=True)
class Contender:
    """A model and a recipe racing to an accuracy (a row of the time-to-accuracy table).

    Attributes:
        name: how tables and figures name it.
        model: a :class:`utils.models.ModelConfig` (built with :func:`utils.models.build`).
        recipe: how its training batches are formed.
        epochs: the training budget in epochs (may be fractional).
        evals_per_epoch: validation evaluations per epoch (and one at the end).
        patience: stop after this many evaluations without improvement (``None``: never).
    """

    name: str
    model: object
    recipe: seqs.Recipe
    epochs: float
    evals_per_epoch: int
    patience: int | None = None


def contenders(*, own_schedules: bool = False) -> dict[str, Contender]:
    """The three set-ups the chapter races: the seed's, the book's recipe and keras-io's.

    ``own_schedules=True`` (``make bench``) trains each for its own number of epochs: the
    seed page's 5, keras-io's 2, and the book's recipe until validation accuracy stops
    improving (at most 6). ``False`` (the chapter) gives each a budget that fits the chapter's
    time: 1, 3 and 0.5 epochs (less in quick mode). The models are the book's
    (:func:`utils.models.effective` trims them in quick mode). ``own_schedules`` adds
    ``"book_batch64"``, the recipe with batches of 64 (do more updates per epoch reach an
    accuracy sooner?), and ``"best_gru"``, chapter 9's ``"best_candidate"`` for its own epochs
    (how soon does a stronger GRU reach 88 %?).
    """
    from utils import models

    seed_cfg = models.ModelConfig("the seed's GRU, pre-padded, no mask", mask=False,
                                  pad_to_maxlen=True, padding="pre")
    kio_cfg = models.ModelConfig("keras-io: two Bidirectional(LSTM(64))", rnn="lstm",
                                 units=64, num_words=20_000, maxlen=200, embedding_dim=128,
                                 mask=False, bidirectional=True, layers=2,
                                 pad_to_maxlen=True, padding="pre")
    book_cfg = models.CONFIGS["seed_gru"]
    pick = config.pick
    if own_schedules:
        budgets = {"seed": (5.0, 2, None), "book": (6.0, 2, 2), "keras_io": (2.0, 2, None)}
    else:  # (epochs, evaluations per epoch, patience); quick mode is a smoke test
        budgets = {"seed": (pick(full=1.0, quick=0.5), pick(full=4, quick=2), None),
                   "book": (pick(full=3.0, quick=2.0), pick(full=2, quick=1), 3),
                   "keras_io": (pick(full=0.5, quick=0.125), pick(full=4, quick=8), None)}
    rows = {
        "seed": ("seed's set-up (batch 32, padded to 500)", seed_cfg,
                 seqs.Recipe(batch_size=32, bucketing=False)),
        "book": ("book's recipe", book_cfg, models.recipe_for(book_cfg)),
        "keras_io": ("keras-io BiLSTM (batch 32, length 200)", kio_cfg,
                     seqs.Recipe(batch_size=32, bucketing=False)),
    }
    if own_schedules:
        budgets["book_batch64"] = budgets["book"]
        rows["book_batch64"] = ("book's recipe, batches of 64", book_cfg,
                                dataclasses.replace(models.recipe_for(book_cfg), batch_size=64))
        best = models.CONFIGS.get("best_candidate")
        if best is not None:  # the best GRU of chapter 9: how soon does it reach 88 %?
            budgets["best_gru"] = (float(best.max_epochs), 2, None)
            rows["best_gru"] = (f"book's recipe, {best.description}", best,
                                models.recipe_for(best))
    return {key: Contender(name, models.effective(cfg), recipe, *budgets[key])
            for key, (name, cfg, recipe) in rows.items()}


def race(contender: Contender, *, n_test: int | None = None) -> AccuracyTrace:
    """Train a contender on the book's split and trace its validation accuracy.

    Training uses ``imdb_splits()["train"]`` (as much as the configuration's ``train_limit``),
    validation ``["val"]``; at the end the best evaluation's weights are scored on the first
    ``n_test`` test reviews (all when ``None``). Evaluation (:func:`utils.models.predict`) pads
    like the contender's training batches, so it gives the predictions training would, and is
    not counted in the trace's seconds.
    """
    from utils import models

    if not isinstance(contender, Contender):
        raise TypeError(f"contender must be a Contender; got {type(contender).__name__}")
    cfg = contender.model
    splits = models.imdb_splits(cfg.num_words)
    x, y = splits["train"]
    x, y = x[: cfg.train_limit], y[: cfg.train_limit]
    x_val, y_val = splits["val"]
    ds = seqs.make_dataset(x, y, maxlen=cfg.maxlen, shuffle=True, seed=cfg.seed,
                           recipe=contender.recipe, padding=cfg.padding)
    per_epoch = int(ds.cardinality())

    def accuracy(model, xs, ys) -> float:
        p = models.predict(model, xs, maxlen=cfg.maxlen, recipe=contender.recipe,
                           padding=cfg.padding)
        return float(np.mean((p > 0.5) == np.asarray(ys)))

    model = models.build(cfg, steps_per_epoch=per_epoch)
    with _expected_retracing():
        trace = train_and_trace(
            model, lambda: ds, lambda m: accuracy(m, x_val, y_val),
            batches_per_epoch=per_epoch,
            total_batches=max(1, round(contender.epochs * per_epoch)),
            eval_every=max(1, per_epoch // contender.evals_per_epoch), name=contender.name,
            patience=contender.patience)
        x_test, y_test = splits["test"]
        trace.test_accuracy = accuracy(model, x_test[:n_test], y_test[:n_test])
    return trace


# --------------------------------------------------------------------------------------------
# python -m utils.throughput SPEC.json  (the worker of measure_in_subprocess)
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    return fresh_process.serve(_worker, argv)


if __name__ == "__main__":  # pragma: no cover - run by measure_in_subprocess
    sys.exit(main())
