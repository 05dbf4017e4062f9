"""Tests of utils.atomic."""

from pathlib import Path

import numpy as np
import pytest

from utils import atomic


def test_write_text_creates_folder_and_replaces(tmp_path):
    file = tmp_path / "sub" / "a.json"
    assert atomic.write_text(file, "one") == file
    atomic.write_text(file, "two")
    assert file.read_text() == "two"
    assert list(file.parent.iterdir()) == [file]  # no temporary file left


def test_write_keeps_the_suffix_for_writers_that_need_it(tmp_path):
    file = tmp_path / "x.val.npy"
    atomic.write(file, lambda tmp: np.save(tmp, np.arange(3)))
    np.testing.assert_array_equal(np.load(file), np.arange(3))
    z = tmp_path / "y.npz"
    atomic.write(z, lambda tmp: np.savez(tmp, a=np.ones(2)))
    with np.load(z) as f:
        np.testing.assert_array_equal(f["a"], np.ones(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.val.npy", "y.npz"]


def test_a_failed_write_leaves_the_old_file(tmp_path):
    file = tmp_path / "a.txt"
    file.write_text("old")

    def broken(tmp):
        Path(tmp).write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic.write(file, broken)
    assert file.read_text() == "old"
    assert list(tmp_path.iterdir()) == [file]


def test_bad_arguments():
    with pytest.raises(TypeError, match="path"):
        atomic.write(3, print)
    with pytest.raises(TypeError, match="writer"):
        atomic.write("a.txt", "not callable")
    with pytest.raises(TypeError, match="text"):
        atomic.write_text("a.txt", b"bytes")
