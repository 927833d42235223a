"""``gradcheck``: the analytic gradients against central differences, a second oracle besides torch.

The implementation's side returns its analytic gradients of ``sum(grad_y * module(x))`` with respect to
the input and to every parameter, its forward output, and its forward outputs at every perturbed point
``x +- h e_i`` (each from a new module with the same seed and state, so Dropout draws the same mask and
BatchNorm's running statistics do not drift). The judge computes the differences itself and compares
the forward output with torch's, so a wrong forward earns nothing here. float64 only: in float32 the
difference quotient keeps about 2 of its 7 digits.
"""
import numpy as np

from ._base import Kind
from ._calls import backward, copy, drawn, forward, make, parameters

H = 1e-6


def _steps(x, h):
    """``(up, down)`` copies of ``x`` with element ``i`` moved by ``+-h``, for every ``i`` in order."""
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        yield i, up, down


def _perturbed(f, x, h):
    """``f`` at every perturbed point of ``x``: shape ``(x.size, 2, *f(x).shape)``."""
    return np.stack([np.stack([np.asarray(f(up)), np.asarray(f(down))]) for _, up, down in _steps(x, h)])


def implementation(impl, spec, case):
    args = copy(case["args"])
    module = make(impl, spec, case)
    params = {name: np.array(p.data, copy=True) for name, p in parameters(module)}
    out = {"y": forward(module, case), "grad_x": backward(module, case)}
    out.update((name, drawn(module, name)) for name in case.get("replay", ()))
    out.update((f"grad.{name}", p.grad) for name, p in parameters(module))

    def fresh(**values):
        m = make(impl, spec, case)
        for name, p in parameters(m):
            p.data[...] = values.get(name, params[name])
        return m

    out["at.grad_x"] = _perturbed(lambda x: fresh()(x, *copy(args[1:])), args[0], H)
    for name, value in params.items():
        out[f"at.grad.{name}"] = _perturbed(lambda v, name=name: fresh(**{name: v})(*copy(args)), value, H)
        out[f"base.grad.{name}"] = value
    return out


def before(spec, case, dtype, rng):
    """torch's forward output (for a case that replays a draw, the upstream gradient only: its output has
    the input's shape, and torch's output needs the implementation's mask)."""
    from .module import torch_outputs
    if case.get("replay"):
        case["grad_y"] = rng.standard_normal(np.shape(case["args"][0])).astype(dtype)
        return {}
    y = torch_outputs(spec, case, dtype, "forward")["y"]
    case["grad_y"] = rng.standard_normal(np.shape(y)).astype(dtype)
    return {"y": y}


def central_differences(at, base, grad_y):
    """``d/dx sum(grad_y * f(x))`` from ``f``'s values ``at`` the perturbed points of ``base``; the step
    is the one the rounded ``x + h`` and ``x - h`` actually make."""
    base = np.asarray(base)
    at = np.asarray(at, dtype=np.float64)
    if at.shape[:2] != (base.size, 2):
        raise ValueError(f"expected the outputs at {base.size} pairs of points, got an array of shape {at.shape}")
    numeric = np.zeros(base.shape, dtype=np.float64)
    for n, (i, up, down) in enumerate(_steps(base, H)):
        numeric[i] = np.sum(grad_y * (at[n, 0] - at[n, 1])) / (up[i] - down[i])
    return numeric.astype(base.dtype)


def after(spec, case, dtype, got, before):
    """torch's forward output, and the central differences of every gradient the implementation returned."""
    from .module import laws, torch_outputs
    want = dict(before) if before else {**torch_outputs(spec, case, dtype, "forward", got=got), **laws(case)}
    state = case.get("state", {})
    want["grad_x"] = central_differences(got["at.grad_x"], case["args"][0], case["grad_y"])
    for key in got:
        if key.startswith("at.grad."):
            name = key.removeprefix("at.grad.")
            base = state.get(name, got.get(f"base.grad.{name}"))
            want[f"grad.{name}"] = central_differences(got[key], base, case["grad_y"])
    return want


def _max_norm(got, want, tol):
    from ..compare import max_norm
    return max_norm(got, want, tol)


GRADCHECK = Kind("gradcheck", "gradcheck", implementation, before, after, judge=_max_norm,
                 tol={"float64": {"rtol": 1e-7, "atol": 0.0}}, dtypes=("float64",))
"""The rule is relative to the array's scale, ``|analytic - numeric| <= atol + rtol * max|numeric|``,
i.e. ``max_rel_err <= 1e-7``: CS231n's bar for a correct gradient. With ``h = 1e-6`` the quotient's own
error is far below that (truncation ``h^2 f'''/6``, round-off ``eps |f| / h``)."""
