"""A Keras GRU layer re-computed in NumPy, gate by gate.

Explained in :doc:`/chapters/04_gru_gates`, and used later to look inside a trained model.

:func:`forward` takes a built ``keras.layers.GRU`` (either ``reset_after`` form, any sizes) and a
batch of sequences, and returns the layer's output together with the values of its update gate
``z``, reset gate ``r`` and candidate state at every step. It follows Keras' generic kernel (the
one that runs on a CPU) exactly: same weight layout, same activations, same mask semantics, so
its ``h`` equals the layer's ``return_sequences=True`` output to float32 rounding. The arithmetic
is vectorised over the batch and done in float64; the returned arrays are float32 (float64 for a
float64 layer).

The book's notation (column vectors; ``n`` units, ``d`` input features)::

    z_t = s(W_z x_t + U_z h_{t-1} + b_z)
    r_t = s(W_r x_t + U_r h_{t-1} + b_r)
    reset_after=False:  h~_t = g(W_h x_t + U_h (r_t * h_{t-1}) + b_h)
    reset_after=True:   h~_t = g(W_h x_t + r_t * (U_h h_{t-1} + b_hr) + b_h)
    h_t = z_t * h_{t-1} + (1 - z_t) * h~_t

with ``s`` the recurrent activation (sigmoid by default) and ``g`` the activation (tanh).
Keras computes a batch of *row* vectors, so it stores every matrix transposed, gate order z, r, h::

    kernel            (d, 3n)   [W_z^T | W_r^T | W_h^T]    applied to the input x_t
    recurrent_kernel  (n, 3n)   [U_z^T | U_r^T | U_h^T]    applied to the state h_{t-1}
    bias  reset_after=False: (3n,)   [b_z | b_r | b_h]
          reset_after=True:  (2, 3n) row 0 input bias, row 1 recurrent bias [. | . | b_hr];
                             for z and r the two rows simply add up to b_z and b_r.

A GRU has no output gate: its output at each step *is* its state ``h``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GRUTrace", "GRUWeights", "forward", "forward_weights", "get_weights", "set_weights",
           "sigmoid", "split_gates", "step_jacobian"]

_GATES = ("z", "r", "h")


def sigmoid(a: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-a))``, elementwise, any shape.

    Computed via tanh: exact, stable for large ``|a|``, and fast.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def split_gates(a: np.ndarray, units: int) -> dict[str, np.ndarray]:
    """Split Keras' fused GRU weights ``(..., 3 * units)`` by gate, in Keras' order z | r | h.

    Returns ``{"z": ..., "r": ..., "h": ...}``, float64 copies of shape ``(..., units)``.
    """
    a = np.asarray(a)
    if a.shape[-1] != 3 * units:
        raise ValueError(f"the last axis must hold 3 * units = {3 * units}; got {a.shape}")
    return {g: np.array(a[..., i * units:(i + 1) * units], dtype=np.float64)
            for i, g in enumerate(_GATES)}


def _hard_sigmoid(a: np.ndarray) -> np.ndarray:
    # Keras 3: relu6(x + 3) / 6.
    return np.clip(a + 3.0, 0.0, 6.0) / 6.0


#: The activations :func:`forward` can evaluate in NumPy, by Keras' name for them.
ACTIVATIONS = {
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "hard_sigmoid": _hard_sigmoid,
    "relu": lambda a: np.maximum(a, 0.0),
    "linear": lambda a: a,
}


@dataclass(frozen=True)
class GRUWeights:
    """A GRU's weights split by gate (float64 copies; gate order z, r, h as in Keras).

    The matrices keep Keras' layout, which is the transpose of the book's: ``kernel["z"]`` is
    ``W_z^T`` and a batch of row vectors ``x`` is multiplied as ``x @ kernel["z"]``.

    Attributes:
        kernel: ``{"z", "r", "h"}`` -> input weights ``W^T``, each (d, n) = (features, units).
        recurrent: ``{"z", "r", "h"}`` -> recurrent weights ``U^T``, each (n, n).
        bias: ``{"z", "r", "h"}`` -> input bias, each (n,) (zeros without bias).
        recurrent_bias: ``{"z", "r", "h"}`` -> recurrent bias, each (n,); all zeros when
            ``reset_after=False`` (that form has none). ``recurrent_bias["h"]`` is ``b_hr``;
            for z and r the two biases add up (``b_z = bias["z"] + recurrent_bias["z"]``).
        reset_after: which Keras form: ``True`` (default, cuDNN) or ``False`` (Cho et al. 2014).
        activation: name of the candidate's activation (``"tanh"``).
        recurrent_activation: name of the gates' activation (``"sigmoid"``).
    """

    kernel: dict[str, np.ndarray]
    recurrent: dict[str, np.ndarray]
    bias: dict[str, np.ndarray]
    recurrent_bias: dict[str, np.ndarray]
    reset_after: bool
    activation: str = "tanh"
    recurrent_activation: str = "sigmoid"

    @property
    def features(self) -> int:
        return int(self.kernel["z"].shape[0])

    @property
    def units(self) -> int:
        return int(self.kernel["z"].shape[1])


@dataclass(frozen=True)
class GRUTrace:
    """What a GRU computed at every step: arrays of shape (batch, time, units).

    Attributes:
        h: the layer's output, equal to ``keras.layers.GRU(..., return_sequences=True)`` on a
            CPU: the state after each step. At a masked step Keras' generic kernel repeats the
            previous output (zeros before the first unmasked step). Keras' cuDNN kernel (GPU)
            differs: it returns zeros at right-padded masked steps, and it rejects other masks
            (left padding; called eagerly Keras falls back to the generic kernel, inside
            ``fit`` training stops with an error; see :mod:`utils.cudnn`).
        z: the update gate (1 keeps the old state, 0 takes the candidate); NaN at masked steps.
        r: the reset gate (0 hides the old state from the candidate); NaN at masked steps.
        candidate: the candidate state h~; NaN at masked steps.
        mask: (batch, time) bool, ``True`` where a step was processed (all ``True`` without mask).
        final_state: (batch, units), the state after the last step (what ``return_state=True``
            returns; it equals ``h[:, -1]`` unless an ``initial_state`` was carried through
            leading masked steps).

    For a ``go_backwards=True`` layer every array is in processing order (reversed time), as the
    layer itself returns it; flip ``axis=1`` to align with the input.
    """

    h: np.ndarray
    z: np.ndarray
    r: np.ndarray
    candidate: np.ndarray
    mask: np.ndarray
    final_state: np.ndarray


def _activation_name(fn, arg: str) -> str:
    name = getattr(fn, "__name__", None)
    if name not in ACTIVATIONS:
        raise ValueError(
            f"{arg} {name or fn!r} is not supported; expected one of {sorted(ACTIVATIONS)}"
        )
    return name


def _check_layer(layer) -> None:
    import keras

    if not isinstance(layer, keras.layers.GRU):
        raise TypeError(f"layer must be a keras.layers.GRU; got {type(layer).__name__}")
    if not layer.built:
        raise ValueError("layer must be built (call it on data or give it an input shape) first")


def get_weights(layer) -> GRUWeights:
    """Split a built ``keras.layers.GRU``'s weights by gate.

    Args:
        layer: a built ``keras.layers.GRU``.

    Returns:
        A :class:`GRUWeights` with float64 copies of the weights.
    """
    _check_layer(layer)
    cell = layer.cell
    units = cell.units
    kernel = np.asarray(cell.kernel.numpy(), dtype=np.float64)
    recurrent = np.asarray(cell.recurrent_kernel.numpy(), dtype=np.float64)
    if cell.use_bias:
        bias = np.asarray(cell.bias.numpy(), dtype=np.float64)
        if cell.reset_after:
            in_bias, rec_bias = bias[0], bias[1]
        else:
            in_bias, rec_bias = bias, np.zeros(3 * units)
    else:
        in_bias, rec_bias = np.zeros(3 * units), np.zeros(3 * units)

    return GRUWeights(
        kernel=split_gates(kernel, units),
        recurrent=split_gates(recurrent, units),
        bias=split_gates(in_bias, units),
        recurrent_bias=split_gates(rec_bias, units),
        reset_after=bool(cell.reset_after),
        activation=_activation_name(cell.activation, "activation"),
        recurrent_activation=_activation_name(cell.recurrent_activation, "recurrent_activation"),
    )


def set_weights(layer, weights: GRUWeights) -> None:
    """Write gate-wise weights into a built ``keras.layers.GRU`` (inverse of :func:`get_weights`).

    Args:
        layer: a built ``keras.layers.GRU`` with the same sizes and ``reset_after`` form.
        weights: a :class:`GRUWeights`; for ``reset_after=False`` its recurrent bias must be zero.

    Raises:
        ValueError: if the sizes or the form differ, or a bias is set on a layer without one.
    """
    _check_layer(layer)
    if not isinstance(weights, GRUWeights):
        raise TypeError(f"weights must be a GRUWeights; got {type(weights).__name__}")
    cell = layer.cell
    features = int(cell.kernel.shape[0])
    if (weights.features, weights.units) != (features, cell.units):
        raise ValueError(
            f"weights are for {weights.features} features x {weights.units} units; "
            f"the layer has {features} x {cell.units}"
        )
    if weights.reset_after != bool(cell.reset_after):
        raise ValueError(
            f"weights have reset_after={weights.reset_after}; the layer has {cell.reset_after}"
        )

    def cat(d: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([np.asarray(d[g], dtype=np.float64) for g in _GATES], axis=-1)

    in_bias, rec_bias = cat(weights.bias), cat(weights.recurrent_bias)
    if not cell.reset_after and np.any(rec_bias):
        raise ValueError("a reset_after=False GRU has no recurrent bias; it must be all zeros")
    values = [cat(weights.kernel), cat(weights.recurrent)]
    if cell.use_bias:
        values.append(np.stack([in_bias, rec_bias]) if cell.reset_after else in_bias)
    elif np.any(in_bias) or np.any(rec_bias):
        raise ValueError("the layer has use_bias=False; the biases must be all zeros")
    for variable, value in zip(cell.weights, values, strict=True):
        variable.assign(value.astype(variable.dtype))


def _as_mask(mask, batch: int, time: int) -> np.ndarray:
    if mask is None:
        return np.ones((batch, time), dtype=bool)
    m = np.asarray(mask)
    if m.shape != (batch, time):
        raise ValueError(f"mask must have shape (batch, time) = {(batch, time)}; got {m.shape}")
    if m.dtype != bool:
        if not np.isin(m, (0, 1)).all():
            raise ValueError("mask must be boolean (or 0/1): True/1 marks a step to process")
        m = m.astype(bool)
    return m


def forward_weights(
    weights: GRUWeights,
    x,
    mask=None,
    *,
    initial_state=None,
    out_dtype=np.float32,
    fixed_update=None,
) -> GRUTrace:
    """Run a GRU given by its gate-wise weights over a batch: the NumPy loop behind :func:`forward`.

    Args:
        weights: the GRU's weights (:func:`get_weights`).
        x: (batch, time, features) array.
        mask: optional (batch, time) boolean (or 0/1) array; ``False`` steps are skipped: the state
            is carried unchanged and the output repeats the previous output, as in Keras'
            generic (CPU) kernel.
        initial_state: optional (batch, units) start state (zeros when ``None``).
        out_dtype: dtype of the returned arrays.
        fixed_update: optional (units,) array: an intervention that replaces the update gate
            ``z`` of every unit by this value at every step (the reset gate and the candidate are
            computed as usual).

    Returns:
        A :class:`GRUTrace`.
    """
    if not isinstance(weights, GRUWeights):
        raise TypeError(f"weights must be a GRUWeights; got {type(weights).__name__}")
    x = np.asarray(x)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"x must hold real numbers; got dtype {x.dtype}")
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, time, features); got shape {x.shape}")
    batch, time, features = x.shape
    if features != weights.features:
        raise ValueError(f"x has {features} features; the GRU expects {weights.features}")
    if time == 0:
        raise ValueError("x must have at least one time step")
    units = weights.units
    m = _as_mask(mask, batch, time)
    if initial_state is None:
        state = np.zeros((batch, units))
    else:
        state = np.asarray(initial_state, dtype=np.float64)
        if state.shape != (batch, units):
            raise ValueError(
                f"initial_state must have shape (batch, units) = {(batch, units)}; "
                f"got {state.shape}"
            )
        state = state.copy()
    if fixed_update is not None:
        fixed_update = np.asarray(fixed_update, dtype=np.float64)
        if fixed_update.shape != (units,):
            raise ValueError(f"fixed_update must have shape (units,) = ({units},); "
                             f"got {fixed_update.shape}")
    act = ACTIVATIONS[weights.activation]
    gate = ACTIVATIONS[weights.recurrent_activation]

    def cat(d: dict[str, np.ndarray], gates=_GATES) -> np.ndarray:
        return np.concatenate([d[g] for g in gates], axis=-1)

    # Stacked as Keras stores them: columns [z | r | h].
    kernel, bias = cat(weights.kernel), cat(weights.bias)
    if weights.reset_after:
        recurrent, recurrent_bias = cat(weights.recurrent), cat(weights.recurrent_bias)
    else:
        recurrent, recurrent_bias = cat(weights.recurrent, "zr"), 0.0
        u_h = weights.recurrent["h"]
    zr, hh = slice(0, 2 * units), slice(2 * units, 3 * units)

    # The input products do not depend on the state: one matrix product computes them for
    # every step before the recurrence, (batch, time, 3n). Only h_{t-1} U^T waits for the loop.
    from_x_all = x.astype(np.float64) @ kernel + bias
    hs, zs, rs, cands = (np.full((batch, time, units), np.nan, dtype=out_dtype) for _ in range(4))
    output = np.zeros((batch, units))
    for t in range(time):
        from_x = from_x_all[:, t]
        from_h = state @ recurrent + recurrent_bias
        gates = gate(from_x[:, zr] + from_h[:, zr])
        z, r = gates[:, :units], gates[:, units:]
        if fixed_update is not None:
            z = np.broadcast_to(fixed_update, z.shape)
        if weights.reset_after:
            cand = act(from_x[:, hh] + r * from_h[:, hh])
        else:
            cand = act(from_x[:, hh] + (r * state) @ u_h)
        new = z * state + (1.0 - z) * cand
        if m[:, t].all():
            state = output = new
            hs[:, t], zs[:, t], rs[:, t], cands[:, t] = new, z, r, cand
            continue
        keep = m[:, t, None]
        state = np.where(keep, new, state)
        output = np.where(keep, new, output)
        hs[:, t] = output
        zs[:, t] = np.where(keep, z, np.nan)
        rs[:, t] = np.where(keep, r, np.nan)
        cands[:, t] = np.where(keep, cand, np.nan)
    return GRUTrace(h=hs, z=zs, r=rs, candidate=cands, mask=m, final_state=state.astype(out_dtype))


def step_jacobian(weights: GRUWeights, x, h_prev) -> np.ndarray:
    """The Jacobian ``dh_t/dh_{t-1}`` of one GRU step, from equations (gru-jacobian) and
    (gru-cand-jacobian) of chapter 5 (Keras' default form, ``reset_after=True``).

    Args:
        weights: the layer's weights (:func:`get_weights`), sigmoid gates and tanh candidate.
        x: the inputs of the step, ``(batch, features)``.
        h_prev: the previous states, ``(batch, units)``.

    Returns:
        ``(batch, units, units)``: entry ``[b, i, j]`` is ``dh_t[i] / dh_{t-1}[j]``.
    """
    if not weights.reset_after or (weights.activation, weights.recurrent_activation) != (
            "tanh", "sigmoid"):
        raise ValueError("step_jacobian needs reset_after=True, tanh and sigmoid")
    x, h = np.asarray(x, dtype=np.float64), np.asarray(h_prev, dtype=np.float64)
    if x.ndim != 2 or h.shape != (len(x), weights.units):
        raise ValueError(f"x must be (batch, features), h_prev (batch, units); got "
                         f"{x.shape}, {h.shape}")
    w, b = weights, weights.bias
    u = {g: w.recurrent[g].T for g in _GATES}  # the book's U (Keras stores U^T)
    z = sigmoid(x @ w.kernel["z"] + h @ w.recurrent["z"] + b["z"] + w.recurrent_bias["z"])
    r = sigmoid(x @ w.kernel["r"] + h @ w.recurrent["r"] + b["r"] + w.recurrent_bias["r"])
    rec = h @ w.recurrent["h"] + w.recurrent_bias["h"]  # U_h h_{t-1} + b_hr
    cand = np.tanh(x @ w.kernel["h"] + r * rec + b["h"])
    d_cand = (1 - cand**2)[:, :, None] * (r[:, :, None] * u["h"]
                                          + (rec * r * (1 - r))[:, :, None] * u["r"])
    keep = np.eye(w.units) * z[:, :, None]
    return keep + (1 - z)[:, :, None] * d_cand + ((h - cand) * z * (1 - z))[:, :, None] * u["z"]


def forward(layer, x, mask=None, *, initial_state=None, fixed_update=None) -> GRUTrace:
    """Re-compute a Keras GRU layer in NumPy and return its state and gates at every step.

    Args:
        layer: a built ``keras.layers.GRU`` (``reset_after`` True or False, any sizes,
            ``go_backwards`` honoured; dropout is ignored, as at inference).
        x: (batch, time, features) array, the layer's input (e.g. an embedding's output).
        mask: optional (batch, time) boolean (or 0/1) array, ``True`` for real steps (e.g.
            ``tokens != 0`` for ``Embedding(mask_zero=True)``). Left and right padding both work;
            a masked step repeats the previous output, as Keras does on a CPU (its cuDNN kernel
            on a GPU returns zeros there instead, see :class:`GRUTrace`).
        initial_state: optional (batch, units) start state; zeros when ``None`` (also for a
            ``stateful`` layer: pass ``layer.states[0]`` to continue from its state).
        fixed_update: optional (units,) array that replaces the update gate ``z`` at every step
            (an intervention; see :func:`forward_weights`).

    Returns:
        A :class:`GRUTrace` with ``h``, ``z``, ``r``, ``candidate`` of shape (batch, time, units);
        ``h`` equals ``layer(x, mask=mask)`` with ``return_sequences=True`` on a CPU (to ~1e-6).
        They take ``16 * batch * time * units`` bytes (float32), and the input products of all
        steps another ``24 * batch * time * units`` while it runs: run long inputs in slices of
        the batch.

    Raises:
        TypeError: if ``layer`` is not a ``keras.layers.GRU``.
        ValueError: if it is not built, uses an unsupported activation, or ``x``/``mask`` have the
            wrong shape.
    """
    weights = get_weights(layer)
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, time, features); got shape {x.shape}")
    m = _as_mask(mask, x.shape[0], x.shape[1])
    if layer.go_backwards:
        x, m = x[:, ::-1], m[:, ::-1]
    out_dtype = np.float64 if str(layer.compute_dtype) == "float64" else np.float32
    return forward_weights(weights, x, m, initial_state=initial_state, out_dtype=out_dtype,
                           fixed_update=fixed_update)
