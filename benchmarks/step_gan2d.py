"""One training step of the default 2-D GAN on the ring of 8 Gaussians (z 2, G and D MLPs of 3 x 128, ReLU /
LeakyReLU 0.2, Adam 1e-3 (0.5, 0.999), batch 256, R1 penalty gamma 0.1): a discriminator update whose cost holds
gamma/2 ||grad_x D(x)||^2 on real points (a double backward), then a generator update with the non-saturating
cost, as ``tgg train gan2d`` does. The PyTorch peer is a twin with the same layers and initial weights and the same
fixed batch; its R1 gradient comes from ``torch.autograd.grad(create_graph=True)``.
"""
import numpy as np

BATCH, Z_DIM, HIDDEN, LR, BETAS, GAMMA = 256, 2, 128, 1e-3, (0.5, 0.999), 0.1


def _data():
    from tinygrad_gen.data import ring_mixture
    rng = np.random.default_rng(0)
    x = ring_mixture().sample(BATCH, rng).astype(np.float32)
    return x, *(rng.standard_normal((BATCH, Z_DIM)).astype(np.float32) for _ in range(2))


def _models():
    from tinygrad_gen.models.gan2d import Discriminator, Generator

    import tinygrad_gen as tg
    from tinygrad_gen import optim
    tg.manual_seed(0)
    G, D = Generator(Z_DIM, HIDDEN), Discriminator(HIDDEN)
    return G, D, optim.Adam(G.parameters(), lr=LR, betas=BETAS), optim.Adam(D.parameters(), lr=LR, betas=BETAS)


def ours(device="cpu"):
    from tinygrad_gen.models.gan_losses import discriminator_loss, generator_loss_ns, r1_penalty

    import tinygrad_gen as tg
    G, D, opt_g, opt_d = _models()
    x, z1, z2 = (tg.tensor(a) for a in _data())

    def step():
        with tg.no_grad():
            fake = G(z1)
        d_loss = discriminator_loss(D(x), D(fake)) + 0.5 * GAMMA * r1_penalty(D, x)
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = generator_loss_ns(D(G(z2)))
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
    t_opt_g, t_opt_d = adam_twin(torch, opt_g, (G.net, g_net)), adam_twin(torch, opt_d, (D.net, d_net))
    x, z1, z2 = (torch.from_numpy(a) for a in _data())

    def step():
        with torch.no_grad():
            fake = g_net(z1)
        real = x.detach().requires_grad_(True)  # R1 on its own forward pass, as r1_penalty does
        grad, = torch.autograd.grad(d_net(real).sum(), real, create_graph=True)
        r1 = (grad * grad).sum(1).mean()
        d_loss = softplus(-d_net(x)).mean() + softplus(d_net(fake)).mean() + 0.5 * GAMMA * r1
        t_opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        t_opt_d.step()
        g_loss = softplus(-d_net(g_net(z2))).mean()
        t_opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        t_opt_g.step()
        return d_loss.item() + g_loss.item()
    return step
