"""The CS231n style: the assignments' functions (assignment 2 ``layers.py``, ``optim.py``; assignment 3
``rnn_layers.py``) behind the contract's classes.

Runs inside the untrusted child beside the submission: NumPy and the standard library only.

Course API (the handouts' signatures):
  ``affine_forward(x, w, b) -> (out, cache)`` with ``w`` of shape (D, M): the transpose of torch's
  ``Linear.weight``; ``*_backward(dout, cache)``; ``relu_forward``; ``batchnorm_forward(x, gamma, beta,
  bn_param)``; ``layernorm_forward(x, gamma, beta, ln_param)``; ``dropout_forward(x, dropout_param)``;
  ``softmax_loss(x, y)`` and ``svm_loss(x, y) -> (loss, dx)``; ``conv_forward_naive(x, w, b,
  conv_param)``; ``max_pool_forward_naive(x, pool_param)``; ``spatial_batchnorm_forward``;
  ``spatial_groupnorm_forward(x, gamma, beta, G, gn_param)`` with gamma (1, C, 1, 1);
  ``sgd``/``sgd_momentum``/``rmsprop``/``adam(w, dw, config) -> (next_w, config)``; ``rnn_step_forward``,
  ``rnn_forward``, ``lstm_step_forward``, ``lstm_forward`` (Wx (D, 4H), gates i, f, o, g),
  ``word_embedding_forward``, ``temporal_affine_forward``, ``temporal_softmax_loss(x, y, mask)``.

Conventions converted here (see ``CONVENTIONS``): weights transposed; batchnorm's momentum is the
decay of the running average (torch's is ``1 -`` it) and its running variance is the biased one;
dropout's ``p`` is the keep probability (or the drop probability, as the file's docstring says);
sequences are (N, T, D) where torch's default is (T, N, D); the LSTM's gate order.
"""
import re

import numpy as np

from ._base import given, Loss, Module, Optimizer, Parameter, Sequential, Unsupported, floating, scalar, uniform

NAME = "cs231n"
SUMMARY = "CS231n assignments: affine_forward(x, w, b) -> (out, cache), *_backward(dout, cache), optim.py's rules"

MARKERS = ("affine_forward", "affine_backward", "relu_forward", "relu_backward", "affine_relu_forward",
           "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt", "layernorm_forward",
           "layernorm_backward", "dropout_forward", "dropout_backward", "softmax_loss", "svm_loss",
           "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive",
           "spatial_batchnorm_forward", "spatial_batchnorm_backward", "spatial_groupnorm_forward",
           "spatial_groupnorm_backward", "sgd", "sgd_momentum", "rmsprop", "adam", "rnn_step_forward",
           "rnn_step_backward", "rnn_forward", "rnn_backward", "lstm_step_forward", "lstm_step_backward",
           "lstm_forward", "lstm_backward", "word_embedding_forward", "word_embedding_backward",
           "temporal_affine_forward", "temporal_affine_backward", "temporal_softmax_loss")
"""The course's own function names: what detection counts."""

NAMES = MARKERS + ("sigmoid",)

CONVENTIONS = {
    "Linear": "w is (D, M), the transpose of torch's weight (out, in): the adapter passes weight.T and "
              "transposes dw back; x is passed as rows (N, D).",
    "BatchNorm1d": "bn_param['momentum'] is the decay of the running average (running = momentum * running "
                   "+ (1 - momentum) * batch), torch's momentum is 1 - it; the course's running variance is "
                   "the biased batch variance, torch's the unbiased one. The adapter passes 1 - momentum and "
                   "rescales the batch variance it reads back from bn_param by n / (n - 1), so the buffers "
                   "compare with torch's. (N, C, L) inputs are passed as rows (N * L, C).",
    "BatchNorm2d": "as BatchNorm1d: momentum is the decay, the running variance biased (converted).",
    "Dropout": "dropout_param['p'] is the keep probability in the handouts since 2019 and the drop "
               "probability in older ones; the adapter follows dropout_forward's own docstring.",
    "CrossEntropyLoss": "softmax_loss(x, y) is the mean over the batch with class indices; (N, C, d) inputs "
                        "are passed as rows, reduction='sum' is the mean times the count.",
    "MultiMarginLoss": "svm_loss is C times torch's MultiMarginLoss (torch divides by the number of classes).",
    "SGD": "sgd_momentum keeps v = mu * v - lr * dw (v = -lr * torch's momentum buffer: the same steps).",
    "RNN": "rnn_forward takes (N, T, D) and one bias b (torch has bias_ih + bias_hh: b is their sum).",
    "LSTM": "Wx is (D, 4H) with gates i, f, o, g; torch's weight_ih_l0 is (4H, D) with gates i, f, g, o: "
            "the adapter reorders; lstm_forward starts from c0 = 0.",
    "TemporalCrossEntropyLoss": "temporal_softmax_loss sums over the unmasked steps and divides by N, the "
                                "number of sequences (not by the number of unmasked steps).",
}

UNDEFINED = {}
"""``{(component, kind): (where, why)}``: points where the course leaves the answer open, a difference
from torch there is a note. CS231n's relu_backward is ``dout * (x > 0)`` (0 at 0, as torch): none."""


def _ce_limits(kind, case):
    kw, args = case.get("kwargs", {}), case.get("args", [])
    if kw.get("reduction", "mean") == "none":
        return "softmax_loss gives the mean loss: no reduction='none'"
    for name in ("weight", "label_smoothing"):
        if kw.get(name) is not None and not (name == "label_smoothing" and kw[name] == 0):
            return f"softmax_loss has no {name}"
    if len(args) > 1 and np.asarray(args[1]).dtype.kind == "f":
        return "softmax_loss takes class indices, not class probabilities"
    if len(args) > 1 and np.any(np.asarray(args[1]) == kw.get("ignore_index", -100)):
        return "softmax_loss has no ignore_index"
    return None


def _bn_limits(kind, case):
    if kind in ("backward", "param_grad", "gradcheck") and not case.get("train", True) \
            and case.get("kwargs", {}).get("track_running_stats", True):
        return "batchnorm_backward is the training-mode gradient; the course has no test-mode backward"
    return None


def _dropout_limits(kind, case):
    if case.get("kwargs", {}).get("p") == 1.0:
        return "inverted dropout divides by the keep probability: p=1 (keep none) is outside the course's range"
    return None


def _optim_limits(options):
    def limits(kind, case):
        for k, v in case.get("kwargs", {}).items():
            if k not in options and given(v):
                return f"the course's update rule has no {k}={v!r}"
        return None
    return limits


LIMITS = {
    "Linear": lambda kind, case: "the course has no layer initialisation" if kind == "distribution" else None,
    "CrossEntropyLoss": _ce_limits,
    "BatchNorm1d": _bn_limits,
    "Dropout": _dropout_limits,
    "SGD": _optim_limits(("lr", "momentum")),
    "RMSprop": _optim_limits(("lr", "alpha", "eps")),
    "Adam": _optim_limits(("lr", "betas", "eps")),
}
"""``{component: (kind, case) -> reason or None}``: the cases the course's API cannot express; they are
left out of the component's checks and the report lists them."""


def detect(ns):
    found = [n for n in MARKERS if callable(getattr(ns, n, None))]
    if not found:
        return 0, "none of CS231n's assignment functions (affine_forward, softmax_loss, sgd_momentum, ...)"
    return len(found), f"defines {len(found)} of CS231n's assignment functions: {', '.join(found[:6])}" + \
        (", ..." if len(found) > 6 else "")


# -- layers -----------------------------------------------------------------------------------------

def _need(fns, name):
    fn = fns.get(name)
    if fn is None:
        raise Unsupported(f"{name} is not defined")
    return fn


class Linear(Module):
    """torch.nn.Linear on affine_forward/affine_backward: weight (out, in) passed as w = weight.T (in, out)."""

    fns = {}

    def __init__(self, in_features, out_features, bias=True, dtype=None, rng=None):
        super().__init__()
        dtype, bound = floating(dtype), 1 / np.sqrt(in_features)
        self.in_features, self.out_features = in_features, out_features
        self.param("weight", uniform(rng, bound, (out_features, in_features), dtype))
        self.has_bias = bool(bias)
        if bias:
            self.param("bias", uniform(rng, bound, (out_features,), dtype))

    def _b(self, dtype):
        return self.bias.data if self.has_bias else np.zeros(self.out_features, dtype=dtype)

    def forward(self, x):
        self._shape = x.shape
        rows = x.reshape(-1, x.shape[-1])
        out, self._cache = _need(self.fns, self.forward_name)(rows, self.weight.data.T, self._b(x.dtype))
        return out.reshape(x.shape[:-1] + (self.out_features,))

    def backward(self, grad_y):
        dx, dw, db = _need(self.fns, self.backward_name)(grad_y.reshape(-1, self.out_features), self._cache)
        self.weight.accumulate(np.asarray(dw).T)
        if self.has_bias:
            self.bias.accumulate(db)
        return np.asarray(dx).reshape(self._shape)

    forward_name, backward_name = "affine_forward", "affine_backward"


class TemporalLinear(Linear):
    """torch.nn.Linear on (N, T, D) inputs, on temporal_affine_forward/temporal_affine_backward."""

    forward_name, backward_name = "temporal_affine_forward", "temporal_affine_backward"

    def forward(self, x):
        if x.ndim != 3:
            raise Unsupported("temporal_affine_forward takes (N, T, D) inputs")
        self._shape = x.shape
        out, self._cache = _need(self.fns, self.forward_name)(x, self.weight.data.T, self._b(x.dtype))
        return out

    def backward(self, grad_y):
        dx, dw, db = _need(self.fns, self.backward_name)(grad_y, self._cache)
        self.weight.accumulate(np.asarray(dw).T)
        if self.has_bias:
            self.bias.accumulate(db)
        return dx


class ReLU(Module):
    """torch.nn.ReLU on relu_forward/relu_backward."""

    fns = {}

    def forward(self, x):
        out, self._cache = _need(self.fns, "relu_forward")(x)
        return out

    def backward(self, grad_y):
        return _need(self.fns, "relu_backward")(grad_y, self._cache)


class Sigmoid(Module):
    """torch.nn.Sigmoid on rnn_layers.py's numerically stable ``sigmoid(x)`` (forward only: the course
    differentiates it inside the LSTM)."""

    fns = {}

    def forward(self, x):
        return _need(self.fns, "sigmoid")(x)

    def backward(self, grad_y):
        raise Unsupported("the course's sigmoid has no backward of its own")


class _BatchNorm(Module):
    """Running statistics kept in torch's convention; each call hands bn_param the course's."""

    fns = {}
    forward_name = backward_name = None

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, dtype=None):
        super().__init__()
        dtype = floating(dtype)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.param("weight", np.ones(num_features, dtype=dtype))
            self.param("bias", np.zeros(num_features, dtype=dtype))
        if track_running_stats:
            self._buffers.update(running_mean=np.zeros(num_features, dtype=dtype),
                                 running_var=np.ones(num_features, dtype=dtype),
                                 num_batches_tracked=np.array(0, dtype=np.int64))

    def _in(self, x):
        return x

    def _out(self, y, x):
        return y

    def _count(self, x):
        return x.size // self.num_features

    def _affine(self, dtype):
        if self.affine:
            return self.weight.data, self.bias.data
        return np.ones(self.num_features, dtype=dtype), np.zeros(self.num_features, dtype=dtype)

    def forward(self, x):
        gamma, beta = self._affine(x.dtype)
        batch_stats = self.training or not self.track_running_stats
        update = self.training and self.track_running_stats
        c = self.num_features
        if update:
            tracked = int(self._buffers["num_batches_tracked"]) + 1
            m = 1.0 / tracked if self.momentum is None else self.momentum
            old_mean, old_var = self._buffers["running_mean"].copy(), self._buffers["running_var"].copy()
        else:
            m, old_mean, old_var = 0.1, np.zeros(c, x.dtype), np.ones(c, x.dtype)
        if not batch_stats:
            old_mean, old_var = self._buffers["running_mean"].copy(), self._buffers["running_var"].copy()
        bn_param = {"mode": "train" if batch_stats else "test", "eps": self.eps, "momentum": 1.0 - m,
                    "running_mean": old_mean.copy(), "running_var": old_var.copy()}
        out, self._cache = _need(self.fns, self.forward_name)(self._in(x), gamma, beta, bn_param)
        if update:
            n = self._count(x)
            if n < 2:
                raise ValueError(f"Expected more than 1 value per channel when training, got input size {x.shape}")
            new_var = np.asarray(bn_param["running_var"])
            batch_var = (new_var - (1.0 - m) * old_var) / m
            self._buffers["running_mean"] = np.asarray(bn_param["running_mean"]).astype(x.dtype, copy=True)
            self._buffers["running_var"] = ((1.0 - m) * old_var + m * batch_var * (n / (n - 1))).astype(x.dtype)
            self._buffers["num_batches_tracked"] = np.array(tracked, dtype=np.int64)
        return self._out(out, x)

    def backward(self, grad_y):
        if not (self.training or not self.track_running_stats):
            raise Unsupported("batchnorm_backward is the training-mode gradient; the course has no test-mode backward")
        fn = self.fns.get(self.backward_name) or self.fns.get(self.backward_name + "_alt")
        if fn is None:
            raise Unsupported(f"{self.backward_name} is not defined")
        dx, dgamma, dbeta = fn(self._in(grad_y), self._cache)
        if self.affine:
            self.weight.accumulate(np.asarray(dgamma).ravel())
            self.bias.accumulate(np.asarray(dbeta).ravel())
        return self._out(dx, grad_y)


class BatchNorm1d(_BatchNorm):
    """torch.nn.BatchNorm1d on batchnorm_forward/batchnorm_backward (or _alt); (N, C, L) passed as rows."""

    forward_name, backward_name = "batchnorm_forward", "batchnorm_backward"

    def _in(self, x):
        return x if x.ndim == 2 else x.transpose(0, 2, 1).reshape(-1, x.shape[1])

    def _out(self, y, x):
        return y if x.ndim == 2 else y.reshape(x.shape[0], x.shape[2], x.shape[1]).transpose(0, 2, 1)


class BatchNorm2d(_BatchNorm):
    """torch.nn.BatchNorm2d on spatial_batchnorm_forward/spatial_batchnorm_backward."""

    forward_name, backward_name = "spatial_batchnorm_forward", "spatial_batchnorm_backward"


class LayerNorm(Module):
    """torch.nn.LayerNorm on layernorm_forward/layernorm_backward; the normalised dims passed as rows."""

    fns = {}

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=None):
        super().__init__()
        dtype = floating(dtype)
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps, self.affine = eps, elementwise_affine
        if elementwise_affine:
            self.param("weight", np.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.param("bias", np.zeros(self.normalized_shape, dtype=dtype))
        self.has_bias = elementwise_affine and bias

    def forward(self, x):
        d = int(np.prod(self.normalized_shape))
        self._shape = x.shape
        gamma = self.weight.data.ravel() if self.affine else np.ones(d, x.dtype)
        beta = self.bias.data.ravel() if self.has_bias else np.zeros(d, x.dtype)
        out, self._cache = _need(self.fns, "layernorm_forward")(x.reshape(-1, d), gamma, beta, {"eps": self.eps})
        return out.reshape(x.shape)

    def backward(self, grad_y):
        d = int(np.prod(self.normalized_shape))
        dx, dgamma, dbeta = _need(self.fns, "layernorm_backward")(grad_y.reshape(-1, d), self._cache)
        if self.affine:
            self.weight.accumulate(dgamma)
        if self.has_bias:
            self.bias.accumulate(dbeta)
        return np.asarray(dx).reshape(self._shape)


def dropout_convention(fn):
    """'keep' or 'drop': what ``p`` means to this dropout_forward, from its own docstring, with the
    sentence it was read from (the handouts say 'We keep each neuron output with probability p' since
    2019 and 'We drop each neuron output with probability p' before)."""
    doc = " ".join((getattr(fn, "__doc__", None) or "").split())
    match = re.search(r"([^.:]*\b(keep|drop)\w*\b[^.]*probability\s+p\b[^.]*)", doc, re.IGNORECASE)
    if match:
        return match.group(2).lower(), f"dropout_forward's docstring: '{match.group(1).strip()}'"
    return "keep", "dropout_forward's docstring does not say; taken as the keep probability (handouts since 2019)"


class Dropout(Module):
    """torch.nn.Dropout on dropout_forward/dropout_backward (inverted dropout; mask from the cache)."""

    fns = {}

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        self.p, self.rng = p, rng
        self.convention = dropout_convention(self.fns.get("dropout_forward"))[0]

    def forward(self, x):
        param = {"p": 1.0 - self.p if self.convention == "keep" else self.p,
                 "mode": "train" if self.training else "test"}
        if self.rng is not None:
            param["seed"] = int(self.rng.integers(2**31))
        out, cache = _need(self.fns, "dropout_forward")(x, param)
        self._cache = cache
        mask = cache[1] if isinstance(cache, tuple) and len(cache) > 1 else None
        self.mask = np.ones(x.shape, bool) if (mask is None or not self.training) else \
            np.broadcast_to(np.asarray(mask) != 0, x.shape).copy()
        return out

    def backward(self, grad_y):
        return _need(self.fns, "dropout_backward")(grad_y, self._cache)


class Conv2d(Module):
    """torch.nn.Conv2d on conv_forward_naive/conv_backward_naive (or the _fast pair): weight (F, C, HH, WW)
    as torch's; conv_param {'stride', 'pad'}; one stride and one padding for both dimensions."""

    fns = {}

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", dtype=None, rng=None):
        super().__init__()
        pair = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v, v)  # noqa: E731
        k, s, p = pair(kernel_size), pair(stride), pair(padding)
        if s[0] != s[1] or p[0] != p[1] or isinstance(padding, str) or pair(dilation) != (1, 1) \
                or groups != 1 or padding_mode != "zeros":
            raise Unsupported("conv_param has one stride and one pad; no dilation, groups or padding modes")
        dtype, bound = floating(dtype), 1 / np.sqrt(in_channels * k[0] * k[1])
        self.conv_param = {"stride": s[0], "pad": p[0]}
        self.param("weight", uniform(rng, bound, (out_channels, in_channels) + k, dtype))
        self.has_bias = bool(bias)
        if bias:
            self.param("bias", uniform(rng, bound, (out_channels,), dtype))
        self.out_channels = out_channels

    def _fn(self, what):
        fn = self.fns.get(f"conv_{what}_naive") or self.fns.get(f"conv_{what}_fast")
        if fn is None:
            raise Unsupported(f"conv_{what}_naive is not defined")
        return fn

    def forward(self, x):
        b = self.bias.data if self.has_bias else np.zeros(self.out_channels, x.dtype)
        out, self._cache = self._fn("forward")(x, self.weight.data, b, dict(self.conv_param))
        return out

    def backward(self, grad_y):
        dx, dw, db = self._fn("backward")(grad_y, self._cache)
        self.weight.accumulate(dw)
        if self.has_bias:
            self.bias.accumulate(db)
        return dx


class MaxPool2d(Module):
    """torch.nn.MaxPool2d on max_pool_forward_naive/max_pool_backward_naive: pool_param {'pool_height',
    'pool_width', 'stride'}; no padding, dilation or ceil_mode."""

    fns = {}

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        pair = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v, v)  # noqa: E731
        k = pair(kernel_size)
        s = pair(stride if stride is not None else kernel_size)
        if s[0] != s[1] or pair(padding) != (0, 0) or pair(dilation) != (1, 1) or return_indices or ceil_mode:
            raise Unsupported("pool_param has one stride; no padding, dilation, indices or ceil_mode")
        self.pool_param = {"pool_height": k[0], "pool_width": k[1], "stride": s[0]}

    def forward(self, x):
        out, self._cache = _need(self.fns, "max_pool_forward_naive")(x, dict(self.pool_param))
        return out

    def backward(self, grad_y):
        return _need(self.fns, "max_pool_backward_naive")(grad_y, self._cache)


class GroupNorm(Module):
    """torch.nn.GroupNorm on spatial_groupnorm_forward/backward: gamma and beta passed as (1, C, 1, 1)."""

    fns = {}

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, dtype=None):
        super().__init__()
        dtype = floating(dtype)
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        if affine:
            self.param("weight", np.ones(num_channels, dtype=dtype))
            self.param("bias", np.zeros(num_channels, dtype=dtype))

    def forward(self, x):
        c = self.num_channels
        gamma = self.weight.data if self.affine else np.ones(c, x.dtype)
        beta = self.bias.data if self.affine else np.zeros(c, x.dtype)
        out, self._cache = _need(self.fns, "spatial_groupnorm_forward")(
            x, gamma.reshape(1, c, 1, 1), beta.reshape(1, c, 1, 1), self.num_groups, {"eps": self.eps})
        return out

    def backward(self, grad_y):
        dx, dgamma, dbeta = _need(self.fns, "spatial_groupnorm_backward")(grad_y, self._cache)
        if self.affine:
            self.weight.accumulate(np.asarray(dgamma).ravel())
            self.bias.accumulate(np.asarray(dbeta).ravel())
        return dx


class Embedding(Module):
    """torch.nn.Embedding on word_embedding_forward/word_embedding_backward: W (V, D) as torch's weight."""

    fns = {}

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, dtype=None, rng=None):
        super().__init__()
        if padding_idx is not None:
            raise Unsupported("word_embedding_forward has no padding_idx")
        rng = rng if rng is not None else np.random.default_rng()
        self.param("weight", rng.standard_normal((num_embeddings, embedding_dim)).astype(floating(dtype)))

    def forward(self, indices):
        out, self._cache = _need(self.fns, "word_embedding_forward")(indices, self.weight.data)
        return out

    def backward(self, grad_y):
        self.weight.accumulate(_need(self.fns, "word_embedding_backward")(grad_y, self._cache))
        return None


# -- recurrent layers ------------------------------------------------------------------------------

TORCH_TO_COURSE_GATES = [0, 1, 3, 2]
"""torch's LSTM blocks are i, f, g, o; the course's i, f, o, g: the same permutation both ways."""


class _Recurrent(Module):
    gates = 1

    def __init__(self, input_size, hidden_size, bias=True, suffix="", dtype=None, rng=None):
        super().__init__()
        dtype, bound, g = floating(dtype), 1 / np.sqrt(hidden_size), self.gates
        self.input_size, self.hidden_size, self.has_bias, self.suffix = input_size, hidden_size, bool(bias), suffix
        self.param("weight_ih" + suffix, uniform(rng, bound, (g * hidden_size, input_size), dtype))
        self.param("weight_hh" + suffix, uniform(rng, bound, (g * hidden_size, hidden_size), dtype))
        if bias:
            self.param("bias_ih" + suffix, uniform(rng, bound, (g * hidden_size,), dtype))
            self.param("bias_hh" + suffix, uniform(rng, bound, (g * hidden_size,), dtype))

    def _p(self, name):
        return self._params[name + self.suffix]

    def _order(self, a):
        if self.gates == 1:
            return a
        h = self.hidden_size
        return a.reshape((4, h) + a.shape[1:])[TORCH_TO_COURSE_GATES].reshape(a.shape)

    def course_weights(self, dtype):
        """Wx (D, gH), Wh (H, gH), b (gH,) in the course's layout and gate order."""
        wx = self._order(self._p("weight_ih").data).T
        wh = self._order(self._p("weight_hh").data).T
        b = self._order(self._p("bias_ih").data + self._p("bias_hh").data) if self.has_bias else \
            np.zeros(self.gates * self.hidden_size, dtype)
        return wx, wh, b

    def add_course_grads(self, dwx, dwh, db):
        self._p("weight_ih").accumulate(self._order(np.asarray(dwx).T))
        self._p("weight_hh").accumulate(self._order(np.asarray(dwh).T))
        if self.has_bias:
            self._p("bias_ih").accumulate(self._order(np.asarray(db)))
            self._p("bias_hh").accumulate(self._order(np.asarray(db)))


def _batched(x):
    if x.ndim != 2:
        raise Unsupported("the course's step functions take batched (N, D) inputs")


class RNNCell(_Recurrent):
    """torch.nn.RNNCell (tanh) on rnn_step_forward/rnn_step_backward."""

    fns = {}

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=None, rng=None):
        if nonlinearity != "tanh":
            raise Unsupported("rnn_step_forward is the tanh RNN")
        super().__init__(input_size, hidden_size, bias, dtype=dtype, rng=rng)

    def forward(self, x, hx=None):
        _batched(x)
        self._given = hx is not None
        h = hx if hx is not None else np.zeros((x.shape[0], self.hidden_size), x.dtype)
        next_h, self._cache = _need(self.fns, "rnn_step_forward")(x, h, *self.course_weights(x.dtype))
        return next_h

    def backward(self, grad_y):
        dx, dh, dwx, dwh, db = _need(self.fns, "rnn_step_backward")(grad_y, self._cache)
        self.add_course_grads(dwx, dwh, db)
        return dx, (dh if self._given else None)


class LSTMCell(_Recurrent):
    """torch.nn.LSTMCell on lstm_step_forward/lstm_step_backward (gates reordered i, f, g, o <-> i, f, o, g)."""

    fns = {}
    gates = 4

    def __init__(self, input_size, hidden_size, bias=True, dtype=None, rng=None):
        super().__init__(input_size, hidden_size, bias, dtype=dtype, rng=rng)

    def forward(self, x, hx=None):
        _batched(x)
        self._given = hx is not None
        zeros = np.zeros((x.shape[0], self.hidden_size), x.dtype)
        h, c = hx if hx is not None else (zeros, zeros)
        next_h, next_c, self._cache = _need(self.fns, "lstm_step_forward")(x, h, c, *self.course_weights(x.dtype))
        return next_h, next_c

    def backward(self, grad):
        gh, gc = grad
        like = gh if gh is not None else gc
        gh = np.zeros_like(like) if gh is None else gh
        gc = np.zeros_like(like) if gc is None else gc
        dx, dh, dc, dwx, dwh, db = _need(self.fns, "lstm_step_backward")(gh, gc, self._cache)
        self.add_course_grads(dwx, dwh, db)
        return dx, ((dh, dc) if self._given else None)


class _Sequence(_Recurrent):
    """One layer over a sequence: (T, N, D) as torch's default, (N, T, D) with batch_first (the course's)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=None, rng=None, **extra):
        if num_layers != 1 or bidirectional or dropout:
            raise Unsupported("the course's sequence functions are one layer, one direction")
        self.batch_first = batch_first
        super().__init__(input_size, hidden_size, bias, suffix="_l0", dtype=dtype, rng=rng)

    def _nt(self, x):
        if x.ndim != 3:
            raise Unsupported("the course's sequence functions take batched sequences")
        return x if self.batch_first else x.transpose(1, 0, 2)


class RNN(_Sequence):
    """torch.nn.RNN (one layer, tanh) on rnn_forward/rnn_backward; returns (output, h_n)."""

    fns = {}

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=None, rng=None):
        if nonlinearity != "tanh":
            raise Unsupported("rnn_forward is the tanh RNN")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype, rng)

    def forward(self, x, hx=None):
        xs = self._nt(x)
        self._given = hx is not None
        h0 = hx[0] if hx is not None else np.zeros((xs.shape[0], self.hidden_size), x.dtype)
        h, self._cache = _need(self.fns, "rnn_forward")(xs, h0, *self.course_weights(x.dtype))
        return self._nt(h), h[:, -1][None]

    def backward(self, grad):
        g_out, g_hn = grad
        dh = np.array(self._nt(g_out), copy=True)
        if g_hn is not None:
            dh[:, -1] += g_hn[0]
        dx, dh0, dwx, dwh, db = _need(self.fns, "rnn_backward")(dh, self._cache)
        self.add_course_grads(dwx, dwh, db)
        return self._nt(dx), (dh0[None] if self._given else None)


class LSTM(_Sequence):
    """torch.nn.LSTM (one layer) on lstm_forward/lstm_backward; c_n from lstm_step_forward over the
    sequence; c_0 must be zero (the course's lstm_forward has none) and c_n gets no gradient."""

    fns = {}
    gates = 4

    def forward(self, x, hx=None):
        xs = self._nt(x)
        zeros = np.zeros((xs.shape[0], self.hidden_size), x.dtype)
        self._given = hx is not None
        h0, c0 = (hx[0][0], hx[1][0]) if hx is not None else (zeros, zeros)
        if np.any(c0 != 0):
            raise Unsupported("lstm_forward starts from c0 = 0: no c_0 argument")
        weights = self.course_weights(x.dtype)
        h, self._cache = _need(self.fns, "lstm_forward")(xs, h0, *weights)
        step = _need(self.fns, "lstm_step_forward")  # c_n: lstm_forward returns the hidden states only
        prev, c = h0, zeros
        for t in range(xs.shape[1]):
            prev, c, _ = step(xs[:, t], prev, c, *weights)
        return self._nt(h), (h[:, -1][None], c[None])

    def backward(self, grad):
        g_out, (g_hn, g_cn) = grad[0], (grad[1] if grad[1] is not None else (None, None))
        if g_cn is not None and np.any(g_cn != 0):
            raise Unsupported("lstm_backward takes the gradient of the hidden states only: none for c_n")
        dh = np.array(self._nt(g_out), copy=True)
        if g_hn is not None:
            dh[:, -1] += g_hn[0]
        dx, dh0, dwx, dwh, db = _need(self.fns, "lstm_backward")(dh, self._cache)
        self.add_course_grads(dwx, dwh, db)
        return self._nt(dx), ((dh0[None], None) if self._given else None)


# -- losses ------------------------------------------------------------------------------------------

class CrossEntropyLoss(Loss):
    """torch.nn.CrossEntropyLoss (class indices, 'mean' or 'sum') on softmax_loss(x, y) -> (loss, dx)."""

    fns = {}
    REDUCTIONS = ("mean", "sum")

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction, weight=weight, label_smoothing=label_smoothing)
        self.ignore_index = ignore_index

    def forward(self, x, y):
        y = np.asarray(y)
        if y.dtype.kind == "f":
            raise Unsupported("softmax_loss takes class indices, not class probabilities")
        if np.any(y == self.ignore_index):
            raise Unsupported("softmax_loss has no ignore_index")
        self._shape = x.shape
        rows = x[None] if x.ndim == 1 else (x if x.ndim == 2 else np.moveaxis(x, 1, -1).reshape(-1, x.shape[1]))
        loss, dx = _need(self.fns, "softmax_loss")(rows, y.reshape(-1))
        loss, dx = scalar(loss, x), np.asarray(dx)
        if self.reduction == "sum":
            n = np.asarray(rows.shape[0], dtype=x.dtype)
            loss, dx = np.asarray(loss * n), dx * n
        if x.ndim == 1:
            dx = dx[0]
        elif x.ndim > 2:
            moved = np.moveaxis(x, 1, -1).shape
            dx = np.moveaxis(dx.reshape(moved), -1, 1)
        self._dx = dx
        return loss

    def backward(self, grad_output=1.0):
        return self._dx * np.asarray(grad_output, dtype=self._dx.dtype)


class MultiMarginLoss(Loss):
    """torch.nn.MultiMarginLoss (p=1, margin=1, mean) on svm_loss: svm_loss is C times it."""

    fns = {}

    def __init__(self, p=1, margin=1.0, weight=None, reduction="mean"):
        if p != 1 or margin != 1.0:
            raise Unsupported("svm_loss is the hinge with p=1 and margin 1")
        super().__init__(reduction, weight=weight)

    def forward(self, x, y):
        loss, dx = _need(self.fns, "svm_loss")(x, np.asarray(y))
        c = np.asarray(x.shape[1], dtype=x.dtype)
        self._dx = np.asarray(dx) / c
        return np.asarray(scalar(loss, x) / c)

    def backward(self, grad_output=1.0):
        return self._dx * np.asarray(grad_output, dtype=self._dx.dtype)


class TemporalCrossEntropyLoss(Loss):
    """temporal_softmax_loss(x, y, mask) -> (loss, dx): the sum over unmasked steps of torch's cross entropy,
    divided by N (torch: CrossEntropyLoss(reduction='sum', ignore_index=...) / N)."""

    fns = {}

    def forward(self, x, y, mask):
        loss, self._dx = _need(self.fns, "temporal_softmax_loss")(x, y, mask)
        return scalar(loss, x)

    def backward(self, grad_output=1.0):
        return np.asarray(self._dx) * np.asarray(grad_output, dtype=np.asarray(self._dx).dtype)


# -- optimizers --------------------------------------------------------------------------------------

class _Rule(Optimizer):
    """Each parameter keeps the config dict the course's rule returns; ``config(group)`` sets its hyperparameters."""

    fns = {}

    def update(self, p, group, state):
        name = self.rule(group)
        config = state.setdefault("config", {})
        config.update(self.config(group))
        next_w, config = _need(self.fns, name)(p.data.copy(), np.array(p.grad, copy=True), config)
        state["config"] = config
        return next_w


class SGD(_Rule):
    """torch.optim.SGD (lr, momentum) on sgd (momentum 0) and sgd_momentum."""

    OPTIONS = ("lr", "momentum")
    DEFAULTS = {"lr": 1e-3, "momentum": 0.0}

    def rule(self, group):
        return "sgd_momentum" if group["momentum"] else "sgd"

    def config(self, group):
        return {"learning_rate": group["lr"], "momentum": group["momentum"]}


class RMSprop(_Rule):
    """torch.optim.RMSprop (lr, alpha, eps) on rmsprop: decay_rate = alpha, epsilon = eps."""

    OPTIONS = ("lr", "alpha", "eps")
    DEFAULTS = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8}

    def rule(self, group):
        return "rmsprop"

    def config(self, group):
        return {"learning_rate": group["lr"], "decay_rate": group["alpha"], "epsilon": group["eps"]}


class Adam(_Rule):
    """torch.optim.Adam (lr, betas, eps) on adam: beta1, beta2 = betas, epsilon = eps."""

    OPTIONS = ("lr", "betas", "eps")
    DEFAULTS = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}

    def rule(self, group):
        return "adam"

    def config(self, group):
        return {"learning_rate": group["lr"], "beta1": group["betas"][0], "beta2": group["betas"][1],
                "epsilon": group["eps"]}


# -- the table -----------------------------------------------------------------------------------------

ADAPTERS = {
    "Linear": (Linear, ("affine_forward",), ("affine_backward",)),
    "TemporalLinear": (TemporalLinear, ("temporal_affine_forward",), ("temporal_affine_backward",)),
    "ReLU": (ReLU, ("relu_forward",), ("relu_backward",)),
    "Sigmoid": (Sigmoid, ("sigmoid",), ()),
    "BatchNorm1d": (BatchNorm1d, ("batchnorm_forward",), ("batchnorm_backward", "batchnorm_backward_alt")),
    "BatchNorm2d": (BatchNorm2d, ("spatial_batchnorm_forward",), ("spatial_batchnorm_backward",)),
    "LayerNorm": (LayerNorm, ("layernorm_forward",), ("layernorm_backward",)),
    "GroupNorm": (GroupNorm, ("spatial_groupnorm_forward",), ("spatial_groupnorm_backward",)),
    "Dropout": (Dropout, ("dropout_forward",), ("dropout_backward",)),
    "Conv2d": (Conv2d, ("conv_forward_naive", "conv_forward_fast"), ("conv_backward_naive", "conv_backward_fast")),
    "MaxPool2d": (MaxPool2d, ("max_pool_forward_naive",), ("max_pool_backward_naive",)),
    "Embedding": (Embedding, ("word_embedding_forward",), ("word_embedding_backward",)),
    "RNNCell": (RNNCell, ("rnn_step_forward",), ("rnn_step_backward",)),
    "RNN": (RNN, ("rnn_forward",), ("rnn_backward",)),
    "LSTMCell": (LSTMCell, ("lstm_step_forward",), ("lstm_step_backward",)),
    "LSTM": (LSTM, ("lstm_forward",), ("lstm_backward", "lstm_step_forward")),
    "CrossEntropyLoss": (CrossEntropyLoss, ("softmax_loss",), ()),
    "MultiMarginLoss": (MultiMarginLoss, ("svm_loss",), ()),
    "TemporalCrossEntropyLoss": (TemporalCrossEntropyLoss, ("temporal_softmax_loss",), ()),
    "SGD": (SGD, ("sgd", "sgd_momentum"), ()),
    "RMSprop": (RMSprop, ("rmsprop",), ()),
    "Adam": (Adam, ("adam",), ()),
}
"""Contract name -> (adapter, the course functions any of which makes it present, the others it uses)."""


def adapt(ns):
    """The contract objects this submission's functions make: ``{name: class}``, each class with its
    ``source`` (the submission's own names it calls) and its ``fns``."""
    out = {}
    for name, (cls, needs, extra) in ADAPTERS.items():
        have = [n for n in needs if callable(getattr(ns, n, None))]
        if not have:
            continue
        used = have + [n for n in extra if callable(getattr(ns, n, None))]
        fns = {n: getattr(ns, n) for n in used}
        out[name] = type(name, (cls,), {"fns": fns, "source": used, "__module__": __name__})
    if any(k in out for k in ("SGD", "RMSprop", "Adam")) or out:
        out.update(Sequential=Sequential, Parameter=Parameter)
    return out


def notes(ns):
    """What the report should say about this submission's conventions (the dropout reading)."""
    fn = getattr(ns, "dropout_forward", None)
    return {"Dropout": dropout_convention(fn)[1]} if callable(fn) else {}


TEMPLATE = {
    "affine_forward": ("x, w, b", "out = x.reshape(N, D) @ w + b with w of shape (D, M); returns (out, cache)"),
    "affine_backward": ("dout, cache", "returns (dx, dw, db), dx of x's shape"),
    "relu_forward": ("x", "out = max(0, x); returns (out, cache)"),
    "relu_backward": ("dout, cache", "returns dx: dout where x > 0, else 0"),
    "batchnorm_forward": ("x, gamma, beta, bn_param",
                          "bn_param: mode ('train'|'test'), eps, momentum, running_mean, running_var; "
                          "returns (out, cache)"),
    "batchnorm_backward": ("dout, cache", "returns (dx, dgamma, dbeta)"),
    "layernorm_forward": ("x, gamma, beta, ln_param", "normalises each row; returns (out, cache)"),
    "layernorm_backward": ("dout, cache", "returns (dx, dgamma, dbeta)"),
    "dropout_forward": ("x, dropout_param", "dropout_param: p, mode, seed; inverted dropout; returns (out, cache)"),
    "dropout_backward": ("dout, cache", "returns dx"),
    "softmax_loss": ("x, y", "x (N, C) scores, y (N,) labels; returns (loss, dx)"),
    "svm_loss": ("x, y", "multiclass hinge loss with margin 1; returns (loss, dx)"),
    "conv_forward_naive": ("x, w, b, conv_param", "conv_param: stride, pad; returns (out, cache)"),
    "conv_backward_naive": ("dout, cache", "returns (dx, dw, db)"),
    "max_pool_forward_naive": ("x, pool_param", "pool_param: pool_height, pool_width, stride; returns (out, cache)"),
    "max_pool_backward_naive": ("dout, cache", "returns dx"),
    "spatial_batchnorm_forward": ("x, gamma, beta, bn_param", "batchnorm over N, H, W per channel; returns (out, cache)"),
    "spatial_batchnorm_backward": ("dout, cache", "returns (dx, dgamma, dbeta)"),
    "spatial_groupnorm_forward": ("x, gamma, beta, G, gn_param", "gamma, beta of shape (1, C, 1, 1); returns (out, cache)"),
    "spatial_groupnorm_backward": ("dout, cache", "returns (dx, dgamma, dbeta)"),
    "sgd": ("w, dw, config=None", "config: learning_rate; returns (next_w, config)"),
    "sgd_momentum": ("w, dw, config=None", "config: learning_rate, momentum, velocity; returns (next_w, config)"),
    "rmsprop": ("w, dw, config=None", "config: learning_rate, decay_rate, epsilon, cache; returns (next_w, config)"),
    "adam": ("w, dw, config=None", "config: learning_rate, beta1, beta2, epsilon, m, v, t; returns (next_w, config)"),
    "rnn_step_forward": ("x, prev_h, Wx, Wh, b", "next_h = tanh(x Wx + prev_h Wh + b); returns (next_h, cache)"),
    "rnn_step_backward": ("dnext_h, cache", "returns (dx, dprev_h, dWx, dWh, db)"),
    "rnn_forward": ("x, h0, Wx, Wh, b", "x of shape (N, T, D); returns (h, cache), h of shape (N, T, H)"),
    "rnn_backward": ("dh, cache", "returns (dx, dh0, dWx, dWh, db)"),
    "lstm_step_forward": ("x, prev_h, prev_c, Wx, Wh, b", "gates i, f, o, g; returns (next_h, next_c, cache)"),
    "lstm_step_backward": ("dnext_h, dnext_c, cache", "returns (dx, dprev_h, dprev_c, dWx, dWh, db)"),
    "lstm_forward": ("x, h0, Wx, Wh, b", "returns (h, cache)"),
    "lstm_backward": ("dh, cache", "returns (dx, dh0, dWx, dWh, db)"),
    "word_embedding_forward": ("x, W", "x (N, T) integer indices, W (V, D); returns (out, cache)"),
    "word_embedding_backward": ("dout, cache", "returns dW"),
    "temporal_affine_forward": ("x, w, b", "x (N, T, D); returns (out, cache)"),
    "temporal_affine_backward": ("dout, cache", "returns (dx, dw, db)"),
    "temporal_softmax_loss": ("x, y, mask", "x (N, T, V), y (N, T), mask (N, T); returns (loss, dx)"),
}
"""The assignments' functions, their arguments and what they return: the style's starter template."""
