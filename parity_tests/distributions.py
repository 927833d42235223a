"""The judge of ``distribution`` checks: statistical tests where values cannot match.

The twins draw from different random streams, so their draws agree in law only. torch's side
(``kinds``) answers each output with what it should look like:

- :class:`Draws`: torch's own draws of the same law and shape (``init.kaiming_uniform_`` on a
  large tensor, a new ``nn.Linear``). The implementation's draws must pass, each at significance
  ``alpha``: a two-sample Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``), Welch's z-test of the
  means and the F-test of the variances; for a bounded law (uniform), no value may lie outside
  torch's range widened by ``20/n`` of its width (torch's extremes fall short of the true bounds by
  more than that with probability ``e^-20``).
- :class:`Binomial`: each element is kept (non-zero) with probability ``keep``; the kept count must
  pass an exact two-sided binomial test (``scipy.stats.binomtest``).

The draws are seeded by the check, so a run is repeatable. The record's numbers: for draws,
``max_abs_err`` is the KS statistic D and ``atol`` its critical value at ``alpha``, ``max_rel_err`` is
``|std / torch's std - 1|`` and ``rtol`` the F-test's critical value of it; for a binomial,
``max_abs_err`` is ``|kept fraction - keep|``, ``atol`` the largest deviation the test accepts, and
the relative pair is both divided by ``keep``.
"""
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .compare import Verdict, describe


@dataclass(frozen=True)
class Draws:
    """torch's draws ``values`` of the law an output must follow; ``bounded`` for a uniform law."""

    values: np.ndarray
    bounded: bool = False


@dataclass(frozen=True)
class Binomial:
    """An output of ``shape`` and ``dtype`` whose elements are non-zero with probability ``keep``."""

    keep: float
    shape: tuple
    dtype: str


LAWS = (Draws, Binomial)
"""What a torch side answers when values cannot match, only their law."""


def _malformed(got, shape, dtype):
    if not isinstance(got, (np.ndarray, np.generic)):
        return f"returned {describe(got)}, expected an ndarray of shape {tuple(shape)}"
    got = np.asarray(got)
    if got.shape != tuple(shape):
        return f"shape {got.shape}, expected {tuple(shape)}"
    if got.dtype != np.dtype(dtype):
        return f"dtype {got.dtype}, expected {np.dtype(dtype)} (the input's dtype must be kept)"
    if not np.all(np.isfinite(got)):
        return f"{int(np.size(got) - np.isfinite(got).sum())} values are not finite"
    return None


def two_sample(got, want, alpha):
    """Judge the implementation's draws ``got`` against torch's ``want`` (a :class:`Draws`)."""
    t = np.asarray(want.values)
    problem = _malformed(got, t.shape, t.dtype)
    if problem:
        return Verdict(None, None, None, None, problem)
    s = np.asarray(got, dtype=np.float64).ravel()
    t = t.astype(np.float64).ravel()
    n, m = s.size, t.size
    ks = stats.ks_2samp(s, t)
    d_crit = math.sqrt(-math.log(alpha / 2) / 2) * math.sqrt((n + m) / (n * m))
    z = (s.mean() - t.mean()) / math.sqrt(s.var(ddof=1) / n + t.var(ddof=1) / m)
    p_mean = 2 * stats.norm.sf(abs(z))
    f = s.var(ddof=1) / t.var(ddof=1)
    p_var = 2 * min(stats.f.cdf(f, n - 1, m - 1), stats.f.sf(f, n - 1, m - 1))
    std_rel = abs(math.sqrt(f) - 1)
    std_crit = max(math.sqrt(stats.f.ppf(1 - alpha / 2, n - 1, m - 1)) - 1,
                   1 - math.sqrt(stats.f.ppf(alpha / 2, n - 1, m - 1)))
    note = (f"two-sample KS D={ks.statistic:.3g} (critical {d_crit:.3g} at alpha={alpha:g}), p={ks.pvalue:.3g}; "
            f"means {s.mean():.4g} vs torch's {t.mean():.4g}: z={z:.3g}, p={p_mean:.3g}; "
            f"variances: F={f:.4g}, p={p_var:.3g}")
    failures = [name for name, p in (("KS", ks.pvalue), ("mean", p_mean), ("variance", p_var)) if p < alpha]
    if want.bounded:
        slack = (t.max() - t.min()) * 20 / m
        lo, hi = t.min() - slack, t.max() + slack
        note += f"; range [{s.min():.6g}, {s.max():.6g}] within torch's [{t.min():.6g}, {t.max():.6g}] +- {slack:.2g}"
        if s.min() < lo or s.max() > hi:
            failures.append("bounds")
    problem = f"failed the {', '.join(failures)} test{'s' if len(failures) > 1 else ''}: {note}" if failures else None
    return Verdict(float(ks.statistic), std_rel, d_crit, std_crit, problem, note)


def binomial(got, want, alpha):
    """Judge that the non-zero elements of ``got`` were kept with probability ``want.keep`` (a :class:`Binomial`)."""
    problem = _malformed(got, want.shape, want.dtype)
    if problem:
        return Verdict(None, None, None, None, problem)
    n, k, keep = int(np.size(got)), int(np.count_nonzero(got)), want.keep
    p = stats.binomtest(k, n, keep).pvalue
    lo, hi = stats.binom.ppf(alpha / 2, n, keep), stats.binom.isf(alpha / 2, n, keep)
    allowed = max(keep - lo / n, hi / n - keep)
    err = abs(k / n - keep)
    note = f"binomial test: kept {k} of {n} ({k / n:.4f}), expected fraction {keep:g}: p={p:.3g} (alpha={alpha:g})"
    problem = f"failed the {note}" if p < alpha else None
    scale = keep if keep > 0 else 1.0
    return Verdict(err, err / scale, allowed, allowed / scale, problem, note)


def judge(got, want, tol):
    """The ``distribution`` judge: the test that fits ``want``, at significance ``tol['alpha']``."""
    test = {Draws: two_sample, Binomial: binomial}[type(want)]
    return test(got, want, tol["alpha"])
