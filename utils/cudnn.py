"""Would a Keras GRU or LSTM get the fused cuDNN kernel on a GPU, and if not, why?

Explained in :doc:`/chapters/10_fast_training_on_cpu` (section "When one machine is not
enough").

On a GPU, Keras 3 with the TensorFlow backend runs a ``GRU`` or ``LSTM`` layer as one fused
cuDNN call (``CudnnRNNV3``) instead of a loop of small operations, but only when the layer's
arguments allow it; otherwise it silently falls back to the generic kernel, the one every CPU
runs. The conditions below are read from the installed Keras 3.15 source:

- ``keras/src/layers/rnn/gru.py`` (``GRU.inner_loop``; ``lstm.py`` alike): cuDNN is tried only
  if ``use_cudnn`` is ``"auto"`` or ``True`` and ``recurrent_dropout`` is 0;
- ``keras/src/backend/tensorflow/rnn.py`` (``_do_gru_arguments_support_cudnn``,
  ``_do_lstm_arguments_support_cudnn``): ``activation`` is tanh, ``recurrent_activation`` is
  sigmoid (compared as *functions*: a lambda computing tanh does not count), ``unroll`` is
  ``False``, ``use_bias`` is ``True`` and, for a GRU, ``reset_after`` is ``True``;
- the same file (``_assert_valid_mask``): a mask, if any, must be strictly right-padded
  (``True`` … ``True``, then only ``False``) with no row entirely masked. This depends on the
  *data*, not the layer: :func:`mask_eligibility` checks a batch's mask;
- and, at run time, a visible GPU and a CUDA build of TensorFlow (``cudnn_ok`` and the op's
  availability), which no CPU has: this module judges the layer, not the machine.

These are the TensorFlow backend's conditions, the backend the book runs. The other backends of
Keras 3.15 decide for themselves: the JAX backend has no cuDNN GRU (its ``gru`` is a
``lax.scan``; only its LSTM calls cuDNN), and the PyTorch backend's cuDNN GRU takes no mask at
all. :doc:`/chapters/04_gru_gates` checks both against the installed source.

:func:`cudnn_eligibility` checks a layer's arguments (no GPU needed) and says which
conditions fail.
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["cudnn_eligibility", "eligibility_table", "mask_eligibility"]


def _same_function(fn, names: tuple[str, ...]) -> bool:
    """Whether ``fn`` is one of the functions Keras accepts for ``names`` (by identity, as
    Keras compares them: ``keras.activations.<name>``, ``keras.ops.<name>``, ``tf.<name>``)."""
    import tensorflow as tf

    accepted = [getattr(mod, name) for name in names
                for mod in (keras.activations, keras.ops, tf)]
    return any(fn is a for a in accepted)


def _name(fn) -> str:
    return getattr(fn, "__name__", repr(fn))


def _reasons(layer) -> list[str]:
    """Why one GRU or LSTM layer would not get cuDNN (empty: it would)."""
    reasons = []
    if layer.use_cudnn not in ("auto", True):
        reasons.append("use_cudnn=False")
    if layer.recurrent_dropout:
        reasons.append(f"recurrent_dropout={layer.recurrent_dropout:g}, not 0")
    if not _same_function(layer.activation, ("tanh",)):
        reasons.append(f"activation is {_name(layer.activation)}, not tanh")
    if not _same_function(layer.recurrent_activation, ("sigmoid",)):
        reasons.append(f"recurrent_activation is {_name(layer.recurrent_activation)}, "
                       "not sigmoid")
    if layer.unroll:
        reasons.append("unroll=True")
    if not layer.use_bias:
        reasons.append("use_bias=False")
    if isinstance(layer, keras.layers.GRU) and not layer.reset_after:
        reasons.append("reset_after=False")
    return reasons


def cudnn_eligibility(layer) -> tuple[bool, list[str]]:
    """Whether a Keras ``GRU`` or ``LSTM`` layer would run as one fused cuDNN call on a GPU.

    Checks the layer's arguments against the conditions of Keras 3.15 (see the module
    docstring); it needs no GPU and does not look at the data (for masks, see
    :func:`mask_eligibility`). A ``Bidirectional`` wrapper is judged by its two layers. (A
    layer built with ``use_cudnn=True`` that fails a condition does not fall back: Keras
    raises a ``ValueError`` when it is called.)

    Args:
        layer: a ``keras.layers.GRU``, ``keras.layers.LSTM``, or a ``keras.layers.Bidirectional``
            wrapping them.

    Returns:
        ``(eligible, reasons)``: ``reasons`` lists each failed condition in words, such as
        ``"reset_after=False"`` (empty exactly when ``eligible``).

    Raises:
        TypeError: for anything else (only GRU and LSTM have a cuDNN kernel in Keras).
    """
    if isinstance(layer, keras.layers.Bidirectional):
        parts = [layer.forward_layer, layer.backward_layer]
    else:
        parts = [layer]
    for part in parts:
        if not isinstance(part, (keras.layers.GRU, keras.layers.LSTM)):
            raise TypeError("layer must be a keras.layers.GRU or LSTM (or a Bidirectional of "
                            f"one): only they have a cuDNN kernel; got {type(part).__name__}")
    reasons: list[str] = []
    for part in parts:
        reasons += [r for r in _reasons(part) if r not in reasons]
    return not reasons, reasons


def mask_eligibility(mask) -> tuple[bool, list[str]]:
    """Whether a batch's mask is one the cuDNN kernel accepts: right-padded, no empty row.

    cuDNN takes a length per review, so each row of the mask must be ``True`` for the real
    steps and then ``False`` to the end; Keras asserts this (and that no row is entirely
    masked) before calling it. Left padding, or a masked step between real ones, fails.

    Args:
        mask: boolean array ``(batch, time)``, ``True`` for real steps; for token ids padded
            with 0 (``Embedding(mask_zero=True)``) pass ``ids != 0``.

    Returns:
        ``(eligible, reasons)``: the reasons count the offending rows and name the first one.

    Raises:
        TypeError: if ``mask`` is not boolean. ValueError: if it is not 2-D.
    """
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise TypeError(f"mask must be a boolean array (batch, time); got dtype {mask.dtype} "
                        "(for padded ids pass ids != 0)")
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (batch, time); got shape {mask.shape}")
    lengths = mask.sum(axis=1)
    right_padded = np.arange(mask.shape[1])[None, :] < lengths[:, None]
    reasons = []
    for problem, rows in (("not right-padded", np.flatnonzero((mask != right_padded)
                                                               .any(axis=1))),
                          ("entirely masked", np.flatnonzero(lengths == 0))):
        if rows.size:
            reasons.append(f"{rows.size} of {len(mask)} rows {problem} (first: row "
                           f"{rows[0]})")
    return not reasons, reasons


def eligibility_table(verdicts: dict[str, tuple[bool, list[str]]]) -> str:
    """A Markdown table of :func:`cudnn_eligibility` verdicts by layer name: whether the layer
    would get cuDNN on a GPU, and why not."""
    from utils.tables import markdown_table

    return markdown_table(["layer", "cuDNN on a GPU", "why not"],
                          [(name, "yes" if ok else "no", "; ".join(why) or None)
                           for name, (ok, why) in verdicts.items()])
