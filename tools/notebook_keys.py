"""Which pages an edit makes stale: a key per page from the code it runs (``make html`` uses it).

jupyter-cache keys a notebook on its cells only, and Sphinx re-reads a page only when its source
file changed. An edit to a ``utils`` module would therefore leave every page as it was. This tool
gives each page of the book a key: a hash of the pins (``requirements.txt``), the page's own
source (a notebook's code cells only), the ``utils`` modules it imports (transitively, found
with :mod:`ast`: ``from utils import data`` and what ``utils/data.py`` imports in turn,
``utils/__init__.py`` always) and the keys of
the notebooks it quotes through cross-document glue (``{glue:text}`06_text_to_tensors.ipynb:x```).
A page whose key differs from the one saved after the last build is stale: its execution record is
removed from the jupyter-cache (so the notebook executes again) and its file's modification time
is set to now (so Sphinx reads it again). An edit to ``utils/speed/race.py`` thus re-executes
only the notebooks that import it (chapter 10), and the pages that quote them.

Two commands (``make html`` runs them around ``jupyter-book build``)::

    python -m tools.notebook_keys stale --book DIR --cache CACHE --state FILE [--pins FILE]
    python -m tools.notebook_keys save  --book DIR --state FILE [--pins FILE]
                                        [--cache CACHE --failed-log LOG]

``stale`` marks what changed since ``FILE`` was saved (everything if there is no ``FILE``) and
prints one line; ``save`` records the current keys after the build. After a failed build
(``--failed-log``: its log) it records only the pages that came out right: a notebook with an
execution record of its current cells, a markdown page, neither named in a warning or error line
of the log. The others are left out of ``FILE``, so the next build reads (and executes) exactly
them again: Sphinx keeps a page it read during a failed build, with its warnings, and would not
read it again by itself. A log that names no page keeps ``FILE`` as it was.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

#: The package every notebook imports.
PACKAGE = "utils"
#: Cross-document glue: ``{glue:text}`NN_name.ipynb:key```, and the other glue roles.
_QUOTED = re.compile(r"\{glue(?::\w+)?\}`([\w./-]+\.ipynb):")


def page_files(book: Path) -> list[Path]:
    """The book's pages, in the order of its ``_toc.yml`` (``root`` and every ``file``)."""
    import yaml

    entries: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            entries.extend(str(node[k]) for k in ("root", "file") if k in node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load((book / "_toc.yml").read_text(encoding="utf-8")))
    pages = []
    for entry in entries:
        found = [book / f"{entry}{suffix}" for suffix in ("", ".ipynb", ".md")
                 if (book / f"{entry}{suffix}").is_file()]
        pages.extend(found[:1])
    return pages


def module_file(book: Path, name: str) -> Path | None:
    """The source file of module ``name`` (``"utils.data"``) in ``book``, if it has one."""
    base = book.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(source: str, book: Path, package: str | None = None) -> set[str]:
    """The modules of :data:`PACKAGE` that ``source`` imports anywhere (also inside functions).

    ``package`` is the package of the module ``source`` belongs to, for relative imports.
    Returns names such as ``{"utils", "utils.data"}``.
    """
    found: set[str] = set()
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a notebook cell with IPython magics: fall back on the lines
        tree = ast.parse("\n".join(line for line in source.splitlines()
                                   if line.lstrip().startswith(("import ", "from "))))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level and package:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                parts = name.split(".")
                for k in range(1, len(parts) + 1):  # utils, utils.speed, utils.speed.race
                    if module_file(book, ".".join(parts[:k])) is not None:
                        found.add(".".join(parts[:k]))
    return found


def module_closure(start: set[str], book: Path) -> set[str]:
    """``start`` and every module of the package they import, transitively (the package's
    ``__init__`` too, which runs first; nothing for an empty ``start``)."""
    done: set[str] = set()
    todo = sorted(start | {PACKAGE}) if start else []
    while todo:
        name = todo.pop()
        if name in done:
            continue
        done.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:k]) for k in range(1, len(parts)))  # its packages run first
        file = module_file(book, name)
        package = name if file.name == "__init__.py" else name.rpartition(".")[0]
        todo.extend(imported_modules(file.read_text(encoding="utf-8"), book, package) - done)
    return done


def _code(page: Path) -> str:
    """A page's code: a notebook's code cells, or a markdown file's text."""
    if page.suffix != ".ipynb":
        return ""
    cells = json.loads(page.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def page_keys(book: Path, pins: Path = Path("requirements.txt")) -> dict[str, str]:
    """``{page path relative to book: key}`` for every page (see the module docstring);
    ``pins``: the requirements file of the environment that executes the book."""
    book = Path(book).resolve()
    pins = Path(pins).read_bytes()
    pages = page_files(book)
    own: dict[str, str] = {}
    quotes: dict[str, set[str]] = {}
    for page in pages:
        # A notebook executes its code cells only: an edit to its prose re-reads the page
        # (its file changed) but keeps its execution (jupyter-cache hashes code cells too).
        code = _code(page)
        h = hashlib.sha256(pins + (code.encode() if page.suffix == ".ipynb" else page.read_bytes()))
        for name in sorted(module_closure(imported_modules(code, book), book)):
            h.update(name.encode() + module_file(book, name).read_bytes())
        rel = page.relative_to(book).as_posix()
        own[rel] = h.hexdigest()
        text = page.read_text(encoding="utf-8")
        quotes[rel] = {(page.parent / q).resolve().relative_to(book).as_posix()
                       for q in _QUOTED.findall(text)}
    keys = {}
    for rel, key in own.items():  # a page that quotes a notebook changes with it
        h = hashlib.sha256(key.encode())
        for quoted in sorted(quotes[rel]):
            h.update(own.get(quoted, "missing").encode())
        keys[rel] = h.hexdigest()[:16]
    return keys


def mark_stale(book: Path, cache: Path, state: Path,
               pins: Path = Path("requirements.txt")) -> list[str]:
    """Mark every page whose key differs from ``state``'s: drop its execution record from the
    jupyter-cache at ``cache`` and set its modification time to now. Returns those pages."""
    import nbformat
    from jupyter_cache import get_cache

    book = Path(book).resolve()
    saved = json.loads(state.read_text()) if state.is_file() else {}
    keys = page_keys(book, pins)
    stale = [rel for rel, key in keys.items() if saved.get(rel) != key]
    records = get_cache(str(cache)) if stale and Path(cache).is_dir() else None
    for rel in stale:
        page = book / rel
        if records is not None and page.suffix == ".ipynb":
            try:
                record = records.match_cache_notebook(nbformat.read(page, as_version=4))
            except KeyError:  # never executed with these cells
                pass
            else:
                records.remove_cache(record.pk)
        os.utime(page)
    return stale


def named_in_log(log: str, pages: Sequence[str]) -> set[str]:
    """The pages (paths relative to the book, e.g. ``"chapters/08_x.ipynb"``) that a warning or
    error line of a build's ``log`` names, by path with or without its suffix."""
    lines = [line for line in log.splitlines() if re.search(r"WARNING|ERROR|Error", line)]
    named = set()
    for rel in pages:
        doc = re.escape(rel.rsplit(".", 1)[0])
        pattern = re.compile(rf"(?:^|[\s/\"'])(?:{doc})(?:\.ipynb|\.md)?(?=[\s:\"',]|$)")
        if any(pattern.search(line) for line in lines):
            named.add(rel)
    return named


def save(book: Path, state: Path, pins: Path = Path("requirements.txt"), *,
         cache: Path | None = None, failed_log: str | None = None) -> list[str]:
    """Record the current keys in ``state``. After a failed build (``failed_log``: its log, and
    ``cache``: the jupyter-cache), only those of the pages that came out right (see the module
    docstring); the others are dropped from ``state``. Returns the pages left to build again."""
    book = Path(book).resolve()
    keys = page_keys(book, pins)
    left: list[str] = []
    if failed_log is not None:
        import nbformat
        from jupyter_cache import get_cache

        named = named_in_log(failed_log, list(keys))
        if not named:  # a failure of no page in particular: keep the last build's keys
            saved = json.loads(state.read_text()) if state.is_file() else {}
            return [rel for rel, key in keys.items() if saved.get(rel) != key]
        records = get_cache(str(cache)) if cache is not None and Path(cache).is_dir() else None
        for rel in keys:
            executed = not rel.endswith(".ipynb")
            if not executed and records is not None:
                try:
                    records.match_cache_notebook(nbformat.read(book / rel, as_version=4))
                    executed = True
                except KeyError:
                    pass
            if rel in named or not executed:
                left.append(rel)
        keys = {rel: key for rel, key in keys.items() if rel not in left}
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps(keys, indent=1, sort_keys=True) + "\n")
    return left


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.notebook_keys", description=__doc__
                                     .split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    stale = sub.add_parser("stale", help="mark the pages whose key changed")
    stale.add_argument("--cache", type=Path, required=True)
    saving = sub.add_parser("save", help="record the keys of the pages the build made")
    saving.add_argument("--cache", type=Path, help="the jupyter-cache (with --failed-log)")
    saving.add_argument("--failed-log", type=Path, help="the log of a build that failed")
    for p in (stale, saving):
        p.add_argument("--book", type=Path, default=Path("."))
        p.add_argument("--state", type=Path, required=True)
        p.add_argument("--pins", type=Path, default=Path("requirements.txt"))
    args = parser.parse_args(argv)
    if args.command == "save":
        log = args.failed_log.read_text(errors="replace") if args.failed_log else None
        left = save(args.book, args.state, args.pins, cache=args.cache, failed_log=log)
        if log is not None:
            names = f" ({', '.join(Path(m).stem for m in left)})" if left else ""
            print(f"notebook keys: the build failed; {len(left)} "
                  f"page{'' if len(left) == 1 else 's'} to read and execute again next time"
                  + names)
        return 0
    marked = mark_stale(args.book, args.cache, args.state, args.pins)
    total = len(page_files(Path(args.book).resolve()))
    print(f"notebook keys: {len(marked)} of {total} pages to read and execute again"
          + (f" ({', '.join(Path(m).stem for m in marked)})" if 0 < len(marked) < total else ""))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
