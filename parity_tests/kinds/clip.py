"""``forward`` of the gradient-clipping utilities: the total norm returned and the gradients after
clipping in place."""
import numpy as np

from ._base import Kind
from ._calls import lookup


def implementation(impl, spec, case):
    Parameter = lookup(impl, "Parameter")
    params = []
    for g in case["grads"]:
        p = Parameter(np.zeros_like(g))
        p.grad = np.array(g, copy=True)
        params.append(p)
    total = lookup(impl, spec["cls"])(params, **case.get("kwargs", {}))
    out = {f"grad.{i}": p.grad for i, p in enumerate(params)}
    if spec["cls"] == "clip_grad_norm_":
        out["total_norm"] = total
    return out


def before(spec, case, dtype, rng):
    import torch

    import reference
    params = []
    for g in case["grads"]:
        p = torch.nn.Parameter(torch.zeros(g.shape, dtype=reference.torch_dtype(g.dtype)))
        p.grad = torch.tensor(np.array(g, copy=True))
        params.append(p)
    total = getattr(torch.nn.utils, spec["cls"])(params, **case.get("kwargs", {}))
    out = {f"grad.{i}": p.grad.numpy() for i, p in enumerate(params)}
    if spec["cls"] == "clip_grad_norm_":
        out["total_norm"] = total.detach().numpy()
    return out


CLIP = Kind("clip", "forward", implementation, before)
