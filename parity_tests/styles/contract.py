"""The contract style: classes named after torch (``Linear``, ``ReLU``, ``Adam``, ...), as CONTRACT.md
defines them. The adapter is the identity: the submission's own classes are the contract objects.

Runs inside the untrusted child beside the submission: NumPy and the standard library only.
"""
NAME = "contract"
SUMMARY = "classes named after torch.nn / torch.optim (Linear, ReLU, CrossEntropyLoss, Adam, ...)"


def _contract_names():
    from ..registry import REGISTRY  # NumPy only at import time

    names = {e.cls for e in REGISTRY} | {"Parameter", "Sequential", "Conv2d", "MaxPool2d", "BatchNorm2d",
                                        "GroupNorm", "Embedding", "RNNCell", "RNN", "LSTMCell", "LSTM",
                                        "MultiMarginLoss"}
    return sorted(names)


NAMES = tuple(_contract_names())
CONVENTIONS = {}


def _present(ns):
    # "init" is the contract's module of init functions; every other name must be a class
    return [n for n in NAMES if (isinstance(getattr(ns, n, None), type)
                                 or (n == "init" and getattr(ns, n, None) is not None))]


def detect(ns):
    found = [n for n in _present(ns) if n not in ("Parameter", "Sequential")]
    if not found:
        return 0, "no class named after torch (Linear, ReLU, ...)"
    return len(found), f"defines {len(found)} classes named after torch: {', '.join(found[:6])}" + \
        (", ..." if len(found) > 6 else "")


def adapt(ns):
    return {n: getattr(ns, n) for n in _present(ns)}


def sources(adapted):
    return {n: [n] for n in adapted}
