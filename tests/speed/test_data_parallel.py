"""Tests of utils.speed.data_parallel: MirroredStrategy over two logical CPUs equals one device."""

from __future__ import annotations

import numpy as np
import pytest

from utils import sequences as seqs
from utils.speed import data_parallel as dp
from utils.speed import throughput as tp


def _batches(batch_size=16, n_batches=2, seed=0):
    rng = np.random.default_rng(seed)
    n = 4 * batch_size
    x = [rng.integers(1, 10_000, size=k) for k in rng.integers(3, 40, size=n)]
    return tp.sample_batches(x, rng.integers(0, 2, n), maxlen=40, n_batches=n_batches,
                             recipe=seqs.Recipe(batch_size=batch_size), full_only=True)


def test_mirrored_equals_one_device():
    check = dp.mirrored_check(_batches(), replicas=2)
    assert check.replicas == 2 and len(check.devices) == 2
    assert check.replica_batch_sizes == (8, 8)  # the global batch split in two
    assert len(check.loss_one_device) == len(check.loss_mirrored) == 2
    assert 0.5 < check.loss_one_device[0] < 0.9  # about ln 2 for a fresh classifier
    assert check.max_loss_difference < 1e-5
    assert check.max_weight_difference < 1e-5
    assert check.seconds > 0


def test_max_loss_difference():
    check = dp.ParallelCheck(2, ("a", "b"), (1, 1), (0.5, 0.25), (0.5, 0.5), 0.0, 1.0)
    assert check.max_loss_difference == 0.25


def test_bad_input():
    batches = _batches()
    with pytest.raises(TypeError, match="Batches"):
        dp.mirrored_check([np.zeros((2, 3))])
    with pytest.raises(ValueError, match="replicas"):
        dp.mirrored_check(batches, replicas=1)
    with pytest.raises(ValueError, match="CONFIGS"):
        dp.mirrored_check(batches, model="no_such_model")
    with pytest.raises(ValueError, match="multiple of replicas=3"):
        dp.mirrored_check(batches, replicas=3)
    uneven = tp.Batches(batches.x[:1] + (batches.x[1][:8],), batches.y[:1]
                        + (batches.y[1][:8],), 1, 1)
    with pytest.raises(ValueError, match="one size"):
        dp.mirrored_check(uneven)
