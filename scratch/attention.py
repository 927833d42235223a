r"""Multi-head attention, after ``torch.nn.MultiheadAttention``."""
import math

import numpy as np

from . import init
from ._typed import typed
from .layers import Linear
from .module import Module, Parameter

__all__ = ["MultiheadAttention"]


def _mask_to_float(name, mask, dtype):
    """A bool mask (True = not allowed) as ``-inf``/0 of ``dtype``; a float mask kept, in ``dtype``."""
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype == np.bool_:
        return np.where(mask, typed(dtype, -np.inf), typed(dtype, 0.0))
    if not np.issubdtype(mask.dtype, np.floating):
        raise TypeError(f"MultiheadAttention: only bool and floating types of {name} are supported, got {mask.dtype}")
    return mask.astype(dtype, copy=False)


def _softmax(s, safe):
    """Softmax over the last axis, max-shifted. A row that is ``-inf`` throughout gives NaN, as
    torch's ``softmax`` does; with ``safe`` it gives zeros, as ``scaled_dot_product_attention``'s."""
    m = np.max(s, axis=-1, keepdims=True)
    if safe:
        dead = np.isneginf(m)
        m = np.where(dead, typed(s.dtype, 0.0), m)
    with np.errstate(invalid="ignore"):           # -inf - -inf: the NaN torch gives too
        e = np.exp(s - m)
    total = np.add.reduce(e, axis=-1, keepdims=True)
    if safe:
        total = np.where(dead, typed(s.dtype, 1.0), total)
    return e / total


class MultiheadAttention(Module):
    r"""Multi-head scaled dot-product attention (``torch.nn.MultiheadAttention``).

    .. math::
        q = Q W_q^T + b_q,\ k = K W_k^T + b_k,\ v = V W_v^T + b_v \text{ (split into h heads of } d = E/h),\\
        P = \mathrm{softmax}(q k^T / \sqrt{d} + M),\qquad \mathrm{out} = \mathrm{concat}_h(P v)\, W_o^T + b_o

    ``M`` is the merged mask: ``attn_mask`` (2-D ``(L, S)``, or 3-D ``(N*h, L, S)``) plus
    ``key_padding_mask`` ``(N, S)``; a bool mask puts ``-inf`` where it is True (not allowed), a float
    mask is added as it is. ``is_causal`` is a hint that ``attn_mask`` is the causal mask and needs one.
    A row with every key masked gives what torch gives: NaN (in the output row and, averaged, the
    weights) when ``need_weights=True``, where torch uses ``softmax``; zeros for ``P`` (so the output is
    ``b_o``) when ``need_weights=False``, where torch calls ``scaled_dot_product_attention``.

    Derivative: ``grad_P = grad_(Pv) v^T`` (plus the gradient of the returned weights, divided by
    ``h`` when averaged), ``grad_S = P (grad_P - sum_j grad_P P)``, ``grad_q = grad_S k / sqrt(d)``,
    ``grad_k = grad_S^T q / sqrt(d)``, ``grad_v = P^T grad_(Pv)``; then through the projections.
    ``backward((grad_attn_output, grad_attn_weights))`` (either may be None) returns
    ``(grad_query, grad_key, grad_value)``; when one array was passed as several of them (self-attention)
    the caller adds the parts.

    Parameters: ``in_proj_weight`` ``(3E, E)`` stacked ``(q, k, v)`` (xavier-uniform), or
    ``q_proj_weight`` ``(E, E)``, ``k_proj_weight`` ``(E, kdim)``, ``v_proj_weight`` ``(E, vdim)`` when
    ``kdim``/``vdim`` differ from ``E``; ``in_proj_bias`` ``(3E,)`` (zeros); ``out_proj`` a
    :class:`Linear` ``(E, E)`` (its bias zeros). ``dropout`` must be 0 in training mode, ``add_bias_kv``
    and ``add_zero_attn`` False (NotImplementedError otherwise).

    Shape: query ``(L, N, E)``, key ``(S, N, kdim)``, value ``(S, N, vdim)`` (``(N, L, E)`` ... with
    ``batch_first``, or unbatched ``(L, E)``, ``(S, kdim)``, ``(S, vdim)``); attn_output like query;
    attn_weights ``(N, L, S)``, or ``(N, h, L, S)`` with ``average_attn_weights=False`` (unbatched
    without the N).

    Torch counterpart: ``torch.nn.MultiheadAttention`` (its fast path, taken in eval mode without
    autograd, is not modelled).

    Examples
    --------
    >>> mha = MultiheadAttention(8, 2, rng=np.random.default_rng(0))
    >>> x = np.ones((5, 3, 8))
    >>> out, weights = mha(x, x, x)
    >>> out.shape, weights.shape
    ((5, 3, 8), (3, 5, 5))
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, dtype=np.float64, rng=None):
        super().__init__()
        for name, value in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"MultiheadAttention: {name} must be an int greater than 0, got {value!r}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim must be divisible by num_heads, "
                             f"got embed_dim={embed_dim} and num_heads={num_heads}")
        if not 0 <= dropout <= 1:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1], got {dropout!r}")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn must be False")
        for name, value in (("kdim", kdim), ("vdim", vdim)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                                      or value <= 0):
                raise ValueError(f"MultiheadAttention: {name} must be None or an int greater than 0, got {value!r}")
        rng = np.random.default_rng() if rng is None else rng
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.kdim = self.embed_dim if kdim is None else int(kdim)
        self.vdim = self.embed_dim if vdim is None else int(vdim)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        self.dropout, self.batch_first = dropout, bool(batch_first)
        self.head_dim = self.embed_dim // self.num_heads
        self.add_zero_attn = False
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = init.xavier_uniform_(Parameter(np.empty((3 * E, E), dtype)), rng=rng)
        else:
            self.q_proj_weight = init.xavier_uniform_(Parameter(np.empty((E, E), dtype)), rng=rng)
            self.k_proj_weight = init.xavier_uniform_(Parameter(np.empty((E, self.kdim), dtype)), rng=rng)
            self.v_proj_weight = init.xavier_uniform_(Parameter(np.empty((E, self.vdim), dtype)), rng=rng)
        self.in_proj_bias = Parameter(np.zeros(3 * E, dtype)) if bias else None
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype, rng=rng)
        if bias:
            self.out_proj.bias.data[...] = 0

    def _scale(self):
        """``1/sqrt(d)``, computed as torch does: ``sqrt(1 / d)``."""
        return math.sqrt(1.0 / float(self.head_dim))

    @staticmethod
    def _causal_mask(L, S):
        """True where query ``i`` may not see key ``j``: ``j > i`` (the top-left causal mask)."""
        return np.triu(np.ones((L, S), dtype=bool), k=1)

    # the three projections: weight (rows of in_proj_weight, or the separate one) and bias
    def _projection(self, j):
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight.data[j * E:(j + 1) * E]
        else:
            w = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)[j].data
        b = None if self.in_proj_bias is None else self.in_proj_bias.data[j * E:(j + 1) * E]
        return w, b

    def _accumulate_projection(self, j, grad_w, grad_b):
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            full = np.zeros_like(self.in_proj_weight.data)
            full[j * E:(j + 1) * E] = grad_w
            self.in_proj_weight.accumulate(full)
        else:
            (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)[j].accumulate(grad_w)
        if self.in_proj_bias is not None:
            full = np.zeros_like(self.in_proj_bias.data)
            full[j * E:(j + 1) * E] = grad_b
            self.in_proj_bias.accumulate(full)

    def _check(self, query, key, value, key_padding_mask, attn_mask):
        dtype = self.out_proj.weight.dtype
        arrays = []
        for name, a, dim in (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim)):
            a = np.asarray(a)
            if a.dtype != dtype:
                raise TypeError(f"MultiheadAttention: {name} must have the parameters' dtype {dtype}, got {a.dtype}")
            if a.shape[-1:] != (dim,):
                raise ValueError(f"MultiheadAttention: {name} of shape {a.shape} must end in {dim}")
            arrays.append(a)
        query, key, value = arrays
        if query.ndim not in (2, 3):
            raise ValueError(f"MultiheadAttention: query should be unbatched 2D or batched 3D, got {query.ndim}-D")
        if key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"MultiheadAttention: for {query.ndim}-D query, expected key and value to be "
                             f"{query.ndim}-D, got {key.ndim}-D and {value.ndim}-D")
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"MultiheadAttention: key's sequence and batch dims {key.shape[:-1]} do not match "
                             f"value's {value.shape[:-1]}")
        batched = query.ndim == 3
        if key_padding_mask is not None and np.ndim(key_padding_mask) != query.ndim - 1:
            raise ValueError(f"MultiheadAttention: for {query.ndim}-D query, expected key_padding_mask to be "
                             f"{query.ndim - 1}-D, got {np.ndim(key_padding_mask)}-D")
        if attn_mask is not None and np.ndim(attn_mask) not in (2, 3):
            raise ValueError(f"MultiheadAttention: attn_mask must be 2-D or 3-D, got {np.ndim(attn_mask)}-D")
        return query, key, value, batched

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        if self.training and self.dropout > 0:
            raise NotImplementedError(f"MultiheadAttention: dropout={self.dropout} in training mode is not "
                                      f"implemented; use dropout=0 or eval()")
        query, key, value, batched = self._check(query, key, value, key_padding_mask, attn_mask)
        dtype = query.dtype
        if not batched:
            query, key, value = query[:, None], key[:, None], value[:, None]
            key_padding_mask = None if key_padding_mask is None else np.asarray(key_padding_mask)[None]
        elif self.batch_first:
            query, key, value = (a.transpose(1, 0, 2) for a in (query, key, value))
        L, N, E = query.shape
        S = key.shape[0]
        h, d = self.num_heads, self.head_dim
        kpm = _mask_to_float("key_padding_mask", key_padding_mask, dtype)
        if is_causal and attn_mask is None:
            raise RuntimeError("MultiheadAttention: Need attn_mask if specifying the is_causal hint")
        if is_causal and kpm is None and not need_weights:
            # torch hands is_causal to scaled_dot_product_attention, which builds the mask itself
            mask = np.where(self._causal_mask(L, S), typed(dtype, -np.inf), typed(dtype, 0.0))[None]
        else:
            mask = _mask_to_float("attn_mask", attn_mask, dtype)
            if mask is not None:
                want = (L, S) if mask.ndim == 2 else (N * h, L, S)
                if mask.shape != want:
                    raise ValueError(f"MultiheadAttention: the shape of the {mask.ndim}D attn_mask is "
                                     f"{mask.shape}, but should be {want}")
                mask = mask[None] if mask.ndim == 2 else mask
        if kpm is not None:
            if kpm.shape != (N, S):
                raise ValueError(f"MultiheadAttention: key_padding_mask has shape {kpm.shape}, expected {(N, S)}")
            kpm = np.broadcast_to(kpm[:, None, None, :], (N, h, 1, S)).reshape(N * h, 1, S)
            mask = kpm if mask is None else mask + kpm

        projected = []
        for j, a in enumerate((query, key, value)):
            w, b = self._projection(j)
            p = np.dot(a.reshape(-1, a.shape[-1]), w.T)
            if b is not None:
                p += b
            # (len, N, E) -> (N*h, len, d): head i of batch n is row n*h + i, as torch's view
            projected.append(p.reshape(a.shape[0], N * h, d).transpose(1, 0, 2))
        q, k, v = projected
        scale = typed(dtype, self._scale())
        q_scaled = q * scale
        scores = np.matmul(q_scaled, k.transpose(0, 2, 1))
        if mask is not None:
            scores = scores + mask
        P = _softmax(scores, safe=not need_weights)
        heads = np.matmul(P, v)                                    # (N*h, L, d)
        concat = heads.transpose(1, 0, 2).reshape(L, N, E)
        out = self.out_proj(concat)
        self._cache = (query, key, value, q_scaled, k, v, P, batched, need_weights, average_attn_weights)
        weights = None
        if need_weights:
            weights = P.reshape(N, h, L, S)
            if average_attn_weights:
                weights = np.add.reduce(weights, axis=1) / typed(dtype, h)
            if not batched:
                weights = weights[0]
        if not batched:
            out = out[:, 0]
        elif self.batch_first:
            out = out.transpose(1, 0, 2)
        return out, weights

    def backward(self, grad):
        if not (isinstance(grad, (tuple, list)) and len(grad) == 2):
            raise TypeError("MultiheadAttention: backward takes the gradient in forward's structure, a pair "
                            f"(grad_attn_output, grad_attn_weights), got {type(grad).__name__}")
        grad_out, grad_weights = grad
        query, key, value, q_scaled, k, v, P, batched, need_weights, average = self._cache
        L, N, E = query.shape
        S = key.shape[0]
        h, d = self.num_heads, self.head_dim
        dtype = query.dtype
        if grad_weights is not None and not need_weights:
            raise ValueError("MultiheadAttention: forward returned no weights (need_weights=False), "
                             "so their gradient must be None")
        if grad_out is None:
            grad_concat = np.zeros((L, N, E), dtype)
        else:
            grad_out = grad_out[:, None] if not batched else (grad_out.transpose(1, 0, 2) if self.batch_first
                                                               else grad_out)
            grad_concat = self.out_proj.backward(grad_out)
        grad_heads = grad_concat.reshape(L, N * h, d).transpose(1, 0, 2)
        grad_P = np.matmul(grad_heads, v.transpose(0, 2, 1))
        grad_v = np.matmul(P.transpose(0, 2, 1), grad_heads)
        if grad_weights is not None:
            gw = grad_weights if batched else grad_weights[None]
            if average:
                gw = np.broadcast_to((gw / typed(dtype, h))[:, None], (N, h, L, S))
            grad_P = grad_P + gw.reshape(N * h, L, S)
        grad_scores = P * (grad_P - np.add.reduce(grad_P * P, axis=-1, keepdims=True))
        scale = typed(dtype, self._scale())
        grad_q = np.matmul(grad_scores, k) * scale
        grad_k = np.matmul(grad_scores.transpose(0, 2, 1), q_scaled)
        grads = []
        for j, (a, g) in enumerate(((query, grad_q), (key, grad_k), (value, grad_v))):
            g = g.transpose(1, 0, 2).reshape(-1, E)                # (len*N, E)
            a2 = a.reshape(-1, a.shape[-1])
            w, _ = self._projection(j)
            self._accumulate_projection(j, np.dot(g.T, a2), np.add.reduce(g, axis=0))
            grads.append(np.dot(g, w).reshape(a.shape))
        if not batched:
            return tuple(g[:, 0] for g in grads)
        if self.batch_first:
            return tuple(g.transpose(1, 0, 2) for g in grads)
        return tuple(grads)

    def extra_repr(self):
        return ""

    def __repr__(self):
        return (f"MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear("
                f"{self.out_proj.extra_repr()})\n)")
