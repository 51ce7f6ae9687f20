"""Fused losses on logits, stable at logits of +-1e4: softmax cross-entropy and binary cross-entropy with logits.
Both return the per-element loss; the caller reduces it ("mean", "sum" or "none")."""
import numpy as np

from ..autograd import Function, is_grad_enabled
from ..backend import xp_of


class CrossEntropy(Function):
    """loss[n, ...] = logsumexp(x[n, :, ...]) - x[n, t, ...] over the class axis 1, 0 where t == ignore_index.
    The max-shift inside logsumexp keeps exp from overflowing at x = 1e4.
    backward: dx = g * (softmax(x) - onehot(t)) on kept positions, 0 on ignored ones
              (d logsumexp / dx_c = softmax_c, d x_t / dx_c = [c = t])."""
    @staticmethod
    def forward(ctx, x, target, ignore_index):
        xp = xp_of(x)
        keep = target != ignore_index
        t = xp.where(keep, target, 0)[:, None]                       # a safe class index at ignored positions
        m = x.max(axis=1, keepdims=True)
        e = np.exp(x - m)
        s = e.sum(axis=1, keepdims=True)
        picked = xp.take_along_axis(x, t, axis=1)
        loss = (np.log(s) + m - picked)[:, 0] * keep
        ctx.save_for_backward(x, e / s)
        ctx.meta = (t, keep)
        return loss.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        from ..tensor import Tensor
        x, p = ctx.saved_tensors
        t, keep = ctx.meta
        if is_grad_enabled():
            p = x.softmax(axis=1)                                     # a function of x for a double backward
        xp = xp_of(x.data)
        onehot = xp.zeros(x.shape, dtype=x.dtype)
        xp.put_along_axis(onehot, t, 1, axis=1)
        w = g * Tensor(keep.astype(x.dtype))
        return (p - Tensor(onehot)) * w.unsqueeze(1), None, None


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
