"""An instructor's own API as a twinnet style: a deeplearning.ai-style course ("Neural Networks and Deep
Learning", week 4: ``linear_activation_forward``). Give it to ``twinnet verify --adapter FILE``.

Runs inside the untrusted child beside the submission: NumPy and the standard library only.

A style file defines NAME, SUMMARY, detect(ns) and adapt(ns) (and, if it needs them, CONVENTIONS, LIMITS
and UNDEFINED): see ``parity_tests/styles/__init__.py``. It builds the contract's objects (``Linear``,
``ReLU``, ``SGD``, ...) on the course's functions and holds no checks of its own.

The course's API:
  data is column-major: A is (features, examples), where torch's x is (examples, features);
  ``linear_forward(A, W, b) -> (Z, cache)`` with W (n_out, n_in) (torch's layout) and b (n_out, 1);
  ``linear_backward(dZ, cache) -> (dA_prev, dW, db)`` where dW and db are divided by m, the number of
  examples (the course's cost is a mean and its dAL is not divided by m);
  ``relu(Z) -> (A, cache)``, ``relu_backward(dA, cache) -> dZ``, the same for ``sigmoid``;
  ``linear_activation_forward(A_prev, W, b, activation) -> (A, cache)`` and
  ``linear_activation_backward(dA, cache, activation)`` with activation 'relu' or 'sigmoid';
  ``compute_cost(AL, Y)``: the mean binary cross-entropy of AL (1, m);
  ``update_parameters(parameters, grads, learning_rate)`` on dicts {'W1', 'b1', ...} and {'dW1', 'db1', ...}.
"""
import numpy as np

from parity_tests.styles._base import Loss, Module, Optimizer, Parameter, Sequential, Unsupported, floating, uniform

NAME = "dlai"
SUMMARY = "deeplearning.ai week 4: linear_activation_forward(A_prev, W, b, activation), column-major data"

MARKERS = ("linear_forward", "linear_backward", "linear_activation_forward", "linear_activation_backward",
           "relu_backward", "sigmoid_backward", "compute_cost", "update_parameters", "initialize_parameters_deep",
           "L_model_forward", "L_model_backward")
NAMES = MARKERS + ("relu", "sigmoid")

CONVENTIONS = {
    "Linear": "data is (features, examples): the adapter passes x.T and returns Z.T; linear_backward divides "
              "dW and db by m (the course's cost is a mean), so the adapter multiplies them by m.",
    "LinearActivation": "linear_activation_forward is torch's Sequential(Linear, ReLU or Sigmoid).",
    "BCELoss": "compute_cost takes AL (1, m): the adapter passes the predictions as one row; no clamp of the log.",
    "SGD": "update_parameters updates every W and b of the dict by -learning_rate * grad.",
}


def _bce_limits(kind, case):
    kw = case.get("kwargs", {})
    if kind != "forward":
        return "compute_cost has no backward (the course computes dAL inside L_model_backward)"
    if kw.get("reduction", "mean") != "mean" or kw.get("weight") is not None:
        return "compute_cost is the unweighted mean"
    p = np.asarray(case["args"][0])
    if np.any((p == 0) | (p == 1)):
        return "compute_cost takes log(AL) unclamped: predictions of exactly 0 or 1 are outside it"
    return None


LIMITS = {
    "Linear": lambda kind, case: "the course initialises with randn * 0.01" if kind == "distribution" else None,
    "BCELoss": _bce_limits,
    "SGD": lambda kind, case: next((f"update_parameters has no {k}" for k, v in
                                    (case.get("optimizer") or case.get("kwargs", {})).items()
                                    if k != "lr" and v not in (0, 0.0, False, None)), None),
}


def detect(ns):
    found = [n for n in MARKERS if callable(getattr(ns, n, None))]
    if not found:
        return 0, "none of the course's functions (linear_activation_forward, compute_cost, ...)"
    return len(found), f"defines {len(found)} of the course's functions: {', '.join(found[:5])}"


class Linear(Module):
    """torch.nn.Linear on linear_forward/linear_backward, rows transposed to columns."""

    fns = {}

    def __init__(self, in_features, out_features, bias=True, dtype=None, rng=None):
        super().__init__()
        dtype, bound = floating(dtype), 1 / np.sqrt(in_features)
        self.out_features, self.has_bias = out_features, bool(bias)
        self.param("weight", uniform(rng, bound, (out_features, in_features), dtype))
        if bias:
            self.param("bias", uniform(rng, bound, (out_features,), dtype))

    def _b(self, dtype):
        b = self.bias.data if self.has_bias else np.zeros(self.out_features, dtype)
        return b.reshape(-1, 1)

    def forward(self, x):
        self._shape = x.shape
        rows = x.reshape(-1, x.shape[-1])
        z, self._cache = self.fns["linear_forward"](rows.T, self.weight.data, self._b(x.dtype))
        return z.T.reshape(x.shape[:-1] + (self.out_features,))

    def backward(self, grad_y):
        g = grad_y.reshape(-1, self.out_features)
        m = np.asarray(g.shape[0], dtype=g.dtype)
        da, dw, db = self.fns["linear_backward"](g.T, self._cache)
        self.weight.accumulate(np.asarray(dw) * m)
        if self.has_bias:
            self.bias.accumulate(np.asarray(db).ravel() * m)
        return da.T.reshape(self._shape)


class _Activation(Module):
    """torch's activation on the course's ``f(Z) -> (A, cache)`` and ``f_backward(dA, cache) -> dZ``."""

    fns = {}
    name = ""

    def forward(self, x):
        a, self._cache = self.fns[self.name](x.T)
        return a.T

    def backward(self, grad_y):
        return self.fns[self.name + "_backward"](grad_y.T, self._cache).T


class ReLU(_Activation):
    name = "relu"


class Sigmoid(_Activation):
    name = "sigmoid"


class LinearActivation(Linear):
    """torch's Sequential(Linear, ReLU/Sigmoid) on linear_activation_forward/linear_activation_backward."""

    def __init__(self, in_features, out_features, activation="relu", dtype=None, rng=None):
        super().__init__(in_features, out_features, True, dtype, rng)
        self.activation = activation

    def forward(self, x):
        a, self._cache = self.fns["linear_activation_forward"](x.T, self.weight.data, self._b(x.dtype), self.activation)
        return a.T

    def backward(self, grad_y):
        m = np.asarray(grad_y.shape[0], dtype=grad_y.dtype)
        da, dw, db = self.fns["linear_activation_backward"](grad_y.T, self._cache, self.activation)
        self.weight.accumulate(np.asarray(dw) * m)
        self.bias.accumulate(np.asarray(db).ravel() * m)
        return da.T


class BCELoss(Loss):
    """torch.nn.BCELoss (mean) on compute_cost(AL, Y), forward only."""

    fns = {}

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction, weight=weight)

    def forward(self, pred, target):
        cost = self.fns["compute_cost"](pred.reshape(1, -1), target.reshape(1, -1))
        return np.asarray(cost).astype(pred.dtype, copy=False).reshape(())

    def backward(self, grad_output=1.0):
        raise Unsupported("compute_cost has no backward")


class SGD(Optimizer):
    """torch.optim.SGD (lr only) on update_parameters: each parameter is passed as one W with a zero b."""

    fns = {}
    OPTIONS = ("lr",)
    DEFAULTS = {"lr": 1e-3}

    def update(self, p, group, state):
        parameters = {"W1": p.data.copy(), "b1": np.zeros((1, 1), p.data.dtype)}
        grads = {"dW1": np.array(p.grad, copy=True), "db1": np.zeros((1, 1), p.data.dtype)}
        return self.fns["update_parameters"](parameters, grads, group["lr"])["W1"]


ADAPTERS = {"Linear": (Linear, ("linear_forward", "linear_backward")),
            "LinearActivation": (LinearActivation, ("linear_activation_forward", "linear_activation_backward")),
            "ReLU": (ReLU, ("relu", "relu_backward")),
            "Sigmoid": (Sigmoid, ("sigmoid", "sigmoid_backward")),
            "BCELoss": (BCELoss, ("compute_cost",)),
            "SGD": (SGD, ("update_parameters",))}


def adapt(ns):
    out = {}
    for name, (cls, needs) in ADAPTERS.items():
        if all(callable(getattr(ns, n, None)) for n in needs):
            out[name] = type(name, (cls,), {"fns": {n: getattr(ns, n) for n in needs}, "source": list(needs)})
    if out:
        out.update(Sequential=Sequential, Parameter=Parameter)
    return out
