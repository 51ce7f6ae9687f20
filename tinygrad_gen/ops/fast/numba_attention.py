"""Numba path of flash attention on the CPU (``kernels/cpu/attention.py``): the same op as the CUDA
``FlashAttention`` (tiles of keys, a running max and sum per query, O(L d) memory, fully masked queries give zeros),
for float32 and float64 NumPy arrays. ``dispatch.attention_backend`` sends CPU attention here when ``TGG_KERNELS``
chooses it (``FlashAttention=numba``, or ``numba`` for all); CUDA arrays go on to the CUDA kernels."""
import numpy as np

from ...dispatch import register_fast_path
from ...grad_mode import enable_grad, is_grad_enabled
from ...tensor import Tensor
from ..attention import FlashAttention, _heads, causal_keep, reference_attention


@register_fast_path(FlashAttention, "CPU attention with a per-key mask and/or causal masking, float32/float64: "
                                    "never stores the L x L scores (peak memory linear in L); speed against "
                                    "PyTorch's SDPA in RESULTS.md, issue 29", kind="numba",
                    preferred=False)
class NumbaFlashAttention(FlashAttention):
    """``FlashAttention`` on ``kernels.cpu.attention`` for NumPy arrays. Its backward runs in the kernel; when that
    backward is itself differentiated (``create_graph=True``: a gradient penalty, a second derivative) it is computed
    through the composition of Tensor ops instead (``reference_attention``: the same values), so it can be."""
    once_differentiable = False
    @staticmethod
    def forward(ctx, q, k, v, key_mask, causal, scale):
        if type(q) is not np.ndarray:
            return FlashAttention.forward(ctx, q, k, v, key_mask, causal, scale)
        from ...kernels.cpu import attention as kernel
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        out, lse = kernel.flash_forward(_heads(q, batch), _heads(k, batch), _heads(v, batch), key_mask, causal,
                                        scale)
        out = out.reshape(batch + q.shape[-2:])
        ctx.save_for_backward(q, k, v, out)
        ctx.lse, ctx.key_mask, ctx.batch, ctx.causal, ctx.scale = lse, key_mask, batch, causal, scale
        return out

    @staticmethod
    def backward(ctx, g):
        q, k, v, out = ctx.saved_tensors
        if type(q._data) is not np.ndarray:
            return FlashAttention.backward(ctx, g)
        if is_grad_enabled():
            return _composed_backward(ctx, q, k, v, g) + (None, None, None)
        from ...kernels.cpu import attention as kernel
        batch = ctx.batch
        out3 = _heads(out._data, batch)
        dq, dk, dv = kernel.flash_backward(_heads(q._data, batch), _heads(k._data, batch), _heads(v._data, batch),
                                           out3, ctx.lse, g._data.reshape(out3.shape), ctx.key_mask, ctx.causal,
                                           ctx.scale)
        return (dq.reshape(batch + dq.shape[-2:]), dk.reshape(batch + dk.shape[-2:]),
                dv.reshape(batch + dv.shape[-2:]), None, None, None)


def _composed_backward(ctx, q, k, v, g):
    """(dq, dk, dv) by differentiating ``reference_attention`` with the graph kept, so they are differentiable."""
    from ...autograd import grad
    lq, lk = q.shape[-2], k.shape[-2]
    keep = None
    if ctx.key_mask is not None:
        keep = ctx.key_mask.reshape((ctx.batch if ctx.key_mask.shape[0] > 1 else ()) + (1, lk))
    if ctx.causal:
        tri = causal_keep(np, lq, lk)
        keep = tri if keep is None else keep & tri
    with enable_grad():
        out = reference_attention(q, k, v, keep, None, ctx.scale)
        return tuple(grad(out, [q, k, v], g if isinstance(g, Tensor) else Tensor(g), create_graph=True,
                          allow_unused=True))
