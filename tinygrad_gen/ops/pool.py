"""Max and average pooling over NCHW windows (floor mode, no padding), on the strided views of ``windows``.

Pooling is linear in the pixels it picks (max: one per window, fixed by the forward; average: all, weighted 1/K), so
each backward is a scatter whose own backward is the matching gather: double backward comes for free.
"""
import numpy as np

from ..autograd import Function
from ..backend import xp_of
from .windows import col2im, windows


def _offsets(kernel):
    """The kernel offsets (i, j) in row-major order: offset number k is (k // kw, k % kw)."""
    return [(i, j) for i in range(kernel[0]) for j in range(kernel[1])]


def _slab(a, offset, stride, out_hw):
    """The pixels of ``a`` (N, C, H, W) under kernel offset (i, j) of every window: a strided (N, C, Ho, Wo) view."""
    (i, j), (sh, sw), (ho, wo) = offset, stride, out_hw
    return a[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]


class MaxPool2d(Function):
    """y[n,c,p,q] = max over the window at (p, q); ``idx`` (the offset number of each window's arg-max, the first of
    ties as in PyTorch) is found here unless given.
    backward: the window's arg-max pixel gets g[n,c,p,q], the others 0 (added up where windows overlap)."""
    @staticmethod
    def forward(ctx, x, geom, idx=None):
        kernel, stride, out_hw = geom
        xp = xp_of(x)
        offsets = _offsets(kernel)
        if idx is None:  # a running max over the kh*kw offsets: K passes over output-sized slabs, no window copy
            y = _slab(x, offsets[0], stride, out_hw).copy()
            idx = xp.zeros(y.shape, dtype=np.int8 if len(offsets) < 128 else np.int32)
            for k, offset in enumerate(offsets[1:], 1):
                slab = _slab(x, offset, stride, out_hw)
                idx = xp.where(slab > y, k, idx)  # strict: a tie keeps the earlier offset
                np.maximum(y, slab, out=y)
        else:  # the gather at given arg-max offsets (max pooling's double backward)
            y = xp.zeros(idx.shape, dtype=x.dtype)
            for k, offset in enumerate(offsets):
                xp.copyto(y, _slab(x, offset, stride, out_hw), where=idx == k)
        ctx.meta = (geom, idx, x.shape)
        return y

    @staticmethod
    def backward(ctx, g):
        geom, idx, shape = ctx.meta
        return MaxPoolScatter.apply(g, geom, idx, shape), None, None


class MaxPoolScatter(Function):
    """z = g placed at each window's arg-max pixel (zeros elsewhere, overlaps added): max pooling's backward.
    backward: dg = the upstream gradient read at the same arg-max pixels, i.e. ``MaxPool2d`` with ``idx`` fixed."""
    @staticmethod
    def forward(ctx, g, geom, idx, shape):
        kernel, stride, out_hw = geom
        xp = xp_of(g)
        out = xp.zeros(shape, dtype=g.dtype)
        for k, offset in enumerate(_offsets(kernel)):
            _slab(out, offset, stride, out_hw)[...] += xp.where(idx == k, g, 0)
        ctx.meta = (geom, idx)
        return out

    @staticmethod
    def backward(ctx, h):
        geom, idx = ctx.meta
        return MaxPool2d.apply(h, geom, idx), None, None, None


class AvgPool2d(Function):
    """y[n,c,p,q] = mean of the K = kh*kw pixels in the window at (p, q).
    backward: every pixel of the window gets g[n,c,p,q] / K (added up where windows overlap)."""
    @staticmethod
    def forward(ctx, x, geom):
        kernel, stride, out_hw = geom
        ctx.meta = (geom, x.shape)
        return windows(x, kernel, stride, out_hw).mean(axis=(2, 3))

    @staticmethod
    def backward(ctx, g):
        geom, shape = ctx.meta
        return AvgPoolScatter.apply(g, geom, shape), None


class AvgPoolScatter(Function):
    """z = g / K spread over each window (avg pooling's backward, a linear map).
    backward: its adjoint, average pooling of the upstream gradient."""
    @staticmethod
    def forward(ctx, g, geom, shape):
        kernel, stride, out_hw = geom
        ctx.geom = geom
        k = kernel[0] * kernel[1]
        cols = xp_of(g).broadcast_to((g / k)[:, :, None, None], g.shape[:2] + tuple(kernel) + tuple(out_hw))
        return col2im(cols, shape, stride)

    @staticmethod
    def backward(ctx, h):
        return AvgPool2d.apply(h, ctx.geom), None, None
