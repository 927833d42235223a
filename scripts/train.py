"""``twinnet train``: train one MLP with both twins side by side and show where they stand.

The rows are shuffled by ``--seed`` and the last 20% held out for validation; the preprocessing of
``_tabular.preprocessor`` (scaling, imputation, one-hot) is fitted on the training rows only, and a
regression target is standardised by the training rows' mean and deviation. The network is built in
scratch (float64) from ``--seed`` and copied into torch (``reference.to_torch``); both run the same
LR range test, then ``scratch.train.fit`` and ``reference.train.fit`` with the same batches, with
``Diagnostics`` on. The table gives each epoch's losses of both twins and their largest difference.
"""
import math

import numpy as np

from . import _tabular
from ._common import UsageError, check_writable, table, versions, write_json

VALIDATION = 0.2
"""Fraction of the (shuffled) rows held out for validation."""

TWIN_TOL = 1e-9
"""The twins' losses must agree within this in every epoch (float64)."""

DEAD = 0.5
"""A ReLU layer with at least this fraction of dead units (over a batch, averaged over the last epoch) is named dead."""

SATURATED = 0.5
"""A Sigmoid/Tanh layer with at least this fraction of saturated outputs in the last epoch is named saturated."""

VANISHING = 1e-3
"""First layer's gradient norm below this fraction of the last layer's: vanishing gradients."""

RANGE_TEST = {"start_lr": 1e-6, "end_lr": 1.0, "num_iter": 100}
"""The LR range test both twins run before training (exponential steps)."""

ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}
OPTIMIZERS = {"adam": "Adam", "sgd": "SGD"}


def add_parser(sub):
    p = sub.add_parser(
        "train", help="train an MLP with both twins side by side: losses, LR range test, diagnostics",
        description="Train an MLP on a scikit-learn data set (or a CSV) with scratch and torch from the same "
                    "weights and batches; print both losses per epoch, run an LR range test, and name a dead "
                    "or saturated network.")
    p.add_argument("--dataset", metavar="NAME", help=f"a bundled data set: {', '.join(_tabular.BUILTIN)} "
                   "(default breast_cancer)")
    p.add_argument("--csv", metavar="FILE", help="a CSV file with a header row; needs --target")
    p.add_argument("--target", metavar="COL", help="the CSV's target column")
    p.add_argument("--epochs", type=int, default=30, metavar="N", help="epochs at most (default 30)")
    p.add_argument("--hidden", type=int, nargs="+", default=[32], metavar="W",
                   help="hidden layer widths (default 32)")
    p.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu", help="hidden activation (default relu)")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam", help="default adam")
    p.add_argument("--lr", default="1e-3", metavar="LR",
                   help="learning rate, or 'auto' for the LR range test's suggestion (default 1e-3)")
    p.add_argument("--batch-size", type=int, default=32, metavar="B", help="rows per batch (default 32)")
    p.add_argument("--patience", type=int, metavar="P", help="stop early after P epochs without a lower "
                   "validation loss, and restore the best weights")
    p.add_argument("--seed", type=int, default=0, help="seeds the split, the weights and the batches (default 0)")
    p.add_argument("--plot", metavar="FILE", help="write a PNG: loss curves, LR range test, gradient norms")
    p.add_argument("--json", metavar="FILE", help="write both histories and the range tests as JSON")
    p.set_defaults(run=run)
    return p


def _arguments(args):
    if (args.csv is None) != (args.target is None):
        raise UsageError("--csv and --target go together: --csv FILE --target COLUMN")
    if args.csv and args.dataset:
        raise UsageError("give --dataset NAME or --csv FILE --target COLUMN, not both")
    if args.dataset and args.dataset not in _tabular.BUILTIN:
        raise UsageError(f"--dataset: unknown data set {args.dataset!r}; known: {', '.join(_tabular.BUILTIN)} "
                         "(or --csv FILE --target COLUMN)")
    for name, value, low in (("--epochs", args.epochs, 1), ("--batch-size", args.batch_size, 1),
                             ("--patience", args.patience, 1)):
        if value is not None and value < low:
            raise UsageError(f"{name} must be at least {low}, got {value}")
    if any(w < 1 for w in args.hidden):
        raise UsageError(f"--hidden widths must be positive, got {' '.join(map(str, args.hidden))}")
    if args.lr == "auto":
        return None
    try:
        lr = float(args.lr)
    except ValueError:
        raise UsageError(f"--lr must be a positive number or 'auto', got {args.lr!r}") from None
    if not (lr > 0 and math.isfinite(lr)):
        raise UsageError(f"--lr must be a positive number or 'auto', got {args.lr!r}")
    return lr


def prepare(data, seed):
    """``(X_train, y_train, X_val, y_val, n_outputs)``: shuffled, split, preprocessed on the training rows."""
    from sklearn.pipeline import Pipeline

    n = len(data.y)
    if n < 10:
        raise UsageError(f"data set '{data.name}' has {n} rows; training with a validation set needs at least 10")
    order = np.random.default_rng(seed).permutation(n)
    at = int(math.floor(n * (1 - VALIDATION)))
    train, val = order[:at], order[at:]
    pre = Pipeline(_tabular.preprocessor(data))
    X_train = np.asarray(pre.fit_transform(data.X[train]), dtype=np.float64)
    X_val = np.asarray(pre.transform(data.X[val]), dtype=np.float64)
    if data.task == "classification":
        classes, y = np.unique(data.y, return_inverse=True)
        if len(classes) < 2:
            raise UsageError(f"data set '{data.name}' has a single class ({classes[0]!r}); classification needs two")
        y = y.astype(np.int64)
        return X_train, y[train], X_val, y[val], len(classes)
    y = np.asarray(data.y, dtype=np.float64).reshape(n, 1)
    mean, std = y[train].mean(), y[train].std() or 1.0
    y = (y - mean) / std
    return X_train, y[train], X_val, y[val], 1


def build(n_in, hidden, n_out, activation, seed):
    import scratch

    rng = np.random.default_rng(seed)
    sizes = [n_in, *hidden, n_out]
    layers = [scratch.Linear(sizes[0], sizes[1], rng=rng)]
    for a, b in zip(sizes[1:-1], sizes[2:]):
        layers += [getattr(scratch, ACTIVATIONS[activation])(), scratch.Linear(a, b, rng=rng)]
    return scratch.Sequential(*layers)


def _accuracy(out, y):
    return float(np.mean(np.argmax(out, axis=1) == y))


def _r2(out, y):
    return float(1 - np.sum((out - y) ** 2) / np.sum((y - y.mean()) ** 2))


def _diff(a, b):
    """|a - b|; 0 where both are the same non-finite value (both twins diverged alike), inf where one is."""
    if math.isfinite(a) and math.isfinite(b):
        return abs(a - b)
    return 0.0 if (math.isnan(a) and math.isnan(b)) or a == b else math.inf


def verdicts(history):
    """Sentences naming a dead, saturated or vanishing-gradient network, from the last epoch's diagnostics."""
    last = history["diagnostics"][-1]
    found = []
    bad = [e for e, v in zip(history["epoch"], history["loss"]) if not math.isfinite(v)]
    if bad:
        found.append(f"diverged: the training loss is {history['loss'][bad[0] - 1]} from epoch {bad[0]} "
                     "(lower --lr, or try --lr auto)")
    for name, frac in last["dead_relu"].items():
        if frac >= DEAD:
            found.append(f"dead network: {frac:.0%} of the ReLU units after layer {int(name) - 1} output 0 for "
                         "every sample of a batch (lower the learning rate, or use LeakyReLU)")
    for name, frac in last["saturated"].items():
        if frac >= SATURATED:
            found.append(f"saturated network: {frac:.0%} of the outputs of activation {name} are within 0.01 of "
                         "their limits (scale the inputs, or use ReLU)")
    norms = last["grad_norm"]
    if len(norms) > 1:
        first, final = norms[min(norms, key=int)], norms[max(norms, key=int)]
        if final > 0 and first / final < VANISHING:
            found.append(f"vanishing gradients: the first layer's gradient norm {first:.1e} is "
                         f"{first / final:.0e} times the last layer's {final:.1e}")
    return found


def run(args):
    import torch

    import scratch
    from reference import to_torch
    from reference import train as rt
    from scratch import train as st

    lr = _arguments(args)
    for module, package in (("skorch", "skorch"), ("torch_lr_finder", "torch-lr-finder")):
        try:
            __import__(module)
        except ImportError:
            raise UsageError(f"twinnet train needs {package} (the torch twins use it): "
                             "pip install -c constraints.txt 'twinnet[train]'") from None
    check_writable(args.json)
    check_writable(args.plot)
    data = _tabular.read_csv(args.csv, args.target) if args.csv else _tabular.builtin(args.dataset or "breast_cancer")
    for note in data.notes:
        print(f"{data.name}: {note.replace('inside each fold', 'on the training rows')}")
    X_train, y_train, X_val, y_val, n_out = prepare(data, args.seed)
    classify = data.task == "classification"
    loss_name, metric, metric_name = (("CrossEntropyLoss", _accuracy, "accuracy") if classify
                                      else ("MSELoss", _r2, "r2"))
    model = build(X_train.shape[1], args.hidden, n_out, args.activation, args.seed)
    opt_name = OPTIMIZERS[args.optimizer]

    def twins(rate):
        m = build(X_train.shape[1], args.hidden, n_out, args.activation, args.seed)
        t = to_torch(m)
        return (m, getattr(scratch, opt_name)(m.parameters(), lr=rate),
                t, getattr(torch.optim, opt_name)(t.parameters(), lr=rate))

    m, opt, t, topt = twins(RANGE_TEST["start_lr"])
    finder = st.LRFinder(m, opt, getattr(scratch, loss_name)())
    tfinder = rt.LRFinder(t, topt, getattr(torch.nn, loss_name)())
    curve = finder.range_test(X_train, y_train, **RANGE_TEST, batch_size=args.batch_size)
    tcurve = tfinder.range_test(X_train, y_train, **RANGE_TEST, batch_size=args.batch_size)
    enough = len(curve[0]) >= 17
    suggested = finder.suggestion() if enough else None
    tsuggested = tfinder.suggestion() if len(tcurve[0]) >= 17 else None
    range_diff = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(curve[1], tcurve[1]))
    print(f"LR range test ({RANGE_TEST['start_lr']:g} to {RANGE_TEST['end_lr']:g}, {len(curve[0])} of "
          f"{RANGE_TEST['num_iter']} steps): suggested lr scratch {suggested if suggested is None else f'{suggested:.3g}'}, "
          f"torch {tsuggested if tsuggested is None else f'{tsuggested:.3g}'}; curves differ by {range_diff:.1e}")
    if lr is None:
        if suggested is None:
            raise UsageError("--lr auto: the range test diverged before 17 steps, too early to suggest a rate; "
                             "give --lr")
        lr = suggested
        print(f"--lr auto: training at {lr:.3g}")

    opt = getattr(scratch, opt_name)(model.parameters(), lr=lr)
    t = to_torch(model)
    topt = getattr(torch.optim, opt_name)(t.parameters(), lr=lr)
    common = dict(seed=args.seed, validation_data=(X_val, y_val), metric=metric, diagnostics=True)
    stop = ([st.EarlyStopping(patience=args.patience, restore_best_weights=True)],
            [rt.EarlyStopping(patience=args.patience, restore_best_weights=True)]) if args.patience else ([], [])
    hist = st.fit(model, getattr(scratch, loss_name)(), opt, X_train, y_train, args.epochs, args.batch_size,
                  callbacks=stop[0], **common)
    thist = rt.fit(t, getattr(torch.nn, loss_name)(), topt, X_train, y_train, args.epochs, args.batch_size,
                   callbacks=stop[1], **common)

    rows, worst = [], 0.0
    for i in range(max(hist.epochs, thist.epochs)):
        get = lambda h, k: h[k][i] if i < h.epochs else float("nan")  # noqa: E731
        diff = max(_diff(get(hist, k), get(thist, k)) for k in ("loss", "val_loss", "metric", "val_metric"))
        worst = max(worst, diff)
        rows.append([str(i + 1), f"{get(hist, 'loss'):.6f}", f"{get(thist, 'loss'):.6f}", f"{get(hist, 'val_loss'):.6f}",
                     f"{get(thist, 'val_loss'):.6f}", f"{get(hist, 'val_metric'):.4f}", f"{diff:.1e}"])
    print(f"\n{data.name} ({data.task}, {len(X_train)} training and {len(X_val)} validation rows, "
          f"{X_train.shape[1]} features): {args.activation} MLP {X_train.shape[1]}-"
          f"{'-'.join(map(str, args.hidden))}-{n_out}, {opt_name}(lr={lr:.3g}), batch {args.batch_size}")
    print(table(["epoch", "scratch loss", "torch loss", "scratch val", "torch val", f"val {metric_name}",
                 "max |diff|"], rows))
    if hist.stopped_epoch:
        print(f"stopped early at epoch {hist.stopped_epoch} (torch: {thist.stopped_epoch}); "
              f"restored the weights of epoch {hist.best_epoch} (torch: {thist.best_epoch})")
    agree = worst <= TWIN_TOL and hist["epoch"] == thist["epoch"]
    print(f"scratch vs torch: largest difference in any epoch's losses and metrics {worst:.1e} "
          f"(tolerance {TWIN_TOL:g}): they {'agree' if agree else 'DISAGREE'}")
    found = verdicts(hist)
    for sentence in found:
        print(sentence)
    if not found:
        print("no dead or saturated layer, no vanishing gradients seen")
    if args.json:
        write_json(args.json, {
            "dataset": data.name, "task": data.task, "rows": {"train": len(X_train), "validation": len(X_val)},
            "hidden": args.hidden, "activation": args.activation, "optimizer": opt_name, "lr": lr,
            "batch_size": args.batch_size, "epochs": args.epochs, "patience": args.patience, "seed": args.seed,
            "versions": versions(), "scratch": _history_json(hist), "torch": _history_json(thist),
            "range_test": {**RANGE_TEST, "scratch": {"lr": curve[0], "loss": curve[1], "suggested": suggested},
                           "torch": {"lr": tcurve[0], "loss": tcurve[1], "suggested": tsuggested}},
            "max_abs_diff": worst, "agree": agree, "verdicts": found})
        print(f"wrote {args.json}")
    if args.plot:
        plot(args.plot, data.name, hist, thist, curve, tcurve, suggested)
        print(f"wrote {args.plot}")
    return 0 if agree else 1


def _history_json(hist):
    return {"history": hist.history, "stopped_epoch": hist.stopped_epoch, "best_epoch": hist.best_epoch}


def plot(path, name, hist, thist, curve, tcurve, suggested):
    """Three panels: both twins' loss curves, the LR range test, each layer's gradient norm per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4.2))
    for h, label, style in ((hist, "scratch", "-"), (thist, "torch", "--")):
        a.plot(h["epoch"], h["loss"], style, color="C0", label=f"{label} train")
        a.plot(h["epoch"], h["val_loss"], style, color="C1", label=f"{label} validation")
    if hist.best_epoch and hist.stopped_epoch:
        a.axvline(hist.best_epoch, color="grey", lw=0.8, ls=":", label=f"best epoch {hist.best_epoch}")
    a.set(xlabel="epoch", ylabel="loss", title=f"{name}: loss")
    a.legend(fontsize=8)
    b.plot(curve[0], curve[1], "-", color="C2", label="scratch")
    b.plot(tcurve[0], tcurve[1], "--", color="C3", label="torch")
    if suggested is not None:
        b.axvline(suggested, color="grey", lw=0.8, ls=":", label=f"suggested {suggested:.2g}")
    b.set(xscale="log", xlabel="learning rate", ylabel="smoothed loss", title="LR range test")
    b.legend(fontsize=8)
    layers = sorted(hist["diagnostics"][0]["grad_norm"], key=int)
    for i, layer in enumerate(layers):
        c.plot(hist["epoch"], [d["grad_norm"][layer] for d in hist["diagnostics"]], color=f"C{i % 10}",
               label=f"layer {layer}")
    c.set(yscale="log", xlabel="epoch", ylabel="||dL/dW|| (mean over the epoch)", title="gradient norm per layer")
    c.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
