"""``fit``: whole training runs of the training twins (``scratch.train`` against ``reference.train``):
``fit`` with EarlyStopping, penalties, a scheduler and Diagnostics, and the LR range test.

A case names an MLP (``sizes``, ``activation``, starting weights ``state``), data ``X``, ``y``, a loss, an
optimizer and ``fit``'s options; callbacks and penalties by class name and arguments. The
implementation's side returns the history per epoch (diagnostics flattened to ``history.diagnostics.
<figure>.<layer>``), the epoch early stopping stopped at and the one it restored, and the final
weights; for a range test (``range`` in the case), the rates and losses tried, the suggested rate, and
the weights and learning rate afterwards (which must be the starting ones).
"""
import numpy as np

from ._base import Kind
from ._calls import Missing, lookup

METRICS = {"accuracy": lambda out, y: float(np.mean(np.argmax(out, axis=1) == y))}
"""Metrics by name (a case holds names, not functions): ``metric(out, y) -> float`` on arrays."""


def _trainer(impl, name):
    """``name`` from the implementation, at its top level or in its ``train`` module."""
    try:
        return lookup(impl, name)
    except Missing:
        train = vars(impl).get("train") if hasattr(impl, "__dict__") else None
        if train is None or not hasattr(train, "__dict__") or vars(train).get(name) is None:
            raise Missing(f"{name} is not defined") from None
        return vars(train)[name]


def _flat(prefix, value, out):
    if isinstance(value, dict):
        for k in sorted(value):
            _flat(f"{prefix}.{k}", value[k], out)
    else:
        out.setdefault(prefix, []).append(float(value))


def _history(history, params):
    out = {}
    for key in sorted(history.history):
        for value in history.history[key]:
            _flat(f"history.{key}", value, out)
    out = {k: np.array(v) for k, v in out.items()}
    out["stopped_epoch"] = np.array(float(history.stopped_epoch or 0))
    out["best_epoch"] = np.array(float(history.best_epoch or 0))
    out["params"] = params
    return out


def _options(case, namespace, optimizer):
    """fit's keyword arguments for ``case``, with callbacks, penalties and a scheduler built from
    ``namespace(name)``."""
    kw = dict(case.get("fit", {}))
    if "metric" in kw:
        kw["metric"] = METRICS[kw["metric"]]
    if kw.get("diagnostics") is True:
        kw["diagnostics"] = namespace("Diagnostics")()
    kw["callbacks"] = [namespace(n)(**a) for n, a in case.get("callbacks", ())]
    kw["penalties"] = [namespace(n)(**a) for n, a in case.get("penalties", ())]
    if "scheduler" in case:
        name, args = case["scheduler"]
        kw["scheduler"] = namespace(name)(optimizer, **args)
    return kw


def _model(make, case):
    sizes, layers = case["sizes"], []
    for i in range(len(sizes) - 1):
        layers.append(make("Linear", in_features=sizes[i], out_features=sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(make(case.get("activation", "ReLU")))
    return layers


def implementation(impl, spec, case):
    dtype = case["X"].dtype
    Linear = lookup(impl, "Linear")

    def make(cls, **kw):
        return Linear(**kw, dtype=dtype) if cls == "Linear" else lookup(impl, cls)()
    model = lookup(impl, "Sequential")(*_model(make, case))
    model.load_state_dict({k: np.array(v, copy=True) for k, v in case["state"].items()})
    optimizer = lookup(impl, case["optimizer"][0])(model.parameters(), **case["optimizer"][1])
    loss_fn = lookup(impl, case["loss"])()
    X, y = np.array(case["X"], copy=True), np.array(case["y"], copy=True)

    def params():
        return np.concatenate([p.data.ravel() for p in model.parameters()])
    if "range" in case:
        finder = _trainer(impl, "LRFinder")(model, optimizer, loss_fn)
        lrs, losses = finder.range_test(X, y, **case["range"])
        return {"lr": np.array(lrs, dtype=np.float64), "loss": np.array(losses, dtype=np.float64),
                "suggestion": np.array(float(finder.suggestion())), "params": params(),
                "lr_after": np.array(float(optimizer.param_groups[0]["lr"]))}
    history = _trainer(impl, "fit")(model, loss_fn, optimizer, X, y, case["epochs"], case["batch_size"],
                                    **_options(case, lambda n: _trainer(impl, n), optimizer))
    return _history(history, params())


def before(spec, case, dtype, rng):
    import torch

    import reference
    from reference import train

    def make(cls, **kw):
        return reference.torch_module(cls, kw, dtype)
    model = torch.nn.Sequential(*_model(make, case))
    reference.load_into_torch(model, case["state"])
    optimizer = getattr(torch.optim, case["optimizer"][0])(model.parameters(), **case["optimizer"][1])
    loss_fn = getattr(torch.nn, case["loss"])()

    def params():
        return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy()

    def namespace(name):
        return getattr(train, name, None) or getattr(torch.optim.lr_scheduler, name)
    if "range" in case:
        finder = train.LRFinder(model, optimizer, loss_fn)
        lrs, losses = finder.range_test(case["X"], case["y"], **case["range"])
        return {"lr": np.array(lrs, dtype=np.float64), "loss": np.array(losses, dtype=np.float64),
                "suggestion": np.array(float(finder.suggestion())), "params": params(),
                "lr_after": np.array(float(case["optimizer"][1]["lr"]))}
    history = train.fit(model, loss_fn, optimizer, case["X"], case["y"], case["epochs"], case["batch_size"],
                        **_options(case, namespace, optimizer))
    return _history(history, params())


FIT = Kind("fit", "fit", implementation, before,
           tol={"float32": {"rtol": 1e-4, "atol": 2e-4}, "float64": {"rtol": 1e-10, "atol": 1e-10}})
"""A whole fit feeds round-off back through every step, as ``trajectory`` does: float64 within 1e-10;
float32 within 2e-4 absolute (values of order 1; the LR range test's last, diverging steps are the
largest, about 7e-5)."""
