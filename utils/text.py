"""Raw review text to the book's integer ids, inside a Keras model.

Explained in :doc:`/chapters/06_text_to_tensors`.

:func:`utils.data.load_imdb` turns reviews into ids in Python, with the conventions of
``keras.datasets.imdb`` (0 padding, 1 start mark, 2 out-of-vocabulary, word of frequency rank
``k`` is ``k + 3``). A model that is to read raw strings needs the same mapping as Keras layers,
so that it can be saved with the model and reloaded anywhere. :func:`review_vectorizer` builds
it from ``keras.layers.TextVectorization`` and two small pieces that Keras lacks:

- :func:`standardize_review`, the same tokenisation as :func:`utils.data.tokenize` written with
  TensorFlow string ops (HTML line breaks to spaces, lower case, words are runs of letters and
  digits with inner apostrophes kept);
- :class:`ImdbIds`, which shifts ``TextVectorization``'s ids to the ``keras.datasets.imdb``
  ones, puts the start mark in front and truncates like ``keras.utils.pad_sequences``.

Both are registered Keras objects, so a model holding them saves to ``.keras`` and reloads with
``keras.saving.load_model(path, safe_mode=True)`` (no Python code is deserialised).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from utils import data
from utils.checks import positive_int

__all__ = ["ImdbIds", "review_vectorizer", "standardize_review"]

_PACKAGE = "gru_book"
#: A vocabulary entry that standardisation can never produce (it strips brackets); it takes
#: ``TextVectorization`` id 2, so that word ids line up with ``keras.datasets.imdb`` after +1.
_NEVER = "[start]"


@keras.saving.register_keras_serializable(package=_PACKAGE)
def standardize_review(text: tf.Tensor) -> tf.Tensor:
    """Standardise a batch of review strings the way :func:`utils.data.tokenize` does.

    Args:
        text: a string tensor of any shape.

    Returns:
        A string tensor of the same shape whose whitespace-separated words are exactly
        ``utils.data.tokenize(text)``.
    """
    text = tf.strings.lower(text, encoding="utf-8")
    text = tf.strings.regex_replace(text, r"<br\s*/?>", " ")
    # Anything but letters, digits and apostrophes separates words.
    text = tf.strings.regex_replace(text, r"[^\pL\pN']+", " ")
    # An apostrophe is kept only alone between two word characters ("don't", "rock'n'roll").
    text = tf.strings.regex_replace(text, r"''+", " ")
    text = tf.strings.regex_replace(text, r"(^|\s)'", r"\1")
    return tf.strings.regex_replace(text, r"'(\s|$)", r"\1")


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ImdbIds(keras.layers.Layer):
    """Map ``TextVectorization`` ids to ``keras.datasets.imdb`` ids, add the start mark, truncate.

    Input: int ids of shape ``(batch, time)`` from a ``TextVectorization`` layer whose
    vocabulary is ``["[start]", word_1, word_2, ...]`` (0 padding at the end, 1 unknown).
    Output: int32 ids of shape ``(batch, time')``, ``time' <= maxlen``, padded with 0 at the end:
    each row is ``[1, w_1 + 3, ...]`` as :func:`utils.data.load_imdb` gives, cut to ``maxlen``
    ids the way ``keras.utils.pad_sequences(truncating=...)`` cuts.
    """

    def __init__(self, maxlen: int, truncating: str = "pre", **kwargs):
        super().__init__(**kwargs)
        maxlen = positive_int("maxlen", maxlen)
        if truncating not in ("pre", "post"):
            raise ValueError(f"truncating must be 'pre' or 'post'; got {truncating!r}")
        self.maxlen = maxlen
        self.truncating = truncating

    def call(self, ids):
        ids = tf.cast(ids, tf.int32)
        words = tf.RaggedTensor.from_tensor(ids, padding=0) + 1  # unknown 1 -> 2, words +1
        # Every review starts with the mark, also one without words ("", "!!!"), as in
        # utils.data.load_imdb; ones_like(words[:, :1]) would give such a review no id at all.
        start = tf.RaggedTensor.from_tensor(tf.ones([tf.shape(ids)[0], 1], tf.int32))
        seqs = tf.concat([start, words], axis=1)
        seqs = seqs[:, -self.maxlen:] if self.truncating == "pre" else seqs[:, : self.maxlen]
        return seqs.to_tensor(0)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], None)

    def get_config(self):
        return {**super().get_config(), "maxlen": self.maxlen, "truncating": self.truncating}


def review_vectorizer(
    num_words: int, maxlen: int, truncating: str = "pre", name: str = "review_vectorizer",
    word_index: dict[str, int] | None = None,
) -> keras.Sequential:
    """A model from review strings to the ids of ``utils.data.load_imdb(num_words)``.

    Args:
        num_words: as in :func:`utils.data.load_imdb`: ids below it are kept, others become 2.
        maxlen: the longest sequence to produce (the classifier's ``maxlen``).
        truncating: ``"pre"`` keeps the end of a long review, ``"post"`` its beginning.
        word_index: word to rank (id = rank + 3); :func:`utils.data.imdb_word_index` if
            ``None``. The book's models use their split's (``utils.models.imdb_splits()
            ["word_index"]``, ranked on the training reviews only).

    Returns:
        A ``keras.Sequential`` taking a string tensor of shape ``(batch,)`` and returning int32
        ids of shape ``(batch, time)``, padded with 0 at the end (``mask_zero=True`` skips it).
    """
    if not isinstance(num_words, int) or isinstance(num_words, bool) or num_words < 4:
        raise ValueError(f"num_words must be an int >= 4; got {num_words!r}")
    if word_index is None:
        word_index = data.imdb_word_index()
    vocab = sorted(word_index, key=word_index.__getitem__)[: num_words - 1 - data.INDEX_FROM]
    vectorize = keras.layers.TextVectorization(
        standardize=standardize_review, split="whitespace", vocabulary=[_NEVER, *vocab],
        name="text_vectorization",
    )
    return keras.Sequential(
        [keras.Input(shape=(), dtype="string"), vectorize, ImdbIds(maxlen, truncating)],
        name=name,
    )
