"""Tests of tools.bench: machine facts, copying the repo, timing builds, the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tools import bench
from utils import models
from utils.speed import setups

ROOT = Path(__file__).resolve().parent.parent


def test_machine_describes_where_and_when():
    m = bench.machine()
    assert m["cpu"] and isinstance(m["cpu"], str)
    assert m["logical_cores"] >= 1 and m["memory_gib"] > 0
    assert len(m["load_average_at_start"]) == 3
    assert m["versions"]["keras"] and m["versions"]["numpy"]
    assert m["date"].endswith("+00:00")
    json.dumps(m)  # JSON-able


def test_copy_for_build_copies_the_sources_only(tmp_path):
    copied = bench.copy_for_build(ROOT, tmp_path / "copy")
    assert "utils/speed/throughput.py" in copied and "_toc.yml" in copied and "Makefile" in copied
    assert not any(p.startswith((".venv/", "_build/", ".git/")) for p in copied)
    src, dst = ROOT / "Makefile", tmp_path / "copy" / "Makefile"
    assert dst.read_bytes() == src.read_bytes()
    # Modification times are kept, so `make` sees the copy as up to date.
    assert dst.stat().st_mtime == pytest.approx(src.stat().st_mtime, abs=1e-3)


def test_copy_for_build_without_git(tmp_path):
    root = tmp_path / "root"
    (root / "chapters").mkdir(parents=True)
    (root / "chapters" / "a.ipynb").write_text("{}")
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "python").write_text("")
    (root / "_build").mkdir()
    (root / "_build" / "x").write_text("")
    copied = bench.copy_for_build(root, tmp_path / "copy")
    assert copied == ["chapters/a.ipynb"]


def _notebook(path: Path, cells):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))


def test_prose_edit_appends_to_the_first_markdown_cell(tmp_path):
    nb = tmp_path / "n.ipynb"
    _notebook(nb, [{"cell_type": "code", "source": "x = 1"},
                   {"cell_type": "markdown", "source": ["# Title\n", "text"]},
                   {"cell_type": "markdown", "source": "other"}])
    bench.prose_edit(nb)
    cells = json.loads(nb.read_text())["cells"]
    assert cells[0]["source"] == "x = 1" and cells[2]["source"] == "other"
    assert cells[1]["source"].startswith("# Title\ntext\n\n") and "make bench" in cells[1]["source"]
    _notebook(nb, [{"cell_type": "code", "source": "x = 1"}])
    with pytest.raises(ValueError, match="no markdown cell"):
        bench.prose_edit(nb)


def test_time_book_builds_runs_twice_in_a_copy_and_never_touches_the_tree(tmp_path):
    root = tmp_path / "root"
    nb = root / "chapters" / "01_x.ipynb"
    _notebook(nb, [{"cell_type": "markdown", "source": "# X"}])
    before = nb.read_text()
    # The "build" records whether the edit is there, and where it ran.
    script = ("import pathlib, os; nb = pathlib.Path('chapters/01_x.ipynb').read_text();"
              "open('runs.log', 'a').write(str('make bench' in nb) + ' ' + os.getcwd() + '\\n')")
    out = bench.time_book_builds(root, command=[sys.executable, "-c", script],
                                 notebook="chapters/01_x.ipynb", keep=True)
    copy = Path(out["kept_copy"])
    try:
        assert out["cold_returncode"] == out["after_prose_edit_returncode"] == 0
        assert out["cold_seconds"] > 0 and out["after_prose_edit_seconds"] > 0
        runs = (copy / "runs.log").read_text().splitlines()
        assert [r.split()[0] for r in runs] == ["False", "True"]
        assert all(Path(r.split()[1]) == copy for r in runs)
        assert nb.read_text() == before and not (root / "runs.log").exists()
    finally:
        import shutil

        shutil.rmtree(copy.parent)


def test_time_book_builds_stops_after_a_failed_build_and_cleans_up(tmp_path):
    root = tmp_path / "root"
    _notebook(root / "chapters" / "01_x.ipynb", [{"cell_type": "markdown", "source": "# X"}])
    before = set(Path(tempfile.gettempdir()).glob("gru-book-bench-*"))
    out = bench.time_book_builds(root, command=[sys.executable, "-c", "raise SystemExit(3)"],
                                 notebook="chapters/01_x.ipynb")
    assert out["cold_returncode"] == 3 and "after_prose_edit_seconds" not in out
    assert set(Path(tempfile.gettempdir()).glob("gru-book-bench-*")) == before


def test_time_book_builds_refuses_a_stale_environment(tmp_path):
    root = tmp_path / "root"
    _notebook(root / "chapters" / "01_x.ipynb", [{"cell_type": "markdown", "source": "# X"}])
    (root / ".venv").mkdir()
    (root / ".venv" / ".installed").write_text("")
    (root / "requirements.txt").write_text("x==1\n")
    old = (root / ".venv" / ".installed").stat().st_mtime - 100
    os.utime(root / ".venv" / ".installed", (old, old))
    with pytest.raises(RuntimeError, match="make setup"):
        bench.time_book_builds(root, command=[sys.executable, "-c", "pass"],
                               notebook="chapters/01_x.ipynb")
    os.utime(root / ".venv" / ".installed", None)  # now newer than the pins: it runs
    out = bench.time_book_builds(root, command=[sys.executable, "-c", "pass"],
                                 notebook="chapters/01_x.ipynb")
    assert out["after_prose_edit_returncode"] == 0


def test_jax_python_reuses_an_installed_environment(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    (venv / ".gru-book-installed").write_text("jax")
    assert bench.jax_python(venv) == venv / "bin" / "python"


def test_jax_python_reports_a_failed_install(tmp_path, monkeypatch):
    def failing(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1, "", "no network")

    monkeypatch.setattr(bench.subprocess, "run", failing)
    with pytest.raises(RuntimeError, match="no network"):
        bench.jax_python(tmp_path / "venv")
    assert not (tmp_path / "venv").exists()
    monkeypatch.setattr(bench, "jax_python", lambda: (_ for _ in ()).throw(RuntimeError("x")))
    assert "could not be installed" in bench.bench_jax(repeats=1, n_reviews=8)["skipped"]


def _results():
    timing = {"min": 1.0, "median": 2.0, "max": 3.0}
    row = {"lever": "set-ups", "setting": "book's recipe",
           "tokens_per_second": {"min": 100.0, "median": 150.0, "max": 300.0},
           "gflops": {"min": 1.0, "median": 1.5, "max": 3.0}, "fraction_of_peak": 0.015,
           "padding_fraction": 0.02, "first_step_seconds": 1.2, "pass_seconds": timing}
    return {
        "machine": bench.machine(),
        "sections": {
            "throughput": {"peak_gflops": {"min": 90.0, "median": 95.0, "max": 100.0,
                                           "n": 1024},
                           "rows": [row], "speedup_book_over_seed": 3.5, "repeats": 5,
                           "recurrence": {"batch": 128, "units": 32, "steps": 500,
                                          "gflops": {"min": 13.0, "median": 14.0,
                                                     "max": 15.0},
                                          "fraction_of_peak": 0.15,
                                          "share_of_step_flops": 0.48, "target": 0.2,
                                          "rest_needed_for_target": 0.29},
                           "reviews_per_setting": 2048},
            "race": {"target": 0.8, "seeds": [1, 2, 3], "n_val": 1000, "eval_every": 512,
                     "rows": {},
                     "recipe_time_to_target_s": 12.5, "fastest_time_to_target_s": 9.25,
                     "fastest_config": "batches of 256", "table": "| set-up | x |"},
            "jax": {"skipped": "JAX could not be installed: offline"},
            "book": {"command": "make book", "cold_seconds": 1800.0, "cold_returncode": 0,
                     "after_prose_edit_seconds": 30.0, "after_prose_edit_returncode": 0},
            "broken": {"error": "RuntimeError: boom"},
        },
    }


def test_render_markdown_shows_every_section():
    md = bench.render_markdown(_results())
    assert md.startswith("# `make bench` results")
    assert "| set-ups | book's recipe | 100 / 150 / 300 | 1.50 | 1.5% | 2% | 1.2 |" in md
    assert "**3.50×** tokens/s" in md
    assert "on 1,000 validation reviews first reached 80%, evaluated every 512" in md
    assert "Book's recipe: **12.5 s** (median)" in md
    assert "fastest: batches of 256, **9.2 s**" in md and "| set-up | x |" in md
    assert "(128×32 by 32×96, 500 steps one after another, forward and backward, XLA): " \
        "15.0 GFLOP/s, **15.0% of the peak**" in md
    assert "would have to run at **29%** of the peak." in md
    assert "offline" in md
    assert "from an empty cache: 1800 s" in md and "prose edit: 30 s" in md
    assert "Sections that failed: broken" in md


def test_main_with_every_section_skipped_writes_both_files(tmp_path):
    assert bench.main(["--skip", *bench.SECTIONS, "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["sections"] == {} and data["machine"]["cpu"]
    assert (tmp_path / "results.md").read_text().startswith("# `make bench` results")
    with pytest.raises(SystemExit):
        bench.main(["--repeats", "0", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        bench.main(["--skip", "nothing"])


def test_recipe_against_peers_takes_the_fastest_other_row_of_the_run():
    def row(lever, setting, median, share=0.1):
        return {"lever": lever, "setting": setting, "fraction_of_peak": share,
                "tokens_per_second": {"min": median, "median": median, "max": median}}

    sections = {"throughput": {"rows": [row("set-ups", setups.NAIVE.label, 100.0),
                                        row("set-ups", setups.BOOK.label, 500.0, 0.12),
                                        row("XLA", "jit", 600.0)]},
                "jax": {"rows": [{"backend": "jax", "batches": "bucketed",
                                  "tokens_per_second": {"min": 1, "median": 550.0, "max": 1}}]}}
    got = bench.recipe_against_peers(sections)
    assert got["recipe_vs_fastest_peer"] == pytest.approx(500 / 600)
    assert got["fastest_peer"] == "XLA: jit" and got["recipe_share_of_peak"] == 0.12
    sections["throughput"]["rows"][2]["tokens_per_second"]["median"] = 400.0
    got = bench.recipe_against_peers(sections)
    assert got["fastest_peer"] == "backend: jax, bucketed"
    assert bench.recipe_against_peers({}) == {}


def test_recurrence_bound_follows_from_the_measured_rate(monkeypatch):
    from utils.speed import flops
    from utils.speed.timing import Timing

    # Recurrent products at 10 GFLOP/s against a peak of 100 (10 %).
    def fake_rate(batch, units, *, repeats):
        rate = flops.RecurrenceRate(batch, units, 500, Timing((1.0,)))
        return flops.RecurrenceRate(batch, units, 500, Timing((rate.flops / 10e9,)))

    monkeypatch.setattr(flops, "recurrence_rate", fake_rate)
    out = bench.recurrence_bound(100.0, repeats=1)
    part = 2 * 32 * 96 / flops.step_flops("gru", 32, 32)
    assert out["batch"] == 128 and out["fraction_of_peak"] == pytest.approx(0.10)
    assert out["share_of_step_flops"] == pytest.approx(part)
    # Time per unit of work at 20 %: 5; the recurrent part takes part / 0.1 of it.
    assert out["rest_needed_for_target"] == pytest.approx((1 - part) / (5 - part / 0.1))
    assert bench.recurrence_bound(100.0, repeats=1, target=0.5)["rest_needed_for_target"] \
        is None


def test_xla_by_model_pairs_each_model_without_and_with_xla():
    settings = bench.xla_by_model()
    assert len(settings) == 6 and len({s.key() for s in settings}) == 6
    for off, on in zip(settings[::2], settings[1::2]):
        # Each pair differs in XLA only, on the rounded batches, in a fresh process.
        assert {**off.model, "jit_compile": True} == on.model and not off.model["jit_compile"]
        assert off.recipe == on.recipe == setups.ROUNDED and off.isolated and on.isolated
    # The first model is the jit_compile lever's rounded setting: measured once, shared.
    chapter = setups.levers()["jit_compile"][2:]
    assert [s.key() for s in settings[:2]] == [s.key() for s in chapter]
    best = models.CONFIGS["best_candidate"]
    assert settings[4].model["bidirectional"] and settings[4].model["units"] == best.units
    assert settings[2].model["pooling"] == "mean"


def test_xla_gains_divide_with_by_without_and_are_no_peers_of_the_recipe():
    def row(setting, median, lever=bench.XLA_BY_MODEL):
        return {"lever": lever, "setting": setting, "fraction_of_peak": 0.1,
                "tokens_per_second": {"min": median, "median": median, "max": median}}

    rows = [row(setups.BOOK.label, 100.0, "set-ups"),
            row("a, b, jit_compile=False", 200.0), row("a, b, jit_compile=True", 500.0),
            row("c, jit_compile=False", 400.0), row("c, jit_compile=True", 100.0)]
    assert bench.xla_gains(rows) == {"a, b": 2.5, "c": 0.25}
    # Other models are not the recipe's peers: the only peer here would be none but these.
    rows.append(row("XLA", 150.0, "jit_compile"))
    got = bench.recipe_against_peers({"throughput": {"rows": rows}})
    assert got["fastest_peer"] == "jit_compile: XLA"
    results = _results()
    results["sections"]["throughput"]["xla_gain_by_model"] = {"a, b": 2.5, "c": 0.25}
    assert "by model: a, b **2.50×**; c **0.25×**." in bench.render_markdown(results)


def test_best_against_peers_compares_the_best_gru_with_its_own_configurations_only():
    def row(model, batches, backend, median, gflops=10.0):
        return {"model": model, "batches": batches, "backend": backend, "gflops": gflops,
                "first_step_seconds": 1.0,
                "tokens_per_second": {"min": median, "median": median, "max": median}}

    best, recipe = bench.BEST_MODEL, bench.RECIPE_BATCHES
    sections = {
        "throughput": {"peak_gflops": {"min": 50.0, "median": 80.0, "max": 100.0},
                       "rows": [{"lever": "set-ups", "setting": setups.BOOK.label,
                                 "fraction_of_peak": 0.05,
                                 "tokens_per_second": {"min": 1, "median": 500.0, "max": 1}}]},
        "jax": {"rows": [row("seed's GRU", recipe, "jax", 900.0),
                         row(best, recipe, "tensorflow", 200.0, gflops=25.0),
                         row(best, recipe, "tensorflow + XLA", 120.0),
                         row(best, "rounded", "jax", 160.0)]}}
    got = bench.recipe_against_peers(sections)
    # The seed's GRU is compared with the seed's rows; the best GRU with its own.
    assert got["recipe_vs_fastest_peer"] == pytest.approx(500 / 900)
    assert got["best_model"] == {"recipe_vs_fastest_peer": pytest.approx(200 / 160),
                                 "fastest_peer": "jax, rounded",
                                 "recipe_share_of_peak": pytest.approx(0.25)}
    results = _results()
    results["sections"]["jax"] = sections["jax"]
    results["best_model"] = got["best_model"]
    md = bench.render_markdown(results)
    assert f"| {best} | {recipe} | tensorflow | 200 / 200 / 200 | " in md
    assert "(jax, rounded): **1.25×**; recipe at **25.0%** of the peak." in md
    assert bench.best_against_peers({"jax": sections["jax"]}) == {}


def test_bench_race_records_the_medians_of_the_recipe_and_of_the_fastest(monkeypatch):
    from utils.speed import race

    def fake_race(contenders, target, seeds, **_):
        base = {"seed's set-up": 30.0, "book's recipe": 12.0, "batches of 256": 9.0,
                "recipe with XLA": None}
        return {label: race.Standing(label, tuple(
            race.Finish(seed=s, target=target, reviews=None, curve=(),
                        seconds=None if base[label] is None else base[label] + s)
            for s in seeds)) for label in contenders}

    monkeypatch.setattr(race, "race", fake_race)
    out = bench.bench_race(seeds=(1, 2, 3))
    assert (out["n_val"], out["eval_every"]) == (1000, 1000)
    assert out["recipe_time_to_target_s"] == 14.0
    assert (out["fastest_config"], out["fastest_time_to_target_s"]) == ("batches of 256", 11.0)
    assert out["rows"]["recipe with XLA"]["median"] is None
    assert "| batches of 256 | 10.0 | 11.0 | 12.0 | 11.0 |" in out["table"]
