"""The lecture's "ablation study: training efficiency" at our scale: the same encoder pre-trained with the masked-LM
objective and with a left-to-right one, fine-tuned on the downstream task at several points of pre-training.

- ``mlm``: BERT's masked LM; bidirectional attention, 15 % of the tokens corrupted and predicted (so a step learns
  from about 5 of a sequence's 32 tokens);
- ``ltr``: a left-to-right LM; causal attention, every token predicts the next (about 30 predictions a sequence).

Both see the same text in the same order (runs of consecutive sentences, ``[CLS] text [SEP]``; the same loader seed),
start from the same initial weights (the same seed), with the same recipe and steps; no next-sentence loss, so the
objective is the only difference. At step 0 and every ``steps / evals`` steps a copy of the encoder is fine-tuned to
tell which of the ``classes`` largest documents a sentence comes from (``labels_per_class`` labelled sentences of
each, the same for every point), keeping its pre-training attention (BERT's left-to-right ablation keeps the
causal mask when fine-tuning too): the bidirectional encoder's classifier reads [CLS], the left-to-right one's the
last token ([SEP], the only one that has seen the whole sentence); ``--readout mean`` reads the mean of the tokens.
The slide: the masked LM converges more slowly, as it predicts only 15 % of the tokens, but ends ahead. Measured
here (README): it converges more slowly, and within 2 400 steps left-to-right stays ahead.

    tgg train bert_efficiency            # efficiency.png, metrics.json (curves), one folder per objective and seed
    tgg train bert_efficiency --quick    # every output in seconds

The runs can be trained apart, in parallel (``--objectives ltr --pretrain-seeds 2 --out A``, one folder per run)
and gathered: copy the run folders into one ``--out`` and run the whole comparison there with ``--resume``; a
finished run is not trained again.

Files: ``metrics.json`` (``curves``: {objective: {step: [downstream accuracy per seed]}}, ``pretrain_loss``,
``crossing``), ``efficiency.png`` (mean and min-max over seeds of each objective against pre-training steps), and
a run folder per objective and seed (``mlm-seed0`` ...) with its checkpoint and losses.
"""
import argparse
import time
from dataclasses import dataclass

import numpy as np

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import nn
from tinygrad_gen import random as tg_random
from tinygrad_gen.options import nonnegative_int, positive_float, positive_int

from .bert import CORPORA, BERT, BERTConfig, finetune, pretraining_corpus, topic_task
from .bert_data import IGNORE, corrupt
from .config_options import add_config_arguments, option, settle_quick
from .gpt3_recipe import make_optimizer, train_steps
from .label_efficiency import nested_subsets, take
from .transformer import padding_mask

OBJECTIVES = ("mlm", "ltr")
READOUTS = ("token", "mean")


def objective_list(text):
    """``--objectives``: a comma-separated list of distinct objectives (argparse refuses anything else)."""
    objectives = [o.strip() for o in str(text).split(",") if o.strip()]
    if not objectives or not set(objectives) <= set(OBJECTIVES) or len(set(objectives)) < len(objectives):
        raise argparse.ArgumentTypeError(f"must list some of {', '.join(OBJECTIVES)} once each, got {text!r}")
    return ",".join(objectives)


def seed_list(text):
    """``--pretrain-seeds``: a comma-separated list of distinct non-negative integers."""
    try:
        seeds = [int(s) for s in str(text).split(",") if s.strip()]
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0 or len(set(seeds)) < len(seeds):
        raise argparse.ArgumentTypeError(f"must be distinct non-negative integers, got {text!r}")
    return ",".join(map(str, seeds))


@dataclass
class EfficiencyConfig:
    """Every default of ``tgg train bert_efficiency``: the encoder and recipe of ``tgg train bert`` on spans of 32
    tokens (half its 64, to fit two objectives times three seeds on a 2-core machine), and the fine-tuning points."""
    text: str = option(None, type=str, help="a UTF-8 text file to train on instead of --corpus")
    corpus: str = option("stdlib", choices=CORPORA, help="the embedded corpus (as tgg train bert)")
    layers: int = option(2, type=positive_int, quick=1)
    width: int = option(64, type=positive_int, quick=32)
    heads: int = option(2, type=positive_int)
    max_len: int = option(32, type=positive_int, quick=16)
    dropout: float = option(0.1, type=float)
    min_count: int = option(2, type=nonnegative_int, help="words seen fewer times become [UNK]")
    batch_size: int = option(32, type=positive_int, quick=16)
    lr: float = option(2e-3, type=positive_float)
    warmup: int = option(100, type=nonnegative_int, quick=5)
    mask_rate: float = option(0.15, type=float)
    max_predictions: int = option(10, type=positive_int, help="cap on masked-LM predictions per sequence")
    objectives: str = option("mlm,ltr", type=objective_list, help="comma-separated, of: mlm, ltr")
    pretrain_seeds: str = option("0,1,2", type=seed_list, quick="0,1",
                                 help="comma-separated seeds, one pre-training run per objective and seed")
    evals: int = option(6, type=positive_int, quick=2, help="fine-tuning points after step 0, evenly spaced")
    classes: int = option(4, type=positive_int, help="documents of the downstream task")
    labels_per_class: int = option(64, type=positive_int, quick=16, help="labelled sentences of each class")
    finetune_steps: int = option(100, type=positive_int, quick=5, help="steps of each fine-tuning run")
    readout: str = option("token", choices=READOUTS, help="what the classifier reads: [CLS] (masked LM) or the "
                          "last token (left-to-right), or the mean over the tokens")
    finetune_lr: float = option(3e-4, type=positive_float)
    finetune_batch: int = option(16, type=positive_int)
    quick: bool = option(False, help="a tiny model and run, for smoke tests")
    steps: int = option(2400, quick=20)
    weight_decay: float = 0.1
    grad_clip: float = 1.0


TRAINED_BY = "steps"


class SpanData:
    """Runs of consecutive sentences of one document, ``[CLS] text [SEP]`` padded to ``max_len``, as a dataset for
    ``DataLoader``: item k starts at the k-th sentence and takes the sentences after it while they fit (the last
    one cut). ``data[ks]`` is a batch dict: ``ids`` (B, T) the model's input, ``segments`` (zeros), ``keep`` True on
    real tokens, ``labels`` (B, T) the tokens to predict (IGNORE elsewhere): for ``mlm`` the masked-LM corruption
    (drawn from the engine's generator, which checkpoints keep), for ``ltr`` the next token at every real position
    before the last."""

    def __init__(self, documents, vocab, max_len, objective, rate=0.15, max_predictions=10):
        if objective not in OBJECTIVES:
            raise ValueError(f"SpanData: objective must be one of {OBJECTIVES}, got {objective!r}")
        if max_len < 3:
            raise ValueError(f"SpanData: max_len {max_len} leaves no room for [CLS] text [SEP]")
        self.docs = [[vocab.encode(s) for s in doc] for doc in documents]
        self.starts = [(d, i) for d, doc in enumerate(self.docs) for i in range(len(doc))]
        if not self.starts:
            raise ValueError("SpanData: no sentences")
        self.vocab, self.max_len, self.objective = vocab, max_len, objective
        self.rate, self.max_predictions = rate, max_predictions

    def __len__(self):
        return len(self.starts)

    def span(self, k):
        """The token ids of item k, packed: (ids, keep)."""
        d, i = self.starts[k]
        tokens = np.concatenate(self.docs[d][i:])[:self.max_len - 2]   # the sentences from i on, cut to fit
        n = len(tokens) + 2
        ids = np.full(self.max_len, self.vocab.pad_id, np.int64)
        ids[:n] = [self.vocab.cls_id, *tokens, self.vocab.sep_id]
        return ids, np.arange(self.max_len) < n

    def __getitem__(self, ks):
        ids, keep = map(np.stack, zip(*(self.span(int(k)) for k in np.atleast_1d(ks))))
        labels = np.full_like(ids, IGNORE)
        if self.objective == "mlm":
            rng = tg_random.generator()
            for r in range(len(ids)):
                special = (ids[r] == self.vocab.cls_id) | (ids[r] == self.vocab.sep_id) | ~keep[r]
                ids[r], labels[r] = corrupt(ids[r], special, self.vocab, self.vocab.mask_id + 1, rng, self.rate,
                                            self.max_predictions)
        else:
            labels[:, :-1] = np.where(keep[:, 1:], ids[:, 1:], IGNORE)   # position t predicts token t + 1
        return {"ids": ids, "segments": np.zeros_like(ids), "keep": keep, "labels": labels}


def encode(bert, causal, ids, segments, keep):
    """Hidden states of the encoder with the attention it was pre-trained with: causal for ``ltr``, bidirectional
    over the real tokens for ``mlm``."""
    ids, segments = tg.as_tensor(ids, device=bert.device), tg.as_tensor(segments, device=bert.device)
    if causal:   # padding sits after the real tokens, so the causal mask already keeps it out of their view
        return bert.transformer(ids, segments, causal=True)
    return bert.transformer(ids, segments, mask=padding_mask(keep))


def lm_loss(bert, causal, batch):
    """Cross-entropy of the tied vocabulary head at the positions with a label (the masked or the next tokens)."""
    h = encode(bert, causal, batch["ids"], batch["segments"], batch["keep"])
    rows, cols = np.nonzero(batch["labels"] != IGNORE)
    logits = bert.transformer.logits(h[rows, cols])
    return F.cross_entropy(logits, tg.as_tensor(batch["labels"][rows, cols], device=bert.device))


def objective_loss(causal):
    """The ``loss_fn`` of the training loop for one objective: (``lm_loss``, {"lm_loss": its value})."""
    def loss_fn(bert, batch):
        loss = lm_loss(bert, causal, batch)
        return loss, {"lm_loss": loss.item()}
    return loss_fn


class ReadoutClassifier(nn.Module):
    """A linear head on the encoder's hidden states: ``readout="token"`` reads one position, [CLS] (position 0) for
    a bidirectional encoder, the last real token for a causal one (the only position that has seen the whole
    input); ``"mean"`` the mean over the real tokens (which the masked LM trains, where [CLS] alone gets no signal
    from it without NSP)."""

    def __init__(self, bert, classes, causal, readout="token"):
        super().__init__()
        if readout not in READOUTS:
            raise ValueError(f"ReadoutClassifier: readout must be one of {READOUTS}, got {readout!r}")
        self.bert, self.causal, self.readout = bert, causal, readout
        self.head = nn.Linear(bert.config.width, classes)

    def forward(self, ids, segments, keep):
        """Class scores (B, classes) of a batch of single sentences."""
        h = encode(self.bert, self.causal, ids, segments, keep)
        keep = np.asarray(keep)
        if self.readout == "mean":
            weights = tg.as_tensor((keep / keep.sum(1, keepdims=True)).astype(np.float32)[..., None],
                                   device=self.bert.device)
            return self.head((h * weights).sum(1))
        where = keep.sum(1) - 1 if self.causal else np.zeros(len(keep), np.int64)
        return self.head(h[np.arange(len(where)), where])


def downstream_task(documents, vocab, args):
    """The fine-tuning set (``labels_per_class`` sentences of each of the ``classes`` largest documents, the same
    subset at every point) and the test set (every 4th sentence of those documents)."""
    train_set, test_set = topic_task(documents, vocab, args.max_len, classes=args.classes)
    idx = nested_subsets(train_set[3], [args.labels_per_class * args.classes], seed=0)
    return take(train_set, idx[args.labels_per_class * args.classes]), test_set


def finetuned_accuracy(bert, causal, task, args, seed):
    """Test accuracy of a classifier fine-tuned from a copy of ``bert``; the engine's generator is put back after,
    so fine-tuning never changes what pre-training draws next."""
    state = tg_random.get_state()
    tg.manual_seed(seed)
    copy = BERT(bert.config).to(bert.device)
    copy.load_state_dict(bert.state_dict())
    classifier = ReadoutClassifier(copy, args.classes, causal, args.readout).to(bert.device)
    acc = finetune(classifier, *task, args.finetune_steps, args.finetune_lr, args.finetune_batch)[0]
    tg_random.set_state(state)
    return acc


def add_arguments(parser):
    """The model's options of ``tgg train`` (and their defaults), from ``EfficiencyConfig``."""
    add_config_arguments(parser, EfficiencyConfig, title="bert_efficiency")
    parser.set_defaults(corpus_python=tg.data.stdlib_docstrings.python_version())


def settle(args):
    """Fill the options left unset with the config's defaults, or its ``--quick`` values."""
    settle_quick(args, EfficiencyConfig)


def train(args, run):
    """Pre-train every objective and seed, fine-tune along the way, and write the curves and figure into ``run``."""
    settle(args)
    t_start = time.perf_counter()
    train_docs, val_docs, train_text = pretraining_corpus(args.text, args.corpus)
    vocab = tg.data.WordVocab(train_text, min_count=args.min_count)
    task = downstream_task(train_docs + val_docs, vocab, args)
    config = BERTConfig(len(vocab), args.max_len, args.layers, args.width, args.heads, args.dropout)
    objectives, seeds = parse_lists(args)
    curves, losses, seconds = {}, {}, {}
    for objective in objectives:
        causal = objective == "ltr"
        data = SpanData(train_docs, vocab, args.max_len, objective, args.mask_rate, args.max_predictions)
        for seed in seeds:
            name = f"{objective}-seed{seed}"
            sub = run.child(name, _child_config(args, run.out / name, objective, seed))
            points, seconds[name] = pretrain_one(sub, config, data, task, args, causal, seed)
            for step, acc in points.items():
                curves.setdefault(objective, {}).setdefault(str(step), []).append(acc)
                run.log(step=step, objective=objective, pretrain_seed=seed, downstream_acc=acc)
            losses.setdefault(objective, []).append(float(np.mean([r["lm_loss"] for r in sub.history[-5:]
                                                                   if "lm_loss" in r])))
            sub.finish({"downstream_acc": points[max(points)]})
    final = {f"final_{o}": float(np.mean(curves[o][str(args.steps)])) for o in objectives}
    both = set(objectives) == set(OBJECTIVES)
    plot_efficiency(run, curves, args, len(seeds))
    majority = float(np.bincount(task[1][3]).max() / len(task[1][3]))
    return run.finish({"curves": curves, "crossing": first_crossing(curves) if both else None,
                       "pretrain_loss": losses, **final, "downstream_majority_baseline": majority,
                       "downstream_train_sentences": int(len(task[0][3])),
                       "downstream_test_sentences": int(len(task[1][3])), "vocab_size": len(vocab),
                       "train_seconds": seconds, "wall_seconds": time.perf_counter() - t_start})


def parse_lists(args):
    """(objectives, pre-training seeds) of the parsed options, as lists."""
    return objective_list(args.objectives).split(","), [int(s) for s in seed_list(args.pretrain_seeds).split(",")]


def _child_config(args, folder, objective, seed):
    """The options of one pre-training run's folder: the comparison's, less the lists (the folder names its
    objective and seed), so runs trained apart (``--objectives ltr --pretrain-seeds 1 --out A``) can be copied into
    one folder and gathered there with ``--resume``, without training them again."""
    options = {k: v for k, v in vars(args).items() if k not in ("objectives", "pretrain_seeds", "quick", "out")}
    return {**options, "out": str(folder), "objective": objective, "pretrain_seed": seed}


def pretrain_one(sub, config, data, task, args, causal, seed):
    """Pre-train one encoder into the run ``sub`` and fine-tune a copy at step 0 and every ``steps / evals`` steps.
    Returns ({step: downstream accuracy}, seconds spent in pre-training steps). A finished run, resumed, is read
    back from its metrics, not trained or fine-tuned again."""
    init_seed, ft_seed = args.seed * 1000 + seed, args.seed * 1000 + 500 + seed
    tg.manual_seed(init_seed)   # the same initial weights for both objectives
    bert = BERT(config).to(sub.device)
    if not sub.resuming:
        sub.log(step=0, downstream_acc=finetuned_accuracy(bert, causal, task, args, ft_seed))
    optimizer, scheduler = make_optimizer(bert, args.lr, args.steps, args.warmup, EfficiencyConfig.weight_decay)
    loader = tg.data.DataLoader(data, batch_size=args.batch_size, seed=init_seed)   # the same spans in order

    def evaluate(model):
        last = sub.history[-1] if sub.history else {}
        if int(last.get("step", -1)) == args.steps and "downstream_acc" in last:   # finished before: read back
            return {"downstream_acc": last["downstream_acc"]}
        return {"downstream_acc": finetuned_accuracy(model, causal, task, args, ft_seed)}

    every = max(1, args.steps // args.evals)
    _, seconds = train_steps(sub, bert, optimizer, scheduler, loader, objective_loss(causal), args.steps, evaluate,
                             eval_every=every, checkpoint_every=every, clip=EfficiencyConfig.grad_clip)
    points = {int(r["step"]): r["downstream_acc"] for r in sub.history if r.get("downstream_acc") not in (None, "")}
    if 0 not in points:   # a run trained apart by a version that did not log step 0: fine-tune the same init
        tg.manual_seed(init_seed)
        points[0] = finetuned_accuracy(BERT(config).to(sub.device), causal, task, args, ft_seed)
    return dict(sorted(points.items())), seconds


def first_crossing(curves):
    """The first step from which on the masked LM's mean accuracy stays above the left-to-right one's (None if it
    never gets there or is there from step 0)."""
    steps = sorted(curves["mlm"], key=int)
    ahead = [np.mean(curves["mlm"][s]) > np.mean(curves["ltr"][s]) for s in steps]
    for i, s in enumerate(steps):
        if all(ahead[i:]):
            return int(s) if i > 0 and not ahead[i - 1] else None
    return None


def plot_efficiency(run, curves, args, n_seeds):
    """Downstream accuracy against pre-training steps: each objective's mean, with the min-max over seeds."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for objective, label in (("mlm", "masked LM (bidirectional)"), ("ltr", "left-to-right LM (causal)")):
        if objective not in curves:
            continue
        steps = sorted(curves[objective], key=int)
        acc = np.array([curves[objective][s] for s in steps])
        x = [int(s) for s in steps]
        ax.plot(x, acc.mean(1), "o-", label=label)
        ax.fill_between(x, acc.min(1), acc.max(1), alpha=0.2)
    ax.set_xlabel("pre-training steps")
    ax.set_ylabel(f"downstream accuracy ({args.classes} topics, {args.labels_per_class} labels each)")
    ax.set_title(f"training efficiency: {args.layers}x{args.width} encoder, mean and min-max over "
                 f"{n_seeds} seeds", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    run.savefig(fig, "efficiency.png")

