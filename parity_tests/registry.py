"""The one registry: every component, its input domain, and the checks that apply to it.

An entry is data. Adding a component means its class in ``scratch``, its torch twin in
``reference.TWINS`` and one entry here; the tests, ``twinnet parity``, ``twinnet verify`` and
``twinnet bench`` all read this list. A domain maps ``(rng, dtype)`` to a list of cases; a case is a
dict of inputs (``args``, and optionally ``kwargs``, ``state``, ``train``, ``grad_y``) with a ``name``.
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .kinds import DTYPES, KINDS


@dataclass(frozen=True)
class Entry:
    """One component under test: every fact about it that a check, a test, the template or a likely
    cause needs.

    name : display name and test id (``LeakyReLU(negative_slope=0.2)``).
    category : {'activation', 'loss', 'layer', 'init', 'optimizer', 'scheduler', 'utility', 'model', 'trainer'}.
    cls : the contract name the implementation must define.
    domain : ``(rng, dtype) -> list of cases``, or a dict of those keyed by kind id (``ByKind``).
    kinds : the ids of the check kinds that apply (``parity_tests.kinds.KINDS``).
    kwargs : constructor arguments shared by every case.
    functional : the tutorials' function name (``relu``) accepted in place of the class.
    kinks : ``kwargs -> points`` where the derivative jumps, besides 0 (the gradcheck domain keeps off
        them; a failure only there is named as a kink mistake).
    sample : how the property tests draw inputs for it (``test_properties.SAMPLES``), by input layout.
    conditioned : ``case -> bool``, the draws whose values the property tests compare with torch's
        (sums of signed terms and normalised spreads lose digits elsewhere); None for all of them.
    nested : forward returns a tuple (an LSTM's ``(output, (h_n, c_n))``), judged item by item.
    grad_inputs : 'all' when backward returns the gradient of every positional input (a tuple), not of
        the first alone.
    tol : tolerance overrides (see ``tolerances.tolerance``), with the reason in a comment beside it.
    dtypes : the dtypes it is checked in (a kind may narrow them further).
    """

    name: str
    category: str
    cls: str
    domain: Callable
    kinds: tuple = ("forward", "backward")
    kwargs: dict = field(default_factory=dict)
    functional: str = None
    kinks: Callable = None
    sample: str = None
    conditioned: Callable = None
    nested: bool = False
    grad_inputs: str = None
    tol: dict = None
    dtypes: tuple = DTYPES

    def dtypes_for(self, kind):
        """The dtypes ``kind`` is checked in: ``dtypes``, less those the kind rules out."""
        return tuple(d for d in self.dtypes if d in KINDS[kind].dtypes)

    def domain_for(self, kind):
        """The domain of ``kind``: ``domain`` itself, or its entry when it is a dict keyed by kind."""
        return self.domain[kind] if isinstance(self.domain, dict) else self.domain

    def kinks_at(self, kwargs=None):
        """The kinks for the constructor arguments ``kwargs`` (the entry's own by default), 0 among them."""
        return (0.0, *(self.kinks({**self.kwargs, **(kwargs or {})}) if self.kinks else ()))

    def spec(self):
        """What the implementation's side needs, picklable for a child process."""
        return {"cls": self.cls, "category": self.category, "kwargs": dict(self.kwargs),
                "functional": self.functional, "nested": self.nested, "grad_inputs": self.grad_inputs}


SPECIAL = [0.0, -0.0, 1e-7, -1e-7, 0.5, -0.5, 1.0, -1.0, 2.0, -3.0,
           20.0, -20.0, 20.5, 50.0, -50.0, 1000.0, -1000.0]


def activation_domain(*extra):
    """Random values, and one sample (batch size 1) of special points: zeros, kinks, +-50, +-1000."""
    def domain(rng, dtype):
        special = np.array([SPECIAL + list(extra)])
        return [{"name": "random (16, 8)", "args": [(3 * rng.standard_normal((16, 8))).astype(dtype)]},
                {"name": "special points, batch size 1", "args": [special.astype(dtype)]},
                {"name": "3-D (2, 3, 5)", "args": [(3 * rng.standard_normal((2, 3, 5))).astype(dtype)]}]
    return domain


def _reductions(cases, reductions=("mean", "sum", "none")):
    return [{**case, "name": f"{case['name']}, reduction={r}",
             "kwargs": {**case.get("kwargs", {}), "reduction": r}}
            for case in cases for r in reductions]


def regression_domain(rng, dtype):
    x = rng.standard_normal((8, 5))
    t = rng.standard_normal((8, 5))
    t[0, :3] = x[0, :3]
    t[1, :2] = x[1, :2] - 1.0
    t[1, 2:4] = x[1, 2:4] + 1.0
    one = rng.standard_normal((1, 3))
    return _reductions([{"name": "random with ties and |d| = 1", "args": [x.astype(dtype), t.astype(dtype)]},
                        {"name": "batch size 1", "args": [one.astype(dtype), (one + 2).astype(dtype)]}])


def regression_domain_at(threshold):
    """Random pairs with ties at ``|d| = threshold`` (where an option off its default, Huber's delta or
    SmoothL1's beta, moves the kink), and batch size 1."""
    def domain(rng, dtype):
        x = rng.standard_normal((8, 5))
        t = rng.standard_normal((8, 5))
        t[0, :3] = x[0, :3]
        t[1, :2] = x[1, :2] - threshold
        t[1, 2:4] = x[1, 2:4] + threshold
        one = rng.standard_normal((1, 3))
        return _reductions([{"name": f"random with ties and |d| = {threshold:g}", "args": [x.astype(dtype), t.astype(dtype)]},
                            {"name": "batch size 1", "args": [one.astype(dtype), (one + 2 * threshold).astype(dtype)]}])
    return domain


def bce_domain(rng, dtype):
    p = 1 / (1 + np.exp(-2 * rng.standard_normal((6, 4))))
    p[0, :4] = [0.0, 1.0, 0.0, 1.0]
    t = (rng.random((6, 4)) > 0.5).astype(float)
    t[0, :4] = [0.0, 1.0, 1.0, 0.0]
    soft = rng.random((6, 4))
    w = rng.random(4) + 0.5
    cases = [{"name": "probabilities 0 and 1, hard targets", "args": [p.astype(dtype), t.astype(dtype)]},
             {"name": "soft targets", "args": [p.astype(dtype), soft.astype(dtype)]},
             {"name": "weight", "args": [p.astype(dtype), t.astype(dtype)], "kwargs": {"weight": w.astype(dtype)}}]
    return _reductions(cases)


def bce_logits_domain(rng, dtype):
    z = 3 * rng.standard_normal((6, 4))
    z[0] = [1000.0, -1000.0, 50.0, -50.0]
    t = (rng.random((6, 4)) > 0.5).astype(float)
    t[0] = [0.0, 1.0, 0.0, 1.0]
    w = rng.random(4) + 0.5
    pw = rng.random(4) * 3
    cases = [{"name": "logits +-1000", "args": [z.astype(dtype), t.astype(dtype)]},
             {"name": "soft targets", "args": [z.astype(dtype), rng.random((6, 4)).astype(dtype)]},
             {"name": "weight and pos_weight", "args": [z.astype(dtype), t.astype(dtype)],
              "kwargs": {"weight": w.astype(dtype), "pos_weight": pw.astype(dtype)}}]
    return _reductions(cases)


def _logits(rng, shape):
    z = 3 * rng.standard_normal(shape)
    z.reshape(-1)[:4] = [1000.0, -1000.0, 50.0, -50.0]
    return z


def cross_entropy_domain(rng, dtype):
    n, c = 7, 5
    z = _logits(rng, (n, c))
    t = rng.integers(0, c, n)
    ignored = t.copy()
    ignored[[1, 4]] = -100
    probs = rng.random((n, c))
    probs /= probs.sum(axis=1, keepdims=True)
    w = (rng.random(c) + 0.5).astype(dtype)
    z3 = _logits(rng, (3, c, 4))
    cases = [{"name": "class indices", "args": [z.astype(dtype), t]},
             {"name": "weight", "args": [z.astype(dtype), t], "kwargs": {"weight": w}},
             {"name": "ignore_index", "args": [z.astype(dtype), ignored]},
             {"name": "weight, ignore_index, label_smoothing=0.2", "args": [z.astype(dtype), ignored],
              "kwargs": {"weight": w, "label_smoothing": 0.2}},
             {"name": "class probabilities", "args": [z.astype(dtype), probs.astype(dtype)]},
             {"name": "class probabilities, weight, label_smoothing=0.1", "args": [z.astype(dtype), probs.astype(dtype)],
              "kwargs": {"weight": w, "label_smoothing": 0.1}},
             {"name": "(N, C, d) input", "args": [z3.astype(dtype), rng.integers(0, c, (3, 4))]},
             {"name": "(C,) input", "args": [z[0].astype(dtype), np.array(2)]},
             {"name": "batch size 1", "args": [z[:1].astype(dtype), t[:1]]}]
    return _reductions(cases)


def nll_domain(rng, dtype):
    n, c = 7, 5
    z = 3 * rng.standard_normal((n, c))
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    t = rng.integers(0, c, n)
    ignored = t.copy()
    ignored[[0, 3]] = -100
    w = (rng.random(c) + 0.5).astype(dtype)
    z3 = 3 * rng.standard_normal((3, c, 4))
    cases = [{"name": "class indices", "args": [logp.astype(dtype), t]},
             {"name": "weight, ignore_index", "args": [logp.astype(dtype), ignored], "kwargs": {"weight": w}},
             {"name": "(N, C, d) input", "args": [z3.astype(dtype), rng.integers(0, c, (3, 4))]},
             {"name": "batch size 1", "args": [logp[:1].astype(dtype), t[:1]]}]
    return _reductions(cases)


def kl_domain(rng, dtype):
    z = rng.standard_normal((6, 4))
    logq = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    p = rng.random((6, 4))
    p /= p.sum(axis=1, keepdims=True)
    p[0, 0] = 0.0
    cases = [{"name": "probability target", "args": [logq.astype(dtype), p.astype(dtype)]},
             {"name": "log_target=True", "args": [logq.astype(dtype), np.log(p + 0.1).astype(dtype)],
              "kwargs": {"log_target": True}}]
    return _reductions(cases, ("mean", "batchmean", "sum", "none"))


def linear_domain(rng, dtype):
    def case(name, x_shape, bias=True):
        n_in, n_out = x_shape[-1], 3
        state = {"weight": rng.uniform(-1, 1, (n_out, n_in)).astype(dtype)}
        if bias:
            state["bias"] = rng.uniform(-1, 1, n_out).astype(dtype)
        return {"name": name, "args": [rng.standard_normal(x_shape).astype(dtype)], "state": state,
                "kwargs": {"in_features": n_in, "out_features": n_out, "bias": bias, "dtype": np.dtype(dtype)}}
    return [case("batch 8", (8, 5)), case("batch size 1", (1, 4)), case("bias=False", (6, 5), bias=False),
            case("3-D input (2, 4, 5)", (2, 4, 5))]


class ByKind(dict):
    """A domain per check kind: the kinds named, and ``default`` for every other kind."""

    def __init__(self, default, **kinds):
        super().__init__(kinds)
        self.default = default

    def __missing__(self, kind):
        return self.default


def smooth(domain, kinks=(), clip=None, of_difference=False, margin=1e-3):
    """``domain`` made fit for central differences (``gradcheck``): the differentiated input ``args[0]``
    clipped into ``clip`` (where the difference quotient keeps its digits) and moved at least ``margin``
    away from each of ``kinks`` -- the kinks of ``args[0] - args[1]`` when ``of_difference`` (a loss of
    input minus target) -- so no step of 1e-6 straddles a kink."""
    def smoothed(rng, dtype):
        cases = domain(rng, dtype)
        for case in cases:
            x = np.asarray(case["args"][0], dtype=np.float64)
            x = np.clip(x, *clip) if clip else x
            base = np.asarray(case["args"][1], dtype=np.float64) if of_difference else 0.0
            d = x - base
            for k in kinks:
                d = np.where(np.abs(d - k) < margin, k + np.where(d >= k, margin, -margin), d)
            case["args"] = [(base + d).astype(dtype), *case["args"][1:]]
            case["name"] += ", off the kinks" if kinks else ""
        return cases
    return smoothed


def dropout_domain(rng, dtype):
    """Train mode at several p (the keep-mask replayed on torch's side), p = 0 and p = 1, eval mode."""
    def case(name, x, p, train=True):
        return {"name": name, "args": [x.astype(dtype)], "kwargs": {"p": p}, "train": train,
                "seed": int(rng.integers(2**31)), "replay": ["mask"]}
    return [case("p=0.5, (16, 8)", rng.standard_normal((16, 8)), 0.5),
            case("p=0.2, 3-D (2, 3, 5)", rng.standard_normal((2, 3, 5)), 0.2),
            case("p=0.9, special points, batch size 1", np.array([SPECIAL]), 0.9),
            case("p=0 keeps everything", rng.standard_normal((6, 4)), 0.0),
            case("p=1 drops everything", rng.standard_normal((6, 4)), 1.0),
            case("eval mode, p=0.5", rng.standard_normal((6, 4)), 0.5, train=False)]


def dropout_draws_domain(rng, dtype):
    """Ones through Dropout on large inputs: each element must be kept with probability 1 - p."""
    return [{"name": f"p={p}, {shape}", "args": [np.ones(shape, dtype=dtype)], "kwargs": {"p": p},
             "seed": int(rng.integers(2**31)), "law": {"y": ("binomial", 1 - p)}}
            for p, shape in ((0.5, (1000, 100)), (0.2, (200, 10, 50)), (0.9, (1000, 100)))]


def _affine_state(rng, shape, dtype):
    return {"weight": rng.uniform(0.5, 1.5, shape).astype(dtype), "bias": rng.uniform(-0.5, 0.5, shape).astype(dtype)}


def _running_state(rng, c, dtype, tracked=3):
    return {"running_mean": (0.5 * rng.standard_normal(c)).astype(dtype),
            "running_var": rng.uniform(0.5, 2.0, c).astype(dtype), "num_batches_tracked": np.array(tracked)}


def batch_norm_domain(gradcheck=False):
    """BatchNorm1d in training and eval mode, 2-D and 3-D, each option; channels with their own mean
    and scale; batch size 1 where the statistics still have more than one value (or come from the
    running buffers). Not for ``gradcheck``: batch size 2 (the output is +-1 whatever the input, its
    gradient ~1e-5 is round-off to central differences) and, in float64 only, inputs of mean 100 and
    1000 (cancellation; torch's own float32 kernel is ~1e-5 off there, no oracle for float32)."""
    def domain(rng, dtype):
        def case(name, shape, train=True, loc=0.0, **kwargs):
            c = shape[1]
            kwargs = {"num_features": c, "dtype": np.dtype(dtype), **kwargs}
            state = {**(_affine_state(rng, c, dtype) if kwargs.get("affine", True) else {}),
                     **(_running_state(rng, c, dtype) if kwargs.get("track_running_stats", True) else {})}
            scale = rng.uniform(0.5, 3.0, c).reshape((1, c) + (1,) * (len(shape) - 2))
            x = loc + scale * rng.standard_normal(shape) + rng.standard_normal(scale.shape)
            return {"name": name, "args": [x.astype(dtype)], "kwargs": kwargs, "state": state, "train": train}
        cases = [case("training, (16, 5)", (16, 5)), case("training, 3-D (4, 5, 7)", (4, 5, 7)),
                 case("eval, running statistics", (16, 5), train=False),
                 case("eval, 3-D (4, 5, 7)", (4, 5, 7), train=False),
                 case("momentum=None", (16, 5), momentum=None), case("momentum=0.3, eps=1e-3", (8, 3), momentum=0.3, eps=1e-3),
                 case("affine=False", (16, 5), affine=False), case("affine=False, eval", (8, 4), train=False, affine=False),
                 case("track_running_stats=False", (16, 5), track_running_stats=False),
                 case("track_running_stats=False, eval", (8, 5), train=False, track_running_stats=False),
                 case("batch size 1, 3-D (1, 4, 6)", (1, 4, 6)), case("eval, batch size 1", (1, 4), train=False)]
        if not gradcheck:
            cases.append(case("batch size 2", (2, 4)))
        if not gradcheck and dtype == np.float64:
            cases += [case("mean 100", (32, 4), loc=100.0), case("mean 1000, eval", (8, 4), train=False, loc=1000.0)]
        return cases
    return domain


def batch_norm_state_domain(rng, dtype):
    """Several forwards in a row (training, an eval one between, training again): the running
    statistics, the unbiased variance, ``num_batches_tracked`` after each."""
    def case(name, shape, trains=(True,) * 4 + (False,) + (True,) * 3, **kwargs):
        c = shape[1]
        steps = [{"x": (2.0 + 3.0 * rng.standard_normal(shape)).astype(dtype), "train": t} for t in trains]
        kwargs = {"num_features": c, "dtype": np.dtype(dtype), **kwargs}
        return {"name": name, "kwargs": kwargs, "steps": steps}
    return [case("momentum=0.1, (16, 5)", (16, 5)), case("momentum=None (cumulative average)", (16, 5), momentum=None),
            case("3-D (4, 3, 6), momentum=0.5", (4, 3, 6), momentum=0.5), case("batch size 2", (2, 3)),
            case("affine=False", (8, 3), affine=False),
            case("track_running_stats=False", (8, 3), track_running_stats=False)]


def layer_norm_domain(gradcheck=False):
    """LayerNorm over the last dim and over the last two, with and without ``elementwise_affine``,
    batch size 1; in float64, not for ``gradcheck``, inputs of mean 1000 (cancellation; torch's own
    float32 kernel is ~1e-5 off there)."""
    def domain(rng, dtype):
        def case(name, shape, normalized_shape, loc=0.0, **kwargs):
            kwargs = {"normalized_shape": normalized_shape, "dtype": np.dtype(dtype), **kwargs}
            shape_ = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
            state = _affine_state(rng, shape_, dtype) if kwargs.get("elementwise_affine", True) else {}
            x = loc + 2.0 * rng.standard_normal(shape) + rng.standard_normal(shape[:-1] + (1,))
            return {"name": name, "args": [x.astype(dtype)], "kwargs": kwargs, "state": state}
        cases = [case("(8, 5)", (8, 5), 5), case("3-D (2, 3, 4), normalized_shape=(3, 4)", (2, 3, 4), (3, 4)),
                 case("elementwise_affine=False", (6, 7), 7, elementwise_affine=False),
                 case("eps=1e-2, batch size 1", (1, 6), 6, eps=1e-2)]
        if not gradcheck and dtype == np.float64:
            cases.append(case("mean 1000", (4, 8), 8, loc=1000.0))
        return cases
    return domain


def linear_init_domain(rng, dtype):
    """A new Linear's weight and bias, torch's default initialisation (uniform in +-1/sqrt(in_features))."""
    return [{"name": f"Linear({n_in}, {n_out})", "kwargs": {"in_features": n_in, "out_features": n_out,
                                                             "dtype": np.dtype(dtype)},
             "seed": int(rng.integers(2**31)), "law": {"weight": "uniform", "bias": "uniform"}}
            for n_in, n_out in ((512, 256), (64, 4096))]


def init_domain(law, *variants):
    """One case per ``(shape, kwargs)`` of ``variants``: an array of that shape filled by the init function.
    With a ``law`` ('uniform' or 'normal') the fill is random: seeded, judged against torch's draws."""
    def domain(rng, dtype):
        cases = []
        for shape, kwargs in variants:
            case = {"name": f"{shape}" + "".join(f", {k}={v!r}" for k, v in kwargs.items()), "shape": shape,
                    "dtype": np.dtype(dtype).name, "kwargs": kwargs}
            if law:
                case.update(seed=int(rng.integers(2**31)), law={"tensor": law})
            cases.append(case)
        return cases
    return domain


GAINS = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose1d", None),
         ("conv_transpose2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
         ("relu", None), ("relu", 0.5), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0),
         ("leaky_relu", 3), ("leaky_relu", True), ("leaky_relu", "0.2"), ("selu", None), ("relu6", None),
         ("softmax", None)]
"""Every nonlinearity torch's ``calculate_gain`` knows, leaky_relu's ``param`` as None, float, int, bool
and str (the last two are ValueErrors), and names it does not know (ValueErrors)."""


def gain_domain(rng, dtype):
    return [{"name": "every nonlinearity", "gains": GAINS}]


def _layer(cls, seed=None, replay=None, **kwargs):
    layer = {"cls": cls, "kwargs": kwargs}
    layer.update({k: v for k, v in (("seed", seed), ("replay", replay)) if v is not None})
    return layer


INITIAL_STATE = {
    "Linear": lambda rng, kw, dtype: {
        "weight": rng.uniform(-1, 1, (kw["out_features"], kw["in_features"])) / np.sqrt(kw["in_features"]),
        "bias": rng.uniform(-1, 1, kw["out_features"]) / np.sqrt(kw["in_features"])},
    "BatchNorm1d": lambda rng, kw, dtype: {**_affine_state(rng, kw["num_features"], dtype),
                                           **_running_state(rng, kw["num_features"], dtype, tracked=0)},
    "LayerNorm": lambda rng, kw, dtype: _affine_state(rng, kw["normalized_shape"], dtype),
    "Conv2d": lambda rng, kw, dtype: {
        "weight": rng.uniform(-1, 1, (kw["out_channels"], kw["in_channels"], kw["kernel_size"], kw["kernel_size"]))
        / np.sqrt(kw["in_channels"] * kw["kernel_size"] ** 2),
        "bias": rng.uniform(-1, 1, kw["out_channels"]) / np.sqrt(kw["in_channels"] * kw["kernel_size"] ** 2)},
    "BatchNorm2d": lambda rng, kw, dtype: {**_affine_state(rng, kw["num_features"], dtype),
                                           **_running_state(rng, kw["num_features"], dtype, tracked=0)},
}
"""Starting weights and buffers of a model's layers, by class (layers without state are absent)."""


def _breast_cancer():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return "breast_cancer", (X - X.mean(axis=0)) / X.std(axis=0), y


def _digit_images():
    """scikit-learn's 8x8 digits as (N, 1, 8, 8) images scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return "digits 8x8", (X / 16.0).reshape(-1, 1, 8, 8), y


def model_domain(layers, optimizer, steps=100, batch_size=32, data=_breast_cancer):
    """Lockstep training of the network ``layers(dtype, rng)`` (a list of ``_layer``) on ``data()``
    (breast_cancer, standardised, by default): fixed minibatches, given starting weights, ``optimizer`` =
    SGD's arguments; Dropout's masks are replayed on torch's side step by step, and the eval-mode
    outputs are compared at the end."""
    def domain(rng, dtype):
        name, X, y = data()
        net = layers(np.dtype(dtype), rng)
        state = {f"{i}.{k}": np.asarray(v).astype(dtype if np.asarray(v).dtype.kind == "f" else np.int64)
                 for i, layer in enumerate(net) if layer["cls"] in INITIAL_STATE
                 for k, v in INITIAL_STATE[layer["cls"]](rng, layer["kwargs"], dtype).items()}
        batches = [rng.choice(len(X), batch_size, replace=False) for _ in range(steps)]
        return [{"name": f"{steps} steps, batch {batch_size}, {name}, SGD {optimizer}", "X": X.astype(dtype),
                 "y": y, "layers": net, "state": state, "batches": batches, "optimizer": optimizer}]
    return domain


def batch_norm_dropout_mlp(dtype, rng):
    return [_layer("Linear", in_features=30, out_features=32, dtype=dtype), _layer("BatchNorm1d", num_features=32, dtype=dtype),
            _layer("ReLU"), _layer("Dropout", p=0.2, seed=int(rng.integers(2**31)), replay="mask"),
            _layer("Linear", in_features=32, out_features=16, dtype=dtype), _layer("BatchNorm1d", num_features=16, dtype=dtype),
            _layer("ReLU"), _layer("Dropout", p=0.1, seed=int(rng.integers(2**31)), replay="mask"),
            _layer("Linear", in_features=16, out_features=2, dtype=dtype)]


def small_cnn(dtype, rng):
    """Conv2d, BatchNorm2d, ReLU, MaxPool2d, then again, Flatten and Linear: 8x8 digits to 10 classes."""
    return [_layer("Conv2d", in_channels=1, out_channels=4, kernel_size=3, padding=1, dtype=dtype),
            _layer("BatchNorm2d", num_features=4, dtype=dtype), _layer("ReLU"), _layer("MaxPool2d", kernel_size=2),
            _layer("Conv2d", in_channels=4, out_channels=8, kernel_size=3, padding=1, dtype=dtype),
            _layer("BatchNorm2d", num_features=8, dtype=dtype), _layer("ReLU"), _layer("MaxPool2d", kernel_size=2),
            _layer("Flatten"), _layer("Linear", in_features=32, out_features=10, dtype=dtype)]


TEXT = """a twin is checked against its twin, step by step; a gradient that is right at every step
keeps both trajectories together, and one that is wrong at a single step parts them for good. the
network reads one character at a time and guesses the next, so the loss it starts from is the log of
the number of characters it knows."""
"""The language model's text: next-character prediction over its own alphabet."""


def language_model_domain(steps=50, batch_size=8, length=16, embed=8, hidden=16):
    """An Embedding-LSTM-Linear language model on ``TEXT``: ``steps`` SGD steps on random windows of
    ``length`` characters, starting weights in torch's initialisation."""
    def domain(rng, dtype):
        alphabet = sorted(set(TEXT))
        ids = np.array([alphabet.index(ch) for ch in TEXT])
        starts = np.arange(0, len(ids) - length - 1, 3)
        tokens = np.stack([ids[s:s + length + 1] for s in starts]).astype(np.int64)
        v, bound = len(alphabet), 1 / np.sqrt(hidden)
        state = {"0.weight": rng.standard_normal((v, embed))}
        for name, shape in (("weight_ih_l0", (4 * hidden, embed)), ("weight_hh_l0", (4 * hidden, hidden)),
                            ("bias_ih_l0", (4 * hidden,)), ("bias_hh_l0", (4 * hidden,))):
            state[f"1.{name}"] = rng.uniform(-bound, bound, shape)
        state["2.weight"] = rng.uniform(-bound, bound, (v, hidden))
        state["2.bias"] = rng.uniform(-bound, bound, v)
        batches = [rng.choice(len(tokens), batch_size, replace=False) for _ in range(steps)]
        return [{"name": f"{steps} steps, batch {batch_size} x {length} characters, vocabulary {v}",
                 "tokens": tokens, "vocab": v, "embed": embed, "hidden": hidden, "dtype": np.dtype(dtype),
                 "state": {k: a.astype(dtype) for k, a in state.items()}, "batches": batches,
                 "optimizer": {"lr": 0.5, "momentum": 0.9}}]
    return domain


def layer_norm_mlp(dtype, rng):
    return [_layer("Linear", in_features=30, out_features=32, dtype=dtype), _layer("LayerNorm", normalized_shape=32, dtype=dtype),
            _layer("Tanh"), _layer("Linear", in_features=32, out_features=16, dtype=dtype),
            _layer("LayerNorm", normalized_shape=16, dtype=dtype), _layer("GELU"),
            _layer("Linear", in_features=16, out_features=2, dtype=dtype)]


def training_domain(optimizer, steps=200, batch_size=32, sizes=(30, 32, 16, 2)):
    """Minibatch training of an MLP on breast_cancer (shipped with scikit-learn), standardised; fixed
    batches and torch-style initial weights; ``optimizer`` holds the optimizer's arguments."""
    def domain(rng, dtype):
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
        X = (X - X.mean(axis=0)) / X.std(axis=0)
        state = {}
        for i in range(len(sizes) - 1):
            bound = 1 / np.sqrt(sizes[i])
            state[f"{2 * i}.weight"] = rng.uniform(-bound, bound, (sizes[i + 1], sizes[i])).astype(dtype)
            state[f"{2 * i}.bias"] = rng.uniform(-bound, bound, sizes[i + 1]).astype(dtype)
        batches = [rng.choice(len(X), batch_size, replace=False) for _ in range(steps)]
        return [{"name": f"{steps} steps, batch {batch_size}, breast_cancer, {optimizer}", "X": X.astype(dtype),
                 "y": y, "sizes": sizes, "state": state, "batches": batches, "optimizer": optimizer}]
    return domain


def _torch_style_state(rng, sizes, dtype, scale=1.0):
    state = {}
    for i in range(len(sizes) - 1):
        bound = scale / np.sqrt(sizes[i])
        state[f"{2 * i}.weight"] = rng.uniform(-bound, bound, (sizes[i + 1], sizes[i])).astype(dtype)
        state[f"{2 * i}.bias"] = rng.uniform(-bound, bound, sizes[i + 1]).astype(dtype)
    return state


def predict_proba_domain(rng, dtype):
    """Networks with given weights on standardised data sets shipped with scikit-learn: 3, 10 and 2
    classes, each hidden activation sklearn's ``MLPClassifier`` has, saturated logits, batch size 1."""
    from sklearn import datasets

    def standard(X):
        return ((X - X.mean(axis=0)) / np.maximum(X.std(axis=0), 1e-12)).astype(dtype)

    iris = standard(datasets.load_iris().data)
    digits = standard(datasets.load_digits().data[:200])
    cancer = standard(datasets.load_breast_cancer().data[:200])

    def case(name, X, sizes, activation, scale=1.0):
        return {"name": name, "X": X, "sizes": sizes, "activation": activation,
                "state": _torch_style_state(rng, sizes, dtype, scale)}
    return [case("iris, 3 classes, ReLU, hidden (16, 8)", iris, (4, 16, 8, 3), "ReLU"),
            case("iris, saturated logits (weights x 40), Tanh", iris, (4, 16, 3), "Tanh", scale=40.0),
            case("digits, 10 classes, Tanh, hidden (32,)", digits, (64, 32, 10), "Tanh"),
            case("breast_cancer, 2 classes, Sigmoid, hidden (8,)", cancer, (30, 8, 2), "Sigmoid"),
            case("batch size 1, Identity, hidden (5, 4)", iris[:1], (4, 5, 4, 3), "Identity")]


def optimizer_domain(grid, steps=8):
    """One case per option set of ``grid``: three parameters (one whose grad stays None), ``steps``
    random gradients; then per-group options with the last set."""
    def domain(rng, dtype):
        def case(name, kwargs, **extra):
            params = [rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(2)]
            grads = [[rng.standard_normal(p.shape).astype(dtype) for p in params[:2]] + [None]
                     for _ in range(steps)]
            return {"name": name, "params": [p.astype(dtype) for p in params], "grads": grads,
                    "kwargs": kwargs, **extra}
        cases = [case(", ".join(f"{k}={v}" for k, v in kw.items()) or "defaults", kw) for kw in grid]
        cases.append(case(f"param groups, {grid[-1]}", grid[-1],
                          groups=[{"params": [0], "lr": 0.05}, {"params": [1, 2]}]))
        return cases
    return domain


def resume_domain(kwargs, steps=8):
    """``kwargs``'s steps resumed from ``state_dict`` after step 4 into a new optimizer."""
    def domain(rng, dtype):
        params = [rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(2)]
        grads = [[rng.standard_normal(p.shape).astype(dtype) for p in params[:2]] + [None] for _ in range(steps)]
        return [{"name": f"resumed from state_dict after step 4, {kwargs}", "params": [p.astype(dtype) for p in params],
                 "grads": grads, "kwargs": kwargs, "resume_at": 4}]
    return domain


def scheduler_domain(*variants, epochs=100):
    """One case per ``(kwargs, extra)`` variant: two param groups, ``epochs`` scheduler steps."""
    def domain(rng, dtype):
        return [{"name": ", ".join(f"{k}={v}" for k, v in kwargs.items()), "lrs": [0.1, 0.03], "epochs": epochs,
                 "kwargs": kwargs, **extra} for kwargs, extra in variants]
    return domain


def plateau_metrics(rng, n=100):
    """Losses that fall, then wander on plateaus, so ReduceLROnPlateau both waits and cuts."""
    return np.concatenate([np.linspace(1.0, 0.5, 20), 0.5 + 0.01 * rng.random(30),
                           np.linspace(0.5, 0.3, 10), 0.3 + 0.01 * rng.random(n - 60)])


def plateau_domain(rng, dtype):
    m = plateau_metrics(rng)
    variants = [{"factor": 0.5, "patience": 3},
                {"mode": "max", "factor": 0.3, "patience": 2, "threshold": 0.05, "threshold_mode": "abs"},
                {"factor": 0.5, "patience": 2, "cooldown": 3, "min_lr": 0.01, "eps": 1e-3}]
    return [{"name": ", ".join(f"{k}={v}" for k, v in kw.items()), "lrs": [0.1, 0.03], "epochs": len(m),
             "kwargs": kw, "metrics": m if kw.get("mode") != "max" else -m} for kw in variants]


def clip_domain(*variants):
    def domain(rng, dtype):
        grads = [rng.standard_normal((3, 4)), rng.standard_normal(5), np.zeros((2, 2))]
        return [{"name": ", ".join(f"{k}={v}" for k, v in kw.items()), "kwargs": kw,
                 "grads": [g.astype(dtype) for g in grads]} for kw in variants]
    return domain


def defaults(cls):
    """The constructor defaults of scratch's ``cls`` (torch's, by the contract)."""
    import inspect

    import scratch
    return {k: p.default for k, p in inspect.signature(getattr(scratch, cls)).parameters.items()
            if p.default is not inspect.Parameter.empty}


def _hardtanh_kinks(kw):
    return kw["min_val"], kw["max_val"]


def _softplus_kinks(kw):
    return (kw["threshold"] / kw["beta"],)


def _activation(name, functional=None, extra=(), kinks=None, **kwargs):
    """An activation entry: random values and the special points (with ``extra`` ones), elementwise."""
    label = name + (f"({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})" if kwargs else "")
    domain = ByKind(activation_domain(*extra),
                    gradcheck=smooth(activation_domain(*extra), kinks=SPECIAL + list(extra), clip=(-30.0, 30.0)))
    return Entry(label, "activation", name, domain, kinds=("forward", "backward", "gradcheck"), kwargs=kwargs,
                 functional=functional, sample="elementwise",
                 kinks=kinks and (lambda kw: kinks({**defaults(name), **kw})))


def _loss(name, domain, sample, conditioned=None, kwargs=None, **smoothing):
    """A loss entry (with constructor ``kwargs`` off their defaults, named like ``HuberLoss(delta=0.5)``);
    ``smoothing`` (see ``smooth``) keeps its gradcheck inputs off its kinks."""
    kwargs = kwargs or {}
    label = name + (f"({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})" if kwargs else "")
    return Entry(label, "loss", name, ByKind(domain, gradcheck=smooth(domain, **smoothing)),
                 kinds=("forward", "backward", "gradcheck"), kwargs=kwargs, sample=sample, conditioned=conditioned)


BOUND, MIN_STD = 4.0, 0.1


def within_bound(case):
    """Inputs within +-``BOUND``: a sum of signed terms (a matrix product, KLDivLoss's sum) keeps its
    digits relative to the result."""
    return bool(np.all(np.abs(case["args"][0]) <= BOUND))


def spread(axis):
    """Within +-``BOUND``, and every group normalised by its own statistics (over ``axis``) has a standard
    deviation of at least ``MIN_STD``, so ``1/sqrt(var + eps)`` amplifies round-off at most 10 times."""
    def conditioned(case):
        x = np.asarray(case["args"][0], dtype=np.float64)
        running = not case.get("train", True) and case["kwargs"].get("track_running_stats", False)
        return within_bound(case) and (running or bool(np.all(x.std(axis=axis) >= MIN_STD)))
    return conditioned


REGISTRY = [
    _activation("Identity"),
    _activation("ReLU", functional="relu"),
    _activation("LeakyReLU", functional="leaky_relu"),
    _activation("LeakyReLU", negative_slope=0.2),
    _activation("ELU", functional="elu"),
    _activation("ELU", alpha=0.5),
    _activation("SELU"),
    _activation("CELU"),
    _activation("CELU", alpha=2.0),
    _activation("GELU", functional="gelu"),
    _activation("GELU", approximate="tanh"),
    _activation("Sigmoid", functional="sigmoid"),
    _activation("Tanh", functional="tanh"),
    _activation("Softplus", functional="softplus", kinks=_softplus_kinks),
    _activation("Softplus", beta=2.0, threshold=10.0, extra=(5.0, 5.25), kinks=_softplus_kinks),
    _activation("SiLU"),
    _activation("Mish"),
    _activation("Hardtanh", kinks=_hardtanh_kinks),
    _activation("Hardtanh", min_val=-2.0, max_val=0.5, extra=(-2.0,), kinks=_hardtanh_kinks),
    _activation("Softsign"),
    _activation("Softmax", functional="softmax"),
    _activation("Softmax", dim=0),
    _activation("LogSoftmax"),
    _activation("LogSoftmax", dim=1),
    _loss("MSELoss", regression_domain, "regression"),
    _loss("L1Loss", regression_domain, "regression", kinks=(0.0,), of_difference=True),
    _loss("HuberLoss", regression_domain, "regression", kinks=(0.0, 1.0, -1.0), of_difference=True),
    _loss("SmoothL1Loss", regression_domain, "regression", kinks=(0.0, 1.0, -1.0), of_difference=True),
    _loss("HuberLoss", regression_domain_at(0.5), "regression", kwargs={"delta": 0.5}, kinks=(0.0, 0.5, -0.5),
          of_difference=True),
    _loss("SmoothL1Loss", regression_domain_at(0.5), "regression", kwargs={"beta": 0.5}, kinks=(0.0, 0.5, -0.5),
          of_difference=True),
    _loss("BCELoss", bce_domain, "probabilities", clip=(0.02, 0.98)),
    _loss("BCEWithLogitsLoss", bce_logits_domain, "logits", clip=(-20.0, 20.0)),
    _loss("CrossEntropyLoss", cross_entropy_domain, "class_index_smoothed", clip=(-20.0, 20.0)),
    _loss("NLLLoss", nll_domain, "class_index"),
    _loss("KLDivLoss", kl_domain, "log_probabilities", conditioned=within_bound),
    Entry("Linear", "layer", "Linear", ByKind(linear_domain, distribution=linear_init_domain),
          kinds=("forward", "backward", "param_grad", "gradcheck", "distribution"), sample="linear",
          conditioned=within_bound),
    Entry("MLP-SGD", "model", "Sequential", training_domain({"lr": 0.05, "momentum": 0.9}), kinds=("model",)),
    # predict_proba with identical weights, compared with torch ('proba') and with scikit-learn's
    # MLPClassifier ('proba.sklearn'): the three-way parity behind twinnet baseline.
    Entry("MLP-predict_proba", "model", "Sequential", predict_proba_domain, kinds=("predict_proba",)),
]


def _optimizer(name, trajectory, *grid):
    domain = {"step": optimizer_domain(grid), "resume": resume_domain(grid[-1]),
              "trajectory": training_domain(trajectory)}
    return Entry(name, "optimizer", name, domain, kinds=("step", "resume", "trajectory"), kwargs={"optimizer": name})


def _scheduler(name, *variants):
    return Entry(name, "scheduler", name, scheduler_domain(*variants), kinds=("schedule",))


REGISTRY += [
    _optimizer("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True},
               {"lr": 0.1}, {"lr": 0.1, "momentum": 0.9}, {"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
               {"lr": 0.1, "momentum": 0.9, "nesterov": True}, {"lr": 0.1, "weight_decay": 0.1},
               {"lr": 0.1, "momentum": 0.9, "maximize": True},
               {"lr": 0.1, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05, "maximize": True}),
    _optimizer("Adam", {"lr": 1e-3},
               {}, {"lr": 0.01, "betas": (0.8, 0.9)}, {"lr": 0.01, "eps": 1e-2}, {"lr": 0.01, "amsgrad": True},
               {"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.01, "maximize": True},
               {"lr": 0.01, "betas": (0.5, 0.6), "eps": 1e-3, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    _optimizer("AdamW", {"lr": 1e-3, "weight_decay": 0.05},
               {}, {"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.01, "amsgrad": True}, {"lr": 0.01, "maximize": True},
               {"lr": 0.01, "betas": (0.5, 0.6), "eps": 1e-3, "weight_decay": 0.3, "amsgrad": True, "maximize": True}),
    _optimizer("RMSprop", {"lr": 1e-3},
               {}, {"lr": 0.01, "alpha": 0.9}, {"lr": 0.01, "centered": True}, {"lr": 0.01, "momentum": 0.9},
               {"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.01, "eps": 1e-2, "maximize": True},
               {"lr": 0.01, "alpha": 0.8, "centered": True, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}),
    _optimizer("Adagrad", {"lr": 0.05},
               {}, {"lr": 0.1, "lr_decay": 0.05}, {"lr": 0.1, "initial_accumulator_value": 0.5},
               {"lr": 0.1, "weight_decay": 0.1}, {"lr": 0.1, "eps": 1e-2, "maximize": True},
               {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.5, "weight_decay": 0.1, "maximize": True}),
    _optimizer("Adadelta", {"lr": 1.0},
               {}, {"rho": 0.8}, {"lr": 0.5, "eps": 1e-3}, {"weight_decay": 0.1}, {"maximize": True},
               {"lr": 0.5, "rho": 0.7, "eps": 1e-3, "weight_decay": 0.1, "maximize": True}),
    _optimizer("Adamax", {"lr": 2e-3},
               {}, {"lr": 0.01, "betas": (0.8, 0.9)}, {"lr": 0.01, "eps": 1e-2}, {"lr": 0.01, "weight_decay": 0.1},
               {"lr": 0.01, "betas": (0.5, 0.6), "eps": 1e-3, "weight_decay": 0.1, "maximize": True}),
    _optimizer("NAdam", {"lr": 2e-3},
               {}, {"lr": 0.01, "momentum_decay": 0.01}, {"lr": 0.01, "weight_decay": 0.1},
               {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, {"lr": 0.01, "maximize": True},
               {"lr": 0.01, "betas": (0.5, 0.6), "eps": 1e-3, "momentum_decay": 0.01, "weight_decay": 0.1,
                "decoupled_weight_decay": True, "maximize": True}),
    _optimizer("RAdam", {"lr": 1e-3},
               {}, {"lr": 0.01, "betas": (0.8, 0.9)}, {"lr": 0.01, "weight_decay": 0.1},
               {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, {"lr": 0.01, "maximize": True},
               {"lr": 0.01, "betas": (0.5, 0.6), "eps": 1e-3, "weight_decay": 0.1, "decoupled_weight_decay": True,
                "maximize": True}),
    _scheduler("StepLR", ({"step_size": 7, "gamma": 0.5}, {}), ({"step_size": 1, "gamma": 0.97}, {})),
    _scheduler("MultiStepLR", ({"milestones": [10, 25, 60], "gamma": 0.3}, {})),
    _scheduler("ExponentialLR", ({"gamma": 0.95}, {})),
    _scheduler("CosineAnnealingLR", ({"T_max": 30, "eta_min": 0.001}, {}), ({"T_max": 100}, {})),
    _scheduler("LinearLR", ({"start_factor": 0.25, "end_factor": 1.0, "total_iters": 20}, {}),
               ({"start_factor": 1.0, "end_factor": 0.1, "total_iters": 80}, {})),
    _scheduler("OneCycleLR", ({"max_lr": 0.5, "total_steps": 100}, {"optimizer": {"momentum": 0.9}}),
               ({"max_lr": [0.5, 0.2], "total_steps": 100, "anneal_strategy": "linear", "three_phase": True},
                {"optimizer": {"momentum": 0.9}})),
    Entry("ReduceLROnPlateau", "scheduler", "ReduceLROnPlateau", plateau_domain, kinds=("schedule",)),
    Entry("clip_grad_norm_", "utility", "clip_grad_norm_",
          clip_domain({"max_norm": 0.5}, {"max_norm": 100.0}, {"max_norm": 0.5, "norm_type": 1.0},
                      {"max_norm": 0.5, "norm_type": float("inf")}, {"max_norm": 0.5, "norm_type": 3.0}),
          kinds=("clip",)),
    Entry("clip_grad_value_", "utility", "clip_grad_value_", clip_domain({"clip_value": 0.3}, {"clip_value": 10.0}),
          kinds=("clip",)),
]


def _init(name, law, *variants):
    return Entry(name, "init", "init", init_domain(law, *variants), kinds=("init_draws",) if law else ("init",),
                 functional=name)


REGISTRY += [
    Entry("Dropout", "layer", "Dropout", ByKind(dropout_domain, distribution=dropout_draws_domain),
          kinds=("forward", "backward", "gradcheck", "distribution"), sample="dropout"),
    Entry("BatchNorm1d", "layer", "BatchNorm1d",
          ByKind(batch_norm_domain(), state=batch_norm_state_domain, gradcheck=batch_norm_domain(gradcheck=True)),
          kinds=("forward", "backward", "param_grad", "state", "gradcheck"), sample="batch_norm", conditioned=spread(0)),
    Entry("LayerNorm", "layer", "LayerNorm", ByKind(layer_norm_domain(), gradcheck=layer_norm_domain(gradcheck=True)),
          kinds=("forward", "backward", "param_grad", "gradcheck"), sample="layer_norm", conditioned=spread(-1)),
    _init("uniform_", "uniform", ((256, 512), {}), ((128, 1024), {"a": -0.5, "b": 2.0})),
    _init("normal_", "normal", ((256, 512), {}), ((128, 1024), {"mean": 1.5, "std": 0.3})),
    _init("xavier_uniform_", "uniform", ((256, 512), {}), ((64, 32, 3, 3), {"gain": 5.0 / 3})),
    _init("xavier_normal_", "normal", ((512, 256), {}), ((64, 16, 5), {"gain": 2.0 ** 0.5})),
    _init("kaiming_uniform_", "uniform", ((256, 512), {}), ((256, 512), {"a": 5.0 ** 0.5}),
          ((128, 64, 3, 3), {"mode": "fan_out", "nonlinearity": "relu"}),
          ((512, 256), {"a": 0.2, "mode": "FAN_OUT"}), ((64, 16, 5), {"nonlinearity": "selu"})),
    _init("kaiming_normal_", "normal", ((256, 512), {}), ((128, 64, 3, 3), {"mode": "fan_out", "nonlinearity": "relu"}),
          ((512, 256), {"a": 0.2}), ((64, 300), {"nonlinearity": "tanh"})),
    _init("constant_", None, ((3, 4), {"val": 0.25}), ((5,), {"val": -2.0})),
    _init("ones_", None, ((3, 4), {})),
    _init("zeros_", None, ((3, 4), {}), ((2, 3, 4), {})),
    Entry("calculate_gain", "init", "init", gain_domain, kinds=("init",), functional="calculate_gain",
          dtypes=("float64",)),
    Entry("MLP-BatchNorm-Dropout-SGD", "model", "Sequential",
          model_domain(batch_norm_dropout_mlp, {"lr": 0.05, "momentum": 0.9}), kinds=("model",)),
    Entry("MLP-LayerNorm-SGD", "model", "Sequential",
          model_domain(layer_norm_mlp, {"lr": 0.05, "momentum": 0.9, "nesterov": True}), kinds=("model",)),
    # float32: after 60 steps the eval logits (up to ~10 in size) differ from torch's by up to 2e-5, 1.2e-6
    # of the array's scale, the round-off of two float32 orders fed back through every step; atol 1e-4
    # holds that, where the model kind's 1e-5 assumes outputs of order 1.
    Entry("CNN-BatchNorm2d-SGD", "model", "Sequential",
          model_domain(small_cnn, {"lr": 0.05, "momentum": 0.9}, steps=60, batch_size=32, data=_digit_images),
          kinds=("model",), tol={("float32", "model"): {"rtol": 1e-4, "atol": 1e-4}}),
    Entry("LSTM-language-model-SGD", "model", "LSTM", language_model_domain(), kinds=("language_model",)),
]

from .registry_conv import ENTRIES as _CONVOLUTION  # noqa: E402 -- the entries build on the helpers above
from .registry_recurrent import ENTRIES as _RECURRENT  # noqa: E402
from .registry_train import ENTRIES as _TRAINERS  # noqa: E402

REGISTRY += _CONVOLUTION + _RECURRENT + _TRAINERS
