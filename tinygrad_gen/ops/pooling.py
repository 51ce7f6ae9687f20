"""Pooling: the maximum or the mean of each kh x kw window of an (N, C, H, W) image batch.

Every op here reads the windows through ``windows.windows``, a strided view (no copy) of shape (N, C, kh, kw, Ho, Wo)
of the padded input whose entry [n, c, i, j, p, q] is the pixel under kernel offset (i, j) of the window at output
position (p, q): padded[n, c, p * sh + i * dh, q * sw + j * dw] (stride s, dilation d). Offset (i, j) is also called
offset number k = i * kw + j. The public functions work out the geometry once, by PyTorch's rules (``PoolGeometry``).
A (C, H, W) image is pooled as a batch of one.

Pooling is linear in the pixels it reads (max pooling: one per window, chosen by the forward; average pooling: all
of them, weighted 1 / divisor), so each backward is a scatter (``MaxPoolScatter``, ``AvgPoolScatter``) whose own
backward is the matching gather: second derivatives come free.

The speed tricks (a running max over the kernel offsets, scatters without ``np.where``, tiles written once, the
separable window sum) are the fast paths in ``fast/pooling.py``.
"""
from __future__ import annotations

from typing import NamedTuple, Optional, Tuple, Union

import numpy as np

from ..autograd import Function
from ..backend import to_device, xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import Tensor
from .case import OpCase, distinct, functional_twin, normal
from .checks import as_tensor
from .windows import col2im, crop, out_size, pad, pair, pool_pads, windows

IntPair = Union[int, Tuple[int, int]]


class PoolGeometry(NamedTuple):
    """Where a pooling op's windows lie on the input.

    ``pads`` = ((top, bottom), (left, right)): ``padding`` on each side, and at the bottom and right also whatever a
    ceil-mode last window reaches past the input. ``divisor``: average pooling's count per output position, a number
    or an (Ho, Wo) array of the input's dtype and device; None for max pooling."""
    kernel: Tuple[int, int]
    stride: Tuple[int, int]
    dilation: Tuple[int, int]
    out_hw: Tuple[int, int]
    pads: Tuple[Tuple[int, int], Tuple[int, int]]
    divisor: object = None


def padded_shape(shape: tuple, pads: tuple) -> tuple:
    """The (N, C, H + top + bottom, W + left + right) shape of an NCHW ``shape`` padded by ``pads``."""
    (top, bottom), (left, right) = pads
    return tuple(shape[:2]) + (shape[2] + top + bottom, shape[3] + left + right)


def as_batch(a):
    """An (N, C, H, W) array as it is; a (C, H, W) image as a batch of one (a view)."""
    return a if a.ndim == 4 else a[None]


def unpadded(image, pads: tuple, shape: tuple):
    """A scatter's padded (N, C, Hp, Wp) image cropped back to the input's ``shape`` ((N, C, H, W) or (C, H, W)),
    contiguous."""
    return xp_of(image).ascontiguousarray(crop(image, pads, shape[-2:])).reshape(shape)


def lowest(dtype) -> float | int:
    """The value max pooling pads with, below every value of ``dtype`` (-inf for floats)."""
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


class MaxPool2d(Function):
    """y[n, c, p, q] = the maximum of the kh x kw window at (p, q) (padding reads -inf, so it is never the maximum).

    forward:  the K = kh * kw pixels of each window as a column cols[n, c, k, p, q]; idx = the offset number k of
              each window's maximum, the first of ties (PyTorch's rule), and y = cols at idx. A NaN propagates: a
              window holding one has maximum NaN and idx at its last NaN (PyTorch's scan takes every NaN it meets).
    backward: y[p, q] is the single pixel at idx, with derivative 1, and no other pixel moves it, so
              dx = g[p, q] placed at the arg-max pixel of each window, 0 elsewhere, summed where windows overlap
              (``MaxPoolScatter``).
    With ``idx`` given, no maximum is taken: y = the pixels at those offsets (padding reads 0), the gather that is
    the scatter's adjoint (max pooling's double backward)."""
    @staticmethod
    def forward(ctx, x, geom, idx=None):
        kernel, stride, dilation, out_hw, pads, _ = geom
        ctx.save_for_backward(x)  # for its shape; PyTorch keeps the input too, so a change in place is caught alike
        xp, x4 = xp_of(x), as_batch(x)
        padded = pad(x4, pads, lowest(x.dtype) if idx is None else 0)
        cols = windows(padded, kernel, stride, out_hw, dilation).reshape(x4.shape[:2] + (-1,) + tuple(out_hw))
        if idx is None:
            idx = cols.argmax(axis=2)  # the first maximum of each window (and its first NaN)
            nan = xp.isnan(cols)
            if nan.any():
                last_nan = cols.shape[2] - 1 - nan[:, :, ::-1].argmax(axis=2)
                idx = xp.where(nan.any(axis=2), last_nan, idx)
        ctx.meta = (geom, idx)
        y = xp.take_along_axis(cols, idx[:, :, None], axis=2)[:, :, 0]
        return y if x.ndim == 4 else y[0]

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
              pixel of window (p, q), i.e. ``MaxPool2d`` with ``idx`` given."""
    @staticmethod
    def forward(ctx, g, geom, idx, shape):
        kernel, stride, dilation, out_hw, pads, _ = geom
        xp, g4 = xp_of(g), as_batch(g)
        k = xp.arange(kernel[0] * kernel[1]).reshape(-1, 1, 1)
        cols = xp.where(idx[:, :, None] == k, g4[:, :, None], 0)  # where, not a product: 0 * inf would be NaN
        cols = cols.reshape(g4.shape[:2] + tuple(kernel) + tuple(out_hw))
        image = col2im(cols, padded_shape(g4.shape[:2] + tuple(shape[-2:]), pads), stride, dilation)
        ctx.meta = (geom, idx)
        return unpadded(image, pads, shape)

    @staticmethod
    def backward(ctx, h):
        geom, idx = ctx.meta
        return pick(MaxPool2d).apply(h, geom, idx), None, None, None


class AvgPool2d(Function):
    """y[n, c, p, q] = (the sum of the kh x kw window at (p, q), padding read as 0) / divisor[p, q].

    The divisor is PyTorch's: the window's size, or the part of it inside the image (``count_include_pad=False``),
    never past the padded image (a ceil-mode last window), or ``divisor_override``.
    forward:  y = windows(pad(x, 0)) summed over the kernel offsets (i, j), divided by the divisor.
    backward: dy[p, q] / dx = 1 / divisor[p, q] at every pixel of window (p, q) and 0 elsewhere, so
              dx = g[p, q] / divisor[p, q] spread over each window, summed where windows overlap
              (``AvgPoolScatter``)."""
    @staticmethod
    def forward(ctx, x, geom):
        kernel, stride, dilation, out_hw, pads, divisor = geom
        ctx.save_for_backward(x)  # for its shape; PyTorch keeps the input too, so a change in place is caught alike
        ctx.geom = geom
        y = windows(pad(as_batch(x), pads), kernel, stride, out_hw, dilation).sum(axis=(2, 3)) / divisor
        return y if x.ndim == 4 else y[0]

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return pick(AvgPoolScatter).apply(g, ctx.geom, x.shape), None


class AvgPoolScatter(Function):
    """z = g[n, c, p, q] / divisor[p, q] added onto every pixel of window (p, q) of an image of ``shape``: average
    pooling's backward, a linear map of g.

    forward:  the share g / divisor broadcast over the kh x kw offsets as columns, added back onto the padded image by
              ``col2im`` (the adjoint of the windows view), and the padding cropped off.
    backward: the adjoint of spreading each share over its window is summing the window and dividing:
              dg = average pooling of h (``AvgPool2d``)."""
    @staticmethod
    def forward(ctx, g, geom, shape):
        kernel, stride, dilation, out_hw, pads, divisor = geom
        xp, g4 = xp_of(g), as_batch(g)
        share = g4 / divisor
        cols = xp.broadcast_to(share[:, :, None, None], g4.shape[:2] + tuple(kernel) + tuple(out_hw))
        image = col2im(cols, padded_shape(g4.shape[:2] + tuple(shape[-2:]), pads), stride, dilation)
        ctx.geom = geom
        return unpadded(image, pads, shape)

    @staticmethod
    def backward(ctx, h):
        return pick(AvgPool2d).apply(h, ctx.geom), None, None


# ----- the public functions: PyTorch's geometry, checked -----
def _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    """(PoolGeometry without a divisor, padding) of a pooling of x by PyTorch's rules, every argument checked."""
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expected x of shape (N, C, H, W) or (C, H, W), got {x.shape}")
    kernel = pair(kernel_size, "kernel_size", op, least=1)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) else \
        pair(stride, "stride", op, least=1)
    padding, dilation = pair(padding, "padding", op), pair(dilation, "dilation", op, least=1)
    for p, k in zip(padding, kernel):
        if p > k // 2:
            raise ValueError(f"{op}: padding {padding} should be at most half of the kernel size {kernel}")
    hw = x.shape[-2:]
    out_hw = tuple(out_size(hw[i], kernel[i], stride[i], padding[i], op, dilation[i], ceil_mode) for i in range(2))
    pads = pool_pads(hw, kernel, stride, dilation, padding, out_hw)
    return PoolGeometry(kernel, stride, dilation, out_hw, pads), padding


def _avg_divisor(hw, kernel, stride, padding, out_hw, count_include_pad):
    """PyTorch's avg_pool2d divisor per output position, as an (Ho, Wo) float64 array: the window clipped to the
    padded input (count_include_pad) or to the input itself."""
    sizes = []
    for n, k, s, p, o in zip(hw, kernel, stride, padding, out_hw):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        sizes.append(end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0))
    return np.outer(*sizes).astype(np.float64)


def max_pool2d(x: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
               dilation: IntPair = 1, ceil_mode: bool = False) -> Tensor:
    """The maximum of each window of an (N, C, H, W) or (C, H, W) tensor; gradient to each window's first maximum.

    Args:
        x: the images.
        kernel_size: the window (kh, kw), or one int for both.
        stride: the step between windows; the kernel size when None.
        padding: pixels of -inf added on each side (at most half the kernel size).
        dilation: the spacing of a window's taps.
        ceil_mode: keep a last partial window that starts inside the input or the left padding.
    PyTorch: ``torch.nn.functional.max_pool2d`` (without ``return_indices``)."""
    x = as_tensor(x)
    geom, _ = _pool_geometry("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    return pick(MaxPool2d).apply(x, geom)


def avg_pool2d(x: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> Tensor:
    """The mean of each window of an (N, C, H, W) or (C, H, W) floating-point tensor.

    Args:
        x: the images.
        kernel_size: the window (kh, kw), or one int for both.
        stride: the step between windows; the kernel size when None.
        padding: pixels of 0 added on each side (at most half the kernel size).
        ceil_mode: keep a last partial window that starts inside the input or the left padding.
        count_include_pad: whether the padding counts in the divisor (PyTorch's default, True).
        divisor_override: a positive int to divide every window's sum by instead.
    PyTorch: ``torch.nn.functional.avg_pool2d``."""
    x = as_tensor(x)
    geom, padding = _pool_geometry("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    if x.dtype.kind != "f":
        raise TypeError(f"avg_pool2d: expected a floating-point tensor, got dtype {x.dtype} (shape {x.shape})")
    if divisor_override is not None:
        if not isinstance(divisor_override, (int, np.integer)) or divisor_override <= 0:
            raise ValueError(f"avg_pool2d: divisor_override must be a positive int, got {divisor_override!r}")
        divisor = float(divisor_override)
    else:
        counts = _avg_divisor(x.shape[-2:], geom.kernel, geom.stride, padding, geom.out_hw, count_include_pad)
        uniform = (counts == counts.flat[0]).all()
        divisor = float(counts.flat[0]) if uniform else to_device(counts.astype(x.dtype), x.device)
    return pick(AvgPool2d).apply(x, geom._replace(divisor=divisor))


BINDINGS = [
    bind(max_pool2d, F=True),
    bind(avg_pool2d, F=True),
]


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
]
