"""Fast paths of the pooling family (``ops/pooling.py``): the same values and gradients as the plain ops, in fewer
passes over memory and without ``np.where``'s branch per element (about 5 ms per million elements on a random
condition, ~10x a product).

Each plain op copies its windows into K = kh * kw columns and reduces them; these loop over the K kernel offsets
instead, reading or writing one output-sized strided slab (``windows.slab``) per offset, so no window copy is made.
Timings: CPU time, one thread, float32, medians of interleaved runs against the plain op on the same machine
(``tgg bench conv`` has the shapes against PyTorch).
"""
import numpy as np

from ...backend import xp_of
from ...dispatch import register_fast_path
from ..pooling import (AvgPool2d, AvgPoolScatter, MaxPool2d, MaxPoolScatter, as_batch, lowest, padded_shape,
                       unpadded)
from ..windows import pad, slab


def _offsets(kernel):
    """The kernel offsets (i, j) in row-major order: offset number k is (k // kw, k % kw)."""
    return [(i, j) for i in range(kernel[0]) for j in range(kernel[1])]


def _tiled(g, kernel, stride, dilation):
    """Whether the windows tile the image (stride = kernel, no dilation): then none overlap, and a scatter writes
    each offset's slab once instead of adding into zeros (NumPy arrays; CuPy keeps the general path)."""
    return type(g) is np.ndarray and tuple(stride) == tuple(kernel) and tuple(dilation) == (1, 1)


def _keep(cond, g, finite, out=None):
    """g where cond, else 0 (into ``out`` if given), exactly: an inf or NaN of g must not leak out as 0 * inf = NaN.
    NumPy: a product with cond when g is all ``finite``, else g's bits masked with cond's (all bits set where True,
    none where False); both without where's branch per element."""
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


def _padded_out(g, shape, geom):
    """The padded (N, C, Hp, Wp) gradient a scatter of g (N, C, Ho, Wo) onto an image of ``shape`` writes into:
    zeros, unless tiling windows cover all of it (then every pixel is written once, and an empty array saves a
    pass)."""
    kernel, stride, dilation, out_hw, pads, _ = geom
    padded = padded_shape(g.shape[:2] + tuple(shape[-2:]), pads)
    if _tiled(g, kernel, stride, dilation) and (out_hw[0] * kernel[0], out_hw[1] * kernel[1]) == padded[2:]:
        return np.empty(padded, dtype=g.dtype)
    return xp_of(g).zeros(padded, dtype=g.dtype)


@register_fast_path(MaxPool2d, "the max and its arg-max by a running max over the K kernel offsets (K passes over "
                    "output-sized slabs, no window copy; the arg-max as max(idx, k * hit) in int8, no np.where): "
                    "forward 1.7x faster than the plain op at 32x128x32x32 k2 s2, 3.8x at 32x64x32x32 k3 s2 p1, "
                    "2.8x at k3 s1 p1 (float32, one thread)")
class FastMaxPool2d(MaxPool2d):
    """``MaxPool2d``, its max and arg-max found by a running max over the kernel offsets."""
    @staticmethod
    def forward(ctx, x, geom, idx=None):
        if idx is not None:  # the gather of a double backward: the plain op's take_along_axis is the fastest measured
            return MaxPool2d.forward(ctx, x, geom, idx)
        kernel, stride, dilation, out_hw, pads, _ = geom
        ctx.save_for_backward(x)
        xp = xp_of(x)
        offsets = _offsets(kernel)
        padded = pad(as_batch(x), pads, lowest(x.dtype))
        y = slab(padded, offsets[0], stride, out_hw, dilation).copy()
        idx = xp.zeros(y.shape, dtype=np.int8 if len(offsets) < 128 else np.int32)
        for k, offset in enumerate(offsets[1:], 1):
            s = slab(padded, offset, stride, out_hw, dilation)
            hit = (s > y).astype(idx.dtype)  # strict: a tie keeps the earlier offset
            hit *= k  # k exceeds every offset number so far: max(idx, k * hit) is where(hit, k, idx),
            xp.maximum(idx, hit, out=idx)  # without where's branch per element (~10x slower on random data)
            np.maximum(y, s, out=y)  # a NaN propagates into y; its arg-max is set below
        if y.dtype.kind == "f" and y.size and xp.isnan(y.min()):  # one read of y (its min is NaN if any is)
            nan = xp.isnan(y)
            for k, offset in enumerate(offsets):  # PyTorch's rule: the window's last NaN
                xp.copyto(idx, k, where=nan & xp.isnan(slab(padded, offset, stride, out_hw, dilation)))
        ctx.meta = (geom, idx)
        return y if x.ndim == 4 else y[0]


@register_fast_path(MaxPoolScatter, "g placed at the arg-max offsets slab by slab (K strided adds, no column "
                    "array), each slab g * (idx == k) (a bit mask where g holds inf/NaN) instead of np.where, and "
                    "tiling windows (stride = kernel) writing each slab once into an empty array: 3.7x faster than "
                    "the plain op at 32x128x32x32 k2 s2 (3.5x with an inf in g), 2.1x at 32x64x32x32 k3 s2 p1 and "
                    "k3 s1 p1; with the forward's fast path max_pool2d fwd+bwd went 2.54x -> 1.33x of PyTorch's "
                    "time (564b51e)")
class FastMaxPoolScatter(MaxPoolScatter):
    """``MaxPoolScatter``, offset by offset, by products instead of ``np.where``."""
    @staticmethod
    def forward(ctx, g, geom, idx, shape):
        kernel, stride, dilation, out_hw, pads, _ = geom
        g = as_batch(g)
        out = _padded_out(g, shape, geom)
        finite = type(g) is np.ndarray and bool(np.isfinite(g).all())
        tiled = _tiled(g, kernel, stride, dilation)
        for k, offset in enumerate(_offsets(kernel)):
            if tiled:  # each pixel under one window: written once, no read-modify-write
                _keep(idx == k, g, finite, out=slab(out, offset, stride, out_hw, dilation))
            else:
                slab(out, offset, stride, out_hw, dilation)[...] += _keep(idx == k, g, finite)
        ctx.meta = (geom, idx)
        return unpadded(out, pads, shape)


@register_fast_path(AvgPool2d, "the window sum made separable: the kw columns of each row summed, then the kh rows "
                    "of those sums (kh + kw passes instead of kh * kw, the second pass over whole contiguous rows): "
                    "11x faster than the plain op at 32x128x32x32 k2 s2, 6x at 32x64x32x32 k3 s2 p1, 2.1x at k3 s1 "
                    "p1; against the kh * kw slab sum it replaced, the k2 forward went 1.88x -> 0.46x of PyTorch's "
                    "time (ac52146)")
class FastAvgPool2d(AvgPool2d):
    """``AvgPool2d``, its window sums computed separably (rows first, then columns)."""
    @staticmethod
    def forward(ctx, x, geom):
        kernel, stride, dilation, out_hw, pads, divisor = geom
        ctx.save_for_backward(x)
        ctx.geom = geom
        padded = pad(as_batch(x), pads)
        (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
        rows = slab(padded, (0, 0), (1, sw), (padded.shape[2], wo), (1, dw)).copy()
        for j in range(1, kw):
            rows += slab(padded, (0, j), (1, sw), (padded.shape[2], wo), (1, dw))
        y = slab(rows, (0, 0), (sh, 1), (ho, wo), (dh, 1)).copy()
        for i in range(1, kh):
            y += slab(rows, (i, 0), (sh, 1), (ho, wo), (dh, 1))
        y /= divisor
        return y if x.ndim == 4 else y[0]


@register_fast_path(AvgPoolScatter, "tiling windows (stride = kernel): each share repeated over its window by two "
                    "np.repeat passes instead of kh * kw strided adds into zeros: 6.5x faster than the plain op at "
                    "32x128x32x32 k2 s2 (1.6x against the strided adds, f86c62a); overlapping windows take the "
                    "plain op")
class FastAvgPoolScatter(AvgPoolScatter):
    """``AvgPoolScatter``, tiling windows by ``np.repeat``."""
    @staticmethod
    def forward(ctx, g, geom, shape):
        kernel, stride, dilation, out_hw, pads, divisor = geom
        if not _tiled(g, kernel, stride, dilation):
            return AvgPoolScatter.forward(ctx, g, geom, shape)
        ctx.geom = geom
        (kh, kw), (ho, wo) = kernel, out_hw
        out = (as_batch(g) / divisor).repeat(kw, axis=3).repeat(kh, axis=2)
        full = padded_shape(out.shape[:2] + tuple(shape[-2:]), pads)
        if out.shape != full:  # rows or columns at the end that no window reaches
            spread, out = out, np.zeros(full, dtype=g.dtype)
            out[:, :, :ho * kh, :wo * kw] = spread
        return unpadded(out, pads, shape)
