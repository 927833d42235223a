"""The implementation's side of every check, NumPy only.

A subject takes an implementation (a module or namespace exposing contract names), a spec
(``cls``, ``kwargs``, ``functional``), the check kind and one case of inputs, and returns a dict of
named arrays. It never sees torch's answers: judging happens elsewhere, so this file can run in a
child process beside untrusted code.
"""
import numpy as np


class Missing(Exception):
    """The implementation does not define (or does not implement) a name the check needs."""


class ContractViolation(Exception):
    """The implementation broke a rule of the contract the outputs alone cannot show; a failed check."""


class ModifiedInput(ContractViolation):
    """The implementation wrote into an array it was given."""


def lookup(impl, name):
    value = getattr(impl, name, None)
    if value is None:
        raise Missing(f"{name} is not defined")
    return value


class _Functional:
    """Adapter for the tutorials' style: ``f(z)`` and ``f_derivative(z)`` behind forward/backward."""

    def __init__(self, f, df, name="f"):
        self.f, self.df, self.name = f, df, name

    def __call__(self, z):
        self.z = z
        return self.f(z)

    def backward(self, grad_y):
        if self.df is None:
            raise Missing(f"{self.name}_derivative is not defined")
        return grad_y * self.df(self.z)

    def named_parameters(self):
        return []


def build(impl, spec, kwargs):
    """Construct ``spec['cls']`` from ``impl``, or its functional-style pair when only that exists."""
    cls = getattr(impl, spec["cls"], None)
    fn = spec.get("functional")
    if cls is None and fn and not kwargs and getattr(impl, fn, None) is not None:
        return _Functional(getattr(impl, fn), getattr(impl, fn + "_derivative", None), fn)
    return lookup(impl, spec["cls"])(**kwargs)


def _copies(arrays):
    return [np.array(a, copy=True) for a in arrays]


def _unchanged(given, original, what):
    for a, b in zip(given, original):
        if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
            raise ModifiedInput(f"{what} modified its input array in place")


def _make(impl, spec, case):
    """A new module for ``case``: its kwargs (and ``rng=default_rng(case['seed'])`` if it has a seed),
    its ``state`` loaded, in eval mode when ``case['train']`` is False."""
    kwargs = {**spec.get("kwargs", {}), **case.get("kwargs", {})}
    if "seed" in case:
        kwargs["rng"] = np.random.default_rng(case["seed"])
    module = build(impl, spec, kwargs)
    if "state" in case:
        module.load_state_dict({k: np.array(v, copy=True) for k, v in case["state"].items()})
    if not case.get("train", True):
        module.eval()
    return module


def _drawn(module, name):
    """The random draw ``module.<name>`` (Dropout's ``mask``) that torch's side replays."""
    value = getattr(module, name, None)
    if value is None:
        raise Missing(f"{type(module).__name__}.{name} is not defined: torch's side needs it to replay the draw")
    return np.array(value, copy=True)


def run_module(impl, spec, kind, case):
    """Forward (and backward) of one module: ``y``; ``grad_x``; or ``grad.<parameter name>``; with the
    draws named by ``case['replay']`` (Dropout's ``mask``). Kinds of ``MODULE_KINDS`` go there."""
    if kind in MODULE_KINDS:
        return MODULE_KINDS[kind](impl, spec, case)
    module = _make(impl, spec, case)
    args = _copies(case["args"])
    y = module(*args)
    _unchanged(args, case["args"], "forward")
    draws = {name: _drawn(module, name) for name in case.get("replay", ())}
    if kind == "forward":
        return {"y": y, **draws}
    grad_y = np.array(case["grad_y"], copy=True)
    grad_x = module.backward(grad_y)
    _unchanged([grad_y], [case["grad_y"]], "backward")
    if kind == "backward":
        return {"grad_x": grad_x, **draws}
    return {**{f"grad.{name}": p.grad for name, p in module.named_parameters()}, **draws}


def _central_differences(f, x, grad_y, h):
    """``d/dx sum(grad_y * f(x))`` by central differences, one element of ``x`` at a time; the step is
    the one the rounded ``x + h`` and ``x - h`` actually make."""
    numeric = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = np.sum(grad_y * (np.asarray(f(up), np.float64) - np.asarray(f(down), np.float64))) / (up[i] - down[i])
    return numeric.astype(x.dtype)


def _parameters(module):
    """``module.named_parameters()`` as a list; none when the module does not define it, as a loss or an
    activation need not (a layer that leaves it out fails its ``param_grad`` check instead)."""
    named = getattr(module, "named_parameters", None)
    return [] if named is None else list(named())


def gradcheck_module(impl, spec, case, h=1e-6):
    """The analytic gradients of ``sum(grad_y * module(x, *rest))`` with respect to ``x`` and to every
    parameter (``grad_x``, ``grad.<name>``) and the same by central differences (``numeric.grad_x``, ...).
    Every evaluation uses a new module (same seed, same state), so Dropout draws the same mask and
    BatchNorm's running statistics do not drift."""
    args = _copies(case["args"])
    grad_y = np.array(case["grad_y"], copy=True)
    module = _make(impl, spec, case)
    params = {name: np.array(p.data, copy=True) for name, p in _parameters(module)}
    module(*args)
    out = {"grad_x": module.backward(np.array(grad_y, copy=True))}
    out.update((f"grad.{name}", p.grad) for name, p in _parameters(module))

    def fresh(**values):
        m = _make(impl, spec, case)
        for name, p in _parameters(m):
            p.data[...] = values.get(name, params[name])
        return m

    def with_parameter(name):
        return lambda value: fresh(**{name: value})(*_copies(args))

    out["numeric.grad_x"] = _central_differences(lambda x: fresh()(x, *_copies(args[1:])), args[0], grad_y, h)
    for name, value in params.items():
        out[f"numeric.grad.{name}"] = _central_differences(with_parameter(name), value, grad_y, h)
    return out


def state_module(impl, spec, case):
    """The module's ``state_dict`` after each of ``case['steps']`` (``{'x': input, 'train': bool}``),
    stacked per key: BatchNorm's running statistics and ``num_batches_tracked`` step by step."""
    module = _make(impl, spec, case)
    states = []
    for step in case["steps"]:
        module.train(step["train"])
        module(np.array(step["x"], copy=True))
        states.append(module.state_dict())
    return {key: np.stack([np.asarray(s[key]) for s in states]) for key in states[0]}


def draws_module(impl, spec, case):
    """A new module built with ``rng=default_rng(case['seed'])``: its forward on ``case['args']`` (``y``)
    when there are args, else its initial ``state_dict`` (a ``Linear``'s default initialisation)."""
    module = _make(impl, spec, case)
    if "args" in case:
        return {"y": module(*_copies(case["args"]))}
    return module.state_dict()


MODULE_KINDS = {"gradcheck": gradcheck_module, "state": state_module, "distribution": draws_module}


def _init_function(impl, name):
    fn = getattr(getattr(impl, "init", None), name, None) or getattr(impl, name, None)
    if fn is None:
        raise Missing(f"init.{name} is not defined")
    return fn


def _gain(calculate_gain, nonlinearity, param):
    try:
        return float(calculate_gain(nonlinearity, param))
    except ValueError:
        return np.nan


def run_init(impl, spec, kind, case):
    """``init.<spec['functional']>``: for ``calculate_gain``, the gain of each ``(nonlinearity, param)`` of
    ``case['gains']`` (NaN where it raises ValueError); otherwise the array of ``case['shape']`` and
    ``case['dtype']`` it filled, with ``rng=default_rng(case['seed'])`` when the case has a seed. The
    function must fill the array in place and return it."""
    name = spec["functional"]
    fn = _init_function(impl, name)
    if "gains" in case:
        return {"gain": np.array([_gain(fn, *g) for g in case["gains"]], dtype=np.float64)}
    array = np.full(case["shape"], np.nan, dtype=case["dtype"])
    rng = {"rng": np.random.default_rng(case["seed"])} if "seed" in case else {}
    if fn(array, **case.get("kwargs", {}), **rng) is not array:
        raise ContractViolation(f"init.{name} must fill the array it is given in place and return that array")
    return {"tensor": array}


def architecture(spec, case):
    """The layers of a model case, ``[{'cls', 'kwargs', optional 'seed' and 'replay'}, ...]``:
    ``case['layers']``, or Linear layers of ``case['sizes']`` with ``spec['kwargs']['activation']``
    (default ReLU) between them."""
    if "layers" in case:
        return case["layers"]
    sizes, layers = case["sizes"], []
    for i in range(len(sizes) - 1):
        layers.append({"cls": "Linear", "kwargs": {"in_features": sizes[i], "out_features": sizes[i + 1],
                                                   "dtype": np.dtype(case["X"].dtype)}})
        if i < len(sizes) - 2:
            layers.append({"cls": spec["kwargs"].get("activation", "ReLU"), "kwargs": {}})
    return layers


def run_training(impl, spec, kind, case):
    """Train a model (``architecture``) on fixed minibatches; the loss and all parameters after every
    step, the buffers after the last (``state.<name>``), the eval-mode outputs on all of ``X``
    (``eval``), and each random layer's draws, step by step (``<replay>.<index>``: Dropout's masks).

    ``spec['kwargs']`` may name the ``optimizer`` (default SGD); ``case['optimizer']`` holds its arguments.
    """
    layers = architecture(spec, case)
    modules = [lookup(impl, layer["cls"])(**layer["kwargs"], **(
        {"rng": np.random.default_rng(layer["seed"])} if "seed" in layer else {})) for layer in layers]
    model = lookup(impl, "Sequential")(*modules)
    model.load_state_dict({k: np.array(v, copy=True) for k, v in case["state"].items()})
    loss_fn = lookup(impl, "CrossEntropyLoss")()
    optimizer = lookup(impl, spec["kwargs"].get("optimizer", "SGD"))(model.parameters(), **case["optimizer"])
    random = [(f"{layer['replay']}.{i}", modules[i], layer["replay"]) for i, layer in enumerate(layers)
              if "replay" in layer]
    losses, params, draws = [], [], {key: [] for key, _, _ in random}
    for batch in case["batches"]:
        optimizer.zero_grad()
        loss = loss_fn(model(case["X"][batch]), case["y"][batch])
        for key, module, name in random:
            draws[key].append(_drawn(module, name))
        model.backward(loss_fn.backward())
        optimizer.step()
        losses.append(np.asarray(loss))
        params.append(np.concatenate([p.data.ravel() for p in model.parameters()]))
    names = {name for name, _ in model.named_parameters()}
    buffers = {f"state.{k}": v for k, v in model.state_dict().items() if k not in names}
    model.eval()
    return {"loss": np.stack(losses), "params": np.stack(params), **buffers,
            "eval": model(np.array(case["X"], copy=True)), **{k: np.stack(v) for k, v in draws.items()}}


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


def run_predict_proba(impl, spec, kind, case):
    """An MLP (Linear, activation, ..., Linear) with the case's weights in eval mode: the softmax of its
    outputs, i.e. a classifier's ``predict_proba``. The same array is judged against torch ('proba')
    and against scikit-learn's ``MLPClassifier`` ('proba.sklearn')."""
    sizes = case["sizes"]
    layers = [lookup(impl, "Linear")(sizes[0], sizes[1], dtype=case["X"].dtype)]
    for n_in, n_out in zip(sizes[1:-1], sizes[2:]):
        layers += [lookup(impl, case["activation"])(), lookup(impl, "Linear")(n_in, n_out, dtype=case["X"].dtype)]
    model = lookup(impl, "Sequential")(*layers)
    model.load_state_dict({k: np.array(v, copy=True) for k, v in case["state"].items()})
    model.eval()
    X = np.array(case["X"], copy=True)
    proba = lookup(impl, "Softmax")(dim=-1)(model(X))
    _unchanged([X], [case["X"]], "forward")
    return {"proba": proba, "proba.sklearn": proba}


SUBJECTS = {"module": run_module, "training": run_training, "optimizer": run_optimizer,
            "scheduler": run_scheduler, "clip": run_clip, "init": run_init, "predict_proba": run_predict_proba}


def run(impl, spec, kind, case):
    """Run one job and classify the outcome: ``('ok', outputs)``, ``('missing', why)`` or ``('error', why)``."""
    try:
        with np.errstate(all="ignore"):
            return "ok", SUBJECTS[spec.get("subject", "module")](impl, spec, kind, case)
    except Missing as exc:
        return "missing", str(exc)
    except NotImplementedError as exc:
        return "missing", f"not implemented{': ' + str(exc) if str(exc) else ''}"
    except ContractViolation as exc:
        return "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 -- any exception from the implementation is its failure
        return "error", f"raised {type(exc).__name__}: {exc}"
