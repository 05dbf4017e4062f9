"""Shared fixtures: the project root and the quick-mode HTML book.

The quick book takes about as long to build as the notebooks take to run under nbval, and the
two are independent, so the build starts in the background as soon as pytest has collected a
test that needs it (``pytest_collection_finish``). Meanwhile the notebooks run, from the last
chapter to the first so that they meet the build half way and each side reuses the models the
other has trained and cached (writes to those caches are atomic), then the unit tests. The
tests that read the book run last and wait for the build.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK_LOG = ROOT / "_build" / "quick" / "build.log"
_build: dict[str, subprocess.Popen] = {}


def _needs_book(item: pytest.Item) -> bool:
    return "quick_book" in getattr(item, "fixturenames", ())


def _chapter(item: pytest.Item) -> int:
    """The chapter number of a notebook's cell item (-1 for anything else)."""
    match = re.match(r"(\d+)_", item.path.name)
    return int(match.group(1)) if item.path.suffix == ".ipynb" and match else -1


def pytest_collection_modifyitems(session, config, items):
    # Stable sort: the notebooks from the last chapter to the first, then the unit tests (which
    # fill the time until the build is done), then the tests of the built book.
    items.sort(key=lambda item: (_needs_book(item), _chapter(item) < 0, -_chapter(item)))


def pytest_collection_finish(session):
    if not session.config.option.collectonly and any(map(_needs_book, session.items)):
        BOOK_LOG.parent.mkdir(parents=True, exist_ok=True)
        with open(BOOK_LOG, "w") as log:
            _build["proc"] = subprocess.Popen(
                ["make", "--no-print-directory", "html"], cwd=ROOT,
                env={**os.environ, "GRU_BOOK_QUICK": "1"},
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )


def pytest_sessionfinish(session, exitstatus):
    proc = _build.get("proc")
    if proc is not None and proc.poll() is None:  # interrupted before the book was needed
        os.killpg(proc.pid, 15)
        proc.wait()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def quick_book() -> Path:
    """Wait for the background quick-mode build (`make html`, warnings as errors) and return its
    html folder. The test session fails here, with the build log, if the build did not succeed.
    """
    proc = _build.get("proc")
    assert proc is not None, "the quick book build was not started at collection"
    returncode = proc.wait()
    if returncode != 0:
        pytest.fail(f"quick book build failed (exit {returncode}); log: {BOOK_LOG}\n"
                    + BOOK_LOG.read_text()[-6000:], pytrace=False)
    html = ROOT / "_build" / "quick" / "_build" / "html"
    assert (html / "index.html").is_file(), f"no index.html in {html}"
    return html
