"""Every check kind must fail on a deliberately wrong implementation (``wrong.WRONG``)."""
import pytest

from .checks import plan, run_check
from .kinds import KINDS
from .registry import REGISTRY
from .wrong import WRONG, swap


@pytest.mark.parametrize("mistake", list(WRONG))
def test_check_catches(mistake):
    name, cls, component, kinds = WRONG[mistake]
    checks = sorted((c for c in plan() if c.entry.name == component and c.kind in kinds),
                    key=lambda c: kinds.index(c.kind))
    assert checks, f"no {'/'.join(kinds)} check of {component!r}"
    statuses = []
    for check in checks:
        statuses.append(run_check(check, swap(name, cls))["status"])
        if statuses[-1] == "failed":
            return
    pytest.fail(f"{mistake}: no {'/'.join(kinds)} check of {component} failed; statuses {statuses}")


def test_every_kind_catches_something():
    caught = {kind for _, _, _, kinds in WRONG.values() for kind in kinds}
    missing = {KINDS[kind].name for entry in REGISTRY for kind in entry.kinds} - caught
    assert not missing, f"no wrong twin is caught by a check of kind {sorted(missing)}"


def test_every_optimizer_has_a_wrong_twin():
    twinned = {component for _, _, component, _ in WRONG.values()}
    missing = {e.name for e in REGISTRY if e.category in ("optimizer", "utility")} - twinned
    assert not missing, f"no wrong twin for {sorted(missing)}"
