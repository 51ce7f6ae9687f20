"""The Transformer of the lecture, shared by GPT (a decoder: causal attention) and BERT (an encoder: bidirectional
attention with a padding mask).

One pre-LayerNorm block (GPT-2 style: normalise before each sub-layer, add the result back to the residual stream):

    x = x + Dropout(MultiHeadAttention(LayerNorm(x), mask))
    x = x + Dropout(Linear(4C -> C)(GELU(Linear(C -> 4C)(LayerNorm(x)))))

The input is the sum of a token embedding and a learned position embedding (plus a segment embedding for BERT's
sentence pairs); the output head reuses the token embedding matrix (weight tying), so logits = h @ E^T.
"""
import math

import numpy as np

import tinygrad_gen.nn.functional as F
from tinygrad_gen import nn
from tinygrad_gen.random import generator


class MLP(nn.Module):
    """The position-wise feed-forward sub-layer: Linear(C, 4C) -> GELU -> Linear(4C, C) -> Dropout."""

    def __init__(self, width, dropout=0.0):
        super().__init__()
        self.fc = nn.Linear(width, 4 * width)
        self.proj = nn.Linear(4 * width, width)  # a residual projection (scaled at init, see init_weights)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        """The module applied to a batch (see the class docstring)."""
        return self.drop(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    """One pre-LayerNorm Transformer block: self-attention then MLP, each wrapped in a residual connection."""

    def __init__(self, width, heads, dropout=0.0):
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = nn.MultiHeadAttention(width, heads, dropout=dropout)
        self.drop = nn.Dropout(dropout)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = MLP(width, dropout)

    def forward(self, x, mask=None, causal=False):
        """x: (B, T, C). mask: boolean, broadcastable to (B, heads, T, T), True = may attend. causal: a decoder's
        masked self-attention (position t sees positions <= t only)."""
        x = x + self.drop(self.attn(self.ln1(x), mask=mask, causal=causal))
        return x + self.mlp(self.ln2(x))


class Transformer(nn.Module):
    """Embeddings -> N blocks -> final LayerNorm. Returns the hidden states (B, T, C); ``logits`` turns them into
    scores over the vocabulary with the tied embedding matrix."""

    def __init__(self, vocab_size, context, width=128, layers=4, heads=4, dropout=0.0, segments=0):
        super().__init__()
        if width % heads:
            raise ValueError(f"Transformer: width {width} is not divisible by heads {heads}")
        self.context = context
        self.tok_emb = nn.Embedding(vocab_size, width)
        self.pos_emb = nn.Embedding(context, width)
        self.seg_emb = nn.Embedding(segments, width) if segments else None  # BERT: sentence A = 0, B = 1
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(width, heads, dropout) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(width)
        init_weights(self, layers)

    def forward(self, idx, segments=None, mask=None, causal=False):
        """idx: (B, T) integer token ids, T <= context; segments: (B, T) segment ids or None."""
        T = idx.shape[-1]
        if T > self.context:
            raise ValueError(f"Transformer: sequence length {T} exceeds the context of {self.context} positions")
        x = self.tok_emb(idx) + self.pos_emb.weight[:T]
        if self.seg_emb is not None and segments is not None:
            x = x + self.seg_emb(segments)
        x = self.drop(x)
        for block in self.blocks:
            x = block(x, mask=mask, causal=causal)
        return self.ln_f(x)

    def logits(self, h):
        """Scores over the vocabulary with the output head tied to the token embedding: h @ E^T."""
        return F.linear(h, self.tok_emb.weight)


RESIDUAL_PROJECTIONS = ("attn.out_proj.weight", "mlp.proj.weight")


def init_weights(model, layers, std=0.02):
    """GPT-2's initialisation: every matrix (linear and embedding weights) ~ N(0, 0.02), biases 0, LayerNorm
    gain 1. The projections that write into the residual stream get std 0.02 / sqrt(2 * layers): each block adds
    two of them to the stream, so without the scaling its variance would grow with depth."""
    rng = generator()
    for name, p in model.named_parameters():
        if p.ndim >= 2:
            scale = std / math.sqrt(2 * layers) if name.endswith(RESIDUAL_PROJECTIONS) else std
            p._data[...] = (rng.standard_normal(p.shape) * scale).astype(p.dtype)
        elif name.endswith("bias"):
            p._data[...] = 0
        # LayerNorm weights keep their initial 1


def padding_mask(keep):
    """A boolean key mask of shape (B, 1, 1, T) from a (B, T) array that is True on real tokens: every query may
    attend to the real tokens of its own sequence and never to [PAD]."""
    keep = np.asarray(keep, dtype=bool)
    return keep[:, None, None, :]
