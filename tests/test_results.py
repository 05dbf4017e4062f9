"""Tests of utils.results: recorded numbers land in the right JSON file, per mode."""

import json

import numpy as np
import pytest

from utils import config, results


@pytest.fixture
def build(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "build_dir", lambda: tmp_path / "_build")
    return tmp_path / "_build"


def test_record_writes_and_merges(build):
    assert results.record("01_intro", "accuracy", np.float32(0.875), glue=False) == 0.875
    results.record("01_intro", "count", np.int64(3), glue=False)
    results.record("01_intro", "best", "gru", glue=False)
    saved = json.loads((build / "metrics" / "01_intro.json").read_text())
    assert saved == {"accuracy": 0.875, "count": 3, "best": "gru"}
    assert isinstance(saved["count"], int)
    assert results.load_metrics("01_intro") == saved
    assert results.load_metrics() == {"01_intro": saved}
    assert not list((build / "metrics").glob(".*")), "temporary files left behind"


def test_record_overwrites_a_name(build):
    results.record("nb", "x", 1, glue=False)
    results.record("nb", "x", 2, glue=False)
    assert results.load_metrics("nb") == {"x": 2}


def test_quick_mode_writes_elsewhere(monkeypatch):
    monkeypatch.setenv("GRU_BOOK_QUICK", "1")
    quick = results.metrics_dir()
    monkeypatch.setenv("GRU_BOOK_QUICK", "0")
    assert quick != results.metrics_dir() and quick.parent.name == "quick"


@pytest.mark.parametrize(
    ("notebook", "name", "value", "error", "match"),
    [
        ("01 intro", "x", 1, ValueError, "notebook must be"),
        ("nb", "Bad-Name", 1, ValueError, "name must be"),
        ("nb", "x", [1, 2], TypeError, "value must be a number"),
        ("nb", "x", float("nan"), ValueError, "finite"),
        (3, "x", 1, ValueError, "notebook must be"),
    ],
)
def test_record_rejects_bad_input(build, notebook, name, value, error, match):
    with pytest.raises(error, match=match):
        results.record(notebook, name, value, glue=False)


def test_load_missing_notebook(build):
    with pytest.raises(FileNotFoundError, match="no metrics recorded"):
        results.load_metrics("nothing")


def test_record_glues(build, monkeypatch):
    glued = {}
    import myst_nb

    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: glued.update({name: value}))
    results.record("nb", "acc", 0.9)
    assert glued == {"acc": 0.9}
