"""The implementation's side of every check, NumPy only.

A subject takes an implementation (a module or namespace exposing contract names), a spec
(``cls``, ``kwargs``, ``functional``), the check kind and one case of inputs, and returns a dict of
named arrays. It never sees torch's answers: judging happens elsewhere, so this file can run in a
child process beside untrusted code.
"""
import numpy as np


class Missing(Exception):
    """The implementation does not define (or does not implement) a name the check needs."""


class ModifiedInput(Exception):
    """The implementation wrote into an array it was given."""


def lookup(impl, name):
    value = getattr(impl, name, None)
    if value is None:
        raise Missing(f"{name} is not defined")
    return value


class _Functional:
    """Adapter for the tutorials' style: ``f(z)`` and ``f_derivative(z)`` behind forward/backward."""

    def __init__(self, f, df):
        self.f, self.df = f, df

    def __call__(self, z):
        self.z = z
        return self.f(z)

    def backward(self, grad_y):
        if self.df is None:
            raise Missing("no derivative function is defined")
        return grad_y * self.df(self.z)

    def named_parameters(self):
        return []


def build(impl, spec, kwargs):
    """Construct ``spec['cls']`` from ``impl``, or its functional-style pair when only that exists."""
    cls = getattr(impl, spec["cls"], None)
    fn = spec.get("functional")
    if cls is None and fn and not kwargs and getattr(impl, fn, None) is not None:
        return _Functional(getattr(impl, fn), getattr(impl, fn + "_derivative", None))
    return lookup(impl, spec["cls"])(**kwargs)


def _copies(arrays):
    return [np.array(a, copy=True) for a in arrays]


def _unchanged(given, original, what):
    for a, b in zip(given, original):
        if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
            raise ModifiedInput(f"{what} modified its input array in place")


def run_module(impl, spec, kind, case):
    """Forward (and backward) of one module: ``y``; ``grad_x``; or ``grad.<parameter name>``."""
    module = build(impl, spec, {**spec.get("kwargs", {}), **case.get("kwargs", {})})
    if "state" in case:
        module.load_state_dict({k: np.array(v, copy=True) for k, v in case["state"].items()})
    if not case.get("train", True):
        module.eval()
    args = _copies(case["args"])
    y = module(*args)
    _unchanged(args, case["args"], "forward")
    if kind == "forward":
        return {"y": y}
    grad_y = np.array(case["grad_y"], copy=True)
    grad_x = module.backward(grad_y)
    _unchanged([grad_y], [case["grad_y"]], "backward")
    if kind == "backward":
        return {"grad_x": grad_x}
    return {f"grad.{name}": p.grad for name, p in module.named_parameters()}


def run_training(impl, spec, kind, case):
    """Train an MLP on fixed minibatches; the loss and all parameters after every step.

    ``spec['kwargs']`` may name the ``activation`` and the ``optimizer`` (default ReLU and SGD);
    ``case['optimizer']`` holds the optimizer's arguments.
    """
    layers = []
    sizes = case["sizes"]
    dtype = case["X"].dtype
    for i in range(len(sizes) - 1):
        layers.append(lookup(impl, "Linear")(sizes[i], sizes[i + 1], dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(lookup(impl, spec["kwargs"].get("activation", "ReLU"))())
    model = lookup(impl, "Sequential")(*layers)
    model.load_state_dict({k: np.array(v, copy=True) for k, v in case["state"].items()})
    loss_fn = lookup(impl, "CrossEntropyLoss")()
    optimizer = lookup(impl, spec["kwargs"].get("optimizer", "SGD"))(model.parameters(), **case["optimizer"])
    losses, params = [], []
    for batch in case["batches"]:
        optimizer.zero_grad()
        loss = loss_fn(model(case["X"][batch]), case["y"][batch])
        model.backward(loss_fn.backward())
        optimizer.step()
        losses.append(np.asarray(loss))
        params.append(np.concatenate([p.data.ravel() for p in model.parameters()]))
    return {"loss": np.stack(losses), "params": np.stack(params)}


def _param_groups(Parameter, case):
    params = [Parameter(np.array(p, copy=True)) for p in case["params"]]
    groups = case.get("groups")
    if groups is None:
        return params, params
    return params, [{**g, "params": [params[i] for i in g["params"]]} for g in groups]


def run_optimizer(impl, spec, kind, case):
    """``step``: parameters after each of a few steps from given gradients (a parameter whose grad is
    None must stay put), optionally resuming from ``state_dict`` mid-way; ``trajectory``: training."""
    if kind == "trajectory":
        return run_training(impl, spec, kind, case)
    cls = lookup(impl, spec["cls"])
    params, groups = _param_groups(lookup(impl, "Parameter"), case)
    kwargs = case.get("kwargs", {})
    optimizer = cls(groups, **kwargs)
    out = []
    for t, grads in enumerate(case["grads"]):
        if t == case.get("resume_at"):
            state = optimizer.state_dict()
            optimizer = cls(groups, **kwargs)
            optimizer.load_state_dict(state)
        for p, g in zip(params, grads):
            p.grad = None if g is None else np.array(g, copy=True)
        optimizer.step()
        out.append(np.concatenate([p.data.ravel() for p in params]))
    return {"params": np.stack(out)}


def run_scheduler(impl, spec, kind, case):
    """The learning rate of each param group after every epoch of a scheduler driving SGD."""
    Parameter = lookup(impl, "Parameter")
    groups = [{"params": [Parameter(np.zeros(2))], "lr": lr} for lr in case["lrs"]]
    optimizer = lookup(impl, "SGD")(groups, **case.get("optimizer", {}))
    scheduler = lookup(impl, spec["cls"])(optimizer, **case.get("kwargs", {}))
    lrs = []
    for epoch in range(case["epochs"]):
        optimizer.step()
        if "metrics" in case:
            scheduler.step(float(case["metrics"][epoch]))
        else:
            scheduler.step()
        lrs.append([float(g["lr"]) for g in optimizer.param_groups])
    return {"lr": np.array(lrs)}


def run_clip(impl, spec, kind, case):
    """The total norm returned and the gradients after clipping in place."""
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


SUBJECTS = {"module": run_module, "training": run_training, "optimizer": run_optimizer,
            "scheduler": run_scheduler, "clip": run_clip}


def run(impl, spec, kind, case):
    """Run one job and classify the outcome: ``('ok', outputs)``, ``('missing', why)`` or ``('error', why)``."""
    try:
        with np.errstate(all="ignore"):
            return "ok", SUBJECTS[spec.get("subject", "module")](impl, spec, kind, case)
    except Missing as exc:
        return "missing", str(exc)
    except NotImplementedError as exc:
        return "missing", f"not implemented{': ' + str(exc) if str(exc) else ''}"
    except ModifiedInput as exc:
        return "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 -- any exception from the implementation is its failure
        return "error", f"raised {type(exc).__name__}: {exc}"
