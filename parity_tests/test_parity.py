"""Every registry check against scratch: ``test_parity[ReLU-backward-float32]``.

With ``--impl FILE`` (see ``conftest.py``) the same checks run against FILE in the sandbox; a check
of a name FILE does not define (status 'missing') is skipped.
"""
import pytest

import scratch

from .checks import plan, run_check, run_checks
from .known import XFAIL

CHECKS = plan()


@pytest.fixture(scope="session")
def impl(request):
    """None for scratch, else the executor running ``--impl FILE`` (closed at the end of the session)."""
    path = request.config.getoption("impl", None)
    if path is None:
        yield None
        return
    from scripts._common import UsageError
    from scripts.impl import load_impl
    try:
        _, executor = load_impl(path)
    except UsageError as exc:
        pytest.exit(f"--impl: {exc}", returncode=4)
    try:
        yield executor
    finally:
        executor.close()


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_parity(check, impl, request):
    if impl is None:
        if check.id in XFAIL:
            request.applymarker(pytest.mark.xfail(strict=True, reason=XFAIL[check.id]))
        result = run_check(check, scratch)
    else:
        result = run_checks([check], impl)[0]
        if result["status"] == "missing":
            pytest.skip(f"{check.id}: {result['message'] or 'not defined by the implementation'}")
    assert result["status"] == "passed", f"{check.id}: {result['status']}\n{result['message']}"
