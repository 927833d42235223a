"""The data of the training checks (``test_train.py``), as plain functions a harness can adopt.

``ENTRIES`` (category 'trainer') run them through the ``fit`` check kind. Each function takes ``dtype`` (and a seed where it draws), returns fresh arrays and draws
from its own ``numpy.random.default_rng(seed)``, so any twin can rebuild the same case.

- data sets: :func:`regression`, :func:`classification`, :func:`xor`;
- models: :func:`mlp` from ``SIZES`` (scratch, torch's initialisation; ``reference.to_torch`` copies it);
- options: ``FIT_CASES`` (keyword arguments of ``fit`` and what they exercise), ``LR_RANGE_CASES``;
- the tutorials' worked examples: ``DEAD_XOR`` and ``DEEP_SIGMOID``.
"""
import numpy as np

import scratch

SIZES = {"small": (5, 8, 1), "two-hidden": (5, 16, 8, 1), "classifier": (4, 12, 3), "wide": (5, 16, 1)}
"""model name -> widths (inputs, hidden..., outputs) of the MLPs the checks train."""


def regression(dtype=np.float64, n=120, features=5, seed=0):
    """``(X, y)``: a noisy linear target of Gaussian features; ``y`` is ``(n, 1)``."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, features))
    y = X @ rng.standard_normal((features, 1)) + 0.3 * rng.standard_normal((n, 1))
    return X.astype(dtype), y.astype(dtype)


def classification(dtype=np.float64, n=150, features=4, classes=3, seed=0):
    """``(X, y)``: Gaussian blobs, one per class; ``y`` holds int64 class indices."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    centres = 2.0 * rng.standard_normal((classes, features))
    X = centres[y] + rng.standard_normal((n, features))
    return X.astype(dtype), y.astype(np.int64)


def xor(dtype=np.float64):
    """The four XOR points and their labels ``(4, 1)`` (for ``BCEWithLogitsLoss``)."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dtype)
    return X, np.array([[0], [1], [1], [0]], dtype=dtype)


def mlp(sizes, activation="ReLU", dtype=np.float64, seed=0):
    """A scratch ``Sequential`` of Linear layers with ``activation`` between them, weights from ``seed``."""
    rng = np.random.default_rng(seed)
    layers = [scratch.Linear(sizes[0], sizes[1], dtype=dtype, rng=rng)]
    for n_in, n_out in zip(sizes[1:-1], sizes[2:]):
        layers += [getattr(scratch, activation)(), scratch.Linear(n_in, n_out, dtype=dtype, rng=rng)]
    return scratch.Sequential(*layers)


def accuracy(out, y):
    """The metric the classification cases log: the fraction of rows whose arg-max is the label."""
    return float(np.mean(np.argmax(out, axis=1) == y))


FIT_CASES = [
    {"name": "early-stop-restore", "model": "small", "data": "regression", "loss": "MSELoss",
     "optimizer": ("SGD", {"lr": 0.02, "momentum": 0.9}), "epochs": 60, "batch_size": 16,
     "fit": {"validation_split": 0.25, "seed": 3},
     "early_stopping": {"patience": 3, "min_delta": 1e-3, "restore_best_weights": True}},
    {"name": "penalties", "model": "two-hidden", "data": "regression", "loss": "MSELoss",
     "optimizer": ("Adam", {"lr": 0.01}), "epochs": 8, "batch_size": 32,
     "fit": {"validation_split": 0.2, "seed": 1},
     "penalties": [("L1Penalty", {"factor": 1e-3}), ("L2Penalty", {"factor": 1e-2})]},
    {"name": "classifier-metric-diagnostics", "model": "classifier", "data": "classification",
     "loss": "CrossEntropyLoss", "optimizer": ("SGD", {"lr": 0.1}), "epochs": 25, "batch_size": 20,
     "fit": {"validation_split": 0.2, "seed": 7, "metric": accuracy, "diagnostics": True},
     "early_stopping": {"monitor": "val_metric", "mode": "max", "patience": 4, "restore_best_weights": True}},
    {"name": "dead-units-diagnostics", "model": "wide", "data": "regression", "loss": "MSELoss",
     "optimizer": ("SGD", {"lr": 0.01}), "epochs": 2, "batch_size": 40, "fit": {"diagnostics": True},
     "shift": {"0.bias": -1.0}},
    {"name": "no-shuffle-scheduler", "model": "small", "data": "regression", "loss": "MSELoss",
     "optimizer": ("SGD", {"lr": 0.05}), "epochs": 6, "batch_size": 25,
     "fit": {"shuffle": False}, "scheduler": ("StepLR", {"step_size": 2, "gamma": 0.5})},
]
"""The fits both twins run: model, data, loss, optimizer, fit's options, callbacks and penalties."""

LR_RANGE_CASES = [
    {"name": "exp-diverges", "model": "small", "data": "regression", "optimizer": ("SGD", {"lr": 0.01}),
     "range": {"start_lr": 1e-4, "end_lr": 10.0, "num_iter": 60, "batch_size": 32}},
    {"name": "linear-no-smoothing", "model": "small", "data": "regression",
     "optimizer": ("SGD", {"lr": 0.01, "momentum": 0.9}),
     "range": {"start_lr": 1e-4, "end_lr": 0.01, "num_iter": 30, "step_mode": "linear", "smooth_f": 0.0,
               "batch_size": 50}},
]
"""The range tests both twins run (``range_test``'s keyword arguments)."""

DEAD_XOR = {"sizes": (2, 2, 1), "seed": 20, "lr": 0.5, "epochs": 300}
"""A 2-2-1 ReLU net on XOR whose seed-20 initialisation puts both hidden units below 0 on all four
points: every ReLU is dead from the start, the hidden layers get no gradient, and only the output
bias learns, so the loss settles at ln 2 (predicting 1/2 everywhere)."""

LIVE_XOR = {"sizes": (2, 4, 1), "seed": 0, "lr": 0.05, "epochs": 500}
"""The same task, 2-4-1 with Adam at seed 0: it learns XOR (loss below 0.01)."""

DEEP_SIGMOID = {"layers": 15, "width": 32, "features": 10, "batch": 64, "seed": 0}
"""A 15-Linear-layer sigmoid MLP: the first layer's gradient norm is about 1e-13 against the last's 2
(vanishing gradients: each sigmoid scales the gradient by at most 1/4)."""


def deep_sigmoid(dtype=np.float64, layers=15, width=32, features=10, batch=64, seed=0):
    """``(model, X, y)`` of :data:`DEEP_SIGMOID`: ``layers`` Linear layers with Sigmoid between them."""
    rng = np.random.default_rng(seed)
    sizes = (features,) + (width,) * (layers - 1) + (1,)
    model = mlp(sizes, "Sigmoid", dtype, seed)
    return model, rng.standard_normal((batch, features)).astype(dtype), rng.standard_normal((batch, 1)).astype(dtype)


DATA = {"regression": regression, "classification": classification, "xor": xor}
"""data set name -> its function."""


def _fit_case(case, dtype):
    """A case of ``FIT_CASES`` or ``LR_RANGE_CASES`` as the ``fit`` kind takes it: data, starting weights,
    and everything else by name."""
    X, y = DATA[case["data"]](dtype)
    sizes = SIZES[case["model"]]
    state = mlp(sizes, dtype=dtype, seed=11).state_dict()
    state.update({k: (state[k] + shift).astype(dtype) for k, shift in case.get("shift", {}).items()})
    out = {"name": case["name"], "X": X, "y": y, "sizes": sizes, "activation": "ReLU", "state": state,
           "loss": case.get("loss", "MSELoss"), "optimizer": case["optimizer"]}
    if "range" in case:
        return {**out, "range": case["range"]}
    fit = dict(case["fit"])
    if fit.get("metric") is accuracy:
        fit["metric"] = "accuracy"
    out.update(fit=fit, epochs=case["epochs"], batch_size=case["batch_size"],
               callbacks=[("EarlyStopping", case["early_stopping"])] if "early_stopping" in case else [],
               penalties=list(case.get("penalties", [])))
    if "scheduler" in case:
        out["scheduler"] = case["scheduler"]
    return out


def fit_domain(*names, cases=FIT_CASES, penalty=None):
    """The named cases, for ``dtype`` (the random generator is not used: each case draws its own data);
    with ``penalty``, only that penalty of a case's penalties."""
    def domain(rng, dtype):
        out = [_fit_case(c, dtype) for c in cases if c["name"] in names]
        for case in out if penalty else ():
            case["penalties"] = [(n, kw) for n, kw in case["penalties"] if n == penalty]
            case["name"] += f", {penalty} only"
        return out
    return domain


def _entries():
    from .registry import Entry
    return [Entry("fit", "trainer", "fit", fit_domain("no-shuffle-scheduler"), kinds=("fit",)),
            Entry("EarlyStopping", "trainer", "EarlyStopping", fit_domain("early-stop-restore"), kinds=("fit",)),
            Entry("L1Penalty", "trainer", "L1Penalty", fit_domain("penalties", penalty="L1Penalty"), kinds=("fit",)),
            Entry("L2Penalty", "trainer", "L2Penalty", fit_domain("penalties", penalty="L2Penalty"), kinds=("fit",)),
            Entry("Diagnostics", "trainer", "Diagnostics", fit_domain("classifier-metric-diagnostics",
                                                                                  "dead-units-diagnostics"), kinds=("fit",)),
            Entry("LRFinder", "trainer", "LRFinder", fit_domain(*(c["name"] for c in LR_RANGE_CASES),
                                                                 cases=LR_RANGE_CASES), kinds=("fit",))]


ENTRIES = _entries()
