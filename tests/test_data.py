"""Tests of utils.data: tiny archives in the official layout, a real HTTP download on 127.0.0.1,
every failure mode the loader promises to report, and the real data that `make test` fetched."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import tarfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from utils import data

REVIEWS = {
    ("train", "pos"): ["A great film.<br /><br />Great acting!", "Loved it, great fun",
                       "good good"],
    ("train", "neg"): ["A bad film. Bad acting", "boring and bad", "not good at all"],
    ("test", "pos"): ["great", "a good one"],
    ("test", "neg"): ["bad", "unwatchable zzzz"],
}


def _add(tar: tarfile.TarFile, name: str, text: str) -> None:
    payload = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))


def movie_of(split: str, label: str, i: int) -> int:
    """The tiny archive's movie id of review ``i``: two reviews per movie, per split and label."""
    return 1000 * (split == "test") + 100 * (label == "pos") + i // 2 + 1


def make_archive(path: Path, *, skip=(), extra=None, unsup=True, urls=True) -> Path:
    """Write a tiny aclImdb_v1.tar.gz look-alike (official layout) to ``path``."""
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, "aclImdb/README", "tiny IMDB for tests")
        for (split, label), texts in REVIEWS.items():
            if (split, label) in skip:
                continue
            for i, text in enumerate(texts):
                _add(tar, f"aclImdb/{split}/{label}/{i}_{7 if label == 'pos' else 2}.txt", text)
            if urls:
                lines = [f"http://www.imdb.com/title/tt{movie_of(split, label, i):07d}/usercomments"
                         for i in range(len(texts))]
                _add(tar, f"aclImdb/{split}/urls_{label}.txt", "\n".join(lines) + "\n")
        if unsup:
            _add(tar, "aclImdb/train/unsup/0_0.txt", "unlabelled")
        for name, text in (extra or {}).items():
            _add(tar, name, text)
    return path


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty Keras cache and no GRU_BOOK_DATA: nothing the real set-up cached is visible."""
    keras_home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.delenv("GRU_BOOK_DATA", raising=False)
    return keras_home


@pytest.fixture
def archive(tmp_path):
    return make_archive(tmp_path / "tiny.tar.gz")


# ------------------------------------------------------------------ loading a local archive/folder


def test_load_tiny_archive(home, archive):
    (x_train, y_train), (x_test, y_test) = data.load_imdb_text(archive)
    assert len(x_train) == 6 and len(x_test) == 4
    assert y_train.dtype == np.int64 and sorted(y_train.tolist()) == [0, 0, 0, 1, 1, 1]
    assert set(x_train) == set(REVIEWS["train", "pos"] + REVIEWS["train", "neg"])
    for text, label in zip(x_train, y_train):
        assert (text in REVIEWS["train", "pos"]) == (label == 1)
    assert "unlabelled" not in x_train


def test_env_variable_and_folder_sources_agree(home, archive, monkeypatch):
    from_arg = data.load_imdb_text(archive)
    monkeypatch.setenv("GRU_BOOK_DATA", str(archive))
    from_env = data.load_imdb_text()
    extracted = next((home / "datasets" / "gru_book").glob("aclImdb-*"))
    from_folder = data.load_imdb_text(extracted)
    holder = extracted.parent / "holder"
    holder.mkdir()
    (holder / "aclImdb").symlink_to(extracted)
    from_holder = data.load_imdb_text(holder)  # a folder holding aclImdb/ works too
    for other in (from_env, from_folder, from_holder):
        assert other[0][0] == from_arg[0][0] and other[1][0] == from_arg[1][0]
        np.testing.assert_array_equal(other[0][1], from_arg[0][1])


def test_extraction_skips_unsup_and_is_complete(home, archive):
    folder = data.locate_imdb(archive)
    assert not (folder / "train" / "unsup").exists()
    assert sorted(p.name for p in (folder / "train").iterdir()) == [
        "neg", "pos", "urls_neg.txt", "urls_pos.txt"]
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")], "temp left behind"


def test_movie_ids_are_aligned_with_the_reviews(home, archive):
    for split_index, split in enumerate(data.SPLITS):
        texts, labels = data.load_imdb_text(archive)[split_index]
        ids = data.imdb_movie_ids(split, archive)
        assert ids.dtype == np.int64 and len(ids) == len(texts)
        for text, label, movie in zip(texts, labels, ids):
            name = "pos" if label == 1 else "neg"
            assert movie == movie_of(split, name, REVIEWS[split, name].index(text))


def test_movie_ids_bad_split_and_missing_urls(home, tmp_path):
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        data.imdb_movie_ids("validation", make_archive(tmp_path / "a.tar.gz"))
    with pytest.raises(data.DataError, match="urls_neg.txt is missing"):
        data.imdb_movie_ids("train", make_archive(tmp_path / "b.tar.gz", urls=False))


def test_order_is_shuffled_deterministically(home, archive):
    first = data.load_imdb_text(archive)
    for f in (home / "datasets" / "gru_book").glob("*.npz"):
        f.unlink()
    again = data.load_imdb_text(archive)
    assert first[0][0] == again[0][0]
    assert first[0][1].tolist() != sorted(first[0][1].tolist())  # not all-neg-then-pos


def test_parsed_cache_is_used_and_rebuilt_when_corrupt(home, archive):
    data.load_imdb_text(archive)
    (cache,) = (home / "datasets" / "gru_book").glob("imdb-text-*.npz")
    cache.write_bytes(b"not a zip file")
    (x_train, _), _ = data.load_imdb_text(archive)
    assert len(x_train) == 6
    np.load(cache, allow_pickle=False).close()  # rebuilt and readable


# ------------------------------------------------------------------------------ failure modes


def test_missing_path(home, tmp_path):
    with pytest.raises(data.DataError, match="does not exist.*GRU_BOOK_DATA"):
        data.load_imdb_text(tmp_path / "nope.tar.gz")


def test_missing_split_names_the_split(home, tmp_path):
    bad = make_archive(tmp_path / "bad.tar.gz", skip={("test", "neg")})
    with pytest.raises(data.DataError, match="test/neg"):
        data.load_imdb_text(bad)
    assert not list((home / "datasets" / "gru_book").glob("aclImdb-*")), "incomplete folder kept"


def test_folder_missing_split(home, archive, tmp_path):
    folder = data.extract_archive(archive, tmp_path / "aclImdb")
    for f in (folder / "train" / "pos").iterdir():
        f.unlink()
    with pytest.raises(data.DataError, match="train/pos"):
        data.load_imdb_text(folder)


def test_corrupt_archive(home, tmp_path):
    bad = tmp_path / "corrupt.tar.gz"
    bad.write_bytes(b"\x1f\x8b" + os.urandom(500))
    with pytest.raises(data.DataError, match="corrupt or truncated"):
        data.load_imdb_text(bad)


def test_truncated_archive(home, archive, tmp_path):
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(data.DataError, match="corrupt or truncated"):
        data.load_imdb_text(cut)
    leftovers = list((home / "datasets" / "gru_book").iterdir())
    assert not leftovers, f"a failed extraction left {leftovers}"


@pytest.mark.parametrize("name", ["../evil.txt", "/tmp/evil.txt", "aclImdb/../../evil.txt"])
def test_unsafe_member_is_refused(home, tmp_path, name):
    bad = make_archive(tmp_path / "unsafe.tar.gz", extra={name: "pwned"})
    with pytest.raises(data.DataError, match="unsafe"):
        data.load_imdb_text(bad)
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


def test_symlink_member_is_refused(home, tmp_path):
    bad = tmp_path / "link.tar.gz"
    make_archive(bad)
    with tarfile.open(bad, "w:gz") as tar:  # rewrite with a link added
        for (split, label), texts in REVIEWS.items():
            for i, text in enumerate(texts):
                _add(tar, f"aclImdb/{split}/{label}/{i}_1.txt", text)
        link = tarfile.TarInfo("aclImdb/train/pos/link.txt")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    with pytest.raises(data.DataError, match="unsafe"):
        data.load_imdb_text(bad)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"num_words": 3}, ValueError, "num_words must be at least 4"),
        ({"num_words": "10"}, TypeError, "num_words must be an int"),
        ({"num_words": 10.0}, TypeError, "num_words must be an int"),
        ({"maxlen": 0}, ValueError, "maxlen must be positive"),
        ({"maxlen": 2.5}, TypeError, "maxlen must be an int"),
        ({"path": 42}, TypeError, "path must be a str"),
    ],
)
def test_bad_arguments(home, kwargs, error, match):
    with pytest.raises(error, match=match):
        data.load_imdb(**kwargs)


def test_bad_arguments_elsewhere():
    with pytest.raises(TypeError, match="text must be a str"):
        data.tokenize(None)
    with pytest.raises(TypeError, match="word_index must be a dict"):
        data.decode_review([1, 2], ["a"])
    with pytest.raises(TypeError, match="url must be"):
        data.download_imdb(url="")


# ------------------------------------------------------------------ integer sequences (Keras style)


def test_tokenize():
    assert data.tokenize("Not bad<br /><br />at ALL -- don't miss it!") == [
        "not", "bad", "at", "all", "don't", "miss", "it"]
    assert data.tokenize("Café<BR/>naïve_2 x") == ["café", "naïve", "2", "x"]


def test_load_imdb_conventions(home, archive):
    word_index = data.imdb_word_index(archive)
    # training-set counts: bad, good, great 3 each; a, acting, film 2 each; ties alphabetical
    assert [word_index[w] for w in ("bad", "good", "great", "a", "acting", "film")] == [
        1, 2, 3, 4, 5, 6]
    assert sorted(word_index.values()) == list(range(1, len(word_index) + 1))
    (x_train, y_train), (x_test, y_test) = data.load_imdb(path=archive)
    assert x_train.dtype == object and len(x_train) == len(y_train) == 6
    texts, _ = data.load_imdb_text(archive)[0]
    for seq, text in zip(x_train, texts):
        assert seq[0] == data.START_CHAR
        assert seq[1:] == [word_index[w] + data.INDEX_FROM for w in data.tokenize(text)]
        assert data.decode_review(seq, word_index) == "? " + " ".join(data.tokenize(text))
    assert any(data.OOV_CHAR in s for s in x_test)  # "unwatchable zzzz" never seen in training


def test_num_words_and_maxlen(home, archive):
    (x_train, _), (x_test, _) = data.load_imdb(num_words=5, path=archive)
    assert max(max(s) for s in x_train) < 5
    assert all(w in (data.START_CHAR, data.OOV_CHAR, 4) for s in x_train for w in s)
    # num_words=8 keeps ids 4..7: the 8 - 4 = 4 most frequent words; id 3 is never used.
    (x_train, _), _ = data.load_imdb(num_words=8, path=archive)
    word_ids = {w for s in x_train for w in s} - {data.START_CHAR, data.OOV_CHAR}
    assert word_ids == {4, 5, 6, 7}
    (all_words, _), _ = data.load_imdb(path=archive)
    assert min(w for s in all_words for w in s[1:]) == 4
    (short, y_short), _ = data.load_imdb(maxlen=4, path=archive)
    assert all(len(s) < 4 for s in short) and len(short) == len(y_short) < 6


@pytest.mark.parametrize("kwargs", [{}, {"num_words": 5}, {"maxlen": 4}, {"num_words": 8,
                                                                          "maxlen": 5}])
def test_arrays_hold_the_ids_of_the_lists(home, archive, kwargs):
    lists = data.load_imdb(path=archive, **kwargs)
    arrays = data.load_imdb_arrays(path=archive, **kwargs)
    for (x_list, y_list), (x_arr, y_arr) in zip(lists, arrays, strict=True):
        assert isinstance(x_arr, list) and len(x_arr) == len(x_list)
        assert all(a.dtype == np.int32 and a.ndim == 1 for a in x_arr)
        assert [a.tolist() for a in x_arr] == list(x_list)
        np.testing.assert_array_equal(y_arr, y_list)
    with pytest.raises(ValueError, match="num_words"):
        data.load_imdb_arrays(num_words=3, path=archive)


def test_rank_words_counts_only_the_given_reviews(home, archive):
    official = data.imdb_word_index(archive)
    (x_train, _), (x_test, _) = data.load_imdb_arrays(path=archive)
    part = x_train[:2]
    remap, word_index = data.rank_words(part, path=archive)
    texts = [data.tokenize(t) for t in data.load_imdb_text(archive)[0][0][:2]]
    counts = {w: sum(doc.count(w) for doc in texts) for doc in texts for w in doc}
    assert set(word_index) == set(counts)
    assert sorted(word_index.values()) == list(range(1, len(counts) + 1))
    ranked = sorted(word_index, key=word_index.get)
    assert [counts[w] for w in ranked] == sorted(counts.values(), reverse=True)
    for a, b in zip(ranked, ranked[1:]):  # ties keep the official order
        assert counts[a] > counts[b] or official[a] < official[b]
    for ids, doc in zip(part, texts):
        assert remap[ids].tolist() == [data.START_CHAR] + [word_index[w] + 3 for w in doc]
    assert remap[0] == 0 and remap[data.OOV_CHAR] == data.OOV_CHAR
    unseen = [w for w in official if w not in counts]
    assert unseen and all(remap[official[w] + 3] == data.OOV_CHAR for w in unseen)
    # num_words keeps ids below it
    remap5, index5 = data.rank_words(part, num_words=5, path=archive)
    assert list(index5) == ranked[:1] and remap[:].max() >= 5 > remap5.max()
    assert all(remap5[x].max() < 5 for x in x_test)


# ------------------------------------------------------------------------------ the download path


class _Handler(http.server.BaseHTTPRequestHandler):
    payload = b""
    cut = False

    def do_GET(self):  # noqa: N802 - http.server API
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.payload)))
        self.end_headers()
        body = self.payload[: len(self.payload) // 2] if self.cut else self.payload
        self.wfile.write(body)
        self.wfile.flush()
        if self.cut:
            self.connection.close()

    def log_message(self, *args):
        pass


@pytest.fixture
def server(archive):
    handler = type("Handler", (_Handler,), {"payload": archive.read_bytes()})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{httpd.server_address[1]}/aclImdb_v1.tar.gz"
    httpd.shutdown()


def test_download_good_file(home, archive, server):
    _, url = server
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    got = data.download_imdb(url=url, sha256=sha)
    assert got == home / "datasets" / "aclImdb_v1.tar.gz"
    assert got.read_bytes() == archive.read_bytes()
    assert data.download_imdb(url="http://127.0.0.1:9/unused", sha256=sha) == got  # cached


def test_download_wrong_hash_is_deleted(home, server):
    _, url = server
    with pytest.raises(data.DataError, match="does not match its SHA-256"):
        data.download_imdb(url=url, sha256="0" * 64)
    assert not (home / "datasets" / "aclImdb_v1.tar.gz").exists()


def test_download_cut_mid_file_leaves_nothing(home, archive, server):
    handler, url = server
    handler.cut = True
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    with pytest.raises(data.DataError, match="cannot download"):
        data.download_imdb(url=url, sha256=sha)
    assert not list((home / "datasets").glob("*")), "a partial download was left behind"


def test_full_download_path_through_the_loader(home, archive, server, monkeypatch):
    _, url = server
    monkeypatch.setattr(data, "OFFICIAL_URL", url)
    monkeypatch.setattr(data, "OFFICIAL_SHA256", hashlib.sha256(archive.read_bytes()).hexdigest())
    (x_train, _), _ = data.load_imdb_text()
    assert len(x_train) == 6
    assert (home / "datasets" / "aclImdb" / "train" / "pos").is_dir()
    monkeypatch.setattr(data, "OFFICIAL_URL", "http://127.0.0.1:9/offline")
    assert len(data.load_imdb_text()[0][0]) == 6  # the extracted cache; no network needed


def test_offline_without_data_gives_one_clear_message(home, monkeypatch):
    monkeypatch.setattr(data, "OFFICIAL_URL", "http://127.0.0.1:9/aclImdb_v1.tar.gz")
    with pytest.raises(data.DataError) as info:
        data.load_imdb_text()
    message = str(info.value)
    assert "GRU_BOOK_DATA" in message and "http://127.0.0.1:9/aclImdb_v1.tar.gz" in message
    assert not (home / "datasets" / "aclImdb_v1.tar.gz").exists()


def test_official_constants():
    assert data.OFFICIAL_URL == "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
    assert len(data.OFFICIAL_SHA256) == 64 and data.OFFICIAL_SIZE == 84_125_825


# ------------------------------------------------------------------------------ the real data


def test_real_data_counts_balance_and_speed():
    """The data `make test` obtained (GRU_BOOK_DATA in CI, else the download cache)."""
    data.load_imdb_text()  # make sure the parsed cache exists
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        (x_train, y_train), (x_test, y_test) = data.load_imdb_text()
        timings.append(time.perf_counter() - start)
    assert len(x_train) == len(y_train) == 25_000
    assert len(x_test) == len(y_test) == 25_000
    assert y_train.sum() == y_test.sum() == 12_500
    assert abs(y_train[:5_000].mean() - 0.5) < 0.05  # shuffled: any slice is balanced
    assert min(timings) < 2.0, f"a cached load took {min(timings):.2f} s"


def test_real_movie_ids():
    """IMDB's two splits are (all but one title) about different movies; a title has 1-30
    reviews in a split."""
    train, test = data.imdb_movie_ids("train"), data.imdb_movie_ids("test")
    assert len(train) == len(test) == 25_000
    assert len(set(train.tolist()) & set(test.tolist())) <= 1
    _, counts = np.unique(train, return_counts=True)
    assert counts.max() == 30 and len(counts) > 3_000
