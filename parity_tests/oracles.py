"""torch's side of every check: the same job as ``subjects``, answered by ``reference``'s twins."""
import contextlib
import functools
import warnings

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import reference

from .distributions import Binomial, Draws
from .subjects import architecture


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


class _Replay(TorchDispatchMode):
    """Feed torch's own Bernoulli draws from ``masks``, in order: ``nn.Dropout`` runs its own kernel
    (``noise.bernoulli_(1 - p)``, ``noise.div_(1 - p)``, ``input * noise``) with the implementation's keep-masks."""

    def __init__(self, masks):
        super().__init__()
        self.masks = list(masks)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func is not torch.ops.aten.bernoulli_.float:
            return func(*args, **(kwargs or {}))
        if not self.masks:
            raise ValueError("torch drew more keep-masks than the implementation returned")
        mask = np.asarray(self.masks.pop(0))
        target = args[0]
        if mask.dtype != np.bool_ or mask.shape != tuple(target.shape):
            raise ValueError(f"a keep-mask must be a bool array of shape {tuple(target.shape)}, "
                             f"got {mask.dtype} of shape {mask.shape}")
        return target.copy_(torch.from_numpy(mask))


def _replaying(masks):
    """A context where torch's Bernoulli draws are ``masks`` (none to replay: a plain context)."""
    return _Replay(masks) if len(masks) else contextlib.nullcontext()


@_quiet
def module_output_shape(spec, case, dtype):
    with torch.no_grad():
        return tuple(_module(spec, case, dtype)(*(_tensor(a) for a in case["args"])).shape)


@_quiet
def oracle_module(spec, kind, case, dtype, got=None):
    """``y``, ``grad_x`` or ``grad.<name>`` from torch autograd under the case's ``grad_y``, replaying
    the draws ``case['replay']`` names; kinds of ``MODULE_KINDS`` go there."""
    if kind in MODULE_KINDS:
        return MODULE_KINDS[kind](spec, case, dtype, got)
    module = _module(spec, case, dtype)
    args = [_tensor(a, grad=(i == 0)) for i, a in enumerate(case["args"])]
    with _replaying([got[name] for name in case.get("replay", ())]):
        y = module(*args)
    if kind == "forward":
        return {"y": y.detach().numpy()}
    y.backward(torch.from_numpy(np.array(case["grad_y"], copy=True)))
    if kind == "backward":
        return {"grad_x": args[0].grad.numpy()}
    return {f"grad.{name}": p.grad.numpy() for name, p in module.named_parameters()}


def central_differences(spec, case, dtype, got):
    """``gradcheck``'s oracle is not torch: each analytic gradient the implementation returned
    (``grad_x``, ``grad.<name>``) is expected to equal its own central differences (``numeric.<key>``)."""
    want = {k.removeprefix("numeric."): v for k, v in got.items() if k.startswith("numeric.")}
    if "grad_x" not in want:
        raise ValueError(f"gradcheck needs numeric.grad_x from the subject, got {sorted(got)}")
    return want


def oracle_state(spec, case, dtype, got):
    """torch's ``state_dict`` after each step of ``case['steps']``, stacked per key."""
    module = _module(spec, case, dtype)
    states = []
    with torch.no_grad():
        for step in case["steps"]:
            module.train(step["train"])
            module(_tensor(step["x"]))
            states.append({k: v.numpy().copy() for k, v in module.state_dict().items()})
    return {key: np.stack([s[key] for s in states]) for key in states[0]}


def _seeded(seed, build):
    """``build()`` with torch's global generator seeded with ``seed``, restored afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def _laws(case, dtype, draws):
    """What each output of a ``distribution`` case must look like (``case['law']``): for 'uniform' or
    'normal', torch's draws ``draws()[key]`` of that law; for ``('binomial', keep)``, non-zero elements
    of the input's shape kept with probability ``keep``."""
    torch_draws = draws() if any(law in ("uniform", "normal") for law in case["law"].values()) else {}
    return {key: Draws(torch_draws[key], bounded=law == "uniform") if law in ("uniform", "normal")
            else Binomial(law[1], tuple(np.shape(case["args"][0])), dtype) for key, law in case["law"].items()}


def oracle_draws(spec, case, dtype, got):
    """A module's random draws: torch's twin built with the case's seed (its initial ``state_dict``)."""
    def draws():
        module = _seeded(case["seed"], lambda: reference.torch_module(
            spec["cls"], {**spec.get("kwargs", {}), **case.get("kwargs", {})}, dtype))
        return {k: v.detach().numpy() for k, v in module.state_dict().items()}
    return _laws(case, dtype, draws)


MODULE_KINDS = {"gradcheck": central_differences, "state": oracle_state, "distribution": oracle_draws}


def _torch_gain(nonlinearity, param):
    try:
        return float(torch.nn.init.calculate_gain(nonlinearity, param))
    except ValueError:
        return np.nan


def oracle_init(spec, kind, case, dtype, got=None):
    """``torch.nn.init``'s function on a tensor of the case's shape: its values, or for a seeded case
    (random draws) torch's draws from its own seeded generator; ``calculate_gain``'s gains."""
    if "gains" in case:
        return {"gain": np.array([_torch_gain(*g) for g in case["gains"]], dtype=np.float64)}
    fn = getattr(torch.nn.init, spec["functional"])

    def fill(**extra):
        tensor = torch.full(case["shape"], float("nan"), dtype=reference.torch_dtype(case["dtype"]))
        fn(tensor, **case.get("kwargs", {}), **extra)
        return {"tensor": tensor.numpy()}
    if "seed" not in case:
        return fill()
    return _laws(case, dtype, lambda: fill(generator=torch.Generator().manual_seed(case["seed"])))


def oracle_training(spec, kind, case, dtype, got=None):
    """torch's twin of ``subjects.run_training``, replaying the implementation's Dropout masks step by step."""
    layers = architecture(spec, case)
    model = torch.nn.Sequential(*(reference.torch_module(layer["cls"], layer["kwargs"], dtype) for layer in layers))
    reference.load_into_torch(model, case["state"])
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = getattr(torch.optim, spec["kwargs"].get("optimizer", "SGD"))(model.parameters(), **case["optimizer"])
    X, y = torch.from_numpy(case["X"]), torch.from_numpy(case["y"])
    random = [f"{layer['replay']}.{i}" for i, layer in enumerate(layers) if "replay" in layer]
    masks = [got[key][t] for t in range(len(case["batches"])) for key in random]
    losses, params = [], []
    with _replaying(masks):
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
    return {"loss": np.stack(losses), "params": np.stack(params), **buffers, "eval": evaluated}


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


SKLEARN_ACTIVATIONS = {"Identity": "identity", "Sigmoid": "logistic", "Tanh": "tanh", "ReLU": "relu"}


def _sklearn_predict_proba(case):
    """scikit-learn's ``MLPClassifier.predict_proba`` with the case's weights (``coefs_`` are ``W.T``).

    With two classes sklearn has one logistic output unit; ``sigmoid(z1 - z0)`` equals ``softmax(z)[1]``,
    so its weights are the difference of the two rows.
    """
    from sklearn.neural_network import MLPClassifier

    sizes, state, X = case["sizes"], case["state"], case["X"]
    n = len(sizes) - 1
    weights = [state[f"{2 * i}.weight"] for i in range(n)]
    biases = [state[f"{2 * i}.bias"] for i in range(n)]
    if sizes[-1] == 2:
        weights[-1], biases[-1] = weights[-1][1:] - weights[-1][:1], biases[-1][1:] - biases[-1][:1]
    classes = np.arange(sizes[-1])
    clf = MLPClassifier(hidden_layer_sizes=sizes[1:-1], activation=SKLEARN_ACTIVATIONS[case["activation"]])
    clf.partial_fit(np.zeros((len(classes), sizes[0]), dtype=X.dtype), classes, classes=classes)
    clf.coefs_ = [np.array(W.T) for W in weights]
    clf.intercepts_ = [np.array(b) for b in biases]
    return clf.predict_proba(np.array(X, copy=True))


def oracle_predict_proba(spec, kind, case, dtype, got=None):
    """torch's softmax of the twin network's outputs, and scikit-learn's MLPClassifier with the same weights."""
    sizes = case["sizes"]
    layers = [reference.torch_module("Linear", {"in_features": sizes[0], "out_features": sizes[1]}, dtype)]
    for n_in, n_out in zip(sizes[1:-1], sizes[2:]):
        layers += [reference.torch_module(case["activation"], {}),
                   reference.torch_module("Linear", {"in_features": n_in, "out_features": n_out}, dtype)]
    model = torch.nn.Sequential(*layers).eval()
    reference.load_into_torch(model, case["state"])
    with torch.no_grad():
        proba = torch.softmax(model(_tensor(case["X"])), dim=-1).numpy()
    return {"proba": proba, "proba.sklearn": _sklearn_predict_proba(case)}


ORACLES = {"module": oracle_module, "training": oracle_training, "optimizer": oracle_optimizer,
           "scheduler": oracle_scheduler, "clip": oracle_clip, "init": oracle_init, "predict_proba": oracle_predict_proba}
OUTPUT_SHAPES = {"module": module_output_shape}
