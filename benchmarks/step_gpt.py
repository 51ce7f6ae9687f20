"""One training step of the default character-level GPT (4 layers, 128 wide, 4 heads, context 64, batch 32), ours
and a PyTorch peer with exactly the same configuration: pre-LayerNorm blocks, tied output head, AdamW (0.9, 0.95)
with weight decay 0.1 on matrices only, gradient clipping at 1.0.

``tgg bench step --model gpt`` imports this module; ``ours(device)`` and ``torch_peer()`` each return a
zero-argument callable that runs one full step (forward, backward, clipping, optimizer update) on a fixed batch.

The peer's reference loss: ``python -m tinygrad_gen.benchmarks.step_gpt [--steps 2000]`` trains it on the embedded
text with the whole recipe (warm-up, cosine decay, the same batches sampler) and prints the validation loss on the same
50 held-out batches ``tgg train gpt`` uses.
"""
import numpy as np

VOCAB = 103  # the characters of the embedded text


def _config():
    from tinygrad_gen.models.gpt import GPTTrainConfig
    return GPTTrainConfig()


def _batch():
    c = _config()
    rng = np.random.default_rng(0)
    data = rng.integers(0, VOCAB, size=c.batch_size * (c.context + 1)).reshape(c.batch_size, c.context + 1)
    return data[:, :-1], data[:, 1:]


def ours(device="cpu"):
    """One step of ours (``gpt.next_character_loss``, AdamW, clipping), as a zero-argument callable."""
    from tinygrad_gen.models.gpt import build_model, next_character_loss
    from tinygrad_gen.models.gpt3_recipe import adamw
    from tinygrad_gen.models.step_update import optimizer_update

    import tinygrad_gen as tg

    config = _config()
    tg.manual_seed(0)
    model = build_model(config, VOCAB).to(device)
    update = optimizer_update({"model": adamw(model, config.lr, config.weight_decay)}, clip=config.grad_clip)
    batch = tuple(tg.tensor(a, device=device) for a in _batch())

    def step():
        loss, _ = next_character_loss(model, batch)
        update("model", loss)
        return loss.item()
    return step


def _torch_gpt(vocab=VOCAB, lr=None):
    """The PyTorch twin of ``GPT`` of the default config and its AdamW; returns (model, optimizer)."""
    import math

    import torch
    import torch.nn as tnn
    import torch.nn.functional as tF

    config = _config()
    WIDTH, LAYERS, HEADS, CONTEXT = config.width, config.layers, config.heads, config.context
    lr = lr or config.lr

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
            self.tok, self.pos = tnn.Embedding(vocab, WIDTH), tnn.Embedding(CONTEXT, WIDTH)
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
            return tF.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))

    torch.manual_seed(0)
    model = GPT()
    params = list(model.parameters())
    optimizer = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2],
                                    "weight_decay": config.weight_decay},
                                   {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
                                  lr=lr, betas=(0.9, 0.95))
    return model, optimizer


def torch_peer():
    """One step of the PyTorch twin, as a zero-argument callable."""
    import torch
    model, optimizer = _torch_gpt()
    clip = _config().grad_clip
    params = list(model.parameters())
    x, y = (torch.from_numpy(a) for a in _batch())

    def step():
        loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, clip)
        optimizer.step()
        return loss.item()
    return step


def torch_train(steps=None, warmup=None, eval_every=None, seed=0):
    """Train the PyTorch peer with the whole recipe on the embedded text (``tgg train gpt``'s defaults where an
    argument is None); print and return the held-out loss."""
    import torch
    from tinygrad_gen.models.gpt import encode_corpus, val_starts

    from tinygrad_gen.data import TextWindows

    c = _config()
    steps, warmup, eval_every = steps or c.steps, warmup or c.warmup, eval_every or c.eval_every
    vocab, train_ids, val_ids = encode_corpus()
    model, optimizer = _torch_gpt(len(vocab))
    floor = c.min_lr_ratio
    sched = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: (t + 1) / warmup if t < warmup else
                                              floor + (1 - floor) / 2 * (1 + np.cos(np.pi * (t - warmup)
                                                                                    / (steps - warmup))))
    rng, starts = np.random.default_rng(seed), val_starts(len(val_ids), c.eval_batches, c.batch_size, c.context)
    train_windows, val_windows = TextWindows(train_ids, c.context), TextWindows(val_ids, c.context)

    def evaluate():
        with torch.no_grad():
            return float(np.mean([model(*(torch.from_numpy(a) for a in val_windows[s])).item()
                                  for s in starts]))
    for step in range(1, steps + 1):
        loss = model(*(torch.from_numpy(a) for a in train_windows[rng.integers(len(train_windows), size=c.batch_size)]))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), c.grad_clip)
        optimizer.step()
        sched.step()
        if step % eval_every == 0 or step == steps:
            print(f"step {step} train_loss {loss.item():.4f} val_loss {evaluate():.4f}", flush=True)
    return evaluate()


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description="train the PyTorch GPT peer with the full recipe")
    parser.add_argument("--steps", type=int, default=None, help="default: tgg train gpt's")
    parser.add_argument("--threads", type=int, default=None)
    cli = parser.parse_args()
    if cli.threads:
        import torch
        torch.set_num_threads(cli.threads)
    torch_train(cli.steps)
