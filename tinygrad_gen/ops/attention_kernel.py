"""Scaled dot-product attention on our own flash-attention kernels (``kernels/attention_numba.py``), as one op.

forward:  out = softmax(q k^T * scale + mask) v, computed tile by tile with an online softmax; never an L x L array.
backward: dv = P^T g,  dP = g v^T,  dS = P * (dP - rowsum(g * out)),  dq = scale dS k,  dk = scale dS^T q,
          with P recomputed inside the kernels from the saved row log-sum-exp (see the kernel module).
The backward runs on raw arrays, so the op is once-differentiable: a second derivative through it raises.

Masks: the kernels take a *padding* mask, one boolean per key (True = may be attended to). Here ``mask`` is any
boolean array or Tensor broadcastable to (..., Lq, Lk) whose query axis has size 1, e.g. a (B, Lk) padding mask is
passed as ``mask[:, None, None, :]`` for (B, H, L, d) inputs. A mask that varies with the query position (other than
``causal=True``) is refused; ``dispatch.attention_backend`` sends such calls to the reference path instead.
"""
import math

import numpy as np

from ..autograd import Function
from .. import backend
from ..backend import to_device, device_of


def key_padding_mask(mask, batch, lq, lk):
    """The (1 or prod(batch), Lk) key mask the kernels take, or None; raises for a query-dependent mask."""
    if mask is None:
        return None
    m = mask if isinstance(mask, backend.ARRAY_TYPES) else getattr(mask, "data", None)  # an array or a Tensor
    if m is None:
        m = np.asarray(mask)
    full = tuple(batch) + (lq, lk)
    try:
        ok = np.broadcast_shapes(m.shape, full) == full
    except ValueError:
        ok = False
    if not ok or (m.ndim >= 2 and m.shape[-2] != 1):
        raise ValueError(f"flash_attention: mask of shape {tuple(m.shape)} must broadcast to {full} with size 1 on the "
                         f"query axis (a per-key padding mask, e.g. (B, 1, 1, Lk))")
    m = m.reshape(m.shape[:-2] + m.shape[-1:]) if m.ndim >= 2 else m  # drop the query axis
    if all(s == 1 for s in m.shape[:-1]):
        return _broadcast(m.reshape(1, -1), (1, lk))
    return _broadcast(m, tuple(batch) + (lk,)).reshape(-1, lk)


def _broadcast(a, shape):
    return (np if type(a) is np.ndarray else __import__("cupy")).broadcast_to(a, shape)


class FlashAttention(Function):
    """Fused attention on the Numba flash-attention kernels (float32, head dim <= 128, CUDA arrays).
    forward: out = softmax(scale q k^T, masked) v.   backward: dq, dk, dv from the kernels (see module docstring)."""
    once_differentiable = True

    @staticmethod
    def forward(ctx, q, k, v, key_mask, causal, scale):
        from ..kernels import attention_numba
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        lq, lk, d = q.shape[-2], k.shape[-2], q.shape[-1]
        if k.shape[-1] != d or v.shape[-1] != d or v.shape[-2] != lk:
            raise ValueError(f"flash_attention: q {q.shape}, k {k.shape}, v {v.shape} need equal head dims and Lk")
        bh = int(np.prod(batch))
        q3, k3, v3 = (_broadcast(a, batch + a.shape[-2:]).reshape(bh, *a.shape[-2:]) for a in (q, k, v))
        if key_mask is not None and device_of(key_mask) != device_of(q):
            key_mask = to_device(key_mask, device_of(q))  # a boolean per key: small, and moved once per call
        out, lse = attention_numba.forward(q3, k3, v3, key_mask, causal, scale)
        ctx.save_for_backward(q, k, v)
        ctx.arrays = (q3, k3, v3, out, lse, key_mask)
        ctx.meta = (batch, causal, scale)
        return out.reshape(batch + (lq, d))

    @staticmethod
    def backward(ctx, g):
        from ..kernels import attention_numba
        q3, k3, v3, out, lse, key_mask = ctx.arrays
        batch, causal, scale = ctx.meta
        g3 = g.data.reshape(out.shape)
        dq, dk, dv = attention_numba.backward(q3, k3, v3, out, lse, g3, key_mask, causal, scale)
        # gradients at the broadcast batch shape; the engine sums them back to each input's shape
        return (dq.reshape(batch + dq.shape[-2:]), dk.reshape(batch + dk.shape[-2:]),
                dv.reshape(batch + dv.shape[-2:]), None, None, None)


def flash_attention(q, k, v, mask=None, causal=False, scale=None):
    """softmax(q k^T * scale) v for Tensors (..., L, d) on the flash-attention kernels; ``mask`` True = attend, one
    value per key (size 1 on the query axis). ``scale`` defaults to 1/sqrt(d)."""
    lq, lk = q.shape[-2], k.shape[-2]
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    key_mask = key_padding_mask(mask, batch, lq, lk)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    return FlashAttention.apply(q, k, v, key_mask, bool(causal), scale)

