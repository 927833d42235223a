"""Styles of submission: each style's adapter on its fixtures.

Components the registry has run through its checks unchanged (``plan()`` / ``run_checks``), with the
cases the course cannot express left out (``styles.within``) and the course's open points honoured
(``styles.undefined`` / ``styles.honour``), as the judge side does; correct fixtures must pass with no
false alarm and each classic mistake must fail on its component. Components the registry does not have
yet (convolution, pooling, spatial norms, recurrent layers, embedding, MultiMarginLoss, NNFS's
regularisation) are compared with torch directly here, with random upstream gradients in both dtypes.
"""
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from parity_tests import styles as S
from parity_tests.checks import InProcess, plan, prepare, run_checks
from parity_tests.styles._load import definitions

FIXTURES = Path(__file__).with_name("fixtures")
ROOT = Path(__file__).resolve().parents[1]


def _namespace(folder, files, *mistakes):
    ns = {}
    for name in files + mistakes:
        ns = vars(definitions(FIXTURES / folder / f"{name}.py", base=ns))
    return types.SimpleNamespace(**{k: v for k, v in ns.items() if not k.startswith("__")})


def cs231n(*mistakes):
    return _namespace("cs231n", ("layers", "optim", "rnn_layers"), *mistakes)


def nnfs(*mistakes):
    return _namespace("nnfs", ("book",), *mistakes)


def dlai():
    return _namespace("dlai", ("dnn_utils",))


def run(applied, check):
    """One check of the registry on the adapted namespace, as the judge runs it for a style: the record,
    or None when the course expresses none of its cases."""
    rec = run_checks([check], InProcess(applied.namespace, applied), style=applied)[0]
    return None if rec["status"] == "missing" and rec["message"].startswith("left out") else rec


def _checks(applied, names, kinds=None, dtypes=("float32", "float64")):
    present = set(vars(applied.namespace))
    return [c for c in plan(dtypes=dtypes) if c.entry.cls in names and c.entry.cls in present
            and (kinds is None or c.kind in kinds) and not (c.entry.cls == "Sequential" and "Tanh" in c.entry.name)]


# -- choosing a style ---------------------------------------------------------------------------------

def test_each_fixture_gets_its_style_and_a_reason():
    import parity_tests.fixtures.correct.classes as classes
    import parity_tests.fixtures.correct.functional as functional

    for ns, style in ((classes, "contract"), (functional, "functional"), (cs231n(), "cs231n"), (nnfs(), "nnfs")):
        applied = S.choose(ns)
        assert applied.style == style, applied.describe()
        assert applied.reason and style in applied.describe()
        assert all(s == 0 for k, s in applied.scores.items() if k != style), applied.scores


def test_sources_name_the_submissions_own_functions():
    assert S.choose(cs231n()).source["Linear"] == ["affine_forward", "affine_backward"]
    assert S.choose(cs231n()).source["BatchNorm1d"] == ["batchnorm_forward", "batchnorm_backward",
                                                        "batchnorm_backward_alt"]
    assert S.choose(nnfs()).source["Linear"] == ["Layer_Dense.forward", "Layer_Dense.backward"]
    assert S.choose(nnfs()).namespace.Adam.source[1] == "Optimizer_Adam.update_params"


def test_style_option_overrides_detection():
    applied = S.choose(cs231n(), style="nnfs") if S.load("nnfs").detect(cs231n())[0] else None
    assert applied is None  # cs231n's functions are nothing to the nnfs style ...
    with pytest.raises(S.NoStyle, match="nnfs: none of the book's classes"):
        S.choose(cs231n(), style="nnfs")  # ... so forcing it is a usage error, not a wrong grading
    assert S.choose(nnfs(), style="nnfs").style == "nnfs"
    with pytest.raises(S.NoStyle, match="unknown style 'keras'"):
        S.choose(nnfs(), style="keras")


def test_nothing_recognised_lists_styles_tried_and_nearest_names():
    ns = types.SimpleNamespace(affine_foward=lambda x: x, Layer_Dens=type("Layer_Dens", (), {}), helper=len)
    with pytest.raises(S.NoStyle) as err:
        S.choose(ns)
    message = str(err.value)
    for style in S.BUILT_IN:
        assert f"{style}:" in message
    assert "'affine_foward' (did you mean 'affine_forward', cs231n)" in message
    assert "'Layer_Dens' (did you mean 'Layer_Dense', nnfs)" in message


@pytest.mark.parametrize("spelling", ["Activation_ReLu", "ActivationReLU", "activation_relu"])
def test_nnfs_names_as_students_spell_them(spelling):
    book = nnfs()
    ns = types.SimpleNamespace(**{spelling: book.Activation_ReLU, "Layer_dense": book.Layer_Dense})
    applied = S.choose(ns)
    assert applied.style == "nnfs" and applied.source["ReLU"] == [f"{spelling}.forward", f"{spelling}.backward"]
    assert applied.source["Linear"] == ["Layer_dense.forward", "Layer_dense.backward"]
    assert run(applied, next(c for c in _checks(applied, {"ReLU"}) if c.kind == "backward"))["status"] == "passed"


def test_a_name_two_styles_share_is_graded_under_the_right_one():
    # deeplearning.ai's relu(Z) returns (A, cache): with its adapter it is that course's ReLU, and the
    # functional style never claims a bare relu or sigmoid
    ns = dlai()
    assert S.load("functional").detect(ns)[0] == 0
    applied = S.choose(ns, adapter=ROOT / "docs" / "adapter_example.py")
    assert applied.style == "dlai" and applied.source["ReLU"] == ["relu", "relu_backward"]
    # rnn_layers.py's sigmoid helper is CS231n's, forward only
    assert S.choose(cs231n()).source["Sigmoid"] == ["sigmoid"]


# -- the loader ---------------------------------------------------------------------------------------

def test_loader_keeps_definitions_and_drops_the_training_script(capsys):
    module = definitions(FIXTURES / "nnfs" / "book.py")
    assert capsys.readouterr().out == ""
    assert isinstance(module.Layer_Dense, type) and callable(module.spiral_data)
    assert not hasattr(module, "dense1") and not hasattr(module, "X")
    assert any("For" in s for s in module.__skipped__)


def test_loader_skips_imports_that_fail(tmp_path):
    path = tmp_path / "student.py"
    path.write_text("import numpy as np\nimport nnfs\nfrom nnfs.datasets import spiral_data\nnnfs.init()\n"
                    "EPS = 1e-7\nclass Layer_Dense:\n    pass\n")
    module = definitions(path)
    assert module.EPS == 1e-7 and module.np is np and isinstance(module.Layer_Dense, type)
    assert sum("import failed" in s for s in module.__skipped__) == 2


# -- registry checks on the correct fixtures ----------------------------------------------------------

CS231N = {"Linear", "ReLU", "Sigmoid", "BatchNorm1d", "LayerNorm", "Dropout", "CrossEntropyLoss", "SGD",
          "RMSprop", "Adam", "Sequential"}
NNFS = {"Linear", "ReLU", "Sigmoid", "Identity", "Softmax", "Dropout", "CrossEntropyLoss", "NLLLoss", "MSELoss",
        "L1Loss", "BCELoss", "SGD", "Adagrad", "RMSprop", "Adam", "Sequential"}
NO_BACKWARD = {("cs231n", "Sigmoid")}
"""The course has the forward only (CS231n's sigmoid helper): its backward checks are missing, not failed."""


def _correct(style, ns, names):
    applied = S.choose(ns)
    return [pytest.param(applied, c, id=f"{style}-{c.id}") for c in _checks(applied, names)]


@pytest.mark.parametrize("applied, check", _correct("cs231n", cs231n(), CS231N) + _correct("nnfs", nnfs(), NNFS))
def test_correct_fixture_passes(applied, check):
    rec = run(applied, check)
    if rec is None:
        return  # the course expresses none of the cases (e.g. no initialisation: Linear's distribution)
    if (applied.style, check.entry.cls) in NO_BACKWARD and check.kind != "forward":
        assert rec["status"] == "missing", rec
        return
    if rec["status"] == "missing" and check.entry.category == "model":
        # a model that needs a component the course does not have (Softmax, Tanh in CS231n)
        absent = [n for n in ("Softmax", "Tanh", "GELU", "BatchNorm1d", "LayerNorm", "Flatten", "Conv2d")
                  if f"{n} is not defined" in rec["message"]]
        assert absent and not any(hasattr(applied.namespace, n) for n in absent), rec["message"]
        return
    assert rec["status"] == "passed", rec["message"]


# -- classic mistakes ---------------------------------------------------------------------------------

PANEL = {"Linear": ("forward", "backward"), "ReLU": ("backward",), "BatchNorm1d": ("forward", "backward"),
         "LayerNorm": ("forward",), "Dropout": ("forward", "backward"), "CrossEntropyLoss": ("forward", "backward"),
         "Softmax": ("forward",), "L1Loss": ("backward",), "SGD": ("step",), "RMSprop": ("step",), "Adam": ("step",)}
"""The quick float64 checks every mistake runs: exactly the mistaken component must fail."""

MISTAKES = [
    ("cs231n", "dropout_not_inverted", "Dropout"),
    ("cs231n", "batchnorm_eps_outside_sqrt", "BatchNorm1d"),
    ("cs231n", "adam_no_bias_correction", "Adam"),
    ("cs231n", "adam_t_never_increments", "Adam"),
    ("cs231n", "softmax_loss_overflow", "CrossEntropyLoss"),
    ("cs231n", "rmsprop_eps_added_to_weights", "RMSprop"),
    ("nnfs", "mae_sign_flipped", "L1Loss"),
    ("nnfs", "adam_no_bias_correction", "Adam"),
    ("nnfs", "dropout_not_scaled", "Dropout"),
    ("nnfs", "softmax_no_max", "Softmax"),
]


@pytest.mark.parametrize("style, mistake, component", MISTAKES, ids=[f"{s}-{m}" for s, m, _ in MISTAKES])
def test_mistake_fails_on_its_component(style, mistake, component):
    applied = S.choose(cs231n(mistake) if style == "cs231n" else nnfs(mistake))
    failed = set()
    for check in _checks(applied, set(PANEL), dtypes=("float64",)):
        if check.kind in PANEL[check.entry.cls]:
            rec = run(applied, check)
            if rec is not None and rec["status"] != "passed":
                failed.add(check.entry.cls)
    assert failed == {component}


# -- course conventions -------------------------------------------------------------------------------

def test_dropout_p_follows_the_files_docstring():
    keep = S.load("cs231n").dropout_convention(cs231n().dropout_forward)
    assert keep[0] == "keep" and "We keep each neuron output with probability p" in keep[1]

    def old(x, dropout_param):
        """dropout_param: p: Dropout parameter. We drop each neuron output with probability p."""
    assert S.load("cs231n").dropout_convention(old)[0] == "drop"
    assert "Dropout" in S.choose(cs231n()).notes


def test_undefined_kink_is_a_note_not_a_failure():
    def relu(z):
        return np.maximum(z, 0)

    def relu_derivative(z):
        return (z >= 0).astype(z.dtype)  # 1 at 0: the tutorials do not say
    applied = S.choose(types.SimpleNamespace(relu=relu, relu_derivative=relu_derivative))
    check = next(c for c in _checks(applied, {"ReLU"}) if c.kind == "backward")
    rec = run(applied, check)
    assert rec["status"] == "passed" and any("relu'(0)" in n for n in rec["style_notes"])


def test_nnfs_clipping_is_the_books_convention():
    applied = S.choose(nnfs())
    check = next(c for c in _checks(applied, {"CrossEntropyLoss"}) if c.kind == "forward")
    rec = run(applied, check)
    assert rec["status"] == "passed" and any("1e-7" in n for n in rec["style_notes"])


def test_cases_outside_the_course_are_left_out_with_a_reason():
    applied = S.choose(cs231n())
    check = next(c for c in _checks(applied, {"CrossEntropyLoss"}) if c.kind == "forward")
    kept, left = S.within(applied, check, [case for case, _ in prepare(check)])
    reasons = {why for _, why in left}
    assert kept and "softmax_loss has no weight" in reasons and "softmax_loss has no ignore_index" in reasons


# -- an instructor's adapter --------------------------------------------------------------------------

def test_adapter_file_runs_the_registry_checks():
    applied = S.choose(dlai(), adapter=ROOT / "docs" / "adapter_example.py")
    checks = _checks(applied, {"Linear", "ReLU", "Sigmoid", "BCELoss", "SGD"}, kinds=("forward", "backward",
                                                                                     "param_grad", "step"))
    records = [r for r in (run(applied, c) for c in checks) if r is not None]
    # the registry's BCELoss cases all hold predictions of exactly 0 and 1, where the course's unclamped
    # log has no value: they are left out (compute_cost is compared with torch below)
    assert {r["component"] for r in records} == {"Linear", "ReLU", "Sigmoid", "SGD"}
    assert all(r["status"] == "passed" for r in records), [(r["component"], r["message"]) for r in records
                                                           if r["status"] != "passed"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_adapter_cost_against_torch(dtype):
    applied = S.choose(dlai(), adapter=ROOT / "docs" / "adapter_example.py")
    rng = np.random.default_rng(14)
    p, t = rng.uniform(0.05, 0.95, (6, 4)).astype(dtype), (rng.random((6, 4)) > 0.5).astype(dtype)
    want = torch.nn.BCELoss()(torch.tensor(p), torch.tensor(t))
    _close(applied.namespace.BCELoss()(p, t), want, dtype)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_adapter_linear_activation_against_torch(activation):
    applied = S.choose(dlai(), adapter=ROOT / "docs" / "adapter_example.py")
    rng = np.random.default_rng(0)
    layer = applied.namespace.LinearActivation(5, 3, activation=activation, rng=rng)
    lin = torch.nn.Linear(5, 3).double()
    lin.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    x, g = rng.standard_normal((7, 5)), rng.standard_normal((7, 3))
    xt = torch.tensor(x, requires_grad=True)
    yt = getattr(torch, activation)(lin(xt))
    yt.backward(torch.tensor(g))
    _close(layer(x), yt)
    _close(layer.backward(g), xt.grad)
    _close(layer.weight.grad, lin.weight.grad)


# -- components the registry does not have yet: against torch directly ---------------------------------

DTYPES = {"float32": (torch.float32, 1.3e-6, 1e-5), "float64": (torch.float64, 1e-12, 1e-12)}


def _close(got, want, dtype="float64", scale=1.0):
    __tracebackhide__ = True
    _, rtol, atol = DTYPES[dtype]
    want = want.detach().numpy() if isinstance(want, torch.Tensor) else np.asarray(want)
    assert isinstance(got, np.ndarray) and got.dtype == want.dtype, (type(got), getattr(got, "dtype", None))
    torch.testing.assert_close(torch.from_numpy(np.ascontiguousarray(got)),
                               torch.from_numpy(np.ascontiguousarray(want)),
                               rtol=rtol, atol=atol * scale)


def _twin(module, torch_module, dtype):
    torch_module = torch_module.to(DTYPES[dtype][0])
    torch_module.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in module.state_dict().items()}, strict=False)
    return torch_module


def _grads(module, torch_module, dtype, scale=1.0):
    for name, p in module.named_parameters():
        _close(p.grad, dict(torch_module.named_parameters())[name].grad, dtype, scale)


def _layer_case(adapter, build, torch_build, x_shape, dtype, rng):
    if "rng" in adapter.__init__.__code__.co_varnames:
        module = adapter(**build, dtype=np.dtype(dtype), rng=rng)
    else:  # a norm layer: random affine parameters instead of ones and zeros
        module = adapter(**build, dtype=np.dtype(dtype))
        module.load_state_dict({k: rng.uniform(0.5, 1.5, p.data.shape).astype(dtype)
                                for k, p in module.named_parameters()})
    twin = _twin(module, torch_build(), dtype)
    x = rng.standard_normal(x_shape).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    yt = twin(xt)
    y = module(x)
    g = rng.standard_normal(y.shape).astype(dtype)
    yt.backward(torch.tensor(g))
    return module, twin, (x, y, g), (xt, yt)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1)])
def test_cs231n_conv2d(dtype, stride, padding):
    ns, rng = S.choose(cs231n()).namespace, np.random.default_rng(1)
    m, twin, (x, y, g), (xt, yt) = _layer_case(
        ns.Conv2d, {"in_channels": 3, "out_channels": 4, "kernel_size": 3, "stride": stride, "padding": padding},
        lambda: torch.nn.Conv2d(3, 4, 3, stride=stride, padding=padding), (2, 3, 7, 6), dtype, rng)
    _close(y, yt, dtype, 10)
    _close(m.backward(g), xt.grad, dtype, 10)
    _grads(m, twin, dtype, 10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 2), (2, 1)])
def test_cs231n_max_pool(dtype, kernel, stride):
    ns, rng = S.choose(cs231n()).namespace, np.random.default_rng(2)
    pool = ns.MaxPool2d(kernel, stride=stride)
    x = rng.standard_normal((2, 3, 7, 7)).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.max_pool2d(xt, kernel, stride)
    y = pool(x)
    g = rng.standard_normal(y.shape).astype(dtype)
    yt.backward(torch.tensor(g))
    _close(y, yt, dtype)
    _close(pool.backward(g), xt.grad, dtype)


def test_cs231n_max_pool_backward_losing_overlaps_is_caught():
    pool = S.choose(cs231n("maxpool_backward_overlap")).namespace.MaxPool2d(3, stride=2)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 9, 9))
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.max_pool2d(xt, 3, 2)
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    pool(x)
    with pytest.raises(AssertionError):
        _close(pool.backward(g), xt.grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cs231n_spatial_batchnorm(dtype):
    ns, rng = S.choose(cs231n()).namespace, np.random.default_rng(4)
    m, twin, (x, y, g), (xt, yt) = _layer_case(
        ns.BatchNorm2d, {"num_features": 3}, lambda: torch.nn.BatchNorm2d(3), (4, 3, 5, 6), dtype, rng)
    _close(y, yt, dtype)
    _close(m.backward(g), xt.grad, dtype)
    _grads(m, twin, dtype)
    for key in ("running_mean", "running_var"):
        _close(m.state_dict()[key], twin.state_dict()[key], dtype)


def test_cs231n_spatial_batchnorm_over_the_wrong_axes_is_caught():
    ns, rng = S.choose(cs231n("spatial_batchnorm_wrong_axes")).namespace, np.random.default_rng(5)
    m, _, (x, y, g), (xt, yt) = _layer_case(
        ns.BatchNorm2d, {"num_features": 3}, lambda: torch.nn.BatchNorm2d(3), (4, 3, 5, 6), "float64", rng)
    with pytest.raises(AssertionError):
        _close(y, yt)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cs231n_group_norm(dtype):
    ns, rng = S.choose(cs231n()).namespace, np.random.default_rng(6)
    m = ns.GroupNorm(2, 6, dtype=np.dtype(dtype))
    m.load_state_dict({"weight": rng.uniform(0.5, 1.5, 6).astype(dtype), "bias": rng.uniform(-1, 1, 6).astype(dtype)})
    twin = _twin(m, torch.nn.GroupNorm(2, 6), dtype)
    x = rng.standard_normal((3, 6, 4, 5)).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    yt = twin(xt)
    g = rng.standard_normal(x.shape).astype(dtype)
    yt.backward(torch.tensor(g))
    _close(m(x), yt, dtype)
    _close(m.backward(g), xt.grad, dtype)
    _grads(m, twin, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cs231n_embedding(dtype):
    ns, rng = S.choose(cs231n()).namespace, np.random.default_rng(7)
    m = ns.Embedding(10, 4, dtype=np.dtype(dtype), rng=rng)
    twin = _twin(m, torch.nn.Embedding(10, 4), dtype)
    idx = rng.integers(0, 10, (3, 5))
    idx[0, :2] = 7  # a repeated index: its gradients add up
    yt = twin(torch.tensor(idx))
    g = rng.standard_normal((3, 5, 4)).astype(dtype)
    yt.backward(torch.tensor(g))
    _close(m(idx), yt, dtype)
    assert m.backward(g) is None
    _grads(m, twin, dtype)


def _recurrent(adapter, torch_cls, dtype, rng, **kw):
    m = adapter(4, 3, dtype=np.dtype(dtype), rng=rng, **kw)
    return m, _twin(m, torch_cls(4, 3, **kw), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cs231n_rnn_cell(dtype):
    ns, rng = S.choose(cs231n()).namespace, np.random.default_rng(8)
    m, twin = _recurrent(ns.RNNCell, torch.nn.RNNCell, dtype, rng)
    x, h = rng.standard_normal((5, 4)).astype(dtype), rng.standard_normal((5, 3)).astype(dtype)
    xt, ht = torch.tensor(x, requires_grad=True), torch.tensor(h, requires_grad=True)
    yt = twin(xt, ht)
    g = rng.standard_normal((5, 3)).astype(dtype)
    yt.backward(torch.tensor(g))
    _close(m(x, h), yt, dtype)
    dx, dh = m.backward(g)
    _close(dx, xt.grad, dtype)
    _close(dh, ht.grad, dtype)
    _grads(m, twin, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cs231n_lstm_cell_reorders_gates(dtype):
    ns, rng = S.choose(cs231n()).namespace, np.random.default_rng(9)
    m, twin = _recurrent(ns.LSTMCell, torch.nn.LSTMCell, dtype, rng)
    x, h, c = (rng.standard_normal(s).astype(dtype) for s in ((5, 4), (5, 3), (5, 3)))
    xt, ht, ct = (torch.tensor(a, requires_grad=True) for a in (x, h, c))
    h1, c1 = twin(xt, (ht, ct))
    gh, gc = rng.standard_normal((5, 3)).astype(dtype), rng.standard_normal((5, 3)).astype(dtype)
    torch.autograd.backward([h1, c1], [torch.tensor(gh), torch.tensor(gc)])
    y_h, y_c = m(x, (h, c))
    _close(y_h, h1, dtype)
    _close(y_c, c1, dtype)
    dx, (dh, dc) = m.backward((gh, gc))
    for got, want in ((dx, xt.grad), (dh, ht.grad), (dc, ct.grad)):
        _close(got, want, dtype)
    _grads(m, twin, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", ["RNN", "LSTM"])
def test_cs231n_sequences(dtype, which):
    ns, rng = S.choose(cs231n()).namespace, np.random.default_rng(10)
    m, twin = _recurrent(getattr(ns, which), getattr(torch.nn, which), dtype, rng)
    x, h0 = rng.standard_normal((6, 2, 4)).astype(dtype), rng.standard_normal((1, 2, 3)).astype(dtype)
    xt, h0t = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    g = rng.standard_normal((6, 2, 3)).astype(dtype)
    g_hn = rng.standard_normal((1, 2, 3)).astype(dtype)
    if which == "RNN":
        out_t, hn_t = twin(xt, h0t)
        out, hn = m(x, h0)
        grad = (g, g_hn)
    else:
        c0 = np.zeros_like(h0)
        out_t, (hn_t, cn_t) = twin(xt, (h0t, torch.tensor(c0)))
        out, (hn, cn) = m(x, (h0, c0))
        _close(cn, cn_t, dtype)
        grad = (g, (g_hn, None))
    torch.autograd.backward([out_t, hn_t], [torch.tensor(g), torch.tensor(g_hn)])
    _close(out, out_t, dtype)
    _close(hn, hn_t, dtype)
    dx, dh = m.backward(grad)
    _close(dx, xt.grad, dtype)
    _close(dh if which == "RNN" else dh[0], h0t.grad, dtype)
    _grads(m, twin, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cs231n_temporal_pieces(dtype):
    ns, rng = S.choose(cs231n()).namespace, np.random.default_rng(11)
    m, twin, (x, y, g), (xt, yt) = _layer_case(
        ns.TemporalLinear, {"in_features": 4, "out_features": 6}, lambda: torch.nn.Linear(4, 6), (3, 5, 4), dtype, rng)
    _close(y, yt, dtype)
    _close(m.backward(g), xt.grad, dtype)
    _grads(m, twin, dtype)
    scores = (3 * rng.standard_normal((3, 5, 6))).astype(dtype)
    labels, mask = rng.integers(0, 6, (3, 5)), rng.random((3, 5)) > 0.3
    st = torch.tensor(scores, requires_grad=True)
    target = torch.tensor(np.where(mask, labels, -100))
    want = torch.nn.functional.cross_entropy(st.reshape(-1, 6), target.reshape(-1), reduction="sum") / 3
    want.backward()
    loss_fn = ns.TemporalCrossEntropyLoss()
    _close(loss_fn(scores, labels, mask), want, dtype)
    _close(loss_fn.backward(), st.grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cs231n_svm_loss_is_c_times_multi_margin(dtype):
    ns, rng = S.choose(cs231n()).namespace, np.random.default_rng(12)
    x, y = (2 * rng.standard_normal((8, 5))).astype(dtype), rng.integers(0, 5, 8)
    xt = torch.tensor(x, requires_grad=True)
    want = torch.nn.MultiMarginLoss()(xt, torch.tensor(y))
    want.backward()
    loss_fn = ns.MultiMarginLoss()
    _close(loss_fn(x, y), want, dtype)
    _close(loss_fn.backward(), xt.grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("terms", [{"weight_regularizer_l2": 5e-4, "bias_regularizer_l2": 5e-4},
                                   {"weight_regularizer_l1": 1e-3, "bias_regularizer_l1": 2e-3}])
def test_nnfs_regularisation(dtype, terms):
    reg = S.choose(nnfs()).namespace.DenseRegularization(4, 3, **terms)
    rng = np.random.default_rng(13)
    w, b = rng.standard_normal((3, 4)).astype(dtype), rng.standard_normal(3).astype(dtype)
    reg.load_state_dict({"weight": w, "bias": b})
    wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    want = (terms.get("weight_regularizer_l1", 0) * wt.abs().sum()
            + terms.get("weight_regularizer_l2", 0) * (wt ** 2).sum()
            + terms.get("bias_regularizer_l1", 0) * bt.abs().sum()
            + terms.get("bias_regularizer_l2", 0) * (bt ** 2).sum())
    want.backward()
    _close(np.asarray(reg.penalty(), dtype=dtype), want, dtype)
    grads = reg.grads()
    _close(grads["weight"].astype(dtype), wt.grad, dtype)
    _close(grads["bias"].astype(dtype), bt.grad, dtype)


# -- today's styles behind the same interface ---------------------------------------------------------

def _today(module):
    import importlib

    return importlib.import_module(f"parity_tests.fixtures.correct.{module}")


@pytest.mark.parametrize("module, style", [("classes", "contract"), ("functional", "functional")])
def test_contract_and_functional_styles_pass_their_fixtures(module, style):
    applied = S.choose(_today(module))
    assert applied.style == style
    names = set(vars(applied.namespace)) - {"Sequential", "Parameter"}
    checks = [c for c in _checks(applied, names, kinds=("forward", "backward"), dtypes=("float64",))
              if not c.entry.kwargs]
    assert len(checks) >= 8
    for check in checks:
        rec = run(applied, check)
        assert rec is None or rec["status"] in ("passed", "missing"), (check.id, rec["message"])
        if style == "functional" and check.kind == "forward":
            assert rec["status"] == "passed", (check.id, rec["message"])


def test_functional_style_refuses_options_it_has_not_got():
    applied = S.choose(_today("functional"))
    check = next(c for c in plan("LeakyReLU(negative_slope=0.2)-forward-float64"))
    assert run(applied, check)["status"] == "missing"


def test_verify_takes_style_and_adapter_options(tmp_path, capsys):
    from scripts.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["verify", "--style", "keras", str(tmp_path / "x.py")])
    assert exit_.value.code == 2 and "cs231n" in capsys.readouterr().err
    (tmp_path / "x.py").write_text("def affine_forward(x, w, b):\n    return x, None\n")
    assert main(["verify", "--adapter", str(tmp_path / "missing.py"), str(tmp_path / "x.py")]) == 2
    assert "--adapter" in capsys.readouterr().err


def test_a_tie_between_styles_asks_for_style():
    book, layers = nnfs(), cs231n()
    ns = types.SimpleNamespace(Layer_Dense=book.Layer_Dense, affine_forward=layers.affine_forward)
    with pytest.raises(S.NoStyle, match="several styles equally.*--style"):
        S.choose(ns)
    assert S.choose(ns, style="cs231n").source == {"Linear": ["affine_forward"]}


@pytest.mark.parametrize("name, torch_name, kwargs", [
    ("SGD", "SGD", {"lr": 0.1}), ("RMSprop", "RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-7}),
    ("Adam", "Adam", {"lr": 0.01, "eps": 1e-7})])
def test_nnfs_learning_rate_decay_is_the_books_schedule(name, torch_name, kwargs):
    # the book's lr / (1 + decay * iterations) is torch's optimizer under LambdaLR stepped every update;
    # not for SGD with momentum, whose book velocity holds -lr * g (the old rates stay in it)
    ns, rng, decay = S.choose(nnfs()).namespace, np.random.default_rng(15), 0.1
    w = rng.standard_normal((3, 4))
    p = ns.Parameter(w.copy())
    wt = torch.tensor(w.copy(), requires_grad=True)
    opt = getattr(ns, name)([p], decay=decay, **kwargs)
    opt_t = getattr(torch.optim, torch_name)([wt], **kwargs)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt_t, lambda t: 1 / (1 + decay * t))
    for _ in range(6):
        g = rng.standard_normal((3, 4))
        p.grad, wt.grad = g.copy(), torch.tensor(g)
        opt.step()
        opt_t.step()
        schedule.step()
        _close(p.data, wt)


def test_cs231n_dropout_with_the_older_drop_probability():
    def dropout_forward(x, dropout_param):
        """dropout_param: p: Dropout parameter. We drop each neuron output with probability p."""
        p = dropout_param["p"]
        if "seed" in dropout_param:
            np.random.seed(dropout_param["seed"])
        if dropout_param["mode"] != "train":
            return x, (dropout_param, None)
        mask = ((np.random.rand(*x.shape) >= p) / (1 - p)).astype(x.dtype)
        return x * mask, (dropout_param, mask)

    layers = cs231n()
    applied = S.choose(types.SimpleNamespace(dropout_forward=dropout_forward, dropout_backward=layers.dropout_backward))
    assert "drop each neuron output" in applied.notes["Dropout"]
    for check in _checks(applied, {"Dropout"}, dtypes=("float64",)):
        assert run(applied, check)["status"] == "passed", check.id


@pytest.mark.parametrize("style", ["cs231n", "nnfs"])
@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam"])
def test_optimizer_resumes_from_its_state_dict(style, name):
    # the registry's resume case uses options the courses lack; the same resume, with options they have
    ns = S.choose(cs231n() if style == "cs231n" else nnfs()).namespace
    cls, kwargs = getattr(ns, name), {"lr": 0.05, **({"momentum": 0.9} if name == "SGD" else {})}
    rng = np.random.default_rng(16)
    w, grads = rng.standard_normal((3, 4)), [rng.standard_normal((3, 4)) for _ in range(6)]
    wt = torch.tensor(w.copy(), requires_grad=True)
    opt_t = getattr(torch.optim, name)([wt], **kwargs)
    p = ns.Parameter(w.copy())
    opt = cls([p], **kwargs)
    for t, g in enumerate(grads):
        if t == 3:
            state = opt.state_dict()
            opt = cls([p], **kwargs)
            opt.load_state_dict(state)
        p.grad, wt.grad = g.copy(), torch.tensor(g)
        opt.step()
        opt_t.step()
        _close(p.data, wt)


def test_applied_style_reports_as_data():
    report = S.choose(cs231n()).report()
    assert report["style"] == "cs231n" and report["source"]["Adam"] == ["adam"]
    assert "BatchNorm1d" in report["conventions"] and "Dropout" in report["notes"]
    assert set(report["conventions"]) <= set(report["source"])
