"""The architecture's promises: one registry entry adds a component everywhere, the child side imports
neither torch nor the judge, ``--only`` selects exactly, and the comparison requires inf where torch has it."""
import inspect
import pickle
import subprocess
import sys

import numpy as np
import pytest
from torch import nn

import reference
import scratch
from reference.twin import Twin
from scratch.module import Module

from . import registry
from .checks import InProcess, plan, prepare, run_checks
from .compare import compare
from .kinds import KINDS


class Hardswish(Module):
    """``y = x * relu6(x + 3) / 6`` (``torch.nn.Hardswish``); its derivative is 0 at -3 and 1 at 3, as torch's."""

    def forward(self, x):
        self.x = x
        return x * np.clip(x + 3, 0, 6) / x.dtype.type(6)

    def backward(self, grad_y):
        x = self.x
        slope = np.where(x <= -3, 0, np.where(x >= 3, 1, (2 * x + 3) / 6)).astype(x.dtype)
        return grad_y * slope


class SoftMarginLoss:
    """``mean(log(1 + exp(-y x)))`` (``torch.nn.SoftMarginLoss``)."""

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def __call__(self, input, target):
        self.z = -target * input
        self.target = target
        losses = np.logaddexp(0, self.z)
        return {"mean": np.mean, "sum": np.sum}.get(self.reduction, lambda a: a)(losses).astype(input.dtype)

    def backward(self, grad_output=1.0):
        grad = -self.target / (1 + np.exp(-self.z))
        scale = 1 / self.z.size if self.reduction == "mean" else 1
        return (grad_output * grad * scale).astype(self.z.dtype)


def margin_domain(rng, dtype):
    x = 3 * rng.standard_normal((6, 4))
    y = np.where(rng.random((6, 4)) > 0.5, 1.0, -1.0)
    return registry._reductions([{"name": "random, targets +-1", "args": [x.astype(dtype), y.astype(dtype)]}])


@pytest.fixture
def added(monkeypatch):
    """Hardswish and SoftMarginLoss added the way the README says: the class, the twin line, one entry."""
    monkeypatch.setattr(scratch, "Hardswish", Hardswish, raising=False)
    monkeypatch.setattr(scratch, "SoftMarginLoss", SoftMarginLoss, raising=False)
    monkeypatch.setitem(reference.TWINS, "Hardswish", Twin(nn.Hardswish))
    monkeypatch.setitem(reference.TWINS, "SoftMarginLoss", Twin(nn.SoftMarginLoss, ("reduction",)))
    entries = [registry._activation("Hardswish", kinks=lambda kw: (-3.0, 3.0)),
               registry._loss("SoftMarginLoss", margin_domain, "regression")]
    monkeypatch.setattr(registry, "REGISTRY", registry.REGISTRY + entries)
    return entries


def test_a_component_added_at_run_time_is_checked_templated_and_verified(added, tmp_path):
    new = registry.REGISTRY[-2:]
    records = run_checks(plan("Hardswish,SoftMarginLoss", registry=new), InProcess(scratch))
    assert {(r["component"], r["kind"]) for r in records} == {
        (n, k) for n in ("Hardswish", "SoftMarginLoss") for k in ("forward", "backward", "gradcheck")}
    assert all(r["status"] == "passed" for r in records), [r["message"] for r in records if r["status"] != "passed"]

    from scripts.template import render
    text = render()
    assert "class Hardswish(Module):" in text and "class SoftMarginLoss(_Loss):" in text

    from scripts import verify
    submission = tmp_path / "hardswish.py"
    submission.write_text("import numpy as np\n\n\n" + inspect.getsource(Hardswish).replace("(Module)", "")
                          + "\n    __call__ = forward\n")
    report = verify.verify_one(submission, checks=plan("Hardswish", registry=new), timeout=20)
    assert report["summary"]["passed"] == len(report["checks"]) == 5, [(r["status"], r["message"]) for r in report["checks"]]


def test_every_registry_kind_is_defined_once():
    assert {k for e in registry.REGISTRY for k in e.kinds} <= set(KINDS)
    assert all(kind.id == key for key, kind in KINDS.items())


CHILD = """
import pickle, sys
jobs = pickle.load(sys.stdin.buffer)
import scratch
from parity_tests import kinds
for spec, kind, case in jobs:
    status, _ = kinds.run(scratch, spec, kind, case)
    assert status == "ok", (kind, status, _)
judge = [m for m in sys.modules if m.split(".")[0] in ("torch", "reference", "sklearn", "scipy")
         or m in ("parity_tests.checks", "parity_tests.compare", "parity_tests.causes", "parity_tests.registry",
                  "parity_tests.distributions", "parity_tests.tolerances", "parity_tests.kinds._torch")]
print(",".join(sorted(judge)))
"""


def test_the_child_side_imports_neither_torch_nor_the_judge():
    """One case of every kind, run as the child runs it: afterwards no judge module has been imported."""
    jobs, seen = [], set()
    for check in plan(dtypes=("float64",)):
        if check.kind_id not in seen:
            seen.add(check.kind_id)
            case, _ = prepare(check)[0]
            jobs.append((check.entry.spec(), check.kind_id, case))
    assert seen == set(KINDS)
    out = subprocess.run([sys.executable, "-c", CHILD], input=pickle.dumps(jobs), capture_output=True, check=True)
    assert out.stdout.decode().strip() == ""


@pytest.mark.parametrize("pattern, components", [
    ("ReLU", {"ReLU"}),
    ("relu", {"ReLU"}),
    ("LeakyReLU", {"LeakyReLU", "LeakyReLU(negative_slope=0.2)"}),
    ("Adam", {"Adam"}),
    ("Adam,AdamW", {"Adam", "AdamW"}),
    ("Adam*", {"Adam", "AdamW", "Adamax"}),
    ("ReLU-backward", {"ReLU"}),
    ("Softplus(beta=2.0, threshold=10.0)", {"Softplus(beta=2.0, threshold=10.0)"}),
])
def test_only_selects_components_exactly(pattern, components):
    assert {c.entry.name for c in plan(pattern)} == components


@pytest.mark.parametrize("got, want", [([1000.0], [np.inf]), ([-np.inf], [np.inf]), ([np.nan], [np.inf]),
                                       ([1.0], [np.nan]), ([np.inf], [1e308])])
def test_finite_where_torch_overflows_fails(got, want):
    assert compare(np.array(got), np.array(want), rtol=1e-5, atol=1e-8)[2] is not None


def test_nan_and_inf_match_themselves():
    a = np.array([np.nan, np.inf, -np.inf, 1.0])
    assert compare(a, a.copy(), rtol=0.0, atol=0.0)[2] is None


def test_a_case_the_submission_calls_excluded_earns_nothing():
    """Only the judge's reading of a style's rules leaves a case out; the child saying so makes the check missing."""
    from .checks import judge
    check = plan("ReLU-forward-float64")[0]
    pairs = prepare(check)
    record = judge(check, pairs, [("excluded", "my course has no such case")] * len(pairs))
    assert record["status"] == "missing" and not record["message"].startswith("left out")
