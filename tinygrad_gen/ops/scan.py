"""Scans along one axis: cumsum, cumprod, logcumsumexp, and the running-extreme indices of cummax / cummin (whose
values are then a gather, so their backward is gather's)."""
import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ..backend import xp_of


def _flip(a, axis):
    return a[(slice(None),) * axis + (slice(None, None, -1),)]


class Cumsum(Function):
    """z_i = sum_{k <= i} a_k along ``axis`` (``reverse``: sum_{k >= i}).  forward: np.cumsum.
    backward: da_j = sum_{i >= j} g_i (each a_j enters every later partial sum once): the reverse scan of g."""
    @staticmethod
    def forward(ctx, a, axis, reverse=False):
        ctx.meta = (axis, reverse)
        if reverse:
            return _flip(np.cumsum(_flip(a, axis), axis=axis), axis)
        return np.cumsum(a, axis=axis)

    @staticmethod
    def backward(ctx, g):
        axis, reverse = ctx.meta
        return Cumsum.apply(g, axis, not reverse), None, None


class Cumprod(Function):
    """z_i = prod_{k <= i} a_k along ``axis``.  forward: np.cumprod.
    backward: da_j = sum_{i >= j} g_i prod_{k <= i, k != j} a_k. Let p be the first zero of a's slice:
      j < p: a_j != 0, so the product is z_i / a_j and da_j = revcumsum(g z)_j / a_j (z_i = 0 for i >= p);
      j = p: da_p = sum_{i >= p} g_i cumprod(b)_i, b = a with a_p replaced by 1;
      j > p: every product contains a_p = 0, so da_j = 0.
    All three are Tensor ops of a and z, so this backward can itself be differentiated: exactly away from zeros (at
    a zero, the j > p rows drop the a_p-derivative that their products carry)."""
    @staticmethod
    def forward(ctx, a, axis):
        out = np.cumprod(a, axis=axis)
        ctx.save_for_backward(a, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        axis = ctx.axis
        zero = a.data == 0
        seen = np.cumsum(zero, axis=axis)
        before = seen == 0
        safe = a.masked_fill(~before, 1.0)
        da = (Cumsum.apply(g * out, axis, True) / safe).masked_fill(~before, 0.0)
        if zero.any():
            first = zero & (seen == 1)
            tail = Cumsum.apply(g * Cumprod.apply(a.masked_fill(first, 1.0), axis), axis, True)
            da = da + tail.masked_fill(~first, 0.0)
        return da, None


class LogCumSumExp(Function):
    """z_i = log sum_{k <= i} exp(a_k) along ``axis``.  forward: np.logaddexp.accumulate (pairwise, so neither
    overflow nor underflow; CuPy: a max-shifted cumsum).
    backward: da_j = sum_{i >= j} g_i exp(a_j - z_i) (d z_i / d a_j = softmax weight of a_j in the first i + 1),
    computed as exp(a_j - c) revcumsum(g exp(c - z))_j in float64, c the middle of z's range along the slice
    (exact while z spans less than ~1400 along the axis; an all -inf prefix gets 0)."""
    @staticmethod
    def forward(ctx, a, axis):
        xp = xp_of(a)
        if xp is np:
            out = np.logaddexp.accumulate(a, axis=axis)
        else:
            m = a.max(axis=axis, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)
            out = xp.log(xp.cumsum(xp.exp(a - m), axis=axis)) + m
        ctx.save_for_backward(a, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        axis = ctx.axis
        xp = xp_of(out.data)
        z = out.data
        finite = xp.where(xp.isfinite(z), z, xp.nan)
        lo, hi = xp.nanmin(finite, axis=axis, keepdims=True), xp.nanmax(finite, axis=axis, keepdims=True)
        c = Tensor(xp.nan_to_num((lo + hi) / 2).astype(np.float64))
        shift = (c - out.astype(np.float64)).masked_fill(~xp.isfinite(z), -np.inf)  # z = -inf: no weight
        w = Cumsum.apply(g.astype(np.float64) * shift.exp(), axis, True)
        return (a.astype(np.float64) - c).exp() * w, None


def running_extreme_indices(a, axis, largest):
    """Indices of cummax (``largest``) or cummin along ``axis``: the last position k <= i holding the running
    extreme (PyTorch's choice at ties). The running extreme only changes where a_k equals it, so the answer is the
    running max of those positions."""
    xp = xp_of(a)
    if xp is not np:  # CuPy has no ufunc.accumulate: the indices are computed on the host
        return xp.asarray(running_extreme_indices(a.get(), axis, largest))
    run = (np.maximum if largest else np.minimum).accumulate(a, axis=axis)
    shape = [1] * a.ndim
    shape[axis] = a.shape[axis]
    pos = xp.arange(a.shape[axis]).reshape(shape)
    return np.maximum.accumulate(xp.where(a == run, pos, 0), axis=axis)
