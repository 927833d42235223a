"""How the implementation's side calls a submission: NumPy and the standard library only.

This runs inside the child process beside untrusted code. It builds the submission's objects from a
spec and a case, calls them, checks that inputs were not written into, and never sees torch.
"""
import numpy as np


class Missing(Exception):
    """The implementation does not define (or does not implement) a name the check needs."""


class ContractViolation(Exception):
    """The implementation broke a rule of the contract the outputs alone cannot show; a failed check."""


class ModifiedInput(ContractViolation):
    """The implementation wrote into an array it was given."""


def lookup(impl, name):
    """``impl.<name>`` from the namespace itself: a module-level ``__getattr__`` answers nothing."""
    try:
        value = vars(impl).get(name)
    except TypeError:
        value = getattr(impl, name, None)
    if value is None:
        raise Missing(f"{name} is not defined")
    return value


def build(impl, spec, kwargs):
    """Construct ``spec['cls']`` from ``impl`` (the tutorials' functions come as classes from their style,
    ``parity_tests.styles.functional``)."""
    return lookup(impl, spec["cls"])(**kwargs)


def copy(value):
    """A deep copy of an array or of a (nested) tuple or list of them."""
    if isinstance(value, (list, tuple)):
        return type(value)(copy(v) for v in value)
    return value if value is None else np.array(value, copy=True)


def unchanged(given, original, what):
    """Raise ModifiedInput when any array in ``given`` differs from its ``original``."""
    if isinstance(original, (list, tuple)):
        for a, b in zip(given, original):
            unchanged(a, b, what)
        return
    if original is None or not isinstance(original, np.ndarray):
        return
    if np.shape(given) != original.shape or not np.array_equal(given, original, equal_nan=True):
        raise ModifiedInput(f"{what} modified its input array in place")


def flat(prefix, value):
    """An output as named items: ``{prefix: array}``, or ``{prefix.0: ..., prefix.1.0: ...}`` for a
    (nested) tuple such as an LSTM's ``(output, (h_n, c_n))``."""
    if isinstance(value, (list, tuple)):
        items = {}
        for i, v in enumerate(value):
            items.update(flat(f"{prefix}.{i}", v))
        return items
    return {} if value is None else {prefix: value}


def make(impl, spec, case):
    """A new module for ``case``: its kwargs (and ``rng=default_rng(case['seed'])`` if it has a seed),
    its ``state`` loaded, in eval mode when ``case['train']`` is False."""
    kwargs = {**spec.get("kwargs", {}), **case.get("kwargs", {})}
    if "seed" in case:
        kwargs["rng"] = np.random.default_rng(case["seed"])
    module = build(impl, spec, kwargs)
    if "state" in case:
        module.load_state_dict({k: np.array(v, copy=True) for k, v in case["state"].items()})
    if not case.get("train", True):
        module.eval()
    return module


def drawn(module, name):
    """The random draw ``module.<name>`` (Dropout's ``mask``) that torch's side replays."""
    value = getattr(module, name, None)
    if value is None:
        raise Missing(f"{type(module).__name__}.{name} is not defined: torch's side needs it to replay the draw")
    return np.array(value, copy=True)


def parameters(module):
    """``module.named_parameters()`` as a list; none when the module does not define it, as a loss or an
    activation need not (a layer that leaves it out fails its ``param_grad`` check instead)."""
    named = getattr(module, "named_parameters", None)
    return [] if named is None else list(named())


def forward(module, case):
    """``module(*args, **call_kwargs)`` on copies of the case's inputs, which must come back unchanged."""
    args = copy(case["args"])
    y = module(*args, **case.get("call_kwargs", {}))
    unchanged(args, case["args"], "forward")
    return y


def backward(module, case):
    grad_y = copy(case["grad_y"])
    grad_x = module.backward(grad_y)
    unchanged(grad_y, case["grad_y"], "backward")
    return grad_x
