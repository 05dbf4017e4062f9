"""Work and peak: the floating-point operations of a recurrent step, and the machine's yardstick.

:func:`step_flops` counts the FLOPs of one step of a ``GRU``, ``LSTM`` or ``SimpleRNN`` from its
equations, :func:`model_step_flops` adds them up over a Keras model, and :func:`matmul_peak`
measures what the same cores reach on a large float32 matrix product, the yardstick for
"achieved GFLOP/s" in :doc:`/chapters/10_fast_training_on_cpu`. :func:`recurrence_rate` times
the part of a GRU's training that must run step after step, alone (``make bench``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from utils.checks import positive_int
from utils.speed.timing import Timing, time_repeats

__all__ = ["TRAINING_FLOPS_FACTOR", "Peak", "RecurrenceRate", "matmul_peak", "model_step_flops",
           "recurrence_rate", "recurrent_share", "step_flops"]

#: A training step costs about three forward passes: the forward pass itself, and a backward
#: pass that needs two products of the same size per product of the forward pass (one for the
#: gradient of the input, one for the gradient of the weights).
TRAINING_FLOPS_FACTOR = 3

_GATES = {"gru": 3, "lstm": 4, "simple_rnn": 1}
# Element-wise operations per unit and step (bias additions, gate sums, activations, products).
_ELEMENTWISE = {("gru", True): 17, ("gru", False): 14, ("lstm", None): 17,
                ("simple_rnn", None): 3}




def step_flops(kind: str, input_dim: int, units: int, *, reset_after: bool = True) -> int:
    """Floating-point operations of one forward step of a recurrent cell, for one sequence.

    A multiply-add counts as 2, every element-wise operation (addition, product, activation)
    as 1. For a GRU (``kind="gru"``) reading ``d`` inputs with ``u`` units, the equations of
    :doc:`/chapters/04_gru_gates` give ``2·d·3u`` for ``x W``, ``2·u·3u`` for ``h U`` and
    ``17u`` element-wise operations (``14u`` with ``reset_after=False``, which has one bias
    instead of two); an LSTM has four blocks instead of three, a ``SimpleRNN`` one.

    Args:
        kind: ``"gru"``, ``"lstm"`` or ``"simple_rnn"``.
        input_dim: features per step, ``d``.
        units: state size, ``u``.
        reset_after: Keras' GRU variant (ignored for the other kinds).

    Returns:
        The count, an int.
    """
    if kind not in _GATES:
        raise ValueError(f"kind must be one of {sorted(_GATES)}; got {kind!r}")
    d = positive_int("input_dim", input_dim)
    u = positive_int("units", units)
    if not isinstance(reset_after, bool):
        raise TypeError(f"reset_after must be a bool; got {reset_after!r}")
    gates = _GATES[kind]
    elementwise = _ELEMENTWISE[(kind, reset_after if kind == "gru" else None)]
    return 2 * d * gates * u + 2 * u * gates * u + elementwise * u


def recurrent_share(kind: str, input_dim: int, units: int) -> float:
    """The share of a step's FLOPs (:func:`step_flops`) in the recurrent products, the state
    times its ``units × gates·units`` matrix: the part that must wait for the previous step."""
    total = step_flops(kind, input_dim, units)  # checks the arguments
    return 2 * units * _GATES[kind] * units / total


def _recurrent_layers(layer):
    """Yield ``(kind, input_dim, units, reset_after)`` of each recurrent cell inside ``layer``."""
    import keras

    kinds = {keras.layers.GRU: "gru", keras.layers.LSTM: "lstm",
             keras.layers.SimpleRNN: "simple_rnn"}
    if isinstance(layer, keras.layers.Bidirectional):
        yield from _recurrent_layers(layer.forward_layer)
        yield from _recurrent_layers(layer.backward_layer)
        return
    for cls, kind in kinds.items():
        if isinstance(layer, cls):
            cell = layer.cell
            yield kind, int(cell.kernel.shape[0]), int(cell.units), bool(
                getattr(cell, "reset_after", True))
            return
    for sub in getattr(layer, "layers", []):
        yield from _recurrent_layers(sub)


def model_step_flops(model) -> int:
    """Forward FLOPs per time step and sequence of all recurrent layers of a built Keras model.

    ``Bidirectional`` layers count both directions. The embedding (a table look-up) and the
    output layer (once per sequence, not per step) are left out: they are a negligible share.
    Raises ``ValueError`` for a model without recurrent layers.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model; got {type(model).__name__}")
    cells = list(_recurrent_layers(model))
    if not cells:
        raise ValueError("model has no GRU, LSTM or SimpleRNN layer")
    return sum(step_flops(k, d, u, reset_after=r) for k, d, u, r in cells)


class _Rate:
    """GFLOP/s from ``flops`` (the work of one timed call) and ``timing`` (its repeats)."""

    flops: int
    timing: Timing

    @property
    def gflops(self) -> float:
        """The best rate over the repeats, in GFLOP/s."""
        return self.flops / self.timing.min / 1e9

    @property
    def median_gflops(self) -> float:
        return self.flops / self.timing.median / 1e9


@dataclass(frozen=True)
class Peak(_Rate):
    """The float32 matrix-product rate of this machine: ``n×n`` times ``n×n``, repeated
    (:attr:`gflops`, the best repeat, is the *peak*)."""

    n: int
    timing: Timing

    @property
    def flops(self) -> int:
        return 2 * self.n ** 3


@dataclass(frozen=True)
class RecurrenceRate(_Rate):
    """The rate of the recurrent products of a GRU alone, trained: see :func:`recurrence_rate`."""

    batch: int
    units: int
    steps: int
    timing: Timing

    @property
    def flops(self) -> int:
        """The recurrent products' FLOPs, forward and backward (``TRAINING_FLOPS_FACTOR``)."""
        return TRAINING_FLOPS_FACTOR * self.steps * 2 * self.batch * self.units * 3 * self.units


def matmul_peak(n: int = 1024, *, repeats: int = 10) -> Peak:
    """Measure the float32 matrix-product peak of the current TensorFlow set-up.

    Multiplies two random ``n×n`` matrices ``repeats`` times (after one untimed product) with
    the thread settings the process already has; :attr:`Peak.gflops` is the fastest repeat.
    """
    import tensorflow as tf

    positive_int("n", n)
    rng = np.random.default_rng(0)
    a = tf.constant(rng.standard_normal((n, n), dtype=np.float32))
    b = tf.constant(rng.standard_normal((n, n), dtype=np.float32))
    timing = time_repeats(lambda: tf.linalg.matmul(a, b).numpy(), repeats=repeats, warmup=1)
    return Peak(n, timing)


def recurrence_rate(batch: int = 128, units: int = 32, steps: int = 500, *,
                    repeats: int = 5) -> RecurrenceRate:
    """Time the part of a GRU's training step that must run one step after another, alone.

    ``steps`` products of the state ``(batch, units)`` by a ``(units, 3·units)`` matrix, each
    feeding the next through two gate-like element-wise operations (no input, bias, mask or
    output), forward and backward, compiled by XLA into one loop. The input products of a GRU
    can be done for all steps at once; these cannot, so their rate bounds what any
    implementation of the layer reaches on this machine at this batch size. Best of
    ``repeats`` (after one untimed call, which compiles).
    """
    import tensorflow as tf

    for name, value in (("batch", batch), ("units", units), ("steps", steps)):
        positive_int(name, value)
    rng = np.random.default_rng(0)
    u = units
    scale = np.float32(1 / np.sqrt(u))
    kernel = tf.Variable(rng.standard_normal((u, 3 * u), dtype=np.float32) * scale)
    h0 = tf.constant(rng.standard_normal((batch, u), dtype=np.float32))

    @tf.function(jit_compile=True)
    def train_step(h):
        with tf.GradientTape() as tape:
            for _ in tf.range(steps):
                z = tf.linalg.matmul(h, kernel)
                h = tf.sigmoid(z[:, :u]) * h + tf.tanh(z[:, 2 * u:])
            loss = tf.reduce_sum(h)
        return tape.gradient(loss, kernel)

    timing = time_repeats(lambda: train_step(h0).numpy(), repeats=repeats, warmup=1)
    return RecurrenceRate(batch, units, steps, timing)
