"""Fused losses on logits, stable at logits of +-1e4: softmax cross-entropy and binary cross-entropy with logits."""
import numpy as np

from ..autograd import Function
from ..backend import xp_of
from ..tensor import Tensor
from .fast_math import row_sums, softmax_shift
from .softmax import Softmax


class CrossEntropy(Function):
    """loss[r] = logsumexp(x[r, :]) - x[r, t[r]] for logits x (R, C), 0 where t == ignore_index, then reduced:
    "none" keeps the rows, "sum" adds them, "mean" divides the sum by the number of kept rows n.
    logsumexp is computed as c + log sum exp(x - c) with the shift c of ``softmax_shift``: stable at x = +-1e4.
    backward: dx[r, :] = g_r * (softmax(x[r]) - onehot(t[r])) with g_r = g[r] ("none"), g ("sum") or g / n ("mean")
              on kept rows and 0 on ignored ones (d logsumexp / dx_c = softmax_c, d x_t / dx_c = [c = t])."""
    @staticmethod
    def forward(ctx, x, target, ignore_index, reduction):
        xp = xp_of(x)
        keep = target != ignore_index
        t = xp.where(keep, target, 0)                                  # a safe class index at ignored rows
        c = softmax_shift(x)
        e = x - c
        np.exp(e, out=e)
        s = row_sums(e)
        picked = xp.take_along_axis(x, t[:, None], axis=1)[:, 0]
        loss = ((np.log(s) + (c[:, 0] if c.ndim else c) - picked) * keep).astype(x.dtype, copy=False)
        weight = keep.astype(x.dtype)                                  # d loss_out / d loss[r]
        if reduction == "mean":
            weight /= keep.sum()                                       # n stays on the device: no host sync
        np.divide(e, s[:, None], out=e)                                # e is now softmax(x), kept for backward
        ctx.save_for_backward(x)
        ctx.meta = (t, weight, e)
        return loss if reduction == "none" else loss @ weight if reduction == "mean" else loss.sum()

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        t, weight, p = ctx.meta
        xp = xp_of(p)
        onehot = xp.zeros(p.shape, dtype=p.dtype)
        onehot[xp.arange(len(t)), t] = 1
        p = Softmax.apply(x, 1, cached=p)  # softmax(x) from the forward's array, as a function of x for a double backward
        return (p - Tensor(onehot)) * (g * Tensor(weight)).unsqueeze(1), None, None, None


class BCEWithLogits(Function):
    """loss = -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))) = max(x, 0) - x t + log1p(exp(-|x|)),
    the last form never exponentiates a large positive number, so x = +-1e4 stays finite.
    backward: dx = g * (sigmoid(x) - t), dt = -g * x."""
    @staticmethod
    def forward(ctx, x, t):
        ctx.save_for_backward(x, t)
        return np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad
        return (g * (x.sigmoid() - t) if need_x else None), (-(g * x) if need_t else None)


class BinaryCrossEntropy(Function):
    """loss = -(t log p + (1 - t) log(1 - p)) with each log clamped at -100 (PyTorch: p = 0 or 1 stays finite).
    forward: that, elementwise.
    backward: dp = g (p - t) / max(p (1 - p), 1e-12) (PyTorch's clamp), dt = g (log(1 - p) - log(p)) (unclamped,
    as PyTorch: infinite at p = 0 or 1)."""
    @staticmethod
    def forward(ctx, p, t):
        ctx.save_for_backward(p, t)
        with np.errstate(divide="ignore"):
            lp, l1p = np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)
        return -(t * lp + (1 - t) * l1p)

    @staticmethod
    def backward(ctx, g):
        p, t = ctx.saved_tensors
        need_p, need_t = ctx.needs_input_grad
        dp = g * (p - t) / (p * (1 - p)).clip(1e-12) if need_p else None
        dt = None
        if need_t:
            with np.errstate(divide="ignore"):
                dt = g * ((1 - p).log() - p.log())
        return dp, dt
