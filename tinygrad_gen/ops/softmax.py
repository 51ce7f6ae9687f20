"""Softmax, log-softmax and masked softmax: the max-shift keeps exp from overflowing at logits of 1e4."""
import numpy as np

from ..autograd import Function
from ..backend import xp_of
from .fast_math import row_sums


def _axis_for(x, axis, op):
    """A 0-d x has one element along "axis 0 / -1" (PyTorch): reduce over everything, i.e. axis None."""
    if x.ndim == 0:
        if axis not in (0, -1):
            raise ValueError(f"{op}: axis {axis} is out of range for a 0-d tensor")
        return None
    return axis


class Softmax(Function):
    """y = exp(x - max) / sum exp(x - max) along ``axis``.
    backward: dx = y * (g - sum(g * y, axis)) (the Jacobian diag(y) - y y^T applied to g).
    ``cached`` hands in y when the caller has already computed it (``CrossEntropy``'s backward)."""
    @staticmethod
    def forward(ctx, x, axis=-1, cached=None):
        axis = _axis_for(x, axis, "softmax")
        if x.size == 0:  # nothing to normalise (an empty row has no max)
            ctx.save_for_backward(x)
            ctx.axis = axis
            return x.copy()
        if cached is not None:
            y = cached
        else:
            e = np.exp(x - x.max(axis=axis, keepdims=True))
            y = e / e.sum(axis=axis, keepdims=True)
            y = np.asarray(y) if isinstance(y, np.generic) else y  # 0-d: keep an array, so backward gets a Tensor
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return y * (g - (g * y).sum(axis=ctx.axis, keepdims=True)), None, None


class LogSoftmax(Function):
    """y = x - logsumexp(x, axis), with the max-shift inside logsumexp.
    backward: dx = g - softmax(x) * sum(g, axis) (since dy_i/dx_j = [i = j] - softmax_j)."""
    @staticmethod
    def forward(ctx, x, axis=-1):
        axis = _axis_for(x, axis, "log_softmax")
        if x.size == 0:
            ctx.save_for_backward(x)
            ctx.axis = axis
            return x.copy()
        shifted = x - x.max(axis=axis, keepdims=True)
        y = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        y = np.asarray(y) if isinstance(y, np.generic) else y
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g - y.exp() * g.sum(axis=ctx.axis, keepdims=True)


class MaskedSoftmax(Function):
    """y = softmax of x over the kept positions (mask True = keep), 0 at masked positions.
    backward: dx = y * (g - sum(g * y, axis)); masked positions have y = 0 so they get dx = 0.
    A row whose mask keeps nothing gives y = 0 and dx = 0, never NaN (its sum is replaced by 1)."""
    @staticmethod
    def forward(ctx, x, mask, axis=-1):
        xp = xp_of(x)
        given = mask
        mask = xp.broadcast_to(mask, np.broadcast_shapes(x.shape, mask.shape)) if mask.shape != x.shape else mask
        if mask.shape != x.shape:
            raise ValueError(f"masked_softmax: mask of shape {mask.shape} would broadcast x of shape {x.shape}")
        y = _masked_softmax_rows(x, given) if axis in (-1, x.ndim - 1) else None
        if y is None:
            m = xp.where(mask, x, -np.inf).max(axis=axis, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)
            e = np.exp(xp.where(mask, x - m, -np.inf))
            s = e.sum(axis=axis, keepdims=True)
            y = e / xp.where(s > 0, s, 1)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return y * (g - (g * y).sum(axis=ctx.axis, keepdims=True)), None


def _masked_softmax_rows(x, mask):
    """The masked softmax along the last axis in four passes, when every x lies in (-60, 60): then exp(x) needs no
    shift at all (exp(60) ~ 1e26 leaves float32 room to sum 1e12 of them, and exp(-60) ~ 1e-26 is still a normal
    float32), exp(x) * mask zeroes the masked positions (a product with a 0/1 mask is several times cheaper than
    ``where``, and the row max it would need costs more than all four passes) and BLAS sums the rows. With no
    shift, a row's values depend on its kept entries alone, so a causal output stays bit-for-bit blind to later
    tokens. None otherwise (an inf, a NaN, a large score, an empty x or one not float32/64): the caller then takes
    the row-max path."""
    if x.size == 0 or x.dtype not in (np.float32, np.float64):
        return None
    if not (x.max() < 60 and x.min() > -60):  # False for NaN, too
        return None
    e = np.exp(x)
    e *= mask.astype(x.dtype) if mask.size < x.size else mask  # a mask that broadcasts is small: its cast is cheap
    s = row_sums(e.reshape(-1, x.shape[-1])).reshape(x.shape[:-1] + (1,))
    s[s == 0] = 1  # a row that keeps nothing: y = 0, not 0 / 0
    e /= s
    return e
