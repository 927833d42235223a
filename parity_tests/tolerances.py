"""The tolerance policy, written once: keyed by dtype, then by check kind.

A check passes when every element satisfies ``|got - want| <= atol + rtol * |want|``
(``torch.testing.assert_close``'s rule); ``rtol`` and ``atol`` always travel together.

- float32, single operations: ``assert_close``'s defaults (rtol 1.3e-6, atol 1e-5).
- float64, single operations: 1e-12, far inside ``assert_close``'s 1e-7, because the twins compute
  the same formulas and differ only by round-off in a different operation order.
- ``trajectory`` and ``model`` (many steps in sequence): round-off differences are fed back and grow
  with every step, so the bound is the per-step bound times the growth a few hundred steps allow:
  float64 stays within 1e-10; float32, whose per-step round-off is ~6e-8, is held to 1e-4 relative.
- ``gradcheck`` (float64 only): the analytic gradient against central differences
  ``(f(x + h) - f(x - h)) / 2h`` with ``h = 1e-6``, whose own error is far below 1e-8 relative
  (truncation ``h^2 f'''/6``, round-off ``eps |f| / h``). The rule is relative to the array's scale,
  ``|analytic - numeric| <= atol + rtol * max|numeric|``, i.e. ``max_rel_err <= 1e-7``: CS231n's bar
  for a correct gradient, with no per-element test where a gradient is nearly zero.
- ``distribution`` (random draws: init functions, Dropout's keep-mask): no elementwise bound;
  no statistical test (see ``distributions``) may reject at significance ``alpha = 1e-3``, and the
  record shows each test's statistic beside its critical value. The draws are seeded, so a verdict
  is repeatable.
"""

DEFAULT = {
    "float32": {"rtol": 1.3e-6, "atol": 1e-5},
    "float64": {"rtol": 1e-12, "atol": 1e-12},
}

BY_KIND = {
    ("float32", "trajectory"): {"rtol": 1e-4, "atol": 1e-5},
    ("float64", "trajectory"): {"rtol": 1e-10, "atol": 1e-10},
    ("float32", "model"): {"rtol": 1e-4, "atol": 1e-5},
    ("float64", "model"): {"rtol": 1e-10, "atol": 1e-10},
    ("float64", "gradcheck"): {"rtol": 1e-7, "atol": 0.0},
    ("float32", "distribution"): {"alpha": 1e-3},
    ("float64", "distribution"): {"alpha": 1e-3},
}


def tolerance(dtype, kind, override=None):
    """The ``{'rtol', 'atol'}`` pair for ``dtype`` and check ``kind``, with an entry's ``override``.

    ``override`` maps a dtype name (or ``(dtype, kind)``) to a pair; a reason for it belongs
    beside the registry entry that sets it.
    """
    tol = BY_KIND.get((dtype, kind), DEFAULT[dtype])
    override = override or {}
    tol = override.get((dtype, kind), override.get(dtype, tol))
    if set(tol) != {"rtol", "atol"} and set(tol) != {"alpha"}:
        raise ValueError(f"a tolerance needs both rtol and atol (or a significance alpha alone), got {sorted(tol)}")
    return dict(tol)
