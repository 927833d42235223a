"""Convolutions after ``torch.nn``: Conv1d and Conv2d, by im2col and one matrix product.

The input is padded, its windows are gathered into columns (``im2col``, through
``numpy.lib.stride_tricks.sliding_window_view``), and the whole layer is one (batched over groups)
matrix product of the weight with those columns. Backward runs the same product the other way and
scatters the column gradients back onto the input (``col2im``), *adding* where windows overlap.
"""
import math
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import init
from .module import Module, Parameter

__all__ = ["Conv1d", "Conv2d"]

_PADDING_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
"""torch's ``padding_mode`` and the ``numpy.pad`` mode that pads the same way."""


def _ntuple(value, n, owner, name, least):
    """``value`` (an int or a tuple of ``n`` ints) as a tuple of ``n`` ints, each ``>= least``."""
    values = (value,) * n if isinstance(value, numbers.Integral) else tuple(value) if isinstance(
        value, (tuple, list)) else None
    if values is None or len(values) != n or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{owner}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < least for v in values):
        raise ValueError(f"{owner}: {name} must be >= {least} in every dimension, got {value!r}")
    return tuple(int(v) for v in values)


def _pad_widths(padding, kernel_size, dilation):
    """``(left, right)`` per spatial dim: ``padding`` on both sides, or torch's 'same' rule (total
    ``dilation * (kernel - 1)``, the odd one extra on the right), or none for 'valid'."""
    if padding == "valid":
        return tuple((0, 0) for _ in kernel_size)
    if padding == "same":
        return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel_size, dilation))
    return tuple((p, p) for p in padding)


def _pad_index(size, left, right, mode):
    """For padding modes other than zeros: which input position each padded position copies."""
    return np.pad(np.arange(size), (left, right), mode=_PADDING_MODES[mode])


class _ConvNd(Module):
    """What Conv1d and Conv2d share; ``_d`` is the number of spatial dims."""

    _d = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", dtype=np.float64, rng=None):
        super().__init__()
        name, d = type(self).__name__, self._d
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name}: {arg} must be a non-negative int, got {value!r}")
        if not isinstance(groups, numbers.Integral) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups != 0:
            raise ValueError(f"{name}: in_channels must be divisible by groups, got in_channels={in_channels}, "
                             f"groups={groups}")
        if out_channels % groups != 0:
            raise ValueError(f"{name}: out_channels must be divisible by groups, got out_channels={out_channels}, "
                             f"groups={groups}")
        self.kernel_size = _ntuple(kernel_size, d, name, "kernel_size", 1)
        self.stride = _ntuple(stride, d, name, "stride", 1)
        self.dilation = _ntuple(dilation, d, name, "dilation", 1)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: Invalid padding string {padding!r}, should be one of {{'same', 'valid'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions, "
                                 f"got stride={self.stride}")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, d, name, "padding", 0)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {sorted(_PADDING_MODES)}, "
                             f"but got padding_mode={padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = int(in_channels), int(out_channels), int(groups)
        self.padding_mode = padding_mode
        self.pad_widths = _pad_widths(self.padding, self.kernel_size, self.dilation)
        rng = np.random.default_rng() if rng is None else rng
        self.weight = Parameter(np.empty((out_channels, in_channels // groups, *self.kernel_size), dtype=dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        self.bias = None
        if bias:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight.data)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            self.bias = init.uniform_(Parameter(np.empty(out_channels, dtype=dtype)), -bound, bound, rng=rng)

    def _check(self, x):
        name, d = type(self).__name__, self._d
        x = np.asarray(x)
        if x.ndim not in (d + 1, d + 2):
            raise ValueError(f"{name}: expected {d + 1}D (unbatched) or {d + 2}D (batched) input, "
                             f"got input of size {list(x.shape)}")
        if x.dtype != self.weight.dtype:
            raise ValueError(f"{name}: input dtype {x.dtype} and weight dtype {self.weight.dtype} should be the same")
        batched = x if x.ndim == d + 2 else x[None]
        if batched.shape[1] != self.in_channels:
            raise ValueError(f"{name}: Given groups={self.groups}, weight of size {list(self.weight.shape)}, "
                             f"expected input{list(batched.shape)} to have {self.in_channels} channels, "
                             f"but got {batched.shape[1]} channels instead")
        padded = [s + l + r for s, (l, r) in zip(batched.shape[2:], self.pad_widths)]
        extent = [dl * (k - 1) + 1 for k, dl in zip(self.kernel_size, self.dilation)]
        if any(p < e for p, e in zip(padded, extent)):
            raise ValueError(f"{name}: Calculated padded input size per channel: {tuple(padded)}. Effective kernel "
                             f"size: {tuple(extent)}. Kernel size can't be greater than actual input size")
        if self.padding_mode in ("reflect", "circular"):
            for s, (l, r) in zip(batched.shape[2:], self.pad_widths):
                if (self.padding_mode == "reflect" and max(l, r) >= s) or max(l, r) > s:
                    raise ValueError(f"{name}: padding {(l, r)} is too large for an input dimension of size {s} "
                                     f"with padding_mode={self.padding_mode!r} (reflect needs padding < size, "
                                     f"circular padding <= size)")
        return batched, x.ndim == d + 1

    def _pad(self, x):
        if not any(l or r for l, r in self.pad_widths):
            return x
        if self.padding_mode == "zeros":
            return np.pad(x, ((0, 0), (0, 0)) + self.pad_widths)
        index = [_pad_index(s, l, r, self.padding_mode) for s, (l, r) in zip(x.shape[2:], self.pad_widths)]
        return x[(slice(None), slice(None)) + np.ix_(*index)]

    def _unpad(self, grad_xp, shape):
        """The gradient with respect to the unpadded input: padding cells dropped (zeros) or added back
        onto the input cells they copied (other modes)."""
        if self.padding_mode == "zeros":
            return grad_xp[(slice(None), slice(None)) + tuple(
                slice(l, l + s) for s, (l, _) in zip(shape[2:], self.pad_widths))]
        g = grad_xp
        for axis, (s, (l, r)) in enumerate(zip(shape[2:], self.pad_widths), start=2):
            if l or r:
                out = np.zeros(g.shape[:axis] + (s,) + g.shape[axis + 1:], dtype=g.dtype)
                np.add.at(out, (slice(None),) * axis + (_pad_index(s, l, r, self.padding_mode),), g)
                g = out
        return g

    def forward(self, x):
        r"""``y[n, o] = b[o] + sum_{c, k} W[o, c, k] x_pad[n, g(o) C_g + c, s * out + d * k]``."""
        x, self.unbatched = self._check(x)
        d, n, g = self._d, x.shape[0], self.groups
        xp = self._pad(x)
        extent = tuple(dl * (k - 1) + 1 for k, dl in zip(self.kernel_size, self.dilation))
        windows = sliding_window_view(xp, extent, axis=tuple(range(2, 2 + d)))
        windows = windows[(Ellipsis,) + tuple(slice(None, None, s) for s in self.stride)
                          + tuple(slice(None, None, dl) for dl in self.dilation)]
        self.out_shape = windows.shape[2:2 + d]
        # im2col: columns (G, C_g * prod(k), N * prod(out)), one row per (channel, kernel offset)
        windows = windows.reshape((n, g, self.in_channels // g) + windows.shape[2:])
        order = (1, 2) + tuple(range(3 + d, 3 + 2 * d)) + (0,) + tuple(range(3, 3 + d))
        self.cols = np.ascontiguousarray(windows.transpose(order)).reshape(g, -1, n * math.prod(self.out_shape))
        self.x_shape, self.xp_shape = x.shape, xp.shape
        w = self.weight.data.reshape(g, self.out_channels // g, -1)
        y = np.matmul(w, self.cols)                               # (G, O_g, N * prod(out))
        y = y.reshape((self.out_channels, n) + self.out_shape).swapaxes(0, 1)
        if self.bias is not None:
            y = y + self.bias.data.reshape((-1,) + (1,) * d)
        y = np.ascontiguousarray(y)
        return y[0] if self.unbatched else y

    def backward(self, grad_y, input_grad=True):
        r"""``grad_W = grad_y cols^T``, ``grad_b = sum grad_y``, ``grad_cols = W^T grad_y``, then col2im.

        ``input_grad=False`` skips ``grad_x`` and returns None, as :class:`Linear`'s does, for a first
        layer whose input is data."""
        g = self.groups
        grad_y = np.asarray(grad_y)
        n = self.x_shape[0]
        expected = (self.out_channels,) + self.out_shape if self.unbatched else (n, self.out_channels) + self.out_shape
        if grad_y.shape != expected:
            raise ValueError(f"{type(self).__name__}.backward: grad_y has shape {grad_y.shape}, expected the "
                             f"output's shape {expected}")
        if self.unbatched:
            grad_y = grad_y[None]
        gy = np.ascontiguousarray(grad_y.swapaxes(0, 1)).reshape(g, self.out_channels // g, -1)
        self.weight.accumulate(np.matmul(gy, self.cols.swapaxes(1, 2)).reshape(self.weight.shape))
        if self.bias is not None:
            self.bias.accumulate(np.add.reduce(gy.reshape(self.out_channels, -1), axis=1))
        if not input_grad:
            return None
        w = self.weight.data.reshape(g, self.out_channels // g, -1)
        grad_cols = np.matmul(w.swapaxes(1, 2), gy)              # (G, C_g * prod(k), N * prod(out))
        grad_cols = grad_cols.reshape((self.in_channels,) + self.kernel_size + (n,) + self.out_shape)
        # col2im: each kernel offset's slab of columns is added onto the input cells it read
        grad_xp = np.zeros((self.xp_shape[1], n) + self.xp_shape[2:], dtype=grad_y.dtype)
        for k in np.ndindex(*self.kernel_size):
            cells = tuple(slice(dl * ki, dl * ki + s * (o - 1) + 1, s)
                          for ki, dl, s, o in zip(k, self.dilation, self.stride, self.out_shape))
            grad_xp[(slice(None), slice(None)) + cells] += grad_cols[(slice(None),) + k]
        grad_x = self._unpad(grad_xp.swapaxes(0, 1), self.x_shape)
        grad_x = np.ascontiguousarray(grad_x)
        return grad_x[0] if self.unbatched else grad_x

    def extra_repr(self):
        d = self._d
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * d:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * d:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


_DOC = r"""{d}-D convolution, torch's cross-correlation (the kernel is not flipped) (``torch.nn.Conv{d}d``).

    .. math::
        y[n, o, \mathbf{{p}}] = b[o] + \sum_{{c=0}}^{{C_g - 1}} \sum_{{\mathbf{{k}}}}
            W[o, c, \mathbf{{k}}]\; x_{{pad}}[n, g(o) C_g + c, \mathbf{{s}} \odot \mathbf{{p}}
            + \mathbf{{d}} \odot \mathbf{{k}}]

    with ``C_g = in_channels / groups`` and ``g(o)`` the group of output channel ``o``. Output size per
    spatial dim: ``floor((L + 2 padding - dilation (kernel - 1) - 1) / stride) + 1``.
    Computed as im2col (``sliding_window_view`` over the padded input) and one matrix product per layer,
    batched over the groups.

    Derivative: with ``cols`` the im2col columns, ``grad_W += grad_y cols^T``, ``grad_b += sum grad_y``
    over the batch and positions, ``grad_x = col2im(W^T grad_y)``: each column gradient is *added*
    onto the input cell it was read from, so cells read by several windows collect every window's share.

    Args: ``in_channels``; ``out_channels``; ``kernel_size`` int or tuple; ``stride`` Default: 1;
    ``padding`` int, tuple, 'valid' (none) or 'same' (output size = input size, stride 1 only; the
    total ``dilation (kernel - 1)`` split with the odd one on the right, as torch does) Default: 0;
    ``dilation`` Default: 1; ``groups`` Default: 1; ``bias`` Default: True; ``padding_mode``
    {{'zeros', 'reflect', 'replicate', 'circular'}} Default: 'zeros'; ``dtype`` Default: float64;
    ``rng`` a ``numpy.random.Generator`` Default: ``np.random.default_rng()``.
    ``weight`` is ``(out_channels, in_channels / groups, *kernel_size)``, ``bias`` ``(out_channels,)``,
    initialised as torch's: ``kaiming_uniform_(a=sqrt(5))``, i.e. uniform in ``+-1/sqrt(fan_in)`` for
    both, ``fan_in = in_channels / groups * prod(kernel_size)``.

    Shape: input ``(N, C_in, {dims})`` or unbatched ``(C_in, {dims})``, output ``(N, C_out, {outs})``.

    Examples
    --------
    >>> conv = Conv{d}d(2, 4, 3, padding=1, rng=np.random.default_rng(0))
    >>> conv(np.ones((5, 2{ones}))).shape
    ({shape})
    """


class Conv1d(_ConvNd):
    __doc__ = _DOC.format(d=1, dims="L", outs="L_out", ones=", 7", shape="5, 4, 7")
    _d = 1


class Conv2d(_ConvNd):
    __doc__ = _DOC.format(d=2, dims="H, W", outs="H_out, W_out", ones=", 7, 6", shape="5, 4, 7, 6")
    _d = 2
