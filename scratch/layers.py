"""Layers with parameters or state: Linear (more follow), after ``torch.nn``."""
import numpy as np

from .module import Module, Parameter

__all__ = ["Linear"]


class Linear(Module):
    r"""Affine map ``y = x W^T + b`` (``torch.nn.Linear``).

    ``weight`` is ``(out_features, in_features)`` and ``bias`` is ``(out_features,)``, torch's
    layout, so weights cross between the twins by plain copy.
    Both are drawn uniform in ``±1/sqrt(in_features)``, the bound torch's default
    ``kaiming_uniform_(a=sqrt(5))`` works out to. NumPy's default dtype is float64; torch's is float32.

    Backward: ``grad_x = grad_y W``, ``grad_W += grad_y^T x``, ``grad_b += sum_n grad_y``.

    Shape: input ``(*, in_features)``, output ``(*, out_features)``.

    Examples
    --------
    >>> layer = Linear(3, 2, rng=np.random.default_rng(0))
    >>> layer(np.ones((4, 3))).shape
    (4, 2)
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float64, rng=None):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {value!r}")
        rng = np.random.default_rng() if rng is None else rng
        self.in_features, self.out_features = int(in_features), int(out_features)
        bound = 1.0 / np.sqrt(in_features) if in_features > 0 else 0.0
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)).astype(dtype))
        self.bias = Parameter(rng.uniform(-bound, bound, out_features).astype(dtype)) if bias else None

    def forward(self, x):
        self.x = x
        y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data
        return y

    def backward(self, grad_y):
        x2 = self.x.reshape(-1, self.in_features)
        g2 = grad_y.reshape(-1, self.out_features)
        self.weight.accumulate(g2.T @ x2)
        if self.bias is not None:
            self.bias.accumulate(g2.sum(axis=0))
        return grad_y @ self.weight.data

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
