"""Throughput: how many tokens per second a recurrent classifier trains on, measured alike.

Explained in :doc:`/chapters/10_fast_training_on_cpu`; ``make bench`` (:mod:`tools.bench`) runs
the same functions with more repeats. :func:`sample_batches` draws batches from one epoch
exactly as a :class:`utils.sequences.Recipe` would form them; :func:`measure_training` times
training steps on them (after a warm-up, with repeats, :mod:`utils.speed.timing`) and returns a
:class:`Throughput`: real tokens per second, the padded cells the network computed and the
GFLOP/s achieved (:mod:`utils.speed.flops`). The model is the seed's GRU of :mod:`utils.models`
(:func:`seed_model`). :func:`measure_in_subprocess` does the same in a fresh Python process
(:mod:`utils.fresh_process`), for what must be decided before TensorFlow starts (thread pools)
or what changes global state (op determinism, which disables ``jit_compile``), or to run under
another Keras backend. The chapter's settings are :mod:`utils.speed.setups`; time to accuracy is
:mod:`utils.speed.race`.

Nothing here imports TensorFlow at module level, so that :func:`main` (the subprocess worker)
can set thread pools first, and so that it also runs under the JAX backend.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from utils import config, fresh_process
from utils import sequences as seqs
from utils.checks import positive_int
from utils.speed.flops import TRAINING_FLOPS_FACTOR, model_step_flops
from utils.speed.timing import Timing, time_repeats

__all__ = ["Batches", "Throughput", "measure_in_subprocess", "measure_training",
           "model_defaults", "sample_batches", "seed_model", "speed_table"]




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
    positive_int("n_batches", n_batches)
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
    xs = tuple(seqs.pad_batch([arrays[i] for i in b], padding=padding,
                              length=seqs.batch_length(int(lens[b].max()), maxlen, recipe))
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
    def tokens_per_second_range(self) -> tuple[float, float]:
        """Tokens per second of the slowest and of the fastest pass."""
        return self.real_tokens / self.timing.max, self.real_tokens / self.timing.min

    def ratio_range(self, other: Throughput) -> tuple[float, float]:
        """The range of this rate over ``other``'s that the spread of both allows: this one's
        slowest pass over the other's fastest, and its fastest over the other's slowest."""
        lo, hi = self.tokens_per_second_range
        other_lo, other_hi = other.tokens_per_second_range
        return lo / other_hi, hi / other_lo

    def ratio_text(self, other: Throughput) -> str:
        """:meth:`ratio_range` as text for a sentence: ``"1.72-1.77"``, one decimal from 2 up."""
        low, high = self.ratio_range(other)
        digits = 1 if low >= 2 else 2
        return f"{low:.{digits}f}-{high:.{digits}f}"

    def gain_words(self, slower: Throughput, noise: float, name: str) -> str:
        """How many times as many tokens per second as ``slower`` (called ``name``) this
        trained, in words that call it a gain only when the low end of :meth:`ratio_range`
        beats ``1 + noise`` (the spread of two measurements of the same setting): "1.7 times
        as many tokens per second as X", or "..., no clear gain in this run"."""
        ratio = self.tokens_per_second / slower.tokens_per_second
        if self.ratio_range(slower)[0] > 1 + noise:
            return f"{ratio:.1f} times as many tokens per second as {name}"
        return (f"{ratio:.2f} times as many tokens per second as {name}, no clear gain in "
                "this run")

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


def speed_table(rows: Sequence[tuple[str, Throughput]], peak_gflops: float,
                baseline: tuple[str, Throughput] | None = None) -> str:
    """A Markdown table of measurements, one ``(label, Throughput)`` per row: tokens per
    second (median pass), the multiple of ``baseline``'s (a ``(name, Throughput)``; default:
    the first row) with the range :meth:`Throughput.ratio_text` allows, GFLOP/s, share of
    ``peak_gflops``, padding."""
    from utils.tables import markdown_table

    name, base = baseline or ("first row", rows[0][1])
    return markdown_table(
        ["setting", "tokens/s", f"× {name}", "range", "GFLOP/s", "of peak", "padding"],
        [(label, t.tokens_per_second, t.tokens_per_second / base.tokens_per_second,
          t.ratio_text(base), t.gflops, t.gflops / peak_gflops,
          1 - t.real_tokens / t.padded_tokens) for label, t in rows],
        ["{}", "{:,.0f}", "{:.2f}", "{}", "{:.2f}", "{:.1%}", "{:.0%}"])


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
    TensorFlow trace once more for variable shapes). Under ``jit_compile`` it also trains once
    on a batch of each other shape, since XLA compiles each new shape: the timed passes
    measure compiled steps, and ``first_step_seconds`` what compiling one shape costs. The
    weights change while we time: that does not change the work of a step.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model; got {type(model).__name__}")
    if not isinstance(batches, Batches):
        raise TypeError(f"batches must be a Batches; got {type(batches).__name__}")
    positive_int("repeats", repeats)
    positive_int("warmup", warmup)
    with _expected_retracing():
        start = time.perf_counter()
        model.train_on_batch(batches.x[0], batches.y[0])
        first = time.perf_counter() - start
        for i in range(1, warmup):
            x, y = batches.x[i % len(batches)], batches.y[i % len(batches)]
            model.train_on_batch(x[: max(len(x) - 1, 1)], y[: max(len(y) - 1, 1)])
        if model.jit_compile:
            shapes = {batches.x[0].shape}
            for x, y in zip(batches.x, batches.y):
                if x.shape not in shapes:
                    shapes.add(x.shape)
                    model.train_on_batch(x, y)

        def one_pass():
            for x, y in zip(batches.x, batches.y):
                model.train_on_batch(x, y)

        timing = time_repeats(one_pass, repeats=repeats, warmup=0)
    return Throughput(timing, first, batches.real_tokens, batches.padded_tokens,
                      model_step_flops(model), len(batches), batches.reviews)


def seed_model(*, jit_compile: bool = False, deterministic: bool = True, **fields):
    """The seed's GRU as :func:`utils.models.build` builds it (``CONFIGS["seed_gru"]``), with
    some :class:`utils.models.ModelConfig` fields changed (``mask``, ``reset_after``,
    ``unroll``, ``recurrent_dropout``, ``maxlen``, ...). ``jit_compile`` and ``deterministic``
    go to :func:`utils.models.build`: XLA needs op determinism off, so measure it with
    :func:`measure_in_subprocess`."""
    from utils import models

    return models.build(dataclasses.replace(models.CONFIGS["seed_gru"], **fields),
                        jit_compile=jit_compile, deterministic=deterministic)


def model_defaults() -> dict:
    """The arguments of :func:`seed_model` and their values for the seed's GRU."""
    from utils import models

    return models.CONFIGS["seed_gru"].key_fields()


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
    """:func:`measure_training` of :func:`seed_model` variants, in a new Python process.

    A fresh process is needed for what TensorFlow fixes when it starts (the sizes of its
    thread pools: ``intra_op_threads`` for the threads *inside* one operation such as a matrix
    product, ``inter_op_threads`` for independent operations run side by side; 0 lets
    TensorFlow choose), for ``deterministic=False`` (op determinism, which
    :func:`utils.config.set_seed` turns on, makes Keras ignore ``jit_compile``), and for another
    Keras backend (pass ``python`` of another environment and ``env={"KERAS_BACKEND": "jax"}``).

    Args:
        batches: what to train on (sent to the process through a temporary ``.npz`` file).
        variants: keyword arguments of :func:`seed_model`, one dict per model to measure
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
        raise TypeError("variants must be a non-empty sequence of dicts (seed_model "
                        "arguments)")
    spec = {"variants": [dict(v) for v in variants], "intra": intra_op_threads,
            "inter": inter_op_threads, "deterministic": bool(deterministic),
            "repeats": repeats, "warmup": warmup}
    results = fresh_process.run("utils.speed.throughput", spec, files={"batches": batches.save},
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
        model = seed_model(**kwargs, deterministic=spec["deterministic"])
        result = measure_training(model, batches, repeats=spec["repeats"],
                                  warmup=spec["warmup"])
        # Same batches, same steps, same seed: equal digests mean bit-identical training.
        digest = hashlib.sha256(b"".join(np.asarray(w).tobytes()
                                         for w in model.get_weights())).hexdigest()
        info = {"backend": keras.backend.backend(), "jit_compile": bool(model.jit_compile),
                "keras": keras.__version__, "weights_sha256": digest}
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
# python -m utils.speed.throughput SPEC.json  (the worker of measure_in_subprocess)
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    return fresh_process.serve(_worker, argv)


if __name__ == "__main__":  # pragma: no cover - run by measure_in_subprocess
    sys.exit(main())
