"""Training: ``fit``, ``EarlyStopping``, ``L1Penalty``/``L2Penalty``, ``LRFinder`` and ``Diagnostics``.

NumPy and the standard library only. The torch twins are in ``reference/train.py``; where torch users
already have the tool, its semantics are the reference: skorch's ``EarlyStopping`` and
torch-lr-finder's ``LRFinder`` (each docstring says where scratch follows them and where it differs).

``fit`` draws its batches so that a twin can draw the same ones::

    rng = seed if isinstance(seed, numpy.random.Generator) else numpy.random.default_rng(seed)
    for each epoch:  order = rng.permutation(n_train) if shuffle else numpy.arange(n_train)
                     batches = order[0:b], order[b:2b], ...   (the last one may be shorter)

No other number is drawn from ``rng``, so one permutation per epoch is the whole random stream.
"""
import math
import numbers

import numpy as np

from .activations import ReLU, Sigmoid, Tanh
from .layers import Linear
from .lr_scheduler import ReduceLROnPlateau
from .module import Sequential

__all__ = ["History", "Callback", "fit", "EarlyStopping", "L1Penalty", "L2Penalty", "LRFinder", "Diagnostics",
           "split_validation"]


def _int_at_least(name, value, low, owner):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{owner}: {name} must be an int >= {low}, got {value!r}")
    return int(value)


def _backward(model, grad):
    """Backward through ``model``; a ``Sequential`` starting with a ``Linear`` skips its input's gradient (data)."""
    if isinstance(model, Sequential) and len(model) and isinstance(model[0], Linear):
        return model.backward(grad, input_grad=False)
    return model.backward(grad)


class History:
    """What ``fit`` returns: one row of logs per epoch, as Keras's ``History``.

    ``history`` maps each key to a list with one value per epoch run: ``epoch`` (1-based, as skorch's),
    ``loss`` (the mean over the epoch's batches, weighted by batch size, of the data loss plus the
    penalties, each taken before that batch's step), ``lr`` (group 0's rate during the epoch) and, when
    asked for, ``metric``, ``val_loss``, ``val_metric`` (the validation loss is the data loss alone,
    with the model in eval mode after the epoch's last step) and ``diagnostics`` (``Diagnostics``'
    per-epoch means). ``stopped_epoch`` is the epoch an ``EarlyStopping`` stopped at (None if none did)
    and ``best_epoch`` its best one.
    """

    def __init__(self):
        self.history = {}
        self.stopped_epoch = None
        self.best_epoch = None

    def append(self, logs):
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    @property
    def epochs(self):
        return len(self.history.get("epoch", []))

    def __getitem__(self, key):
        return self.history[key]

    def __repr__(self):
        return f"History(epochs={self.epochs}, keys={sorted(self.history)})"


class Callback:
    """Base of ``fit``'s callbacks; each hook does nothing unless overridden.

    ``on_train_begin(model)``; ``on_epoch_end(epoch, logs, model) -> bool`` (True stops training after
    this epoch); ``on_train_end(model)``.
    """

    def on_train_begin(self, model):
        pass

    def on_epoch_end(self, epoch, logs, model):
        return False

    def on_train_end(self, model):
        pass


def split_validation(X, y, validation_split):
    """``(X_train, y_train), (X_val, y_val)``: the LAST ``n - floor(n (1 - split))`` rows are held out.

    Keras's rule: the split is taken before any shuffling, so it is the same in every epoch and twin.
    """
    n = len(X)
    at = int(math.floor(n * (1.0 - validation_split)))
    return (X[:at], y[:at]), (X[at:], y[at:])


def fit(model, loss_fn, optimizer, X, y, epochs, batch_size, *, shuffle=True, seed=0, validation_data=None,
        validation_split=0.0, callbacks=(), penalties=(), scheduler=None, metric=None, diagnostics=False):
    """Train ``model`` by mini-batch steps of ``optimizer`` on ``loss_fn(model(X), y)``; returns a :class:`History`.

    Each step: ``optimizer.zero_grad()``; ``out = model(X_b)``; ``value = loss_fn(out, y_b) + sum of the
    penalties``; ``model.backward(loss_fn.backward())``; each penalty adds its gradient into ``.grad``;
    ``optimizer.step()``. After each epoch: the validation loss (eval mode), then ``scheduler.step()``
    (``scheduler.step(val_loss)``, or the training loss without validation, for ``ReduceLROnPlateau``),
    then the callbacks, any of which may stop training.

    Args:
        model: a scratch Module (a ``Sequential`` skips its input gradient).
        loss_fn: a scratch loss, ``value = loss_fn(out, y)``, ``grad = loss_fn.backward()``.
        optimizer: a scratch optimizer over ``model``'s parameters.
        X, y (ndarray): rows are samples; never modified.
        epochs (int): epochs to run at most. batch_size (int): rows per batch.
        shuffle (bool): a fresh permutation each epoch (see the module docstring). Default: True.
        seed (int or numpy.random.Generator): seeds the permutations. Default: 0.
        validation_data (tuple, optional): ``(X_val, y_val)``; takes precedence over validation_split.
        validation_split (float): hold out the last rows (:func:`split_validation`). Default: 0.0.
        callbacks: e.g. :class:`EarlyStopping`. penalties: :class:`L1Penalty`, :class:`L2Penalty`.
        scheduler (optional): stepped once per epoch.
        metric (callable, optional): ``metric(out, y) -> float`` on arrays; the epoch's training value
            is its batch-size-weighted mean over the batches (outputs before each step).
        diagnostics (bool or Diagnostics): record :class:`Diagnostics` each step. Default: False.

    torch counterpart: a plain torch loop, ``reference.train.fit``; skorch's ``NeuralNet.fit`` runs
    the same epoch (train batches, validation, callbacks) but draws its batches with torch's generator.

    Example:
        >>> hist = fit(model, MSELoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=10, batch_size=16)
        >>> hist["loss"][-1] < hist["loss"][0]
        True
    """
    epochs = _int_at_least("epochs", epochs, 0, "fit")
    batch_size = _int_at_least("batch_size", batch_size, 1, "fit")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split!r}")
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"fit: X and y must have the same number of rows, got {len(X)} and {len(y)}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if validation_data is not None:
        X_val, y_val = (np.asarray(a) for a in validation_data)
    elif validation_split > 0:
        (X, y), (X_val, y_val) = split_validation(X, y, validation_split)
    else:
        X_val = y_val = None
    n = len(X)
    if n == 0:
        raise ValueError("fit: no training rows left (X is empty or validation_split took them all)")
    diag = Diagnostics() if diagnostics is True else (diagnostics or None)
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
            rows = order[start:start + batch_size]
            X_b, y_b = X[rows], y[rows]
            optimizer.zero_grad()
            out = model(X_b)
            value = float(loss_fn(out, y_b)) + sum(float(p(model)) for p in penalties)
            if diag is not None:
                diag.after_forward(model)
            _backward(model, loss_fn.backward())
            for p in penalties:
                p.backward(model)
            if diag is not None:
                diag.after_backward(model)
            optimizer.step()
            if diag is not None:
                diag.after_step(model)
            total += value * len(rows)
            if metric is not None:
                total_metric += float(metric(out, y_b)) * len(rows)
        logs = {"epoch": epoch, "loss": total / n, "lr": lr}
        if metric is not None:
            logs["metric"] = total_metric / n
        if X_val is not None:
            model.eval()
            out = model(X_val)
            logs["val_loss"] = float(loss_fn(out, y_val))
            if metric is not None:
                logs["val_metric"] = float(metric(out, y_val))
            model.train()
        if diag is not None:
            logs["diagnostics"] = diag.on_epoch_end()
        if scheduler is not None:
            if isinstance(scheduler, ReduceLROnPlateau):
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
    return history


class EarlyStopping(Callback):
    r"""Stop when ``monitor`` has not improved for ``patience`` epochs (Keras's and skorch's callback).

    Improvement (``best`` starts at +inf for 'min', -inf for 'max')::

        min:  current < best - min_delta        max:  current > best + min_delta

    On improvement ``best = current`` and the miss count ``wait`` is reset to 0, else ``wait += 1``;
    training stops after the epoch at which ``wait == patience``. This is skorch's rule with
    ``threshold_mode='abs', threshold=min_delta``; skorch's DEFAULT is ``threshold_mode='rel'``,
    ``threshold=1e-4`` (improvement: ``current < best (1 - 1e-4)``), which scratch does not follow:
    ``min_delta`` is absolute, as Keras's.
    ``mode='auto'`` is 'max' when the monitor's name contains 'acc', else 'min' (Keras 2's rule).

    ``restore_best_weights``: the weights (``state_dict``) of the best epoch are loaded when training
    ends, whether it stopped early or ran out of epochs (skorch's ``load_best``; Keras 2 restored only
    when it stopped). ``best_epoch`` and ``stopped_epoch`` are 1-based epochs (None when not reached).

    Args:
        monitor (str): a key of the epoch's logs: 'loss', 'val_loss', 'metric', 'val_metric'. Default: 'val_loss'.
        min_delta (float): least absolute change that counts as improvement, >= 0. Default: 0.0.
        patience (int): epochs without improvement before stopping, >= 1. Default: 5.
        mode ({'min', 'max', 'auto'}): whether the monitor should decrease or increase. Default: 'min'.
        restore_best_weights (bool): load the best epoch's weights at the end. Default: False.

    torch counterpart: ``skorch.callbacks.EarlyStopping(monitor='valid_loss', patience, threshold=min_delta,
    threshold_mode='abs', lower_is_better=(mode == 'min'), load_best=restore_best_weights)``.

    Example:
        >>> stop = EarlyStopping(patience=3, restore_best_weights=True)
        >>> hist = fit(model, loss_fn, opt, X, y, 100, 32, validation_split=0.2, callbacks=[stop])
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=5, mode="min", restore_best_weights=False):
        if not isinstance(monitor, str):
            raise ValueError(f"EarlyStopping: monitor must be a str, got {monitor!r}")
        if not (isinstance(min_delta, numbers.Real) and min_delta >= 0):
            raise ValueError(f"EarlyStopping: min_delta must be a number >= 0, got {min_delta!r}")
        if mode not in ("min", "max", "auto"):
            raise ValueError(f"EarlyStopping: mode must be one of 'min', 'max', 'auto', got {mode!r}")
        self.monitor, self.min_delta = monitor, float(min_delta)
        self.patience = _int_at_least("patience", patience, 1, "EarlyStopping")
        self.mode, self.restore_best_weights = mode, bool(restore_best_weights)
        self.on_train_begin(None)

    @property
    def lower_is_better(self):
        return self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor)

    def on_train_begin(self, model):
        self.best = math.inf if self.lower_is_better else -math.inf
        self.wait = 0
        self.best_epoch = self.stopped_epoch = None
        self.best_weights = None

    def improved(self, current):
        """Whether ``current`` improves on ``best`` by more than ``min_delta``."""
        if self.lower_is_better:
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs, model):
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping: monitor {self.monitor!r} is not among the epoch's logs "
                           f"{sorted(logs)}; 'val_*' needs validation_data or validation_split")
        current = logs[self.monitor]
        if self.improved(current):
            self.best, self.wait, self.best_epoch = current, 0, epoch
            if self.restore_best_weights:
                self.best_weights = model.state_dict()
        else:
            self.wait += 1
        if self.wait == self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, model):
        if self.restore_best_weights and self.best_weights is not None:
            model.load_state_dict(self.best_weights)

    def __repr__(self):
        return (f"EarlyStopping(monitor={self.monitor!r}, min_delta={self.min_delta}, patience={self.patience}, "
                f"mode={self.mode!r}, restore_best_weights={self.restore_best_weights})")


class _Penalty:
    """Shared by the penalties: which parameters, the value and the gradient added into ``.grad``."""

    def __init__(self, factor, which="weights"):
        if not (isinstance(factor, numbers.Real) and factor >= 0):
            raise ValueError(f"{type(self).__name__}: factor must be a number >= 0, got {factor!r}")
        if not (which in ("weights", "all") or callable(which) or isinstance(which, (list, tuple))):
            raise ValueError(f"{type(self).__name__}: which must be 'weights', 'all', a list of parameter "
                             f"names or a callable (name, param) -> bool, got {which!r}")
        self.factor, self.which = float(factor), which

    def selected(self, model):
        """``[(name, Parameter)]`` the penalty applies to."""
        params = model.named_parameters()
        if self.which == "weights":
            return [(n, p) for n, p in params if n.split(".")[-1] == "weight" and p.data.ndim >= 2]
        if self.which == "all":
            return params
        if callable(self.which):
            return [(n, p) for n, p in params if self.which(n, p)]
        unknown = sorted(set(self.which) - {n for n, _ in params})
        if unknown:
            raise KeyError(f"{type(self).__name__}: unknown parameter names {unknown}; "
                           f"known: {[n for n, _ in params]}")
        return [(n, p) for n, p in params if n in self.which]

    def __call__(self, model):
        """The penalty's value, a 0-d array of the parameters' dtype."""
        terms = [self._term(p.data) for _, p in self.selected(model)]
        if not terms:
            params = model.parameters()
            return np.zeros((), dtype=params[0].dtype if params else np.float64)
        return sum(terms[1:], terms[0])

    def backward(self, model):
        """Add the penalty's gradient into each selected parameter's ``.grad``."""
        for _, p in self.selected(model):
            p.accumulate(self._grad(p.data))

    def __repr__(self):
        return f"{type(self).__name__}(factor={self.factor}, which={self.which!r})"


class L1Penalty(_Penalty):
    r"""Lasso term ``factor * sum_i |w_i|`` over the selected parameters, added to the loss.

    Derivative: ``factor * sign(w)``, 0 at ``w = 0`` (torch's ``abs`` backward).
    ``which``: 'weights' (default: every parameter named ``weight`` with 2 or more dimensions: Linear
    and convolution weights, not biases nor norm scales), 'all', a list of names or a callable
    ``(name, param) -> bool``.

    torch counterpart: ``loss = loss + factor * sum(p.abs().sum() for p in weights)`` (``reference.train.L1Penalty``).

    Example:
        >>> hist = fit(model, loss_fn, opt, X, y, 10, 32, penalties=[L1Penalty(1e-4)])
    """

    def _term(self, w):
        return w.dtype.type(self.factor) * np.abs(w).sum()

    def _grad(self, w):
        return w.dtype.type(self.factor) * np.sign(w)


class L2Penalty(_Penalty):
    r"""Ridge term ``factor * sum_i w_i^2`` over the selected parameters, added to the loss.

    Derivative: ``2 factor w``. Not ``weight_decay``: ``SGD(weight_decay=wd)`` adds ``wd * w`` to the
    gradient (so ``wd = 2 factor`` gives the same step for plain SGD) but never appears in the loss, and
    applies to every parameter of its group, biases included; under Adam an L2 penalty and Adam's
    ``weight_decay`` both go through the adaptive scaling, while AdamW's decoupled decay does not.
    ``which`` as for :class:`L1Penalty` (biases excluded by default). scikit-learn's ``alpha`` is
    ``factor = alpha / (2 n_batch)``.

    torch counterpart: ``loss = loss + factor * sum((p * p).sum() for p in weights)`` (``reference.train.L2Penalty``).

    Example:
        >>> hist = fit(model, loss_fn, opt, X, y, 10, 32, penalties=[L2Penalty(1e-4)])
    """

    def _term(self, w):
        return w.dtype.type(self.factor) * (w * w).sum()

    def _grad(self, w):
        return w.dtype.type(2 * self.factor) * w


class LRFinder:
    r"""Learning-rate range test (Smith 2017; torch-lr-finder's ``LRFinder``), restoring the model after.

    ``range_test`` takes ``num_iter`` steps, step ``i`` at the rate (``r = i / (num_iter - 1)``, so the
    last step tries ``end_lr`` itself)::

        exp:     lr_i = start_lr * (end_lr / start_lr) ** r
        linear:  lr_i = start_lr + r * (end_lr - start_lr)

    on batches taken in order from ``X`` (rows ``[0, b), [b, 2b), ...``, the last one shorter, then
    from the start again: a DataLoader with ``shuffle=False``). It records the training loss of each
    step (taken before the step) smoothed as torch-lr-finder does, an exponential moving average with
    no bias correction (fastai's debiased one differs in the first steps)::

        s_0 = loss_0,   s_i = smooth_f * loss_i + (1 - smooth_f) * s_(i-1)

    and stops after the first step with ``s_i > diverge_th * min_(j<=i) s_j`` (that point is kept).
    Afterwards the model's ``state_dict``, its gradients and the optimizer's ``state_dict`` (its rates
    included) are put back as they were: torch-lr-finder leaves that to ``reset()``.

    ``suggestion(skip_start=10, skip_end=5)``: torch-lr-finder's 'steepest' rule. Drop the first
    ``skip_start`` and last ``skip_end`` points; the suggested rate is the one where
    ``numpy.gradient`` of the smoothed losses (with respect to the step index, so per log-rate step in
    'exp' mode) is most negative. fastai's ``lr_find`` suggests other rates (a tenth of the rate at the
    lowest loss, or its own 'steep' point on the debiased curve); scratch does not follow those.

    torch counterpart: ``torch_lr_finder.LRFinder(model, optimizer, criterion).range_test(loader, ...)``
    then ``plot(suggest_lr=True)`` and ``reset()``.

    Example:
        >>> finder = LRFinder(model, optimizer, loss_fn)
        >>> lrs, losses = finder.range_test(X, y, start_lr=1e-5, end_lr=10, num_iter=100)
        >>> lr = finder.suggestion()
    """

    def __init__(self, model, optimizer, loss_fn):
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.history = {"lr": [], "loss": []}
        self.best_loss = None

    def range_test(self, X, y, start_lr=None, end_lr=10.0, num_iter=100, step_mode="exp", smooth_f=0.05,
                   diverge_th=5, *, batch_size=None):
        """Run the test; returns ``(lrs, smoothed_losses)`` (also in ``self.history``).

        ``start_lr`` None keeps the optimizer's rates as the start; ``batch_size`` None uses every row.
        """
        num_iter = _int_at_least("num_iter", num_iter, 2, "LRFinder.range_test")
        if step_mode not in ("exp", "linear"):
            raise ValueError(f"LRFinder.range_test: step_mode must be 'exp' or 'linear', got {step_mode!r}")
        if not 0 <= smooth_f < 1:
            raise ValueError(f"LRFinder.range_test: smooth_f must be in [0, 1), got {smooth_f!r}")
        X, y = np.asarray(X), np.asarray(y)
        n = len(X)
        batch_size = n if batch_size is None else _int_at_least("batch_size", batch_size, 1, "LRFinder.range_test")
        saved_model = self.model.state_dict()
        saved_grads = [None if p.grad is None else p.grad.copy() for p in self.model.parameters()]
        saved_opt = self.optimizer.state_dict()
        self.history = {"lr": [], "loss": []}
        self.best_loss = None
        try:
            groups = self.optimizer.param_groups
            base_lrs = [start_lr] * len(groups) if start_lr else [g["lr"] for g in groups]
            starts = list(range(0, n, batch_size))
            for i in range(num_iter):
                r = i / (num_iter - 1)
                lrs = [b * (end_lr / b) ** r if step_mode == "exp" else b + r * (end_lr - b) for b in base_lrs]
                for g, lr in zip(groups, lrs):
                    g["lr"] = lr
                start = starts[i % len(starts)]
                loss = self._train_batch(X[start:start + batch_size], y[start:start + batch_size])
                self.history["lr"].append(lrs[0])
                if i == 0:
                    self.best_loss = loss
                else:
                    if smooth_f > 0:
                        loss = smooth_f * loss + (1 - smooth_f) * self.history["loss"][-1]
                    self.best_loss = min(self.best_loss, loss)
                self.history["loss"].append(loss)
                if loss > diverge_th * self.best_loss:
                    break
        finally:
            self.model.load_state_dict(saved_model)
            for p, g in zip(self.model.parameters(), saved_grads):
                p.grad = g
            self.optimizer.load_state_dict(saved_opt)
        return list(self.history["lr"]), list(self.history["loss"])

    def _train_batch(self, X_b, y_b):
        self.model.train()
        self.optimizer.zero_grad()
        loss = float(self.loss_fn(self.model(X_b), y_b))
        _backward(self.model, self.loss_fn.backward())
        self.optimizer.step()
        return loss

    def suggestion(self, skip_start=10, skip_end=5):
        """The rate at the steepest descent of the smoothed curve (torch-lr-finder's rule, see the class)."""
        lrs, losses = self.history["lr"], self.history["loss"]
        if len(lrs) < skip_start + skip_end + 2:
            raise RuntimeError(f"Need at least {skip_start + skip_end + 2} iterations to suggest a "
                               f"learning rate. Got {len(lrs)}")
        stop = len(lrs) - skip_end
        lrs, losses = lrs[skip_start:stop], losses[skip_start:stop]
        return lrs[int(np.gradient(np.array(losses)).argmin())]


class Diagnostics:
    r"""Per-layer training diagnostics of a ``Sequential``, per step and averaged per epoch.

    For each step, keyed by the child's name in the Sequential ('0', '2', ...):

    - ``grad_norm``: ``||dL/dW||_F`` of each layer's ``weight``, penalties included (the gradient the
      optimizer sees).
    - ``update_ratio``: ``||W_after - W_before||_F / ||W_before||_F`` of each layer's weight over the step.
    - ``dead_relu``: for each ReLU, the fraction of its units whose output is 0 for every sample of the
      batch (``all(y == 0, axis=0)``, over the batch axis; features flattened).
    - ``saturated``: for each Sigmoid the fraction of outputs (samples x units) with
      ``y < saturation`` or ``y > 1 - saturation``; for each Tanh, ``|y| > 1 - saturation``.
      Default threshold ``saturation=0.01`` (the local derivative is then below ~4% of its peak for
      Sigmoid, 2% for Tanh).

    ``steps`` holds one dict per step; ``epochs`` one dict of per-epoch means (what ``fit`` logs).
    Activations are read from what each activation caches in ``forward`` (``y``).

    torch counterpart: ``reference.train.Diagnostics`` (forward hooks on ``nn.ReLU``/``Sigmoid``/``Tanh``).
    """

    def __init__(self, saturation=0.01):
        if not 0 < saturation < 0.5:
            raise ValueError(f"Diagnostics: saturation must be in (0, 0.5), got {saturation!r}")
        self.saturation = saturation
        self.steps, self.epochs = [], []
        self._epoch = []

    def _layers(self, model):
        children = model.children() if isinstance(model, Sequential) else [("0", model)]
        return children

    def on_epoch_begin(self):
        self._epoch = []

    def after_forward(self, model):
        step = {"grad_norm": {}, "update_ratio": {}, "dead_relu": {}, "saturated": {}}
        for name, m in self._layers(model):
            if isinstance(m, (ReLU, Sigmoid, Tanh)):
                y = m.y.reshape(len(m.y), -1)
                if isinstance(m, ReLU):
                    step["dead_relu"][name] = float(np.mean(np.all(y == 0, axis=0)))
                elif isinstance(m, Sigmoid):
                    step["saturated"][name] = float(np.mean((y < self.saturation) | (y > 1 - self.saturation)))
                else:
                    step["saturated"][name] = float(np.mean(np.abs(y) > 1 - self.saturation))
        self._step = step

    def after_backward(self, model):
        self._before = {}
        for name, m in self._layers(model):
            w = getattr(m, "weight", None)
            if w is not None and w.grad is not None:
                self._step["grad_norm"][name] = float(np.sqrt(np.sum(w.grad * w.grad)))
                self._before[name] = w.data.copy()

    def after_step(self, model):
        for name, m in self._layers(model):
            if name in self._before:
                before = self._before[name]
                delta = m.weight.data - before
                self._step["update_ratio"][name] = float(np.sqrt(np.sum(delta * delta))
                                                         / np.sqrt(np.sum(before * before)))
        self.steps.append(self._step)
        self._epoch.append(self._step)

    def on_epoch_end(self):
        means = {kind: {name: float(np.mean([s[kind][name] for s in self._epoch]))
                        for name in self._epoch[0][kind]} for kind in self._epoch[0]} if self._epoch else {}
        self.epochs.append(means)
        return means

    def __repr__(self):
        return f"Diagnostics(saturation={self.saturation})"
