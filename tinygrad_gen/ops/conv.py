"""Convolution over NCHW images: conv2d (a cross-correlation, as in PyTorch) and its adjoint conv_transpose2d, by
im2col and one matrix product each way; conv1d and conv_transpose1d are the same ops on an image of height 1.

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

from typing import Tuple, Union

import numpy as np
from numpy.typing import ArrayLike

from .. import dispatch
from ..autograd import Function
from ..backend import xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import Tensor
from .case import OpCase, functional_twin
from .checks import layer_operands
from .windows import col2im_nhwc, nhwc_padded, out_size, pair, windows_nhwc

IntPair = Union[int, Tuple[int, ...]]  # an int, or one per spatial axis (conv1d: an int or a 1-tuple)


# ----- array helpers: im2col, col2im and the layouts around one matrix product -----
def _im2col(x, kernel, geom, out_hw):
    """im2col, channels last: (N Ho Wo, kh kw C), or (G, N Ho Wo, kh kw Cg) with groups. Row (n, u, v) is the
    window under output pixel (u, v), read from the zero-padded x; this reshape of a strided view is the one copy
    that turns convolution into a matrix product."""
    stride, padding, dilation, groups = geom
    win = windows_nhwc(nhwc_padded(x, *padding), kernel, stride, out_hw, dilation)  # (N, Ho, Wo, kh, kw, C) view
    m = x.shape[0] * out_hw[0] * out_hw[1]
    if groups == 1:
        return win.reshape(m, -1)
    win = win.reshape(win.shape[:5] + (groups, -1))  # (N, Ho, Wo, kh, kw, G, Cg)
    return win.transpose(5, 0, 1, 2, 3, 4, 6).reshape(groups, m, -1)


def _weight_rows(w, groups):
    """W: (O, Cg, kh, kw) -> (O, kh kw Cg), or (G, Og, kh kw Cg) with groups; columns in the cols' order."""
    rows = w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
    return rows if groups == 1 else rows.reshape(groups, w.shape[0] // groups, -1)


def _grad_rows(gy, groups):
    """(N, O, Ho, Wo) -> (N Ho Wo, O), or (G, N Ho Wo, Og) with groups; rows in the cols' order."""
    rows = gy.transpose(0, 2, 3, 1).reshape(-1, gy.shape[1])
    return rows if groups == 1 else rows.reshape(rows.shape[0], groups, -1).transpose(1, 0, 2)


def _nchw(rows, n, size):
    """(N H W, C) rows, or (G, N H W, Cg) per group -> a contiguous (N, C, H, W) array, (H, W) = size."""
    if rows.ndim == 3:
        rows = rows.transpose(1, 0, 2)
    return xp_of(rows).ascontiguousarray(rows.reshape(n, size[0], size[1], -1).transpose(0, 3, 1, 2))


def image(a):
    """An (N, C, L) signal as the (N, C, 1, L) image that conv1d is run on (a view); an image passes."""
    return a[:, :, None] if a.ndim == 3 else a


def hw(size):
    """A spatial size as (height, width): (L,) -> (1, L); a pair passes."""
    return (1,) * (2 - len(size)) + tuple(size)


def like_input(y, ndim):
    """An (N, C, H, W) result back in its input's rank: (N, C, 1, L) -> (N, C, L) for a signal."""
    return y.reshape(y.shape[:2] + y.shape[3:]) if ndim == 3 else y


def add_bias(y, b):
    """y + b[channel], in place on the fresh output ``y`` (b may be None)."""
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


def conv_forward(x, w, geom, out_hw):
    """y = conv(x, w) on arrays: (N, C, H, W), (O, Cg, kh, kw) -> (N, O, Ho, Wo), as cols @ W^T."""
    groups = geom[3]
    cols = _im2col(x, w.shape[2:], geom, out_hw)
    return _nchw(dispatch.matmul(cols, _weight_rows(w, groups).swapaxes(-1, -2)), x.shape[0], out_hw)


def conv_input_grad(gy, w, geom, in_hw):
    """dx = col2im(gy @ W) on arrays: (N, O, Ho, Wo), (O, Cg, kh, kw) -> (N, C, H, W). Row (n, u, v) of gy @ W is
    what window (u, v) hands back to each pixel it read; col2im adds those rows onto a zero padded image, one
    strided add per kernel tap (i, j), and the padding is cut off."""
    stride, (ph, pw), dilation, groups = geom
    n, _, ho, wo = gy.shape
    cg, kh, kw = w.shape[1:]
    h, wd = in_hw
    cols = dispatch.matmul(_grad_rows(gy, groups), _weight_rows(w, groups))  # (M, kh kw Cg) or (G, M, kh kw Cg)
    if groups == 1:
        cols = cols.reshape(n, ho, wo, kh, kw, cg)
        padded = (n, h + 2 * ph, wd + 2 * pw, cg)
    else:
        cols = cols.reshape(groups, n, ho, wo, kh, kw, cg).transpose(1, 2, 3, 4, 5, 0, 6)
        padded = (n, h + 2 * ph, wd + 2 * pw, groups, cg)
    out = col2im_nhwc(cols, padded, stride, dilation).reshape(n, h + 2 * ph, wd + 2 * pw, groups * cg)
    return xp_of(out).ascontiguousarray(out[:, ph:ph + h, pw:pw + wd].transpose(0, 3, 1, 2))


def conv_weight_grad(x, gy, geom, kernel):
    """dw = gy^T @ cols on arrays: (N, C, H, W), (N, O, Ho, Wo) -> (O, Cg, kh, kw)."""
    groups = geom[3]
    o, cg = gy.shape[1], x.shape[1] // groups
    dw = dispatch.matmul(_grad_rows(gy, groups).swapaxes(-1, -2), _im2col(x, kernel, geom, gy.shape[2:]))
    return xp_of(dw).ascontiguousarray(dw.reshape(o, kernel[0], kernel[1], cg).transpose(0, 3, 1, 2))


# ----- the Functions -----
class Conv2d(Function):
    """y = conv2d(x, w) + b: the 2-D cross-correlation of x (N, C, H, W) with w (O, C/G, kh, kw), b (O,) or None,
    geom = (stride s, padding p, dilation d, groups G). The channels split into G groups of Cg = C/G inputs and
    Og = O/G outputs; output channel o reads only its group's inputs, c' = (o // Og) Cg + c for c < Cg.

    forward, with xpad = x with p zeros around each image:
        y[n,o,u,v] = b[o] + sum_{c<Cg, i<kh, j<kw} w[o,c,i,j] xpad[n, c', u s + i d, v s + j d].
    im2col copies every window into a row, cols[(n,u,v), (i,j,c)] = xpad[n, c, u s + i d, v s + j d], so that
    y = cols @ W^T + b with W[o, (i,j,c)] = w[o,c,i,j]: one matrix product (per group).

    backward, gy = dL/dy (y's shape). y is linear in each of x, w and b, so each gradient is gy sent through the
    adjoint of that linear map:
        dx = col2im(gy @ W): row (n,u,v) of gy @ W holds, for each tap (i,j,c), what window (u,v) hands back to
             the pixel it read there (gy[n,:,u,v] times the weights that met it); col2im adds the rows onto a zero
             padded image and the padding is cut off. This is the transposed convolution of gy with w
             (ConvTranspose2d, applied by ``input_grad``, the step the fast path lowers its own way), so dx can
             itself be differentiated.
        dw[o,c,i,j] = sum_{n,u,v} gy[n,o,u,v] xpad[n, c', u s + i d, v s + j d], i.e. dW = gy^T @ cols
             (ConvWeightGrad, an op of its own so that it can be differentiated again).
        db[o] = sum_{n,u,v} gy[n,o,u,v].
    An (N, C, L) x with an (O, C/G, k) w is conv1d: the same op on an image of height 1 (geom, out_hw as pairs)."""
    @staticmethod
    def forward(ctx, x, w, b, geom, out_hw):
        ctx.save_for_backward(x, w)
        ctx.geom = geom
        return like_input(add_bias(conv_forward(image(x), image(w), geom, hw(out_hw)), b), x.ndim)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = ctx.fn.input_grad(gy, w, ctx.geom, x.shape[2:]) if need_x else None
        dw = ConvWeightGrad.apply(x, gy, ctx.geom, w.shape[2:]) if need_w else None
        db = gy.sum(axis=(0, *range(2, gy.ndim))) if need_b else None
        return dx, dw, db, None, None

    @staticmethod
    def input_grad(gy, w, geom, in_hw):
        """dx = conv_transpose2d(gy, w) onto the input's spatial size ``in_hw``: the adjoint of x -> conv2d(x, w)."""
        return ConvTranspose2d.apply(gy, w, None, geom, in_hw)


class ConvTranspose2d(Function):
    """y = conv_transpose2d(x, w) + b: the adjoint of conv2d's map x -> conv2d(x, w), which upsamples by the
    stride. x is (N, Ci, H, W), w (Ci, Co/G, kh, kw), b (Co,) or None, geom = (stride s, padding p, dilation d,
    groups G): w is the weight of a conv2d from Co to Ci channels, and input channel c paints only onto the outputs
    of its group, o' = (c // (Ci/G)) (Co/G) + o for o < Co/G.

    forward: each input pixel paints its channel's kernel, scaled by its value, onto the output:
        y[n,o',Y,X] = b[o'] + sum over u, v, i, j with u s + i d - p = Y, v s + j d - p = X of x[n,c,u,v] w[c,o,i,j],
    summed over the channels c of o's group. Computed as col2im(X @ W) with W[c, (i,j,o)] = w[c,o,i,j]: row (n,u,v)
    of X @ W is the patch pixel (u,v) paints; col2im adds the patches onto a zero image with p rows and columns of
    border at (u s + i d, v s + j d), and the border is cut off.

    backward, gy = dL/dy (y's shape). y is linear in each of x, w and b:
        dx[n,c,u,v] = sum_{o,i,j} w[c,o,i,j] gy[n, o', u s + i d - p, v s + j d - p] (gy taken as 0 outside it):
             the adjoint of the adjoint, the convolution itself, dx = conv2d(gy, w) (Conv2d);
        dw[c,o,i,j] = sum_{n,u,v} x[n,c,u,v] gy[n, o', u s + i d - p, v s + j d - p]: conv2d's weight gradient
             with gy in the input's place and x in the output gradient's (ConvWeightGrad(gy, x));
        db[o'] = sum of gy[n,o',Y,X] over n, Y, X.
    An (N, Ci, L) x with a (Ci, Co/G, k) w is conv_transpose1d: the same op on an image of height 1."""
    @staticmethod
    def forward(ctx, x, w, b, geom, out_hw):
        ctx.save_for_backward(x, w)
        ctx.geom = geom
        return like_input(add_bias(conv_input_grad(image(x), image(w), geom, hw(out_hw)), b), x.ndim)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = Conv2d.apply(gy, w, None, ctx.geom, x.shape[2:]) if need_x else None
        dw = ConvWeightGrad.apply(gy, x, ctx.geom, w.shape[2:]) if need_w else None
        db = gy.sum(axis=(0, *range(2, gy.ndim))) if need_b else None
        return dx, dw, db, None, None


class ConvWeightGrad(Function):
    """z = conv2d's weight gradient as an op, for x (N, C, H, W) and gy (N, O, Ho, Wo), geom = (stride s, padding p,
    dilation d, groups G) and kernel (kh, kw): with xpad = x with p zeros around each image and c' = (o // Og) Cg + c
    (Cg = C/G, Og = O/G),
        z[o,c,i,j] = sum_{n,u,v} gy[n,o,u,v] xpad[n, c', u s + i d, v s + j d],  i.e. Z = gy^T @ cols.
    It is bilinear in (x, gy) and enters a graph only when a backward is recorded (``create_graph=True``), to be
    differentiated again (a gradient penalty on the weights' gradient).

    backward, h = dL/dz (w's shape): L depends on z through <h, z>, and
        <h, z(x, gy)> = sum h[o,c,i,j] gy[n,o,u,v] xpad[n,c',u s + i d, v s + j d] = <conv2d(x, h), gy>
                      = <x, conv_transpose2d(gy, h)>,
    so dx = conv_transpose2d(gy, h) (ConvTranspose2d) and dgy = conv2d(x, h) (Conv2d)."""
    @staticmethod
    def forward(ctx, x, gy, geom, kernel):
        ctx.save_for_backward(x, gy)
        ctx.geom = geom
        return like_input(conv_weight_grad(image(x), image(gy), geom, hw(kernel)), x.ndim)

    @staticmethod
    def backward(ctx, h):
        x, gy = ctx.saved_tensors
        need_x, need_gy = ctx.needs_input_grad[:2]
        dx = ConvTranspose2d.apply(gy, h, None, ctx.geom, x.shape[2:]) if need_x else None
        dgy = Conv2d.apply(x, h, None, ctx.geom, gy.shape[2:]) if need_gy else None
        return dx, dgy, None, None


# ----- the public functions and their argument checks -----
def _conv_checks(op, x, w, b, stride, padding, dilation, groups, transpose, dims=2):
    """Check x, w, b of a convolution over ``dims`` spatial axes (w is (out, in / groups, ..), or
    (in, out / groups, ..) when transposed); returns the geometry (stride, padding, dilation, groups) with pairs
    for the first three (conv1d's arguments arrive already lifted to pairs by ``_one_d``)."""
    if x.ndim != dims + 2 or w.ndim != dims + 2:
        layout = "(N, C, H, W)" if dims == 2 else "(N, C, L)"
        raise ValueError(f"{op}: expected x {layout} and a {dims + 2}-D weight, got x {x.shape} and weight {w.shape}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    in_ch, out_ch = (w.shape[0], w.shape[1] * groups) if transpose else (w.shape[1] * groups, w.shape[0])
    if x.shape[1] % groups or (w.shape[0] % groups):
        raise ValueError(f"{op}: {x.shape[1]} input channels (x {x.shape}) and weight {w.shape} must both split "
                         f"into groups={groups}")
    if x.shape[1] != in_ch:
        raise ValueError(f"{op}: x has {x.shape[1]} channels (shape {x.shape}) but the weight of shape {w.shape} "
                         f"with groups={groups} expects {in_ch}")
    if b is not None and b.shape != (out_ch,):
        raise ValueError(f"{op}: bias of shape {b.shape} does not match {out_ch} output channels "
                         f"(weight {w.shape})")
    stride = pair(stride, "stride", op, least=1)
    dilation = pair(dilation, "dilation", op, least=1)
    padding = pair(padding, "padding", op)
    return stride, padding, dilation, int(groups)


def _same_padding(op, kernel, stride, dilation):
    """padding="same" (stride 1): total d (k - 1) per axis, the odd one extra at the end as in PyTorch. Returns
    the symmetric padding (the larger half on both sides) and which axes then need their first output dropped."""
    if pair(stride, "stride", op, least=1) != (1, 1):
        raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride!r}")
    total = [d * (k - 1) for d, k in zip(pair(dilation, "dilation", op, least=1), kernel)]
    return tuple((t + 1) // 2 for t in total), tuple(t % 2 == 1 for t in total)


def _conv(op, x, w, b, stride, padding, dilation, groups, dims):
    """conv2d (dims 2) or conv1d (dims 1, the height axis's arguments neutral) with its checks, errors naming op."""
    trim = (False, False)
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"{op}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
        if padding == "valid":
            padding = (0, 0)
        else:
            padding, trim = _same_padding(op, hw(w.shape[2:]), stride, dilation)
    geom = _conv_checks(op, x, w, b, stride, padding, dilation, groups, transpose=False, dims=dims)
    size, kernel = hw(x.shape[2:]), hw(w.shape[2:])
    out_hw = tuple(out_size(size[i], kernel[i], geom[0][i], geom[1][i], op, geom[2][i]) for i in range(2))
    y = pick(Conv2d).apply(x, w, b, geom, out_hw)
    if trim[0]:  # the height axis (never for conv1d: its height has kernel 1, nothing to pad)
        y = y[:, :, 1:]
    if trim[1]:
        y = y[..., 1:]
    return y


def _conv_transpose(op, x, w, b, stride, padding, output_padding, groups, dilation, dims):
    """conv_transpose2d (dims 2) or conv_transpose1d (dims 1) with its checks, errors naming op."""
    geom = _conv_checks(op, x, w, b, stride, padding, dilation, groups, transpose=True, dims=dims)
    stride, padding, dilation, _ = geom
    extra = pair(output_padding, "output_padding", op)
    if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(f"{op}: output_padding {extra} must be smaller than stride {stride} or dilation {dilation}")
    size, kernel = hw(x.shape[2:]), hw(w.shape[2:])
    out_hw = tuple((size[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + extra[i] + 1
                   for i in range(2))
    if min(out_hw) < 1:
        raise ValueError(f"{op}: output size {out_hw} is not positive (x {x.shape}, weight {w.shape}, "
                         f"stride {stride}, padding {padding})")
    return pick(ConvTranspose2d).apply(x, w, b, geom, out_hw)


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
            raise ValueError(f"{op}: expected an int or a 1-tuple, got {v!r}")
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
            size, an odd total padding one more at the end, as in PyTorch).
        groups: splits the C input and O output channels into that many independent convolutions.
    Returns (N, O, Ho, Wo), Ho = (H + 2 p - d (kh - 1) - 1) // s + 1. PyTorch: ``torch.nn.functional.conv2d``."""
    x, w, b = layer_operands(x, w, b)
    return _conv("conv2d", x, w, b, stride, padding, dilation, groups, dims=2)


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
    x, w, b = layer_operands(x, w, b)
    return _conv_transpose("conv_transpose2d", x, w, b, stride, padding, output_padding, groups, dilation, dims=2)


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
    x, w, b = layer_operands(x, w, b)
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
    x, w, b = layer_operands(x, w, b)
    stride, padding, extra, dilation = _one_d("conv_transpose1d", (stride, 1), (padding, 0), (output_padding, 0),
                                              (dilation, 1))
    return _conv_transpose("conv_transpose1d", x, w, b, stride, padding, extra, groups, dilation, dims=1)


BINDINGS = [
    bind(conv1d, F=True),
    bind(conv2d, F=True),
    bind(conv_transpose1d, F=True),
    bind(conv_transpose2d, F=True),
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
]
