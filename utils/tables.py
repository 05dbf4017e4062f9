"""Small Markdown tables for the results the chapters print.

Explained in :doc:`/chapters/09_better_models_and_baselines` (the comparison table); a notebook
shows one with ``IPython.display.Markdown(markdown_table(...))``, which Jupyter Book renders as
a real table.
"""

from __future__ import annotations

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

    Returns:
        The table as text, one line per row, ending without a newline.
    """
    headers = [str(h) for h in headers]
    if not headers:
        raise ValueError("headers must name at least one column")
    formats = list(formats) if formats is not None else ["{}"] * len(headers)
    if len(formats) != len(headers):
        raise ValueError(f"formats has {len(formats)} patterns for {len(headers)} columns")
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---:" if _numeric(f) else "---" for f in formats) + "|"]
    for i, row in enumerate(rows):
        if isinstance(row, (str, bytes)) or len(row) != len(headers):
            raise ValueError(f"row {i} must have {len(headers)} values; got {row!r}")
        cells = ["–" if v is None else f.format(v) for f, v in zip(formats, row)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def _numeric(pattern: str) -> bool:
    return any(c in pattern for c in "%dfegn,") and ":" in pattern
