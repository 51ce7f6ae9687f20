"""One training step of the default DCGAN (z 32, G 32 -> 128 -> 64 -> 1 by transposed convolutions, D 1 -> 32 ->
64 -> 1 by strided convolutions, BatchNorm, N(0, 0.02) init, Adam 2e-4 (0.5, 0.999), batch 64 digits): a
discriminator update on real vs generated images, then a generator update with the non-saturating cost, as
``tgg train dcgan`` does. The PyTorch peer is a twin with the same layers and the same initial weights
(``twins.sequential``) and the same fixed batch of images and codes.
"""
import numpy as np

BATCH, Z_DIM, LR, BETAS = 64, 32, 2e-4, (0.5, 0.999)


def _data():
    from tinygrad_gen.models.dcgan import to_images

    from tinygrad_gen.data import digits
    rng = np.random.default_rng(0)
    return to_images(digits()[0][:BATCH]), rng.standard_normal((BATCH, Z_DIM)).astype(np.float32)


def _models():
    from tinygrad_gen.models.dcgan import Discriminator, Generator, dcgan_init

    import tinygrad_gen as tg
    from tinygrad_gen import optim
    tg.manual_seed(0)
    G, D = dcgan_init(Generator(Z_DIM)), dcgan_init(Discriminator())
    return G, D, optim.Adam(G.parameters(), lr=LR, betas=BETAS), optim.Adam(D.parameters(), lr=LR, betas=BETAS)


def ours(device="cpu"):
    from tinygrad_gen.models.gan_losses import discriminator_loss, generator_loss_ns

    import tinygrad_gen as tg
    G, D, opt_g, opt_d = _models()
    x, z = (tg.tensor(a) for a in _data())

    def step():
        fake = G(z)
        d_loss = discriminator_loss(D(x), D(fake.detach()))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = generator_loss_ns(D(fake))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        return d_loss.item() + g_loss.item()
    return step


def torch_peer():
    import torch
    from torch.nn.functional import softplus

    from .twins import adam_twin, sequential
    G, D, opt_g, opt_d = _models()
    g_net, d_net = sequential(torch, G.net), sequential(torch, D.net)
    tg_opt, td_opt = adam_twin(torch, opt_g, (G.net, g_net)), adam_twin(torch, opt_d, (D.net, d_net))
    x, z = (torch.from_numpy(a) for a in _data())

    def step():
        fake = g_net(z.reshape(BATCH, Z_DIM, 1, 1))
        d_loss = softplus(-d_net(x)).mean() + softplus(d_net(fake.detach())).mean()
        td_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        td_opt.step()
        g_loss = softplus(-d_net(fake)).mean()
        tg_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        tg_opt.step()
        return d_loss.item() + g_loss.item()
    return step
