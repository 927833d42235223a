"""``trajectory`` of a learning-rate scheduler: the lr of each param group after every epoch of a
scheduler driving SGD (ReduceLROnPlateau fed the case's metrics)."""
import numpy as np

from ._base import Kind
from ._calls import lookup
from .training import _LONG


def _lrs(optimizer, scheduler, case):
    lrs = []
    for epoch in range(case["epochs"]):
        optimizer.step()
        if "metrics" in case:
            scheduler.step(float(case["metrics"][epoch]))
        else:
            scheduler.step()
        lrs.append([float(g["lr"]) for g in optimizer.param_groups])
    return {"lr": np.array(lrs)}


def implementation(impl, spec, case):
    Parameter = lookup(impl, "Parameter")
    groups = [{"params": [Parameter(np.zeros(2))], "lr": lr} for lr in case["lrs"]]
    optimizer = lookup(impl, "SGD")(groups, **case.get("optimizer", {}))
    return _lrs(optimizer, lookup(impl, spec["cls"])(optimizer, **case.get("kwargs", {})), case)


def before(spec, case, dtype, rng):
    import torch
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))], "lr": lr} for lr in case["lrs"]]
    optimizer = torch.optim.SGD(groups, **case.get("optimizer", {}))
    scheduler = getattr(torch.optim.lr_scheduler, spec["cls"])(optimizer, **case.get("kwargs", {}))
    return _lrs(optimizer, scheduler, case)


SCHEDULE = Kind("schedule", "trajectory", implementation, before, tol=_LONG, dtypes=("float64",))
"""Learning rates are Python floats: float64 only."""
