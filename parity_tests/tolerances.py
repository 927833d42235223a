"""The tolerance policy, written once: keyed by dtype, then by check kind.

A check passes when every element satisfies ``|got - want| <= atol + rtol * |want|``
(``torch.testing.assert_close``'s rule); ``rtol`` and ``atol`` always travel together.

- float32, single operations: ``assert_close``'s defaults (rtol 1.3e-6, atol 1e-5).
- float64, single operations: 1e-12, far inside ``assert_close``'s 1e-7, because the twins compute
  the same formulas and differ only by round-off in a different operation order.
- ``trajectory`` and ``model`` (many steps in sequence): round-off differences are fed back and grow
  with every step, so the bound is the per-step bound times the growth a few hundred steps allow:
  float64 stays within 1e-10; float32, whose per-step round-off is ~6e-8, is held to 1e-4 relative.
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
}


def tolerance(dtype, kind, override=None):
    """The ``{'rtol', 'atol'}`` pair for ``dtype`` and check ``kind``, with an entry's ``override``.

    ``override`` maps a dtype name (or ``(dtype, kind)``) to a pair; a reason for it belongs
    beside the registry entry that sets it.
    """
    tol = BY_KIND.get((dtype, kind), DEFAULT[dtype])
    override = override or {}
    tol = override.get((dtype, kind), override.get(dtype, tol))
    if set(tol) != {"rtol", "atol"}:
        raise ValueError(f"a tolerance needs both rtol and atol, got {sorted(tol)}")
    return dict(tol)
