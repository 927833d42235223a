"""A lookup table of learned vectors after ``torch.nn.Embedding``."""
import numbers

import numpy as np

from . import init
from .module import Module, Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    r"""A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by index (``torch.nn.Embedding``).

    .. math:: y[\ldots, :] = W[\text{input}[\ldots], :]

    ``weight`` ``(num_embeddings, embedding_dim)`` is initialised ``N(0, 1)``, as torch's, with the row
    ``padding_idx`` zeroed. Indices must be integers in ``[0, num_embeddings)``; others are an IndexError.

    Derivative: ``grad_W[i] += sum of grad_y[...] over every position where input == i``: an index that
    occurs several times collects every occurrence's gradient (``np.add.at``, not an assignment, which
    would keep one); the row ``padding_idx`` gets no gradient. The indices are not differentiable:
    ``backward`` returns None (``input_grad``, as :class:`Linear`'s, changes nothing).

    Args: ``num_embeddings``; ``embedding_dim``; ``padding_idx`` int in ``[-num_embeddings,
    num_embeddings)``, a negative one counted from the end (stored as the non-negative index, as torch
    does) Default: None; ``max_norm`` not supported (must be None); ``dtype`` Default: float64;
    ``rng`` a ``numpy.random.Generator`` Default: ``np.random.default_rng()``.

    Shape: input ``(*)`` of an integer dtype, output ``(*, embedding_dim)``.

    Examples
    --------
    >>> emb = Embedding(10, 3, padding_idx=0, rng=np.random.default_rng(0))
    >>> emb(np.array([[0, 2], [4, 0]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, dtype=np.float64, rng=None):
        super().__init__()
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Embedding: {name} must be a non-negative int, got {value!r}")
        if max_norm is not None:
            raise ValueError(f"Embedding: max_norm is not supported (it renormalises the weight in place "
                             f"during forward); use max_norm=None, got {max_norm!r}")
        if padding_idx is not None:
            if not isinstance(padding_idx, numbers.Integral) or isinstance(padding_idx, bool):
                raise ValueError(f"Embedding: padding_idx must be an int or None, got {padding_idx!r}")
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: Padding_idx must be within num_embeddings: expected "
                                 f"{-num_embeddings} <= padding_idx < {num_embeddings}, got {padding_idx}")
            padding_idx = int(padding_idx) % num_embeddings
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx, self.max_norm = padding_idx, max_norm
        rng = np.random.default_rng() if rng is None else rng
        self.weight = init.normal_(Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype)), rng=rng)
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0

    def forward(self, input):
        idx = np.asarray(input)
        if idx.dtype.kind not in "iu":
            raise ValueError(f"Embedding: input must hold indices of an integer dtype, got {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            bad = idx[(idx < 0) | (idx >= self.num_embeddings)].flat[0]
            raise IndexError(f"Embedding: index {bad} is out of range; expected 0 <= index < "
                             f"num_embeddings={self.num_embeddings}")
        self.idx = idx
        return self.weight.data[idx]

    def backward(self, grad_y, input_grad=True):
        grad_w = np.zeros(self.weight.shape, dtype=self.weight.dtype)
        np.add.at(grad_w, self.idx.ravel(), np.asarray(grad_y).reshape(-1, self.embedding_dim))
        if self.padding_idx is not None:
            grad_w[self.padding_idx] = 0
        self.weight.accumulate(grad_w)
        return None

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s if self.padding_idx is None else s + f", padding_idx={self.padding_idx}"
