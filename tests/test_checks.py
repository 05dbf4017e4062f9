"""Tests of utils.checks."""

import numpy as np
import pytest

from utils import checks


def test_positive_int_accepts_ints_and_numpy_ints():
    assert checks.positive_int("n", 3) == 3
    value = checks.positive_int("n", np.int64(4))
    assert value == 4 and type(value) is int


@pytest.mark.parametrize("bad", [0, -1, 1.0, "2", True, None])
def test_positive_int_refuses_and_names_the_argument(bad):
    with pytest.raises(ValueError, match=r"^units must be a positive int; got"):
        checks.positive_int("units", bad)


def test_positive_int_allow_none():
    assert checks.positive_int("limit", None, allow_none=True) is None
    assert checks.positive_int("limit", 5, allow_none=True) == 5
    with pytest.raises(ValueError, match="limit must be a positive int or None"):
        checks.positive_int("limit", 0, allow_none=True)
