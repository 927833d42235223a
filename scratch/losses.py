"""Losses after ``torch.nn``'s: ``value = loss(input, target)``, then ``grad_input = loss.backward()``.

Prediction first, target second, as torch. ``value`` is a 0-d array of the input's dtype for 'mean'
and 'sum' and an array for 'none'.
"""
import numpy as np

from ._docs import fill
from .module import Module

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "NLLLoss", "KLDivLoss"]


def _array(owner, name, value):
    if not isinstance(value, np.ndarray):
        raise ValueError(f"{owner}: {name} must be a numpy.ndarray, got {type(value).__name__}")
    return value


def _float_input(owner, x):
    _array(owner, "input", x)
    if x.dtype not in (np.float32, np.float64):
        raise ValueError(f"{owner}: input must be float32 or float64, got {x.dtype}")
    return x


class _Loss(Module):
    """Holds ``reduction`` and turns per-element losses into the value and the gradient's scale."""

    reductions = ("mean", "sum", "none")

    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in self.reductions:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {set(self.reductions)}, "
                             f"got {reduction!r}")
        self.reduction = reduction

    def named_parameters(self, prefix=""):
        return []

    def _reduce(self, losses, denominator):
        """The loss value: ``losses`` summed, divided by ``denominator`` for 'mean', or as they are."""
        if self.reduction == "none":
            return losses
        total = np.sum(losses, dtype=losses.dtype)
        return np.asarray(total / denominator if self.reduction != "sum" else total, dtype=losses.dtype)

    def _upstream(self, grad_output, dtype, shape):
        """``grad_output`` as an array of the loss's shape, divided by the 'mean' denominator."""
        g = np.asarray(grad_output, dtype=dtype)
        if self.reduction == "none":
            if g.shape != shape:
                raise ValueError(f"{type(self).__name__}.backward: grad_output has shape {g.shape}, "
                                 f"expected the loss's shape {shape} (reduction='none')")
            return g
        if g.size != 1:
            raise ValueError(f"{type(self).__name__}.backward: grad_output must be a scalar for "
                             f"reduction={self.reduction!r}, got shape {g.shape}")
        g = g.reshape(())
        if self.reduction != "sum":
            g = g / self.denominator
        return np.broadcast_to(g, shape)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class _PointwiseLoss(_Loss):
    """A loss ``l_n = f(x_n, t_n)`` per element; subclasses give ``f`` and ``df/dx``."""

    def forward(self, input, target):
        name = type(self).__name__
        x = _float_input(name, input)
        t = _array(name, "target", target)
        if t.shape != x.shape:
            raise ValueError(f"{name}: target shape {t.shape} differs from input shape {x.shape}; "
                             f"they must be equal")
        t = t.astype(x.dtype, copy=False)
        losses, self.dldx = self._pointwise(x, t)
        self.denominator = x.dtype.type(self._count(x))
        return self._reduce(losses, self.denominator)

    def _count(self, x):
        return x.size

    def backward(self, grad_output=1.0):
        return self.dldx * self._upstream(grad_output, self.dldx.dtype, self.dldx.shape)


class MSELoss(_PointwiseLoss):
    __doc__ = fill(r"""Squared error ``l_n = (x_n - t_n)^2`` (``torch.nn.MSELoss``); no 1/2, unlike scikit-learn's.

    Derivative: ``2 (x_n - t_n)``.

    Args:
        {reduction}
    {backward}
    """)

    def _pointwise(self, x, t):
        d = x - t
        return d * d, d * x.dtype.type(2)


class L1Loss(_PointwiseLoss):
    __doc__ = fill(r"""Absolute error ``l_n = |x_n - t_n|`` (``torch.nn.L1Loss``).

    Derivative: ``sign(x_n - t_n)``, 0 where ``x_n = t_n``, as torch's.

    Args:
        {reduction}
    {backward}
    """)

    def _pointwise(self, x, t):
        d = x - t
        return np.abs(d), np.sign(d)


class HuberLoss(_PointwiseLoss):
    __doc__ = fill(r"""Huber loss (``torch.nn.HuberLoss``).

    ``l_n = 0.5 d^2`` if ``|d| < delta``, else ``delta (|d| - 0.5 delta)``, with ``d = x_n - t_n``.
    Derivative: ``d`` if ``|d| <= delta``, else ``delta * sign(d)`` (equal at ``|d| = delta``).

    Args:
        delta (float): where the loss turns from quadratic to linear; must be > 0. Default: 1.0.
        {reduction}
    {backward}
    """)

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be > 0, got {delta!r}")
        self.delta = float(delta)

    def _pointwise(self, x, t):
        d = x - t
        a = np.abs(d)
        delta = x.dtype.type(self.delta)
        half = x.dtype.type(0.5)
        losses = np.where(a < delta, half * d * d, delta * (a - half * delta))
        return losses, np.clip(d, -delta, delta)

    def extra_repr(self):
        return f"reduction={self.reduction!r}, delta={self.delta}"


class SmoothL1Loss(_PointwiseLoss):
    __doc__ = fill(r"""Smooth L1 loss (``torch.nn.SmoothL1Loss``); ``beta = 0`` is L1.

    ``l_n = 0.5 d^2 / beta`` if ``|d| < beta``, else ``|d| - 0.5 beta``, with ``d = x_n - t_n``.
    Derivative: ``d / beta`` if ``|d| <= beta``, else ``sign(d)``.

    Args:
        beta (float): where the loss turns from quadratic to linear; must be >= 0. Default: 1.0.
        {reduction}
    {backward}
    """)

    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction)
        if not beta >= 0:
            raise ValueError(f"SmoothL1Loss: beta must be >= 0, got {beta!r}")
        self.beta = float(beta)

    def _pointwise(self, x, t):
        d = x - t
        a = np.abs(d)
        if self.beta == 0:
            return a, np.sign(d)
        beta = x.dtype.type(self.beta)
        half = x.dtype.type(0.5)
        losses = np.where(a < beta, half * d * d / beta, a - half * beta)
        return losses, np.where(a <= beta, d / beta, np.sign(d))

    def extra_repr(self):
        return f"reduction={self.reduction!r}, beta={self.beta}"


_BCE_EPSILON = float(np.float32(1e-12))


def _weight(owner, name, weight, dtype):
    return None if weight is None else np.asarray(_array(owner, name, weight), dtype=dtype)


class BCELoss(_PointwiseLoss):
    __doc__ = fill(r"""Binary cross-entropy on probabilities (``torch.nn.BCELoss``).

    ``l_n = -w_n [t_n log(x_n) + (1 - t_n) log(1 - x_n)]``, each log clamped at -100 as torch does, so
    probabilities of exactly 0 and 1 give finite losses.
    Derivative: ``w_n (x_n - t_n) / max(x_n (1 - x_n), eps)`` with torch's ``eps``, the float32 value
    nearest 1e-12 (9.99999996e-13) in both dtypes, which shows at probabilities 0 and 1.

    Args:
        {weight} Broadcast against the input.
        {reduction}
    {backward}
    """)

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = None if weight is None else _array("BCELoss", "weight", weight)

    def _pointwise(self, x, t):
        if np.any((x < 0) | (x > 1)) or np.any(np.isnan(x)):
            raise ValueError("BCELoss: all elements of input should be between 0 and 1; "
                             "apply a Sigmoid first, or use BCEWithLogitsLoss on logits")
        floor = x.dtype.type(-100)
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), floor)
            log_1mx = np.maximum(np.log1p(-x), floor)
        losses = (t - 1) * log_1mx - t * log_x
        dldx = (x - t) / np.maximum((1 - x) * x, x.dtype.type(_BCE_EPSILON))
        w = _weight("BCELoss", "weight", self.weight, x.dtype)
        return (losses, dldx) if w is None else (losses * w, dldx * w)


class BCEWithLogitsLoss(_PointwiseLoss):
    __doc__ = fill(r"""Sigmoid and binary cross-entropy in one stable step (``torch.nn.BCEWithLogitsLoss``).

    ``l_n = -w_n [p t_n log sigmoid(x_n) + (1 - t_n) log(1 - sigmoid(x_n))]`` with ``p = pos_weight``,
    computed as torch does: ``(1 - t) x - (1 + (p - 1) t) log_sigmoid(x)``, finite for logits of +-1000.
    Derivative: ``w_n [(1 + (p - 1) t_n) sigmoid(x_n) - p t_n]``.

    Args:
        {weight} Broadcast against the input.
        pos_weight (ndarray, optional): weight of positive examples, broadcast along the last axis
            (one per class). Default: None.
        {reduction}
    {backward}
    """)

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.weight = None if weight is None else _array("BCEWithLogitsLoss", "weight", weight)
        self.pos_weight = None if pos_weight is None else _array("BCEWithLogitsLoss", "pos_weight", pos_weight)

    def _pointwise(self, x, t):
        one = x.dtype.type(1)
        log_sigmoid = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
        e = np.exp(-np.abs(x))
        sigmoid = np.where(x >= 0, one / (one + e), e / (one + e))
        p = _weight("BCEWithLogitsLoss", "pos_weight", self.pos_weight, x.dtype)
        if p is None:
            losses = (one - t) * x - log_sigmoid
            dldx = sigmoid - t
        else:
            log_weight = (p - one) * t + one
            losses = (one - t) * x - log_weight * log_sigmoid
            dldx = log_weight * sigmoid - p * t
        w = _weight("BCEWithLogitsLoss", "weight", self.weight, x.dtype)
        return (losses, dldx) if w is None else (losses * w, dldx * w)


class KLDivLoss(_PointwiseLoss):
    __doc__ = fill(r"""Kullback-Leibler divergence with the input as log-probabilities (``torch.nn.KLDivLoss``).

    ``l_n = t_n (log t_n - x_n)`` (0 where ``t_n = 0``), or with ``log_target=True``
    ``l_n = exp(t_n) (t_n - x_n)``. Derivative: ``-t_n`` (or ``-exp(t_n)``).
    'batchmean' divides the sum by the batch size (the KL divergence of the maths); torch's 'mean'
    divides by the number of elements.

    Args:
        reduction ({{'mean', 'batchmean', 'sum', 'none'}}): Default: 'mean'.
        log_target (bool): whether the target is given as log-probabilities. Default: False.
    {backward}
    """)

    reductions = ("mean", "batchmean", "sum", "none")

    def __init__(self, reduction="mean", log_target=False):
        super().__init__(reduction)
        self.log_target = bool(log_target)

    def _pointwise(self, x, t):
        if self.log_target:
            p = np.exp(t)
            return p * (t - x), -p
        with np.errstate(divide="ignore", invalid="ignore"):
            xlogx = np.where(t == 0, x.dtype.type(0), t * np.log(t))
        return xlogx - t * x, -t

    def _count(self, x):
        return (x.shape[0] if x.ndim else 1) if self.reduction == "batchmean" else x.size

    def extra_repr(self):
        return f"reduction={self.reduction!r}, log_target={self.log_target}"


def _log_softmax(x, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


class NLLLoss(_Loss):
    __doc__ = fill(r"""Negative log-likelihood of class indices (``torch.nn.NLLLoss``); the input is log-probabilities.

    ``l_n = -w_{{t_n}} x_{{n, t_n}}``, and 0 where ``t_n = ignore_index``; 'mean' divides by
    ``sum_n w_{{t_n}}`` over the targets not ignored, not by N.
    Input ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``; target of integer dtype, ``(N)``, ``()`` or
    ``(N, d1, ...)``. Derivative: ``-w_{{t_n}}`` at the target class, 0 elsewhere.

    Args:
        {weight} One per class.
        ignore_index (int): a target value that contributes nothing. Default: -100.
        {reduction}
    {backward}
    """)

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.weight = None if weight is None else _array(type(self).__name__, "weight", weight)
        self.ignore_index = int(ignore_index)

    def forward(self, input, target):
        name = type(self).__name__
        x = _float_input(name, input)
        t = _array(name, "target", target)
        if x.ndim == 0:
            raise ValueError(f"{name}: input must have a class dimension, shape (N, C), (C,) or (N, C, d1, ...)")
        self.squeeze = x.ndim == 1
        if self.squeeze:
            x, t = x[None], t[None]
        logp = self._log_probabilities(x)
        self.coef = self._coefficients(x, t)
        losses = -np.sum(self.coef * logp, axis=1)
        return self._reduce(losses[0] if self.squeeze else losses, self.denominator)

    def _log_probabilities(self, x):
        return x

    def _class_weight(self, x):
        c = x.shape[1]
        w = _weight(type(self).__name__, "weight", self.weight, x.dtype)
        if w is not None and w.shape != (c,):
            raise ValueError(f"{type(self).__name__}: weight has shape {w.shape}, expected ({c},), one per class")
        return np.ones(c, dtype=x.dtype) if w is None else w

    def _index_coefficients(self, x, t):
        """Per-element coefficients ``A`` with ``l = -sum_c A_c log p_c``; sets the 'mean' denominator."""
        name = type(self).__name__
        n, c = x.shape[0], x.shape[1]
        if t.shape != (n,) + x.shape[2:]:
            raise ValueError(f"{name}: target shape {t.shape} does not fit input shape {x.shape}; "
                             f"expected {(n,) + x.shape[2:]} (shapes shown with a batch axis)")
        kept = t != self.ignore_index
        bad = kept & ((t < 0) | (t >= c))
        if bad.any():
            raise ValueError(f"{name}: target {int(t[bad][0])} is out of range for {c} classes; expected "
                             f"0 <= target < {c} or ignore_index={self.ignore_index}")
        w = self._class_weight(x)
        safe_t = np.where(kept, t, 0)
        w_t = np.where(kept, w[safe_t], x.dtype.type(0))
        onehot = np.zeros(x.shape, dtype=x.dtype)
        np.put_along_axis(onehot, safe_t[:, None], 1, axis=1)
        self.denominator = np.sum(w_t, dtype=x.dtype)
        return onehot * np.expand_dims(w_t, 1), kept, w

    def _check_indices(self, t):
        if not np.issubdtype(t.dtype, np.integer):
            raise ValueError(f"{type(self).__name__}: target must hold class indices of an integer dtype, "
                             f"got {t.dtype}")
        return t

    def _coefficients(self, x, t):
        return self._index_coefficients(x, self._check_indices(t))[0]

    def backward(self, grad_output=1.0):
        dtype = self.coef.dtype
        if self.squeeze and self.reduction == "none":
            g = self._upstream(grad_output, dtype, ()).reshape(1)
        else:
            g = self._upstream(grad_output, dtype, self.coef.shape[:1] + self.coef.shape[2:])
        grad = self._grad(np.expand_dims(g, 1))
        return grad[0] if self.squeeze else grad

    def _grad(self, g):
        return -self.coef * g

    def extra_repr(self):
        return f"ignore_index={self.ignore_index}, reduction={self.reduction!r}"


class CrossEntropyLoss(NLLLoss):
    __doc__ = fill(r"""Log-softmax and negative log-likelihood in one stable step (``torch.nn.CrossEntropyLoss``).

    With class indices (integer target): ``l_n = -(1 - eps) w_{{t_n}} log p_{{n, t_n}} - (eps / C) sum_c w_c log p_{{n, c}}``,
    0 where ``t_n = ignore_index``; 'mean' divides by ``sum_n w_{{t_n}}`` over the targets not ignored
    (torch's normalisation, for the smoothing term too).
    With class probabilities (floating target of the input's shape):
    ``l_n = -sum_c w_c q_{{n, c}} log p_{{n, c}}``, ``q = (1 - eps) t + eps / C``; 'mean' divides by N.
    ``log p`` is the max-shifted log-softmax over dim 1, finite for logits of +-1000.
    Derivative: ``softmax(x) * sum_c A_c - A`` where ``l = -sum_c A_c log p_c``.

    Args:
        {weight} One per class.
        ignore_index (int): a target value that contributes nothing (class-index targets only). Default: -100.
        {reduction}
        label_smoothing (float): ``eps`` in [0, 1]. Default: 0.0.
    {backward}
    """)

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(weight, ignore_index, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)

    def _log_probabilities(self, x):
        logp = _log_softmax(x, axis=1)
        self.p = np.exp(logp)
        return logp

    def _coefficients(self, x, t):
        eps = x.dtype.type(self.label_smoothing)
        c = x.shape[1]
        if np.issubdtype(t.dtype, np.floating):
            if t.shape != x.shape:
                raise ValueError(f"CrossEntropyLoss: probability target shape {t.shape} differs from input "
                                 f"shape {x.shape}; class probabilities must match the input's shape")
            q = t.astype(x.dtype, copy=False)
            if eps:
                q = q * (1 - eps) + eps / x.dtype.type(c)
            self.denominator = x.dtype.type(x.size // c)
            return q * np.expand_dims(self._class_weight(x), tuple(i for i in range(x.ndim) if i != 1))
        coef, kept, w = self._index_coefficients(x, self._check_indices(t))
        if eps:
            w_all = np.expand_dims(w, tuple(i for i in range(x.ndim) if i != 1))
            coef = (1 - eps) * coef + (eps / x.dtype.type(c)) * w_all * np.expand_dims(kept, 1).astype(x.dtype)
        return coef

    def _grad(self, g):
        a = self.coef * g
        return self.p * np.sum(a, axis=1, keepdims=True) - a

    def extra_repr(self):
        return (f"ignore_index={self.ignore_index}, reduction={self.reduction!r}, "
                f"label_smoothing={self.label_smoothing}")
