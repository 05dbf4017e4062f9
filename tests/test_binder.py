"""Binder: the runtime pins from the development lock, Python pinned, and a repo2docker dry run.

Binder builds the image with repo2docker from ``binder/``: ``requirements.txt`` (the runtime
pins: the packages of ``requirements-runtime.in`` and their dependencies, each at its
development pin, written by ``make lock`` through :mod:`tools.runtime_pins`), ``runtime.txt``
(the Python version) and ``postBuild`` (installs ``utils`` and fetches and verifies the data).
No Docker daemon is needed here: ``jupyter-repo2docker --no-build --debug`` only renders the
Dockerfile, the build plan, which the last test reads.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tools import runtime_pins

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
REPO2DOCKER = Path(sys.executable).parent / "jupyter-repo2docker"
#: Tools for building, testing, linting and browsing the book: never in a reader's session.
NOT_RUNTIME = {
    "pytest", "pytest-timeout", "nbval", "hypothesis", "coverage", "playwright", "ruff",
    "jupyter-repo2docker", "docker", "jupyter-book", "sphinx-book-theme", "sphinx-exercise",
    "sphinxcontrib-bibtex", "django-static-mathjax",
}


def _pins(path: Path) -> dict[str, str]:
    return runtime_pins.read_pins(path)


def test_binder_requirements_are_the_runtime_pins_of_the_lock():
    """binder/requirements.txt is what `make lock` derives from this environment's metadata."""
    expected = runtime_pins.render(
        runtime_pins.runtime_pins(runtime_pins.read_roots(), runtime_pins.read_pins()))
    assert (BINDER / "requirements.txt").read_text() == expected, (
        "binder/requirements.txt is out of date: run `make lock`, or "
        "`.venv/bin/python -m tools.runtime_pins` after editing the pins")


def test_every_runtime_pin_equals_its_development_pin():
    dev, runtime = _pins(ROOT / "requirements.txt"), _pins(BINDER / "requirements.txt")
    assert runtime and set(runtime) < set(dev), sorted(set(runtime) - set(dev))
    for name, line in runtime.items():
        assert line == dev[name], f"{line} in binder/requirements.txt, {dev[name]} in the lock"


def test_binder_installs_no_test_lint_browser_or_repo2docker_tools():
    runtime = _pins(BINDER / "requirements.txt")
    assert not NOT_RUNTIME & set(runtime), sorted(NOT_RUNTIME & set(runtime))
    assert NOT_RUNTIME <= set(_pins(ROOT / "requirements.txt")), "a name above is misspelt"


def test_every_root_is_a_runtime_pin():
    runtime = _pins(BINDER / "requirements.txt")
    for root in runtime_pins.read_roots():
        assert runtime_pins.canonical(root.name) in runtime, root.name


def _imported_modules() -> dict[str, str]:
    """{top-level module: a file importing it} over utils/ and the notebooks' code cells."""
    sources = [(str(p.relative_to(ROOT)), p.read_text())
               for p in sorted((ROOT / "utils").rglob("*.py"))]
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                lines = "".join(cell["source"]).splitlines()
                code = [ln for ln in lines if not ln.lstrip().startswith(("%", "!"))]
                sources.append((nb.name, "\n".join(code)))
    found = {}
    for name, source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                found.update({a.name.split(".")[0]: name for a in node.names})
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found[node.module.split(".")[0]] = name
    return found


def test_every_module_utils_and_the_notebooks_import_comes_with_the_runtime_pins():
    runtime = set(_pins(BINDER / "requirements.txt"))
    owners = importlib.metadata.packages_distributions()
    third_party = {m: f for m, f in _imported_modules().items()
                   if m not in sys.stdlib_module_names and m != "utils"}
    assert {"keras", "numpy", "myst_nb"} <= set(third_party), sorted(third_party)
    for module, where in third_party.items():
        dists = {runtime_pins.canonical(d) for d in owners.get(module, [])}
        assert dists & runtime, f"{where} imports {module} ({dists or 'not installed'}), " \
            "which binder/requirements.txt does not install: add it to requirements-runtime.in"


def test_dependencies_follow_markers_and_extras():
    base = Requirement('pytest; extra == "test"')
    assert not runtime_pins._applies(base, set())
    assert runtime_pins._applies(base, {"test"})
    assert not runtime_pins._applies(Requirement('x; python_version < "3"'), set())
    assert runtime_pins._applies(Requirement("x"), set())
    assert runtime_pins.canonical("Jinja2") == runtime_pins.canonical("jinja2")
    assert runtime_pins.canonical("ruamel.yaml") == "ruamel-yaml"
    with pytest.raises(ValueError, match="name"):
        runtime_pins.canonical("")


def test_a_dependency_missing_from_the_lock_stops_the_script():
    pins = runtime_pins.read_pins()
    del pins["numpy"]
    with pytest.raises(SystemExit, match="numpy"):
        runtime_pins.runtime_pins([Requirement("keras")], pins)


def test_make_lock_writes_both_files():
    """`make lock` is the one place the pins are made: the lock, then the runtime pins from it."""
    proc = subprocess.run(["make", "-n", "--no-print-directory", "lock"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    out = proc.stdout
    assert "-r requirements.in -r requirements-runtime.in" in out, out
    assert "> requirements.txt" in out, out
    assert "-m tools.runtime_pins" in out, out
    assert out.index("> requirements.txt") < out.index("-m tools.runtime_pins"), out


def test_binder_has_no_other_dependency_files():
    """repo2docker reads every config file it finds in binder/: only ours may be there."""
    assert {p.name for p in BINDER.iterdir()} == {
        "requirements.txt", "runtime.txt", "postBuild",
        "ipython_kernel_config.py",  # not a repo2docker file: postBuild installs it
    }


def test_python_is_pinned_to_the_version_the_pins_were_made_for():
    runtime = (BINDER / "runtime.txt").read_text()
    assert runtime == "python-3.11\n", runtime
    for pins in (ROOT / "requirements.txt", BINDER / "requirements.txt"):
        header = pins.read_text().splitlines()[0]
        assert "Python 3.11" in header, header
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11.4", requires  # tarfile's extraction filters


def _fake_python(folder: Path, prefix: Path, fail_on: str | None = None) -> Path:
    """A `python` that logs its arguments, answers `-c ...` with `prefix` (as if it printed
    `sys.prefix`), and fails with exit code 3 when its arguments contain `fail_on`."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "calls.log"
    fail = f'case "$*" in *"{fail_on}"*) exit 3;; esac\n' if fail_on else ""
    script = folder / "python"
    script.write_text(f'#!/bin/bash\necho "$*" >> "{log}"\n{fail}'
                      f'if [ "$1" = "-c" ]; then echo "{prefix}"; fi\nexit 0\n')
    script.chmod(0o755)
    return log


def _run_postbuild(tmp_path: Path, fail_on: str | None = None):
    log = _fake_python(tmp_path / "bin", tmp_path / "env", fail_on)
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    proc = subprocess.run([str(BINDER / "postBuild")], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    return proc, log.read_text().splitlines()


def test_postbuild_installs_utils_then_fetches_and_verifies_the_data(tmp_path):
    post = BINDER / "postBuild"
    assert post.stat().st_mode & stat.S_IXUSR, "postBuild must be executable"
    assert post.read_text().startswith("#!/bin/bash\n")
    subprocess.run(["bash", "-n", str(post)], check=True)
    proc, calls = _run_postbuild(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(calls) == 3, calls
    assert re.fullmatch(r"-m pip install( --\S+)* -e \.", calls[0]), calls[0]
    assert calls[1].startswith("-c "), calls[1]  # asks for sys.prefix
    assert calls[2] == "-m utils.data", calls[2]  # the loader verifies the SHA-256
    # The kernel configuration lands where `make setup` puts it in .venv: <env>/etc/ipython.
    installed = tmp_path / "env" / "etc" / "ipython" / "ipython_kernel_config.py"
    assert installed.read_bytes() == (BINDER / "ipython_kernel_config.py").read_bytes()


def test_postbuild_stops_when_the_install_fails(tmp_path):
    proc, calls = _run_postbuild(tmp_path, fail_on="pip install")
    assert proc.returncode == 3
    assert len(calls) == 1, f"postBuild went on after a failed install: {calls}"


def test_repo2docker_dry_run_plans_an_image_from_our_pins(tmp_path):
    """repo2docker accepts the repository and plans the image from binder/, offline."""
    if not REPO2DOCKER.exists():
        pytest.fail(f"{REPO2DOCKER} is missing: jupyter-repo2docker is pinned in "
                    "requirements.txt, so `make setup` installs it")
    # Point the Docker client at a socket that does not exist: the dry run must not need one.
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path / 'no-docker.sock'}"}
    proc = subprocess.run(
        [str(REPO2DOCKER), "--no-build", "--debug", "--user-id", "1000",
         "--user-name", "jovyan", str(ROOT)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    out = proc.stdout + proc.stderr
    (ROOT / "_build").mkdir(exist_ok=True)
    (ROOT / "_build" / "binder-build-plan.txt").write_text(out)
    assert proc.returncode == 0, out[-4000:]
    assert "Using local repo" in out, out[-4000:]
    assert "Building conda environment for python=3.11" in out, out[-4000:]
    # The pins are installed from binder/requirements.txt, and nothing else is installed from
    # a requirements file (the top-level one is ignored once binder/ exists).
    assert re.search(r"COPY --chown=1000:1000 src/binder/requirements.txt ", out), out[-4000:]
    installs = re.findall(r'pip install[^\n]* -r "?([^"\s]+)"?', out)
    assert installs == ["binder/requirements.txt"], installs
    # postBuild runs after the repository is copied in, as the notebook user.
    after_copy = out[out.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/"):]
    assert "RUN ./binder/postBuild" in after_copy
    assert after_copy.index("USER ${NB_USER}") < after_copy.index("RUN ./binder/postBuild")
