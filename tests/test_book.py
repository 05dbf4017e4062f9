"""The built book (``make book``; ``make check-book`` runs these): every page, the metrics its
notebooks recorded, and each chapter's stated running time against the time it took to execute.
Also, without a built book: the jupyter-cache key follows utils/."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache

from tests.test_structure import toc_files

ROOT = Path(__file__).resolve().parent.parent

# The sentence each chapter's opening carries, e.g. "This chapter runs in about 12 minutes in full
# mode on 2 CPU cores; ..." or "... runs in under a minute in full mode ...".
STATED_TIME = re.compile(r"runs in (?:about (\d+) minutes?|(under a minute)) in full mode")


def chapter_notebooks() -> list[str]:
    return [entry for entry in toc_files() if (ROOT / f"{entry}.ipynb").is_file()]


@pytest.mark.book
def test_book_has_every_page(built_book):
    missing = [e for e in toc_files() if not (built_book.html / f"{e}.html").is_file()]
    assert not missing, f"no HTML page in {built_book.html} for {missing}"


@pytest.mark.book
def test_book_records_metrics(built_book):
    metrics = built_book.artefacts / "metrics"
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
            "imdb_bow_bigram_test_accuracy", "imdb_gru_ablation_test_accuracy",
            "imdb_order_probe_items", "imdb_order_probe_gru_minus_ngrams"},
    }
    for notebook, names in expected.items():
        recorded = json.loads((metrics / f"{notebook}.json").read_text())
        assert names <= set(recorded), (notebook, names - set(recorded))
    assert json.loads((metrics / "07_gru_sentiment_classifier.json").read_text())[
        "imdb_val_train_movie_overlap"] == 0


def opening_text(page: Path) -> str:
    """The text of a page from its title (h1) to its first section heading (h2), as read."""
    source = page.read_text()
    start = source.find("<h1", max(0, source.find('class="bd-article"')))  # not the print header
    end = source.find("<h2", start)
    text = re.sub(r"<[^>]+>", " ", source[start:end if end > 0 else len(source)])
    return " ".join(html.unescape(text).split())


def stated_minutes(text: str) -> tuple[str, float | None]:
    """The running-time sentence in ``text`` and its minutes (None for "under a minute")."""
    match = STATED_TIME.search(text)
    if match is None:
        raise ValueError("no sentence 'runs in about N minutes in full mode' "
                         "(or 'runs in under a minute in full mode')")
    return match.group(0), None if match.group(2) else float(match.group(1))


def time_is_plausible(stated: float | None, measured: float) -> bool:
    """A wide margin (a shared or slower machine): "about N minutes" holds for N/4 - 1 to 3N + 2
    measured minutes, "under a minute" for at most 3."""
    if stated is None:
        return measured <= 3
    return stated / 4 - 1 <= measured <= 3 * stated + 2


def test_stated_time_margin():
    assert time_is_plausible(None, 2.5) and not time_is_plausible(None, 3.5)
    assert time_is_plausible(10, 2) and time_is_plausible(10, 31.9)
    assert not time_is_plausible(10, 1) and not time_is_plausible(10, 33)
    assert stated_minutes("This chapter runs in about 12 minutes in full mode on 2 cores") == (
        "runs in about 12 minutes in full mode", 12.0)
    assert stated_minutes("It runs in under a minute in full mode.")[1] is None
    with pytest.raises(ValueError):
        stated_minutes("This chapter runs quickly.")


@pytest.mark.book
def test_each_chapter_states_its_running_time(built_book):
    """Each chapter's opening says how long it runs in full mode; the time the build measured
    (jupyter-cache's record of the current notebook) agrees within a wide margin."""
    cache = get_cache(str(built_book.cache))
    problems = []
    for entry in chapter_notebooks():
        page = built_book.html / f"{entry}.html"
        try:
            sentence, stated = stated_minutes(opening_text(page))
        except ValueError as exc:
            problems.append(f"{entry}: the opening (before the first section) has {exc}")
            continue
        try:
            record = cache.match_cache_notebook(nbformat.read(ROOT / f"{entry}.ipynb", 4))
        except KeyError:
            problems.append(f"{entry}: no execution of the current notebook in "
                            f"{built_book.cache}: run `make book`")
            continue
        measured = record.data["execution_seconds"] / 60
        if not time_is_plausible(stated, measured):
            problems.append(f"{entry}: says '{sentence}', but executed in {measured:.1f} minutes")
    assert not problems, "\n".join(problems)
