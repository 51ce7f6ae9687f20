"""Variational autoencoder (Kingma and Welling 2014) on the embedded 8x8 digits.

    tgg train vae [--latent 8] [--epochs 300]

The lecture's picture, top to bottom:

* **Encoder** (the inference network) x -> (mu, log sigma^2) of q(z|x) = N(mu, diag sigma^2). This is *amortization*:
  one forward pass predicts the approximate posterior of any x, instead of fitting q by gradient ascent per image.
* **Reparameterization trick**: z = mu + sigma * eps with eps ~ N(0, I), so the sample is a differentiable function of
  (mu, sigma) and one pass of ordinary backprop updates encoder and decoder together (``F.reparameterize``).
* **Decoder** (the generative network) z -> Bernoulli logits of the 64 pixels in [0, 1]: p(x|z).
* **ELBO** = E_q[log p(x|z)] - KL(q(z|x) || N(0, I)) <= log p(x): the reconstruction term (binary cross-entropy
  summed over pixels) minus the KL term (closed form, ``F.gaussian_kl``). Training minimises -ELBO averaged over
  the batch, with Adam (lr 1e-3, batch 100).

Evaluation on the test digits, in nats per image: the ELBO, and the importance-weighted bound of Burda et al. (2016),
log p(x) >= E[log (1/K) sum_k p(x, z_k) / q(z_k|x)] with K = 500 samples z_k ~ q(z|x), which tightens towards
log p(x) as K grows. Figures: samples from the prior, reconstructions, a latent interpolation strip, loss curves, and
with ``--latent 2`` the latent map of the test set and the decoded latent plane.
"""
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import nn, optim
from tinygrad_gen.data import DataLoader, digits
from tinygrad_gen.options import positive_float, positive_int

from .config_options import add_config_arguments, config_of, option
from .digit_figures import grid_figure, latent_map_figure, square_cols
from .step_update import optimizer_update


class VAE(nn.Module):
    """Encoder 64-256-256 -> (mu, logvar) of size Z; decoder Z-256-256-64 -> Bernoulli logits; ReLU in between."""

    def __init__(self, latent=8, hidden=256, pixels=64):
        super().__init__()
        self.latent = latent
        self.encoder = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.to_mu = nn.Linear(hidden, latent)
        self.to_logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, pixels))

    def encode(self, x):
        """q(z|x): the mean and the log-variance of a diagonal Gaussian (log keeps sigma > 0)."""
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z):
        """p(x|z): one Bernoulli logit per pixel."""
        return self.decoder(z)

    def forward(self, x):
        """-ELBO averaged over the batch, with its reconstruction and KL parts (one sample z per image)."""
        mu, logvar = self.encode(x)
        z = F.reparameterize(mu, logvar)
        reconstruction = F.binary_cross_entropy_with_logits(self.decode(z), x, reduction="sum") / x.shape[0]
        kl = F.gaussian_kl(mu, logvar, reduction="mean")
        return reconstruction + kl, reconstruction, kl


def log_bernoulli(x, logits):
    """log p(x|z) summed over pixels: x log s + (1 - x) log(1 - s) = x * l - softplus(l), with s = sigmoid(l)."""
    return (x * logits - F.softplus(logits)).sum(axis=-1)


def importance_terms(model, x, k, chunk=20000):
    """For K samples z_k ~ q(z|x) per image: log p(x|z_k) and log p(z_k) - log q(z_k|x), two (n, K) arrays.
    Their sum is the log importance weight log w_k = log p(x, z_k) / q(z_k|x). No graph is recorded.

    log q(z|x) is written with eps = (z - mu) / sigma, so it is exact even where sigma is tiny."""
    with tg.no_grad():
        x = tg.tensor(x, device=model.device)
        mu, logvar = model.encode(x)
        n, z_dim = mu.shape
        log_px_z = np.empty((n, k), dtype=np.float64)
        log_prior_ratio = np.empty((n, k), dtype=np.float64)
        per = max(1, chunk // k)  # images per decoder pass, so one pass holds about `chunk` rows
        for i in range(0, n, per):
            m, lv, xi = mu[i:i + per], logvar[i:i + per], x[i:i + per]
            rows = m.shape[0]
            eps = tg.randn(rows, k, z_dim, device=x.device)
            z = m.unsqueeze(1) + (lv * 0.5).exp().unsqueeze(1) * eps
            logits = model.decode(z.reshape(rows * k, z_dim)).reshape(rows, k, -1)
            log_px_z[i:i + rows] = log_bernoulli(xi.unsqueeze(1), logits).numpy()
            log_pz = -0.5 * (z * z).sum(axis=-1)
            log_qz = -0.5 * (eps * eps).sum(axis=-1) - 0.5 * lv.sum(axis=-1, keepdims=True)
            log_prior_ratio[i:i + rows] = (log_pz - log_qz).numpy()  # the (2 pi)^(-Z/2) factors cancel
    return log_px_z, log_prior_ratio


def iwae_bound(log_w):
    """The importance-weighted bound per image: log (1/K) sum_k w_k, by a max-shifted log-sum-exp."""
    m = log_w.max(axis=1, keepdims=True)
    return m[:, 0] + np.log(np.exp(log_w - m).mean(axis=1))


def evaluate(model, x, k=500):
    """Test (ELBO, IWAE) in nats per image, averaged over the images. The ELBO averages log p(x|z_k) over the same
    K samples and subtracts the closed-form KL, so its Monte-Carlo noise is small."""
    log_px_z, log_prior_ratio = importance_terms(model, x, k)
    with tg.no_grad():
        mu, logvar = model.encode(tg.tensor(x, device=model.device))
        kl = F.gaussian_kl(mu, logvar, reduction="none").numpy().astype(np.float64)
    elbo = log_px_z.mean(axis=1) - kl
    return float(elbo.mean()), float(iwae_bound(log_px_z + log_prior_ratio).mean())


TRAINED_BY = "epochs"  # tgg train: the run's length is counted in epochs (--steps is refused)


@dataclass
class VAEConfig:
    """Every default of ``tgg train vae`` (its options are generated from these fields)."""
    latent: int = option(8, type=positive_int, help="size Z of the latent code (2 draws latent maps)")
    hidden: int = option(256, type=positive_int, help="width of the encoder and decoder hidden layers")
    lr: float = option(1e-3, type=positive_float, help="Adam learning rate")
    batch_size: int = option(100, type=positive_int)
    iwae_k: int = option(500, type=positive_int, help="importance samples K for the test log p(x)")
    checkpoint_every: int = option(50, type=positive_int, help="epochs between checkpoints")
    epochs: int = 300


def add_arguments(parser):
    """The model's options of ``tgg train`` (and their defaults), from ``VAEConfig``."""
    add_config_arguments(parser, VAEConfig)


def make_model(config, device="cpu"):
    """The VAE of ``config``."""
    return VAE(config.latent, config.hidden).to(device)


def make_optimizers(model, config):
    """{"adam": Adam} over the VAE's parameters."""
    return {"adam": optim.Adam(model.parameters(), lr=config.lr)}


def step_losses(model, x, update):
    """One step on the batch ``x``: -ELBO (one z per image, by the reparameterization trick) goes to
    ``update("adam", loss)``. Returns {"loss": -ELBO, "reconstruction": .., "kl": ..}; ``tgg train``,
    ``tgg bench step`` and ``tgg graph`` all run this."""
    loss, reconstruction, kl = model(x)
    update("adam", loss)
    return {"loss": loss, "reconstruction": reconstruction, "kl": kl}


def graph_step(batch=16):
    """The default step on ``batch`` digits, for ``tgg graph``: ({"loss": -ELBO}, the VAE)."""
    model = make_model(VAEConfig())
    losses = step_losses(model, tg.tensor(digits()[0][:batch]), lambda name, loss: None)
    return {"loss": losses["loss"]}, model


def train(args, run):
    """Train with ``args`` and write the metrics, checkpoint and figures into ``run``."""
    x_train, _, x_test, y_test = digits()
    model = make_model(config_of(args, VAEConfig), run.device)
    optimizers = make_optimizers(model, config_of(args, VAEConfig))
    loader = DataLoader(x_train, batch_size=args.batch_size, device=run.device)
    parts = {"modules": {"vae": model}, "optimizers": optimizers, "loaders": {"train": loader}}
    state = run.restore(**parts) or {"epoch": 0, "train_seconds": 0.0}
    dp = run.data_parallel  # data-parallel (tgg train --ranks N): rank 0's weights, a shard of every batch
    dp.broadcast(model)
    update = optimizer_update(optimizers, before_step=dp.average_gradients)
    test = tg.tensor(x_test, device=run.device)
    n = len(x_train)
    bar = run.progress(args.epochs, desc="vae", initial=state["epoch"])
    for epoch in range(state["epoch"], args.epochs):
        model.train()
        start = time.perf_counter()
        total = reconstruction = kl = 0.0
        for x in map(dp.shard, loader):
            losses = step_losses(model, x, update)
            rows = x.shape[0]
            total += losses["loss"].item() * rows
            reconstruction += losses["reconstruction"].item() * rows
            kl += losses["kl"].item() * rows
        state["train_seconds"] += time.perf_counter() - start
        model.eval()
        with tg.no_grad():
            test_loss = model(test)[0].item()
        state["epoch"] = epoch + 1
        run.log(step=epoch + 1, train_loss=total / n, reconstruction=reconstruction / n, kl=kl / n,
                test_loss=test_loss)
        bar.update(1)
        bar.set_postfix(loss=f"{total / n:.2f}", test=f"{test_loss:.2f}")
        if state["epoch"] % args.checkpoint_every == 0 or state["epoch"] == args.epochs:
            run.save_checkpoint(**parts, extra=state)
    model.eval()
    test_elbo, test_iwae = evaluate(model, x_test, k=args.iwae_k)
    draw_figures(model, run, x_test, y_test)
    run.plot_curves("loss.png", keys=["train_loss", "test_loss"], title="-ELBO in nats per image")
    run.finish({"test_elbo": test_elbo, "test_iwae": test_iwae, "train_seconds": state["train_seconds"],
                "epochs": state["epoch"], "latent": args.latent, "iwae_k": args.iwae_k})


def sample(args):
    """``tgg sample vae --ckpt DIR [--n N]``: decode N codes from the prior into ``samples_prior.png``."""
    from tinygrad_gen.run import load_run
    _, parts = load_run(args.ckpt, lambda config: {"vae": make_model(config_of(config, VAEConfig))}, args.model,
                        args.device)
    model = parts["vae"].eval()
    z = np.random.default_rng(args.seed).standard_normal((args.n, model.latent)).astype(np.float32)
    path = Path(args.out) / "samples_prior.png"
    fig = grid_figure(bernoulli_means(model, z), cols=square_cols(args.n),
                      title="samples from the prior, z ~ N(0, I)")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    fig.clf()


def bernoulli_means(model, z):
    """The decoder's pixel probabilities sigmoid(logits) for codes z (a NumPy array), as a NumPy array."""
    with tg.no_grad():
        return model.decode(tg.tensor(z, device=model.device)).sigmoid().numpy()


def draw_figures(model, run, x_test, y_test):
    """Prior samples, reconstructions, interpolation strips; with a 2-D latent also the latent map and plane."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((100, model.latent)).astype(np.float32)
    run.savefig(grid_figure(bernoulli_means(model, z), cols=10, title="samples from the prior, z ~ N(0, I)"),
                "samples.png")
    with tg.no_grad():
        mu = model.encode(tg.tensor(x_test, device=model.device))[0].numpy()
    shown = np.arange(20)
    recon = bernoulli_means(model, mu[shown])
    rows = np.concatenate([x_test[shown[:10]], recon[:10], x_test[shown[10:]], recon[10:]])
    run.savefig(grid_figure(rows, cols=10, title="test digits and their reconstructions (decoder at z = mu)",
                            row_labels=["input", "recon.", "input", "recon."]), "reconstructions.png")
    # interpolation: straight lines in latent space between the codes of two test digits of different classes
    pairs = [(_first(y_test, a), _first(y_test, b)) for a, b in [(0, 6), (1, 7), (3, 8), (4, 9)]]
    t = np.linspace(0, 1, 10, dtype=np.float32)[:, None]
    strips = []
    for a, b in pairs:
        path = bernoulli_means(model, (1 - t) * mu[a] + t * mu[b])
        strips.append(np.concatenate([x_test[a:a + 1], path, x_test[b:b + 1]]))
    run.savefig(grid_figure(np.concatenate(strips), cols=12,
                            title="latent interpolation between two test digits (inputs at both ends)"),
                "interpolation.png")
    if model.latent == 2:
        run.savefig(latent_map_figure(mu, y_test, "test digits at their posterior means mu(x)"), "latent_map.png")
        side = np.linspace(-2.5, 2.5, 15, dtype=np.float32)
        plane = np.array([[u, v] for v in side[::-1] for u in side], dtype=np.float32)
        run.savefig(grid_figure(bernoulli_means(model, plane), cols=15,
                                title="decoded latent plane, z1 and z2 from -2.5 to 2.5"), "latent_plane.png")


def _first(labels, digit):
    """Index of the first test image of a class."""
    return int(np.flatnonzero(labels == digit)[0])
