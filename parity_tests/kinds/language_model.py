"""``model`` of a recurrent language model: Embedding, LSTM (batch first) and Linear trained in lockstep
with the torch twin on next-character prediction, the loss and every parameter after each step.

A case holds ``tokens`` ``(N, L + 1)`` (inputs are the first ``L``, targets the last ``L``), the sizes
``vocab``, ``embed``, ``hidden``, starting weights ``state`` keyed ``0.`` (Embedding), ``1.`` (LSTM),
``2.`` (Linear), the ``batches`` (row indices per step) and SGD's arguments ``optimizer``.
"""
import numpy as np

from ._base import Kind
from ._calls import lookup
from .training import _LONG


def _split(state, i):
    return {k.split(".", 1)[1]: np.array(v, copy=True) for k, v in state.items() if k.startswith(f"{i}.")}


def implementation(impl, spec, case):
    dtype = case["dtype"]
    emb = lookup(impl, "Embedding")(case["vocab"], case["embed"], dtype=dtype)
    lstm = lookup(impl, "LSTM")(case["embed"], case["hidden"], batch_first=True, dtype=dtype)
    head = lookup(impl, "Linear")(case["hidden"], case["vocab"], dtype=dtype)
    modules = (emb, lstm, head)
    for i, m in enumerate(modules):
        m.load_state_dict(_split(case["state"], i))
    params = [p for m in modules for p in m.parameters()]
    optimizer = lookup(impl, "SGD")(params, **case["optimizer"])
    loss_fn = lookup(impl, "CrossEntropyLoss")()
    losses, trace = [], []
    for rows in case["batches"]:
        x, t = case["tokens"][rows, :-1], case["tokens"][rows, 1:]
        optimizer.zero_grad()
        out, _ = lstm(emb(x))
        logits = head(out)
        loss = loss_fn(logits.reshape(-1, case["vocab"]), t.reshape(-1))
        grad = head.backward(loss_fn.backward().reshape(logits.shape))
        emb.backward(lstm.backward((grad, None)))
        optimizer.step()
        losses.append(np.asarray(loss))
        trace.append(np.concatenate([p.data.ravel() for p in params]))
    return {"loss": np.stack(losses), "params": np.stack(trace)}


def before(spec, case, dtype, rng):
    import torch

    import reference
    emb = reference.torch_module("Embedding", {"num_embeddings": case["vocab"], "embedding_dim": case["embed"]}, dtype)
    lstm = reference.torch_module("LSTM", {"input_size": case["embed"], "hidden_size": case["hidden"],
                                           "batch_first": True}, dtype)
    head = reference.torch_module("Linear", {"in_features": case["hidden"], "out_features": case["vocab"]}, dtype)
    modules = (emb, lstm, head)
    for i, m in enumerate(modules):
        reference.load_into_torch(m, _split(case["state"], i))
    params = [p for m in modules for p in m.parameters()]
    optimizer = torch.optim.SGD(params, **case["optimizer"])
    loss_fn = torch.nn.CrossEntropyLoss()
    tokens = torch.from_numpy(case["tokens"])
    losses, trace = [], []
    for rows in case["batches"]:
        x, t = tokens[rows, :-1], tokens[rows, 1:]
        optimizer.zero_grad()
        out, _ = lstm(emb(x))
        logits = head(out)
        loss = loss_fn(logits.reshape(-1, case["vocab"]), t.reshape(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.detach().numpy())
        trace.append(torch.cat([p.detach().reshape(-1) for p in params]).numpy())
    return {"loss": np.stack(losses), "params": np.stack(trace)}


LANGUAGE_MODEL = Kind("language_model", "model", implementation, before, tol=_LONG)
