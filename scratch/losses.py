"""Losses after ``torch.nn``'s: ``value = loss(input, target)``, then ``grad_input = loss.backward()``.

Prediction first, target second, as torch. ``value`` is a 0-d array of the input's dtype for 'mean'
and 'sum' and an array of the loss's shape for 'none'. Weights are kept as given and cast to the
input's dtype at each call, so a float64 weight never upcasts a float32 input.
"""
import math
import numbers

import numpy as np

from ._docs import fill
from .module import Module

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "MultiMarginLoss"]


def _check_array(owner, name, value):
    if not isinstance(value, (np.ndarray, np.generic)):
        raise ValueError(f"{owner}: {name} must be a numpy.ndarray, got {type(value).__name__}")
    return np.asarray(value)


def _check_input(owner, x):
    x = _check_array(owner, "input", x)
    if x.dtype not in (np.float32, np.float64):
        raise ValueError(f"{owner}: input must be float32 or float64, got {x.dtype}")
    return x


def _check_number(owner, name, value, allowed, ok):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not ok(value):
        raise ValueError(f"{owner}: {name} must be {allowed}, got {value!r}")
    return float(value)


def _check_weight(owner, name, weight):
    if weight is None:
        return None
    weight = _check_array(owner, name, weight)
    if not (np.issubdtype(weight.dtype, np.floating) or np.issubdtype(weight.dtype, np.integer)):
        raise ValueError(f"{owner}: {name} must hold real numbers, got dtype {weight.dtype}")
    return weight


def _broadcast_weight(owner, name, weight, x):
    """``weight`` in the input's dtype, after checking that it broadcasts to the input's shape."""
    if weight is None:
        return None
    try:
        fits = np.broadcast_shapes(weight.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{owner}: {name} of shape {weight.shape} does not broadcast to the input's "
                         f"shape {x.shape}")
    return weight.astype(x.dtype, copy=False)


def _divide(a, b):
    """``a / b``; a zero or non-finite ``b`` gives torch's inf or nan without a warning."""
    if 0 < abs(b) < np.inf:
        return a / b
    with np.errstate(divide="ignore", invalid="ignore"):
        return a / b


@np.errstate(under="ignore")
def _log_softmax(x):
    """``log_softmax`` along axis 1, shifted by each row's largest entry (finite for logits of +-1000).

    The ``exp`` of a logit far below the largest underflows to 0, as in torch, silently whatever
    ``np.seterr`` says (``all="raise"`` included); as a decorator ``np.errstate`` costs about a quarter
    of its ``with`` form (0.4 against 1.5 us a call, measured)."""
    shifted = x - np.maximum.reduce(x, axis=1, keepdims=True)
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=1, keepdims=True))


@np.errstate(under="ignore")
def _softmax_times(logp, a):
    """``exp(logp) * a``, C-ordered, underflowing to 0 silently (see :func:`_log_softmax`)."""
    return np.multiply(np.exp(logp), a, order="C")


class _Loss(Module):
    """Base of the losses: holds ``reduction``, checked here, and applies it to the value and the gradient."""

    reductions = ("mean", "sum", "none")

    def __init__(self, reduction="mean"):
        super().__init__()
        if not isinstance(reduction, str) or reduction not in self.reductions:
            raise ValueError(f"{type(self).__name__}: reduction must be one of "
                             f"{', '.join(map(repr, self.reductions))}, got {reduction!r}")
        self.reduction = reduction
        self.denominator = None

    def _reduce(self, losses, denominator):
        """The value: the losses as they are, their sum, or their sum divided by ``denominator``."""
        if self.reduction == "none":
            return np.asarray(losses)
        total = np.add.reduce(losses, axis=None, dtype=losses.dtype)
        if self.reduction == "sum":
            return np.asarray(total)
        return np.asarray(_divide(total, denominator))

    def _upstream(self, grad_output, shape, dtype):
        """``grad_output`` as an array that broadcasts against the losses: of the loss's shape for 'none',
        else 0-d, divided by the denominator for a mean."""
        name = type(self).__name__
        g = np.asarray(grad_output, dtype=dtype)
        if self.reduction == "none":
            if g.shape != shape:
                raise ValueError(f"{name}.backward: grad_output has shape {g.shape}, expected the loss's "
                                 f"shape {shape} (reduction='none')")
            return g
        if g.size != 1:
            raise ValueError(f"{name}.backward: grad_output must be a scalar for reduction="
                             f"{self.reduction!r}, got shape {g.shape}")
        g = g.reshape(())
        return g if self.reduction == "sum" else _divide(g, self.denominator)

    def _check_forward_done(self):
        if self.denominator is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    """A loss with an optional ``weight`` array, kept as a buffer (so in ``state_dict``), as torch's."""

    _buffers = ("weight",)

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = _check_weight(type(self).__name__, "weight", weight)


class _PointwiseLoss(_Loss):
    """A loss ``l_n = f(x_n, t_n)`` per element; ``_pointwise`` returns ``f`` and ``df/dx`` together."""

    def forward(self, input, target):
        name = type(self).__name__
        x = _check_input(name, input)
        t = _check_array(name, "target", target)
        if t.shape != x.shape:
            raise ValueError(f"{name}: target shape {t.shape} differs from input shape {x.shape}; "
                             f"they must be equal")
        losses, self.dldx = self._pointwise(x, t.astype(x.dtype, copy=False))
        self.denominator = x.dtype.type(self._count(x))
        return self._reduce(losses, self.denominator)

    def _count(self, x):
        return x.size

    def backward(self, grad_output=1.0):
        self._check_forward_done()
        return self.dldx * self._upstream(grad_output, self.dldx.shape, self.dldx.dtype)


class MSELoss(_PointwiseLoss):
    __doc__ = fill(r"""Squared error (``torch.nn.MSELoss``); no 1/2, unlike scikit-learn's ``squared_loss``.

    .. math:: l_n = (x_n - t_n)^2

    Derivative: ``2 (x_n - t_n)``.

    Args:
        {reduction}

    {pointwise_shape}

    {backward}

    Examples
    --------
    >>> loss = MSELoss()
    >>> loss(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    array(2.5)
    >>> loss.backward()
    array([1., 2.])
    """)

    def _pointwise(self, x, t):
        d = x - t
        return d * d, d * x.dtype.type(2)


class L1Loss(_PointwiseLoss):
    __doc__ = fill(r"""Absolute error (``torch.nn.L1Loss``).

    .. math:: l_n = |x_n - t_n|

    Derivative: ``sign(x_n - t_n)``; 0 where ``x_n = t_n``, as torch's.

    Args:
        {reduction}

    {pointwise_shape}

    {backward}

    Examples
    --------
    >>> loss = L1Loss(reduction="sum")
    >>> loss(np.array([1.0, 2.0, 3.0]), np.array([0.0, 2.0, 5.0]))
    array(3.)
    >>> loss.backward()
    array([ 1.,  0., -1.])
    """)

    def _pointwise(self, x, t):
        d = x - t
        return np.abs(d), np.sign(d)


class HuberLoss(_PointwiseLoss):
    __doc__ = fill(r"""Huber loss: quadratic near 0, linear beyond ``delta`` (``torch.nn.HuberLoss``).

    .. math::
        l_n = \begin{cases} 0.5 d_n^2, & |d_n| < \delta \\
                            \delta (|d_n| - 0.5 \delta), & \text{otherwise} \end{cases}
        \qquad d_n = x_n - t_n

    Derivative: ``clip(d_n, -delta, delta)``; ``+-delta`` at ``|d_n| = delta``, where both pieces agree.
    ``HuberLoss(delta)`` is ``delta * SmoothL1Loss(beta=delta)``.

    Args:
        {reduction}
        delta (float): where the loss turns from quadratic to linear; must be > 0. Default: 1.0.

    {pointwise_shape}

    {backward}

    Examples
    --------
    >>> loss = HuberLoss(reduction="none", delta=1.0)
    >>> loss(np.array([0.5, 3.0]), np.array([0.0, 0.0]))
    array([0.125, 2.5  ])
    >>> loss.backward(np.array([1.0, 1.0]))
    array([0.5, 1. ])
    """)

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = _check_number("HuberLoss", "delta", delta, "a number > 0", lambda v: v > 0)

    def _pointwise(self, x, t):
        d = x - t
        a = np.abs(d)
        delta = x.dtype.type(self.delta)
        half = x.dtype.type(0.5)
        return np.where(a < delta, half * d * d, delta * (a - half * delta)), np.clip(d, -delta, delta)

    def extra_repr(self):
        return f"reduction={self.reduction!r}, delta={self.delta}"


class SmoothL1Loss(_PointwiseLoss):
    __doc__ = fill(r"""Smooth L1 loss: quadratic near 0, linear beyond ``beta`` (``torch.nn.SmoothL1Loss``).

    .. math::
        l_n = \begin{cases} 0.5 d_n^2 / \beta, & |d_n| < \beta \\
                            |d_n| - 0.5 \beta, & \text{otherwise} \end{cases}
        \qquad d_n = x_n - t_n

    Derivative: ``d_n / beta`` for ``|d_n| <= beta``, else ``sign(d_n)``; ``+-1`` at ``|d_n| = beta``.
    ``beta = 0`` is :class:`L1Loss`, derivative 0 at ``d_n = 0``, as torch's.

    Args:
        {reduction}
        beta (float): where the loss turns from quadratic to linear; must be >= 0. Default: 1.0.

    {pointwise_shape}

    {backward}

    Examples
    --------
    >>> loss = SmoothL1Loss(reduction="none", beta=2.0)
    >>> loss(np.array([1.0, -3.0]), np.array([0.0, 0.0]))
    array([0.25, 2.  ])
    >>> loss.backward(np.array([1.0, 1.0]))
    array([ 0.5, -1. ])
    """)

    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction)
        self.beta = _check_number("SmoothL1Loss", "beta", beta, "a number >= 0", lambda v: v >= 0)

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


class BCELoss(_WeightedLoss, _PointwiseLoss):
    __doc__ = fill(r"""Binary cross-entropy on probabilities (``torch.nn.BCELoss``).

    .. math:: l_n = -w_n [t_n \max(\log x_n, -100) + (1 - t_n) \max(\log(1 - x_n), -100)]

    Each log is clamped at -100 as torch does, so probabilities of exactly 0 and 1 give finite losses.
    Derivative: ``w_n (x_n - t_n) / max(x_n (1 - x_n), eps)``, with torch's ``eps``: the float32 value
    nearest 1e-12 (9.99999996e-13) in both dtypes, which shows in the gradient at ``x_n`` of 0 and 1.
    Inputs and targets must lie in [0, 1], as torch checks.

    Args:
        {weight}
        {reduction}

    {pointwise_shape}

    {backward}

    Examples
    --------
    >>> loss = BCELoss(reduction="none")
    >>> loss(np.array([0.5, 1.0, 1.0]), np.array([1.0, 1.0, 0.0]))
    array([  0.69314718,  -0.        , 100.        ])
    """)

    def _pointwise(self, x, t):
        name = "BCELoss"
        if not np.all((x >= 0) & (x <= 1)):
            raise ValueError(f"{name}: all elements of input should be between 0 and 1; apply a Sigmoid "
                             f"first, or use BCEWithLogitsLoss on logits")
        if not np.all((t >= 0) & (t <= 1)):
            raise ValueError(f"{name}: all elements of target should be between 0 and 1")
        w = _broadcast_weight(name, "weight", self.weight, x)
        floor = x.dtype.type(-100)
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), floor)
            log_1mx = np.maximum(np.log1p(-x), floor)
        losses = (t - 1) * log_1mx - t * log_x
        dldx = (x - t) / np.maximum((1 - x) * x, x.dtype.type(_BCE_EPSILON))
        return (losses, dldx) if w is None else (losses * w, dldx * w)


class BCEWithLogitsLoss(_WeightedLoss, _PointwiseLoss):
    __doc__ = fill(r"""Sigmoid and binary cross-entropy in one stable step (``torch.nn.BCEWithLogitsLoss``).

    .. math:: l_n = -w_n [p_n t_n \log \sigma(x_n) + (1 - t_n) \log(1 - \sigma(x_n))]

    with ``p = pos_weight``, computed as torch does,
    ``l_n = w_n [(1 - t_n) x_n - (1 + (p_n - 1) t_n) log_sigmoid(x_n)]`` with
    ``log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|))``, finite for logits of +-1000.
    Derivative: ``w_n [(p_n t_n + 1 - t_n) sigmoid(x_n) - p_n t_n]``.

    Args:
        {weight}
        {reduction}
        pos_weight (ndarray, optional): weight of the positive term, broadcast to the input's shape
            (one per class along the last axis), cast like ``weight``. Default: None.

    {pointwise_shape}

    {backward}

    Examples
    --------
    >>> loss = BCEWithLogitsLoss(reduction="none")
    >>> loss(np.array([1000.0, -1000.0, 0.0]), np.array([0.0, 0.0, 1.0]))
    array([1.00000000e+03, 0.00000000e+00, 6.93147181e-01])
    """)

    _buffers = ("weight", "pos_weight")

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(weight, reduction)
        self.pos_weight = _check_weight("BCEWithLogitsLoss", "pos_weight", pos_weight)

    def _pointwise(self, x, t):
        name = "BCEWithLogitsLoss"
        w = _broadcast_weight(name, "weight", self.weight, x)
        p = _broadcast_weight(name, "pos_weight", self.pos_weight, x)
        one = x.dtype.type(1)
        with np.errstate(under="ignore"):
            e = np.exp(-np.abs(x))
        log_sigmoid = np.minimum(x, 0) - np.log1p(e)
        sigmoid = np.where(x >= 0, one / (one + e), e / (one + e))
        if p is None:
            losses = (one - t) * x - log_sigmoid
            dldx = sigmoid - t
        else:
            losses = (one - t) * x - ((p - one) * t + one) * log_sigmoid
            pt = p * t
            dldx = (pt + one - t) * sigmoid - pt
        return (losses, dldx) if w is None else (losses * w, dldx * w)


class KLDivLoss(_PointwiseLoss):
    __doc__ = fill(r"""Kullback-Leibler divergence, on log-probabilities (``torch.nn.KLDivLoss``).

    .. math::
        l_n = t_n (\log t_n - x_n) \quad (0 \text{ where } t_n = 0), \qquad
        \text{or, with log\_target: } l_n = e^{t_n} (t_n - x_n)

    Derivative: ``-t_n`` (``-exp(t_n)`` with ``log_target``).
    'batchmean' divides the sum by the batch size ``N`` (the KL divergence of the maths; a 0-d input
    counts as one); torch's 'mean' divides by the number of elements.

    Args:
        reduction ({'mean', 'batchmean', 'sum', 'none'}): Default: 'mean'.
        log_target (bool): whether the target is given as log-probabilities. Default: False.

    {pointwise_shape}

    {backward}

    Examples
    --------
    >>> loss = KLDivLoss(reduction="batchmean")
    >>> loss(np.log(np.array([[0.5, 0.5]])), np.array([[0.5, 0.5]]))
    array(0.)
    >>> loss.backward()
    array([[-0.5, -0.5]])
    """)

    reductions = ("mean", "batchmean", "sum", "none")

    def __init__(self, reduction="mean", log_target=False):
        super().__init__(reduction)
        if not isinstance(log_target, (bool, np.bool_)):
            raise ValueError(f"KLDivLoss: log_target must be True or False, got {log_target!r}")
        self.log_target = bool(log_target)

    def _pointwise(self, x, t):
        if self.log_target:
            p = np.exp(t)
            return p * (t - x), -p
        with np.errstate(divide="ignore", invalid="ignore"):
            xlogx = np.where(t == 0, x.dtype.type(0), t * np.log(t))
        return xlogx - t * x, -t

    def _count(self, x):
        if self.reduction == "batchmean":
            return x.shape[0] if x.ndim else 1
        return x.size

    def extra_repr(self):
        return f"reduction={self.reduction!r}, log_target={self.log_target}"


def _class_offsets(shape):
    """For a C-ordered array of shape ``(N, C, d1, ..., dK)``, the flat positions of its entries
    ``[n, 0, d1, ..., dK]``, of shape ``(N, d1, ..., dK)``, and the stride ``D = d1 ... dK`` of axis 1."""
    n, c, d = shape[0], shape[1], math.prod(shape[2:])
    offsets = np.arange(n)[:, None] * (c * d) + np.arange(d)
    return offsets.reshape(shape[:1] + shape[2:]), d


_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _outside(t, c):
    """Whether an integer array holds an entry outside ``[0, c)``, in one pass: viewed as unsigned, a
    negative entry is larger than any ``c``."""
    return np.maximum.reduce(t.view(_UNSIGNED[t.itemsize]), axis=None) >= c


class _ClassLoss(_WeightedLoss):
    """What NLLLoss and CrossEntropyLoss share: ``ignore_index``, the class axis and the target checks.

    A ``(C,)`` input gets a batch axis for the computation (``unbatched``) and loses it on the way out.
    """

    takes_probabilities = False

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(weight, reduction)
        name = type(self).__name__
        if self.weight is not None and self.weight.ndim != 1:
            raise ValueError(f"{name}: weight must be 1-D, one per class, got shape {self.weight.shape}")
        if not isinstance(ignore_index, (int, np.integer)) or isinstance(ignore_index, bool):
            raise ValueError(f"{name}: ignore_index must be an int, got {ignore_index!r}")
        self.ignore_index = int(ignore_index)
        self._offsets = None

    def _at_class(self, index, shape):
        """The flat positions ``offset + index * D`` of ``a[n, index[n, d...], d...]`` in a C-ordered
        ``a`` of ``shape`` ``(N, C, d1, ..., dK)``: each entry at its class on axis 1. A flat index is
        several times cheaper than a tuple of index arrays; the offsets are kept for the next call of
        the same shape. Writes go through ``a.ravel()``, a view only when ``a`` is C-ordered."""
        if self._offsets is None or self._offsets[0] != shape:
            self._offsets = (shape, *_class_offsets(shape))
        _, offsets, d = self._offsets
        index = index.astype(np.intp, copy=False)
        return offsets + (index if d == 1 else index * d)

    def _prepare(self, input, target):
        """Checked input, target and weight, with a batch axis; and whether the target is probabilities."""
        name = type(self).__name__
        x = _check_input(name, input)
        t = _check_array(name, "target", target)
        if x.ndim == 0:
            raise ValueError(f"{name}: input must have a class axis: shape (C,), (N, C) or (N, C, d1, ...); "
                             f"got a 0-d array")
        probabilities = t.dtype.kind == "f"
        if probabilities and not self.takes_probabilities:
            raise ValueError(f"{name}: target must hold class indices of an integer dtype, got {t.dtype}")
        if not probabilities and t.dtype.kind not in "iu":
            raise ValueError(f"{name}: target must hold class indices (integer dtype) or class "
                             f"probabilities (floating dtype), got {t.dtype}")
        if probabilities:
            kind, expected = "class probabilities", x.shape
        else:
            kind, expected = "class indices", () if x.ndim == 1 else x.shape[:1] + x.shape[2:]
        if t.shape != expected:
            raise ValueError(f"{name}: target of {kind} has shape {t.shape}, expected {expected} for "
                             f"input of shape {x.shape}")
        c = x.shape[0] if x.ndim == 1 else x.shape[1]
        w = None if self.weight is None else self.weight.astype(x.dtype, copy=False)
        if w is not None and w.shape != (c,):
            raise ValueError(f"{name}: weight has shape {w.shape}, expected ({c},), one per class")
        self.unbatched = x.ndim == 1
        self.loss_shape = expected if not probabilities else expected[:1] + expected[2:]
        if self.unbatched:
            x, t, self.loss_shape = x[None], t[None], ()
        return x, t, w, probabilities

    def _indices(self, x, t, w):
        """Caches ``kept`` (target not ignored), ``at_class`` (the flat position of each sample's entry
        at its target class, ignored targets sent to class 0) and ``w_t = w[t_n]`` (0 where ignored), and
        sets the 'mean' denominator ``sum_n w_t``; returns the losses ``-w_t x_{n, t_n}``.

        When every target is a class (so none can equal an ``ignore_index`` outside ``[0, C)``),
        ``kept`` is None, and so is ``w_t`` without weights: every ``w_t`` is 1.
        """
        name, c = type(self).__name__, x.shape[1]
        kept, index = None, t
        if 0 <= self.ignore_index < c or t.size and _outside(t, c):
            kept = t != self.ignore_index
            index = np.where(kept, t, 0)
            if index.size and _outside(index, c):
                bad = t[kept & ((t < 0) | (t >= c))].flat[0]
                raise ValueError(f"{name}: target {bad} is out of range for {c} classes; expected "
                                 f"0 <= target < {c}, or ignore_index ({self.ignore_index})")
        self.kept = kept
        self.at_class = self._at_class(index, x.shape)
        picked = x.ravel()[self.at_class]
        zero = x.dtype.type(0)
        if w is None:
            self.w_t = None if kept is None else kept.astype(x.dtype)
        else:
            self.w_t = w[index] if kept is None else np.where(kept, w[index], zero)
        if self.w_t is None:
            self.denominator = x.dtype.type(t.size)
            return -picked
        self.denominator = self.w_t.sum(dtype=x.dtype)
        losses = -self.w_t * picked
        return losses if kept is None else np.where(kept, losses, zero)

    def _kept_mask(self):
        """``kept`` as a boolean array, also when every target is kept."""
        return np.ones(self.x_shape[:1] + self.x_shape[2:], dtype=bool) if self.kept is None else self.kept

    def _at_targets(self, w_t, g):
        """``w_t g_n`` at each kept target class, 0 elsewhere (and for ignored targets)."""
        a = np.zeros(self.x_shape, dtype=self.dtype)
        a.ravel()[self.at_class] = self._kept_product(w_t, g)
        return a

    def _kept_product(self, w_t, g):
        """``w_t g_n`` for the kept targets, 0 for the ignored ones (whatever their ``g_n``)."""
        if self.kept is None:
            return g if w_t is None else w_t * g
        return np.multiply(w_t, g, out=np.zeros_like(w_t), where=self.kept)

    def _upstream_batched(self, grad_output):
        self._check_forward_done()
        g = self._upstream(grad_output, self.loss_shape, self.dtype)
        return g if g.ndim == 0 else g.reshape(self.x_shape[:1] + self.x_shape[2:])

    def _unbatch(self, a):
        return a[0] if self.unbatched else a

    def extra_repr(self):
        return f"ignore_index={self.ignore_index}, reduction={self.reduction!r}"


class NLLLoss(_ClassLoss):
    __doc__ = fill(r"""Negative log-likelihood of class indices, on log-probabilities (``torch.nn.NLLLoss``).

    .. math::
        l_n = -w_{t_n} x_{n, t_n} \quad (0 \text{ where } t_n = \text{ignore\_index}), \qquad
        \text{'mean'} = \sum_n l_n / \sum_{n: t_n \ne \text{ignore\_index}} w_{t_n}

    'mean' divides by the summed weights of the targets not ignored, not by N; with every target
    ignored that is 0/0, nan, as torch's.
    Derivative: ``-w_{t_n}`` at the target class, 0 at the other classes and for ignored targets.

    Args:
        {weight}
        {ignore_index}
        {reduction}

    Shape: input ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dK)``; target of an integer dtype, ``()``,
    ``(N,)`` or ``(N, d1, ..., dK)``, each in ``[0, C)`` or ``ignore_index``; output a 0-d array, or
    the target's shape for 'none'.

    {backward}

    Examples
    --------
    >>> loss = NLLLoss(weight=np.array([1.0, 3.0]))
    >>> loss(np.log(np.array([[0.5, 0.5], [0.25, 0.75]])), np.array([0, 1]))
    array(0.38904835)
    >>> loss.backward()
    array([[-0.25,  0.  ],
           [ 0.  , -0.75]])
    """)

    def forward(self, input, target):
        x, t, w, _ = self._prepare(input, target)
        self.x_shape, self.dtype = x.shape, x.dtype
        return self._reduce(self._unbatch(self._indices(x, t, w)), self.denominator)

    def backward(self, grad_output=1.0):
        return self._unbatch(self._at_targets(self.w_t, -self._upstream_batched(grad_output)))


class CrossEntropyLoss(_ClassLoss):
    __doc__ = fill(r"""Softmax cross-entropy on logits, in one stable step (``torch.nn.CrossEntropyLoss``).

    With ``log p = log_softmax(x)`` along axis 1 (max-shifted, finite for logits of +-1000), ``eps`` the
    label smoothing and ``C`` the number of classes, as torch computes it:

    class indices (integer target), ``t_n`` not ignored (ignored targets give 0):

    .. math::
        l_n = (1 - \epsilon) (-w_{t_n} \log p_{n, t_n}) + \frac{\epsilon}{C} (-\sum_c w_c \log p_{n, c})

    'mean' divides the sum of each of the two terms by ``sum_n w_{t_n}`` over the targets not ignored
    (not by N; nan when every target is ignored);

    class probabilities (floating target of the input's shape), ``q = (1 - eps) t + eps / C``:

    .. math:: l_n = -\sum_c w_c q_{n, c} \log p_{n, c}

    'mean' divides by N (times ``d1 ... dK``), whatever the weights.
    Derivative: writing ``l_n = -sum_c A_{n, c} log p_{n, c}``, ``grad_x = p sum_c A - A``: for class
    indices ``A = (1 - eps) w_{t_n} onehot(t_n) + (eps / C) w`` (0 for ignored targets), for
    probabilities ``A = w q``. Without smoothing ``A`` is ``a_n = w_{t_n} g_n`` at the target alone, so
    the backward is fused: ``grad_x = p a_n``, then ``a_n`` subtracted at the target (torch's
    ``log_softmax`` backward of ``nll_loss``'s gradient, the same numbers).

    Args:
        {weight}
        {ignore_index}
        {reduction}
        label_smoothing (float): ``eps`` in [0, 1]; the target is mixed with the uniform distribution.
            Default: 0.0.

    Shape: input ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dK)``; target either class indices of an
    integer dtype, ``()``, ``(N,)`` or ``(N, d1, ..., dK)``, each in ``[0, C)`` or ``ignore_index``, or
    class probabilities of a floating dtype and the input's shape; output a 0-d array, or for 'none'
    ``()``, ``(N,)`` or ``(N, d1, ..., dK)``.

    {backward}

    Examples
    --------
    >>> loss = CrossEntropyLoss()
    >>> loss(np.array([[0.0, 0.0], [1000.0, -1000.0]]), np.array([1, 0]))
    array(0.34657359)
    >>> loss.backward()
    array([[ 0.25, -0.25],
           [ 0.  ,  0.  ]])
    """)

    takes_probabilities = True

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(weight, ignore_index, reduction)
        self.label_smoothing = _check_number("CrossEntropyLoss", "label_smoothing", label_smoothing,
                                             "a number in [0, 1]", lambda v: 0 <= v <= 1)

    def forward(self, input, target):
        x, t, w, probabilities = self._prepare(input, target)
        self.x_shape, self.dtype = x.shape, x.dtype
        c, eps = x.shape[1], self.label_smoothing
        self.logp = _log_softmax(x)
        self.w_c = None if w is None else w.reshape((1, c) + (1,) * (x.ndim - 2))
        self.probabilities = probabilities
        if probabilities:
            q = t.astype(x.dtype, copy=False)
            if eps > 0:
                q = q * x.dtype.type(1 - eps) + x.dtype.type(eps / c)
            self.coef = q if w is None else q * self.w_c
            self.denominator = x.dtype.type(x.size // c)
            losses = -np.sum(self.logp * q if w is None else self.logp * q * self.w_c, axis=1)
            return self._reduce(self._unbatch(losses), self.denominator)
        value = self._reduce(self._unbatch(self._indices(self.logp, t, w)), self.denominator)
        if eps == 0:
            return value
        weighted_logp = self.logp if w is None else self.logp * self.w_c
        smooth = np.where(self._kept_mask(), -np.sum(weighted_logp, axis=1), x.dtype.type(0))
        smooth = self._reduce(self._unbatch(smooth), self.denominator)
        return np.asarray(x.dtype.type(1 - eps) * value + smooth * x.dtype.type(eps / c))

    def backward(self, grad_output=1.0):
        g = self._upstream_batched(grad_output)
        eps, c = self.label_smoothing, self.x_shape[1]
        if not self.probabilities and eps == 0:
            a_t = self._kept_product(self.w_t, g)
            grad_x = _softmax_times(self.logp, np.expand_dims(a_t, 1) if a_t.ndim else a_t)
            grad_x.ravel()[self.at_class] -= a_t
            return self._unbatch(grad_x)
        if self.probabilities:
            a = self.coef * (np.expand_dims(g, 1) if g.ndim else g)
        else:
            a = self._at_targets(self.w_t, g)
            if eps > 0:
                g_kept = np.expand_dims(np.where(self._kept_mask(), g, self.dtype.type(0)), 1)
                smooth = g_kept if self.w_c is None else self.w_c * g_kept
                a = self.dtype.type(1 - eps) * a + self.dtype.type(eps / c) * smooth
        return self._unbatch(_softmax_times(self.logp, a.sum(axis=1, keepdims=True)) - a)

    def extra_repr(self):
        return (f"ignore_index={self.ignore_index}, reduction={self.reduction!r}, "
                f"label_smoothing={self.label_smoothing}")


class MultiMarginLoss(_WeightedLoss):
    __doc__ = fill(r"""Multi-class hinge loss on scores (``torch.nn.MultiMarginLoss``); CS231n's SVM loss is C times it.

    .. math::
        l_n = \frac{1}{C} \sum_{i \ne y_n} w_{y_n} \max(0, \text{margin} - x_{n, y_n} + x_{n, i})^p

    'mean' divides the sum by N whatever the weights (unlike NLLLoss).
    Derivative, with ``z_i = margin - x_{y} + x_i`` and ``h_i = w_y p z_i^{p - 1} / C`` where ``z_i > 0``
    (0 where ``z_i <= 0``: at the kink ``z_i = 0`` the gradient is 0, as torch's): ``h_i`` for each
    ``i != y``, and ``-sum_i h_i`` at the target class ``y``.

    Args:
        p (int): 1 or 2. Default: 1.
        margin (float): Default: 1.0.
        {weight}
        {reduction}

    Shape: input ``(N, C)`` or ``(C,)``; target of an integer dtype, ``(N,)`` (``()`` or ``(1,)`` for a
    ``(C,)`` input), each in ``[0, C)``; output a 0-d array, or the target's shape for 'none'.

    {backward}

    Examples
    --------
    >>> loss = MultiMarginLoss()
    >>> loss(np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([3]))
    array(0.325)
    >>> loss.backward()
    array([[ 0.25,  0.25,  0.25, -0.75]])
    """)

    def __init__(self, p=1, margin=1.0, weight=None, reduction="mean"):
        super().__init__(weight, reduction)
        if p not in (1, 2) or isinstance(p, bool):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 supported, got p={p!r}")
        if self.weight is not None and self.weight.ndim != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D array, "
                             f"got {self.weight.ndim}D instead")
        self.p = int(p)
        self.margin = _check_number("MultiMarginLoss", "margin", margin, "a number", lambda v: True)

    def forward(self, input, target):
        name = "MultiMarginLoss"
        x = _check_input(name, input)
        t = _check_array(name, "target", target)
        if x.ndim not in (1, 2) or x.size == 0:
            raise ValueError(f"{name}: expected a non-empty input of shape (C,) or (N, C), got {x.shape}")
        if t.dtype.kind not in "iu":
            raise ValueError(f"{name}: target must hold class indices of an integer dtype, got {t.dtype}")
        self.unbatched = x.ndim == 1
        n = 1 if self.unbatched else x.shape[0]
        if t.size != n or (not self.unbatched and t.ndim != 1) or t.ndim > 1:
            raise ValueError(f"{name}: target should be 1-D with size equal to the number of input samples "
                             f"(batch size). Expected target size [{n}], but got {list(t.shape)}. "
                             f"Input has shape {list(x.shape)}.")
        t_shape = t.shape
        x2, t = x.reshape(n, -1), t.reshape(n).astype(np.intp)
        c = x2.shape[1]
        if np.any((t < 0) | (t >= c)):
            raise ValueError(f"{name}: target out of range: expected 0 <= target < {c}, got {t[(t < 0) | (t >= c)][0]}")
        rows = np.arange(n)
        z = x.dtype.type(self.margin) - x2[rows, t][:, None] + x2
        active = z > 0
        active[rows, t] = False
        hinge = np.where(active, z, x.dtype.type(0))
        terms = hinge if self.p == 1 else hinge * hinge
        slope = active.astype(x.dtype) if self.p == 1 else x.dtype.type(2) * hinge
        w = None if self.weight is None else self.weight.astype(x.dtype, copy=False)[t][:, None]
        if w is not None:
            terms, slope = terms * w, slope * w
        c_ = x.dtype.type(c)
        slope = slope / c_
        slope[rows, t] = -slope.sum(axis=1)
        self.dldx, self.x_shape = slope, x.shape
        losses = terms.sum(axis=1) / c_
        self.denominator = x.dtype.type(n)
        self.loss_shape = t_shape
        return self._reduce(losses.reshape(t_shape), self.denominator)

    def backward(self, grad_output=1.0):
        self._check_forward_done()
        g = self._upstream(grad_output, self.loss_shape, self.dldx.dtype)
        g = g.reshape(-1, 1) if g.ndim else g
        return (self.dldx * g).reshape(self.x_shape)

    def extra_repr(self):
        return f"p={self.p}, margin={self.margin}, reduction={self.reduction!r}"
