"""One training step of the default 2-D GAN (``GAN2DConfig()``: the ring of 8 Gaussians, z 2, G and D MLPs of 3 x
128, ReLU / LeakyReLU 0.2, Adam 1e-3 (0.5, 0.999), batch 256, R1 penalty gamma 0.1): ours is ``gan2d.step_losses``,
the step ``tgg train gan2d`` runs, on a fixed batch and fixed codes. The PyTorch peer, written out, is a twin with
the same layers and initial weights and the same batch; its R1 gradient comes from
``torch.autograd.grad(create_graph=True)``.
"""
import numpy as np


def _config():
    from tinygrad_gen.models.gan2d import GAN2DConfig
    return GAN2DConfig()


def _data(config):
    from tinygrad_gen.models.gan2d import DATASETS
    rng = np.random.default_rng(0)
    x = DATASETS[config.dataset]().sample(config.batch, rng).astype(np.float32)
    return x, *(rng.standard_normal((config.batch, config.z_dim)).astype(np.float32) for _ in range(2))


def _models(config):
    from tinygrad_gen.models.gan2d import make_models, make_optimizers

    import tinygrad_gen as tg
    tg.manual_seed(0)
    G, D = make_models(config)
    opts = make_optimizers(G, D, config)
    return G, D, opts["G"], opts["D"]


def ours(device="cpu"):
    """One step of ours, as a zero-argument callable returning J_D + J_G."""
    from tinygrad_gen.models.gan2d import step_losses
    from tinygrad_gen.models.step_update import optimizer_update

    import tinygrad_gen as tg
    config = _config()
    G, D, opt_g, opt_d = _models(config)
    G.to(device)
    D.to(device)
    x, z1, z2 = (tg.tensor(a, device=device) for a in _data(config))
    update = optimizer_update({"G": opt_g, "D": opt_d})

    def step():
        losses = step_losses(G, D, x, z1, z2, config, update)
        return losses["d_loss"].item() + losses["g_loss"].item()
    return step


def torch_peer():
    """One step of the PyTorch twin, as a zero-argument callable returning J_D + J_G."""
    import torch
    from torch.nn.functional import softplus

    from .twins import adam_twin, sequential
    config = _config()
    G, D, opt_g, opt_d = _models(config)
    g_net, d_net = sequential(torch, G.net), sequential(torch, D.net)
    t_opt_g, t_opt_d = adam_twin(torch, opt_g, (G.net, g_net)), adam_twin(torch, opt_d, (D.net, d_net))
    x, z1, z2 = (torch.from_numpy(a) for a in _data(config))
    gamma = config.r1

    def step():
        with torch.no_grad():
            fake = g_net(z1)
        real = x.detach().requires_grad_(True)  # R1 on its own forward pass, as r1_penalty does
        grad, = torch.autograd.grad(d_net(real).sum(), real, create_graph=True)
        r1 = (grad * grad).sum(1).mean()
        d_loss = softplus(-d_net(x)).mean() + softplus(d_net(fake)).mean() + 0.5 * gamma * r1
        t_opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        t_opt_d.step()
        g_loss = softplus(-d_net(g_net(z2))).mean()
        t_opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        t_opt_g.step()
        return d_loss.item() + g_loss.item()
    return step
