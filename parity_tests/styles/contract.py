"""The contract style: classes named after torch (``Linear``, ``ReLU``, ``Adam``, ...), as docs/CONTRACT.md
defines them. The submission's own classes are the contract objects; an activation written only as the
tutorials' functions comes from the functional style.

Runs inside the untrusted child beside the submission: NumPy and the standard library only.
"""
from . import functional

NAME = "contract"
SUMMARY = "classes named after torch.nn / torch.optim (Linear, ReLU, CrossEntropyLoss, Adam, ...)"


NAMES = ()
"""The contract's names: given by the judge in the child (``use``), read from the registry elsewhere."""
CONVENTIONS = {}


def use(names):
    """Take the contract's names from the judge (the child cannot read the registry)."""
    global NAMES
    NAMES = tuple(sorted({*names, "Parameter", "Sequential"}))


def names():
    if not NAMES:
        from ..registry import REGISTRY  # judge side only: the child is given the names
        use(e.cls for e in REGISTRY)
    return NAMES


def _present(ns):
    # classes, and the contract's functions and namespaces (clip_grad_norm_, fit, init)
    return [n for n in names() if getattr(ns, n, None) is not None]


def detect(ns):
    found = [n for n in _present(ns) if n not in ("Parameter", "Sequential")]
    if not found:
        return 0, "no class named after torch (Linear, ReLU, ...)"
    return len(found), f"defines {len(found)} classes named after torch: {', '.join(found[:6])}" + \
        (", ..." if len(found) > 6 else "")


def adapt(ns):
    """The submission's own classes; an activation it writes only as the tutorials' ``f(z)`` and
    ``f_derivative(z)`` comes from the functional style (a class of the same name takes precedence)."""
    return {**functional.adapt(ns), **{n: getattr(ns, n) for n in _present(ns)}}


def sources(adapted):
    return {n: [n] for n in adapted}
