"""Every registry check against scratch: ``test_parity[ReLU-backward-float32]``."""
import pytest

import scratch

from .checks import plan, run_check
from .known import XFAIL

CHECKS = plan()


@pytest.mark.parametrize(
    "check", [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=XFAIL[c.id])) if c.id in XFAIL else c
              for c in CHECKS], ids=[c.id for c in CHECKS])
def test_parity(check):
    result = run_check(check, scratch)
    assert result["status"] == "passed", f"{check.id}: {result['status']}\n{result['message']}"
