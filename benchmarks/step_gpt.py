"""One training step of the default character-level GPT (4 layers, 128 wide, 4 heads, context 64, batch 32), ours
and a PyTorch peer with exactly the same configuration: pre-LayerNorm blocks, tied output head, AdamW (0.9, 0.95)
with weight decay 0.1 on matrices only, gradient clipping at 1.0.

``tgg bench step --model gpt`` imports this module; ``ours(device)`` and ``torch_peer()`` each return a
zero-argument callable that runs one full step (forward, backward, clipping, optimizer update) on a fixed batch.
"""
import numpy as np

VOCAB, CONTEXT, WIDTH, LAYERS, HEADS, BATCH, LR = 103, 64, 128, 4, 4, 32, 1e-3


def _batch():
    rng = np.random.default_rng(0)
    data = rng.integers(0, VOCAB, size=BATCH * (CONTEXT + 1)).reshape(BATCH, CONTEXT + 1)
    return data[:, :-1], data[:, 1:]


def ours(device="cpu"):
    import tinygrad_gen as tg
    from tinygrad_gen import optim
    from tinygrad_gen.models.gpt import GPT, GPTConfig, configure_optimizer

    tg.manual_seed(0)
    model = GPT(GPTConfig(VOCAB, CONTEXT, LAYERS, WIDTH, HEADS, 0.0)).to(device)
    optimizer = configure_optimizer(model, LR)
    x, y = (tg.tensor(a, device=device) for a in _batch())
    params = list(model.parameters())

    def step():
        _, loss = model(x, y)
        optimizer.zero_grad()
        loss.backward()
        optim.clip_grad_norm_(params, 1.0)
        optimizer.step()
        return loss.item()
    return step


def torch_peer():
    import math
    import torch
    import torch.nn as tnn
    import torch.nn.functional as tF

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = tnn.LayerNorm(WIDTH), tnn.LayerNorm(WIDTH)
            self.qkv, self.out = tnn.Linear(WIDTH, 3 * WIDTH), tnn.Linear(WIDTH, WIDTH)
            self.fc, self.proj = tnn.Linear(WIDTH, 4 * WIDTH), tnn.Linear(4 * WIDTH, WIDTH)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = (t.reshape(B, T, HEADS, C // HEADS).transpose(1, 2)
                       for t in self.qkv(self.ln1(x)).split(C, dim=-1))
            a = tF.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.out(a.transpose(1, 2).reshape(B, T, C))
            return x + self.proj(tF.gelu(self.fc(self.ln2(x))))

    class GPT(tnn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = tnn.Embedding(VOCAB, WIDTH), tnn.Embedding(CONTEXT, WIDTH)
            self.blocks = tnn.ModuleList([Block() for _ in range(LAYERS)])
            self.ln_f = tnn.LayerNorm(WIDTH)
            for name, p in self.named_parameters():
                if p.dim() >= 2:
                    std = 0.02 / math.sqrt(2 * LAYERS) if name.endswith(("out.weight", "proj.weight")) else 0.02
                    tnn.init.normal_(p, 0.0, std)
                elif name.endswith("bias"):
                    tnn.init.zeros_(p)

        def forward(self, idx, targets):
            x = self.tok(idx) + self.pos.weight[:idx.shape[1]]
            for block in self.blocks:
                x = block(x)
            logits = self.ln_f(x) @ self.tok.weight.T
            return tF.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))

    torch.manual_seed(0)
    model = GPT()
    params = list(model.parameters())
    optimizer = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
                                   {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
                                  lr=LR, betas=(0.9, 0.95))
    x, y = (torch.from_numpy(a) for a in _batch())

    def step():
        loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        return loss.item()
    return step
