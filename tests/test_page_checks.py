"""The browser test's checks of what a reader sees (tests/test_browser.py), on a sample page that
has one of each defect and one of each thing that is fine, so that `make test` proves that the
checks find what they look for, without a built book."""

from __future__ import annotations

import pytest

from tests.test_browser import (
    E_NOTATION,
    LAUNCH_ARGS,
    MACHINE_TEXT,
    READER,
    WARNING_CLASS,
    _ensure_chromium,
    _found,
)

SAMPLE = """<!doctype html><html><body style="margin:0">
<article class="bd-article" style="width:600px; padding:0 20px">
<p>| model | accuracy |</p>
<p>A sentence about a | b.</p>
<div style="overflow-x:auto"><table style="width:900px"><tr><td>scrolls</td></tr></table></div>
<table style="width:900px"><tr><td>too wide</td></tr></table>
<table style="width:600px"><tr><td>fits the column</td></tr></table>
<div class="cell tag_remove-input"><div class="cell_input"><pre>x = 1</pre></div></div>
<div class="cell"><div class="cell_input"><pre>glue("shown", 1)</pre></div></div>
<div class="cell tag_hide-input"><details><summary>Show code</summary>
  <div class="cell_input"><pre>glue("hidden", 2)</pre></div></details></div>
<div class="cell">
  <div class="cell_input"><pre>warnings.simplefilter("error", UserWarning)</pre></div>
  <div class="cell_output"><pre>/work/main/.venv/lib/x.py:1: UserWarning: careful</pre></div></div>
<p>Some words between the two, so that each is reported on its own; some more words here.</p>
<details><summary>More</summary><pre>Traceback (most recent call last)</pre></details>
<p>The prose names a <code class="literal">DeprecationWarning</code> and says 4e-19 and
2.5e+06, but not <code>1e-05</code> (code), 1,000 or 3.5 GHz.</p>
<div style="display:none">/home/nobody</div>
</article></body></html>"""


@pytest.mark.timeout(120)
def test_reader_checks_find_each_defect_on_a_sample_page():
    from playwright.sync_api import sync_playwright

    chromium = _ensure_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS,
                                     headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_content(SAMPLE)
        read = page.evaluate(READER)
        browser.close()

    assert read["pipes"] == ["| model | accuracy |"]
    assert len(read["wide"]) == 1 and read["wide"][0].endswith("too wide"), read["wide"]
    assert read["wide"][0].startswith("900 px in a 600 px column"), read["wide"]
    assert [t.split(":")[0] for t in read["tagged"]] == [
        "remove-input", "a shown cell calls glue (its checks belong in a remove-cell cell)"]
    assert read["tagged"][1].endswith('glue("shown", 1)')

    machine = _found(MACHINE_TEXT, read["all"])
    assert len(machine) == 2, machine  # the path (once), the traceback in a collapsed block
    assert "/work/main/.venv/lib/x.py" in machine[0]
    assert "More Traceback (most recent call last)" in machine[1]
    assert "/home/nobody" not in read["all"]  # not displayed

    warnings = _found(WARNING_CLASS, read["shown"], width=10)
    assert len(warnings) == 1 and "UserWarning: careful" in warnings[0], warnings
    assert [m.group() for m in E_NOTATION.finditer(read["prose"])] == ["4e-19", "2.5e+06"]


def test_found_reports_each_place_once():
    text = "a /tmp/x and /tmp/y " + "." * 200 + " /tmp/z"
    found = _found(MACHINE_TEXT, text, width=20)
    assert len(found) == 2 and found[0].startswith("a /tmp/x") and found[1].endswith("/tmp/z")
    assert _found(MACHINE_TEXT, "/tmp/a " * 40, width=0, most=3)[-1] == "... and 37 more"
