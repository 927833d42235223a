"""Conv1d, Conv2d, MaxPool2d, AvgPool2d, Flatten, BatchNorm2d, GroupNorm, Embedding and
MultiMarginLoss against torch, directly (whatever shape the harness is in), then through the harness.

Direct comparisons: the forward output, ``grad_x`` under a random upstream gradient, and the parameter
gradients accumulated over two backward calls, in float32 and float64 (float64 within 1e-12 of the
array's scale); the dtype kept and the inputs left as they were. One wrong twin per classic mistake
is shown to be caught. Then every check of ``registry_conv.ENTRIES`` runs through ``run_check``.
"""
import types
import zlib

import numpy as np
import pytest
import torch

import reference
import scratch
from parity_tests.checks import Check, run_check
from parity_tests.registry_conv import ENTRIES

TOL = {"float32": 1e-5, "float64": 1e-12}
"""The greatest error allowed relative to the array's scale, ``max|got - want| / max|want|``."""


def rel_err(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, f"shape {got.shape}, expected {want.shape}"
    scale = np.max(np.abs(want)) if want.size else 0.0
    err = np.max(np.abs(got - want)) if want.size else 0.0
    return 0.0 if err == 0 else err / scale if scale else np.inf


def _copy(a):
    return np.array(a, copy=True)


def torch_twin(module):
    """The torch twin of ``module`` built for the scratch class it derives from (a wrong twin is a subclass),
    with its weights and buffers."""
    name = next(c.__name__ for c in type(module).__mro__ if c.__name__ in reference.TWINS)
    floats = [v.dtype for v in module.state_dict().values() if v.dtype.kind == "f"]
    twin = reference.torch_module(name, reference.TWINS[name].kwargs_of(module), floats[0] if floats else None)
    reference.load_into_torch(twin, module.state_dict())
    return twin.train(module.training)


def errors(module, x, seed=0, passes=2, backward=True):
    """Errors of ``module`` (scratch) against its torch twin on input ``x``: ``y`` and ``grad_x`` on each
    of ``passes`` forward/backward calls under random upstream gradients, and the parameter gradients
    accumulated over all of them (``y`` alone when not ``backward``). Asserts the dtype is kept and ``x``
    and the upstream gradients left unmodified."""
    rng = np.random.default_rng(seed)
    twin = torch_twin(module)
    float_input = x.dtype.kind == "f"
    errs = {}
    for _ in range(passes):
        given = _copy(x)
        y = module(given)
        np.testing.assert_array_equal(given, x)
        xt = torch.tensor(_copy(x)).requires_grad_(float_input)
        yt = twin(xt)
        errs["y"] = max(errs.get("y", 0.0), rel_err(y, yt.detach().numpy()))
        assert y.dtype == yt.detach().numpy().dtype, f"output dtype {y.dtype}"
        if not backward:
            continue
        g = rng.standard_normal(y.shape).astype(y.dtype)
        g_given = _copy(g)
        grad_x = module.backward(g_given)
        np.testing.assert_array_equal(g_given, g)
        yt.backward(torch.tensor(g))
        if float_input:
            assert grad_x.dtype == x.dtype, f"grad_x dtype {grad_x.dtype}"
            errs["grad_x"] = max(errs.get("grad_x", 0.0), rel_err(grad_x, xt.grad.numpy()))
        else:
            assert grad_x is None
    for name, p in module.named_parameters() if backward else ():
        tp = dict(twin.named_parameters())[name]
        assert p.grad.dtype == p.data.dtype
        errs[f"grad.{name}"] = rel_err(p.grad, tp.grad.numpy())
    return errs


def _rng_module(cls, dtype, seed=1, **kwargs):
    return cls(**kwargs, dtype=np.dtype(dtype), rng=np.random.default_rng(seed))


def _ties(rng, shape):
    x = rng.integers(-3, 3, shape).astype(float)
    x[..., :3, :3] = 2.0
    return x


CASES = {
    "Conv2d-3x3-padding1": (lambda d: _rng_module(scratch.Conv2d, d, in_channels=3, out_channels=4, kernel_size=3,
                                                  padding=1), (2, 3, 7, 6)),
    "Conv2d-stride2-dilation2-groups2": (lambda d: _rng_module(scratch.Conv2d, d, in_channels=4, out_channels=6,
                                                               kernel_size=(3, 2), stride=2, dilation=2, groups=2,
                                                               padding=(2, 1)), (3, 4, 9, 8)),
    "Conv2d-same-even-kernel": (lambda d: _rng_module(scratch.Conv2d, d, in_channels=2, out_channels=3, kernel_size=4,
                                                      padding="same"), (2, 2, 6, 7)),
    "Conv2d-valid-batch1": (lambda d: _rng_module(scratch.Conv2d, d, in_channels=2, out_channels=3, kernel_size=3,
                                                  padding="valid"), (1, 2, 5, 5)),
    "Conv2d-reflect": (lambda d: _rng_module(scratch.Conv2d, d, in_channels=2, out_channels=2, kernel_size=3,
                                             padding=2, padding_mode="reflect"), (2, 2, 5, 6)),
    "Conv2d-circular-same-no-bias": (lambda d: _rng_module(scratch.Conv2d, d, in_channels=2, out_channels=2,
                                                           kernel_size=2, padding="same", padding_mode="circular",
                                                           bias=False), (2, 2, 5, 6)),
    "Conv2d-unbatched": (lambda d: _rng_module(scratch.Conv2d, d, in_channels=2, out_channels=3, kernel_size=3),
                         (2, 6, 6)),
    "Conv1d-same-dilation2": (lambda d: _rng_module(scratch.Conv1d, d, in_channels=3, out_channels=4, kernel_size=3,
                                                    padding="same", dilation=2), (2, 3, 11)),
    "Conv1d-stride2-groups3-replicate": (lambda d: _rng_module(scratch.Conv1d, d, in_channels=3, out_channels=6,
                                                               kernel_size=4, stride=2, groups=3, padding=2,
                                                               padding_mode="replicate"), (2, 3, 12)),
    "MaxPool2d-overlapping": (lambda d: scratch.MaxPool2d(3, stride=1), (2, 3, 6, 6)),
    "MaxPool2d-padding-dilation-ceil": (lambda d: scratch.MaxPool2d(3, stride=2, padding=1, dilation=2,
                                                                    ceil_mode=True), (2, 2, 9, 8)),
    "MaxPool2d-ceil-unbatched": (lambda d: scratch.MaxPool2d(2, ceil_mode=True), (2, 5, 7)),
    "AvgPool2d-padding-exclude-pad": (lambda d: scratch.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
                                      (2, 2, 7, 6)),
    "AvgPool2d-ceil-include-pad": (lambda d: scratch.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 2, 8, 6)),
    "AvgPool2d-divisor-override": (lambda d: scratch.AvgPool2d((2, 3), stride=1, divisor_override=4), (1, 2, 5, 5)),
    "Flatten": (lambda d: scratch.Flatten(), (3, 2, 4, 4)),
    "Flatten-1-2": (lambda d: scratch.Flatten(1, 2), (3, 2, 4, 5)),
    "BatchNorm2d": (lambda d: scratch.BatchNorm2d(3, dtype=np.dtype(d)), (4, 3, 5, 5)),
    "BatchNorm2d-momentum-None-batch1": (lambda d: scratch.BatchNorm2d(2, momentum=None, dtype=np.dtype(d)),
                                         (1, 2, 4, 4)),
    "GroupNorm-2-of-6": (lambda d: scratch.GroupNorm(2, 6, dtype=np.dtype(d)), (3, 6, 4, 4)),
    "GroupNorm-per-channel-3d": (lambda d: scratch.GroupNorm(4, 4, dtype=np.dtype(d)), (2, 4, 7)),
}


def _randomise_state(module, rng):
    """Non-trivial norm parameters: gamma of ones and beta of zeros would hide a mistake in either."""
    if isinstance(module, (scratch.BatchNorm2d, scratch.GroupNorm)):
        for _, p in module.named_parameters():
            p.data[...] = rng.uniform(0.5, 1.5, p.shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(CASES))
def test_against_torch(name, dtype):
    make, shape = CASES[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    module = make(dtype)
    _randomise_state(module, rng)
    x = (_ties(rng, shape) if name.startswith("MaxPool") else 2 * rng.standard_normal(shape)).astype(dtype)
    errs = errors(module, x)
    assert max(errs.values()) <= TOL[dtype], errs


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_against_torch(dtype, padding_idx):
    module = _rng_module(scratch.Embedding, dtype, num_embeddings=6, embedding_dim=3, padding_idx=padding_idx)
    idx = np.array([[2, 5, 2, 2], [0, 5, 1, 2]])
    errs = errors(module, idx)
    assert max(errs.values()) == 0.0, errs
    assert module.padding_idx in (None, 2, 5)
    if padding_idx is not None:
        assert not module.weight.grad[module.padding_idx].any()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", [{}, {"p": 2, "margin": 0.5}, {"weight": np.array([0.5, 2.0, 1.0, 1.5])},
                                    {"reduction": "sum"}, {"reduction": "none", "p": 2}])
def test_multi_margin_against_torch(dtype, kwargs):
    rng = np.random.default_rng(3)
    x = np.round(4 * rng.standard_normal((5, 4))) / 4
    t = np.array([0, 3, 1, 1, 2])
    x[0, 1] = x[0, 0] - 1.0                        # exactly at the kink z = 0
    for xs, ts in ((x, t), (x[2], t[2]), (x[:1], t[:1])):
        xs = xs.astype(dtype)
        loss = scratch.MultiMarginLoss(**kwargs)
        tloss = reference.to_torch(loss) if "weight" not in kwargs else torch.nn.MultiMarginLoss(
            **{**kwargs, "weight": torch.tensor(kwargs["weight"], dtype=getattr(torch, dtype))})
        value = loss(_copy(xs), ts)
        xt = torch.tensor(_copy(xs), requires_grad=True)
        vt = tloss(xt, torch.tensor(ts))
        g = np.random.default_rng(4).standard_normal(value.shape).astype(dtype)
        grad = loss.backward(g)
        vt.backward(torch.tensor(g))
        assert value.dtype == grad.dtype == np.dtype(dtype) and value.shape == tuple(vt.shape)
        assert rel_err(value, vt.detach().numpy()) <= TOL[dtype]
        assert rel_err(grad, xt.grad.numpy()) <= TOL[dtype]


def test_max_pool_indices_ties_nan_and_padding():
    """torch's CPU kernel: the first maximum in scan order, the last NaN, never a padding cell."""
    nan, inf = np.nan, np.inf
    x = np.array([[[[2.0, 5.0, 5.0, 1.0, nan, 3.0, nan, 0.0],
                    [5.0, 0.0, 0.0, 5.0, 1.0, 1.0, 1.0, 1.0],
                    [-inf, -inf, -inf, -inf, 7.0, 7.0, 7.0, 7.0]]]])
    for kwargs in ({"kernel_size": 2}, {"kernel_size": (1, 3), "stride": 1, "padding": (0, 1)},
                   {"kernel_size": 3, "stride": 1, "padding": 1, "dilation": (1, 2)},
                   {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}):
        y, idx = scratch.MaxPool2d(**kwargs, return_indices=True)(x)
        yt, it = torch.nn.MaxPool2d(**kwargs, return_indices=True)(torch.tensor(x))
        np.testing.assert_array_equal(y, yt.numpy())
        np.testing.assert_array_equal(idx, it.numpy())
        assert idx.dtype == np.int64


def test_max_pool_nan_gradient_goes_where_torch_sends_it():
    x = np.array([[[[1.0, np.nan], [np.nan, 0.0]]]])
    pool = scratch.MaxPool2d(2)
    pool(x)
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.MaxPool2d(2)(xt).backward(torch.tensor([[[[3.0]]]]))
    np.testing.assert_array_equal(pool.backward(np.array([[[[3.0]]]])), xt.grad.numpy())


def test_conv_init_bounds_and_layout():
    conv = scratch.Conv2d(4, 6, (3, 2), groups=2, rng=np.random.default_rng(0))
    assert conv.weight.shape == (6, 2, 3, 2) and conv.bias.shape == (6,)
    bound = 1 / np.sqrt(2 * 3 * 2)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.8 * bound
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    emb = scratch.Embedding(1000, 8, padding_idx=3, rng=np.random.default_rng(0))
    assert abs(emb.weight.data.std() - 1) < 0.05 and not emb.weight.data[3].any()
    bn = scratch.BatchNorm2d(3)
    assert sorted(bn.state_dict()) == sorted(torch.nn.BatchNorm2d(3).state_dict())


@pytest.mark.parametrize("make, match", [
    (lambda: scratch.Conv2d(3, 2, 3, groups=2), "in_channels must be divisible by groups"),
    (lambda: scratch.Conv2d(2, 3, 3, groups=2), "out_channels must be divisible by groups"),
    (lambda: scratch.Conv2d(2, 2, 3, groups=0), "groups must be a positive integer"),
    (lambda: scratch.Conv2d(2, 2, 3, padding="full"), "Invalid padding string 'full'"),
    (lambda: scratch.Conv2d(2, 2, 3, padding="same", stride=2), "not supported for strided"),
    (lambda: scratch.Conv2d(2, 2, 0), "kernel_size must be >= 1"),
    (lambda: scratch.Conv2d(2, 2, 3, stride=(1, 0)), "stride must be >= 1"),
    (lambda: scratch.Conv2d(2, 2, 3, padding=-1), "padding must be >= 0"),
    (lambda: scratch.Conv2d(2, 2, (3, 3, 3)), "kernel_size must be an int or a tuple of 2 ints"),
    (lambda: scratch.Conv1d(2, 2, 3, padding_mode="zero"), "padding_mode must be one of"),
    (lambda: scratch.MaxPool2d(2, padding=2), "pad should be at most half of effective kernel size"),
    (lambda: scratch.AvgPool2d(2, divisor_override=0), "divisor must be not zero"),
    (lambda: scratch.GroupNorm(2, 5), r"num_channels \(5\) must be divisible by num_groups \(2\)"),
    (lambda: scratch.GroupNorm(0, 4), "num_groups must be a positive int"),
    (lambda: scratch.Embedding(5, 3, padding_idx=5), "Padding_idx must be within num_embeddings"),
    (lambda: scratch.Embedding(5, 3, padding_idx=-6), "Padding_idx must be within num_embeddings"),
    (lambda: scratch.Embedding(5, 3, max_norm=1.0), "max_norm is not supported"),
    (lambda: scratch.MultiMarginLoss(p=3), "only p == 1 and p == 2 supported"),
    (lambda: scratch.MultiMarginLoss(weight=np.ones((2, 2))), "expected weight to be None or 1D"),
])
def test_constructor_validation(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("call, error, match", [
    (lambda: scratch.Conv2d(2, 2, 3)(np.zeros((1, 3, 5, 5))), ValueError, "to have 2 channels, but got 3"),
    (lambda: scratch.Conv2d(2, 2, 3)(np.zeros((1, 2, 2, 5))), ValueError, "Kernel size can't be greater"),
    (lambda: scratch.Conv2d(2, 2, 3)(np.zeros((1, 2, 5, 5), np.float32)), ValueError, "should be the same"),
    (lambda: scratch.Conv2d(2, 2, 3)(np.zeros((2, 5))), ValueError, "expected 3D .* or 4D"),
    (lambda: scratch.Conv2d(1, 1, 3, padding=3, padding_mode="reflect")(np.zeros((1, 1, 3, 3))), ValueError,
     "too large"),
    (lambda: scratch.MaxPool2d(2)(np.zeros((1, 1, 1, 1))), ValueError, "Output size is too small"),
    (lambda: scratch.MaxPool2d(2)(np.zeros((4, 4))), ValueError, "3D or 4D"),
    (lambda: scratch.BatchNorm2d(3)(np.zeros((2, 3, 4))), ValueError, r"expected 4D input \(got 3D input\)"),
    (lambda: scratch.GroupNorm(2, 4)(np.zeros((2, 3, 5))), ValueError, "divisible by num_groups"),
    (lambda: scratch.Embedding(5, 3)(np.array([5])), IndexError, r"index 5 is out of range; expected 0 <= index < "
                                                                 r"num_embeddings=5"),
    (lambda: scratch.Embedding(5, 3)(np.array([-1])), IndexError, "out of range"),
    (lambda: scratch.Embedding(5, 3)(np.array([1.0])), ValueError, "integer dtype"),
    (lambda: scratch.Flatten(2, 1)(np.zeros((2, 3, 4))), ValueError, "start_dim cannot come after end_dim"),
    (lambda: scratch.Flatten(3)(np.zeros((2, 3, 4))), IndexError, "Dimension out of range"),
    (lambda: scratch.MultiMarginLoss()(np.zeros((2, 3)), np.array([1, 3])), ValueError, "target out of range"),
    (lambda: scratch.MultiMarginLoss()(np.zeros((2, 3)), np.array([1, 2, 0])), ValueError, "Expected target size"),
])
def test_bad_input_is_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_reprs_match_torch():
    pairs = [(scratch.Conv2d(2, 4, 3, padding="same", groups=2, bias=False, padding_mode="reflect"),
              torch.nn.Conv2d(2, 4, 3, padding="same", groups=2, bias=False, padding_mode="reflect")),
             (scratch.Conv1d(2, 4, 3, stride=2, dilation=2), torch.nn.Conv1d(2, 4, 3, stride=2, dilation=2)),
             (scratch.MaxPool2d((2, 3), stride=1, padding=1, ceil_mode=True),
              torch.nn.MaxPool2d((2, 3), stride=1, padding=1, ceil_mode=True)),
             (scratch.AvgPool2d(3, divisor_override=2), torch.nn.AvgPool2d(3, divisor_override=2)),
             (scratch.Flatten(0, 2), torch.nn.Flatten(0, 2)), (scratch.BatchNorm2d(3), torch.nn.BatchNorm2d(3)),
             (scratch.GroupNorm(2, 4, affine=False), torch.nn.GroupNorm(2, 4, affine=False)),
             (scratch.Embedding(5, 3, padding_idx=-1), torch.nn.Embedding(5, 3, padding_idx=-1))]
    for mine, theirs in pairs:
        assert repr(mine) == repr(theirs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_conv_net_round_trip(dtype):
    rng = np.random.default_rng(0)
    net = scratch.Sequential(
        scratch.Conv2d(1, 4, 3, padding=1, dtype=dtype, rng=rng), scratch.BatchNorm2d(4, dtype=dtype), scratch.ReLU(),
        scratch.MaxPool2d(2), scratch.Conv2d(4, 4, 3, groups=2, padding="same", dtype=dtype, rng=rng),
        scratch.GroupNorm(2, 4, dtype=dtype), scratch.AvgPool2d(2, ceil_mode=True), scratch.Flatten(),
        scratch.Linear(16, 3, dtype=dtype, rng=rng))
    x = rng.standard_normal((5, 1, 7, 7)).astype(dtype)
    net(x)
    twin = reference.to_torch(net)
    back = reference.from_torch(twin)
    assert repr(twin) == repr(net) == repr(back)
    for m in (net, twin, back):
        m.eval()
    want = twin(torch.from_numpy(x)).detach().numpy()
    assert rel_err(net(x), want) <= TOL[np.dtype(dtype).name]
    np.testing.assert_array_equal(back(x), net(x))


def test_first_layer_skips_the_input_gradient():
    rng = np.random.default_rng(0)
    for net, x in ((scratch.Sequential(scratch.Conv2d(1, 2, 3, rng=rng), scratch.Flatten()),
                    rng.standard_normal((2, 1, 5, 5))),
                   (scratch.Sequential(scratch.Embedding(4, 3, rng=rng), scratch.Flatten()), np.array([[1, 1, 3]]))):
        y = net(x)
        assert net.backward(rng.standard_normal(y.shape), input_grad=False) is None
        assert net[0].weight.grad is not None


# ----- wrong twins: one classic mistake each, and the comparison that catches it -----

class MaxPoolAssigns(scratch.MaxPool2d):
    """Backward assigns each window's gradient to its maximum: a cell that is the maximum of several
    overlapping windows keeps one window's gradient instead of their sum."""

    def backward(self, grad_y):
        n, c, h, w = self.x_shape
        grad_x = np.zeros((n, c, h * w), dtype=grad_y.dtype)
        planes = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)
        grad_x.reshape(-1)[(planes + self.indices).ravel()] = grad_y.ravel()
        return grad_x.reshape(self.x_shape)


class ConvFlipped(scratch.Conv2d):
    """A true convolution (the kernel flipped), where torch's Conv2d is a cross-correlation."""

    def forward(self, x):
        weight = self.weight.data
        self.weight.data = np.ascontiguousarray(weight[..., ::-1, ::-1])
        try:
            return super().forward(x)
        finally:
            self.weight.data = weight


class GroupNormOverBatch(scratch.GroupNorm):
    """Statistics of each group over the whole batch (axes N and the group), not per sample."""

    def forward(self, x):
        n = x.shape[0]
        groups = x.reshape(n, self.num_groups, -1)
        mean = groups.mean(axis=(0, 2), keepdims=True)
        var = groups.var(axis=(0, 2), keepdims=True)
        self.x_shape, self.x_shape_len = x.shape, x.ndim
        self.rstd = 1 / np.sqrt(var + self.eps)
        self.x_hat = ((groups - mean) * self.rstd).reshape(x.shape)
        return (self.x_hat * self._channel(self.weight.data) + self._channel(self.bias.data)).astype(x.dtype)


class BatchNorm2dPerSample(scratch.BatchNorm2d):
    """Statistics per (N, C) over H and W (instance normalisation), not per channel over N, H and W."""

    def forward(self, x):
        mean = x.mean(axis=(2, 3), keepdims=True)
        var = x.var(axis=(2, 3), keepdims=True)
        y = (x - mean) / np.sqrt(var + self.eps)
        return y * self._channel_of(self.weight.data) + self._channel_of(self.bias.data)

    @staticmethod
    def _channel_of(v):
        return v.reshape(1, -1, 1, 1)


class EmbeddingAssigns(scratch.Embedding):
    """The weight gradient by fancy-index assignment: a repeated index keeps one occurrence's gradient."""

    def backward(self, grad_y):
        grad_w = np.zeros(self.weight.shape, dtype=self.weight.dtype)
        grad_w[self.idx.ravel()] = grad_y.reshape(-1, self.embedding_dim)
        if self.padding_idx is not None:
            grad_w[self.padding_idx] = 0
        self.weight.accumulate(grad_w)


WRONG = {
    # mistake: (contract name, wrong class, entry name, kind, direct case: (make(dtype), input shape, item))
    "max-pool backward assigns": ("MaxPool2d", MaxPoolAssigns, "MaxPool2d", "backward",
                                  (lambda d: MaxPoolAssigns(3, stride=1), (2, 2, 6, 6), "grad_x")),
    "convolution with a flipped kernel": ("Conv2d", ConvFlipped, "Conv2d", "forward",
                                          (lambda d: _rng_module(ConvFlipped, d, in_channels=2, out_channels=3,
                                                                 kernel_size=3), (2, 2, 6, 6), "y")),
    "GroupNorm over the wrong axes": ("GroupNorm", GroupNormOverBatch, "GroupNorm", "forward",
                                      (lambda d: GroupNormOverBatch(2, 4, dtype=np.dtype(d)), (3, 4, 3, 3), "y")),
    "BatchNorm2d per (N, C)": ("BatchNorm2d", BatchNorm2dPerSample, "BatchNorm2d", "forward",
                               (lambda d: BatchNorm2dPerSample(3, dtype=np.dtype(d)), (4, 3, 3, 3), "y")),
    "embedding gradient drops repeated indices": ("Embedding", EmbeddingAssigns, "Embedding", "param_grad",
                                                  (lambda d: _rng_module(EmbeddingAssigns, d, num_embeddings=5,
                                                                         embedding_dim=3), None, "grad.weight")),
}


def _swap(name, cls):
    return types.SimpleNamespace(**{**{n: getattr(scratch, n) for n in dir(scratch)}, name: cls})


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mistake", list(WRONG))
def test_wrong_twin_is_caught_directly(mistake, dtype):
    *_, (make, shape, item) = WRONG[mistake]
    rng = np.random.default_rng(5)
    module = make(dtype)
    _randomise_state(module, rng)
    x = np.array([[1, 3, 1, 1], [0, 3, 4, 1]]) if shape is None else (
        _ties(rng, shape) if "pool" in mistake else 2 * rng.standard_normal(shape) + 1).astype(dtype)
    errs = errors(module, x, passes=1, backward=item != "y")
    assert errs[item] > 1e3 * TOL[dtype], f"{mistake} not caught: {errs}"


@pytest.mark.parametrize("mistake", list(WRONG))
def test_wrong_twin_is_caught_by_the_harness(mistake):
    name, cls, component, kind, _ = WRONG[mistake]
    entry = next(e for e in ENTRIES if e.name == component)
    statuses = [run_check(Check(entry, kind, dtype), _swap(name, cls))["status"] for dtype in ("float32", "float64")]
    assert statuses == ["failed", "failed"], f"{mistake}: {statuses}"


# ----- every check of the new entries through the current harness -----

CHECKS = [Check(e, k, d) for e in ENTRIES for k in e.kinds for d in e.dtypes_for(k)]


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_conv(check):
    record = run_check(check, scratch)
    assert record["status"] == "passed", record["message"]
