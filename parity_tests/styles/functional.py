"""The tutorials' functional style: ``relu(z)`` and ``relu_derivative(z)`` (the derivative with respect to
the pre-activation), ``softmax(z)`` over the last axis, each with torch's default parameters.

Runs inside the untrusted child beside the submission: NumPy and the standard library only.

The tutorials do not say what the derivative is at a kink (relu'(0), leaky_relu'(0)): a difference from
torch exactly there is a note, not a failure (``UNDEFINED``).
"""
import numpy as np

from ._base import Unsupported

NAME = "functional"
SUMMARY = "the tutorials' functions: relu(z), relu_derivative(z), sigmoid, tanh, softmax, ..."

FUNCTIONS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu", "GELU": "gelu", "Sigmoid": "sigmoid",
             "Tanh": "tanh", "Softplus": "softplus", "Softmax": "softmax"}
"""Contract name -> the tutorials' function name (CONTRACT.md, 'The functional style of tutorials')."""

NAMES = tuple(FUNCTIONS.values()) + tuple(f + "_derivative" for f in FUNCTIONS.values() if f != "softmax")
SHARED = ("sigmoid",)
"""Names another style also defines (CS231n's rnn_layers.py has a sigmoid helper): they count towards
this style only beside their ``_derivative``."""

CONVENTIONS = {name: f"{fn}(z) and {fn}_derivative(z), torch's default parameters only"
               for name, fn in FUNCTIONS.items() if fn != "softmax"}
CONVENTIONS["Softmax"] = "softmax(z) over the last axis, forward only"


def _kink(case):
    return {"grad_x": np.asarray(case["args"][0]) == 0}


UNDEFINED = {("ReLU", "backward"): (_kink, "where z = 0: the tutorials leave relu'(0) undefined (torch: 0)"),
             ("LeakyReLU", "backward"): (_kink, "where z = 0: the tutorials leave leaky_relu'(0) undefined "
                                                "(torch: negative_slope)")}


def _have(ns, name):
    return callable(getattr(ns, name, None))


def detect(ns):
    """Counts the pairs ``f``/``f_derivative`` (and ``softmax``, which has no derivative in the contract): a
    bare ``relu`` or ``sigmoid`` is too common a name to say which course a file follows (deeplearning.ai's
    ``relu(Z)`` returns ``(A, cache)``)."""
    found = []
    for fn in FUNCTIONS.values():
        pair = _have(ns, fn + "_derivative")
        if _have(ns, fn) and (pair or fn == "softmax"):
            found.append(fn)
        if pair:
            found.append(fn + "_derivative")
    if not found:
        return 0, "no tutorial function (relu, relu_derivative, sigmoid, softmax, ...)"
    return len(found), f"defines the tutorials' functions {', '.join(found[:6])}" + (", ..." if len(found) > 6 else "")


class _Activation:
    """A contract activation on ``f(z)`` and ``f_derivative(z)``: forward caches z, backward is
    ``grad_y * f_derivative(z)``."""

    f = df = None
    name = ""
    source = []

    def __init__(self, **kwargs):
        if kwargs:
            raise Unsupported(f"{self.name}(z) has torch's default parameters only; got {kwargs}")
        self.training = True

    def __call__(self, z):
        self.z = z
        return type(self).f(z)

    forward = __call__

    def backward(self, grad_y):
        if type(self).df is None:
            raise Unsupported(f"{self.name}_derivative is not defined")
        return grad_y * type(self).df(self.z)

    def named_parameters(self):
        return []

    def train(self, mode=True):
        self.training = mode
        return self

    def eval(self):
        return self.train(False)


def adapt(ns):
    out = {}
    for cls, fn in FUNCTIONS.items():
        if not _have(ns, fn) or (fn in SHARED and not _have(ns, fn + "_derivative")):
            continue
        df = getattr(ns, fn + "_derivative", None) if _have(ns, fn + "_derivative") else None
        out[cls] = type(cls, (_Activation,), {"f": staticmethod(getattr(ns, fn)),
                                              "df": staticmethod(df) if df else None, "name": fn,
                                              "source": [fn] + ([fn + "_derivative"] if df else [])})
    return out
