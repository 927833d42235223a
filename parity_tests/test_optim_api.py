"""The optimizers' API beyond the update rule: argument validation as torch's, per-group options.

Validation: each invalid argument must raise ValueError in torch and in scratch, and scratch's message
must name the argument and the value given; the boundary values torch accepts, scratch accepts.

Parameter groups and resuming: the registry's ``step`` domain (``registry.optimizer_domain``) already
has, for every optimizer, a case with two groups (the first with its own ``lr``) and a case resumed
from ``state_dict()`` into a new optimizer after step 4. Here the groups differ in every other option
the optimizer has, and the run is resumed too, judged by the same check machinery.
"""
import math

import numpy as np
import pytest
import torch

import scratch
from scratch.optim import _BLOCK

from . import kinds
from .checks import Check, judge
from .registry import REGISTRY

ADAM_LIKE = ("Adam", "AdamW", "Adamax", "NAdam", "RAdam")

INVALID = [
    ("SGD", {"lr": -1.0}, "lr", "-1.0"),
    ("SGD", {"momentum": -0.1}, "momentum", "-0.1"),
    ("SGD", {"weight_decay": -1e-3}, "weight_decay", "-0.001"),
    ("SGD", {"nesterov": True}, "nesterov", "momentum=0"),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.5}, "nesterov", "dampening=0.5"),
    *[(name, kwargs, argument, shown) for name in ADAM_LIKE for kwargs, argument, shown in [
        ({"lr": -1.0}, "lr", "-1.0"),
        ({"lr": math.nan}, "lr", "nan"),
        ({"eps": -1e-8}, "eps", "-1e-08"),
        ({"betas": (-0.1, 0.999)}, "betas[0]", "-0.1"),
        ({"betas": (1.0, 0.999)}, "betas[0]", "1.0"),
        ({"betas": (0.9, 1.0)}, "betas[1]", "1.0"),
        ({"betas": (0.9, -0.5)}, "betas[1]", "-0.5"),
        ({"weight_decay": -0.1}, "weight_decay", "-0.1")]],
    ("NAdam", {"momentum_decay": -0.1}, "momentum_decay", "-0.1"),
    ("RMSprop", {"lr": -1.0}, "lr", "-1.0"),
    ("RMSprop", {"eps": -1.0}, "eps", "-1.0"),
    ("RMSprop", {"alpha": -0.1}, "alpha", "-0.1"),
    ("RMSprop", {"momentum": -0.5}, "momentum", "-0.5"),
    ("RMSprop", {"weight_decay": -0.1}, "weight_decay", "-0.1"),
    ("Adagrad", {"lr": -1.0}, "lr", "-1.0"),
    ("Adagrad", {"lr_decay": -0.1}, "lr_decay", "-0.1"),
    ("Adagrad", {"weight_decay": -0.1}, "weight_decay", "-0.1"),
    ("Adagrad", {"initial_accumulator_value": -0.1}, "initial_accumulator_value", "-0.1"),
    ("Adagrad", {"eps": -1.0}, "eps", "-1.0"),
    ("Adadelta", {"lr": -1.0}, "lr", "-1.0"),
    ("Adadelta", {"rho": -0.1}, "rho", "-0.1"),
    ("Adadelta", {"rho": 1.5}, "rho", "1.5"),
    ("Adadelta", {"eps": -1.0}, "eps", "-1.0"),
    ("Adadelta", {"weight_decay": -0.1}, "weight_decay", "-0.1"),
]
"""``(optimizer, kwargs, the argument the message must name, the value it must show)``."""

BOUNDARY = [
    ("SGD", {"lr": 0.0, "momentum": 0.0, "weight_decay": 0.0}),
    ("SGD", {"momentum": 0.5, "dampening": 0.0, "nesterov": True}),
    *[(name, {"lr": 0.0, "eps": 0.0, "betas": (0.0, 0.0), "weight_decay": 0.0}) for name in ADAM_LIKE],
    ("NAdam", {"momentum_decay": 0.0}),
    ("RMSprop", {"alpha": 0.0, "momentum": 0.0, "eps": 0.0}),
    ("Adagrad", {"lr_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 0.0}),
    ("Adadelta", {"rho": 0.0}),
    ("Adadelta", {"rho": 1.0}),
]
"""Arguments at the edge of what torch accepts."""


def _ids(rows):
    return [f"{row[0]}-{','.join(f'{k}={v}' for k, v in row[1].items())}" for row in rows]


@pytest.mark.parametrize("name, kwargs, argument, shown", INVALID, ids=_ids(INVALID))
def test_invalid_argument_raises_as_torch(name, kwargs, argument, shown):
    with pytest.raises(ValueError):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError) as raised:
        getattr(scratch, name)([scratch.Parameter(np.zeros(2))], **kwargs)
    message = str(raised.value)
    assert argument.lower() in message.lower() and shown in message, \
        f"{name}({kwargs}): the message should name {argument!r} and show {shown!r}, got {message!r}"


@pytest.mark.parametrize("name, kwargs", BOUNDARY, ids=_ids(BOUNDARY))
def test_boundary_argument_accepted_as_torch(name, kwargs):
    getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    getattr(scratch, name)([scratch.Parameter(np.zeros(2))], **kwargs)


GROUPS = {
    "SGD": ({"momentum": 0.9, "nesterov": True}, {"momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1}),
    "Adam": ({"betas": (0.5, 0.6), "amsgrad": True}, {"weight_decay": 0.1, "eps": 1e-3, "maximize": True}),
    "AdamW": ({"weight_decay": 0.3}, {"amsgrad": True, "maximize": True}),
    "RMSprop": ({"centered": True, "momentum": 0.5}, {"alpha": 0.8, "weight_decay": 0.1}),
    "Adagrad": ({"lr_decay": 0.05}, {"weight_decay": 0.1, "eps": 1e-2}),
    "Adadelta": ({"rho": 0.7}, {"eps": 1e-3, "weight_decay": 0.1}),
    "Adamax": ({"betas": (0.5, 0.6)}, {"eps": 1e-2, "maximize": True}),
    "NAdam": ({"momentum_decay": 0.01}, {"decoupled_weight_decay": True, "weight_decay": 0.1}),
    "RAdam": ({"betas": (0.8, 0.9)}, {"decoupled_weight_decay": True, "weight_decay": 0.1}),
}
"""Options that differ between the two parameter groups of each optimizer (beyond ``lr``)."""

OPTIMIZERS = {e.name: e for e in REGISTRY if e.category == "optimizer"}


def test_every_optimizer_has_group_options():
    assert set(GROUPS) == set(OPTIMIZERS)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(GROUPS))
def test_per_group_options_and_resume(name, dtype):
    """Two groups with their own options, resumed from ``state_dict`` after step 4: torch's trajectory."""
    check = Check(OPTIMIZERS[name], "step", dtype)
    case = next(c for c in check.entry.domain_for("step")(check.rng(), np.dtype(dtype)) if "groups" in c)
    first, second = GROUPS[name]
    case.update(name="per-group options, resumed after step 4", kwargs={"lr": 0.01}, resume_at=4,
                groups=[{"params": [0], **first}, {"params": [1, 2], "lr": 0.05, **second}])
    result = kinds.run(scratch, check.entry.spec(), "step", case)
    want = kinds.KINDS["step"].before(check.entry.spec(), case, dtype, None)
    record = judge(check, [(case, want)], [result])
    assert record["status"] == "passed", record["message"]


@pytest.mark.parametrize("shape", [(301, 300), (100_003,), (1, 70_000)])
@pytest.mark.parametrize("kwargs", [{"momentum": 0.9}, {"momentum": 0.9, "dampening": 0.3}, {}])
def test_sgd_updates_a_large_parameter_sliced_as_it_does_a_small_one(shape, kwargs):
    """Above ``optim._BLOCK`` elements SGD updates a slice of rows at a time (uneven slices for 301 rows);
    every element must get NumPy's ``p - lr * b``, the unsliced update, bit for bit."""
    assert int(np.prod(shape)) > _BLOCK
    rng = np.random.default_rng(0)
    p = scratch.Parameter(rng.standard_normal(shape))
    grads = rng.standard_normal((3, *shape))
    expected, buffer = p.data.copy(), None
    optimizer = scratch.SGD([p], lr=0.1, **kwargs)
    for g in grads:
        p.grad = g
        optimizer.step()
        mu, tau = kwargs.get("momentum", 0), kwargs.get("dampening", 0)
        buffer = g.copy() if buffer is None or not mu else mu * buffer + (1 - tau) * g
        expected -= 0.1 * buffer
    np.testing.assert_array_equal(p.data, expected)
