"""Reference scaled dot-product attention, composed of differentiable ops (matmul, masked softmax, matmul):

    S = (q * scale) k^T,   P = masked_softmax(S, keep),   out = P v      (scaling q costs L*d, not L*L)
backward (by the chain rule through those ops): dv = P^T g, dP = g v^T, dS = P * (dP - sum(dP * P, -1)),
    dq = dS k * scale, dk = dS^T q * scale. A query row that may attend to nothing gets P = 0, so out = 0 and
    finite gradients.
"""
from .softmax import MaskedSoftmax


def causal_keep(xp, lq, lk):
    """keep[i, j] = j <= i: query i sees keys up to its own position (aligned top-left, as PyTorch)."""
    return xp.tril(xp.ones((lq, lk), dtype=bool))


def reference_attention(q, k, v, keep, bias, scale):
    """``keep``: a boolean array broadcastable to (..., Lq, Lk) or None; ``bias``: an additive float Tensor or None."""
    scores = (q * scale) @ k.swapaxes(-1, -2)
    if bias is not None:
        scores = scores + bias
    if keep is None:
        return scores.softmax(axis=-1) @ v
    return MaskedSoftmax.apply(scores, keep, -1) @ v
