"""Docstring fragments shared across scratch, written once (as torch's ``_params_doc``)."""

REDUCTION = """reduction ({'mean', 'sum', 'none'}): 'none' returns the per-element losses ``l_n``;
        'sum' returns ``sum_n l_n``; 'mean' returns ``sum_n l_n`` divided by the number of elements
        (by the sum of the weights for a weighted class loss). Default: 'mean'."""

WEIGHT = """weight (ndarray, optional): a rescaling weight, cast to the input's dtype. Default: None."""

BACKWARD = """``backward(grad_output=1.0)`` returns the gradient with respect to ``input`` (the first argument);
    ``grad_output`` is a scalar for 'mean' and 'sum' and an array of the loss's shape for 'none'."""


def fill(doc):
    """Substitute the fragments into ``doc`` (``{reduction}``, ``{weight}``, ``{backward}``)."""
    return doc.format(reduction=REDUCTION, weight=WEIGHT, backward=BACKWARD)
