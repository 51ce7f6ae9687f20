"""Standardisation over some axes, the core of layer norm (the trailing features) and batch norm (the batch and
spatial axes). ``F.layer_norm`` scales and shifts the result with ordinary Tensor ops (y = xhat * w + b), whose
gradients dw = sum g * xhat, db = sum g come from ``Mul``, ``Add`` and ``unbroadcast``; ``F.batch_norm`` in
training runs ``BatchNorm``, the same math in one node, whose per-channel sums serve all three gradients.

forward:  mu = mean(x), var = mean((x - mu)^2) over the axes (M elements), r = 1 / sqrt(var + eps),
          xhat = (x - mu) * r
backward: dx = r * (g - mean(g) - xhat * mean(g * xhat))
          (xhat depends on x directly, through mu (-1/M each) and through r (dr/dx_j = -r^2 xhat_j / M)).
"""
import numpy as np

from ..autograd import Function
from ..backend import xp_of
from .fast_math import fast_mean, mean_square
from .movement import Expand


class Standardize(Function):
    """xhat = (x - mean) / sqrt(var + eps) over ``axes``; see the module docstring for the backward.

    The backward is written in Tensor ops on the saved output xhat and on r = ``InvStd`` of x, which hands back the
    r computed here instead of recomputing it, so a double backward differentiates r as a function of x.
    ``cached`` = (xhat, r) hands in what a caller has already computed (``BatchNorm``'s backward)."""
    @staticmethod
    def forward(ctx, x, axes, eps, cached=None):
        if cached is None:
            xhat = x - fast_mean(x, axes)
            r = 1 / np.sqrt(mean_square(xhat, axes) + eps)
            xhat *= r
            xhat = xhat.astype(x.dtype, copy=False)
        else:
            xhat, r = cached
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
            r = (1 / np.sqrt(mean_square(d, axes) + eps)).astype(x.dtype, copy=False)
        ctx.save_for_backward(x, r)
        ctx.meta = (axes, x.size // r.size)
        return r

    @staticmethod
    def backward(ctx, g):
        x, r = ctx.saved_tensors
        axes, m = ctx.meta
        return -(g * r * r * r) * (x - x.mean(axis=axes, keepdims=True)) / m, None, None, None


def spread(v, x):
    """A per-channel (1, C, 1, ...) array copied out over x's spatial axes, (1, C, H, ...), contiguous: NumPy runs
    an op against it as fast as against a scalar, but up to 3.5x slower against the broadcast, whose inner loop is
    one short spatial row (measured: 45 vs 13 us on 64x128x2x2, 4.5 vs 2.9 ms on 32x128x32x32)."""
    out = xp_of(v).empty((1,) + x.shape[1:], v.dtype)
    out[...] = v
    return out


class BatchNorm(Function):
    """Batch norm in training: y = xhat * w + b, xhat = ``Standardize`` of x over the batch and spatial axes (all
    but the channel axis 1, M values per channel), w and b per channel (either may be None: 1 and 0).
    backward: db = sum g, dw = sum g * xhat (per channel); dx is the module's rule applied to the upstream g * w,
              whose two means are mean(g w) = w db / M and mean(g w xhat) = w dw / M, so
              dx = w r (g - db / M - xhat dw / M): one pair of per-channel sums serves all three gradients.
    ``stats``, a list, receives the batch mean and biased variance per channel (for the running statistics)."""
    @staticmethod
    def forward(ctx, x, w, b, eps, stats=None):
        axes = (0,) + tuple(range(2, x.ndim))
        per_channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        mu = fast_mean(x, axes)
        xhat = x - spread(mu, x)
        var = mean_square(xhat, axes)
        r = (1 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        xhat *= spread(r, x)
        if stats is not None:
            stats.extend((mu.reshape(-1), var.reshape(-1)))
        y = xhat * spread(w.reshape(per_channel), x) if w is not None else xhat.copy()  # xhat is kept for backward
        if b is not None:
            y += spread(b.reshape(per_channel), x)
        ctx.save_for_backward(x, w)
        ctx.meta = (axes, per_channel, eps, xhat, r)
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        axes, per_channel, eps, xhat, r = ctx.meta
        m = x.data.size // x.shape[1]
        xhat = Standardize.apply(x, axes, eps, cached=(xhat, r))  # the saved xhat as a function of x, for
        scale = InvStd.apply(x, axes, eps, cached=r)                 # a double backward (no recomputation)
        if w is not None:
            scale = scale * w.reshape(per_channel)
        db = g.sum(axis=axes, keepdims=True)
        dw = (g * xhat).sum(axis=axes, keepdims=True)
        dx = None
        if ctx.needs_input_grad[0]:
            spread_t = lambda t: Expand.apply(t, (1,) + x.shape[1:], copy=True)  # noqa: E731 - see spread
            dx = spread_t(scale) * (g - xhat * spread_t(dw / m) - spread_t(db / m))
        need_w, need_b = ctx.needs_input_grad[1:3]
        return dx, dw.reshape(-1) if need_w else None, db.reshape(-1) if need_b else None, None, None


def update_running(running, batch_value, momentum):
    """running <- (1 - momentum) * running + momentum * batch_value, in place (as PyTorch's batch norm)."""
    xp = xp_of(running.data)
    running.data[...] = (1 - momentum) * running.data + momentum * xp.asarray(batch_value, running.data.dtype)
