"""Starter template: a NumPy neural network to the twinnet contract (CONTRACT.md), to be filled in.

Every name below raises NotImplementedError until you write it; ``twinnet verify`` reports those as
"not implemented" and checks the rest against torch, component by component:

    twinnet verify my_network.py

Conventions (CONTRACT.md): arrays are batch first, ``x`` is ``(N, features)``; float32 in gives
float32 out and float32 gradients (no Python-float or float64 constants that upcast); inputs are
never modified in place; ``backward`` adds parameter gradients into ``Parameter.grad`` (they
accumulate, as in torch) and returns the gradient with respect to the input of the last ``forward``.
Use NumPy only.

You may instead write the tutorials' functional style for the activations: ``relu(z)`` and
``relu_derivative(z)`` (the derivative with respect to z), likewise ``sigmoid``, ``leaky_relu``,
``tanh``, ``elu``, ``softplus``, ``gelu`` (the erf form), and ``softmax(z)`` over the last axis, with
torch's default parameters. Delete the class of the same name if you do: a class takes precedence.
"""
import numpy as np


class Parameter:
    """A learnable array ``data`` and its accumulated gradient ``grad`` (None until a backward adds into it)."""

    def __init__(self, data):
        self.data = np.asarray(data)
        self.grad = None


class Module:
    """Base class. ``forward(x) -> y`` caches what ``backward(grad_y) -> grad_x`` needs; ``__call__`` is forward."""

    training = True

    def __call__(self, *args):
        return self.forward(*args)

    def forward(self, *args):
        raise NotImplementedError("forward")

    def backward(self, grad_y):
        raise NotImplementedError("backward")

    def named_parameters(self):
        """``[(name, Parameter)]`` named as torch's: ``weight``, ``bias``; in Sequential ``0.weight``, ``2.bias``."""
        raise NotImplementedError("named_parameters")

    def parameters(self):
        """The Parameters of ``named_parameters``, in the same order."""
        raise NotImplementedError("parameters")

    def zero_grad(self):
        """Set every parameter's ``grad`` to None (torch's default)."""
        raise NotImplementedError("zero_grad")

    def train(self, mode=True):
        """Set ``training`` (here and in children); return self."""
        raise NotImplementedError("train")

    def eval(self):
        """``train(False)``."""
        raise NotImplementedError("eval")

    def state_dict(self):
        """``{name: ndarray}`` of parameters and buffers with torch's keys (``0.weight``, ``running_mean``)."""
        raise NotImplementedError("state_dict")

    def load_state_dict(self, state_dict):
        """Copy values into the existing arrays, keeping their dtype; the keys must be exactly torch's."""
        raise NotImplementedError("load_state_dict")


# -- activations: y has x's shape and dtype -----------------------------------------------------

class Identity(Module):
    """y = x."""


class ReLU(Module):
    """y = max(0, x); derivative 1 for x > 0, else 0 (ReLU'(0) = 0)."""


class LeakyReLU(Module):
    """y = x for x > 0, else negative_slope * x; LeakyReLU'(0) = negative_slope."""

    def __init__(self, negative_slope=0.01):
        raise NotImplementedError("LeakyReLU")


class ELU(Module):
    """y = x for x > 0, else alpha (exp(x) - 1); ELU'(0) = alpha."""

    def __init__(self, alpha=1.0):
        raise NotImplementedError("ELU")


class SELU(Module):
    """y = scale * ELU(x, alpha) with torch's alpha = 1.6732632423543772, scale = 1.0507009873554805;
    SELU'(0) = scale * alpha."""


class CELU(Module):
    """y = max(0, x) + min(0, alpha (exp(x / alpha) - 1)); CELU'(0) = 1."""

    def __init__(self, alpha=1.0):
        raise NotImplementedError("CELU")


class GELU(Module):
    """approximate='none': y = x Phi(x) = x/2 (1 + erf(x / sqrt 2)); 'tanh': torch's tanh approximation."""

    def __init__(self, approximate="none"):
        raise NotImplementedError("GELU")


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x)), finite for x = +-1000; derivative y (1 - y)."""


class Tanh(Module):
    """y = tanh(x); derivative 1 - y^2."""


class Softplus(Module):
    """y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        raise NotImplementedError("Softplus")


class SiLU(Module):
    """y = x sigmoid(x)."""


class Mish(Module):
    """y = x tanh(softplus(x))."""


class Hardtanh(Module):
    """y = clip(x, min_val, max_val); derivative 1 strictly inside, 0 at both edges and outside."""

    def __init__(self, min_val=-1.0, max_val=1.0):
        raise NotImplementedError("Hardtanh")


class Softsign(Module):
    """y = x / (1 + |x|)."""


class Softmax(Module):
    """y = exp(x) / sum(exp(x)) along dim (subtract the max first); backward y (g - sum(g y, dim))."""

    def __init__(self, dim=-1):
        raise NotImplementedError("Softmax")


class LogSoftmax(Module):
    """y = x - logsumexp(x) along dim."""

    def __init__(self, dim=-1):
        raise NotImplementedError("LogSoftmax")


# -- layers ---------------------------------------------------------------------------------------

class Linear(Module):
    """y = x W^T + b with weight (out_features, in_features) and bias (out_features,), both uniform in
    +-1/sqrt(in_features); grad_x = grad_y W, weight.grad += grad_y^T x, bias.grad += sum of grad_y."""

    def __init__(self, in_features, out_features, bias=True, dtype=np.float64, rng=None):
        raise NotImplementedError("Linear")


class Sequential(Module):
    """Children named "0", "1", ...; forward in order, backward in reverse order."""

    def __init__(self, *modules):
        raise NotImplementedError("Sequential")


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest by 1/(1 - p); keep the
    keep-mask as ``.mask`` (bool); identity in eval mode."""

    def __init__(self, p=0.5, rng=None):
        raise NotImplementedError("Dropout")


class BatchNorm1d(Module):
    """Normalise each feature over the batch (biased variance), then weight * x_hat + bias; running_mean and
    running_var (unbiased) updated with momentum in training, used in eval; buffers in state_dict."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, dtype=np.float64):
        raise NotImplementedError("BatchNorm1d")


class LayerNorm(Module):
    """Normalise over the last len(normalized_shape) axes (biased variance), then weight * x_hat + bias."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, dtype=np.float64):
        raise NotImplementedError("LayerNorm")


# -- losses: value = loss(input, target), a 0-d array for 'mean'/'sum'; backward() gives grad_input --

class _Loss:
    def __call__(self, input, target):
        return self.forward(input, target)

    def forward(self, input, target):
        raise NotImplementedError("forward")

    def backward(self, grad_output=1.0):
        raise NotImplementedError("backward")


class MSELoss(_Loss):
    """mean((input - target)^2), no 1/2; gradient 2 (input - target) / n for 'mean'."""

    def __init__(self, reduction="mean"):
        raise NotImplementedError("MSELoss")


class L1Loss(_Loss):
    """mean(|input - target|); gradient sign(input - target), 0 where they are equal."""

    def __init__(self, reduction="mean"):
        raise NotImplementedError("L1Loss")


class HuberLoss(_Loss):
    """0.5 d^2 for |d| < delta, else delta (|d| - 0.5 delta), d = input - target."""

    def __init__(self, reduction="mean", delta=1.0):
        raise NotImplementedError("HuberLoss")


class SmoothL1Loss(_Loss):
    """0.5 d^2 / beta for |d| < beta, else |d| - 0.5 beta."""

    def __init__(self, reduction="mean", beta=1.0):
        raise NotImplementedError("SmoothL1Loss")


class BCELoss(_Loss):
    """-weight (t log p + (1 - t) log(1 - p)), each log clamped at -100."""

    def __init__(self, weight=None, reduction="mean"):
        raise NotImplementedError("BCELoss")


class BCEWithLogitsLoss(_Loss):
    """BCE of sigmoid(z) computed stably from the logits z, with weight and pos_weight."""

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        raise NotImplementedError("BCEWithLogitsLoss")


class CrossEntropyLoss(_Loss):
    """-log softmax(z)[target] on logits (N, C), (C,) or (N, C, d...); integer targets are class indices,
    floating ones class probabilities; a weighted 'mean' divides by the sum of the targets' weights."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        raise NotImplementedError("CrossEntropyLoss")


class NLLLoss(_Loss):
    """-input[n, target[n]] (input holds log-probabilities), with weight and ignore_index."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        raise NotImplementedError("NLLLoss")


class KLDivLoss(_Loss):
    """target (log target - input) (input holds log-probabilities); 'batchmean' divides by N."""

    def __init__(self, reduction="mean", log_target=False):
        raise NotImplementedError("KLDivLoss")


# -- optimizers: step() updates p.data in place from p.grad, skipping grads that are None --------

class SGD:
    """buf = momentum buf + (1 - dampening) g, starting as buf = g; p -= lr buf (torch's form, not the
    averaged v = momentum v + (1 - momentum) g); weight_decay adds weight_decay p to g first."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
        raise NotImplementedError("SGD")


class Adam:
    """m, v moving averages of g and g^2; bias-corrected by 1 - beta^t with t counted per parameter."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False):
        raise NotImplementedError("Adam")


class AdamW:
    """Adam with decoupled weight decay: p *= 1 - lr weight_decay before the Adam step."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 maximize=False):
        raise NotImplementedError("AdamW")


class RMSprop:
    """v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 maximize=False):
        raise NotImplementedError("RMSprop")


class Adagrad:
    """sum += g^2; p -= lr / (1 + (t - 1) lr_decay) g / (sqrt(sum) + eps)."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 maximize=False):
        raise NotImplementedError("Adagrad")


class Adadelta:
    """torch.optim.Adadelta's update."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
        raise NotImplementedError("Adadelta")


class Adamax:
    """torch.optim.Adamax's update (infinity norm)."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
        raise NotImplementedError("Adamax")


class NAdam:
    """torch.optim.NAdam's update (with momentum_decay)."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, maximize=False):
        raise NotImplementedError("NAdam")


class RAdam:
    """torch.optim.RAdam's update (rectified variance)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 maximize=False):
        raise NotImplementedError("RAdam")


# -- learning-rate schedulers: step() once per epoch, get_last_lr() -----------------------------

class StepLR:
    """lr = base_lr gamma^(epoch // step_size)."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        raise NotImplementedError("StepLR")


class MultiStepLR:
    """lr multiplied by gamma at each milestone."""

    def __init__(self, optimizer, milestones, gamma=0.1):
        raise NotImplementedError("MultiStepLR")


class ExponentialLR:
    """lr = base_lr gamma^epoch."""

    def __init__(self, optimizer, gamma):
        raise NotImplementedError("ExponentialLR")


class CosineAnnealingLR:
    """torch's recursive cosine annealing from base_lr to eta_min over T_max epochs."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        raise NotImplementedError("CosineAnnealingLR")


class LinearLR:
    """lr factor moving linearly from start_factor to end_factor over total_iters epochs."""

    def __init__(self, optimizer, start_factor=1 / 3, end_factor=1.0, total_iters=5):
        raise NotImplementedError("LinearLR")


class OneCycleLR:
    """torch's one-cycle policy (warm-up to max_lr, then anneal), cycling momentum too."""

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
        raise NotImplementedError("OneCycleLR")


class ReduceLROnPlateau:
    """step(metric): multiply lr by factor after patience epochs without improvement."""

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        raise NotImplementedError("ReduceLROnPlateau")


# -- gradient clipping: in place on p.grad --------------------------------------------------------

def clip_grad_norm_(parameters, max_norm, norm_type=2.0):
    """Scale all grads by max_norm / (total_norm + 1e-6) when that is below 1; return total_norm (0-d array)."""
    raise NotImplementedError("clip_grad_norm_")


def clip_grad_value_(parameters, clip_value):
    """Clip every grad element to [-clip_value, clip_value]."""
    raise NotImplementedError("clip_grad_value_")


# -- initialisation: fill the array in place and return it; rng is a numpy Generator ------------

class init:
    """torch.nn.init's functions, called as ``init.uniform_(w, rng=rng)``."""

    @staticmethod
    def uniform_(tensor, a=0.0, b=1.0, rng=None):
        """Draws from U(a, b)."""
        raise NotImplementedError("init.uniform_")

    @staticmethod
    def normal_(tensor, mean=0.0, std=1.0, rng=None):
        """Draws from N(mean, std^2)."""
        raise NotImplementedError("init.normal_")

    @staticmethod
    def constant_(tensor, val):
        """Every element val."""
        raise NotImplementedError("init.constant_")

    @staticmethod
    def ones_(tensor):
        """Every element 1."""
        raise NotImplementedError("init.ones_")

    @staticmethod
    def zeros_(tensor):
        """Every element 0."""
        raise NotImplementedError("init.zeros_")

    @staticmethod
    def calculate_gain(nonlinearity, param=None):
        """torch's table: 1 for linear and sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2))
        for leaky_relu (slope 0.01 by default), 3/4 for selu; ValueError for anything else."""
        raise NotImplementedError("init.calculate_gain")

    @staticmethod
    def xavier_uniform_(tensor, gain=1.0, rng=None):
        """U(-a, a) with a = gain sqrt(6 / (fan_in + fan_out)); a weight (out, in) has fan_in = in, fan_out = out."""
        raise NotImplementedError("init.xavier_uniform_")

    @staticmethod
    def xavier_normal_(tensor, gain=1.0, rng=None):
        """N(0, std^2) with std = gain sqrt(2 / (fan_in + fan_out))."""
        raise NotImplementedError("init.xavier_normal_")

    @staticmethod
    def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
        """U(-bound, bound) with bound = calculate_gain(nonlinearity, a) sqrt(3 / fan)."""
        raise NotImplementedError("init.kaiming_uniform_")

    @staticmethod
    def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
        """N(0, std^2) with std = calculate_gain(nonlinearity, a) / sqrt(fan)."""
        raise NotImplementedError("init.kaiming_normal_")
