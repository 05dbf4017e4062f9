"""Time to accuracy: how long each set-up trains until its model first reaches a target.

Explained in :doc:`/chapters/10_fast_training_on_cpu`; ``make bench`` runs the same race with
XLA among the contenders. Every contender is a :class:`utils.models.ModelConfig` built by
:func:`utils.models.build` and fed by :func:`utils.sequences.make_dataset` under its own recipe
(:func:`utils.models.recipe_for`), exactly as :func:`utils.models.trained` trains it, on the
first ``train_limit`` training reviews. During ``fit`` a callback evaluates the model on a
fixed sample of validation reviews (:func:`validation_sample`, the same for every contender)
every ``eval_every`` training reviews, at the first batch boundary past each multiple, and
stops training as soon as the accuracy reaches a target fixed before the run. The clock counts
training only, from the call to ``fit`` (graph building included): it stands still while the
model is evaluated, so a finer clock costs the page time, not the contender.

A contender that needs XLA while TensorFlow's op determinism is on (Keras then refuses
``jit_compile``) races in a fresh process (``python -m utils.speed.race``), as
:func:`utils.models.trained` trains it.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np

from utils import config, models

__all__ = ["Finish", "Standing", "plot_curves", "race", "run_to_target", "table",
           "validation_sample", "verdict"]


@dataclass(frozen=True)
class Finish:
    """One seed's run: ``seconds`` of training until the first evaluation at or above
    ``target`` (``None`` if no evaluation reached it within the epochs allowed), the training
    reviews seen by then (batches times the batch size), and the whole ``curve`` of
    ``(seconds, reviews, accuracy)`` at each evaluation."""

    seed: int
    target: float
    seconds: float | None
    reviews: int | None
    curve: tuple[tuple[float, int, float], ...]


@dataclass(frozen=True)
class Standing:
    """A contender's finishes over seeds; a seed that never reached the target counts as
    infinitely slow, so the median is ``inf`` when half of them or more did not."""

    label: str
    finishes: tuple[Finish, ...]

    @property
    def times(self) -> list[float]:
        return [f.seconds if f.seconds is not None else float("inf") for f in self.finishes]

    @property
    def median(self) -> float:
        return float(statistics.median(self.times))

    @property
    def low(self) -> float:
        return min(self.times)

    @property
    def high(self) -> float:
        return max(self.times)

    def spread_text(self) -> str:
        """``"7.5 s, the median of 3 seeds (7.3-9.0 s)"``, or how many seeds did not reach
        the target."""
        missed = sum(f.seconds is None for f in self.finishes)
        if missed:
            return f"{missed} of {len(self.finishes)} seeds did not reach it"
        return (f"{self.median:.1f} s, the median of {len(self.finishes)} seeds "
                f"({self.low:.1f}-{self.high:.1f} s)")


def validation_sample(n: int, num_words: int | None = None) -> tuple[list, np.ndarray]:
    """``n`` validation reviews drawn without replacement with the book's seed (in their
    original order) and their labels: the reviews every contender is evaluated on."""
    x_val, y_val = models.imdb_splits(num_words or models.CONFIGS["seed_gru"].num_words)["val"]
    n = min(n, len(x_val))
    rows = np.sort(np.random.default_rng(config.SEED).choice(len(x_val), n, replace=False))
    return [x_val[i] for i in rows], np.asarray(y_val)[rows]


def run_to_target(cfg: models.ModelConfig, target: float, *, n_val: int = 1000,
                  eval_every: int = 1000, max_epochs: int | None = None) -> Finish:
    """Train ``cfg`` (its seed, :func:`utils.models.effective` sizes) until its accuracy on
    :func:`validation_sample` ``(n_val)`` reaches ``target``, evaluated every ``eval_every``
    training reviews; at most ``max_epochs`` epochs (default ``cfg.max_epochs``)."""
    if not 0.0 < target <= 1.0:
        raise ValueError(f"target must be in (0, 1]; got {target!r}")
    cfg = models.effective(cfg)
    max_epochs = max_epochs or cfg.max_epochs
    recipe = models.recipe_for(cfg)
    if recipe.jit_compile and models.keras_refuses_xla():
        from utils import fresh_process

        out = fresh_process.run("utils.speed.race", {
            "config": cfg.key_fields(), "target": target, "n_val": n_val,
            "eval_every": eval_every, "max_epochs": max_epochs}, timeout=3600)
        return Finish(**{**out, "curve": tuple(tuple(p) for p in out["curve"])})
    import keras

    from utils import sequences

    config.release_memory()
    x_train, y_train = models.imdb_splits(cfg.num_words)["train"]
    x_train, y_train = x_train[: cfg.train_limit], y_train[: cfg.train_limit]
    x_val, y_val = validation_sample(n_val, cfg.num_words)
    train_ds = sequences.make_dataset(x_train, y_train, maxlen=cfg.maxlen, shuffle=True,
                                      seed=cfg.seed, recipe=recipe, padding=cfg.padding)
    model = models.build(cfg, steps_per_epoch=int(train_ds.cardinality()),
                         deterministic=not recipe.jit_compile)

    class Clock(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.seconds, self.reviews, self.curve = 0.0, 0, []
            self.reached = None
            self.resumed = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.seconds += time.perf_counter() - self.resumed
            before, self.reviews = self.reviews, self.reviews + recipe.batch_size
            if self.reviews // eval_every > before // eval_every:
                p = models.predict(self.model, x_val, maxlen=cfg.maxlen, recipe=recipe,
                                   padding=cfg.padding)
                accuracy = float(np.mean((p > 0.5) == y_val))
                self.curve.append((self.seconds, self.reviews, accuracy))
                if accuracy >= target:
                    self.reached = (self.seconds, self.reviews)
                    self.model.stop_training = True
            self.resumed = time.perf_counter()

    clock = Clock()
    model.fit(train_ds, epochs=max_epochs, callbacks=[clock], verbose=0, shuffle=False)
    seconds, reviews = clock.reached or (None, None)
    del model, train_ds
    config.release_memory()
    return Finish(seed=cfg.seed, target=target, seconds=seconds, reviews=reviews,
                  curve=tuple(clock.curve))


def race(contenders: dict[str, models.ModelConfig], target: float, seeds, *,
         verbose: bool = False, **options) -> dict[str, Standing]:
    """Each contender (a label -> its configuration) run to ``target`` once per seed, the
    seeds taking turns (seed 1 of every contender, then seed 2, ...) so that a change in the
    machine's load falls on all of them; ``options`` go to :func:`run_to_target`."""
    if not contenders:
        raise ValueError("contenders must name at least one configuration")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    finishes: dict[str, list[Finish]] = {label: [] for label in contenders}
    for seed in seeds:
        for label, cfg in contenders.items():
            finish = run_to_target(dataclasses.replace(cfg, seed=seed), target, **options)
            finishes[label].append(finish)
            if verbose:
                print(f"{label}, seed {seed}: {finish.seconds}", flush=True)
    return {label: Standing(label, tuple(fs)) for label, fs in finishes.items()}


def verdict(fast: Standing, slow: Standing) -> str:
    """A clause on whether ``fast`` reached the target sooner than ``slow``, decided by the
    seeds: with every seed (its slowest beat the other's fastest), by the median only, or not."""
    def seconds(x):
        return "not reached" if x == float("inf") else f"{x:.1f} s"

    medians = f"medians {seconds(fast.median)} against {seconds(slow.median)}"
    if fast.high < slow.low:
        return f"{fast.label} got there sooner than {slow.label} with every seed ({medians})"
    if fast.median < slow.median:
        return (f"{fast.label} got there sooner than {slow.label} by the median ({medians}), "
                "but the seeds overlap")
    if slow.median == float("inf"):
        return f"neither {fast.label} nor {slow.label} reached it with most seeds"
    return f"{fast.label} was not sooner than {slow.label} ({medians})"


def table(standings: dict[str, Standing]) -> str:
    """A Markdown table: each contender's seconds to the target per seed, and the median."""
    from utils.tables import markdown_table

    seeds = [f.seed for f in next(iter(standings.values())).finishes]

    def cell(seconds):
        return "not reached" if seconds is None else f"{seconds:.1f}"

    return markdown_table(
        ["set-up", *(f"seed {s} (s)" for s in seeds), "median (s)"],
        [(label, *(cell(f.seconds) for f in st.finishes),
          "not reached" if st.median == float("inf") else f"{st.median:.1f}")
         for label, st in standings.items()])


def plot_curves(ax, standings: dict[str, Standing], colors) -> None:
    """Validation accuracy against training seconds, one line per seed, one colour per
    contender (``colors``, in order), the target as a dotted line."""
    target = next(iter(standings.values())).finishes[0].target
    for (label, st), color in zip(standings.items(), colors):
        for i, f in enumerate(st.finishes):
            seconds, _, accuracy = zip(*f.curve) if f.curve else ((), (), ())
            ax.plot(seconds, accuracy, ".-", color=color, alpha=0.8, linewidth=1,
                    label=label if i == 0 else None)
    ax.axhline(target, color="k", linestyle=":", linewidth=1, label=f"target {target:.0%}")
    ax.set_xlabel("training time (s, evaluations excluded)")
    ax.set_ylabel("validation accuracy")


def _worker(spec: dict) -> dict:
    """Run :func:`run_to_target` for ``spec["config"]`` (its fields) in this process."""
    cfg = models.ModelConfig(**spec.pop("config"))
    target = spec.pop("target")
    return dataclasses.asdict(run_to_target(cfg, target, **spec))


if __name__ == "__main__":  # pragma: no cover - run by fresh_process
    from utils import fresh_process

    sys.exit(fresh_process.serve(_worker))
