r"""Recurrent layers, after ``torch.nn``: RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU.

Every layer runs the same loop. The input projections of all time steps are one product,
``xp = x W_ih^T + b_ih`` of shape ``(L, N, G*H)`` (G gates); then, one step at a time,
``hp_t = h_{t-1} W_hh^T + b_hh`` and the step's cell equations below give ``h_t`` (and ``c_t``).
Backward through time walks the steps in reverse, carrying ``grad_h`` (and ``grad_c``) from step
``t + 1`` into step ``t``; the weight gradients are then one product over all steps at once:
``grad_W_ih += sum_t grad_xp_t^T x_t``, ``grad_W_hh += sum_t grad_hp_t^T h_{t-1}``.

Gates are stacked in torch's order along ``weight_ih``'s rows: LSTM ``(i, f, g, o)``, GRU ``(r, z, n)``.
Every parameter starts uniform in ``±1/sqrt(hidden_size)``, as torch's ``reset_parameters``.

Several inputs and outputs follow the project's convention: ``backward`` takes the upstream gradient
in the structure ``forward`` returned (None for a part that gets no gradient) and returns the
gradient of the input, or a tuple ``(grad_input, grad_hx)`` when a state ``hx`` was passed in.
"""
import math

import numpy as np

from . import init
from .activations import _sigmoid
from .module import Module, Parameter

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU"]


# ---------------------------------------------------------------------------------------------
# One time step of each cell: forward from the two projections, backward to their gradients.
# ``step(xp, hp, h, c) -> (h', c', cache)``; ``step_backward(grad_h', grad_c', cache) ->
# (grad_xp, grad_hp, grad_h (the direct part), grad_c)``. ``grad_xp`` is the gradient of
# ``x W_ih^T + b_ih``, ``grad_hp`` that of ``h W_hh^T + b_hh``; the caller adds ``grad_hp W_hh``.
# ---------------------------------------------------------------------------------------------

def _tanh_step(xp, hp, h, c):
    h_new = np.tanh(xp + hp)                      # h' = tanh(a)
    return h_new, None, h_new


def _tanh_step_backward(grad_h, grad_c, h_new):
    grad_a = grad_h * (1 - h_new * h_new)         # tanh'(a) = 1 - h'^2
    return grad_a, grad_a, None, None


def _relu_step(xp, hp, h, c):
    h_new = np.maximum(xp + hp, 0)                # h' = relu(a)
    return h_new, None, h_new


def _relu_step_backward(grad_h, grad_c, h_new):
    grad_a = np.where(h_new > 0, grad_h, 0).astype(grad_h.dtype, copy=False)  # relu'(0) = 0, as torch
    return grad_a, grad_a, None, None


def _lstm_step(xp, hp, h, c):
    a = xp + hp
    i, f, g, o = np.split(a, 4, axis=-1)          # torch's gate order: input, forget, cell, output
    i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
    c_new = f * c + i * g                         # c' = f c + i g
    tanh_c = np.tanh(c_new)
    h_new = o * tanh_c                            # h' = o tanh(c')
    return h_new, c_new, (i, f, g, o, c, tanh_c)


def _lstm_step_backward(grad_h, grad_c, cache):
    i, f, g, o, c, tanh_c = cache
    grad_c = grad_c + grad_h * o * (1 - tanh_c * tanh_c)   # through h' = o tanh(c')
    grad_a = np.concatenate([grad_c * g * i * (1 - i),      # d/d(a_i): sigmoid' = i (1 - i)
                             grad_c * c * f * (1 - f),      # d/d(a_f)
                             grad_c * i * (1 - g * g),      # d/d(a_g): tanh' = 1 - g^2
                             grad_h * tanh_c * o * (1 - o)], axis=-1)  # d/d(a_o)
    return grad_a, grad_a, None, grad_c * f       # grad_c_prev = grad_c' f


def _gru_step(xp, hp, h, c):
    x_r, x_z, x_n = np.split(xp, 3, axis=-1)      # torch's gate order: reset, update, new
    h_r, h_z, h_n = np.split(hp, 3, axis=-1)
    r = _sigmoid(x_r + h_r)
    z = _sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)                    # the reset gate scales W_hn h + b_hn, after the product
    h_new = (1 - z) * n + z * h                   # h' = (1 - z) n + z h
    return h_new, None, (r, z, n, h, h_n)


def _gru_step_backward(grad_h, grad_c, cache):
    r, z, n, h, h_n = cache
    grad_n = grad_h * (1 - z) * (1 - n * n)       # d/d(x_n + r h_n)
    grad_r = grad_n * h_n * r * (1 - r)           # d/d(x_r + h_r)
    grad_z = grad_h * (h - n) * z * (1 - z)       # d/d(x_z + h_z)
    grad_xp = np.concatenate([grad_r, grad_z, grad_n], axis=-1)
    grad_hp = np.concatenate([grad_r, grad_z, grad_n * r], axis=-1)
    return grad_xp, grad_hp, grad_h * z, None


_CELLS = {  # mode -> (gates, step, step_backward, has_cell_state)
    "RNN_TANH": (1, _tanh_step, _tanh_step_backward, False),
    "RNN_RELU": (1, _relu_step, _relu_step_backward, False),
    "LSTM": (4, _lstm_step, _lstm_step_backward, True),
    "GRU": (3, _gru_step, _gru_step_backward, False),
}
_NONLINEARITIES = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}


# ---------------------------------------------------------------------------------------------
# One direction of one layer over a whole sequence (a cell is the case L = 1).
# ---------------------------------------------------------------------------------------------

def _fold(a):
    return a.reshape(-1, a.shape[-1])


def _sweep(cell, params, x, h0, c0, reverse=False):
    """Run one direction of ``cell`` (an entry of ``_CELLS``) over ``x`` ``(L, N, I)`` from ``h0``
    (and ``c0``) ``(N, H)``. Returns ``(out (L, N, H), h_n, c_n, tape)``; ``tape`` is what
    :func:`_sweep_backward` needs.
    """
    _, step, _, _ = cell
    w_ih, w_hh, b_ih, b_hh = params
    xp = np.dot(_fold(x), w_ih.data.T).reshape(x.shape[:2] + (-1,))   # all steps' x W_ih^T at once
    if b_ih is not None:
        xp += b_ih.data
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    out = np.empty(x.shape[:2] + (w_hh.shape[1],), dtype=x.dtype)
    h_prev = np.empty_like(out)                    # h_{t-1} of each step, for grad_W_hh
    caches = [None] * x.shape[0]
    h, c = h0, c0
    for t in steps:
        hp = np.dot(h, w_hh.data.T)
        if b_hh is not None:
            hp += b_hh.data
        h_prev[t] = h
        h, c, caches[t] = step(xp[t], hp, h, c)
        out[t] = h
    return out, h, c, (cell, params, x, h_prev, caches, reverse)


def _sweep_backward(tape, grad_out, grad_hn, grad_cn):
    """Backward through time of :func:`_sweep`: returns ``(grad_x, grad_h0, grad_c0)`` and adds the
    parameter gradients. ``grad_out`` ``(L, N, H)``, ``grad_hn``/``grad_cn`` ``(N, H)`` or None."""
    cell, params, x, h_prev, caches, reverse = tape
    _, _, step_backward, has_c = cell
    w_ih, w_hh, b_ih, b_hh = params
    shape = h_prev.shape[1:]
    grad_h = np.zeros(shape, x.dtype) if grad_hn is None else grad_hn
    grad_c = (np.zeros(shape, x.dtype) if grad_cn is None else grad_cn) if has_c else None
    grad_xp = np.empty(x.shape[:2] + (w_ih.shape[0],), dtype=x.dtype)
    grad_hp = np.empty_like(grad_xp)
    steps = range(x.shape[0]) if reverse else range(x.shape[0] - 1, -1, -1)
    for t in steps:
        grad_h = grad_h + grad_out[t]              # from the output at t and from step t + 1
        grad_xp[t], grad_hp[t], grad_h_direct, grad_c = step_backward(grad_h, grad_c, caches[t])
        grad_h = np.dot(grad_hp[t], w_hh.data)     # into h_{t-1}: grad_hp W_hh ...
        if grad_h_direct is not None:
            grad_h += grad_h_direct                # ... plus the direct path (GRU's z h)
    w_ih.accumulate(np.dot(_fold(grad_xp).T, _fold(x)))
    w_hh.accumulate(np.dot(_fold(grad_hp).T, _fold(h_prev)))
    if b_ih is not None:
        b_ih.accumulate(np.add.reduce(_fold(grad_xp), axis=0))
        b_hh.accumulate(np.add.reduce(_fold(grad_hp), axis=0))
    grad_x = np.dot(_fold(grad_xp), w_ih.data).reshape(x.shape)
    return grad_x, grad_h, grad_c


# ---------------------------------------------------------------------------------------------
# Shared construction and argument checks.
# ---------------------------------------------------------------------------------------------

def _check_size(owner, name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_mode(owner, nonlinearity):
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"{owner}: nonlinearity must be one of {sorted(_NONLINEARITIES)}, "
                         f"got {nonlinearity!r}")
    return _NONLINEARITIES[nonlinearity]


def _uniform(rng, shape, bound, dtype):
    return init.uniform_(Parameter(np.empty(shape, dtype=dtype)), -bound, bound, rng=rng)


def _float_input(owner, name, a, dtype):
    a = np.asarray(a)
    if a.dtype != dtype:
        raise TypeError(f"{owner}: {name} must have the parameters' dtype {np.dtype(dtype)}, got {a.dtype}")
    return a


def _state_pair(owner, hx, has_c):
    """``hx`` split into ``(h, c)``: LSTM takes a pair ``(h_0, c_0)``, the others one array."""
    if not has_c:
        return hx, None
    if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
        raise TypeError(f"{owner}: hx must be a tuple (h_0, c_0) of two arrays, got {type(hx).__name__}")
    return hx[0], hx[1]


def _grad_pair(owner, grad, has_c):
    """The upstream gradient of a state: one array or None, or for LSTM a pair (or None)."""
    if not has_c:
        return grad, None
    if grad is None:
        return None, None
    if not (isinstance(grad, (tuple, list)) and len(grad) == 2):
        raise TypeError(f"{owner}: the gradient of (h_n, c_n) must be a pair (or None), got {type(grad).__name__}")
    return grad[0], grad[1]


def _split_grad(owner, grad):
    """``grad`` of a ``(output, state)`` pair, as a pair."""
    if not (isinstance(grad, (tuple, list)) and len(grad) == 2):
        raise TypeError(f"{owner}: backward takes the gradient in forward's structure, a pair "
                        f"(grad_output, grad_state), got {type(grad).__name__}")
    return grad


# ---------------------------------------------------------------------------------------------
# Cells: one step, ``(N, H_in)`` or unbatched ``(H_in,)``.
# ---------------------------------------------------------------------------------------------

class _CellBase(Module):
    _mode = None
    _through_time = staticmethod(_sweep_backward)

    @property
    def _cell(self):
        return _CELLS[self._mode]

    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float64, rng=None):
        super().__init__()
        owner = type(self).__name__
        self.input_size = _check_size(owner, "input_size", input_size, 0)
        self.hidden_size = _check_size(owner, "hidden_size", hidden_size, 1)
        self.bias = bool(bias)
        rng = np.random.default_rng() if rng is None else rng
        gates, _, _, _ = self._cell
        bound = 1 / math.sqrt(hidden_size)
        self.weight_ih = _uniform(rng, (gates * hidden_size, input_size), bound, dtype)
        self.weight_hh = _uniform(rng, (gates * hidden_size, hidden_size), bound, dtype)
        self.bias_ih = _uniform(rng, (gates * hidden_size,), bound, dtype) if bias else None
        self.bias_hh = _uniform(rng, (gates * hidden_size,), bound, dtype) if bias else None

    def _params(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def forward(self, input, hx=None):
        owner = type(self).__name__
        dtype = self.weight_ih.dtype
        x = _float_input(owner, "input", input, dtype)
        if x.ndim not in (1, 2):
            raise ValueError(f"{owner}: Expected input to be 1D or 2D, got {x.ndim}D instead")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{owner}: input has {x.shape[-1]} features, expected input_size={self.input_size}")
        self._batched = x.ndim == 2
        x2 = x if self._batched else x[None]
        has_c = self._cell[3]
        self._has_hx = hx is not None
        shape = (x2.shape[0], self.hidden_size)
        if hx is None:
            h, c = np.zeros(shape, dtype), (np.zeros(shape, dtype) if has_c else None)
        else:
            h, c = _state_pair(owner, hx, has_c)
            h, c = [None if s is None else self._state(s, name, shape)
                    for s, name in ((h, "hx"), (c, "cx"))]
        out, h, c, self._tape = _sweep(self._cell, self._params(), x2[None], h, c)
        if not self._batched:
            h, c = h[0], (c[0] if has_c else None)
        return (h, c) if has_c else h

    def _state(self, s, name, shape):
        owner = type(self).__name__
        s = _float_input(owner, name, s, self.weight_ih.dtype)
        want = shape if self._batched else shape[1:]
        if s.shape != want:
            raise ValueError(f"{owner}: {name} has shape {s.shape}, expected {want}")
        return s if self._batched else s[None]

    def backward(self, grad):
        has_c = self._cell[3]
        grad_h, grad_c = _grad_pair(type(self).__name__, grad, has_c)
        if not self._batched:
            grad_h, grad_c = [None if g is None else g[None] for g in (grad_h, grad_c)]
        zeros = np.zeros((1,) + self._tape[3].shape[1:], self._tape[2].dtype)
        grad_x, grad_h0, grad_c0 = self._through_time(self._tape, zeros, grad_h, grad_c)
        grad_x = grad_x[0]
        if not self._batched:
            grad_x, grad_h0 = grad_x[0], grad_h0[0]
            grad_c0 = grad_c0[0] if has_c else None
        if not self._has_hx:
            return grad_x
        return (grad_x, (grad_h0, grad_c0)) if has_c else (grad_x, grad_h0)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        s += "" if self.bias else ", bias=False"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        return s + ("" if nonlinearity == "tanh" else f", nonlinearity={nonlinearity}")


class RNNCell(_CellBase):
    r"""An Elman RNN cell with tanh or ReLU (``torch.nn.RNNCell``).

    .. math:: h' = \tanh(x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh})    (or relu)

    Derivative: with ``a`` the pre-activation, ``grad_a = grad_h' (1 - h'^2)`` for tanh and
    ``grad_h' [a > 0]`` for relu (0 at ``a = 0``, as torch); ``grad_x = grad_a W_ih``,
    ``grad_h = grad_a W_hh``, ``grad_W_ih += grad_a^T x``, ``grad_W_hh += grad_a^T h``, both biases
    ``+= sum_n grad_a``.

    ``weight_ih`` ``(hidden_size, input_size)``, ``weight_hh`` ``(hidden_size, hidden_size)``,
    ``bias_ih``, ``bias_hh`` ``(hidden_size,)``, all uniform in ``±1/sqrt(hidden_size)``.
    ``backward(grad_h')`` returns ``grad_x``, or ``(grad_x, grad_h)`` when ``hx`` was passed.

    Shape: input ``(N, H_in)`` or ``(H_in,)``; hx and output ``(N, H)`` or ``(H,)``; hx defaults to zeros.

    Torch counterpart: ``torch.nn.RNNCell``.

    Examples
    --------
    >>> cell = RNNCell(3, 5, rng=np.random.default_rng(0))
    >>> cell(np.ones((2, 3))).shape
    (2, 5)
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=np.float64, rng=None):
        self._mode = _check_mode("RNNCell", nonlinearity)
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, dtype, rng)


class LSTMCell(_CellBase):
    r"""A long short-term memory cell (``torch.nn.LSTMCell``).

    .. math::
        i = \sigma(W_{ii} x + b_{ii} + W_{hi} h + b_{hi}),\quad
        f = \sigma(W_{if} x + b_{if} + W_{hf} h + b_{hf}),\\
        g = \tanh(W_{ig} x + b_{ig} + W_{hg} h + b_{hg}),\quad
        o = \sigma(W_{io} x + b_{io} + W_{ho} h + b_{ho}),\\
        c' = f c + i g,\qquad h' = o \tanh(c')

    Gates stacked ``(i, f, g, o)`` along ``weight_ih`` ``(4H, H_in)`` and ``weight_hh`` ``(4H, H)``.

    Derivative: ``grad_c = grad_c' + grad_h' o (1 - tanh(c')^2)``; ``grad_o = grad_h' tanh(c')``,
    ``grad_i = grad_c g``, ``grad_f = grad_c c``, ``grad_g = grad_c i``; each times its
    activation's derivative (``s (1 - s)`` for a sigmoid ``s``, ``1 - g^2`` for tanh);
    ``grad_c_prev = grad_c f``. ``backward((grad_h', grad_c'))`` (either may be None) returns
    ``grad_x``, or ``(grad_x, (grad_h, grad_c))`` when ``hx = (h, c)`` was passed.

    Shape: input ``(N, H_in)`` or ``(H_in,)``; h, c ``(N, H)`` or ``(H,)``, zeros by default.

    Torch counterpart: ``torch.nn.LSTMCell``.

    Examples
    --------
    >>> cell = LSTMCell(3, 5, rng=np.random.default_rng(0))
    >>> h, c = cell(np.ones((2, 3)))
    >>> h.shape, c.shape
    ((2, 5), (2, 5))
    """

    _mode = "LSTM"

    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float64, rng=None):
        super().__init__(input_size, hidden_size, bias, dtype, rng)


class GRUCell(_CellBase):
    r"""A gated recurrent unit cell (``torch.nn.GRUCell``).

    .. math::
        r = \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}),\quad
        z = \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}),\\
        n = \tanh(W_{in} x + b_{in} + r (W_{hn} h + b_{hn})),\qquad h' = (1 - z) n + z h

    The reset gate multiplies ``W_hn h + b_hn``, after the product, as torch (and cuDNN) do.
    Gates stacked ``(r, z, n)`` along ``weight_ih`` ``(3H, H_in)`` and ``weight_hh`` ``(3H, H)``.

    Derivative: ``grad_n = grad_h' (1 - z)``, ``grad_z = grad_h' (h - n)``, ``grad_h = grad_h' z
    + ...``; through ``n``: ``grad_a_n = grad_n (1 - n^2)``, ``grad_r = grad_a_n (W_hn h + b_hn)``,
    and ``W_hn h + b_hn`` receives ``grad_a_n r``. ``backward(grad_h')`` returns ``grad_x``, or
    ``(grad_x, grad_h)`` when ``hx`` was passed.

    Shape: input ``(N, H_in)`` or ``(H_in,)``; hx and output ``(N, H)`` or ``(H,)``; hx defaults to zeros.

    Torch counterpart: ``torch.nn.GRUCell``.

    Examples
    --------
    >>> cell = GRUCell(3, 5, rng=np.random.default_rng(0))
    >>> cell(np.ones(3)).shape
    (5,)
    """

    _mode = "GRU"

    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float64, rng=None):
        super().__init__(input_size, hidden_size, bias, dtype, rng)


# ---------------------------------------------------------------------------------------------
# Multi-layer, optionally bidirectional layers over sequences.
# ---------------------------------------------------------------------------------------------

class _RNNBase(Module):
    _mode = None
    _through_time = staticmethod(_sweep_backward)

    @property
    def _cell(self):
        return _CELLS[self._mode]

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=np.float64, rng=None):
        super().__init__()
        owner = type(self).__name__
        self.input_size = _check_size(owner, "input_size", input_size, 0)
        self.hidden_size = _check_size(owner, "hidden_size", hidden_size, 1)
        self.num_layers = _check_size(owner, "num_layers", num_layers, 1)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.number)) or not 0 <= dropout <= 1:
            raise ValueError(f"{owner}: dropout should be a number in range [0, 1] representing the "
                             f"probability of an element being zeroed, got {dropout!r}")
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        rng = np.random.default_rng() if rng is None else rng
        gates, _, _, _ = self._cell
        bound = 1 / math.sqrt(hidden_size)
        directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes = {"weight_ih": (gates * hidden_size, layer_input),
                          "weight_hh": (gates * hidden_size, hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gates * hidden_size,), bias_hh=(gates * hidden_size,))
                for name, shape in shapes.items():
                    setattr(self, f"{name}_l{layer}{suffix}", _uniform(rng, shape, bound, dtype))

    def _params(self, layer, suffix):
        get = lambda name: getattr(self, f"{name}_l{layer}{suffix}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    @property
    def _directions(self):
        return 2 if self.bidirectional else 1

    def forward(self, input, hx=None):
        owner = type(self).__name__
        dtype = self.weight_ih_l0.dtype
        has_c = self._cell[3]
        if self.dropout > 0 and self.num_layers > 1 and self.training:
            raise NotImplementedError(f"{owner}: dropout between layers (dropout={self.dropout}) is not "
                                      f"implemented; use dropout=0 or eval()")
        x = _float_input(owner, "input", input, dtype)
        if x.ndim not in (2, 3):
            raise ValueError(f"{owner}: Expected input to be 2D or 3D, got {x.ndim}D tensor instead")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{owner}: input.size(-1) must be equal to input_size. "
                             f"Expected {self.input_size}, got {x.shape[-1]}")
        self._batched = x.ndim == 3
        if not self._batched:
            x = x[:, None]
        elif self.batch_first:
            x = x.transpose(1, 0, 2)
        states = self.num_layers * self._directions
        shape = (states, x.shape[1], self.hidden_size)
        self._has_hx = hx is not None
        if hx is None:
            h0, c0 = np.zeros(shape, dtype), (np.zeros(shape, dtype) if has_c else None)
        else:
            h0, c0 = _state_pair(owner, hx, has_c)
            h0 = self._state(h0, "hx" if not has_c else "h_0", shape)
            c0 = self._state(c0, "c_0", shape) if has_c else None
        h_n, c_n = np.empty(shape, dtype), (np.empty(shape, dtype) if has_c else None)
        self._tapes = []
        layer_input = x
        for layer in range(self.num_layers):
            outs, tapes = [], []
            for d, suffix in enumerate(("", "_reverse")[:self._directions]):
                k = layer * self._directions + d
                out, h, c, tape = _sweep(self._cell, self._params(layer, suffix), layer_input, h0[k],
                                         None if c0 is None else c0[k], reverse=d == 1)
                h_n[k] = h
                if has_c:
                    c_n[k] = c
                outs.append(out)
                tapes.append(tape)
            layer_input = outs[0] if len(outs) == 1 else np.concatenate(outs, axis=-1)
            self._tapes.append(tapes)
        output = layer_input
        if not self._batched:
            output, h_n = output[:, 0], h_n[:, 0]
            c_n = c_n[:, 0] if has_c else None
        elif self.batch_first:
            output = output.transpose(1, 0, 2)
        return (output, (h_n, c_n)) if has_c else (output, h_n)

    def _state(self, s, name, shape):
        owner = type(self).__name__
        s = _float_input(owner, name, s, self.weight_ih_l0.dtype)
        want = shape if self._batched else (shape[0], shape[2])
        if s.shape != want:
            raise ValueError(f"{owner}: Expected hidden size {want} for {name}, got {s.shape}")
        return s if self._batched else s[:, None]

    def backward(self, grad):
        owner = type(self).__name__
        has_c = self._cell[3]
        grad_output, grad_state = _split_grad(owner, grad)
        grad_hn, grad_cn = _grad_pair(owner, grad_state, has_c)
        tape0 = self._tapes[-1][0]
        dtype = tape0[2].dtype
        L, N = tape0[2].shape[:2]
        H, D = self.hidden_size, self._directions
        if grad_output is None:
            grad_output = np.zeros((L, N, D * H), dtype)
        elif not self._batched:
            grad_output = grad_output[:, None]
        elif self.batch_first:
            grad_output = grad_output.transpose(1, 0, 2)
        unbatch = (lambda g: g) if self._batched else (lambda g: None if g is None else g[:, None])
        grad_hn, grad_cn = unbatch(grad_hn), unbatch(grad_cn)
        states = self.num_layers * D
        grad_h0 = np.empty((states, N, H), dtype)
        grad_c0 = np.empty((states, N, H), dtype) if has_c else None
        grad_layer = grad_output
        for layer in range(self.num_layers - 1, -1, -1):
            grad_input = None
            for d, tape in enumerate(self._tapes[layer]):
                k = layer * D + d
                grad_x, grad_h, grad_c = self._through_time(
                    tape, grad_layer[..., d * H:(d + 1) * H],
                    None if grad_hn is None else grad_hn[k], None if grad_cn is None else grad_cn[k])
                grad_h0[k] = grad_h
                if has_c:
                    grad_c0[k] = grad_c
                grad_input = grad_x if grad_input is None else grad_input + grad_x
            grad_layer = grad_input
        grad_x = grad_layer
        if not self._batched:
            grad_x, grad_h0 = grad_x[:, 0], grad_h0[:, 0]
            grad_c0 = grad_c0[:, 0] if has_c else None
        elif self.batch_first:
            grad_x = grad_x.transpose(1, 0, 2)
        if not self._has_hx:
            return grad_x
        return (grad_x, (grad_h0, grad_c0)) if has_c else (grad_x, grad_h0)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


_SEQUENCE_DOC = """
    Parameters per layer ``k`` (and, bidirectional, the same with suffix ``_reverse``):
    ``weight_ih_l{k}`` ``(G*H, H_in)`` for ``k = 0``, ``(G*H, D*H)`` above; ``weight_hh_l{k}``
    ``(G*H, H)``; ``bias_ih_l{k}``, ``bias_hh_l{k}`` ``(G*H,)``; all uniform in ``±1/sqrt(H)``.
    Layer ``k > 0`` reads the outputs of layer ``k - 1`` (both directions concatenated); the
    reverse direction runs from ``t = L - 1`` down to 0. ``dropout`` between layers is accepted
    only as 0 in training mode (NotImplementedError otherwise).

    Shape: input ``(L, N, H_in)``, ``(N, L, H_in)`` with ``batch_first``, or unbatched ``(L, H_in)``;
    output ``(L, N, D*H)`` (batch first likewise); states ``(num_layers*D, N, H)`` or, unbatched,
    ``(num_layers*D, H)``, ordered layer by layer, forward before reverse; zeros by default.
"""


class RNN(_RNNBase):
    r"""A multi-layer Elman RNN with tanh or ReLU (``torch.nn.RNN``).

    .. math:: h_t = \tanh(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh})    (or relu)

    Derivative (backward through time): ``grad_h_t`` is the output's gradient at ``t`` plus
    ``grad_a_{t+1} W_hh`` from the next step; ``grad_a_t = grad_h_t (1 - h_t^2)`` (tanh) or
    ``grad_h_t [a_t > 0]`` (relu, 0 at 0). ``forward(input, h_0=None) -> (output, h_n)``;
    ``backward((grad_output, grad_h_n))`` (either may be None) returns ``grad_input``, or
    ``(grad_input, grad_h_0)`` when ``h_0`` was passed. G = 1 gate, D = 2 if bidirectional else 1.
    {sequence}
    Torch counterpart: ``torch.nn.RNN``.

    Examples
    --------
    >>> rnn = RNN(3, 5, num_layers=2, rng=np.random.default_rng(0))
    >>> output, h_n = rnn(np.ones((7, 2, 3)))
    >>> output.shape, h_n.shape
    ((7, 2, 5), (2, 2, 5))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=np.float64, rng=None):
        self._mode = _check_mode("RNN", nonlinearity)
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype, rng)


class LSTM(_RNNBase):
    r"""A multi-layer long short-term memory (``torch.nn.LSTM``).

    .. math::
        (i_t, f_t, g_t, o_t) = (\sigma, \sigma, \tanh, \sigma)(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh}),\\
        c_t = f_t c_{t-1} + i_t g_t,\qquad h_t = o_t \tanh(c_t)

    Derivative (backward through time): as :class:`LSTMCell`, with ``grad_h_t`` the output's gradient
    plus ``grad_a_{t+1} W_hh`` and ``grad_c_t`` carrying ``grad_c_{t+1} f_{t+1}``.
    ``forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n))``; ``backward((grad_output, (grad_h_n,
    grad_c_n)))`` (any part may be None) returns ``grad_input``, or ``(grad_input, (grad_h_0, grad_c_0))``
    when the state was passed. G = 4 gates stacked ``(i, f, g, o)``, D = 2 if bidirectional else 1.
    {sequence}
    Torch counterpart: ``torch.nn.LSTM`` (``proj_size`` is not provided).

    Examples
    --------
    >>> lstm = LSTM(3, 5, rng=np.random.default_rng(0))
    >>> output, (h_n, c_n) = lstm(np.ones((7, 2, 3)))
    >>> output.shape, c_n.shape
    ((7, 2, 5), (1, 2, 5))
    """

    _mode = "LSTM"


class GRU(_RNNBase):
    r"""A multi-layer gated recurrent unit (``torch.nn.GRU``).

    .. math::
        r_t = \sigma(x_t W_{ir}^T + b_{ir} + h_{t-1} W_{hr}^T + b_{hr}),\quad
        z_t = \sigma(x_t W_{iz}^T + b_{iz} + h_{t-1} W_{hz}^T + b_{hz}),\\
        n_t = \tanh(x_t W_{in}^T + b_{in} + r_t (h_{t-1} W_{hn}^T + b_{hn})),\qquad
        h_t = (1 - z_t) n_t + z_t h_{t-1}

    Derivative (backward through time): as :class:`GRUCell`, with ``grad_h_t`` the output's gradient
    plus what step ``t + 1`` sends back (``grad_hp W_hh + grad_h z``).
    ``forward(input, h_0=None) -> (output, h_n)``; ``backward((grad_output, grad_h_n))`` returns
    ``grad_input``, or ``(grad_input, grad_h_0)`` when ``h_0`` was passed. G = 3 gates ``(r, z, n)``.
    {sequence}
    Torch counterpart: ``torch.nn.GRU``.

    Examples
    --------
    >>> gru = GRU(3, 5, bidirectional=True, rng=np.random.default_rng(0))
    >>> output, h_n = gru(np.ones((7, 3)))
    >>> output.shape, h_n.shape
    ((7, 10), (2, 5))
    """

    _mode = "GRU"


for _cls in (RNN, LSTM, GRU):
    _cls.__doc__ = _cls.__doc__.replace("{sequence}", _SEQUENCE_DOC)
