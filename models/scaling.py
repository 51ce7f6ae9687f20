"""Why scale: the held-out loss of a GPT falls as a smooth power law in its size N (Kaplan et al. 2020), measured on
the engine.

Six GPT sizes, spanning over two decades of non-embedding parameters N, are each trained with the same GPT-3 recipe
on the same tokens of the embedded text, in the same order. The held-out loss is measured several times during
training (at D tokens seen, compute C = 6 N D floating-point operations), and the final losses are fitted with
L(N) = E + A N^(-alpha) (``power_law``): E the loss no size reaches (the text's own entropy plus what this budget
cannot learn), alpha how fast more parameters help.

    tgg train scaling            # 6 sizes, 0.5k .. 85k non-embedding parameters, 800 steps of 32 x 64 characters
    tgg train scaling --quick    # 6 tiny sizes, 60 steps: the whole pipeline in well under 2 minutes

Sizes can be trained apart, in parallel (``tgg train scaling --sizes 2x64x4 --out A``, one size per folder) and
gathered: copy the size folders into one ``--out`` and run the sweep there with ``--resume``; a finished size is not
trained again.

Files: ``metrics.json`` (``sizes``: one ``{n_params, tokens, compute, val_loss}`` per size; ``fit``: ``{E, A, alpha,
r2, alpha_ci}``), ``metrics.csv`` (one row per size and evaluation), ``scaling_params.png`` (final loss vs N with the
fit), ``scaling_tokens.png`` (loss vs tokens seen, one curve per size), ``scaling_compute.png`` (loss vs C with the
compute frontier), and one folder per size with its checkpoint.
"""
import argparse
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen.options import nonnegative_int, positive_float, positive_int

from .config_options import add_config_arguments, option, settle_quick
from .gpt import GPT, GPTConfig, encode_corpus, evaluate, next_character_loss, val_starts
from .gpt3_recipe import make_optimizer, train_steps
from .icl import parse_sizes
from .param_count import non_embedding_params
from .power_law import bootstrap_alpha, fit_power_law, predict

SIZES = "1x6x1,1x8x1,1x16x2,2x20x2,2x36x4,3x48x4"     # layers x width x heads
QUICK_SIZES = "1x8x1,1x12x2,1x16x2,2x16x2,2x24x2,2x32x4"
KAPLAN_ALPHA_N = 0.076


# ----- figures -----

def plot_params(run, sizes, fit):
    """Validation loss against parameters, with the fitted power law."""
    import matplotlib.pyplot as plt
    n = np.array([s["n_params"] for s in sizes], float)
    loss = np.array([s["val_loss"] for s in sizes])
    grid = np.geomspace(n.min() / 1.5, n.max() * 1.5, 200)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(n, loss, "o", label="final held-out loss")
    ax.loglog(grid, predict(fit, grid), "-", label=f"L = {fit['E']:.2f} + {fit['A']:.3g} N^-{fit['alpha']:.3f}"
                                                   f"  (R² {fit['r2']:.3f})")
    ax.set_xlabel("non-embedding parameters N")
    ax.set_ylabel("held-out loss (nats/char)")
    ax.set_title(f"loss vs model size, {sizes[0]['tokens'] / 1e6:.2f}M training tokens each")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return run.savefig(fig, "scaling_params.png")


def plot_curves(run, curves, key, name, xlabel, frontier=False):
    """One curve per size of ``key`` against steps, tokens or compute."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for size, rows in curves.items():
        ax.loglog([r[key] for r in rows], [r["val_loss"] for r in rows], marker=".", label=size)
    if frontier:  # the lowest loss any size reached for at most this much compute
        points = sorted((r[key], r["val_loss"]) for rows in curves.values() for r in rows)
        best, front = np.inf, []
        for c, v in points:
            if v < best:
                best = v
                front.append((c, v))
        ax.loglog(*zip(*front), "k--", lw=1.5, label="compute frontier")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("held-out loss (nats/char)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, title="layers x width")
    return run.savefig(fig, name)


# ----- tgg train scaling -----

TRAINED_BY = "steps"  # tgg train: every size trains for --steps optimizer steps


@dataclass
class ScalingConfig:
    """Every default of ``tgg train scaling`` (its options are generated from these fields; ``--quick`` takes the
    smaller values given as ``quick=``)."""
    quick: bool = option(False, help="six tiny sizes and few steps (a smoke test)")
    sizes: str = option(SIZES, type=str, quick=QUICK_SIZES, help="comma-separated LAYERSxWIDTHxHEADS")
    text: Optional[str] = option(None, type=str, help="a UTF-8 text file to train on (default pydoc_data)")
    context: int = option(64, type=positive_int, quick=32, help="characters per window")
    batch_size: int = option(32, type=positive_int, quick=16, help="windows per step")
    lr: float = option(2e-3, type=positive_float, help="peak learning rate, the same for every size")
    warmup: int = option(50, type=nonnegative_int, quick=10, help="warm-up steps")
    min_lr_ratio: float = option(0.1, type=float)
    weight_decay: float = option(0.1, type=float)
    evals: int = option(8, type=positive_int, help="held-out evaluations per size during training")
    eval_batches: int = option(20, type=positive_int, quick=4, help="held-out batches per evaluation")
    bootstrap: int = option(300, type=positive_int, help="bootstrap refits for alpha_ci")
    steps: int = option(800, quick=60)


def add_arguments(parser):
    """The model's options of ``tgg train`` (and their defaults), from ``ScalingConfig``."""
    add_config_arguments(parser, ScalingConfig, title="scaling")


def settle(args):
    """Fill the options left unset with the config's defaults, or its ``--quick`` values (``tgg train`` calls this
    before writing the run's config; ``train`` again, for callers that build ``args`` themselves)."""
    settle_quick(args, ScalingConfig)


def train(args, run):
    """Train with ``args`` and write the metrics, checkpoint and figures into ``run``."""
    settle(args)
    t_start = time.perf_counter()
    sizes = parse_sizes(args.sizes, "scaling")
    vocab, train_ids, val_ids = encode_corpus(args.text)
    starts = val_starts(len(val_ids), args.eval_batches, args.batch_size, args.context)
    eval_every = max(1, args.steps // args.evals)
    tokens_per_step = args.batch_size * args.context
    results, curves, seconds = [], {}, {}
    for name, (layers, width, heads) in sizes.items():
        sub = run.child(name, vars(_size_args(args, run.out / name)))
        tg.manual_seed(args.seed)
        model = GPT(GPTConfig(len(vocab), args.context, layers, width, heads)).to(run.device)
        n_params = non_embedding_params(model)
        optimizer, scheduler = make_optimizer(model, args.lr, args.steps, args.warmup, args.weight_decay,
                                              args.min_lr_ratio)
        # the same seed: every size sees the same windows in the same order
        loader = tg.data.DataLoader(tg.data.TextWindows(train_ids, args.context), batch_size=args.batch_size,
                                    seed=args.seed, device=run.device)
        scores, seconds[name] = train_steps(
            sub, model, optimizer, scheduler, loader, next_character_loss, args.steps,
            lambda m: {"val_loss": evaluate(m, val_ids, starts, args.context)},
            eval_every=eval_every, checkpoint_every=eval_every)
        curves[name] = []
        for r in sub.history:
            if "val_loss" in r:
                tokens = r["step"] * tokens_per_step
                curves[name].append({"step": r["step"], "tokens": tokens, "compute": 6.0 * n_params * tokens,
                                     "val_loss": r["val_loss"]})
                run.log(size=name, n_params=n_params, **curves[name][-1])
        tokens = args.steps * tokens_per_step
        results.append({"name": name, "layers": layers, "width": width, "heads": heads, "n_params": n_params,
                        "tokens": tokens, "compute": 6.0 * n_params * tokens, "val_loss": scores["val_loss"]})
        sub.finish({"n_params": n_params, **scores})

    n = [r["n_params"] for r in results]
    loss = [r["val_loss"] for r in results]
    fit = fit_power_law(n, loss)
    fit["alpha_ci"] = bootstrap_alpha(n, loss, fit, resamples=args.bootstrap, seed=args.seed)
    order = np.argsort(n)
    falling = bool(np.all(np.diff(np.asarray(loss)[order]) < 0))
    plot_params(run, results, fit)
    plot_curves(run, curves, "tokens", "scaling_tokens.png", "training tokens seen D")
    plot_curves(run, curves, "compute", "scaling_compute.png", "training compute C = 6 N D (FLOPs)", frontier=True)
    run.plot_curves("loss.png", keys=["val_loss"], title="held-out loss of every size (see scaling_*.png)")
    return run.finish({"sizes": results, "fit": fit, "loss_falls_with_n": falling,
                       "decades_of_n": float(np.log10(max(n) / min(n))), "kaplan_alpha_n": KAPLAN_ALPHA_N,
                       "train_seconds": seconds, "wall_seconds": time.perf_counter() - t_start})


def _size_args(args, folder):
    """The options of one size's own run folder: the sweep's, less the list of sizes (the folder names the size), so
    that a size trained by another sweep (or alone, ``--sizes``) can be resumed into this one."""
    options = {k: v for k, v in vars(args).items() if k not in ("sizes", "quick")}
    return argparse.Namespace(**{**options, "out": str(folder)})
