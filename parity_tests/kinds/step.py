"""``step``: an optimizer's parameters after each of a few steps from given gradients (a parameter
whose grad is None must stay put), over a grid of options and per-group options; and ``state``: the
same steps resumed mid-way from ``state_dict()`` into a new optimizer (an optional API: without it the
resume check is missing, and the steps are judged on their own)."""
import numpy as np

from ._base import Kind
from ._calls import copy, lookup


def _groups(Parameter, case):
    params = [Parameter(np.array(p, copy=True)) for p in case["params"]]
    groups = case.get("groups")
    if groups is None:
        return params, params
    return params, [{**g, "params": [params[i] for i in g["params"]]} for g in groups]


def implementation(impl, spec, case):
    cls = lookup(impl, spec["cls"])
    params, groups = _groups(lookup(impl, "Parameter"), case)
    kwargs = case.get("kwargs", {})
    optimizer = cls(groups, **kwargs)
    out = []
    for t, grads in enumerate(case["grads"]):
        if t == case.get("resume_at"):
            state = optimizer.state_dict()
            optimizer = cls(groups, **kwargs)
            optimizer.load_state_dict(state)
        for p, g in zip(params, grads):
            p.grad = copy(g)
        optimizer.step()
        out.append(np.concatenate([p.data.ravel() for p in params]))
    return {"params": np.stack(out)}


def before(spec, case, dtype, rng):
    import torch
    params = [torch.nn.Parameter(torch.tensor(np.array(p, copy=True))) for p in case["params"]]
    groups = case.get("groups")
    groups = params if groups is None else [{**g, "params": [params[i] for i in g["params"]]} for g in groups]
    optimizer = getattr(torch.optim, spec["cls"])(groups, **case.get("kwargs", {}))
    out = []
    for grads in case["grads"]:
        for p, g in zip(params, grads):
            p.grad = None if g is None else torch.tensor(np.array(g, copy=True))
        optimizer.step()
        out.append(torch.cat([p.detach().reshape(-1) for p in params]).numpy())
    return {"params": np.stack(out)}


STEP = Kind("step", "step", implementation, before)
RESUME = Kind("resume", "state", implementation, before)
"""Resumed from ``state_dict`` after step 4: the state kept per parameter (step counts, moments) must
survive the round trip into a new optimizer."""
