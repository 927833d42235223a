"""Each likely cause of ``causes.CAUSES`` is recognised from the numbers of a typical failure.

Every example takes torch's answer for a real check and case and bends it the way the mistake does;
a cause without an example here fails ``test_every_cause_has_an_example``.
"""
import math

import numpy as np
import pytest

from . import causes
from .checks import plan, prepare
from .sandbox import opaque

_CASES = {}


def _setup(check_id, case_index):
    check = plan(check_id)[0]
    if check.id not in _CASES:
        _CASES[check.id] = prepare(check)
    case, want = _CASES[check.id][case_index]
    return check, case, want


def bent(check_id, case_index, bend, key=None):
    """``find``'s answer when the output ``key`` is ``bend(want, case)`` instead of torch's ``want``."""
    def example():
        check, case, want = _setup(check_id, case_index)
        k = key or next(iter(want))
        got = dict(want)
        got[k] = bend(want[k], case)
        return causes.find(check, case, k, got, want, f"case '{case['name']}', item '{k}': ...")
    return example


def trajectory(bend_params=None, bend_loss=None):
    """MLP-SGD with its loss or parameters bent; ``init`` is the flat initial parameter vector."""
    def example():
        check, case, want = _setup("MLP-SGD-model-float64", 0)
        init = np.concatenate([np.ravel(v) for v in case["state"].values()])
        got = {"loss": want["loss"].copy(), "params": want["params"].copy()}
        key = "loss" if bend_loss else "params"
        if bend_loss:
            got["loss"] = bend_loss(got["loss"])
        else:
            got["params"] = bend_params(got["params"], init)
        return causes.find(check, case, key, got, want, "")
    return example


def said(check_id, message):
    def example():
        check, case, _ = _setup(check_id, 0)
        return causes.find(check, case, message=f"case '{case['name']}': {message}")
    return example


def _x(case):
    return case["args"][0]


def _tanh_gelu(w, case):
    x = _x(case)
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _naive_softmax(w, case):
    with np.errstate(all="ignore"):
        e = np.exp(_x(case))
        return e / e.sum(axis=-1, keepdims=True)


def _one_nan(w, case):
    w = w.copy()
    w.flat[3] = np.nan
    return w


def _shift_later_steps(params, init):
    params[1:] += 1e-3
    return params


def _scale_first_update(params, init):
    params[0] = init + 0.1 * (params[0] - init)
    return params


def _perturb_first_update(params, init):
    params[0, ::2] += 1e-3
    return params


def twin(check_id, name, wrong):
    """``find``'s answer for the first failing case of a real wrong twin (``test_conv_layers``'s and
    ``test_recurrent_layers``'s classic mistakes) run through the check."""
    def example():
        from . import test_conv_layers, test_recurrent_layers
        from .checks import InProcess, run_checks
        from .wrong import swap
        cls = getattr(test_conv_layers, wrong, None) or getattr(test_recurrent_layers, wrong)
        found = []

        def explain(*evidence, **named):
            found.append(causes.find(*evidence, **named))
            return None
        rec = run_checks(plan(check_id), InProcess(swap(name, cls)), explain=explain)[0]
        assert rec["status"] == "failed", rec
        return found[0]
    return example


EXAMPLES = {
    "returned None": bent("ReLU-forward-float64", 0, lambda w, case: None),
    "returned a list": bent("ReLU-forward-float64", 0, lambda w, case: w.tolist()),
    "returned a number": bent("MSELoss-forward-float64", 0, lambda w, case: float(w)),
    "returned another type": bent("ReLU-forward-float64", 0, lambda w, case: opaque("Tensor")),
    "transposed": bent("Linear-param_grad-float64", 0, lambda w, case: w.T, key="grad.weight"),
    "loss not reduced": bent("MSELoss-forward-float64", 0, lambda w, case: (case["args"][0] - case["args"][1]) ** 2),
    "axes of size 1": bent("ReLU-forward-float64", 0, lambda w, case: w[..., None]),
    "silent upcasting": bent("ReLU-forward-float32", 0, lambda w, case: w.astype(np.float64)),
    "downcasting": bent("ReLU-forward-float64", 0, lambda w, case: w.astype(np.float32)),
    "integer result": bent("ReLU-backward-float64", 0, lambda w, case: (_x(case) > 0).astype(int)),
    "loss differs before any update": trajectory(bend_loss=lambda loss: loss * 1.01),
    "state between steps": trajectory(_shift_later_steps),
    "first update scaled": trajectory(_scale_first_update),
    "first update differs": trajectory(_perturb_first_update),
    "tanh approximation": bent("GELU-forward-float64", 0, _tanh_gelu),
    "softmax Jacobian diagonal": bent("Softmax-backward-float64", 0, lambda w, case: case["grad_y"] * _softmax(
        _x(case), -1) * (1 - _softmax(_x(case), -1))),
    "softmax axis": bent("Softmax-forward-float64", 0, lambda w, case: _softmax(_x(case), 0)),
    "linear bias": bent("Linear-forward-float64", 0, lambda w, case: w - case["state"]["bias"]),
    "Softplus threshold": bent("Softplus(beta=2.0, threshold=10.0)-forward-float64", 0,
                               lambda w, case: np.log1p(np.exp(2 * _x(case))) / 2),
    "no max-subtraction": bent("Softmax-forward-float64", 1, _naive_softmax),
    "BCELoss log clamp": bent("BCELoss-forward-float64", 0, lambda w, case: np.asarray(np.inf)),
    "non-finite": bent("ReLU-forward-float64", 0, _one_nan),
    "derivative at the kink": bent("ReLU-backward-float64", 1,
                                   lambda w, case: np.where(_x(case) == 0, case["grad_y"], w)),
    "negative branch": bent("LeakyReLU(negative_slope=0.2)-forward-float64", 0,
                            lambda w, case: np.where(_x(case) < 0, 0.01 * _x(case), w)),
    "positive branch": bent("ReLU-forward-float64", 0, lambda w, case: np.where(_x(case) > 0, 2 * _x(case), w)),
    "constant factor": bent("MSELoss-backward-float64", 0, lambda w, case: 40 * w),
    "modifies its input": said("ReLU-forward-float64", "forward modified its input array in place"),
    "weight layout": said("Linear-forward-float64", "raised ValueError: matmul: Input operand 1 has a mismatch "
                                                    "in its core dimension 0 (size 3 is different from 5)"),
    "Sequential backward order": said("MLP-SGD-model-float64", "raised ValueError: matmul: Input operand 1 has a "
                                                               "mismatch in its core dimension 0 (size 32 is "
                                                               "different from 2)"),
    "broadcasting": said("MSELoss-forward-float64", "raised ValueError: operands could not be broadcast together "
                                                    "with shapes (8,5) (8,)"),
    "constructor arguments": said("LeakyReLU(negative_slope=0.2)-forward-float64",
                                  "raised TypeError: LeakyReLU.__init__() got an unexpected keyword argument "
                                  "'negative_slope'"),
    "missing method": said("ReLU-backward-float64", "raised AttributeError: 'ReLU' object has no attribute 'backward'"),
    "state_dict keys": said("Linear-forward-float64", "raised KeyError: 'weight'"),
    "endless loop": said("ReLU-forward-float64",
                         "the submission did not finish within 2 s during this check (an endless loop?)"),
    "memory": said("ReLU-forward-float64", "raised MemoryError: Unable to allocate 2.98 GiB"),
    "overlapping windows": twin("MaxPool2d-backward-float64", "MaxPool2d", "MaxPoolAssigns"),
    "flipped kernel": twin("Conv2d-forward-float64", "Conv2d", "ConvFlipped"),
    "LSTM gate order": twin("LSTM-forward-float64", "LSTM", "LSTMGatesIFOG"),
    "embedding repeated indices": twin("Embedding-param_grad-float64", "Embedding", "EmbeddingAssigns"),
}


def test_every_cause_has_an_example():
    names = [c.name for c in causes.CAUSES]
    assert len(names) == len(set(names)), "cause names must be unique"
    assert set(names) == set(EXAMPLES), f"no example for {sorted(set(names) - set(EXAMPLES))}"


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_cause_recognised(name):
    cause, fields = EXAMPLES[name]()
    assert cause is not None and cause.name == name, f"expected {name!r}, got {cause and cause.name!r}"
    cause.sentence.format(**fields)


@pytest.mark.parametrize("check_id, case_index, factor, why", [
    ("MSELoss-backward-float64", 0, 40, "number of elements (here 40)"),
    ("CrossEntropyLoss-backward-float64", 0, 7, "batch size (here 7)"),
    ("Linear-param_grad-float64", 0, 1 / 8, "where torch sums"),
    ("MSELoss-forward-float64", 0, 5, "every element"),
    ("L1Loss-backward-float64", 0, -1, "sign is flipped"),
    ("MSELoss-forward-float64", 0, 0.5, "1/2 (y - t)^2"),
])
def test_factor_is_named(check_id, case_index, factor, why):
    key = "grad.bias" if "Linear" in check_id else None
    cause, fields = bent(check_id, case_index, lambda w, case: factor * w, key=key)()
    assert cause.name == "constant factor" and why in fields["why"], fields


def test_weighted_and_ignored_means_are_named():
    check, case, want = _setup("CrossEntropyLoss-forward-float64", 3)
    t, w = case["args"][1], case["kwargs"]["weight"]
    k = w[t].sum() / len(t)
    cause, fields = causes.find(check, case, "y", {"y": want["y"] * k}, want)
    assert "sum of the targets' weights" in fields["why"]
    check, case, want = _setup("CrossEntropyLoss-forward-float64", 6)
    t = case["args"][1]
    k = len(t) / (t != -100).sum()
    cause, fields = causes.find(check, case, "y", {"y": want["y"] * k}, want)
    assert "ignore_index" in fields["why"]


def test_a_right_answer_has_no_cause():
    check, case, want = _setup("ReLU-backward-float64", 1)
    assert causes.explain(check, case, "grad_x", dict(want), want) is None
