"""One training step of the default DCGAN (``DCGANConfig()``: z 32, G 32 -> 128 -> 64 -> 1 by transposed
convolutions, D 1 -> 32 -> 64 -> 1 by strided convolutions, BatchNorm, N(0, 0.02) init, Adam 2e-4 (0.5, 0.999),
batch 64 digits): ours is ``dcgan.step_losses``, the step ``tgg train dcgan`` runs, on a fixed batch of images and
codes. The PyTorch peer, written out, is a twin with the same layers and the same initial weights
(``twins.sequential``) and the same batch.
"""
import numpy as np


def _config():
    from tinygrad_gen.models.dcgan import DCGANConfig
    return DCGANConfig()


def _data(config):
    from tinygrad_gen.models.dcgan import to_images

    from tinygrad_gen.data import digits
    rng = np.random.default_rng(0)
    return (to_images(digits()[0][:config.batch]),
            rng.standard_normal((config.batch, config.z_dim)).astype(np.float32))


def _models(config):
    from tinygrad_gen.models.dcgan import make_models, make_optimizers

    import tinygrad_gen as tg
    tg.manual_seed(0)
    G, D = make_models(config)
    opts = make_optimizers(G, D, config)
    return G, D, opts["G"], opts["D"]


def ours(device="cpu"):
    """One step of ours, as a zero-argument callable returning J_D + J_G."""
    from tinygrad_gen.models.dcgan import step_losses
    from tinygrad_gen.models.step_update import optimizer_update

    import tinygrad_gen as tg
    config = _config()
    G, D, opt_g, opt_d = _models(config)
    G.to(device)
    D.to(device)
    x, z = (tg.tensor(a, device=device) for a in _data(config))
    update = optimizer_update({"G": opt_g, "D": opt_d})

    def step():
        losses = step_losses(G, D, x, z, update)
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
    tg_opt, td_opt = adam_twin(torch, opt_g, (G.net, g_net)), adam_twin(torch, opt_d, (D.net, d_net))
    x, z = (torch.from_numpy(a) for a in _data(config))

    def step():
        fake = g_net(z.reshape(config.batch, config.z_dim, 1, 1))
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
