"""Run a measurement in a fresh Python process and get its result back as JSON.

Explained in :doc:`/chapters/10_fast_training_on_cpu`. Some settings are fixed when TensorFlow
starts and cannot be changed afterwards in a running notebook: the sizes of its thread pools,
the logical devices it splits a CPU into (``tf.config.set_logical_device_configuration``), op
determinism once it is on, or the Keras backend. A measurement that needs another value runs
in a new interpreter: :func:`run` writes a JSON spec (and any data files) to a temporary
folder, starts ``python -m <module> SPEC.json`` and reads back the JSON the worker printed;
the worker module ends with ``sys.exit(serve(worker))``.

Used by :mod:`utils.models` (training that needs XLA where Keras refuses it), which is why it
is not in :mod:`utils.speed`, and by :func:`utils.speed.throughput.measure_in_subprocess` and
:func:`utils.speed.data_parallel.mirrored_check`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from utils import config

__all__ = ["run", "serve"]

#: The prefix of the one line of standard output that holds the worker's result.
RESULT = "RESULT "


def run(
    module: str,
    spec: dict,
    *,
    files: Mapping[str, Callable[[Path], None]] | None = None,
    python: str | os.PathLike | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 900,
):
    """Run ``python -m module SPEC.json`` in a new process; return what its worker returned.

    Args:
        module: a module of this package whose ``__main__`` calls :func:`serve`.
        spec: JSON-serialisable arguments for the worker.
        files: ``{key: save}``; each ``save(path)`` writes a file into the temporary folder and
            the worker finds its path in ``spec[key]`` (for arrays too large for JSON).
        python: the interpreter (default: this one); its environment must be able to import
            this ``utils`` package (the process gets ``PYTHONPATH`` set to the book's root).
        env: extra environment variables for the process.
        timeout: seconds before the process is stopped (a ``subprocess.TimeoutExpired``).

    Returns:
        The worker's return value, decoded from JSON.

    Raises:
        RuntimeError: if the process fails or prints no result (with the end of its stderr).
    """
    spec = dict(spec)
    root = str(config.project_root())
    with tempfile.TemporaryDirectory(prefix="gru-book-process-") as tmp:
        for key, save in (files or {}).items():
            path = Path(tmp) / f"{key}.npz"
            save(path)
            spec[key] = str(path)
        spec_file = Path(tmp) / "spec.json"
        spec_file.write_text(json.dumps(spec))
        child_env = {**os.environ, "PYTHONPATH": root, "TF_CPP_MIN_LOG_LEVEL": "2",
                     **(env or {})}
        # What this process has freed goes back to the system before a second one starts: the
        # two together must fit a reader's memory (chapter 10's kernel held ~500 MB it had freed).
        config.release_memory()
        proc = subprocess.run(
            [str(python or sys.executable), "-m", module, str(spec_file)],
            capture_output=True, text=True, env=child_env, timeout=timeout, cwd=root,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"the process `python -m {module}` failed (exit "
                           f"{proc.returncode}):\n" + proc.stderr[-3000:])
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT)]
    if not lines:
        raise RuntimeError(f"the process `python -m {module}` printed no result:\n"
                           + proc.stdout[-2000:])
    return json.loads(lines[-1][len(RESULT):])


def serve(worker: Callable[[dict], object], argv: Sequence[str] | None = None) -> int:
    """The worker's side of :func:`run`: read the spec named on the command line, print
    ``worker(spec)`` as one JSON line. Returns the exit status (2 for a wrong command line)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 1:
        print("usage: python -m MODULE SPEC.json (started by utils.fresh_process.run)",
              file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text())
    print(RESULT + json.dumps(worker(spec)), flush=True)
    return 0
