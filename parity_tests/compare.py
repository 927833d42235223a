"""Compare one implementation's arrays with torch's, recording how far apart they are.

The rule is ``torch.testing.assert_close``'s, ``|got - want| <= atol + rtol * |want|`` elementwise
between finite values, with NaN equal to NaN and inf equal only to an inf of the same sign (a finite
answer where torch overflows fails, as it does in ``assert_close``); the report is its report (mismatch count, greatest differences with their
index, "up to X allowed") plus the two numbers every check records:
``max_abs_err = max|got - want|`` and ``max_rel_err = max|got - want| / max|want|``.
"""
from typing import NamedTuple

import numpy as np


class Verdict(NamedTuple):
    """One item judged: the errors measured, the tolerances they were held to, what went wrong
    (None when it passed) and a note on how it was judged (statistical judges name their tests)."""

    max_abs: float
    max_rel: float
    atol: float
    rtol: float
    problem: str = None
    note: str = ""


def errors(got, want):
    """``(max_abs_err, max_rel_err)`` of two same-shape arrays, ignoring positions where both are NaN/inf alike."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    with np.errstate(invalid="ignore"):
        diff = np.where(same, 0.0, np.abs(got - want))
    if diff.size == 0:
        return 0.0, 0.0
    max_abs = float(np.max(diff))
    finite_want = np.abs(want[np.isfinite(want)])
    scale = float(np.max(finite_want)) if finite_want.size else 0.0
    max_rel = 0.0 if max_abs == 0.0 else (max_abs / scale if scale > 0 else float("inf"))
    return max_abs, max_rel


def mismatch(got, want, rtol, atol):
    """Where ``got`` and ``want`` (float64 arrays) differ under the rule: finite values within
    ``atol + rtol * |want|``, NaN against NaN, inf against the same inf."""
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isfinite(got) & np.isfinite(want) & (np.abs(got - want) <= atol + rtol * np.abs(want))
        return ~((got == want) | (np.isnan(got) & np.isnan(want)) | close)


def describe(value):
    if isinstance(value, np.ndarray):
        return f"ndarray of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__}"


def compare(got, want, rtol, atol):
    """Return ``(max_abs_err, max_rel_err, problem)``; ``problem`` is None when ``got`` matches.

    ``want`` is torch's array. ``got`` must be an ndarray of the same shape and dtype
    (a float32 input answered in float64 is silent upcasting, a failure as in assert_close).
    """
    want = np.asarray(want)
    if not isinstance(got, np.ndarray) and not isinstance(got, np.generic):
        return None, None, f"returned {describe(got)}, expected an ndarray of shape {want.shape}"
    got = np.asarray(got)
    if got.shape != want.shape:
        return None, None, f"shape {got.shape}, expected {want.shape}"
    if got.dtype != want.dtype:
        return None, None, f"dtype {got.dtype}, expected {want.dtype} (the input's dtype must be kept)"
    max_abs, max_rel = errors(got, want)
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    ok = ~mismatch(g, w, rtol, atol)
    if ok.all():
        return max_abs, max_rel, None
    bad = np.argwhere(~ok)
    first = tuple(int(i) for i in bad[0])
    diff = np.where(ok, 0.0, np.abs(g - w))
    diff = np.where(np.isnan(diff), np.inf, diff)
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(diff), diff.shape))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(ok, 0.0, diff / np.abs(w))
    rel = np.where(np.isnan(rel), np.inf, rel)
    worst_rel = tuple(int(i) for i in np.unravel_index(np.argmax(rel), rel.shape))
    problem = (f"Mismatched elements: {len(bad)} / {ok.size} ({100 * len(bad) / ok.size:.1f}%)\n"
               f"First mismatch at index {first}: got {float(g[first])!r}, expected {float(w[first])!r}\n"
               f"Greatest absolute difference: {diff[worst]:.3g} at index {worst} (up to {atol:g} allowed)\n"
               f"Greatest relative difference: {rel[worst_rel]:.3g} at index {worst_rel} (up to {rtol:g} allowed)")
    return max_abs, max_rel, problem


def elementwise(got, want, tol):
    """The default judge: :func:`compare` under the ``{'rtol', 'atol'}`` pair ``tol``."""
    max_abs, max_rel, problem = compare(got, want, **tol)
    return Verdict(max_abs, max_rel, tol["atol"], tol["rtol"], problem)


def max_norm(got, want, tol):
    """``|got - want| <= atol + rtol * max|want|`` for every element: the error relative to the array's
    scale (``max_rel_err <= rtol``), not to each element, for gradients measured by finite differences."""
    want_ = np.asarray(want, dtype=np.float64)
    scale = float(np.max(np.abs(want_))) if want_.size else 0.0
    max_abs, max_rel, problem = compare(got, want, rtol=0.0, atol=tol["atol"] + tol["rtol"] * scale)
    if problem and max_rel is not None:
        problem = (f"Error relative to the greatest |expected| ({scale:.3g}): {max_rel:.3g} "
                   f"(up to {tol['rtol']:g} allowed)\n{problem}")
    return Verdict(max_abs, max_rel, tol["atol"], tol["rtol"], problem)
