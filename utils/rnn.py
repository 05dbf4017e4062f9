"""A plain (Elman) recurrent network written out in NumPy, and the same network in Keras.

Explained in :doc:`/chapters/02_recurrent_networks`; the scaled-orthogonal recurrent matrices
are the experimental knob of :doc:`/chapters/03_vanishing_gradients`.

The book writes the step with column vectors, ``n`` units and ``d`` input features:
``h_t = tanh(W x_t + U h_{t-1} + b)``, ``W`` (n, d), ``U`` (n, n), ``b`` (n,), ``h_0 = 0``.

Shapes here follow Keras: a batch of sequences is ``(batch, time, features)``, a state is
``(batch, units)``, one row per sequence. A Keras ``SimpleRNN`` therefore computes

``h_t = tanh(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``,  ``h_0 = 0``,

where ``kernel`` = ``W^T`` is ``(features, units)``, ``recurrent_kernel`` = ``U^T`` is
``(units, units)`` and ``bias`` = ``b`` is ``(units,)``. :func:`rnn_forward` is that loop in
NumPy and
:func:`simple_rnn_weights` reads the three arrays out of a built layer, so the two can be
compared number for number.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from utils.checks import positive_int

#: The activations :func:`rnn_step` understands, by name (Keras' names).
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0.0),
    "linear": lambda a: a,
}


def _array(value, name: str, ndim: int) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except Exception as err:  # pragma: no cover - very exotic inputs
        raise TypeError(f"{name} must be array-like; got {type(value).__name__}") from err
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions; got shape {arr.shape}")
    return arr


def _activation(activation: str | Callable[[np.ndarray], np.ndarray]):
    if callable(activation):
        return activation
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)} or a callable; got {activation!r}"
        )
    return ACTIVATIONS[activation]


def _check_weights(kernel, recurrent_kernel, bias):
    kernel = _array(kernel, "kernel", 2)
    recurrent_kernel = _array(recurrent_kernel, "recurrent_kernel", 2)
    bias = _array(bias, "bias", 1)
    units = recurrent_kernel.shape[0]
    if recurrent_kernel.shape != (units, units):
        raise ValueError(
            f"recurrent_kernel must be square (units, units); got {recurrent_kernel.shape}"
        )
    if kernel.shape[1] != units:
        raise ValueError(
            f"kernel must be (features, units={units}); got {kernel.shape}"
        )
    if bias.shape != (units,):
        raise ValueError(f"bias must be (units={units},); got {bias.shape}")
    return kernel, recurrent_kernel, bias


def rnn_step(
    x_t,
    h_prev,
    kernel,
    recurrent_kernel,
    bias,
    activation: str | Callable[[np.ndarray], np.ndarray] = "tanh",
) -> np.ndarray:
    """One step of a plain recurrent network: ``act(x_t @ kernel + h_prev @ recurrent_kernel + b)``.

    Args:
        x_t: inputs at one time step, ``(batch, features)``.
        h_prev: the previous state, ``(batch, units)``.
        kernel: input weights ``W^T``, ``(features, units)``.
        recurrent_kernel: recurrent weights ``U^T``, ``(units, units)``.
        bias: ``(units,)``.
        activation: ``"tanh"`` (Keras' default), ``"relu"``, ``"linear"`` or a NumPy callable.

    Returns:
        The new state ``h_t``, ``(batch, units)``.
    """
    kernel, recurrent_kernel, bias = _check_weights(kernel, recurrent_kernel, bias)
    x_t = _array(x_t, "x_t", 2)
    h_prev = _array(h_prev, "h_prev", 2)
    if x_t.shape[1] != kernel.shape[0]:
        raise ValueError(f"x_t must be (batch, features={kernel.shape[0]}); got {x_t.shape}")
    if h_prev.shape != (x_t.shape[0], recurrent_kernel.shape[0]):
        raise ValueError(
            f"h_prev must be (batch={x_t.shape[0]}, units={recurrent_kernel.shape[0]}); "
            f"got {h_prev.shape}"
        )
    return _activation(activation)(x_t @ kernel + h_prev @ recurrent_kernel + bias)


def rnn_forward(
    x,
    kernel,
    recurrent_kernel,
    bias,
    h0=None,
    activation: str | Callable[[np.ndarray], np.ndarray] = "tanh",
) -> np.ndarray:
    """Unroll :func:`rnn_step` over a batch of sequences, starting from ``h0`` (zeros by default).

    Args:
        x: inputs, ``(batch, time, features)``.
        kernel, recurrent_kernel, bias, activation: as for :func:`rnn_step`.
        h0: the initial state, ``(batch, units)``; ``None`` means zeros, as in Keras.

    Returns:
        Every state ``h_1 .. h_T``, ``(batch, time, units)``: what a Keras ``SimpleRNN`` with
        ``return_sequences=True`` returns; ``[:, -1]`` is what it returns by default.
    """
    kernel, recurrent_kernel, bias = _check_weights(kernel, recurrent_kernel, bias)
    x = _array(x, "x", 3)
    batch, time, features = x.shape
    if features != kernel.shape[0]:
        raise ValueError(f"x must be (batch, time, features={kernel.shape[0]}); got {x.shape}")
    units = recurrent_kernel.shape[0]
    dtype = np.result_type(x, kernel, recurrent_kernel, bias, np.float32)
    h = np.zeros((batch, units), dtype=dtype) if h0 is None else _array(h0, "h0", 2)
    if h.shape != (batch, units):
        raise ValueError(f"h0 must be (batch={batch}, units={units}); got {h.shape}")
    states = np.empty((batch, time, units), dtype=dtype)
    for t in range(time):
        h = rnn_step(x[:, t], h, kernel, recurrent_kernel, bias, activation)
        states[:, t] = h
    return states


def rnn_backward(x, kernel, recurrent_kernel, bias, dl_dh_last) -> tuple[np.ndarray, ...]:
    """Backpropagation through time for a tanh :func:`rnn_forward` with a loss on the last state.

    Equation (bptt-weights) of chapter 3: going back one step at a time, ``delta_t`` is the
    gradient that reached ``h_t`` times ``1 - h_t**2``; the weights' gradients sum one term per
    step, and ``delta_t U`` is the gradient that reaches ``h_{t-1}``.

    Args:
        x: inputs, ``(batch, time, features)``.
        kernel, recurrent_kernel, bias: as for :func:`rnn_step` (Keras' layout).
        dl_dh_last: ``dL/dh_T``, ``(batch, units)``, one row per sequence.

    Returns:
        ``dL/dkernel``, ``dL/drecurrent_kernel``, ``dL/dbias``, in Keras' layout (the
        transposes of the book's ``dL/dW`` and ``dL/dU``), as a ``tf.GradientTape`` gives them.
    """
    kernel, recurrent_kernel, bias = _check_weights(kernel, recurrent_kernel, bias)
    x = _array(x, "x", 3)
    h = rnn_forward(x, kernel, recurrent_kernel, bias)
    grad = _array(dl_dh_last, "dl_dh_last", 2)
    if grad.shape != h[:, -1].shape:
        raise ValueError(f"dl_dh_last must be {h[:, -1].shape}; got {grad.shape}")
    h_prev = np.concatenate([np.zeros_like(h[:, :1]), h[:, :-1]], axis=1)
    d_kernel, d_recurrent, d_bias = (np.zeros_like(w, dtype=h.dtype)
                                     for w in (kernel, recurrent_kernel, bias))
    for t in reversed(range(x.shape[1])):
        delta = grad * (1 - h[:, t] ** 2)  # delta_t, one row per sequence
        d_kernel += x[:, t].T @ delta  # sum of (delta_t x_t^T)^T
        d_recurrent += h_prev[:, t].T @ delta  # sum of (delta_t h_{t-1}^T)^T
        d_bias += delta.sum(axis=0)
        grad = delta @ recurrent_kernel.T  # dL/dh_{t-1}: delta_t U
    return d_kernel, d_recurrent, d_bias


def simple_rnn_weights(layer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read ``(kernel, recurrent_kernel, bias)`` out of a built ``keras.layers.SimpleRNN``.

    Shapes ``(features, units)``, ``(units, units)``, ``(units,)``; a layer built with
    ``use_bias=False`` gives a zero bias.
    """
    import keras

    if not isinstance(layer, keras.layers.SimpleRNN):
        raise TypeError(f"layer must be a keras.layers.SimpleRNN; got {type(layer).__name__}")
    if not layer.built:
        raise ValueError("layer is not built yet: call it on a batch (or layer.build) first")
    cell = layer.cell
    kernel = np.asarray(cell.kernel.numpy())
    recurrent = np.asarray(cell.recurrent_kernel.numpy())
    bias = (np.asarray(cell.bias.numpy()) if cell.bias is not None
            else np.zeros(cell.units, dtype=kernel.dtype))
    return kernel, recurrent, bias


def scaled_orthogonal(units: int, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """A random orthogonal ``(units, units)`` matrix times ``scale``: all singular values = scale.

    Drawn with ``keras.initializers.Orthogonal`` (reproducible per ``seed``), the initialiser
    ``SimpleRNN`` uses for its recurrent kernel by default (with ``scale = 1``).
    """
    import keras

    positive_int("units", units)
    if not np.isfinite(scale) or scale < 0:
        raise ValueError(f"scale must be a finite number >= 0; got {scale!r}")
    init = keras.initializers.Orthogonal(gain=float(scale), seed=int(seed))
    return np.asarray(init((units, units), dtype="float64"))


def scaled_simple_rnn(
    units: int,
    features: int,
    scale: float,
    seed: int = 0,
    *,
    activation: str = "tanh",
    input_scale: float = 1.0,
    dtype: str = "float32",
    **layer_kwargs,
):
    """A built ``keras.layers.SimpleRNN`` whose recurrent kernel is orthogonal × ``scale``.

    The largest singular value of the recurrent matrix is then exactly ``scale``, the knob of
    :doc:`/chapters/03_vanishing_gradients`. The input kernel is Glorot-uniform times
    ``input_scale`` and the bias is zero; all draws are seeded by ``seed``.

    Args:
        units: state size. features: input size (the last axis of the inputs).
        scale: every singular value of ``recurrent_kernel``.
        activation: the layer's activation (``"tanh"`` by default).
        input_scale: multiplies the input kernel (small values keep tanh near its linear part).
        dtype: the layer's dtype: Keras' default ``"float32"`` or ``"float64"`` (for checks
            that compare against another computation to ~1e-12).
        **layer_kwargs: passed to ``SimpleRNN`` (e.g. ``return_sequences=True``).

    Returns:
        The built layer; call it on ``(batch, time, features)`` arrays.
    """
    import keras

    positive_int("features", features)
    recurrent = scaled_orthogonal(units, scale, seed)
    kernel = keras.initializers.GlorotUniform(seed=int(seed) + 1)((features, units), "float64")
    layer = keras.layers.SimpleRNN(units, activation=activation, dtype=dtype, **layer_kwargs)
    layer.build((None, None, features))
    layer.cell.kernel.assign(np.asarray(kernel) * float(input_scale))
    layer.cell.recurrent_kernel.assign(recurrent)
    if layer.cell.bias is not None:
        layer.cell.bias.assign(np.zeros(units))
    return layer
