"""Max and average pooling over NCHW windows (floor mode, no padding), on the strided views of ``windows``.

Pooling is linear in the pixels it picks (max: one per window, fixed by the forward; average: all, weighted 1/K), so
each backward is a scatter whose own backward is the matching gather: double backward comes for free.
"""
from ..autograd import Function
from ..backend import xp_of
from .windows import col2im, windows


def _flat_windows(x, kernel, stride, out_hw):
    """(N, C, Ho, Wo, kh*kw): each output position's window as one row (a copy)."""
    n, c = x.shape[:2]
    win = windows(x, kernel, stride, out_hw).transpose(0, 1, 4, 5, 2, 3)
    return win.reshape(n, c, out_hw[0], out_hw[1], kernel[0] * kernel[1])


class MaxPool2d(Function):
    """y[n,c,p,q] = max over the window at (p, q); ``idx`` (the arg-max inside each window, the first of ties as in
    PyTorch) is found here unless given.
    backward: the window's arg-max pixel gets g[n,c,p,q], the others 0 (added up where windows overlap)."""
    @staticmethod
    def forward(ctx, x, geom, idx=None):
        kernel, stride, out_hw = geom
        rows = _flat_windows(x, kernel, stride, out_hw)
        if idx is None:
            idx = rows.argmax(axis=-1)[..., None]
        ctx.meta = (geom, idx, x.shape)
        return xp_of(x).take_along_axis(rows, idx, axis=-1)[..., 0]

    @staticmethod
    def backward(ctx, g):
        geom, idx, shape = ctx.meta
        return MaxPoolScatter.apply(g, geom, idx, shape), None, None


class MaxPoolScatter(Function):
    """z = g placed at each window's arg-max pixel (zeros elsewhere, overlaps added): max pooling's backward.
    backward: dg = the upstream gradient read at the same arg-max pixels, i.e. ``MaxPool2d`` with ``idx`` fixed."""
    @staticmethod
    def forward(ctx, g, geom, idx, shape):
        kernel, stride, out_hw = geom
        hit = xp_of(g).arange(kernel[0] * kernel[1]) == idx         # one-hot of each window's arg-max
        rows = hit * g[..., None]
        cols = rows.reshape(g.shape + tuple(kernel)).transpose(0, 1, 4, 5, 2, 3)
        ctx.meta = (geom, idx)
        return col2im(cols, shape, stride)

    @staticmethod
    def backward(ctx, h):
        geom, idx = ctx.meta
        return MaxPool2d.apply(h, geom, idx), None, None, None


class AvgPool2d(Function):
    """y[n,c,p,q] = mean of the K = kh*kw pixels in the window at (p, q).
    backward: every pixel of the window gets g[n,c,p,q] / K (added up where windows overlap)."""
    @staticmethod
    def forward(ctx, x, geom):
        kernel, stride, out_hw = geom
        ctx.meta = (geom, x.shape)
        return windows(x, kernel, stride, out_hw).mean(axis=(2, 3))

    @staticmethod
    def backward(ctx, g):
        geom, shape = ctx.meta
        return AvgPoolScatter.apply(g, geom, shape), None


class AvgPoolScatter(Function):
    """z = g / K spread over each window (avg pooling's backward, a linear map).
    backward: its adjoint, average pooling of the upstream gradient."""
    @staticmethod
    def forward(ctx, g, geom, shape):
        kernel, stride, out_hw = geom
        ctx.geom = geom
        k = kernel[0] * kernel[1]
        cols = xp_of(g).broadcast_to((g / k)[:, :, None, None], g.shape[:2] + tuple(kernel) + tuple(out_hw))
        return col2im(cols, shape, stride)

    @staticmethod
    def backward(ctx, h):
        return AvgPool2d.apply(h, ctx.geom), None, None
