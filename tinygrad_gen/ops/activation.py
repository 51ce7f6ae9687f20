"""Activation functions beyond relu/gelu/sigmoid: silu, elu, hardsigmoid, hardswish. (selu, softsign, mish,
quick_gelu and the tanh GELU are compositions of these and elementwise ops, in ``nn/functional.py``: their
backward rules follow from the primitives' by the chain rule.)"""
import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ..backend import xp_of
from .elementwise import _mask


class Silu(Function):
    """z = a * sigmoid(a) (a.k.a. swish).  forward: a * s with s = sigmoid(a).
    backward: da = g * (s + a s (1 - s)) = g * s * (1 + a (1 - s)) (product rule, s' = s (1 - s))."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        e = np.exp(-np.abs(a))
        s = xp_of(a).where(a >= 0, 1, e) / (1 + e)  # the overflow-free sigmoid of elementwise.Sigmoid
        return (a * s).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        s = a.sigmoid()
        return g * s * (1 + a * (1 - s))


class Elu(Function):
    """z = a for a > 0, alpha (exp(a) - 1) otherwise.  forward: where(a > 0, a, alpha * expm1(a)).
    backward: da = g for a > 0, g * alpha * exp(a) otherwise (at a = 0 the left side, alpha, as PyTorch)."""
    @staticmethod
    def forward(ctx, a, alpha=1.0):
        ctx.save_for_backward(a)
        ctx.alpha = alpha
        neg = np.expm1(np.minimum(a, 0)) * alpha  # min(a, 0) keeps exp from overflowing on the unused side
        return xp_of(a).where(a > 0, a, neg).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        pos = a.data > 0
        left = (a.masked_fill(pos, 0.0).exp() * ctx.alpha).masked_fill(pos, 0.0)
        return g * (left + _mask(pos, a.data)), None


class Hardsigmoid(Function):
    """z = clip(a / 6 + 1/2, 0, 1).  forward: that clip.
    backward: da = g / 6 for -3 < a < 3, else 0 (strict bounds, as PyTorch)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.clip(a / 6 + 0.5, 0, 1).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * _mask((a.data > -3) & (a.data < 3), a.data) / 6


class Hardswish(Function):
    """z = a * hardsigmoid(a) = a * clip(a + 3, 0, 6) / 6.  forward: that product.
    backward: da = 0 for a < -3, g * (2a + 3) / 6 for -3 <= a <= 3, g for a > 3 (PyTorch's bounds)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return (a * np.clip(a + 3, 0, 6) / 6).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        middle = (a.data >= -3) & (a.data <= 3)
        return g * (a * _mask(middle, a.data) / 3 + Tensor((middle * 0.5 + (a.data > 3)).astype(a.dtype)))
