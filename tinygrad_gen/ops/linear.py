"""The affine layer, fused: one matmul and a bias add in the forward, three products in the backward."""
from .. import dispatch
from ..autograd import Function


class Linear(Function):
    """y = x @ w^T + b, x of shape (..., in), w (out, in), b (out,) — PyTorch's layout.
    backward (with the leading axes of x and g flattened into rows): dx = g @ w, dw = g^T @ x, db = sum of g's rows."""
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        y = dispatch.matmul(x.reshape(-1, x.shape[-1]), w.T)
        if b is not None:
            y += b
        return y.reshape(x.shape[:-1] + (w.shape[0],))

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        g2 = g.reshape(-1, w.shape[0])
        dx = (g2 @ w).reshape(x.shape) if need_x else None
        dw = g2.T @ x.reshape(-1, w.shape[1]) if need_w else None
        db = g2.sum(axis=0) if need_b else None
        return dx, dw, db
