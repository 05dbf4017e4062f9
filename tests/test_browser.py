"""The full HTML book in a real browser (Debian's headless Chromium, driven by Playwright).

``make check-book`` runs these tests on the book ``make book`` built (the ``built_book`` fixture,
tests/conftest.py; ``--book-html PATH`` reads another build). The book is served on 127.0.0.1 and
every page listed in ``_toc.yml`` is opened in Chromium. The tests then check what a reader would
see: no console errors, every image decoded, every equation typeset by MathJax, every internal
link and anchor resolving, the launch/download/repository/issue buttons built from
``repository.url``, and the search page finding "update gate". Then what a reader must not see,
each failure naming the page and the offending text: a table rendered as text (a paragraph that
starts with "|"), a table wider than its column with no horizontal scroll box, a machine path, a
traceback or a Python warning, a cell tagged for removal (or one calling ``glue``) on show, and a
number in Python's e-notation ("4e-19") in the prose. Screenshots of every page go to
``_build/screenshots/`` (the landing page, the gates chapter and the classifier chapter among
them, once those chapters are in the toc).

The machine may be offline, and a reader may open the book from disk without internet, so the
browser fetches nothing from the internet: every request to another host is aborted (with no
local substitute) and listed in ``_build/screenshots/report.json``, and only the console
messages *about those aborted requests* ("Failed to load resource: net::ERR_FAILED" located at
the aborted URL) are ignored. MathJax is shipped with the book (``_static/mathjax``, see
``_ext/book_html_fixes.py``), so every equation must still be typeset, and no page may ask
another host for a script, a style sheet or a font.

Chromium is ``/usr/bin/chromium``; where it is missing, the test installs it with
``apt-get install -y chromium`` (as CI does) and skips, with the reason, only when that is
impossible (not root, no apt-get, or the install failing).
"""

from __future__ import annotations

import contextlib
import functools
import html.parser
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.test_structure import toc_files

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SEARCH_QUERY = "update gate"
# Pages whose screenshots the issue asks for by name (taken when the page is in the toc).
NAMED_SCREENSHOTS = {"landing": "chapters/index", "gates": "gru_gates", "classifier": "classifier"}
TIMEOUT_MS = 60_000

# Text that must not survive in a page once MathJax has typeset it (outside code blocks).
RAW_MATH = ("$$", "\\(", "\\)", "\\[", "\\]", "\\begin{")

# JavaScript run in each page once it has loaded.
WAIT_FOR_MATHJAX = """async () => {
  // Pages with math set window.MathJax to a configuration object, which the MathJax script
  // (loaded with `defer`) replaces by the library: wait for it, then for its typesetting.
  if (!window.MathJax) return {mathjax: false};
  for (let i = 0; i < 200 && !(MathJax.startup && MathJax.startup.promise); i++)
    await new Promise(r => setTimeout(r, 50));
  if (!(MathJax.startup && MathJax.startup.promise)) return {mathjax: false};
  await MathJax.startup.promise;  // resolves once the initial typesetting is done
  return {mathjax: true, version: MathJax.version};
}"""
IMAGES = """async () => {
  const imgs = Array.from(document.images);
  for (const img of imgs) {
    img.loading = 'eager';
    if (!img.complete) await new Promise(r => {
      img.addEventListener('load', r); img.addEventListener('error', r); setTimeout(r, 10000);
    });
  }
  return imgs.map(i => ({src: i.currentSrc || i.src, width: i.naturalWidth}));
}"""
MATH = """() => {
  const math = Array.from(document.querySelectorAll('.math'));
  const skip = 'pre, code, script, style, mjx-container, .highlight, textarea';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const raw = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest(skip)) continue;
    raw.push(n.textContent);
  }
  return {
    total: math.length,
    untypeset: math.filter(m => !m.querySelector('mjx-container'))
                   .map(m => m.textContent.slice(0, 80)),
    errors: Array.from(document.querySelectorAll('mjx-merror, [data-mjx-error]'))
                 .map(e => e.getAttribute('data-mjx-error') || e.textContent),
    text: raw.join(' '),
  };
}"""
LINKS = "els => els.map(e => e.href)"

# What a reader reads, taken once the page is typeset and screenshotted: every collapsed block
# (<details>, e.g. a hidden output) is opened first, since a reader can open it.
READER = """() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main')
                  || document.body;
  for (const d of article.querySelectorAll('details')) d.open = true;
  const clip = s => s.replace(/\\s+/g, ' ').trim().slice(0, 160);
  const text = skip => {
    const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
    const parts = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (el.closest(skip) || !el.checkVisibility()) continue;
      parts.push(n.textContent);
    }
    return parts.join(' ');
  };
  const always = 'script, style, mjx-container, .mjx-assistive-mml';
  // A table wider than the article's column, with no box between them that scrolls sideways.
  const style = getComputedStyle(article);
  const column = article.clientWidth - parseFloat(style.paddingLeft)
                 - parseFloat(style.paddingRight);
  const wide = [];
  for (const table of article.querySelectorAll('table')) {
    if (!table.checkVisibility() || table.scrollWidth <= column + 1) continue;
    let scrolls = false;
    for (let el = table; el && el !== article; el = el.parentElement) {
      const overflow = getComputedStyle(el).overflowX;
      if ((overflow === 'auto' || overflow === 'scroll') && el.clientWidth <= column + 1) {
        scrolls = true;
        break;
      }
    }
    if (!scrolls)
      wide.push(`${table.scrollWidth} px in a ${column} px column: ${clip(table.innerText)}`);
  }
  // Cells whose tags say they are not for the reader, still shown.
  const tagged = [];
  const removed = [['remove-cell', null], ['remove-input', '.cell_input'],
                   ['remove-output', '.cell_output']];
  for (const [tag, part] of removed)
    for (const cell of article.querySelectorAll(`.tag_${tag}`)) {
      const shown = part ? cell.querySelector(part) : cell;
      if (shown) tagged.push(`${tag}: ${clip(shown.textContent)}`);
    }
  for (const input of article.querySelectorAll('.cell_input')) {
    if (input.checkVisibility() && !input.closest('details') && /\\bglue\\(/.test(input.innerText))
      tagged.push(`a shown cell calls glue (its checks belong in a remove-cell cell): ` +
                  clip(input.innerText));
  }
  return {
    pipes: Array.from(article.querySelectorAll('p')).map(p => p.innerText.trim())
                .filter(t => t.startsWith('|')).map(clip),
    wide: wide,
    tagged: tagged,
    all: text(always),
    shown: text(always + ', .cell_input, code.literal'),
    prose: text(always + ', pre, code, kbd, samp, .highlight, .cell_input'),
  };
}"""
# Matched in the page's text (all of it / outputs and prose / prose only).
MACHINE_TEXT = re.compile(
    r"/root/|/home/|/work/|/tmp/|site-packages|\.venv/|Traceback \(most recent call last\)")
WARNING_CLASS = re.compile(r"\b(?:User|Deprecation|Future|Runtime|Syntax)Warning\b")
E_NOTATION = re.compile(r"\b\d+(?:\.\d+)?[eE][+-]\d+\b")


def _found(pattern: re.Pattern, text: str, width: int = 60, most: int = 10) -> list[str]:
    """The matches of ``pattern`` in ``text``, each with ``width`` characters of context either
    side (a match inside the previous one's context is not repeated), at most ``most``."""
    found, shown_to = [], -1
    for match in pattern.finditer(text):
        if match.start() < shown_to:
            continue
        shown_to = match.end() + width
        found.append(" ".join(text[max(0, match.start() - width):shown_to].split()))
    return found[:most] + ([f"... and {len(found) - most} more"] if len(found) > most else [])


@dataclass
class PageReport:
    """What the browser saw on one page."""

    entry: str
    status: int | None = None
    console_errors: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    images: int = 0
    mathjax: dict = field(default_factory=dict)
    math_total: int = 0
    untypeset: list[str] = field(default_factory=list)
    math_errors: list[str] = field(default_factory=list)
    raw_math: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    screenshot: str = ""
    pipe_paragraphs: list[str] = field(default_factory=list)
    wide_tables: list[str] = field(default_factory=list)
    machine_text: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tagged_cells: list[str] = field(default_factory=list)
    e_notation: list[str] = field(default_factory=list)


@dataclass
class BrowserRun:
    html: Path
    base: str
    pages: dict[str, PageReport]
    blocked: list[str]
    needed_external: list[str]
    ignored_console: list[str]
    search_results: list[str]
    search_errors: list[str]
    screenshots: dict[str, str]


# ---------------------------------------------------------------------------------------------
# Chromium, the local server and the offline network
# ---------------------------------------------------------------------------------------------


def _ensure_chromium() -> Path:
    """Return Debian's Chromium, installing it with apt-get where it is missing."""
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        pytest.skip(f"BROWSER TEST SKIPPED: {CHROMIUM} is missing and cannot be installed here "
                    f"(apt-get: {apt}, root: {os.geteuid() == 0}); run "
                    "`sudo apt-get install -y chromium` to enable it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log = []
    for cmd in ([apt, "install", "-y", "-q", "chromium"], [apt, "update", "-q"],
                [apt, "install", "-y", "-q", "chromium"]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        log.append(f"$ {' '.join(cmd)} -> {proc.returncode}\n{(proc.stdout + proc.stderr)[-1500:]}")
        if CHROMIUM.exists():
            return CHROMIUM
    pytest.skip("BROWSER TEST SKIPPED: `apt-get install -y chromium` failed, so there is no "
                "browser to test with:\n" + "\n".join(log))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port); yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def served_book(built_book) -> Iterator[tuple[Path, str]]:
    with serve(built_book.html) as base:
        yield built_book.html, base


def _route_offline(context, base: str, blocked: list[str], needed: list[str]) -> None:
    """Serve the book from 127.0.0.1 and abort everything else (listed in ``blocked``; the
    scripts, style sheets and fonts among them also in ``needed``)."""

    def handle(route):
        url = route.request.url
        if url.startswith(base) or url.startswith("data:"):
            return route.continue_()
        blocked.append(url)
        if route.request.resource_type in ("script", "stylesheet", "font"):
            needed.append(f"{route.request.resource_type}: {url}")
        return route.abort()

    context.route("**/*", handle)


# ---------------------------------------------------------------------------------------------
# Visiting the pages
# ---------------------------------------------------------------------------------------------


def _screenshot_names(entries: list[str]) -> dict[str, str]:
    """Map each page to its screenshot's file stem (the named ones get their names too)."""
    names = {entry: Path(entry).name for entry in entries}
    for label, pattern in NAMED_SCREENSHOTS.items():
        for entry in entries:
            if pattern in entry:
                names[entry] = f"{label}-{Path(entry).name}"
                break
    return names


def visit_book(html: Path, base: str, entries: list[str], chromium: Path,
               shots: Path = SCREENSHOTS) -> BrowserRun:
    """Open every page in ``entries`` (toc entries such as ``chapters/index``) and the search."""
    from playwright.sync_api import sync_playwright

    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    blocked: list[str] = []
    needed: list[str] = []
    ignored: list[str] = []
    search_errors: list[str] = []
    pages: dict[str, PageReport] = {}
    names = _screenshot_names(entries)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS,
                                     headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        _route_offline(context, base, blocked, needed)
        for entry in entries:
            report = PageReport(entry)
            page = context.new_page()

            def on_console(msg, report=report):
                if msg.type != "error":
                    return
                where = (msg.location or {}).get("url", "")
                text = f"{msg.text} (at {where})"
                if where in blocked and msg.text.startswith("Failed to load resource"):
                    ignored.append(text)
                else:
                    report.console_errors.append(text)

            page.on("console", on_console)
            page.on("pageerror", lambda exc, report=report:
                    report.console_errors.append(f"uncaught: {exc}"))
            response = page.goto(base + entry + ".html", wait_until="load")
            report.status = response.status if response else None
            report.mathjax = page.evaluate(WAIT_FOR_MATHJAX)
            images = page.evaluate(IMAGES)
            report.images = len(images)
            report.broken_images = [i["src"] for i in images if not i["width"]]
            math = page.evaluate(MATH)
            report.math_total = math["total"]
            report.untypeset = math["untypeset"]
            report.math_errors = math["errors"]
            report.raw_math = [m for m in RAW_MATH if m in math["text"]]
            report.links = page.eval_on_selector_all("a[href]", LINKS)
            page.wait_for_timeout(300)  # let late console messages arrive
            file = shots / f"{names[entry]}.png"
            page.screenshot(path=str(file), full_page=entry == NAMED_SCREENSHOTS["landing"])
            report.screenshot = str(file)
            if names[entry] != Path(entry).name:  # a named page: show its first equation
                display = page.locator("mjx-container[display='true']").first
                if display.count():
                    display.scroll_into_view_if_needed()
                    page.screenshot(path=str(shots / f"{names[entry]}-equation.png"))
            read = page.evaluate(READER)
            report.pipe_paragraphs = read["pipes"]
            report.wide_tables = read["wide"]
            report.tagged_cells = read["tagged"]
            report.machine_text = _found(MACHINE_TEXT, read["all"])
            report.warnings = _found(WARNING_CLASS, read["shown"])
            report.e_notation = _found(E_NOTATION, read["prose"], width=40)
            page.close()
            pages[entry] = report

        search = context.new_page()

        def on_search_console(msg):
            if msg.type == "error":
                search_errors.append(f"{msg.text} (at {(msg.location or {}).get('url', '')})")

        search.on("console", on_search_console)
        search.on("pageerror", lambda exc: search_errors.append(f"uncaught: {exc}"))
        search.goto(base + "search.html?q=" + urllib.parse.quote(SEARCH_QUERY))
        search.wait_for_function(
            "() => { const s = document.querySelector('#search-results .search-summary');"
            " return s && /found|did not match/i.test(s.textContent); }")
        results = search.eval_on_selector_all("#search-results ul.search li a", LINKS)
        search.screenshot(path=str(shots / "search.png"))
        browser.close()

    run = BrowserRun(html, base, pages, blocked, needed, ignored, results, search_errors,
                     {e: pages[e].screenshot for e in entries})
    (shots / "report.json").write_text(json.dumps({
        "pages": {e: vars(r) | {"links": len(r.links)} for e, r in pages.items()},
        "blocked_external_requests": sorted(set(blocked)),
        "blocked_scripts_styles_fonts": sorted(set(needed)),
        "ignored_console_errors": ignored,
        "search": {"query": SEARCH_QUERY, "results": results, "console_errors": search_errors},
    }, indent=2))
    return run


@pytest.fixture(scope="module")
def browser_run(served_book) -> BrowserRun:
    html, base = served_book
    chromium = _ensure_chromium()
    return visit_book(html, base, toc_files(), chromium)


# ---------------------------------------------------------------------------------------------
# Link checking (static: every target file exists, every #fragment is an id or name in it)
# ---------------------------------------------------------------------------------------------


class _Anchors(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.anchors: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.anchors.add(value)


@functools.cache
def _anchors(file: Path) -> frozenset[str]:
    parser = _Anchors()
    parser.feed(file.read_text(errors="replace"))
    return frozenset(parser.anchors)


def broken_links(run: BrowserRun) -> list[str]:
    problems = []
    for entry, report in run.pages.items():
        for href in report.links:
            if not href.startswith(run.base):
                continue
            parts = urllib.parse.urlsplit(href)
            rel = urllib.parse.unquote(parts.path[len(urllib.parse.urlsplit(run.base).path):])
            target = run.html / rel
            if rel == "" or rel.endswith("/"):
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{entry}: {href} -> no file {target.relative_to(run.html)}")
                continue
            fragment = urllib.parse.unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in _anchors(target):
                problems.append(f"{entry}: {href} -> no anchor #{fragment}")
    return sorted(set(problems))


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------

pytestmark = pytest.mark.book


def test_every_page_loads_without_console_errors(browser_run):
    assert browser_run.pages, "no pages visited"
    bad = {e: r.status for e, r in browser_run.pages.items() if r.status != 200}
    assert not bad, f"pages that did not load: {bad}"
    errors = {e: r.console_errors for e, r in browser_run.pages.items() if r.console_errors}
    assert not errors, json.dumps(errors, indent=2)


def test_no_page_needs_another_host(browser_run):
    """Opened from disk without internet, the book reads the same: it ships every script,
    style sheet and font it uses (MathJax included)."""
    assert not browser_run.needed_external, browser_run.needed_external


def test_every_image_is_decoded(browser_run):
    broken = {e: r.broken_images for e, r in browser_run.pages.items() if r.broken_images}
    assert not broken, json.dumps(broken, indent=2)
    assert sum(r.images for r in browser_run.pages.values()) > 0, "no <img> on any page"


def test_mathjax_typeset_every_equation(browser_run):
    pages = browser_run.pages.values()
    assert any(r.math_total for r in pages), "no equations found in the book"
    for r in pages:
        if r.math_total:
            assert r.mathjax.get("mathjax"), f"{r.entry}: has math but MathJax did not load"
            assert r.mathjax.get("version", "").startswith("3."), r.mathjax
        assert not r.untypeset, f"{r.entry}: equations left untypeset: {r.untypeset}"
        assert not r.math_errors, f"{r.entry}: MathJax errors: {r.math_errors}"
        assert not r.raw_math, f"{r.entry}: raw TeX delimiters left in the text: {r.raw_math}"


def test_every_internal_link_and_anchor_resolves(browser_run):
    internal = sum(h.startswith(browser_run.base) for r in browser_run.pages.values()
                   for h in r.links)
    assert internal > 0, "no internal links found"
    problems = broken_links(browser_run)
    assert not problems, "\n".join(problems)


def test_search_finds_update_gate(browser_run):
    results = browser_run.search_results
    assert not browser_run.search_errors, browser_run.search_errors
    assert results, f"the search page found nothing for {SEARCH_QUERY!r}"
    assert any("chapters/glossary.html" in r for r in results), results


def test_launch_download_repository_and_issue_buttons(browser_run):
    """Notebook pages carry buttons built from the one `repository.url` in _config.yml."""
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    url, branch = cfg["repository"]["url"].rstrip("/"), cfg["repository"]["branch"]
    org_repo = urllib.parse.urlsplit(url).path.strip("/")
    notebooks = [e for e in browser_run.pages if (ROOT / f"{e}.ipynb").is_file()]
    assert notebooks, "no notebook pages in the toc"
    for entry in notebooks:
        links = browser_run.pages[entry].links
        binder = (f"{cfg['launch_buttons']['binderhub_url'].rstrip('/')}/v2/gh/{org_repo}/"
                  f"{branch}?urlpath=lab/tree/{entry}.ipynb")
        assert binder in links, f"{entry}: no Binder button {binder}"
        assert any(h.endswith(f"_sources/{entry}.ipynb") for h in links), \
            f"{entry}: no .ipynb download button"
        assert url in links, f"{entry}: no repository button"
        assert any(h.startswith(f"{url}/issues/new") for h in links), f"{entry}: no issue button"
        assert not any("colab.research.google.com" in h for h in links), \
            f"{entry}: a Colab button, but notebooks cannot install utils there (see README)"


def _by_page(run: BrowserRun, attribute: str) -> str:
    """The pages where ``attribute`` of the report is not empty, each with what was found."""
    found = {e: getattr(r, attribute) for e, r in run.pages.items() if getattr(r, attribute)}
    return "\n".join(f"{entry}:\n" + "\n".join(f"    {item}" for item in items)
                     for entry, items in found.items())


def test_no_table_renders_as_text(browser_run):
    """A markdown table made by a code cell is a <table>, not a paragraph of pipes."""
    found = _by_page(browser_run, "pipe_paragraphs")
    assert not found, f"paragraphs that start with a table pipe:\n{found}"


def test_wide_tables_scroll_in_their_own_box(browser_run):
    found = _by_page(browser_run, "wide_tables")
    assert not found, f"tables wider than the page's column, with no scroll box:\n{found}"


def test_no_page_shows_machine_paths_or_tracebacks(browser_run):
    found = _by_page(browser_run, "machine_text")
    assert not found, f"machine paths or tracebacks on show:\n{found}"


def test_no_page_shows_a_python_warning(browser_run):
    """Outputs and prose name no warning class (code the reader is shown may, and so may an
    inline code literal in the prose)."""
    found = _by_page(browser_run, "warnings")
    assert not found, f"Python warnings on show:\n{found}"


def test_no_cell_meant_to_be_hidden_is_shown(browser_run):
    found = _by_page(browser_run, "tagged_cells")
    assert not found, f"cells tagged for removal, or holding glue calls, on show:\n{found}"


def test_numbers_in_prose_are_written_for_people(browser_run):
    """No "4e-19" or "2e+06" outside code: utils.prose writes "4 × 10⁻¹⁹" and "2 million"."""
    found = _by_page(browser_run, "e_notation")
    assert not found, f"numbers in e-notation in the prose:\n{found}"


def test_screenshots_were_saved(browser_run):
    for entry, file in browser_run.screenshots.items():
        assert Path(file).is_file() and Path(file).stat().st_size > 10_000, \
            f"{entry}: no (or an empty) screenshot at {file}"
    assert (SCREENSHOTS / "landing-index.png").is_file()
    for label, pattern in NAMED_SCREENSHOTS.items():
        entries = [e for e in browser_run.pages if pattern in e]
        if entries:
            stem = f"{label}-{Path(entries[0]).name}"
            assert (SCREENSHOTS / f"{stem}.png").is_file(), f"no screenshot {stem}.png"


FROM_DISK = """async () => {
  for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise);
       i++) await new Promise(r => setTimeout(r, 50));
  if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) return {mathjax: false};
  await MathJax.startup.promise;
  await document.fonts.ready;
  return {
    mathjax: true,
    typeset: document.querySelectorAll('.math mjx-container').length,
    untypeset: Array.from(document.querySelectorAll('.math'))
                    .filter(m => !m.querySelector('mjx-container')).length,
    fonts: Array.from(document.fonts).filter(f => f.status === 'loaded')
                .map(f => f.family),
  };
}"""


def test_a_page_opened_from_disk_reads_offline(built_book):
    """What a reader without internet gets from ``_build/html``: a chapter opened as a file
    (``file://``, no server), every other request aborted, its equations typeset in MathJax's
    own fonts, and no console error."""
    from playwright.sync_api import sync_playwright

    chromium = _ensure_chromium()
    page_file = next(built_book.html.glob("chapters/04_*.html"))
    blocked: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS,
                                     headless=True)
        context = browser.new_context()
        context.set_default_timeout(TIMEOUT_MS)

        def handle(route):
            url = route.request.url
            if url.startswith(("file:", "data:")):
                return route.continue_()
            blocked.append(url)
            return route.abort()

        context.route("**/*", handle)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(page_file.as_uri())
        seen = page.evaluate(FROM_DISK)
        browser.close()
    assert seen["mathjax"], "MathJax did not load from disk"
    assert seen["typeset"] > 10 and seen["untypeset"] == 0, seen
    assert "MJXTEX" in seen["fonts"], seen["fonts"]
    assert not blocked, blocked
    assert not errors, errors


# ---------------------------------------------------------------------------------------------
# The live GRU (chapter 11): the page's JavaScript against Keras, opened from disk
# ---------------------------------------------------------------------------------------------

LIVE_PAGE = "chapters/11_a_live_gru"
LIVE_REPORT = SCREENSHOTS / "live_gru.json"
# Marks that HTML typed into the box was parsed as HTML (it never may be).
XSS_REVIEW = ('<script>alert(1)</script> <b id="bold">bold</b> '
              '<img src="x" onerror="window.__xss = 1; alert(2)"> &amp; a good film')
LIVE_REVIEWS = [
    "A wonderful film. The acting is superb and the story moved me to tears.",
    "not bad at all",
    "Not GOOD<br />not funny<BR/>and<br>boring<br  /  >... <br\t/>really",
    "don't 'quote' me, it's rock'n'roll '' isn't it' - ''twas 'n' so",
    "Café, naïve, Straße, ÉCOLE, ΟΔΟΣ, İstanbul, 東京, résumé: a movie",
    "🎬🍿 great 👍 film 😡 awful 👨‍👩‍👧 ok",
    "",
    "   \n\t  ",
    "!!! ... ???",
    XSS_REVIEW,
    "7/10 ... 10/10!!! a-b c_d e.f 1,000 2nd",
]
JS_RESULT = """() => {
  const c = window.liveGru.current;
  const spans = Array.from(document.querySelectorAll('#live-gru .lg-word'));
  return {ids: c.ids, words: c.words, cut: c.cut, p: Array.from(c.p),
          z: Array.from(c.z), r: Array.from(c.r), h: Array.from(c.h),
          shown: Number(document.querySelector('#live-gru .lg-verdict').dataset.p),
          spans: spans.map(s => s.textContent),
          oov: spans.filter(s => s.classList.contains('lg-oov')).length};
}"""


def _live_model(book):
    """The exported file in the book, and the Keras end-to-end model it came from."""
    from utils import live, models

    exported = live.read_live_model(book.html / "_static" / live.MODEL_FILE)
    source = book.artefacts / "models" / exported.settings["source"]
    return exported, models.load_end_to_end(source)


def _keras_reference(end_to_end, reviews):
    """Ids, P(positive) and the z, r, h of utils.gru.forward for each review."""
    from utils import gru, live, models

    classifier = end_to_end.get_layer("sentiment")
    table = classifier.get_layer("embedding").get_weights()[0]
    layer = classifier.get_layer("rnn_1")
    ids = live.keras_ids(end_to_end, reviews)
    probs = models.predict_sentiment(reviews, end_to_end)
    traces = [gru.forward(layer, table[i][None]) for i in ids]
    return ids, probs, traces


def _time_keystrokes(page, n: int) -> dict[str, float]:
    """Median and max ms from a keydown in the box to the page's updated prediction (DOM
    written), and to the next animation frame (about when it is painted)."""
    page.evaluate("""() => document.querySelector('#live-gru textarea').addEventListener(
        'keydown', e => { window.__keydown = e.timeStamp; })""")
    page.focus("#live-gru textarea")
    page.keyboard.press("End")
    done, frame = [], []
    for k in range(n):
        page.evaluate("() => { window.__keydown = null; }")
        page.keyboard.press("Backspace" if k % 2 else "e")
        t = page.wait_for_function("""() => {
            const t = window.liveGru.timing;
            return window.__keydown !== null && t && t.event >= window.__keydown && t.frame
                && {done: t.end - window.__keydown, frame: t.frame - window.__keydown};
        }""").json_value()
        done.append(t["done"])
        frame.append(t["frame"])
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    return {"median_ms": med(done), "max_ms": max(done), "median_to_frame_ms": med(frame)}


def test_live_gru_page_matches_keras_offline(built_book):
    """The live page, opened from disk (file://, no network), computes what Keras computes.

    For reviews with punctuation, <br />, apostrophes, non-ASCII text, emoji, HTML and script,
    an empty box and 100,000 characters: the page's ids are the Keras vectoriser's, its z, r and
    h are utils.gru.forward's and its P(positive) is predict_sentiment's, to 1e-4; typed HTML
    stays text. Then the time from a keystroke to the updated prediction on a 500-word review.
    """
    from playwright.sync_api import sync_playwright

    from utils import data, live

    chromium = _ensure_chromium()
    page_file = built_book.html / f"{LIVE_PAGE}.html"
    shipped = built_book.html / "_static" / live.MODEL_FILE
    assert shipped.is_file() and (built_book.html / "_static" / live.SCRIPT.name).is_file()
    assert shipped.read_bytes() == (built_book.artefacts / "live" / live.MODEL_FILE
                                    ).read_bytes(), "the book ships the notebook's export"
    exported, end_to_end = _live_model(built_book)
    maxlen = exported.settings["maxlen"]
    long_review = ("It was fine, I guess? " * 5_000)[:100_000]
    reviews = [*LIVE_REVIEWS, long_review]
    ids, probs, traces = _keras_reference(end_to_end, reviews)

    words = exported.vocabulary
    review_500 = " ".join(words[(37 * i) % 3_000] for i in range(500))
    errors, dialogs, requests = [], [], []
    worst = {"p": 0.0, "z": 0.0, "r": 0.0, "h": 0.0}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS,
                                     headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)

        def offline(route):  # the book's files only: anything else would be the network
            if route.request.url.startswith(("file:", "data:")):
                return route.continue_()
            requests.append(route.request.url)
            return route.abort()

        context.route("**/*", offline)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(page_file.as_uri(), wait_until="load")
        page.wait_for_function("() => window.liveGru && window.liveGru.current")
        first = page.evaluate(JS_RESULT)
        assert first["words"][0] == "[start]" and first["spans"] == first["words"]
        buttons = page.locator("#live-gru .lg-examples button")
        assert buttons.count() == len(exported.settings["examples"]) >= 3

        for k, review in enumerate(reviews):
            page.fill("#live-gru textarea", review)  # sets the text, fires "input"
            got = page.evaluate(JS_RESULT)
            name = f"review {k} {review[:40]!r}"
            assert got["ids"] == ids[k].tolist(), name
            assert got["spans"] == got["words"] and len(got["words"]) == len(ids[k]), name
            assert got["oov"] == int(np.sum(ids[k] == 2)), name
            assert got["cut"] == max(0, len(data.tokenize(review)) + 1 - maxlen), name
            diff_p = abs(got["shown"] - float(probs[k]))
            assert abs(got["p"][-1] - got["shown"]) == 0.0, name
            assert diff_p < 1e-4, (name, got["shown"], float(probs[k]))
            worst["p"] = max(worst["p"], diff_p)
            for gate in ("z", "r", "h"):
                want = getattr(traces[k], gate)[0]
                diff = float(np.abs(np.reshape(got[gate], want.shape) - want).max())
                assert diff < 1e-4, (name, gate, diff)
                worst[gate] = max(worst[gate], diff)
            if review == XSS_REVIEW:
                assert page.locator("#live-gru script, #live-gru img, #bold").count() == 0
                assert "script" in got["words"] and "alert" in got["words"]
        assert page.evaluate("() => window.__xss") is None, "typed HTML was run"
        assert not dialogs, f"typed script ran: {dialogs}"

        page.locator("#live-gru .lg-examples button").nth(2).click()
        assert page.input_value("#live-gru textarea") == exported.settings["examples"][2]
        page.screenshot(path=str(SCREENSHOTS / "live-gru.png"), full_page=False)

        page.fill("#live-gru textarea", review_500)
        as_built = _time_keystrokes(page, 21)
        page.evaluate("() => { window.liveGru.model.maxlen = 500; }")  # the full book's
        page.fill("#live-gru textarea", review_500)
        assert len(page.evaluate(JS_RESULT)["ids"]) == 500
        full_length = _time_keystrokes(page, 21)
        browser.close()

    assert not errors, errors
    report = {"model_file_bytes": shipped.stat().st_size, "maxlen_as_built": maxlen,
              "blocked_requests": sorted(set(requests)),
              "largest_difference_to_keras": worst, "reviews": len(reviews),
              "keystroke_500_words_as_built": as_built,
              "keystroke_500_words_500_steps": full_length}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    LIVE_REPORT.write_text(json.dumps(report, indent=2))
    print("live GRU:", json.dumps(report))
    # A wide margin (a shared 2-core machine); the target, 50 ms, is reported, not asserted.
    assert full_length["median_ms"] < 1_000, full_length
