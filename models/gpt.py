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

from .config_options import add_config_arguments, option
from .gpt3_recipe import make_optimizer, train_steps
from .transformer import Transformer


@dataclass
class GPTTrainConfig:
    """Every default of ``tgg train gpt`` (its options are generated from these fields, and ``GPTConfig``'s sizes
    default to them)."""
    text: str = option(None, type=str, help="a UTF-8 text file to train on (default: pydoc_data)")
    layers: int = option(4, type=positive_int)
    width: int = option(128, type=positive_int)
    heads: int = option(4, type=positive_int)
    context: int = option(64, type=positive_int)
    dropout: float = option(0.0, type=float)
    batch_size: int = option(32, type=positive_int)
    lr: float = option(1e-3, type=positive_float, help="peak learning rate")
    warmup: int = option(100, type=nonnegative_int)
    min_lr_ratio: float = option(0.1, type=float)
    weight_decay: float = option(0.1, type=float)
    grad_clip: float = option(1.0, type=float)
    eval_every: int = option(250, type=positive_int)
    eval_batches: int = option(50, type=positive_int)
    checkpoint_every: int = option(250, type=positive_int)
    sample_length: int = option(200, type=nonnegative_int, help="characters of sample.txt written at the end")
    steps: int = 2000


@dataclass
class GPTConfig:
    """The model's sizes: vocabulary, context, layers, width, heads, dropout (defaults: ``tgg train gpt``'s)."""
    vocab_size: int = 128
    context: int = GPTTrainConfig.context
    layers: int = GPTTrainConfig.layers
    width: int = GPTTrainConfig.width
    heads: int = GPTTrainConfig.heads
    dropout: float = GPTTrainConfig.dropout


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
    """The model's options of ``tgg train`` (and their defaults), from ``GPTTrainConfig``."""
    add_config_arguments(parser, GPTTrainConfig, title="gpt")


def build_model(args, vocab_size):
    """The GPT of the sizes in ``args``."""
    return GPT(GPTConfig(vocab_size, args.context, args.layers, args.width, args.heads, args.dropout))


def next_character_loss(model, batch):
    """The language model's loss on a batch of windows (x, y): the mean cross-entropy of every next character,
    and {"train_loss": its value}. ``tgg train``, ``tgg bench step`` and ``tgg graph`` all run this."""
    x, y = batch
    _, loss = model(x, y)
    return loss, {"train_loss": loss.item()}


def graph_step(batch=2, vocab_size=128):
    """The default model's step on random tokens, for ``tgg graph``: ({"loss": loss}, the GPT)."""
    model = GPT(GPTConfig(vocab_size))
    ids = np.random.default_rng(0).integers(0, vocab_size, (batch, 17))
    loss, _ = next_character_loss(model, (tg.tensor(ids[:, :-1]), tg.tensor(ids[:, 1:])))
    return {"loss": loss}, model


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


def add_sample_arguments(parser):
    """``tgg sample gpt`` draws one continuation unless ``--n`` asks for more."""
    parser.set_defaults(n=1)


def sample(args):
    """``tgg sample gpt``: ``--n`` continuations of ``--prompt``, ``--length`` characters each, from a trained run
    (its config.json and checkpoint), with ``--temperature`` and ``--top-k``; prints them and writes them to
    ``OUT/sample.txt`` (several: one after another, each under a ``--- sample k of N ---`` line)."""
    from tinygrad_gen.run import load_config, load_run
    vocab, _, _ = encode_corpus(load_config(args.ckpt).text)
    prompt = args.prompt if args.prompt else "\n"
    unknown = sorted(set(prompt) - set(vocab.itos))
    if unknown:
        raise ValueError(f"--prompt: the characters {''.join(unknown)!r} are not in the model's vocabulary")
    _, parts = load_run(args.ckpt, lambda config: {"model": build_model(config, len(vocab))}, args.model, args.device)
    model = parts["model"].eval()
    ids = model.generate(np.tile(vocab.encode(prompt), (args.n, 1)), args.length, args.temperature, args.top_k)
    texts = [vocab.decode(row) for row in ids]
    text = texts[0] if args.n == 1 else "".join(f"--- sample {k + 1} of {args.n} ---\n{t}\n"
                                                for k, t in enumerate(texts))
    print(text)
    pathlib.Path(args.out, "sample.txt").write_text(text, encoding="utf-8")
    return text
