"""Project tooling that the notebooks never import: ``make bench`` (:mod:`tools.bench`) and the
memory check of the chapters (:mod:`tools.peak_memory`).

Run from the repository root, e.g. ``.venv/bin/python -m tools.bench --help``.
"""
