"""Tests of utils.fresh_process: a worker run in a new interpreter, its JSON result back."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from utils import fresh_process


def _echo(spec: dict) -> dict:
    """A worker: what it was given, the data file's sum and the process it ran in."""
    with np.load(spec["data"]) as f:
        total = int(f["a"].sum())
    return {"spec": spec["value"], "total": total, "pid": os.getpid(),
            "env": os.environ.get("GRU_BOOK_TEST_ENV")}


def test_run_round_trip_in_a_new_process(monkeypatch):
    from utils import config

    released = []
    monkeypatch.setattr(config, "release_memory", lambda: released.append(True))
    out = fresh_process.run(
        "tests.test_fresh_process", {"value": [1, "a"]},
        files={"data": lambda path: np.savez(path, a=np.arange(5))},
        env={"GRU_BOOK_TEST_ENV": "set"}, timeout=120)
    assert out["spec"] == [1, "a"] and out["total"] == 10 and out["env"] == "set"
    assert out["pid"] != os.getpid()
    assert released, "the caller's freed memory goes back before the second process starts"


def test_run_reports_a_failing_process():
    with pytest.raises(RuntimeError, match="failed"):
        fresh_process.run("utils.no_such_module", {}, timeout=120)


def test_serve(tmp_path: Path, capsys):
    assert fresh_process.serve(_echo, []) == 2
    assert "usage" in capsys.readouterr().err
    np.savez(tmp_path / "d.npz", a=np.ones(3))
    spec = tmp_path / "spec.json"
    spec.write_text('{"value": 7, "data": "%s"}' % (tmp_path / "d.npz"))
    assert fresh_process.serve(_echo, [str(spec)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(fresh_process.RESULT) and '"total": 3' in line


if __name__ == "__main__":  # run by test_run_round_trip_in_a_new_process
    sys.exit(fresh_process.serve(_echo))
