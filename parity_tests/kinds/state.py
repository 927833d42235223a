"""``state``: a module's ``state_dict`` after each of several forwards (BatchNorm's running statistics,
the unbiased running variance, ``num_batches_tracked``), training and eval steps mixed."""
import numpy as np

from ._base import Kind
from ._calls import make


def implementation(impl, spec, case):
    module = make(impl, spec, case)
    states = []
    for step in case["steps"]:
        module.train(step["train"])
        module(np.array(step["x"], copy=True))
        states.append(module.state_dict())
    return {key: np.stack([np.asarray(s[key]) for s in states]) for key in states[0]}


def before(spec, case, dtype, rng):
    import torch

    from . import _torch as T
    module = T.module(spec, case, dtype)
    states = []
    with torch.no_grad():
        for step in case["steps"]:
            module.train(step["train"])
            module(T.tensor(step["x"]))
            states.append({k: v.numpy().copy() for k, v in module.state_dict().items()})
    return {key: np.stack([s[key] for s in states]) for key in states[0]}


STATE = Kind("state", "state", implementation, before)
