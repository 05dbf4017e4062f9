"""Peak memory of the book's notebooks, counting every process they start.

A reader's Binder session has 2 GB of memory, so every chapter, executed in full mode in a
fresh kernel with an empty model cache, must peak below that (issue 27). The kernel process
and all its descendants (chapter 10 trains in fresh processes) are sampled a few times a second
with ``psutil`` (Linux only), and two sums over that process tree are reported:

* the *resident set* (RSS): pages shared between processes (such as TensorFlow's libraries,
  loaded by the kernel and by each child it starts) count once per process, so this sum errs
  on the high side;
* the *proportional set size* (PSS): each shared page is divided among the processes sharing
  it, so the sum over the tree counts it once: the measure closest to what a container's
  memory limit, such as Binder's, charges. The verdict "≤ 2 GB" (2 × 10⁹ bytes) uses the
  peak PSS sum.

Two commands (run from the repository root)::

    python -m tools.peak_memory run chapters/09_better_models_and_baselines.ipynb [...]
        [--fresh-copy] [--cells] [--out FILE.json] [--timeout S]
    python -m tools.peak_memory watch [--out FILE.json] [--cache DIR] -- make book

``run``
    executes each notebook with ``nbclient`` in a fresh kernel (working directory: the
    notebook's folder, the mode of the calling environment: set ``GRU_BOOK_QUICK=1`` for quick
    mode), sampling the kernel's process tree every 0.2 s, and prints a table (notebook,
    seconds, peak RSS and PSS sums in MiB); ``--cells`` adds the peaks of every code cell.
    Trained models are cached under ``utils.config.build_dir()``, which follows the repository
    the ``utils`` package is imported from; ``--fresh-copy`` therefore executes a copy of the
    repository in a temporary folder (what git tracks, as ``make bench`` copies it, with
    ``PYTHONPATH`` pointing at the copy), whose model cache is empty: the reader who opens that
    chapter first. Without it the notebook reuses whatever ``_build/models`` holds. Notebooks
    execute in the order given, each in a fresh kernel but, with ``--fresh-copy``, in the same
    copy: give one notebook per call to measure each from an empty cache.
``watch``
    runs a command (e.g. ``make book``) and samples, every 0.5 s, every kernel among its
    descendants (a process whose command line holds ``ipykernel_launcher``) with that kernel's
    own descendants; when the command ends, each kernel is matched to the notebook it executed
    by time, using the execution records of jupyter-cache (each record's creation time and
    execution seconds give the window in which its notebook ran), and the results are written
    as JSON and a markdown table. Exits with the command's exit code. Kernels of other
    programs (other users' notebooks) are not descendants of the command and are ignored.

Results: ``run`` writes ``_build/peak_memory/run.json`` and ``run.md`` (``watch``:
``watch.json``, ``watch.md``) under :func:`utils.config.build_dir`, or ``--out``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import psutil

#: Binder's memory limit, counted conservatively as 2 × 10⁹ bytes (1,907 MiB).
LIMIT_BYTES = 2 * 10**9
MIB = 2**20
#: The command line of a Jupyter kernel started by jupyter_client holds this.
KERNEL_MARK = "ipykernel_launcher"

#: What psutil raises for a process that ended (or turned zombie) meanwhile, or is not ours.
_GONE = (psutil.NoSuchProcess, psutil.AccessDenied)


# --------------------------------------------------------------------------------------------
# Processes, through psutil
# --------------------------------------------------------------------------------------------


def _need_linux() -> None:
    if not psutil.LINUX:
        raise OSError("tools.peak_memory reads the proportional set size (PSS): it needs Linux")


def tree(root: int, *, include_root: bool = True) -> list[psutil.Process]:
    """``root`` (left out if ``include_root`` is false) and all its descendants ([] if
    ``root`` is gone)."""
    try:
        proc = psutil.Process(root)
        return ([proc] if include_root else []) + proc.children(recursive=True)
    except _GONE:
        return []


def memory(procs: Iterable[psutil.Process]) -> tuple[int, int]:
    """``(rss, pss)``: the resident and the proportional set sizes of ``procs``, summed, in
    bytes. A process that ended meanwhile counts 0; one whose PSS may not be read counts its
    RSS for both (erring high)."""
    rss = pss = 0
    for proc in procs:
        try:
            try:
                full = proc.memory_full_info()
                # RSS and PSS come from two reads of /proc: a process that forks or execs
                # between them could show a PSS above its RSS, which no page allows.
                rss, pss = rss + full.rss, pss + min(full.pss, full.rss)
            except psutil.AccessDenied:
                resident = proc.memory_info().rss
                rss, pss = rss + resident, pss + resident
        except _GONE:
            pass
    return rss, pss


def tree_memory(root: int, *, include_root: bool = True) -> tuple[int, int]:
    """``(rss, pss)`` summed over ``root`` and all its descendants (see :func:`memory`)."""
    return memory(tree(root, include_root=include_root))


class TreeSampler:
    """Samples, in a background thread, the memory of a process tree.

    ``with TreeSampler(pid) as s: ...`` then ``s.peak`` (the highest RSS sum), ``s.peak_pss``
    (the highest PSS sum) and ``s.samples`` (``[(time.time(), rss, pss), ...]``, see
    :func:`tree_memory`). ``include_root=False`` counts the descendants only (a runner
    measuring the kernels it starts, not itself).
    """

    def __init__(self, root: int | None = None, *, interval: float = 0.2,
                 include_root: bool = True):
        if interval <= 0:
            raise ValueError(f"interval must be positive; got {interval!r}")
        _need_linux()
        self.root = os.getpid() if root is None else root
        self.interval = interval
        self.include_root = include_root
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tree-sampler", daemon=True)

    @property
    def peak(self) -> int:
        return max((r for _, r, _ in self.samples), default=0)

    @property
    def peak_pss(self) -> int:
        return max((p for _, _, p in self.samples), default=0)

    def peak_between(self, start: float, end: float) -> tuple[int, int]:
        """The highest ``(rss, pss)`` sampled from ``start`` to ``end`` (``time.time()``
        values), or the first sample after ``end`` if none was (a span shorter than the
        interval); ``(0, 0)`` if there is none."""
        inside = ([s for s in self.samples if start <= s[0] <= end]
                  or [s for s in self.samples if s[0] > end][:1])
        return max((s[1] for s in inside), default=0), max((s[2] for s in inside), default=0)

    def first_after(self, when: float) -> int:
        """The RSS sum of the first sample taken after ``when`` (0 if none)."""
        return next((r for t, r, _ in self.samples if t > when), 0)

    def sample(self) -> tuple[int, int]:
        rss, pss = tree_memory(self.root, include_root=self.include_root)
        self.samples.append((time.time(), rss, pss))
        return rss, pss

    def _loop(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()


# --------------------------------------------------------------------------------------------
# run: one notebook at a time, in a fresh kernel
# --------------------------------------------------------------------------------------------


def _mib(n_bytes: float) -> float:
    return n_bytes / MIB


def run_notebook(notebook: Path, *, timeout: float = 3600, env: dict | None = None,
                 interval: float = 0.2) -> dict:
    """Execute ``notebook`` in a fresh kernel (in its own folder) and measure its peak.

    Returns ``{"notebook", "seconds", "peak_mib", "peak_pss_mib", "ok", "error", "cells":
    [{"index", "id", "seconds", "peak_mib", "peak_pss_mib", "after_mib"}, ...]}``: the peaks
    of the RSS and PSS sums of the kernel's process tree over the whole run and within each
    code cell, and the RSS sum of the first sample after each cell (what it left). ``env``
    replaces the kernel's environment.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = Path(notebook).resolve()
    nb = nbformat.read(notebook, as_version=4)
    starts: dict[int, float] = {}
    cells: list[dict] = []

    def on_execute(cell, cell_index, **_):
        starts[cell_index] = time.time()

    def on_executed(cell, cell_index, **_):
        cells.append({"index": cell_index, "id": cell.get("id"),
                      "start": starts.get(cell_index, time.time()), "end": time.time()})

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}},
                            on_cell_execute=on_execute, on_cell_executed=on_executed)
    error = None
    start = time.time()
    with TreeSampler(interval=interval, include_root=False) as sampler:
        try:
            client.execute(env=env if env is not None else dict(os.environ))
        except CellExecutionError as err:
            error = str(err).strip().splitlines()[-1] if str(err).strip() else repr(err)
    seconds = time.time() - start
    for cell in cells:
        cell["seconds"] = round(cell["end"] - cell["start"], 2)
        rss, pss = sampler.peak_between(cell["start"], cell["end"])
        cell["peak_mib"], cell["peak_pss_mib"] = round(_mib(rss), 1), round(_mib(pss), 1)
        cell["after_mib"] = round(_mib(sampler.first_after(cell["end"])), 1)
        del cell["start"], cell["end"]
    return {"notebook": str(notebook), "seconds": round(seconds, 1),
            "peak_mib": round(_mib(sampler.peak), 1),
            "peak_pss_mib": round(_mib(sampler.peak_pss), 1), "ok": error is None, "error": error,
            "cells": cells}


def fresh_copy(root: Path, dest: Path) -> Path:
    """Copy the repository's sources (see :func:`tools.bench.copy_for_build`) to ``dest``.

    The copy has no ``_build``, so no trained model, metrics or execution cache."""
    from tools.bench import copy_for_build

    copy_for_build(root, dest)
    return dest


def run(notebooks: Sequence[str | Path], *, copy: bool = False, keep: bool = False,
        timeout: float = 3600, cells: bool = False,
        report: Callable[[str], None] = print) -> list[dict]:
    """Measure each of ``notebooks`` with :func:`run_notebook`; see the module's docstring."""
    from utils import config

    root = config.project_root()
    paths = [Path(n).resolve() for n in notebooks]
    for path in paths:
        if not path.is_file() or path.suffix != ".ipynb":
            raise ValueError(f"notebooks: {path} is not a notebook file")
    outside = [p for p in paths if copy and not p.is_relative_to(root)]
    if outside:
        raise ValueError(f"notebooks: {outside[0]} is not in the repository {root}, so it "
                         "cannot be executed in a copy of it")
    env = dict(os.environ)
    data = config.data_path()  # made absolute: the kernel runs in another folder
    if data is not None:
        env[config.DATA_ENV] = str(data)
    tmp = None
    try:
        if copy:
            tmp = Path(tempfile.mkdtemp(prefix="gru-book-memory-"))
            target = fresh_copy(root, tmp / "book")
            env["PYTHONPATH"] = os.pathsep.join(
                [str(target), *filter(None, [env.get("PYTHONPATH")])])
            report(f"executing in a fresh copy: {target}")
            paths = [target / p.relative_to(root) for p in paths]
        out = []
        for path in paths:
            report(f"executing {path.name} ({'quick' if config.is_quick() else 'full'} mode)")
            result = run_notebook(path, timeout=timeout, env=env)
            result["notebook"] = path.name
            out.append(result)
            report(f"  {result['seconds']:,.0f} s, peak RSS sum {result['peak_mib']:,.0f} MiB, "
                   f"peak PSS sum {result['peak_pss_mib']:,.0f} MiB"
                   + ("" if result["ok"] else f", FAILED: {result['error']}"))
            if cells:
                for cell in result["cells"]:
                    report(f"    cell {cell['index']:>3} {cell['id'] or '':<10} "
                           f"{cell['seconds']:8.1f} s  peak RSS {cell['peak_mib']:6.0f} MiB, "
                           f"PSS {cell['peak_pss_mib']:6.0f} MiB, after {cell['after_mib']:6.0f} "
                           "MiB RSS")
        return out
    finally:
        if tmp is not None:
            if keep:
                report(f"kept the copy: {tmp / 'book'}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# watch: every kernel a command starts
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Kernel:
    """A kernel seen by :func:`watch`: its pid, when it started and was last seen (epoch
    seconds), and the peak RSS and PSS sums of its process tree (bytes)."""

    pid: int
    start: float
    end: float
    peak: int = 0
    peak_at: float = 0.0
    peak_pss: int = 0

    def as_dict(self) -> dict:
        return {"pid": self.pid, "start": self.start, "end": self.end,
                "seconds": round(self.end - self.start, 1), "peak_mib": round(_mib(self.peak), 1),
                "peak_at": self.peak_at, "peak_pss_mib": round(_mib(self.peak_pss), 1)}


def sample_kernels(root: int, kernels: dict[tuple[int, float], Kernel],
                   marks: dict[tuple[int, float], bool]) -> tuple[int, int]:
    """One sample: update ``kernels`` (keyed by pid and creation time, so a reused pid is a
    new kernel) with every kernel among the descendants of ``root``; return the ``(rss, pss)``
    sums of ``root``'s whole tree. ``marks`` remembers which processes are kernels."""
    now = time.time()
    procs = tree(root)
    for proc in procs[1:]:
        try:
            key = (proc.pid, proc.create_time())
            if key not in marks:
                marks[key] = KERNEL_MARK in " ".join(proc.cmdline())
            if not marks[key]:
                continue
            rss, pss = memory([proc, *proc.children(recursive=True)])
        except _GONE:
            continue
        kernel = kernels.setdefault(key, Kernel(proc.pid, key[1], now))
        kernel.end = now
        if rss > kernel.peak:
            kernel.peak, kernel.peak_at = rss, now
        kernel.peak_pss = max(kernel.peak_pss, pss)
    return memory(procs)


def cache_records(paths: Iterable[Path], since: float, until: float) -> list[dict]:
    """The jupyter-cache execution records created between ``since`` and ``until`` (epoch
    seconds) in any of the caches at ``paths``: ``[{"uri", "created", "seconds"}, ...]``."""
    from jupyter_cache import get_cache

    out = []
    for path in paths:
        if not Path(path, "global.db").is_file():
            continue
        for record in get_cache(str(path)).list_cache_records():
            created = record.created
            if created.tzinfo is None:  # stored as naive UTC
                created = created.replace(tzinfo=dt.UTC)
            created = created.timestamp()
            seconds = (record.data or {}).get("execution_seconds")
            if since - 1 <= created <= until + 1 and seconds is not None:
                out.append({"uri": record.uri, "created": created, "seconds": float(seconds)})
    return out


def match_kernels(kernels: Sequence[dict], records: Sequence[dict], *,
                  slack: float = 10.0) -> list[dict]:
    """Pair each kernel with the notebook it executed, by time.

    A record's notebook ran from ``created - seconds`` to ``created``; a kernel lived from
    ``start`` to ``end``. Pairs are made greedily by the longest overlap of the two windows
    (each widened by ``slack`` seconds, for the kernel's start-up and the sampling interval),
    each kernel and each record used once. Returns copies of ``kernels``, each with
    ``"notebook"`` (the record's ``uri``, or ``None``) and ``"execution_seconds"``, in the
    kernels' order.
    """
    pairs = []
    for i, k in enumerate(kernels):
        for j, r in enumerate(records):
            lo = max(k["start"], r["created"] - r["seconds"]) - slack
            hi = min(k["end"], r["created"]) + slack
            if hi > lo:
                pairs.append((hi - lo, -abs(k["end"] - r["created"]), i, j))
    pairs.sort(reverse=True)
    taken_k: dict[int, int] = {}
    taken_r: set[int] = set()
    for _, _, i, j in pairs:
        if i not in taken_k and j not in taken_r:
            taken_k[i] = j
            taken_r.add(j)
    out = []
    for i, k in enumerate(kernels):
        j = taken_k.get(i)
        out.append({**k, "notebook": records[j]["uri"] if j is not None else None,
                    "execution_seconds": records[j]["seconds"] if j is not None else None})
    return out


def default_caches(root: Path) -> list[Path]:
    """Where ``make html`` keeps jupyter-cache (full and quick mode: see the Makefile)."""
    return [root / "_build" / ".jupyter_cache", root / "_build" / "quick" / "_build" /
            ".jupyter_cache"]


def watch(command: Sequence[str], *, interval: float = 0.5,
          caches: Sequence[Path] | None = None) -> tuple[int, dict]:
    """Run ``command``, sampling its kernels; return its exit code and the report (a dict)."""
    if not command:
        raise ValueError("command: give the command to watch after --, e.g. -- make book")
    from utils import config

    _need_linux()
    kernels: dict[tuple[int, float], Kernel] = {}
    marks: dict[tuple[int, float], bool] = {}
    peak_all = peak_all_pss = 0
    start = time.time()
    proc = subprocess.Popen(list(command))
    try:
        while proc.poll() is None:
            try:
                rss, pss = sample_kernels(proc.pid, kernels, marks)
                peak_all, peak_all_pss = max(peak_all, rss), max(peak_all_pss, pss)
            except (OSError, psutil.Error) as err:  # skip this sample
                print(f"tools.peak_memory: a sample failed ({err})", file=sys.stderr)
            time.sleep(interval)
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
    end = time.time()
    root = config.project_root()
    caches = [Path(c) for c in caches] if caches else default_caches(root)
    try:
        records = cache_records(caches, start, end)
    except Exception as err:  # a broken cache must not lose the measurements
        print(f"could not read jupyter-cache records ({err}); kernels stay unmatched",
              file=sys.stderr)
        records = []
    matched = match_kernels(sorted((k.as_dict() for k in kernels.values()),
                                   key=lambda k: k["start"]), records)
    for k in matched:
        if k["notebook"]:
            try:
                k["notebook"] = str(Path(k["notebook"]).resolve().relative_to(root))
            except ValueError:
                pass
    report = {"command": " ".join(command), "returncode": proc.returncode,
              "date": dt.datetime.fromtimestamp(start, dt.UTC).isoformat(
                  timespec="seconds"),
              "seconds": round(end - start, 1), "interval": interval,
              "command_peak_mib": round(_mib(peak_all), 1),
              "command_peak_pss_mib": round(_mib(peak_all_pss), 1),
              "limit_mib": round(_mib(LIMIT_BYTES), 1),
              "caches": [str(c) for c in caches], "kernels": matched,
              "unmatched_records": [r["uri"] for r in records
                                    if r["uri"] not in {k["notebook"] for k in matched}]}
    return proc.returncode, report


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _verdict(peak_pss_mib: float) -> str:
    """Whether a peak PSS sum (MiB) fits in Binder's 2 GB (:data:`LIMIT_BYTES`)."""
    return "yes" if peak_pss_mib * MIB <= LIMIT_BYTES else "**no**"


_COLUMNS = "peak RSS sum (MiB) | peak PSS sum (MiB) | PSS sum ≤ 2 GB |"


def render_run(results: Sequence[dict], *, mode: str, copy: bool) -> str:
    lines = [f"Peak memory of each notebook's kernel and its child processes, {mode} mode, "
             + ("a fresh copy (empty model cache)" if copy else "this repository's model cache")
             + f"; `python -m tools.peak_memory run`, {dt.date.today().isoformat()}.", "",
             f"| notebook | seconds | {_COLUMNS}", "|---|---:|---:|---:|---|"]
    for r in results:
        lines.append(f"| {r['notebook']}{'' if r['ok'] else ' (failed)'} | "
                     f"{r['seconds']:,.0f} | {r['peak_mib']:,.0f} | "
                     f"{r['peak_pss_mib']:,.0f} | {_verdict(r['peak_pss_mib'])} |")
    return "\n".join(lines) + "\n"


def render_watch(report: dict) -> str:
    lines = [f"Peak memory of each kernel (its process tree) during "
             f"`{report['command']}` ({report['date']}, {report['seconds']:,.0f} s, exit code "
             f"{report['returncode']}; the whole command peaked at an RSS sum of "
             f"{report['command_peak_mib']:,.0f} MiB, a PSS sum of "
             f"{report['command_peak_pss_mib']:,.0f} MiB).", "",
             f"| notebook | kernel pid | execution (s) | kernel alive (s) | {_COLUMNS}",
             "|---|---:|---:|---:|---:|---:|---|"]
    for k in report["kernels"]:
        seconds = (f"{k['execution_seconds']:,.0f}" if k["execution_seconds"] is not None
                   else "")
        lines.append(f"| {k['notebook'] or '(not matched)'} | {k['pid']} | {seconds} | "
                     f"{k['seconds']:,.0f} | {k['peak_mib']:,.0f} | "
                     f"{k['peak_pss_mib']:,.0f} | {_verdict(k['peak_pss_mib'])} |")
    if report["unmatched_records"]:
        lines += ["", "Executed notebooks with no kernel matched: "
                  + ", ".join(report["unmatched_records"])]
    return "\n".join(lines) + "\n"


def _write(out: Path, data, markdown: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1) + "\n")
    out.with_suffix(".md").write_text(markdown)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.peak_memory",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p_run = sub.add_parser("run", help="execute notebooks in fresh kernels, measure each")
    p_run.add_argument("notebooks", nargs="+")
    p_run.add_argument("--fresh-copy", action="store_true",
                       help="execute in a temporary copy of the repository (empty model cache)")
    p_run.add_argument("--keep", action="store_true", help="keep the copy (with --fresh-copy)")
    p_run.add_argument("--cells", action="store_true", help="print each code cell's peak too")
    p_run.add_argument("--timeout", type=float, default=3600, help="seconds per cell")
    p_run.add_argument("--out", type=Path, help="JSON file (a .md next to it)")
    p_watch = sub.add_parser("watch", help="run a command, measure every kernel it starts")
    p_watch.add_argument("--out", type=Path, help="JSON file (a .md next to it)")
    p_watch.add_argument("--cache", type=Path, action="append",
                         help="jupyter-cache folder (default: the Makefile's, both modes)")
    p_watch.add_argument("--interval", type=float, default=0.5)
    p_watch.add_argument("command", nargs=argparse.REMAINDER,
                         help="the command, after --")
    args = parser.parse_args(argv)

    from utils import config

    folder = config.build_dir() / "peak_memory"
    if args.what == "run":
        results = run(args.notebooks, copy=args.fresh_copy, keep=args.keep,
                      timeout=args.timeout, cells=args.cells)
        markdown = render_run(results, mode="quick" if config.is_quick() else "full",
                              copy=args.fresh_copy)
        out = args.out or folder / "run.json"
        _write(out, results, markdown)
        print(markdown + f"\nwritten: {out} and {out.with_suffix('.md')}")
        return 0 if all(r["ok"] for r in results) else 1
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("watch: give the command after --, e.g. watch -- make book")
    returncode, report = watch(command, interval=args.interval, caches=args.cache)
    markdown = render_watch(report)
    out = args.out or folder / "watch.json"
    _write(out, report, markdown)
    print(markdown + f"\nwritten: {out} and {out.with_suffix('.md')}", flush=True)
    return returncode


if __name__ == "__main__":
    sys.exit(main())
