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
from ..pooling import (AvgPool, AvgPoolScatter, MaxPool, MaxPoolScatter, as_batch, inside_offsets, lowest,
                       padded_shape, unpadded)
from ..windows import offsets as _offsets
from ..windows import pad, slab


def _tiled(g, kernel, stride, dilation):
    """Whether the windows tile the image (stride = kernel, no dilation): then none overlap, and a scatter writes
    each offset's slab once instead of adding into zeros (NumPy arrays; CuPy keeps the general path)."""
    return type(g) is np.ndarray and tuple(stride) == tuple(kernel) and all(d == 1 for d in dilation)


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
    """The padded (N, C, *padded spatial) gradient a scatter of g (N, C, *out) onto an image of ``shape`` writes
    into: zeros, unless tiling windows cover all of it (then every pixel is written once, and an empty array saves a
    pass)."""
    kernel, stride, dilation, out, pads, _ = geom
    padded = padded_shape(g.shape[:2] + tuple(shape[-len(kernel):]), pads)
    if _tiled(g, kernel, stride, dilation) and tuple(o * k for o, k in zip(out, kernel)) == padded[2:]:
        return np.empty(padded, dtype=g.dtype)
    return xp_of(g).zeros(padded, dtype=g.dtype)


@register_fast_path(MaxPool, "the max and its arg-max by a running max over the K kernel offsets (K passes over "
                    "output-sized slabs, no window copy; the arg-max as max(idx, k * hit) in int8, no np.where): "
                    "forward 1.7x faster than the plain op at 32x128x32x32 k2 s2, 3.8x at 32x64x32x32 k3 s2 p1, "
                    "2.8x at k3 s1 p1 (float32, one thread)")
class FastMaxPool(MaxPool):
    """``MaxPool``, its max and arg-max found by a running max over the kernel offsets."""
    @staticmethod
    def forward(ctx, x, geom, idx=None):
        if idx is not None:  # the gather of a double backward: the plain op's take_along_axis is the fastest measured
            return MaxPool.forward(ctx, x, geom, idx)
        kernel, stride, dilation, out_hw, pads, _ = geom
        ctx.save_for_backward(x)
        xp = xp_of(x)
        offsets = _offsets(kernel)
        xb = as_batch(x, len(kernel))
        padded = pad(xb, pads, lowest(x.dtype))
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
        if any(b or a for b, a in pads) and (y == lowest(x.dtype)).any():  # tied with the padding: PyTorch's pixel
            idx = inside_offsets(idx, geom, xb.shape[2:])
        ctx.meta = (geom, idx)
        return y if x.ndim == xb.ndim else y[0]


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
        g = as_batch(g, len(kernel))
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


@register_fast_path(AvgPool, "the window sum made separable: the kw columns of each row summed, then the kh rows "
                    "of those sums (kh + kw passes instead of kh * kw, the second pass over whole contiguous rows): "
                    "11x faster than the plain op at 32x128x32x32 k2 s2, 6x at 32x64x32x32 k3 s2 p1, 2.1x at k3 s1 "
                    "p1; against the kh * kw slab sum it replaced, the k2 forward went 1.88x -> 0.46x of PyTorch's "
                    "time (ac52146)")
class FastAvgPool(AvgPool):
    """``AvgPool``, its window sums computed separably (one spatial axis at a time, the last first)."""
    @staticmethod
    def forward(ctx, x, geom):
        kernel, stride, dilation, out, pads, divisor = geom
        ctx.save_for_backward(x)
        ctx.geom = geom
        d = len(kernel)
        xb = as_batch(x, d)
        y = pad(xb, pads)
        for a in reversed(range(d)):  # the sums of k windows along axis a, every other axis kept whole
            step, span, gap = [1] * d, list(y.shape[2:]), [1] * d
            step[a], span[a], gap[a] = stride[a], out[a], dilation[a]
            tap = [0] * d
            total = slab(y, tap, step, span, gap).copy()
            for j in range(1, kernel[a]):
                tap[a] = j
                total += slab(y, tap, step, span, gap)
            y = total
        y /= divisor
        return y if x.ndim == xb.ndim else y[0]


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
        d = len(kernel)
        out = as_batch(g, d) / divisor
        for a in reversed(range(d)):
            out = out.repeat(kernel[a], axis=2 + a)
        full = padded_shape(out.shape[:2] + tuple(shape[-d:]), pads)
        if out.shape != full:  # rows or columns at the end that no window reaches
            spread, out = out, np.zeros(full, dtype=g.dtype)
            out[(slice(None), slice(None)) + tuple(slice(0, o * k) for o, k in zip(out_hw, kernel))] = spread
        return unpadded(out, pads, shape)
