"""Optimizers after ``torch.optim``: a shared :class:`Optimizer` base and the update rules.

Each ``step`` follows torch 2.13's single-tensor implementation (``_single_tensor_<name>``) in
operation order, so float32 results agree with torch's to the last bits where possible. Parameters
are updated in place (``p.data`` is never rebound); hyperparameters are used as Python floats so a
float32 parameter stays float32.
"""
import copy
import warnings

import numpy as np

from ._docs import document
from ._typed import typed
from .module import Parameter

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"]

def _check(ok, message):
    if not ok:
        raise ValueError(message)


def _check_lr_eps_decay(lr, eps=None, weight_decay=0.0):
    _check(0.0 <= lr, f"Invalid learning rate: {lr} (lr must be >= 0)")
    if eps is not None:
        _check(0.0 <= eps, f"Invalid epsilon value: {eps} (eps must be >= 0)")
    _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay} (weight_decay must be >= 0)")


def _check_betas(betas):
    for i, beta in enumerate(betas):
        _check(0.0 <= beta < 1.0, f"Invalid beta parameter at index {i}: {beta} (betas[{i}] must be in [0, 1))")


def _floats(group, *names):
    return [float(group[name]) for name in names]


def _new_step():
    """A step counter as torch keeps it: a 0-d float32 array (torch's default dtype)."""
    return np.array(0.0, dtype=np.float32)


def _tick(state):
    state["step"] += 1
    return float(state["step"])


def _weight_decay(p, g, lr, weight_decay, decoupled):
    """Coupled decay returns ``g + lambda theta``; decoupled decay scales ``p.data`` in place."""
    if weight_decay != 0:
        if decoupled:
            p.data *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * p.data
    return g


_BLOCK = 1 << 16
"""Elements of ``a`` above which :func:`_add_` works a slice of rows at a time."""


def _add_(a, b, alpha):
    """``a += alpha * b`` in place (torch's ``a.add_(b, alpha=alpha)``), ``b`` of ``a``'s shape and dtype.

    No temporary when alpha is 1. Above ``_BLOCK`` elements ``alpha * b`` is made a slice of rows at a
    time: a small temporary that stays in cache, not a parameter-sized one each step that glibc returns
    to the system and faults back in (SGD on 784-512-256-10 in float64, in a process running scratch
    alone: 768 page faults and 10.4 ms a training step, none and 8.6 ms sliced; measured).
    """
    if alpha == 1:
        a += b
        return a
    alpha = typed(a.dtype, alpha)
    if a.size <= _BLOCK:
        a += alpha * b
        return a
    rows = max(1, _BLOCK * len(a) // a.size)
    for i in range(0, len(a), rows):
        a[i:i + rows] += alpha * b[i:i + rows]
    return a


def _lerp_(a, b, weight):
    """``a <- a + weight (b - a)`` in place, in torch's form (exact at weight 1)."""
    weight = a.dtype.type(weight)
    if abs(weight) < 0.5:
        a += weight * (b - a)
    else:
        a[...] = b - (b - a) * (1 - weight)


def _ema_sq_(v, g, beta):
    """``v <- beta v + (1 - beta) g^2`` in place (torch's ``mul_(beta).addcmul_(g, g, 1 - beta)``)."""
    v *= beta
    v += (1 - beta) * g * g


def _adam_moments_(p, g, state, group):
    """The Adam family's shared bookkeeping, in torch's order: count the step, apply weight decay, then
    ``m <- lerp(m, g, 1 - beta1)`` and ``v <- beta2 v + (1 - beta2) g^2`` in place. Returns ``(t, g, m, v)``
    with ``g`` after weight decay."""
    beta1, beta2 = map(float, group["betas"])
    if "exp_avg" not in state:
        state.update(step=_new_step(), exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
    t = _tick(state)
    g = _weight_decay(p, g, float(group["lr"]), float(group["weight_decay"]), group["decoupled_weight_decay"])
    m, v = state["exp_avg"], state["exp_avg_sq"]
    _lerp_(m, g, 1 - beta1)
    _ema_sq_(v, g, beta2)
    return t, g, m, v


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class of the optimizers (``torch.optim.Optimizer``).

    Holds ``param_groups`` (a list of dicts, each with ``params`` and the options for them,
    missing options filled in from ``defaults``) and ``state`` (a dict keyed by :class:`Parameter`
    holding per-parameter buffers such as Adam's ``exp_avg``). Subclasses implement
    ``_update(p, g, state, group)`` for one parameter; ``step`` calls it for every parameter whose
    ``grad`` is not None, with ``g`` the gradient (negated when the group's ``maximize`` is set).

    ``state_dict()`` has torch's layout: ``'state'`` keyed by the parameter's index (counted across
    groups in order) and ``'param_groups'`` with ``'params'`` as lists of those indices.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = {}
        self.param_groups = []
        if isinstance(params, Parameter):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Parameters or dicts, but got {type(params).__name__}")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group of parameters with its own options; unspecified options take the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Parameter):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of a set changes between runs; use a list instead")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names; some names are missing")
            group["param_names"] = names
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(f"optimizer can only optimize Parameters, but one of the params is "
                                f"{type(p).__name__}")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization "
                                 f"parameter {name}")
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; each copy is "
                          "updated, so the parameter takes more than one step", stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Set every parameter's ``grad`` to None (or to zeros with ``set_to_none=False``)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else np.zeros_like(p.grad)

    def step(self, closure=None):
        """Update every parameter that has a ``grad``; returns ``closure()`` if given, else None."""
        loss = None if closure is None else closure()
        for group in self.param_groups:
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is not None:
                    g = np.asarray(p.grad, dtype=p.data.dtype)
                    self._update(p, -g if maximize else g, self.state.setdefault(p, {}), group)
        return loss

    def _update(self, p, g, state, group):
        raise NotImplementedError

    def state_dict(self):
        """A deep copy of the state in torch's layout: ``{'state': {index: {...}}, 'param_groups': [...]}``."""
        index = {}
        groups = []
        for group in self.param_groups:
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore the state and group options saved by :meth:`state_dict` (or by torch's, as arrays).

        Arrays are cast to their parameter's dtype, except the scalar counters ``step`` and NAdam's
        ``mu_product``, which keep their own. torch keeps ``step`` too but casts ``mu_product`` to the
        parameter's dtype, so a resumed float64 NAdam in torch drifts from an uninterrupted one in the
        last bits; here it resumes exactly.
        """
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        for saved, group in zip(saved_groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError("loaded state dict contains a parameter group of "
                                 f"{len(saved['params'])} params, the optimizer's group has "
                                 f"{len(group['params'])}")
        by_index = {}
        for saved, group in zip(saved_groups, self.param_groups):
            by_index.update(zip(saved["params"], group["params"]))
            group.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
        self.state = {}
        for i, s in state_dict["state"].items():
            p = by_index[int(i)]
            self.state[p] = {k: np.array(v, copy=True) if k in ("step", "mu_product")
                             else np.array(v, dtype=p.data.dtype, copy=True) for k, v in s.items()}

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False):
        _check_lr_eps_decay(lr, None, weight_decay)
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum} (momentum must be >= 0)")
        _check(not nesterov or (momentum > 0 and dampening == 0),
               f"Nesterov momentum requires a momentum and zero dampening, got momentum={momentum}, "
               f"dampening={dampening}")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _update(self, p, g, state, group):
        lr, mu, tau = float(group["lr"]), float(group["momentum"]), float(group["dampening"])
        g = _weight_decay(p, g, lr, float(group["weight_decay"]), False)
        if mu != 0:
            b = state.get("momentum_buffer")
            if b is None:
                b = state["momentum_buffer"] = g.copy()
            else:
                b *= typed(b.dtype, mu)
                _add_(b, g, 1 - tau)
            g = g + mu * b if group["nesterov"] else b
        _add_(p.data, g, -lr)


document(SGD, """Stochastic gradient descent, optionally with momentum (``torch.optim.SGD``).

    Algorithm (torch's)::

        input: gamma (lr), theta_0 (params), f (objective), lambda (weight decay),
               mu (momentum), tau (dampening), nesterov, maximize
        for t = 1 to ...:
            g_t <- -grad f_t(theta_(t-1)) if maximize else grad f_t(theta_(t-1))
            if lambda != 0:  g_t <- g_t + lambda theta_(t-1)
            if mu != 0:
                if t > 1:  b_t <- mu b_(t-1) + (1 - tau) g_t
                else:      b_t <- g_t
                if nesterov:  g_t <- g_t + mu b_t
                else:         g_t <- b_t
            theta_t <- theta_(t-1) - gamma g_t
        return theta_t

    Differs from the paper (Sutskever et al., 2013): the learning rate multiplies the velocity
    (``v <- mu v + g; p <- p - lr v``) instead of entering it (``v <- mu v + lr g; p <- p - v``),
    and the momentum buffer starts as the first gradient, not zeros, so dampening is applied
    only from step 2 on. State: ``momentum_buffer`` (only when momentum != 0).

    Args:
        {params}
        {lr}
        momentum (float, optional): momentum factor. Default: 0.
        dampening (float, optional): dampening for momentum. Default: 0.
        {weight_decay}
        nesterov (bool, optional): Nesterov momentum; needs momentum > 0 and dampening 0.
            Default: False.
        {maximize}

    Example:
        >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y); model.backward(loss_fn.backward()); opt.step()
    """)


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, decoupled_weight_decay=False):
        _check_lr_eps_decay(lr, eps, weight_decay)
        _check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, p, g, state, group):
        lr, eps = _floats(group, "lr", "eps")
        beta1, beta2 = map(float, group["betas"])
        if group["amsgrad"] and not state:
            state["max_exp_avg_sq"] = np.zeros_like(p.data)
        t, g, m, v = _adam_moments_(p, g, state, group)
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        step_size = lr / bias_correction1
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        denom = np.sqrt(v)
        denom /= bias_correction2 ** 0.5
        denom += eps
        update = step_size * m
        update /= denom
        p.data -= update


_ADAM_ALGORITHM = """
        input: gamma (lr), beta1, beta2 (betas), theta_0 (params), f (objective),
               lambda (weight decay), eps, amsgrad, maximize
        initialize: m_0 <- 0, v_0 <- 0, v_0^max <- 0
        for t = 1 to ...:
            g_t <- -grad f_t(theta_(t-1)) if maximize else grad f_t(theta_(t-1))
            {decay}
            m_t <- beta1 m_(t-1) + (1 - beta1) g_t
            v_t <- beta2 v_(t-1) + (1 - beta2) g_t^2
            m^_t <- m_t / (1 - beta1^t)
            if amsgrad:
                v_t^max <- max(v_(t-1)^max, v_t)
                v^_t <- v_t^max / (1 - beta2^t)
            else:
                v^_t <- v_t / (1 - beta2^t)
            theta_t <- theta_t - gamma m^_t / (sqrt(v^_t) + eps)
        return theta_t"""

_ADAM_NOTES = """The code orders the arithmetic differently from the pseudo-code, as torch's does (it
    shows in the last float32 digits): ``m`` is updated by ``lerp``, the denominator is
    ``sqrt(v_t) / sqrt(1 - beta2^t) + eps`` and the step is ``(lr / (1 - beta1^t)) m_t / denom``. The step
    count is kept as a float32 0-d array in ``state['step']``, as torch keeps it.

    Differs from the paper (Kingma & Ba, 2015): ``eps`` is added outside the square root *after* the
    bias correction (the paper's Algorithm 1; TensorFlow's "epsilon hat" form adds it before), and
    AMSGrad keeps the maximum of the uncorrected ``v_t`` and then bias-corrects it."""

_ADAM_ARGS = """{params}
        {lr}
        {betas}
        {eps}
        {weight_decay}
        {amsgrad}
        {maximize}"""

document(Adam, """Adam (``torch.optim.Adam``).

    Algorithm (torch's)::
""" + _ADAM_ALGORITHM.replace("{decay}", """if lambda != 0:
                if decoupled_weight_decay:  theta_t <- theta_(t-1) - gamma lambda theta_(t-1)
                else:                       g_t <- g_t + lambda theta_(t-1)""") + """

    """ + _ADAM_NOTES + """ ``weight_decay`` is an L2 penalty added to the gradient unless
    ``decoupled_weight_decay`` is True, which gives :class:`AdamW`.

    Args:
        """ + _ADAM_ARGS + """
        {decoupled_weight_decay}

    Example:
        >>> opt = Adam(model.parameters(), lr=1e-3)
    """)


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)


document(AdamW, """AdamW: Adam with decoupled weight decay (``torch.optim.AdamW``).

    Algorithm (torch's)::
""" + _ADAM_ALGORITHM.replace("{decay}", "theta_t <- theta_(t-1) - gamma lambda theta_(t-1)") + """

    Differs from Adam with ``weight_decay``: the decay shrinks the parameter directly (scaled by the
    learning rate) instead of entering the gradient, so it does not pass through ``m`` and ``v``
    (Loshchilov & Hutter, 2019). Torch scales it by ``lr`` (the paper uses a separate schedule
    multiplier). """ + _ADAM_NOTES + """

    Args:
        """ + _ADAM_ARGS + """

    Example:
        >>> opt = AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    """)


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 *, maximize=False):
        _check_lr_eps_decay(lr, eps, weight_decay)
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum} (momentum must be >= 0)")
        _check(0.0 <= alpha, f"Invalid alpha value: {alpha} (alpha must be >= 0)")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, maximize=maximize))

    def _update(self, p, g, state, group):
        lr, alpha, eps, wd, mu = _floats(group, "lr", "alpha", "eps", "weight_decay", "momentum")
        if not state:
            state.update(step=_new_step(), square_avg=np.zeros_like(p.data))
            if mu > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        _tick(state)
        g = _weight_decay(p, g, lr, wd, False)
        v = state["square_avg"]
        _ema_sq_(v, g, alpha)
        if group["centered"]:
            g_ave = state["grad_avg"]
            _lerp_(g_ave, g, 1 - alpha)
            avg = np.sqrt(v - g_ave * g_ave)
        else:
            avg = np.sqrt(v)
        avg += eps
        if mu > 0:
            b = state["momentum_buffer"]
            b *= mu
            b += g / avg
            p.data -= lr * b
        else:
            p.data -= lr * g / avg


document(RMSprop, """RMSprop (``torch.optim.RMSprop``).

    Algorithm (torch's)::

        input: alpha, gamma (lr), theta_0 (params), f (objective), lambda (weight decay),
               mu (momentum), centered, eps, maximize
        initialize: v_0 <- 0 (square average), b_0 <- 0 (buffer), g^ave_0 <- 0
        for t = 1 to ...:
            g_t <- -grad f_t(theta_(t-1)) if maximize else grad f_t(theta_(t-1))
            if lambda != 0:  g_t <- g_t + lambda theta_(t-1)
            v_t <- alpha v_(t-1) + (1 - alpha) g_t^2
            v~_t <- v_t
            if centered:
                g^ave_t <- alpha g^ave_(t-1) + (1 - alpha) g_t
                v~_t <- v~_t - (g^ave_t)^2
            if mu > 0:
                b_t <- mu b_(t-1) + g_t / (sqrt(v~_t) + eps)
                theta_t <- theta_(t-1) - gamma b_t
            else:
                theta_t <- theta_(t-1) - gamma g_t / (sqrt(v~_t) + eps)
        return theta_t

    From Hinton's lecture notes (no paper); the centered form is Graves (2013). ``eps`` is added
    after the square root (TensorFlow adds it inside). State: ``step``, ``square_avg`` and, when used,
    ``momentum_buffer`` and ``grad_avg``.

    Args:
        {params}
        {lr}
        alpha (float, optional): smoothing constant of the square average. Default: 0.99.
        {eps}
        {weight_decay}
        momentum (float, optional): momentum factor. Default: 0.
        centered (bool, optional): normalise by an estimate of the gradient's variance
            (square average minus squared mean) instead of its second moment. Default: False.
        {maximize}

    Example:
        >>> opt = RMSprop(model.parameters(), lr=1e-2, momentum=0.9, centered=True)
    """)


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 *, maximize=False):
        _check_lr_eps_decay(lr, eps, weight_decay)
        _check(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay} (lr_decay must be >= 0)")
        _check(0.0 <= initial_accumulator_value,
               f"Invalid initial_accumulator_value value: {initial_accumulator_value} (must be >= 0)")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      maximize=maximize))
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state.setdefault(p, {}))

    def _init_state(self, p, state):
        tau = float(self.defaults["initial_accumulator_value"])
        state.update(step=_new_step(), sum=np.full_like(p.data, tau))

    def _update(self, p, g, state, group):
        lr, lr_decay, eps, wd = _floats(group, "lr", "lr_decay", "eps", "weight_decay")
        if not state:
            self._init_state(p, state)
        t = _tick(state)
        g = _weight_decay(p, g, lr, wd, False)
        clr = lr / (1 + (t - 1) * lr_decay)
        state_sum = state["sum"]
        state_sum += g * g
        std = np.sqrt(state_sum) + eps
        p.data -= clr * g / std


document(Adagrad, """Adagrad (``torch.optim.Adagrad``).

    Algorithm (torch's)::

        input: gamma (lr), theta_0 (params), f (objective), lambda (weight decay),
               tau (initial accumulator value), eta (lr decay), eps, maximize
        initialize: state_sum_0 <- tau
        for t = 1 to ...:
            g_t <- -grad f_t(theta_(t-1)) if maximize else grad f_t(theta_(t-1))
            gamma~ <- gamma / (1 + (t - 1) eta)
            if lambda != 0:  g_t <- g_t + lambda theta_(t-1)
            state_sum_t <- state_sum_(t-1) + g_t^2
            theta_t <- theta_(t-1) - gamma~ g_t / (sqrt(state_sum_t) + eps)
        return theta_t

    Differs from the paper (Duchi et al., 2011): ``eps`` is added after the square root and torch adds
    ``lr_decay``. As in torch, the state (``step``, ``sum``) is created at construction and every group
    starts from the constructor's ``initial_accumulator_value`` (a per-group value is ignored).

    Args:
        {params}
        {lr}
        lr_decay (float, optional): learning-rate decay, ``gamma / (1 + (t - 1) lr_decay)``. Default: 0.
        {weight_decay}
        initial_accumulator_value (float, optional): starting value of the sum of squares. Default: 0.
        {eps}
        {maximize}

    Example:
        >>> opt = Adagrad(model.parameters(), lr=1e-2)
    """)


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        _check_lr_eps_decay(lr, eps, weight_decay)
        _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho} (rho must be in [0, 1])")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _update(self, p, g, state, group):
        lr, rho, eps, wd = _floats(group, "lr", "rho", "eps", "weight_decay")
        if not state:
            state.update(step=_new_step(), square_avg=np.zeros_like(p.data), acc_delta=np.zeros_like(p.data))
        _tick(state)
        g = _weight_decay(p, g, lr, wd, False)
        v, u = state["square_avg"], state["acc_delta"]
        _ema_sq_(v, g, rho)
        std = np.sqrt(v + eps)
        delta = np.sqrt(u + eps) / std * g
        _ema_sq_(u, delta, rho)
        p.data -= lr * delta


document(Adadelta, """Adadelta (``torch.optim.Adadelta``).

    Algorithm (torch's)::

        input: gamma (lr), theta_0 (params), f (objective), rho (decay), lambda (weight decay),
               eps, maximize
        initialize: v_0 <- 0 (square avg), u_0 <- 0 (accumulated updates)
        for t = 1 to ...:
            g_t <- -grad f_t(theta_(t-1)) if maximize else grad f_t(theta_(t-1))
            if lambda != 0:  g_t <- g_t + lambda theta_(t-1)
            v_t <- v_(t-1) rho + g_t^2 (1 - rho)
            dx_t <- sqrt(u_(t-1) + eps) / sqrt(v_t + eps) g_t
            u_t <- u_(t-1) rho + dx_t^2 (1 - rho)
            theta_t <- theta_(t-1) - gamma dx_t
        return theta_t

    Differs from the paper (Zeiler, 2012): torch multiplies the update by a learning rate ``gamma``
    (the paper has none; the default 1.0 recovers it). State: ``step``, ``square_avg``, ``acc_delta``.

    Args:
        {params}
        lr (float, optional): coefficient that scales delta before it is applied. Default: 1.0.
        rho (float, optional): decay of the running averages. Default: 0.9.
        {eps}
        {weight_decay}
        {maximize}

    Example:
        >>> opt = Adadelta(model.parameters())
    """)


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False):
        _check_lr_eps_decay(lr, eps, weight_decay)
        _check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _update(self, p, g, state, group):
        lr, eps, wd = _floats(group, "lr", "eps", "weight_decay")
        beta1, beta2 = map(float, group["betas"])
        if not state:
            state.update(step=_new_step(), exp_avg=np.zeros_like(p.data), exp_inf=np.zeros_like(p.data))
        t = _tick(state)
        g = _weight_decay(p, g, lr, wd, False)
        m, u = state["exp_avg"], state["exp_inf"]
        _lerp_(m, g, 1 - beta1)
        u *= beta2
        np.maximum(u, np.abs(g) + eps, out=u)
        clr = lr / (1 - beta1 ** t)
        p.data -= clr * m / u


document(Adamax, """Adamax, Adam with the infinity norm (``torch.optim.Adamax``).

    Algorithm (torch's)::

        input: gamma (lr), beta1, beta2 (betas), theta_0 (params), f (objective),
               lambda (weight decay), eps, maximize
        initialize: m_0 <- 0 (first moment), u_0 <- 0 (infinity norm)
        for t = 1 to ...:
            g_t <- -grad f_t(theta_(t-1)) if maximize else grad f_t(theta_(t-1))
            if lambda != 0:  g_t <- g_t + lambda theta_(t-1)
            m_t <- beta1 m_(t-1) + (1 - beta1) g_t
            u_t <- max(beta2 u_(t-1), |g_t| + eps)
            theta_t <- theta_(t-1) - gamma m_t / ((1 - beta1^t) u_t)
        return theta_t

    Differs from the paper (Kingma & Ba, 2015, section 7.1): ``eps`` is added to ``|g_t|`` inside the
    max, so ``u_t`` is never zero. State: ``step``, ``exp_avg``, ``exp_inf``.

    Args:
        {params}
        {lr}
        {betas}
        {eps}
        {weight_decay}
        {maximize}

    Example:
        >>> opt = Adamax(model.parameters())
    """)


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, maximize=False):
        _check_lr_eps_decay(lr, eps, weight_decay)
        _check_betas(betas)
        _check(0.0 <= momentum_decay,
               f"Invalid momentum_decay value: {momentum_decay} (momentum_decay must be >= 0)")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize))

    def _update(self, p, g, state, group):
        lr, eps, psi = _floats(group, "lr", "eps", "momentum_decay")
        beta1, beta2 = map(float, group["betas"])
        if not state:
            state["mu_product"] = np.array(1.0, dtype=np.float32)
        t, g, m, v = _adam_moments_(p, g, state, group)
        bias_correction2 = 1 - beta2 ** t
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi)))
        state["mu_product"] *= np.float32(mu)
        mu_product = float(state["mu_product"])
        mu_product_next = mu_product * mu_next
        denom = np.sqrt(v / bias_correction2) + eps
        p.data -= (lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
        p.data -= (lr * mu_next / (1.0 - mu_product_next)) * m / denom


document(NAdam, """NAdam, Adam with Nesterov momentum (``torch.optim.NAdam``).

    Algorithm (torch's)::

        input: gamma (lr), beta1, beta2 (betas), theta_0 (params), f (objective),
               lambda (weight decay), psi (momentum decay), decoupled_weight_decay, eps, maximize
        initialize: m_0 <- 0 (first moment), v_0 <- 0 (second moment)
        for t = 1 to ...:
            g_t <- -grad f_t(theta_(t-1)) if maximize else grad f_t(theta_(t-1))
            theta_t <- theta_(t-1)
            if lambda != 0:
                if decoupled_weight_decay:  theta_t <- theta_(t-1) - gamma lambda theta_(t-1)
                else:                       g_t <- g_t + lambda theta_(t-1)
            mu_t <- beta1 (1 - 0.5 0.96^(t psi))
            mu_(t+1) <- beta1 (1 - 0.5 0.96^((t + 1) psi))
            m_t <- beta1 m_(t-1) + (1 - beta1) g_t
            v_t <- beta2 v_(t-1) + (1 - beta2) g_t^2
            m^_t <- mu_(t+1) m_t / (1 - prod_(i=1..t+1) mu_i) + (1 - mu_t) g_t / (1 - prod_(i=1..t) mu_i)
            v^_t <- v_t / (1 - beta2^t)
            theta_t <- theta_t - gamma m^_t / (sqrt(v^_t) + eps)
        return theta_t

    Differs from the paper (Dozat, 2016): the momentum schedule ``mu_t`` with ``psi`` and the optional
    decoupled weight decay (NAdamW) are torch's. As in torch, the running product of ``mu`` is kept as
    a float32 0-d array (``state['mu_product']``) even for float64 parameters, and the update is applied
    as two terms, ``g_t`` then ``m_t``, each divided by ``sqrt(v_t / (1 - beta2^t)) + eps``.

    Args:
        {params}
        {lr}
        {betas}
        {eps}
        {weight_decay}
        momentum_decay (float, optional): psi, the momentum schedule's decay. Default: 4e-3.
        {decoupled_weight_decay}
        {maximize}

    Example:
        >>> opt = NAdam(model.parameters())
    """)


class RAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        _check_lr_eps_decay(lr, eps, weight_decay)
        _check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize))

    def _update(self, p, g, state, group):
        lr, eps = _floats(group, "lr", "eps")
        beta1, beta2 = map(float, group["betas"])
        t, g, m, v = _adam_moments_(p, g, state, group)
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        m_hat = m / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2 ** t) / bias_correction2
        if rho_t > 5.0:
            l_t = (1 / (np.sqrt(v) + eps)) * bias_correction2 ** 0.5
            r_t = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            p.data -= m_hat * lr * l_t * r_t
        else:
            p.data -= m_hat * lr


document(RAdam, """RAdam, rectified Adam (``torch.optim.RAdam``).

    Algorithm (torch's)::

        input: gamma (lr), beta1, beta2 (betas), theta_0 (params), f (objective),
               lambda (weight decay), eps, decoupled_weight_decay, maximize
        initialize: m_0 <- 0, v_0 <- 0, rho_inf <- 2 / (1 - beta2) - 1
        for t = 1 to ...:
            g_t <- -grad f_t(theta_(t-1)) if maximize else grad f_t(theta_(t-1))
            theta_t <- theta_(t-1)
            if lambda != 0:
                if decoupled_weight_decay:  theta_t <- theta_t - gamma lambda theta_t
                else:                       g_t <- g_t + lambda theta_t
            m_t <- beta1 m_(t-1) + (1 - beta1) g_t
            v_t <- beta2 v_(t-1) + (1 - beta2) g_t^2
            m^_t <- m_t / (1 - beta1^t)
            rho_t <- rho_inf - 2 t beta2^t / (1 - beta2^t)
            if rho_t > 5:
                l_t <- sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
                r_t <- sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                theta_t <- theta_t - gamma m^_t r_t l_t
            else:
                theta_t <- theta_t - gamma m^_t
        return theta_t

    Differs from the paper (Liu et al., 2020): ``eps`` is added to ``sqrt(v_t)`` (the paper has none) and
    decoupled weight decay is optional (the authors' code uses it). The code computes
    ``l_t`` as ``(1 / (sqrt(v_t) + eps)) sqrt(1 - beta2^t)`` and the step as ``((m^_t gamma) l_t) r_t``,
    torch's order.

    Args:
        {params}
        {lr}
        {betas}
        {eps}
        {weight_decay}
        {decoupled_weight_decay}
        {maximize}

    Example:
        >>> opt = RAdam(model.parameters())
    """)
