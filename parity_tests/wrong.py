"""Deliberately wrong implementations, one classic mistake each, that the checks must catch.

Each is a subclass of the scratch class with one method broken (for a function, a wrapper of
scratch's). ``WRONG`` maps a mistake to ``(contract name, wrong class, component, kinds)``: some check
of that registry component (``Entry.name``) of one of those kinds must fail. ``swap(name, cls)`` gives
a namespace that is scratch with one name replaced.
"""
import math
import types

import numpy as np

import scratch
from scratch import optim, train


def swap(name, cls, module=scratch):
    """``module`` (scratch), with ``name`` replaced by ``cls``."""
    return types.SimpleNamespace(**{**{n: getattr(module, n) for n in dir(module)}, name: cls})


class ReLUGradOneAtZero(scratch.ReLU):
    """ReLU'(0) = 1 (``x >= 0``), where torch takes 0."""

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, grad_y):
        return grad_y * (self.x >= 0)


class ReLUInPlace(scratch.ReLU):
    """Clips its input array in place."""

    def forward(self, x):
        self.x = x
        x[x < 0] = 0
        return x


class SigmoidUpcast(scratch.Sigmoid):
    """float32 in, float64 out: a float64 constant in the formula."""

    def forward(self, x):
        return super().forward(x) * np.float64(1.0)


class SoftmaxNoShift(scratch.Softmax):
    """exp without subtracting the max: overflow to inf/nan for large logits."""

    def forward(self, x):
        e = np.exp(x)
        self.y = e / e.sum(axis=self.dim, keepdims=True)
        return self.y


class SoftmaxDiagonalJacobian(scratch.Softmax):
    """Backward with only the Jacobian's diagonal, ``g * y * (1 - y)``: hidden by a ``.sum()`` upstream."""

    def backward(self, grad_y):
        return grad_y * self.y * (1 - self.y)


class MSENotAveraged(scratch.MSELoss):
    """'mean' gradient not divided by the number of elements: N times torch's."""

    def backward(self, grad_output=1.0):
        g = super().backward(grad_output)
        return g * g.dtype.type(g.size) if self.reduction == "mean" else g


class LinearTransposedGrad(scratch.Linear):
    """Weight gradient as x^T g, the transpose of torch's layout."""

    def backward(self, grad_y):
        x2 = self.x.reshape(-1, self.in_features)
        g2 = grad_y.reshape(-1, self.out_features)
        self.weight.accumulate((x2.T @ g2).reshape(self.weight.data.shape))
        if self.bias is not None:
            self.bias.accumulate(g2.sum(axis=0))
        return grad_y @ self.weight.data


class LinearBiasMean(scratch.Linear):
    """Bias gradient averaged over the batch instead of summed."""

    def backward(self, grad_y):
        grad_x = super().backward(grad_y)
        if self.bias is not None:
            g2 = grad_y.reshape(-1, self.out_features)
            self.bias.grad -= g2.sum(axis=0) - g2.mean(axis=0)
        return grad_x


class SGDAveragedMomentum(scratch.SGD):
    """The tutorials' momentum v = beta v + (1 - beta) g, where torch has v = beta v + g."""

    def step(self):
        for group in self.param_groups:
            beta, lr = group["momentum"], group["lr"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                v = self.state.setdefault(p, {}).get("v")
                v = (1 - beta) * p.grad if v is None else beta * v + (1 - beta) * p.grad
                self.state[p]["v"] = v
                p.data -= lr * v



class SGDDampenedFirstStep(scratch.SGD):
    """Dampening from step 1: the buffer starts at zero, so b_1 = (1 - tau) g where torch has b_1 = g."""

    def _update(self, p, g, state, group):
        if group["momentum"] != 0:
            state.setdefault("momentum_buffer", np.zeros_like(p.data))
        super()._update(p, g, state, group)


class SGDNesterovStaleBuffer(scratch.SGD):
    """Nesterov's look-ahead from the previous buffer, g + mu b_(t-1), where torch takes g + mu b_t."""

    def _update(self, p, g, state, group):
        lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
        g = optim._weight_decay(p, g, lr, group["weight_decay"], False)
        b = state.get("momentum_buffer")
        stale = np.zeros_like(g) if b is None else b
        b = state["momentum_buffer"] = g.copy() if b is None else mu * b + (1 - tau) * g
        p.data -= lr * (g + mu * stale if group["nesterov"] else b)


def _adam_moments(p, g, state, group):
    """Adam's bookkeeping as scratch keeps it (weight decay, ``m_t``, ``v_t``); returns ``(t, m_t, v_t)``."""
    t, _, m, v = optim._adam_moments_(p, g, state, group)
    return t, m, v


class AdamNoBiasCorrection(scratch.Adam):
    """``m_t / (sqrt(v_t) + eps)`` without dividing by ``1 - beta^t``: the first steps come out wrong."""

    def _update(self, p, g, state, group):
        t, m, v = _adam_moments(p, g, state, group)
        p.data -= group["lr"] * m / (np.sqrt(v) + group["eps"])


class AdamEpsInsideSqrt(scratch.Adam):
    """``sqrt(v^_t + eps)`` where torch has ``sqrt(v^_t) + eps``."""

    def _update(self, p, g, state, group):
        t, m, v = _adam_moments(p, g, state, group)
        beta1, beta2 = group["betas"]
        p.data -= group["lr"] / (1 - beta1 ** t) * m / np.sqrt(v / (1 - beta2 ** t) + group["eps"])


class AdamWCoupledDecay(scratch.AdamW):
    """Decay added to the gradient (Adam's L2 form), where AdamW shrinks the parameter directly."""

    def _update(self, p, g, state, group):
        super()._update(p, g, state, {**group, "decoupled_weight_decay": False})


class AdamStateNotRestored(scratch.Adam):
    """``load_state_dict`` restores the options but not the moments: a resumed run restarts at step 1."""

    def load_state_dict(self, state_dict):
        super().load_state_dict({**state_dict, "state": {}})


class RMSpropCenteredIgnored(scratch.RMSprop):
    """``centered=True`` ignored: divides by ``sqrt(v_t)``, not by ``sqrt(v_t - g_ave^2)``."""

    def _update(self, p, g, state, group):
        super()._update(p, g, state, {**group, "centered": False})


class AdagradNoLrDecay(scratch.Adagrad):
    """``lr_decay`` ignored: the rate stays ``lr`` instead of ``lr / (1 + (t - 1) lr_decay)``."""

    def _update(self, p, g, state, group):
        super()._update(p, g, state, {**group, "lr_decay": 0.0})


class AdadeltaNoLr(scratch.Adadelta):
    """The paper's rule, ``theta -= dx``: torch's ``lr`` ignored."""

    def _update(self, p, g, state, group):
        super()._update(p, g, state, {**group, "lr": 1.0})


class AdamaxNoEps(scratch.Adamax):
    """``u_t = max(beta2 u_(t-1), |g_t|)`` without torch's ``+ eps`` (0/0 where a gradient starts at 0)."""

    def _update(self, p, g, state, group):
        super()._update(p, g, state, {**group, "eps": 0.0})


class NAdamNoMomentumSchedule(scratch.NAdam):
    """A constant ``mu_t = beta1`` (``psi = inf``), without torch's ``beta1 (1 - 0.5 0.96^(t psi))``."""

    def _update(self, p, g, state, group):
        super()._update(p, g, state, {**group, "momentum_decay": math.inf})


class RAdamThresholdFour(scratch.RAdam):
    """Rectifies from ``rho_t > 4`` (the paper's bound), where torch waits for ``rho_t > 5``."""

    def _update(self, p, g, state, group):
        t, m, v = _adam_moments(p, g, state, group)
        beta1, beta2 = group["betas"]
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
        step = group["lr"] * m / (1 - beta1 ** t)
        if rho_t > 4:
            r_t = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            step *= r_t * (1 - beta2 ** t) ** 0.5 / (np.sqrt(v) + group["eps"])
        p.data -= step


class StepLROneEpochEarly(scratch.StepLR):
    """Closed form counting epochs from 1, ``gamma^((epoch + 1) // step_size)``: each decay one epoch early."""

    def get_lr(self):
        return [base_lr * self.gamma ** ((self.last_epoch + 1) // self.step_size) for base_lr in self.base_lrs]


class PlateauNoCooldown(scratch.ReduceLROnPlateau):
    """``cooldown`` ignored: bad epochs count again right after a cut."""

    in_cooldown = False


def clip_grad_norm_no_eps(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scales by ``max_norm / total_norm``, without torch's ``+ 1e-6`` in the denominator."""
    params = [parameters] if isinstance(parameters, scratch.Parameter) else list(parameters)
    total = scratch.clip_grad_norm_(params, math.inf, norm_type, error_if_nonfinite)
    for p in params:
        if p.grad is not None:
            p.grad *= np.minimum(max_norm / total, 1).astype(p.grad.dtype)
    return total


def clip_grad_value_above_only(parameters, clip_value):
    """Clips at ``+clip_value`` only, leaving large negative gradients as they are."""
    for p in [parameters] if isinstance(parameters, scratch.Parameter) else parameters:
        if p.grad is not None:
            np.minimum(p.grad, clip_value, out=p.grad)


class BatchNormBiasedRunningVar(scratch.BatchNorm1d):
    """Running variance updated with the biased batch variance (over m), where torch uses m - 1."""

    def _update_running_stats(self, mean, unbiased_var):
        super()._update_running_stats(mean, unbiased_var * ((self.m - 1) / self.m))


def kaiming_uniform_fans_swapped(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """He uniform from fan_out where torch's ``mode='fan_in'`` uses fan_in (and the other way round)."""
    swapped = "fan_out" if mode.lower() == "fan_in" else "fan_in"
    return scratch.init.kaiming_uniform_(tensor, a, swapped, nonlinearity, rng)


class DropoutKeepsP(scratch.Dropout):
    """Keeps each element with probability ``p`` (``rand < p``) instead of ``1 - p``."""

    def forward(self, x):
        if not self.training or self.p in (0, 1):
            return super().forward(x)
        self.mask = self.rng.random(x.shape) < self.p
        self.noise = self.mask.astype(x.dtype) / x.dtype.type(1 - self.p)
        return x * self.noise


class DropoutNotScaled(scratch.Dropout):
    """Drops without scaling the kept elements by ``1 / (1 - p)``: eval outputs no longer match training."""

    def forward(self, x):
        y = super().forward(x)
        if self.noise is not None:
            self.noise = self.mask.astype(x.dtype)
            y = x * self.noise
        return y


class TanhBackwardLinear(scratch.Tanh):
    """Backward ``grad_y (1 - y)`` where the derivative of its forward is ``1 - y^2``."""

    def backward(self, grad_y):
        return grad_y * (1 - self.y)



# -- the training twins (scratch.train) ---------------------------------------------------------

class NoRestore(train.EarlyStopping):
    """Wrong: stops at the right epoch but keeps the last weights."""

    def on_train_end(self, model):
        pass


class L2OnBiases(train.L2Penalty):
    """Wrong: penalises every parameter, biases included."""

    def selected(self, model):
        return model.named_parameters()


class L2NoFactor(train.L2Penalty):
    """Wrong: the gradient forgets the factor (2 w)."""

    def _grad(self, w):
        return 2 * w


class L1NoFactor(train.L1Penalty):
    def _grad(self, w):
        return np.sign(w)


class NoRestoreFinder(train.LRFinder):
    """Wrong: leaves the model and optimizer where the test ended."""

    def range_test(self, X, y, start_lr=None, end_lr=10.0, num_iter=100, step_mode="exp", smooth_f=0.05,
                   diverge_th=5, *, batch_size=None):
        self.history = {"lr": [], "loss": []}
        for i in range(num_iter):
            r = i / (num_iter - 1)
            lr = start_lr * (end_lr / start_lr) ** r if step_mode == "exp" else start_lr + r * (end_lr - start_lr)
            self.optimizer.param_groups[0]["lr"] = lr
            start = (i * batch_size) % len(X)
            loss = self._train_batch(X[start:start + batch_size], y[start:start + batch_size])
            self.history["lr"].append(lr)
            self.history["loss"].append(loss if i == 0 else smooth_f * loss + (1 - smooth_f) * self.history["loss"][-1])
        return self.history["lr"], self.history["loss"]


class DeadOverSamples(train.Diagnostics):
    """Wrong: counts samples whose every unit is 0 (axis=1) instead of units dead over the batch."""

    def after_forward(self, model):
        super().after_forward(model)
        for name, m in model.children():
            if isinstance(m, scratch.ReLU):
                self._step["dead_relu"][name] = float(np.mean(np.all(m.y == 0, axis=1)))



class HuberDeltaIgnored(scratch.HuberLoss):
    """Takes ``delta`` but computes with 1, torch's default: right until the option moves off it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.delta = 1.0


class DropoutNeverDrops(scratch.Dropout):
    """Reports a keep-mask of all True and scales by 1/(1-p): consistent with itself, never dropping."""

    def forward(self, x):
        if not self.training or self.p == 0:
            self.mask = np.ones(x.shape, dtype=bool)
            return x
        self.mask = np.ones(x.shape, dtype=bool)
        return x / x.dtype.type(1 - self.p) if self.p < 1 else np.zeros_like(x)


class LinearAssignsGrad(scratch.Linear):
    """Assigns ``.grad`` instead of adding into it: right after one backward, wrong after two."""

    def backward(self, grad_y):
        self.weight.grad = None
        if self.bias is not None:
            self.bias.grad = None
        return super().backward(grad_y)

WRONG = {
    "ReLU'(0) = 1": ("ReLU", ReLUGradOneAtZero, "ReLU", ("backward",)),
    "ReLU writes into its input": ("ReLU", ReLUInPlace, "ReLU", ("forward",)),
    "Sigmoid upcasts float32": ("Sigmoid", SigmoidUpcast, "Sigmoid", ("forward",)),
    "Softmax without max-subtraction": ("Softmax", SoftmaxNoShift, "Softmax", ("forward",)),
    "Softmax backward with the diagonal only": ("Softmax", SoftmaxDiagonalJacobian, "Softmax", ("backward",)),
    "MSELoss gradient not averaged": ("MSELoss", MSENotAveraged, "MSELoss", ("backward",)),
    "Linear weight gradient transposed": ("Linear", LinearTransposedGrad, "Linear", ("param_grad",)),
    "Linear bias gradient averaged": ("Linear", LinearBiasMean, "Linear", ("param_grad",)),
    "SGD momentum in the averaged form": ("SGD", SGDAveragedMomentum, "MLP-SGD", ("model",)),
    "SGD dampening on the first step": ("SGD", SGDDampenedFirstStep, "SGD", ("step",)),
    "SGD Nesterov from the stale buffer": ("SGD", SGDNesterovStaleBuffer, "SGD", ("step", "trajectory")),
    "Adam without bias correction": ("Adam", AdamNoBiasCorrection, "Adam", ("step", "trajectory")),
    "Adam with eps inside the square root": ("Adam", AdamEpsInsideSqrt, "Adam", ("step",)),
    "Adam state not restored by load_state_dict": ("Adam", AdamStateNotRestored, "Adam", ("state",)),
    "AdamW decay coupled into the gradient": ("AdamW", AdamWCoupledDecay, "AdamW", ("step", "trajectory")),
    "RMSprop centered ignored": ("RMSprop", RMSpropCenteredIgnored, "RMSprop", ("step",)),
    "Adagrad lr_decay ignored": ("Adagrad", AdagradNoLrDecay, "Adagrad", ("step",)),
    "Adadelta lr ignored": ("Adadelta", AdadeltaNoLr, "Adadelta", ("step",)),
    "Adamax without eps": ("Adamax", AdamaxNoEps, "Adamax", ("step",)),
    "NAdam without the momentum schedule": ("NAdam", NAdamNoMomentumSchedule, "NAdam", ("step", "trajectory")),
    "RAdam rectified from rho_t > 4": ("RAdam", RAdamThresholdFour, "RAdam", ("step", "trajectory")),
    "StepLR one epoch early": ("StepLR", StepLROneEpochEarly, "StepLR", ("trajectory",)),
    "ReduceLROnPlateau cooldown ignored": ("ReduceLROnPlateau", PlateauNoCooldown, "ReduceLROnPlateau",
                                           ("trajectory",)),
    "clip_grad_norm_ without the 1e-6": ("clip_grad_norm_", clip_grad_norm_no_eps, "clip_grad_norm_", ("forward",)),
    "clip_grad_value_ clipping only above": ("clip_grad_value_", clip_grad_value_above_only, "clip_grad_value_",
                                             ("forward",)),
    "BatchNorm1d running variance biased": ("BatchNorm1d", BatchNormBiasedRunningVar, "BatchNorm1d", ("state",)),
    "kaiming_uniform_ with the fans swapped": ("init", swap("kaiming_uniform_", kaiming_uniform_fans_swapped,
                                                            scratch.init), "kaiming_uniform_", ("distribution",)),
    "Dropout keeps with probability p": ("Dropout", DropoutKeepsP, "Dropout", ("distribution",)),
    "Tanh backward 1 - y": ("Tanh", TanhBackwardLinear, "Tanh", ("gradcheck",)),
    "Dropout without 1/(1-p) scaling": ("Dropout", DropoutNotScaled, "MLP-BatchNorm-Dropout-SGD", ("model",)),
    "HuberLoss delta ignored": ("HuberLoss", HuberDeltaIgnored, "HuberLoss(delta=0.5)", ("forward",)),
    "Dropout that never drops, its mask replayed": ("Dropout", DropoutNeverDrops, "Dropout", ("forward",)),
    "Linear assigns .grad instead of adding": ("Linear", LinearAssignsGrad, "Linear", ("param_grad",)),
    "EarlyStopping that does not restore": ("EarlyStopping", NoRestore, "EarlyStopping", ("fit",)),
    "L2Penalty on biases": ("L2Penalty", L2OnBiases, "L2Penalty", ("fit",)),
    "L2Penalty without its factor": ("L2Penalty", L2NoFactor, "L2Penalty", ("fit",)),
    "L1Penalty without its factor": ("L1Penalty", L1NoFactor, "L1Penalty", ("fit",)),
    "LRFinder that leaves the model changed": ("LRFinder", NoRestoreFinder, "LRFinder", ("fit",)),
    "Diagnostics dead units over the wrong axis": ("Diagnostics", DeadOverSamples, "Diagnostics", ("fit",)),
}
