"""Convolution: conv2d (a cross-correlation, as in PyTorch) and its adjoint conv_transpose2d, by im2col and one
matrix product each way, written once for any number of spatial axes (``ConvNd``, ``ConvTransposeNd``): conv3d and
conv_transpose3d run them on volumes, conv1d and conv_transpose1d on an image of height 1. ``unfold`` (im2col) and
``fold`` (col2im), each the other's adjoint, expose the window copy itself (also as DeZero's ``im2col`` / ``col2im``).

For conv2d: x (N, C, H, W), weight w (O, C/G, kh, kw), output y (N, O, Ho, Wo), upstream gradient gy = dL/dy;
stride s, padding p, dilation d, G groups. Three array maps do all the work, and each op's backward is made of
the other ops (each Function's docstring derives its own):

    conv(x, w)              im2col: cols[(n,u,v), (i,j,c)] = xpad[n, c, u s + i d, v s + j d], then cols @ W^T
    conv_input_grad(gy, w)  the adjoint of x -> conv(x, w): gy @ W gives each window's share, col2im adds the
                            shares back onto the pixels the windows read (= the transposed convolution)
    conv_weight_grad(x, gy) the adjoint of w -> conv(x, w): gy^T @ cols

with W[o, (i,j,c)] = w[o,c,i,j]; with groups each is G independent products, done as one batched matmul. The cols
matrix is laid out channels-last, (N Ho Wo, kh kw C), so its copies run over C contiguous channels at a time. Every
backward is written with these ops, so second derivatives (a GAN's R1 gradient penalty) just work.

Faster lowerings of the input gradient (a convolution with the flipped kernel at stride 1, one convolution per
output phase at larger strides) are a registered fast path: ``fast/conv.py``.
"""
from __future__ import annotations

import math
from typing import Tuple, Union

import numpy as np
from numpy.typing import ArrayLike

from ..errors import ArgumentError
from .. import dispatch
from ..autograd import Function
from ..backend import xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import Tensor
from .case import OpCase, functional_twin
from .checks import as_tensor, layer_operands
from .resampling import pad as zero_pad
from .windows import col2im as add_windows
from .windows import col2im_nhwc, crop, nhwc_padded, ntuple, out_size, pair, windows, windows_nhwc
from .windows import pad as pad_array

IntPair = Union[int, Tuple[int, ...]]  # an int, or one per spatial axis (conv1d: an int or a 1-tuple)


# ----- array helpers: im2col, col2im and the layouts around one matrix product (any number of spatial axes) -----
def _channels_last(a):
    """(N, C, *spatial) -> (N, *spatial, C), a view."""
    return a.transpose((0,) + tuple(range(2, a.ndim)) + (1,))


def _channels_first(a):
    """(N, *spatial, C) -> (N, C, *spatial), a view."""
    return a.transpose((0, a.ndim - 1) + tuple(range(1, a.ndim - 1)))


def _im2col(x, kernel, geom, out):
    """im2col, channels last: (N prod(out), prod(kernel) C), or (G, N prod(out), prod(kernel) Cg) with groups. Row
    (n, u, v) (2-D) is the window under output pixel (u, v), read from the zero-padded x; this reshape of a strided
    view is the one copy that turns convolution into a matrix product."""
    stride, padding, dilation, groups = geom
    win = windows_nhwc(nhwc_padded(x, *padding), kernel, stride, out, dilation)  # (N, *out, *kernel, C) view
    m = x.shape[0] * math.prod(out)
    if groups == 1:
        return win.reshape(m, -1)
    win = win.reshape(win.shape[:-1] + (groups, -1))  # (N, *out, *kernel, G, Cg)
    g = win.ndim - 2
    return win.transpose((g,) + tuple(range(g)) + (g + 1,)).reshape(groups, m, -1)


def _weight_rows(w, groups):
    """W: (O, Cg, *kernel) -> (O, prod(kernel) Cg), or (G, Og, prod(kernel) Cg) with groups; columns in the cols'
    order."""
    rows = _channels_last(w).reshape(w.shape[0], -1)
    return rows if groups == 1 else rows.reshape(groups, w.shape[0] // groups, -1)


def _grad_rows(gy, groups):
    """(N, O, *out) -> (N prod(out), O), or (G, N prod(out), Og) with groups; rows in the cols' order."""
    rows = _channels_last(gy).reshape(-1, gy.shape[1])
    return rows if groups == 1 else rows.reshape(rows.shape[0], groups, -1).transpose(1, 0, 2)


def _nchw(rows, n, size):
    """(N prod(size), C) rows, or (G, N prod(size), Cg) per group -> a contiguous (N, C, *size) array."""
    if rows.ndim == 3:
        rows = rows.transpose(1, 0, 2)
    return xp_of(rows).ascontiguousarray(_channels_first(rows.reshape((n,) + tuple(size) + (-1,))))


def image(a):
    """An (N, C, L) signal as the (N, C, 1, L) image that conv1d is run on (a view); an image or a volume
    passes."""
    return a[:, :, None] if a.ndim == 3 else a


def hw(size):
    """A spatial size as (height, width): (L,) -> (1, L); a pair or a triple passes."""
    return (1,) * (2 - len(size)) + tuple(size)


def like_input(y, ndim):
    """An (N, C, H, W) result back in its input's rank: (N, C, 1, L) -> (N, C, L) for a signal."""
    return y.reshape(y.shape[:2] + y.shape[3:]) if ndim == 3 else y


def add_bias(y, b):
    """y + b[channel], in place on the fresh output ``y`` (b may be None)."""
    if b is not None:
        y += b.reshape((1, -1) + (1,) * (y.ndim - 2))
    return y


def conv_forward(x, w, geom, out):
    """y = conv(x, w) on arrays: (N, C, *size), (O, Cg, *kernel) -> (N, O, *out), as cols @ W^T."""
    groups = geom[3]
    cols = _im2col(x, w.shape[2:], geom, out)
    return _nchw(dispatch.matmul(cols, _weight_rows(w, groups).swapaxes(-1, -2)), x.shape[0], out)


def conv_input_grad(gy, w, geom, size):
    """dx = col2im(gy @ W) on arrays: (N, O, *out), (O, Cg, *kernel) -> (N, C, *size). Row (n, u, v) (2-D) of
    gy @ W is what window (u, v) hands back to each pixel it read; col2im adds those rows onto a zero padded image,
    one strided add per kernel tap, and the padding is cut off."""
    stride, padding, dilation, groups = geom
    n, out = gy.shape[0], gy.shape[2:]
    cg, kernel = w.shape[1], w.shape[2:]
    padded = tuple(s + 2 * p for s, p in zip(size, padding))
    cols = dispatch.matmul(_grad_rows(gy, groups), _weight_rows(w, groups))  # (M, K Cg) or (G, M, K Cg)
    if groups == 1:
        cols = cols.reshape((n,) + tuple(out) + tuple(kernel) + (cg,))
        image_shape = (n,) + padded + (cg,)
    else:
        cols = cols.reshape((groups, n) + tuple(out) + tuple(kernel) + (cg,))
        cols = cols.transpose(tuple(range(1, cols.ndim - 1)) + (0, cols.ndim - 1))
        image_shape = (n,) + padded + (groups, cg)
    full = col2im_nhwc(cols, image_shape, stride, dilation).reshape((n,) + padded + (groups * cg,))
    inside = full[(slice(None),) + tuple(slice(p, p + s) for s, p in zip(size, padding))]
    return xp_of(full).ascontiguousarray(_channels_first(inside))


def conv_weight_grad(x, gy, geom, kernel):
    """dw = gy^T @ cols on arrays: (N, C, *size), (N, O, *out) -> (O, Cg, *kernel)."""
    groups = geom[3]
    o, cg = gy.shape[1], x.shape[1] // groups
    dw = dispatch.matmul(_grad_rows(gy, groups).swapaxes(-1, -2), _im2col(x, kernel, geom, gy.shape[2:]))
    return xp_of(dw).ascontiguousarray(_channels_first(dw.reshape((o,) + tuple(kernel) + (cg,))))


# ----- the Functions -----
class ConvNd(Function):
    """y = conv(x, w) + b: the cross-correlation of x (N, C, *size) with w (O, C/G, *kernel) over 1, 2 or 3
    spatial axes, b (O,) or None, geom = (stride s, padding p, dilation d, groups G), one entry per spatial axis.
    The channels split into G groups of Cg = C/G inputs and Og = O/G outputs; output channel o reads only its
    group's inputs, c' = (o // Og) Cg + c for c < Cg. Written for 2-D below (u, v the output position, (i, j) the
    kernel tap); every other number of axes reads the same with one index per axis.

    forward, with xpad = x with p zeros around each image:
        y[n,o,u,v] = b[o] + sum_{c<Cg, i<kh, j<kw} w[o,c,i,j] xpad[n, c', u s + i d, v s + j d].
    im2col copies every window into a row, cols[(n,u,v), (i,j,c)] = xpad[n, c, u s + i d, v s + j d], so that
    y = cols @ W^T + b with W[o, (i,j,c)] = w[o,c,i,j]: one matrix product (per group).

    backward, gy = dL/dy (y's shape). y is linear in each of x, w and b, so each gradient is gy sent through the
    adjoint of that linear map:
        dx = col2im(gy @ W): row (n,u,v) of gy @ W holds, for each tap (i,j,c), what window (u,v) hands back to
             the pixel it read there (gy[n,:,u,v] times the weights that met it); col2im adds the rows onto a zero
             padded image and the padding is cut off. This is the transposed convolution of gy with w
             (ConvTransposeNd, applied by ``input_grad``, the step the fast path lowers its own way), so dx can
             itself be differentiated.
        dw[o,c,i,j] = sum_{n,u,v} gy[n,o,u,v] xpad[n, c', u s + i d, v s + j d], i.e. dW = gy^T @ cols
             (ConvWeightGrad, an op of its own so that it can be differentiated again).
        db[o] = sum_{n,u,v} gy[n,o,u,v].
    An (N, C, L) x with an (O, C/G, k) w is conv1d: the same op on an image of height 1 (geom, out as pairs);
    conv3d is the same op on (N, C, D, H, W) volumes."""
    @staticmethod
    def forward(ctx, x, w, b, geom, out):
        ctx.save_for_backward(x, w)
        ctx.geom = geom
        return like_input(add_bias(conv_forward(image(x), image(w), geom, hw(out)), b), x.ndim)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = ctx.fn.input_grad(gy, w, ctx.geom, x.shape[2:]) if need_x else None
        dw = ConvWeightGrad.apply(x, gy, ctx.geom, w.shape[2:]) if need_w else None
        db = gy.sum(axis=(0, *range(2, gy.ndim))) if need_b else None
        return dx, dw, db, None, None

    @staticmethod
    def input_grad(gy, w, geom, size):
        """dx = conv_transpose(gy, w) onto the input's spatial ``size``: the adjoint of x -> conv(x, w)."""
        return ConvTransposeNd.apply(gy, w, None, geom, size)


class ConvTransposeNd(Function):
    """y = conv_transpose(x, w) + b: the adjoint of the convolution's map x -> conv(x, w), which upsamples by the
    stride (1, 2 or 3 spatial axes; written for 2-D). x is (N, Ci, H, W), w (Ci, Co/G, kh, kw), b (Co,) or None,
    geom = (stride s, padding p, dilation d, groups G): w is the weight of a convolution from Co to Ci channels, and
    input channel c paints only onto the outputs of its group, o' = (c // (Ci/G)) (Co/G) + o for o < Co/G.

    forward: each input pixel paints its channel's kernel, scaled by its value, onto the output:
        y[n,o',Y,X] = b[o'] + sum over u, v, i, j with u s + i d - p = Y, v s + j d - p = X of x[n,c,u,v] w[c,o,i,j],
    summed over the channels c of o's group. Computed as col2im(X @ W) with W[c, (i,j,o)] = w[c,o,i,j]: row (n,u,v)
    of X @ W is the patch pixel (u,v) paints; col2im adds the patches onto a zero image with p rows and columns of
    border at (u s + i d, v s + j d), and the border is cut off.

    backward, gy = dL/dy (y's shape). y is linear in each of x, w and b:
        dx[n,c,u,v] = sum_{o,i,j} w[c,o,i,j] gy[n, o', u s + i d - p, v s + j d - p] (gy taken as 0 outside it):
             the adjoint of the adjoint, the convolution itself, dx = conv(gy, w) (ConvNd);
        dw[c,o,i,j] = sum_{n,u,v} x[n,c,u,v] gy[n, o', u s + i d - p, v s + j d - p]: the convolution's weight
             gradient with gy in the input's place and x in the output gradient's (ConvWeightGrad(gy, x));
        db[o'] = sum of gy[n,o',Y,X] over n, Y, X.
    An (N, Ci, L) x with a (Ci, Co/G, k) w is conv_transpose1d: the same op on an image of height 1."""
    @staticmethod
    def forward(ctx, x, w, b, geom, out):
        ctx.save_for_backward(x, w)
        ctx.geom = geom
        return like_input(add_bias(conv_input_grad(image(x), image(w), geom, hw(out)), b), x.ndim)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = ConvNd.apply(gy, w, None, ctx.geom, x.shape[2:]) if need_x else None
        dw = ConvWeightGrad.apply(gy, x, ctx.geom, w.shape[2:]) if need_w else None
        db = gy.sum(axis=(0, *range(2, gy.ndim))) if need_b else None
        return dx, dw, db, None, None


class ConvWeightGrad(Function):
    """z = the convolution's weight gradient as an op, for x (N, C, H, W) and gy (N, O, Ho, Wo) (or one index more
    or fewer per spatial axis), geom = (stride s, padding p, dilation d, groups G) and kernel (kh, kw): with xpad =
    x with p zeros around each image and c' = (o // Og) Cg + c (Cg = C/G, Og = O/G),
        z[o,c,i,j] = sum_{n,u,v} gy[n,o,u,v] xpad[n, c', u s + i d, v s + j d],  i.e. Z = gy^T @ cols.
    It is bilinear in (x, gy) and enters a graph only when a backward is recorded (``create_graph=True``), to be
    differentiated again (a gradient penalty on the weights' gradient).

    backward, h = dL/dz (w's shape): L depends on z through <h, z>, and
        <h, z(x, gy)> = sum h[o,c,i,j] gy[n,o,u,v] xpad[n,c',u s + i d, v s + j d] = <conv(x, h), gy>
                      = <x, conv_transpose(gy, h)>,
    so dx = conv_transpose(gy, h) (ConvTransposeNd) and dgy = conv(x, h) (ConvNd)."""
    @staticmethod
    def forward(ctx, x, gy, geom, kernel):
        ctx.save_for_backward(x, gy)
        ctx.geom = geom
        return like_input(conv_weight_grad(image(x), image(gy), geom, hw(kernel)), x.ndim)

    @staticmethod
    def backward(ctx, h):
        x, gy = ctx.saved_tensors
        need_x, need_gy = ctx.needs_input_grad[:2]
        dx = ConvTransposeNd.apply(gy, h, None, ctx.geom, x.shape[2:]) if need_x else None
        dgy = ConvNd.apply(x, h, None, ctx.geom, gy.shape[2:]) if need_gy else None
        return dx, dgy, None, None


class Unfold(Function):
    """cols = unfold(x): every kh x kw window of x (N, C, H, W), zero-padded by p, as a column (im2col, PyTorch's
    layout): cols[n, (c, i, j), (u, v)] = xpad[n, c, u s + i d, v s + j d], shape (N, C kh kw, Ho Wo), the row
    index c kh kw + i kw + j and the column u Wo + v.

    forward: the windows' strided view (N, C, kh, kw, Ho, Wo) of the padded x, copied into that shape.
    backward: cols is linear in x, each entry a copy of one padded pixel, so dx is g sent through the adjoint of
              that selection: every g[n, (c, i, j), (u, v)] added back onto the pixel it was read from, overlapping
              windows summed, the padding cut off: dx = fold(g) (Fold), whose own adjoint is this op again."""
    @staticmethod
    def forward(ctx, x, geom):
        kernel, stride, padding, dilation, out = geom
        ctx.geom, ctx.size = geom, x.shape[2:]  # its size alone, as PyTorch's im2col keeps (not the input)
        padded = pad_array(x, tuple((p, p) for p in padding))
        cols = windows(padded, kernel, stride, out, dilation)
        return cols.reshape(x.shape[0], x.shape[1] * math.prod(kernel), math.prod(out))

    @staticmethod
    def backward(ctx, g):
        return Fold.apply(g, ctx.geom, ctx.size), None


class Fold(Function):
    """x = fold(cols): the adjoint of unfold (col2im), for cols (N, C kh kw, L) with L = Ho Wo windows of an
    (H, W) = ``size`` image, zero-padded by p:
        x[n, c, Y, X] = sum of cols[n, (c, i, j), (u, v)] over the taps with u s + i d - p = Y, v s + j d - p = X.

    forward: cols viewed as (N, C, kh, kw, Ho, Wo) and added onto a zero padded image tap by tap (``col2im``), the
             padding cut off.
    backward: x is linear in cols and adds each entry onto one pixel, so the adjoint reads that pixel back:
              dcols[n, (c, i, j), (u, v)] = gpad[n, c, u s + i d, v s + j d], i.e. dcols = unfold(g) (Unfold)."""
    @staticmethod
    def forward(ctx, cols, geom, size):
        kernel, stride, padding, dilation, out = geom
        ctx.geom = geom
        n, c = cols.shape[0], cols.shape[1] // math.prod(kernel)
        pads = tuple((p, p) for p in padding)
        full = add_windows(cols.reshape((n, c) + tuple(kernel) + tuple(out)),
                      (n, c) + tuple(s + 2 * p for s, p in zip(size, padding)), stride, dilation)
        return xp_of(full).ascontiguousarray(crop(full, pads, size))

    @staticmethod
    def backward(ctx, g):
        return Unfold.apply(g, ctx.geom), None, None


# ----- the public functions and their argument checks -----
LAYOUTS = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


def _conv_checks(op, x, w, b, stride, padding, dilation, groups, transpose, dims=2):
    """Check x, w, b of a convolution over ``dims`` spatial axes (w is (out, in / groups, ..), or
    (in, out / groups, ..) when transposed); returns the geometry (stride, padding, dilation, groups) with one
    entry per axis for the first three (conv1d's arguments arrive already lifted to pairs by ``_one_d``)."""
    if x.ndim != dims + 2 or w.ndim != dims + 2:
        raise ArgumentError(f"{op}: expected x {LAYOUTS[dims]} and a {dims + 2}-D weight, got x {x.shape} and weight "
                            f"{w.shape}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ArgumentError(f"{op}: groups must be a positive int, got {groups!r}")
    in_ch, out_ch = (w.shape[0], w.shape[1] * groups) if transpose else (w.shape[1] * groups, w.shape[0])
    if x.shape[1] % groups or (w.shape[0] % groups):
        raise ArgumentError(f"{op}: {x.shape[1]} input channels (x {x.shape}) and weight {w.shape} must both split "
                            f"into groups={groups}")
    if x.shape[1] != in_ch:
        raise ArgumentError(f"{op}: x has {x.shape[1]} channels (shape {x.shape}) but the weight of shape {w.shape} "
                            f"with groups={groups} expects {in_ch}")
    if b is not None and b.shape != (out_ch,):
        raise ArgumentError(f"{op}: bias of shape {b.shape} does not match {out_ch} output channels "
                            f"(weight {w.shape})")
    n = max(dims, 2)
    stride = ntuple(stride, n, "stride", op, least=1)
    dilation = ntuple(dilation, n, "dilation", op, least=1)
    padding = ntuple(padding, n, "padding", op)
    return stride, padding, dilation, int(groups)


def _same_padding(op, kernel, stride, dilation):
    """padding="same" (stride 1): total d (k - 1) per axis, the odd one extra at the end as in PyTorch. Returns
    the symmetric padding (the larger half on both sides) and which axes then need their first output dropped."""
    n = len(kernel)
    if ntuple(stride, n, "stride", op, least=1) != (1,) * n:
        raise ArgumentError(f"{op}: padding='same' needs stride 1, got stride {stride!r}")
    total = [d * (k - 1) for d, k in zip(ntuple(dilation, n, "dilation", op, least=1), kernel)]
    return tuple((t + 1) // 2 for t in total), tuple(t % 2 == 1 for t in total)


def _asymmetric(op, x, padding):
    """conv2d's 4-number padding (left, right, top, bottom), F.pad's order: x zero-padded by it (a differentiable
    ``F.pad``), for a convolution with padding 0 to follow."""
    if len(padding) != 4 or not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) and p >= 0
                                    for p in padding):
        raise ArgumentError(f"{op}: padding must be an int, a pair, 4 non-negative ints (left, right, top, bottom), "
                            f"'valid' or 'same', got {padding!r}")
    if x.ndim != 4:
        raise ArgumentError(f"{op}: expected x (N, C, H, W), got {x.shape}")
    return zero_pad(x, tuple(int(p) for p in padding))


def _conv(op, x, w, b, stride, padding, dilation, groups, dims):
    """conv3d, conv2d or conv1d (dims 1, the height axis's arguments neutral) with its checks, errors naming op."""
    n = max(dims, 2)
    trim = (False,) * n
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ArgumentError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
        if padding == "valid":
            padding = 0
        else:
            padding, trim = _same_padding(op, hw(w.shape[2:]), stride, dilation)
    elif dims == 2 and isinstance(padding, (tuple, list)) and len(padding) == 4:
        x, padding = _asymmetric(op, x, padding), 0
    geom = _conv_checks(op, x, w, b, stride, padding, dilation, groups, transpose=False, dims=dims)
    size, kernel = hw(x.shape[2:]), hw(w.shape[2:])
    out = tuple(out_size(size[i], kernel[i], geom[0][i], geom[1][i], op, geom[2][i]) for i in range(n))
    y = pick(ConvNd).apply(x, w, b, geom, out)
    if any(trim):  # an odd total padding: its extra first row (column, ...) dropped (never conv1d's height)
        y = y[(slice(None), slice(None)) + tuple(slice(1, None) if t else slice(None) for t in trim[n - dims:])]
        y = y.contiguous()  # PyTorch's output is contiguous, so code may .view() it
    return y


def _conv_transpose(op, x, w, b, stride, padding, output_padding, groups, dilation, dims):
    """conv_transpose3d, conv_transpose2d or conv_transpose1d with its checks, errors naming op."""
    geom = _conv_checks(op, x, w, b, stride, padding, dilation, groups, transpose=True, dims=dims)
    stride, padding, dilation, _ = geom
    extra = ntuple(output_padding, len(stride), "output_padding", op)
    if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise ArgumentError(f"{op}: output_padding {extra} must be smaller than stride {stride} or dilation {dilation}")
    size, kernel = hw(x.shape[2:]), hw(w.shape[2:])
    out = tuple((size[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + extra[i] + 1
                for i in range(len(stride)))
    if min(out) < 1:
        raise ArgumentError(f"{op}: output size {out} is not positive (x {x.shape}, weight {w.shape}, "
                            f"stride {stride}, padding {padding})")
    return pick(ConvTransposeNd).apply(x, w, b, geom, out)


def _one_d(op, *ints):
    """conv1d's int arguments as conv2d's: v or (v,) -> (neutral, v), the height axis (of size 1) getting stride
    and dilation 1 and padding and output_padding 0, which change nothing; strings ("same") pass."""
    out = []
    for v, neutral in ints:
        if isinstance(v, str):
            out.append(v)
            continue
        v = tuple(v) if isinstance(v, (tuple, list)) else (v,)
        if len(v) != 1:
            raise ArgumentError(f"{op}: expected an int or a 1-tuple, got {v!r}")
        out.append((neutral, v[0]))
    return out


def conv2d(x: Tensor, w: Tensor | ArrayLike, b: Tensor | ArrayLike | None = None, stride: IntPair = 1,
           padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of NCHW images with a bank of kernels, by im2col and one matrix product per group.

    Args:
        x: (N, C, H, W).
        w: (O, C / groups, kh, kw).
        b: (O,) or None.
        stride, dilation: an int or a pair (>= 1).
        padding: an int or a pair (zeros on both sides), "valid" (0) or "same" (stride 1; output size = input
            size, an odd total padding one more at the end, as in PyTorch). An extension (tinygrad's; PyTorch
            refuses it, so no PyTorch code changes meaning): 4 ints (left, right, top, bottom), ``F.pad``'s order
            for the last two axes, zero-padding each side by its own amount.
        groups: splits the C input and O output channels into that many independent convolutions.
    Returns (N, O, Ho, Wo), Ho = (H + 2 p - d (kh - 1) - 1) // s + 1. PyTorch: ``torch.nn.functional.conv2d``."""
    x, w, b = layer_operands(x, w, b, "conv2d")
    return _conv("conv2d", x, w, b, stride, padding, dilation, groups, dims=2)


def conv3d(x: Tensor, w: Tensor | ArrayLike, b: Tensor | ArrayLike | None = None, stride: IntPair = 1,
           padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """3-D cross-correlation of (N, C, D, H, W) volumes with a bank of kernels: conv2d's op on three axes.

    Args:
        x: (N, C, D, H, W).
        w: (O, C / groups, kd, kh, kw).
        b: (O,) or None.
        stride, dilation: an int or a triple (>= 1).
        padding: an int or a triple (zeros on both sides), "valid" or "same" (stride 1).
        groups: independent groups of channels.
    Returns (N, O, Do, Ho, Wo), Do = (D + 2 p - d (kd - 1) - 1) // s + 1. PyTorch: ``torch.nn.functional.conv3d``."""
    x, w, b = layer_operands(x, w, b, "conv3d")
    return _conv("conv3d", x, w, b, stride, padding, dilation, groups, dims=3)


def conv_transpose2d(x: Tensor, w: Tensor | ArrayLike, b: Tensor | ArrayLike | None = None, stride: IntPair = 1,
                     padding: IntPair = 0, output_padding: IntPair = 0, groups: int = 1,
                     dilation: IntPair = 1) -> Tensor:
    """The transposed convolution (the adjoint of conv2d in its input), which upsamples by ``stride``.

    Args:
        x: (N, Ci, H, W).
        w: (Ci, Co / groups, kh, kw), PyTorch's layout (in channels first).
        b: (Co,) or None.
        stride, padding, dilation: those of the conv2d it is the adjoint of (ints or pairs).
        output_padding: extra rows / columns at the bottom / right (smaller than stride or dilation), to pick one
            of the input sizes a strided conv2d maps to the same output size.
        groups: independent groups of channels.
    Returns (N, Co, Ho, Wo), Ho = (H - 1) s - 2 p + d (kh - 1) + output_padding + 1.
    PyTorch: ``torch.nn.functional.conv_transpose2d``."""
    x, w, b = layer_operands(x, w, b, "conv_transpose2d")
    return _conv_transpose("conv_transpose2d", x, w, b, stride, padding, output_padding, groups, dilation, dims=2)


def conv_transpose3d(x: Tensor, w: Tensor | ArrayLike, b: Tensor | ArrayLike | None = None, stride: IntPair = 1,
                     padding: IntPair = 0, output_padding: IntPair = 0, groups: int = 1,
                     dilation: IntPair = 1) -> Tensor:
    """The transposed 3-D convolution (the adjoint of conv3d in its input), which upsamples by ``stride``.

    Args:
        x: (N, Ci, D, H, W).
        w: (Ci, Co / groups, kd, kh, kw), PyTorch's layout (in channels first).
        b: (Co,) or None.
        stride, padding, dilation: those of the conv3d it is the adjoint of (ints or triples).
        output_padding: extra planes / rows / columns at the end (smaller than stride or dilation).
        groups: independent groups of channels.
    Returns (N, Co, Do, Ho, Wo), Do = (D - 1) s - 2 p + d (kd - 1) + output_padding + 1.
    PyTorch: ``torch.nn.functional.conv_transpose3d``."""
    x, w, b = layer_operands(x, w, b, "conv_transpose3d")
    return _conv_transpose("conv_transpose3d", x, w, b, stride, padding, output_padding, groups, dilation, dims=3)


def conv1d(x: Tensor, w: Tensor | ArrayLike, b: Tensor | ArrayLike | None = None, stride: IntPair = 1,
           padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation of (N, C, L) signals: conv2d on an image of height 1.

    Args:
        x: (N, C, L).
        w: (O, C / groups, k).
        b: (O,) or None.
        stride, dilation: an int or a 1-tuple; padding: an int, a 1-tuple, "valid" or "same".
        groups: independent groups of channels.
    PyTorch: ``torch.nn.functional.conv1d``."""
    x, w, b = layer_operands(x, w, b, "conv1d")
    stride, padding, dilation = _one_d("conv1d", (stride, 1), (padding, 0), (dilation, 1))
    return _conv("conv1d", x, w, b, stride, padding, dilation, groups, dims=1)


def conv_transpose1d(x: Tensor, w: Tensor | ArrayLike, b: Tensor | ArrayLike | None = None, stride: IntPair = 1,
                     padding: IntPair = 0, output_padding: IntPair = 0, groups: int = 1,
                     dilation: IntPair = 1) -> Tensor:
    """The transposed 1-D convolution (the adjoint of conv1d in its input): conv_transpose2d on a height of 1.

    Args:
        x: (N, Ci, L).
        w: (Ci, Co / groups, k).
        b: (Co,) or None.
        stride, padding, output_padding, dilation: ints or 1-tuples, as in conv_transpose2d.
        groups: independent groups of channels.
    PyTorch: ``torch.nn.functional.conv_transpose1d``."""
    x, w, b = layer_operands(x, w, b, "conv_transpose1d")
    stride, padding, extra, dilation = _one_d("conv_transpose1d", (stride, 1), (padding, 0), (output_padding, 0),
                                              (dilation, 1))
    return _conv_transpose("conv_transpose1d", x, w, b, stride, padding, extra, groups, dilation, dims=1)


# ----- unfold and fold (im2col and col2im) -----
def _fold_geometry(op, size, kernel_size, dilation, padding, stride):
    """(kernel, stride, padding, dilation, out) of an unfold / fold over an image of (H, W) = size, checked."""
    kernel = pair(kernel_size, "kernel_size", op, least=1)
    dilation = pair(dilation, "dilation", op, least=1)
    padding = pair(padding, "padding", op)
    stride = pair(stride, "stride", op, least=1)
    out = tuple(out_size(size[i], kernel[i], stride[i], padding[i], op, dilation[i]) for i in range(2))
    return kernel, stride, padding, dilation, out


def unfold(x: Tensor, kernel_size: IntPair, dilation: IntPair = 1, padding: IntPair = 0,
           stride: IntPair = 1) -> Tensor:
    """im2col: every sliding window of an (N, C, H, W) batch (or one (C, H, W) image) as a column.

    Args:
        x: (N, C, H, W) or (C, H, W).
        kernel_size: the window (kh, kw), or one int for both.
        dilation, stride: ints or pairs (>= 1); padding: zeros on both sides (an int or a pair).
    Returns (N, C kh kw, L), L = Ho Wo windows in row-major order; row c kh kw + i kw + j holds tap (i, j) of
    channel c (without N for a (C, H, W) image). ``fold`` is its adjoint. PyTorch:
    ``torch.nn.functional.unfold``."""
    x = as_tensor(x)
    if x.ndim not in (3, 4):
        raise ArgumentError(f"unfold: expected x of shape (N, C, H, W) or (C, H, W), got {x.shape}")
    geom = _fold_geometry("unfold", x.shape[-2:], kernel_size, dilation, padding, stride)
    if x.ndim == 3:
        return Unfold.apply(x[None], geom)[0]
    return Unfold.apply(x, geom)


def fold(x: Tensor, output_size: IntPair, kernel_size: IntPair, dilation: IntPair = 1, padding: IntPair = 0,
         stride: IntPair = 1) -> Tensor:
    """col2im: columns of sliding windows (``unfold``'s layout) added back onto an image, overlaps summed.

    Args:
        x: (N, C kh kw, L) or (C kh kw, L), L the number of windows an (H, W) = output_size image has.
        output_size: (H, W), or one int for both.
        kernel_size, dilation, padding, stride: those of the unfold it is the adjoint of.
    Returns (N, C, H, W) (or (C, H, W)). PyTorch: ``torch.nn.functional.fold``."""
    x = as_tensor(x)
    size = pair(output_size, "output_size", "fold", least=1)
    geom = _fold_geometry("fold", size, kernel_size, dilation, padding, stride)
    k, out = math.prod(geom[0]), geom[4]
    if x.ndim not in (2, 3) or x.shape[-2] % k or x.shape[-1] != math.prod(out):
        raise ArgumentError(f"fold: expected x of shape (N, C * {k}, {math.prod(out)}) (kernel {geom[0]}, "
                            f"{out[0]} x {out[1]} windows of an image of size {size}), got {x.shape}")
    if x.ndim == 2:
        return Fold.apply(x[None], geom, size)[0]
    return Fold.apply(x, geom, size)


def _dezero_padding(op, pad, padding):
    """DeZero's ``pad=`` or PyTorch's ``padding=`` (one of them)."""
    if padding is None:
        return pad
    if pad != 0:
        raise TypeError(f"{op}: got both pad={pad!r} and its PyTorch name padding={padding!r}; give one")
    return padding


def im2col(x: Tensor, kernel_size: IntPair, stride: IntPair = 1, pad: IntPair = 0, to_matrix: bool = True, *,
           dilation: IntPair = 1, padding: IntPair | None = None) -> Tensor:
    """``unfold`` under DeZero's name and argument order, im2col(x, kernel_size, stride=1, pad=0, to_matrix=True),
    also taking PyTorch's keywords ``padding=`` (for ``pad``) and ``dilation=``.

    The layout is PyTorch's, not DeZero's: with ``to_matrix`` it is unfold's (N, C kh kw, Ho Wo), where DeZero's
    im2col gives the transposed (N Ho Wo, C kh kw) matrix (``unfold(x).transpose(1, 2).reshape(-1, C kh kw)`` is
    that); without, the (N, C, kh, kw, Ho, Wo) array DeZero gives too. PyTorch: ``torch.nn.functional.unfold``."""
    x = as_tensor(x)
    padding = _dezero_padding("im2col", pad, padding)
    cols = unfold(x, kernel_size, dilation, padding, stride)
    if to_matrix:
        return cols
    kernel = pair(kernel_size, "kernel_size", "im2col", least=1)
    out = _fold_geometry("im2col", x.shape[-2:], kernel, dilation, padding, stride)[4]
    return cols.reshape(cols.shape[:-2] + (x.shape[-3],) + kernel + out)


def col2im(x: Tensor, input_shape: Tuple[int, ...], kernel_size: IntPair, stride: IntPair = 1, pad: IntPair = 0,
           to_matrix: bool = True, *, dilation: IntPair = 1, padding: IntPair | None = None) -> Tensor:
    """``fold`` under DeZero's name and argument order, col2im(col, input_shape, kernel_size, stride=1, pad=0,
    to_matrix=True), also taking PyTorch's keywords ``padding=`` and ``dilation=``.

    ``input_shape`` is DeZero's (N, C, H, W) or PyTorch's output_size (H, W). The columns are in PyTorch's
    layout (see ``im2col``): (N, C kh kw, Ho Wo) with ``to_matrix``, (N, C, kh, kw, Ho, Wo) without.
    PyTorch: ``torch.nn.functional.fold``."""
    x = as_tensor(x)
    padding = _dezero_padding("col2im", pad, padding)
    size = tuple(input_shape)[-2:] if isinstance(input_shape, (tuple, list)) else input_shape
    if not to_matrix:
        if x.ndim != 6:
            raise ArgumentError(f"col2im: to_matrix=False expects columns (N, C, kh, kw, Ho, Wo), got {x.shape}")
        x = x.reshape(x.shape[0], -1, x.shape[4] * x.shape[5])
    return fold(x, size, kernel_size, dilation, padding, stride)


BINDINGS = [
    bind(conv1d, F=True),
    bind(conv2d, F=True),
    bind(conv3d, F=True),
    bind(conv_transpose1d, F=True),
    bind(conv_transpose2d, F=True),
    bind(conv_transpose3d, F=True),
    bind(unfold, F=True),
    bind(fold, F=True),
    bind(im2col, F=True),
    bind(col2im, F=True),
]


CASES = [
    OpCase("F.conv2d", lambda x, w, b: conv2d(x, w, b, stride=2, padding=1), ((2, 2, 5, 5), (3, 2, 3, 3), (3,)),
           draw="fixed", torch=functional_twin("conv2d", stride=2, padding=1)),
    # an even kernel's "same" padding is uneven: PyTorch pads x into a copy first, so it saves that copy
    OpCase("F.conv2d[same]", lambda x, w, b: conv2d(x, w, b, padding="same"),
           ((2, 3, 5, 4), (2, 3, 2, 3), (2,)), draw="fixed",
           torch=functional_twin("conv2d", padding="same"), exact_twin=False),
    OpCase("F.conv2d[groups,dilation]", lambda x, w, b: conv2d(x, w, b, 1, 1, dilation=2, groups=2),
           ((1, 4, 5, 5), (2, 2, 3, 3), (2,)), draw="fixed",
           torch=functional_twin("conv2d", 1, 1, dilation=2, groups=2)),
    OpCase("F.conv2d[depthwise]", lambda x, w: conv2d(x, w, None, 2, 1, groups=3), ((1, 3, 5, 5), (3, 1, 3, 3)),
           draw="fixed", torch=functional_twin("conv2d", None, 2, 1, groups=3)),
    # the 4-number padding is an extension: its twin pads explicitly, then convolves
    OpCase("F.conv2d[asymmetric_padding]", lambda x, w, b: conv2d(x, w, b, 2, (1, 0, 2, 1)),
           ((1, 2, 5, 4), (3, 2, 3, 3), (3,)), draw="fixed",
           torch=lambda torch, x, w, b: torch.nn.functional.conv2d(torch.nn.functional.pad(x, (1, 0, 2, 1)), w, b, 2),
           exact_twin=False),
    OpCase("F.conv_transpose2d",
           lambda x, w, b: conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
           ((1, 2, 3, 3), (2, 3, 3, 3), (3,)), draw="fixed",
           torch=functional_twin("conv_transpose2d", stride=2, padding=1, output_padding=1)),
    OpCase("F.conv_transpose2d[groups,dilation]",
           lambda x, w, b: conv_transpose2d(x, w, b, 2, 1, 1, groups=2, dilation=2),
           ((1, 4, 3, 3), (4, 1, 3, 3), (2,)), draw="fixed",
           torch=functional_twin("conv_transpose2d", 2, 1, 1, groups=2, dilation=2)),
    OpCase("F.conv1d", lambda x, w, b: conv1d(x, w, b, 2, 1, dilation=2), ((2, 2, 7), (3, 2, 3), (3,)),
           draw="fixed", torch=functional_twin("conv1d", 2, 1, dilation=2)),
    OpCase("F.conv_transpose1d", lambda x, w, b: conv_transpose1d(x, w, b, 2, 1, 1), ((2, 3, 4), (3, 2, 3), (2,)),
           draw="fixed", torch=functional_twin("conv_transpose1d", 2, 1, 1)),
    OpCase("F.conv3d", lambda x, w, b: conv3d(x, w, b, (1, 2, 2), 1), ((1, 2, 3, 4, 4), (2, 2, 2, 3, 3), (2,)),
           draw="fixed", torch=functional_twin("conv3d", (1, 2, 2), 1)),
    OpCase("F.conv3d[groups,dilation]", lambda x, w, b: conv3d(x, w, b, 1, (0, 1, 1), dilation=(1, 2, 1), groups=2),
           ((1, 4, 2, 5, 3), (2, 2, 2, 2, 2), (2,)), draw="fixed",
           torch=functional_twin("conv3d", 1, (0, 1, 1), dilation=(1, 2, 1), groups=2)),
    OpCase("F.conv_transpose3d", lambda x, w, b: conv_transpose3d(x, w, b, 2, 1, (1, 0, 1)),
           ((1, 2, 2, 2, 3), (2, 2, 3, 2, 3), (2,)), draw="fixed",
           torch=functional_twin("conv_transpose3d", 2, 1, (1, 0, 1))),
    OpCase("F.unfold", lambda x: unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), ((2, 2, 5, 4),),
           draw="fixed", torch=functional_twin("unfold", (2, 3), dilation=(2, 1), padding=1, stride=(1, 2))),
    OpCase("F.fold", lambda x: fold(x, (5, 4), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), ((2, 12, 10),),
           draw="fixed", torch=functional_twin("fold", (5, 4), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2))),
]
