# ruff: noqa: UP008, B007 (the ported programs' own style: super(Cls, self), loop variables kept for reading)
"""A character-level MLP language model on raw tensors, in the shape of makemore part 2 (nn-zero-to-hero; written
for this test, not copied): an embedding table, one tanh layer, manual SGD through ``p.data``."""
import random

import torch
import torch.nn.functional as F

block_size = 3  # characters of context


def make_words(n=120, seed=42):
    """Pronounceable synthetic names: consonant-vowel pairs."""
    rng = random.Random(seed)
    cons, vows = "bdgklmnprst", "aeiou"
    return ["".join(rng.choice(cons) + rng.choice(vows) for _ in range(rng.randint(1, 3))) for _ in range(n)]


def vocab(words):
    chars = sorted(list(set("".join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    itos = {i: s for s, i in stoi.items()}
    return stoi, itos


def build_dataset(words, stoi):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    return X, Y


def main(steps=30, batch=16, n_embd=4, n_hidden=32, seed=2147483647):
    words = make_words()
    stoi, itos = vocab(words)
    V = len(stoi)
    random.seed(42)
    random.shuffle(words)
    n1 = int(0.8 * len(words))
    Xtr, Ytr = build_dataset(words[:n1], stoi)
    Xdev, Ydev = build_dataset(words[n1:], stoi)
    assert Xtr.dtype == torch.int64 and Xtr.shape[1] == block_size

    g = torch.Generator().manual_seed(seed)
    C = torch.randn((V, n_embd), generator=g)
    W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * 0.2
    b1 = torch.randn(n_hidden, generator=g) * 0.01
    W2 = torch.randn((n_hidden, V), generator=g) * 0.1
    b2 = torch.randn(V, generator=g) * 0
    parameters = [C, W1, b1, W2, b2]
    n_params = sum(p.nelement() for p in parameters)
    for p in parameters:
        p.requires_grad = True

    lossi, stepi = [], []
    for i in range(steps):
        ix = torch.randint(0, Xtr.shape[0], (batch,), generator=g)
        emb = C[Xtr[ix]]
        h = torch.tanh(emb.view(-1, n_embd * block_size) @ W1 + b1)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.5 if i < steps // 2 else 0.05
        for p in parameters:
            p.data += -lr * p.grad
        stepi.append(i)
        lossi.append(loss.log10().item())

    with torch.no_grad():
        emb = C[Xdev]
        h = torch.tanh(emb.view(-1, n_embd * block_size) @ W1 + b1)
        logits = h @ W2 + b2
        dev_loss = F.cross_entropy(logits, Ydev).item()
        _, pred = logits.max(dim=1)
        accuracy = (pred == Ydev).float().mean().item()
        first_two = C.transpose(0, 1)[:2].tolist()   # the embedding's first two coordinates, as the notebook plots

    g = torch.Generator().manual_seed(seed + 10)
    names = []
    for _ in range(4):
        out, context = [], [0] * block_size
        while True:
            emb = C[torch.tensor([context])]
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            probs = F.softmax(h @ W2 + b2, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0 or len(out) > 12:
                break
        names.append("".join(itos[i] for i in out))
    return dict(lossi=lossi, dev_loss=dev_loss, accuracy=accuracy, n_params=n_params, names=names,
                first_two=first_two, params=[p.detach() for p in parameters])
