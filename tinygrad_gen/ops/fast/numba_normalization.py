"""Numba path of layer norm's standardisation (``kernels/cpu/layer_norm.py``): mean, variance and xhat in one
pass over each sample's row in cache, and the backward dx = r (g - mean g - xhat mean(g xhat)) in one more; rows
over threads. With ``create_graph=True`` the backward is the plain op's Tensor one."""
import math

import numpy as np

from ...dispatch import register_fast_path
from ...grad_mode import is_grad_enabled
from ..normalization import Standardize
from .normalization import FastStandardize


def _trailing(x, axes) -> bool:
    """Whether the kernel computes this: a non-empty float32/float64 NumPy array standardised over trailing axes."""
    return (type(x) is np.ndarray and x.dtype in (np.float32, np.float64) and x.size > 0 and len(axes) > 0
            and tuple(axes) == tuple(range(x.ndim - len(axes), x.ndim)))


@register_fast_path(Standardize, "layer norm over trailing axes of float32/float64 CPU arrays: mean, variance "
                                 "and xhat fused per row, and the backward in one pass (the Tensor-op backward "
                                 "is six passes); the GPT step's 32x64x128 forward+backward 0.28 ms against the "
                                 "NumPy fast path's 0.64 and PyTorch's 1.42 (one thread, AMD EPYC, RESULTS.md, "
                                 "issue 29)", kind="numba")
class NumbaStandardize(FastStandardize):
    """``Standardize`` on ``kernels.cpu.layer_norm``; batch norm's axes, other dtypes and CuPy arrays take the
    NumPy fast path."""
    @staticmethod
    def forward(ctx, x, axes, eps, known=None):
        if known is not None or not _trailing(x, axes):
            return FastStandardize.forward(ctx, x, axes, eps, known)
        from ...kernels import cpu
        from ...kernels.cpu import layer_norm as kernel
        cols = math.prod(x.shape[x.ndim - len(axes):])
        xhat = np.empty(x.shape, x.dtype)
        r = np.empty(x.size // cols, x.dtype)
        cpu.run(kernel.forward, x.size, np.ascontiguousarray(x).reshape(-1, cols), float(eps),
                xhat.reshape(-1, cols), r)
        ctx.save_for_backward(x, xhat)
        ctx.axes, ctx.eps, ctx.r = axes, eps, r.reshape(x.shape[:x.ndim - len(axes)] + (1,) * len(axes))
        return xhat

    @staticmethod
    def backward(ctx, g):
        x, xhat = ctx.saved_tensors
        if is_grad_enabled() or not _trailing(xhat._data, ctx.axes):
            return Standardize.backward(ctx, g)
        from ...kernels import cpu
        from ...kernels.cpu import layer_norm as kernel
        cols = math.prod(xhat.shape[xhat.ndim - len(ctx.axes):])
        dx = np.empty(xhat.shape, xhat.dtype)
        cpu.run(kernel.backward, dx.size, xhat._data.reshape(-1, cols), ctx.r.reshape(-1),
                np.ascontiguousarray(g._data, xhat.dtype).reshape(-1, cols), dx.reshape(-1, cols))
        return dx, None, None, None
