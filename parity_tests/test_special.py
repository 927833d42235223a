"""scratch's ``erf`` (NumPy has none) against Python's ``math.erf``: within 2 ulp in float64 on a dense
grid and at the special points, float32 rounded once; one term fewer in its series must fail."""
import math

import numpy as np
import pytest

from scratch import _special

GRID = np.concatenate([np.linspace(-7, 7, 200001), np.geomspace(1e-300, 7, 20001),
                       -np.geomspace(1e-300, 7, 2001), [0.0, -0.0, 5.96875, 5.99, 6.0, 6.5, 1e300, 5e-324]])


def max_ulp(erf):
    ref = np.array([math.erf(v) for v in GRID])
    return float(np.max(np.abs(erf(GRID) - ref) / np.spacing(np.abs(ref))))


def test_erf_within_two_ulp_of_math_erf():
    assert max_ulp(_special.erf) <= 2


def test_erf_special_points_and_dtypes():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 6.0, -6.0, 1e-310])
    y = _special.erf(x)
    assert y[0] == 0 and not np.signbit(y[0]) and y[1] == 0 and np.signbit(y[1])
    np.testing.assert_array_equal(y[2:4], [1.0, -1.0])
    assert np.isnan(y[4]) and y[5] == 1.0 and y[6] == -1.0 and y[7] == math.erf(1e-310)
    x32 = np.linspace(-4, 4, 1001, dtype=np.float32)
    y32 = _special.erf(x32)
    assert y32.dtype == np.float32
    np.testing.assert_array_equal(y32, np.array([math.erf(v) for v in x32.astype(np.float64)], dtype=np.float32))
    assert _special.erf(np.ones((2, 0, 3))).shape == (2, 0, 3)


def test_one_term_fewer_is_caught(monkeypatch):
    monkeypatch.setattr(_special, "_COEFFICIENTS", _special._COEFFICIENTS[1:])
    assert max_ulp(_special.erf) > 2
