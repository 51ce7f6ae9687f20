"""Multi-head attention, laid out like PyTorch's ``nn.MultiheadAttention(batch_first=True)``: one packed input
projection ``in_proj_weight`` (3E, E) for queries, keys and values, and ``out_proj`` (a Linear E -> E)."""
import math

import numpy as np

from .. import backend
from ..tensor import Tensor
from . import functional as F
from . import init
from .layers import Linear
from .module import Module, Parameter


class MultiHeadAttention(Module):
    """Each of ``num_heads`` heads attends in its own E/num_heads-dimensional subspace:
    head_i = softmax(Q_i K_i^T / sqrt(d)) V_i, and the heads' outputs are concatenated and projected by out_proj.

    Inputs are (B, L, E) (batch first). ``mask`` is boolean, True = may attend, broadcastable to (B, heads, L, S);
    ``causal=True`` lets position t attend to positions <= t only (a decoder's masked self-attention).
    Note the mask convention is the engine's (True = keep), the opposite of PyTorch's ``attn_mask``."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"MultiHeadAttention: embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout = dropout
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), np.float32))
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, np.float32)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        # PyTorch's initialisation: Glorot for the packed projection, zero biases
        init.xavier_uniform_(self.in_proj_weight)
        if bias:
            init.zeros_(self.out_proj.bias)

    def _heads(self, x, w, b):
        """Project (B, L, E) and split the result into heads: (B, H, L, d)."""
        B, L, _ = x.shape
        return F.linear(x, w, b).reshape(B, L, self.num_heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, query, key=None, value=None, mask=None, causal=False, need_weights=False):
        """Self-attention when ``key``/``value`` are omitted. Returns the output (B, L, E), or with
        ``need_weights=True`` also the attention weights averaged over heads (B, L, S), like PyTorch."""
        key = query if key is None else key
        value = key if value is None else value
        if query.ndim != 3 or query.shape[-1] != self.embed_dim or key.shape[-1] != self.embed_dim:
            raise ValueError(f"MultiHeadAttention: expected (B, L, {self.embed_dim}) inputs, got query "
                             f"{query.shape}, key {key.shape}, value {value.shape}")
        E = self.embed_dim
        w, b = self.in_proj_weight, self.in_proj_bias
        bias = (lambda i: None) if b is None else (lambda i: b[i * E:(i + 1) * E])
        q = self._heads(query, w[:E], bias(0))
        k = self._heads(key, w[E:2 * E], bias(1))
        v = self._heads(value, w[2 * E:], bias(2))
        if need_weights or (self.training and self.dropout > 0):
            out, weights = self._attend(q, k, v, mask, causal)
        else:
            out, weights = F.attention(q, k, v, mask=mask, causal=causal), None
        B, H, L, d = out.shape
        out = self.out_proj(out.permute(0, 2, 1, 3).reshape(B, L, E))
        return (out, weights.mean(axis=1)) if need_weights else out

    def _attend(self, q, k, v, mask, causal):
        """The same attention written out, for when the weights are wanted or dropped out."""
        scores = q @ k.swapaxes(-1, -2) * (1.0 / math.sqrt(self.head_dim))
        L, S = scores.shape[-2:]
        xp = backend.xp_of(scores._data)
        keep = xp.tril(xp.ones((L, S), bool)) if causal else xp.ones((L, S), bool)
        if mask is not None:
            m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
            if m.dtype == bool:
                keep = keep & backend.to_device(m, scores.device)
            else:  # a float mask is added to the scores (e.g. -inf where attention is forbidden)
                scores = scores + (mask if isinstance(mask, Tensor) else Tensor(backend.to_device(m, scores.device)))
        weights = F.masked_softmax(scores, xp.broadcast_to(keep, scores.shape))
        dropped = F.dropout(weights, self.dropout, self.training)
        return dropped @ v, weights

    def extra_repr(self):
        """The sizes, shown by ``print(model)``."""
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"
