"""Tests of utils.seq2seq."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from utils import config, seq2seq


@pytest.mark.parametrize("style, text", [
    ("us_short", "12/25/24"), ("us_long", "12/25/2024"), ("european", "25.12.2024"),
    ("day_mon_year", "25 Dec 2024"), ("mon_day_year", "Dec 25, 2024"),
    ("month_day_year", "December 25, 2024"), ("ordinal_of", "25th of December 2024"),
    ("weekday_short", "Wed, Dec 25 2024"), ("weekday_long", "Wednesday, 25 December 2024"),
    ("lower_the", "the 25th of december, 2024"),
])
def test_formats(style, text):
    assert seq2seq.format_date(dt.date(2024, 12, 25), style) == text


def test_ordinals_and_bad_style():
    days = [seq2seq.format_date(dt.date(2024, 1, d), "ordinal_of").split()[0]
            for d in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23)]
    assert days == ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd"]
    with pytest.raises(ValueError, match="style"):
        seq2seq.format_date(dt.date(2024, 1, 1), "klingon")


def test_date_split_is_disjoint_and_complete():
    train, val, test = seq2seq.date_split((0.8, 0.1), seed=0)
    assert not set(train) & set(test) and not set(train) & set(val)
    assert len(train) + len(val) + len(test) == 36525          # 1950-2049
    assert min(train + val + test) == dt.date(1950, 1, 1)


def test_make_examples_targets_are_iso_dates():
    _, _, test = seq2seq.date_split()
    sources, targets, styles = seq2seq.make_examples(test, 50, seed=1)
    assert len(sources) == len(targets) == len(styles) == 50
    for s, t, style in zip(sources, targets, styles, strict=True):
        assert seq2seq.format_date(dt.date.fromisoformat(t), style) == s
    assert seq2seq.make_examples(test, 5, seed=1) == seq2seq.make_examples(test, 5, seed=1)
    with pytest.raises(ValueError, match="n must"):
        seq2seq.make_examples(test, 0)
    with pytest.raises(ValueError, match="dates"):
        seq2seq.make_examples([], 3)


def test_char_vocab_round_trip_and_errors():
    vocab = seq2seq.CharVocab(["ab-1", "2024-12-25"])
    ids = vocab.encode(["ab", "2024-12-25"], 12)
    assert ids.shape == (2, 12) and ids[0, 2] == vocab.PAD and ids.min() >= 0
    assert vocab.decode(ids) == ["ab", "2024-12-25"]
    dec = vocab.decoder_inputs(ids[:, :10])
    assert (dec[:, 0] == vocab.START).all() and (dec[:, 1:] == ids[:, :9]).all()
    with pytest.raises(ValueError, match="longer"):
        vocab.encode(["abababab"], 3)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode(["xyz"], 5)


@pytest.mark.parametrize("attention", [False, True])
def test_greedy_decoding_is_the_trained_function(attention):
    config.set_seed(0)
    vocab = seq2seq.CharVocab(["0123456789-/ ", "abc"])
    model = seq2seq.DateTranslator(len(vocab), units=8, embed_dim=4, attention=attention)
    source = vocab.encode(["12/25/24", "1/2/50", "abc 12"], 9)
    ids, logits, weights = model.greedy_decode(source)
    assert ids.shape == (3, seq2seq.TARGET_LEN) and logits.shape == (3, 10, len(vocab))
    np.testing.assert_array_equal(ids, logits.argmax(-1))
    # feeding the greedy output back with teacher forcing reproduces the scores
    forced = np.asarray(model((source, vocab.decoder_inputs(ids))))
    np.testing.assert_allclose(forced, logits, atol=1e-5)
    if attention:
        assert weights.shape == (3, 10, 9)
        np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
        assert np.all(weights[:, :, 8] < 1e-6) and np.all(weights[1, :, 6:] < 1e-6)  # padding
    else:
        assert weights is None
    # padding after the input changes nothing: the encoder masks it
    longer = np.pad(source, ((0, 0), (0, 4)))
    np.testing.assert_allclose(model.greedy_decode(longer)[1], logits, atol=1e-5)


def test_exact_match_and_mcnemar():
    assert seq2seq.exact_match(["a", "b"], ["a", "c"]).tolist() == [True, False]
    with pytest.raises(ValueError, match="same length"):
        seq2seq.exact_match(["a"], ["a", "b"])
    a = np.array([True] * 30 + [False] * 10)
    assert seq2seq.mcnemar_exact_p(a, a) == 1.0
    b = np.array([True] * 10 + [False] * 30)
    assert seq2seq.mcnemar_exact_p(a, b) < 1e-5       # 20 discordant pairs, all one way
    assert seq2seq.mcnemar_exact_p(a, b) == seq2seq.mcnemar_exact_p(b, a)
    with pytest.raises(ValueError, match="same N"):
        seq2seq.mcnemar_exact_p(a, b[:5])
