"""A Sphinx extension with the book's HTML fixes (loaded by ``sphinx.local_extensions``).

1. **Duplicated inline scripts.** Sphinx 7.4 lists an inline script twice when an extension adds
   it with ``app.add_js_file(None, body=...)`` once the HTML builder exists: once from the
   extension registry (with file name ``''``) and once from the builder (with file name
   ``None``), so the two copies do not compare equal. sphinx-thebe's inline script declares
   ``const THEBE_JS_URL``, and its second copy stops with "SyntaxError: Identifier
   'THEBE_JS_URL' has already been declared" in the console of every page. This keeps the first
   copy of each script.
2. **MathJax shipped with the book.** Sphinx loads MathJax 3 from a CDN by default, so a reader
   who opens ``_build/html/index.html`` without internet sees raw LaTeX. The book ships MathJax
   3.2.2 (the release ``mathjax@3`` serves; the pinned PyPI package ``django-static-mathjax``)
   in ``_static/mathjax/`` and points ``mathjax_path`` there. Only the CommonHTML output is
   copied (the book never asks for SVG output or the single-file "full" bundles).
3. **Tables that fit.** ``chapters/_static/book_html_fixes.css`` (loaded on every page): a table
   wider than the text column scrolls inside its own box, its first column is not squeezed to
   one word a line, and numbers do not wrap. (That code cells' Markdown tables are tables at all
   is ``nb_render_markdown_format: myst`` in ``_config.yml``.)

tests/test_browser.py checks the console, and blocks every request to another host.
"""

from __future__ import annotations

import shutil
from pathlib import Path

#: Where the pages load MathJax from, relative to the build's ``_static`` folder.
MATHJAX_PATH = "mathjax/tex-mml-chtml.js"
# Parts of MathJax's es5 folder the book never loads (SVG output, other single-file bundles).
_MATHJAX_UNUSED = ("*svg*", "tex-chtml-full*.js", "tex-chtml.js", "mml-chtml.js",
                   "node-main.js", "latest.js")
#: The book's style sheet, copied into the build's ``_static`` and linked from every page.
CSS_FILE = Path(__file__).resolve().parent.parent / "chapters" / "_static" / "book_html_fixes.css"


def mathjax_dir() -> Path:
    """MathJax 3's ``es5`` folder inside the pinned ``django-static-mathjax`` package."""
    import mathjax  # django-static-mathjax

    folder = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (folder / "tex-mml-chtml.js").is_file():
        raise FileNotFoundError(f"no MathJax 3 in {folder}: is django-static-mathjax installed?")
    return folder


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated entries of the page's ``script_files`` (same file or body, same attributes)."""
    seen = set()
    unique = []
    for script in context.get("script_files", []):
        key = (getattr(script, "filename", script) or "",
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def use_local_mathjax(app, config) -> None:
    """Point the pages at the MathJax copied into ``_static`` (see :func:`copy_mathjax`)."""
    mathjax_dir()  # fail early, with the reason, if it is missing
    config.mathjax_path = MATHJAX_PATH


def copy_mathjax(app, exception) -> None:
    """Copy MathJax into the HTML build's ``_static/mathjax`` once the build succeeded."""
    if exception is not None or app.builder.format != "html":
        return
    dest = Path(app.outdir) / "_static" / Path(MATHJAX_PATH).parent
    shutil.copytree(mathjax_dir(), dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(*_MATHJAX_UNUSED))


def copy_css(app, exception) -> None:
    """Copy :data:`CSS_FILE` into the HTML build's ``_static`` once the build succeeded."""
    if exception is not None or app.builder.format != "html":
        return
    shutil.copyfile(CSS_FILE, Path(app.outdir) / "_static" / CSS_FILE.name)


def setup(app):
    if not CSS_FILE.is_file():
        raise FileNotFoundError(f"the book's style sheet {CSS_FILE} is missing")
    app.add_css_file(CSS_FILE.name)
    app.connect("build-finished", copy_css)
    app.connect("config-inited", use_local_mathjax)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
