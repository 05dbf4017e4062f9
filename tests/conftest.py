"""Shared fixtures: the project root and the quick-mode HTML book (built once per session)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def quick_book() -> Path:
    """Build the book in quick mode with warnings as errors (`make html`); return its html folder.

    The test session fails here, with the build log, if the build does not succeed.
    """
    env = {**os.environ, "GRU_BOOK_QUICK": "1"}
    proc = subprocess.run(
        ["make", "--no-print-directory", "html"], cwd=ROOT, env=env,
        capture_output=True, text=True,
    )
    log = ROOT / "_build" / "quick" / "build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        pytest.fail(f"quick book build failed (exit {proc.returncode}); log: {log}\n"
                    + (proc.stdout + proc.stderr)[-6000:], pytrace=False)
    html = ROOT / "_build" / "quick" / "_build" / "html"
    assert (html / "index.html").is_file(), f"no index.html in {html}"
    return html
