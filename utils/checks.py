"""Argument checks shared by the ``utils`` modules, so that bad input fails alike everywhere.

Not a chapter's subject: the sizes it checks (plain ints, no shapes) are those of
:doc:`/chapters/06_text_to_tensors` (lengths and batch sizes, :mod:`utils.sequences`),
:doc:`/chapters/07_gru_sentiment_classifier` (a model's units and vocabulary,
:mod:`utils.model_configs`) and :doc:`/chapters/10_fast_training_on_cpu` (repeats,
:mod:`utils.speed.timing`); :func:`positive_int` turns a bad one into a ``ValueError`` naming the
argument, as CONTRIBUTING asks.
"""

from __future__ import annotations

import numpy as np

__all__ = ["positive_int"]


def positive_int(name: str, value, *, allow_none: bool = False) -> int | None:
    """``value`` as an int, or a ``ValueError`` naming ``name`` if it is not a positive int
    (NumPy integers count; ``bool`` does not). With ``allow_none=True``, ``None`` passes as is."""
    if value is None and allow_none:
        return None
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        or_none = " or None" if allow_none else ""
        raise ValueError(f"{name} must be a positive int{or_none}; got {value!r}")
    return int(value)
