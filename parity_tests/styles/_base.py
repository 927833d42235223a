"""What every style's adapters share: ``Parameter``, ``Module``, ``Loss``, ``Optimizer``, ``Sequential``.

Runs inside the untrusted child beside the submission: NumPy and the standard library only.

An adapter is a contract object (``Linear``, ``Adam``, ...) whose arithmetic is the submission's own:
these bases only hold parameters and buffers in torch's layout and names, so the registry's checks
(``state_dict`` keys, ``Parameter.grad`` accumulating with ``+=``, ``train``/``eval``) read them
unchanged. Each adapter class names the submission's functions its output comes from in ``source``.
"""
import numpy as np


class Unsupported(NotImplementedError):
    """A case the course's API cannot express (a torch option it has no argument for); reported as missing."""


def given(value):
    """Whether an option is set to something other than its 'off' value (None, 0, False)."""
    if value is None:
        return False
    if isinstance(value, (bool, int, float)):
        return value != 0
    return True


class Parameter:
    """An array and its gradient: ``data`` (ndarray) and ``grad`` (ndarray or None), as the contract's."""

    def __init__(self, data):
        self.data = data
        self.grad = None

    def accumulate(self, grad):
        """Add ``grad`` into ``self.grad`` (the contract's ``+=``), cast to the parameter's dtype."""
        grad = np.asarray(grad).reshape(self.data.shape)
        self.grad = np.array(grad, copy=True) if self.grad is None else self.grad + grad

    def __repr__(self):
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Parameters and buffers under torch's names; ``forward``/``backward`` come from the adapter."""

    source = []
    """The submission's own names this adapter's outputs come from (``["affine_forward", ...]``)."""

    def __init__(self):
        self.training = True
        self._params = {}
        self._buffers = {}

    def param(self, name, array):
        self._params[name] = Parameter(array)
        return self._params[name]

    def __getattr__(self, name):
        params = self.__dict__.get("_params", {})
        if name in params:
            return params[name]
        raise AttributeError(name)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_parameters(self):
        return list(self._params.items())

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def train(self, mode=True):
        self.training = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def state_dict(self):
        state = {k: p.data.copy() for k, p in self._params.items()}
        state.update((k, np.array(v, copy=True)) for k, v in self._buffers.items())
        return state

    def load_state_dict(self, state):
        for k, v in state.items():
            if k in self._params:
                self._params[k].data[...] = v
            elif k in self._buffers:
                self._buffers[k] = np.array(v, copy=True).astype(np.asarray(self._buffers[k]).dtype)
            else:
                raise KeyError(f"unexpected key {k!r} in state_dict")

    def __repr__(self):
        return f"{type(self).__name__}(source={self.source})"


def floating(dtype):
    dtype = np.dtype(dtype if dtype is not None else np.float64)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating dtype, got {dtype}")
    return dtype


def uniform(rng, bound, shape, dtype):
    """torch's default initialisation of Linear/Conv/RNN weights: uniform in +-bound."""
    rng = rng if rng is not None else np.random.default_rng()
    return rng.uniform(-bound, bound, shape).astype(dtype)


class Loss:
    """``value = loss_fn(input, target)``; ``grad_input = loss_fn.backward(grad_output=1.0)``."""

    source = []
    REDUCTIONS = ("mean",)

    def __init__(self, reduction="mean", **options):
        if reduction not in self.REDUCTIONS:
            raise Unsupported(f"reduction={reduction!r}: the course's loss gives {' or '.join(self.REDUCTIONS)} only")
        for name, value in options.items():
            if given(value) and not (name == "ignore_index" and value == -100):
                raise Unsupported(f"{name}={value!r}: the course's loss has no such option")
        self.reduction = reduction

    def __call__(self, *args):
        return self.forward(*args)

    def named_parameters(self):
        return []


def scalar(value, like):
    """A loss value as a 0-d array; a Python float (the course returns 'a scalar') takes the input's dtype."""
    if isinstance(value, (float, int)):
        return np.asarray(value, dtype=like.dtype)
    return np.asarray(value)


class Optimizer:
    """``param_groups``, ``zero_grad``, per-parameter state and a ``step`` that calls ``update``.

    ``update(p, group, state) -> new data`` is the adapter's call into the course's update rule.
    """

    source = []
    OPTIONS = ("lr",)
    DEFAULTS = {}

    def __init__(self, params, **kwargs):
        for name, value in kwargs.items():
            if name not in self.OPTIONS and name not in self.DEFAULTS:
                if given(value):
                    raise Unsupported(f"{name}={value!r}: the course's update rule has no such option")
        defaults = {**self.DEFAULTS, **{k: v for k, v in kwargs.items() if k in self.OPTIONS}}
        params = list(params)
        groups = params if params and isinstance(params[0], dict) else [{"params": params}]
        self.param_groups = [{**defaults, **g, "params": list(g["params"])} for g in groups]
        for g in self.param_groups:
            for k in g:
                if k != "params" and k not in self.OPTIONS and given(g[k]):
                    raise Unsupported(f"{k}={g[k]!r}: the course's update rule has no such option")
        self.state = {}

    def zero_grad(self):
        for g in self.param_groups:
            for p in g["params"]:
                p.grad = None

    def step(self):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                state = self.state.setdefault(id(p), {})
                p.data[...] = self.update(p, g, state)

    def _index(self):
        return [p for g in self.param_groups for p in g["params"]]

    def state_dict(self):
        index = {id(p): i for i, p in enumerate(self._index())}
        return {"state": {index[k]: _deep_copy(v) for k, v in self.state.items()},
                "param_groups": [{k: v for k, v in g.items() if k != "params"} for g in self.param_groups]}

    def load_state_dict(self, state_dict):
        params = self._index()
        self.state = {id(params[i]): _deep_copy(v) for i, v in state_dict["state"].items()}
        for g, saved in zip(self.param_groups, state_dict["param_groups"]):
            g.update(saved)


def _deep_copy(value):
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


class Sequential(Module):
    """The contract's container: forward through each module, backward in reverse; names ``0.weight``."""

    source = []

    def __init__(self, *modules):
        super().__init__()
        self.modules = list(modules)

    def forward(self, x):
        for m in self.modules:
            x = m(x)
        return x

    def backward(self, grad):
        for m in reversed(self.modules):
            grad = m.backward(grad)
        return grad

    def named_parameters(self):
        return [(f"{i}.{k}", p) for i, m in enumerate(self.modules)
                for k, p in (m.named_parameters() if hasattr(m, "named_parameters") else [])]

    def train(self, mode=True):
        self.training = bool(mode)
        for m in self.modules:
            if hasattr(m, "train"):
                m.train(mode)
        return self

    def state_dict(self):
        return {f"{i}.{k}": v for i, m in enumerate(self.modules)
                for k, v in (m.state_dict().items() if hasattr(m, "state_dict") else [])}

    def load_state_dict(self, state):
        for i, m in enumerate(self.modules):
            sub = {k.split(".", 1)[1]: v for k, v in state.items() if k.split(".", 1)[0] == str(i)}
            if sub:
                m.load_state_dict(sub)
