"""A character-level GPT: a Transformer decoder trained as a left-to-right language model, p(x_t | x_<t).

Causal attention (position t attends to positions <= t only) lets one forward pass predict every next character of
a window at once. Trained with the GPT-3 recipe of the lecture (``gpt3_recipe``): AdamW (0.9, 0.95) with weight
decay 0.1 on matrices only, gradient clipping at 1.0, a linear learning-rate warm-up, then cosine decay to a tenth
of the peak.

    tgg train gpt                       # 4 layers, 128 wide, 4 heads, context 64, batch 32, 2000 steps
    tgg sample gpt --ckpt runs/gpt --prompt "The " --temperature 0.8 --top-k 20
"""
import pathlib
from dataclasses import dataclass

import numpy as np

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import nn
from tinygrad_gen.options import nonnegative_int, positive_float, positive_int

from .gpt3_recipe import make_optimizer, train_steps
from .transformer import Transformer


@dataclass
class GPTConfig:
    """The model's sizes: vocabulary, context, layers, width, heads, dropout."""
    vocab_size: int = 128
    context: int = 64
    layers: int = 4
    width: int = 128
    heads: int = 4
    dropout: float = 0.0


class GPT(nn.Module):
    """Token + position embeddings -> blocks with causal self-attention -> LayerNorm -> tied output head."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = Transformer(config.vocab_size, config.context, config.width, config.layers,
                                       config.heads, config.dropout)

    def forward(self, idx, targets=None):
        """idx: (B, T) character ids. Returns the logits (B, T, V) and, given targets (B, T), the mean
        next-character cross-entropy in nats."""
        logits = self.transformer.logits(self.transformer(idx, causal=True))
        if targets is None:
            return logits, None
        B, T, V = logits.shape
        return logits, F.cross_entropy(logits.reshape(B * T, V), targets.reshape(B * T))

    @tg.no_grad()
    def generate(self, idx, new_tokens, temperature=1.0, top_k=None, rng=None):
        """Autoregressive sampling: feed the last ``context`` ids, divide the last logits by the temperature, keep
        the top-k, sample from the softmax, append, repeat. temperature -> 0 approaches greedy decoding."""
        if temperature <= 0:
            raise ValueError(f"generate: temperature must be > 0, got {temperature}")
        rng = rng or tg.random.generator()
        idx = np.array(idx, dtype=np.int64).reshape(1, -1) if np.ndim(idx) < 2 else np.array(idx, dtype=np.int64)
        for _ in range(new_tokens):
            logits, _ = self(tg.tensor(idx[:, -self.config.context:], device=self.device))
            logits = logits.numpy()[:, -1, :].astype(np.float64) / temperature
            if top_k is not None and top_k < logits.shape[-1]:
                kth = np.sort(logits, axis=-1)[:, -top_k][:, None]
                logits = np.where(logits < kth, -np.inf, logits)
            p = np.exp(logits - logits.max(axis=-1, keepdims=True))
            p /= p.sum(axis=-1, keepdims=True)
            nxt = np.array([[rng.choice(p.shape[-1], p=row)] for row in p])
            idx = np.concatenate([idx, nxt], axis=1)
        return idx


# ----- the held-out loss -----

def val_starts(n_val, batches=50, batch=32, context=64):
    """The fixed held-out evaluation set: batches x batch windows at evenly spaced offsets over the held-out text,
    the same for every run and seed."""
    starts = np.linspace(0, n_val - context - 1, batches * batch).astype(np.int64)
    return starts.reshape(batches, batch)


@tg.no_grad()
def evaluate(model, data, starts, context):
    """Mean over the fixed held-out batches of the mean next-character cross-entropy (nats/char)."""
    was_training = model.training
    model.eval()
    windows = tg.data.TextWindows(data, context)
    losses = []
    for batch_starts in starts:
        x, y = windows[batch_starts]
        _, loss = model(tg.tensor(x, device=model.device), tg.tensor(y, device=model.device))
        losses.append(loss.item())
    model.train(was_training)
    return float(np.mean(losses))


def encode_corpus(path=None):
    """(vocab, train ids, held-out ids): the embedded text (or a user's file) with its last 10 % held out, and a
    character vocabulary built from the whole of it."""
    from tinygrad_gen import data
    train_text, val_text = data.text_corpus(path)
    vocab = data.CharVocab(train_text + val_text)
    return vocab, vocab.encode(train_text), vocab.encode(val_text)


# ----- tgg train gpt / tgg sample gpt -----

TRAINED_BY = "steps"  # tgg train: the run's length is counted in steps (--epochs is refused)


def add_arguments(parser):
    """The model's options of ``tgg train`` (and their defaults)."""
    g = parser.add_argument_group("gpt")
    g.add_argument("--text", default=None, help="a UTF-8 text file to train on (default: pydoc_data)")
    g.add_argument("--layers", type=positive_int, default=4)
    g.add_argument("--width", type=positive_int, default=128)
    g.add_argument("--heads", type=positive_int, default=4)
    g.add_argument("--context", type=positive_int, default=64)
    g.add_argument("--dropout", type=float, default=0.0)
    g.add_argument("--batch-size", type=positive_int, default=32)
    g.add_argument("--lr", type=positive_float, default=1e-3, help="peak learning rate")
    g.add_argument("--warmup", type=nonnegative_int, default=100)
    g.add_argument("--min-lr-ratio", type=float, default=0.1)
    g.add_argument("--weight-decay", type=float, default=0.1)
    g.add_argument("--grad-clip", type=float, default=1.0)
    g.add_argument("--eval-every", type=positive_int, default=250)
    g.add_argument("--eval-batches", type=positive_int, default=50)
    g.add_argument("--checkpoint-every", type=positive_int, default=250)
    g.add_argument("--sample-length", type=nonnegative_int, default=200,
                   help="characters of sample.txt written at the end")
    parser.set_defaults(steps=2000)


def build_model(args, vocab_size):
    """The GPT of the sizes in ``args``."""
    return GPT(GPTConfig(vocab_size, args.context, args.layers, args.width, args.heads, args.dropout))


def next_character_loss(model, batch):
    """The language model's loss on a batch of windows: the mean cross-entropy of every next character."""
    x, y = batch
    _, loss = model(x, y)
    return loss, {"train_loss": loss.item()}


def train(args, run):
    """Train with ``args`` and write the metrics, checkpoint and figures into ``run``."""
    vocab, train_ids, val_ids = encode_corpus(args.text)
    model = build_model(args, len(vocab)).to(run.device)
    optimizer, scheduler = make_optimizer(model, args.lr, args.steps, args.warmup, args.weight_decay,
                                          args.min_lr_ratio)
    loader = tg.data.DataLoader(tg.data.TextWindows(train_ids, args.context), batch_size=args.batch_size,
                                device=run.device)   # windows at random offsets
    starts = val_starts(len(val_ids), args.eval_batches, args.batch_size, args.context)
    scores, elapsed = train_steps(run, model, optimizer, scheduler, loader, next_character_loss, args.steps,
                                  evaluate=lambda m: {"val_loss": evaluate(m, val_ids, starts, args.context)},
                                  eval_every=args.eval_every, checkpoint_every=args.checkpoint_every,
                                  clip=args.grad_clip)
    run.plot_curves("loss.png", keys=["train_loss", "val_loss"])
    prompt = vocab.decode(val_ids[:args.context // 2].tolist())
    ids = model.generate(vocab.encode(prompt), args.sample_length, temperature=0.8, top_k=20)[0]
    text = vocab.decode(ids)
    (run.out / "sample.txt").write_text(text, encoding="utf-8")
    run.finish({**scores, "ms_per_step": 1000 * elapsed / max(1, args.steps),
                "steps": args.steps, "parameters": int(sum(p.numel() for p in model.parameters()))})
    return model


def sample(args):
    """``tgg sample gpt``: continue ``--prompt`` by ``--length`` characters from a trained run (its config.json and
    checkpoint), with ``--temperature`` and ``--top-k``; prints the text and writes it to ``OUT/sample.txt``."""
    from tinygrad_gen.run import load_config, load_run
    vocab, _, _ = encode_corpus(load_config(args.ckpt).text)
    _, parts = load_run(args.ckpt, lambda config: {"model": build_model(config, len(vocab))}, args.model, args.device)
    model = parts["model"].eval()
    prompt = args.prompt if args.prompt else "\n"
    ids = model.generate(vocab.encode(prompt), args.length, args.temperature, args.top_k)[0]
    text = vocab.decode(ids)
    print(text)
    pathlib.Path(args.out, "sample.txt").write_text(text, encoding="utf-8")
    return text
