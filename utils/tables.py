"""Small Markdown tables for the results the chapters print.

Explained in :doc:`/chapters/09_better_models_and_baselines` (the comparison table); a notebook
shows one with ``IPython.display.Markdown(markdown_table(...))``, which Jupyter Book renders as
a real table (``nb_render_markdown_format: myst`` in ``_config.yml``: myst-nb's default,
CommonMark, has no tables).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["markdown_table"]


def markdown_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    formats: Sequence[str] | None = None,
) -> str:
    """Format ``rows`` as a GitHub-flavoured Markdown table.

    Args:
        headers: the column titles, one per column.
        rows: the rows, each with one value per column; ``None`` prints as an en dash.
        formats: a ``str.format`` pattern per column (e.g. ``"{:.1%}"``); ``"{}"`` by default.
            Columns whose pattern formats numbers are right-aligned.

    Cells are printed as text: ``<``, ``>`` and ``&`` are escaped (so ``<lambda>`` is not read
    as an HTML tag), ``|`` too, and a line break becomes a space. A code span
    (`` `GRU(64)` ``) is left as it is, so a cell may still show code.

    Returns:
        The table as text, one line per row, ending without a newline.
    """
    headers = [str(h) for h in headers]
    if not headers:
        raise ValueError("headers must name at least one column")
    formats = list(formats) if formats is not None else ["{}"] * len(headers)
    if len(formats) != len(headers):
        raise ValueError(f"formats has {len(formats)} patterns for {len(headers)} columns")
    lines = ["| " + " | ".join(_escape(h) for h in headers) + " |",
             "|" + "|".join("---:" if _numeric(f) else "---" for f in formats) + "|"]
    for i, row in enumerate(rows):
        if isinstance(row, (str, bytes)) or len(row) != len(headers):
            raise ValueError(f"row {i} must have {len(headers)} values; got {row!r}")
        cells = ["–" if v is None else f.format(v) for f, v in zip(formats, row)]
        lines.append("| " + " | ".join(_escape(c) for c in cells) + " |")
    return "\n".join(lines)


# A code span: a run of backticks, then anything up to the same run (CommonMark's rule).
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
# What Markdown or HTML would read as markup in a table cell's text: an HTML tag or entity.
_MARKUP = re.compile(r"[<>&]")


def _escape(cell: str) -> str:
    """``cell`` as the text of one table cell: markup characters escaped outside code spans."""
    cell = " ".join(cell.splitlines())
    parts, at = [], 0
    for span in _CODE_SPAN.finditer(cell):
        parts.append(_MARKUP.sub(r"\\\g<0>", cell[at:span.start()]))
        parts.append(span.group())
        at = span.end()
    parts.append(_MARKUP.sub(r"\\\g<0>", cell[at:]))
    # GFM splits the row at every unescaped pipe, inside code spans too.
    return "".join(parts).replace("|", "\\|")


def _numeric(pattern: str) -> bool:
    return any(c in pattern for c in "%dfegn,") and ":" in pattern
