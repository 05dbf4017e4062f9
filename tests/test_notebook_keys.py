"""Tests of tools.notebook_keys: a page's key follows exactly the code it runs."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from tools import notebook_keys


def _notebook(path: Path, code: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Page"), nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, path)


@pytest.fixture
def book(tmp_path):
    """A scratch book: a imports b (absolute), b imports c (relative); d is imported by none."""
    (tmp_path / "requirements.txt").write_text("numpy==2.0\n")
    pkg = tmp_path / "utils"
    (pkg / "speed").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from utils import b\n    return b\n")
    (pkg / "b.py").write_text("from . import c\n")
    (pkg / "c.py").write_text("X = 1\n")
    (pkg / "d.py").write_text("X = 1\n")
    (pkg / "speed" / "__init__.py").write_text("")
    (pkg / "speed" / "race.py").write_text("from ..c import X\n")
    (tmp_path / "chapters").mkdir()
    _notebook(tmp_path / "chapters" / "01_uses_a.ipynb", "import numpy\nfrom utils import a")
    _notebook(tmp_path / "chapters" / "02_uses_race.ipynb", "from utils.speed import race")
    _notebook(tmp_path / "chapters" / "03_uses_none.ipynb", "%env X=1\nimport math")
    (tmp_path / "chapters" / "index.md").write_text(
        "# Book\n{glue:text}`01_uses_a.ipynb:value` words\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: chapters/index\nchapters:\n  - file: chapters/01_uses_a\n"
        "  - file: chapters/02_uses_race\n  - file: chapters/03_uses_none\n")
    return tmp_path


def _keys(book: Path) -> dict[str, str]:
    return notebook_keys.page_keys(book, book / "requirements.txt")


def _changed(book: Path, edit) -> set[str]:
    before = _keys(book)
    edit()
    after = _keys(book)
    return {Path(p).stem for p in before if before[p] != after[p]}


def test_pages_follow_the_toc(book):
    assert [p.name for p in notebook_keys.page_files(book)] == [
        "index.md", "01_uses_a.ipynb", "02_uses_race.ipynb", "03_uses_none.ipynb"]


def test_imports_are_followed_transitively(book):
    code = notebook_keys._code(book / "chapters" / "01_uses_a.ipynb")
    found = notebook_keys.imported_modules(code, book)
    assert found == {"utils", "utils.a"}
    assert notebook_keys.module_closure(found, book) == {"utils", "utils.a", "utils.b",
                                                         "utils.c"}
    race = notebook_keys.module_closure({"utils.speed.race"}, book)
    assert race == {"utils", "utils.speed", "utils.speed.race", "utils.c"}
    assert notebook_keys.module_closure(set(), book) == set()


def test_an_edit_changes_the_pages_that_run_it_and_those_that_quote_them(book):
    pkg = book / "utils"
    # c is imported by b (imported by a, inside a function) and by speed.race (relatively)
    assert _changed(book, lambda: (pkg / "c.py").write_text("X = 2\n")) == {
        "01_uses_a", "02_uses_race", "index"}
    assert _changed(book, lambda: (pkg / "d.py").write_text("X = 2\n")) == set()
    assert _changed(book, lambda: (pkg / "speed" / "race.py").write_text("Y = 1\n")) == {
        "02_uses_race"}
    assert _changed(book, lambda: (pkg / "__init__.py").write_text("# doc\n")) == {
        "01_uses_a", "02_uses_race", "index"}
    assert _changed(book, lambda: _notebook(book / "chapters" / "03_uses_none.ipynb",
                                            "import math\n")) == {"03_uses_none"}
    assert len(_changed(book, lambda: (book / "requirements.txt").write_text("x==1\n"))) == 4


def test_an_edit_to_a_notebooks_prose_executes_nothing_again(book):
    page = book / "chapters" / "03_uses_none.ipynb"

    def edit_prose():
        nb = nbformat.read(page, as_version=4)
        nb.cells[0].source = "# Page, reworded"
        nbformat.write(nb, page)

    assert _changed(book, edit_prose) == set()
    (book / "chapters" / "index.md").write_text("# Book, reworded\n")
    assert _changed(book, lambda: (book / "chapters" / "index.md").write_text("# Again\n")) == {
        "index"}


def test_mark_stale_drops_execution_records_and_touches_pages(book, tmp_path_factory):
    from jupyter_cache import get_cache

    cache_dir = tmp_path_factory.mktemp("cache")
    cache = get_cache(str(cache_dir))
    pages = {name: book / "chapters" / f"{name}.ipynb"
             for name in ("01_uses_a", "02_uses_race", "03_uses_none")}
    for page in pages.values():
        cache.cache_notebook_file(page, check_validity=False)
    state = book / "_build" / "keys.json"
    pins = book / "requirements.txt"
    # no saved state: every page is stale
    assert len(notebook_keys.mark_stale(book, cache_dir, state, pins)) == 4
    for page in pages.values():
        cache.cache_notebook_file(page, check_validity=False)
        os.utime(page, (1, 1))
    notebook_keys.save(book, state, pins)
    assert notebook_keys.mark_stale(book, cache_dir, state, pins) == []
    (book / "utils" / "speed" / "race.py").write_text("Y = 2\n")
    assert notebook_keys.mark_stale(book, cache_dir, state, pins) == [
        "chapters/02_uses_race.ipynb"]
    with pytest.raises(KeyError):
        cache.match_cache_file(pages["02_uses_race"])
    assert pages["02_uses_race"].stat().st_mtime > 1
    for name in ("01_uses_a", "03_uses_none"):
        cache.match_cache_file(pages[name])  # kept
        assert pages[name].stat().st_mtime == 1


def test_the_log_of_a_failed_build_names_its_pages():
    pages = ["chapters/index.md", "chapters/01_uses_a.ipynb", "chapters/02_uses_race.ipynb"]
    log = ("reading sources... [ 50%] chapters/02_uses_race\n"
           "/b/chapters/01_uses_a.ipynb:40002: WARNING: Glue key 'x' not found. [mystnb.glue]\n"
           "/b/chapters/genindex.md: WARNING: unrelated\n")
    assert notebook_keys.named_in_log(log, pages) == {"chapters/01_uses_a.ipynb"}
    assert notebook_keys.named_in_log("ERROR: chapters/index failed\n", pages) == {
        "chapters/index.md"}


def test_after_a_failed_build_only_the_pages_that_came_out_right_are_saved(
        book, tmp_path_factory):
    from jupyter_cache import get_cache

    cache_dir = tmp_path_factory.mktemp("cache")
    cache = get_cache(str(cache_dir))
    for name in ("01_uses_a", "03_uses_none"):  # 02 failed to execute: no record
        cache.cache_notebook_file(book / "chapters" / f"{name}.ipynb", check_validity=False)
    state = book / "_build" / "keys.json"
    pins = book / "requirements.txt"
    log = "/b/chapters/03_uses_none.ipynb:3: WARNING: Glue key 'x' not found.\n"
    left = notebook_keys.save(book, state, pins, cache=cache_dir, failed_log=log)
    assert sorted(left) == ["chapters/02_uses_race.ipynb", "chapters/03_uses_none.ipynb"]
    assert sorted(notebook_keys.mark_stale(book, cache_dir, state, pins)) == sorted(left)
    # a log that names no page keeps the state as it was
    state.unlink()
    assert len(notebook_keys.save(book, state, pins, cache=cache_dir,
                                  failed_log="ERROR: out of disk\n")) == 4
    assert not state.exists()
