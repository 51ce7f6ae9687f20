"""A deep autoencoder on the embedded 8x8 digits, against PCA with the same bottleneck.

    tgg train ae [--latent 2] [--epochs 100]

An autoencoder is a feed-forward net that takes x and predicts x; a bottleneck layer of k units, much smaller than
the 64 pixels, makes that non-trivial. With linear layers and squared error it can do no better than PCA (the
linear autoencoder: projection onto the top-k principal directions). A deep nonlinear one projects the data onto a
curved k-dimensional manifold, the image of the decoder, and so reconstructs better with the same code size.

Both are fitted on the training digits and scored by the test mean squared error per pixel: ``test_mse`` for the
autoencoder, ``pca_test_mse`` for PCA (NumPy SVD). Figures: reconstructions of both, the loss curve, and with
``--latent 2`` the map of the test set in the 2-D code space.
"""
import time
from dataclasses import dataclass

import numpy as np

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import nn, optim
from tinygrad_gen.data import DataLoader, digits
from tinygrad_gen.options import positive_float, positive_int

from .config_options import add_config_arguments, config_of, option
from .digit_figures import grid_figure, latent_map_figure
from .step_update import optimizer_update


class Autoencoder(nn.Module):
    """Encoder 64-256-256-k (ReLU), decoder k-256-256-64 (ReLU, sigmoid output: pixels lie in [0, 1])."""

    def __init__(self, latent=2, hidden=256, pixels=64):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, pixels), nn.Sigmoid())

    def forward(self, x):
        """The module applied to a batch (see the class docstring)."""
        return self.decoder(self.encoder(x))


class PCA:
    """The best linear autoencoder: code = (x - mean) V_k, reconstruction = mean + code V_k^T, where the columns
    of V_k are the top-k right singular vectors of the centred training data."""

    def __init__(self, x, k):
        self.mean = x.mean(axis=0)
        _, _, vt = np.linalg.svd(x - self.mean, full_matrices=False)
        self.components = vt[:k].T  # (pixels, k)

    def encode(self, x):
        """The k principal coordinates of each row of ``x``."""
        return (x - self.mean) @ self.components

    def decode(self, code):
        """Rows rebuilt from their principal coordinates (the mean plus the components)."""
        return self.mean + code @ self.components.T


def mse_per_pixel(a, b):
    """The mean squared error per pixel of two image batches, as a float."""
    return float(np.mean((np.asarray(a, dtype=np.float64) - b) ** 2))


TRAINED_BY = "epochs"  # tgg train: the run's length is counted in epochs (--steps is refused)


@dataclass
class AutoencoderConfig:
    """Every default of ``tgg train ae`` (its options are generated from these fields)."""
    latent: int = option(2, type=positive_int, help="bottleneck size k (2 also draws the code map)")
    hidden: int = option(256, type=positive_int, help="width of the encoder and decoder hidden layers")
    lr: float = option(1e-3, type=positive_float, help="Adam learning rate")
    batch_size: int = option(100, type=positive_int)
    checkpoint_every: int = option(25, type=positive_int, help="epochs between checkpoints")
    epochs: int = 100


def add_arguments(parser):
    """The model's options of ``tgg train`` (and their defaults), from ``AutoencoderConfig``."""
    add_config_arguments(parser, AutoencoderConfig)


def make_model(config, device="cpu"):
    """The autoencoder of ``config``."""
    return Autoencoder(config.latent, config.hidden).to(device)


def step_losses(model, x, update):
    """One step on the batch ``x``: the squared error of its reconstruction goes to ``update("adam", loss)``.
    Returns {"loss": MSE}; ``train`` and ``graph_step`` both run this."""
    loss = F.mse_loss(model(x), x)
    update("adam", loss)
    return {"loss": loss}


def train(args, run):
    """Train with ``args`` and write the metrics, checkpoint and figures into ``run``."""
    x_train, _, x_test, y_test = digits()
    model = make_model(config_of(args, AutoencoderConfig), run.device)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    loader = DataLoader(x_train, batch_size=args.batch_size, device=run.device)
    parts = {"modules": {"ae": model}, "optimizers": {"adam": opt}, "loaders": {"train": loader}}
    state = run.restore(**parts) or {"epoch": 0, "train_seconds": 0.0}
    dp = run.data_parallel  # data-parallel (tgg train --ranks N): rank 0's weights, a shard of every batch
    dp.broadcast(model)
    update = optimizer_update({"adam": opt}, before_step=dp.average_gradients)
    test = tg.tensor(x_test, device=run.device)
    n = len(x_train)
    bar = run.progress(args.epochs, desc="ae", initial=state["epoch"])
    for epoch in range(state["epoch"], args.epochs):
        start = time.perf_counter()
        total = 0.0
        for x in map(dp.shard, loader):
            loss = step_losses(model, x, update)["loss"]
            total += loss.item() * x.shape[0]
        state["train_seconds"] += time.perf_counter() - start
        with tg.no_grad():
            test_mse = F.mse_loss(model(test), test).item()
        state["epoch"] = epoch + 1
        run.log(step=epoch + 1, train_mse=total / n, test_mse=test_mse)
        bar.update(1)
        bar.set_postfix(train=f"{total / n:.4f}", test=f"{test_mse:.4f}")
        if state["epoch"] % args.checkpoint_every == 0 or state["epoch"] == args.epochs:
            run.save_checkpoint(**parts, extra=state)

    pca = PCA(x_train, args.latent)
    with tg.no_grad():
        recon = model(test).numpy()
        codes = model.encoder(test).numpy()
    pca_recon = pca.decode(pca.encode(x_test))
    shown = slice(0, 12)
    run.savefig(grid_figure(np.concatenate([x_test[shown], recon[shown], np.clip(pca_recon[shown], 0, 1)]), cols=12,
                            title=f"test digits reconstructed through a bottleneck of k = {args.latent}",
                            row_labels=["input", "deep AE", "PCA"]), "reconstructions.png")
    run.plot_curves("loss.png", keys=["train_mse", "test_mse"], title="mean squared error per pixel")
    if args.latent == 2:
        run.savefig(latent_map_figure(codes, y_test, "test digits in the autoencoder's 2-D code"), "latent_map.png")
    run.finish({"test_mse": mse_per_pixel(recon, x_test), "pca_test_mse": mse_per_pixel(pca_recon, x_test),
                "latent": args.latent, "epochs": state["epoch"], "train_seconds": state["train_seconds"]})


def graph_step(batch=16):
    """The default model's loss on ``batch`` digits, for ``tgg graph``: ({"loss": MSE}, the autoencoder)."""
    model = make_model(AutoencoderConfig())
    return step_losses(model, tg.tensor(digits()[0][:batch]), lambda name, loss: None), model
