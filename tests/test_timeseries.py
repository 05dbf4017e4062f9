"""Tests of utils.timeseries."""

from __future__ import annotations

import numpy as np
import pytest

from utils import timeseries

HEADER = "origin,temp,dewp,time_hour\n"


def write_csv(tmp_path, rows, header=HEADER):
    path = tmp_path / "weather.csv"
    path.write_text(header + "".join(f"{r}\n" for r in rows))
    return path


def test_the_shipped_file_loads_onto_a_complete_grid():
    series = timeseries.load_hourly_weather("JFK")
    assert series.columns == timeseries.WEATHER_COLUMNS
    assert series.values.shape == (len(series.times), 4) and len(series.times) > 8000
    assert np.all(np.diff(series.times).astype(int) == 1)
    assert np.isfinite(series.values).all() and series.values.dtype == np.float32
    assert 0 < series.filled.sum() < 100
    temp = series.column("temp")
    assert 0 < temp.min() < temp.max() < 110          # °F at JFK


def test_gaps_are_interpolated_and_flagged(tmp_path):
    path = write_csv(tmp_path, [
        "JFK,10,1,2013-01-01T00:00:00Z",
        "LGA,99,9,2013-01-01T01:00:00Z",               # another airport: ignored
        "JFK,NA,2,2013-01-01T01:00:00Z",               # a missing value
        "JFK,40,4,2013-01-01T03:00:00Z",               # 02:00 is absent
        "JFK,50,5,2013-01-01T04:00:00Z",
    ])
    series = timeseries.load_hourly_weather("JFK", ("temp", "dewp"), path=path)
    assert series.times[0] == np.datetime64("2013-01-01T00", "h")
    np.testing.assert_allclose(series.column("temp"), [10, 20, 30, 40, 50])
    np.testing.assert_allclose(series.column("dewp"), [1, 2, 3, 4, 5])
    assert series.filled.tolist() == [False, True, True, False, False]


def test_a_long_gap_is_refused(tmp_path):
    path = write_csv(tmp_path, ["JFK,10,1,2013-01-01T00:00:00Z",
                                "JFK,20,2,2013-01-01T08:00:00Z"])
    with pytest.raises(ValueError, match="gap of 7 hours"):
        timeseries.load_hourly_weather("JFK", ("temp",), path=path, max_gap=6)
    assert len(timeseries.load_hourly_weather("JFK", ("temp",), path=path,
                                              max_gap=7).times) == 9


def test_missing_values_at_the_ends_and_duplicates_are_refused(tmp_path):
    path = write_csv(tmp_path, ["JFK,10,1,2013-01-01T00:00:00Z",
                                "JFK,NA,2,2013-01-01T01:00:00Z"])
    with pytest.raises(ValueError, match="end of the series"):
        timeseries.load_hourly_weather("JFK", ("temp",), path=path)
    path = write_csv(tmp_path, ["JFK,10,1,2013-01-01T00:00:00Z",
                                "JFK,11,1,2013-01-01T00:00:00Z"])
    with pytest.raises(ValueError, match="duplicate"):
        timeseries.load_hourly_weather("JFK", ("temp",), path=path)


def test_bad_input_names_the_argument(tmp_path):
    with pytest.raises(FileNotFoundError, match="path"):
        timeseries.load_hourly_weather(path=tmp_path / "nope.csv")
    path = write_csv(tmp_path, ["JFK,10,1,2013-01-01T00:00:00Z"])
    with pytest.raises(ValueError, match=r"columns \['humid'\]"):
        timeseries.load_hourly_weather("JFK", ("temp", "humid"), path=path)
    with pytest.raises(ValueError, match="origin 'SFO'"):
        timeseries.load_hourly_weather("SFO", ("temp",), path=path)
    with pytest.raises(TypeError, match="columns"):
        timeseries.load_hourly_weather("JFK", (), path=path)
    series = timeseries.load_hourly_weather("JFK", ("temp",), path=path)
    with pytest.raises(ValueError, match="name"):
        series.column("dewp")


def test_chronological_split_is_contiguous():
    train, val, test = timeseries.chronological_split(100, (0.7, 0.15))
    assert (train.start, train.stop, val.stop, test.stop) == (0, 70, 85, 100)
    assert val.start == train.stop and test.start == val.stop
    with pytest.raises(ValueError, match="fractions"):
        timeseries.chronological_split(100, (0.9, 0.2))


def test_make_windows_pairs_inputs_with_the_following_hours():
    data = np.arange(20, dtype="float32").reshape(10, 2)
    target = np.arange(100, 110, dtype="float32")
    x, y = timeseries.make_windows(data, target, input_len=3, horizon=2, batch_size=4)
    assert x.shape == (6, 3, 2) and y.shape == (6, 2)
    np.testing.assert_array_equal(x[1], data[1:4])
    np.testing.assert_array_equal(y[1], [104, 105])
    np.testing.assert_array_equal(y[-1], target[-2:])


def test_naive_forecasts():
    history = np.arange(30, dtype=float).reshape(1, 30)
    np.testing.assert_array_equal(timeseries.persistence_forecast(history[:, -1], 3),
                                  [[29, 29, 29]])
    seasonal = timeseries.seasonal_forecast(history, horizon=24, period=24)
    np.testing.assert_array_equal(seasonal, history[:, 6:30])
    assert seasonal[0, -1] == history[0, -1]             # the same as persistence at 24 h
    with pytest.raises(ValueError, match="period"):
        timeseries.seasonal_forecast(history[:, :10], horizon=3, period=24)


def test_mean_absolute_error_by_horizon():
    y = np.zeros((2, 3))
    pred = np.array([[1.0, -2.0, 0.0], [3.0, 2.0, 0.0]])
    np.testing.assert_allclose(timeseries.mean_absolute_error_by_horizon(y, pred),
                               [2.0, 2.0, 0.0])


def test_diebold_mariano_interval():
    rng = np.random.default_rng(0)
    a = rng.normal(size=240)
    same = timeseries.diebold_mariano(a, a, bandwidth=24)
    assert same.difference == same.low == same.high == 0.0 and not same.beyond_noise
    shifted = timeseries.diebold_mariano(a + 1.0, a + rng.normal(scale=0.1, size=240), 24)
    assert 0.8 < shifted.low < shifted.difference < shifted.high < 1.2
    assert shifted.beyond_noise and shifted.statistic > 10
    noise = timeseries.diebold_mariano(a, rng.normal(size=240), bandwidth=24)
    assert noise.low < 0 < noise.high and not noise.beyond_noise


def test_diebold_mariano_covers_the_truth_under_autocorrelation():
    # AR(1) loss differences with mean 0: the 95 % interval should hold 0 about 95 % of the
    # time; an interval that ignored the correlation (bandwidth 1) would hold it far less.
    from scipy.signal import lfilter

    rng = np.random.default_rng(1)
    d = lfilter([1.0], [1.0, -0.8], rng.normal(size=(400, 700)), axis=1)[:, 100:]
    zeros = np.zeros(d.shape[1])
    hac = np.mean([timeseries.diebold_mariano(x, zeros, 60).low < 0 <
                   timeseries.diebold_mariano(x, zeros, 60).high for x in d])
    naive = np.mean([timeseries.diebold_mariano(x, zeros, 1).low < 0 <
                     timeseries.diebold_mariano(x, zeros, 1).high for x in d])
    assert 0.9 < hac < 0.99 and naive < 0.7, (hac, naive)


def test_diebold_mariano_bad_input():
    a = np.zeros(100)
    with pytest.raises(ValueError, match="bandwidth"):
        timeseries.diebold_mariano(a, a, bandwidth=51)
    with pytest.raises(TypeError, match="bandwidth"):
        timeseries.diebold_mariano(a, a, bandwidth=10.0)
    with pytest.raises(ValueError, match="loss_a and loss_b"):
        timeseries.diebold_mariano(a, a[:50], bandwidth=10)


def test_carry_forward_never_looks_ahead():
    values = np.array([[1.0, 5.0], [np.nan, 6.0], [np.nan, np.nan], [4.0, 8.0]])
    filled, missing = timeseries.carry_forward(values)
    np.testing.assert_array_equal(filled, [[1, 5], [1, 6], [1, 6], [4, 8]])
    assert missing.tolist() == [[False, False], [True, False], [True, True], [False, False]]
    np.testing.assert_array_equal(timeseries.carry_forward(np.array([2.0, np.nan]))[0], [2, 2])
    with pytest.raises(ValueError, match="first hour"):
        timeseries.carry_forward(np.array([np.nan, 1.0]))


def test_wind_vector_points_where_the_air_goes():
    vec = timeseries.wind_vector(np.array([10.0, 10.0, 0.0]), np.array([270.0, 0.0, 90.0]))
    np.testing.assert_allclose(vec, [[10, 0], [0, -10], [0, 0]], atol=1e-12)
    near = timeseries.wind_vector(np.array([5.0, 5.0]), np.array([355.0, 5.0]))
    assert np.abs(near[0] - near[1]).max() < 1.0          # 355° and 5° are neighbours
    with pytest.raises(ValueError, match="speed and direction"):
        timeseries.wind_vector(np.ones(3), np.ones(2))


def test_carried_columns_are_filled_forward_and_flagged(tmp_path):
    header = "origin,temp,pressure,time_hour\n"
    path = write_csv(tmp_path, [
        "JFK,10,1000,2013-01-01T00:00:00Z",
        "JFK,NA,NA,2013-01-01T01:00:00Z",
        "JFK,40,1003,2013-01-01T03:00:00Z",             # 02:00 is absent
    ], header=header)
    series = timeseries.load_hourly_weather("JFK", ("temp", "pressure"), path=path,
                                            carried=("pressure",))
    np.testing.assert_allclose(series.column("temp"), [10, 20, 30, 40])
    np.testing.assert_allclose(series.column("pressure"), [1000, 1000, 1000, 1003])
    assert series.missing.tolist() == [[False, False], [True, True], [True, True],
                                       [False, False]]
    assert series.filled.tolist() == [False, True, True, False]
    with pytest.raises(ValueError, match="carried"):
        timeseries.load_hourly_weather("JFK", ("temp",), path=path, carried=("pressure",))


def test_the_shipped_pressure_is_a_tenth_missing():
    series = timeseries.load_hourly_weather(
        "JFK", ("temp", "pressure", "wind_dir"), carried=("pressure", "wind_dir"))
    share = series.missing.mean(axis=0)
    assert 0.05 < share[1] < 0.15 and share[2] < 0.02, share
    assert np.isfinite(series.values).all()
    assert 980 < series.column("pressure").min() < series.column("pressure").max() < 1050
