"""``erf``, which NumPy lacks, to float64 round-off (within 2 ulp of ``math.erf``).

``erf`` is odd, so it is computed at ``|x|`` and given x's sign. Below 6, ``|x|`` is expanded in a
Taylor series about the nearest centre ``c`` of a grid of step 1/16, so ``|x - c| <= 1/32`` and ten
terms reach round-off; Horner's rule sums them. ``erf(c)`` is ``math.erf``, and the derivatives are
``erf^(n)(c) = 2/sqrt(pi) (-1)^(n-1) H_(n-1)(c) exp(-c^2)``, with ``H`` the physicists' Hermite
polynomials. From 6 on, ``erf`` is 1 in float64 (``1 - erf(6) = 2e-17``). Float32 inputs are computed
in float64 and rounded once.
"""
import math

import numpy as np

_STEP = 1 / 16
_END = 6.0
_TERMS = 10


def _taylor_coefficients():
    """``(_TERMS, n_centres)``: row ``i`` holds ``erf^(n)(c) / n!`` for ``n = _TERMS - 1 - i``
    (highest order first, for Horner), one column per centre ``c = 0, 1/16, ..., 6``."""
    centres = np.arange(0, _END + _STEP / 2, _STEP)
    table = np.empty((_TERMS, len(centres)))
    for j, c in enumerate(centres):
        scale = 2 / math.sqrt(math.pi) * math.exp(-c * c)
        table[0, j] = math.erf(c)
        h_prev, h, factorial = 0.0, 1.0, 1.0
        for n in range(1, _TERMS):
            factorial *= n
            table[n, j] = scale * (-1) ** (n - 1) * h / factorial
            h_prev, h = h, 2 * c * h - 2 * (n - 1) * h_prev
    return table[::-1].copy()


_COEFFICIENTS = _taylor_coefficients()


def erf(x):
    """The error function, elementwise; the input's float dtype is kept (``torch.erf``)."""
    x = np.asarray(x)
    x64 = x.astype(np.float64, copy=False)
    z = np.abs(x64)
    inside = z < _END
    z_in = np.where(inside, z, 0.0)
    k = np.rint(z_in * (1 / _STEP)).astype(np.intp)
    d = z_in - k * _STEP
    acc = _COEFFICIENTS[0].take(k) * d
    for row in _COEFFICIENTS[1:-1]:
        acc += row.take(k)
        acc *= d
    acc += _COEFFICIENTS[-1].take(k)
    out = np.where(inside, acc, np.where(np.isnan(z), z, 1.0))
    return np.copysign(out, x64).astype(x.dtype, copy=False)
