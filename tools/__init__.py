"""Project tooling that the notebooks never import: ``make bench`` (:mod:`tools.bench`), the
memory check of the chapters (:mod:`tools.peak_memory`), the pages a build must execute again
(:mod:`tools.notebook_keys`, run by ``make html``) and the Binder pins
(:mod:`tools.runtime_pins`).

Run from the repository root, e.g. ``.venv/bin/python -m tools.bench --help``.
"""
