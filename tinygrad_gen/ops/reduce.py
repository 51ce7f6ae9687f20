"""Reductions. Each backward brings g back to the input's shape: reshape it to the kept-dims shape, then expand."""
import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ..backend import xp_of
from .fast_math import fast_mean, fast_sum


def normalize_axis(axis, ndim, op="reduce"):
    """``None`` -> every axis; an int or tuple -> a sorted tuple of non-negative axes (checked). A 0-d tensor takes
    axis 0 or -1 as PyTorch does, meaning no axis at all (so sum, max, squeeze(0) ... of a scalar are the scalar)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    return tuple(sorted(set(out))) if ndim else ()


def _check_not_empty(a, axes, op):
    """A max, min or arg-reduction over no elements has no value: an error naming the op (PyTorch's too)."""
    if any(a.shape[i] == 0 for i in axes):
        raise ValueError(f"{op}: cannot reduce over a zero-size axis (shape {a.shape}, axes {axes})")


def kept_shape(shape, axes):
    """The shape a reduction over ``axes`` (None: all) leaves with keepdims=True."""
    return tuple(1 if axes is None or i in axes else n for i, n in enumerate(shape))


def _expand_back(g, shape, axes, keepdims):
    """The adjoint of a reduction's shape change: reshape g to keepdims form, then broadcast to ``shape``."""
    if not keepdims and g.ndim:  # a 0-d g (everything reduced) broadcasts as it is
        g = g.reshape(kept_shape(shape, axes))
    return g.expand(*shape)


class Sum(Function):
    """z = sum of a over axes.  backward: da = g broadcast back over the summed axes (each a_i has dz/da_i = 1)."""
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        axes = None if axis is None else normalize_axis(axis, a.ndim, "sum")  # None: all (the common case)
        ctx.meta = (a.shape, axes, keepdims)
        if axes and a.dtype.kind == "f" and a.ndim >= 2:  # BLAS sums where the axes allow (see fast_math)
            s = fast_sum(a, axes)
            return s if keepdims else s.reshape(tuple(k for i, k in enumerate(a.shape) if i not in axes))
        return a.sum(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, *ctx.meta)


class Mean(Function):
    """z = sum of a over axes / n.  backward: da = g / n broadcast back over the reduced axes."""
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        axes = normalize_axis(axis, a.ndim, "mean")
        ctx.meta = (a.shape, axes, keepdims)
        n = 1
        for i in axes:
            n *= a.shape[i]
        ctx.n = n
        if n == 0:  # the mean of nothing is NaN (PyTorch), without NumPy's division warning
            xp = xp_of(a)
            return xp.full([m for i, m in enumerate(a.shape) if keepdims or i not in axes],
                           np.nan, dtype=a.dtype if a.dtype.kind in "fc" else np.float32)
        if a.dtype.kind == "f" and a.ndim >= 2:  # BLAS sums where the axes allow (fast_math.fast_mean says why)
            m = fast_mean(a, axes)
            return m if keepdims else m.reshape(tuple(k for i, k in enumerate(a.shape) if i not in axes))
        out = a.sum(axis=axes, keepdims=keepdims) / n  # ndarray.mean is several times slower on small arrays
        return out if a.dtype.kind in "fc" else out.astype(np.float32)  # PyTorch's float dtype for int means

    @staticmethod
    def backward(ctx, g):
        if ctx.n == 0:  # an empty input: an empty gradient
            return Tensor(xp_of(g.data).zeros(ctx.meta[0], g.dtype))
        return _expand_back(g / ctx.n, *ctx.meta)


class Max(Function):
    """z = max of a over axes.  backward: g goes to the arg-max; ties share it equally, da = g * [a == z] / count."""
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False, reducer="max"):
        axes = normalize_axis(axis, a.ndim, reducer)
        if a.size == 0:
            _check_not_empty(a, axes, reducer)
        out = a.max(axis=axes, keepdims=True) if reducer == "max" else a.min(axis=axes, keepdims=True)
        hit = (a == out)
        with np.errstate(invalid="ignore", divide="ignore"):  # only an empty slice divides by 0
            ctx.weight = hit / hit.sum(axis=axes, keepdims=True).astype(a.dtype)
        ctx.meta = (a.shape, axes, keepdims)
        return out if keepdims else out.reshape([n for i, n in enumerate(a.shape) if i not in axes])

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, *ctx.meta) * Tensor(ctx.weight.astype(g.dtype, copy=False))


class LogSumExp(Function):
    """z = log sum exp(a) over axes, as m + log sum exp(a - m) with m the max (no overflow at a = 1e4).
    backward: da = g * exp(a - z) = g * softmax(a), computed as e / sum(e) with e = exp(a - m): exp(a - z) would
    lose float32 digits when z is large (z = 1e4 has a spacing of 1e-3). An all -inf slice gives z = -inf, da = 0."""
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        xp = xp_of(a)
        axes = normalize_axis(axis, a.ndim, "logsumexp")
        # initial=-inf: an empty slice has no max, and its log-sum is log 0 = -inf (PyTorch)
        m = a.max(axis=axes, keepdims=True) if a.size else a.max(axis=axes, keepdims=True, initial=-np.inf)
        m = xp.where(xp.isfinite(m), m, 0)  # an all -inf slice must not give inf - inf = nan
        with np.errstate(divide="ignore"):
            out = np.log(np.exp(a - m).sum(axis=axes, keepdims=True)) + m
        if not keepdims:
            out = out.reshape([n for i, n in enumerate(a.shape) if i not in axes])
        ctx.save_for_backward(a)
        ctx.m = m
        ctx.meta = (a.shape, axes, keepdims)
        return out

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        shape, axes, keepdims = ctx.meta
        e = (a - Tensor(ctx.m)).exp()  # m is a constant shift: softmax does not depend on it
        s = e.sum(axis=axes, keepdims=True)
        p = e / s.masked_fill(s.data == 0, 1.0)
        return _expand_back(g, shape, axes, keepdims) * p


class ArgMax(Function):
    """z = index of the maximum (``reducer="min"``: of the minimum), the first one at ties; computed directly, so
    integer extremes are exact.  backward: none (the output is an integer, piecewise constant in a)."""
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False, reducer="max"):
        op = "argmax" if reducer == "max" else "argmin"
        axes = normalize_axis(axis, a.ndim, op)
        if a.size == 0:
            _check_not_empty(a, axes, op)
        if a.ndim == 0:
            return xp_of(a).zeros((), np.int64)
        fn = a.argmax if reducer == "max" else a.argmin
        if axis is None:
            out = fn()
            return out.reshape((1,) * a.ndim) if keepdims else out
        if not isinstance(axis, (int, np.integer)):
            raise ValueError(f"{op}: axis must be one int or None, got {axis}")
        return fn(axis=axes[0], keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        return None
