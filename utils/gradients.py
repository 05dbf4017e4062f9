"""How gradients shrink or grow as they travel back through time, measured with ``GradientTape``.

Explained in :doc:`/chapters/03_vanishing_gradients` (and reused unchanged for the GRU and the
LSTM in the chapter on the GRU's gates).

A recurrent layer maps states ``h_1 .. h_T`` forward; backpropagation through time multiplies
the gradient by one Jacobian ``dh_s/dh_{s-1}`` per step. :func:`state_jacobians` measures the
whole product ``dh_T/dh_t`` for every earlier step ``t`` of any Keras recurrent layer
(``SimpleRNN``, ``GRU`` with either ``reset_after``, ``LSTM``, or ``keras.layers.RNN`` around a
cell that follows the same protocol), by unrolling the layer's own cell and differentiating
with ``tf.GradientTape``. :func:`gradient_norms_through_time` turns those Jacobians into the
numbers the chapters plot: their norms against the lag ``k = T - t``.

Conventions:

* *lag* ``k`` counts steps back from the last one: lag 0 is ``h_T`` itself (the Jacobian is
  the identity), lag ``k`` is ``h_{T-k}``; a sequence of ``time`` steps gives lags
  ``0 .. time-1``.
* the *state* is the layer's output state ``h`` (its first state tensor). For an ``LSTM`` the
  cell state ``c_t`` is held fixed while ``h_t`` is perturbed, so ``dh_T/dh_t`` is the total
  derivative through every path that starts at ``h_t`` (including the ones into ``c_{t+1}``).
* the layer runs in inference mode (no dropout) from a zero initial state, as Keras does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "GradientNorms",
    "state_jacobians",
    "gradient_norms_through_time",
    "fit_decay_per_step",
    "per_step_bound",
    "geometric_mean",
]


def _check_layer(layer):
    import keras

    if not isinstance(layer, keras.layers.RNN):
        raise TypeError(
            "layer must be a Keras recurrent layer (keras.layers.SimpleRNN, GRU, LSTM or RNN); "
            f"got {type(layer).__name__}"
        )
    return layer


def _check_inputs(inputs, layer) -> np.ndarray:
    try:
        x = np.asarray(inputs)
    except Exception as err:  # pragma: no cover
        raise TypeError(f"inputs must be array-like; got {type(inputs).__name__}") from err
    if x.dtype.kind not in "fiu":
        raise TypeError(f"inputs must hold real numbers; got dtype {x.dtype}")
    if x.ndim != 3 or min(x.shape) < 1:
        raise ValueError(f"inputs must be a non-empty (batch, time, features) array; got {x.shape}")
    if not layer.built:
        layer.build((None, None, x.shape[-1]))
    return x


def state_jacobians(layer, inputs) -> np.ndarray:
    """The Jacobians ``dh_T/dh_{T-k}`` of a Keras recurrent layer, for every sample and lag.

    One forward and one backward pass: the batch is repeated ``units`` times, a zero
    perturbation is added to the state after every step (so the tape can differentiate with
    respect to it), and the backward pass is seeded with the ``units`` unit vectors at
    ``h_T``. Memory grows as ``batch * time * units**2``: keep ``units`` below ~100.

    Args:
        layer: a Keras recurrent layer (``SimpleRNN``, ``GRU``, ``LSTM``, ``RNN``), built or
            not (it is built for the inputs' feature size). Its weights are used as they are.
        inputs: ``(batch, time, features)``; cast to the layer's compute dtype.

    Returns:
        ``J`` of shape ``(batch, time, units, units)``, NumPy, in the layer's dtype:
        ``J[b, k, i, j] = d h_T[i] / d h_{T-k}[j]`` for sample ``b``, with ``J[:, 0]`` the
        identity. Gradients flow backwards as row vectors: ``dL/dh_{T-k} = dL/dh_T @ J[b, k]``.
    """
    import tensorflow as tf

    layer = _check_layer(layer)
    x = _check_inputs(inputs, layer)
    cell = layer.cell
    dtype = cell.compute_dtype
    batch, time, _ = x.shape
    units = int(np.atleast_1d(cell.state_size)[0])
    # Row r = b * units + i of the repeated batch carries sample b and output direction i.
    x_rep = tf.constant(np.repeat(x, units, axis=0), dtype=dtype)
    seed = tf.constant(np.tile(np.eye(units), (batch, 1)), dtype=dtype)
    eps = [tf.zeros((batch * units, units), dtype=dtype) for _ in range(time)]
    kwargs = {"training": False} if getattr(cell, "_call_has_training_arg", False) else {}
    with tf.GradientTape() as tape:
        tape.watch(eps)
        states = layer.get_initial_state(batch * units)
        for t in range(time):
            _, states = cell(x_rep[:, t], states, **kwargs)
            states = list(states) if isinstance(states, (list, tuple)) else [states]
            states[0] = states[0] + eps[t]
        h_last = states[0]
    grads = tape.gradient(h_last, eps, output_gradients=seed,
                          unconnected_gradients=tf.UnconnectedGradients.ZERO)
    # grads[t][b * units + i, j] = d h_T[i] / d h_{t+1}[j]; lag k = time - 1 - t.
    jac = np.stack([np.asarray(g).reshape(batch, units, units) for g in grads[::-1]], axis=1)
    return jac


def geometric_mean(values, axis: int = 0) -> np.ndarray:
    """Geometric mean along ``axis``, the right average for numbers that span decades.

    Zeros (underflow) give zero; negative values are rejected.
    """
    v = np.asarray(values, dtype=np.float64)
    if np.any(v < 0) or np.any(np.isnan(v)):
        raise ValueError("geometric_mean needs non-negative values without NaN")
    with np.errstate(divide="ignore"):
        return np.exp(np.mean(np.log(v), axis=axis))


@dataclass(frozen=True)
class GradientNorms:
    """Norms of backpropagated gradients against the lag, for a batch of sequences.

    Attributes:
        lags: ``(time,)`` the lags ``0 .. time-1`` (``k`` means state ``h_{T-k}``).
        state: ``(batch, time)`` spectral norm (largest singular value) of ``dh_T/dh_{T-k}``:
            the most any direction of a gradient arriving at ``h_T`` can be amplified on its
            way back to ``h_{T-k}``. ``state[:, 0] == 1``.
        loss: ``(batch, time)`` Euclidean norm of ``dL/dh_{T-k}`` for the per-sample loss at
            the last step; ``loss[:, 0] == |dL/dh_T|``.
    """

    lags: np.ndarray
    state: np.ndarray
    loss: np.ndarray

    def state_mean(self) -> np.ndarray:
        """``(time,)`` geometric mean over the batch of :attr:`state`."""
        return geometric_mean(self.state, axis=0)

    def loss_mean(self) -> np.ndarray:
        """``(time,)`` geometric mean over the batch of :attr:`loss`."""
        return geometric_mean(self.loss, axis=0)

    def decay_per_step(self, which: str = "state", min_lag: int = 1,
                       max_lag: int | None = None) -> float:
        """Fitted factor by which the mean norm changes per step back (see
        :func:`fit_decay_per_step`): below 1 vanishing, above 1 exploding."""
        if which not in ("state", "loss"):
            raise ValueError(f"which must be 'state' or 'loss'; got {which!r}")
        mean = self.state_mean() if which == "state" else self.loss_mean()
        return fit_decay_per_step(self.lags, mean, min_lag, max_lag)

    def line_factor(self) -> float:
        """How far :meth:`state_mean` strays from a geometric decay: the largest distance,
        as a factor, between its logarithm (lags 1 on) and the straight line fitted to it."""
        log_norm, lags = np.log(self.state_mean()[1:]), self.lags[1:]
        fit = np.polyval(np.polyfit(lags, log_norm, 1), lags)
        return float(np.exp(np.abs(log_norm - fit).max()))


def _unit_readout(units: int, seed: int) -> np.ndarray:
    u = np.random.default_rng(seed).standard_normal(units)
    return u / np.linalg.norm(u)


def gradient_norms_through_time(
    layer,
    inputs,
    loss_fn: Callable | None = None,
    seed: int = 0,
) -> GradientNorms:
    """Measure ``|dh_T/dh_{T-k}|`` and ``|dL/dh_{T-k}|`` for every lag ``k``.

    Args:
        layer: any Keras recurrent layer (``SimpleRNN``, ``GRU``, ``LSTM``, ``RNN``), e.g. a
            freshly initialised one or the recurrent layer of a trained model.
        inputs: ``(batch, time, features)``. Norms are returned per sample; average them with
            the geometric means of :class:`GradientNorms`.
        loss_fn: the loss at the last step, a function of the final state ``h_T`` (a
            ``(batch, units)`` tensor) returning per-sample losses ``(batch,)``, written with
            ``keras.ops``/TensorFlow ops. ``None`` uses a linear readout ``L = u . h_T`` with a
            fixed random unit vector ``u`` (drawn from ``seed``), so ``|dL/dh_T| = 1`` and
            ``|dL/dh_{T-k}|`` is how much of a unit gradient survives ``k`` steps back.
        seed: seeds ``u`` when ``loss_fn`` is ``None``.

    Returns:
        A :class:`GradientNorms` with ``state`` and ``loss`` of shape ``(batch, time)``.
        Since ``L`` depends on ``h_{T-k}`` only through ``h_T``,
        ``dL/dh_{T-k} = dL/dh_T @ dh_T/dh_{T-k}`` and so ``loss <= |dL/dh_T| * state``.
    """
    import tensorflow as tf

    layer = _check_layer(layer)
    x = _check_inputs(inputs, layer)
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable or None; got {type(loss_fn).__name__}")
    jac = state_jacobians(layer, x).astype(np.float64)
    batch, time, units, _ = jac.shape
    if loss_fn is None:
        g_last = np.tile(_unit_readout(units, seed), (batch, 1))
    else:
        h_last = tf.constant(np.asarray(layer(x.astype(layer.cell.compute_dtype))))
        if len(h_last.shape) == 3:  # return_sequences=True
            h_last = h_last[:, -1]
        with tf.GradientTape() as tape:
            tape.watch(h_last)
            per_sample = loss_fn(h_last)
            if len(per_sample.shape) != 1 or per_sample.shape[0] != batch:
                raise ValueError(
                    f"loss_fn must return per-sample losses of shape (batch={batch},); "
                    f"got {tuple(per_sample.shape)}"
                )
            total = tf.reduce_sum(per_sample)
        g_last = np.asarray(tape.gradient(total, h_last), dtype=np.float64)
    state = np.linalg.norm(jac, ord=2, axis=(-2, -1))
    loss = np.linalg.norm(np.einsum("bi,bkij->bkj", g_last, jac), axis=-1)
    return GradientNorms(lags=np.arange(time), state=state, loss=loss)


def fit_decay_per_step(lags, norms, min_lag: int = 1, max_lag: int | None = None) -> float:
    """The per-step factor ``rho`` of the best fit ``norm ~ C * rho**lag`` (least squares on logs).

    Args:
        lags: ``(n,)`` lags; norms: ``(n,)`` positive norms (e.g. ``GradientNorms.state_mean()``).
        min_lag, max_lag: the range of lags fitted (inclusive); start at 1 or more to skip the
            identity at lag 0. Lags whose norm underflowed to 0 or is not finite are skipped.

    Returns:
        ``rho``: below 1 the gradient vanishes geometrically, above 1 it explodes.
    """
    lags = np.asarray(lags, dtype=np.float64)
    norms = np.asarray(norms, dtype=np.float64)
    if lags.shape != norms.shape or lags.ndim != 1:
        raise ValueError(f"lags and norms must be 1-D of one length; got {lags.shape}, "
                         f"{norms.shape}")
    hi = np.inf if max_lag is None else max_lag
    keep = (lags >= min_lag) & (lags <= hi) & np.isfinite(norms) & (norms > 0)
    if keep.sum() < 2:
        raise ValueError(f"need at least two positive norms with lag in [{min_lag}, {max_lag}]")
    slope = np.polyfit(lags[keep], np.log(norms[keep]), 1)[0]
    return float(np.exp(slope))


def per_step_bound(recurrent_kernel, max_activation_slope: float = 1.0) -> float:
    """The bound on the per-step factor of a plain RNN: ``sigma_max(U) * max |act'|``.

    For ``h_t = act(W x_t + U h_{t-1} + b)`` one step's Jacobian is ``diag(act'(a_t)) U``,
    whose spectral norm is at most ``sigma_max(U) * max |act'|``, so
    ``|dh_T/dh_{T-k}| <= bound**k``. ``max_activation_slope`` is 1 for tanh (at 0) and for ReLU.

    Args:
        recurrent_kernel: ``(units, units)`` array (or a Keras variable): Keras'
            ``recurrent_kernel``, ``U^T``, which has the singular values of ``U``.
    """
    w = np.asarray(recurrent_kernel, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"recurrent_kernel must be a square matrix; got shape {w.shape}")
    if not max_activation_slope >= 0:
        raise ValueError(f"max_activation_slope must be >= 0; got {max_activation_slope}")
    return float(np.linalg.norm(w, ord=2) * max_activation_slope)
