"""torch's side of every check: the same job as ``subjects``, answered by ``reference``'s twins."""
import functools
import warnings

import numpy as np
import torch

import reference


def _tensor(a, grad=False):
    t = torch.tensor(np.array(a, copy=True))
    return t.requires_grad_(grad and t.is_floating_point())


def _module(spec, case, dtype):
    module = reference.torch_module(spec["cls"], {**spec.get("kwargs", {}), **case.get("kwargs", {})}, dtype)
    if "state" in case:
        reference.load_into_torch(module, case["state"])
    return module.train(case.get("train", True))


def _quiet(fn):
    """Silence torch's deprecation notices (KLDivLoss 'mean'); the registry asks for those cases on purpose."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn(*args, **kwargs)
    return wrapper


@_quiet
def module_output_shape(spec, case, dtype):
    with torch.no_grad():
        return tuple(_module(spec, case, dtype)(*(_tensor(a) for a in case["args"])).shape)


@_quiet
def oracle_module(spec, kind, case, dtype, got=None):
    """``y``, ``grad_x`` or ``grad.<name>`` from torch autograd under the case's ``grad_y``."""
    module = _module(spec, case, dtype)
    args = [_tensor(a, grad=(i == 0)) for i, a in enumerate(case["args"])]
    y = module(*args)
    if kind == "forward":
        return {"y": y.detach().numpy()}
    y.backward(torch.from_numpy(np.array(case["grad_y"], copy=True)))
    if kind == "backward":
        return {"grad_x": args[0].grad.numpy()}
    return {f"grad.{name}": p.grad.numpy() for name, p in module.named_parameters()}


def oracle_training(spec, kind, case, dtype, got=None):
    sizes = case["sizes"]
    tdtype = reference.torch_dtype(dtype)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1], dtype=tdtype))
        if i < len(sizes) - 2:
            layers.append(reference.torch_module(spec["kwargs"].get("activation", "ReLU"), {}))
    model = torch.nn.Sequential(*layers)
    reference.load_into_torch(model, case["state"])
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), **case["optimizer"])
    X, y = torch.from_numpy(case["X"]), torch.from_numpy(case["y"])
    losses, params = [], []
    for batch in case["batches"]:
        optimizer.zero_grad()
        loss = loss_fn(model(X[batch]), y[batch])
        loss.backward()
        optimizer.step()
        losses.append(loss.detach().numpy())
        params.append(torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy())
    return {"loss": np.stack(losses), "params": np.stack(params)}


ORACLES = {"module": oracle_module, "training": oracle_training}
OUTPUT_SHAPES = {"module": module_output_shape}
