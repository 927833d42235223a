"""Softmax cross-entropy on logits far apart: ``exp`` of a logit far below its row's largest underflows to 0,
silently, as in torch, whatever ``np.seterr`` says; the values and gradients are those of NumPy's default
error mode and agree with torch's."""
import numpy as np
import pytest
import torch

import scratch

CASES = {
    "class indices": ({}, lambda rng, c: np.array([0, 1, 2, 0])),
    "label smoothing": ({"label_smoothing": 0.1}, lambda rng, c: np.array([0, 1, 2, 0])),
    "probabilities": ({}, lambda rng, c: rng.dirichlet(np.ones(c), size=4)),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_under_all_raise(case, dtype):
    kwargs, target = CASES[case]
    rng = np.random.default_rng(0)
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [0.0, 0.0, -1000.0],
                  [1000.0, 1000.0, -1000.0]], dtype=dtype)
    t = target(rng, 3)
    t = t.astype(dtype) if t.dtype.kind == "f" else t
    loss = scratch.CrossEntropyLoss(**kwargs)
    value, grad = loss(x, t), loss.backward()
    with np.errstate(all="raise"):
        raised_value, raised_grad = loss(x, t), loss.backward()
    np.testing.assert_array_equal(raised_value, value)
    np.testing.assert_array_equal(raised_grad, grad)

    tx = torch.from_numpy(x).requires_grad_()
    twin = torch.nn.CrossEntropyLoss(**kwargs)(tx, torch.from_numpy(t))
    twin.backward()
    np.testing.assert_allclose(value, twin.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=1e-6, atol=1e-7)
