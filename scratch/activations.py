"""Activations, one class each, after ``torch.nn``'s: forward, then backward in the formula's names.

Every class keeps the input's dtype, never writes into its input, and takes the derivative at each
kink that torch's autograd takes (listed in each docstring).
"""
import math

import numpy as np

from ._special import erf
from ._typed import typed
from .module import Module

__all__ = ["Identity", "ReLU", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "Sigmoid", "Tanh", "Softplus",
           "SiLU", "Mish", "Hardtanh", "Softsign", "Softmax", "LogSoftmax"]


def _c(x, value):
    """``value`` as a 0-d array of ``x``'s dtype, so a constant never upcasts float32 (see ``typed``)."""
    return typed(x.dtype, value)


def _number(owner, name, value):
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
        raise ValueError(f"{owner}: {name} must be a number, got {value!r}")
    return float(value)


def _sigmoid(x):
    """``1 / (1 + exp(-x))`` split by sign, so neither branch overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _softplus(x):
    """``log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))``, finite for any x."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class _Activation(Module):
    """An activation: no parameters; ``forward`` caches what ``backward`` needs."""

    def named_parameters(self, prefix=""):
        return []


class Identity(_Activation):
    """``y = x``; ``dy/dx = 1`` (``torch.nn.Identity``)."""

    def forward(self, x):
        return x

    def backward(self, grad_y):
        return grad_y


class ReLU(_Activation):
    r"""``y = max(0, x)`` (``torch.nn.ReLU``).

    Derivative: 1 for x > 0, else 0; ReLU'(0) = 0, as torch's autograd. Written, as sklearn does, in
    terms of the output: ``grad_x = grad_y * (y != 0)``, so a NaN passes through both ways, as in
    torch; where ``grad_y`` is not finite, ``np.where`` instead (``inf * 0`` would be NaN where torch's
    select gives 0).

    Shape: input ``(*)``, output the same shape.
    """

    def forward(self, x):
        self.y = np.maximum(x, _c(x, 0))
        return self.y

    def backward(self, grad_y):
        keep = self.y != 0
        if np.count_nonzero(np.isfinite(grad_y)) == grad_y.size:
            grad_x = keep.astype(grad_y.dtype)
            grad_x *= grad_y
            return grad_x
        return np.where(keep, grad_y, _c(grad_y, 0))


class LeakyReLU(_Activation):
    r"""``y = x`` for x > 0, else ``negative_slope * x`` (``torch.nn.LeakyReLU``).

    Derivative: 1 for x > 0, else ``negative_slope``; at 0 it is ``negative_slope``, as torch's.

    Args: negative_slope (float): slope for x <= 0. Default: 0.01.
    """

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = _number("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x):
        self.positive = x > 0
        return np.where(self.positive, x, x * _c(x, self.negative_slope))

    def backward(self, grad_y):
        return np.where(self.positive, grad_y, grad_y * _c(grad_y, self.negative_slope))

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(_Activation):
    r"""``y = x`` for x > 0, else ``alpha * (exp(x) - 1)`` (``torch.nn.ELU``).

    Derivative: 1 for x > 0, else ``alpha * exp(x)``; ELU'(0) = alpha, as torch's (its x <= 0 branch).

    Args: alpha (float): the value approached as x -> -inf is ``-alpha``. Default: 1.0.
    """

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = _number(type(self).__name__, "alpha", alpha)

    def _parts(self):
        """(scale, alpha, input_scale): y = scale * x for x > 0, else scale * alpha * expm1(x * input_scale)."""
        return 1.0, self.alpha, 1.0

    def forward(self, x):
        scale, alpha, input_scale = (_c(x, v) for v in self._parts())
        self.x = x
        negative = alpha * np.expm1(np.minimum(x, 0) * input_scale)
        return scale * np.where(x > 0, x, negative)

    def backward(self, grad_y):
        scale, alpha, input_scale = (_c(grad_y, v) for v in self._parts())
        x = self.x
        negative = alpha * input_scale * np.exp(np.minimum(x, 0) * input_scale)
        return grad_y * scale * np.where(x > 0, _c(x, 1), negative)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class SELU(ELU):
    r"""``y = scale * (x if x > 0 else alpha * (exp(x) - 1))`` (``torch.nn.SELU``).

    ``alpha = 1.6732632423543772``, ``scale = 1.0507009873554805`` (Klambauer et al., 2017).
    Derivative: ``scale`` for x > 0, else ``scale * alpha * exp(x)``; SELU'(0) = scale * alpha ~ 1.7581.
    """

    ALPHA = 1.6732632423543772848170429916717
    SCALE = 1.0507009873554804934193349852946

    def __init__(self):
        super().__init__(alpha=self.ALPHA)

    def _parts(self):
        return self.SCALE, self.ALPHA, 1.0

    def extra_repr(self):
        return ""


class CELU(ELU):
    r"""``y = x`` for x > 0, else ``alpha * (exp(x / alpha) - 1)`` (``torch.nn.CELU``).

    Derivative: 1 for x > 0, else ``exp(x / alpha)``; CELU'(0) = 1.

    Args: alpha (float): Default: 1.0. Must not be 0.
    """

    def __init__(self, alpha=1.0):
        super().__init__(alpha=alpha)
        if self.alpha == 0:
            raise ValueError("CELU: alpha must not be 0, got 0.0")

    def _parts(self):
        return 1.0, self.alpha, 1.0 / self.alpha


class GELU(_Activation):
    r"""Gaussian error linear unit (``torch.nn.GELU``).

    ``approximate='none'``: ``y = x * Phi(x) = x/2 * (1 + erf(x / sqrt(2)))``,
    ``dy/dx = Phi(x) + x * phi(x)`` with ``phi(x) = exp(-x^2/2) / sqrt(2 pi)``; the forward keeps
    ``Phi(x)`` for the backward, in torch's operation order either way.

    ``approximate='tanh'``: ``y = x/2 * (1 + tanh(u))``, ``u = sqrt(2/pi) * (x + 0.044715 x^3)``,
    ``dy/dx = (1 + tanh(u))/2 + x/2 * (1 - tanh(u)^2) * sqrt(2/pi) * (1 + 3 * 0.044715 x^2)``.

    Args: approximate ({'none', 'tanh'}): Default: 'none'.
    """

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        self.x = x
        half = _c(x, 0.5)
        if self.approximate == "tanh":
            self.t = np.tanh(_c(x, math.sqrt(2 / math.pi)) * (x + _c(x, 0.044715) * x * x * x))
            return half * x * (1 + self.t)
        one_plus_erf = 1 + erf(x * _c(x, 1 / math.sqrt(2)))
        self.cdf = half * one_plus_erf
        return x * half * one_plus_erf

    def backward(self, grad_y):
        x = self.x
        half = _c(x, 0.5)
        if self.approximate == "tanh":
            k = _c(x, math.sqrt(2 / math.pi))
            du = k * (1 + _c(x, 3 * 0.044715) * x * x)
            return grad_y * (half * (1 + self.t) + half * x * (1 - self.t * self.t) * du)
        pdf = np.exp(-half * x * x) * _c(x, 1 / math.sqrt(2 * math.pi))
        return grad_y * (self.cdf + x * pdf)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(_Activation):
    r"""``y = 1 / (1 + exp(-x))`` (``torch.nn.Sigmoid``), computed split by sign so ±1000 do not overflow.

    Derivative from the output: ``dy/dx = y (1 - y)``.
    """

    def forward(self, x):
        self.y = _sigmoid(x)
        return self.y

    def backward(self, grad_y):
        return grad_y * (1 - self.y) * self.y


class Tanh(_Activation):
    r"""``y = tanh(x)`` (``torch.nn.Tanh``). Derivative from the output: ``1 - y^2``."""

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad_y):
        return grad_y * (1 - self.y * self.y)


class Softplus(_Activation):
    r"""``y = log(1 + exp(beta x)) / beta``, and ``y = x`` where ``beta x > threshold`` (``torch.nn.Softplus``).

    Derivative: ``sigmoid(beta x)``, and 1 where ``beta x > threshold`` (torch's reversion to linear).

    Args: beta (float): Default: 1.0. threshold (float): Default: 20.0.
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = _number("Softplus", "beta", beta)
        self.threshold = _number("Softplus", "threshold", threshold)

    def forward(self, x):
        self.x = x
        bx = x * _c(x, self.beta)
        self.linear = bx > self.threshold
        return np.where(self.linear, x, _softplus(bx) / _c(x, self.beta))

    def backward(self, grad_y):
        bx = self.x * _c(self.x, self.beta)
        return np.where(self.linear, grad_y, grad_y * _sigmoid(bx))

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class SiLU(_Activation):
    r"""``y = x * sigmoid(x)`` (``torch.nn.SiLU``). Derivative: ``s (1 + x (1 - s))``, ``s = sigmoid(x)``."""

    def forward(self, x):
        self.x = x
        self.s = _sigmoid(x)
        return x * self.s

    def backward(self, grad_y):
        s = self.s
        return grad_y * (s * (1 + self.x * (1 - s)))


class Mish(_Activation):
    r"""``y = x * tanh(softplus(x))`` (``torch.nn.Mish``; softplus without a threshold).

    Derivative: ``tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2)``, ``sp = softplus(x)``.
    """

    def forward(self, x):
        self.x = x
        self.t = np.tanh(_softplus(x))
        return x * self.t

    def backward(self, grad_y):
        t = self.t
        return grad_y * (t + self.x * _sigmoid(self.x) * (1 - t * t))


class Hardtanh(_Activation):
    r"""``y = clip(x, min_val, max_val)`` (``torch.nn.Hardtanh``).

    Derivative: 1 strictly inside ``(min_val, max_val)``, 0 at both edges and outside, as torch's.

    Args: min_val (float): Default: -1.0. max_val (float): Default: 1.0. ``max_val > min_val``.
    """

    def __init__(self, min_val=-1.0, max_val=1.0):
        super().__init__()
        self.min_val = _number("Hardtanh", "min_val", min_val)
        self.max_val = _number("Hardtanh", "max_val", max_val)
        if self.max_val <= self.min_val:
            raise ValueError(f"Hardtanh: max_val ({self.max_val}) must be greater than min_val ({self.min_val})")

    def forward(self, x):
        self.inside = (x > self.min_val) & (x < self.max_val)
        return np.clip(x, _c(x, self.min_val), _c(x, self.max_val))

    def backward(self, grad_y):
        return np.where(self.inside, grad_y, _c(grad_y, 0))

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Softsign(_Activation):
    r"""``y = x / (1 + |x|)`` (``torch.nn.Softsign``). Derivative: ``1 / (1 + |x|)^2``."""

    def forward(self, x):
        self.d = 1 + np.abs(x)
        return x / self.d

    def backward(self, grad_y):
        return grad_y / (self.d * self.d)


class Softmax(_Activation):
    r"""``y_i = exp(x_i - max x) / sum_j exp(x_j - max x)`` along ``dim`` (``torch.nn.Softmax``).

    Backward is the full Jacobian-vector product ``grad_x = y * (grad_y - sum(grad_y * y))``,
    not only its diagonal.

    Args: dim (int): the axis that sums to 1. Default: -1 (torch's implicit choice is deprecated).
    """

    def __init__(self, dim=-1):
        super().__init__()
        if not isinstance(dim, (int, np.integer)):
            raise ValueError(f"{type(self).__name__}: dim must be an int, got {dim!r}")
        self.dim = int(dim)

    def forward(self, x):
        e = np.exp(x - np.max(x, axis=self.dim, keepdims=True))
        self.y = e / e.sum(axis=self.dim, keepdims=True)
        return self.y

    def backward(self, grad_y):
        y = self.y
        return y * (grad_y - np.sum(grad_y * y, axis=self.dim, keepdims=True))

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    r"""``y_i = x_i - max x - log sum_j exp(x_j - max x)`` along ``dim`` (``torch.nn.LogSoftmax``).

    Backward: ``grad_x = grad_y - exp(y) * sum(grad_y)``.
    """

    def forward(self, x):
        shifted = x - np.max(x, axis=self.dim, keepdims=True)
        self.y = shifted - np.log(np.sum(np.exp(shifted), axis=self.dim, keepdims=True))
        return self.y

    def backward(self, grad_y):
        return grad_y - np.exp(self.y) * np.sum(grad_y, axis=self.dim, keepdims=True)
