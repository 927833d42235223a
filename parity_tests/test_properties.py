"""Property-based tests: every activation, loss and layer of the registry on inputs hypothesis draws.

Shapes are random (batch 1 to 64, features 1 to 32) and so are the values, with the extremes mixed in
(exact zeros, -0.0, +-20, +-50, +-1000). Each case runs through the same two sides as a parity check
(``kinds.run`` for scratch, the kind's torch side for torch), forward and then backward under a random
upstream gradient (and ``param_grad`` for layers), and must hold three properties:

- every output and gradient has the input's dtype (float32 in, float32 out);
- nothing is NaN or inf where torch's answer is finite;
- the values agree with torch's within the tolerance policy (``tolerances.tolerance``); for entries
  with a ``conditioned`` rule in the registry (sums of signed terms, the norms) on well-conditioned
  draws only.

How inputs are drawn is chosen by the entry's ``sample`` (its input layout), so a new component whose
inputs look like an existing one's needs no edit here.

Deliberately wrong twins (``wrong.WRONG``) must fail the same properties. Runs are derandomized (the
examples are a function of the test), so CI sees the same cases every time.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import scratch

from . import kinds
from .compare import compare
from .distributions import LAWS
from .registry import BOUND, DTYPES, INITIAL_STATE, REGISTRY
from .tolerances import tolerance
from .wrong import WRONG, swap

EXTREMES = (0.0, -0.0, 1e-7, 1.0, -1.0, 20.0, -20.0, 50.0, -50.0, 1000.0, -1000.0)
REDUCTIONS = ("mean", "sum", "none")
PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink)
"""Every phase but ``explain``, which costs seconds per failure and adds nothing to the shrunk case."""
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True, database=None, phases=PHASES,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def values(dtype, low=-1000.0, high=1000.0):
    """Floats of ``dtype`` in ``[low, high]``, the extremes among them drawn often."""
    special = [v for v in EXTREMES if low <= v <= high]
    return st.one_of(st.sampled_from(special), st.floats(low, high, width=8 * np.dtype(dtype).itemsize))


def array(draw, dtype, shape, low=-1000.0, high=1000.0, dense=False):
    """An array of ``values``; hypothesis fills most of a large array with one value unless ``dense``,
    which draws every element (for the norms, whose constant rows are degenerate)."""
    fill = st.nothing() if dense else None
    return draw(hnp.arrays(dtype, shape, elements=values(dtype, low, high), fill=fill))


def shape(draw):
    return draw(st.integers(1, 64)), draw(st.integers(1, 32))


def initial_state(draw, cls, kwargs, dtype):
    """Starting weights and buffers as the model checks draw them (``registry.INITIAL_STATE``)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    state = INITIAL_STATE[cls](rng, kwargs, dtype)
    return {k: np.asarray(v).astype(dtype if np.asarray(v).dtype.kind == "f" else np.int64) for k, v in state.items()}


def activation_case(draw, dtype, high):
    return {"args": [array(draw, dtype, shape(draw), -high, high)]}


def regression_case(draw, dtype, high):
    n = shape(draw)
    return {"args": [array(draw, dtype, n, -high, high), array(draw, dtype, n, -high, high)],
            "kwargs": {"reduction": draw(st.sampled_from(REDUCTIONS))}}


def bce_case(draw, dtype, high):
    n = shape(draw)
    return {"args": [array(draw, dtype, n, 0.0, 1.0), array(draw, dtype, n, 0.0, 1.0)],
            "kwargs": {"reduction": draw(st.sampled_from(REDUCTIONS))}}


def bce_logits_case(draw, dtype, high):
    n = shape(draw)
    return {"args": [array(draw, dtype, n, -high, high), array(draw, dtype, n, 0.0, 1.0)],
            "kwargs": {"reduction": draw(st.sampled_from(REDUCTIONS))}}


def class_index_case(draw, dtype, high, **options):
    """Scores ``(N, C)`` and class indices, some of them ``ignore_index`` (-100)."""
    n, c = shape(draw)
    target = draw(hnp.arrays(np.int64, n, elements=st.one_of(st.integers(0, c - 1), st.just(-100))))
    kwargs = {"reduction": draw(st.sampled_from(REDUCTIONS))}
    kwargs.update({k: draw(st.sampled_from(v)) for k, v in options.items()})
    return {"args": [array(draw, dtype, (n, c), -high, high), target], "kwargs": kwargs}


def kl_case(draw, dtype, high):
    n = shape(draw)
    return {"args": [array(draw, dtype, n, -high, high), array(draw, dtype, n, 0.0, 1.0)],
            "kwargs": {"reduction": draw(st.sampled_from(REDUCTIONS + ("batchmean",)))}}


def linear_case(draw, dtype, high):
    n, f = shape(draw)
    kwargs = {"in_features": f, "out_features": draw(st.integers(1, 8)), "bias": draw(st.booleans()),
              "dtype": np.dtype(dtype)}
    state = initial_state(draw, "Linear", kwargs, dtype)
    state = state if kwargs["bias"] else {"weight": state["weight"]}
    return {"args": [array(draw, dtype, (n, f), -high, high)], "kwargs": kwargs, "state": state}


def dropout_case(draw, dtype, high):
    return {"args": [array(draw, dtype, shape(draw), -high, high)],
            "kwargs": {"p": draw(st.sampled_from((0.0, 0.2, 0.5, 0.9, 1.0)))}, "train": draw(st.booleans()), "seed": draw(st.integers(0, 2**31 - 1)), "replay": ["mask"]}


def batch_norm_case(draw, dtype, high):
    """Training needs more than one value per channel; a batch of one is normalised by running statistics."""
    n, f = shape(draw)
    train = n > 1 and draw(st.booleans())
    kwargs = {"num_features": f, "momentum": draw(st.sampled_from((0.1, None))), "affine": draw(st.booleans()),
              "track_running_stats": n == 1 or draw(st.booleans()), "dtype": np.dtype(dtype)}
    state = initial_state(draw, "BatchNorm1d", kwargs, dtype)
    state = {k: v for k, v in state.items() if (k in ("weight", "bias") and kwargs["affine"])
             or (k not in ("weight", "bias") and kwargs["track_running_stats"])}
    return {"args": [array(draw, dtype, (n, f), -high, high, dense=True)], "kwargs": kwargs, "state": state,
            "train": train}


def layer_norm_case(draw, dtype, high):
    n, f = shape(draw)
    kwargs = {"normalized_shape": f, "elementwise_affine": draw(st.booleans()), "dtype": np.dtype(dtype)}
    state = initial_state(draw, "LayerNorm", kwargs, dtype) if kwargs["elementwise_affine"] else {}
    return {"args": [array(draw, dtype, (n, f), -high, high, dense=True)], "kwargs": kwargs, "state": state}


SAMPLES = {
    "elementwise": activation_case,
    "regression": regression_case,
    "probabilities": bce_case,
    "logits": bce_logits_case,
    "class_index": class_index_case,
    "class_index_smoothed": lambda draw, dtype, high: class_index_case(draw, dtype, high, label_smoothing=(0.0, 0.1)),
    "log_probabilities": kl_case,
    "linear": linear_case,
    "dropout": dropout_case,
    "batch_norm": batch_norm_case,
    "layer_norm": layer_norm_case,
}
"""How to draw a case for each input layout (``Entry.sample``): ``(draw, dtype, high) -> case`` in the
registry's case layout, values within ``+-high`` (probabilities and targets within [0, 1])."""

ENTRIES = [e for e in REGISTRY if e.sample]


def agree(entry, kind, dtype, got, want, values_too=True):
    """The properties for one kind's outputs, ``got`` (scratch's) against ``want`` (torch's): dtype,
    finite where torch's are, and (``values_too``) within the policy's tolerance."""
    __tracebackhide__ = True
    tol = tolerance(dtype, kind, entry.tol)
    for key, expected in want.items():
        value = got[key]
        where = f"{entry.name} {kind} {dtype}, item '{key}'"
        assert isinstance(value, (np.ndarray, np.generic)) and value.dtype == np.dtype(dtype), \
            f"{where}: {type(value).__name__} of dtype {getattr(value, 'dtype', None)}, expected {dtype}"
        finite = np.isfinite(expected)
        assert np.all(np.isfinite(value)[finite]), \
            f"{where}: {int(np.sum(~np.isfinite(value) & finite))} values are NaN or inf where torch's are finite"
        problem = compare(value, expected, **tol)[2] if values_too else None
        assert problem is None, f"{where}:\n{problem}"


def check_case(entry, dtype, case, grad_seed, values_too=True, impl=scratch):
    """Forward, then backward under a random ``grad_y`` (and ``param_grad`` where the entry has it),
    each through ``kinds.run`` and judged by ``agree`` against the kind's torch side."""
    __tracebackhide__ = True
    case = {"name": "drawn by hypothesis", **case}
    spec = entry.spec()
    for kind in ("forward", "backward", "param_grad"):
        if kind not in entry.kinds:
            continue
        k = kinds.KINDS[kind]
        before = k.before(spec, case, dtype, np.random.default_rng(grad_seed))
        status, got = kinds.run(impl, spec, kind, case)
        assert status == "ok", f"{entry.name} {kind} {dtype}: {status}: {got}"
        want = {key: v for key, v in k.after(spec, case, dtype, got, before).items() if not isinstance(v, LAWS)}
        agree(entry, kind, dtype, got, want, values_too)


def draw_and_check(entry, dtype, data, impl=scratch):
    """Draw a case for ``entry`` (its values compared only where ``CONDITIONED`` allows) and check it."""
    __tracebackhide__ = True
    conditioned = entry.conditioned
    high = 1000.0 if conditioned is None else data.draw(st.sampled_from((BOUND, 1000.0)), label="bound")
    case = data.draw(st.composite(SAMPLES[entry.sample])(dtype, high), label="case")
    check_case(entry, dtype, case, data.draw(st.integers(0, 2**32 - 1), label="grad_y seed"),
               values_too=conditioned is None or conditioned(case), impl=impl)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
@SETTINGS
@given(data=st.data())
def test_twin_properties(entry, dtype, data):
    draw_and_check(entry, dtype, data)


@pytest.mark.parametrize("mistake", ["Sigmoid upcasts float32", "Softmax without max-subtraction", "ReLU'(0) = 1",
                                     "Linear weight gradient transposed"])
def test_properties_catch_a_wrong_twin(mistake):
    """The same properties, run on a deliberately wrong twin (``wrong.WRONG``), must fail."""
    name, cls, component, _ = WRONG[mistake]
    entry = next(e for e in ENTRIES if e.name == component)

    @settings(SETTINGS, phases=(Phase.generate,))
    @given(data=st.data())
    def properties(data):
        draw_and_check(entry, "float32", data, swap(name, cls))

    with pytest.raises(AssertionError):
        properties()
