"""A Sphinx extension that ships the live GRU's files with the HTML book (chapter 11).

The chapter's page loads two scripts from ``_static/``: ``live_gru.js``, the hand-written page
script (``chapters/_static/live_gru.js``), and ``live_gru_model.js``, the model the chapter's
notebook writes while the book executes (``utils.live.export_live_model``, into
``utils.live.export_dir()``: ``_build/live``, or ``_build/quick/live`` in quick mode, the same
mode as the build). Notebooks execute while Sphinx reads the sources, so once the build has
finished both files exist; this copies them into the output's ``_static/``. A missing file is a
warning, which fails the book's ``-W`` build rather than ship a page that cannot work.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)


def copy_live_files(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from utils import live

    target = Path(app.outdir) / "_static"
    target.mkdir(parents=True, exist_ok=True)
    for source in (live.SCRIPT, live.export_dir() / live.MODEL_FILE):
        if not source.is_file():
            logger.warning("live GRU: %s is missing, so the live page cannot work (execute "
                           "chapters/11_a_live_gru.ipynb, which writes it)", source)
            continue
        shutil.copyfile(source, target / source.name)


def setup(app):
    app.connect("build-finished", copy_live_files)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
