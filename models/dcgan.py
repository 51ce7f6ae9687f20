"""DCGAN (Radford et al. 2016) on the embedded 8x8 digits: generator and discriminator are both conv nets.

    tgg train dcgan [--epochs N]

The DCGAN recipe: a transposed-convolution generator and a strided-convolution discriminator (no pooling),
BatchNorm in both (not on D's input layer nor G's output), ReLU in G with tanh output, LeakyReLU 0.2 in D, weights
drawn from N(0, 0.02), Adam with lr 2e-4 and beta1 0.5, the non-saturating generator cost.

Evaluation without any downloaded network: a digit classifier trained on the engine (``digit_classifier.py``) gives
the Frechet distance between its features on 1000 generated digits and on the real test digits (``fdd``), the same
distance between real train and real test digits as the floor (``fdd_floor``), and the share of each predicted digit
among the samples (``class_fractions``).  Figures: ``samples_epochNNN.png`` (fixed codes, one grid per epoch).
"""
from dataclasses import dataclass
from functools import partial

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen import nn, optim
from tinygrad_gen.data import DataLoader, digits
from tinygrad_gen.nn import init
from tinygrad_gen.nn.sync_batchnorm import SyncBatchNorm2d
from tinygrad_gen.options import positive_float, positive_int

from . import digit_classifier
from .config_options import add_config_arguments, config_of, option
from .digit_figures import grid_figure, square_cols
from .gan_data_parallel import batch_means, check_batch_splits
from .gan_losses import discriminator_loss, generator_loss_ns
from .gan_metrics import class_fractions, frechet_feature_distance
from .step_update import optimizer_update

N_EVAL = 1000


class Generator(nn.Module):
    """z (z_dim) -> 1x1 -> 2x2 -> 4x4 -> 8x8 image in [-1, 1], doubling resolution by transposed convolutions;
    ``norm`` makes its BatchNorm layers."""

    def __init__(self, z_dim=32, width=64, norm=nn.BatchNorm2d):
        super().__init__()
        self.z_dim = z_dim
        self.net = nn.Sequential(
            nn.ConvTranspose2d(z_dim, 2 * width, 2, stride=1, padding=0), norm(2 * width), nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), norm(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1), nn.Tanh())

    def forward(self, z):
        """The module applied to a batch (see the class docstring)."""
        return self.net(z.reshape(z.shape[0], self.z_dim, 1, 1))


class Discriminator(nn.Module):
    """8x8 image -> 4x4 -> 2x2 -> one logit, halving resolution by strided convolutions; ``norm`` makes its BatchNorm
    layer."""

    def __init__(self, width=32, norm=nn.BatchNorm2d):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), norm(2 * width), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 1, 2, stride=1, padding=0))

    def forward(self, x):
        """The module applied to a batch (see the class docstring)."""
        return self.net(x).reshape(x.shape[0], 1)


def dcgan_init(module):
    """All conv weights ~ N(0, 0.02); BatchNorm scale ~ N(1, 0.02), shift 0 (the DCGAN paper's initialisation)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            init.normal_(m.weight, 1.0, 0.02)
            init.zeros_(m.bias)
    return module


TRAINED_BY = "epochs"  # tgg train: the run's length is counted in epochs (--steps is refused)


@dataclass
class DCGANConfig:
    """Every default of ``tgg train dcgan`` (its options are generated from these fields)."""
    z_dim: int = option(32, type=positive_int)
    batch: int = option(64, type=positive_int)
    lr: float = option(2e-4, type=positive_float)
    epochs: int = 40
    g_width: int = 64   # G: z -> 2 g_width -> g_width -> 1 channels
    d_width: int = 32   # D: 1 -> d_width -> 2 d_width -> 1 channels
    betas: tuple = (0.5, 0.999)


def add_arguments(parser):
    """The model's options of ``tgg train`` (and their defaults), from ``DCGANConfig``."""
    add_config_arguments(parser, DCGANConfig)


def make_models(config, device="cpu", data_parallel=None):
    """G and D of ``config``, with the DCGAN initialisation. Given a ``data_parallel`` job of several ranks their
    BatchNorm layers normalise with the whole batch's statistics (``SyncBatchNorm2d``): a shard's own mean and
    variance would make N ranks train another model than one process."""
    norm = nn.BatchNorm2d
    if data_parallel is not None and data_parallel.world_size > 1:
        norm = partial(SyncBatchNorm2d, data_parallel=data_parallel)
    G = dcgan_init(Generator(config.z_dim, config.g_width, norm)).to(device)
    return G, dcgan_init(Discriminator(config.d_width, norm)).to(device)


def make_optimizers(G, D, config):
    """{"G": Adam, "D": Adam} with the config's rate and betas."""
    adam = dict(lr=config.lr, betas=tuple(config.betas))
    return {"G": optim.Adam(G.parameters(), **adam), "D": optim.Adam(D.parameters(), **adam)}


def step_losses(G, D, x, z, update):
    """One DCGAN step on real images ``x`` and codes ``z``: D's cost on real vs generated (G's output detached:
    this step moves D only) goes to ``update("D", loss)``, then the non-saturating cost through the just-updated D
    to ``update("G", loss)``. Returns {"d_loss": .., "g_loss": ..}; ``tgg train``, ``tgg bench step`` and
    ``tgg graph`` all run this."""
    fake = G(z)
    d_loss = discriminator_loss(D(x), D(fake.detach()))
    update("D", d_loss)
    g_loss = generator_loss_ns(D(fake))
    update("G", g_loss)
    return {"d_loss": d_loss, "g_loss": g_loss}


def graph_step(batch=16):
    """The default step on ``batch`` digits, for ``tgg graph``: ({loss name: loss}, {"G": G, "D": D})."""
    config = DCGANConfig(batch=batch)
    G, D = make_models(config)
    x = tg.tensor(to_images(digits()[0][:batch]))
    return step_losses(G, D, x, tg.randn(batch, config.z_dim), lambda name, loss: None), {"G": G, "D": D}


def to_images(x):
    """Digits (N, 64) in [0, 1] -> (N, 1, 8, 8) in [-1, 1], the range of G's tanh."""
    return (2.0 * np.asarray(x, np.float32) - 1.0).reshape(-1, 1, 8, 8)


def to_pixels(images):
    """G's output in [-1, 1] -> digits (N, 64) in [0, 1]."""
    return np.clip((np.asarray(images) + 1.0) / 2.0, 0.0, 1.0).reshape(len(images), 64).astype(np.float32)


def generate(G, n, z_dim, seed):
    """``n`` digits from the generator, for fixed seeds (eval mode, no graph)."""
    G.eval()
    with tg.no_grad():
        z = np.random.default_rng(seed).standard_normal((n, z_dim)).astype(np.float32)
        out = to_pixels(G(tg.tensor(z, device=G.device)).numpy())
    G.train()
    return out


def evaluate(samples, classifier, x_train, x_test):
    """FDD of samples vs real test digits, the train-vs-test floor, and the predicted-class shares of samples."""
    labels, f_gen = digit_classifier.predict(classifier, samples)
    _, f_test = digit_classifier.predict(classifier, x_test)
    _, f_train = digit_classifier.predict(classifier, x_train)
    return {"fdd": frechet_feature_distance(f_gen, f_test), "fdd_floor": frechet_feature_distance(f_train, f_test),
            "class_fractions": class_fractions(labels)}


def train_step(G, D, x, update, data_parallel):
    """One step on the whole real batch ``x``: codes are drawn for the whole batch (every rank draws the same), and
    each rank runs ``step_losses`` on its rows of both; ``update`` averages the ranks' gradients before each step."""
    z = tg.randn(x.shape[0], G.z_dim, device=x.device, dtype=x.dtype)
    return step_losses(G, D, data_parallel.shard(x), data_parallel.shard(z), update)


def train(args, run):
    """Train with ``args`` and write the metrics, checkpoint and figures into ``run``."""
    dp = run.data_parallel  # data-parallel (tgg train --ranks N): rank 0's weights, a shard of every batch
    check_batch_splits("dcgan", args.batch, dp, even=True, why=" evenly (BatchNorm's statistics are the batch's)")
    x_train, y_train, x_test, y_test = data = digits()
    classifier = digit_classifier.load_or_train(run.out, data)
    classifier_acc = digit_classifier.accuracy(classifier, x_test, y_test)

    config = config_of(args, DCGANConfig)
    G, D = make_models(config, run.device, dp)
    optimizers = make_optimizers(G, D, config)
    update = optimizer_update(optimizers, before_step=dp.average_gradients)
    loader = DataLoader(to_images(x_train), batch_size=args.batch, drop_last=True, device=run.device)
    parts = {"modules": {"G": G, "D": D}, "optimizers": optimizers, "loaders": {"train": loader}}
    epoch = (run.restore(**parts) or {}).get("epoch", 0)
    dp.broadcast(G, D)
    bar = run.progress((args.epochs - epoch) * len(loader), desc="dcgan")
    while epoch < args.epochs:
        d_sum = g_sum = 0.0
        for x in loader:
            losses = train_step(G, D, x, update, dp)
            d_sum, g_sum = d_sum + losses["d_loss"].item(), g_sum + losses["g_loss"].item()
            bar.update(1)
        epoch += 1
        d_sum, g_sum = batch_means([d_sum, g_sum], args.batch, dp)  # what one process logs
        samples = generate(G, N_EVAL, args.z_dim, seed=0)
        _, f_gen = digit_classifier.predict(classifier, samples)
        _, f_test = digit_classifier.predict(classifier, x_test)
        fdd = frechet_feature_distance(f_gen, f_test)
        run.log(step=epoch, d_loss=d_sum / len(loader), g_loss=g_sum / len(loader), fdd=fdd)
        bar.set_postfix(fdd=round(fdd, 2))
        if dp.is_main:
            run.savefig(grid_figure(samples[:64], cols=8, title=f"epoch {epoch}  FDD {fdd:.2f}"),
                        f"samples_epoch{epoch:03d}.png")
        run.save_checkpoint(**parts, extra={"epoch": epoch})
    run.plot_curves("curves.png", panels=[["d_loss", "g_loss"], ["fdd"]])

    samples = generate(G, N_EVAL, args.z_dim, seed=0)
    np.save(run.out / "samples.npy", samples)
    run.finish({"classifier_acc": classifier_acc, **evaluate(samples, classifier, x_train, x_test),
                "n_generated": N_EVAL, "epochs": args.epochs,
                "fdd_noise": frechet_feature_distance(
                    digit_classifier.predict(classifier, np.random.default_rng(1).random((N_EVAL, 64)))[1],
                    digit_classifier.predict(classifier, x_test)[1])})


def sample(args):
    """tgg sample dcgan --ckpt DIR [--n N]: a grid of N digits from the trained generator (``samples.png``)."""
    from tinygrad_gen.run import load_run
    config, parts = load_run(args.ckpt, lambda config: {"G": make_models(config_of(config, DCGANConfig))[0]},
                             args.model, args.device)
    G = parts["G"]
    images = generate(G, args.n, config.z_dim, seed=args.seed)
    fig = grid_figure(images, cols=square_cols(args.n), title=f"{args.n} samples, seed {args.seed}")
    fig.savefig(f"{args.out}/samples.png", dpi=110, bbox_inches="tight")
    np.save(f"{args.out}/samples_n{args.n}.npy", images)
