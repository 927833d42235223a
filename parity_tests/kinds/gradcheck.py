"""``gradcheck``: the analytic gradients against central differences, a second oracle besides torch.

The implementation's side returns its analytic gradients of ``sum(grad_y * module(*args))`` with
respect to the inputs and to every parameter, its forward output, and its forward outputs at every
perturbed point ``x +- h e_i`` (each from a new module with the same seed and state, so Dropout draws
the same mask and BatchNorm's running statistics do not drift). The judge computes the differences
itself and compares the forward output with torch's, so a wrong forward earns nothing here. Outputs
made of several arrays (an LSTM's ``(output, (h_n, c_n))``) are differentiated as one vector. float64
only: in float32 the difference quotient keeps about 2 of its 7 digits.
"""
import numpy as np

from ._base import Kind
from ._calls import backward, copy, drawn, flat, forward, make, parameters

H = 1e-6


def _leaves(value):
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in _leaves(v)]
    return [] if value is None else [value]


def vector(value):
    """The arrays of a (nested) output, raveled into one vector in order."""
    return np.concatenate([np.asarray(leaf).ravel() for leaf in _leaves(value)])


def _paths(value, path=()):
    """The positions of the floating-point arrays in a (nested) list of inputs."""
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))
    elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
        yield path


def _at(value, path):
    for i in path:
        value = value[i]
    return value


def _with(value, path, new):
    """``value`` with the array at ``path`` replaced by ``new`` (tuples rebuilt)."""
    if not path:
        return new
    items = list(value)
    items[path[0]] = _with(items[path[0]], path[1:], new)
    return type(value)(items)


def _inputs(spec, args):
    """``(key, path)`` of each input differentiated: the first, or every floating one (``grad_inputs``),
    named as backward's return value is (one array for one input, a tuple for several)."""
    if spec.get("grad_inputs") != "all":
        return [("grad_x", (0,))]
    return [("grad_x" + "".join(f".{i}" for i in path[len(args) == 1:]), path) for path in _paths(args)]


def _steps(x, h):
    """``(up, down)`` copies of ``x`` with element ``i`` moved by ``+-h``, for every ``i`` in order."""
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        yield i, up, down


def _perturbed(f, x, h):
    """``f`` at every perturbed point of ``x``: shape ``(x.size, 2, len(vector(f(x))))``."""
    return np.stack([np.stack([vector(f(up)), vector(f(down))]) for _, up, down in _steps(x, h)])


def implementation(impl, spec, case):
    args = copy(case["args"])
    call = case.get("call_kwargs", {})
    module = make(impl, spec, case)
    params = {name: np.array(p.data, copy=True) for name, p in parameters(module)}
    y = forward(module, case)
    grads = backward(module, case)
    out = {**(flat("y", y) if spec.get("nested") else {"y": y}),
           **(flat("grad_x", grads) if spec.get("grad_inputs") == "all" else {"grad_x": grads})}
    out.update((name, drawn(module, name)) for name in case.get("replay", ()))
    out.update((f"grad.{name}", p.grad) for name, p in parameters(module))

    def fresh(**values):
        m = make(impl, spec, case)
        for name, p in parameters(m):
            p.data[...] = values.get(name, params[name])
        return m

    for key, path in _inputs(spec, args):
        out[f"at.{key}"] = _perturbed(lambda x, path=path: fresh()(*_with(copy(args), path, x), **call),
                                      _at(args, path), H)
    for name, value in params.items():
        out[f"at.grad.{name}"] = _perturbed(lambda v, name=name: fresh(**{name: v})(*copy(args), **call), value, H)
        out[f"base.grad.{name}"] = value
    return out


def before(spec, case, dtype, rng):
    """torch's forward output (for a case that replays a draw, the upstream gradient only: its output has
    the input's shape, and torch's output needs the implementation's mask)."""
    from . import _torch as T
    from .module import torch_outputs
    if case.get("replay"):
        case["grad_y"] = rng.standard_normal(np.shape(case["args"][0])).astype(dtype)
        return {}
    module = T.module(spec, case, dtype)
    y = T.quiet(module)(*T.tensors(case["args"]), **T.call_kwargs(case))
    case["grad_y"] = T.random_like(rng, y, dtype) if spec.get("nested") else \
        rng.standard_normal(tuple(y.shape)).astype(dtype)
    return torch_outputs(spec, case, dtype, "forward")


def central_differences(at, base, grad_y):
    """``d/dx sum(grad_y * f(x))`` from ``f``'s values ``at`` the perturbed points of ``base``; the step
    is the one the rounded ``x + h`` and ``x - h`` actually make."""
    base = np.asarray(base)
    at = np.asarray(at, dtype=np.float64)
    if at.shape[:2] != (base.size, 2) or at.ndim != 3 or at.shape[2] != grad_y.size:
        raise ValueError(f"expected the outputs at {base.size} pairs of points, {grad_y.size} values each; "
                         f"got an array of shape {at.shape}")
    numeric = np.zeros(base.shape, dtype=np.float64)
    for n, (i, up, down) in enumerate(_steps(base, H)):
        numeric[i] = np.sum(grad_y * (at[n, 0] - at[n, 1])) / (up[i] - down[i])
    return numeric.astype(base.dtype)


def after(spec, case, dtype, got, before):
    """torch's forward output, and the central differences of every gradient the implementation returned."""
    from .module import laws, torch_outputs
    want = dict(before) if before else {**torch_outputs(spec, case, dtype, "forward", got=got), **laws(case)}
    grad_y = vector(case["grad_y"]).astype(np.float64)
    state = case.get("state", {})
    for key, path in _inputs(spec, case["args"]):
        want[key] = central_differences(got[f"at.{key}"], _at(case["args"], path), grad_y)
    for key in got:
        if key.startswith("at.grad."):
            name = key.removeprefix("at.grad.")
            base = state.get(name, got.get(f"base.grad.{name}"))
            want[f"grad.{name}"] = central_differences(got[key], base, grad_y)
    return want


def _max_norm(got, want, tol):
    from ..compare import max_norm
    return max_norm(got, want, tol)


GRADCHECK = Kind("gradcheck", "gradcheck", implementation, before, after, judge=_max_norm,
                 tol={"float64": {"rtol": 1e-7, "atol": 0.0}}, dtypes=("float64",))
"""The rule is relative to the array's scale, ``|analytic - numeric| <= atol + rtol * max|numeric|``,
i.e. ``max_rel_err <= 1e-7``: CS231n's bar for a correct gradient. With ``h = 1e-6`` the quotient's own
error is far below that (truncation ``h^2 f'''/6``, round-off ``eps |f| / h``)."""
