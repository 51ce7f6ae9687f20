"""Sliding windows over the spatial axes of a batch (1, 2 or 3 of them): the array-level core of convolution,
pooling, unfold and fold.

``windows`` is im2col without a copy: a strided view whose entry [n, c, i, j, p, q] (2-D; one kernel index and one
output index per spatial axis in general) is the input pixel under kernel offset (i, j) at output position (p, q),
i.e. x[n, c, p*sh + i*dh, q*sw + j*dw] (stride s, dilation d). ``col2im`` is its adjoint: it adds each offset's slab
back onto the pixels it was read from, looping over the kernel offsets only (never over pixels). Pooling and
unfold work on channels-first arrays (N, C, *spatial); convolution uses the channels-last versions, whose innermost
runs are C channels long rather than a few pixels, so the copies and adds stay fast on small images with many
channels. Only here do NumPy and CuPy differ.
"""
import itertools
import math

import numpy as np

from ..errors import ArgumentError
from ..backend import xp_of


def ntuple(v, n, name, op, least=0):
    """An int or a tuple of ``n`` ints -> a tuple of ``n`` ints >= ``least`` (checked, naming the op)."""
    p = (v,) * n if isinstance(v, (int, np.integer)) else tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(p) != n or not all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= least
                              for k in p):
        kind = "a non-negative" if least == 0 else "a positive" if least == 1 else f"an (>= {least})"
        what = "a pair" if n == 2 else f"a {n}-tuple"
        raise ArgumentError(f"{op}: {name} must be {kind} int or {what} of them, got {v!r}")
    return tuple(int(k) for k in p)


def pair(v, name, op, least=0):
    """An int or a pair of ints -> a pair of ints >= ``least`` (checked, naming the op)."""
    return ntuple(v, 2, name, op, least)


def as_strided(a, shape, strides):
    """A read-only strided view of ``a`` (NumPy or CuPy)."""
    if type(a) is np.ndarray:
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)
    import cupy
    return cupy.lib.stride_tricks.as_strided(a, shape, strides)


def pad(x, pads, value=0.0):
    """Pad the trailing spatial axes of ``x`` by pads = ((before, after), ...), one pair per spatial axis (2-D:
    ((top, bottom), (left, right))), with ``value``: a new array; ``x`` itself when there is nothing to pad."""
    if not any(b or a for b, a in pads):
        return x
    lead = x.ndim - len(pads)
    out = xp_of(x).full(x.shape[:lead] + tuple(n + b + a for n, (b, a) in zip(x.shape[lead:], pads)), value,
                        dtype=x.dtype)
    out[crop_index(pads, x.shape[lead:], lead)] = x
    return out


def crop_index(pads, size, lead=2):
    """The index of the ``size`` pixels that ``pad(., pads)`` surrounded, behind ``lead`` leading axes."""
    return (slice(None),) * lead + tuple(slice(b, b + n) for (b, _), n in zip(pads, size))


def crop(x, pads, size):
    """The ``size`` pixels (one length per spatial axis) of channels-first ``x`` that ``pad(., pads)`` surrounded:
    a view."""
    return x[crop_index(pads, size, x.ndim - len(pads))]


def _span(k, s, d, out):
    """The input extent that ``out`` windows of size k, stride s, dilation d cover."""
    return (out - 1) * s + d * (k - 1) + 1


def windows(x, kernel, stride, out, dilation=None):
    """View of shape (N, C, *kernel, *out) of channels-first x (N, C, *spatial): in 2-D
    [n, c, i, j, p, q] = x[n, c, p * sh + i * dh, q * sw + j * dw]."""
    dilation = dilation or (1,) * len(kernel)
    lead = x.ndim - len(kernel)
    st = x.strides[lead:]
    return as_strided(x, x.shape[:lead] + tuple(kernel) + tuple(out), x.strides[:lead]
                      + tuple(s * d for s, d in zip(st, dilation)) + tuple(s * t for s, t in zip(st, stride)))


def slab(a, offset, stride, out, dilation=None):
    """The pixels of channels-first ``a`` under kernel offset ``offset`` (one index per spatial axis) of every
    window: a strided (N, C, *out) view."""
    dilation = dilation or (1,) * len(offset)
    return a[(slice(None),) * (a.ndim - len(offset)) + tuple(
        slice(i * d, i * d + s * (o - 1) + 1, s) for i, s, o, d in zip(offset, stride, out, dilation))]


def offsets(kernel):
    """The kernel offsets in row-major order: offset number k is ``np.unravel_index(k, kernel)``."""
    return list(itertools.product(*(range(k) for k in kernel)))


def col2im(cols, shape, stride, dilation=None):
    """The adjoint of ``windows``: cols (N, C, *kernel, *out) summed back onto a channels-first array of zeros of
    ``shape``. Overlapping windows add up, which is what the chain rule asks for (each pixel feeds every window it
    is in)."""
    dims = len(stride)
    kernel, out = cols.shape[2:2 + dims], cols.shape[2 + dims:]
    image = xp_of(cols).zeros(shape, dtype=cols.dtype)
    for offset in offsets(kernel):
        slab(image, offset, stride, out, dilation)[...] += cols[(slice(None), slice(None)) + offset]
    return image


def nhwc_padded(x, *pads):
    """A channels-first array (N, C, *spatial) as a zero-padded channels-last copy (N, *(spatial + 2 pads), C),
    one pad per spatial axis (on both sides): one pass does both."""
    n, c, *size = x.shape
    out = xp_of(x).empty((n,) + tuple(s + 2 * p for s, p in zip(size, pads)) + (c,), dtype=x.dtype)
    for axis, (s, p) in enumerate(zip(size, pads)):  # zero only the border: the inside is overwritten next
        if p:
            out[(slice(None),) * (axis + 1) + (slice(0, p),)] = 0
            out[(slice(None),) * (axis + 1) + (slice(s + p, None),)] = 0
    out[(slice(None),) + tuple(slice(p, p + s) for s, p in zip(size, pads))] = x.transpose(
        (0,) + tuple(range(2, x.ndim)) + (1,))
    return out


def windows_nhwc(x, kernel, stride, out, dilation=None):
    """View (N, *out, *kernel, C) of a channels-last x (N, *spatial, C): in 2-D
    [n, p, q, i, j, c] = x[n, p*sh + i*dh, q*sw + j*dw, c]."""
    dilation = dilation or (1,) * len(kernel)
    st = x.strides[1:-1]
    return as_strided(x, (x.shape[0],) + tuple(out) + tuple(kernel) + (x.shape[-1],),
                      (x.strides[0],) + tuple(s * t for s, t in zip(st, stride))
                      + tuple(s * d for s, d in zip(st, dilation)) + (x.strides[-1],))


def col2im_nhwc(cols, shape, stride, dilation=None):
    """The adjoint of ``windows_nhwc``: cols (N, *out, *kernel, C...) summed onto (N, *spatial, C...) zeros of
    ``shape`` (C may be several trailing axes, e.g. (groups, C / groups))."""
    dims = len(stride)
    dilation = dilation or (1,) * dims
    out, kernel = cols.shape[1:1 + dims], cols.shape[1 + dims:1 + 2 * dims]
    image = xp_of(cols).zeros(shape, dtype=cols.dtype)
    for offset in offsets(kernel):
        image[(slice(None),) + tuple(slice(i * d, i * d + s * (o - 1) + 1, s) for i, s, o, d in
                                     zip(offset, stride, out, dilation))] += cols[(slice(None),) * (1 + dims) + offset]
    return image


def out_size(n, k, s, p, op, d=1, ceil_mode=False, p_after=None):
    """Output length of a sliding window of size k, stride s, dilation d over n + 2p positions (n + p + p_after
    when the padding after differs), as PyTorch computes it: floor mode, or ceil mode where a last partial window
    counts if it starts inside the input or the padding before it."""
    span = d * (k - 1) + 1
    total = n + p + (p if p_after is None else p_after)
    if total < span:
        raise ArgumentError(f"{op}: kernel size {k} (dilation {d}) is larger than the padded input size {total}")
    if not ceil_mode:
        return (total - span) // s + 1
    out = math.ceil((total - span) / s) + 1
    return out - 1 if (out - 1) * s >= n + p else out


def pool_pads(size, kernel, stride, dilation, padding, out):
    """((before, after), ...) per spatial axis: ``padding`` (a (before, after) pair per axis) before, and after
    as much as the last window reaches past the input (ceil mode can reach past the padding after; floor mode may
    leave pixels unused, then 0)."""
    return tuple((b, max(0, _span(k, s, d, o) - n - b))
                 for n, k, s, d, (b, _), o in zip(size, kernel, stride, dilation, padding, out))
