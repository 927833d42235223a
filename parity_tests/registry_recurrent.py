"""Registry entries of the layers with several inputs and outputs: the recurrent cells and layers
(RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU) and MultiheadAttention.

A case is a dict: ``name``; ``args``, forward's positional inputs, states included (LSTM's state is
the pair ``(h_0, c_0)``, so ``args`` may nest); ``kwargs``, constructor options; ``call_kwargs``,
forward's keyword options (masks as NumPy arrays, ``need_weights``, ...); ``state``, a state_dict
keyed as torch's. Forward returns torch's structure (``(output, h_n)``, ``(output, (h_n, c_n))``,
``(attn_output, attn_weights or None)``) and backward takes the upstream gradient in that structure,
so the entries are ``nested`` and their backward returns the gradient of every input (``grad_inputs``).
"""
import math

import numpy as np

from .registry import ByKind, Entry

KINDS = ("forward", "backward", "param_grad", "gradcheck")
"""No ``state`` kind: that kind follows buffers over steps (BatchNorm's running statistics) and these
layers have none; their state_dict round trip is checked in ``test_recurrent_layers``."""

_GATES = {"RNNCell": 1, "LSTMCell": 4, "GRUCell": 3, "RNN": 1, "LSTM": 4, "GRU": 3}


def _uniform(rng, shape, bound, dtype):
    return rng.uniform(-bound, bound, shape).astype(dtype)


def recurrent_state(rng, cls, kwargs, dtype):
    """A random state_dict of ``cls(**kwargs)``, keyed as torch's, uniform in torch's ``±1/sqrt(H)``."""
    H, G = kwargs["hidden_size"], _GATES[cls]
    bound = 1 / math.sqrt(H)
    bias = kwargs.get("bias", True)
    state = {}
    if cls.endswith("Cell"):
        names = [("", kwargs["input_size"])]
    else:
        D = 2 if kwargs.get("bidirectional", False) else 1
        names = [(f"_l{k}{suffix}", kwargs["input_size"] if k == 0 else D * H)
                 for k in range(kwargs.get("num_layers", 1)) for suffix in ("", "_reverse")[:D]]
    for suffix, n_in in names:
        state[f"weight_ih{suffix}"] = _uniform(rng, (G * H, n_in), bound, dtype)
        state[f"weight_hh{suffix}"] = _uniform(rng, (G * H, H), bound, dtype)
        if bias:
            state[f"bias_ih{suffix}"] = _uniform(rng, (G * H,), bound, dtype)
            state[f"bias_hh{suffix}"] = _uniform(rng, (G * H,), bound, dtype)
    return state


def sequence_domain(cls, small=False):
    """RNN, LSTM or GRU: with and without a state passed in, sequence length 1, batch size 1,
    two layers, bidirectional, batch_first, unbatched, no bias (and RNN's relu)."""
    I, H, L, N = (2, 3, 3, 2) if small else (3, 4, 5, 3)

    def domain(rng, dtype):
        def case(name, shape, with_state=False, **kwargs):
            kwargs = {"input_size": I, "hidden_size": H, **kwargs}
            x = rng.standard_normal(shape).astype(dtype)
            args = [x]
            if with_state:
                D = 2 if kwargs.get("bidirectional") else 1
                batch = () if len(shape) == 2 else (shape[0] if kwargs.get("batch_first") else shape[1],)
                state_shape = (kwargs.get("num_layers", 1) * D,) + batch + (H,)
                h0 = (0.5 * rng.standard_normal(state_shape)).astype(dtype)
                if cls == "LSTM":
                    c0 = rng.standard_normal(state_shape).astype(dtype)
                    args.append((h0, c0))
                else:
                    args.append(h0)
            return {"name": name + (", state passed in" if with_state else ""), "args": args,
                    "kwargs": {**kwargs, "dtype": np.dtype(dtype)}, "call_kwargs": {},
                    "state": recurrent_state(rng, cls, kwargs, dtype)}

        if small:
            cases = [case(f"(L, N, H_in) = {(L, N, I)}", (L, N, I), True),
                     case("num_layers=2, bidirectional", (L, N, I), True, num_layers=2, bidirectional=True)]
            if cls == "RNN":
                cases.append(case("nonlinearity=relu", (L, N, I), True, nonlinearity="relu"))
            return cases
        cases = [case(f"(L, N, H_in) = {(L, N, I)}", (L, N, I)),
                 case(f"(L, N, H_in) = {(L, N, I)}", (L, N, I), True),
                 case("sequence length 1", (1, N, I), True),
                 case("batch size 1", (L, 1, I)),
                 case("num_layers=2", (L, N, I), True, num_layers=2),
                 case("bidirectional", (L, N, I), bidirectional=True),
                 case("num_layers=2, bidirectional", (L, N, I), True, num_layers=2, bidirectional=True),
                 case("batch_first (N, L, H_in)", (N, L, I), True, batch_first=True),
                 case("unbatched (L, H_in)", (L, I)),
                 case("unbatched (L, H_in), bidirectional", (L, I), True, bidirectional=True),
                 case("bias=False", (L, N, I), True, bias=False)]
        if cls == "RNN":
            cases += [case("nonlinearity=relu", (L, N, I), True, nonlinearity="relu"),
                      case("nonlinearity=relu, num_layers=2, bidirectional", (L, N, I), True,
                           nonlinearity="relu", num_layers=2, bidirectional=True)]
        return cases
    return domain


def cell_domain(cls, small=False):
    """RNNCell, LSTMCell or GRUCell: with and without a state, batch size 1, unbatched, no bias."""
    I, H, N = (2, 3, 2) if small else (3, 4, 5)

    def domain(rng, dtype):
        def case(name, shape, with_state=False, **kwargs):
            kwargs = {"input_size": I, "hidden_size": H, **kwargs}
            args = [rng.standard_normal(shape).astype(dtype)]
            if with_state:
                state_shape = shape[:-1] + (H,)
                h = (0.5 * rng.standard_normal(state_shape)).astype(dtype)
                args.append((h, rng.standard_normal(state_shape).astype(dtype)) if cls == "LSTMCell" else h)
            return {"name": name + (", state passed in" if with_state else ""), "args": args,
                    "kwargs": {**kwargs, "dtype": np.dtype(dtype)}, "call_kwargs": {},
                    "state": recurrent_state(rng, cls, kwargs, dtype)}

        if small:
            cases = [case(f"(N, H_in) = {(N, I)}", (N, I), True)]
            return cases + ([case("nonlinearity=relu", (N, I), True, nonlinearity="relu")] if cls == "RNNCell" else [])
        cases = [case(f"(N, H_in) = {(N, I)}", (N, I)),
                 case(f"(N, H_in) = {(N, I)}", (N, I), True),
                 case("batch size 1", (1, I), True),
                 case("unbatched (H_in,)", (I,)),
                 case("unbatched (H_in,)", (I,), True),
                 case("bias=False", (N, I), True, bias=False)]
        if cls == "RNNCell":
            cases.append(case("nonlinearity=relu", (N, I), True, nonlinearity="relu"))
        return cases
    return domain


def attention_state(rng, E, kdim, vdim, bias, dtype):
    """A random state_dict of ``MultiheadAttention``: weights at torch's scale, biases non-zero (so a
    row that attends to nothing, whose output is ``out_proj.bias``, is told from one that outputs 0)."""
    state = {}
    if kdim == E and vdim == E:
        state["in_proj_weight"] = _uniform(rng, (3 * E, E), math.sqrt(6 / (4 * E)), dtype)
    else:
        state["q_proj_weight"] = _uniform(rng, (E, E), math.sqrt(3 / E), dtype)
        state["k_proj_weight"] = _uniform(rng, (E, kdim), math.sqrt(6 / (E + kdim)), dtype)
        state["v_proj_weight"] = _uniform(rng, (E, vdim), math.sqrt(6 / (E + vdim)), dtype)
    if bias:
        state["in_proj_bias"] = _uniform(rng, (3 * E,), 0.5, dtype)
    state["out_proj.weight"] = _uniform(rng, (E, E), 1 / math.sqrt(E), dtype)
    if bias:
        state["out_proj.bias"] = _uniform(rng, (E,), 0.5, dtype)
    return state


def attention_domain(small=False):
    """Self- and cross-attention; causal masks (bool, float, and the ``is_causal`` hint), a key padding
    mask, a 3-D mask, a fully masked row (NaN with weights, ``out_proj.bias`` without), weights per
    head, ``need_weights=False``, ``kdim``/``vdim``, batch_first, unbatched, no bias, one head."""
    E, h, L, S, N = (4, 2, 3, 3, 2) if small else (8, 2, 5, 6, 3)

    def domain(rng, dtype):
        def case(name, L=L, S=S, N=N, unbatched=False, same=False, call_kwargs=None, **kwargs):
            kwargs = {"embed_dim": E, "num_heads": h, **kwargs}
            kdim, vdim = kwargs.get("kdim") or E, kwargs.get("vdim") or E
            lead = (lambda n: (n,)) if unbatched else (
                (lambda n: (N, n)) if kwargs.get("batch_first") else (lambda n: (n, N)))
            query = rng.standard_normal(lead(L) + (E,)).astype(dtype)
            if same:
                args = [query, query, query]
            else:
                args = [query, rng.standard_normal(lead(S) + (kdim,)).astype(dtype),
                        rng.standard_normal(lead(S) + (vdim,)).astype(dtype)]
            return {"name": name, "args": args, "kwargs": {**kwargs, "dtype": np.dtype(dtype)},
                    "call_kwargs": dict(call_kwargs or {}),
                    "state": attention_state(rng, E, kdim, vdim, kwargs.get("bias", True), dtype)}

        causal = np.triu(np.ones((L, L), dtype=bool), k=1)
        causal_float = np.where(causal, -np.inf, 0.0).astype(dtype)
        if small:
            return [case("self-attention, causal float mask", S=L, same=True,
                         call_kwargs={"attn_mask": causal_float}),
                    case("cross-attention, weights per head", call_kwargs={"average_attn_weights": False}),
                    case("kdim=3, vdim=5, key_padding_mask", kdim=3, vdim=5,
                         call_kwargs={"key_padding_mask": np.array([[False, True, False], [True, False, False]])})]
        padding = np.zeros((N, S), dtype=bool)
        padding[0, -2:] = True
        padding[1, 0] = True
        row_masked = np.zeros((L, S), dtype=bool)
        row_masked[1] = True
        row_masked[3, ::2] = True
        batch_masked = padding.copy()
        batch_masked[2] = True
        return [case("self-attention (L, N, E)", S=L, same=True),
                case("cross-attention, S != L"),
                case("causal bool mask", S=L, same=True, call_kwargs={"attn_mask": causal}),
                case("causal float mask", S=L, same=True, call_kwargs={"attn_mask": causal_float}),
                case("causal, is_causal=True, need_weights=False", S=L, same=True,
                     call_kwargs={"attn_mask": causal, "is_causal": True, "need_weights": False}),
                case("causal, is_causal=True, need_weights=True", S=L, same=True,
                     call_kwargs={"attn_mask": causal, "is_causal": True}),
                case("key_padding_mask (N, S)", call_kwargs={"key_padding_mask": padding}),
                case("float key_padding_mask and float attn_mask", call_kwargs={
                    "key_padding_mask": np.where(padding, -1e9, 0.0).astype(dtype),
                    "attn_mask": rng.standard_normal((L, S)).astype(dtype)}),
                case("3-D attn_mask (N*num_heads, L, S)",
                     call_kwargs={"attn_mask": rng.standard_normal((N * h, L, S)).astype(dtype)}),
                case("a fully masked row, need_weights=True (NaN, as torch)",
                     call_kwargs={"attn_mask": row_masked}),
                case("a fully masked row, need_weights=False (out_proj.bias, as torch)",
                     call_kwargs={"attn_mask": row_masked, "need_weights": False}),
                case("a fully padded batch element, need_weights=False",
                     call_kwargs={"key_padding_mask": batch_masked, "need_weights": False}),
                case("need_weights=False", call_kwargs={"need_weights": False}),
                case("average_attn_weights=False", call_kwargs={"average_attn_weights": False}),
                case("kdim=5, vdim=3", kdim=5, vdim=3),
                case("batch_first (N, L, E)", batch_first=True, call_kwargs={"key_padding_mask": padding}),
                case("unbatched (L, E)", unbatched=True,
                     call_kwargs={"key_padding_mask": padding[0], "average_attn_weights": False}),
                case("bias=False", bias=False),
                case("num_heads=1", num_heads=1),
                case("batch size 1, sequence length 1", L=1, S=1, N=1)]
    return domain


_STRUCTURED = {"nested": True, "grad_inputs": "all"}

ENTRIES = (
    [Entry(cls, "layer", cls, ByKind(cell_domain(cls), gradcheck=cell_domain(cls, small=True)), kinds=KINDS,
           **_STRUCTURED) for cls in ("RNNCell", "LSTMCell", "GRUCell")]
    + [Entry(cls, "layer", cls, ByKind(sequence_domain(cls), gradcheck=sequence_domain(cls, small=True)),
             kinds=KINDS, **_STRUCTURED) for cls in ("RNN", "LSTM", "GRU")]
    + [Entry("MultiheadAttention", "layer", "MultiheadAttention",
             ByKind(attention_domain(), gradcheck=attention_domain(small=True)), kinds=KINDS, **_STRUCTURED)]
)
