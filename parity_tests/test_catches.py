"""Every check kind must fail on a deliberately wrong implementation (``wrong.WRONG``)."""
import pytest

from .checks import plan, run_check
from .wrong import WRONG, swap


@pytest.mark.parametrize("mistake", list(WRONG))
def test_check_catches(mistake):
    name, cls, pattern = WRONG[mistake]
    checks = plan(pattern + "*")
    assert checks, f"no check matches {pattern!r}"
    results = [run_check(c, swap(name, cls)) for c in checks]
    assert any(r["status"] == "failed" for r in results), \
        f"{mistake}: no check of {pattern} failed; statuses {[r['status'] for r in results]}"
