"""``tgg graph MODEL [--out FILE] [--depth N | --no-collapse]``: the graph of one training step of a built-in model.

Builds the model with its default sizes (a small batch), runs one step's forward inside ``tg.viz.record_modules()``,
then each loss's backward (the graph kept), and draws the losses with the model's parameter names and gradient norms.
Ops are grouped into one box per Module call (the shallowest call depth at which no box holds more than half the
ops; ``--depth N`` picks the depth, ``--no-collapse`` shows every op). FILE ends in .svg, .png or .dot (default
MODEL_graph.svg; a .dot when Graphviz's ``dot`` is not installed).
"""
import argparse
import shutil
import sys

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen import viz

from .parsing import Parser


def _digits(n):
    from tinygrad_gen.data import digits
    return tg.tensor(digits()[0][:n])


def vae_step():
    from tinygrad_gen.models.vae import VAE
    model = VAE()
    loss, _, _ = model(_digits(16))
    return {"loss": loss}, model


def ae_step():
    import tinygrad_gen.nn.functional as F
    from tinygrad_gen.models.autoencoder import Autoencoder
    model, x = Autoencoder(), _digits(16)
    return {"loss": F.mse_loss(model(x), x)}, model


def gpt_step():
    from tinygrad_gen.models.gpt import GPT, GPTConfig
    model = GPT(GPTConfig())
    ids = np.random.default_rng(0).integers(0, model.config.vocab_size, (2, 17))
    _, loss = model(tg.tensor(ids[:, :-1]), tg.tensor(ids[:, 1:]))
    return {"loss": loss}, model


def dcgan_step():
    from tinygrad_gen.models.dcgan import Discriminator, Generator, to_images
    from tinygrad_gen.models.gan_losses import discriminator_loss, generator_loss_ns
    G, D = Generator(), Discriminator()
    x = tg.tensor(to_images(_digits(16).numpy()))
    fake = G(tg.randn(16, G.z_dim))
    return {"d_loss": discriminator_loss(D(x), D(fake.detach())), "g_loss": generator_loss_ns(D(fake))}, \
        {"G": G, "D": D}


def gan1d_step():
    from tinygrad_gen.models.gan1d import Discriminator, Generator
    from tinygrad_gen.models.gan_losses import discriminator_loss, generator_loss_ns
    G, D = Generator(), Discriminator()
    fake = G(tg.randn(16, 1))
    return {"d_loss": discriminator_loss(D(tg.randn(16, 1) + 2.0), D(fake.detach())),
            "g_loss": generator_loss_ns(D(fake))}, {"G": G, "D": D}


# each builds one training step's forward: ({loss name: loss}, the Module or {name: Module} it trains)
STEPS = {"vae": vae_step, "ae": ae_step, "gpt": gpt_step, "dcgan": dcgan_step, "gan1d": gan1d_step}


def backward_each(losses, params):
    """Each loss's backward, keeping the graph. A parameter that several losses reach (a GAN's D, through J_G) keeps
    the gradient of the first loss only, the one its optimizer steps on in training."""
    owners = {}
    for loss in losses.values():
        before = {id(p): p.grad for p in _parameters(params)}
        loss.backward(retain_graph=True)
        for p in _parameters(params):
            if id(p) in owners:
                p.grad = before[id(p)]  # a later loss's gradient is not what this parameter trains on
            elif p.grad is not None:
                owners[id(p)] = loss
    return losses


def _parameters(params):
    if hasattr(params, "parameters"):
        return list(params.parameters())
    return [p for m in params.values() for p in m.parameters()]


def build_parser():
    parser = Parser(prog="tgg graph", description=__doc__.split("\n\n")[0].split(": ", 1)[-1],
                    formatter_class=argparse.RawDescriptionHelpFormatter,
                    epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("model", choices=sorted(STEPS), help="the model whose training step is drawn")
    parser.add_argument("--out", default=None, help="output file: .svg, .png or .dot (default MODEL_graph.svg)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--depth", type=int, default=None, help="one box per Module call at this call depth")
    group.add_argument("--no-collapse", action="store_true", help="draw every op")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    out = args.out
    if out is None:
        out = f"{args.model}_graph.svg"
        if shutil.which("dot") is None:
            out = f"{args.model}_graph.dot"
            print(f"tgg graph: Graphviz's `dot` is not installed, so writing {out} instead of a picture; "
                  f"{viz.INSTALL_DOT}", file=sys.stderr)
    tg.manual_seed(args.seed)
    with viz.record_modules():
        losses, params = STEPS[args.model]()
    backward_each(losses, params)
    collapse = False if args.no_collapse else (args.depth if args.depth is not None else True)
    graph = tg.draw(*losses.values(), params=[params, losses], collapse=collapse)
    graph.save(out)
    print(f"tgg graph: wrote {out} ({graph.nodes} nodes, {graph.edges} edges; one training step of {args.model})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
