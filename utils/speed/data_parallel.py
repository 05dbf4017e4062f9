"""Data-parallel training with ``tf.distribute.MirroredStrategy``, checked against one device.

Explained in :doc:`/chapters/10_fast_training_on_cpu` (section "When one machine is not
enough").

Data parallelism keeps a copy of the model on each device (a *replica*), splits every global
batch between the replicas, and adds their gradients up (an *all-reduce*) before the one
shared update, so every copy stays the same. Done right it changes where the arithmetic runs,
not what it computes: the losses and weights must equal those of one device training on the
same global batches, up to the rounding of adding the same numbers in another order.

:func:`mirrored_check` verifies this for real without a GPU: in a fresh process
(:mod:`utils.fresh_process`; the devices are fixed when TensorFlow starts) it splits the CPU
into ``replicas`` logical devices with ``tf.config.set_logical_device_configuration``, trains a
model of :data:`utils.models.CONFIGS` on the same batches once on one device and once under
``MirroredStrategy`` over those devices, and returns both losses and the largest weight
difference (:class:`ParallelCheck`).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

__all__ = ["ParallelCheck", "mirrored_check"]


@dataclass(frozen=True)
class ParallelCheck:
    """One device against ``MirroredStrategy`` on the same global batches.

    Attributes:
        replicas: replicas of the mirrored run (``num_replicas_in_sync``).
        devices: the logical devices the mirrored run used.
        replica_batch_sizes: how the first global batch was split between the replicas.
        loss_one_device, loss_mirrored: the training loss after each step (Keras' running
            mean over the steps so far), one entry per batch.
        max_weight_difference: the largest absolute difference between any two weights after
            the last step.
        seconds: wall time of the whole check (the new process and TensorFlow's start-up
            included).
    """

    replicas: int
    devices: tuple[str, ...]
    replica_batch_sizes: tuple[int, ...]
    loss_one_device: tuple[float, ...]
    loss_mirrored: tuple[float, ...]
    max_weight_difference: float
    seconds: float

    @property
    def max_loss_difference(self) -> float:
        """The largest absolute difference between the two runs' losses, over the steps."""
        return max(abs(a - b) for a, b in zip(self.loss_one_device, self.loss_mirrored))


def mirrored_check(batches, *, replicas: int = 2, model: str = "seed_gru",
                   timeout: float = 600) -> ParallelCheck:
    """Train ``model`` on ``batches`` on one CPU device and under ``MirroredStrategy`` over
    ``replicas`` logical CPU devices (in a fresh process), from the same initial weights.

    Args:
        batches: a :class:`utils.speed.throughput.Batches`, int ids ``(batch, time)`` and labels;
            one training step per batch, in order (padded at the end to the longest batch,
            which the model's mask hides). The batches must all have one size, a multiple of
            ``replicas``, so that every replica gets as many reviews (Keras averages each
            replica's loss over its own reviews, then the replicas' averages).
        replicas: how many logical devices to split the CPU into (at least 2).
        model: a name of :data:`utils.models.CONFIGS`, built by :func:`utils.models.build`.
        timeout: seconds before the process is stopped.

    Returns:
        A :class:`ParallelCheck`.
    """
    from utils import fresh_process, models
    from utils.speed.throughput import Batches

    if not isinstance(batches, Batches):
        raise TypeError(f"batches must be a utils.speed.throughput.Batches; got "
                        f"{type(batches).__name__}")
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 2:
        raise ValueError(f"replicas must be an int of at least 2; got {replicas!r}")
    if model not in models.CONFIGS:
        raise ValueError(f"model must be a name of utils.models.CONFIGS; got {model!r}")
    sizes = [len(y) for y in batches.y]
    if len(set(sizes)) != 1 or sizes[0] % replicas:
        raise ValueError(f"batches must all have one size, a multiple of replicas={replicas} "
                         f"(sample_batches(..., full_only=True)); got sizes {sizes}")
    spec = {"replicas": replicas, "model": model}
    start = time.perf_counter()
    out = fresh_process.run("utils.speed.data_parallel", spec, files={"batches": batches.save},
                            timeout=timeout)
    return ParallelCheck(out["replicas"], tuple(out["devices"]),
                         tuple(out["replica_batch_sizes"]), tuple(out["loss_one_device"]),
                         tuple(out["loss_mirrored"]), out["max_weight_difference"],
                         time.perf_counter() - start)


def _worker(spec: dict) -> dict:
    """Run :func:`mirrored_check`'s two trainings (in a fresh process)."""
    import tensorflow as tf

    # Before TensorFlow initialises its devices: one physical CPU, `replicas` logical ones.
    (cpu,) = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * spec["replicas"])
    import keras
    import numpy as np

    from utils import models
    from utils.speed.throughput import Batches

    batches = Batches.load(spec["batches"])
    cfg = models.CONFIGS[spec["model"]]

    # One shape for every step (padded at the end to the longest batch; the mask hides it),
    # so that each run traces its training step once.
    width = max(x.shape[1] for x in batches.x)
    x_all = np.concatenate([np.pad(x, ((0, 0), (0, width - x.shape[1]))) for x in batches.x])
    y_all = np.concatenate(batches.y)
    batch_size = len(batches.y[0])

    def dataset():
        return tf.data.Dataset.from_tensor_slices((x_all, y_all)).batch(batch_size)

    def train(strategy):
        with strategy.scope():
            model = models.build(cfg)  # seeds, so both runs start from the same weights
        losses = []
        log = keras.callbacks.LambdaCallback(
            on_train_batch_end=lambda batch, logs: losses.append(float(logs["loss"])))
        model.fit(dataset(), epochs=1, verbose=0, shuffle=False, callbacks=[log])
        return losses, [np.asarray(w) for w in model.get_weights()]

    loss_one, w_one = train(tf.distribute.get_strategy())
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    mirrored = tf.distribute.MirroredStrategy(devices)
    first = next(iter(mirrored.experimental_distribute_dataset(dataset())))
    split = [int(x.shape[0]) for x in mirrored.experimental_local_results(first[0])]
    loss_two, w_two = train(mirrored)
    return {"replicas": int(mirrored.num_replicas_in_sync), "devices": devices,
            "replica_batch_sizes": split, "loss_one_device": loss_one,
            "loss_mirrored": loss_two,
            "max_weight_difference": float(max(np.abs(a - b).max()
                                               for a, b in zip(w_one, w_two)))}


if __name__ == "__main__":  # pragma: no cover - run by mirrored_check
    from utils import fresh_process

    sys.exit(fresh_process.serve(_worker))
