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
    """The VAE's training step: its losses and the model."""
    from tinygrad_gen.models.vae import VAE
    model = VAE()
    loss, _, _ = model(_digits(16))
    return {"loss": loss}, model


def ae_step():
    """The autoencoder's training step: its loss and the model."""
    import tinygrad_gen.nn.functional as F
    from tinygrad_gen.models.autoencoder import Autoencoder
    model, x = Autoencoder(), _digits(16)
    return {"loss": F.mse_loss(model(x), x)}, model


def gpt_step():
    """A GPT training step on random tokens: its loss and the model."""
    from tinygrad_gen.models.gpt import GPT, GPTConfig
    model = GPT(GPTConfig())
    ids = np.random.default_rng(0).integers(0, model.config.vocab_size, (2, 17))
    _, loss = model(tg.tensor(ids[:, :-1]), tg.tensor(ids[:, 1:]))
    return {"loss": loss}, model


def dcgan_step():
    """A DCGAN step: the discriminator's and the generator's losses, and both models."""
    from tinygrad_gen.models.dcgan import Discriminator, Generator, to_images
    from tinygrad_gen.models.gan_losses import discriminator_loss, generator_loss_ns
    G, D = Generator(), Discriminator()
    x = tg.tensor(to_images(_digits(16).numpy()))
    fake = G(tg.randn(16, G.z_dim))
    return {"d_loss": discriminator_loss(D(x), D(fake.detach())), "g_loss": generator_loss_ns(D(fake))}, \
        {"G": G, "D": D}


def gan1d_step():
    """A 1-D GAN step: both losses and both models."""
    from tinygrad_gen.models.gan1d import Discriminator, Generator
    from tinygrad_gen.models.gan_losses import discriminator_loss, generator_loss_ns
    G, D = Generator(), Discriminator()
    fake = G(tg.randn(16, 1))
    return {"d_loss": discriminator_loss(D(tg.randn(16, 1) + 2.0), D(fake.detach())),
            "g_loss": generator_loss_ns(D(fake))}, {"G": G, "D": D}


def gan2d_step():
    """gan2d's default step: J_D plus gamma/2 R1 (a double backward: its graph holds the backward of D), then J_G."""
    from tinygrad_gen.data.toy import ring_gaussians
    from tinygrad_gen.models.gan2d import Discriminator, Generator
    from tinygrad_gen.models.gan_losses import discriminator_loss, generator_loss_ns, r1_penalty
    G, D = Generator(2, 128), Discriminator(128)
    x = tg.tensor(ring_gaussians(32, np.random.default_rng(0)))
    with tg.no_grad():
        fake = G(tg.randn(32, 2))
    d_loss = discriminator_loss(D(x), D(fake)) + 0.5 * 0.1 * r1_penalty(D, x)
    return {"d_loss": d_loss, "g_loss": generator_loss_ns(D(G(tg.randn(32, 2))))}, {"G": G, "D": D}


BERT_TEXT = [["The cat sat on the mat.", "It was warm there.", "The dog slept by the door."],
             ["Birds fly south in the autumn.", "They come back in the spring.", "The nights are long."]]


def bert_step():
    """Masked-LM plus next-sentence loss on a batch of two sentence pairs from a tiny two-document text."""
    from tinygrad_gen.data import WordVocab
    from tinygrad_gen.models.bert import BERT, BERTConfig, pretraining_loss
    from tinygrad_gen.models.bert_data import PretrainingData
    vocab = WordVocab(" ".join(" ".join(doc) for doc in BERT_TEXT))
    batch = PretrainingData(BERT_TEXT, vocab, max_len=24).batch(2, np.random.default_rng(0))
    model = BERT(BERTConfig(len(vocab), max_len=24))
    loss, _ = pretraining_loss(model, batch)
    return {"loss": loss}, model


# each builds one training step's forward: ({loss name: loss}, the Module or {name: Module} it trains)
STEPS = {"vae": vae_step, "ae": ae_step, "gpt": gpt_step, "bert": bert_step, "dcgan": dcgan_step,
         "gan1d": gan1d_step, "gan2d": gan2d_step}


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
    """The options of ``tgg graph``."""
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
    """``tgg graph MODEL``: draw one training step's graph; returns the exit status."""
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
