"""Likely causes of a failed check, recognised from the numbers: a catalogue of classic mistakes.

A cause is data: a name, a test on the evidence of one failed check (the implementation's outputs,
torch's, the case's inputs, or the message when it did not run to the end) and the sentence a student
reads. ``explain`` names the first cause whose test holds, so specific causes come
before general ones. A test returns False/None, True, or a dict of values for the sentence's fields.
Add a mistake by adding a ``Cause`` to ``CAUSES``; ``test_causes.py`` shows each one recognised.
It runs in the judging process on plain data and never calls the implementation.
"""
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np

from .compare import mismatch
from .sandbox import Opaque

TRAJECTORY_KINDS = ("model", "trajectory", "step")


@dataclass(frozen=True)
class Cause:
    name: str
    test: Callable
    sentence: str


class Evidence:
    """One failed check: ``got``/``want`` are the arrays of the failing item, ``x`` the input where it lines up."""

    def __init__(self, check, case, key=None, got=None, want=None, message=""):
        self.check, self.case, self.key, self.message = check, case or {}, key, message or ""
        self.outputs, self.expected = got, want
        self.got = got.get(key) if isinstance(got, dict) and key else None
        self.want = np.asarray(want[key]) if isinstance(want, dict) and key in want else None
        self.component = check.entry.cls
        self.category = check.entry.category
        self.kind = check.kind
        self.kwargs = {**check.entry.kwargs, **self.case.get("kwargs", {})}
        self.tol = check.tolerance()

    @property
    def ran(self):
        """The failing item was produced, so ``got`` is what the implementation returned."""
        return self.want is not None and isinstance(self.outputs, dict) and self.key in self.outputs

    @cached_property
    def arrays(self):
        """``(got, want)`` as float64 when ``got`` is an ndarray of ``want``'s shape, else None."""
        if not isinstance(self.got, (np.ndarray, np.generic)) or self.want is None:
            return None
        g = np.asarray(self.got)
        if g.shape != self.want.shape or g.dtype.kind not in "biuf" or self.want.dtype.kind not in "biuf":
            return None
        return g.astype(np.float64), self.want.astype(np.float64)

    @cached_property
    def bad(self):
        """Where ``got`` and ``want`` differ beyond the tolerance (assert_close's rule)."""
        g, w = self.arrays
        return _mismatch(g, w, self.tol)

    @cached_property
    def x(self):
        """The first input, as float64, when it has the output's shape (elementwise components)."""
        args = self.case.get("args") or [None]
        x = args[0]
        if self.arrays is None or not isinstance(x, np.ndarray) or x.shape != self.want.shape:
            return None
        return x.astype(np.float64)

    @cached_property
    def input(self):
        args = self.case.get("args") or [None]
        return args[0] if isinstance(args[0], np.ndarray) else None


def _mismatch(g, w, tol):
    return mismatch(g, w, tol["rtol"], tol["atol"])


def _factor(g, w, rtol=1e-4):
    """``k`` with ``g == k * w`` throughout (``k`` not 1), or None."""
    if g.shape != w.shape or not (np.isfinite(g).all() and np.isfinite(w).all()):
        return None
    scale = np.max(np.abs(w), initial=0.0)
    big = np.abs(w) > 1e-3 * scale
    if scale == 0 or not big.any():
        return None
    k = float(np.median(g[big] / w[big]))
    if k == 0 or not np.isfinite(k) or abs(k - 1) < 1e-6:
        return None
    return k if np.all(np.abs(g - k * w) <= rtol * abs(k) * scale) else None


def _near(k, value):
    return value != 0 and abs(k - value) <= 1e-3 * abs(value)


def _optimizer_reasons(ev):
    options = ev.case.get("optimizer")
    options = options if isinstance(options, dict) else ev.kwargs
    reasons = []
    momentum, dampening, lr = options.get("momentum"), options.get("dampening"), options.get("lr")
    if dampening and momentum:
        reasons.append((1 - dampening, f"dampening applied at the first step: torch's momentum buffer starts as "
                                       f"the gradient itself, and (1 - dampening) = {1 - dampening:g} scales "
                                       f"only later gradients"))
    if momentum:
        reasons.append((1 - momentum, f"the averaged momentum v = {momentum} v + (1 - {momentum}) g; torch's "
                                      f"SGD uses buf = momentum buf + (1 - dampening) g, and its buffer starts "
                                      f"as the first gradient"))
    if ev.component in ("Adam", "AdamW", "Adamax", "NAdam", "RAdam"):
        beta1, beta2 = options.get("betas", (0.9, 0.999))
        reasons.append(((1 - beta1) / np.sqrt(1 - beta2),
                        "no bias correction: torch divides m by 1 - beta1^t and v by 1 - beta2^t (t counted "
                        "per parameter), which makes the first step lr g / (|g| + eps)"))
    if lr:
        reasons += [(lr, f"the learning rate ({lr}) applied twice"),
                    (1 / lr, f"the learning rate ({lr}) left out of the step")]
    batches = ev.case.get("batches")
    if batches is not None and len(batches):
        b = len(batches[0])
        reasons.append((b, f"the loss's gradient not averaged over the batch of {b}: CrossEntropyLoss's 'mean' "
                           f"divides its gradient by N"))
    return reasons


def _named_factor(ev, k):
    """Why an output is ``k`` times torch's, from what the case says (batch size, weights, momentum)."""
    reasons = [(-1.0, "the sign is flipped (prediction - target against target - prediction, "
                      "or a step that adds the gradient)")]
    if ev.kind in TRAJECTORY_KINDS:
        reasons += _optimizer_reasons(ev)
    x = ev.input
    if x is not None and x.ndim >= 1:
        n, size = x.shape[0], x.size
        reasons += [(size, f"not averaged: 'mean' divides the sum, and so its gradient, by the number of "
                           f"elements (here {size})"),
                    (n, f"not averaged over the batch: 'mean' divides by the batch size (here {n})"),
                    (1 / n, f"averaged over the batch (here {n}) where torch sums: a bias gradient is the sum "
                            f"of grad_y over the batch, and reduction='sum' does not divide"),
                    (1 / size, f"divided by the number of elements (here {size}) where torch does not")]
        if x.ndim >= 2 and size != n:
            reasons.append((size / n, f"averaged over the batch only: 'mean' averages over every element "
                                      f"({n} x {size // n} = {size}), not over the {n} rows"))
    target = ev.case.get("args", [None, None])[1:2]
    if target and isinstance(target[0], np.ndarray) and target[0].dtype.kind in "iu" and x is not None:
        t = target[0].reshape(-1)
        valid = t != ev.kwargs.get("ignore_index", -100)
        w = ev.kwargs.get("weight")
        if valid.sum() and valid.sum() != t.size:
            reasons.append((t.size / valid.sum(), f"ignored targets counted in the mean: 'mean' divides by the "
                                                  f"{int(valid.sum())} targets not equal to ignore_index, "
                                                  f"not by all {t.size}"))
        if w is not None and valid.any():
            total = float(np.asarray(w, dtype=np.float64)[t[valid]].sum())
            reasons.append((total / valid.sum(), f"a weighted 'mean' divides by the sum of the targets' weights "
                                                 f"({total:.4g}), not by their number ({int(valid.sum())})"))
    if ev.component == "Dropout":
        p = ev.kwargs.get("p", 0.5)
        reasons.append((1 - p, f"not inverted: in training the kept values must be divided by the keep "
                               f"probability 1 - p = {1 - p:g}, so that eval mode needs no scaling"))
    if ev.category == "loss":
        reasons.append((0.5, "half of torch's: the tutorials' 1/2 (y - t)^2, whose derivative is (y - t); torch's "
                             "MSELoss has no 1/2, so its gradient is 2 (y - t) / n"))
    reasons.append((2.0, "twice torch's: a factor 2 that torch does not have"))
    for value, why in reasons:
        if _near(k, value):
            return why
    return None


def _first_update(ev):
    """``(got, want)`` of the first update ``params[0] - initial`` of a trajectory, or None."""
    out, want = ev.outputs, ev.expected
    if not (isinstance(out, dict) and isinstance(want, dict) and "params" in want):
        return None
    g, w = out.get("params"), np.asarray(want["params"])
    if not isinstance(g, np.ndarray) or g.shape != w.shape or g.ndim != 2 or g.dtype.kind != "f":
        return None
    if "state" in ev.case:
        init = [np.ravel(v) for v in ev.case["state"].values()]
    elif "params" in ev.case:
        init = [np.ravel(v) for v in ev.case["params"]]
    else:
        return None
    init = np.concatenate(init).astype(np.float64)
    if init.shape != w.shape[1:]:
        return None
    return g.astype(np.float64), w.astype(np.float64), init


# -- the tests ----------------------------------------------------------------------------------

def returned(kind):
    def test(ev):
        if not ev.ran:
            return False
        if kind == "none":
            return ev.got is None
        if kind == "list":
            return isinstance(ev.got, (list, tuple))
        if kind == "number":
            return isinstance(ev.got, (int, float)) and not isinstance(ev.got, (bool, np.generic))
        if isinstance(ev.got, Opaque):
            return {"type": type(ev.got).__name__}
        return False
    return test


def _shapes(ev):
    if not ev.ran or not isinstance(ev.got, (np.ndarray, np.generic)) or ev.want is None:
        return None
    return np.shape(ev.got), ev.want.shape


def transposed(ev):
    s = _shapes(ev)
    return s and len(s[1]) == 2 and s[0] == s[1][::-1] and s[1][0] != s[1][1] and {"got": s[0], "want": s[1]}


def unreduced(ev):
    s = _shapes(ev)
    return s and s[1] == () and np.prod(s[0]) > 1 and {"got": s[0]}


def size_one_axes(ev):
    s = _shapes(ev)
    return s and s[0] != s[1] and np.prod(s[0]) == np.prod(s[1]) and \
        tuple(d for d in s[0] if d != 1) == tuple(d for d in s[1] if d != 1) and {"got": s[0], "want": s[1]}


def dtype_is(got_kinds, want_dtype=None):
    def test(ev):
        if _shapes(ev) is None:
            return False
        got = np.asarray(ev.got).dtype
        return got != ev.want.dtype and got.kind in got_kinds and (want_dtype is None or ev.want.dtype == want_dtype)
    return test


def gelu_tanh(ev):
    if ev.component != "GELU" or ev.kwargs.get("approximate", "none") != "none" or ev.kind != "forward" \
            or ev.x is None:
        return False
    x = ev.x
    approx = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    return np.allclose(ev.arrays[0], approx, rtol=1e-5, atol=1e-6)


def _softmax(x, axis):
    z = x - x.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_diagonal(ev):
    if ev.component != "Softmax" or ev.kind != "backward" or ev.x is None:
        return False
    y = _softmax(ev.x, ev.kwargs.get("dim", -1))
    g = np.asarray(ev.case["grad_y"], dtype=np.float64)
    return np.allclose(ev.arrays[0], g * y * (1 - y), rtol=1e-4, atol=1e-6)


def softmax_axis(ev):
    if ev.component not in ("Softmax", "LogSoftmax") or ev.kind != "forward" or ev.x is None or ev.x.ndim < 2:
        return False
    dim = ev.kwargs.get("dim", -1) % ev.x.ndim
    for axis in range(ev.x.ndim):
        y = _softmax(ev.x, axis)
        y = np.log(y) if ev.component == "LogSoftmax" else y
        if axis != dim and np.allclose(ev.arrays[0], y, rtol=1e-4, atol=1e-6):
            return {"axis": axis, "dim": ev.kwargs.get("dim", -1)}
    return False


def softplus_threshold(ev):
    if ev.component != "Softplus" or ev.x is None or not ev.bad.any():
        return False
    beta, threshold = ev.kwargs.get("beta", 1.0), ev.kwargs.get("threshold", 20.0)
    return np.all(beta * ev.x[ev.bad] > threshold) and {"beta": beta, "threshold": threshold}


def row_offset(ev):
    if ev.component != "Linear" or ev.kind != "forward" or ev.arrays is None:
        return False
    g, w = ev.arrays
    if w.ndim < 2 or w.size == w.shape[-1]:
        return False
    d = (g - w).reshape(-1, w.shape[-1])
    scale = np.max(np.abs(w), initial=0.0)
    return np.abs(d[0]).max() > 1e-6 * scale and np.allclose(d, d[0], rtol=0, atol=1e-5 * scale)


def _nonfinite(ev):
    g, w = ev.arrays
    return (~np.isfinite(g) & np.isfinite(w)).any()


def large_inputs(ev):
    if ev.arrays is None:
        return False
    if ev.x is not None and ev.bad.any() and np.all(np.abs(ev.x[ev.bad]) >= 20):
        return True
    return ev.input is not None and ev.input.dtype.kind == "f" and _nonfinite(ev) and \
        np.abs(ev.input).max(initial=0) >= 50


def bce_log_clamp(ev):
    return ev.component == "BCELoss" and ev.arrays is not None and _nonfinite(ev)


def nonfinite(ev):
    return ev.arrays is not None and _nonfinite(ev)


def at_kinks(ev):
    if ev.x is None or not ev.bad.any():
        return False
    kinks = ev.check.entry.kinks_at(ev.case.get("kwargs"))
    return np.all(np.isin(ev.x[ev.bad], np.array(kinks, dtype=ev.x.dtype).astype(np.float64)))


def _pair(v, d):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * d


def _coverage(n, k, stride, pad, dilation=1):
    """How many windows cover each of ``n`` positions along one axis."""
    count = np.zeros(n, dtype=int)
    out = (n + 2 * pad - dilation * (k - 1) - 1) // stride + 1
    for w in range(max(out, 0)):
        for j in range(k):
            p = w * stride - pad + j * dilation
            if 0 <= p < n:
                count[p] += 1
    return count


def overlapping_windows(ev):
    """A pooling or convolution backward wrong only where two windows or more cover the input."""
    if ev.kind != "backward" or ev.component not in ("MaxPool2d", "AvgPool2d", "Conv1d", "Conv2d") \
            or ev.arrays is None or not ev.bad.any() or not isinstance(ev.input, np.ndarray):
        return False
    d = 1 if ev.component == "Conv1d" else 2
    kw = ev.kwargs
    k = _pair(kw.get("kernel_size"), d)
    stride = _pair(kw.get("stride") or (k if "Pool" in ev.component else 1), d)
    pad = kw.get("padding", 0)
    if isinstance(pad, str):
        return False
    pad, dil = _pair(pad, d), _pair(kw.get("dilation", 1), d)
    shape = ev.input.shape[-d:]
    covered = np.ones((1,) * d, dtype=int)
    for axis in range(d):
        c = _coverage(shape[axis], k[axis], stride[axis], pad[axis], dil[axis])
        covered = covered * c.reshape((-1,) + (1,) * (d - 1 - axis))
    many = np.broadcast_to(covered > 1, ev.bad.shape)
    return bool(many.any() and np.all(many[ev.bad]))


def _torch_forward(ev, state):
    """torch's forward output of the failing case with the state dict ``state`` instead of the case's."""
    import reference
    from .kinds import _torch as T
    module = reference.torch_module(ev.component, ev.kwargs, ev.want.dtype)
    reference.load_into_torch(module, state)
    out = module(*T.tensors(ev.case["args"]))
    return (out[0] if isinstance(out, tuple) else out).detach().numpy().astype(np.float64)


def _forward_with(transform):
    """A forward that equals torch's with its weights changed by ``transform(state)``: the mistake it names."""
    def test(ev):
        if ev.kind != "forward" or ev.arrays is None or "state" not in ev.case or not ev.bad.any():
            return False
        changed = transform(ev.component, {k: np.asarray(v) for k, v in ev.case["state"].items()})
        if changed is None:
            return False
        g, _ = ev.arrays
        alt = _torch_forward(ev, changed)
        return alt.shape == g.shape and not _mismatch(g, alt, ev.tol).any()
    return test


def _flipped(component, state):
    if component not in ("Conv1d", "Conv2d"):
        return None
    d = 1 if component == "Conv1d" else 2
    return {**state, "weight": np.ascontiguousarray(np.flip(state["weight"], axis=tuple(range(-d, 0))))}


def _ifog(component, state):
    """LSTM weights with the gates in the order i, f, o, g: what a forward that reads them as i, f, g, o computes."""
    if component not in ("LSTM", "LSTMCell"):
        return None
    def swap(a):
        i, f, g, o = np.split(a, 4, axis=0)
        return np.concatenate([i, f, o, g], axis=0)
    return {k: swap(v) if k.startswith(("weight_", "bias_")) else v for k, v in state.items()}


def embedding_repeats(ev):
    """An embedding weight gradient wrong only in rows whose index appears more than once."""
    if ev.component != "Embedding" or ev.key != "grad.weight" or ev.arrays is None or not ev.bad.any():
        return False
    idx = np.asarray(ev.case["args"][0]).ravel()
    rows, counts = np.unique(idx % ev.want.shape[0], return_counts=True)
    repeated = np.zeros(ev.want.shape[0], dtype=bool)
    repeated[rows[counts > 1]] = True
    return bool(np.all(repeated[np.any(ev.bad, axis=1)]))


def sign_only(sign):
    def test(ev):
        return ev.x is not None and ev.bad.any() and np.all(np.sign(ev.x[ev.bad]) == sign)
    return test


def first_step_only(ev):
    if ev.kind not in TRAJECTORY_KINDS:
        return False
    first = _first_update(ev)
    if first is None:
        return False
    g, w, _ = first
    bad = _mismatch(g, w, ev.tol).any(axis=1)
    return not bad[0] and bad[1:].any()


def loss_first(ev):
    if ev.kind not in TRAJECTORY_KINDS or ev.key != "loss" or ev.arrays is None or ev.arrays[0].ndim != 1:
        return False
    return bool(ev.bad[0])


def first_update_factor(ev):
    if ev.kind not in TRAJECTORY_KINDS:
        return False
    first = _first_update(ev)
    if first is None:
        return False
    g, w, init = first
    k = _factor(g[0] - init, w[0] - init, rtol=1e-3)
    return k is not None and {"k": k, "why": _named_factor(ev, k) or "a scale applied where torch has none"}


def factor(ev):
    if ev.arrays is None:
        return False
    k = _factor(*ev.arrays)
    return k is not None and {"k": k, "why": _named_factor(ev, k) or
                              "a constant factor (1/N, a 1/2, the learning rate) applied where torch has none, "
                              "or left out"}


def first_update_differs(ev):
    if ev.kind not in TRAJECTORY_KINDS:
        return False
    first = _first_update(ev)
    return first is not None and _mismatch(first[0][0], first[1][0], ev.tol).any()


def message(pattern, components=None):
    regex = re.compile(pattern)

    def test(ev):
        found = (components is None or ev.component in components) and regex.search(ev.message)
        return found and (found.groupdict() or True)
    return test


CAUSES = [
    Cause("returned None", returned("none"),
          "returns None: a `return` is missing (forward returns y, backward returns grad_x)"),
    Cause("returned a list", returned("list"),
          "returns a Python list or tuple; return a NumPy array of the input's dtype"),
    Cause("returned a number", returned("number"),
          "returns a Python number; return a NumPy array (a loss is a 0-d array of the input's dtype)"),
    Cause("returned another type", returned("other"),
          "returns a {type} object; return a NumPy ndarray computed with NumPy"),
    Cause("transposed", transposed,
          "shape {got} is the transpose of torch's {want}: a .T too many or too few; torch's Linear weight is "
          "(out_features, in_features), so y = x W^T + b and the weight gradient is grad_y^T x"),
    Cause("loss not reduced", unreduced,
          "an array of shape {got} where torch gives one number: 'mean' and 'sum' reduce to a 0-d array"),
    Cause("axes of size 1", size_one_axes,
          "the right size in the wrong shape ({got} for {want}): an axis of size 1 too many or too few "
          "(keepdims, an (N, 1) column for an (N,) vector, a (1,) array for a 0-d one)"),
    Cause("silent upcasting", dtype_is("f", np.dtype(np.float32)),
          "float32 in, float64 out: silent upcasting by a Python float or float64 constant "
          "(np.where(x > 0, 1.0, a), x * np.sqrt(2.0)); give constants x.dtype, e.g. x.dtype.type(c)"),
    Cause("downcasting", dtype_is("f", np.dtype(np.float64)),
          "float64 in, float32 out: a float32 constant or array (np.float32, dtype=np.float32) forces the result down"),
    Cause("integer result", dtype_is("biu"),
          "an integer or boolean array: a mask (x > 0) returned as it is, or .astype(int); "
          "multiply it into a float array of the input's dtype"),
    Cause("loss differs before any update", loss_first,
          "the loss already differs at the first step, before any update: the forward pass (Linear, the "
          "activation, CrossEntropyLoss) or load_state_dict; the components' own checks say which"),
    Cause("state between steps", first_step_only,
          "first optimizer step right, later ones wrong: the state kept between steps (the momentum buffer, "
          "torch's buf = momentum buf + (1 - dampening) grad starting as buf = grad; Adam's moments and the "
          "bias correction 1 - beta^t with t counted per parameter), or gradients not reset by zero_grad"),
    Cause("first update scaled", first_update_factor, "the first update is {k:.4g} x torch's: {why}"),
    Cause("first update differs", first_update_differs,
          "the first update already differs: a backward (Linear, the activation, CrossEntropyLoss) or the "
          "optimizer's step; the components' own checks say which"),
    Cause("tanh approximation", gelu_tanh,
          "the tanh approximation of GELU; approximate='none' is the exact form x * Phi(x) = "
          "x/2 (1 + erf(x / sqrt 2))"),
    Cause("softmax Jacobian diagonal", softmax_diagonal,
          "only the diagonal of the softmax Jacobian, grad_y * y * (1 - y); the full product is "
          "y * (grad_y - sum(grad_y * y, dim, keepdims=True))"),
    Cause("softmax axis", softmax_axis,
          "normalised along axis {axis} instead of dim={dim}: batch first, torch's default dim=-1 is the features"),
    Cause("linear bias", row_offset,
          "off by the same vector in every row: the bias left out, added twice or with the wrong sign "
          "(y = x W^T + b, b of shape (out_features,))"),
    Cause("Softplus threshold", softplus_threshold,
          "wrong only where beta x > threshold (beta={beta:g}, threshold={threshold:g}): torch's Softplus returns "
          "x there, and its derivative is exactly 1; log(1 + exp(beta x)) / beta differs by up to "
          "exp(-threshold) / beta, and overflows for large x"),
    Cause("no max-subtraction", large_inputs,
          "wrong only for large inputs (|x| >= 20, the +-50 and +-1000 cases): exp overflowed or lost precision; "
          "subtract the max before exp (softmax, log-sum-exp), split sigmoid-like formulas by sign, and keep "
          "torch's threshold (Softplus returns x where beta x > threshold)"),
    Cause("BCELoss log clamp", bce_log_clamp,
          "inf or NaN for probabilities of exactly 0 or 1: torch clamps each log at -100 in BCELoss"),
    Cause("non-finite", nonfinite,
          "inf or NaN where torch is finite: log(0), 0/0 or exp overflow; use the numerically stable form"),
    Cause("overlapping windows", overlapping_windows,
          "wrong only where windows overlap (stride < kernel_size): every window's gradient must be added into "
          "grad_x (np.add.at, or +=), not assigned, so a position in two windows gets both"),
    Cause("flipped kernel", _forward_with(_flipped),
          "the output of a true convolution, with the kernel flipped: torch's Conv computes a cross-correlation, "
          "out[i] = sum_j w[j] x[i + j], with the weight as it is"),
    Cause("LSTM gate order", _forward_with(_ifog),
          "the gates read in another order: torch's LSTM stacks its weights as input, forget, cell (g), output "
          "(i, f, g, o); CS231n's lstm_step_forward uses i, f, o, g"),
    Cause("embedding repeated indices", embedding_repeats,
          "wrong only in rows whose index appears more than once: the weight gradient must add every "
          "occurrence (np.add.at(grad, indices, grad_y)); fancy-index assignment keeps only the last"),
    Cause("derivative at the kink", at_kinks,
          "wrong only at the kinks (x exactly 0, min_val/max_val, Softplus's threshold): the value or derivative "
          "there must be torch's (ReLU'(0) = 0, LeakyReLU'(0) = negative_slope, ELU'(0) = alpha, Hardtanh' = 0 at "
          "both edges; docs/CONTRACT.md lists them): pick > or >= to match"),
    Cause("negative branch", sign_only(-1),
          "wrong only for negative inputs: the x < 0 branch (a hard-coded slope or alpha instead of the "
          "constructor's argument, or that branch's derivative)"),
    Cause("positive branch", sign_only(1), "wrong only for positive inputs: the x > 0 branch"),
    Cause("constant factor", factor, "exactly {k:.4g} x torch's everywhere: {why}"),
    Cause("modifies its input", message(r"modified its input array in place"),
          "writes into an array it was given (x[x < 0] = 0, x *= ..., out=x): build a new array instead"),
    Cause("weight layout", message(r"matmul|not aligned|size \d+ is different from", ("Linear",)),
          "a matrix product with mismatched shapes: torch's layout is weight (out_features, in_features), "
          "y = x @ W.T + b, grad_x = grad_y @ W, grad_W = grad_y.T @ x"),
    Cause("Sequential backward order", message(r"matmul|not aligned|size \d+ is different from", ("Sequential",)),
          "a matrix product with mismatched shapes while training the model: Sequential.backward must call "
          "the layers' backward in reverse order (for layer in reversed(layers)), each on the gradient the "
          "next one returned; if it does, Linear's layout (the Linear checks say)"),
    Cause("broadcasting", message(r"could not be broadcast"),
          "arrays that do not broadcast: an (N,) vector against an (N, 1) column, or a missing keepdims=True"),
    Cause("constructor arguments", message(r"unexpected keyword argument '(?P<arg>\w+)'"),
          "the constructor does not take '{arg}': docs/CONTRACT.md gives torch's argument names and defaults"),
    Cause("missing method", message(r"object has no attribute '(?P<attr>\w+)'"),
          "no '{attr}': every module has forward/__call__, backward, parameters, named_parameters, zero_grad, "
          "train/eval, state_dict and load_state_dict (docs/CONTRACT.md)"),
    Cause("state_dict keys", message(r"load_state_dict|KeyError: '(\d+\.)?(weight|bias)'"),
          "load_state_dict must take torch's keys (weight, bias; 0.weight, 0.bias inside Sequential) and copy "
          "the values into the existing arrays"),
    Cause("endless loop", message(r"did not finish within"),
          "an endless loop, or a Python loop over every element: write it with NumPy's vectorised operations"),
    Cause("memory", message(r"MemoryError"), "allocates far more memory than the inputs need"),
]


def find(check, case, key=None, got=None, want=None, message=""):
    """``(cause, fields)`` of the first cause in ``CAUSES`` that fits, or ``(None, None)``. Never raises."""
    ev = Evidence(check, case, key, got, want, message)
    for cause in CAUSES:
        try:
            with np.errstate(all="ignore"):
                found = cause.test(ev)
        except Exception:  # noqa: BLE001 -- a cause that cannot read this evidence does not apply
            continue
        if found:
            return cause, found if isinstance(found, dict) else {}
    return None, None


def explain(check, case, key=None, got=None, want=None, message=""):
    """``{'name', 'text'}`` of the first cause that fits, or None (the ``explain`` hook of ``run_checks``)."""
    cause, fields = find(check, case, key, got, want, message)
    return cause and {"name": cause.name, "text": cause.sentence.format(**fields)}
