"""Tests of utils.seq2seq."""

from __future__ import annotations

import datetime as dt

import keras
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


def test_exact_match():
    assert seq2seq.exact_match(["a", "b"], ["a", "c"]).tolist() == [True, False]
    with pytest.raises(ValueError, match="same length"):
        seq2seq.exact_match(["a"], ["a", "b"])


@pytest.mark.parametrize("day", [dt.date(2024, 12, 25), dt.date(2003, 1, 5)])
def test_field_spans_point_at_each_part(day):
    expected = {"year": {str(day.year), f"{day.year % 100:02d}"},
                "month": {str(day.month), f"{day.month:02d}", day.strftime("%b"),
                          day.strftime("%B"), day.strftime("%B").lower()},
                "day": {str(day.day), f"{day.day:02d}", f"{day.day}th", f"{day.day}rd"}}
    for style in seq2seq.FORMATS:
        text, spans = seq2seq.format_date(day, style), seq2seq.field_spans(day, style)
        assert {"year", "month", "day"} <= set(spans) <= {"year", "month", "day", "weekday"}
        for part, words in expected.items():
            start, end = spans[part]
            assert text[start:end] in words, (style, part, text[start:end])
        ends = sorted(spans.values())
        assert all(a[1] <= b[0] for a, b in zip(ends, ends[1:])), style    # no overlap
    with pytest.raises(TypeError, match="date"):
        seq2seq.field_spans("2024-12-25", "us_long")


def test_make_dataset_buckets_and_trims():
    vocab = seq2seq.CharVocab(["0123456789-/ ", "abc"])
    sources = ["1/2/50", "abc 12", "12/25/2024", "1", "abc abc abc", "22"] * 5
    x = vocab.encode(sources, 14)
    y = vocab.encode(["2024-12-25"] * len(sources), 10)
    dec = vocab.decoder_inputs(y)
    ds = seq2seq.make_dataset(x, dec, y, batch_size=4, shuffle=True, seed=0)
    seen = []
    for (xb, db), yb in ds.as_numpy_iterator():
        assert xb.shape[1] == (xb != 0).sum(1).max() < 14          # cut to its longest
        assert db.shape == yb.shape == (len(xb), 10)
        seen += vocab.decode(xb)
    assert sorted(seen) == sorted(sources) and int(ds.cardinality()) == 8
    with pytest.raises(ValueError, match="same N"):
        seq2seq.make_dataset(x, dec[:3], y[:3], batch_size=4, shuffle=False)


def test_teacher_forced_exact_match_is_greedy_exact_match():
    config.set_seed(0)
    vocab = seq2seq.CharVocab(["0123456789-/ ", "abc"])
    model = seq2seq.DateTranslator(len(vocab), units=8, embed_dim=4, attention=True)
    source = vocab.encode(["12/25/24", "1/2/50", "abc 12", "2/2/22"], 9)
    ids, _, _ = model.greedy_decode(source)
    targets = ids.copy()
    targets[1, 0] = (targets[1, 0] + 1) % len(vocab)     # wrong first character
    targets[2, 9] = (targets[2, 9] + 1) % len(vocab)     # wrong last character
    logits = model((source, vocab.decoder_inputs(targets)))
    got = np.asarray(seq2seq.teacher_forced_exact_match(targets, logits))
    greedy = seq2seq.exact_match(vocab.decode(ids), vocab.decode(targets))
    assert got.tolist() == greedy.astype(float).tolist() == [1.0, 0.0, 0.0, 1.0]


def test_attention_peak_share():
    day = dt.date(2024, 12, 25)
    spans = [seq2seq.field_spans(day, "european")] * 2    # "25.12.2024"
    weights = np.zeros((2, 10, 10))
    weights[:, :, 0] = 1.0                               # everything on the day's "2"
    weights[0, :4, 6] = 1.0                              # example 0: year digits on the year
    weights[0, :4, 0] = 0.0
    weights[:, 5:7, 0], weights[:, 5:7, 4] = 0.0, 1.0    # month digits on the month's "2"
    share = seq2seq.attention_peak_share(weights, spans)
    expected = [0.5] * 4 + [np.nan] + [1.0] * 2 + [np.nan] + [1.0] * 2
    np.testing.assert_array_equal(share, expected)
    weights[1, 5:7, 4], weights[1, 5:7, 5] = 0.0, 1.0    # example 1: on the "." after 12
    assert seq2seq.attention_peak_share(weights, spans)[5] == 0.5
    np.testing.assert_array_equal(
        seq2seq.attention_peak_share(weights, spans, after=1), expected)
    with pytest.raises(ValueError, match="after"):
        seq2seq.attention_peak_share(weights, spans, after=-1)
    with pytest.raises(ValueError, match="weights"):
        seq2seq.attention_peak_share(weights[:, :5], spans)


@pytest.mark.parametrize("schedule", [False, True])
def test_restart_trains_like_a_new_model(schedule):
    vocab = seq2seq.CharVocab(["0123456789-/ ", "abc"])
    source = vocab.encode(["12/25/24", "1/2/50", "abc 12", "2/2/22"] * 4, 9)
    targets = vocab.encode(["2024-12-25", "1950-01-02", "2012-01-01", "2022-02-02"] * 4, 10)
    data = ((source, vocab.decoder_inputs(targets)), targets)

    def compiled(model):
        rate = keras.optimizers.schedules.CosineDecay(1e-2, 4) if schedule else 1e-2
        model.compile(optimizer=keras.optimizers.Adam(rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    def train(model):
        model.fit(*data, batch_size=8, epochs=2, shuffle=False, verbose=0)
        return model.get_weights()

    config.set_seed(3)
    new = train(compiled(seq2seq.DateTranslator(len(vocab), units=8, embed_dim=4,
                                                attention=True)))
    config.set_seed(0)
    reused = compiled(seq2seq.DateTranslator(len(vocab), units=8, embed_dim=4, attention=True))
    train(reused)                                        # trained once with another seed
    reused.restart(3)
    assert reused.optimizer.iterations.numpy() == 0
    for a, b in zip(new, train(reused), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
