"""Tests of utils.tables."""

from __future__ import annotations

import pytest

from utils import tables


def test_markdown_table_formats_and_aligns():
    text = tables.markdown_table(["model", "accuracy", "params"],
                                 [["GRU", 0.8766, 1234], ["a|b", None, 5]],
                                 ["{}", "{:.1%}", "{:,}"])
    assert text.splitlines() == [
        "| model | accuracy | params |",
        "|---|---:|---:|",
        "| GRU | 87.7% | 1,234 |",
        "| a\\|b | – | 5 |",
    ]


def test_markdown_table_escapes_markup_outside_code_spans():
    """HTML would swallow ``<lambda>`` as a tag; a code span shows its text as it is."""
    text = tables.markdown_table(
        ["a <b>", "code"],
        [["activation is <lambda>, not tanh", "`x<y`"],
         ["R&D > 2\nlines", "`a|b` and <i>"]])
    assert text.splitlines() == [
        "| a \\<b\\> | code |",
        "|---|---|",
        "| activation is \\<lambda\\>, not tanh | `x<y` |",
        "| R\\&D \\> 2 lines | `a\\|b` and \\<i\\> |",
    ]


def test_markdown_table_renders_as_a_table_with_the_text_kept():
    """markdown-it with tables (the parser under MyST, which renders the notebooks' Markdown
    outputs: ``nb_render_markdown_format: myst``) makes a table whose cells read as the values
    did."""
    from markdown_it import MarkdownIt

    text = tables.markdown_table(["layer", "why not"],
                                 [["GRU", "activation is <lambda>, not tanh"], ["x|y", None]])
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert html.count("<tr>") == 3
    assert "<td>activation is &lt;lambda&gt;, not tanh</td>" in html
    assert "<td>x|y</td>" in html


def test_markdown_table_default_formats():
    assert tables.markdown_table(["a"], [[1], ["x"]]).splitlines()[2:] == ["| 1 |", "| x |"]


@pytest.mark.parametrize("headers, rows, formats, match", [
    ([], [], None, "headers"),
    (["a", "b"], [[1]], None, "row 0"),
    (["a"], ["x"], None, "row 0"),
    (["a"], [[1]], ["{}", "{}"], "formats"),
])
def test_markdown_table_rejects_bad_shapes(headers, rows, formats, match):
    with pytest.raises(ValueError, match=match):
        tables.markdown_table(headers, rows, formats)
