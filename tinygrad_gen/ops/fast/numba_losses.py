"""Numba path of the softmax cross-entropy (``kernels/cpu/cross_entropy.py``): per row of logits the max, the
sum of exp, logsumexp and the softmax in one fused pass (kept for the backward), and dx = w (p - onehot(t)) in
one more; rows over threads. The loss from logsumexp on is the plain op's ``reduced``; with ``create_graph=True``
the backward is the NumPy fast path's (a function of x, so it can be differentiated again)."""
import numpy as np

from ...dispatch import register_fast_path
from ...grad_mode import is_grad_enabled
from ..losses import CrossEntropy
from .losses import FastCrossEntropy


@register_fast_path(CrossEntropy, "float32/float64 CPU logits (R, C): logsumexp and the softmax fused per row, "
                                  "the backward one pass; at the GPT step's 2048x103 no clear gain over the NumPy "
                                  "fast path (0.85x to 2.4x its time in two loaded runs, RESULTS.md, issue 29), so "
                                  "not in the default auto mode", kind="numba",
                    preferred=False)
class NumbaCrossEntropy(FastCrossEntropy):
    """``CrossEntropy`` on ``kernels.cpu.cross_entropy``; logits holding a NaN or an inf take the plain op, CuPy
    arrays and other dtypes the NumPy fast path."""
    @staticmethod
    def forward(ctx, x, target, ignore_index, reduction):
        if type(x) is not np.ndarray or x.dtype not in (np.float32, np.float64) or x.ndim != 2 or 0 in x.shape:
            return FastCrossEntropy.forward(ctx, x, target, ignore_index, reduction)
        from ...kernels import cpu
        from ...kernels.cpu import cross_entropy as kernel
        lse = np.empty(x.shape[0], x.dtype)
        p = np.empty(x.shape, x.dtype)
        if cpu.run(kernel.forward, x.size, np.ascontiguousarray(x), lse, p):
            return CrossEntropy.forward(ctx, x, target, ignore_index, reduction)
        out = CrossEntropy.reduced(ctx, x, lse, target, ignore_index, reduction)
        ctx.p = p
        return out

    @staticmethod
    def backward(ctx, g):
        p = getattr(ctx, "p", None)
        if is_grad_enabled() or p is None:
            return FastCrossEntropy.backward(ctx, g) if p is not None else CrossEntropy.backward(ctx, g)
        from ...kernels import cpu
        from ...kernels.cpu import cross_entropy as kernel
        w = np.ascontiguousarray(np.broadcast_to(ctx.weight * g._data, (p.shape[0],)), p.dtype)
        dx = np.empty(p.shape, p.dtype)
        cpu.run(kernel.backward, p.size, p, np.ascontiguousarray(ctx.t, np.int64), w, dx)
        return dx, None, None, None
