"""``trajectory`` and ``model``: a network trained in lockstep with its torch twin on fixed minibatches,
the loss and every parameter after each step, the buffers after the last, and the eval-mode outputs.

A layer with a ``replay`` draw (Dropout's mask) is replayed on torch's side step by step, and its
masks, all steps together, are judged against their law. The optimizer is ``spec['kwargs']['optimizer']``
(default SGD) with ``case['optimizer']``'s arguments.
"""
import numpy as np

from ._base import Kind
from ._calls import drawn, lookup


def architecture(spec, case):
    """The layers of a case, ``[{'cls', 'kwargs', optional 'seed' and 'replay'}, ...]``: ``case['layers']``,
    or Linear layers of ``case['sizes']`` with ReLU between them."""
    if "layers" in case:
        return case["layers"]
    sizes, layers = case["sizes"], []
    for i in range(len(sizes) - 1):
        layers.append({"cls": "Linear", "kwargs": {"in_features": sizes[i], "out_features": sizes[i + 1],
                                                   "dtype": np.dtype(case["X"].dtype)}})
        if i < len(sizes) - 2:
            layers.append({"cls": spec["kwargs"].get("activation", "ReLU"), "kwargs": {}})
    return layers


def _replayed(layers):
    return [(f"{layer['replay']}.{i}", i, layer) for i, layer in enumerate(layers) if "replay" in layer]


def implementation(impl, spec, case):
    layers = architecture(spec, case)
    modules = [lookup(impl, layer["cls"])(**layer["kwargs"], **(
        {"rng": np.random.default_rng(layer["seed"])} if "seed" in layer else {})) for layer in layers]
    model = lookup(impl, "Sequential")(*modules)
    model.load_state_dict({k: np.array(v, copy=True) for k, v in case["state"].items()})
    loss_fn = lookup(impl, "CrossEntropyLoss")()
    optimizer = lookup(impl, spec["kwargs"].get("optimizer", "SGD"))(model.parameters(), **case["optimizer"])
    random = _replayed(layers)
    losses, params, draws = [], [], {key: [] for key, _, _ in random}
    for batch in case["batches"]:
        optimizer.zero_grad()
        loss = loss_fn(model(case["X"][batch]), case["y"][batch])
        for key, i, layer in random:
            draws[key].append(drawn(modules[i], layer["replay"]))
        model.backward(loss_fn.backward())
        optimizer.step()
        losses.append(np.asarray(loss))
        params.append(np.concatenate([p.data.ravel() for p in model.parameters()]))
    names = {name for name, _ in model.named_parameters()}
    buffers = {f"state.{k}": v for k, v in model.state_dict().items() if k not in names}
    model.eval()
    return {"loss": np.stack(losses), "params": np.stack(params), **buffers,
            "eval": model(np.array(case["X"], copy=True)), **{k: np.stack(v) for k, v in draws.items()}}


def _torch(spec, case, dtype, got):
    import torch

    import reference

    from . import _torch as T
    from ..distributions import Binomial
    layers = architecture(spec, case)
    model = torch.nn.Sequential(*(reference.torch_module(layer["cls"], layer["kwargs"], dtype) for layer in layers))
    reference.load_into_torch(model, case["state"])
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = getattr(torch.optim, spec["kwargs"].get("optimizer", "SGD"))(model.parameters(), **case["optimizer"])
    X, y = torch.from_numpy(case["X"]), torch.from_numpy(case["y"])
    random = _replayed(layers)
    masks = [got[key][t] for t in range(len(case["batches"])) for key, _, _ in random]
    losses, params = [], []
    with T.replaying(masks):
        for batch in case["batches"]:
            optimizer.zero_grad()
            loss = loss_fn(model(X[batch]), y[batch])
            loss.backward()
            optimizer.step()
            losses.append(loss.detach().numpy())
            params.append(torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy())
    names = {name for name, _ in model.named_parameters()}
    buffers = {f"state.{k}": v.numpy() for k, v in model.state_dict().items() if k not in names}
    with torch.no_grad():
        evaluated = model.eval()(X).numpy()
    laws = {key: Binomial(1 - layer["kwargs"].get("p", 0.5), np.shape(got[key]), "bool") for key, _, layer in random}
    return {"loss": np.stack(losses), "params": np.stack(params), **buffers, "eval": evaluated, **laws}


def before(spec, case, dtype, rng):
    """torch's run, unless a layer replays the implementation's draws: then it waits for them."""
    return None if _replayed(architecture(spec, case)) else _torch(spec, case, dtype, None)


def after(spec, case, dtype, got, before):
    return before if before is not None else _torch(spec, case, dtype, got)


_LONG = {"float32": {"rtol": 1e-4, "atol": 1e-5}, "float64": {"rtol": 1e-10, "atol": 1e-10}}
"""Many steps in sequence: round-off differences are fed back and grow with every step, so the bound is
the per-step bound times the growth a few hundred steps allow: float64 stays within 1e-10; float32,
whose per-step round-off is ~6e-8, is held to 1e-4 relative."""

TRAJECTORY = Kind("trajectory", "trajectory", implementation, before, after, tol=_LONG)
MODEL = Kind("model", "model", implementation, before, after, tol=_LONG)
