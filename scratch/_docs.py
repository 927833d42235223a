"""Docstring fragments written once and shared, as torch's ``_params_doc``.

A fragment is a module-level string whose name is upper case; ``fill(doc)`` replaces ``{name}`` (the
name in lower case) by it, leaving every other brace alone, so formulas need no escaping. Argument
fragments are indented for an ``Args:`` block at four spaces: the first line goes after eight spaces,
continuation lines carry twelve. To add a fragment, define it here; ``fill`` finds it.
"""

REDUCTION = """reduction ({'mean', 'sum', 'none'}): 'none' returns the losses ``l_n`` unreduced;
            'sum' returns ``sum_n l_n``; 'mean' divides that sum by the number of losses or, for
            class-index targets, by the summed weights of the targets not ignored. Default: 'mean'."""

WEIGHT = """weight (ndarray, optional): a manual rescaling weight: one per class, shape ``(C,)``, for a
            class loss; broadcast to the input's shape otherwise. Cast to the input's dtype at each
            call, so a float64 weight keeps a float32 loss float32. Default: None."""

IGNORE_INDEX = """ignore_index (int): a class-index target value that is skipped: it adds nothing to the
            loss nor to the 'mean' denominator, and its gradient is 0. Default: -100."""

BACKWARD = """``backward(grad_output=1.0)`` returns the gradient with respect to ``input``, the first
    argument; ``grad_output`` is a scalar for 'mean' and 'sum', an array of the loss's shape for 'none'."""

POINTWISE_SHAPE = """Shape: input ``(*)``, any shape; target the same shape; output a 0-d array, or ``(*)`` for
    'none'."""


def fill(doc):
    """``doc`` with each ``{name}`` replaced by the fragment ``NAME`` of this module."""
    for name, text in globals().items():
        if name.isupper() and isinstance(text, str):
            doc = doc.replace("{" + name.lower() + "}", text)
    return doc
