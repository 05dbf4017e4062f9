"""The IMDB movie-review dataset (Maas et al., 2011): fetched, verified, cached and tokenised.

Explained in :doc:`/chapters/01_the_imdb_dataset`.

Where the data comes from, in this order:

1. the ``path`` argument of :func:`load_imdb_text` / :func:`load_imdb`;
2. the ``GRU_BOOK_DATA`` environment variable (read through :mod:`utils.config`);
3. an earlier download, extracted under Keras' cache folder (``$KERAS_HOME/datasets/aclImdb``,
   ``~/.keras`` by default);
4. a download of Stanford's official ``aclImdb_v1.tar.gz``, verified by its SHA-256 before use.

A path (1, 2) may name an archive in the official layout (any size: tests use tiny ones) or an
extracted ``aclImdb/`` folder (or the folder holding it). Archives are extracted safely (members
that would land outside the target are refused) and atomically (into a temporary folder that is
renamed into place only when complete); ``unsup/`` is skipped. The parsed reviews are cached as
``.npz`` files (loaded with ``allow_pickle=False``), so a second load takes well under two seconds.

Labels are ``1`` for positive and ``0`` for negative reviews. Each split is shuffled with a fixed
seed (113, as in :func:`keras.datasets.imdb.load_data`). :func:`imdb_movie_ids` says which movie
each review is about, so a validation set can hold out whole movies
(:func:`utils.models.imdb_splits`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from utils import atomic, config

OFFICIAL_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
OFFICIAL_SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
OFFICIAL_SIZE = 84_125_825

SPLITS = ("train", "test")
LABELS = {"neg": 0, "pos": 1}
SHUFFLE_SEED = 113
START_CHAR, OOV_CHAR, INDEX_FROM = 1, 2, 3

# Bump when the parsed-cache format or the tokeniser changes: old caches are then ignored.
_CACHE_VERSION = "1"
# Bump when what is extracted changes: older extractions are then made again.
_EXTRACT_VERSION = "2"
_MEMBER = re.compile(
    r"^aclImdb/(?:(?:train|test)/(?:pos|neg)/[^/]+\.txt|(?:train|test)/urls_(?:pos|neg)\.txt"
    r"|README|imdb\.vocab)$"
)
_MOVIE = re.compile(r"/title/tt(\d+)/")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")

Split = tuple[list[str], np.ndarray]


class DataError(RuntimeError):
    """The IMDB data cannot be found, fetched, verified or read; the message says what to do."""


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def load_imdb_text(path: str | os.PathLike | None = None) -> tuple[Split, Split]:
    """Load the raw IMDB reviews.

    Args:
        path: an ``aclImdb_v1.tar.gz``-style archive or an extracted ``aclImdb/`` folder. When
            ``None``, ``GRU_BOOK_DATA``, the download cache and finally a download are tried.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: ``x_*`` are lists of review strings (HTML
        line breaks kept, as in the files), ``y_*`` int64 arrays of shape ``(n,)`` with 1 for
        positive and 0 for negative. The real data has 25,000 reviews in each split.

    Raises:
        DataError: missing, corrupt, truncated, unsafe or incomplete data, or no data and no
            network; the message names the file or split and says what to do.
        TypeError: ``path`` is not a string or path.
    """
    folder = locate_imdb(path)
    cache = _cache_file("text", _fingerprint(folder))
    if cache.is_file():
        try:
            return _load_text_cache(cache)
        except (OSError, ValueError, KeyError, zlib.error):
            cache.unlink(missing_ok=True)  # unreadable cache: rebuild it below
    splits = tuple(_read_split(folder, split) for split in SPLITS)
    _save_text_cache(cache, splits)
    return splits  # type: ignore[return-value]


def tokenize(text: str) -> list[str]:
    """Split a review into lower-case words, the tokenisation behind :func:`load_imdb`.

    HTML line breaks (``<br />``) become spaces, the text is lower-cased, and it is split into
    runs of letters and digits (keeping inner apostrophes: ``don't``); punctuation separates
    words and is dropped.

    >>> tokenize("Not bad<br /><br />at ALL -- don't miss it!")
    ['not', 'bad', 'at', 'all', "don't", 'miss', 'it']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    return _WORD.findall(_BREAK.sub(" ", text).lower())


def imdb_word_index(path: str | os.PathLike | None = None) -> dict[str, int]:
    """Map each word of the training split to its frequency rank (1 = most frequent).

    The same convention as :func:`keras.datasets.imdb.get_word_index`: in the integer
    sequences of :func:`load_imdb`, word ``w`` is ``imdb_word_index()[w] + INDEX_FROM``.
    Ties in frequency are broken alphabetically, so the ranking is deterministic.
    """
    vocab, _ = _load_tokens(path)
    return {word: rank for rank, word in enumerate(vocab, start=1)}


def load_imdb(
    num_words: int | None = None,
    maxlen: int | None = None,
    path: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """IMDB as integer sequences, with the conventions of ``keras.datasets.imdb.load_data``.

    Each review becomes ``[START_CHAR] + [rank + INDEX_FROM for each word]`` with
    ``START_CHAR = 1``, ``OOV_CHAR = 2`` and ``INDEX_FROM = 3``; ranks come from
    :func:`imdb_word_index` (training-set frequency) and start at 1, so the most frequent word
    is id 4 and id 3 is never used (as in Keras). Id 0 is left free for padding.

    Args:
        num_words: keep the ids below ``num_words``: ids 4 .. ``num_words - 1``, the
            ``num_words - 4`` most frequent words (9,996 for ``num_words=10_000``); every other
            word becomes ``OOV_CHAR``. ``None`` keeps all words. At least 4.
        maxlen: as in Keras, *drop* the reviews whose sequence (start mark included) has
            ``maxlen`` or more ids; ``None`` keeps all. Use :func:`keras.utils.pad_sequences` to
            truncate instead.
        path: the data source, as for :func:`load_imdb_text`.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: ``x_*`` object arrays of ``list[int]``,
        ``y_*`` int64 label arrays, in the same (shuffled) order as :func:`load_imdb_text`.
        :func:`load_imdb_arrays` gives the same ids as NumPy arrays, in a tenth of the memory.
    """
    out = []
    for xs, labels in load_imdb_arrays(num_words, maxlen, path):
        x = np.empty(len(xs), dtype=object)
        x[:] = [s.tolist() for s in xs]
        out.append((x, labels))
    return out[0], out[1]


def load_imdb_arrays(
    num_words: int | None = None,
    maxlen: int | None = None,
    path: str | os.PathLike | None = None,
) -> tuple[tuple[list[np.ndarray], np.ndarray], tuple[list[np.ndarray], np.ndarray]]:
    """The ids of :func:`load_imdb` (same arguments), each review an int32 NumPy array.

    A list of Python ints costs about 36 bytes per word, an int32 array 4: the 12 million words
    of IMDB take about 50 MB this way instead of about 450 MB. The arrays of a split are views
    of one buffer.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: ``x_*`` lists of ``(length,)`` int32 arrays,
        ``y_*`` int64 label arrays, in the order of :func:`load_imdb_text`.
    """
    if num_words is not None:
        if not isinstance(num_words, int) or isinstance(num_words, bool):
            raise TypeError(f"num_words must be an int or None; got {type(num_words).__name__}")
        if num_words < 4:
            raise ValueError(
                "num_words must be at least 4 (ids 0-2 are padding, start and OOV); "
                f"got {num_words}"
            )
    if maxlen is not None:
        if not isinstance(maxlen, int) or isinstance(maxlen, bool):
            raise TypeError(f"maxlen must be an int or None; got {type(maxlen).__name__}")
        if maxlen <= 0:
            raise ValueError(f"maxlen must be positive; got {maxlen}")
    _, splits = _load_tokens(path)
    out = []
    for ranks, offsets, labels in splits:
        n = len(offsets) - 1
        # One buffer: review i is [START_CHAR, ids of its words] at starts[i]:starts[i + 1].
        starts = offsets + np.arange(n + 1)
        ids = np.empty(len(ranks) + n, dtype=np.int32)
        ids[starts[:-1]] = START_CHAR
        words = np.ones(len(ids), dtype=bool)
        words[starts[:-1]] = False
        word_ids = ranks.astype(np.int32) + INDEX_FROM
        word_ids[ranks == 0] = OOV_CHAR  # words never seen in the training split
        if num_words is not None:
            word_ids[word_ids >= num_words] = OOV_CHAR
        ids[words] = word_ids
        del words, word_ids
        keep = np.arange(n) if maxlen is None else np.flatnonzero(np.diff(starts) < maxlen)
        out.append(([ids[starts[i]:starts[i + 1]] for i in keep], labels[keep]))
    return out[0], out[1]


def rank_words(
    sequences: Sequence[np.ndarray],
    num_words: int | None = None,
    path: str | os.PathLike | None = None,
) -> tuple[np.ndarray, dict[str, int]]:
    """Rank the words by their frequency in ``sequences`` alone, e.g. the training part of a split.

    :func:`load_imdb` ranks words over all 25,000 training reviews, as Keras does. A split that
    holds some of them out for validation should count words on its training part only, so
    that nothing about the validation reviews shapes the inputs (:func:`utils.models.imdb_splits`
    does this; :doc:`/chapters/06_text_to_tensors` explains it).

    Args:
        sequences: reviews as ids of ``load_imdb_arrays()`` (``num_words=None``), each an int
            array of shape ``(length,)``.
        num_words: as in :func:`load_imdb`; ``None`` keeps every word seen in ``sequences``.
        path: the data source, as for :func:`load_imdb_text`.

    Returns:
        ``(remap, word_index)``: ``remap[old_id]`` is the word's new id (rank in ``sequences``
        + ``INDEX_FROM``; ``OOV_CHAR`` for a word not seen there or not among the ``num_words``;
        ``START_CHAR`` and the padding id 0 unchanged), so ``remap[x]`` re-codes a review ``x``;
        ``word_index`` maps each kept word to its new rank (1 = most frequent). Ties in
        frequency keep the order of :func:`imdb_word_index`.
    """
    words, _ = _load_tokens(path)  # by overall rank, as imdb_word_index numbers them
    size = len(words) + INDEX_FROM + 1
    counts = np.bincount(np.concatenate([np.asarray(s)[1:] for s in sequences]), minlength=size)
    counts[:INDEX_FROM + 1] = 0  # padding, start, OOV and the unused id 3 are not words
    seen = np.flatnonzero(counts)
    order = seen[np.lexsort((seen, -counts[seen]))]  # most frequent first, ties by old id
    if num_words is not None:
        order = order[: max(num_words - INDEX_FROM - 1, 0)]
    remap = np.full(size, OOV_CHAR, dtype=np.int32)
    remap[0], remap[START_CHAR] = 0, START_CHAR
    remap[order] = np.arange(len(order), dtype=np.int32) + INDEX_FROM + 1
    word_index = {words[old - INDEX_FROM - 1]: rank
                  for rank, old in enumerate(order.tolist(), start=1)}
    return remap, word_index


def imdb_movie_ids(split: str, path: str | os.PathLike | None = None) -> np.ndarray:
    """The IMDB movie each review of ``split`` is about, in the order of :func:`load_imdb_text`.

    Review file ``{i}_{rating}.txt`` of ``{split}/pos`` is about the movie on line ``i`` of
    ``{split}/urls_pos.txt`` (``http://www.imdb.com/title/tt0453418/usercomments``), and
    likewise for ``neg``; the id is the number after ``tt``. IMDB's training and test splits
    are about different movies, all but one (tt0406816 has 2 training and 23 test reviews,
    counted in :doc:`/chapters/01_the_imdb_dataset`), and a movie has up to 30 reviews within a
    split.

    Args:
        split: ``"train"`` or ``"test"``.
        path: the data source, as for :func:`load_imdb_text`.

    Returns:
        An int64 array with one movie id per review, aligned with ``x_train`` or ``x_test``.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
    folder = locate_imdb(path)
    ids: list[int] = []
    for label in LABELS:
        urls_file = folder / split / f"urls_{label}.txt"
        if not urls_file.is_file():
            raise DataError(
                f"{urls_file} is missing; it says which movie each review is about. Use the "
                "complete aclImdb_v1.tar.gz or its aclImdb/ folder."
            )
        urls = urls_file.read_text(encoding="utf-8").splitlines()
        for file in _review_files(folder, split, label):
            line = int(file.name.split("_", 1)[0])
            movie = _MOVIE.search(urls[line]) if line < len(urls) else None
            if movie is None:
                raise DataError(f"{urls_file} has no IMDB title URL for review {file.name}")
            ids.append(int(movie.group(1)))
    return np.asarray(ids, dtype=np.int64)[_shuffled_order(len(ids))]


def decode_review(sequence: Iterable[int], word_index: dict[str, int]) -> str:
    """Turn an integer sequence from :func:`load_imdb` back into words (``?`` for OOV/start)."""
    if not isinstance(word_index, dict):
        raise TypeError(f"word_index must be a dict; got {type(word_index).__name__}")
    words = {rank + INDEX_FROM: word for word, rank in word_index.items()}
    return " ".join(words.get(int(i), "?") for i in sequence if int(i) != 0)


def download_imdb(
    url: str = OFFICIAL_URL,
    sha256: str = OFFICIAL_SHA256,
    cache_dir: str | os.PathLike | None = None,
) -> Path:
    """Download the official archive once (with a progress bar), verify it and return its path.

    Uses :func:`keras.utils.get_file`, which re-verifies a cached copy on every call. A failed,
    interrupted or wrong-hash download is deleted, so no later run trusts it.
    """
    for name, value in (("url", url), ("sha256", sha256)):
        if not isinstance(value, str) or not value:
            raise TypeError(f"{name} must be a non-empty str; got {value!r}")
    import keras

    home = Path(cache_dir) if cache_dir is not None else config.keras_home()
    target = home / "datasets" / "aclImdb_v1.tar.gz"
    # get_file silently falls back to /tmp/.keras when the folder is missing: create it first.
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        got = keras.utils.get_file(
            fname=target.name,
            origin=url,
            file_hash=sha256,
            hash_algorithm="sha256",
            cache_dir=str(home),
            cache_subdir="datasets",
        )
    except ValueError as err:  # hash mismatch after a complete download
        target.unlink(missing_ok=True)
        raise DataError(
            f"the file downloaded from {url} does not match its SHA-256 ({sha256}); it was "
            f"deleted. Try again, or download it yourself, check it, and set "
            f"{config.DATA_ENV} to its path. ({err})"
        ) from err
    except (Exception, KeyboardInterrupt) as err:
        target.unlink(missing_ok=True)
        if isinstance(err, KeyboardInterrupt):
            raise
        raise DataError(
            f"cannot download the IMDB data from {url} ({err}). If this machine is offline, "
            f"copy aclImdb_v1.tar.gz (or an extracted aclImdb/ folder) to it and set "
            f"{config.DATA_ENV}=/path/to/it."
        ) from err
    return Path(got)


def extract_archive(archive: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Safely and atomically extract the labelled reviews of ``archive`` into folder ``dest``.

    Only ``aclImdb/{train,test}/{pos,neg}/*.txt``, ``{train,test}/urls_{pos,neg}.txt`` (the
    movie of each review), ``README`` and ``imdb.vocab`` are extracted (``unsup/`` and the
    bag-of-words files are skipped). Any member with an absolute path, a
    ``..`` component or a link is refused. Extraction goes to a temporary sibling folder that
    is renamed to ``dest`` only once complete and checked.

    Raises:
        DataError: the archive is missing, not a tar archive, corrupt, truncated, unsafe or
            lacks a split.
    """
    archive, dest = Path(archive), Path(dest)
    if not archive.is_file():
        raise DataError(f"{archive} does not exist or is not a file")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for m in members:
                parts = Path(m.name).parts
                if m.name.startswith(("/", "\\")) or ".." in parts or m.issym() or m.islnk():
                    raise DataError(
                        f"{archive} is unsafe: member {m.name!r} would be written outside the "
                        "target folder or is a link; it was not extracted. Use the official "
                        "aclImdb_v1.tar.gz."
                    )
            wanted = [m for m in members if m.isfile() and _MEMBER.match(m.name)]
            tar.extractall(tmp, members=wanted, filter="data")
        _check_folder(tmp / "aclImdb", source=archive)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp / "aclImdb", dest)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise DataError(
            f"{archive} is corrupt or truncated ({type(err).__name__}: {err}); delete it and "
            "download it again"
        ) from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def locate_imdb(path: str | os.PathLike | None = None) -> Path:
    """Return an extracted ``aclImdb`` folder holding both splits, fetching it if needed."""
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str, a path or None; got {type(path).__name__}")
    source = Path(path).expanduser().resolve() if path is not None else config.data_path()
    if source is not None:
        return _from_local(source)
    cached = config.keras_home() / "datasets" / "aclImdb"
    if cached.is_dir():
        return _check_folder(cached, source=cached)
    return extract_archive(download_imdb(url=OFFICIAL_URL, sha256=OFFICIAL_SHA256), cached)


# --------------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------------


def _from_local(source: Path) -> Path:
    if not source.exists():
        raise DataError(
            f"{source} does not exist. Point {config.DATA_ENV} (or path=) at aclImdb_v1.tar.gz "
            f"or an extracted aclImdb/ folder, or unset it to download {OFFICIAL_URL}."
        )
    if source.is_dir():
        folder = source / "aclImdb" if (source / "aclImdb").is_dir() else source
        return _check_folder(folder, source=source)
    digest = _sha256(source)
    name = f"aclImdb-{digest[:16]}-v{_EXTRACT_VERSION}"
    dest = config.keras_home() / "datasets" / "gru_book" / name
    if dest.is_dir():
        return _check_folder(dest, source=source)
    return extract_archive(source, dest)


def _check_folder(folder: Path, source: Path) -> Path:
    for split in SPLITS:
        for label in LABELS:
            sub = folder / split / label
            if not sub.is_dir() or not any(sub.glob("*.txt")):
                raise DataError(
                    f"{source} has no reviews for split '{split}/{label}' (expected "
                    f"{sub}/*.txt). Use the complete aclImdb_v1.tar.gz or its aclImdb/ folder."
                )
    return folder


def _sha256(file: Path) -> str:
    h = hashlib.sha256()
    with open(file, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fingerprint(folder: Path) -> str:
    """A cheap content key of the four review folders: names, sizes and modification times."""
    h = hashlib.sha256(_CACHE_VERSION.encode())
    for split in SPLITS:
        for label in LABELS:
            entries = sorted(
                (e.name, e.stat().st_size, e.stat().st_mtime_ns)
                for e in os.scandir(folder / split / label)
                if e.name.endswith(".txt")
            )
            h.update(f"{split}/{label}:{entries}".encode())
    return h.hexdigest()[:16]


def _cache_file(kind: str, key: str) -> Path:
    return config.keras_home() / "datasets" / "gru_book" / f"imdb-{kind}-{key}.npz"


def _review_files(folder: Path, split: str, label: str) -> list[Path]:
    return sorted((folder / split / label).glob("*.txt"))


def _shuffled_order(n: int) -> np.ndarray:
    return np.random.RandomState(SHUFFLE_SEED).permutation(n)


def _read_split(folder: Path, split: str) -> Split:
    texts: list[str] = []
    labels: list[int] = []
    for label, value in LABELS.items():
        for file in _review_files(folder, split, label):
            texts.append(file.read_text(encoding="utf-8"))
            labels.append(value)
    order = _shuffled_order(len(texts))
    return [texts[i] for i in order], np.asarray(labels, dtype=np.int64)[order]


def _pack_strings(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def _unpack_strings(data: np.ndarray, offsets: np.ndarray) -> list[str]:
    raw = data.tobytes()
    return [raw[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:])]


def _save_text_cache(file: Path, splits: tuple[Split, ...]) -> None:
    arrays = {}
    for split, (texts, labels) in zip(SPLITS, splits):
        arrays[f"{split}_text"], arrays[f"{split}_offsets"] = _pack_strings(texts)
        arrays[f"{split}_labels"] = labels
    atomic.write(file, lambda tmp: np.savez(tmp, **arrays))


def _load_text_cache(file: Path) -> tuple[Split, Split]:
    with np.load(file, allow_pickle=False) as f:
        return tuple(  # type: ignore[return-value]
            (_unpack_strings(f[f"{s}_text"], f[f"{s}_offsets"]), f[f"{s}_labels"].astype(np.int64))
            for s in SPLITS
        )


def _load_tokens(path):
    """Vocabulary (by rank) and, per split, (ranks, offsets, labels); cached like the text.

    Rank 0 marks a word that does not occur in the training split.
    """
    folder = locate_imdb(path)
    cache = _cache_file("tokens", _fingerprint(folder))
    if cache.is_file():
        try:
            with np.load(cache, allow_pickle=False) as f:
                vocab = f["vocab"].tobytes().decode("utf-8").split("\n")
                return vocab, [
                    (f[f"{s}_ranks"], f[f"{s}_offsets"], f[f"{s}_labels"].astype(np.int64))
                    for s in SPLITS
                ]
        except (OSError, ValueError, KeyError, zlib.error):
            cache.unlink(missing_ok=True)
    (train_x, train_y), (test_x, test_y) = load_imdb_text(folder)
    tokenised = {"train": [tokenize(t) for t in train_x], "test": [tokenize(t) for t in test_x]}
    counts = Counter(w for doc in tokenised["train"] for w in doc)
    vocab = sorted(counts, key=lambda w: (-counts[w], w))
    rank = {w: i for i, w in enumerate(vocab, start=1)}
    arrays = {"vocab": np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8)}
    splits = []
    for split, labels in (("train", train_y), ("test", test_y)):
        docs = tokenised[split]
        ranks = np.fromiter((rank.get(w, 0) for d in docs for w in d), dtype=np.int32)
        offsets = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum([len(d) for d in docs], out=offsets[1:])
        arrays.update({f"{split}_ranks": ranks, f"{split}_offsets": offsets,
                       f"{split}_labels": labels})
        splits.append((ranks, offsets, labels))
    atomic.write(cache, lambda tmp: np.savez(tmp, **arrays))
    return vocab, splits


def main() -> None:  # pragma: no cover - exercised by `make data`
    """``python -m utils.data``: obtain, verify and cache the data; print where it came from."""
    import sys
    import time

    start = time.perf_counter()
    try:
        folder = locate_imdb()
        (x_train, y_train), (x_test, y_test) = load_imdb_text()
        load_imdb(num_words=10)  # builds the token cache too
    except DataError as err:
        sys.exit(f"error: {err}")
    print(
        f"IMDB ready from {folder}: {len(x_train):,} train / {len(x_test):,} test reviews, "
        f"{y_train.mean():.0%} / {y_test.mean():.0%} positive ({time.perf_counter() - start:.1f} s)"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
