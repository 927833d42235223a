"""Registry entries for the layers every from-scratch course teaches: Conv1d, Conv2d, MaxPool2d,
AvgPool2d, Flatten, BatchNorm2d, GroupNorm, Embedding and MultiMarginLoss.

``ENTRIES`` is appended to ``registry.REGISTRY`` by one line there. Each domain holds the special
points of its component: for max pooling ties inside a window (constant windows included),
overlapping windows, padded borders, dilation and ceil mode; for convolutions groups, 'same' (even
kernels, padded asymmetrically) and 'valid', every padding mode; batch size 1 and unbatched input
throughout. Gradcheck domains keep off the kinks: max pooling there sees distinct values only (a tie
is a kink), MultiMarginLoss margins away from 0.
"""
import numpy as np

from .registry import ByKind, Entry, _affine_state, _reductions, _running_state

_DEFAULT_KINDS = ("forward", "backward", "param_grad", "gradcheck")


def _uniform(rng, shape, dtype, bound=1.0):
    return rng.uniform(-bound, bound, shape).astype(dtype)


def conv_domain(d, gradcheck=False):
    """Conv1d (``d = 1``) or Conv2d (``d = 2``) with given weights: each option alone, then together."""
    def domain(rng, dtype):
        def case(name, c_in, c_out, size, n=3, unbatched=False, **kwargs):
            kernel = kwargs.get("kernel_size", 3)
            kernel = (kernel,) * d if isinstance(kernel, int) else kernel
            groups = kwargs.get("groups", 1)
            kwargs = {"in_channels": c_in, "out_channels": c_out, "kernel_size": kernel, "dtype": np.dtype(dtype),
                      **{k: v for k, v in kwargs.items() if k != "kernel_size"}}
            bound = 1 / np.sqrt(c_in // groups * np.prod(kernel))
            state = {"weight": _uniform(rng, (c_out, c_in // groups, *kernel), dtype, bound)}
            if kwargs.get("bias", True):
                state["bias"] = _uniform(rng, c_out, dtype, bound)
            shape = (c_in,) + size[:d] if unbatched else (n, c_in) + size[:d]
            return {"name": name, "args": [rng.standard_normal(shape).astype(dtype)], "kwargs": kwargs, "state": state}
        small = (6, 5) if gradcheck else (9, 8)
        cases = [case("3x3, padding 1", 3, 4, small, padding=1),
                 case("stride 2 < kernel 3 (overlapping windows), padding 1", 2, 3, small, stride=2, padding=1),
                 case("dilation 2", 2, 3, small, dilation=2),
                 case("groups=2", 4, 6, small, groups=2, padding=1),
                 case("depthwise, groups=in_channels=3, out 6", 3, 6, small, groups=3),
                 case("padding='same', even kernel 4 (one more on the right)", 2, 3, small, kernel_size=4,
                      padding="same"),
                 case("padding='same', dilation 2, kernel 2", 2, 2, small, kernel_size=2, padding="same", dilation=2),
                 case("padding='valid'", 2, 3, small, padding="valid"),
                 case("bias=False, kernel 1", 3, 2, small, kernel_size=1, bias=False),
                 case("padding_mode='reflect', padding 2", 2, 2, small, padding=2, padding_mode="reflect"),
                 case("padding_mode='replicate', padding 1", 2, 2, small, padding=1, padding_mode="replicate"),
                 case("padding_mode='circular', 'same'", 2, 2, small, kernel_size=3, padding="same",
                      padding_mode="circular"),
                 case("batch size 1", 2, 3, small, n=1, padding=1),
                 case("unbatched input", 2, 3, small, unbatched=True, padding=1)]
        if d == 2:
            cases += [case("kernel (3, 2), stride (2, 1), padding (2, 0), dilation (1, 2)", 2, 3, small,
                           kernel_size=(3, 2), stride=(2, 1), padding=(2, 0), dilation=(1, 2)),
                      case("groups=2, stride 2, dilation 2, padding 2", 4, 4, small, groups=2, stride=2,
                           dilation=2, padding=2)]
        if not gradcheck:
            # batch 1: at batch 4 (2704 products per weight gradient) torch's own float32 sums are off by
            # 1.5e-4 at a scale of 104 against float64 (scratch's by 3e-5), beyond float32's tolerance
            cases.append(case("28x28, 1 -> 8 channels", 1, 8, (28, 28), n=1))
        return cases
    return domain


def _ties(rng, shape, dtype):
    """Small integers (so windows hold repeated maxima), a constant block, negative borders."""
    x = rng.integers(-3, 3, shape).astype(float)
    x[..., :3, :3] = 2.0                                  # constant windows
    x[..., -1, :] = -5.0                                   # a negative border row next to -inf padding
    return x.astype(dtype)


def _distinct(rng, shape, dtype):
    """Distinct values 0.01 apart (no ties: each maximum stays put under a step of 1e-6)."""
    return (0.01 * rng.permutation(int(np.prod(shape))).reshape(shape) - 0.3).astype(dtype)


def max_pool_domain(gradcheck=False):
    def domain(rng, dtype):
        values = _distinct if gradcheck else _ties

        def case(name, shape, **kwargs):
            return {"name": name + ("" if gradcheck else ", with ties"), "args": [values(rng, shape, dtype)],
                    "kwargs": kwargs}
        return [case("kernel 2", (2, 3, 6, 6), kernel_size=2),
                case("kernel 3, stride 1 (overlapping windows)", (2, 2, 6, 5), kernel_size=3, stride=1),
                case("kernel 3, stride 2, padding 1 (-inf border)", (2, 2, 7, 6), kernel_size=3, stride=2, padding=1),
                case("kernel (3, 2), stride (1, 2), padding (1, 0)", (1, 2, 5, 6), kernel_size=(3, 2), stride=(1, 2),
                     padding=(1, 0)),
                case("dilation 2, padding 1", (2, 2, 7, 7), kernel_size=3, stride=1, padding=1, dilation=2),
                case("ceil_mode, an extra window", (2, 2, 7, 6), kernel_size=2, stride=2, ceil_mode=True),
                case("ceil_mode, last window would start in the right padding", (1, 2, 5, 5), kernel_size=2,
                     stride=2, padding=1, ceil_mode=True),
                case("ceil_mode, overlapping, padding 1", (2, 1, 6, 7), kernel_size=3, stride=2, padding=1,
                     ceil_mode=True),
                case("batch size 1", (1, 1, 4, 4), kernel_size=2, stride=1),
                case("unbatched (C, H, W)", (2, 5, 5), kernel_size=2, stride=1)]
    return domain


def avg_pool_domain(rng, dtype):
    def case(name, shape, **kwargs):
        return {"name": name, "args": [rng.standard_normal(shape).astype(dtype)], "kwargs": kwargs}
    return [case("kernel 2", (2, 3, 6, 6), kernel_size=2),
            case("kernel 3, stride 1 (overlapping), padding 1", (2, 2, 6, 5), kernel_size=3, stride=1, padding=1),
            case("padding 1, count_include_pad=False", (2, 2, 6, 5), kernel_size=3, stride=2, padding=1,
                 count_include_pad=False),
            case("ceil_mode, window past the padding", (2, 2, 7, 6), kernel_size=3, stride=2, padding=1,
                 ceil_mode=True),
            case("ceil_mode, count_include_pad=False", (2, 1, 7, 6), kernel_size=3, stride=2, padding=1,
                 ceil_mode=True, count_include_pad=False),
            case("ceil_mode, no padding", (1, 2, 5, 7), kernel_size=2, ceil_mode=True),
            case("divisor_override=3", (2, 2, 6, 6), kernel_size=(2, 3), stride=(2, 1), padding=(1, 1),
                 divisor_override=3),
            case("batch size 1", (1, 1, 4, 4), kernel_size=2, stride=1),
            case("unbatched (C, H, W)", (2, 5, 5), kernel_size=2, stride=1)]


def flatten_domain(rng, dtype):
    def case(name, shape, **kwargs):
        return {"name": name, "args": [rng.standard_normal(shape).astype(dtype)], "kwargs": kwargs}
    return [case("defaults, (4, 2, 3, 3)", (4, 2, 3, 3)), case("start_dim=0", (2, 3, 4), start_dim=0),
            case("start_dim=2, end_dim=3", (2, 3, 4, 2, 2), start_dim=2, end_dim=3),
            case("end_dim=-2", (2, 3, 4, 5), end_dim=-2), case("batch size 1", (1, 3, 2, 2))]


def batch_norm_2d_domain(gradcheck=False):
    """BatchNorm2d in training and eval mode, each option, channels with their own mean and scale;
    batch size 1 (the statistics still have H W values)."""
    def domain(rng, dtype):
        def case(name, shape, train=True, loc=0.0, **kwargs):
            c = shape[1]
            kwargs = {"num_features": c, "dtype": np.dtype(dtype), **kwargs}
            state = {**(_affine_state(rng, c, dtype) if kwargs.get("affine", True) else {}),
                     **(_running_state(rng, c, dtype) if kwargs.get("track_running_stats", True) else {})}
            scale = rng.uniform(0.5, 3.0, c).reshape(1, c, 1, 1)
            x = loc + scale * rng.standard_normal(shape) + rng.standard_normal(scale.shape)
            return {"name": name, "args": [x.astype(dtype)], "kwargs": kwargs, "state": state, "train": train}
        cases = [case("training, (4, 3, 5, 4)", (4, 3, 5, 4)),
                 case("eval, running statistics", (4, 3, 5, 4), train=False),
                 case("momentum=None", (3, 2, 4, 4), momentum=None), case("eps=1e-3", (3, 2, 3, 5), eps=1e-3),
                 case("affine=False", (3, 3, 4, 4), affine=False),
                 case("track_running_stats=False, eval", (3, 2, 4, 3), train=False, track_running_stats=False),
                 case("batch size 1", (1, 3, 4, 4)), case("batch size 1, eval", (1, 2, 3, 3), train=False)]
        if not gradcheck and dtype == np.float64:
            cases.append(case("mean 100", (4, 2, 6, 6), loc=100.0))
        return cases
    return domain


def batch_norm_2d_state_domain(rng, dtype):
    """Several forwards in a row (an eval one between): the running statistics with the unbiased
    variance, and ``num_batches_tracked``, after each."""
    def case(name, shape, trains=(True,) * 3 + (False,) + (True,) * 2, **kwargs):
        steps = [{"x": (2.0 + 3.0 * rng.standard_normal(shape)).astype(dtype), "train": t} for t in trains]
        return {"name": name, "kwargs": {"num_features": shape[1], "dtype": np.dtype(dtype), **kwargs}, "steps": steps}
    return [case("momentum=0.1, (4, 3, 5, 5)", (4, 3, 5, 5)),
            case("momentum=None (cumulative average)", (3, 2, 4, 4), momentum=None),
            case("batch size 1, (1, 2, 3, 3)", (1, 2, 3, 3)),
            case("affine=False", (2, 3, 4, 4), affine=False)]


def group_norm_domain(rng, dtype):
    def case(name, shape, groups, **kwargs):
        c = shape[1]
        kwargs = {"num_groups": groups, "num_channels": c, "dtype": np.dtype(dtype), **kwargs}
        state = _affine_state(rng, c, dtype) if kwargs.get("affine", True) else {}
        x = 2.0 * rng.standard_normal(shape) + rng.standard_normal(shape[:2] + (1,) * (len(shape) - 2))
        return {"name": name, "args": [x.astype(dtype)], "kwargs": kwargs, "state": state}
    return [case("2 groups of 3, (3, 6, 4, 4)", (3, 6, 4, 4), 2), case("1 group (all channels)", (2, 4, 3, 3), 1),
            case("one group per channel", (2, 4, 3, 3), 4), case("3-D (N, C, L)", (3, 6, 5), 3),
            case("2-D (N, C)", (4, 6), 2), case("affine=False", (2, 4, 3, 3), 2, affine=False),
            case("eps=1e-2, batch size 1", (1, 4, 3, 2), 2, eps=1e-2)]


def embedding_domain(rng, dtype):
    """Indices with repeats (gradients must add), the padding row (no gradient), 2-D indices."""
    def case(name, idx, num=7, dim=4, **kwargs):
        state = {"weight": rng.standard_normal((num, dim)).astype(dtype)}
        return {"name": name, "args": [np.asarray(idx, dtype=np.int64)], "state": state,
                "kwargs": {"num_embeddings": num, "embedding_dim": dim, "dtype": np.dtype(dtype), **kwargs}}
    return [case("repeated indices", [3, 1, 3, 3, 0, 6, 1]),
            case("2-D indices (3, 4) with repeats", rng.integers(0, 7, (3, 4))),
            case("padding_idx=2, present twice", [2, 5, 2, 1], padding_idx=2),
            case("padding_idx=-1 (row 6)", [[6, 0], [6, 6]], padding_idx=-1),
            case("batch size 1", [[4]]), case("0-d index", 5)]


def _hinge_case(rng, n, c, away=0.0):
    """Scores and targets; some scores exactly at the kink ``x_i = x_y - margin`` unless ``away``,
    which moves every ``z = 1 - x_y + x_i`` at least that far from 0."""
    x = rng.standard_normal((n, c))
    t = rng.integers(0, c, n)
    rows = np.arange(n)
    if not away:
        x[0, (t[0] + 1) % c] = x[0, t[0]] - 1.0
        x[0] = np.round(x[0] * 4) / 4
        return x, t
    for _ in range(100):
        z = 1.0 - x[rows, t][:, None] + x
        z[rows, t] = 1.0
        near = np.abs(z) < away
        if not near.any():
            break
        x = np.where(near, x + 3 * away, x)
    return x, t


def multi_margin_domain(gradcheck=False):
    def domain(rng, dtype):
        away = 1e-2 if gradcheck else 0.0
        x, t = _hinge_case(rng, 6, 5, away)
        one, t1 = _hinge_case(rng, 1, 4, away)
        w = (rng.random(5) + 0.5).astype(dtype)
        cases = [{"name": "p=1", "args": [x.astype(dtype), t]},
                 {"name": "p=2, margin=0.5", "args": [x.astype(dtype), t], "kwargs": {"p": 2, "margin": 0.5}},
                 {"name": "weight", "args": [x.astype(dtype), t], "kwargs": {"weight": w}},
                 {"name": "p=2, weight", "args": [x.astype(dtype), t], "kwargs": {"p": 2, "weight": w}},
                 {"name": "(C,) input", "args": [one[0].astype(dtype), t1[0]]},
                 {"name": "batch size 1", "args": [one.astype(dtype), t1]}]
        if gradcheck:
            cases = [c for c in cases if c.get("kwargs", {}).get("margin", 1.0) == 1.0]
        return _reductions(cases)
    return domain


ENTRIES = [
    Entry("Conv1d", "layer", "Conv1d", ByKind(conv_domain(1), gradcheck=conv_domain(1, gradcheck=True)),
          kinds=_DEFAULT_KINDS),
    Entry("Conv2d", "layer", "Conv2d", ByKind(conv_domain(2), gradcheck=conv_domain(2, gradcheck=True)),
          kinds=_DEFAULT_KINDS),
    Entry("MaxPool2d", "layer", "MaxPool2d", ByKind(max_pool_domain(), gradcheck=max_pool_domain(gradcheck=True)),
          kinds=("forward", "backward", "gradcheck")),
    Entry("AvgPool2d", "layer", "AvgPool2d", avg_pool_domain, kinds=("forward", "backward", "gradcheck")),
    Entry("Flatten", "layer", "Flatten", flatten_domain, kinds=("forward", "backward", "gradcheck")),
    Entry("BatchNorm2d", "layer", "BatchNorm2d",
          ByKind(batch_norm_2d_domain(), state=batch_norm_2d_state_domain,
                 gradcheck=batch_norm_2d_domain(gradcheck=True)),
          kinds=("forward", "backward", "param_grad", "state", "gradcheck")),
    Entry("GroupNorm", "layer", "GroupNorm", group_norm_domain, kinds=_DEFAULT_KINDS),
    Entry("Embedding", "layer", "Embedding", embedding_domain, kinds=("forward", "param_grad")),
    Entry("MultiMarginLoss", "loss", "MultiMarginLoss",
          ByKind(multi_margin_domain(), gradcheck=multi_margin_domain(gradcheck=True)),
          kinds=("forward", "backward", "gradcheck")),
]
