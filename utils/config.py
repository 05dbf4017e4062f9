"""Run-time settings of the book, read from the environment in one place.

Two environment variables steer every notebook:

``GRU_BOOK_QUICK``
    ``1`` (or ``true``/``yes``/``on``) selects *quick mode*: smaller datasets, shorter sequences and
    fewer epochs, so that the whole book executes in a few minutes for tests. Quick mode changes
    sizes only, never code paths: every notebook calls :func:`pick` for each size it uses.
``GRU_BOOK_DATA``
    Path to an IMDB archive (``.tar.gz``) or an extracted ``aclImdb/`` folder; see
    :mod:`utils.data`.

Nothing else in the book reads these variables directly.

Memory: a reader's Binder session has 2 GB. :func:`limit_memory` (run by ``import utils``) makes
TensorFlow allocate through the C library; :func:`release_memory` hands what is free back to the
system. Neither changes a result.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os
import platform
import random
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

QUICK_ENV = "GRU_BOOK_QUICK"
DATA_ENV = "GRU_BOOK_DATA"

#: The seed every notebook starts from (``set_seed()`` with no argument uses it).
SEED = 0

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def is_quick() -> bool:
    """Return ``True`` when quick mode is on (``GRU_BOOK_QUICK=1``).

    Raises:
        ValueError: if the variable holds something other than a yes/no value, so that a typo
            such as ``GRU_BOOK_QUICK=ture`` fails loudly instead of silently running full mode.
    """
    raw = os.environ.get(QUICK_ENV, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(
        f"{QUICK_ENV} must be 1/0 (or true/false, yes/no, on/off); got {raw!r}"
    )


def pick(full: T, quick: T) -> T:
    """Return ``quick`` in quick mode and ``full`` otherwise.

    This is how every size in the book is chosen, e.g. ``num_epochs = pick(full=5, quick=1)``;
    both values must have the same type, so quick mode changes sizes, not code paths.
    """
    if type(full) is not type(quick):
        raise TypeError(
            "pick(full, quick): both values must have the same type; got "
            f"full={type(full).__name__}, quick={type(quick).__name__}"
        )
    return quick if is_quick() else full


def data_path() -> Path | None:
    """The IMDB source named by ``GRU_BOOK_DATA`` as an absolute path, or ``None`` if unset."""
    raw = os.environ.get(DATA_ENV, "").strip()
    if not raw:
        return None
    return Path(raw).expanduser().resolve()


def keras_home() -> Path:
    """Keras' cache folder: ``$KERAS_HOME`` or ``~/.keras`` (where downloads are cached)."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()


def project_root() -> Path:
    """The book's root folder (the one holding ``_toc.yml``).

    ``utils`` is installed in editable mode, so the root is the parent of this package; the
    current directory and its parents are searched as a fallback.
    """
    here = Path(__file__).resolve().parent.parent
    cwd = Path.cwd().resolve()
    for candidate in (here, cwd, *cwd.parents):
        if (candidate / "_toc.yml").is_file():
            return candidate
    raise FileNotFoundError(
        "cannot find the book's root (a folder with _toc.yml) above "
        f"{here} or the current directory"
    )


def build_dir() -> Path:
    """Where run artefacts go: ``_build`` in full mode, ``_build/quick`` in quick mode."""
    root = project_root() / "_build"
    return root / "quick" if is_quick() else root


def set_seed(seed: int = SEED, *, deterministic: bool = True) -> None:
    """Seed Python, NumPy and TensorFlow, and make TensorFlow's CPU ops deterministic.

    Call it at the top of every notebook and before building each model whose numbers the
    prose quotes. ``deterministic=False`` seeds without turning op determinism on (it cannot be
    turned off again in a process, and while it is on Keras ignores ``jit_compile``).
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise TypeError(f"seed must be a non-negative int; got {seed!r}")
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    try:
        import keras
        import tensorflow as tf
    except ImportError:  # pragma: no cover - TensorFlow is pinned, but keep utils importable
        return
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def cpu_model() -> str:
    """The CPU's model name (from ``/proc/cpuinfo`` on Linux), or the platform's best guess."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def machine() -> dict:
    """The machine this process runs on: ``{"cpu": model name, "cores": cores it may use}``.

    Trained models record it (:func:`utils.models.trained`), so that a timing on a page says
    where it was measured.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu_model(), "cores": cores}


def describe_machine(info: dict | None = None) -> str:
    """``info`` (default: this machine, see :func:`machine`) in words: "AMD EPYC 7B13, 2 cores"."""
    info = machine() if info is None else info
    if not info:
        return "an unrecorded machine"
    cores = info.get("cores")
    return f"{info.get('cpu', 'unknown CPU')}, {cores} core{'s' if cores != 1 else ''}"


@functools.cache
def _glibc():
    """The C library, if it is glibc (Linux); ``None`` elsewhere."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:  # pragma: no cover - no loadable libc
        return None


def limit_memory() -> None:
    """Let TensorFlow give freed memory back; run by ``import utils``, before TensorFlow works.

    TensorFlow's oneDNN build keeps its large tensors in a pool of its own that never shrinks:
    after a training step of chapter 9's largest model, which allocates and frees about 1 GB,
    the process kept 300 to 600 MB more than it used. This sets
    ``TF_ONEDNN_USE_SYSTEM_ALLOCATOR=1`` (unless the variable is set already), so TensorFlow
    allocates through the C library, which :func:`release_memory` can make give memory back.
    TensorFlow reads the variable when it allocates its first tensor; child processes
    inherit it. Where memory comes from changes no computation, so no result changes.
    """
    os.environ.setdefault("TF_ONEDNN_USE_SYSTEM_ALLOCATOR", "1")


def release_memory() -> None:
    """Collect Python's garbage and return the C heap's free pages to the system (glibc)."""
    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
