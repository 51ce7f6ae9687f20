"""2-D convolution and transposed convolution (NCHW) by im2col: one big matmul each way.

Three array maps do all the work, and each op's backward is made of the other two:

    conv(x, w)          y[n,o,p,q]  = sum_{c,i,j} w[o,c,i,j] x[n,c,p*s+i-pad,q*s+j-pad]       (im2col, then W @ cols)
    conv_input_grad(g, w)  = the adjoint of x -> conv(x, w): W^T @ g, then col2im           (= transposed conv)
    conv_weight_grad(x, g) = the adjoint of w -> conv(x, w): g @ cols^T

so conv_transpose2d's forward is conv2d's input gradient and its input gradient is conv2d's forward. Every backward
is written with these differentiable ops, hence second derivatives (e.g. a GAN's R1 gradient penalty) just work.
"""
from .. import dispatch
from ..autograd import Function
from ..backend import xp_of
from .windows import col2im, pad, windows


def _cols(x, kernel, stride, padding, out_hw):
    """im2col as a (C*kh*kw, N*Ho*Wo) matrix: the one copy that turns convolution into a matmul."""
    n, c = x.shape[:2]
    win = windows(pad(x, *padding), kernel, stride, out_hw)              # (N, C, kh, kw, Ho, Wo) view
    return win.transpose(1, 2, 3, 0, 4, 5).reshape(c * kernel[0] * kernel[1], n * out_hw[0] * out_hw[1])


def conv_forward(x, w, stride, padding, out_hw):
    """y = conv(x, w) on arrays: (N, C, H, W) * (O, C, kh, kw) -> (N, O, Ho, Wo)."""
    n, o = x.shape[0], w.shape[0]
    y = dispatch.matmul(w.reshape(o, -1), _cols(x, w.shape[2:], stride, padding, out_hw))   # (O, N*Ho*Wo)
    return xp_of(y).ascontiguousarray(y.reshape(o, n, *out_hw).transpose(1, 0, 2, 3))


def conv_input_grad(g, w, stride, padding, in_hw):
    """dx = W^T @ g scattered back by col2im: (N, O, Ho, Wo), (O, C, kh, kw) -> (N, C, H, W)."""
    n, o, ho, wo = g.shape
    c, kh, kw = w.shape[1:]
    (ph, pw), (h, wd) = padding, in_hw
    g2 = g.transpose(1, 0, 2, 3).reshape(o, n * ho * wo)
    cols = dispatch.matmul(w.reshape(o, -1).T, g2).reshape(c, kh, kw, n, ho, wo).transpose(3, 0, 1, 2, 4, 5)
    out = col2im(cols, (n, c, h + 2 * ph, wd + 2 * pw), stride)
    if ph or pw:
        out = xp_of(out).ascontiguousarray(out[:, :, ph:ph + h, pw:pw + wd])
    return out


def conv_weight_grad(x, g, stride, padding, kernel):
    """dw = g @ cols^T: (N, C, H, W), (N, O, Ho, Wo) -> (O, C, kh, kw)."""
    n, o, ho, wo = g.shape
    g2 = g.transpose(1, 0, 2, 3).reshape(o, n * ho * wo)
    dw = dispatch.matmul(g2, _cols(x, kernel, stride, padding, (ho, wo)).T)
    return dw.reshape(o, x.shape[1], *kernel)


def _add_bias(y, b):
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


class Conv2d(Function):
    """y = conv(x, w) + b[o].
    backward: dx = conv_transpose(g, w) (each x pixel gets w-weighted g from every window it sits in),
              dw = sum over n, p, q of g[n,o,p,q] * x-window[n,c,i,j,p,q] (i.e. g @ cols^T), db = sum of g over n, p, q."""
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
