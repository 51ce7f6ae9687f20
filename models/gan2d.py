"""Mode collapse, measured: a GAN on 8 Gaussians on a ring (radius 2, sigma 0.02) or 25 on a 5x5 grid (sigma 0.05).

    tgg train gan2d --dataset ring|grid --seeds 5 [--pack M] [--r1 GAMMA] [--lr-decay 0|1] [--topk F]

A mode is captured when >= 20 of 2000 samples lie within 3 sigma of it; a sample is high-quality within 3 sigma of
some mode.  Reported over seeds as ``modes_mean``, ``modes_sd``, ``hq_mean`` (with the techniques used), with a
scatter of each seed's samples over the true modes (``scatter.png``) and the samples themselves (``samples_seedK.npy``).

Well-known remedies, each switchable:
  * packing (PacGAN, Lin et al. 2018): D judges M samples at once, all real or all generated, so a generator that
    drops modes produces packs that are visibly too alike;
  * R1 gradient penalty (Mescheder et al. 2018): gamma/2 E_x ||grad_x D(x)||^2 on real data, a double backward
    through D, keeps D flat on the data so training settles instead of circling between modes;
  * learning-rate decay: both learning rates fall linearly to 0 over the run, so the game settles;
  * top-k training (Sinha et al. 2020): G learns only from its samples that D rates most real.
"""
from dataclasses import dataclass

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen import nn, optim
from tinygrad_gen.data import DataLoader, grid_mixture, ring_mixture
from tinygrad_gen.options import positive_float, positive_int

from .config_options import add_config_arguments, config_of, option
from .gan_data_parallel import batch_means, check_batch_splits
from .gan_losses import GENERATOR_LOSSES, discriminator_loss, r1_penalty
from .gan_metrics import mode_coverage
from .step_update import optimizer_update

DATASETS = {"ring": ring_mixture, "grid": grid_mixture}
# default --steps, measured over 5 seeds: ring 8/8 modes at 93 % high-quality after 6000 (88 % after 4000);
# grid 25/25 at 92 % after 10000 (22.8/25 at 78 % after 6000)
STEPS = {"ring": 6000, "grid": 10000}
N_EVAL = 2000
N_TRAIN = 100_000  # the training set: one fixed draw from the mixture, the same for every seed, like a data set


def mlp(n_in, n_out, hidden, act):
    """An MLP with three hidden layers of ``hidden`` units and ``act`` between them."""
    return nn.Sequential(nn.Linear(n_in, hidden), act(), nn.Linear(hidden, hidden), act(),
                         nn.Linear(hidden, hidden), act(), nn.Linear(hidden, n_out))


class Generator(nn.Module):
    """G: code z ~ N(0, I) -> a point in the plane."""

    def __init__(self, z_dim, hidden):
        super().__init__()
        self.z_dim = z_dim
        self.net = mlp(z_dim, 2, hidden, nn.ReLU)

    def forward(self, z):
        """The module applied to a batch (see the class docstring)."""
        return self.net(z)


class Discriminator(nn.Module):
    """D: a pack of M points, (B, 2) read as (B / M, 2M), -> one logit per pack."""

    def __init__(self, hidden, pack=1):
        super().__init__()
        self.pack = pack
        self.net = mlp(2 * pack, 1, hidden, lambda: nn.LeakyReLU(0.2))

    def forward(self, x):
        """The module applied to a batch (see the class docstring)."""
        return self.net(x.reshape(x.shape[0] // self.pack, 2 * self.pack))


TRAINED_BY = "steps"  # tgg train: the run's length is counted in steps (--epochs is refused)


@dataclass
class GAN2DConfig:
    """Every default of ``tgg train gan2d`` (its options are generated from these fields)."""
    dataset: str = option("ring", choices=tuple(sorted(DATASETS)),
                          help=f"the mixture; --steps defaults to {', '.join(f'{k} {v}' for k, v in STEPS.items())}")
    seeds: int = option(5, type=positive_int, help="independent runs, seeds seed .. seed + N - 1")
    g_loss: str = option("ns", choices=tuple(sorted(GENERATOR_LOSSES)))
    pack: int = option(1, type=positive_int, help="PacGAN packing degree (1 = off)")
    r1: float = option(0.1, help="R1 penalty weight gamma (0 = off)")
    batch: int = option(256, type=positive_int)
    hidden: int = option(128, type=positive_int)
    z_dim: int = option(2, type=positive_int)
    lr: float = option(1e-3, type=positive_float)
    lr_decay: int = option(1, type=int, choices=(0, 1), help="1: lr falls linearly to 0")
    topk: float = option(1.0, help="top-k training: final fraction of G's batch kept")
    betas: tuple = (0.5, 0.999)  # Adam's, for both players (not an option)


def add_arguments(parser):
    """The model's options of ``tgg train`` (and their defaults), from ``GAN2DConfig``."""
    add_config_arguments(parser, GAN2DConfig)


def make_models(config, device="cpu"):
    """G and D of ``config``."""
    return Generator(config.z_dim, config.hidden).to(device), Discriminator(config.hidden, config.pack).to(device)


def make_optimizers(G, D, config):
    """{"G": Adam, "D": Adam} with the config's rate and betas."""
    adam = dict(lr=config.lr, betas=tuple(config.betas))
    return {"G": optim.Adam(G.parameters(), **adam), "D": optim.Adam(D.parameters(), **adam)}


def build(args, x_train, device):
    """One independent run's parts: G and D, their Adam optimizers, the loader of shuffled training batches."""
    G, D = make_models(config_of(args, GAN2DConfig), device)
    return {"modules": {"G": G, "D": D}, "optimizers": make_optimizers(G, D, config_of(args, GAN2DConfig)),
            "loaders": {"train": DataLoader(x_train, batch_size=args.batch, drop_last=True, device=device)}}


def set_lr(step, args, *optimizers):
    """Set every optimizer's rate for ``step`` (a linear decay to 0 with --lr-decay)."""
    lr = args.lr * (1 - step / args.steps) if args.lr_decay else args.lr
    for opt in optimizers:
        for group in opt.param_groups:
            group["lr"] = lr


def codes(n, z_dim, device, dtype=None):
    """``n`` codes z ~ N(0, I) of size ``z_dim`` (float32 unless ``dtype`` says otherwise)."""
    return tg.randn(n, z_dim, device=device, dtype=dtype)


def top_k(logits, args, step):
    """Top-k training (Sinha et al. 2020): G learns only from the samples D rates most real; the others, often
    stranded between modes, would pull G towards the gaps.  k shrinks linearly from the whole batch to
    ``topk`` x batch over the run."""
    frac = 1 - (1 - args.topk) * step / args.steps
    k = max(1, int(round(frac * logits.shape[0])))
    best = np.argsort(-logits.detach().numpy()[:, 0])[:k]
    return logits[best]


def step_losses(G, D, x, z_d, z_g, config, update, step=0):
    """One alternating step on the real batch ``x`` with codes ``z_d`` (D's fakes) and ``z_g`` (G's): J_D
    (+ gamma/2 R1, a double backward through D) goes to ``update("D", loss)``, which steps D, then J_G through the
    updated D to ``update("G", loss)``. Returns {"d_loss": J_D, "g_loss": J_G}. ``tgg train``, ``tgg bench step``
    and ``tgg graph`` all run this."""
    with tg.no_grad():
        fake = G(z_d)
    d_loss = discriminator_loss(D(x), D(fake))
    if config.r1 > 0:
        d_loss = d_loss + 0.5 * config.r1 * r1_penalty(D, x)
    update("D", d_loss)
    logits = D(G(z_g))
    if config.topk < 1:
        logits = top_k(logits, config, step)
    g_loss = GENERATOR_LOSSES[config.g_loss](logits)
    update("G", g_loss)
    return {"d_loss": d_loss, "g_loss": g_loss}


def train_step(G, D, opt_g, opt_d, x, args, step=0, data_parallel=None):
    """One training step on the whole real batch ``x`` (codes drawn here, for the whole batch); returns this rank's
    (J_D, J_G) as floats. In a ``data_parallel`` job every rank draws the same codes and runs ``step_losses`` on its
    rows of ``x`` and of the codes, and the ranks' gradients are averaged before each optimizer step: the mean
    losses, the packs (whole within a shard: see ``check_data_parallel``) and R1 (a mean of per-example input
    gradients) then give each player the gradient of the whole batch."""
    z_d, z_g = (codes(args.batch, args.z_dim, x.device, x.dtype) for _ in range(2))
    update = optimizer_update({"G": opt_g, "D": opt_d})
    if data_parallel is not None:
        x, z_d, z_g = map(data_parallel.shard, (x, z_d, z_g))
        update = optimizer_update({"G": opt_g, "D": opt_d}, before_step=data_parallel.average_gradients)
    losses = step_losses(G, D, x, z_d, z_g, args, update, step)
    return losses["d_loss"].item(), losses["g_loss"].item()


def check_data_parallel(args, data_parallel):
    """Refuse (ValueError) options that the job's ranks cannot share exactly: a shard must hold whole packs, and
    top-k training ranks G's samples over the whole batch (its loss is no mean over independent examples; a shard's
    own top k would be another loss), so --topk < 1 trains on one rank only."""
    if data_parallel.world_size == 1:
        return
    if args.topk < 1:
        raise ValueError(f"gan2d: --topk {args.topk} keeps the best of the whole batch, which "
                         f"{data_parallel.world_size} ranks do not see; train it with --ranks 1")
    check_batch_splits("gan2d", args.batch, data_parallel, multiple=args.pack,
                       why=f" in whole packs of {args.pack}" if args.pack > 1 else "")


def graph_step(batch=32):
    """The default step on a small batch, for ``tgg graph``: ({loss name: loss}, {"G": G, "D": D})."""
    config = GAN2DConfig(batch=batch)
    G, D = make_models(config)
    x = tg.tensor(DATASETS[config.dataset]().sample(batch, np.random.default_rng(0)))
    z_d, z_g = (codes(batch, config.z_dim, "cpu") for _ in range(2))
    return step_losses(G, D, x, z_d, z_g, config, lambda name, loss: None), {"G": G, "D": D}


def evaluate(G, data, z_dim, seed):
    """Mode coverage and sample quality of G on a fixed draw of codes."""
    with tg.no_grad():
        z = np.random.default_rng(10_000 + seed).standard_normal((N_EVAL, z_dim)).astype(np.float32)
        samples = G(tg.tensor(z, device=G.device)).numpy()
    return samples, mode_coverage(samples, data.means, float(data.stds[0]))


def scatter_figure(all_samples, results, data, name):
    """The samples of each seed over the mixture's modes, side by side."""
    import matplotlib.pyplot as plt
    n = len(all_samples)
    fig, axes = plt.subplots(1, n, figsize=(3 * n, 3.1), squeeze=False)
    lim = np.abs(data.means).max() + 1.0
    for ax, s, r in zip(axes[0], all_samples, results):
        ax.scatter(s[:, 0], s[:, 1], s=1, alpha=0.4, c="tab:green")
        for m in data.means:
            ax.add_patch(plt.Circle(m, 3 * data.stds[0], fill=False, color="k", lw=0.8))
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal",
               title=f"{name} seed {r['seed']}: {r['modes']}/{len(data)} modes, {100 * r['hq']:.0f}% HQ")
        ax.title.set_fontsize(8)
    fig.tight_layout()
    return fig


def train(args, run):
    """Train with ``args`` and write the metrics, checkpoint and figures into ``run``."""
    if args.batch % args.pack:
        raise ValueError(f"gan2d: --batch {args.batch} must be a multiple of --pack {args.pack}")
    dp = run.data_parallel  # data-parallel (tgg train --ranks N): rank 0's weights, a shard of every batch
    check_data_parallel(args, dp)
    data = DATASETS[args.dataset]()
    args.steps = args.steps or STEPS[args.dataset]
    x_train = data.sample(N_TRAIN, np.random.default_rng(0))
    parts = build(args, x_train, run.device)
    state = run.restore(**parts) or {}
    first, step, results = state.get("seed_index", 0), state.get("step", 0), state.get("results", [])
    bar = run.progress(args.seeds * args.steps - first * args.steps - step, desc=f"gan2d {args.dataset}")
    for k in range(first, args.seeds):
        seed = args.seed + k
        if not (k == first and step > 0):   # else: go on with the run the checkpoint restored
            tg.manual_seed(seed)            # run k is the run that --seed SEED+k --seeds 1 makes
            parts = build(args, x_train, run.device)
            step = 0
        (G, D), (opt_g, opt_d) = parts["modules"].values(), parts["optimizers"].values()
        dp.broadcast(G, D)
        batches = parts["loaders"]["train"].batches()
        while step < args.steps:
            set_lr(step, args, opt_g, opt_d)
            d_loss, g_loss = train_step(G, D, opt_g, opt_d, next(batches), args, step, dp)
            step += 1
            bar.update(1)
            if step % 100 == 0:
                d_loss, g_loss = batch_means([d_loss, g_loss], args.batch, dp)
                run.log(step=k * args.steps + step, seed=seed, d_loss=d_loss, g_loss=g_loss)
            if step % 1000 == 0 and step < args.steps:
                run.save_checkpoint(**parts, extra={"seed_index": k, "step": step, "results": results})
        samples, cov = evaluate(G, data, args.z_dim, seed)
        np.save(run.out / f"samples_seed{k}.npy", samples)
        results.append({"seed": seed, "modes": cov["modes"], "hq": cov["hq"], "counts": cov["counts"]})
        bar.set_postfix(modes=cov["modes"], hq=round(cov["hq"], 3))
        run.save_checkpoint(**parts, extra={"seed_index": k + 1, "step": 0, "results": results})
        step = 0
    all_samples = [np.load(run.out / f"samples_seed{k}.npy") for k in range(args.seeds)]
    run.savefig(scatter_figure(all_samples, results, data, args.dataset), "scatter.png")
    modes = np.array([r["modes"] for r in results], float)
    hq = np.array([r["hq"] for r in results], float)
    run.finish({
        "dataset": args.dataset, "n_modes": len(data), "sigma": float(data.stds[0]), "seeds": args.seeds,
        "steps": args.steps,
        "modes_mean": float(modes.mean()), "modes_sd": float(modes.std(ddof=1)) if len(modes) > 1 else 0.0,
        "hq_mean": float(hq.mean()), "hq_sd": float(hq.std(ddof=1)) if len(hq) > 1 else 0.0,
        "techniques": {"pack": args.pack, "r1_gamma": args.r1, "lr_decay": bool(args.lr_decay), "topk": args.topk,
                       "g_loss": args.g_loss, "z_dim": args.z_dim, "batch": args.batch},
        "per_seed": results,
        "criteria": {"captured": "≥ 20 of 2000 samples within 3 sigma", "high_quality": "within 3 sigma of a mode",
                     "hq": "fraction of the 2000 samples (0.93 = 93 %)"},
    })


def sample(args):
    """tgg sample gan2d --ckpt DIR [--n N]: N points from the last trained generator over the true modes."""
    from tinygrad_gen.run import load_run
    config, parts = load_run(args.ckpt, lambda config: {"G": Generator(config.z_dim, config.hidden)}, args.model,
                             args.device)
    G, data = parts["G"], DATASETS[config.dataset]()
    with tg.no_grad():
        samples = G(tg.tensor(np.random.default_rng(args.seed).standard_normal((args.n, config.z_dim))
                              .astype(np.float32), device=args.device)).numpy()
    cov = mode_coverage(samples, data.means, float(data.stds[0]))
    fig = scatter_figure([samples], [{"seed": args.seed, **cov}], data, config.dataset)
    fig.savefig(f"{args.out}/samples.png", dpi=110, bbox_inches="tight")
    np.save(f"{args.out}/samples_n{args.n}.npy", samples)
