"""The trained classifier in the reader's browser: the export behind the live page.

Explained in :doc:`/chapters/11_a_live_gru`.

The live page of the HTML book runs the end-to-end model of
:doc:`/chapters/07_gru_sentiment_classifier` (:func:`utils.models.export_end_to_end`: raw text
→ ids → ``Embedding`` → ``GRU`` → ``Dense(1, sigmoid)``) in JavaScript, in the reader's browser,
with no server. :func:`export_live_model` writes everything the page's hand-written script
(:data:`SCRIPT`, ``chapters/_static/live_gru.js``) needs into one JavaScript file that assigns a
global::

    window.LIVE_GRU_MODEL = {"format": 1, "vocabulary": [...], "arrays": {...}, ...};

It is a ``.js`` file rather than a ``.json`` one because a page opened from disk (``file://``)
may load a script but may not ``fetch()`` a file next to it. The local Sphinx extension
``_ext/live_gru.py`` copies both files into the HTML book's ``_static/`` folder.

What the file holds (``U`` units, ``D`` embedding size, ``V`` = ``num_words``):

- ``standardize``: the steps of :func:`utils.text.standardize_review` as JavaScript regular
  expressions (:data:`JS_STANDARDIZE`), applied after lower-casing; then the text is split on
  whitespace, as ``TextVectorization(split="whitespace")`` does;
- ``vocabulary``: the words of the model's ``TextVectorization`` layer in id order; word ``k``
  (from 0) has id ``k + ids.first_word``; any other word is ``ids.oov``; a review starts with
  ``ids.start`` and is cut to ``maxlen`` ids the ``truncating`` way (:class:`utils.text.ImdbIds`);
- ``arrays``: little-endian float32, base64-encoded, with their shapes: ``embedding`` (V, D),
  ``kernel`` (D, 3U) and ``recurrent_kernel`` (U, 3U) with the gates in Keras' order z | r | h,
  ``bias`` (2, 3U) (``reset_after=True``: input bias, then recurrent bias), ``dense_kernel``
  (U, 1) and ``dense_bias`` (1,).

:func:`read_live_model` reads such a file back, and :func:`gru_weights` turns it into a
:class:`utils.gru.GRUWeights` for :func:`utils.gru.forward_weights`, so that Python can check
the export against Keras. Keras and TensorFlow are imported only inside the functions that need
them, so the Sphinx extension can import this module cheaply.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from utils import atomic, config, gru

__all__ = [
    "JS_STANDARDIZE",
    "LiveModel",
    "MODEL_FILE",
    "SCRIPT",
    "export_dir",
    "export_live_model",
    "gru_weights",
    "keras_ids",
    "read_live_model",
    "running_probability",
]

#: The name of the exported model file, in :func:`export_dir` and in the book's ``_static/``.
MODEL_FILE = "live_gru_model.js"
#: The page's hand-written script (copied to the book's ``_static/`` beside the model).
SCRIPT = Path(__file__).resolve().parent.parent / "chapters" / "_static" / "live_gru.js"
#: The global the model file assigns.
GLOBAL = "LIVE_GRU_MODEL"
FORMAT = 1

#: :func:`utils.text.standardize_review` in JavaScript (flags ``gu``), after ``toLowerCase()``.
#: TensorFlow uses RE2, where ``\s`` is ASCII whitespace only; JavaScript's ``\s`` also matches
#: Unicode spaces, so the line-break pattern spells RE2's class out. After the second step the
#: only whitespace left is the plain space, so the later ``\s`` agree.
JS_STANDARDIZE: tuple[tuple[str, str], ...] = (
    (r"<br[\t\n\f\r ]*/?>", " "),
    (r"[^\p{L}\p{N}']+", " "),
    (r"''+", " "),
    (r"(^|\s)'", "$1"),
    (r"'(\s|$)", "$1"),
)

_PREFIX = f"window.{GLOBAL} = "
_ARRAYS = ("embedding", "kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias")


def export_dir() -> Path:
    """Where the notebook writes the export: ``_build/live`` (``_build/quick/live`` when quick)."""
    return config.build_dir() / "live"


@dataclass(frozen=True)
class LiveModel:
    """An export read back by :func:`read_live_model`.

    Attributes:
        settings: everything but the arrays and the vocabulary (``maxlen``, ``truncating``,
            ``ids``, ``standardize``, ``source``, ...), as in the file.
        vocabulary: the words, in id order from ``settings["ids"]["first_word"]``.
        arrays: the float32 arrays by name (see the module docstring for their shapes).
    """

    settings: dict
    vocabulary: list[str]
    arrays: dict[str, np.ndarray]

    @property
    def word_ids(self) -> dict[str, int]:
        first = self.settings["ids"]["first_word"]
        return {word: first + k for k, word in enumerate(self.vocabulary)}


def _encode(array) -> dict:
    a = np.ascontiguousarray(array, dtype="<f4")
    return {"shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode("ascii")}


def _decode(entry: dict) -> np.ndarray:
    raw = base64.b64decode(entry["data"])
    return np.frombuffer(raw, dtype="<f4").reshape(entry["shape"]).astype(np.float32)


def _parts(end_to_end):
    """The vectorizer's layers and the classifier of an end-to-end model, checked."""
    from utils import reading, text

    try:
        vectorizer = end_to_end.get_layer("review_vectorizer")
        classifier = end_to_end.get_layer("sentiment")
        vectorize = vectorizer.get_layer("text_vectorization")
    except ValueError as err:
        raise ValueError("end_to_end must be a model saved by utils.models.export_end_to_end "
                         f"(a review_vectorizer in front of a sentiment model): {err}") from err
    to_ids = [la for la in vectorizer.layers if isinstance(la, text.ImdbIds)]
    if len(to_ids) != 1:
        raise ValueError("end_to_end's review_vectorizer has no ImdbIds layer")
    standardize = vectorize.get_config()["standardize"]
    if standardize is not text.standardize_review:
        raise ValueError("the live page implements utils.text.standardize_review only; this "
                         f"model standardises with {standardize!r}")
    embedding, recurrent, output = reading.gru_layers(classifier)
    cell = recurrent.cell
    if not (cell.reset_after and cell.use_bias and embedding.mask_zero):
        raise ValueError("the live page implements a GRU with reset_after=True and biases "
                         "after an Embedding with mask_zero=True")
    for fn, name in ((cell.activation, "tanh"), (cell.recurrent_activation, "sigmoid")):
        if getattr(fn, "__name__", None) != name:
            raise ValueError(f"the live page implements a {name} GRU; got {fn!r}")
    if getattr(output.activation, "__name__", None) != "sigmoid":
        raise ValueError("the model's output layer must be Dense(1, sigmoid)")
    return vectorize, to_ids[0], embedding, recurrent, output


def export_live_model(
    end_to_end, examples: Sequence[str] = (), path: str | os.PathLike | None = None
) -> Path:
    """Write the live page's model file from an end-to-end model.

    Args:
        end_to_end: the ``.keras`` path written by :func:`utils.models.export_end_to_end`, or
            the model :func:`utils.models.load_end_to_end` read from it.
        examples: reviews the page offers one click away (the first fills the box on load).
        path: where to write; ``export_dir() / MODEL_FILE`` when ``None``.

    Returns:
        The path written (atomically: a reader never sees half a file).

    Raises:
        FileNotFoundError: if ``end_to_end`` names no file.
        TypeError: if it is neither a path nor a Keras model, or ``examples`` is not a list
            of strings.
        ValueError: if the model is not a text vectorizer in front of Embedding → GRU
            (``reset_after=True``) → Dense(1, sigmoid), the one form the page implements.
    """
    import keras

    from utils import data, models

    if isinstance(examples, (str, bytes)) or not all(isinstance(e, str) for e in examples):
        raise TypeError(f"examples must be a list of review strings; got {examples!r}")
    source = None
    if isinstance(end_to_end, (str, os.PathLike)):
        source = Path(end_to_end)
        end_to_end = models.load_end_to_end(source)
    if not isinstance(end_to_end, keras.Model):
        raise TypeError("end_to_end must be the path of an end-to-end .keras file or a "
                        f"keras.Model; got {type(end_to_end).__name__}")
    vectorize, to_ids, embedding, recurrent, output = _parts(end_to_end)
    # TextVectorization's ids: 0 padding, 1 unknown, 2 "[start]" (never produced), then the
    # words; ImdbIds adds 1, so the first word has id 4 = INDEX_FROM + 1 and unknown is 2.
    vocabulary = vectorize.get_vocabulary()[3:]
    kernel, recurrent_kernel, bias = recurrent.get_weights()
    dense_kernel, dense_bias = output.get_weights()
    arrays = {
        "embedding": embedding.get_weights()[0], "kernel": kernel,
        "recurrent_kernel": recurrent_kernel, "bias": bias,
        "dense_kernel": dense_kernel, "dense_bias": dense_bias,
    }
    settings = {
        "format": FORMAT,
        "source": source.name if source is not None else end_to_end.name,
        "keras": keras.__version__,
        "num_words": int(embedding.input_dim),
        "units": int(recurrent.units),
        "maxlen": int(to_ids.maxlen),
        "truncating": to_ids.truncating,
        "ids": {"padding": 0, "start": data.START_CHAR, "oov": data.OOV_CHAR,
                "first_word": data.INDEX_FROM + 1},
        "standardize": {"lower_case": True, "flags": "gu",
                        "steps": [list(step) for step in JS_STANDARDIZE],
                        "split": "whitespace"},
        "examples": list(examples),
    }
    if settings["ids"]["first_word"] + len(vocabulary) != settings["num_words"]:
        raise ValueError(f"the vocabulary ({len(vocabulary)} words) does not fill the "
                         f"embedding ({settings['num_words']} rows)")
    payload = {**settings, "vocabulary": vocabulary,
               "arrays": {name: _encode(arrays[name]) for name in _ARRAYS}}
    body = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    path = Path(path) if path is not None else export_dir() / MODEL_FILE
    return atomic.write_text(
        path, "// The live GRU's model, written by utils.live.export_live_model; "
        f"read by live_gru.js.\n{_PREFIX}{body};\n", encoding="ascii")


def read_live_model(path: str | os.PathLike) -> LiveModel:
    """Read a file written by :func:`export_live_model` (the inverse, for checks and tests)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no live model file at {path}")
    match = re.search(rf"^{re.escape(_PREFIX)}(.*);$", path.read_text(encoding="ascii"), re.M)
    if match is None:
        raise ValueError(f"{path} does not assign window.{GLOBAL}")
    payload = json.loads(match.group(1))
    if payload.get("format") != FORMAT:
        raise ValueError(f"{path} has format {payload.get('format')!r}; expected {FORMAT}")
    arrays = {name: _decode(entry) for name, entry in payload.pop("arrays").items()}
    vocabulary = payload.pop("vocabulary")
    return LiveModel(payload, vocabulary, arrays)


def keras_ids(end_to_end, texts: Sequence[str]) -> list[np.ndarray]:
    """The ids the end-to-end model's own vectoriser (Keras' ``TextVectorization``) gives.

    Args:
        end_to_end: a model from :func:`utils.models.load_end_to_end`.
        texts: review strings.

    Returns:
        One int array per text, start mark included, cut to ``maxlen``, without padding.
    """
    import tensorflow as tf

    if isinstance(texts, (str, bytes)) or not all(isinstance(t, str) for t in texts):
        raise TypeError(f"texts must be a list of strings; got {texts!r}")
    _parts(end_to_end)  # a model the live page can run
    out = end_to_end.get_layer("review_vectorizer")(tf.constant(list(texts))).numpy()
    return [row[row != 0].astype(np.int64) for row in out]


def gru_weights(live: LiveModel) -> gru.GRUWeights:
    """The exported GRU as a :class:`utils.gru.GRUWeights`."""
    units = live.settings["units"]
    bias = live.arrays["bias"]
    return gru.GRUWeights(kernel=gru.split_gates(live.arrays["kernel"], units),
                          recurrent=gru.split_gates(live.arrays["recurrent_kernel"], units),
                          bias=gru.split_gates(bias[0], units),
                          recurrent_bias=gru.split_gates(bias[1], units), reset_after=True)


def running_probability(live: LiveModel, ids) -> tuple[gru.GRUTrace, np.ndarray]:
    """Run the exported model over one review's ids, as the page does.

    Args:
        live: an export from :func:`read_live_model`.
        ids: the review's ids, shape (time,), start mark included, already cut to ``maxlen``.

    Returns:
        The GRU's trace (arrays of shape (1, time, units)) and the running P(positive), shape
        (time,): the output unit applied to the state after each word; the last one is the
        model's prediction.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.size == 0 or ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be a non-empty 1-d array of int ids; got {ids!r}")
    table = live.arrays["embedding"]
    if ids.min() < 0 or ids.max() >= table.shape[0]:
        raise ValueError(f"ids must lie in [0, {table.shape[0]}); got {ids.min()}..{ids.max()}")
    trace = gru.forward_weights(gru_weights(live), table[ids][None])
    logits = trace.h[0].astype(np.float64) @ live.arrays["dense_kernel"][:, 0].astype(
        np.float64) + float(live.arrays["dense_bias"][0])
    return trace, gru.sigmoid(logits)
