"""Pooling: the maximum or the mean of each window of a batch over 1, 2 or 3 spatial axes (max_pool1d/2d/3d,
avg_pool1d/2d/3d, one op each, written once for any number of axes), and max_unpool, which puts maxima back.

Every op here reads the windows through ``windows.windows``, a strided view (no copy) of shape (N, C, kh, kw, Ho, Wo)
(2-D; one kernel and one output axis per spatial axis in general) of the padded input whose entry [n, c, i, j, p, q]
is the pixel under kernel offset (i, j) of the window at output position (p, q): padded[n, c, p * sh + i * dh,
q * sw + j * dw] (stride s, dilation d). Offset (i, j) is also called offset number k = i * kw + j. The public
functions work out the geometry once, by PyTorch's rules (``PoolGeometry``). A (C, H, W) image is pooled as a batch
of one.

Pooling is linear in the pixels it reads (max pooling: one per window, chosen by the forward; average pooling: all
of them, weighted 1 / divisor), so each backward is a scatter (``MaxPoolScatter``, ``AvgPoolScatter``) whose own
backward is the matching gather: second derivatives come free.

The speed tricks (a running max over the kernel offsets, scatters without ``np.where``, tiles written once, the
separable window sum) are the fast paths in ``fast/pooling.py``.
"""
from __future__ import annotations

import functools
import math
from typing import NamedTuple, Optional, Tuple, Union

import numpy as np

from ..errors import ArgumentError
from ..autograd import Function
from ..backend import to_device, xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import Tensor
from .case import OpCase, distinct, functional_twin, normal
from .checks import as_tensor
from .windows import col2im, crop, ntuple, out_size, pad, pool_pads, windows

IntPair = Union[int, Tuple[int, ...]]  # an int, or one per spatial axis


class PoolGeometry(NamedTuple):
    """Where a pooling op's windows lie on the input (one entry per spatial axis: 1, 2 or 3 of them).

    ``pads`` = ((before, after), ...) (2-D: ((top, bottom), (left, right))): ``padding`` on each side, and after
    also whatever a ceil-mode last window reaches past the input. ``divisor``: average pooling's count per output
    position, a number or an array of the output's spatial shape in the input's dtype and device; None for max
    pooling."""
    kernel: Tuple[int, ...]
    stride: Tuple[int, ...]
    dilation: Tuple[int, ...]
    out: Tuple[int, ...]
    pads: Tuple[Tuple[int, int], ...]
    divisor: object = None


def padded_shape(shape: tuple, pads: tuple) -> tuple:
    """The (N, C, *padded spatial) shape of a channels-first ``shape`` padded by ``pads``."""
    return tuple(shape[:2]) + tuple(n + b + a for n, (b, a) in zip(shape[2:], pads))


def as_batch(a, dims: int = 2):
    """An (N, C, *spatial) array as it is; a (C, *spatial) one (``dims`` spatial axes) as a batch of one (a
    view)."""
    return a if a.ndim == dims + 2 else a[None]


def unpadded(image, pads: tuple, shape: tuple):
    """A scatter's padded (N, C, *padded spatial) image cropped back to the input's ``shape`` (batched or not),
    contiguous."""
    return xp_of(image).ascontiguousarray(crop(image, pads, shape[-len(pads):])).reshape(shape)


def lowest(dtype) -> float | int:
    """The value max pooling pads with, below every value of ``dtype`` (-inf for floats)."""
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


def window_columns(x, geom: PoolGeometry, fill):
    """The K = prod(kernel) pixels of each window of batched x padded with ``fill``: a view (N, C, K, *out)."""
    kernel, stride, dilation, out, pads, _ = geom
    cols = windows(pad(x, pads, fill), kernel, stride, out, dilation)
    return cols.reshape(x.shape[:2] + (-1,) + tuple(out))


def inside_offsets(idx, geom: PoolGeometry, size: tuple):
    """``idx`` (offset numbers, (N, C, *out)) with every offset that lies in the padding replaced by the window's
    first offset inside the input (``size``): PyTorch's rule, so a window whose input pixels are all -inf (tied with
    the padding) sends its gradient to the first of them instead of losing it in the padding."""
    if not any(b or a for b, a in geom.pads):
        return idx
    xp = xp_of(idx)
    inside = window_columns(xp.ones((1, 1) + tuple(size), dtype=bool), geom, False)  # (1, 1, K, *out)
    ok = xp.take_along_axis(inside, idx[:, :, None].astype(np.int64), axis=2)[:, :, 0]
    return idx if ok.all() else xp.where(ok, idx, inside.argmax(axis=2)).astype(idx.dtype)


def window_argmax(cols, geom: PoolGeometry, size: tuple):
    """The offset number of each window's maximum in cols (N, C, K, *out): the first of ties (PyTorch's rule), the
    last NaN where a window holds one (PyTorch's scan takes every NaN it meets), never the padding
    (``inside_offsets``)."""
    xp = xp_of(cols)
    idx = cols.argmax(axis=2)  # the first maximum of each window (and its first NaN)
    nan = xp.isnan(cols) if cols.dtype.kind == "f" else None
    if nan is not None and nan.any():
        last_nan = cols.shape[2] - 1 - nan[:, :, ::-1].argmax(axis=2)
        idx = xp.where(nan.any(axis=2), last_nan, idx)
    return inside_offsets(idx, geom, size)


def flat_indices(idx, geom: PoolGeometry, size: tuple):
    """PyTorch's max pooling indices: each window's arg-max offset number ``idx`` (N, C, *out) as the flat index of
    its input pixel within its (channel's) plane or volume of ``size``, int64."""
    xp = xp_of(idx)
    kernel, stride, dilation, out, pads, _ = geom
    taps = xp.unravel_index(idx.astype(np.int64), kernel)
    flat = xp.zeros(idx.shape, dtype=np.int64)
    for a, (s, d, o, (before, _), n) in enumerate(zip(stride, dilation, out, pads, size)):
        start = (xp.arange(o, dtype=np.int64) * s - before).reshape((o,) + (1,) * (len(out) - a - 1))
        flat = flat * n + start + taps[a] * d
    return flat


class MaxPool(Function):
    """y[n, c, p, q] = the maximum of the kh x kw window at (p, q) (padding reads -inf, so it is never the maximum);
    1, 2 or 3 spatial axes (written for 2-D: one index per axis in general).

    forward:  the K = kh * kw pixels of each window as a column cols[n, c, k, p, q]; idx = the offset number k of
              each window's maximum, the first of ties (PyTorch's rule), and y = cols at idx. A NaN propagates: a
              window holding one has maximum NaN and idx at its last NaN (PyTorch's scan takes every NaN it meets).
              A window whose input pixels are all -inf ties them with the padding: idx is then its first pixel
              inside the input, as PyTorch's, never the padding (``window_argmax``).
    backward: y[p, q] is the single pixel at idx, with derivative 1, and no other pixel moves it, so
              dx = g[p, q] placed at the arg-max pixel of each window, 0 elsewhere, summed where windows overlap
              (``MaxPoolScatter``).
    With ``idx`` given, no maximum is taken: y = the pixels at those offsets (padding reads 0), the gather that is
    the scatter's adjoint (max pooling's double backward, and max pooling with ``return_indices``)."""
    @staticmethod
    def forward(ctx, x, geom, idx=None):
        ctx.save_for_backward(x)  # for its shape; PyTorch keeps the input too, so a change in place is caught alike
        xp, xb = xp_of(x), as_batch(x, len(geom.kernel))
        cols = window_columns(xb, geom, lowest(x.dtype) if idx is None else 0)
        if idx is None:
            idx = window_argmax(cols, geom, xb.shape[2:])
        ctx.meta = (geom, idx)
        y = xp.take_along_axis(cols, idx[:, :, None], axis=2)[:, :, 0]
        return y if x.ndim == xb.ndim else y[0]

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        geom, idx = ctx.meta
        return pick(MaxPoolScatter).apply(g, geom, idx, x.shape), None, None


class MaxPoolScatter(Function):
    """z = g[n, c, p, q] placed at the arg-max pixel (offset number ``idx``) of each window, zeros elsewhere, summed
    where windows overlap: max pooling's backward, a linear map of g onto an image of ``shape``.

    forward:  one-hot columns cols[n, c, k, p, q] = g[n, c, p, q] where k = idx[n, c, p, q], else 0 (exactly 0: an
              inf of g stays on its own pixel), added back onto the padded image by ``col2im`` (the adjoint of the
              windows view), and the padding cropped off.
    backward: the adjoint of placing g at fixed pixels is reading those pixels: dg[n, c, p, q] = h at the arg-max
              pixel of window (p, q), i.e. ``MaxPool`` with ``idx`` given."""
    @staticmethod
    def forward(ctx, g, geom, idx, shape):
        kernel, stride, dilation, out, pads, _ = geom
        xp, gb = xp_of(g), as_batch(g, len(kernel))
        k = xp.arange(math.prod(kernel)).reshape((-1,) + (1,) * len(kernel))
        cols = xp.where(idx[:, :, None] == k, gb[:, :, None], 0)  # where, not a product: 0 * inf would be NaN
        cols = cols.reshape(gb.shape[:2] + tuple(kernel) + tuple(out))
        image = col2im(cols, padded_shape(gb.shape[:2] + tuple(shape[-len(kernel):]), pads), stride, dilation)
        ctx.meta = (geom, idx)
        return unpadded(image, pads, shape)

    @staticmethod
    def backward(ctx, h):
        geom, idx = ctx.meta
        return pick(MaxPool).apply(h, geom, idx), None, None, None


class AvgPool(Function):
    """y[n, c, p, q] = (the sum of the kh x kw window at (p, q), padding read as 0) / divisor[p, q]; 1, 2 or 3
    spatial axes (written for 2-D).

    The divisor is PyTorch's: the window's size, or the part of it inside the image (``count_include_pad=False``),
    never past the padded image (a ceil-mode last window), or ``divisor_override``.
    forward:  y = windows(pad(x, 0)) summed over the kernel offsets (i, j), divided by the divisor.
    backward: dy[p, q] / dx = 1 / divisor[p, q] at every pixel of window (p, q) and 0 elsewhere, so
              dx = g[p, q] / divisor[p, q] spread over each window, summed where windows overlap
              (``AvgPoolScatter``)."""
    @staticmethod
    def forward(ctx, x, geom):
        kernel, stride, dilation, out, pads, divisor = geom
        ctx.save_for_backward(x)  # for its shape; PyTorch keeps the input too, so a change in place is caught alike
        ctx.geom = geom
        xb = as_batch(x, len(kernel))
        y = windows(pad(xb, pads), kernel, stride, out, dilation).sum(axis=tuple(range(2, 2 + len(kernel))))
        y = y / divisor
        return y if x.ndim == xb.ndim else y[0]

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return pick(AvgPoolScatter).apply(g, ctx.geom, x.shape), None


class AvgPoolScatter(Function):
    """z = g[n, c, p, q] / divisor[p, q] added onto every pixel of window (p, q) of an image of ``shape``: average
    pooling's backward, a linear map of g.

    forward:  the share g / divisor broadcast over the kernel offsets as columns, added back onto the padded image
              by ``col2im`` (the adjoint of the windows view), and the padding cropped off.
    backward: the adjoint of spreading each share over its window is summing the window and dividing:
              dg = average pooling of h (``AvgPool``)."""
    @staticmethod
    def forward(ctx, g, geom, shape):
        kernel, stride, dilation, out, pads, divisor = geom
        d = len(kernel)
        xp, gb = xp_of(g), as_batch(g, d)
        share = gb / divisor
        cols = xp.broadcast_to(share[(slice(None), slice(None)) + (None,) * d], gb.shape[:2] + tuple(kernel)
                               + tuple(out))
        image = col2im(cols, padded_shape(gb.shape[:2] + tuple(shape[-d:]), pads), stride, dilation)
        ctx.geom = geom
        return unpadded(image, pads, shape)

    @staticmethod
    def backward(ctx, h):
        return pick(AvgPool).apply(h, ctx.geom), None, None


class MaxUnpool(Function):
    """y = max_unpool(x, indices): each x[n, c, m] written at flat position indices[n, c, m] of its channel's
    zero (H, W) (or (D, H, W), or (L,)) output: the inverse of max pooling on the maxima, 0 elsewhere.

    forward:  y[n, c, :] = 0, then y[n, c, indices[n, c, m]] = x[n, c, m] (a repeated index keeps the last write,
              as PyTorch's CPU loop does).
    backward: y is linear in x, a fixed 0/1 placement U, and its adjoint U^T reads each placed position back:
              dx[n, c, m] = g[n, c, indices[n, c, m]] (a gather, whose own backward is the scatter-add again);
              PyTorch's rule, also where indices repeat. indices get no gradient."""
    @staticmethod
    def forward(ctx, x, indices, size):
        ctx.save_for_backward(indices)
        xp = xp_of(x)
        flat_x, flat_i = x.reshape(x.shape[:2] + (-1,)), indices.reshape(x.shape[:2] + (-1,))
        y = xp.zeros(x.shape[:2] + (math.prod(size),), dtype=x.dtype)
        xp.put_along_axis(y, flat_i, flat_x, axis=2)
        return y.reshape(x.shape[:2] + tuple(size))

    @staticmethod
    def backward(ctx, g):
        indices, = ctx.saved_tensors
        n, c = indices.shape[:2]
        dx = g.reshape(n, c, -1).gather(2, indices.reshape(n, c, -1))
        return dx.reshape(indices.shape), None, None


# ----- the public functions: PyTorch's geometry, checked -----
LAYOUTS = {1: "(N, C, L) or (C, L)", 2: "(N, C, H, W) or (C, H, W)", 3: "(N, C, D, H, W) or (C, D, H, W)"}


def _pool_padding(op, padding, dims):
    """((before, after), ...) per spatial axis: an int or one per axis on both sides, or (2-D only, tinygrad's
    extension) 4 ints (left, right, top, bottom), ``F.pad``'s order."""
    if dims == 2 and isinstance(padding, (tuple, list)) and len(padding) == 4:
        left, right, top, bottom = ntuple(padding, 4, "padding", op)
        return ((top, bottom), (left, right))
    return tuple((p, p) for p in ntuple(padding, dims, "padding", op))


def _pool_geometry(op, x, dims, kernel_size, stride, padding, dilation, ceil_mode):
    """(PoolGeometry without a divisor, padding as (before, after) pairs) of a pooling of x over ``dims`` spatial
    axes by PyTorch's rules, every argument checked."""
    if x.ndim not in (dims + 1, dims + 2):
        raise ArgumentError(f"{op}: expected x of shape {LAYOUTS[dims]}, got {x.shape}")
    kernel = ntuple(kernel_size, dims, "kernel_size", op, least=1)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) else \
        ntuple(stride, dims, "stride", op, least=1)
    padding = _pool_padding(op, padding, dims)
    dilation = ntuple(dilation, dims, "dilation", op, least=1)
    for p, k in zip(padding, kernel):
        if max(p) > k // 2:
            shown = tuple(p[0] for p in padding) if all(b == a for b, a in padding) else padding
            raise ArgumentError(f"{op}: padding {shown} should be at most half of the kernel size {kernel}")
    size = x.shape[-dims:]
    out = tuple(out_size(size[i], kernel[i], stride[i], padding[i][0], op, dilation[i], ceil_mode, padding[i][1])
                for i in range(dims))
    pads = pool_pads(size, kernel, stride, dilation, padding, out)
    return PoolGeometry(kernel, stride, dilation, out, pads), padding


def _avg_divisor(size, kernel, stride, padding, out, count_include_pad):
    """PyTorch's average pooling divisor per output position, a float64 array of the output's spatial shape: the
    window clipped to the padded input (count_include_pad) or to the input itself."""
    sizes = []
    for n, k, s, (before, after), o in zip(size, kernel, stride, padding, out):
        start = np.arange(o) * s - before
        end = np.minimum(start + k, n + after)
        sizes.append(end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0))
    return functools.reduce(np.multiply.outer, sizes).astype(np.float64)


def _max_pool(op, dims, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    """max_pool1d / 2d / 3d: the pooled values, and with ``return_indices`` PyTorch's flat indices too."""
    x = as_tensor(x)
    geom, _ = _pool_geometry(op, x, dims, kernel_size, stride, padding, dilation, ceil_mode)
    if not return_indices:
        return pick(MaxPool).apply(x, geom)
    xb = as_batch(x._data, dims)
    idx = window_argmax(window_columns(xb, geom, lowest(x.dtype)), geom, xb.shape[2:])
    indices = flat_indices(idx, geom, xb.shape[2:])
    y = pick(MaxPool).apply(x, geom, idx)  # the gather at the arg-max: the same values and gradient
    return y, Tensor(indices if x.ndim == xb.ndim else indices[0])


def _avg_pool(op, dims, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """avg_pool1d / 2d / 3d with its checks, errors naming op."""
    x = as_tensor(x)
    geom, padding = _pool_geometry(op, x, dims, kernel_size, stride, padding, 1, ceil_mode)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point tensor, got dtype {x.dtype} (shape {x.shape})")
    if divisor_override is not None:
        if not isinstance(divisor_override, (int, np.integer)) or divisor_override <= 0:
            raise ArgumentError(f"{op}: divisor_override must be a positive int, got {divisor_override!r}")
        divisor = float(divisor_override)
    else:
        counts = _avg_divisor(x.shape[-dims:], geom.kernel, geom.stride, padding, geom.out, count_include_pad)
        uniform = (counts == counts.flat[0]).all()
        divisor = float(counts.flat[0]) if uniform else to_device(counts.astype(x.dtype), x.device)
    return pick(AvgPool).apply(x, geom._replace(divisor=divisor))


def max_pool2d(x: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
               dilation: IntPair = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | Tuple[Tensor, Tensor]:
    """The maximum of each window of an (N, C, H, W) or (C, H, W) tensor; gradient to each window's first maximum.

    Args:
        x: the images.
        kernel_size: the window (kh, kw), or one int for both.
        stride: the step between windows; the kernel size when None.
        padding: pixels of -inf added on each side (at most half the kernel size); an extension (tinygrad's;
            PyTorch refuses it, so no PyTorch code changes meaning): 4 ints (left, right, top, bottom), ``F.pad``'s
            order, padding each side by its own amount. A window whose pixels are all -inf sends its gradient to
            its first pixel inside the image, as PyTorch does, never to the padding.
        dilation: the spacing of a window's taps.
        ceil_mode: keep a last partial window that starts inside the input or the padding before it.
        return_indices: also return each maximum's position, its flat index h * W + w within its (H, W) plane
            (int64), as PyTorch does; ``max_unpool2d`` takes them.
    PyTorch: ``torch.nn.functional.max_pool2d``."""
    return _max_pool("max_pool2d", 2, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d(x: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
               dilation: IntPair = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | Tuple[Tensor, Tensor]:
    """The maximum of each window of an (N, C, L) or (C, L) tensor (max_pool2d's op on one axis); with
    ``return_indices`` also the position of each maximum in its row. PyTorch: ``torch.nn.functional.max_pool1d``."""
    return _max_pool("max_pool1d", 1, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(x: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
               dilation: IntPair = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | Tuple[Tensor, Tensor]:
    """The maximum of each window of an (N, C, D, H, W) or (C, D, H, W) tensor (max_pool2d's op on three axes);
    with ``return_indices`` also each maximum's flat index d * H * W + h * W + w in its volume.
    PyTorch: ``torch.nn.functional.max_pool3d``."""
    return _max_pool("max_pool3d", 3, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def avg_pool2d(x: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> Tensor:
    """The mean of each window of an (N, C, H, W) or (C, H, W) floating-point tensor.

    Args:
        x: the images.
        kernel_size: the window (kh, kw), or one int for both.
        stride: the step between windows; the kernel size when None.
        padding: pixels of 0 added on each side (at most half the kernel size); an extension (tinygrad's; PyTorch
            refuses it): 4 ints (left, right, top, bottom), ``F.pad``'s order.
        ceil_mode: keep a last partial window that starts inside the input or the padding before it.
        count_include_pad: whether the padding counts in the divisor (PyTorch's default, True).
        divisor_override: a positive int to divide every window's sum by instead.
    PyTorch: ``torch.nn.functional.avg_pool2d``."""
    return _avg_pool("avg_pool2d", 2, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def avg_pool1d(x: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """The mean of each window of an (N, C, L) or (C, L) floating-point tensor (avg_pool2d's op on one axis).
    PyTorch: ``torch.nn.functional.avg_pool1d``."""
    return _avg_pool("avg_pool1d", 1, x, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool3d(x: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> Tensor:
    """The mean of each window of an (N, C, D, H, W) or (C, D, H, W) floating-point tensor (avg_pool2d's op on
    three axes; the same arguments, one entry per axis). PyTorch: ``torch.nn.functional.avg_pool3d``."""
    return _avg_pool("avg_pool3d", 3, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def _max_unpool(op, dims, x, indices, kernel_size, stride, padding, output_size):
    """max_unpool1d / 2d / 3d with its checks, errors naming op."""
    x, indices = as_tensor(x), as_tensor(indices)
    if x.ndim not in (dims + 1, dims + 2) or indices.shape != x.shape:
        raise ArgumentError(f"{op}: expected x of shape {LAYOUTS[dims]} and indices of the same shape, got x "
                            f"{x.shape} and indices {indices.shape}")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers (max pooling's return_indices), got dtype {indices.dtype}")
    kernel = ntuple(kernel_size, dims, "kernel_size", op, least=1)
    stride = kernel if stride is None else ntuple(stride, dims, "stride", op, least=1)
    padding = ntuple(padding, dims, "padding", op)
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(x.shape[-dims:], stride, padding, kernel))
    if output_size is None:
        size = default
    else:
        size = tuple(output_size)[-dims:] if len(tuple(output_size)) in (dims, dims + 2) else None
        if size is None or any(not d - s < n < d + s for n, d, s in zip(size, default, stride)):
            raise ArgumentError(f"{op}: output_size {tuple(output_size)} must be {dims} sizes (or {dims + 2} with "
                                f"batch and channels) each within the stride {stride} of the default {default}")
    if min(size) < 1:
        raise ArgumentError(f"{op}: output size {size} is not positive (x {x.shape}, kernel {kernel}, stride {stride}, "
                            f"padding {padding})")
    idx = indices._data
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= math.prod(size)):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise ArgumentError(f"{op}: found an invalid max index {bad} (output planes are of size {size})")
    if x.ndim == dims + 2:
        return MaxUnpool.apply(x, indices.astype(np.int64), size)
    return MaxUnpool.apply(x[None], indices.astype(np.int64)[None], size)[0]


def max_unpool2d(x: Tensor, indices: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None,
                 padding: IntPair = 0, output_size: Optional[Tuple[int, ...]] = None) -> Tensor:
    """The partial inverse of max_pool2d: each value of x put back at its maximum's position (``indices`` from
    ``max_pool2d(..., return_indices=True)``), zeros elsewhere.

    Args:
        x: (N, C, Ho, Wo) or (C, Ho, Wo), the pooled values.
        indices: x's shape, flat indices h * W + w into each output plane.
        kernel_size, stride, padding: those of the max pooling (stride defaults to the kernel size).
        output_size: (H, W) (or (N, C, H, W)) when the default (Ho - 1) s - 2 p + k is not the size wanted (a
            pooling that left pixels out); within a stride of the default.
    Returns (N, C, H, W). PyTorch: ``torch.nn.functional.max_unpool2d``."""
    return _max_unpool("max_unpool2d", 2, x, indices, kernel_size, stride, padding, output_size)


def max_unpool1d(x: Tensor, indices: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None,
                 padding: IntPair = 0, output_size: Optional[Tuple[int, ...]] = None) -> Tensor:
    """max_unpool2d on (N, C, L) signals (indices from ``max_pool1d(..., return_indices=True)``).
    PyTorch: ``torch.nn.functional.max_unpool1d``."""
    return _max_unpool("max_unpool1d", 1, x, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(x: Tensor, indices: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None,
                 padding: IntPair = 0, output_size: Optional[Tuple[int, ...]] = None) -> Tensor:
    """max_unpool2d on (N, C, D, H, W) volumes (indices from ``max_pool3d(..., return_indices=True)``).
    PyTorch: ``torch.nn.functional.max_unpool3d``."""
    return _max_unpool("max_unpool3d", 3, x, indices, kernel_size, stride, padding, output_size)


BINDINGS = [
    bind(max_pool1d, F=True),
    bind(max_pool2d, F=True),
    bind(max_pool3d, F=True),
    bind(avg_pool1d, F=True),
    bind(avg_pool2d, F=True),
    bind(avg_pool3d, F=True),
    bind(max_unpool1d, F=True),
    bind(max_unpool2d, F=True),
    bind(max_unpool3d, F=True),
]


def _pooled_indices(torch, shape, *args):
    """The indices PyTorch's max_pool2d gives on fixed distinct values of ``shape``: max_unpool2d's rows use them."""
    values = distinct(np.random.default_rng(0), shape)
    return torch.nn.functional.max_pool2d(torch.tensor(values), *args, return_indices=True)[1]


def _our_indices(shape, *args):
    return max_pool2d(Tensor(distinct(np.random.default_rng(0), shape)), *args, return_indices=True)[1]


CASES = [
    OpCase("F.max_pool2d", lambda x: max_pool2d(x, 2), ((1, 2, 4, 4),), sample=distinct, draw="fixed",
           torch=functional_twin("max_pool2d", 2)),
    OpCase("F.avg_pool2d", lambda x: avg_pool2d(x, 2), ((1, 2, 4, 4),), draw="fixed",
           torch=functional_twin("avg_pool2d", 2)),
    OpCase("F.max_pool2d[padding,dilation,ceil_mode]",
           lambda x: max_pool2d(x, 3, 2, padding=1, dilation=2, ceil_mode=True), ((1, 2, 6, 6),),
           sample=distinct, draw="fixed",
           torch=functional_twin("max_pool2d", 3, 2, padding=1, dilation=2, ceil_mode=True)),
    OpCase("F.avg_pool2d[padding,ceil_mode,count_include_pad]",
           lambda x: avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=False), ((1, 2, 6, 6),),
           draw="fixed", torch=functional_twin("avg_pool2d", 3, 2, padding=1, ceil_mode=True, count_include_pad=False)),
    OpCase("F.max_pool2d[overlapping,chw]", lambda x: max_pool2d(x, (2, 3), 1), ((2, 4, 5),), sample=distinct,
           draw="fixed", torch=functional_twin("max_pool2d", (2, 3), 1)),
    OpCase("F.avg_pool2d[tiles,padding,divisor_override]",
           lambda x: avg_pool2d(x, 2, padding=1, divisor_override=3), ((2, 1, 5, 4),), sample=normal,
           draw="fixed", torch=functional_twin("avg_pool2d", 2, padding=1, divisor_override=3)),
    OpCase("F.max_pool2d[return_indices]", lambda x: max_pool2d(x, 3, 2, 1, return_indices=True)[0],
           ((1, 2, 5, 6),), sample=distinct, draw="fixed",
           torch=lambda torch, x: torch.nn.functional.max_pool2d(x, 3, 2, 1, return_indices=True)[0]),
    # tiling windows: every index once (a repeated one keeps one write, and finite differences would see that)
    OpCase("F.max_unpool2d", lambda x: max_unpool2d(x, _our_indices((1, 2, 6, 5), 2), 2, output_size=(6, 5)),
           ((1, 2, 3, 2),), draw="fixed",
           torch=lambda torch, x: torch.nn.functional.max_unpool2d(x, _pooled_indices(torch, (1, 2, 6, 5), 2), 2,
                                                                   output_size=(6, 5))),
    # the 4-number padding is an extension: its twins pad explicitly (-inf for the max), then pool
    OpCase("F.max_pool2d[asymmetric_padding]", lambda x: max_pool2d(x, (2, 3), (1, 2), (1, 0, 0, 1)),
           ((1, 2, 4, 5),), sample=distinct, draw="fixed", exact_twin=False,
           torch=lambda torch, x: torch.nn.functional.max_pool2d(
               torch.nn.functional.pad(x, (1, 0, 0, 1), value=-float("inf")), (2, 3), (1, 2))),
    OpCase("F.avg_pool2d[asymmetric_padding]", lambda x: avg_pool2d(x, 3, 2, (0, 1, 1, 1)), ((1, 2, 5, 4),),
           draw="fixed", exact_twin=False,
           torch=lambda torch, x: torch.nn.functional.avg_pool2d(torch.nn.functional.pad(x, (0, 1, 1, 1)), 3, 2)),
    OpCase("F.max_pool3d", lambda x: max_pool3d(x, (2, 2, 3), (1, 2, 2), (1, 0, 1)), ((1, 2, 3, 4, 5),),
           sample=distinct, draw="fixed", torch=functional_twin("max_pool3d", (2, 2, 3), (1, 2, 2), (1, 0, 1))),
    OpCase("F.avg_pool3d", lambda x: avg_pool3d(x, 2, (1, 2, 2), 1, ceil_mode=True, count_include_pad=False),
           ((1, 2, 3, 4, 5),), draw="fixed",
           torch=functional_twin("avg_pool3d", 2, (1, 2, 2), 1, ceil_mode=True, count_include_pad=False)),
    OpCase("F.max_pool1d", lambda x: max_pool1d(x, 3, 2, 1), ((2, 3, 7),), sample=distinct, draw="fixed",
           torch=functional_twin("max_pool1d", 3, 2, 1)),
    OpCase("F.avg_pool1d", lambda x: avg_pool1d(x, 3, 2, 1), ((2, 3, 7),), draw="fixed",
           torch=functional_twin("avg_pool1d", 3, 2, 1)),
]
