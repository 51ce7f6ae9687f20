"""2-D convolution and transposed convolution (NCHW) by im2col: one big matmul each way.

Three array maps do all the work, and each op's backward is made of the other two:

    conv(x, w)          y[n,o,p,q]  = sum_{c,i,j} w[o,c,i,j] x[n,c,p*s+i-pad,q*s+j-pad]       (im2col, then cols @ W^T)
    conv_input_grad(g, w)  = the adjoint of x -> conv(x, w): g @ W, then col2im             (= transposed conv)
    conv_weight_grad(x, g) = the adjoint of w -> conv(x, w): g^T @ cols

so conv_transpose2d's forward is conv2d's input gradient and its input gradient is conv2d's forward. The cols
matrix is laid out channels-last, (N*Ho*Wo, kh*kw*C), so its copies run over C contiguous channels at a time.
Every backward is written with these differentiable ops, hence second derivatives (e.g. a GAN's R1 gradient
penalty) just work.
"""
from .. import dispatch
from ..autograd import Function
from ..backend import xp_of
from .windows import col2im_nhwc, nhwc_padded, windows_nhwc


def _cols(x, kernel, stride, padding, out_hw):
    """im2col as an (N*Ho*Wo, kh*kw*C) matrix, channels last: the one copy that turns convolution into a matmul."""
    win = windows_nhwc(nhwc_padded(x, *padding), kernel, stride, out_hw)      # (N, Ho, Wo, kh, kw, C) view
    return win.reshape(x.shape[0] * out_hw[0] * out_hw[1], -1)


def _w_rows(w):
    """(O, C, kh, kw) -> (O, kh*kw*C), columns in the cols' order."""
    return w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1)


def _g_rows(g):
    """(N, O, Ho, Wo) -> (N*Ho*Wo, O), rows in the cols' order."""
    return g.transpose(0, 2, 3, 1).reshape(-1, g.shape[1])


def _nchw(rows, n, hw):
    """(N*H*W, C) rows -> a contiguous (N, C, H, W) array."""
    return xp_of(rows).ascontiguousarray(rows.reshape(n, hw[0], hw[1], -1).transpose(0, 3, 1, 2))


def conv_forward(x, w, stride, padding, out_hw):
    """y = conv(x, w) on arrays: (N, C, H, W) * (O, C, kh, kw) -> (N, O, Ho, Wo), as cols @ W^T."""
    cols = _cols(x, w.shape[2:], stride, padding, out_hw)
    return _nchw(dispatch.matmul(cols, _w_rows(w).T), x.shape[0], out_hw)


def conv_input_grad(g, w, stride, padding, in_hw):
    """dx = col2im(g @ W): (N, O, Ho, Wo), (O, C, kh, kw) -> (N, C, H, W)."""
    n, o, ho, wo = g.shape
    c, kh, kw = w.shape[1:]
    (ph, pw), (h, wd) = padding, in_hw
    cols = dispatch.matmul(_g_rows(g), _w_rows(w)).reshape(n, ho, wo, kh, kw, c)
    out = col2im_nhwc(cols, (n, h + 2 * ph, wd + 2 * pw, c), stride)[:, ph:ph + h, pw:pw + wd]
    return xp_of(out).ascontiguousarray(out.transpose(0, 3, 1, 2))


def conv_weight_grad(x, g, stride, padding, kernel):
    """dw = g^T @ cols: (N, C, H, W), (N, O, Ho, Wo) -> (O, C, kh, kw)."""
    o, c = g.shape[1], x.shape[1]
    dw = dispatch.matmul(_g_rows(g).T, _cols(x, kernel, stride, padding, g.shape[2:]))
    return xp_of(dw).ascontiguousarray(dw.reshape(o, kernel[0], kernel[1], c).transpose(0, 3, 1, 2))


def _add_bias(y, b):
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


class Conv2d(Function):
    """y = conv(x, w) + b[o].
    backward: dx = conv_transpose(g, w) (each x pixel gets w-weighted g from every window it sits in),
              dw[o,c,i,j] = sum over n, p, q of g[n,o,p,q] * x[n,c,p*s+i-pad,q*s+j-pad] (i.e. g^T @ cols),
              db = sum of g over n, p, q."""
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, out_hw):
        ctx.save_for_backward(x, w)
        ctx.geom = (stride, padding)
        return _add_bias(conv_forward(x, w, stride, padding, out_hw), b)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        stride, padding = ctx.geom
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = ConvTranspose2d.apply(g, w, None, stride, padding, x.shape[2:]) if need_x else None
        dw = ConvWeightGrad.apply(x, g, stride, padding, w.shape[2:]) if need_w else None
        db = g.sum(axis=(0, 2, 3)) if need_b else None
        return dx, dw, db, None, None, None


class ConvTranspose2d(Function):
    """y = conv_input_grad(x, w) + b[c], w of shape (in, out, kh, kw): each input pixel paints a w-weighted patch.
    backward: dx = conv(g, w) (the adjoint of the adjoint), dw = conv_weight_grad(g, x) (g plays the input,
              x the output gradient), db = sum of g over n, h, w."""
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, out_hw):
        ctx.save_for_backward(x, w)
        ctx.geom = (stride, padding)
        return _add_bias(conv_input_grad(x, w, stride, padding, out_hw), b)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        stride, padding = ctx.geom
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = Conv2d.apply(g, w, None, stride, padding, x.shape[2:]) if need_x else None
        dw = ConvWeightGrad.apply(g, x, stride, padding, w.shape[2:]) if need_w else None
        db = g.sum(axis=(0, 2, 3)) if need_b else None
        return dx, dw, db, None, None, None


class ConvWeightGrad(Function):
    """z = conv_weight_grad(x, g), bilinear in x and g; it is differentiated again in a double backward.
    backward (upstream h of w's shape, from <h, z> = <conv(x, h), g>): dx = conv_transpose(g, h), dg = conv(x, h)."""
    @staticmethod
    def forward(ctx, x, g, stride, padding, kernel):
        ctx.save_for_backward(x, g)
        ctx.geom = (stride, padding)
        return conv_weight_grad(x, g, stride, padding, tuple(kernel))

    @staticmethod
    def backward(ctx, h):
        x, g = ctx.saved_tensors
        stride, padding = ctx.geom
        need_x, need_g = ctx.needs_input_grad[:2]
        dx = ConvTranspose2d.apply(g, h, None, stride, padding, x.shape[2:]) if need_x else None
        dg = Conv2d.apply(x, h, None, stride, padding, g.shape[2:]) if need_g else None
        return dx, dg, None, None, None
