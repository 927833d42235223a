"""Parameter, the Module base class and Sequential, after ``torch.nn.Module``."""
import numpy as np


class Parameter:
    """A learnable array and its accumulated gradient (``torch.nn.Parameter``).

    ``data`` is updated in place by optimizers; ``grad`` is None until a backward
    pass adds into it, and ``zero_grad`` sets it back to None, as torch does.
    """

    def __init__(self, data):
        self.data = np.asarray(data)
        self.grad = None

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def accumulate(self, grad):
        """Add ``grad`` into ``self.grad`` (gradients accumulate, as in torch).

        ``grad`` must be a fresh array that nothing else holds (a result just computed): the first
        gradient is kept as it is, without a copy, and later ones are added into it in place.
        """
        grad = np.asarray(grad, dtype=self.data.dtype)
        if self.grad is None:
            self.grad = grad
        else:
            self.grad += grad

    def __repr__(self):
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: ``forward``/``backward``, parameters, buffers, train/eval, state_dict.

    Subclasses set parameters as :class:`Parameter` attributes, child modules as
    :class:`Module` attributes and buffers by listing their attribute names in
    ``_buffers``; everything else is derived from those.
    """

    _buffers = ()

    def __init__(self):
        self.training = True

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def children(self):
        return [(name, value) for name, value in vars(self).items() if isinstance(value, Module)]

    def named_parameters(self, prefix=""):
        out = []
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                out.append((prefix + name, value))
        for name, child in self.children():
            out.extend(child.named_parameters(prefix + name + "."))
        return out

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix=""):
        out = [(prefix + name, getattr(self, name)) for name in self._buffers
               if getattr(self, name, None) is not None]
        for name, child in self.children():
            out.extend(child.named_buffers(prefix + name + "."))
        return out

    def zero_grad(self):
        """Set every parameter's ``grad`` to None (torch's ``set_to_none=True``)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode=True):
        self.training = bool(mode)
        for _, child in self.children():
            child.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def state_dict(self):
        """Copies of parameters and buffers, keyed as torch's ``state_dict()``."""
        state = {name: p.data.copy() for name, p in self.named_parameters()}
        state.update((name, np.array(b, copy=True)) for name, b in self.named_buffers())
        return state

    def load_state_dict(self, state_dict):
        """Copy values into the existing arrays, keeping their dtype (torch's strict load).

        Buffers are ndarrays (0-d for ``num_batches_tracked``). Raises KeyError naming missing or
        unexpected keys and ValueError naming a key whose shape differs; nothing is copied unless
        every key fits.
        """
        targets = self._state_targets()
        missing = sorted(set(targets) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(targets))
        if missing or unexpected:
            raise KeyError(f"{type(self).__name__}.load_state_dict: missing keys {missing}, "
                           f"unexpected keys {unexpected}; keys must be exactly {sorted(targets)}")
        for key, (owner, attr) in targets.items():
            have = np.shape(getattr(owner, attr))
            got = np.shape(state_dict[key])
            if have != got:
                raise ValueError(f"{type(self).__name__}.load_state_dict: '{key}' has shape {got}, "
                                 f"expected {have}")
        for key, (owner, attr) in targets.items():
            getattr(owner, attr)[...] = state_dict[key]

    def _state_targets(self, prefix=""):
        targets = {}
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                targets[prefix + name] = (value, "data")
        for name in self._buffers:
            if getattr(self, name, None) is not None:
                targets[prefix + name] = (self, name)
        for name, child in self.children():
            targets.update(child._state_targets(prefix + name + "."))
        return targets

    def extra_repr(self):
        return ""

    def __repr__(self):
        children = self.children()
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


class Sequential(Module):
    """A chain of modules (``torch.nn.Sequential``); children are named ``0``, ``1``, ...

    ``backward`` runs the children's ``backward`` in reverse order and returns the gradient with
    respect to the input. ``backward(grad, input_grad=False)`` says the input is data whose gradient
    is not wanted: the first child (a ``Linear``) then skips that product and None is returned, as
    torch's autograd skips it for an input that does not require grad.
    """

    def __init__(self, *modules):
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: argument {i} must be a Module, got {type(module).__name__}")
            setattr(self, str(i), module)

    def __len__(self):
        return len(self.children())

    def __getitem__(self, i):
        return self.children()[i][1]

    def __iter__(self):
        return iter([m for _, m in self.children()])

    def forward(self, x):
        for module in self:
            x = module(x)
        return x

    def backward(self, grad, input_grad=True):
        modules = list(self)
        for module in reversed(modules[1:]):
            grad = module.backward(grad)
        if not modules:
            return grad
        return modules[0].backward(grad) if input_grad else modules[0].backward(grad, input_grad=False)
