"""Numbers written as people write them, for the prose of every chapter.

A glued number that is very small or very large reads badly in a sentence when Python formats
it (``4e-19``, ``2e+06``). :func:`number` writes it for a reader instead (``4 × 10⁻¹⁹``,
``2 million``, ``12,345``), and :func:`glue_number` (or :func:`glue_numbers`, for several) glues
that text for a ``{glue:text}`` role without a format spec. The formatting itself is the
``humanize`` package's. Used from :doc:`/chapters/00_the_seed_example_revisited` on.
"""

from __future__ import annotations

import math
import numbers
import re

import humanize

__all__ = ["join", "number", "glue_number", "glue_numbers"]


def join(items) -> str:
    """Items as a list in a sentence: ``"a"``, ``"a and b"``, ``"a, b and c"``; ``""`` for none."""
    items = [str(item) for item in items]
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def number(value, digits: int = 1) -> str:
    """``value`` written for a sentence, with ``digits`` significant digits.

    - below 10⁻³ (and not zero): powers of ten, ``4 × 10⁻¹⁹``;
    - from a million on: words, ``2 million``, ``1.5 billion``;
    - from 1,000 on: a whole number with thousands separators, ``12,345``;
    - otherwise: ``0.17``, ``3.5``.

    Args:
        value: a finite real number (NumPy scalars included).
        digits: significant digits, at least 1 (whole numbers from 1,000 on keep all of theirs).

    Returns:
        The text, e.g. ``number(4.2e-19) == "4 × 10⁻¹⁹"``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"value must be a real number; got {type(value).__name__}")
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ValueError(f"digits must be a positive integer; got {digits!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"value must be finite; got {value}")
    size = abs(value)
    if value == 0:
        return "0"
    if size < 1e-3:
        return humanize.scientific(value, precision=digits - 1).replace(" x ", " × ")
    if size >= 1e6:
        return re.sub(r"\.0+ ", " ", humanize.intword(round(value), f"%.{digits - 1}f"))
    text = f"{value:.{digits}g}"
    return humanize.intcomma(round(value)) if size >= 1e3 or "e" in text else text


def glue_number(name: str, value, digits: int = 1, notebook: str | None = None) -> str:
    """Glue :func:`number`'s text for ``value`` under ``name`` (for ``{glue:text}`name```).

    With ``notebook`` (a file stem such as ``"02_recurrent_networks"``), ``value`` itself is also
    recorded as that notebook's headline number ``name`` (:func:`utils.results.record`).

    Returns:
        The glued text.
    """
    from myst_nb import glue

    text = number(value, digits)
    if notebook is not None:
        from utils import results

        results.record(notebook, name, value, glue=False)
    glue(name, text, display=False)
    return text


def glue_numbers(values: dict, digits: int = 1) -> dict:
    """:func:`glue_number` for each ``name: value`` of ``values``, with the same ``digits``.

    Returns:
        The glued texts, by name.
    """
    if not isinstance(values, dict):
        raise TypeError(f"values must be a dict of name: value; got {type(values).__name__}")
    return {name: glue_number(name, value, digits) for name, value in values.items()}
