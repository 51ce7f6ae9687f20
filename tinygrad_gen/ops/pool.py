"""Max and average pooling over NCHW windows, on the strided views of ``windows``.

A pooling geometry ``geom`` = (kernel, stride, dilation, out_hw, pads, divisor): the input is padded by
pads = ((top, bottom), (left, right)) -- ``padding`` on the left, on the right also whatever a ceil-mode last
window reaches past -- with -inf for max pooling (a pad is never the max) and 0 for average pooling, whose window
sums are divided by ``divisor`` (an (Ho, Wo) array: PyTorch's count with or without the padding, or an override).

Pooling is linear in the pixels it picks (max: one per window, fixed by the forward; average: all, weighted
1/divisor), so each backward is a scatter whose own backward is the matching gather: double backward comes free.
"""
import numpy as np

from ..autograd import Function
from ..backend import xp_of
from .windows import col2im, crop, pad, slab


def _offsets(kernel):
    """The kernel offsets (i, j) in row-major order: offset number k is (k // kw, k % kw)."""
    return [(i, j) for i in range(kernel[0]) for j in range(kernel[1])]


def _lowest(dtype):
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


def _keep(cond, g, finite, out=None):
    """g where cond, else 0 (into ``out`` if given), exactly: an inf or NaN of g must not leak out as 0 * inf = NaN.
    NumPy: a product with cond when g is all ``finite``, else g's bits masked with cond's; both without where's
    branch per element (~10x slower on a random cond)."""
    if type(g) is not np.ndarray or g.dtype.kind != "f":
        picked = xp_of(g).where(cond, g, 0)
        if out is None:
            return picked
        out[...] = picked
        return out
    if finite:
        return np.multiply(g, cond, out=out)
    ints = np.dtype(f"i{g.dtype.itemsize}")
    mask = cond.astype(ints)
    np.negative(mask, out=mask)  # 1 -> all bits set
    return np.bitwise_and(g.view(ints), mask, out=mask if out is None else out.view(ints)).view(g.dtype)


def _tiled(g, kernel, stride, dilation):
    """Whether the windows tile the image (stride = kernel, no dilation): then none overlap, and a scatter writes
    each offset's slab once instead of adding into zeros (NumPy arrays; CuPy keeps the general path)."""
    return type(g) is np.ndarray and tuple(stride) == tuple(kernel) and tuple(dilation) == (1, 1)


def _padded_shape(shape, pads):
    (t, b), (l, r) = pads
    return tuple(shape[:2]) + (shape[2] + t + b, shape[3] + l + r)


def _padded_out(g, shape, pads, kernel, stride, dilation, out_hw):
    """The padded (N, C, Hp, Wp) gradient a scatter writes into: zeros, unless tiling windows cover all of it
    (then every pixel is written once, and an empty array saves a pass)."""
    padded = _padded_shape(shape, pads)
    if _tiled(g, kernel, stride, dilation) and (out_hw[0] * kernel[0], out_hw[1] * kernel[1]) == padded[2:]:
        return np.empty(padded, dtype=g.dtype)
    return xp_of(g).zeros(padded, dtype=g.dtype)


class MaxPool2d(Function):
    """y[n,c,p,q] = max over the window at (p, q); ``idx`` (the offset number of each window's arg-max, the first of
    ties as in PyTorch) is found here unless given.
    backward: the window's arg-max pixel gets g[n,c,p,q], the others 0 (added up where windows overlap)."""
    @staticmethod
    def forward(ctx, x, geom, idx=None):
        kernel, stride, dilation, out_hw, pads, _ = geom
        xp = xp_of(x)
        offsets = _offsets(kernel)
        if idx is None:  # a running max over the kh*kw offsets: K passes over output-sized slabs, no window copy
            padded = pad(x, pads, _lowest(x.dtype))
            y = slab(padded, offsets[0], stride, out_hw, dilation).copy()
            idx = xp.zeros(y.shape, dtype=np.int8 if len(offsets) < 128 else np.int32)
            for k, offset in enumerate(offsets[1:], 1):
                s = slab(padded, offset, stride, out_hw, dilation)
                hit = (s > y).astype(idx.dtype)  # strict: a tie keeps the earlier offset
                hit *= k  # k exceeds every offset number so far: max(idx, k * hit) is where(hit, k, idx),
                xp.maximum(idx, hit, out=idx)  # without where's branch per element (~10x slower on random data)
                np.maximum(y, s, out=y)
        else:  # the gather at given arg-max offsets (max pooling's double backward)
            padded = pad(x, pads)
            y = xp.zeros(idx.shape, dtype=x.dtype)
            for k, offset in enumerate(offsets):
                xp.copyto(y, slab(padded, offset, stride, out_hw, dilation), where=idx == k)
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
        kernel, stride, dilation, out_hw, pads, _ = geom
        xp = xp_of(g)
        out = _padded_out(g, shape, pads, kernel, stride, dilation, out_hw)
        finite = type(g) is np.ndarray and bool(np.isfinite(g).all())
        tiled = _tiled(g, kernel, stride, dilation)
        for k, offset in enumerate(_offsets(kernel)):
            if tiled:  # each pixel under one window: written once, no read-modify-write
                _keep(idx == k, g, finite, out=slab(out, offset, stride, out_hw, dilation))
            else:
                slab(out, offset, stride, out_hw, dilation)[...] += _keep(idx == k, g, finite)
        ctx.meta = (geom, idx)
        return xp.ascontiguousarray(crop(out, pads, shape[2:]))

    @staticmethod
    def backward(ctx, h):
        geom, idx = ctx.meta
        return MaxPool2d.apply(h, geom, idx), None, None, None


class AvgPool2d(Function):
    """y[n,c,p,q] = (sum of the pixels in the window at (p, q), padding included as zeros) / divisor[p, q].
    backward: every pixel of the window gets g[n,c,p,q] / divisor[p, q] (added up where windows overlap)."""
    @staticmethod
    def forward(ctx, x, geom):
        kernel, stride, dilation, out_hw, pads, divisor = geom
        ctx.meta = (geom, x.shape)
        padded = pad(x, pads)
        # a window sum is separable: sum the kw columns of each row (rows kept whole), then the kh rows of those
        # sums: kh + kw passes instead of kh * kw, and the second pass reads whole contiguous rows
        (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
        rows = slab(padded, (0, 0), (1, sw), (padded.shape[2], wo), (1, dw)).copy()
        for j in range(1, kw):
            rows += slab(padded, (0, j), (1, sw), (padded.shape[2], wo), (1, dw))
        y = slab(rows, (0, 0), (sh, 1), (ho, wo), (dh, 1)).copy()
        for i in range(1, kh):
            y += slab(rows, (i, 0), (sh, 1), (ho, wo), (dh, 1))
        y /= divisor.astype(y.dtype, copy=False) if hasattr(divisor, "astype") else divisor
        return y

    @staticmethod
    def backward(ctx, g):
        geom, shape = ctx.meta
        return AvgPoolScatter.apply(g, geom, shape), None


class AvgPoolScatter(Function):
    """z = g / divisor spread over each window (avg pooling's backward, a linear map).
    backward: its adjoint, average pooling of the upstream gradient."""
    @staticmethod
    def forward(ctx, g, geom, shape):
        kernel, stride, dilation, out_hw, pads, divisor = geom
        ctx.geom = geom
        xp = xp_of(g)
        share = g / (divisor.astype(g.dtype, copy=False) if hasattr(divisor, "astype") else divisor)
        if _tiled(g, kernel, stride, dilation):  # each pixel under one window: its share repeated over the window
            (kh, kw), (ho, wo) = kernel, out_hw     # (two np.repeat passes beat kh * kw strided writes, ~1.6x)
            spread = share.repeat(kw, axis=3).repeat(kh, axis=2)
            out = spread
            if spread.shape[2:] != _padded_shape(shape, pads)[2:]:  # rows or columns that no window reaches
                out = xp.zeros(_padded_shape(shape, pads), dtype=g.dtype)
                out[:, :, :ho * kh, :wo * kw] = spread
        else:
            cols = xp.broadcast_to(share[:, :, None, None], g.shape[:2] + tuple(kernel) + tuple(out_hw))
            out = col2im(cols, _padded_shape(shape, pads), stride, dilation)
        return xp.ascontiguousarray(crop(out, pads, shape[2:]))

    @staticmethod
    def backward(ctx, h):
        return AvgPool2d.apply(h, ctx.geom), None, None
