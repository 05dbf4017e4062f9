"""Headline numbers: glued into the prose and recorded to ``_build/metrics/<notebook>.json``.

Every number a chapter's prose quotes comes from :func:`myst_nb.glue`; the ones worth
comparing across runs (accuracies, times, the decay rate of a gradient) also go through
:func:`record`, which glues them *and* writes them to a JSON file per notebook, so ``make book``
leaves a machine-readable summary of what the book measured. In quick mode the files go to
``_build/quick/metrics`` instead, so tests never overwrite the full-mode numbers.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from pathlib import Path

from utils import atomic, config

_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")


def metrics_dir() -> Path:
    """The folder of the per-notebook JSON files for the current mode."""
    return config.build_dir() / "metrics"


def _plain(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"value must be finite; got {value}")
        return value
    raise TypeError(f"value must be a number, str or bool; got {type(value).__name__}")


def record(notebook: str, name: str, value, *, glue: bool = True):
    """Record ``value`` as headline number ``name`` of ``notebook``, and glue it.

    Args:
        notebook: the notebook's file stem, e.g. ``"01_the_imdb_dataset"``.
        name: a lower-case identifier, e.g. ``"imdb_seed_gru_test_accuracy"``; also the glue key.
        value: a number (NumPy scalars included), string or bool.
        glue: also call ``myst_nb.glue(name, value, display=False)`` for ``{glue:text}`` roles.

    Returns:
        The value as a plain Python object.
    """
    for arg, text in (("notebook", notebook), ("name", name)):
        if not isinstance(text, str) or not _NAME.match(text):
            raise ValueError(f"{arg} must be a lower-case identifier like '01_intro'; got {text!r}")
    plain = _plain(value)
    folder = metrics_dir()
    file = folder / f"{notebook}.json"
    data = json.loads(file.read_text()) if file.is_file() else {}
    data[name] = plain
    atomic.write_text(file, json.dumps(data, indent=2, sort_keys=True))
    if glue:
        from myst_nb import glue as _glue

        _glue(name, plain, display=False)
    return plain


def load_metrics(notebook: str | None = None) -> dict:
    """Read back what :func:`record` wrote: one notebook's numbers, or all of them by notebook."""
    folder = metrics_dir()
    if notebook is not None:
        file = folder / f"{notebook}.json"
        if not file.is_file():
            raise FileNotFoundError(f"no metrics recorded for {notebook!r} in {folder}")
        return json.loads(file.read_text())
    return {f.stem: json.loads(f.read_text()) for f in sorted(folder.glob("*.json"))}
