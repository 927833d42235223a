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
    domain : ``(rng, dtype) -> list of cases``, or a dict of those keyed by check kind.
    subject, oracle : keys of ``subjects.SUBJECTS`` and ``oracles.ORACLES``.
    functional : the tutorials' function name (``relu``) accepted in place of the class.
    tol : tolerance overrides (see ``tolerances.tolerance``), with the reason in a comment beside it.
    dtypes : the dtypes it is checked in (schedulers' learning rates are Python floats: float64 only).
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
    dtypes: tuple = DTYPES

    def domain_for(self, kind):
        """The domain of ``kind``: ``domain`` itself, or its entry when it is a dict keyed by kind."""
        return self.domain[kind] if isinstance(self.domain, dict) else self.domain

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


def training_domain(optimizer, steps=200, batch_size=32, sizes=(30, 32, 16, 2)):
    """Minibatch training of an MLP on breast_cancer (shipped with scikit-learn), standardised; fixed
    batches and torch-style initial weights; ``optimizer`` holds the optimizer's arguments."""
    def domain(rng, dtype):
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
        X = (X - X.mean(axis=0)) / X.std(axis=0)
        state = {}
        for i in range(len(sizes) - 1):
            bound = 1 / np.sqrt(sizes[i])
            state[f"{2 * i}.weight"] = rng.uniform(-bound, bound, (sizes[i + 1], sizes[i])).astype(dtype)
            state[f"{2 * i}.bias"] = rng.uniform(-bound, bound, sizes[i + 1]).astype(dtype)
        batches = [rng.choice(len(X), batch_size, replace=False) for _ in range(steps)]
        return [{"name": f"{steps} steps, batch {batch_size}, breast_cancer, {optimizer}", "X": X.astype(dtype),
                 "y": y, "sizes": sizes, "state": state, "batches": batches, "optimizer": optimizer}]
    return domain


def optimizer_domain(grid, steps=8):
    """One case per option set of ``grid``: three parameters (one whose grad stays None), ``steps``
    random gradients; then per-group options and a resume from ``state_dict`` with the last set."""
    def domain(rng, dtype):
        def case(name, kwargs, **extra):
            params = [rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(2)]
            grads = [[rng.standard_normal(p.shape).astype(dtype) for p in params[:2]] + [None]
                     for _ in range(steps)]
            return {"name": name, "params": [p.astype(dtype) for p in params], "grads": grads,
                    "kwargs": kwargs, **extra}
        cases = [case(", ".join(f"{k}={v}" for k, v in kw.items()) or "defaults", kw) for kw in grid]
        cases.append(case(f"param groups, {grid[-1]}", grid[-1],
                          groups=[{"params": [0], "lr": 0.05}, {"params": [1, 2]}]))
        cases.append(case(f"resumed from state_dict after step 4, {grid[-1]}", grid[-1], resume_at=4))
        return cases
    return domain


def scheduler_domain(*variants, epochs=100):
    """One case per ``(kwargs, extra)`` variant: two param groups, ``epochs`` scheduler steps."""
    def domain(rng, dtype):
        return [{"name": ", ".join(f"{k}={v}" for k, v in kwargs.items()), "lrs": [0.1, 0.03], "epochs": epochs,
                 "kwargs": kwargs, **extra} for kwargs, extra in variants]
    return domain


def plateau_metrics(rng, n=100):
    """Losses that fall, then wander on plateaus, so ReduceLROnPlateau both waits and cuts."""
    return np.concatenate([np.linspace(1.0, 0.5, 20), 0.5 + 0.01 * rng.random(30),
                           np.linspace(0.5, 0.3, 10), 0.3 + 0.01 * rng.random(n - 60)])


def plateau_domain(rng, dtype):
    m = plateau_metrics(rng)
    variants = [{"factor": 0.5, "patience": 3},
                {"mode": "max", "factor": 0.3, "patience": 2, "threshold": 0.05, "threshold_mode": "abs"},
                {"factor": 0.5, "patience": 2, "cooldown": 3, "min_lr": 0.01, "eps": 1e-3}]
    return [{"name": ", ".join(f"{k}={v}" for k, v in kw.items()), "lrs": [0.1, 0.03], "epochs": len(m),
             "kwargs": kw, "metrics": m if kw.get("mode") != "max" else -m} for kw in variants]


def clip_domain(*variants):
    def domain(rng, dtype):
        grads = [rng.standard_normal((3, 4)), rng.standard_normal(5), np.zeros((2, 2))]
        return [{"name": ", ".join(f"{k}={v}" for k, v in kw.items()), "kwargs": kw,
                 "grads": [g.astype(dtype) for g in grads]} for kw in variants]
    return domain


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
    Entry("MLP-SGD", "model", "Sequential", training_domain({"lr": 0.05, "momentum": 0.9}), kinds=("model",),
          subject="training", oracle="training"),
]


def _optimizer(name, trajectory, *grid):
    domain = {"step": optimizer_domain(grid), "trajectory": training_domain(trajectory)}
    return Entry(name, "optimizer", name, domain, kinds=("step", "trajectory"), kwargs={"optimizer": name},
                 subject="optimizer", oracle="optimizer")


def _scheduler(name, *variants):
    return Entry(name, "scheduler", name, scheduler_domain(*variants), kinds=("trajectory",),
                 subject="scheduler", oracle="scheduler", dtypes=("float64",))


REGISTRY += [
    _optimizer("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True},
               {"lr": 0.1}, {"lr": 0.1, "momentum": 0.9}, {"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
               {"lr": 0.1, "momentum": 0.9, "nesterov": True}, {"lr": 0.1, "weight_decay": 0.1},
               {"lr": 0.1, "momentum": 0.9, "maximize": True},
               {"lr": 0.1, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05, "maximize": True}),
    _optimizer("Adam", {"lr": 1e-3},
               {}, {"lr": 0.01, "betas": (0.8, 0.9)}, {"lr": 0.01, "eps": 1e-2}, {"lr": 0.01, "amsgrad": True},
               {"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.01, "maximize": True},
               {"lr": 0.01, "betas": (0.5, 0.6), "eps": 1e-3, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    _optimizer("AdamW", {"lr": 1e-3, "weight_decay": 0.05},
               {}, {"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.01, "amsgrad": True}, {"lr": 0.01, "maximize": True},
               {"lr": 0.01, "betas": (0.5, 0.6), "eps": 1e-3, "weight_decay": 0.3, "amsgrad": True, "maximize": True}),
    _optimizer("RMSprop", {"lr": 1e-3},
               {}, {"lr": 0.01, "alpha": 0.9}, {"lr": 0.01, "centered": True}, {"lr": 0.01, "momentum": 0.9},
               {"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.01, "eps": 1e-2, "maximize": True},
               {"lr": 0.01, "alpha": 0.8, "centered": True, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}),
    _optimizer("Adagrad", {"lr": 0.05},
               {}, {"lr": 0.1, "lr_decay": 0.05}, {"lr": 0.1, "initial_accumulator_value": 0.5},
               {"lr": 0.1, "weight_decay": 0.1}, {"lr": 0.1, "eps": 1e-2, "maximize": True},
               {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.5, "weight_decay": 0.1, "maximize": True}),
    _optimizer("Adadelta", {"lr": 1.0},
               {}, {"rho": 0.8}, {"lr": 0.5, "eps": 1e-3}, {"weight_decay": 0.1}, {"maximize": True},
               {"lr": 0.5, "rho": 0.7, "eps": 1e-3, "weight_decay": 0.1, "maximize": True}),
    _optimizer("Adamax", {"lr": 2e-3},
               {}, {"lr": 0.01, "betas": (0.8, 0.9)}, {"lr": 0.01, "eps": 1e-2}, {"lr": 0.01, "weight_decay": 0.1},
               {"lr": 0.01, "betas": (0.5, 0.6), "eps": 1e-3, "weight_decay": 0.1, "maximize": True}),
    _optimizer("NAdam", {"lr": 2e-3},
               {}, {"lr": 0.01, "momentum_decay": 0.01}, {"lr": 0.01, "weight_decay": 0.1},
               {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, {"lr": 0.01, "maximize": True},
               {"lr": 0.01, "betas": (0.5, 0.6), "eps": 1e-3, "momentum_decay": 0.01, "weight_decay": 0.1,
                "decoupled_weight_decay": True, "maximize": True}),
    _optimizer("RAdam", {"lr": 1e-3},
               {}, {"lr": 0.01, "betas": (0.8, 0.9)}, {"lr": 0.01, "weight_decay": 0.1},
               {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, {"lr": 0.01, "maximize": True},
               {"lr": 0.01, "betas": (0.5, 0.6), "eps": 1e-3, "weight_decay": 0.1, "decoupled_weight_decay": True,
                "maximize": True}),
    _scheduler("StepLR", ({"step_size": 7, "gamma": 0.5}, {}), ({"step_size": 1, "gamma": 0.97}, {})),
    _scheduler("MultiStepLR", ({"milestones": [10, 25, 60], "gamma": 0.3}, {})),
    _scheduler("ExponentialLR", ({"gamma": 0.95}, {})),
    _scheduler("CosineAnnealingLR", ({"T_max": 30, "eta_min": 0.001}, {}), ({"T_max": 100}, {})),
    _scheduler("LinearLR", ({"start_factor": 0.25, "end_factor": 1.0, "total_iters": 20}, {}),
               ({"start_factor": 1.0, "end_factor": 0.1, "total_iters": 80}, {})),
    _scheduler("OneCycleLR", ({"max_lr": 0.5, "total_steps": 100}, {"optimizer": {"momentum": 0.9}}),
               ({"max_lr": [0.5, 0.2], "total_steps": 100, "anneal_strategy": "linear", "three_phase": True},
                {"optimizer": {"momentum": 0.9}})),
    Entry("ReduceLROnPlateau", "scheduler", "ReduceLROnPlateau", plateau_domain, kinds=("trajectory",),
          subject="scheduler", oracle="scheduler", dtypes=("float64",)),
    Entry("clip_grad_norm_", "utility", "clip_grad_norm_",
          clip_domain({"max_norm": 0.5}, {"max_norm": 100.0}, {"max_norm": 0.5, "norm_type": 1.0},
                      {"max_norm": 0.5, "norm_type": float("inf")}, {"max_norm": 0.5, "norm_type": 3.0}),
          kinds=("forward",), subject="clip", oracle="clip"),
    Entry("clip_grad_value_", "utility", "clip_grad_value_", clip_domain({"clip_value": 0.3}, {"clip_value": 10.0}),
          kinds=("forward",), subject="clip", oracle="clip"),
]
