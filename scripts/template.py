"""The starter template for students, written from the registry and scratch's own signatures.

Every contract name the registry checks becomes a stub with scratch's signature (torch's, by the
contract) and the first line of scratch's docstring; its body raises NotImplementedError, which
``twinnet verify`` reports as "not implemented". Nothing here lists components: a new registry entry
appears in the template by itself.
"""
import inspect
import textwrap

HEADER = '''"""Starter template: a NumPy neural network to the twinnet contract (docs/CONTRACT.md), to be filled in.

Every name below raises NotImplementedError until you write it; ``twinnet verify`` reports those as
"not implemented" and checks the rest against torch, component by component:

    twinnet verify my_network.py

Conventions: arrays are batch first, ``x`` is ``(N, features)``; float32 in gives float32 out and
float32 gradients (no Python-float or float64 constants that upcast); inputs are never modified in
place; ``backward`` adds parameter gradients into ``Parameter.grad`` (they accumulate, as in torch)
and returns the gradient with respect to the input of the last ``forward``. Use NumPy only.

{functional}
"""
import numpy as np

'''

BASES = '''

class Module:
    """Base class. ``forward(x) -> y`` caches what ``backward(grad_y) -> grad_x`` needs; ``__call__`` is forward."""

    training = True

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args):
        raise NotImplementedError("forward")

    def backward(self, grad_y):
        raise NotImplementedError("backward")

    def named_parameters(self):
        """``[(name, Parameter)]`` named as torch's: ``weight``, ``bias``; in Sequential ``0.weight``, ``2.bias``."""
        raise NotImplementedError("named_parameters")

    def parameters(self):
        """The Parameters of ``named_parameters``, in the same order."""
        raise NotImplementedError("parameters")

    def zero_grad(self):
        """Set every parameter's ``.grad`` to None."""
        raise NotImplementedError("zero_grad")

    def train(self, mode=True):
        """Set ``training`` here and in every child; return self."""
        raise NotImplementedError("train")

    def eval(self):
        """``train(False)``."""
        raise NotImplementedError("eval")

    def state_dict(self):
        """``{name: ndarray}`` of parameters and buffers with torch's keys (``0.weight``, ``running_mean``)."""
        raise NotImplementedError("state_dict")

    def load_state_dict(self, state_dict):
        """Copy values into the existing arrays, keeping their dtype; the keys must be exactly torch's."""
        raise NotImplementedError("load_state_dict")


class _Loss:
    """Base class of the losses: ``value = loss(input, target)``; ``backward(grad_output=1.0)`` gives grad_input."""

    def __call__(self, input, target):
        return self.forward(input, target)

    def forward(self, input, target):
        raise NotImplementedError("forward")

    def backward(self, grad_output=1.0):
        raise NotImplementedError("backward")
'''

SECTIONS = {
    "activation": ("activations: y has x's shape and dtype", "Module"),
    "layer": ("layers", "Module"),
    "loss": ("losses: a 0-d array of the input's dtype for 'mean'/'sum'", "_Loss"),
    "optimizer": ("optimizers: step() updates p.data in place from p.grad, skipping grads that are None", None),
    "scheduler": ("learning-rate schedulers: step() once per epoch", None),
    "utility": ("utilities: in place on p.grad", None),
    "init": ("initialisation: fill the array in place and return it; rng is a numpy Generator", None),
    "trainer": ("training: the fit loop, its callbacks and penalties, the LR range test, diagnostics", None),
}


def _value(v):
    if isinstance(v, type) and v.__module__ == "numpy":
        return f"np.{v.__name__}"
    return repr(v)


def signature(obj, skip_self=False):
    """``obj``'s signature as source text, NumPy types written as ``np.float64``."""
    params = list(inspect.signature(obj).parameters.values())[1 if skip_self else 0:]
    parts, star = [], False
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            parts.append(f"*{p.name}")
            star = True
            continue
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        parts.append(p.name if p.default is p.empty else f"{p.name}={_value(p.default)}")
    return ", ".join(parts)


def summary(obj):
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _stub_class(name, obj, base):
    head = f"class {name}({base}):" if base else f"class {name}:"
    init = f"    def __init__({', '.join(['self'] + ([signature(obj)] if signature(obj) else []))}):"
    return f'{head}\n    """{summary(obj)}"""\n\n{init}\n        raise NotImplementedError("{name}")\n'


def _stub_function(name, obj, indent=""):
    deco = f"{indent}@staticmethod\n" if indent else ""
    where = f"init.{name}" if indent else name
    return (f'{deco}{indent}def {name}({signature(obj)}):\n{indent}    """{summary(obj)}"""\n'
            f'{indent}    raise NotImplementedError("{where}")\n')


def _scratch(name):
    """scratch's object of that contract name: at its top level, or in ``scratch.train``."""
    import scratch
    return getattr(scratch, name, None) or getattr(scratch.train, name)


def render():
    """The template's source text."""
    import scratch
    from parity_tests.registry import REGISTRY

    names = sorted({e.functional for e in REGISTRY if e.functional and e.category == "activation"})
    functional = textwrap.fill(
        "You may instead write the tutorials' functional style for the activations: "
        + ", ".join(f"``{n}(z)``" for n in names) + ", each with ``<name>_derivative(z)`` (the derivative "
        "with respect to z), with torch's default parameters. Delete the class of the same name if you do: "
        "a class takes precedence.", 100)
    text = HEADER.format(functional=functional)
    text += "\n" + _stub_class("Parameter", scratch.Parameter, None).replace(
        'raise NotImplementedError("Parameter")', "self.data = np.asarray(data)\n        self.grad = None")
    text += BASES
    done = {"Parameter", "Module"}
    by_category = {}
    for entry in REGISTRY:
        by_category.setdefault(entry.category, []).append(entry)
    for category, (title, base) in SECTIONS.items():
        stubs = []
        for entry in by_category.get(category, []):
            if entry.cls == "init":
                if entry.functional not in done:
                    stubs.append(_stub_function(entry.functional, getattr(scratch.init, entry.functional), "    "))
                    done.add(entry.functional)
                continue
            if entry.cls in done:
                continue
            done.add(entry.cls)
            obj = _scratch(entry.cls)
            stubs.append(_stub_class(entry.cls, obj, base) if inspect.isclass(obj) else _stub_function(entry.cls, obj))
        if not stubs:
            continue
        text += f"\n\n# -- {title} " + "-" * max(3, 96 - len(title)) + "\n\n"
        if category == "init":
            text += 'class init:\n    """torch.nn.init\'s functions, called as ``init.uniform_(w, rng=rng)``."""\n\n'
            text += "\n".join(stubs)
        else:
            text += "\n\n".join(stubs)
    for entry in REGISTRY:
        if entry.cls not in done and entry.cls != "init":
            done.add(entry.cls)
            text += "\n\n" + _stub_class(entry.cls, _scratch(entry.cls), "Module")
    return text


def render_style(name):
    """The starter template of a course style: its own functions (CS231n) or classes (NNFS), each raising
    NotImplementedError, from the style's ``TEMPLATE`` table."""
    from parity_tests import styles
    module = styles.load(name)
    table = getattr(module, "TEMPLATE", None)
    if table is None:
        return None
    text = (f'"""Starter template in the {name} style ({module.SUMMARY}).\n\nEvery name raises NotImplementedError '
            f'until you write it; ``twinnet verify`` reports those as "not implemented" and checks the rest\n'
            f'against torch.\n"""\nimport numpy as np\n')
    for key, spec in table.items():
        if len(spec) == 2:
            args, doc = spec
            text += f'\n\ndef {key}({args}):\n    """{doc}."""\n    raise NotImplementedError("{key}")\n'
        else:
            args, methods, doc = spec
            text += f'\n\nclass {key}:\n    """{doc or key}."""\n\n    def __init__(self{", " + args if args else ""}):\n'
            text += f'        raise NotImplementedError("{key}")\n'
            for method in methods:
                text += f'\n    def {method}:\n        raise NotImplementedError("{key}.{method.split("(")[0]}")\n'
    return text
