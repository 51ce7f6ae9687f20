"""The lecture's 1-dimensional GAN: a generator network maps a code z ~ N(0, 1) to x, a discriminator tells its
samples from a 1-D Gaussian mixture, and the two are trained alternately.

    tgg train gan1d [--g-loss minimax|ns] [--d-warmup K]

Writes the classic strip (data density, generated density, D(x), at several points of training: ``gan1d.png``),
per-step losses and the generator's gradient norm (``metrics.csv``, ``curves.png``), and the saturation experiment:
the discriminator is first trained alone until it wins (D(G(z)) ~ 0), then the generator is trained from that same
state once with the minimax cost and once with the non-saturating cost (``saturation.png``, ``metrics.json``).
"""
from dataclasses import dataclass

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen import nn, optim
from tinygrad_gen import random as tg_random
from tinygrad_gen.data import DataLoader, mixture_1d
from tinygrad_gen.options import nonnegative_int, positive_float, positive_int

from .config_options import add_config_arguments, option
from .gan_data_parallel import batch_means
from .gan_losses import GENERATOR_LOSSES, discriminator_loss

BATCH = 128
N_TRAIN = 20000  # the training set: one fixed draw from the mixture, the same for every seed, like a data set
GRID = np.linspace(-5, 5, 101)


class Generator(nn.Module):
    """G: z ~ N(0, 1) -> x, a small MLP."""

    def __init__(self, hidden=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

    def forward(self, z):
        """The module applied to a batch (see the class docstring)."""
        return self.net(z)


class Discriminator(nn.Module):
    """D: x -> logit of "x came from the data" (D(x) = sigmoid of it)."""

    def __init__(self, hidden=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

    def forward(self, x):
        """The module applied to a batch (see the class docstring)."""
        return self.net(x)


TRAINED_BY = "steps"  # tgg train: the run's length is counted in steps (--epochs is refused)


@dataclass
class GAN1DConfig:
    """Every default of ``tgg train gan1d`` (its options are generated from these fields)."""
    g_loss: str = option("ns", choices=tuple(sorted(GENERATOR_LOSSES)),
                         help="generator cost: minimax E[log(1 - D(G(z)))] or non-saturating E[-log D(G(z))]")
    d_warmup: int = option(0, type=nonnegative_int, help="train D alone this many steps first (D wins early)")
    lr: float = option(1e-3, type=positive_float)
    saturation_warmup: int = option(300, type=nonnegative_int, help="D-only steps before the minimax-vs-ns comparison")
    saturation_steps: int = option(300, type=positive_int, help="G steps per loss in the comparison")
    saturation_lr: float = option(0.05, type=positive_float, help="G's SGD learning rate in the comparison")
    log_every: int = option(1, type=positive_int, help="steps between rows of metrics.csv")
    steps: int = 1500


def add_arguments(parser):
    """The model's options of ``tgg train`` (and their defaults), from ``GAN1DConfig``."""
    add_config_arguments(parser, GAN1DConfig)


def build(lr, device):
    """The generator, the discriminator and their Adam optimizers (the DCGAN betas)."""
    G, D = Generator().to(device), Discriminator().to(device)
    adam = dict(lr=lr, betas=(0.5, 0.999))
    return G, D, optim.Adam(G.parameters(), **adam), optim.Adam(D.parameters(), **adam)


def grad_norm(module):
    """The gradient norm over a module's parameters (how strongly G learns)."""
    return float(np.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum())
                             for p in module.parameters() if p.grad is not None)))


def training_batches(x_train, device):
    """Endless shuffled batches of the training set (``N_TRAIN, 1``), on ``device``."""
    return DataLoader(x_train, batch_size=BATCH, drop_last=True, device=device)


def d_loss_of(G, D, x, z):
    """J_D on the real batch ``x`` and G's images of the codes ``z`` (G held fixed: no graph through it)."""
    with tg.no_grad():
        fake = G(z)
    return discriminator_loss(D(x), D(fake))


def g_loss_of(G, D, z, g_loss):
    """J_G (``g_loss``: "minimax" or "ns") of the codes ``z`` through D, and D's logits of G(z)."""
    logits = D(G(z))
    return GENERATOR_LOSSES[g_loss](logits), logits


def d_step(G, D, opt_d, x, dp):
    """Update the discriminator: one step down J_D on a real batch ``x`` and a generated one (G held fixed). In the
    data-parallel job ``dp`` each rank takes its rows of both (the codes are drawn for the whole batch on every
    rank) and the ranks' gradients are averaged before the step. Returns this rank's J_D."""
    z = dp.shard(tg.randn(BATCH, 1, device=G.device, dtype=x.dtype))
    loss = d_loss_of(G, D, dp.shard(x), z)
    opt_d.zero_grad()
    loss.backward()
    dp.average_gradients(D.parameters())
    opt_d.step()
    return loss.item()


def g_step(G, D, opt_g, g_loss, dp, dtype=None):
    """Update the generator: one step down J_G through the (fixed) discriminator, on this rank's rows of codes drawn
    for the whole batch, the ranks' gradients averaged; returns this rank's cost and mean D(G(z)) and the norm of
    the whole batch's |dJ_G/dtheta_G|."""
    z = dp.shard(tg.randn(BATCH, 1, device=G.device, dtype=dtype))
    loss, logits = g_loss_of(G, D, z, g_loss)
    opt_g.zero_grad()
    loss.backward()
    dp.average_gradients(G.parameters())
    norm = grad_norm(G)
    opt_g.step()
    D.zero_grad()  # J_G's backward also reached D's parameters; D's own step starts clean
    return loss.item(), norm, float(logits.detach().sigmoid().numpy().mean())


def snapshot(G, D, step, n=20000):
    """Generated density (histogram over GRID) and D(x) on GRID, for the strip figure."""
    with tg.no_grad():
        z = np.random.default_rng(step).standard_normal((n, 1)).astype(np.float32)
        x = G(tg.tensor(z, device=G.device)).numpy()[:, 0]
        d = D(tg.tensor(GRID[:, None].astype(np.float32), device=D.device)).sigmoid().numpy()[:, 0]
    hist, _ = np.histogram(x, bins=len(GRID) - 1, range=(GRID[0], GRID[-1]), density=True)
    return {"step": step, "hist": hist.tolist(), "d": d.tolist()}


def strip_figure(snapshots, data):
    """The generated density against the data at each snapshot, side by side."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(snapshots), figsize=(3.2 * len(snapshots), 2.8), sharey=True)
    centers = (GRID[1:] + GRID[:-1]) / 2
    for ax, s in zip(np.atleast_1d(axes), snapshots):
        ax.plot(GRID, data.pdf(GRID), "k:", label="data density")
        ax.plot(centers, s["hist"], "g-", label="generated density")
        ax.plot(GRID, s["d"], "b--", label="D(x)")
        ax.set(title=f"step {s['step']}", ylim=(0, 1.05))
        ax.set_xlabel("x")
    np.atleast_1d(axes)[0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def saturation_experiment(args, x_train, device, dp):
    """D wins first; then from that same state train G with each cost and record |dJ_G/dtheta_G| per step. Both
    costs replay the same random draws (the engine generator's state is put back), so they start identical. Data
    parallel as the main loop (``dp``); the recorded losses and D(G(z)) are the whole batch's."""
    start, out = tg_random.get_state(), {}
    for g_loss in ("minimax", "ns"):
        tg_random.set_state(start)
        G, D, _, opt_d = build(args.lr, device)
        dp.broadcast(G, D)
        batches = training_batches(x_train, device).batches()
        # plain gradient descent for G, as on the slides: Adam divides each step by the gradient's recent size,
        # which would hide a vanishing gradient (its steps stay full-size however small the gradient gets)
        opt_g = optim.SGD(G.parameters(), lr=args.saturation_lr)
        for _ in range(args.saturation_warmup):
            d_step(G, D, opt_d, next(batches), dp)
        rows = {"g_loss": [], "g_grad_norm": [], "d_fake": [], "d_loss": []}
        for _ in range(args.saturation_steps):
            gl, norm, d_fake = g_step(G, D, opt_g, g_loss, dp)
            dl = d_step(G, D, opt_d, next(batches), dp)
            gl, d_fake, dl = batch_means([gl, d_fake, dl], BATCH, dp)
            for k, v in zip(("g_loss", "g_grad_norm", "d_fake", "d_loss"), (gl, norm, d_fake, dl)):
                rows[k].append(v)
        out[g_loss] = rows
    return out


def saturation_figure(result):
    """The minimax loss saturating while the non-saturating one learns: G's gradient norm over steps."""
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    for g_loss, style in (("minimax", "r-"), ("ns", "g-")):
        a.semilogy(result[g_loss]["g_grad_norm"], style, label=g_loss)
        b.plot(result[g_loss]["d_fake"], style, label=g_loss)
    a.set(title="generator gradient norm (D won first)", xlabel="G step")
    b.set(title="mean D(G(z))", xlabel="G step", ylim=(0, 1))
    a.legend()
    fig.tight_layout()
    return fig


def train(args, run):
    """Train with ``args`` and write the metrics, checkpoint and figures into ``run``."""
    data = mixture_1d()
    x_train = data.sample(N_TRAIN, np.random.default_rng(0))
    G, D, opt_g, opt_d = build(args.lr, run.device)
    loader = training_batches(x_train, run.device)
    parts = {"modules": {"G": G, "D": D}, "optimizers": {"G": opt_g, "D": opt_d}, "loaders": {"train": loader}}
    state = run.restore(**parts) or {}
    dp = run.data_parallel  # data-parallel (tgg train --ranks N): rank 0's weights, a shard of every batch
    dp.broadcast(G, D)
    step, snaps = state.get("step", 0), state.get("snapshots", [])
    batches = loader.batches()
    if step == 0:
        for _ in range(args.d_warmup):
            d_step(G, D, opt_d, next(batches), dp)
    marks = sorted({int(round(f * args.steps)) for f in (0, 0.05, 0.2, 0.5, 1.0)})
    bar = run.progress(args.steps - step, desc="gan1d")
    d_loss = norm = None
    while step < args.steps:
        if step in marks and all(s["step"] != step for s in snaps):
            snaps.append(snapshot(G, D, step))
        d_loss = d_step(G, D, opt_d, next(batches), dp)
        g_loss, norm, d_fake = g_step(G, D, opt_g, args.g_loss, dp)
        d_loss, g_loss, d_fake = batch_means([d_loss, g_loss, d_fake], BATCH, dp)  # what one process logs
        step += 1
        if step % args.log_every == 0:
            run.log(step=step, d_loss=d_loss, g_loss=g_loss, g_grad_norm=norm, d_fake=d_fake)
        bar.update(1)
        if step % 500 == 0 or step == args.steps:
            run.save_checkpoint(**parts, extra={"step": step, "snapshots": snaps})
    if all(s["step"] != step for s in snaps):
        snaps.append(snapshot(G, D, step))
    run.savefig(strip_figure(snaps, data), "gan1d.png")
    run.plot_curves("curves.png", keys=["d_loss", "g_loss", "g_grad_norm"])

    sat = saturation_experiment(args, x_train, run.device, dp)
    run.savefig(saturation_figure(sat), "saturation.png")
    early = min(10, args.saturation_steps)
    with tg.no_grad():
        x = G(tg.tensor(np.random.default_rng(0).standard_normal((20000, 1)).astype(np.float32),
                        device=G.device)).numpy()[:, 0]
    np.save(run.out / "samples.npy", x)
    summary = {g: {"g_grad_norm_first": r["g_grad_norm"][0],
                   "g_grad_norm_first10_mean": float(np.mean(r["g_grad_norm"][:early])),
                   "g_grad_norm_last10_mean": float(np.mean(r["g_grad_norm"][-early:])),
                   "d_fake_first": r["d_fake"][0], "d_fake_last10_mean": float(np.mean(r["d_fake"][-early:]))}
               for g, r in sat.items()}
    centers = (GRID[1:] + GRID[:-1]) / 2

    def density_l1(hist):  # integral of |generated density - data density|: 0 for a perfect fit, at most 2
        return float(np.abs(np.asarray(hist) - data.pdf(centers)).sum() * (GRID[1] - GRID[0]))
    run.finish({
        "g_loss": args.g_loss, "steps": args.steps,
        "final_d_loss": d_loss, "final_g_grad_norm": norm,
        "generated_mean": float(x.mean()), "generated_std": float(x.std()),
        "density_l1": density_l1(snaps[-1]["hist"]), "density_l1_at_start": density_l1(snaps[0]["hist"]),
        "saturation": summary,
        "saturation_ratio_ns_over_minimax": summary["ns"]["g_grad_norm_first10_mean"]
        / max(summary["minimax"]["g_grad_norm_first10_mean"], 1e-30),
        "saturation_per_step": sat,
    })


def sample(args):
    """tgg sample gan1d --ckpt DIR [--n N]: N draws of G(z) and the strip panel of the trained G and D."""
    from tinygrad_gen.run import load_run
    _, parts = load_run(args.ckpt, lambda config: {"G": Generator(), "D": Discriminator()}, args.model, args.device)
    G, D = parts["G"], parts["D"]
    snap = snapshot(G, D, step=args.seed, n=max(args.n, 2))
    snap["step"] = "trained"
    strip_figure([snap], mixture_1d()).savefig(f"{args.out}/samples.png", dpi=110, bbox_inches="tight")
    with tg.no_grad():
        z = np.random.default_rng(args.seed).standard_normal((args.n, 1)).astype(np.float32)
        np.save(f"{args.out}/samples_n{args.n}.npy", G(tg.tensor(z, device=args.device)).numpy()[:, 0])


def graph_step(batch=16):
    """Both players' losses on a small batch, for ``tgg graph``: ({"d_loss", "g_loss"}, {"G": G, "D": D})."""
    G, D = Generator(), Discriminator()
    x = tg.tensor(mixture_1d().sample(batch, np.random.default_rng(0)).astype(np.float32))
    return {"d_loss": d_loss_of(G, D, x, tg.randn(batch, 1)),
            "g_loss": g_loss_of(G, D, tg.randn(batch, 1), GAN1DConfig.g_loss)[0]}, {"G": G, "D": D}
