"""Deliberately wrong implementations, one classic mistake each, that the checks must catch.

Each is a subclass of the scratch class with one method broken. ``WRONG`` maps a name to
``(contract name, wrong class, the check that must fail)``; ``swap(name, cls)`` gives a namespace that
is scratch with one class replaced.
"""
import types

import numpy as np

import scratch


def swap(name, cls):
    """scratch, with ``name`` replaced by ``cls``."""
    return types.SimpleNamespace(**{**{n: getattr(scratch, n) for n in dir(scratch)}, name: cls})


class ReLUGradOneAtZero(scratch.ReLU):
    """ReLU'(0) = 1 (``x >= 0``), where torch takes 0."""

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, grad_y):
        return grad_y * (self.x >= 0)


class ReLUInPlace(scratch.ReLU):
    """Clips its input array in place."""

    def forward(self, x):
        self.x = x
        x[x < 0] = 0
        return x


class SigmoidUpcast(scratch.Sigmoid):
    """float32 in, float64 out: a float64 constant in the formula."""

    def forward(self, x):
        return super().forward(x) * np.float64(1.0)


class SoftmaxNoShift(scratch.Softmax):
    """exp without subtracting the max: overflow to inf/nan for large logits."""

    def forward(self, x):
        e = np.exp(x)
        self.y = e / e.sum(axis=self.dim, keepdims=True)
        return self.y


class SoftmaxDiagonalJacobian(scratch.Softmax):
    """Backward with only the Jacobian's diagonal, ``g * y * (1 - y)``: hidden by a ``.sum()`` upstream."""

    def backward(self, grad_y):
        return grad_y * self.y * (1 - self.y)


class MSENotAveraged(scratch.MSELoss):
    """'mean' gradient not divided by the number of elements: N times torch's."""

    def backward(self, grad_output=1.0):
        g = super().backward(grad_output)
        return g * g.dtype.type(g.size) if self.reduction == "mean" else g


class LinearTransposedGrad(scratch.Linear):
    """Weight gradient as x^T g, the transpose of torch's layout."""

    def backward(self, grad_y):
        x2 = self.x.reshape(-1, self.in_features)
        g2 = grad_y.reshape(-1, self.out_features)
        self.weight.accumulate((x2.T @ g2).reshape(self.weight.data.shape))
        if self.bias is not None:
            self.bias.accumulate(g2.sum(axis=0))
        return grad_y @ self.weight.data


class LinearBiasMean(scratch.Linear):
    """Bias gradient averaged over the batch instead of summed."""

    def backward(self, grad_y):
        grad_x = super().backward(grad_y)
        if self.bias is not None:
            g2 = grad_y.reshape(-1, self.out_features)
            self.bias.grad -= g2.sum(axis=0) - g2.mean(axis=0)
        return grad_x


class SGDAveragedMomentum(scratch.SGD):
    """The tutorials' momentum v = beta v + (1 - beta) g, where torch has v = beta v + g."""

    def step(self):
        for group in self.param_groups:
            beta, lr = group["momentum"], group["lr"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                v = self.state.setdefault(p, {}).get("v")
                v = (1 - beta) * p.grad if v is None else beta * v + (1 - beta) * p.grad
                self.state[p]["v"] = v
                p.data -= lr * v


WRONG = {
    "ReLU'(0) = 1": ("ReLU", ReLUGradOneAtZero, "ReLU-backward"),
    "ReLU writes into its input": ("ReLU", ReLUInPlace, "ReLU-forward"),
    "Sigmoid upcasts float32": ("Sigmoid", SigmoidUpcast, "Sigmoid-forward-float32"),
    "Softmax without max-subtraction": ("Softmax", SoftmaxNoShift, "Softmax-forward"),
    "Softmax backward with the diagonal only": ("Softmax", SoftmaxDiagonalJacobian, "Softmax-backward"),
    "MSELoss gradient not averaged": ("MSELoss", MSENotAveraged, "MSELoss-backward"),
    "Linear weight gradient transposed": ("Linear", LinearTransposedGrad, "Linear-param_grad"),
    "Linear bias gradient averaged": ("Linear", LinearBiasMean, "Linear-param_grad"),
    "SGD momentum in the averaged form": ("SGD", SGDAveragedMomentum, "MLP-SGD-model"),
}
