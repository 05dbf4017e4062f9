"""Binder: one source of truth for the pins, Python pinned, and a repo2docker dry run.

Binder builds the image with repo2docker from ``binder/``: ``requirements.txt`` (a byte-for-byte
copy of the top-level pins, made by ``make lock``), ``runtime.txt`` (the Python version) and
``postBuild`` (installs ``utils`` and fetches and verifies the data). No Docker daemon is needed
here: ``jupyter-repo2docker --no-build --debug`` only renders the Dockerfile, the build plan,
which the last test reads.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
REPO2DOCKER = Path(sys.executable).parent / "jupyter-repo2docker"


def test_binder_requirements_are_the_top_level_pins():
    top = (ROOT / "requirements.txt").read_bytes()
    assert (BINDER / "requirements.txt").read_bytes() == top, (
        "binder/requirements.txt differs from requirements.txt: run `make lock`, or "
        "`cp requirements.txt binder/requirements.txt` after editing the pins"
    )
    pins = [ln for ln in top.decode().splitlines() if ln and not ln.startswith("#")]
    assert pins and all("==" in ln for ln in pins), "every line of requirements.txt is a pin"


def test_make_lock_writes_both_files():
    """`make lock` is the one place the pins are made, and it copies them to binder/."""
    proc = subprocess.run(["make", "-n", "--no-print-directory", "lock"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert "> requirements.txt" in proc.stdout, proc.stdout
    assert "cp requirements.txt binder/requirements.txt" in proc.stdout, proc.stdout


def test_binder_has_no_other_dependency_files():
    """repo2docker reads every config file it finds in binder/: only ours may be there."""
    assert {p.name for p in BINDER.iterdir()} == {
        "requirements.txt", "runtime.txt", "postBuild",
        "ipython_kernel_config.py",  # not a repo2docker file: postBuild installs it
    }


def test_python_is_pinned_to_the_version_the_pins_were_made_for():
    runtime = (BINDER / "runtime.txt").read_text()
    assert runtime == "python-3.11\n", runtime
    header = (ROOT / "requirements.txt").read_text().splitlines()[0]
    assert "Python 3.11" in header, header
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11", requires


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
