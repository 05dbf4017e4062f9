"""`make html` never publishes a stale page: an edit to a utils module re-executes exactly the
notebooks that import it.

jupyter-cache keys a notebook on its cells, and Sphinx re-reads a page only when its file changed;
the ``html`` target therefore runs :mod:`tools.notebook_keys`, which marks the pages whose code
changed. This test proves it on a scratch book of two notebooks, one printing a value from a small
local ``utils`` module and one importing nothing from it, built with the Makefile's own ``html``
target (``BOOK_DIR``), in a few seconds per build.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from utils import config

ROOT = Path(__file__).resolve().parent.parent
PRINTED = re.compile(r"probe value: (\w+)")


def _scratch_book(folder: Path) -> None:
    (folder / "utils").mkdir(parents=True)
    (folder / "utils" / "__init__.py").write_text("")
    (folder / "utils" / "other.py").write_text("VALUE = 'other'\n")
    (folder / "_config.yml").write_text(
        "title: Scratch\nexecute:\n  execute_notebooks: cache\n  raise_on_error: true\n")
    (folder / "_toc.yml").write_text("format: jb-book\nroot: probe\nchapters:\n"
                                     "  - file: other\n")
    for name, module in (("probe", "probe"), ("other", "other")):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {name.title()}"),
                    nbformat.v4.new_code_cell(f"from utils import {module}\n\n"
                                              f'print("{module} value:", {module}.VALUE)')]
        nbformat.write(nb, folder / f"{name}.ipynb")


def _set_value(folder: Path, value: str) -> None:
    (folder / "utils" / "probe.py").write_text(f"VALUE = {value!r}\n")


def _make_html(folder: Path) -> tuple[int, str]:
    proc = subprocess.run(["make", "--no-print-directory", "html", f"BOOK_DIR={folder}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    return proc.returncode, proc.stdout + proc.stderr


def _build(folder: Path) -> tuple[str, str]:
    """`make html BOOK_DIR=folder`; return the build's log and the page's printed value."""
    status, log = _make_html(folder)
    assert status == 0, f"make html failed:\n{log[-4000:]}"
    out = folder / "_build" / "quick" if config.is_quick() else folder
    page = (out / "_build" / "html" / "probe.html").read_text()
    printed = PRINTED.findall(page)
    assert len(printed) == 1, f"expected one printed value in the page, found {printed}"
    return log, printed[0]


def _executed(log: str) -> list[str]:
    """The notebooks myst-nb executed in a build (from its log)."""
    return sorted(set(re.findall(r"(\w+)\.ipynb: Executing notebook", log)))


def _require_setup() -> None:
    if subprocess.run(["make", "-q", ".venv/.installed"], cwd=ROOT).returncode != 0:
        pytest.fail("the virtual environment is out of date: run `make setup` first",
                    pytrace=False)


@pytest.mark.timeout(300)
def test_an_edit_to_utils_re_executes_the_notebooks_that_import_it(tmp_path):
    _require_setup()
    _scratch_book(tmp_path)
    _set_value(tmp_path, "first")
    log, value = _build(tmp_path)
    assert value == "first", log[-3000:]
    assert _executed(log) == ["other", "probe"], log[-3000:]

    _set_value(tmp_path, "second")
    log, value = _build(tmp_path)
    assert "1 of 2 pages to read and execute again (probe)" in log, log[-3000:]
    assert _executed(log) == ["probe"], log[-3000:]
    assert value == "second", f"the page kept the value from before the edit:\n{log[-3000:]}"

    log, value = _build(tmp_path)  # nothing changed: nothing is read or executed again
    assert value == "second"
    assert _executed(log) == [] and "no targets are out of date" in log, log[-3000:]


@pytest.mark.timeout(300)
def test_after_a_failed_build_only_the_failed_page_executes_again(tmp_path):
    _require_setup()
    _scratch_book(tmp_path)
    (tmp_path / "utils" / "probe.py").write_text("raise RuntimeError('broken probe')\n")
    status, log = _make_html(tmp_path)  # the first build: "other" executes, "probe" fails
    assert status != 0, log[-3000:]
    assert "1 page to read and execute again next time (probe)" in log, log[-3000:]
    _set_value(tmp_path, "mended")
    log, value = _build(tmp_path)
    assert _executed(log) == ["probe"], log[-3000:]
    assert value == "mended"
