"""Normalisation over some axes (layer norm: the trailing features; batch norm: the batch and spatial axes), fused.

forward:  mu = mean(x), var = mean((x - mu)^2) over the axes, xhat = (x - mu) * r with r = 1 / sqrt(var + eps),
          y = xhat * w + b   (w, b broadcast against x; either may be absent)
backward: with d = g * w (the gradient reaching xhat) and means over the M normalised elements,
          dx = r * (d - mean(d) - xhat * mean(d * xhat))
          (xhat depends on x directly, through mu (-1/M each) and through r (-xhat/M * xhat each));
          dw = g * xhat, db = g, summed by the engine over the axes w was broadcast along.
"""
import math

import numpy as np

from ..autograd import Function, is_grad_enabled
from ..backend import xp_of
from ..tensor import Tensor


def fast_mean(a, axes):
    """Mean over ``axes`` (keepdims) of an array. Where the reduced axes are the trailing ones (layer norm) or all
    but the channel axis 1 (batch norm), a BLAS matrix-vector product does the summing: NumPy's own reductions
    over many short rows are several times slower."""
    xp, nd = xp_of(a), a.ndim
    kept = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
    if axes == tuple(range(axes[0], nd)) and axes[0] > 0:
        m = math.prod(a.shape[axes[0]:])
        return (a.reshape(-1, m) @ xp.full(m, 1 / m, dtype=a.dtype)).reshape(kept)
    if nd > 2 and axes == (0,) + tuple(range(2, nd)):
        n, c = a.shape[:2]
        m = a.size // (n * c)
        return (a.reshape(n, c, m) @ xp.full(m, 1 / (n * m), dtype=a.dtype)).sum(axis=0).reshape(kept)
    return a.mean(axis=axes, keepdims=True)


class Normalize(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b over ``axes``; see the module docstring for the backward."""
    @staticmethod
    def forward(ctx, x, w, b, axes, eps):
        xhat = x - fast_mean(x, axes)
        r = 1 / np.sqrt(fast_mean(xhat * xhat, axes) + eps)
        xhat *= r
        ctx.save_for_backward(x, w, xhat, r)
        ctx.meta = (axes, eps)
        y = xhat * w if w is not None else xhat.copy()
        if b is not None:
            y += b
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, w, xhat, r = ctx.saved_tensors
        axes, eps = ctx.meta
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if not is_grad_enabled():  # nothing is recorded: the same formulas on arrays, with fewer temporaries
            return _backward_arrays(g.data, None if w is None else w.data, xhat.data, r.data, axes, need_x, need_w,
                                    need_b)
        # building a graph for a double backward: xhat and r must be functions of x, not saved constants
        d = x - x.mean(axis=axes, keepdims=True)
        r = ((d * d).mean(axis=axes, keepdims=True) + eps) ** -0.5
        xhat = d * r
        dx = dw = None
        if need_x:
            dxhat = g * w if w is not None else g
            dx = (dxhat - dxhat.mean(axis=axes, keepdims=True)
                  - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True)) * r
        if need_w:
            dw = g * xhat
        return dx, dw, (g if need_b else None), None, None


def _backward_arrays(g, w, xhat, r, axes, need_x, need_w, need_b):
    """dx = r * (d - mean(d) - xhat * mean(d * xhat)) with d = g * w, dw = g * xhat, db = g, on arrays."""
    dx = dw = None
    if need_x:
        dxhat = g * w if w is not None else g
        tmp = dxhat * xhat
        np.multiply(xhat, fast_mean(tmp, axes), out=tmp)
        dx = dxhat - fast_mean(dxhat, axes)
        dx -= tmp
        dx *= r
        dx = Tensor(dx)
    if need_w:
        dw = Tensor(g * xhat)
    return dx, dw, (Tensor(g) if need_b else None), None, None


def update_running(running, batch_value, momentum):
    """running <- (1 - momentum) * running + momentum * batch_value, in place (as PyTorch's batch norm)."""
    xp = xp_of(running.data)
    running.data[...] = (1 - momentum) * running.data + momentum * xp.asarray(batch_value, running.data.dtype)
