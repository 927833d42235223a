"""Gradient clipping after ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_``.

Both modify each ``Parameter.grad`` in place (the trailing underscore, as in torch) and skip
parameters whose grad is None. ``parameters`` is a single :class:`Parameter` or an iterable of them.
"""
import math

import numpy as np

from .module import Parameter

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters):
    if isinstance(parameters, Parameter):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _vector_norm(x, p):
    """``||x||_p`` over all elements in ``x``'s dtype, computed directly as torch does (no rescaling,
    so float32 squares can overflow to inf or underflow to 0 exactly where torch's do)."""
    a = np.abs(np.ravel(x))
    if p == math.inf:
        return np.max(a, initial=0)
    if p == -math.inf:
        return np.min(a)
    if p == 0:
        return a.dtype.type(np.count_nonzero(a))
    if p == 1:
        return np.sum(a)
    if p == 2:
        return np.sqrt(np.sum(a * a))
    return np.sum(a ** p) ** (1.0 / p)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients so that their joint ``norm_type``-norm is at most ``max_norm``.

    The total norm is the norm of the per-parameter norms (the same as the norm of all gradients
    concatenated)::

        total_norm = || (||g_1||_p, ..., ||g_n||_p) ||_p
        clip_coef  = min(max_norm / (total_norm + 1e-6), 1)
        g_i       <- clip_coef g_i

    so the gradients are always multiplied, by exactly 1 when the norm is already small, and the
    clipped norm lands just under ``max_norm``. ``norm_type`` is any p > 0, ``0`` (count of nonzeros)
    or ``inf`` / ``-inf`` (largest / smallest absolute value). As in torch, ``clip_coef`` is computed
    as ``(1 / (total_norm + 1e-6)) * max_norm`` in the gradients' dtype, and the norms are formed
    without rescaling, so a float32 norm of values above ~1e19 is inf, as torch's is.

    Args:
        parameters (Parameter or iterable of Parameter): whose ``grad`` is clipped in place.
        max_norm (float): largest allowed norm.
        norm_type (float, optional): p of the p-norm; ``inf`` for the max norm. Default: 2.0.
        error_if_nonfinite (bool, optional): raise RuntimeError if the total norm is nan or inf,
            instead of scaling the gradients by it. Default: False.

    Returns:
        ndarray: the total norm before clipping, a 0-d array of the gradients' dtype (float32 0.0
        when no parameter has a gradient, as torch's ``tensor(0.)``).

    Counterpart: ``torch.nn.utils.clip_grad_norm_``.

    Example:
        >>> total = clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    max_norm = float(max_norm)
    if not grads:
        return np.array(0.0, dtype=np.float32)
    with np.errstate(over="ignore", under="ignore"):
        norms = np.stack([_vector_norm(g, norm_type) for g in grads])
        total_norm = np.asarray(_vector_norm(norms, norm_type))
    if error_if_nonfinite and not np.isfinite(total_norm):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is "
                           f"non-finite ({total_norm}), so it cannot be clipped. To disable this error "
                           "and scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    clip_coef = np.minimum(np.reciprocal(total_norm + 1e-6) * max_norm, 1.0)
    for g in grads:
        g *= clip_coef.astype(g.dtype)
    return total_norm


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element into ``[-clip_value, clip_value]`` in place.

    ``g <- min(max(g, -clip_value), clip_value)``; nan stays nan. Returns None, as torch's does.

    Args:
        parameters (Parameter or iterable of Parameter): whose ``grad`` is clamped in place.
        clip_value (float): largest allowed absolute value.

    Counterpart: ``torch.nn.utils.clip_grad_value_``.

    Example:
        >>> clip_grad_value_(model.parameters(), clip_value=0.5)
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
