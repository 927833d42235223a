"""What a check kind is: one definition holding both sides, its dtypes, its judge and its tolerance.

``implementation(impl, spec, case) -> dict`` runs inside the child on NumPy alone. ``before(spec, case,
dtype, rng) -> dict`` is torch's answer computed before the submission runs (it may add inputs to the
case that depend on torch's output, such as an upstream gradient of the output's shape); ``after(spec,
case, dtype, got, before) -> dict`` is for the answers that need the implementation's own outputs (a
replayed random mask, finite differences of its forward). Torch-side code imports torch inside the
function bodies, so the child can import a kind module without importing torch.
"""
from dataclasses import dataclass, field
from typing import Callable

DTYPES = ("float32", "float64")


def _elementwise(got, want, tol):
    from ..compare import elementwise
    return elementwise(got, want, tol)


@dataclass(frozen=True)
class Kind:
    """One check kind.

    id : the registry's name for it (``Entry.kinds``); name : the kind written into reports
    (``forward``, ``step``, ...), which several ids may share (``clip`` is a ``forward`` check).
    implementation, before, after : the two sides (see the module docstring).
    judge : ``(got, want, tol) -> compare.Verdict``, elementwise by default.
    tol : ``{dtype: {'rtol', 'atol'}}`` where the kind departs from ``tolerances.DEFAULT``, with the reason.
    dtypes : the dtypes the kind is checked in.
    """

    id: str
    name: str
    implementation: Callable
    before: Callable
    after: Callable = None
    judge: Callable = _elementwise
    tol: dict = field(default_factory=dict)
    dtypes: tuple = DTYPES
