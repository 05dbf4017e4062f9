"""A Sphinx extension with one fix for the book's HTML (loaded by ``sphinx.local_extensions``).

Sphinx 7.4 lists an inline script twice when an extension adds it with ``app.add_js_file(None,
body=...)`` once the HTML builder exists: once from the extension registry (with file name
``''``) and once from the builder (with file name ``None``), so the two copies do not compare
equal. sphinx-thebe's inline script declares ``const THEBE_JS_URL``, and its second copy stops
with "SyntaxError: Identifier 'THEBE_JS_URL' has already been declared" in the console of every
page. This keeps the first copy of each script. tests/test_browser.py checks the console.
"""

from __future__ import annotations


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


def setup(app):
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
