"""The NNFS style: the classes of "Neural Networks from Scratch in Python" behind the contract's.

Runs inside the untrusted child beside the submission: NumPy and the standard library only.

Course API (the book's): ``Layer_Dense(n_inputs, n_neurons)`` with ``weights`` (in, out) and ``biases``
(1, out); ``.forward(inputs)`` (or ``.forward(inputs, training)``) sets ``.output``; ``.backward(dvalues)``
sets ``.dinputs`` (and ``.dweights``, ``.dbiases``); ``Activation_ReLU``, ``Activation_Softmax``,
``Activation_Sigmoid``, ``Activation_Linear``; ``Loss_*`` with ``calculate(output, y)`` and
``backward(dvalues, y_true)``; ``Activation_Softmax_Loss_CategoricalCrossentropy``; ``Layer_Dropout(rate)``
(rate = the drop probability); ``Optimizer_SGD/Adagrad/RMSprop/Adam`` with ``pre_update_params()``,
``update_params(layer)``, ``post_update_params()``. Names are matched as students spell them: case and
underscores do not matter (``Activation_ReLu``, ``ActivationReLU``, ``Layer_dense``).
"""
import inspect

import numpy as np

from ._base import given, Loss, Module, Optimizer, Parameter, Sequential, Unsupported, floating, scalar, uniform

NAME = "nnfs"
SUMMARY = "Neural Networks from Scratch: Layer_Dense, Activation_*, Loss_*, Optimizer_* with update_params(layer)"

NAMES = ("Layer_Dense", "Layer_Dropout", "Layer_Input", "Activation_ReLU", "Activation_Softmax",
         "Activation_Sigmoid", "Activation_Linear", "Activation_Tanh", "Loss", "Loss_CategoricalCrossentropy",
         "Loss_BinaryCrossentropy", "Loss_MeanSquaredError", "Loss_MeanAbsoluteError",
         "Activation_Softmax_Loss_CategoricalCrossentropy", "Optimizer_SGD", "Optimizer_Adagrad",
         "Optimizer_RMSprop", "Optimizer_Adam", "Model", "Accuracy", "Accuracy_Categorical", "Accuracy_Regression")

CLIP = 1e-7
"""The book clips predicted probabilities into [1e-7, 1 - 1e-7] before the log (a course convention)."""

CONVENTIONS = {
    "Linear": "Layer_Dense keeps weights (in, out) and biases (1, out): the adapter passes weight.T and "
              "bias[None] and transposes dweights back.",
    "CrossEntropyLoss": "Activation_Softmax_Loss_CategoricalCrossentropy on logits, class indices, mean; the "
                        "book clips probabilities at 1e-7, so where the target's probability is below 1e-7 "
                        "the loss follows the book (a note, not a failure).",
    "NLLLoss": "Loss_CategoricalCrossentropy takes probabilities: the adapter passes exp(log-probabilities) "
               "and multiplies the gradient by them; the book's clip at 1e-7 applies.",
    "BCELoss": "Loss_BinaryCrossentropy clips predictions into [1e-7, 1 - 1e-7] (torch clamps the log at "
               "-100): at predictions beyond the clip the book's value stands (a note).",
    "Dropout": "Layer_Dropout(rate): rate is the drop probability, as torch's p.",
    "SGD": "Optimizer_SGD's decay (lr / (1 + decay * iterations)) is the book's own schedule, torch's SGD "
           "under LambdaLR(lambda t: 1 / (1 + decay * t)) stepped every update; the adapter takes it as the "
           "extra option decay= (0 for the registry's checks). The same holds for RMSprop and Adam. With "
           "momentum and decay together the book differs from torch: its velocity holds -lr * grad, so "
           "earlier learning rates stay in it (torch's buffer holds the gradients, scaled by today's lr).",
    "Adagrad": "Optimizer_Adagrad's decay is torch's lr_decay (lr / (1 + decay * (step - 1))).",
    "RMSprop": "Optimizer_RMSprop's rho is torch's alpha; epsilon and the learning rate are passed explicitly "
               "(the book's defaults differ from torch's).",
    "Adam": "Optimizer_Adam's beta_1, beta_2, epsilon are passed explicitly (the book's epsilon is 1e-7).",
}


def _norm(name):
    return name.replace("_", "").lower()


def find(ns, name):
    """The submission's spelling of the book's ``name`` (case and underscores ignored), or None."""
    index = {_norm(n): n for n in dir(ns) if not n.startswith("_")}
    found = index.get(_norm(name))
    return found if found is not None and isinstance(getattr(ns, found), type) else None


def detect(ns):
    found = [find(ns, n) for n in NAMES if find(ns, n)]
    found = [n for n in found if n != "Loss" or len(found) > 1]
    if not found:
        return 0, "none of the book's classes (Layer_Dense, Activation_ReLU, Loss_*, Optimizer_*)"
    return len(found), f"defines {len(found)} of the book's classes: {', '.join(found[:6])}" + \
        (", ..." if len(found) > 6 else "")


def _forward(obj, x, training=True):
    """``obj.forward(x)``, or ``obj.forward(x, training)`` where the book's final chapters add the flag."""
    try:
        params = [p for p in inspect.signature(obj.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    if len(params) >= 2:
        obj.forward(x, training)
    else:
        obj.forward(x)
    return obj.output


def _takes_training(cls):
    try:
        return len(inspect.signature(cls.forward).parameters) >= 3
    except (TypeError, ValueError):
        return False


def _rows(x, dim=-1):
    moved = np.moveaxis(x, dim, -1)
    return moved.reshape(-1, moved.shape[-1]), moved.shape


def _unrows(y, shape, dim=-1):
    return np.moveaxis(np.asarray(y).reshape(shape), -1, dim)


# -- layers ------------------------------------------------------------------------------------------

class Linear(Module):
    """torch.nn.Linear on Layer_Dense: weights (in, out) = weight.T, biases (1, out) = bias[None]."""

    book = None

    def __init__(self, in_features, out_features, bias=True, dtype=None, rng=None):
        super().__init__()
        dtype, bound = floating(dtype), 1 / np.sqrt(in_features)
        self.in_features, self.out_features, self.has_bias = in_features, out_features, bool(bias)
        self.param("weight", uniform(rng, bound, (out_features, in_features), dtype))
        if bias:
            self.param("bias", uniform(rng, bound, (out_features,), dtype))
        self.layer = self.book(in_features, out_features)

    def forward(self, x):
        self._shape = x.shape
        self.layer.weights = self.weight.data.T.copy()
        b = self.bias.data if self.has_bias else np.zeros(self.out_features, x.dtype)
        self.layer.biases = b.reshape(1, -1).copy()
        out = _forward(self.layer, x.reshape(-1, x.shape[-1]), self.training)
        return np.asarray(out).reshape(x.shape[:-1] + (self.out_features,))

    def backward(self, grad_y):
        self.layer.backward(grad_y.reshape(-1, self.out_features))
        self.weight.accumulate(np.asarray(self.layer.dweights).T)
        if self.has_bias:
            self.bias.accumulate(np.asarray(self.layer.dbiases).ravel())
        return np.asarray(self.layer.dinputs).reshape(self._shape)


class _Activation(Module):
    """A contract activation on the book's class: ``.forward(inputs)`` then ``.output``; ``.backward(dvalues)``
    then ``.dinputs``. ``rows``: the book's class works on (N, C) rows (Softmax)."""

    book = None
    rows = False

    def __init__(self, dim=-1, **kwargs):
        super().__init__()
        if kwargs:
            raise Unsupported(f"the book's {self.book.__name__} has no options; got {kwargs}")
        self.dim = dim

    def forward(self, x):
        self.obj = self.book()
        if self.rows:
            rows, self._moved = _rows(x, self.dim)
            return _unrows(_forward(self.obj, rows, self.training), self._moved, self.dim)
        return np.asarray(_forward(self.obj, x, self.training))

    def backward(self, grad_y):
        if self.rows:
            rows, _ = _rows(grad_y, self.dim)
            self.obj.backward(rows)
            return _unrows(self.obj.dinputs, self._moved, self.dim)
        self.obj.backward(grad_y)
        return np.asarray(self.obj.dinputs)


class ReLU(_Activation):
    """torch.nn.ReLU on Activation_ReLU."""


class Sigmoid(_Activation):
    """torch.nn.Sigmoid on Activation_Sigmoid."""


class Tanh(_Activation):
    """torch.nn.Tanh on Activation_Tanh (not in the book; accepted when a student writes one)."""


class Identity(_Activation):
    """torch.nn.Identity on Activation_Linear."""


class Softmax(_Activation):
    """torch.nn.Softmax(dim) on Activation_Softmax: rows of the softmax dim, the book's Jacobian backward."""

    rows = True


class Dropout(Module):
    """torch.nn.Dropout on Layer_Dropout(rate): the mask from ``binary_mask``, NumPy's global RNG seeded
    from ``rng`` before each forward (the book draws with np.random.binomial)."""

    book = None

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        self.p, self.rng = p, rng

    @classmethod
    def limits(cls, kind, case):
        if not case.get("train", True) and not _takes_training(cls.book):
            return f"{cls.book.__name__}.forward has no training flag (the book adds it in chapter 19): no eval mode"
        return None

    def forward(self, x):
        self.obj = self.book(self.p)
        if not self.training and not _takes_training(self.book):
            raise Unsupported(self.limits("forward", {"train": False}))
        if self.rng is not None:
            np.random.seed(int(self.rng.integers(2**31)))
        out = _forward(self.obj, x, self.training)
        mask = getattr(self.obj, "binary_mask", None)
        self.mask = np.ones(x.shape, bool) if (not self.training or mask is None) else np.asarray(mask) != 0
        return np.asarray(out)

    def backward(self, grad_y):
        if not self.training:
            return np.array(grad_y, copy=True)
        self.obj.backward(grad_y)
        return np.asarray(self.obj.dinputs)


# -- losses ------------------------------------------------------------------------------------------

class _BookLoss(Loss):
    """A contract loss on the book's ``calculate(output, y)`` and ``backward(dvalues, y_true)``."""

    book = None

    def __init__(self, reduction="mean", **options):
        super().__init__(reduction, **options)

    def forward(self, pred, target):
        self.obj = self.book()
        self._pred, self._target = pred, target
        return scalar(self.obj.calculate(pred, target), pred)

    def backward(self, grad_output=1.0):
        self.obj.backward(self._pred, self._target)
        dx = np.asarray(self.obj.dinputs)
        return dx * np.asarray(grad_output, dtype=dx.dtype)


class MSELoss(_BookLoss):
    """torch.nn.MSELoss (mean) on Loss_MeanSquaredError."""


class L1Loss(_BookLoss):
    """torch.nn.L1Loss (mean) on Loss_MeanAbsoluteError."""


class BCELoss(_BookLoss):
    """torch.nn.BCELoss (mean) on Loss_BinaryCrossentropy (the book clips at 1e-7)."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction, weight=weight)


class CrossEntropyLoss(Loss):
    """torch.nn.CrossEntropyLoss (class indices, mean) on Activation_Softmax_Loss_CategoricalCrossentropy:
    ``forward(inputs, y_true)`` returns the loss, ``backward(output, y_true)`` sets ``dinputs``."""

    book = None

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction, weight=weight, label_smoothing=label_smoothing)
        self.ignore_index = ignore_index

    def forward(self, x, y):
        y = np.asarray(y)
        if y.dtype.kind == "f":
            raise Unsupported("the book's loss takes class indices or one-hot labels, not class probabilities")
        if np.any(y == self.ignore_index):
            raise Unsupported("the book's loss has no ignore_index")
        self._shape = x.shape
        rows, self._moved = _rows(x[None] if x.ndim == 1 else x, 1 if x.ndim > 1 else -1)
        self._y = y.reshape(-1)
        self.obj = self.book()
        return scalar(self.obj.forward(rows, self._y), x)

    def backward(self, grad_output=1.0):
        self.obj.backward(self.obj.output, self._y)
        dx = np.asarray(self.obj.dinputs)
        dx = dx[0] if len(self._shape) == 1 else _unrows(dx, self._moved, 1)
        return dx * np.asarray(grad_output, dtype=dx.dtype)


class NLLLoss(Loss):
    """torch.nn.NLLLoss (class indices, mean) on Loss_CategoricalCrossentropy, which takes probabilities:
    the adapter passes p = exp(input) and turns the gradient with respect to p into the one with respect to
    the log-probabilities (times p)."""

    book = None

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction, weight=weight)
        self.ignore_index = ignore_index

    def forward(self, logp, y):
        y = np.asarray(y)
        if logp.ndim != 2 or np.any(y == self.ignore_index):
            raise Unsupported("Loss_CategoricalCrossentropy takes (N, C) probabilities and has no ignore_index")
        self.obj, self._p, self._y = self.book(), np.exp(logp), y
        return scalar(self.obj.calculate(self._p, y), logp)

    def backward(self, grad_output=1.0):
        self.obj.backward(self._p, self._y)
        dx = np.asarray(self.obj.dinputs) * self._p
        return dx * np.asarray(grad_output, dtype=dx.dtype)


def _probabilities(x, dim=1):
    z = np.moveaxis(np.asarray(x, np.float64), dim, -1)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _clipped_target(case):
    x, y = case["args"][0], np.asarray(case["args"][1])
    if y.dtype.kind == "f":
        return {}
    rows = x[None] if x.ndim == 1 else x
    p = _probabilities(rows, 1).reshape(-1, rows.shape[1])
    target = p[np.arange(len(p)), y.reshape(-1)]
    return {"y": np.asarray(np.any((target < CLIP) | (target > 1 - CLIP)))}


def _clipped_log_probability(case):
    logp, y = np.asarray(case["args"][0], np.float64), np.asarray(case["args"][1])
    if logp.ndim != 2:
        return {}
    p = np.exp(logp[np.arange(len(logp)), y])
    return {"y": np.asarray(np.any((p < CLIP) | (p > 1 - CLIP)))}


def _training_loss(case):
    return {"loss": np.asarray(True)}


def _clipped_prediction(case):
    p = np.asarray(case["args"][0], np.float64)
    out = (p < CLIP) | (p > 1 - CLIP)
    return {"y": np.asarray(out.any()), "grad_x": out}


UNDEFINED = {
    ("CrossEntropyLoss", "forward"): (_clipped_target, "where the target's probability is beyond the book's clip "
                                                       "at 1e-7 (course convention: -log(1e-7) at most)"),
    ("NLLLoss", "forward"): (_clipped_log_probability, "where a probability is beyond the book's clip at 1e-7"),
    ("BCELoss", "forward"): (_clipped_prediction, "where a prediction is beyond the book's clip at 1e-7"),
    ("BCELoss", "backward"): (_clipped_prediction, "where a prediction is beyond the book's clip at 1e-7"),
    **{(name, kind): (_training_loss, "in the training loss: the book clips a confident prediction's "
                                      "probability at 1 - 1e-7 (its loss at 1e-7 at least)", 2e-7)
       for name, kind in (("Sequential", "model"), ("SGD", "trajectory"), ("Adagrad", "trajectory"),
                          ("RMSprop", "trajectory"), ("Adam", "trajectory"))},
}
"""Points where the book's own convention (clipping at 1e-7) stands in place of torch's value."""


def _only(options, message):
    def rule(kind, case):
        for k, v in case.get("kwargs", {}).items():
            if k not in options and given(v) and not (k == "ignore_index" and v == -100):
                return f"{message} has no {k}={v!r}"
        return None
    return rule


def _ce_limits(kind, case):
    kw, args = case.get("kwargs", {}), case.get("args", [])
    if kw.get("reduction", "mean") != "mean":
        return "the book's loss is the mean over samples only"
    if len(args) > 1 and np.asarray(args[1]).dtype.kind == "f":
        return "the book's loss takes class indices, not class probabilities"
    if len(args) > 1 and np.any(np.asarray(args[1]) == -100):
        return "the book's loss has no ignore_index"
    if kind == "gradcheck":
        return "the book's clipping at 1e-7 makes the loss flat where a probability is clipped"
    return _only(("reduction",), "the book's loss")(kind, case)


def _mean_only(kind, case):
    if case.get("kwargs", {}).get("reduction", "mean") != "mean":
        return "the book's losses are the mean over samples only"
    return _only(("reduction",), "the book's loss")(kind, case)


def _bce_limits(kind, case):
    if kind == "gradcheck" and np.any(np.asarray(case["args"][0]) < CLIP):
        return "the book's clipping makes the loss flat beyond 1e-7"
    return _mean_only(kind, case)


LIMITS = {
    "Linear": lambda kind, case: "the book initialises weights as 0.01 * randn, not torch's uniform: no "
                                 "initialisation check" if kind == "distribution" else None,
    "CrossEntropyLoss": _ce_limits,
    "MSELoss": _mean_only, "L1Loss": _mean_only, "BCELoss": _bce_limits,
    "NLLLoss": lambda kind, case: _ce_limits("forward", case) or (
        "Loss_CategoricalCrossentropy takes (N, C) probabilities" if np.ndim(case["args"][0]) != 2 else None),
    "Dropout": lambda kind, case: "the book's dropout divides by 1 - rate: rate=1 is outside its range"
                                  if case.get("kwargs", {}).get("p") == 1.0 else None,
    "SGD": _only(("lr", "momentum"), "Optimizer_SGD"),
    "Adagrad": _only(("lr", "lr_decay", "eps"), "Optimizer_Adagrad"),
    "RMSprop": _only(("lr", "alpha", "eps"), "Optimizer_RMSprop"),
    "Adam": _only(("lr", "betas", "eps"), "Optimizer_Adam"),
}


# -- optimizers --------------------------------------------------------------------------------------

class _Slot:
    """What the book's ``update_params(layer)`` reads and writes: ``weights``/``dweights`` are a parameter's,
    ``biases``/``dbiases`` a zero (1, 1) that zero gradients leave at zero."""

    def __init__(self, p):
        self.weights = p.data
        self.biases = np.zeros((1, 1), dtype=p.data.dtype)
        self.dbiases = np.zeros((1, 1), dtype=p.data.dtype)


class _BookOptimizer(Optimizer):
    """One book optimizer per param group; each step is ``pre_update_params``, ``update_params(slot)`` per
    parameter with a gradient, ``post_update_params``. ``decay`` (not torch's) is the book's schedule."""

    book = None

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self._books = [self.book(**self.arguments(g)) for g in self.param_groups]
        self._slots = {}

    def step(self):
        for group, opt in zip(self.param_groups, self._books):
            opt.pre_update_params()
            for p in group["params"]:
                if p.grad is None:
                    continue
                slot = self._slots.setdefault(id(p), _Slot(p))
                slot.weights = p.data
                slot.dweights = np.array(p.grad, copy=True)
                opt.update_params(slot)
                if slot.weights is not p.data:
                    p.data[...] = slot.weights
                    slot.weights = p.data
            opt.post_update_params()

    def state_dict(self):
        index = {id(p): i for i, p in enumerate(self._index())}
        slots = {index[k]: {a: np.array(v, copy=True) for a, v in vars(s).items() if a not in ("weights", "dweights")}
                 for k, s in self._slots.items()}
        return {"state": slots, "books": [dict(vars(o)) for o in self._books],
                "param_groups": [{k: v for k, v in g.items() if k != "params"} for g in self.param_groups]}

    def load_state_dict(self, state):
        params = self._index()
        for i, saved in state["state"].items():
            slot = self._slots.setdefault(id(params[i]), _Slot(params[i]))
            for a, v in saved.items():
                setattr(slot, a, np.array(v, copy=True))
        for opt, saved in zip(self._books, state["books"]):
            vars(opt).update(saved)


class SGD(_BookOptimizer):
    """torch.optim.SGD (lr, momentum) on Optimizer_SGD(learning_rate, decay=0, momentum)."""

    OPTIONS = ("lr", "momentum", "decay")
    DEFAULTS = {"lr": 1e-3, "momentum": 0.0, "decay": 0.0}

    def arguments(self, g):
        return {"learning_rate": g["lr"], "decay": g["decay"], "momentum": g["momentum"]}


class Adagrad(_BookOptimizer):
    """torch.optim.Adagrad (lr, lr_decay, eps) on Optimizer_Adagrad(learning_rate, decay, epsilon)."""

    OPTIONS = ("lr", "lr_decay", "eps")
    DEFAULTS = {"lr": 1e-2, "lr_decay": 0.0, "eps": 1e-10}

    def arguments(self, g):
        return {"learning_rate": g["lr"], "decay": g["lr_decay"], "epsilon": g["eps"]}


class RMSprop(_BookOptimizer):
    """torch.optim.RMSprop (lr, alpha, eps) on Optimizer_RMSprop(learning_rate, decay=0, epsilon, rho)."""

    OPTIONS = ("lr", "alpha", "eps", "decay")
    DEFAULTS = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "decay": 0.0}

    def arguments(self, g):
        return {"learning_rate": g["lr"], "decay": g["decay"], "epsilon": g["eps"], "rho": g["alpha"]}


class Adam(_BookOptimizer):
    """torch.optim.Adam (lr, betas, eps) on Optimizer_Adam(learning_rate, decay=0, epsilon, beta_1, beta_2)."""

    OPTIONS = ("lr", "betas", "eps", "decay")
    DEFAULTS = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "decay": 0.0}

    def arguments(self, g):
        return {"learning_rate": g["lr"], "decay": g["decay"], "epsilon": g["eps"],
                "beta_1": g["betas"][0], "beta_2": g["betas"][1]}


# -- regularisation ----------------------------------------------------------------------------------

class DenseRegularization:
    """Layer_Dense's L1/L2 terms: ``penalty()`` is ``Loss.regularization_loss(layer)`` (weights and biases in
    torch's layout, ``load_state_dict`` as Linear's), ``grads()`` the terms Layer_Dense.backward adds to
    dweights and dbiases (the backward of a zero upstream gradient), in torch's layout."""

    book = loss = None
    source = []

    def __init__(self, in_features, out_features, **regularizers):
        self.layer = self.book(in_features, out_features, **regularizers)

    def load_state_dict(self, state):
        self.layer.weights = np.array(state["weight"]).T.copy()
        self.layer.biases = np.array(state["bias"]).reshape(1, -1).copy()

    def penalty(self):
        return np.asarray(self.loss().regularization_loss(self.layer))

    def grads(self, n=4):
        w = self.layer.weights
        _forward(self.layer, np.zeros((n, w.shape[0]), w.dtype))
        self.layer.backward(np.zeros((n, w.shape[1]), w.dtype))
        return {"weight": np.asarray(self.layer.dweights).T, "bias": np.asarray(self.layer.dbiases).ravel()}


# -- the table -----------------------------------------------------------------------------------------

ADAPTERS = {
    "Linear": (Linear, "Layer_Dense", ("forward", "backward")),
    "ReLU": (ReLU, "Activation_ReLU", ("forward", "backward")),
    "Sigmoid": (Sigmoid, "Activation_Sigmoid", ("forward", "backward")),
    "Tanh": (Tanh, "Activation_Tanh", ("forward", "backward")),
    "Identity": (Identity, "Activation_Linear", ("forward", "backward")),
    "Softmax": (Softmax, "Activation_Softmax", ("forward", "backward")),
    "Dropout": (Dropout, "Layer_Dropout", ("forward", "backward")),
    "MSELoss": (MSELoss, "Loss_MeanSquaredError", ("calculate", "backward")),
    "L1Loss": (L1Loss, "Loss_MeanAbsoluteError", ("calculate", "backward")),
    "BCELoss": (BCELoss, "Loss_BinaryCrossentropy", ("calculate", "backward")),
    "CrossEntropyLoss": (CrossEntropyLoss, "Activation_Softmax_Loss_CategoricalCrossentropy", ("forward", "backward")),
    "NLLLoss": (NLLLoss, "Loss_CategoricalCrossentropy", ("calculate", "backward")),
    "SGD": (SGD, "Optimizer_SGD", ("pre_update_params", "update_params", "post_update_params")),
    "Adagrad": (Adagrad, "Optimizer_Adagrad", ("pre_update_params", "update_params", "post_update_params")),
    "RMSprop": (RMSprop, "Optimizer_RMSprop", ("pre_update_params", "update_params", "post_update_params")),
    "Adam": (Adam, "Optimizer_Adam", ("pre_update_params", "update_params", "post_update_params")),
}
"""Contract name -> (adapter, the book's class, the methods it calls)."""


def adapt(ns):
    out = {}
    for name, (cls, book, methods) in ADAPTERS.items():
        found = find(ns, book)
        if found is None:
            continue
        out[name] = type(name, (cls,), {"book": getattr(ns, found), "__module__": __name__,
                                        "source": [f"{found}.{m}" for m in methods]})
    dense, loss = find(ns, "Layer_Dense"), find(ns, "Loss")
    if dense and loss and hasattr(getattr(ns, loss), "regularization_loss"):
        out["DenseRegularization"] = type("DenseRegularization", (DenseRegularization,), {
            "book": getattr(ns, dense), "loss": getattr(ns, loss), "__module__": __name__,
            "source": [f"{loss}.regularization_loss", f"{dense}.backward"]})
    if out:
        out.update(Sequential=Sequential, Parameter=Parameter)
    return out


TEMPLATE = {
    "Layer_Dense": ("n_inputs, n_neurons, weight_regularizer_l1=0, weight_regularizer_l2=0, bias_regularizer_l1=0, "
                    "bias_regularizer_l2=0", ("forward(self, inputs)", "backward(self, dvalues)"),
                    "weights (n_inputs, n_neurons), biases (1, n_neurons); forward sets .output, backward sets "
                    ".dweights, .dbiases, .dinputs"),
    "Layer_Dropout": ("rate", ("forward(self, inputs)", "backward(self, dvalues)"), "rate is the drop probability"),
    "Activation_ReLU": ("", ("forward(self, inputs)", "backward(self, dvalues)"), ".output, .dinputs"),
    "Activation_Softmax": ("", ("forward(self, inputs)", "backward(self, dvalues)"), ".output, .dinputs"),
    "Activation_Sigmoid": ("", ("forward(self, inputs)", "backward(self, dvalues)"), ".output, .dinputs"),
    "Loss_CategoricalCrossentropy": ("", ("forward(self, y_pred, y_true)", "backward(self, dvalues, y_true)"),
                                     "predictions clipped into [1e-7, 1 - 1e-7]"),
    "Loss_MeanSquaredError": ("", ("forward(self, y_pred, y_true)", "backward(self, dvalues, y_true)"), ".dinputs"),
    "Loss_MeanAbsoluteError": ("", ("forward(self, y_pred, y_true)", "backward(self, dvalues, y_true)"), ".dinputs"),
    "Activation_Softmax_Loss_CategoricalCrossentropy": ("", ("forward(self, inputs, y_true)",
                                                             "backward(self, dvalues, y_true)"), ".output, .dinputs"),
    "Optimizer_SGD": ("learning_rate=1.0, decay=0.0, momentum=0.0",
                      ("pre_update_params(self)", "update_params(self, layer)", "post_update_params(self)"), ""),
    "Optimizer_Adam": ("learning_rate=0.001, decay=0.0, epsilon=1e-7, beta_1=0.9, beta_2=0.999",
                       ("pre_update_params(self)", "update_params(self, layer)", "post_update_params(self)"), ""),
}
"""The book's classes, their constructor arguments and methods: the style's starter template."""
