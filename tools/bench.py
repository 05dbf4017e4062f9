"""``make bench``: the measurements of the speed chapter, fixed, seeded and repeated.

Explained in :doc:`/chapters/10_fast_training_on_cpu`, whose measuring code this reuses
(:mod:`utils.speed`: :mod:`~utils.speed.throughput`, :mod:`~utils.speed.setups`,
:mod:`~utils.speed.flops`, :mod:`~utils.speed.race`). Run ``python -m tools.bench --help`` for
the options. Sections:

``throughput``
    the float32 matrix-product peak, then every lever of :func:`utils.speed.setups.levers` with
    ``--repeats`` timed passes each (min/median/max), on ``--reviews`` reviews per setting;
    the recurrent products alone (:func:`recurrence_bound`) and XLA's gain by model
    (:func:`xla_by_model`).
``race``
    time to accuracy (:mod:`utils.speed.race`): the seed's GRU under the seed's set-up and under
    the book's recipe (same stopping rule), the keras-io BiLSTM for its two epochs and chapter 9's
    best GRU, each trained by :func:`utils.models.trained` (or taken from its cache) on the
    book's split; test accuracy on the whole test split.
``jax``
    the same GRU under Keras' JAX backend, in a throw-away virtual environment under the
    system's temporary folder (created on first use with ``pip``; the section is skipped, with
    the reason, when that fails). The book itself stays on TensorFlow.
``book``
    the time of ``make book`` in a copy of the repository (so the working tree is never
    touched): from an empty cache, then again after a one-line edit of a markdown cell. This
    is the slow part (the whole book executes); skip it with ``--skip book``.

Results go to ``_build/bench/results.json`` and ``results.md`` (``_build/quick/bench`` in quick
mode), with the machine (CPU model and cores, load average), the date and the versions. Timings
are only comparable between runs on the same, otherwise idle, machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from utils import config, models
from utils.speed import flops, race, setups
from utils.speed import throughput as tp
from utils.tables import markdown_table

SECTIONS = ("throughput", "race", "jax", "book")
#: What the JAX comparison installs next to the pinned Keras and NumPy (tried on Python 3.11).
JAX_REQUIREMENTS = ("jax==0.10.2", "jaxlib==0.10.2")
#: Each throughput setting trains on at least this many padded cells per timed pass.
MIN_CELLS = 2**18
#: The accuracy the race runs to (fixed before the run; chapter 10's race runs to 0.75).
TARGET_ACCURACY = 0.80
#: The seeds of each set-up in the race.
RACE_SEEDS = (1, 2, 3)
#: The race's validation sample and how often (in training reviews) it evaluates.
RACE_OPTIONS = {"n_val": 1000, "eval_every": 1000}


# --------------------------------------------------------------------------------------------
# The machine
# --------------------------------------------------------------------------------------------


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine() -> dict:
    """Where and when the benchmark ran: CPU, cores, memory, load, date, versions, commit."""
    import psutil

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, cwd=config.project_root(), timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "cpu": config.cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {d: _version(d) for d in ("tensorflow-cpu", "keras", "numpy",
                                              "jupyter-book")},
        "commit": commit or None,
        "quick_mode": config.is_quick(),
    }


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _rates(result: tp.Throughput) -> dict:
    """Tokens per second of the slowest, the median and the fastest pass."""
    slowest, fastest = result.tokens_per_second_range
    return {"min": slowest, "median": result.tokens_per_second, "max": fastest}


def _row(lever: str, setting: setups.Setting, result: tp.Throughput, peak_gflops: float) -> dict:
    seconds = result.timing
    return {
        "lever": lever,
        "setting": setting.label,
        "tokens_per_second": _rates(result),
        "gflops": {"min": result.flops / seconds.max / 1e9, "median": result.gflops,
                   "max": result.flops / seconds.min / 1e9},
        "fraction_of_peak": result.gflops / peak_gflops,
        "padding_fraction": 1 - result.real_tokens / result.padded_tokens,
        "first_step_seconds": result.first_step_seconds,
        "pass_seconds": seconds.summary(),
        "reviews": result.reviews,
        "info": result.info,
    }


def bench_throughput(*, repeats: int, n_reviews: int) -> dict:
    """The peak, the seed's and the book's set-ups, and every lever, each ``repeats`` times."""
    from utils import models

    config.set_seed()
    x, y = models.imdb_splits(10_000)["train"]
    peak = flops.matmul_peak(repeats=max(10, repeats))
    rows = []
    plan = {"set-ups": [setups.NAIVE, setups.BOOK], **setups.levers(),
            XLA_BY_MODEL: xla_by_model()}
    measured: dict = {}  # rows that are the same setting are measured once
    for lever, settings in plan.items():
        print(f"  {lever}: {len(settings)} settings", flush=True)
        results = setups.measure_settings(settings, x, y, n_reviews=n_reviews, repeats=repeats,
                                      min_cells=MIN_CELLS, cache=measured)
        rows.extend(_row(lever, s, r, peak.gflops) for s, r in zip(settings, results))
    naive, book = rows[0], rows[1]
    print("  the recurrent products alone", flush=True)
    return {
        "peak_gflops": {"min": peak.flops / peak.timing.max / 1e9,
                        "median": peak.median_gflops, "max": peak.gflops, "n": peak.n},
        "rows": rows,
        "recurrence": recurrence_bound(peak.gflops, repeats=max(5, repeats)),
        "xla_gain_by_model": xla_gains(rows),
        "speedup_book_over_seed": book["tokens_per_second"]["median"]
        / naive["tokens_per_second"]["median"],
        "repeats": repeats,
        "reviews_per_setting": n_reviews,
    }


#: The lever of :func:`xla_by_model` (other models than the seed's GRU: not the recipe's peers).
XLA_BY_MODEL = "XLA by model"
#: Chapter 9's best GRU, as :func:`xla_by_model` and the backends section name it (its layers,
#: :func:`utils.speed.setups.model_fields`, on its own recipe's batches).
BEST_MODEL = "chapter 9's best GRU"
#: The backends section's rows of the book's recipe, one per model.
RECIPE_BATCHES = "bucketed (book's recipe)"


def xla_by_model() -> list[setups.Setting]:
    """XLA's gain as the model changes (``make bench`` only; the chapter measures the seed's
    GRU): the seed's GRU returning its final state, the same GRU returning every step's output
    averaged over time, and chapter 9's best GRU's layers (bidirectional GRU(64), max and mean
    pooling over time, dropout), each on the recipe's batches rounded up to
    :data:`utils.speed.setups.ROUND_LENGTHS_TO`, without and with XLA, in a fresh process."""
    variants = {
        "seed's GRU, final state": {},
        "seed's GRU, mean over time": {"pooling": "mean"},
        BEST_MODEL: setups.model_fields(models.CONFIGS["best_candidate"]),
    }
    return [setups.Setting(f"{label}, jit_compile={j}", setups.ROUNDED,
                           model={**fields, "jit_compile": j}, deterministic=False)
            for label, fields in variants.items() for j in (False, True)]


def xla_gains(rows: list[dict]) -> dict[str, float]:
    """For each model of :func:`xla_by_model`, its median tokens/s with XLA over without."""
    pairs: dict[str, dict[bool, float]] = {}
    for r in rows:
        if r["lever"] == XLA_BY_MODEL:
            label, _, flag = r["setting"].rpartition(", jit_compile=")
            pairs.setdefault(label, {})[flag == "True"] = r["tokens_per_second"]["median"]
    return {label: p[True] / p[False] for label, p in pairs.items()}


def recurrence_bound(peak_gflops: float, *, repeats: int, target: float = 0.2) -> dict:
    """What the step-after-step part of the seed GRU's training reaches alone, at the recipe's
    batch size (:func:`utils.speed.flops.recurrence_rate`), and what it implies for ``target``, a
    share of the peak for the whole training step: the rest of the step (input products, gates,
    mask, their gradients) would have to run at ``rest_needed_for_target`` of the peak (more
    than 1: out of reach, ``None``: unreachable whatever the rest does)."""
    from utils import models
    from utils import sequences as seqs

    seed = models.CONFIGS["seed_gru"]
    rate = flops.recurrence_rate(seqs.RECIPE.batch_size, seed.units, repeats=repeats)
    share = rate.gflops / peak_gflops
    recurrent_part = flops.recurrent_share("gru", seed.embedding_dim, seed.units)
    slack = 1 / target - recurrent_part / share  # time left for the rest, per unit of work
    return {"batch": rate.batch, "units": rate.units, "steps": rate.steps,
            "gflops": {"min": rate.flops / rate.timing.max / 1e9,
                       "median": rate.median_gflops, "max": rate.gflops},
            "fraction_of_peak": share, "share_of_step_flops": recurrent_part,
            "target": target,
            "rest_needed_for_target": (1 - recurrent_part) / slack if slack > 0 else None}


def race_contenders() -> dict:
    """The race's set-ups: chapter 10's three, and the recipe with XLA (lengths rounded up,
    trained in a fresh process without op determinism), a configuration only the bench uses."""
    c = models.CONFIGS
    xla = dataclasses.replace(c["seed_recipe"], jit_compile=True,
                              description="GRU(32), the book's recipe with XLA")
    return {"seed's set-up": c["seed_setup"], "book's recipe": c["seed_recipe"],
            "batches of 256": c["seed_recipe_256"], "recipe with XLA": xla}


def bench_race(seeds: Sequence[int] = RACE_SEEDS) -> dict:
    """Time to :data:`TARGET_ACCURACY` of each of :func:`race_contenders`, once per seed
    (:func:`utils.speed.race.race`): every seed's seconds, the median of the book's recipe
    (``recipe_time_to_target_s``) and of the fastest set-up (``fastest_time_to_target_s``)."""
    contenders = race_contenders()
    standings = race.race(contenders, TARGET_ACCURACY, seeds, verbose=True, **RACE_OPTIONS)
    fastest = min(standings.values(), key=lambda st: st.median)
    return {
        "target": TARGET_ACCURACY,
        "seeds": list(seeds),
        **RACE_OPTIONS,
        "rows": {label: {"description": contenders[label].description,
                         "seconds": [f.seconds for f in st.finishes],
                         "median": None if st.median == float("inf") else st.median}
                 for label, st in standings.items()},
        "recipe_time_to_target_s": standings["book's recipe"].median,
        "fastest_time_to_target_s": fastest.median,
        "fastest_config": fastest.label,
        "table": race.table(standings),
    }


def recipe_against_peers(sections: dict) -> dict:
    """``recipe_vs_fastest_peer``: the book's recipe's tokens/s (median) over the fastest other
    Keras configuration of the seed's GRU measured in the same run (every lever's row,
    TensorFlow + XLA and the JAX backend included), and ``recipe_share_of_peak``; empty before
    the throughput section. With the backends section, ``best_model`` holds the same two
    numbers for chapter 9's best GRU (:func:`best_against_peers`)."""
    rows = sections.get("throughput", {}).get("rows")
    if not rows:
        return {}
    book = next(r for r in rows if r["setting"] == setups.BOOK.label)
    peers = [r for r in rows
             if r["setting"] != setups.BOOK.label and r["lever"] != XLA_BY_MODEL]
    peers += [{"lever": "backend", "setting": f"{r['backend']}, {r['batches']}", **r}
              for r in sections.get("jax", {}).get("rows", [])
              if r.get("model", "seed's GRU") != BEST_MODEL]
    fastest = max(peers, key=lambda r: r["tokens_per_second"]["median"])
    out = {"recipe_vs_fastest_peer": book["tokens_per_second"]["median"]
           / fastest["tokens_per_second"]["median"],
           "fastest_peer": f"{fastest['lever']}: {fastest['setting']}",
           "recipe_share_of_peak": book["fraction_of_peak"]}
    best = best_against_peers(sections)
    return {**out, "best_model": best} if best else out


def best_against_peers(sections: dict) -> dict:
    """For chapter 9's best GRU in the backends section: its recipe (TensorFlow, op
    determinism on, its own bucketed batches) over the fastest other configuration of it in
    the same run, and the recipe's share of the throughput section's peak (best pass)."""
    rows = [r for r in sections.get("jax", {}).get("rows", []) if r.get("model") == BEST_MODEL]
    peak = sections.get("throughput", {}).get("peak_gflops", {}).get("max")
    if not rows or not peak:
        return {}
    is_recipe = lambda r: r["batches"] == RECIPE_BATCHES and r["backend"] == "tensorflow"  # noqa: E731
    recipe = next(r for r in rows if is_recipe(r))
    fastest = max((r for r in rows if not is_recipe(r)),
                  key=lambda r: r["tokens_per_second"]["median"])
    return {"recipe_vs_fastest_peer": recipe["tokens_per_second"]["median"]
            / fastest["tokens_per_second"]["median"],
            "fastest_peer": f"{fastest['backend']}, {fastest['batches']}",
            "recipe_share_of_peak": recipe["gflops"] / peak}


def jax_python(venv: Path | None = None, *, timeout: float = 1800) -> Path:
    """The Python of a throw-away environment with JAX and the book's Keras and NumPy.

    Created with ``python -m venv`` and ``pip`` on first use, reused afterwards. Raises
    ``RuntimeError`` (with pip's message) when it cannot be created, e.g. offline.
    """
    import keras
    import numpy as np

    if venv is None:
        tag = f"py{sys.version_info.major}{sys.version_info.minor}-keras{keras.__version__}"
        venv = Path(tempfile.gettempdir()) / f"gru-book-jax-{tag}"
    python = venv / "bin" / "python"
    stamp = venv / ".gru-book-installed"
    if stamp.is_file() and python.is_file():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", *JAX_REQUIREMENTS,
         f"keras=={keras.__version__}", f"numpy=={np.__version__}"],
    ]
    for step in steps:
        proc = subprocess.run(step, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            raise RuntimeError(f"{' '.join(step[:4])} ... failed:\n{proc.stderr[-2000:]}")
    stamp.write_text(" ".join(JAX_REQUIREMENTS) + "\n")
    return python


def bench_jax(*, repeats: int, n_reviews: int) -> dict:
    """Two models under TensorFlow, TensorFlow + XLA and JAX, on the same batches, in fresh
    processes (TensorFlow alone with op determinism on, as the book trains).

    The seed's GRU on three batch sets: padded to 500 (one shape: what XLA likes), the book's
    bucketed batches (a new shape per length: XLA and JAX compile each, during the warm-up of
    :func:`utils.speed.throughput.measure_training`), and bucketed batches with lengths rounded
    up to a multiple of :data:`utils.speed.setups.ROUND_LENGTHS_TO` (a few shapes). Then chapter
    9's best GRU (:data:`BEST_MODEL`) on its own recipe's bucketed batches (batches of
    ``CONFIGS["best_candidate"].batch_size``) and on the same rounded up.
    """
    from utils import sequences as seqs

    try:
        python = jax_python()
    except (RuntimeError, OSError, subprocess.SubprocessError) as err:
        return {"skipped": f"JAX could not be installed: {err}"}
    x, y = models.imdb_splits(10_000)["train"]
    padded = seqs.Recipe(batch_size=seqs.RECIPE.batch_size, bucketing=False)
    rounded = f"bucketed, rounded to {setups.ROUND_LENGTHS_TO}"
    best = models.CONFIGS["best_candidate"]
    best_fields, best_recipe = setups.model_fields(best), models.recipe_for(best)
    plan = (("seed's GRU", {}, "padded to 500", padded, True),
            ("seed's GRU", {}, RECIPE_BATCHES, seqs.RECIPE, False),
            ("seed's GRU", {}, rounded, setups.ROUNDED, False),
            (BEST_MODEL, best_fields, RECIPE_BATCHES, best_recipe, False),
            (BEST_MODEL, best_fields, rounded,
             dataclasses.replace(best_recipe, length_multiple=setups.ROUND_LENGTHS_TO), False))
    rows = []
    for model, fields, label, recipe, full_only in plan:
        n_batches = -(-n_reviews // recipe.batch_size)
        batches = tp.sample_batches(x, y, maxlen=500, recipe=recipe, n_batches=n_batches,
                                    full_only=full_only)
        runs = (("tensorflow", None, {}, True, {}),
                ("tensorflow + XLA", None, {}, False, {"jit_compile": True}),
                ("jax", python, {"KERAS_BACKEND": "jax"}, False, {"jit_compile": True}))
        for backend, exe, env, deterministic, kwargs in runs:
            (result,) = tp.measure_in_subprocess(
                batches, variants=[{**fields, **kwargs}], python=exe, env=env,
                deterministic=deterministic, repeats=repeats)
            rows.append({"model": model, "batches": label, "backend": backend,
                         "tokens_per_second": _rates(result), "gflops": result.gflops,
                         "first_step_seconds": result.first_step_seconds,
                         "info": result.info})
            print(f"  {model}, {label}, {backend}: {result.tokens_per_second:,.0f} tokens/s",
                  flush=True)
    return {"rows": rows, "requirements": list(JAX_REQUIREMENTS)}


def copy_for_build(root: Path, dest: Path) -> list[str]:
    """Copy the book's sources (what git tracks or would track) from ``root`` into ``dest``.

    Uses ``git ls-files`` (read-only) when ``root`` is a git checkout, else copies everything
    except virtual environments, build outputs and caches. Modification times are kept (so
    that ``make`` sees the copy as up to date). Returns the copied paths, relative.
    """
    root, dest = Path(root), Path(dest)
    files: list[str] = []
    try:
        proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                               "--exclude-standard"], cwd=root, capture_output=True,
                              timeout=60)
        if proc.returncode == 0:
            files = [f for f in proc.stdout.decode().split("\0") if f]
    except (OSError, subprocess.SubprocessError):
        files = []
    if not files:
        skip = {".git", ".venv", "_build", "__pycache__", ".pytest_cache", ".ruff_cache",
                ".hypothesis", ".ipynb_checkpoints"}
        files = [str(p.relative_to(root)) for p in sorted(root.rglob("*"))
                 if p.is_file() and not skip & set(p.relative_to(root).parts)]
    copied = []
    for rel in files:
        src = root / rel
        if not src.is_file():  # deleted but still tracked
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
        copied.append(rel)
    return copied


def prose_edit(notebook: Path) -> None:
    """Append one sentence to the first markdown cell of ``notebook`` (a one-line prose edit)."""
    nb = json.loads(Path(notebook).read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            source = cell["source"]
            text = "".join(source) if isinstance(source, list) else source
            cell["source"] = text + "\n\n(A one-line prose edit made by `make bench`.)"
            break
    else:
        raise ValueError(f"{notebook} has no markdown cell to edit")
    Path(notebook).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def _check_venv_is_current(root: Path, copy: Path) -> None:
    """Refuse to build when ``make`` would reinstall into the shared ``.venv``.

    ``make -o`` is not passed on to the recursive ``$(MAKE) html``, so if the install stamp
    were older than the pins, that inner ``make`` would ``pip install -e`` the temporary copy
    into the working tree's environment.
    """
    stamp = root / ".venv" / ".installed"
    pins = [copy / f for f in ("requirements.txt", "pyproject.toml") if (copy / f).is_file()]
    newest = max((p.stat().st_mtime for p in pins), default=0.0)
    if not stamp.is_file() or stamp.stat().st_mtime < newest:
        raise RuntimeError(f"{stamp} is missing or older than the pins: run `make setup` "
                           "first (the benchmark never installs into the environment)")


def time_book_builds(
    root: Path | None = None,
    *,
    command: Sequence[str] | None = None,
    notebook: str = "chapters/01_the_imdb_dataset.ipynb",
    keep: bool = False,
    timeout: float = 4 * 3600,
) -> dict:
    """Time ``make book`` in a temporary copy of the repository: cold, then after a prose edit.

    The copy gets a link to the working tree's ``.venv`` (``make -o .venv/.installed`` so it
    never reinstalls into it) and ``PYTHONPATH`` pointing at the copy, so its notebooks import
    the copy's ``utils`` and write their caches, models and metrics inside the copy. The
    working tree is never modified. The copy is deleted afterwards unless ``keep``.

    Args:
        root: the repository (default: the book's root).
        command: what to run in the copy (default ``make -o .venv/.installed book``).
        notebook: the notebook whose first markdown cell gets a one-line edit between the runs.
    """
    root = Path(root or config.project_root()).resolve()
    command = list(command or ["make", "--no-print-directory", "-o", ".venv/.installed",
                               "book"])
    tmp = Path(tempfile.mkdtemp(prefix="gru-book-bench-"))
    out: dict = {"command": " ".join(command), "notebook_edited": notebook}
    try:
        copy = tmp / "book"
        out["files_copied"] = len(copy_for_build(root, copy))
        if (root / ".venv").is_dir():
            _check_venv_is_current(root, copy)
            (copy / ".venv").symlink_to(root / ".venv", target_is_directory=True)
        env = {**os.environ, "PYTHONPATH": str(copy)}
        data = config.data_path()  # made absolute: the copy lives elsewhere
        if data is not None:
            env[config.DATA_ENV] = str(data)
        for run in ("cold", "after_prose_edit"):
            if run == "after_prose_edit":
                prose_edit(copy / notebook)
            start = time.perf_counter()
            proc = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True,
                                  timeout=timeout)
            out[f"{run}_seconds"] = time.perf_counter() - start
            out[f"{run}_returncode"] = proc.returncode
            if proc.returncode != 0:
                out[f"{run}_log_tail"] = (proc.stdout + proc.stderr)[-3000:]
                break
        if keep:
            out["kept_copy"] = str(copy)
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _rate(d: dict, scale: float = 1.0, fmt: str = ",.0f") -> str:
    return " / ".join(format(d[k] * scale, fmt) for k in ("min", "median", "max"))


def _recurrence_text(r: dict) -> str:
    need = r["rest_needed_for_target"]
    return (
        f"The recurrent products alone ({r['batch']}×{r['units']} by {r['units']}×"
        f"{3 * r['units']}, {r['steps']} steps one after another, forward and backward, XLA): "
        f"{r['gflops']['max']:.1f} GFLOP/s, **{r['fraction_of_peak']:.1%} of the peak**. They "
        f"are {r['share_of_step_flops']:.0%} of a GRU step's FLOPs, so for the whole step to "
        f"reach {r['target']:.0%} of the peak the rest of it would have to run at "
        + (f"**{need:.0%}** of the peak." if need is not None else
           "more than the peak: out of reach."))


def render_markdown(results: dict) -> str:
    """The results as a Markdown page (what ``results.md`` holds)."""
    m = results["machine"]
    lines = [
        "# `make bench` results",
        "",
        f"{m['date']} · {m['cpu']} · {m['usable_cores']} usable of {m['logical_cores']} "
        f"cores · {m['memory_gib']} GiB · load average at start "
        f"{', '.join(map(str, m['load_average_at_start']))}"
        + (" · **quick mode**" if m["quick_mode"] else ""),
        "",
        "Python " + m["python"] + " · "
        + " · ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
        + (f" · commit {m['commit']}" if m.get("commit") else ""),
        "",
    ]
    sections = results["sections"]
    t = sections.get("throughput")
    if t and "error" not in t:
        p = t["peak_gflops"]
        lines += [
            "## Throughput",
            "",
            f"float32 matrix-product peak ({p['n']}×{p['n']}): {p['max']:.1f} GFLOP/s "
            f"(median {p['median']:.1f}). Each setting: {t['repeats']} timed passes over "
            f"about {t['reviews_per_setting']:,} reviews; min / median / max. "
            f"Book's recipe vs the seed's set-up: **{t['speedup_book_over_seed']:.2f}×** "
            "tokens/s."
            + (f" Recipe vs the fastest other configuration of this run "
               f"({results['fastest_peer']}): {results['recipe_vs_fastest_peer']:.2f}×; "
               f"recipe at {results['recipe_share_of_peak']:.1%} of the peak."
               if "recipe_vs_fastest_peer" in results else ""),
            "",
            markdown_table(
                ["lever", "setting", "tokens/s (min / median / max)", "GFLOP/s (median)",
                 "% of peak", "padding", "first step (s)"],
                [[r["lever"], r["setting"], _rate(r["tokens_per_second"]),
                  r["gflops"]["median"], r["fraction_of_peak"], r["padding_fraction"],
                  r["first_step_seconds"]] for r in t["rows"]],
                ["{}", "{}", "{}", "{:.2f}", "{:.1%}", "{:.0%}", "{:.1f}"]),
            "",
        ]
        if "recurrence" in t:
            lines += [_recurrence_text(t["recurrence"]), ""]
        if t.get("xla_gain_by_model"):
            lines += ["XLA's gain (median tokens/s with over without), by model: "
                      + "; ".join(f"{label} **{gain:.2f}×**"
                                  for label, gain in t["xla_gain_by_model"].items()) + ".", ""]
    race_ = sections.get("race")
    if race_ and "error" not in race_:
        lines += [
            "## Time to accuracy",
            "",
            f"Seconds of training (evaluations excluded) until the accuracy on "
            f"{race_['n_val']:,} validation reviews first reached {race_['target']:.0%}, "
            f"evaluated every {race_['eval_every']:,} training reviews (`utils.speed.race`), "
            f"one run per seed. Book's recipe: "
            f"**{race_['recipe_time_to_target_s']:.1f} s** (median); fastest: "
            f"{race_['fastest_config']}, **{race_['fastest_time_to_target_s']:.1f} s**.",
            "",
            race_["table"],
            "",
        ]
    jax = sections.get("jax")
    if jax:
        lines += ["## Keras backends (fresh processes, same batches)", ""]
        if "rows" in jax:
            lines.append(markdown_table(
                ["model", "batches", "backend", "tokens/s (min / median / max)",
                 "first step (s)"],
                [[r.get("model", ""), r["batches"], r["backend"],
                  _rate(r["tokens_per_second"]), r["first_step_seconds"]]
                 for r in jax["rows"]],
                ["{}", "{}", "{}", "{}", "{:.1f}"]))
            best = results.get("best_model")
            if best:
                lines += ["", f"{BEST_MODEL} under its recipe (TensorFlow, op determinism on) "
                          f"against its fastest other configuration ({best['fastest_peer']}): "
                          f"**{best['recipe_vs_fastest_peer']:.2f}×**; recipe at "
                          f"**{best['recipe_share_of_peak']:.1%}** of the peak."]
        else:
            lines.append(jax.get("skipped") or f"failed: {jax.get('error', '')[:300]}")
        lines.append("")
    book = sections.get("book")
    if book:
        lines += ["## Building the book", ""]
        if "error" in book:
            lines.append(f"failed: {book['error'][:300]}")
        else:
            for run, label in (("cold", "from an empty cache"),
                               ("after_prose_edit", "after a one-line prose edit")):
                if f"{run}_seconds" in book:
                    status = "" if book[f"{run}_returncode"] == 0 else " (**failed**)"
                    lines.append(f"- `{book['command']}` {label}: "
                                 f"{book[f'{run}_seconds']:.0f} s{status}")
        lines.append("")
    failed = [k for k, v in sections.items() if isinstance(v, dict) and "error" in v]
    if failed:
        lines += [f"Sections that failed: {', '.join(failed)} (see results.json).", ""]
    return "\n".join(lines)


def write_results(results: dict, folder: Path) -> tuple[Path, Path]:
    """Write ``results.json`` and ``results.md`` into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    json_file, md_file = folder / "results.json", folder / "results.md"
    json_file.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    md_file.write_text(render_markdown(results))
    return json_file, md_file


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=config.pick(full=5, quick=2),
                        help="timed passes per setting (default 5, quick mode 2)")
    parser.add_argument("--reviews", type=int, default=config.pick(full=2048, quick=256),
                        help="reviews per throughput setting (default 2048, quick mode 256)")
    parser.add_argument("--skip", nargs="*", default=[], choices=SECTIONS, metavar="SECTION",
                        help=f"sections to leave out, of: {', '.join(SECTIONS)}")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default _build/bench, or _build/quick/bench)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.reviews < 1:
        parser.error("--repeats and --reviews must be positive")
    out = args.out or config.build_dir() / "bench"
    results: dict = {"machine": machine(), "sections": {}}
    runners = {
        "throughput": lambda: bench_throughput(repeats=args.repeats, n_reviews=args.reviews),
        "race": bench_race,
        "jax": lambda: bench_jax(repeats=args.repeats, n_reviews=args.reviews),
        "book": time_book_builds,
    }
    ok = True
    for name in SECTIONS:
        if name in args.skip:
            continue
        print(f"[bench] {name}", flush=True)
        start = time.perf_counter()
        try:
            results["sections"][name] = runners[name]()
        except Exception as err:  # noqa: BLE001 - record it, go on with the other sections
            ok = False
            results["sections"][name] = {"error": f"{type(err).__name__}: {err}",
                                         "traceback": traceback.format_exc()[-4000:]}
            print(f"[bench] {name} failed: {err}", file=sys.stderr, flush=True)
        results["sections"][name]["section_seconds"] = time.perf_counter() - start
        results.update(recipe_against_peers(results["sections"]))
        write_results(results, out)  # after each section, so a long run leaves partial results
    json_file, md_file = write_results(results, out)
    print(md_file.read_text())
    print(f"[bench] wrote {json_file} and {md_file}")
    return 0 if ok else 1


if __name__ == "__main__":  # pragma: no cover - `make bench`
    sys.exit(main())
