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
