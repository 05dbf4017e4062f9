"""Checks of the prose's quantitative sentences: one short line per claim.

Every sentence with a number in it is computed and asserted in a hidden cell next to its glue
(CONTRIBUTING, *How results are recorded*), so a build that would print a false sentence fails.
:func:`check` asserts one claim and names it when it fails, :func:`glue_all` glues several values
in one call (closing a glued figure), :func:`record_all` records several headline numbers
(:mod:`utils.results`), and :func:`choose` picks, among sentences, the one that is true. Used from
:doc:`/chapters/00_the_seed_example_revisited` on.
"""

from __future__ import annotations

__all__ = ["check", "choose", "glue_all", "record_all"]


def check(condition, claim: str, *details) -> None:
    """Assert the claim ``claim`` of the prose: ``condition`` must be true.

    Args:
        condition: anything with a truth value (a NumPy boolean included).
        claim: the sentence, or its gist, that ``condition`` guards.
        details: values shown in the error, to see by how much the claim failed.

    Raises:
        AssertionError: naming ``claim`` (and ``details``) when ``condition`` is false.
    """
    if not isinstance(claim, str):
        raise TypeError(f"claim must be a string; got {type(claim).__name__}")
    if not bool(condition):
        raise AssertionError(f"{claim}: {details!r}" if details else claim)


def choose(*cases: tuple[object, str]) -> str:
    """The text of the first ``(condition, text)`` pair whose condition is true.

    Example: ``choose((gap > 0, "higher"), (gap < 0, "lower"), (True, "the same"))``.

    Raises:
        AssertionError: when no condition is true (no sentence would be true).
    """
    for case in cases:
        if not (isinstance(case, tuple) and len(case) == 2 and isinstance(case[1], str)):
            raise TypeError(f"cases must be (condition, text) pairs; got {case!r}")
        if bool(case[0]):
            return case[1]
    raise AssertionError(f"no sentence is true among {[text for _, text in cases]!r}")


def glue_all(**values) -> dict:
    """Glue each value under its keyword's name, without displaying it (myst-nb's ``glue``).

    A NumPy scalar is glued as the Python number it holds: glue keeps a value's text, and
    ``np.float64(0.5)`` is text that a format such as ``{glue:text}`name:.1%``` cannot read
    (the book's build with ``-W`` would fail on it). A Matplotlib figure is closed once glued,
    so that the cell does not show it.

    Returns:
        The glued values by name (NumPy scalars as Python numbers), so that a cell can use
        them further.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.figure import Figure
    from myst_nb import glue

    values = {name: value.item() if isinstance(value, np.generic) else value
              for name, value in values.items()}
    for name, value in values.items():
        glue(name, value, display=False)
        if isinstance(value, Figure):
            plt.close(value)  # glued, so not shown a second time where it was made
    return values


def record_all(notebook: str, **values) -> dict:
    """Record each value as a headline number of ``notebook`` (:func:`utils.results.record`).

    Returns:
        The recorded values as plain Python objects, by name.
    """
    from utils import results

    return {name: results.record(notebook, name, value) for name, value in values.items()}
