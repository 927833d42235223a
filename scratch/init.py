"""Weight initialisation, after ``torch.nn.init``: fill an array in place and return it.

Names, arguments and defaults are torch's, with ``rng=`` (a ``numpy.random.Generator``,
default ``np.random.default_rng()``) in place of torch's ``generator=``. The random streams are
not torch's, so the twins agree in distribution, not in values. The array keeps its dtype.
A :class:`~scratch.module.Parameter` may be passed instead of an array; its ``data`` is filled.

Examples
--------
>>> w = np.empty((4, 3), dtype=np.float32)
>>> kaiming_uniform_(w, a=math.sqrt(5), rng=np.random.default_rng(0)).dtype
dtype('float32')
"""
import math
import warnings

import numpy as np

from .module import Parameter

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "ones_", "zeros_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]

_GAINS = {
    "linear": 1, "conv1d": 1, "conv2d": 1, "conv3d": 1,
    "conv_transpose1d": 1, "conv_transpose2d": 1, "conv_transpose3d": 1,
    "sigmoid": 1, "tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 3.0 / 4,
}


def _array(tensor):
    return tensor.data if isinstance(tensor, Parameter) else tensor


def _rng(rng):
    return np.random.default_rng() if rng is None else rng


def calculate_gain(nonlinearity, param=None):
    r"""The recommended gain for a nonlinearity (``torch.nn.init.calculate_gain``).

    ====================== ==========================================
    nonlinearity           gain
    ====================== ==========================================
    linear, conv*, sigmoid :math:`1`
    tanh                   :math:`5/3`
    relu                   :math:`\sqrt{2}`
    leaky_relu             :math:`\sqrt{2 / (1 + \text{negative\_slope}^2)}`, slope ``param``
                           (Default: 0.01; an int or float, not a bool)
    selu                   :math:`3/4`
    ====================== ==========================================

    >>> calculate_gain("leaky_relu", 0.2)
    1.3867504905630728
    """
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, int) or isinstance(param, float):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    try:
        return _GAINS[nonlinearity]
    except (KeyError, TypeError):
        known = ", ".join(sorted([*_GAINS, "leaky_relu"]))
        raise ValueError(f"Unsupported nonlinearity {nonlinearity}; known: {known}") from None


def uniform_(tensor, a=0.0, b=1.0, rng=None):
    """Fill with draws from :math:`U(a, b)` (``torch.nn.init.uniform_``); ``a > b`` is a ValueError."""
    if a > b:
        raise ValueError(f"uniform_ expects to return a [a, b) range, but found a={a} > b={b}")
    array = _array(tensor)
    array[...] = _rng(rng).uniform(a, b, array.shape)
    return tensor


def normal_(tensor, mean=0.0, std=1.0, rng=None):
    r"""Fill with draws from :math:`\mathcal{N}(\text{mean}, \text{std}^2)` (``torch.nn.init.normal_``)."""
    if std < 0:
        raise ValueError(f"normal_ expects std >= 0.0, but found std {std}")
    array = _array(tensor)
    array[...] = _rng(rng).normal(mean, std, array.shape)
    return tensor


def constant_(tensor, val):
    """Fill with ``val`` (``torch.nn.init.constant_``)."""
    _array(tensor)[...] = val
    return tensor


def ones_(tensor):
    """Fill with 1 (``torch.nn.init.ones_``)."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with 0 (``torch.nn.init.zeros_``)."""
    return constant_(tensor, 0.0)


def _calculate_fan_in_and_fan_out(array):
    """``fan_in = shape[1] * prod(shape[2:])``, ``fan_out = shape[0] * prod(shape[2:])``, as torch's."""
    if array.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field_size = math.prod(array.shape[2:])
    return array.shape[1] * receptive_field_size, array.shape[0] * receptive_field_size


def _calculate_correct_fan(array, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(array)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, rng=None):
    r"""Glorot uniform (``torch.nn.init.xavier_uniform_``): :math:`U(-a, a)`.

    :math:`a = \text{gain} \sqrt{6 / (\text{fan\_in} + \text{fan\_out})}`, computed as torch does:
    ``std = gain * sqrt(2 / (fan_in + fan_out))``, ``a = sqrt(3) * std``.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_array(tensor))
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, rng=rng)


def xavier_normal_(tensor, gain=1.0, rng=None):
    r"""Glorot normal (``torch.nn.init.xavier_normal_``): :math:`\mathcal{N}(0, \text{std}^2)`.

    :math:`\text{std} = \text{gain} \sqrt{2 / (\text{fan\_in} + \text{fan\_out})}`.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_array(tensor))
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, rng=rng)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(_array(tensor), mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    r"""He uniform (``torch.nn.init.kaiming_uniform_``): :math:`U(-\text{bound}, \text{bound})`.

    :math:`\text{bound} = \sqrt{3}\, \text{gain} / \sqrt{\text{fan}}`, with ``gain =
    calculate_gain(nonlinearity, a)`` (``a`` is leaky_relu's negative slope) and ``fan`` the
    ``mode`` ('fan_in' or 'fan_out', any case). A zero-element array is left as it is, with torch's
    warning. ``Linear`` uses ``a=sqrt(5)``, which gives the bound ``1/sqrt(in_features)``.
    """
    if 0 in _array(tensor).shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, rng=rng)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    r"""He normal (``torch.nn.init.kaiming_normal_``): :math:`\mathcal{N}(0, \text{std}^2)`.

    :math:`\text{std} = \text{gain} / \sqrt{\text{fan}}`; arguments as in :func:`kaiming_uniform_`.
    """
    if 0 in _array(tensor).shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0, _kaiming_std(tensor, a, mode, nonlinearity), rng=rng)
