"""torch's side of the module kinds: the twin built from the same spec and case. Judge only."""
import contextlib
import functools
import warnings

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import reference


def tensor(a, grad=False):
    t = torch.tensor(np.array(a, copy=True))
    return t.requires_grad_(grad and t.is_floating_point())


def tensors(value, grad=False):
    """Arrays (and nested tuples of them) as tensors; floating ones require grad when ``grad``."""
    if isinstance(value, (list, tuple)):
        return type(value)(tensors(v, grad) for v in value)
    return value if value is None else tensor(value, grad)


def numpy(value):
    if isinstance(value, (list, tuple)):
        return type(value)(numpy(v) for v in value)
    return None if value is None else value.detach().numpy()


def module(spec, case, dtype):
    m = reference.torch_module(spec["cls"], {**spec.get("kwargs", {}), **case.get("kwargs", {})}, dtype)
    if "state" in case:
        reference.load_into_torch(m, case["state"])
    return m.train(case.get("train", True))


def quiet(fn):
    """Silence torch's deprecation notices (KLDivLoss 'mean'); the registry asks for those cases on purpose."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn(*args, **kwargs)
    return wrapper


class _Replay(TorchDispatchMode):
    """Feed torch's own Bernoulli draws from ``masks``, in order: ``nn.Dropout`` runs its own kernel
    (``noise.bernoulli_(1 - p)``, ``noise.div_(1 - p)``, ``input * noise``) with the implementation's keep-masks."""

    def __init__(self, masks):
        super().__init__()
        self.masks = list(masks)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func is not torch.ops.aten.bernoulli_.float:
            return func(*args, **(kwargs or {}))
        if not self.masks:
            raise ValueError("torch drew more keep-masks than the implementation returned")
        mask = np.asarray(self.masks.pop(0))
        target = args[0]
        if mask.dtype != np.bool_ or mask.shape != tuple(target.shape):
            raise ValueError(f"a keep-mask must be a bool array of shape {tuple(target.shape)}, "
                             f"got {mask.dtype} of shape {mask.shape}")
        return target.copy_(torch.from_numpy(mask))


def replaying(masks):
    """A context where torch's Bernoulli draws are ``masks`` (none to replay: a plain context)."""
    return _Replay(masks) if len(masks) else contextlib.nullcontext()


def pairs(outputs, upstream):
    """``(outputs, gradients)`` as two lists, matched through the nesting, where both are given."""
    if isinstance(outputs, (list, tuple)):
        matched = [pairs(o, g) for o, g in zip(outputs, upstream)]
        return [t for m in matched for t in m[0]], [g for m in matched for g in m[1]]
    return ([outputs], [upstream]) if outputs is not None and upstream is not None else ([], [])


def random_like(rng, value, dtype):
    """A standard normal array of each floating output's shape (nested like ``value``; None elsewhere)."""
    if isinstance(value, (list, tuple)):
        return type(value)(random_like(rng, v, dtype) for v in value)
    if value is None or not value.is_floating_point():
        return None
    return rng.standard_normal(tuple(value.shape)).astype(dtype)


def grads(value):
    """The gradients of tensors given as inputs, nested like them (None where there is none)."""
    if isinstance(value, (list, tuple)):
        return tuple(grads(v) for v in value)
    return None if value is None or value.grad is None else value.grad.numpy()


def call_kwargs(case):
    """Forward's keyword options of a case, arrays (masks) as tensors."""
    return {k: tensor(v) if isinstance(v, np.ndarray) else v for k, v in case.get("call_kwargs", {}).items()}
