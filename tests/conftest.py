"""Shared fixtures: the project root and the built book.

``make test`` runs the unit tests, every notebook under nbval (quick mode) and the structure
checks; it builds no book. The tests of the book (marked ``book``) read the full book that
``make book`` built, the one readers read: ``make check-book`` runs them after ``make book``.
``--book-html PATH`` points them at another build's html folder (e.g. the quick book,
``_build/quick/_build/html``, while developing a check).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Book:
    """A built book: its pages, what its notebooks wrote, and the cache they executed through."""

    html: Path       # the HTML pages (index.html, chapters/*.html, _static/)
    artefacts: Path  # utils.config.build_dir() of that build: metrics/, models/, live/
    cache: Path      # the jupyter-cache folder the build executed the notebooks through


def pytest_addoption(parser):
    parser.addoption("--book-html", metavar="PATH", default=None,
                     help="html folder of the built book that the `book` tests read "
                          "(default: the full book, _build/html)")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_book(request) -> Book:
    """The built book (default: the full book in ``_build/html``); the test fails, saying to
    run ``make book``, where it has not been built."""
    option = request.config.getoption("--book-html")
    html = Path(option).resolve() if option else ROOT / "_build" / "html"
    if not (html / "index.html").is_file():
        pytest.fail(f"no built book at {html} (no index.html): run `make book` first",
                    pytrace=False)
    # jupyter-book writes html/ and .jupyter_cache/ under <path-output>/_build; the notebooks
    # write metrics/ to utils.config.build_dir(): _build in full mode (the same folder),
    # _build/quick in quick mode (the path-output itself).
    artefacts = next((d for d in (html.parent, html.parent.parent) if (d / "metrics").is_dir()),
                     html.parent)
    return Book(html=html, artefacts=artefacts, cache=html.parent / ".jupyter_cache")
