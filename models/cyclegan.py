"""CycleGAN (Zhu et al. 2017) between two unpaired domains made from the digits: "change the style of an image while
preserving the content".

    tgg train cyclegan                       # A: digits, B: the same digits restyled (--domain invert_blur)
    tgg train cyclegan --domain transpose    # B: digits inverted and transposed, the failure case

Domain A: digits.  Domain B: digits under a fixed map the model is never told (``models/style_maps.py``); A and B
come from disjoint halves of the training set, so no pair is ever seen.  As in the lecture: two generators
G: A -> B and F: B -> A; discriminators D_B and D_A make G(a) and F(b) indistinguishable from real images of their
domain (least-squares GAN cost); the generators are cycle-consistent, F(G(a)) ~ a and G(F(b)) ~ b (L1, weight 10);
each D sees an image pool of 50.

The default pair is a change of style: ``invert_blur``, inverted intensity and softened strokes (map(x) = 1 - K x, K a
3-tap blur). Every pixel stays where it is, so a fully convolutional generator (``local``: 3x3 convolutions at full
resolution, no bottleneck, as the paper's generators are convolutional) can learn it, and the discriminators plus
cycle consistency leave it little else to learn. The identity cost G(b) ~ b is off here (weight 0): it asks G to
leave light-ground images alone while it must invert dark-ground ones.

``--domain transpose`` (map(x) = 1 - x^T) keeps the honest failure: a change of geometry. Cycle consistency only
asks that F undo G; a G that relabels digits (sends each 1 to something that looks like a transposed 2) and an F
that undoes it satisfy both costs as well as the true map does, and a transposed digit often looks like another
digit, so the discriminator cannot object either. The CycleGAN paper lists such geometric changes (dog <-> cat) among
its failures. There a conv generator with a fully connected bottleneck (``conv``) and the identity cost (0.5 x 10).

Because the true map is known we can measure what unpaired training found, on the test split: the paired L1 error
of G(a) against map(a) and of F(map(a)) against a, the cycle L1 |F(G(a)) - a|, and content: a digit classifier's
accuracy on map^-1(G(a)) (``content_acc_ab``) and on F(map(a)) (``content_acc_ba``).
Figure ``translations.png``: rows A, G(A), the true map(A) (never shown to the model), F(G(A)).
"""
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

import tinygrad_gen as tg
from tinygrad_gen import nn, optim
from tinygrad_gen.data import DataLoader, digits
from tinygrad_gen.options import nonnegative_int, positive_float, positive_int

from . import digit_classifier
from .config_options import add_config_arguments, config_of, option
from .digit_figures import square_cols
from .gan_data_parallel import WholeBatchPool, batch_means, check_batch_splits
from .gan_losses import lsgan_discriminator_loss, lsgan_generator_loss
from .image_pool import ImagePool
from .step_update import optimizer_update
from .style_maps import MAPS, style_map

# per domain: the generator and identity weight used when --generator / --identity-weight are not given
DOMAIN_DEFAULTS = {"invert_blur": {"generator": "local", "identity_weight": 0.0},
                   "transpose": {"generator": "conv", "identity_weight": 0.5}}


def secret_map(x):
    """The transpose domain's map, A -> B: invert the intensity and transpose the 8x8 image ((N, 64) in [0, 1])."""
    return style_map("transpose")(x)


def secret_map_inverse(y):
    """B -> A for the transpose domain: transposing and inverting commute, and each undoes itself."""
    return style_map("transpose").inverse(y)


class LocalTranslator(nn.Module):
    """A fully convolutional 8x8 generator: 3x3 convolutions at full resolution (no down-sampling, no bottleneck),
    tanh output. Each output pixel sees a 5x5 neighbourhood through shared weights, so it can restyle strokes where
    they are but has no way to redraw one digit as another."""

    def __init__(self, width=32):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.ReLU(),
                                 nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
                                 nn.Conv2d(width, 1, 1), nn.Tanh())

    def forward(self, x):
        """The module applied to a batch (see the class docstring)."""
        return self.net(x)


class Translator(nn.Module):
    """An 8x8 image-to-image generator: conv encoder to 2x2, a fully connected bottleneck (every output pixel may
    depend on every input pixel, which a transpose needs), transposed-conv decoder back to 8x8, tanh output."""

    def __init__(self, width=32):
        super().__init__()
        self.width = width
        self.encode = nn.Sequential(nn.Conv2d(1, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
                                    nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.LeakyReLU(0.2))
        self.bottleneck = nn.Sequential(nn.Linear(8 * width, 8 * width), nn.ReLU())
        self.decode = nn.Sequential(nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.ReLU(),
                                    nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1), nn.Tanh())

    def forward(self, x):
        """The module applied to a batch (see the class docstring)."""
        h = self.bottleneck(self.encode(x).reshape(x.shape[0], 8 * self.width))
        return self.decode(h.reshape(x.shape[0], 2 * self.width, 2, 2))


class MLPTranslator(nn.Module):
    """A fully connected generator on the 64 pixels: no notion of where a pixel is, so moving pixels (a transpose)
    is no harder for it than keeping them in place -- unlike a conv net, whose locality favours the latter."""

    def __init__(self, hidden=256):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 64), nn.Tanh())

    def forward(self, x):
        """The module applied to a batch (see the class docstring)."""
        return self.net(x.reshape(x.shape[0], 64)).reshape(x.shape[0], 1, 8, 8)


GENERATORS = {"conv": Translator, "mlp": MLPTranslator, "local": LocalTranslator}


class PatchDiscriminator(nn.Module):
    """8x8 image -> a 2x2 map of real/fake scores (a small PatchGAN; least-squares targets 1 and 0)."""

    def __init__(self, width=32):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(2 * width, 1, 3, stride=1, padding=1))

    def forward(self, x):
        """The module applied to a batch (see the class docstring)."""
        return self.net(x)


TRAINED_BY = "epochs"  # tgg train: the run's length is counted in epochs (--steps is refused)


@dataclass
class CycleGANConfig:
    """Every default of ``tgg train cyclegan`` (its options are generated from these fields)."""
    batch: int = option(32, type=positive_int)
    lr: float = option(2e-4, type=positive_float)
    cycle_weight: float = option(10.0, type=float)
    domain: str = option("invert_blur", choices=tuple(sorted(MAPS)),
                         help="the map from domain A to B (default invert_blur, a change of style)")
    identity_weight: float = option(None, type=float,
                                    help="times the cycle weight (default: 0 for invert_blur, 0.5 for transpose)")
    pool: int = option(50, type=nonnegative_int)
    generator: str = option(None, choices=tuple(sorted(GENERATORS)),
                            help="default: local for invert_blur, conv for transpose")
    epochs: int = 30
    betas: tuple = (0.5, 0.999)


def add_arguments(parser):
    """The model's options of ``tgg train`` (and their defaults), from ``CycleGANConfig``."""
    add_config_arguments(parser, CycleGANConfig)


def make_models(config, device="cpu"):
    """{"G", "F", "D_A", "D_B"} of ``config`` (the domain's generator unless --generator names one)."""
    generator = settings(config)[1]
    return {"G": GENERATORS[generator]().to(device), "F": GENERATORS[generator]().to(device),
            "D_A": PatchDiscriminator().to(device), "D_B": PatchDiscriminator().to(device)}


def make_optimizers(nets, config):
    """{"G": Adam over G and F, "D": Adam over D_A and D_B}."""
    adam = dict(lr=config.lr, betas=tuple(config.betas))
    return {"G": optim.Adam(list(nets["G"].parameters()) + list(nets["F"].parameters()), **adam),
            "D": optim.Adam(list(nets["D_A"].parameters()) + list(nets["D_B"].parameters()), **adam)}


def step_losses(nets, a, b, config, pools, update):
    """One CycleGAN step on unpaired batches ``a`` and ``b``: the generators' cost (fool both discriminators, come
    back around the cycle, leave the target domain alone) goes to ``update("G", loss)``, then the discriminators'
    (real vs ``pools[k].query`` of the generated images) to ``update("D", loss)``. Returns the terms;
    ``tgg train``, ``tgg bench step`` and ``tgg graph`` all run this."""
    G, F_, D_A, D_B = nets["G"], nets["F"], nets["D_A"], nets["D_B"]
    lam = config.cycle_weight
    lam_id = settings(config)[2] * lam
    fake_b, fake_a = G(a), F_(b)
    gan = lsgan_generator_loss(D_B(fake_b)) + lsgan_generator_loss(D_A(fake_a))
    cycle = l1(F_(fake_b), a) + l1(G(fake_a), b)
    identity = l1(G(b), b) + l1(F_(a), a)
    g_loss = gan + lam * cycle + lam_id * identity
    update("G", g_loss)
    d_loss = (lsgan_discriminator_loss(D_A(a), D_A(pools["A"].query(fake_a)))
              + lsgan_discriminator_loss(D_B(b), D_B(pools["B"].query(fake_b))))
    update("D", d_loss)
    return {"g_loss": g_loss, "g_gan": gan, "cycle": cycle, "identity": identity, "d_loss": d_loss}


def graph_step(batch=8):
    """The default step on ``batch`` digits of each domain, for ``tgg graph``: ({"g_loss", "d_loss"}, the four
    networks)."""
    config = CycleGANConfig(batch=batch)
    nets, x = make_models(config), digits()[0]
    a, b = tg.tensor(to_images(x[:batch])), tg.tensor(to_images(style_map(config.domain)(x[batch:2 * batch])))
    losses = step_losses(nets, a, b, config, {"A": ImagePool(0), "B": ImagePool(0)}, lambda name, loss: None)
    return {"g_loss": losses["g_loss"], "d_loss": losses["d_loss"]}, nets


def settings(args):
    """(domain map, generator name, identity weight) of a run's options, the domain's defaults filled in (configs
    written before --domain existed are the transpose domain)."""
    domain = getattr(args, "domain", None) or "transpose"
    defaults = DOMAIN_DEFAULTS[domain]
    generator = args.generator if args.generator is not None else defaults["generator"]
    identity = args.identity_weight if args.identity_weight is not None else defaults["identity_weight"]
    return style_map(domain), generator, identity


def to_images(x):
    """Pixels in [0, 1] (rows of 64) as 8x8 images in [-1, 1] (the generators' tanh range)."""
    return (2.0 * np.asarray(x, np.float32) - 1.0).reshape(-1, 1, 8, 8)


def to_pixels(images):
    """Images in [-1, 1] back to pixel rows in [0, 1]."""
    return np.clip((np.asarray(images) + 1.0) / 2.0, 0.0, 1.0).reshape(len(images), 64).astype(np.float32)


def translate(net, x, batch=500):
    """Apply a generator to digits (N, 64) in [0, 1], in inference mode; returns (N, 64) in [0, 1]."""
    with tg.no_grad():
        return np.concatenate([to_pixels(net(tg.tensor(to_images(x[i:i + batch]), device=net.device)).numpy())
                               for i in range(0, len(x), batch)])


def l1(a, b):
    """The mean absolute difference: the cycle-consistency and identity losses."""
    return (a - b).abs().mean()


def evaluate(G, F_, classifier, x_test, y_test, mapping):
    """On the test split: paired L1 |G(a) - map(a)| and |F(map(a)) - a|, cycle L1 |F(G(a)) - a| (pixels in [0, 1]),
    and content: the classifier's accuracy on map^-1(G(a)) and on F(map(a)). Returns (G(a), F(G(a)), F(map(a)),
    metrics)."""
    b_test = mapping(x_test)
    g_a = translate(G, x_test)
    f_g_a = translate(F_, g_a)
    f_b = translate(F_, b_test)
    predicted, _ = digit_classifier.predict(classifier, mapping.inverse(g_a))
    confusion = np.zeros((10, 10), int)
    np.add.at(confusion, (np.asarray(y_test), predicted), 1)
    # unpaired training only asks that G(A) look like B and come back: it may relabel digits (say 1 <-> 2) and
    # still satisfy both costs.  The best one-to-one relabelling shows how much of that happened.
    rows, cols = linear_sum_assignment(-confusion)
    content_ab = float(np.trace(confusion) / len(y_test))
    return g_a, f_g_a, f_b, {
        "content_acc_ab": content_ab,
        "content_acc_ba": digit_classifier.accuracy(classifier, f_b, y_test),
        "paired_l1": float(np.abs(g_a - b_test).mean()),
        "paired_l1_ba": float(np.abs(f_b - x_test).mean()),
        "cycle_l1": float(np.abs(f_g_a - x_test).mean()),
        "classifier_acc_on_inverse_map": content_ab,
        "classifier_acc_on_inverse_map_best_relabelling": float(confusion[rows, cols].sum() / len(y_test)),
        "relabelling": {int(r): int(c) for r, c in zip(rows, cols)},
        "confusion_true_vs_predicted": confusion.tolist(),
        "paired_l1_identity_baseline": float(np.abs(x_test - b_test).mean()),
    }


def figure(a, g_a, f_g_a, mapping, cols=None):
    """Rows A, G(A), the true map(A) that G was never shown (for comparison), F(G(A)); ``cols`` digits per row,
    the four rows repeated below for the next ``cols`` (default: all in one band)."""
    import matplotlib.pyplot as plt
    n = len(a)
    cols = min(n, cols or n)
    bands = -(-n // cols)
    fig, axes = plt.subplots(4 * bands, cols, figsize=(0.8 * cols, 3.6 * bands), squeeze=False)
    rows = ((a, "A"), (g_a, "G(A)"), (mapping(a), "true map(A), never shown"), (f_g_a, "F(G(A))"))
    for i in range(bands * cols):
        band, c = divmod(i, cols)
        for row, (imgs, name) in enumerate(rows):
            ax = axes[4 * band + row, c]
            ax.axis("off")
            if i < n:
                ax.imshow(imgs[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            if c == 0:
                ax.set_title(name, fontsize=8, loc="left")
    fig.tight_layout()
    return fig


def train_step(nets, a, b, config, pools, update, data_parallel):
    """One step on whole batches ``a`` and ``b``: each rank runs ``step_losses`` on its rows of both (every cost is a
    mean over images and pixels), its pools answering for the whole batch (``WholeBatchPool``, so the discriminators
    see the history one process keeps); ``update`` averages the ranks' gradients before each step."""
    whole = {k: WholeBatchPool(pool, data_parallel) for k, pool in pools.items()}
    return step_losses(nets, data_parallel.shard(a), data_parallel.shard(b), config, whole, update)


def train(args, run):
    """Train with ``args`` and write the metrics, checkpoint and figures into ``run``."""
    dp = run.data_parallel  # data-parallel (tgg train --ranks N): rank 0's weights, a shard of every batch
    check_batch_splits("cyclegan", args.batch, dp)
    x_train, y_train, x_test, y_test = data = digits()
    classifier = digit_classifier.load_or_train(run.out, data)
    mapping, generator, identity_weight = settings(args)
    half = len(x_train) // 2
    domain_a, domain_b = to_images(x_train[:half]), to_images(mapping(x_train[half:2 * half]))  # disjoint halves
    loader_a = DataLoader(domain_a, batch_size=args.batch, drop_last=True, device=run.device)
    loader_b = DataLoader(domain_b, batch_size=args.batch, drop_last=True, device=run.device)  # shuffled apart

    config = config_of(args, CycleGANConfig)
    nets = make_models(config, run.device)
    G = nets["G"]
    optimizers = make_optimizers(nets, config)
    update = optimizer_update(optimizers, before_step=dp.average_gradients)
    pool_a, pool_b = ImagePool(args.pool), ImagePool(args.pool)
    parts = {"modules": nets, "optimizers": optimizers, "loaders": {"A": loader_a, "B": loader_b}}
    state = run.restore(**parts) or {}
    epoch = state.get("epoch", 0)
    if state:
        pool_a.load_state(np.asarray(state["pool_a"], np.float32))
        pool_b.load_state(np.asarray(state["pool_b"], np.float32))
    dp.broadcast(*nets.values())
    lam, lam_id = args.cycle_weight, identity_weight * args.cycle_weight  # for metrics.json
    bar = run.progress((args.epochs - epoch) * len(loader_a), desc="cyclegan")
    while epoch < args.epochs:
        sums = np.zeros(4)
        for a, b in zip(loader_a, loader_b):
            losses = train_step(nets, a, b, config, {"A": pool_a, "B": pool_b}, update, dp)
            sums += [losses[k].item() for k in ("g_gan", "cycle", "identity", "d_loss")]
            bar.update(1)
        epoch += 1
        sums = np.array(batch_means(sums, args.batch, dp)) / len(loader_a)  # what one process logs
        paired = float(np.abs(translate(G, x_test) - mapping(x_test)).mean())
        run.log(step=epoch, **dict(zip(("g_gan", "cycle", "identity", "d_loss"), sums.tolist())), paired_l1=paired)
        bar.set_postfix(cycle=round(sums[1], 3), paired_l1=round(paired, 3))
        run.save_checkpoint(**parts, extra={"epoch": epoch, "pool_a": pool_a.state().tolist(),
                                            "pool_b": pool_b.state().tolist()})
    run.plot_curves("curves.png", keys=["g_gan", "cycle", "identity", "d_loss", "paired_l1"])

    g_a, f_g_a, f_b, metrics = evaluate(G, nets["F"], classifier, x_test, y_test, mapping)
    np.save(run.out / "test_G_A.npy", g_a)
    np.save(run.out / "test_F_G_A.npy", f_g_a)
    np.save(run.out / "test_F_B.npy", f_b)
    run.savefig(figure(x_test[:12], g_a[:12], f_g_a[:12], mapping), "translations.png")
    run.finish({**metrics, "classifier_acc": digit_classifier.accuracy(classifier, x_test, y_test),
                "domain": mapping.name, "generator": generator, "epochs": args.epochs, "cycle_weight": lam,
                "identity_weight": lam_id, "pool": args.pool})


def sample(args):
    """tgg sample cyclegan --ckpt DIR [--n N]: translate N test digits; rows A, G(A), map(A), F(G(A))
    (``translations.png``)."""
    x_test = digits()[2]
    if args.n > len(x_test):
        raise ValueError(f"--n: tgg sample cyclegan translates test digits, of which there are {len(x_test)}; "
                         f"got {args.n}")
    G, F_, mapping = load_generators(args.ckpt, args.model, args.device)
    a = x_test[:args.n]
    g_a = translate(G, a)
    cols = square_cols(4 * len(a))  # four rows per digit: bands of this many make a square
    figure(a, g_a, translate(F_, g_a), mapping, cols).savefig(f"{args.out}/translations.png", dpi=110,
                                                              bbox_inches="tight")


def load_generators(folder, model="cyclegan", device="cpu"):
    """(G, F, the domain map) of a trained run folder, from its config.json and checkpoint."""
    from tinygrad_gen.run import load_run
    config, parts = load_run(folder, lambda config: {k: GENERATORS[settings(config)[1]]() for k in ("G", "F")},
                             model, device)
    return parts["G"].eval(), parts["F"].eval(), settings(config)[0]
