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
    optimizer = getattr(torch.optim, spec["kwargs"].get("optimizer", "SGD"))(model.parameters(), **case["optimizer"])
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


def _torch_groups(case):
    params = [torch.nn.Parameter(torch.tensor(np.array(p, copy=True))) for p in case["params"]]
    groups = case.get("groups")
    if groups is None:
        return params, params
    return params, [{**g, "params": [params[i] for i in g["params"]]} for g in groups]


def oracle_optimizer(spec, kind, case, dtype, got=None):
    if kind == "trajectory":
        return oracle_training(spec, kind, case, dtype, got)
    params, groups = _torch_groups(case)
    optimizer = getattr(torch.optim, spec["cls"])(groups, **case.get("kwargs", {}))
    out = []
    for grads in case["grads"]:
        for p, g in zip(params, grads):
            p.grad = None if g is None else torch.tensor(np.array(g, copy=True))
        optimizer.step()
        out.append(torch.cat([p.detach().reshape(-1) for p in params]).numpy())
    return {"params": np.stack(out)}


def oracle_scheduler(spec, kind, case, dtype, got=None):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))], "lr": lr} for lr in case["lrs"]]
    optimizer = torch.optim.SGD(groups, **case.get("optimizer", {}))
    scheduler = getattr(torch.optim.lr_scheduler, spec["cls"])(optimizer, **case.get("kwargs", {}))
    lrs = []
    for epoch in range(case["epochs"]):
        optimizer.step()
        if "metrics" in case:
            scheduler.step(float(case["metrics"][epoch]))
        else:
            scheduler.step()
        lrs.append([float(g["lr"]) for g in optimizer.param_groups])
    return {"lr": np.array(lrs)}


def oracle_clip(spec, kind, case, dtype, got=None):
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


ORACLES = {"module": oracle_module, "training": oracle_training, "optimizer": oracle_optimizer,
           "scheduler": oracle_scheduler, "clip": oracle_clip}
OUTPUT_SHAPES = {"module": module_output_shape}
