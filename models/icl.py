"""In-context learning: larger models learn better in context (the lecture's unscramble slide, at this machine's
scale).

Three GPTs of different sizes are trained, with the same recipe, on the same tokens: windows of the embedded prose
mixed with task documents (``word_tasks``: lines ``input = word`` of one unnamed task, some headed by the task's
instruction). Then the weights are frozen and each model is prompted, on held-out words only, with k = 0, 1, 2, 4, 8
demonstrations, with and without the instruction line; greedy decoding must write the word after ``=``. The task is
never given by the query alone, so what the model writes depends on what it infers from its context.

    tgg train icl                 # 3 sizes (1x32, 2x32, 2x64: layers x width), 1600 steps of 8 x 192 characters
    tgg train icl --quick         # tiny sizes, a few steps: a smoke test of the whole pipeline

Sizes can be trained apart, in parallel (``tgg train icl --sizes 2x64x4 --out A``, one size per folder) and gathered:
copy the size folders into one ``--out`` and run the sweep there with ``--resume``; a finished size is not trained
again (nor evaluated, when its saved accuracy is on the same prompts).

Files: ``metrics.json`` (``accuracy[size][task]["prompt"|"no_prompt"][k]``, ``params[size]``, ``queries``),
``metrics.csv`` (one row per size and evaluation step), ``icl.png`` (unscramble accuracy vs k, one line per size,
no-prompt and prompt panels), ``icl_tasks.png`` (every task), ``eval_prompts.json`` (every evaluation prompt and
its answer), and one folder per size with its checkpoint and training curves.
"""
import argparse
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen.options import nonnegative_int, positive_float, positive_int
from tinygrad_gen.checkpoint import read_checkpoint

from . import word_tasks as wt
from .config_options import add_config_arguments, option, settle_quick
from .gpt import GPT, GPTConfig, encode_corpus, evaluate, next_character_loss, val_starts
from .gpt3_recipe import make_optimizer, train_steps
from .greedy import greedy_matches
from .param_count import non_embedding_params
from .word_tasks import KS, evaluation_prompts, training_sequences

SIZES = "1x32x2,2x64x4,3x96x4"      # layers x width x heads
QUICK_SIZES = "1x16x2,1x24x2,2x32x4"


def parse_sizes(text, target="icl"):
    """``"1x32x2,2x64x4"`` -> ``{"1x32": (1, 32, 2), "2x64": (2, 64, 4)}`` (named layers x width); a bad item is an
    error naming ``target``'s option."""
    sizes = {}
    for item in text.split(","):
        try:
            layers, width, heads = (int(v) for v in item.strip().split("x"))
        except ValueError:
            raise ValueError(f"{target}: --sizes: a size is LAYERSxWIDTHxHEADS, like 2x64x4; got {item!r}") from None
        sizes[f"{layers}x{width}"] = (layers, width, heads)
    return sizes


# ----- evaluation -----

def accuracy_grid(model, vocab, cells, device):
    """``{task: {"no_prompt"|"prompt": {str(k): fraction}}}``: exact match of greedy decoding on every cell."""
    acc = {task: {"no_prompt": {}, "prompt": {}} for task in wt.TASKS}
    for (task, k), (prompts, answers) in cells.items():
        targets = [a + "\n" for a in answers]
        plain = greedy_matches(model, vocab, prompts, targets, device)
        told = greedy_matches(model, vocab, [wt.with_instruction(task, p) for p in prompts], targets, device)
        acc[task]["no_prompt"][str(k)] = float(plain.mean())
        acc[task]["prompt"][str(k)] = float(told.mean())
    return acc


def _weights(model):
    return [p.numpy().copy() for p in model.parameters()]


# ----- figures -----

def plot_icl(run, accuracy, params, tasks, name):
    """Accuracy against the number of in-context examples, one panel per task."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(tasks), 2, figsize=(8, 3.2 * len(tasks)), sharey=True, squeeze=False)
    xs = np.arange(len(KS))
    for row, task in enumerate(tasks):
        for col, mode in enumerate(("no_prompt", "prompt")):
            ax = axes[row, col]
            for size, acc in accuracy.items():
                ax.plot(xs, [100 * acc[task][mode][str(k)] for k in KS], marker="o",
                        label=f"{size} ({params[size] / 1e3:.0f}k params)")
            ax.set_xticks(xs, [str(k) for k in KS])
            ax.set_xlabel("demonstrations in context (k)")
            ax.set_title(f"{task}, {'no prompt' if mode == 'no_prompt' else 'with the instruction'}")
            ax.set_ylim(-2, 102)
            ax.grid(alpha=0.3)
        axes[row, 0].set_ylabel("accuracy (%)")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return run.savefig(fig, name)


def plot_losses(run, curves):
    """The training and validation losses of each size."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for size, rows in curves.items():
        ax.plot([r["tokens"] for r in rows], [r["task_loss"] for r in rows], marker=".", label=f"{size} tasks")
        ax.plot([r["tokens"] for r in rows], [r["val_loss"] for r in rows], ls="--", label=f"{size} prose")
    ax.set_xlabel("training tokens seen")
    ax.set_ylabel("held-out loss (nats/char)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return run.savefig(fig, "loss.png")


# ----- tgg train icl -----

TRAINED_BY = "steps"  # tgg train: every size trains for --steps optimizer steps


@dataclass
class ICLConfig:
    """Every default of ``tgg train icl`` (its options are generated from these fields; ``--quick`` takes the
    smaller values given as ``quick=``)."""
    quick: bool = option(False, help="tiny sizes, few steps and queries (a smoke test)")
    sizes: str = option(SIZES, type=str, quick=QUICK_SIZES, help="comma-separated LAYERSxWIDTHxHEADS")
    text: Optional[str] = option(None, type=str,
                                 help="a UTF-8 text file for the prose and the words (default pydoc_data)")
    context: int = option(192, type=positive_int)
    batch_size: int = option(16, type=positive_int, quick=8)
    lr: float = option(3e-3, type=positive_float, help="peak learning rate")
    warmup: int = option(100, type=nonnegative_int)
    min_lr_ratio: float = option(0.1, type=float)
    weight_decay: float = option(0.1, type=float)
    task_fraction: float = option(0.9, type=float, help="share of training sequences that are tasks")
    instruction_rate: float = option(0.3, type=float, help="share of task documents with instruction")
    letters_rate: float = option(0.5, type=float,
                                 help="share of task lines on random letters instead of training words (so the task "
                                      "is learned, not the words' answers by heart)")
    cut_rate: float = option(0.2, type=float,
                             help="share of task documents cut from a random character on (lines at every position)")
    word_lengths: str = option("4,4", type=str, help="shortest,longest word (letters)")
    min_count: int = option(3, type=positive_int, help="a word must occur this often in the text")
    held_out: float = option(0.25, type=float, help="share of the words held out for evaluation")
    queries: int = option(200, type=positive_int, quick=20, help="evaluation queries per cell")
    eval_every: int = option(200, type=positive_int)
    steps: int = option(3000, quick=40)


def add_arguments(parser):
    """The model's options of ``tgg train`` (and their defaults), from ``ICLConfig``."""
    add_config_arguments(parser, ICLConfig, title="icl")


def settle(args):
    """Fill the options left unset with the config's defaults, or its ``--quick`` values (``tgg train`` calls this
    before writing the run's config; ``train`` again, for callers that build ``args`` themselves)."""
    settle_quick(args, ICLConfig)


def train(args, run):
    """Train with ``args`` and write the metrics, checkpoint and figures into ``run``."""
    settle(args)
    t_start = time.perf_counter()
    sizes = parse_sizes(args.sizes)
    vocab, train_ids, val_ids = encode_corpus(args.text)
    lo, hi = (int(v) for v in args.word_lengths.split(","))
    words = wt.text_words(vocab.decode(np.concatenate([train_ids, val_ids])), (lo, hi), args.min_count)
    train_words, held = wt.split_words(words, args.held_out, seed=args.seed)
    docs = wt.TaskDocuments(train_words, args.instruction_rate, avoid=held, letters_rate=args.letters_rate)

    # the same tokens, in the same order, for every size
    rng = np.random.default_rng(args.seed)
    x, y = training_sequences(docs, train_ids, vocab, args.steps * args.batch_size, args.context,
                              args.task_fraction, rng, args.cut_rate)
    held_docs = wt.TaskDocuments(held, 0.0)
    task_x, task_y = training_sequences(held_docs, train_ids, vocab, 64, args.context, 1.0,
                                        np.random.default_rng(args.seed + 1))
    starts = val_starts(len(val_ids), 8, args.batch_size, args.context)
    cells = evaluation_prompts(held, args.queries, seed=args.seed + 2)
    needed = max(len(wt.with_instruction(t, p)) + len(a) for (t, _), (ps, ans) in cells.items()
                 for p, a in zip(ps, ans))
    if needed > args.context:
        raise ValueError(f"icl: the 8-shot prompts need a context of {needed} characters, got --context "
                         f"{args.context}; give a larger --context or shorter --word-lengths")
    prompts_sha = _save_prompts(run, cells)

    def held_out(model):
        model.eval()
        task_loss = [model(tg.tensor(task_x[i:i + 16], device=run.device),
                           tg.tensor(task_y[i:i + 16], device=run.device))[1].item() for i in range(0, 64, 16)]
        model.train()
        return {"val_loss": evaluate(model, val_ids, starts, args.context), "task_loss": float(np.mean(task_loss))}

    accuracy, params, val_loss, curves, seconds = {}, {}, {}, {}, {}
    tokens_per_step = args.batch_size * args.context
    for name, (layers, width, heads) in sizes.items():
        sub = run.child(name, vars(_size_args(args, run.out / name)))
        cached = _finished_evaluation(sub, args.steps, prompts_sha)
        tg.manual_seed(args.seed)
        model = GPT(GPTConfig(len(vocab), args.context, layers, width, heads)).to(run.device)
        optimizer, scheduler = make_optimizer(model, args.lr, args.steps, args.warmup, args.weight_decay,
                                              args.min_lr_ratio)
        loader = tg.data.DataLoader(x, y, batch_size=args.batch_size, seed=args.seed, device=run.device)
        scores, seconds[name] = train_steps(sub, model, optimizer, scheduler, loader, next_character_loss,
                                            args.steps, held_out, eval_every=args.eval_every,
                                            checkpoint_every=args.eval_every)
        curves[name] = [{"step": r["step"], "tokens": r["step"] * tokens_per_step, "val_loss": r["val_loss"],
                         "task_loss": r["task_loss"]} for r in sub.history if "val_loss" in r]
        for r in curves[name]:
            run.log(size=name, **r)
        if cached is not None:   # resumed after this size's training and evaluation had both finished
            accuracy[name] = cached
        else:
            before = _weights(model)
            accuracy[name] = accuracy_grid(model, vocab, cells, run.device)
            if not all(np.array_equal(b, a) for b, a in zip(before, _weights(model))):
                raise RuntimeError(f"icl: evaluating {name} changed its weights; in-context learning must not")
        params[name], val_loss[name] = non_embedding_params(model), scores
        sub.finish({"params": params[name], **scores, "prompts_sha256": prompts_sha, "accuracy": accuracy[name]})

    plot_icl(run, accuracy, params, ["unscramble"], "icl.png")
    plot_icl(run, accuracy, params, list(wt.TASKS), "icl_tasks.png")
    plot_losses(run, curves)
    first, last = next(iter(sizes)), list(sizes)[-1]
    un = {s: accuracy[s]["unscramble"] for s in sizes}
    return run.finish({
        "accuracy": accuracy, "params": params, "queries": args.queries, "ks": list(KS), "tasks": list(wt.TASKS),
        "held_out_loss": val_loss, "tokens": args.steps * tokens_per_step, "steps": args.steps,
        "configs": {n: {"layers": depth, "width": w, "heads": h, "context": args.context, "vocab_size": len(vocab)}
                    for n, (depth, w, h) in sizes.items()},
        "words": {"train": len(train_words), "held_out": len(held)},
        "goal": {"largest_8shot_minus_0shot_no_prompt":
                 un[last]["no_prompt"]["8"] - un[last]["no_prompt"]["0"],
                 "largest_minus_smallest_8shot_no_prompt": un[last]["no_prompt"]["8"] - un[first]["no_prompt"]["8"]},
        "train_seconds": seconds, "wall_seconds": time.perf_counter() - t_start})


def _save_prompts(run, cells):
    """``eval_prompts.json``: for every (task, k) the prompts without instruction and their answers (the instructed
    prompt puts ``word_tasks.INSTRUCTIONS[task]`` and a newline in front): what an independent check re-scores."""
    table = [{"task": t, "k": k, "prompts": ps, "answers": ans} for (t, k), (ps, ans) in cells.items()]
    text = json.dumps({"instructions": wt.INSTRUCTIONS, "cells": table})
    (run.out / "eval_prompts.json").write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _size_args(args, folder):
    """The options of one size's own run folder: the sweep's, less the list of sizes (the folder names the size), so
    that a size trained by another sweep (or alone, ``--sizes``) can be resumed into this one."""
    options = {k: v for k, v in vars(args).items() if k not in ("sizes", "quick")}
    return argparse.Namespace(**{**options, "out": str(folder)})


def _finished_evaluation(sub, steps, prompts_sha):
    """A resumed size whose checkpoint is at the last step and whose metrics.json holds the accuracy on these same
    prompts (by their SHA-256) is not evaluated again: its saved accuracy, else None."""
    path = sub.out / "metrics.json"
    if not sub.resuming or not path.is_file():
        return None
    saved = json.loads(path.read_text(encoding="utf-8"))
    if saved.get("prompts_sha256") != prompts_sha or "accuracy" not in saved:
        return None
    _, meta = read_checkpoint(sub.checkpoint_path)
    return saved["accuracy"] if meta["extra"].get("step") == steps else None
