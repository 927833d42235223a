"""Pooling and reshaping after ``torch.nn``: MaxPool2d, AvgPool2d, Flatten.

Windows are gathered with ``numpy.lib.stride_tricks.sliding_window_view``; no Python loop runs over
pixels (backward loops over the few kernel offsets, each a whole-array slice).
"""
import math
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .conv import _ntuple
from .module import Module

__all__ = ["MaxPool2d", "AvgPool2d", "Flatten"]


def _out_size(size, kernel, stride, pad, dilation, ceil_mode):
    """torch's pooling output size: ``floor`` (or ``ceil``) of ``(L + 2p - d (k - 1) - 1) / s`` plus 1;
    in ceil mode the last window must start inside the input or the left padding."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


class _Pool2d(Module):
    """What the 2-D poolings share: the arguments as torch keeps them, checked, and the windows."""

    def _setup(self, kernel_size, stride, padding, dilation, ceil_mode):
        name = type(self).__name__
        self.kernel_size, self.padding, self.ceil_mode = kernel_size, padding, ceil_mode
        self.stride = kernel_size if stride is None else stride
        self.k = _ntuple(kernel_size, 2, name, "kernel_size", 1)
        self.s = _ntuple(self.stride, 2, name, "stride", 1)
        self.p = _ntuple(padding, 2, name, "padding", 0)
        self.d = _ntuple(dilation, 2, name, "dilation", 1)
        if any(p > (d * (k - 1) + 1) // 2 for p, k, d in zip(self.p, self.k, self.d)):
            raise ValueError(f"{name}: pad should be at most half of effective kernel size, but got "
                             f"pad={padding}, kernel_size={kernel_size} and dilation={dilation}")

    def _windows(self, x, fill):
        """``x`` batched, padded with ``fill`` (more on the right where ceil mode needs it), and its
        windows ``(N, C, H_out, W_out, kH, kW)`` as a strided view."""
        name = type(self).__name__
        x = np.asarray(x)
        if x.ndim not in (3, 4) or x.size == 0:
            raise ValueError(f"{name}: non-empty 3D or 4D (batch mode) array expected for input, "
                             f"got input of size {list(x.shape)}")
        if x.dtype.kind != "f":
            raise ValueError(f"{name}: input must be float32 or float64, got {x.dtype}")
        self.unbatched = x.ndim == 3
        x = x[None] if self.unbatched else x
        self.out = tuple(_out_size(n, k, s, p, d, self.ceil_mode)
                         for n, k, s, p, d in zip(x.shape[2:], self.k, self.s, self.p, self.d))
        if min(self.out) < 1:
            raise ValueError(f"{name}: Given input size: ({'x'.join(map(str, x.shape[1:]))}). Calculated output "
                             f"size: ({x.shape[1]}x{'x'.join(map(str, self.out))}). Output size is too small")
        need = [(o - 1) * s + d * (k - 1) + 1 for o, s, d, k in zip(self.out, self.s, self.d, self.k)]
        widths = [(p, max(0, m - n - p)) for p, m, n in zip(self.p, need, x.shape[2:])]
        xp = np.pad(x, ((0, 0), (0, 0), *widths), constant_values=fill) if any(map(any, widths)) else x
        extent = tuple(d * (k - 1) + 1 for k, d in zip(self.k, self.d))
        w = sliding_window_view(xp, extent, axis=(2, 3))
        w = w[:, :, ::self.s[0], ::self.s[1], ::self.d[0], ::self.d[1]]
        self.x_shape = x.shape
        return x, w[:, :, :self.out[0], :self.out[1]]

    def _unbatch(self, a):
        return a[0] if self.unbatched else a

    def _grad_batched(self, grad_y):
        """``grad_y`` checked against the output's shape, with a batch axis."""
        grad_y = np.asarray(grad_y)
        expected = self.x_shape[int(self.unbatched):2] + self.out
        if grad_y.shape != expected:
            raise ValueError(f"{type(self).__name__}.backward: grad_y has shape {grad_y.shape}, expected the "
                             f"output's shape {expected}")
        return grad_y[None] if self.unbatched else grad_y


class MaxPool2d(_Pool2d):
    r"""2-D max pooling over ``(kH, kW)`` windows (``torch.nn.MaxPool2d``).

    .. math:: y[n, c, i, j] = \max_{a, b}\; x_{pad}[n, c, s_H i + d_H a, s_W j + d_W b]

    with ``-inf`` padding. As torch's CPU kernel: the window is scanned row by row and the *first*
    maximum wins (a constant window picks its top-left cell); a NaN wins over any number and the *last*
    NaN of the window is picked; padding cells are never picked (a window of ``-inf`` picks its first
    input cell). Output size: ``floor((L + 2p - d (k - 1) - 1) / s) + 1``, ``ceil`` in ``ceil_mode``,
    where the last window must still start inside the input or the left padding.

    Derivative: ``grad_x[argmax] += grad_y``, one cell per window; a cell that is the maximum of
    several overlapping windows (stride < kernel) collects the sum of their gradients. At a tie only the
    picked cell gets the gradient (a kink: the function is not differentiable there).

    Args: ``kernel_size`` int or tuple; ``stride`` Default: ``kernel_size``; ``padding`` at most half
    the effective kernel Default: 0; ``dilation`` Default: 1; ``return_indices`` also return each
    maximum's flat index ``h * W + w`` in its input plane (``(y, indices)``, int64) Default: False;
    ``ceil_mode`` Default: False.

    Shape: input ``(N, C, H, W)`` or ``(C, H, W)``, output ``(N, C, H_out, W_out)`` or ``(C, H_out, W_out)``.

    Examples
    --------
    >>> pool = MaxPool2d(2)
    >>> pool(np.arange(16.0).reshape(1, 1, 4, 4))
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self._setup(kernel_size, stride, padding, dilation, ceil_mode)
        self.dilation, self.return_indices = dilation, return_indices

    def forward(self, x):
        x, windows = self._windows(x, -np.inf)
        if np.isnan(x).any():
            y, self.indices = self._first_max_nan(x, windows)
        else:
            # one pass per kernel offset, in the window's scan order: offset t wins where it is strictly
            # greater than the best so far, so the first maximum keeps its place (torch's choice at ties),
            # and as t only grows, the winning offset is the largest t that won
            y = np.array(windows[..., 0, 0])
            kind = np.uint8 if self.k[0] * self.k[1] < 256 else np.intp
            pick = np.zeros(y.shape, dtype=kind)
            for t, (a, b) in enumerate(np.ndindex(*self.k)):
                if t:
                    v = windows[..., a, b]
                    won = (v > y).astype(kind)
                    won *= kind(t)
                    np.maximum(pick, won, out=pick)
                    np.maximum(y, v, out=y)
            w = x.shape[3]
            offsets = np.array([a * self.d[0] * w + b * self.d[1] for a, b in np.ndindex(*self.k)], dtype=np.int64)
            base = (np.arange(self.out[0]) * self.s[0] - self.p[0])[:, None] * w + \
                np.arange(self.out[1]) * self.s[1] - self.p[1]
            self.indices = base + offsets[pick]
            if np.isneginf(y).any():
                self.indices = self._first_max_nan(x, windows)[1]
        y = self._unbatch(np.ascontiguousarray(y))
        return (y, self._unbatch(self.indices)) if self.return_indices else y

    def _first_max_nan(self, x, windows):
        """``(y, indices)`` by torch's rules where they need the whole window: a NaN wins (the last NaN of
        the window), and a window of -inf picks its first input cell."""
        kh, kw = self.k
        flat = windows.reshape(windows.shape[:4] + (kh * kw,))
        pick = np.argmax(flat, axis=-1)
        y = np.take_along_axis(flat, pick[..., None], axis=-1)[..., 0]
        a, b = np.divmod(pick, kw)
        rows = np.arange(self.out[0])[:, None] * self.s[0] + a * self.d[0] - self.p[0]
        cols = np.arange(self.out[1]) * self.s[1] + b * self.d[1] - self.p[1]
        if np.isneginf(y).any():                     # a window of -inf: torch picks its first input cell
            first_r = np.maximum(0, -(-(self.p[0] - np.arange(self.out[0]) * self.s[0]) // self.d[0]))
            first_c = np.maximum(0, -(-(self.p[1] - np.arange(self.out[1]) * self.s[1]) // self.d[1]))
            rows = np.where(np.isneginf(y), (np.arange(self.out[0]) * self.s[0] + first_r * self.d[0]
                                             - self.p[0])[:, None], rows)
            cols = np.where(np.isneginf(y), np.arange(self.out[1]) * self.s[1] + first_c * self.d[1]
                            - self.p[1], cols)
        nan = np.isnan(flat)
        if nan.any():                                # torch keeps the last NaN of the window
            last = flat.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
            a, b = np.divmod(last, kw)
            has = nan.any(axis=-1)
            rows = np.where(has, np.arange(self.out[0])[:, None] * self.s[0] + a * self.d[0] - self.p[0], rows)
            cols = np.where(has, np.arange(self.out[1]) * self.s[1] + b * self.d[1] - self.p[1], cols)
        return y, (rows * x.shape[3] + cols).astype(np.int64)

    def backward(self, grad_y):
        if isinstance(grad_y, tuple):                # (grad of y, None for the indices)
            grad_y = grad_y[0]
        grad_y = self._grad_batched(grad_y)
        n, c, h, w = self.x_shape
        planes = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)
        grad_x = np.zeros(n * c * h * w, dtype=grad_y.dtype)
        np.add.at(grad_x, (planes + self.indices).ravel(), grad_y.ravel())
        return self._unbatch(grad_x.reshape(self.x_shape))

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(_Pool2d):
    r"""2-D average pooling over ``(kH, kW)`` windows (``torch.nn.AvgPool2d``).

    .. math:: y[n, c, i, j] = \frac{1}{D_{ij}} \sum_{a, b} x_{pad}[n, c, s_H i + a, s_W j + b]

    with zero padding and, as torch's kernel, ``D = divisor_override`` when given; else the number of
    cells of the window that lie inside the input plus its padding (``count_include_pad=True``; cells
    beyond the padding, which only ``ceil_mode`` windows reach, never count) or inside the input alone
    (``count_include_pad=False``). Output size as :class:`MaxPool2d`'s, with dilation 1.

    Derivative: ``grad_x[cell] += grad_y[i, j] / D_ij`` for every window that covers the cell (summed
    where windows overlap).

    Args: ``kernel_size``; ``stride`` Default: ``kernel_size``; ``padding`` Default: 0; ``ceil_mode``
    Default: False; ``count_include_pad`` Default: True; ``divisor_override`` int Default: None.

    Shape: input ``(N, C, H, W)`` or ``(C, H, W)``, output ``(N, C, H_out, W_out)`` or ``(C, H_out, W_out)``.

    Examples
    --------
    >>> pool = AvgPool2d(2)
    >>> pool(np.arange(16.0).reshape(1, 1, 4, 4))
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self._setup(kernel_size, stride, padding, 1, ceil_mode)
        if divisor_override is not None and (not isinstance(divisor_override, numbers.Integral)
                                             or divisor_override == 0):
            raise ValueError(f"AvgPool2d: divisor must be not zero; divisor_override must be None or a "
                             f"non-zero int, got {divisor_override!r}")
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def _divisor(self, shape, dtype):
        if self.divisor_override is not None:
            return np.array(self.divisor_override, dtype=dtype)
        counts = []
        for o, n, k, s, p in zip(self.out, shape[2:], self.k, self.s, self.p):
            start = np.arange(o) * s - p
            end = np.minimum(start + k, n + p)
            if not self.count_include_pad:
                start, end = np.maximum(start, 0), np.minimum(end, n)
            counts.append(end - start)
        return np.multiply.outer(*counts).astype(dtype)

    def forward(self, x):
        x, windows = self._windows(x, 0)
        self.divisor = self._divisor(x.shape, x.dtype)
        return self._unbatch(np.add.reduce(windows, axis=(4, 5)) / self.divisor)

    def backward(self, grad_y):
        g = self._grad_batched(grad_y) / self.divisor
        n, c, h, w = self.x_shape
        need = [(o - 1) * s + k for o, s, k in zip(self.out, self.s, self.k)]
        grad_xp = np.zeros((n, c, max(need[0], h + self.p[0]), max(need[1], w + self.p[1])), dtype=g.dtype)
        for a, b in np.ndindex(*self.k):
            grad_xp[:, :, a:a + self.s[0] * (self.out[0] - 1) + 1:self.s[0],
                    b:b + self.s[1] * (self.out[1] - 1) + 1:self.s[1]] += g
        return self._unbatch(np.ascontiguousarray(grad_xp[:, :, self.p[0]:self.p[0] + h, self.p[1]:self.p[1] + w]))

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class Flatten(Module):
    r"""Flatten dims ``start_dim`` to ``end_dim`` into one (``torch.nn.Flatten``).

    ``y = x.reshape(shape[:start] + (prod(shape[start:end + 1]),) + shape[end + 1:])``; the derivative
    is the reshape back, ``grad_x = grad_y.reshape(x.shape)``. Negative dims count from the end.

    Args: ``start_dim`` Default: 1; ``end_dim`` Default: -1.

    Shape: input ``(*, S_start, ..., S_end, *)``, output ``(*, prod(S_start..S_end), *)``.

    Examples
    --------
    >>> Flatten()(np.zeros((32, 1, 5, 5))).shape
    (32, 25)
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        for name, value in (("start_dim", start_dim), ("end_dim", end_dim)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise ValueError(f"Flatten: {name} must be an int, got {value!r}")
        self.start_dim, self.end_dim = start_dim, end_dim

    def _dim(self, dim, ndim):
        rank = max(ndim, 1)
        if not -rank <= dim < rank:
            raise IndexError(f"Flatten: Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], "
                             f"but got {dim})")
        return dim % rank

    def forward(self, x):
        x = np.asarray(x)
        start, end = self._dim(self.start_dim, x.ndim), self._dim(self.end_dim, x.ndim)
        if start > end:
            raise ValueError(f"Flatten: start_dim cannot come after end_dim, got start_dim={self.start_dim}, "
                             f"end_dim={self.end_dim} for a {x.ndim}-D input")
        self.x_shape = x.shape
        if x.ndim == 0:
            return x.reshape(1)
        return x.reshape(x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])

    def backward(self, grad_y):
        return np.asarray(grad_y).reshape(self.x_shape)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
