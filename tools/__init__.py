"""Project tooling that the notebooks never import: ``make bench`` (:mod:`tools.bench`).

Run from the repository root, e.g. ``.venv/bin/python -m tools.bench --help``.
"""
