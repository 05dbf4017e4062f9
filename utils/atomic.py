"""Atomic file writes: a reader sees the old file or the whole new one, never half of one.

Not a chapter's subject: the plumbing behind every cache and output file of the book, the
trained models of :doc:`/chapters/07_gru_sentiment_classifier` (``utils.models``), the parsed
reviews (``utils.data``), the headline numbers (``utils.results``) and the live page's model of
:doc:`/chapters/11_a_live_gru` (``utils.live``).

:func:`write` has the writer put the content into a temporary file in the target's folder
(same file system, same suffix, since ``np.save`` or ``keras.Model.save`` look at it) and then
renames it over the target with :func:`os.replace`, which is atomic; on an error the
temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["write", "write_text"]


def write(path: str | os.PathLike, writer: Callable[[str], object],
          suffix: str | None = None) -> Path:
    """Write ``path`` atomically: ``writer(tmp)`` writes a temporary file (a ``str`` path in the
    same folder, ending in ``suffix``, default the suffix of ``path``), which then replaces
    ``path``. Creates the folder. Returns ``path`` as a :class:`~pathlib.Path`."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a path; got {type(path).__name__}")
    if not callable(writer):
        raise TypeError(f"writer must be callable; got {type(writer).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        writer(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write the string ``text`` to ``path`` atomically (see :func:`write`)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    return write(path, lambda tmp: Path(tmp).write_text(text, encoding=encoding))
