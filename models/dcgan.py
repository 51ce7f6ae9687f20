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
import numpy as np

import tinygrad_gen as tg
from tinygrad_gen import nn, optim
from tinygrad_gen.data import DataLoader, digits
from tinygrad_gen.nn import init
from tinygrad_gen.options import positive_float, positive_int

from . import digit_classifier
from .gan_losses import discriminator_loss, generator_loss_ns
from .gan_metrics import class_fractions, frechet_feature_distance

N_EVAL = 1000


class Generator(nn.Module):
    """z (z_dim) -> 1x1 -> 2x2 -> 4x4 -> 8x8 image in [-1, 1], doubling resolution by transposed convolutions."""

    def __init__(self, z_dim=32, width=64):
        super().__init__()
        self.z_dim = z_dim
        self.net = nn.Sequential(
            nn.ConvTranspose2d(z_dim, 2 * width, 2, stride=1, padding=0), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1), nn.Tanh())

    def forward(self, z):
        """The module applied to a batch (see the class docstring)."""
        return self.net(z.reshape(z.shape[0], self.z_dim, 1, 1))


class Discriminator(nn.Module):
    """8x8 image -> 4x4 -> 2x2 -> one logit, halving resolution by strided convolutions."""

    def __init__(self, width=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
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


def add_arguments(parser):
    """The model's options of ``tgg train`` (and their defaults)."""
    parser.add_argument("--z-dim", type=positive_int, default=32)
    parser.add_argument("--batch", type=positive_int, default=64)
    parser.add_argument("--lr", type=positive_float, default=2e-4)
    parser.set_defaults(epochs=40)


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


def grid_figure(images, title, rows=8):
    """A grid of 8x8 digits as a figure."""
    import matplotlib.pyplot as plt
    cols = int(np.ceil(len(images) / rows))
    canvas = np.zeros((rows * 9 - 1, cols * 9 - 1))  # white gaps between digits
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        canvas[r * 9:r * 9 + 8, c * 9:c * 9 + 8] = img.reshape(8, 8)
    fig, ax = plt.subplots(figsize=(cols * 0.45 + 0.4, rows * 0.45 + 0.5))
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    return fig


def evaluate(samples, classifier, x_train, x_test):
    """FDD of samples vs real test digits, the train-vs-test floor, and the predicted-class shares of samples."""
    labels, f_gen = digit_classifier.predict(classifier, samples)
    _, f_test = digit_classifier.predict(classifier, x_test)
    _, f_train = digit_classifier.predict(classifier, x_train)
    return {"fdd": frechet_feature_distance(f_gen, f_test), "fdd_floor": frechet_feature_distance(f_train, f_test),
            "class_fractions": class_fractions(labels)}


def train(args, run):
    """Train with ``args`` and write the metrics, checkpoint and figures into ``run``."""
    x_train, y_train, x_test, y_test = data = digits()
    classifier = digit_classifier.load_or_train(run.out, data)
    classifier_acc = digit_classifier.accuracy(classifier, x_test, y_test)

    G = dcgan_init(Generator(args.z_dim)).to(run.device)
    D = dcgan_init(Discriminator()).to(run.device)
    adam = dict(lr=args.lr, betas=(0.5, 0.999))
    opt_g, opt_d = optim.Adam(G.parameters(), **adam), optim.Adam(D.parameters(), **adam)
    loader = DataLoader(to_images(x_train), batch_size=args.batch, drop_last=True, device=run.device)
    parts = {"modules": {"G": G, "D": D}, "optimizers": {"G": opt_g, "D": opt_d}, "loaders": {"train": loader}}
    epoch = (run.restore(**parts) or {}).get("epoch", 0)
    bar = run.progress((args.epochs - epoch) * len(loader), desc="dcgan")
    while epoch < args.epochs:
        d_sum = g_sum = 0.0
        for x in loader:
            z = tg.randn(args.batch, args.z_dim, device=run.device)
            # discriminator: real vs generated (G's output detached: this step moves D only)
            fake = G(z)
            d_loss = discriminator_loss(D(x), D(fake.detach()))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            # generator: the non-saturating cost through the just-updated D
            g_loss = generator_loss_ns(D(fake))
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            d_sum, g_sum = d_sum + d_loss.item(), g_sum + g_loss.item()
            bar.update(1)
        epoch += 1
        samples = generate(G, N_EVAL, args.z_dim, seed=0)
        _, f_gen = digit_classifier.predict(classifier, samples)
        _, f_test = digit_classifier.predict(classifier, x_test)
        fdd = frechet_feature_distance(f_gen, f_test)
        run.log(step=epoch, d_loss=d_sum / len(loader), g_loss=g_sum / len(loader), fdd=fdd)
        bar.set_postfix(fdd=round(fdd, 2))
        run.savefig(grid_figure(samples[:64], f"epoch {epoch}  FDD {fdd:.2f}"), f"samples_epoch{epoch:03d}.png")
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
    config, parts = load_run(args.ckpt, lambda config: {"G": Generator(config.z_dim)}, args.model, args.device)
    G = parts["G"]
    images = generate(G, args.n, config.z_dim, seed=args.seed)
    fig = grid_figure(images, f"{args.n} samples, seed {args.seed}")
    fig.savefig(f"{args.out}/samples.png", dpi=110, bbox_inches="tight")
    np.save(f"{args.out}/samples_n{args.n}.npy", images)
