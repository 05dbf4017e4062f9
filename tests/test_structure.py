"""Structural checks of the book: the toc, the stored notebooks, imports, pins and lint."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def code_cells(nb_path: Path) -> list[str]:
    nb = json.loads(nb_path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_toc_and_notebooks_match():
    listed = toc_files()
    assert len(listed) == len(set(listed)), "a file is listed twice in _toc.yml"
    for entry in listed:
        matches = [p for p in (ROOT / f"{entry}.ipynb", ROOT / f"{entry}.md") if p.exists()]
        assert matches, f"_toc.yml lists {entry} but there is no {entry}.ipynb or .md"
    on_disk = {str(p.relative_to(ROOT).with_suffix("")) for p in NOTEBOOKS}
    assert on_disk <= set(listed), f"notebooks missing from _toc.yml: {on_disk - set(listed)}"


def test_toc_is_numbered_in_parts():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    assert toc["format"] == "jb-book"
    assert all("caption" in part for part in toc["parts"])
    assert any(part.get("numbered") for part in toc["parts"])


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_clean(nb_path):
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", nb_path.name), "name must be NN_topic.ipynb"
    nb = json.loads(nb_path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"cell {i} has stored outputs"
            assert cell.get("execution_count") is None, f"cell {i} has an execution count"
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown" and "".join(first["source"]).startswith("# "), \
        "a notebook starts with its title"


def _pinned_modules() -> set[str]:
    pins = {re.split(r"[=<>\[ ]", line)[0].lower().replace("_", "-")
            for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line and not line.startswith("#")}
    modules = set()
    for module, dists in importlib.metadata.packages_distributions().items():
        if any(d.lower().replace("_", "-") in pins for d in dists):
            modules.add(module)
    return modules


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_imports_only_utils_stdlib_and_pins(nb_path):
    allowed = _pinned_modules() | set(sys.stdlib_module_names) | {"utils"}
    for source in code_cells(nb_path):
        assert "sys.path" not in source, "notebooks import utils as a package, no sys.path edits"
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in allowed, f"{nb_path.name} imports {name}, which is not pinned"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_seeded(nb_path):
    sources = "\n".join(code_cells(nb_path))
    if "keras" in sources or "np.random" in sources:
        assert "set_seed(" in sources, "notebooks that use randomness call config.set_seed()"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_hidden_checks_are_no_longer_than_the_code_shown(nb_path):
    """A reader in Jupyter or on Binder sees the hidden cells too: the claims' checks stay short,
    at most as many lines as the code the book shows (CONTRIBUTING, *How results are recorded*)."""
    lines = {True: 0, False: 0}
    for cell in json.loads(nb_path.read_text())["cells"]:
        if cell["cell_type"] == "code":
            tags = set(cell["metadata"].get("tags", []))
            lines[bool(tags & {"remove-cell", "remove-input"})] += len(
                "".join(cell["source"]).splitlines())
    assert lines[True] <= lines[False], f"hidden {lines[True]} lines, shown {lines[False]}"


def test_pins_are_exact():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[^=\s]+", line), f"not an exact pin: {line}"
    top = (ROOT / "requirements.in").read_text()
    assert "jupyter-book==1." in top and "tensorflow-cpu==" in top


def test_environment_matches_pins():
    """What is installed is what requirements.txt pins (no hand-installed drift)."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            assert importlib.metadata.version(name) == version, f"{name} is not {version}"


def test_setup_is_up_to_date():
    """A second `make test` installs nothing: the install stamp is newer than the pins."""
    proc = subprocess.run(["make", "-q", ".venv/.installed"], cwd=ROOT)
    assert proc.returncode == 0, "make would reinstall: the set-up is not idempotent"


def test_lint():
    """ruff (pyproject.toml's rules) over the code and the chapters' notebooks."""
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "utils", "tools", "tests",
                           "_ext", "chapters"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _utils_modules() -> dict[str, Path]:
    """{dotted name under utils (``data``, ``speed``, ``speed.race``): its file}, subpackages
    included (a subpackage by its ``__init__.py``); not ``utils/__init__.py`` itself."""
    modules = {}
    for path in sorted((ROOT / "utils").rglob("*.py")):
        parts = path.relative_to(ROOT / "utils").with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            modules[".".join(parts)] = path
    return modules


def test_utils_index_lists_every_module():
    """The docstring of utils/__init__.py lists each module and subpackage of utils/, and only
    those; a subpackage's own ``__init__.py`` lists its modules (``utils.speed.race``)."""
    import importlib

    modules = _utils_modules()
    packages = [""] + [name for name, path in modules.items() if path.name == "__init__.py"]
    assert "speed" in packages, "the check covers the subpackages"
    for package in packages:
        dotted = "utils" + (f".{package}" if package else "")
        doc = importlib.import_module(dotted).__doc__
        listed = re.findall(rf"^- :mod:`{re.escape(dotted)}\.(\w+)`", doc, re.M)
        prefix = f"{package}." if package else ""
        files = sorted(name[len(prefix):] for name in modules
                       if name.startswith(prefix) and "." not in name[len(prefix):])
        assert sorted(set(listed)) == files, (
            f"{dotted}: not listed: {sorted(set(files) - set(listed))}; "
            f"listed without a file: {sorted(set(listed) - set(files))}")
        assert len(listed) == len(set(listed)), f"{dotted}: a module is listed twice"


def test_every_utils_module_has_a_test_module():
    """utils/x.py is tested in tests/test_x.py, utils/speed/x.py in tests/speed/test_x.py."""
    for name, path in _utils_modules().items():
        if path.name != "__init__.py":
            *package, stem = name.split(".")
            test = ROOT.joinpath("tests", *package, f"test_{stem}.py")
            assert test.is_file(), \
                f"no tests: {path.relative_to(ROOT)} (expected {test.relative_to(ROOT)})"
