"""The one registry: every component, its input domain, and the checks that apply to it.

An entry is data. Adding a component means its class in ``scratch``, its torch twin in
``reference.TWINS`` and one entry here; the tests, ``twinnet parity``, ``twinnet verify`` and
``twinnet bench`` all read this list. A domain maps ``(rng, dtype)`` to a list of cases; a case is a
dict of inputs (``args``, and optionally ``kwargs``, ``state``, ``train``, ``grad_y``) with a ``name``.
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class Entry:
    """One component under test.

    name : display name and test id (``LeakyReLU(negative_slope=0.2)``).
    category : {'activation', 'loss', 'layer', 'init', 'optimizer', 'scheduler', 'utility', 'model'}.
    cls : the contract name the implementation must define.
    kwargs : constructor arguments shared by every case.
    kinds : the check kinds that apply.
    domain : ``(rng, dtype) -> list of cases``.
    subject, oracle : keys of ``subjects.SUBJECTS`` and ``oracles.ORACLES``.
    functional : the tutorials' function name (``relu``) accepted in place of the class.
    tol : tolerance overrides (see ``tolerances.tolerance``), with the reason in a comment beside it.
    """

    name: str
    category: str
    cls: str
    domain: Callable
    kinds: tuple = ("forward", "backward")
    kwargs: dict = field(default_factory=dict)
    subject: str = "module"
    oracle: str = "module"
    functional: str = None
    tol: dict = None

    def spec(self):
        """What the implementation's side needs, picklable for a child process."""
        return {"cls": self.cls, "kwargs": dict(self.kwargs), "functional": self.functional,
                "subject": self.subject}


SPECIAL = [0.0, -0.0, 1e-7, -1e-7, 0.5, -0.5, 1.0, -1.0, 2.0, -3.0,
           20.0, -20.0, 20.5, 50.0, -50.0, 1000.0, -1000.0]


def activation_domain(*extra):
    """Random values, and one sample (batch size 1) of special points: zeros, kinks, +-50, +-1000."""
    def domain(rng, dtype):
        special = np.array([SPECIAL + list(extra)])
        return [{"name": "random (16, 8)", "args": [(3 * rng.standard_normal((16, 8))).astype(dtype)]},
                {"name": "special points, batch size 1", "args": [special.astype(dtype)]},
                {"name": "3-D (2, 3, 5)", "args": [(3 * rng.standard_normal((2, 3, 5))).astype(dtype)]}]
    return domain


def _reductions(cases, reductions=("mean", "sum", "none")):
    return [{**case, "name": f"{case['name']}, reduction={r}",
             "kwargs": {**case.get("kwargs", {}), "reduction": r}}
            for case in cases for r in reductions]


def regression_domain(rng, dtype):
    x = rng.standard_normal((8, 5))
    t = rng.standard_normal((8, 5))
    t[0, :3] = x[0, :3]
    t[1, :2] = x[1, :2] - 1.0
    t[1, 2:4] = x[1, 2:4] + 1.0
    one = rng.standard_normal((1, 3))
    return _reductions([{"name": "random with ties and |d| = 1", "args": [x.astype(dtype), t.astype(dtype)]},
                        {"name": "batch size 1", "args": [one.astype(dtype), (one + 2).astype(dtype)]}])


def bce_domain(rng, dtype):
    p = 1 / (1 + np.exp(-2 * rng.standard_normal((6, 4))))
    p[0, :4] = [0.0, 1.0, 0.0, 1.0]
    t = (rng.random((6, 4)) > 0.5).astype(float)
    t[0, :4] = [0.0, 1.0, 1.0, 0.0]
    soft = rng.random((6, 4))
    w = rng.random(4) + 0.5
    cases = [{"name": "probabilities 0 and 1, hard targets", "args": [p.astype(dtype), t.astype(dtype)]},
             {"name": "soft targets", "args": [p.astype(dtype), soft.astype(dtype)]},
             {"name": "weight", "args": [p.astype(dtype), t.astype(dtype)], "kwargs": {"weight": w.astype(dtype)}}]
    return _reductions(cases)


def bce_logits_domain(rng, dtype):
    z = 3 * rng.standard_normal((6, 4))
    z[0] = [1000.0, -1000.0, 50.0, -50.0]
    t = (rng.random((6, 4)) > 0.5).astype(float)
    t[0] = [0.0, 1.0, 0.0, 1.0]
    w = rng.random(4) + 0.5
    pw = rng.random(4) * 3
    cases = [{"name": "logits +-1000", "args": [z.astype(dtype), t.astype(dtype)]},
             {"name": "soft targets", "args": [z.astype(dtype), rng.random((6, 4)).astype(dtype)]},
             {"name": "weight and pos_weight", "args": [z.astype(dtype), t.astype(dtype)],
              "kwargs": {"weight": w.astype(dtype), "pos_weight": pw.astype(dtype)}}]
    return _reductions(cases)


def _logits(rng, shape):
    z = 3 * rng.standard_normal(shape)
    z.reshape(-1)[:4] = [1000.0, -1000.0, 50.0, -50.0]
    return z


def cross_entropy_domain(rng, dtype):
    n, c = 7, 5
    z = _logits(rng, (n, c))
    t = rng.integers(0, c, n)
    ignored = t.copy()
    ignored[[1, 4]] = -100
    probs = rng.random((n, c))
    probs /= probs.sum(axis=1, keepdims=True)
    w = (rng.random(c) + 0.5).astype(dtype)
    z3 = _logits(rng, (3, c, 4))
    cases = [{"name": "class indices", "args": [z.astype(dtype), t]},
             {"name": "weight", "args": [z.astype(dtype), t], "kwargs": {"weight": w}},
             {"name": "ignore_index", "args": [z.astype(dtype), ignored]},
             {"name": "weight, ignore_index, label_smoothing=0.2", "args": [z.astype(dtype), ignored],
              "kwargs": {"weight": w, "label_smoothing": 0.2}},
             {"name": "class probabilities", "args": [z.astype(dtype), probs.astype(dtype)]},
             {"name": "class probabilities, weight, label_smoothing=0.1", "args": [z.astype(dtype), probs.astype(dtype)],
              "kwargs": {"weight": w, "label_smoothing": 0.1}},
             {"name": "(N, C, d) input", "args": [z3.astype(dtype), rng.integers(0, c, (3, 4))]},
             {"name": "(C,) input", "args": [z[0].astype(dtype), np.array(2)]},
             {"name": "batch size 1", "args": [z[:1].astype(dtype), t[:1]]}]
    return _reductions(cases)


def nll_domain(rng, dtype):
    n, c = 7, 5
    z = 3 * rng.standard_normal((n, c))
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    t = rng.integers(0, c, n)
    ignored = t.copy()
    ignored[[0, 3]] = -100
    w = (rng.random(c) + 0.5).astype(dtype)
    z3 = 3 * rng.standard_normal((3, c, 4))
    cases = [{"name": "class indices", "args": [logp.astype(dtype), t]},
             {"name": "weight, ignore_index", "args": [logp.astype(dtype), ignored], "kwargs": {"weight": w}},
             {"name": "(N, C, d) input", "args": [z3.astype(dtype), rng.integers(0, c, (3, 4))]},
             {"name": "batch size 1", "args": [logp[:1].astype(dtype), t[:1]]}]
    return _reductions(cases)


def kl_domain(rng, dtype):
    z = rng.standard_normal((6, 4))
    logq = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    p = rng.random((6, 4))
    p /= p.sum(axis=1, keepdims=True)
    p[0, 0] = 0.0
    cases = [{"name": "probability target", "args": [logq.astype(dtype), p.astype(dtype)]},
             {"name": "log_target=True", "args": [logq.astype(dtype), np.log(p + 0.1).astype(dtype)],
              "kwargs": {"log_target": True}}]
    return _reductions(cases, ("mean", "batchmean", "sum", "none"))


def linear_domain(rng, dtype):
    def case(name, x_shape, bias=True):
        n_in, n_out = x_shape[-1], 3
        state = {"weight": rng.uniform(-1, 1, (n_out, n_in)).astype(dtype)}
        if bias:
            state["bias"] = rng.uniform(-1, 1, n_out).astype(dtype)
        return {"name": name, "args": [rng.standard_normal(x_shape).astype(dtype)], "state": state,
                "kwargs": {"in_features": n_in, "out_features": n_out, "bias": bias, "dtype": np.dtype(dtype)}}
    return [case("batch 8", (8, 5)), case("batch size 1", (1, 4)), case("bias=False", (6, 5), bias=False),
            case("3-D input (2, 4, 5)", (2, 4, 5))]


def mlp_training_domain(rng, dtype, steps=200, batch_size=32, sizes=(30, 32, 16, 2)):
    """breast_cancer (shipped with scikit-learn), standardised; fixed minibatches; torch-style initial weights."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    state = {}
    for i in range(len(sizes) - 1):
        bound = 1 / np.sqrt(sizes[i])
        state[f"{2 * i}.weight"] = rng.uniform(-bound, bound, (sizes[i + 1], sizes[i])).astype(dtype)
        state[f"{2 * i}.bias"] = rng.uniform(-bound, bound, sizes[i + 1]).astype(dtype)
    batches = [rng.choice(len(X), batch_size, replace=False) for _ in range(steps)]
    return [{"name": f"{steps} steps of SGD, batch {batch_size}, breast_cancer", "X": X.astype(dtype), "y": y,
             "sizes": sizes, "state": state, "batches": batches,
             "optimizer": {"lr": 0.05, "momentum": 0.9}}]


def _activation(name, functional=None, extra=(), **kwargs):
    label = name + (f"({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})" if kwargs else "")
    return Entry(label, "activation", name, activation_domain(*extra), kwargs=kwargs, functional=functional)


def _loss(name, domain):
    return Entry(name, "loss", name, domain)


REGISTRY = [
    _activation("Identity"),
    _activation("ReLU", functional="relu"),
    _activation("LeakyReLU", functional="leaky_relu"),
    _activation("LeakyReLU", negative_slope=0.2),
    _activation("ELU", functional="elu"),
    _activation("ELU", alpha=0.5),
    _activation("SELU"),
    _activation("CELU"),
    _activation("CELU", alpha=2.0),
    _activation("GELU", functional="gelu"),
    _activation("GELU", approximate="tanh"),
    _activation("Sigmoid", functional="sigmoid"),
    _activation("Tanh", functional="tanh"),
    _activation("Softplus", functional="softplus"),
    _activation("Softplus", beta=2.0, threshold=10.0, extra=(5.0, 5.25)),
    _activation("SiLU"),
    _activation("Mish"),
    _activation("Hardtanh"),
    _activation("Hardtanh", min_val=-2.0, max_val=0.5, extra=(-2.0,)),
    _activation("Softsign"),
    _activation("Softmax", functional="softmax"),
    _activation("Softmax", dim=0),
    _activation("LogSoftmax"),
    _activation("LogSoftmax", dim=1),
    _loss("MSELoss", regression_domain),
    _loss("L1Loss", regression_domain),
    _loss("HuberLoss", regression_domain),
    _loss("SmoothL1Loss", regression_domain),
    _loss("BCELoss", bce_domain),
    _loss("BCEWithLogitsLoss", bce_logits_domain),
    _loss("CrossEntropyLoss", cross_entropy_domain),
    _loss("NLLLoss", nll_domain),
    _loss("KLDivLoss", kl_domain),
    Entry("Linear", "layer", "Linear", linear_domain, kinds=("forward", "backward", "param_grad")),
    Entry("MLP-SGD", "model", "Sequential", mlp_training_domain, kinds=("model",), subject="training",
          oracle="training"),
]
