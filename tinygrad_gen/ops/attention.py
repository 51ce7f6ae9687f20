"""Scaled dot-product attention: out = softmax(q k^T * scale + mask) v over inputs (..., L, d).

Two implementations compute it, and ``dispatch.attention_backend`` chooses between them (``TGG_ATTENTION``):
``reference_attention``, a composition of differentiable ops (so it runs everywhere and differentiates twice), and
``FlashAttention``, one op on our Numba CUDA flash-attention kernels (``kernels/attention_numba.py``: float32, head
dim <= 128, a mask with one value per key), which never stores the L x L score matrix.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import ArgumentError
from .. import dispatch
from ..autograd import Function
from ..backend import device_of, to_device, xp_of
from ..binding import bind
from ..tensor import Tensor
from . import dropout as dropout_ops, softmax as softmax_ops
from .case import OpCase, pattern
from .checks import array_of, as_tensor, broadcast_shape, constant


def causal_keep(xp, lq: int, lk: int):
    """keep[i, j] = j <= i: query i sees keys up to its own position (aligned top-left, as PyTorch's is_causal)."""
    return xp.tril(xp.ones((lq, lk), dtype=bool))


def reference_attention(q: Tensor, k: Tensor, v: Tensor, keep, bias: Tensor | None, scale: float,
                        dropout_p: float = 0.0) -> Tensor:
    """Attention composed of differentiable ops:

        S = (q * scale) k^T (+ bias),   P = softmax(S) over the kept keys (masked_softmax),   out = dropout(P) v

    (scaling q costs L d, scaling S would cost L^2). Its backward is the chain rule through those ops:
    dv = P^T g, dP = g v^T, dS = P * (dP - sum(dP * P, -1)), dq = dS k * scale, dk = dS^T q * scale.
    ``keep``: a boolean array broadcastable to (..., Lq, Lk) (True = may attend), or None; ``bias``: a float
    Tensor added to the scores, or None; ``dropout_p``: the dropout probability of P's entries (none when 0). A
    query row that may attend to nothing gets P = 0: out = 0, finite gradients."""
    scores = (q * scale) @ k.swapaxes(-1, -2)
    if bias is not None:
        scores = scores + bias
    p = scores.softmax(axis=-1) if keep is None else softmax_ops.masked_softmax(scores, keep, axis=-1)
    if dropout_p:
        p = dropout_ops.dropout(p, dropout_p, True)
    return p @ v


def key_padding_mask(mask: Tensor | np.ndarray | None, batch: tuple, lq: int, lk: int):
    """The (1 or prod(batch), Lk) per-key mask the kernels take, from a boolean ``mask`` (array or Tensor)
    broadcastable to batch + (Lq, Lk) with size 1 on the query axis; None for no mask. A mask that varies with the
    query position is an error naming the shapes."""
    if mask is None:
        return None
    m = array_of(mask)
    full = tuple(batch) + (lq, lk)
    if broadcast_shape(m.shape, full) != full or (m.ndim >= 2 and m.shape[-2] != 1):
        raise ArgumentError(f"flash_attention: mask of shape {tuple(m.shape)} must broadcast to {full} with size 1 on "
                            f"the query axis (a per-key padding mask, e.g. (B, 1, 1, Lk))")
    m = m.reshape(m.shape[:-2] + m.shape[-1:]) if m.ndim >= 2 else m  # drop the query axis
    if all(s == 1 for s in m.shape[:-1]):
        return xp_of(m).broadcast_to(m.reshape(1, -1), (1, lk))
    return xp_of(m).broadcast_to(m, tuple(batch) + (lk,)).reshape(-1, lk)


def _heads(a, batch):
    """(..., L, d) broadcast to batch + (L, d) and flattened to (prod(batch), L, d): the kernels' layout."""
    return xp_of(a).broadcast_to(a, batch + a.shape[-2:]).reshape(-1, *a.shape[-2:])


class FlashAttention(Function):
    """out = softmax(q k^T * scale + mask) v in one op on the Numba flash-attention kernels (float32 CUDA arrays,
    head dim d <= 128), the mask one boolean per key (-inf added to the scores of masked keys), ``causal`` masking
    key j > query i.

    forward, for each query row i, over tiles of keys j without storing the L x L scores s_ij = q_i . k_j * scale:
        an online softmax keeps a running max m_i, a running sum l_i = sum_j exp(s_ij - m_i) and an unnormalised
        output o_i = sum_j exp(s_ij - m_i) v_j. A new tile with max m' > m_i rescales l_i and o_i by exp(m_i - m')
        before adding its own terms; at the end out_i = o_i / l_i, and lse_i = m_i + log l_i is kept for backward
        (a row with every key masked gives out_i = 0, lse_i = -inf).
    backward, with P recomputed tile by tile as p_ij = exp(s_ij - lse_i) and dO = g:
        dV = P^T dO,   dP = dO V^T,   dS = P * (dP - rowsum(dO * O))   (the softmax backward: sum_j p_ij dp_ij =
        dO_i . O_i),   dQ = dS K * scale,   dK = dS^T Q * scale.
    The backward runs on raw arrays inside the kernels, so the op is once-differentiable (differentiating its
    gradient again raises). q, k, v and the output are saved; lse and the key mask stay on ctx."""
    once_differentiable = True

    @staticmethod
    def forward(ctx, q, k, v, key_mask, causal, scale):
        from ..kernels import attention_numba
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        lq, lk, d = q.shape[-2], k.shape[-2], q.shape[-1]
        if k.shape[-1] != d or v.shape[-1] != d or v.shape[-2] != lk:
            raise ArgumentError(f"flash_attention: q {q.shape}, k {k.shape}, v {v.shape} need equal head dims and Lk")
        if key_mask is not None and device_of(key_mask) != device_of(q):
            key_mask = to_device(key_mask, device_of(q))  # a boolean per key: small, and moved once per call
        out, lse = attention_numba.forward(_heads(q, batch), _heads(k, batch), _heads(v, batch), key_mask, causal,
                                           scale)
        out = out.reshape(batch + (lq, d))
        ctx.save_for_backward(q, k, v, out)
        ctx.lse, ctx.key_mask, ctx.batch, ctx.causal, ctx.scale = lse, key_mask, batch, causal, scale
        return out

    @staticmethod
    def backward(ctx, g):
        from ..kernels import attention_numba
        q, k, v, out = ctx.saved_tensors
        batch = ctx.batch
        out3 = _heads(out._data, batch)
        dq, dk, dv = attention_numba.backward(_heads(q._data, batch), _heads(k._data, batch), _heads(v._data, batch),
                                              out3, ctx.lse, g._data.reshape(out3.shape), ctx.key_mask, ctx.causal,
                                              ctx.scale)
        # gradients at the broadcast batch shape; the engine sums them back to each input's shape
        return (dq.reshape(batch + dq.shape[-2:]), dk.reshape(batch + dk.shape[-2:]),
                dv.reshape(batch + dv.shape[-2:]), None, None, None)


def flash_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | np.ndarray | None = None, causal: bool = False,
                    scale: float | None = None) -> Tensor:
    """softmax(q k^T * scale) v on the flash-attention kernels (``FlashAttention``).

    Args:
        q, k, v: float32 CUDA Tensors (..., Lq, d), (..., Lk, d), (..., Lk, d) with batch axes that broadcast; or
            float32/float64 CPU Tensors, when ``TGG_KERNELS`` chooses the Numba CPU kernels
            (``kernels/cpu/attention.py``) for ``FlashAttention``.
        mask: boolean, True = may attend, one value per key: broadcastable to (..., Lq, Lk) with size 1 on the
            query axis (a (B, Lk) padding mask goes in as ``mask[:, None, None, :]``); or None.
        causal: query i sees keys j <= i only.
        scale: defaults to 1 / sqrt(d).
    PyTorch: ``torch.nn.functional.scaled_dot_product_attention`` on its flash backend."""
    lq, lk = q.shape[-2], k.shape[-2]
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    key_mask = key_padding_mask(mask, batch, lq, lk)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    return dispatch.pick(FlashAttention).apply(q, k, v, key_mask, bool(causal), scale)


def _repeat_heads(x: Tensor, groups: int) -> Tensor:
    """x (..., H, L, d) with each head repeated ``groups`` times in place: (..., H * groups, L, d), as PyTorch's
    ``x.repeat_interleave(groups, dim=-3)`` (an index along the head axis, so the gradient sums the copies)."""
    if groups == 1:
        return x
    idx = constant(np.repeat(np.arange(x.shape[-3]), groups), x)
    return x[(Ellipsis, idx, slice(None), slice(None))]


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | np.ndarray | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query key^T * scale + mask) value over (..., L, d) inputs, with PyTorch's arguments and meanings.

    Args:
        query, key, value: (..., Lq, d), (..., Lk, d), (..., Lk, dv).
        attn_mask: broadcastable to (..., Lq, Lk): boolean, True where attention IS allowed; or float values ADDED
            to the scores (-inf forbids); or None. A query row that may attend to nothing gives zeros, as
            PyTorch 2.13 does (for a boolean mask and for a row of -inf alike).
        dropout_p: the probability of zeroing each attention weight (the rest scaled by 1 / (1 - p)), drawn from
            the engine's generator (``tg.manual_seed``) whenever dropout_p > 0, as PyTorch does (it has no
            training flag: pass ``dropout_p if self.training else 0.0``).
        is_causal: query i attends to keys j <= i only (the top-left aligned causal mask when Lq != Lk). Giving
            it with ``attn_mask`` is an error, as PyTorch documents (some of its kernels accept the pair and others
            refuse it; ``F.attention`` intersects the two).
        scale: defaults to 1 / sqrt(d).
        enable_gqa: grouped-query attention: key and value have Hkv heads (axis -3) dividing query's Hq, and each
            is repeated Hq / Hkv times (``repeat_interleave``), as in PyTorch.
    The kernel is chosen by ``dispatch.attention_backend`` (``TGG_ATTENTION``). PyTorch:
    ``torch.nn.functional.scaled_dot_product_attention``."""
    query, key, value = as_tensor(query), as_tensor(key), as_tensor(value)
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: give attn_mask or is_causal=True, not both (as PyTorch "
                           "documents); F.attention(q, k, v, mask, causal=True) intersects them")
    if not 0.0 <= float(dropout_p) <= 1.0:
        raise ArgumentError(f"scaled_dot_product_attention: dropout_p must be in [0, 1], got {dropout_p}")
    if enable_gqa:
        if min(query.ndim, key.ndim, value.ndim) < 3:
            raise ArgumentError(f"scaled_dot_product_attention: enable_gqa needs a head axis (-3): query "
                                f"{query.shape}, key {key.shape}, value {value.shape}")
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:
            raise ArgumentError(f"scaled_dot_product_attention: with enable_gqa the key and value heads ({hk}, {hv}) "
                                f"must divide the query heads ({hq}): query {query.shape}, key {key.shape}, value "
                                f"{value.shape}")
        key, value = _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hv)
    return attention(query, key, value, attn_mask, is_causal, scale, dropout_p=float(dropout_p))


def attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | np.ndarray | None = None, causal: bool = False,
              scale: float | None = None, dropout_p: float = 0.0) -> Tensor:
    """Attention taking ``mask`` and ``causal`` together (attending where both allow): what
    ``nn.MultiHeadAttention`` and ``scaled_dot_product_attention`` call, so a padding mask keeps the fused kernels
    in a causal decoder.

    Args:
        q, k, v: (..., Lq, d), (..., Lk, d), (..., Lk, dv).
        mask: as ``scaled_dot_product_attention``'s ``attn_mask``: boolean with True = may attend (the same meaning
            as PyTorch's SDPA, the opposite of ``nn.MultiheadAttention``'s), or float values added to the scores;
            a query that may attend to nothing gives zeros, on every kernel.
        causal: query i sees keys j <= i only (top-left aligned).
        scale: defaults to 1 / sqrt(d).
        dropout_p: dropout on the attention weights (always applied when > 0; the reference kernel then runs).
    PyTorch has no such function: ``scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)``."""
    q, k, v = as_tensor(q), as_tensor(k), as_tensor(v)
    if q.ndim < 2 or k.ndim != q.ndim or v.ndim != q.ndim or q.shape[-1] != k.shape[-1] \
            or k.shape[-2] != v.shape[-2] or broadcast_shape(q.shape[:-2], k.shape[:-2], v.shape[:-2]) is None:
        raise ArgumentError(f"scaled_dot_product_attention: q {q.shape}, k {k.shape}, v {v.shape} do not fit "
                            "(expected q (..., Lq, d), k (..., Lk, d), v (..., Lk, dv) with batch axes that broadcast)")
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    if not dropout_p and v.shape[-1] == q.shape[-1] and (dispatch.attention_backend(q._data, mask=mask) == "numba"
                                                         or dispatch.cpu_flash_attention(q._data, mask)):
        return flash_attention(q, k, v, mask, causal, scale)
    keep, bias = None, None
    if mask is not None:
        m = constant(mask, q)
        scores = q.shape[:-1] + (k.shape[-2],)
        if broadcast_shape(m.shape, scores) != scores:
            raise ArgumentError(f"scaled_dot_product_attention: mask of shape {m.shape} does not broadcast to the "
                                f"scores' shape {scores}")
        if m.dtype == bool:
            keep = m
        else:
            bias = as_tensor(mask, like=q)
            if bool((m == -np.inf).any()):  # -inf forbids: a row of -inf then gives zeros, not NaN
                keep = m != -np.inf
    if causal:
        tri = causal_keep(xp_of(q._data), q.shape[-2], k.shape[-2])
        keep = tri if keep is None else keep & tri
    return reference_attention(q, k, v, keep, bias, scale, dropout_p)


BINDINGS = [
    bind(scaled_dot_product_attention, F=True),
    bind(attention, F=True),
]


def _sdpa(torch, q, k, v, **kw):
    """PyTorch's scaled_dot_product_attention on its math backend: the same composition of matmuls and a softmax
    as ``reference_attention`` (its fused CPU kernel, which it picks for some masks, also saves the output)."""
    with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, **kw)


_KEEP = pattern((3, 4), 2) | np.eye(3, 4, dtype=bool)  # every query keeps at least one key
_BIAS = np.linspace(-1.0, 1.0, 12).reshape(3, 4)

CASES = [
    OpCase("F.scaled_dot_product_attention", lambda q, k, v: scaled_dot_product_attention(q, k, v, is_causal=True),
           ((2, 3, 4), (2, 3, 4), (2, 3, 4)), draw="fixed",
           torch=lambda torch, q, k, v: _sdpa(torch, q, k, v, is_causal=True), exact_twin=False),
    OpCase("F.scaled_dot_product_attention[bool_mask,scale]",
           lambda q, k, v: scaled_dot_product_attention(q, k, v, attn_mask=_KEEP, scale=0.3),
           ((2, 3, 5), (2, 4, 5), (2, 4, 2)), draw="fixed",
           torch=lambda torch, q, k, v: _sdpa(torch, q, k, v, attn_mask=torch.from_numpy(_KEEP), scale=0.3),
           exact_twin=False),
    OpCase("F.scaled_dot_product_attention[float_mask]",
           lambda q, k, v: scaled_dot_product_attention(q, k, v, attn_mask=_BIAS),
           ((1, 2, 3, 4), (1, 2, 4, 4), (1, 2, 4, 4)), draw="fixed",
           torch=lambda torch, q, k, v: _sdpa(torch, q, k, v, attn_mask=torch.tensor(_BIAS, dtype=q.dtype)),
           exact_twin=False),
    OpCase("F.scaled_dot_product_attention[causal,Lq>Lk]",
           lambda q, k, v: scaled_dot_product_attention(q, k, v, is_causal=True),
           ((2, 5, 3), (2, 3, 3), (2, 3, 2)), draw="fixed",
           torch=lambda torch, q, k, v: _sdpa(torch, q, k, v, is_causal=True), exact_twin=False),
    OpCase("F.scaled_dot_product_attention[enable_gqa]",
           lambda q, k, v: scaled_dot_product_attention(q, k, v, enable_gqa=True),
           ((1, 4, 3, 2), (1, 2, 3, 2), (1, 1, 3, 2)), draw="fixed",
           torch=lambda torch, q, k, v: _sdpa(torch, q, k, v, enable_gqa=True), exact_twin=False),
    OpCase("F.attention[mask,causal]", lambda q, k, v: attention(q, k, v, mask=_KEEP[:, :3], causal=True),
           ((2, 3, 4), (2, 3, 4), (2, 3, 4)), draw="fixed",
           torch=lambda torch, q, k, v: _sdpa(torch, q, k, v,
                                              attn_mask=torch.from_numpy(_KEEP[:, :3] & np.tri(3, dtype=bool))),
           exact_twin=False),
]
