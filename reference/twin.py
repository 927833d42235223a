"""Map each scratch class to its torch class and carry constructor arguments and weights across.

A twin is the torch class plus the names of the constructor arguments that scratch keeps as
attributes of the same name (``LeakyReLU.negative_slope``); ``to_torch`` reads them, builds the
torch module in the scratch module's dtype and copies its ``state_dict``; ``from_torch`` goes back.
"""
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

import scratch


@dataclass(frozen=True)
class Twin:
    torch_cls: type
    args: tuple = ()
    getters: dict = field(default_factory=dict)
    has_dtype: bool = False
    defaults: dict = field(default_factory=dict)

    def kwargs_of(self, module):
        kwargs = {name: getattr(module, name) for name in self.args}
        kwargs.update({name: get(module) for name, get in self.getters.items()})
        return kwargs


def _has_bias(m):
    return getattr(m, "bias", None) is not None


def _array_or_none(name):
    return lambda m: None if getattr(m, name) is None else torch.as_tensor(np.asarray(getattr(m, name)))


_REDUCTION = ("reduction",)
_CONV = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "padding_mode")
_RECURRENT = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional")

TWINS = {
    "Identity": Twin(nn.Identity),
    "ReLU": Twin(nn.ReLU),
    "LeakyReLU": Twin(nn.LeakyReLU, ("negative_slope",)),
    "ELU": Twin(nn.ELU, ("alpha",)),
    "SELU": Twin(nn.SELU),
    "CELU": Twin(nn.CELU, ("alpha",)),
    "GELU": Twin(nn.GELU, ("approximate",)),
    "Sigmoid": Twin(nn.Sigmoid),
    "Tanh": Twin(nn.Tanh),
    "Softplus": Twin(nn.Softplus, ("beta", "threshold")),
    "SiLU": Twin(nn.SiLU),
    "Mish": Twin(nn.Mish),
    "Hardtanh": Twin(nn.Hardtanh, ("min_val", "max_val")),
    "Softsign": Twin(nn.Softsign),
    "Softmax": Twin(nn.Softmax, ("dim",), defaults={"dim": -1}),
    "LogSoftmax": Twin(nn.LogSoftmax, ("dim",), defaults={"dim": -1}),
    "Linear": Twin(nn.Linear, ("in_features", "out_features"), {"bias": _has_bias}, has_dtype=True),
    "Dropout": Twin(nn.Dropout, ("p",)),
    "BatchNorm1d": Twin(nn.BatchNorm1d, ("num_features", "eps", "momentum", "affine", "track_running_stats"),
                        {"bias": _has_bias}, has_dtype=True),
    "LayerNorm": Twin(nn.LayerNorm, ("normalized_shape", "eps", "elementwise_affine"), {"bias": _has_bias},
                      has_dtype=True),
    "Conv1d": Twin(nn.Conv1d, _CONV, {"bias": _has_bias}, has_dtype=True),
    "Conv2d": Twin(nn.Conv2d, _CONV, {"bias": _has_bias}, has_dtype=True),
    "MaxPool2d": Twin(nn.MaxPool2d, ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode")),
    "AvgPool2d": Twin(nn.AvgPool2d, ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                                     "divisor_override")),
    "Flatten": Twin(nn.Flatten, ("start_dim", "end_dim")),
    "BatchNorm2d": Twin(nn.BatchNorm2d, ("num_features", "eps", "momentum", "affine", "track_running_stats"),
                        {"bias": _has_bias}, has_dtype=True),
    "GroupNorm": Twin(nn.GroupNorm, ("num_groups", "num_channels", "eps", "affine"), {"bias": _has_bias},
                      has_dtype=True),
    "Embedding": Twin(nn.Embedding, ("num_embeddings", "embedding_dim", "padding_idx"), has_dtype=True),
    "RNNCell": Twin(nn.RNNCell, ("input_size", "hidden_size", "bias", "nonlinearity"), has_dtype=True),
    "LSTMCell": Twin(nn.LSTMCell, ("input_size", "hidden_size", "bias"), has_dtype=True),
    "GRUCell": Twin(nn.GRUCell, ("input_size", "hidden_size", "bias"), has_dtype=True),
    "RNN": Twin(nn.RNN, _RECURRENT + ("nonlinearity",), has_dtype=True),
    "LSTM": Twin(nn.LSTM, _RECURRENT, has_dtype=True),
    "GRU": Twin(nn.GRU, _RECURRENT, has_dtype=True),
    "MultiheadAttention": Twin(nn.MultiheadAttention, ("embed_dim", "num_heads", "dropout", "batch_first", "kdim", "vdim"),
                               {"bias": lambda m: m.in_proj_bias is not None}, has_dtype=True),
    "MSELoss": Twin(nn.MSELoss, _REDUCTION),
    "L1Loss": Twin(nn.L1Loss, _REDUCTION),
    "HuberLoss": Twin(nn.HuberLoss, _REDUCTION + ("delta",)),
    "SmoothL1Loss": Twin(nn.SmoothL1Loss, _REDUCTION + ("beta",)),
    "BCELoss": Twin(nn.BCELoss, _REDUCTION, {"weight": _array_or_none("weight")}),
    "BCEWithLogitsLoss": Twin(nn.BCEWithLogitsLoss, _REDUCTION,
                              {"weight": _array_or_none("weight"), "pos_weight": _array_or_none("pos_weight")}),
    "CrossEntropyLoss": Twin(nn.CrossEntropyLoss, _REDUCTION + ("ignore_index", "label_smoothing"),
                             {"weight": _array_or_none("weight")}),
    "NLLLoss": Twin(nn.NLLLoss, _REDUCTION + ("ignore_index",), {"weight": _array_or_none("weight")}),
    "KLDivLoss": Twin(nn.KLDivLoss, _REDUCTION + ("log_target",)),
    "MultiMarginLoss": Twin(nn.MultiMarginLoss, _REDUCTION + ("p", "margin"), {"weight": _array_or_none("weight")}),
}

_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def torch_dtype(dtype):
    """The torch dtype of a NumPy float dtype (float32 or float64)."""
    try:
        return _DTYPES[np.dtype(dtype)]
    except KeyError:
        raise ValueError(f"unsupported dtype {np.dtype(dtype)}; use float32 or float64") from None


def _twin(name):
    try:
        return TWINS[name]
    except KeyError:
        raise KeyError(f"no torch twin for '{name}'; known: {', '.join(sorted(TWINS))}") from None


def torch_module(name, kwargs, dtype=None):
    """Build the torch twin of scratch class ``name`` from constructor ``kwargs``.

    NumPy arrays among the kwargs (loss weights) become tensors of ``dtype``; where scratch's default
    differs from torch's (``Softmax(dim=-1)``, where torch's implicit dim is deprecated), scratch's is passed.
    """
    twin = _twin(name)
    tdtype = None if dtype is None else torch_dtype(dtype)
    kwargs = {k: torch.as_tensor(v, dtype=tdtype) if isinstance(v, np.ndarray) else v
              for k, v in {**twin.defaults, **kwargs}.items()}
    if twin.has_dtype and tdtype is not None:
        kwargs["dtype"] = tdtype
    return twin.torch_cls(**kwargs)


def _module_dtype(module):
    floats = [v.dtype for v in module.state_dict().values() if np.issubdtype(v.dtype, np.floating)]
    return floats[0] if floats else None


def to_torch(module):
    """The torch twin of a scratch module (``Sequential`` recursively), with its weights and buffers."""
    if isinstance(module, scratch.Sequential):
        twin = nn.Sequential(*(to_torch(child) for child in module))
    else:
        name = type(module).__name__
        twin = torch_module(name, _twin(name).kwargs_of(module), _module_dtype(module))
    load_into_torch(twin, module.state_dict())
    twin.train(module.training)
    return twin


def from_torch(module):
    """The scratch twin of a torch module (``nn.Sequential`` recursively), with its weights and buffers."""
    if isinstance(module, nn.Sequential):
        twin = scratch.Sequential(*(from_torch(child) for child in module))
    else:
        name = next((n for n, t in TWINS.items() if type(module) is t.torch_cls), None)
        if name is None:
            raise KeyError(f"no scratch twin for torch class {type(module).__name__}")
        kwargs = {k: v.detach().cpu().numpy().copy() if isinstance(v, torch.Tensor) else v
                  for k, v in TWINS[name].kwargs_of(module).items()}
        floats = [v for v in module.state_dict().values() if v.is_floating_point()]
        if TWINS[name].has_dtype and floats:
            kwargs["dtype"] = floats[0].detach().numpy().dtype
        twin = getattr(scratch, name)(**kwargs)
    load_into_scratch(twin, module.state_dict())
    twin.train(module.training)
    return twin


def load_into_torch(torch_module_, state):
    """Copy a scratch ``state_dict`` (NumPy arrays) into a torch module; torch keeps its dtypes."""
    torch_module_.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in state.items()})


def load_into_scratch(scratch_module, state):
    """Copy a torch ``state_dict`` (tensors) into a scratch module; scratch keeps its dtypes."""
    scratch_module.load_state_dict({k: v.detach().cpu().numpy() for k, v in state.items()})
