"""``forward``, ``backward`` and ``param_grad`` of a module: outputs, input gradients under a random
upstream gradient, and parameter gradients accumulated over two backward calls.

A case may name draws to replay (``replay: ['mask']``, Dropout's keep-mask): torch's side then runs
after the implementation, on its masks, and each mask is also judged against its law (kept with
probability ``1 - p``), so a Dropout that never drops cannot pass by replay.
"""
import numpy as np

from ._base import Kind
from ._calls import backward, copy, drawn, flat, forward, make, parameters


def _outputs(spec, prefix, value):
    return flat(prefix, value) if spec.get("nested") else {prefix: value}


def _implementation(what):
    def run(impl, spec, case):
        module = make(impl, spec, case)
        y = forward(module, case)
        draws = {name: drawn(module, name) for name in case.get("replay", ())}
        if what == "forward":
            return {**_outputs(spec, "y", y), **draws}
        grad_x = backward(module, case)
        if what == "backward":
            return {**_outputs(spec, "grad_x", grad_x), **draws}
        once = {f"grad.{name}": copy(p.grad) for name, p in parameters(module)}
        forward(module, case)
        backward(module, case)
        return {**once, **{f"twice.grad.{name}": p.grad for name, p in parameters(module)}, **draws}
    return run


def laws(case):
    """The law of each replayed draw: Dropout's mask keeps each element with probability ``1 - p``."""
    from ..distributions import Binomial
    if not case.get("train", True):
        return {}
    p = case.get("kwargs", {}).get("p", 0.5)
    return {name: Binomial(1 - p, tuple(np.shape(case["args"][0])), "bool") for name in case.get("replay", ())}


def torch_outputs(spec, case, dtype, what, rng=None, got=None):
    """torch's ``y``, ``grad_x`` or ``grad.<name>`` for the case, drawing ``case['grad_y']`` (of the
    output's shape) with ``rng`` when the case has none; draws named by ``replay`` come from ``got``."""
    from . import _torch as T

    @T.quiet
    def answer():
        module = T.module(spec, case, dtype)
        masks = [got[name] for name in case.get("replay", ())] if got else []
        with T.replaying(masks):
            args = [T.tensors(a, grad=(i == 0 or spec.get("grad_inputs") == "all")) for i, a in enumerate(case["args"])]
            y = module(*args, **T.call_kwargs(case))
            if what == "forward":
                return _outputs(spec, "y", T.numpy(y))
            if "grad_y" not in case:
                case["grad_y"] = T.random_like(rng, y, dtype) if spec.get("nested") else \
                    rng.standard_normal(tuple(y.shape)).astype(dtype)
            T.torch.autograd.backward(*T.pairs(y, T.tensors(case["grad_y"])))
        if what == "backward":
            grad = T.grads(args if len(args) > 1 else args[0]) if spec.get("grad_inputs") == "all" \
                else args[0].grad.numpy()
            return _outputs(spec, "grad_x", grad)
        return {f"grad.{name}": p.grad.numpy() for name, p in module.named_parameters()}
    return answer()


def _before(what):
    def before(spec, case, dtype, rng):
        if case.get("replay"):
            if what != "forward" and "grad_y" not in case:
                case["grad_y"] = rng.standard_normal(np.shape(case["args"][0])).astype(dtype)
            return None
        return torch_outputs(spec, case, dtype, what, rng)
    return before


def _after(what):
    def after(spec, case, dtype, got, before):
        want = before if before is not None else {**torch_outputs(spec, case, dtype, what, got=got), **laws(case)}
        if what == "param_grad":
            want = {**want, **{f"twice.{key}": 2 * np.asarray(got[key]) for key in want if key.startswith("grad.")
                               and isinstance(got.get(key), np.ndarray)}}
        return want
    return after


FORWARD = Kind("forward", "forward", _implementation("forward"), _before("forward"), _after("forward"))
BACKWARD = Kind("backward", "backward", _implementation("backward"), _before("backward"), _after("backward"))
PARAM_GRAD = Kind("param_grad", "param_grad", _implementation("param_grad"), _before("param_grad"),
                  _after("param_grad"))
"""The parameter gradients after one forward and backward, against torch's; then after a second pass on
the same input, which must have added the same gradients again (``twice.grad.<name>``, twice the
first): a backward that assigns ``.grad`` instead of adding into it fails."""
