"""Tests of utils.config: quick mode, sizes, seeds and paths."""

import numpy as np
import pytest

from utils import config


@pytest.mark.parametrize(("raw", "quick"), [("1", True), ("true", True), (" ON ", True),
                                            ("0", False), ("", False), ("no", False)])
def test_is_quick(monkeypatch, raw, quick):
    monkeypatch.setenv("GRU_BOOK_QUICK", raw)
    assert config.is_quick() is quick


def test_is_quick_unset(monkeypatch):
    monkeypatch.delenv("GRU_BOOK_QUICK", raising=False)
    assert config.is_quick() is False


def test_is_quick_rejects_typos(monkeypatch):
    monkeypatch.setenv("GRU_BOOK_QUICK", "ture")
    with pytest.raises(ValueError, match="GRU_BOOK_QUICK must be"):
        config.is_quick()


def test_pick_follows_mode(monkeypatch):
    monkeypatch.setenv("GRU_BOOK_QUICK", "1")
    assert config.pick(full=10, quick=2) == 2
    monkeypatch.setenv("GRU_BOOK_QUICK", "0")
    assert config.pick(full=10, quick=2) == 10


def test_pick_requires_same_type():
    with pytest.raises(TypeError, match="same type"):
        config.pick(full=10, quick=2.0)


def test_data_path(monkeypatch, tmp_path):
    monkeypatch.delenv("GRU_BOOK_DATA", raising=False)
    assert config.data_path() is None
    monkeypatch.setenv("GRU_BOOK_DATA", "   ")
    assert config.data_path() is None
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRU_BOOK_DATA", "rel/archive.tar.gz")
    assert config.data_path() == tmp_path / "rel" / "archive.tar.gz"


def test_keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert config.keras_home() == tmp_path
    monkeypatch.delenv("KERAS_HOME")
    assert config.keras_home().name == ".keras"


def test_build_dir_separates_quick_mode(monkeypatch, root):
    monkeypatch.setenv("GRU_BOOK_QUICK", "0")
    assert config.build_dir() == root / "_build"
    monkeypatch.setenv("GRU_BOOK_QUICK", "1")
    assert config.build_dir() == root / "_build" / "quick"
    assert config.project_root() == root


def test_set_seed_makes_numpy_and_keras_repeatable():
    import keras

    draws = []
    for _ in range(2):
        config.set_seed(7)
        draws.append((np.random.rand(3), keras.random.uniform((3,)).numpy()))
    np.testing.assert_array_equal(draws[0][0], draws[1][0])
    np.testing.assert_array_equal(draws[0][1], draws[1][1])


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_set_seed_rejects_bad_seeds(seed):
    with pytest.raises(TypeError, match="seed must be"):
        config.set_seed(seed)


def test_machine_names_the_cpu_and_its_cores():
    info = config.machine()
    assert set(info) == {"cpu", "cores"}
    assert isinstance(info["cpu"], str) and info["cpu"]
    assert isinstance(info["cores"], int) and info["cores"] >= 1
    assert config.describe_machine({"cpu": "Some CPU", "cores": 2}) == "Some CPU, 2 cores"
    assert config.describe_machine({"cpu": "Some CPU", "cores": 1}) == "Some CPU, 1 core"
    assert config.describe_machine({}) == "an unrecorded machine"
    assert config.describe_machine().startswith(info["cpu"])


def test_limit_memory_is_set_by_importing_utils(monkeypatch):
    import os

    assert os.environ.get("TF_ONEDNN_USE_SYSTEM_ALLOCATOR")  # set at import (or by the caller)
    monkeypatch.setenv("TF_ONEDNN_USE_SYSTEM_ALLOCATOR", "0")
    config.limit_memory()  # a value set by the caller is kept
    assert os.environ["TF_ONEDNN_USE_SYSTEM_ALLOCATOR"] == "0"


def test_release_memory_gives_freed_heap_back():
    import sys

    if config._glibc() is None:
        pytest.skip("needs glibc")

    def rss_mib():
        with open("/proc/self/status") as f:
            return int(f.read().split("VmRSS:")[1].split()[0]) / 1024

    config.release_memory()
    before = rss_mib()
    # Many blocks below the mmap threshold: they come from the heap, which keeps them when freed.
    blocks = [bytearray(100_000) for _ in range(2000)]
    for b in blocks:
        b[::4096] = b"x" * len(b[::4096])
    assert rss_mib() > before + 150
    del blocks, b
    config.release_memory()
    assert rss_mib() < before + 50, sys.platform
