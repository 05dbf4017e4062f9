"""The set-ups of the speed chapter, as data: each lever's settings, measured the same way.

A :class:`Setting` is one way of training the seed's GRU, as far as speed goes (batching recipe,
truncation, padding, model arguments, thread pools, op determinism). :data:`NAIVE` is the seed's
set-up and :data:`BOOK` the book's recipe; :func:`levers` lists the settings each lever of
:doc:`/chapters/10_fast_training_on_cpu` compares, and :func:`measure_settings` measures them
with :mod:`utils.speed.throughput` (each distinct setting once), so that the chapter and ``make
bench`` measure the same things.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from utils import config
from utils import sequences as seqs
from utils.checks import positive_int
from utils.speed.throughput import (
    Throughput,
    measure_in_subprocess,
    measure_training,
    model_defaults,
    sample_batches,
    seed_model,
)

__all__ = ["BOOK", "NAIVE", "ROUNDED", "ROUND_LENGTHS_TO", "Setting", "levers",
           "measure_settings", "model_fields"]

#: The multiple that the shape-caching rows round each bucketed batch's length up to.
ROUND_LENGTHS_TO = seqs.ROUND_LENGTHS_TO
#: The book's recipe with bucketed lengths rounded up to :data:`ROUND_LENGTHS_TO` (few shapes).
ROUNDED = dataclasses.replace(seqs.RECIPE, length_multiple=ROUND_LENGTHS_TO)



@dataclass(frozen=True)
class Setting:
    """One way of training the seed's GRU, as far as speed goes (a row of a lever's table).

    Attributes:
        label: how tables and figures name it.
        recipe: batch size and length bucketing (:class:`utils.sequences.Recipe`).
        maxlen: the truncation length.
        padding: ``"pre"`` or ``"post"``.
        model: keyword arguments of :func:`seed_model` (``mask``, ``reset_after``, ...).
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
        arguments completed by :func:`seed_model`'s defaults (equal keys, same work)."""
        defaults = model_defaults()
        unknown = set(self.model) - set(defaults)
        if unknown:
            raise ValueError(f"Setting {self.label!r}: unknown model arguments {sorted(unknown)}")
        model = tuple(sorted({**defaults, **self.model}.items()))
        return (*self._batch_key(), model)


#: Fields of a configuration that decide how it is trained or batched, not the work of a step.
_NOT_LAYERS = ("learning_rate", "lr_decay", "max_epochs", "patience", "batch_size",
               "micro_batches",
               "train_limit", "pad_to_maxlen", "padding", "jit_compile", "seed")


def model_fields(cfg) -> dict:
    """The ``model`` of a :class:`Setting` that trains the layers of ``cfg`` (a
    :class:`utils.models.ModelConfig`, e.g. chapter 9's best GRU): its fields that differ from
    the seed's GRU, leaving out its schedule and batching (learning rate, epochs, batch size,
    its parts, padding, XLA), which a setting decides itself."""
    from utils import models

    if not isinstance(cfg, models.ModelConfig):
        raise TypeError(f"cfg must be a ModelConfig; got {type(cfg).__name__}")
    seed, fields = model_defaults(), cfg.key_fields()
    return {k: v for k, v in fields.items() if k not in _NOT_LAYERS and v != seed[k]}


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
        *(Setting(f"padded to 500, jit_compile={j}", padded, model={"jit_compile": j},
                  deterministic=False, full_only=True) for j in (False, True)),
        # Shape caching: bucketed, but lengths rounded up so that XLA sees a few shapes.
        *(Setting(f"rounded to {ROUND_LENGTHS_TO}, jit_compile={j}", ROUNDED,
                  model={"jit_compile": j}, deterministic=False) for j in (False, True))]
    # What op determinism costs and changes: the recipe with and without it, each in a fresh
    # process (the thread lever's default row is the first).
    out["op determinism"] = [
        Setting(f"op determinism {'on' if d else 'off'}", recipe, threads=(0, 0),
                deterministic=d) for d in (True, False)]
    out["threads"] = [
        # One thread inside each operation, two side by side: the setting that once measured
        # faster than the default on two cores (issue 13 §0).
        Setting("intra_op=1, inter_op=2", recipe, threads=(1, 2)),
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
    positive_int("n_reviews", n_reviews)
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
            model = seed_model(**first.model)
            results = [measure_training(model, batches, repeats=repeats, warmup=warmup)]
        measured.update({(s.key(), sizes): r for s, r in zip(group, results)})
    return [measured[(s.key(), sizes)] for s in settings]
