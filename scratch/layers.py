"""Layers with parameters or state, after ``torch.nn``: Linear, Dropout, BatchNorm1d, BatchNorm2d, LayerNorm,
GroupNorm."""
import math
import numbers

import numpy as np

from . import init
from .module import Module, Parameter

__all__ = ["Linear", "Dropout", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm"]


def _rows(a):
    """``a`` as a matrix with one row per vector along its last axis, as torch's ``linear`` folds it."""
    return a if a.ndim == 2 else a.reshape(-1, a.shape[-1])


def _dot(a, b):
    """``a @ b`` for a 2-D ``b``, as one ``np.dot`` of ``a`` folded by :func:`_rows`.

    The same BLAS call and bits as ``@`` for a 2-D ``a``, with less overhead per call: about 2 us of a
    100 us training step at batch 32, no difference at batch 256 or 1024 (measured side by side). An
    N-D ``a`` is folded because ``np.dot`` would loop over it without BLAS (5 times slower)."""
    y = np.dot(_rows(a), b)
    return y if a.ndim == 2 else y.reshape(a.shape[:-1] + b.shape[1:])


class Linear(Module):
    r"""Affine map ``y = x W^T + b`` (``torch.nn.Linear``).

    ``weight`` is ``(out_features, in_features)`` and ``bias`` is ``(out_features,)``, torch's
    layout, so weights cross between the twins by plain copy.
    Initialised as torch's ``reset_parameters``: ``init.kaiming_uniform_(weight, a=sqrt(5))`` and the
    bias uniform in ``±1/sqrt(fan_in)``; both bounds work out to ``1/sqrt(in_features)``.
    NumPy's default dtype is float64; torch's is float32.

    Backward: ``grad_x = grad_y W``, ``grad_W += grad_y^T x``, ``grad_b += sum_n grad_y``.
    ``backward(grad_y, input_grad=False)`` skips ``grad_x`` and returns None: for a first layer, whose
    input is data, as torch's autograd skips it for an input that does not require grad.

    Shape: input ``(*, in_features)``, output ``(*, out_features)``.

    Examples
    --------
    >>> layer = Linear(3, 2, rng=np.random.default_rng(0))
    >>> layer(np.ones((4, 3))).shape
    (4, 2)
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float64, rng=None):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {value!r}")
        rng = np.random.default_rng() if rng is None else rng
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        self.bias = None
        if bias:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight.data)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            self.bias = init.uniform_(Parameter(np.empty(out_features, dtype=dtype)), -bound, bound, rng=rng)

    def forward(self, x):
        x = np.asarray(x)
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"Linear: input of shape {x.shape} must end in in_features={self.in_features}; "
                             f"the weight is (out_features, in_features) = {self.weight.shape}")
        self.x = x
        y = _dot(x, self.weight.data.T)
        if self.bias is not None:
            y += self.bias.data
        return y

    def backward(self, grad_y, input_grad=True):
        x2, g2 = _rows(self.x), _rows(grad_y)
        self.weight.accumulate(np.dot(g2.T, x2))
        if self.bias is not None:
            self.bias.accumulate(np.add.reduce(g2, axis=0))
        return _dot(grad_y, self.weight.data) if input_grad else None

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Dropout(Module):
    r"""Zero each element with probability ``p`` and scale the rest by ``1/(1-p)`` (``torch.nn.Dropout``).

    Training: ``y = x * noise`` with ``noise = mask / (1 - p)``, ``mask ~ Bernoulli(1 - p)``; the
    division is done in the input's dtype, as torch does (``noise.div_(1 - p)``), which is the last
    bit in float32. ``p = 1`` gives ``x * 0`` (zeros, no 0/0). Evaluation, or ``p = 0``: ``y = x``.

    Derivative: ``grad_x = grad_y * noise`` (``grad_y`` itself in eval mode or for ``p = 0``).

    ``mask`` (bool, the input's shape) is the last keep-mask, all True when nothing was dropped,
    so a twin can replay it. ``rng``: a ``numpy.random.Generator``; Default: ``np.random.default_rng()``.

    Shape: input ``(*)``, output the same shape.

    Examples
    --------
    >>> drop = Dropout(0.5, rng=np.random.default_rng(0))
    >>> y = drop(np.ones((2, 4)))
    >>> bool(np.all(y == 2 * drop.mask))
    True
    """

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"Dropout: dropout probability p has to be between 0 and 1, but got {p}")
        self.p = p
        self.rng = np.random.default_rng() if rng is None else rng
        self.mask = None
        self.noise = None

    def forward(self, x):
        if not self.training or self.p == 0 or x.size == 0:
            self.mask, self.noise = np.ones(x.shape, dtype=bool), None
            return x
        self.mask = self.rng.random(x.shape) < 1 - self.p
        if self.p == 1:
            self.noise = np.zeros(x.shape, dtype=x.dtype)
        else:
            self.noise = self.mask.astype(x.dtype) / x.dtype.type(1 - self.p)
        return x * self.noise

    def backward(self, grad_y):
        return grad_y if self.noise is None else grad_y * self.noise

    def extra_repr(self):
        return f"p={self.p}, inplace=False"


def _check_eps(cls, eps):
    if not isinstance(eps, numbers.Real) or not eps >= 0:
        raise ValueError(f"{cls}: eps must be a non-negative number, got {eps!r}")


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share: everything but the input ranks they accept (``_ndims``)."""

    _buffers = ("running_mean", "running_var", "num_batches_tracked")
    _ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=np.float64, *, bias=True):
        super().__init__()
        name = type(self).__name__
        if not isinstance(num_features, (int, np.integer)) or num_features < 0:
            raise ValueError(f"{name}: num_features must be a non-negative int, got {num_features!r}")
        _check_eps(name, eps)
        if momentum is not None and not isinstance(momentum, numbers.Real):
            raise ValueError(f"{name}: momentum must be a number or None, got {momentum!r}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if affine and bias else None
        self.running_mean = np.zeros(num_features, dtype=dtype) if track_running_stats else None
        self.running_var = np.ones(num_features, dtype=dtype) if track_running_stats else None
        self.num_batches_tracked = np.array(0, dtype=np.int64) if track_running_stats else None

    def forward(self, x):
        name = type(self).__name__
        if x.ndim not in self._ndims:
            raise ValueError(f"{name}: expected {' or '.join(f'{n}D' for n in self._ndims)} input "
                             f"(got {x.ndim}D input)")
        if (self.affine or self.track_running_stats) and x.shape[1] != self.num_features:
            raise ValueError(f"{name}: expected input with {self.num_features} channels in dim 1, "
                             f"got input of size {list(x.shape)}")
        self.axes = (0,) + tuple(range(2, x.ndim))
        self.m = math.prod(x.shape[i] for i in self.axes)
        self.batch_stats = self.training or self.running_mean is None
        update = self.training and self.running_mean is not None
        if update:
            self.num_batches_tracked += 1
        wide = np.promote_types(x.dtype, np.float64)
        x_wide = x.astype(wide, copy=False)
        if self.batch_stats:
            if self.m == 1:
                raise ValueError(f"Expected more than 1 value per channel when training, "
                                 f"got input size {list(x.shape)}")
            if self.eps <= 0:
                raise ValueError(f"batch_norm eps must be positive during training, but got {self.eps}")
            mean = (x_wide.sum(axis=self.axes) / self.m).astype(x.dtype)
            var_sum = np.square(x_wide - self._channel(mean)).sum(axis=self.axes)
            if update:
                self._update_running_stats(mean, var_sum / (self.m - 1))
            invstd = 1 / np.sqrt(var_sum / self.m + self.eps)
        else:
            mean = self.running_mean.astype(x.dtype)
            invstd = 1 / np.sqrt(self.running_var.astype(wide) + self.eps)
        self.x, self.mean, self.invstd = x, mean, invstd.astype(x.dtype)
        scale = self.invstd if self.weight is None else self.invstd * self.weight.data.astype(x.dtype)
        beta = 0 if self.bias is None else self.bias.data.astype(wide)
        shift = (beta - mean.astype(wide) * scale).astype(x.dtype)
        return (x_wide * self._channel(scale) + self._channel(shift)).astype(x.dtype)

    def _channel(self, v):
        """A per-channel vector shaped to broadcast against ``(N, C, *)``."""
        return v.reshape((1, -1) + (1,) * (len(self.axes) - 1))

    def _update_running_stats(self, mean, unbiased_var):
        momentum = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        momentum = self.running_mean.dtype.type(momentum)
        self.running_mean[...] = momentum * mean + (1 - momentum) * self.running_mean
        self.running_var[...] = momentum * unbiased_var + (1 - momentum) * self.running_var

    def backward(self, grad_y):
        wide = np.promote_types(grad_y.dtype, np.float64)
        g = grad_y.astype(wide, copy=False)
        x_c = self.x.astype(wide) - self._channel(self.mean)
        sum_g = g.sum(axis=self.axes)
        dotp = (g * x_c).sum(axis=self.axes)
        grad_x = g
        if self.batch_stats:
            k = dotp * self.invstd * self.invstd / self.m
            grad_x = g - self._channel(sum_g / self.m) - x_c * self._channel(k)
        grad_x = grad_x * self._channel(self.invstd)
        if self.weight is not None:
            grad_x = grad_x * self._channel(self.weight.data)
            self.weight.accumulate(dotp * self.invstd)
        if self.bias is not None:
            self.bias.accumulate(sum_g)
        return grad_x.astype(grad_y.dtype)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    r"""Batch normalisation over ``(N, C)`` or ``(N, C, L)``, per channel C (``torch.nn.BatchNorm1d``).

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    computed as torch's CPU kernel does: ``scale = gamma * invstd``, ``shift = beta - mean * scale``,
    ``y = x * scale + shift``. Training (or no running stats): mean and the biased variance of the
    batch, over N (and L); the running stats are updated with the *unbiased* variance:
    ``running = (1 - momentum) * running + momentum * batch_stat``; ``momentum=None`` uses the
    cumulative average, ``momentum = 1 / num_batches_tracked``. Eval: ``running_mean`` and
    ``running_var``. ``track_running_stats=False`` leaves the three buffers None and uses batch
    statistics in eval mode too. As in torch, ``num_batches_tracked`` counts a training call before the
    batch is checked, and a single value per channel with batch statistics is a ValueError.
    Float32 input is reduced and transformed in float64 and rounded once, as torch's double
    accumulators and fused multiply-adds do; the output and gradients are float32.

    Derivative (batch statistics, ``m`` values per channel, ``x_c = x - mean``):
    ``grad_x = (grad_y - sum(grad_y)/m - x_c * sum(grad_y x_c) invstd^2 / m) * invstd * gamma``;
    with running statistics ``grad_x = grad_y * invstd * gamma``.
    ``grad_gamma += sum(grad_y x_c) * invstd``, ``grad_beta += sum(grad_y)``.

    Args: ``num_features`` C; ``eps`` Default: 1e-5; ``momentum`` (float or None) Default: 0.1;
    ``affine`` learnable ``weight`` (gamma, ones) and ``bias`` (beta, zeros) Default: True;
    ``track_running_stats`` Default: True; ``dtype`` of parameters and buffers Default: float64;
    ``bias`` (keyword, torch 2.13's) Default: True.

    Shape: input ``(N, C)`` or ``(N, C, L)``, output the same shape.

    Examples
    --------
    >>> bn = BatchNorm1d(3)
    >>> y = bn(np.random.default_rng(0).normal(size=(8, 3)))
    >>> np.allclose(y.mean(axis=0), 0), int(bn.num_batches_tracked)
    (True, 1)
    """

    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    r"""Batch normalisation of images ``(N, C, H, W)``, per channel C (``torch.nn.BatchNorm2d``).

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    :class:`BatchNorm1d`'s computation, with the statistics of each channel over N, H and W
    (``m = N H W`` values): the biased batch variance normalises, the unbiased one (``m / (m - 1)``
    times it) enters ``running_var``; ``momentum=None`` is the cumulative average; eval mode uses the
    running statistics; ``num_batches_tracked`` counts the training calls.

    Derivative: as :class:`BatchNorm1d`'s, with sums over N, H and W:
    ``grad_x = (grad_y - sum(grad_y)/m - x_c * sum(grad_y x_c) invstd^2 / m) * invstd * gamma``
    (``grad_y * invstd * gamma`` with running statistics), ``grad_gamma += sum(grad_y x_c) * invstd``,
    ``grad_beta += sum(grad_y)``.

    Args: as :class:`BatchNorm1d`'s: ``num_features`` C; ``eps`` Default: 1e-5; ``momentum`` Default:
    0.1; ``affine`` Default: True; ``track_running_stats`` Default: True; ``dtype`` Default: float64;
    ``bias`` (keyword) Default: True. ``state_dict`` keys: ``weight``, ``bias``, ``running_mean``,
    ``running_var``, ``num_batches_tracked``.

    Shape: input ``(N, C, H, W)``, output the same shape.

    Examples
    --------
    >>> bn = BatchNorm2d(3)
    >>> y = bn(np.random.default_rng(0).normal(size=(4, 3, 5, 5)))
    >>> np.allclose(y.mean(axis=(0, 2, 3)), 0), int(bn.num_batches_tracked)
    (True, 1)
    """

    _ndims = (4,)


class LayerNorm(Module):
    r"""Normalise over the trailing ``normalized_shape`` dims of each sample (``torch.nn.LayerNorm``).

    .. math::
        \hat{x} = (x - \mathrm{E}[x]) \cdot \frac{1}{\sqrt{\mathrm{Var}[x] + \epsilon}}, \qquad
        y = \hat{x} \gamma + \beta

    with the mean and the biased variance over the trailing dims, ``gamma`` (``weight``, ones) and
    ``beta`` (``bias``, zeros) of shape ``normalized_shape`` when ``elementwise_affine``.
    Unlike BatchNorm1d, training and eval mode compute the same thing. Float32 input is normalised
    in float64 and rounded once to float32 (torch stays in float32, so it is the less accurate twin
    when the mean dwarfs the spread, e.g. ``1000 + N(0, 1)``).

    Derivative (``D`` values normalised together, ``g = grad_y * gamma``, means over those values):
    ``grad_x = rstd * (g - mean(g) - x_hat * mean(g x_hat))``;
    ``grad_gamma += sum over samples of grad_y x_hat``, ``grad_beta += sum over samples of grad_y``.

    Args: ``normalized_shape`` int or tuple; ``eps`` Default: 1e-5; ``elementwise_affine`` Default:
    True; ``bias`` Default: True; ``dtype`` of the parameters Default: float64.

    Shape: input ``(*, *normalized_shape)``, output the same shape.

    Examples
    --------
    >>> ln = LayerNorm(4)
    >>> y = ln(np.arange(8.0).reshape(2, 4))
    >>> np.allclose(y.mean(axis=-1), 0)
    True
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=np.float64):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else normalized_shape
        if not all(isinstance(s, numbers.Integral) and s >= 0 for s in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be an int or a tuple of non-negative ints, "
                             f"got {normalized_shape!r}")
        _check_eps("LayerNorm", eps)
        self.normalized_shape = tuple(int(s) for s in shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if elementwise_affine and bias else None

    def forward(self, x):
        d = len(self.normalized_shape)
        if x.ndim < d or x.shape[x.ndim - d:] != self.normalized_shape:
            raise ValueError(f"LayerNorm: given normalized_shape={list(self.normalized_shape)}, expected input "
                             f"with shape [*, {', '.join(map(str, self.normalized_shape))}], "
                             f"but got input of size {list(x.shape)}")
        self.axes = tuple(range(x.ndim - d, x.ndim))
        x_wide = x.astype(np.promote_types(x.dtype, np.float64), copy=False)
        x_c = x_wide - x_wide.mean(axis=self.axes, keepdims=True)
        var = np.square(x_c).mean(axis=self.axes, keepdims=True)
        self.rstd = 1 / np.sqrt(var + self.eps)
        self.x_hat = x_c * self.rstd
        y = self.x_hat if self.weight is None else self.x_hat * self.weight.data
        y = y if self.bias is None else y + self.bias.data
        return y.astype(x.dtype)

    def backward(self, grad_y):
        g = grad_y.astype(self.x_hat.dtype, copy=False)
        g = g if self.weight is None else g * self.weight.data
        mean_g = g.mean(axis=self.axes, keepdims=True)
        mean_gx = (g * self.x_hat).mean(axis=self.axes, keepdims=True)
        grad_x = self.rstd * (g - mean_g - self.x_hat * mean_gx)
        samples = tuple(range(grad_y.ndim - len(self.normalized_shape)))
        if self.weight is not None:
            self.weight.accumulate((grad_y * self.x_hat).sum(axis=samples))
        if self.bias is not None:
            self.bias.accumulate(grad_y.sum(axis=samples))
        return grad_x.astype(grad_y.dtype)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    r"""Normalise each sample over groups of channels (``torch.nn.GroupNorm``).

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma_c + \beta_c

    with the mean and the biased variance of each sample ``n`` and group of ``C / num_groups``
    consecutive channels, over those channels and every spatial position; ``gamma`` (``weight``, ones)
    and ``beta`` (``bias``, zeros) are per channel. Training and eval compute the same thing (no running
    statistics). ``num_groups = 1`` normalises each sample over all its values (LayerNorm over
    ``(C, *)`` with per-channel affine), ``num_groups = C`` each channel alone (InstanceNorm).
    Float32 input is normalised in float64 and rounded once, as :class:`LayerNorm`.

    Derivative (``D`` values per group, ``g = grad_y * gamma``, means over the group):
    ``grad_x = rstd * (g - mean(g) - x_hat * mean(g x_hat))``;
    ``grad_gamma += sum over N and positions of grad_y x_hat``, ``grad_beta += sum of grad_y``.

    Args: ``num_groups`` dividing ``num_channels``; ``num_channels`` C; ``eps`` Default: 1e-5;
    ``affine`` Default: True; ``dtype`` of the parameters Default: float64; ``bias`` (keyword) Default: True.

    Shape: input ``(N, C, *)``, output the same shape.

    Examples
    --------
    >>> gn = GroupNorm(2, 4)
    >>> y = gn(np.random.default_rng(0).normal(size=(3, 4, 5)))
    >>> np.allclose(y.reshape(3, 2, -1).mean(axis=-1), 0)
    True
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, dtype=np.float64, *, bias=True):
        super().__init__()
        for name, value, least, allowed in (("num_groups", num_groups, 1, "positive"),
                                            ("num_channels", num_channels, 0, "non-negative")):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < least:
                raise ValueError(f"GroupNorm: {name} must be a {allowed} int, got {value!r}")
        if num_channels % num_groups != 0:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        _check_eps("GroupNorm", eps)
        self.num_groups, self.num_channels, self.eps, self.affine = int(num_groups), int(num_channels), eps, affine
        self.weight = Parameter(np.ones(num_channels, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_channels, dtype=dtype)) if affine and bias else None

    def _channel(self, v):
        return v.reshape((1, -1) + (1,) * (self.x_shape_len - 2))

    def forward(self, x):
        if x.ndim < 2:
            raise ValueError(f"GroupNorm: Expected at least 2 dimensions for input, got input of size {list(x.shape)}")
        if x.shape[1] % self.num_groups != 0 or (self.affine and x.shape[1] != self.num_channels):
            raise ValueError(f"GroupNorm: Expected number of channels in input to be {self.num_channels} and "
                             f"divisible by num_groups={self.num_groups}, but got input of shape {list(x.shape)}")
        self.x_shape, self.x_shape_len = x.shape, x.ndim
        groups = x.astype(np.promote_types(x.dtype, np.float64), copy=False).reshape(x.shape[0], self.num_groups, -1)
        x_c = groups - groups.mean(axis=2, keepdims=True)
        self.rstd = 1 / np.sqrt(np.square(x_c).mean(axis=2, keepdims=True) + self.eps)
        self.x_hat = (x_c * self.rstd).reshape(x.shape)
        y = self.x_hat if self.weight is None else self.x_hat * self._channel(self.weight.data)
        y = y if self.bias is None else y + self._channel(self.bias.data)
        return y.astype(x.dtype)

    def backward(self, grad_y):
        g = grad_y.astype(self.x_hat.dtype, copy=False)
        g = g if self.weight is None else g * self._channel(self.weight.data)
        n = self.x_shape[0]
        g, x_hat = g.reshape(n, self.num_groups, -1), self.x_hat.reshape(n, self.num_groups, -1)
        grad_x = self.rstd * (g - g.mean(axis=2, keepdims=True) - x_hat * (g * x_hat).mean(axis=2, keepdims=True))
        per_channel = (0,) + tuple(range(2, grad_y.ndim))
        if self.weight is not None:
            self.weight.accumulate((grad_y * self.x_hat).sum(axis=per_channel))
        if self.bias is not None:
            self.bias.accumulate(grad_y.sum(axis=per_channel))
        return grad_x.reshape(self.x_shape).astype(grad_y.dtype)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
