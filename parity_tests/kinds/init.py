"""The ``init`` functions: ``forward`` of the deterministic fills and of ``calculate_gain``, and
``distribution`` of the random fills (seeded, judged in law against torch's own draws). A fill must
fill the array it is given in place and return that array."""
import numpy as np

from ._base import Kind
from ._calls import ContractViolation, Missing, lookup
from .distribution import judge, laws


def _function(impl, name):
    namespace = vars(impl).get("init") if hasattr(impl, "__dict__") else None
    fn = vars(namespace).get(name) if namespace is not None and hasattr(namespace, "__dict__") else None
    if fn is None:
        try:
            fn = lookup(impl, name)
        except Missing:
            raise Missing(f"init.{name} is not defined") from None
    return fn


def _gain(calculate_gain, nonlinearity, param):
    try:
        return float(calculate_gain(nonlinearity, param))
    except ValueError:
        return np.nan


def implementation(impl, spec, case):
    name = spec["functional"]
    fn = _function(impl, name)
    if "gains" in case:
        return {"gain": np.array([_gain(fn, *g) for g in case["gains"]], dtype=np.float64)}
    array = np.full(case["shape"], np.nan, dtype=case["dtype"])
    rng = {"rng": np.random.default_rng(case["seed"])} if "seed" in case else {}
    if fn(array, **case.get("kwargs", {}), **rng) is not array:
        raise ContractViolation(f"init.{name} must fill the array it is given in place and return that array")
    return {"tensor": array}


def before(spec, case, dtype, rng):
    import torch

    import reference
    if "gains" in case:
        return {"gain": np.array([_gain(torch.nn.init.calculate_gain, *g) for g in case["gains"]], dtype=np.float64)}
    fn = getattr(torch.nn.init, spec["functional"])

    def fill(**extra):
        tensor = torch.full(case["shape"], float("nan"), dtype=reference.torch_dtype(case["dtype"]))
        fn(tensor, **case.get("kwargs", {}), **extra)
        return {"tensor": tensor.numpy()}
    if "seed" not in case:
        return fill()
    return laws(case, dtype, lambda: fill(generator=torch.Generator().manual_seed(case["seed"])))


INIT = Kind("init", "forward", implementation, before)
INIT_DRAWS = Kind("init_draws", "distribution", implementation, before, judge=judge,
                  tol={"float32": {"alpha": 1e-3}, "float64": {"alpha": 1e-3}})
