"""Standardisation over some axes, the core of layer norm (the trailing features) and batch norm (the batch and
spatial axes); ``F.layer_norm`` / ``F.batch_norm`` then scale and shift the result with ordinary Tensor ops
(y = xhat * w + b), whose gradients dw = sum g * xhat, db = sum g come from ``Mul``, ``Add`` and ``unbroadcast``.

forward:  mu = mean(x), var = mean((x - mu)^2) over the axes (M elements), r = 1 / sqrt(var + eps),
          xhat = (x - mu) * r
backward: dx = r * (g - mean(g) - xhat * mean(g * xhat))
          (xhat depends on x directly, through mu (-1/M each) and through r (dr/dx_j = -r^2 xhat_j / M)).
"""
import numpy as np

from ..autograd import Function
from ..backend import xp_of
from .fast_math import fast_mean


class Standardize(Function):
    """xhat = (x - mean) / sqrt(var + eps) over ``axes``; see the module docstring for the backward.

    The backward is written in Tensor ops on the saved output xhat and on r = ``InvStd`` of x, which hands back the
    r computed here instead of recomputing it, so a double backward differentiates r as a function of x."""
    @staticmethod
    def forward(ctx, x, axes, eps):
        xhat = x - fast_mean(x, axes)
        r = 1 / np.sqrt(fast_mean(xhat * xhat, axes) + eps)
        xhat *= r
        xhat = xhat.astype(x.dtype, copy=False)
        ctx.save_for_backward(x, xhat)
        ctx.meta = (axes, eps, r)
        return xhat

    @staticmethod
    def backward(ctx, g):
        x, xhat = ctx.saved_tensors
        axes, eps, r = ctx.meta
        r = InvStd.apply(x, axes, eps, cached=r)
        return r * (g - g.mean(axis=axes, keepdims=True) - xhat * (g * xhat).mean(axis=axes, keepdims=True)), \
            None, None


class InvStd(Function):
    """r = 1 / sqrt(var(x) + eps) over ``axes`` (keepdims), var the mean squared deviation from the mean.
    backward: dx = -g * r^3 * (x - mean(x)) / M (d var / dx_j = 2 (x_j - mu) / M; the mean's term sums to 0).
    ``cached`` hands in r when the caller has already computed it (``Standardize``)."""
    @staticmethod
    def forward(ctx, x, axes, eps, cached=None):
        r = cached
        if r is None:
            d = x - fast_mean(x, axes)
            r = (1 / np.sqrt(fast_mean(d * d, axes) + eps)).astype(x.dtype, copy=False)
        ctx.save_for_backward(x, r)
        ctx.meta = (axes, x.size // r.size)
        return r

    @staticmethod
    def backward(ctx, g):
        x, r = ctx.saved_tensors
        axes, m = ctx.meta
        return -(g * r * r * r) * (x - x.mean(axis=axes, keepdims=True)) / m, None, None, None


def update_running(running, batch_value, momentum):
    """running <- (1 - momentum) * running + momentum * batch_value, in place (as PyTorch's batch norm)."""
    xp = xp_of(running.data)
    running.data[...] = (1 - momentum) * running.data + momentum * xp.asarray(batch_value, running.data.dtype)
