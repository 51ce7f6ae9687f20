"""Numba path of the masked softmax (``kernels/cpu/softmax.py``): forward and backward each one fused pass over a
row in cache, rows spread over threads. The forward keeps the plain op's row max (exact for any finite scores) and
the backward is the plain one's formula, dx = y (g - sum g y), on arrays; with ``create_graph=True`` the backward
is the plain op's Tensor one, so it can be differentiated again."""
import numpy as np

from ...dispatch import register_fast_path
from ...grad_mode import is_grad_enabled
from ..softmax import MaskedSoftmax, Softmax
from .softmax import FastMaskedSoftmax


def _on_kernel(x, axis) -> bool:
    """Whether the kernel computes this softmax: a non-empty float32/float64 NumPy array, along the last axis."""
    return type(x) is np.ndarray and x.dtype in (np.float32, np.float64) and x.size > 0 and axis == x.ndim - 1


@register_fast_path(MaskedSoftmax, "along the last axis of float32/float64 CPU scores: max, exp, sum and scale "
                                   "fused per row (and dx = y (g - sum g y) fused), rows over threads; the GPT "
                                   "step's causal scores (32x4x64x64) forward+backward 0.72 ms against the NumPy "
                                   "fast path's 1.13 and PyTorch's 3.98 (one thread, AMD EPYC, RESULTS.md, "
                                   "issue 29)",
                    kind="numba")
class NumbaMaskedSoftmax(FastMaskedSoftmax):
    """``MaskedSoftmax`` on ``kernels.cpu.softmax``; other dtypes, axes, CuPy arrays and rows that keep a NaN or
    +inf take the NumPy fast path (which hands those to the plain op)."""
    @staticmethod
    def forward(ctx, x, mask, axis):
        if not _on_kernel(x, axis):
            return FastMaskedSoftmax.forward(ctx, x, mask, axis)
        from ...kernels import cpu
        from ...kernels.cpu import softmax as kernel
        cols = x.shape[-1]
        rows, index = kernel.mask_rows(np.asarray(mask), x.shape)
        y = np.empty(x.shape, x.dtype)
        bad = cpu.run(kernel.masked_softmax_forward, x.size, np.ascontiguousarray(x).reshape(-1, cols), rows, index,
                      y.reshape(-1, cols))
        if bad:
            return MaskedSoftmax.forward(ctx, x, mask, axis)
        ctx.axis = axis
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        if is_grad_enabled() or not _on_kernel(y._data, ctx.axis):  # a double backward needs the Tensor ops
            return Softmax.backward(ctx, g), None
        from ...kernels import cpu
        from ...kernels.cpu import softmax as kernel
        cols = y.shape[-1]
        dx = np.empty(y.shape, y.dtype)
        cpu.run(kernel.softmax_backward, y._data.size, y._data.reshape(-1, cols),
                np.ascontiguousarray(g._data, y.dtype).reshape(-1, cols), dx.reshape(-1, cols))
        return dx, None
