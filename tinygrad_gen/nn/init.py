"""Initialisations, in place, drawn from the engine's seeded generator (``tg.manual_seed``), with PyTorch's formulas.

PyTorch's default for Linear and Conv weights is ``kaiming_uniform_(w, a=sqrt(5))``: U(-b, b) with
b = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)), which works out to b = 1 / sqrt(fan_in).
"""
import math

import numpy as np

from ..backend import to_device
from ..random import generator


def _fill(t, values):
    t.data[...] = to_device(np.asarray(values, dtype=t.dtype), t.device)
    return t


def fans(t):
    """(fan_in, fan_out) as PyTorch computes them: dims 1 and 0 times the receptive field (the trailing dims)."""
    if t.ndim < 2:
        raise ValueError(f"init: fan in and fan out need a tensor of at least 2 dims, got shape {t.shape}")
    receptive = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def uniform_(t, a=0.0, b=1.0):
    """Fill ``t`` in place with U(a, b) samples (PyTorch's ``nn.init.uniform_``)."""
    return _fill(t, generator().uniform(a, b, t.shape))


def normal_(t, mean=0.0, std=1.0):
    """Fill ``t`` in place with N(mean, std^2) samples (PyTorch's ``nn.init.normal_``)."""
    return _fill(t, generator().normal(mean, std, t.shape))


def zeros_(t):
    """Fill ``t`` with zeros, in place (PyTorch's ``nn.init.zeros_``)."""
    return _fill(t, 0)


def ones_(t):
    """Fill ``t`` with ones, in place (PyTorch's ``nn.init.ones_``)."""
    return _fill(t, 1)


def kaiming_uniform_(t, a=0.0):
    """U(-b, b), b = sqrt(2 / (1 + a^2)) * sqrt(3 / fan_in): keeps activations' variance through leaky-ReLU layers."""
    fan_in, _ = fans(t)
    bound = math.sqrt(2.0 / (1 + a * a)) * math.sqrt(3.0 / fan_in) if fan_in else 0.0
    return uniform_(t, -bound, bound)


def xavier_uniform_(t, gain=1.0):
    """U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot): variance balanced between forward and backward."""
    fan_in, fan_out = fans(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound)


def default_bias_(bias, fan_in):
    """PyTorch's bias initialisation for Linear and Conv: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform_(bias, -bound, bound)
