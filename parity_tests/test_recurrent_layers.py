"""The recurrent layers and MultiheadAttention against torch, directly (``registry_recurrent``'s cases).

Each case runs in scratch and in torch (the twin built by ``reference.twin.to_torch``): every output
part, the gradient of every input under random upstream gradients for every output part, then a
second forward and backward with some parts' gradients None, and the parameter gradients
accumulated over both calls. float64 must agree to 1e-12 relative to each array's scale; dtype is
kept and inputs are left unmodified. Then float64 central differences on small cases, and one wrong
twin per classic mistake, each shown to be caught.
"""
import math

import numpy as np
import pytest
import torch

import scratch
from scratch import recurrent
from reference.twin import from_torch, to_torch

from .registry_recurrent import ENTRIES

TOL = {"float64": 1e-12, "float32": 1e-5}
"""Largest error allowed, relative to the scale ``max(1, max|torch's value|)`` of each array: the
project's 1e-12 in float64; in float32 ``assert_close``'s atol (round-off fed forward over the
steps and through the softmax measures up to 7e-7)."""

ERRORS = {}
"""Largest relative error met, per (component, dtype, stage); printed when this file is run as a script."""


def _map(f, s):
    """``s`` (an array, None, or a tuple/list nesting them) with ``f`` applied to each array."""
    if s is None:
        return None
    if isinstance(s, (tuple, list)):
        return tuple(_map(f, x) for x in s)
    return f(s)


def _leaves(s):
    if isinstance(s, (tuple, list)):
        return [leaf for x in s for leaf in _leaves(x)]
    return [s]


def _torch_value(a, dtype):
    a = np.asarray(a)
    if a.dtype == np.bool_:
        return torch.from_numpy(a.copy())
    return torch.from_numpy(a.astype(dtype))


def assert_close(got, want, dtype, what, key):
    """``got`` (scratch) against ``want`` (torch, a tensor): dtype, shape, NaN where torch has NaN, then
    ``max|got - want| <= TOL * max(1, max|want|)``."""
    __tracebackhide__ = True
    want = want.detach().numpy()
    assert got is not None, f"{what}: scratch gave None, torch gave an array of shape {want.shape}"
    assert got.dtype == np.dtype(dtype), f"{what}: dtype {got.dtype}, expected {np.dtype(dtype)}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, torch's {want.shape}"
    nan_got, nan_want = np.isnan(got), np.isnan(want)
    assert np.array_equal(nan_got, nan_want), (
        f"{what}: NaN at {np.argwhere(nan_got != nan_want)[:5].tolist()} differs from torch's")
    finite = ~nan_want
    scale = max(1.0, float(np.max(np.abs(want[finite]), initial=0.0)))
    err = float(np.max(np.abs(got[finite].astype(np.float64) - want[finite]), initial=0.0)) / scale
    if key is not None:
        stage = key + (what.split("[")[0],)
        ERRORS[stage] = max(err, ERRORS.get(stage, 0.0))
    assert err <= TOL[np.dtype(dtype).name], (
        f"{what}: max error {err:.3g} relative to scale {scale:.3g} (up to {TOL[np.dtype(dtype).name]:g} allowed)")


def _build(cls, case, scratch_cls=None):
    """The scratch module (``scratch_cls``, a wrong twin, in place of ``cls`` when given) and the torch
    twin of ``cls``, both holding the case's state."""
    module = (scratch_cls or getattr(scratch, cls))(**case["kwargs"], rng=np.random.default_rng(0))
    module.load_state_dict(case["state"])
    right = getattr(scratch, cls)(**case["kwargs"], rng=np.random.default_rng(0))
    right.load_state_dict(case["state"])
    return module, to_torch(right)


def _random_like(rng, s, dtype):
    return _map(lambda a: rng.standard_normal(a.shape).astype(dtype), s)


def _drop_some(s):
    """Every other leaf of ``s`` (from the second on) replaced by None, the structure kept."""
    count = iter(range(10**6))
    return _map(lambda a: None if next(count) % 2 else a, s)


def run_case(cls, case, dtype, scratch_cls=None, seed=0):
    """Scratch against torch on one case; raises AssertionError naming the first difference."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    key = None if scratch_cls else (cls, dtype.name)
    module, twin = _build(cls, case, scratch_cls)
    for name, value in twin.state_dict().items():
        assert np.array_equal(value.numpy(), case["state"][name]), f"state: {name} did not cross to torch"
    assert sorted(module.state_dict()) == sorted(twin.state_dict()), "state: keys differ from torch's"
    args, call_kwargs = case["args"], case["call_kwargs"]
    copies = _map(np.copy, args)
    leaves_in = _leaves(args)
    t_args = _map(lambda a: torch.from_numpy(a.copy()).requires_grad_(), args)
    t_leaves_in = _leaves(t_args)
    t_kwargs = {k: _torch_value(v, dtype) if isinstance(v, np.ndarray) else v for k, v in call_kwargs.items()}
    param_grads = {}
    for call in range(2):
        out = module(*args, **call_kwargs)
        t_out = twin(*t_args, **t_kwargs)
        for i, (a, t) in enumerate(zip(_leaves(out), _leaves(t_out), strict=True)):
            if t is None:
                assert a is None, f"output part {i}: scratch gave an array where torch gave None"
                continue
            assert_close(a, t, dtype, f"output[{i}]", key)
        grad = _random_like(rng, out, dtype)
        grad = grad if call == 0 else _drop_some(grad)
        grad_in = module.backward(grad)
        for t in t_leaves_in:
            t.grad = None
        pairs = [(t, torch.from_numpy(g)) for t, g in zip(_leaves(t_out), _leaves(grad)) if g is not None]
        torch.autograd.backward([t for t, _ in pairs], [g for _, g in pairs])
        grad_leaves = [grad_in] if len(args) == 1 else _leaves(grad_in)
        assert len(grad_leaves) == len(leaves_in), (
            f"backward returned {len(grad_leaves)} gradients for {len(leaves_in)} inputs")
        for i, (g, t) in enumerate(zip(grad_leaves, t_leaves_in)):
            want = t.grad if t.grad is not None else torch.zeros_like(t)
            assert_close(g, want, dtype, f"grad_input[{i}] (call {call + 1})", key)
        for name, p in twin.named_parameters():
            param_grads[name] = p.grad
    for (name, p), (t_name, _) in zip(module.named_parameters(), twin.named_parameters(), strict=True):
        assert name == t_name, f"parameter order: {name} where torch has {t_name}"
        assert_close(p.grad, param_grads[name], dtype, f"param_grad[{name}]", key)
    for a, b in zip(_leaves(args), _leaves(copies)):
        assert np.array_equal(a, b, equal_nan=True), "an input array was modified in place"
    assert all(a.dtype == dtype for a in leaves_in)


def _cases(kind="forward"):
    params = []
    for entry in ENTRIES:
        for dtype in entry.dtypes_for(kind):
            for i, case in enumerate(entry.domain_for(kind)(np.random.default_rng(1234), np.dtype(dtype))):
                params.append(pytest.param(entry.cls, case, dtype, id=f"{entry.name}-{dtype}-{i}:{case['name']}"))
    return params


@pytest.mark.parametrize("cls, case, dtype", _cases())
def test_parity(cls, case, dtype):
    run_case(cls, case, dtype)


# ---------------------------------------------------------------------------------------------
# Central differences (float64), scratch alone.
# ---------------------------------------------------------------------------------------------

def _objective(module, args, call_kwargs, weights):
    out = _leaves(module(*args, **call_kwargs))
    return sum(float(np.sum(w * o)) for w, o in zip(weights, out) if o is not None)


@pytest.mark.parametrize("cls, case, dtype", _cases("gradcheck"))
def test_gradcheck(cls, case, dtype):
    h = 1e-6
    module = getattr(scratch, cls)(**case["kwargs"], rng=np.random.default_rng(0))
    module.load_state_dict(case["state"])
    args, call_kwargs = _map(np.copy, case["args"]), case["call_kwargs"]
    rng = np.random.default_rng(7)
    out = module(*args, **call_kwargs)
    weights = [None if o is None else rng.standard_normal(o.shape) for o in _leaves(out)]
    grad = module.backward(_map_leaves(out, weights))
    analytic = ([grad] if len(args) == 1 else _leaves(grad)) + [p.grad for p in module.parameters()]
    targets = _leaves(args) + [p.data for p in module.parameters()]
    for i, (a, target) in enumerate(zip(analytic, targets)):
        numeric = np.empty_like(target)
        for j in np.ndindex(target.shape):
            keep = target[j]
            target[j] = keep + h
            up = _objective(module, args, call_kwargs, weights)
            target[j] = keep - h
            down = _objective(module, args, call_kwargs, weights)
            target[j] = keep
            numeric[j] = (up - down) / (2 * h)
        err = np.max(np.abs(a - numeric)) / max(np.max(np.abs(numeric)), 1e-300)
        assert err <= 1e-7, f"{cls} {case['name']}: gradient {i} off by {err:.3g} of its scale (1e-7 allowed)"


def _map_leaves(structure, values):
    it = iter(values)
    return _map(lambda _: next(it), structure)


# ---------------------------------------------------------------------------------------------
# Wrong twins: one classic mistake each, and the check that catches it.
# ---------------------------------------------------------------------------------------------

def _swap_blocks(a):
    """Gate blocks (i, f, g, o) read as (i, f, o, g): the last two swapped."""
    i, f, g, o = np.split(a, 4, axis=-1)
    return np.concatenate([i, f, o, g], axis=-1)


def _ifog_step(xp, hp, h, c):
    return recurrent._lstm_step(_swap_blocks(xp), _swap_blocks(hp), h, c)


def _ifog_step_backward(grad_h, grad_c, cache):
    grad_xp, grad_hp, direct, grad_c = recurrent._lstm_step_backward(grad_h, grad_c, cache)
    return _swap_blocks(grad_xp), _swap_blocks(grad_hp), direct, grad_c


class LSTMGatesIFOG(scratch.LSTM):
    """Gates read in the order (i, f, o, g) instead of torch's (i, f, g, o)."""

    _cell = (4, _ifog_step, _ifog_step_backward, True)


class GRUCellResetBeforeMatmul(scratch.GRUCell):
    """``n = tanh(W_in x + b_in + W_hn (r h) + b_hn)``: the reset gate applied before the product."""

    def forward(self, input, hx=None):
        x = input
        h = np.zeros(x.shape[:-1] + (self.hidden_size,), x.dtype) if hx is None else hx
        H = self.hidden_size
        w_ih, w_hh = self.weight_ih.data, self.weight_hh.data
        b_ih, b_hh = self.bias_ih.data, self.bias_hh.data
        xp = x @ w_ih.T + b_ih
        hp = h @ w_hh[:2 * H].T + b_hh[:2 * H]
        r = 1 / (1 + np.exp(-(xp[..., :H] + hp[..., :H])))
        z = 1 / (1 + np.exp(-(xp[..., H:2 * H] + hp[..., H:])))
        n = np.tanh(xp[..., 2 * H:] + (r * h) @ w_hh[2 * H:].T + b_hh[2 * H:])
        return (1 - z) * n + z * h


class AttentionScaledByD(scratch.MultiheadAttention):
    """Scores divided by ``d`` instead of ``sqrt(d)``."""

    def _scale(self):
        return 1.0 / self.head_dim


class AttentionCausalOffByOne(scratch.MultiheadAttention):
    """The causal mask lets position ``i`` see ``i + 1``."""

    @staticmethod
    def _causal_mask(L, S):
        return np.triu(np.ones((L, S), dtype=bool), k=2)


def _forgetful_through_time(tape, grad_out, grad_hn, grad_cn):
    """Backward through time that drops the gradient flowing into ``h_t`` from step ``t + 1``:
    each step sees only the output's gradient at ``t`` (and ``grad_h_n`` at the last step)."""
    cell, params, x, h_prev, caches, reverse = tape
    _, _, step_backward, has_c = cell
    w_ih, w_hh, b_ih, b_hh = params
    grad_h = np.zeros(h_prev.shape[1:], x.dtype) if grad_hn is None else grad_hn
    grad_c = (np.zeros(h_prev.shape[1:], x.dtype) if grad_cn is None else grad_cn) if has_c else None
    grad_xp = np.empty(x.shape[:2] + (w_ih.shape[0],), dtype=x.dtype)
    grad_hp = np.empty_like(grad_xp)
    for t in (range(x.shape[0]) if reverse else range(x.shape[0] - 1, -1, -1)):
        grad_h = grad_h + grad_out[t]
        grad_xp[t], grad_hp[t], _, grad_c = step_backward(grad_h, grad_c, caches[t])
        grad_h = np.zeros_like(grad_h)                           # the mistake
    w_ih.accumulate(np.tensordot(grad_xp, x, axes=([0, 1], [0, 1])))
    w_hh.accumulate(np.tensordot(grad_hp, h_prev, axes=([0, 1], [0, 1])))
    if b_ih is not None:
        b_ih.accumulate(grad_xp.sum(axis=(0, 1)))
        b_hh.accumulate(grad_hp.sum(axis=(0, 1)))
    return grad_xp @ w_ih.data, np.zeros_like(grad_h), grad_c


class RNNForgetfulBPTT(scratch.RNN):
    _through_time = staticmethod(_forgetful_through_time)


def _case(cls, name, dtype="float64"):
    entry = next(e for e in ENTRIES if e.cls == cls)
    cases = entry.domain_for("forward")(np.random.default_rng(1234), np.dtype(dtype))
    return next(c for c in cases if c["name"] == name)


WRONG = {
    "LSTM gates in the order (i, f, o, g)": (LSTMGatesIFOG, "LSTM", "(L, N, H_in) = (5, 3, 3)", "output"),
    "GRU reset gate applied before the hidden matmul": (GRUCellResetBeforeMatmul, "GRUCell",
                                                         "(N, H_in) = (5, 3)", "output"),
    "attention scaled by d instead of sqrt(d)": (AttentionScaledByD, "MultiheadAttention",
                                                 "self-attention (L, N, E)", "output"),
    "causal mask off by one (position i sees i + 1)": (AttentionCausalOffByOne, "MultiheadAttention",
                                                       "causal, is_causal=True, need_weights=False", "output"),
    "BPTT forgets the gradient from the next step": (RNNForgetfulBPTT, "RNN", "(L, N, H_in) = (5, 3, 3), "
                                                     "state passed in", "grad_input"),
}


@pytest.mark.parametrize("mistake", list(WRONG))
def test_wrong_twin_is_caught(mistake):
    wrong_cls, cls, name, stage = WRONG[mistake]
    case = _case(cls, name)
    run_case(cls, case, "float64")                         # the right one passes on this case ...
    with pytest.raises(AssertionError, match=stage):       # ... and the wrong one fails at its stage
        run_case(cls, case, "float64", scratch_cls=wrong_cls)


@pytest.mark.parametrize("make", [
    lambda: scratch.RNN(3, 4, 2, "relu", batch_first=True, bidirectional=True, bias=False),
    lambda: scratch.LSTM(3, 4, num_layers=2, dtype=np.float32),
    lambda: scratch.GRUCell(3, 4, bias=False, dtype=np.float32),
    lambda: scratch.RNNCell(3, 4, nonlinearity="relu"),
    lambda: scratch.MultiheadAttention(8, 4, kdim=3, vdim=5, bias=False, batch_first=True, dtype=np.float32),
], ids=["RNN", "LSTM", "GRUCell", "RNNCell", "MultiheadAttention"])
def test_twin_round_trip(make):
    module = make()
    twin = to_torch(module)
    back = from_torch(twin)
    assert type(back) is type(module) and repr(back) == repr(module) == repr(twin)
    assert list(module.state_dict()) == list(twin.state_dict()) == list(back.state_dict())
    for name, value in module.state_dict().items():
        assert back.state_dict()[name].dtype == value.dtype
        assert np.array_equal(twin.state_dict()[name].numpy(), value)
        assert np.array_equal(back.state_dict()[name], value)


def test_default_initialisation():
    """Every recurrent parameter in ``±1/sqrt(hidden_size)``, spread across it; attention's biases zero."""
    lstm = scratch.LSTM(10, 16, num_layers=2, bidirectional=True, rng=np.random.default_rng(0))
    for name, p in lstm.named_parameters():
        assert np.max(np.abs(p.data)) <= 0.25 and np.max(np.abs(p.data)) > 0.24, name
    mha = scratch.MultiheadAttention(8, 2, rng=np.random.default_rng(0))
    assert not mha.in_proj_bias.data.any() and not mha.out_proj.bias.data.any()
    assert np.max(np.abs(mha.in_proj_weight.data)) <= math.sqrt(6 / 32)


# ---------------------------------------------------------------------------------------------
# Construction and input errors.
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, match", [
    (lambda: scratch.RNN(3, 4, nonlinearity="sigmoid"), "nonlinearity"),
    (lambda: scratch.LSTM(3, 0), "hidden_size"),
    (lambda: scratch.GRU(3, 4, num_layers=0), "num_layers"),
    (lambda: scratch.GRU(3, 4, dropout=1.5), "dropout"),
    (lambda: scratch.RNNCell(3, 4, nonlinearity="gelu"), "nonlinearity"),
    (lambda: scratch.MultiheadAttention(6, 4), "divisible"),
    (lambda: scratch.MultiheadAttention(0, 1), "embed_dim"),
])
def test_bad_arguments_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_raise():
    lstm = scratch.LSTM(3, 4, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="input_size"):
        lstm(np.zeros((5, 2, 4)))
    with pytest.raises(ValueError, match="2D or 3D"):
        lstm(np.zeros((5, 2, 1, 3)))
    with pytest.raises(ValueError, match="hidden size"):
        lstm(np.zeros((5, 2, 3)), (np.zeros((1, 3, 4)), np.zeros((1, 3, 4))))
    with pytest.raises(TypeError, match="dtype"):
        lstm(np.zeros((5, 2, 3), dtype=np.float32))
    with pytest.raises(NotImplementedError, match="dropout"):
        scratch.GRU(3, 4, num_layers=2, dropout=0.5)(np.zeros((5, 2, 3)))
    mha = scratch.MultiheadAttention(4, 2, rng=np.random.default_rng(0))
    x = np.zeros((3, 2, 4))
    with pytest.raises(RuntimeError, match="is_causal"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match="attn_mask"):
        mha(x, x, x, attn_mask=np.zeros((3, 4), dtype=bool))
    with pytest.raises(TypeError, match="bool and floating"):
        mha(x, x, x, attn_mask=np.zeros((3, 3), dtype=np.int64))


if __name__ == "__main__":
    # python -m parity_tests.test_recurrent_layers: every case, then the largest errors met
    for param in _cases():
        run_case(*param.values)
    for key in sorted(ERRORS):
        print(" ".join(key), f"{ERRORS[key]:.3g}")
