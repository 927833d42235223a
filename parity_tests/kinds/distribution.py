"""``distribution``: a module's random draws against torch's, in law (see ``parity_tests.distributions``):
a new module's initial ``state_dict`` (Linear's default initialisation) or its forward on ``args``
(Dropout's mask, seen through a forward of ones)."""
from ._base import Kind
from ._calls import copy, make


def implementation(impl, spec, case):
    module = make(impl, spec, case)
    if "args" in case:
        return {"y": module(*copy(case["args"]))}
    return module.state_dict()


def seeded(seed, build):
    """``build()`` with torch's global generator seeded with ``seed``, restored afterwards."""
    import torch
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def laws(case, dtype, draws):
    """What each output of a case must look like (``case['law']``): for 'uniform' or 'normal', torch's
    draws ``draws()[key]`` of that law; for ``('binomial', keep)``, non-zero elements of the input's
    shape kept with probability ``keep``."""
    import numpy as np

    from ..distributions import Binomial, Draws
    torch_draws = draws() if any(law in ("uniform", "normal") for law in case["law"].values()) else {}
    return {key: Draws(torch_draws[key], bounded=law == "uniform") if law in ("uniform", "normal")
            else Binomial(law[1], tuple(np.shape(case["args"][0])), dtype) for key, law in case["law"].items()}


def before(spec, case, dtype, rng):
    import reference

    def draws():
        module = seeded(case["seed"], lambda: reference.torch_module(
            spec["cls"], {**spec.get("kwargs", {}), **case.get("kwargs", {})}, dtype))
        return {k: v.detach().numpy() for k, v in module.state_dict().items()}
    return laws(case, dtype, draws)


def judge(got, want, tol):
    from ..distributions import judge
    return judge(got, want, tol)


DISTRIBUTION = Kind("distribution", "distribution", implementation, before, judge=judge,
                    tol={"float32": {"alpha": 1e-3}, "float64": {"alpha": 1e-3}})
"""No elementwise bound: no statistical test may reject at significance ``alpha = 1e-3``; the draws are
seeded, so a verdict is repeatable."""
