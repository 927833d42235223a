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

OPTIMIZER_ARGS = {
    "params": """params (iterable): an iterable of :class:`Parameter` s, of ``(name, Parameter)``
            pairs (``named_parameters()``), or of dicts defining parameter groups, each with a
            ``params`` entry and any option that overrides the defaults for that group.""",
    "lr": "lr (float, optional): learning rate. Default: {default}.",
    "weight_decay": "weight_decay (float, optional): weight decay (L2 penalty). Default: {default}.",
    "eps": """eps (float, optional): term added to the denominator to improve numerical
            stability. Default: {default}.""",
    "betas": """betas (tuple[float, float], optional): coefficients for the running averages of
            the gradient and of its square. Default: {default}.""",
    "maximize": """maximize (bool, optional): maximize the objective with respect to the params,
            instead of minimizing. Default: False.""",
    "decoupled_weight_decay": """decoupled_weight_decay (bool, optional): apply weight decay to the
            parameter directly (as AdamW does) instead of adding it to the gradient. Default: False.""",
    "amsgrad": """amsgrad (bool, optional): use the AMSGrad variant, which divides by the running
            maximum of the second moment estimate. Default: False.""",
}
"""The optimizers' shared arguments, by name; ``{default}`` is filled from each class's signature."""


def fill(doc, defaults=None):
    """``doc`` with each ``{name}`` replaced by the fragment ``NAME`` of this module, and each argument
    slot of ``OPTIMIZER_ARGS`` by its text with the default taken from ``defaults``."""
    for name, text in globals().items():
        if name.isupper() and isinstance(text, str):
            doc = doc.replace("{" + name.lower() + "}", text)
    for name, text in OPTIMIZER_ARGS.items():
        doc = doc.replace("{" + name + "}", text.replace("{default}", repr((defaults or {}).get(name))))
    return doc


def document(cls, doc):
    """Set ``cls.__doc__`` to ``fill(doc)``, each default read from ``cls``'s own signature, so it is
    written once."""
    import inspect
    defaults = {k: p.default for k, p in inspect.signature(cls).parameters.items() if p.default is not p.empty}
    cls.__doc__ = fill(doc, defaults)
