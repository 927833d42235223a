"""The tolerance policy: per dtype, and per check kind where the kind says so (``kinds.<kind>.tol``).

A check passes when every element satisfies ``|got - want| <= atol + rtol * |want|``
(``torch.testing.assert_close``'s rule), with inf and NaN required wherever torch has them;
``rtol`` and ``atol`` always travel together.

- float32, single operations: ``assert_close``'s defaults (rtol 1.3e-6, atol 1e-5).
- float64, single operations: 1e-12, far inside ``assert_close``'s 1e-7, because the twins compute
  the same formulas and differ only by round-off in a different operation order.
- Kinds that depart from these say why beside their definition: ``trajectory`` and ``model`` (many
  steps in sequence), ``gradcheck`` (against central differences), ``distribution`` (statistical tests).
"""

DEFAULT = {
    "float32": {"rtol": 1.3e-6, "atol": 1e-5},
    "float64": {"rtol": 1e-12, "atol": 1e-12},
}


def tolerance(dtype, kind, override=None):
    """The ``{'rtol', 'atol'}`` pair (or ``{'alpha'}``) for ``dtype`` and the kind with id ``kind``, with an
    entry's ``override``.

    ``override`` maps a dtype name (or ``(dtype, kind)``) to a pair; a reason for it belongs
    beside the registry entry that sets it.
    """
    from .kinds import KINDS

    tol = KINDS[kind].tol.get(dtype, DEFAULT[dtype])
    override = override or {}
    tol = override.get((dtype, kind), override.get(dtype, tol))
    if set(tol) != {"rtol", "atol"} and set(tol) != {"alpha"}:
        raise ValueError(f"a tolerance needs both rtol and atol (or a significance alpha alone), got {sorted(tol)}")
    return dict(tol)
