"""The book itself: the quick-mode HTML build (warnings are errors) and its execution cache."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.test_structure import toc_files

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.book
def test_quick_book_builds_every_page(quick_book):
    for entry in toc_files():
        page = quick_book / f"{entry}.html"
        assert page.is_file(), f"no HTML page for {entry}"
        text = page.read_text()
        assert "Traceback (most recent call last)" not in text or "raises-exception" in text, \
            f"{entry} shows an unexpected traceback"


@pytest.mark.book
def test_quick_book_records_metrics(quick_book):
    metrics = ROOT / "_build" / "quick" / "metrics"
    files = sorted(metrics.glob("*.json"))
    assert files, f"no metrics recorded in {metrics}"
    for file in files:
        assert json.loads(file.read_text()), f"{file} is empty"
    # The headline numbers of the IMDB chapters (issue 11), by the notebook that records them.
    expected = {
        "07_gru_sentiment_classifier": {"imdb_val_train_movie_overlap",
                                        "imdb_seed_gru_test_accuracy"},
        "09_better_models_and_baselines": {
            "imdb_best_gru_test_accuracy", "imdb_best_gru_test_accuracy_sd",
            "imdb_nbsvm_test_accuracy", "imdb_ensemble_test_accuracy",
            "imdb_bow_bigram_test_accuracy"},
    }
    for notebook, names in expected.items():
        recorded = json.loads((metrics / f"{notebook}.json").read_text())
        assert names <= set(recorded), (notebook, names - set(recorded))
    assert json.loads((metrics / "07_gru_sentiment_classifier.json").read_text())[
        "imdb_val_train_movie_overlap"] == 0


def _cache_key() -> str:
    return subprocess.run(["make", "-s", "cache-key"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_cache_key_changes_with_utils(tmp_path):
    """jupyter-cache keys on cells only; the Makefile keys its folder on utils/ and the pins."""
    before = _cache_key()
    assert len(before) == 16
    probe = ROOT / "utils" / "_cache_key_probe.py"
    try:
        probe.write_text("# a one-line edit to utils/\n")
        assert _cache_key() != before
    finally:
        probe.unlink()
    assert _cache_key() == before
