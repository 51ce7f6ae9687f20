"""Normalisation over some axes (layer norm: the trailing features; batch norm: the batch and spatial axes), fused.

forward:  mu = mean(x), var = mean((x - mu)^2) over the axes, xhat = (x - mu) * r with r = 1 / sqrt(var + eps),
          y = xhat * w + b   (w, b broadcast against x; either may be absent)
backward: with d = g * w (the gradient reaching xhat) and means over the M normalised elements,
          dx = r * (d - mean(d) - xhat * mean(d * xhat))
          (xhat depends on x directly, through mu (-1/M each) and through r (-xhat/M * xhat each));
          dw = g * xhat, db = g, summed by the engine over the axes w was broadcast along.
"""
import numpy as np

from ..autograd import Function, is_grad_enabled
from ..backend import xp_of


def normalize_stats(x, axes, eps):
    """(mu, r) on arrays, kept dims; var is the biased (1/M) batch variance, as in the forward of both norms."""
    mu = x.mean(axis=axes, keepdims=True)
    d = x - mu
    var = (d * d).mean(axis=axes, keepdims=True)
    return mu, 1 / np.sqrt(var + eps), var


class Normalize(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b over ``axes``; see the module docstring for the backward."""
    @staticmethod
    def forward(ctx, x, w, b, axes, eps):
        mu, r, _ = normalize_stats(x, axes, eps)
        xhat = (x - mu) * r
        ctx.save_for_backward(x, w, xhat, r)
        ctx.meta = (axes, eps)
        y = xhat
        if w is not None:
            y = y * w
        if b is not None:
            y = y + b
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, w, xhat, r = ctx.saved_tensors
        axes, eps = ctx.meta
        if is_grad_enabled():
            # building a graph for a double backward: xhat and r must be functions of x, not saved constants
            d = x - x.mean(axis=axes, keepdims=True)
            r = ((d * d).mean(axis=axes, keepdims=True) + eps) ** -0.5
            xhat = d * r
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = dw = None
        if need_x:
            dxhat = g * w if w is not None else g
            dx = r * (dxhat - dxhat.mean(axis=axes, keepdims=True)
                      - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))
        if need_w:
            dw = g * xhat
        return dx, dw, (g if need_b else None), None, None


def update_running(running, batch_value, momentum):
    """running <- (1 - momentum) * running + momentum * batch_value, in place (as PyTorch's batch norm)."""
    xp = xp_of(running.data)
    running.data[...] = (1 - momentum) * running.data + momentum * xp.asarray(batch_value, running.data.dtype)
