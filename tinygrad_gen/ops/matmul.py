"""Matrix product of any rank, dispatched to the kernel chosen for the device (see ``dispatch``)."""
from ..autograd import Function
from .. import dispatch


class Matmul(Function):
    """z = a @ b over the last two axes, batch axes broadcast (both inputs have ndim >= 2 here; ``Tensor.__matmul__``
    lifts 1-D operands as NumPy does).
    backward: da = g @ b^T, db = a^T @ g (the engine sums over broadcast batch axes)."""
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return dispatch.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        return (g @ b.swapaxes(-1, -2) if da else None), (a.swapaxes(-1, -2) @ g if db else None)
