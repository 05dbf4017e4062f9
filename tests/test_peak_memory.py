"""Tests of tools.peak_memory: the process-tree sampler, matching kernels to notebooks, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import psutil
import pytest

from tools import peak_memory as pm

pytestmark = pytest.mark.skipif(not psutil.LINUX, reason="PSS needs Linux")

MIB = 2**20
# A child that holds `n` MiB resident (bytes written, so the pages are real) until killed.
HOLD = ("import sys, time; b = bytearray(int(sys.argv[1]) * 2**20);"
        " b[::4096] = b'x' * len(b[::4096]); print('ready', flush=True); time.sleep(60)")
# A child that writes `n` MiB, then forks: parent and grandchild share those pages
# (copy-on-write) until killed.
FORK = ("import os, sys, time; b = bytearray(int(sys.argv[1]) * 2**20);"
        " b[::4096] = b'x' * len(b[::4096]); pid = os.fork();"
        " pid and print('ready', flush=True); time.sleep(60)")


def _start(code: str, mib: int, *extra: str) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", code, str(mib), *extra],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    return child


def _hold(mib: int, *extra: str) -> subprocess.Popen:
    return _start(HOLD, mib, *extra)


def _stop(child: subprocess.Popen) -> None:
    for proc in pm.tree(child.pid, include_root=False):
        proc.kill()
    child.kill()
    child.wait()


def test_tree_memory_counts_a_child_that_allocates_100_mib():
    me = os.getpid()
    rss0, pss0 = pm.tree_memory(me)
    assert 10 * MIB < pss0 <= rss0
    assert pm.tree(me, include_root=False) == []
    child = _hold(100)
    try:
        assert [p.pid for p in pm.tree(me, include_root=False)] == [child.pid]
        assert pm.tree(me)[0].pid == me
        rss1, pss1 = pm.tree_memory(me)
        # The child adds its 100 MiB plus a Python interpreter (~10-30 MiB).
        assert 100 * MIB < rss1 - rss0 < 160 * MIB
        assert 100 * MIB < pss1 - pss0 < 160 * MIB
        assert pss1 <= rss1
        alone = pm.tree_memory(me, include_root=False)
        child_rss, child_pss = pm.memory([psutil.Process(child.pid)])
        assert alone[0] == pytest.approx(child_rss, abs=MIB)
        assert alone[1] == pytest.approx(child_pss, abs=MIB)
        assert 100 * MIB < child_pss <= child_rss
    finally:
        _stop(child)
    # Gone: no tree, nothing counted, no exception.
    assert pm.tree(child.pid) == [] and pm.tree_memory(child.pid) == (0, 0)


def test_memory_of_a_process_ending_meanwhile_counts_zero():
    child = _hold(20)
    proc = psutil.Process(child.pid)
    assert pm.memory([proc])[0] > 20 * MIB
    child.kill()
    time.sleep(0.2)  # a zombie until waited for
    assert pm.memory([proc]) == (0, 0)
    child.wait()
    assert pm.memory([proc]) == (0, 0)  # reaped: NoSuchProcess


def test_pss_counts_pages_shared_by_a_forked_child_once():
    child = _start(FORK, 150)
    try:
        procs = pm.tree(child.pid)
        assert len(procs) == 2
        rss, pss = pm.memory(procs)
        # Both processes map the same 150 MiB: RSS counts it twice, PSS once.
        assert rss > 300 * MIB
        assert 150 * MIB < pss < 200 * MIB
        assert rss - pss > 130 * MIB
    finally:
        _stop(child)


def test_tree_sampler_sees_the_test_process_grow():
    with pm.TreeSampler(interval=0.05) as sampler:
        time.sleep(0.2)
        before = max(r for _, r, _ in sampler.samples)
        before_pss = max(p for _, _, p in sampler.samples)
        block = bytearray(120 * MIB)
        block[::4096] = b"x" * len(block[::4096])
        time.sleep(0.3)
        del block
    assert sampler.peak > before + 100 * MIB
    assert sampler.peak_pss > before_pss + 100 * MIB
    assert all(p <= r for _, r, p in sampler.samples)
    assert len(sampler.samples) >= 5
    t0, t1 = sampler.samples[0][0], sampler.samples[-1][0]
    assert sampler.peak_between(t0, t1) == (sampler.peak, sampler.peak_pss)
    # A span between two samples still gets the next one.
    assert sampler.peak_between(t1 + 10, t1 + 20) == (0, 0)
    assert sampler.peak_between(t0 - 1e-4, t0 - 1e-5) == sampler.samples[0][1:]
    assert sampler.first_after(t0 - 1e-4) == sampler.samples[0][1]
    assert sampler.first_after(t1) == 0


def test_tree_sampler_without_the_root_counts_children_only():
    with pm.TreeSampler(interval=0.05, include_root=False) as sampler:
        child = _hold(60)
        time.sleep(0.3)
        _stop(child)
    assert 60 * MIB < sampler.peak < 200 * MIB
    assert 60 * MIB < sampler.peak_pss <= sampler.peak
    assert sampler.samples[-1][1:] == (0, 0)  # after the child ended
    with pytest.raises(ValueError, match="interval"):
        pm.TreeSampler(interval=0)


def _k(pid, start, end, peak=100.0):
    return {"pid": pid, "start": start, "end": end, "peak_mib": peak}


def _r(uri, start, end):
    return {"uri": uri, "created": end, "seconds": end - start}


def test_match_kernels_by_time_window():
    kernels = [_k(11, 100.0, 162.0), _k(12, 163.0, 400.0), _k(13, 401.0, 405.0),
               _k(14, 900.0, 950.0)]
    # Records end a little after the kernel (the bundle is written after shut-down) and
    # start a little before the first cell (kernel start-up is timed too); listed unordered.
    records = [_r("b.ipynb", 163.5, 401.0), _r("a.ipynb", 99.0, 162.5),
               _r("c.ipynb", 401.2, 405.9), _r("old.ipynb", 10.0, 20.0)]
    matched = pm.match_kernels(kernels, records)
    assert [m["notebook"] for m in matched] == ["a.ipynb", "b.ipynb", "c.ipynb", None]
    assert matched[1]["execution_seconds"] == pytest.approx(237.5)
    assert matched[3]["execution_seconds"] is None
    assert matched[0]["peak_mib"] == 100.0 and matched[0]["pid"] == 11  # kept as given
    # Each record is used once: two kernels in one record's window, the longer one wins it.
    twice = pm.match_kernels([_k(1, 0.0, 5.0), _k(2, 6.0, 100.0)], [_r("x.ipynb", 0.0, 100.0)])
    assert [m["notebook"] for m in twice] == [None, "x.ipynb"]
    assert pm.match_kernels([], records) == []
    assert pm.match_kernels(kernels[:1], [])[0]["notebook"] is None


def test_cache_records_reads_a_jupyter_cache(tmp_path):
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(tmp_path / "cache"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    before = time.time()
    cache.cache_notebook_bundle(CacheBundleIn(nb, "/book/chapters/a.ipynb",
                                              data={"execution_seconds": 12.5}),
                                check_validity=False)
    nb2 = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("2")])
    cache.cache_notebook_bundle(CacheBundleIn(nb2, "/book/chapters/b.ipynb"),
                                check_validity=False)  # no execution time: left out
    after = time.time()
    records = pm.cache_records([tmp_path / "cache", tmp_path / "missing"], before, after)
    assert [r["uri"] for r in records] == ["/book/chapters/a.ipynb"]
    assert records[0]["seconds"] == 12.5
    assert before - 1 <= records[0]["created"] <= after + 1  # UTC, as epoch seconds
    assert pm.cache_records([tmp_path / "cache"], after + 60, after + 120) == []


def test_watch_measures_each_kernel_and_passes_on_the_exit_code(tmp_path):
    # A "build" that starts two fake kernels one after the other (their command lines hold
    # the kernel mark), the second with a child of its own, then exits with 3.
    fake = ("import subprocess, sys, time\n"
            f"hold = {HOLD!r}\n"
            "k = [sys.executable, '-c', hold, '{}', 'ipykernel_launcher']\n"
            "p = subprocess.Popen([*k[:3], '40', k[4]], stdout=subprocess.DEVNULL)\n"
            "time.sleep(1.5)\n"
            "p.kill(); p.wait()\n"
            "inner = 'import subprocess, sys, time; subprocess.Popen([sys.executable, \"-c\", '"
            " + repr(hold) + ', \"70\"]); time.sleep(2)'\n"
            "q = subprocess.Popen([sys.executable, '-c', inner, 'ipykernel_launcher']);"
            " time.sleep(1.8)\n"
            "q.kill(); q.wait()\n"
            "sys.exit(3)\n")
    code, report = pm.watch([sys.executable, "-c", fake], interval=0.1,
                            caches=[tmp_path / "no-cache"])
    assert code == 3 and report["returncode"] == 3
    kernels = report["kernels"]
    assert len(kernels) == 2, kernels
    first, second = kernels
    assert first["start"] < second["start"]
    assert 40 < first["peak_mib"] < 40 + 60
    assert 40 < first["peak_pss_mib"] <= first["peak_mib"]
    assert second["peak_mib"] > 70 and second["peak_pss_mib"] > 70  # its child counts
    assert second["peak_pss_mib"] <= second["peak_mib"]
    assert all(k["notebook"] is None for k in kernels)
    assert report["command_peak_mib"] >= second["peak_mib"]
    assert report["command_peak_pss_mib"] >= second["peak_pss_mib"]
    text = pm.render_watch(report)
    assert "(not matched)" in text and "exit code 3" in text
    with pytest.raises(ValueError, match="command"):
        pm.watch([])


def test_main_watch_writes_json_and_markdown(tmp_path, capsys):
    out = tmp_path / "w.json"
    code = pm.main(["watch", "--out", str(out), "--cache", str(tmp_path), "--",
                    sys.executable, "-c", "raise SystemExit(5)"])
    assert code == 5
    report = json.loads(out.read_text())
    assert report["kernels"] == [] and report["returncode"] == 5
    assert out.with_suffix(".md").read_text().startswith("Peak memory of each kernel")
    with pytest.raises(SystemExit):
        pm.main(["watch", "--out", str(out)])  # no command


def test_run_notebook_measures_a_kernel_and_its_cells(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import os, time\nopen('here.txt', 'w').write(os.getcwd())\n"
                                  "time.sleep(0.6)"),
        nbformat.v4.new_markdown_cell("text"),
        nbformat.v4.new_code_cell("b = bytearray(150 * 2**20)\nb[::4096] = b'x' * len(b[::4096])\n"
                                  "import time; time.sleep(0.6)"),
    ])
    (tmp_path / "nb").mkdir()
    path = tmp_path / "nb" / "t.ipynb"
    nbformat.write(nb, path)
    result = pm.run_notebook(path, timeout=120)
    assert result["ok"] and result["error"] is None
    assert (tmp_path / "nb" / "here.txt").read_text() == str(tmp_path / "nb")  # its own folder
    assert [c["index"] for c in result["cells"]] == [0, 2]
    assert result["peak_mib"] >= result["cells"][1]["peak_mib"] > 150
    assert result["cells"][0]["peak_mib"] < result["cells"][1]["peak_mib"] - 100
    assert result["peak_pss_mib"] >= result["cells"][1]["peak_pss_mib"] > 150
    assert result["cells"][0]["peak_pss_mib"] < result["cells"][1]["peak_pss_mib"] - 100
    assert all(c["peak_pss_mib"] <= c["peak_mib"] for c in result["cells"])
    table = pm.render_run([{**result, "notebook": "t.ipynb"}], mode="full", copy=False)
    assert "| t.ipynb |" in table and "| yes |" in table
    with pytest.raises(ValueError, match="not a notebook"):
        pm.run([tmp_path / "missing.ipynb"])
    with pytest.raises(ValueError, match="not in the repository"):
        pm.run([path], copy=True)


def test_run_notebook_reports_a_failing_cell(tmp_path):
    import nbformat

    path = tmp_path / "f.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "raise ValueError('broken on purpose')")]), path)
    result = pm.run_notebook(path, timeout=60)
    assert not result["ok"] and "broken on purpose" in result["error"]


def test_the_verdict_is_the_pss_sum_against_two_gigabytes():
    assert pm.LIMIT_BYTES == 2_000_000_000
    assert pm._verdict(1900) == "yes" and pm._verdict(1910) == "**no**"
    result = {"notebook": "n.ipynb", "seconds": 5.0, "ok": True, "cells": []}
    shared = pm.render_run([{**result, "peak_mib": 2600.0, "peak_pss_mib": 1800.0}],
                           mode="full", copy=True)
    assert "PSS sum ≤ 2 GB" in shared and "| 2,600 | 1,800 | yes |" in shared
    over = pm.render_run([{**result, "peak_mib": 2600.0, "peak_pss_mib": 1950.0}],
                         mode="full", copy=True)
    assert "| 2,600 | 1,950 | **no** |" in over
    assert dt.date.today().isoformat() in over


def test_watch_matches_a_kernel_to_the_cache_record_written_meanwhile(tmp_path):
    # A "build" that runs a fake kernel for about 1.5 s, then records a notebook executed in
    # that time in a jupyter-cache, as jupyter-book does once the kernel has shut down.
    cache = tmp_path / "cache"
    fake = ("import subprocess, sys, time, nbformat\n"
            "from jupyter_cache import get_cache\n"
            "from jupyter_cache.base import CacheBundleIn\n"
            f"k = subprocess.Popen([sys.executable, '-c', {HOLD!r}, '30', 'ipykernel_launcher'],"
            " stdout=subprocess.DEVNULL)\n"
            "t = time.time(); time.sleep(1.5); k.kill(); k.wait()\n"
            "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
            f"get_cache({str(cache)!r}).cache_notebook_bundle(CacheBundleIn(nb, '/x/a.ipynb',"
            " data={'execution_seconds': time.time() - t}), check_validity=False)\n")
    code, report = pm.watch([sys.executable, "-c", fake], interval=0.1, caches=[cache])
    assert code == 0, report
    [kernel] = report["kernels"]
    assert kernel["notebook"] == "/x/a.ipynb"
    assert kernel["execution_seconds"] == pytest.approx(1.5, abs=0.5)
    assert 30 < kernel["peak_pss_mib"] <= kernel["peak_mib"]
    assert report["unmatched_records"] == []
    assert "| /x/a.ipynb |" in pm.render_watch(report)
