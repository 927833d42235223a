"""The torch twins of ``scratch.train``: ``fit``, ``EarlyStopping``, ``L1Penalty``, ``L2Penalty``,
``LRFinder``, ``Diagnostics``.

``fit`` is a plain torch loop with scratch's semantics step for step, because skorch's ``NeuralNet``
draws its batches with torch's generator and cannot replay scratch's NumPy permutations; its early
stopping is skorch's own ``EarlyStopping`` callback, driven through the few attributes of a
``NeuralNet`` it reads. ``LRFinder`` runs torch-lr-finder's ``LRFinder`` and then its ``reset()``.
"""
import contextlib
import io

import numpy as np
import torch
from torch import nn

from scratch.train import History, split_validation

__all__ = ["fit", "EarlyStopping", "L1Penalty", "L2Penalty", "LRFinder", "Diagnostics"]

SKORCH_KEYS = {"loss": "train_loss", "val_loss": "valid_loss"}
"""scratch's log keys -> skorch's history keys (the others are the same)."""


def _tensor(a):
    return a if isinstance(a, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(a))


def fit(model, loss_fn, optimizer, X, y, epochs, batch_size, *, shuffle=True, seed=0, validation_data=None,
        validation_split=0.0, callbacks=(), penalties=(), scheduler=None, metric=None, diagnostics=False):
    """``scratch.train.fit`` in torch: the same batches (NumPy's permutations), steps, logs and callbacks."""
    X, y = np.asarray(X), np.asarray(y)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if validation_data is not None:
        X_val, y_val = (np.asarray(a) for a in validation_data)
    elif validation_split > 0:
        (X, y), (X_val, y_val) = split_validation(X, y, validation_split)
    else:
        X_val = y_val = None
    Xt, yt = _tensor(X), _tensor(y)
    n = len(X)
    diag = Diagnostics() if diagnostics is True else (diagnostics or None)
    if diag is not None:
        diag.attach(model)
    history = History()
    for cb in callbacks:
        cb.on_train_begin(model)
    for epoch in range(1, epochs + 1):
        lr = optimizer.param_groups[0]["lr"]
        order = rng.permutation(n) if shuffle else np.arange(n)
        model.train()
        if diag is not None:
            diag.on_epoch_begin()
        total = total_metric = 0.0
        for start in range(0, n, batch_size):
            rows = torch.from_numpy(order[start:start + batch_size])
            X_b, y_b = Xt[rows], yt[rows]
            optimizer.zero_grad()
            out = model(X_b)
            loss = loss_fn(out, y_b)
            terms = [p(model) for p in penalties]
            value = loss.item() + sum(t.item() for t in terms)
            if diag is not None:
                diag.after_forward(model)
            sum(terms, loss).backward()
            if diag is not None:
                diag.after_backward(model)
            optimizer.step()
            if diag is not None:
                diag.after_step(model)
            total += value * len(rows)
            if metric is not None:
                total_metric += float(metric(out.detach().numpy(), y_b.numpy())) * len(rows)
        logs = {"epoch": epoch, "loss": total / n, "lr": lr}
        if metric is not None:
            logs["metric"] = total_metric / n
        if X_val is not None:
            model.eval()
            with torch.no_grad():
                out = model(_tensor(X_val))
                logs["val_loss"] = loss_fn(out, _tensor(y_val)).item()
            if metric is not None:
                logs["val_metric"] = float(metric(out.numpy(), y_val))
            model.train()
        if diag is not None:
            logs["diagnostics"] = diag.on_epoch_end()
        if scheduler is not None:
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(logs.get("val_loss", logs["loss"]))
            else:
                scheduler.step()
        history.append(logs)
        stop = False
        for cb in callbacks:
            stop = bool(cb.on_epoch_end(epoch, logs, model)) or stop
        if stop:
            break
    for cb in callbacks:
        cb.on_train_end(model)
        if isinstance(cb, EarlyStopping):
            history.stopped_epoch, history.best_epoch = cb.stopped_epoch, cb.best_epoch
    if diag is not None:
        diag.detach()
    return history


class _Net:
    """The parts of a skorch ``NeuralNet`` that skorch's ``EarlyStopping`` reads: history, module_, verbose."""

    def __init__(self, module):
        from skorch.history import History as SkorchHistory
        self.module_, self.history, self.verbose = module, SkorchHistory(), 0


class EarlyStopping:
    """``scratch.train.EarlyStopping`` as skorch's ``EarlyStopping(threshold_mode='abs')``.

    Each epoch's logs are recorded into a skorch ``History`` under skorch's names (``SKORCH_KEYS``) and
    skorch's callback decides; it stops by raising KeyboardInterrupt, caught here. ``threshold_mode``
    may be set to skorch's default 'rel' to see where the two rules differ.
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=5, mode="min", restore_best_weights=False,
                 threshold_mode="abs"):
        from skorch.callbacks import EarlyStopping as SkorchEarlyStopping
        from skorch.utils import noop
        self.monitor = monitor
        lower = mode == "min" or (mode == "auto" and "acc" not in monitor)
        self.skorch = SkorchEarlyStopping(monitor=SKORCH_KEYS.get(monitor, monitor), patience=patience,
                                          threshold=min_delta, threshold_mode=threshold_mode,
                                          lower_is_better=lower, sink=noop, load_best=restore_best_weights)
        self.best_epoch = self.stopped_epoch = None

    def on_train_begin(self, model):
        self.net = _Net(model)
        self.skorch.on_train_begin(self.net)
        self.best_epoch = self.stopped_epoch = None

    def on_epoch_end(self, epoch, logs, model):
        self.net.history.new_epoch()
        for key, value in logs.items():
            if key != "diagnostics":
                self.net.history.record(SKORCH_KEYS.get(key, key), value)
        try:
            self.skorch.on_epoch_end(self.net)
        except KeyboardInterrupt:
            self.stopped_epoch = epoch
            return True
        finally:
            self.best_epoch = self.skorch.best_epoch_ or None
        return False

    def on_train_end(self, model):
        self.skorch.on_train_end(self.net)


class _Penalty:
    def __init__(self, factor, which="weights"):
        self.factor, self.which = factor, which

    def selected(self, model):
        params = list(model.named_parameters())
        if self.which == "weights":
            return [(n, p) for n, p in params if n.split(".")[-1] == "weight" and p.dim() >= 2]
        if self.which == "all":
            return params
        if callable(self.which):
            return [(n, p) for n, p in params if self.which(n, p)]
        return [(n, p) for n, p in params if n in self.which]

    def __call__(self, model):
        terms = [self._term(p) for _, p in self.selected(model)]
        return sum(terms[1:], terms[0]) if terms else torch.zeros(())


class L1Penalty(_Penalty):
    """``factor * sum |w|``, as a term of the loss; autograd gives its gradient."""

    def _term(self, w):
        return self.factor * w.abs().sum()


class L2Penalty(_Penalty):
    """``factor * sum w^2``, as a term of the loss; autograd gives ``2 factor w``."""

    def _term(self, w):
        return self.factor * (w * w).sum()


class LRFinder:
    """torch-lr-finder's ``LRFinder`` on a ``DataLoader(TensorDataset(X, y), batch_size, shuffle=False)``.

    ``range_test`` calls torch-lr-finder's ``range_test`` and then its ``reset()`` (which restores the
    model's and optimizer's ``state_dict``, not the gradients); ``suggestion`` is ``plot(suggest_lr=True)``'s
    rate, drawn on an off-screen figure.
    """

    def __init__(self, model, optimizer, loss_fn):
        from torch_lr_finder import LRFinder as TorchLRFinder
        self.finder = TorchLRFinder(model, optimizer, loss_fn)

    @property
    def history(self):
        return self.finder.history

    def range_test(self, X, y, start_lr=None, end_lr=10.0, num_iter=100, step_mode="exp", smooth_f=0.05,
                   diverge_th=5, *, batch_size=None, reset=True):
        X, y = np.asarray(X), np.asarray(y)
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(_tensor(X), _tensor(y)),
                                             batch_size=len(X) if batch_size is None else batch_size, shuffle=False)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            self.finder.range_test(loader, start_lr=start_lr, end_lr=end_lr, num_iter=num_iter, step_mode=step_mode,
                                   smooth_f=smooth_f, diverge_th=diverge_th)
        if reset:
            self.finder.reset()
        return list(self.history["lr"]), list(self.history["loss"])

    def suggestion(self, skip_start=10, skip_end=5):
        from matplotlib.figure import Figure
        ax = Figure().add_subplot()
        with contextlib.redirect_stdout(io.StringIO()):
            _, lr = self.finder.plot(skip_start=skip_start, skip_end=skip_end, ax=ax, suggest_lr=True)
        return lr


_WATCHED = (nn.ReLU, nn.Sigmoid, nn.Tanh)


class Diagnostics:
    """``scratch.train.Diagnostics`` in torch: forward hooks keep each activation's output."""

    def __init__(self, saturation=0.01):
        self.saturation = saturation
        self.steps, self.epochs, self._epoch = [], [], []
        self._handles, self._outputs = [], {}

    def attach(self, model):
        self.model = model
        for name, m in self._layers(model):
            if isinstance(m, _WATCHED):
                self._handles.append(m.register_forward_hook(self._keep(name)))

    def detach(self):
        for h in self._handles:
            h.remove()
        self._handles = []

    def _keep(self, name):
        def hook(module, inputs, output):
            self._outputs[name] = output.detach()
        return hook

    @staticmethod
    def _layers(model):
        return list(model.named_children()) if isinstance(model, nn.Sequential) else [("0", model)]

    def on_epoch_begin(self):
        self._epoch = []

    def after_forward(self, model):
        step = {"grad_norm": {}, "update_ratio": {}, "dead_relu": {}, "saturated": {}}
        t = self.saturation
        for name, m in self._layers(model):
            if name in self._outputs:
                y = self._outputs[name].reshape(len(self._outputs[name]), -1)
                if isinstance(m, nn.ReLU):
                    step["dead_relu"][name] = (y == 0).all(dim=0).double().mean().item()
                elif isinstance(m, nn.Sigmoid):
                    step["saturated"][name] = ((y < t) | (y > 1 - t)).double().mean().item()
                else:
                    step["saturated"][name] = (y.abs() > 1 - t).double().mean().item()
        self._step = step

    def after_backward(self, model):
        self._before = {}
        for name, m in self._layers(model):
            w = getattr(m, "weight", None)
            if isinstance(w, torch.Tensor) and w.grad is not None:
                self._step["grad_norm"][name] = torch.linalg.vector_norm(w.grad).item()
                self._before[name] = w.detach().clone()

    def after_step(self, model):
        for name, m in self._layers(model):
            if name in self._before:
                before = self._before[name]
                ratio = torch.linalg.vector_norm(m.weight.detach() - before) / torch.linalg.vector_norm(before)
                self._step["update_ratio"][name] = ratio.item()
        self.steps.append(self._step)
        self._epoch.append(self._step)

    def on_epoch_end(self):
        means = {kind: {name: float(np.mean([s[kind][name] for s in self._epoch]))
                        for name in self._epoch[0][kind]} for kind in self._epoch[0]} if self._epoch else {}
        self.epochs.append(means)
        return means

