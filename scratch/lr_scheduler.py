"""Learning-rate schedulers after ``torch.optim.lr_scheduler``.

A scheduler rewrites ``optimizer.param_groups[i]['lr']``. Like torch 2.13's, each ``step()`` computes
the new rate from the group's *current* rate (the "chainable" form), not from a closed formula, so
the sequence agrees with torch's to the last bit; the closed forms in the docstrings are what the
recurrences amount to. Constructing a scheduler takes its first step (``last_epoch`` becomes 0) and
stores each group's starting rate as ``group['initial_lr']`` (the ``base_lrs``).
"""
import math

from .optim import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR",
           "OneCycleLR", "ReduceLROnPlateau"]

_LAST_EPOCH = """last_epoch (int, optional): index of the last epoch; -1 starts a new schedule, any other
            value resumes one (each group must then hold ``initial_lr``). Default: -1."""


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def _per_group(name, optimizer, value):
    """One value per param group: a list/tuple of the right length, or a scalar repeated."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{name} must have the same length as optimizer.param_groups; {name} has "
                             f"{len(value)} values, param_groups has {len(optimizer.param_groups)}")
        return list(value)
    return [value] * len(optimizer.param_groups)


class LRScheduler:
    """Base class of the epoch-indexed schedulers (``torch.optim.lr_scheduler.LRScheduler``).

    Subclasses implement ``get_lr()``, the rates for epoch ``last_epoch`` (already advanced);
    ``step()`` advances ``last_epoch``, writes the rates into the groups and records them for
    ``get_last_lr()``. ``state_dict()`` is every attribute but the optimizer, as torch's.
    """

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when "
                                   f"resuming a scheduler with last_epoch={last_epoch} (>= 0)")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self):
        raise NotImplementedError

    def _lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self):
        """Advance one epoch and set each group's ``lr`` to the schedule's value."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = self._lrs()

    def get_last_lr(self):
        """The rates set by the last ``step()``, one per param group."""
        return self._last_lr

    def state_dict(self):
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs (``torch.optim.lr_scheduler.StepLR``).

    ``lr_epoch = gamma * lr_(epoch-1)`` when ``epoch % step_size == 0`` (epoch > 0), else unchanged;
    in closed form ``base_lr * gamma ** (epoch // step_size)``.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        step_size (int): period of the decay, in epochs.
        gamma (float, optional): multiplicative factor. Default: 0.1.
        {last_epoch}

    Example:
        >>> sched = StepLR(opt, step_size=30, gamma=0.1)   # 0.05 for 30 epochs, 0.005 for 30, ...
        >>> for epoch in range(100): train(...); sched.step()
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not (isinstance(step_size, int) and step_size > 0):
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]


class MultiStepLR(LRScheduler):
    """Multiply the rate by ``gamma`` at each milestone epoch (``torch.optim.lr_scheduler.MultiStepLR``).

    ``lr_epoch = gamma ** k * lr_(epoch-1)`` where ``k`` is how often ``epoch`` appears in
    ``milestones`` (a repeated milestone decays twice); in closed form
    ``base_lr * gamma ** (number of milestones <= epoch)``.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        milestones (iterable of int): epochs at which to decay.
        gamma (float, optional): multiplicative factor. Default: 0.1.
        {last_epoch}

    Example:
        >>> sched = MultiStepLR(opt, milestones=[30, 80], gamma=0.1)
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = {}
        for m in milestones:
            self.milestones[m] = self.milestones.get(m, 0) + 1
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch (``torch.optim.lr_scheduler.ExponentialLR``).

    ``lr_epoch = gamma * lr_(epoch-1)``; in closed form ``base_lr * gamma ** epoch`` (the recurrence
    differs from it in the last bits, and torch uses the recurrence).

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        gamma (float): multiplicative factor.
        {last_epoch}

    Example:
        >>> sched = ExponentialLR(opt, gamma=0.9)
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the base rate to ``eta_min`` over ``T_max`` epochs
    (``torch.optim.lr_scheduler.CosineAnnealingLR``).

    Closed form (SGDR without restarts)::

        lr_t = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2

    torch steps by the recurrence
    ``lr_t = (1 + cos(pi t / T_max)) / (1 + cos(pi (t-1) / T_max)) (lr_(t-1) - eta_min) + eta_min``,
    switching at ``(t - 1 - T_max) % (2 T_max) == 0`` (the minimum, where the ratio is 0/0) to
    ``lr_t = lr_(t-1) + (base_lr - eta_min) (1 - cos(pi / T_max)) / 2``; past ``T_max`` the rate rises
    again along the cosine (it is periodic, not clamped). This is what runs here.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        T_max (int): half-period, in epochs.
        eta_min (float, optional): minimum rate. Default: 0.0.
        {last_epoch}

    Example:
        >>> sched = CosineAnnealingLR(opt, T_max=100)
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be > 0, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._lrs()
        if self._step_count == 1 and t > 0:
            return [eta_min + (base_lr - eta_min) * (1 + math.cos(t * math.pi / T_max)) / 2
                    for base_lr in self.base_lrs]
        if (t - 1 - T_max) % (2 * T_max) == 0:
            return [lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
                    for base_lr, lr in zip(self.base_lrs, self._lrs())]
        return [(1 + math.cos(math.pi * t / T_max)) / (1 + math.cos(math.pi * (t - 1) / T_max))
                * (lr - eta_min) + eta_min for lr in self._lrs()]


class LinearLR(LRScheduler):
    """Scale the rate by a factor moving linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs (``torch.optim.lr_scheduler.LinearLR``).

    Closed form ``base_lr * (start + (end - start) min(t, total_iters) / total_iters)``. torch steps by
    ``lr_0 = start * lr`` and, for ``0 < t <= total_iters``,
    ``lr_t = lr_(t-1) (1 + (end - start) / (total_iters start + (t - 1)(end - start)))``; this runs here.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        start_factor (float, optional): factor at epoch 0, in (0, 1]. Default: 1/3.
        end_factor (float, optional): factor from ``total_iters`` on, in [0, 1]. Default: 1.0.
        total_iters (int, optional): number of epochs of the ramp. Default: 5.
        {last_epoch}

    Example:
        >>> sched = LinearLR(opt, start_factor=0.1, total_iters=10)   # warm-up
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and less or "
                             f"equal to 1 (start_factor), got {start_factor!r}")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(f"Ending multiplicative factor expected to be between 0 and 1 (end_factor), "
                             f"got {end_factor!r}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, start, end = self.last_epoch, self.start_factor, self.end_factor
        if t == 0:
            return [lr * start for lr in self._lrs()]
        if self._is_initial or t > self.total_iters:
            return self._lrs()
        return [lr * (1.0 + (end - start) / (self.total_iters * start + (t - 1) * (end - start)))
                for lr in self._lrs()]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (``torch.optim.lr_scheduler.OneCycleLR``), stepped once per batch.

    The rate anneals from ``initial_lr = max_lr / div_factor`` up to ``max_lr`` over the first
    ``pct_start * total_steps - 1`` steps, then down to ``min_lr = initial_lr / final_div_factor`` at step
    ``total_steps - 1`` (with ``three_phase``: up, back down to ``initial_lr``, then to ``min_lr``). Each
    phase anneals by::

        cos:     end + (start - end) / 2 (1 + cos(pi pct))
        linear:  (end - start) pct + start

    with ``pct`` the fraction of the phase done. With ``cycle_momentum`` the momentum (or Adam's
    ``beta1``) moves the opposite way between ``max_momentum`` and ``base_momentum``. The groups keep
    ``initial_lr``, ``max_lr``, ``min_lr``, ``max_momentum`` and ``base_momentum``, as torch's do.
    Stepping past ``total_steps`` raises ValueError. Differs from Smith (2018): the annealing is cosine by
    default and the last phase goes below the initial rate, as in fastai.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        max_lr (float or list): peak rate, per group if a list.
        total_steps (int, optional): length of the cycle; else ``epochs * steps_per_epoch``.
        epochs (int, optional), steps_per_epoch (int, optional): used when total_steps is None.
        pct_start (float, optional): fraction of the cycle spent increasing the rate. Default: 0.3.
        anneal_strategy ({{'cos', 'linear'}}, optional): Default: 'cos'.
        cycle_momentum (bool, optional): cycle momentum inversely to the rate. Default: True.
        base_momentum (float or list, optional): lowest momentum. Default: 0.85.
        max_momentum (float or list, optional): highest momentum. Default: 0.95.
        div_factor (float, optional): ``initial_lr = max_lr / div_factor``. Default: 25.0.
        final_div_factor (float, optional): ``min_lr = initial_lr / final_div_factor``. Default: 1e4.
        three_phase (bool, optional): use the three-phase schedule. Default: False.
        {last_epoch}

    Example:
        >>> sched = OneCycleLR(opt, max_lr=0.1, total_steps=1000)
        >>> for batch in batches: train(batch); sched.step()
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False, last_epoch=-1):
        _check_optimizer(optimizer)
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps!r}")
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs!r}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch!r}")
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy!r}")
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        up = float(pct_start * total_steps) - 1
        if three_phase:
            self._phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr",
                             "base_momentum", "max_momentum"),
                            (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, _per_group("max_lr", optimizer, max_lr)):
                group["initial_lr"] = lr / div_factor
                group["max_lr"] = lr
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
            self.use_beta1 = "betas" in optimizer.defaults
            if last_epoch == -1:
                for group, top, low in zip(optimizer.param_groups,
                                           _per_group("max_momentum", optimizer, max_momentum),
                                           _per_group("base_momentum", optimizer, base_momentum)):
                    self._set_momentum(group, top)
                    group["max_momentum"] = top
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"Tried to step {t} times. The specified number of total steps is {self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, (end_step, lr_from, lr_to, mom_from, mom_to) in enumerate(self._phases):
                if t <= end_step or i == len(self._phases) - 1:
                    pct = (t - start_step) / (end_step - start_step)
                    lrs.append(self._anneal(group[lr_from], group[lr_to], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[mom_from], group[mom_to], pct))
                    break
                start_step = end_step
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Divide the rate when a metric stops improving (``torch.optim.lr_scheduler.ReduceLROnPlateau``).

    ``step(metrics)`` counts epochs without improvement, where improvement means (mode, threshold_mode)::

        min, rel:  a < best (1 - threshold)        max, rel:  a > best (1 + threshold)
        min, abs:  a < best - threshold            max, abs:  a > best + threshold

    After more than ``patience`` such epochs, each group's rate becomes ``max(lr factor, min_lr)``
    (the change is skipped if smaller than ``eps``), then ``cooldown`` epochs pass in which bad epochs are
    not counted. Unlike the epoch schedulers it takes no initial step and sets no ``initial_lr``.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        mode ({{'min', 'max'}}, optional): whether the metric should decrease or increase. Default: 'min'.
        factor (float, optional): ``new_lr = lr * factor``, must be < 1. Default: 0.1.
        patience (int, optional): bad epochs tolerated before reducing. Default: 10.
        threshold (float, optional): least change that counts as an improvement. Default: 1e-4.
        threshold_mode ({{'rel', 'abs'}}, optional): relative or absolute threshold. Default: 'rel'.
        cooldown (int, optional): epochs to wait after a reduction. Default: 0.
        min_lr (float or list, optional): lower bound on the rate, per group if a list. Default: 0.
        eps (float, optional): smallest reduction applied. Default: 1e-8.

    Example:
        >>> sched = ReduceLROnPlateau(opt, mode='min', patience=5)
        >>> for epoch in range(100): train(...); sched.step(validation_loss)
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0 (factor), got {factor!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.factor = factor
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.mode = mode
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._reset()

    def _reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _is_better(self, a, best):
        if self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold) if self.mode == "min" else a > best * (self.threshold + 1.0)
        return a < best - self.threshold if self.mode == "min" else a > best + self.threshold

    def step(self, metrics):
        """Record one epoch's metric and reduce the rates if it has plateaued."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"The optimizer has {len(groups)} param groups but min_lr was given "
                                   f"for {len(self.min_lrs)}; update `min_lrs` to match")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr


for _cls in (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, OneCycleLR, ReduceLROnPlateau):
    _cls.__doc__ = _cls.__doc__.format(last_epoch=_LAST_EPOCH)
