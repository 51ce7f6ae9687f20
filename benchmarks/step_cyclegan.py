"""One training step of the default CycleGAN (``CycleGANConfig()``: the invert_blur domain, two fully convolutional
LocalTranslators G: A -> B and F: B -> A, two PatchDiscriminators, least-squares costs, cycle weight 10, identity
weight 0, Adam 2e-4 (0.5, 0.999), batch 32): ours is ``cyclegan.step_losses``, the step ``tgg train cyclegan`` runs,
the generators' update then the discriminators', except that the discriminators see the latest generated images
(image pools of size 0: the pool is bookkeeping, not engine work). The PyTorch peer, written out, is a twin with the
same layers and initial weights (``twins.sequential``) and the same fixed batches.
"""


def _config():
    from tinygrad_gen.models.cyclegan import CycleGANConfig
    return CycleGANConfig()


def _data(config):
    from tinygrad_gen.models.cyclegan import style_map, to_images

    from tinygrad_gen.data import digits
    x = digits()[0]
    return to_images(x[:config.batch]), to_images(style_map(config.domain)(x[config.batch:2 * config.batch]))


def _models(config):
    from tinygrad_gen.models.cyclegan import make_models, make_optimizers

    import tinygrad_gen as tg
    tg.manual_seed(0)
    nets = make_models(config)
    return nets, make_optimizers(nets, config)


def ours(device="cpu"):
    """One step of ours, as a zero-argument callable returning J_G + J_D."""
    from tinygrad_gen.models.cyclegan import step_losses
    from tinygrad_gen.models.image_pool import ImagePool
    from tinygrad_gen.models.step_update import optimizer_update

    import tinygrad_gen as tg
    config = _config()
    nets, optimizers = _models(config)
    for net in nets.values():
        net.to(device)
    a, b = (tg.tensor(v, device=device) for v in _data(config))
    pools, update = {"A": ImagePool(0), "B": ImagePool(0)}, optimizer_update(optimizers)

    def step():
        losses = step_losses(nets, a, b, config, pools, update)
        return losses["g_loss"].item() + losses["d_loss"].item()
    return step


def _torch_generator(torch, ours):
    """The twin of one of our generators: a Sequential ``net`` (LocalTranslator, MLPTranslator) or a Translator."""
    from tinygrad_gen.models.cyclegan import MLPTranslator

    from .twins import sequential
    if hasattr(ours, "net"):
        class Twin(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.net = sequential(torch, ours.net)
                self.mlp = isinstance(ours, MLPTranslator)  # works on flat pixels

            def forward(self, x):
                if self.mlp:
                    return self.net(x.reshape(x.shape[0], 64)).reshape(x.shape[0], 1, 8, 8)
                return self.net(x)
        return Twin()

    class TorchTranslator(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.width = ours.width
            self.encode, self.bottleneck = sequential(torch, ours.encode), sequential(torch, ours.bottleneck)
            self.decode = sequential(torch, ours.decode)

        def forward(self, x):
            h = self.bottleneck(self.encode(x).reshape(x.shape[0], 8 * self.width))
            return self.decode(h.reshape(x.shape[0], 2 * self.width, 2, 2))
    return TorchTranslator()


def torch_peer():
    """One step of the PyTorch twin, as a zero-argument callable returning J_G + J_D."""
    import torch

    from tinygrad_gen.models.cyclegan import settings

    from .twins import adam_twin, sequential
    config = _config()
    nets, optimizers = _models(config)
    G, F, D_A, D_B = (_torch_generator(torch, nets["G"]), _torch_generator(torch, nets["F"]),
                      sequential(torch, nets["D_A"].net), sequential(torch, nets["D_B"].net))
    opt_g = adam_twin(torch, optimizers["G"], (nets["G"], G), (nets["F"], F))
    opt_d = adam_twin(torch, optimizers["D"], (nets["D_A"].net, D_A), (nets["D_B"].net, D_B))
    a, b = (torch.from_numpy(v) for v in _data(config))
    lam = config.cycle_weight
    lam_id = settings(config)[2] * lam

    def l1(u, v):
        return (u - v).abs().mean()

    def step():
        fake_b, fake_a = G(a), F(b)
        gan = ((D_B(fake_b) - 1.0) ** 2).mean() + ((D_A(fake_a) - 1.0) ** 2).mean()
        cycle = l1(F(fake_b), a) + l1(G(fake_a), b)
        identity = l1(G(b), b) + l1(F(a), a)
        g_loss = gan + lam * cycle + lam_id * identity
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        d_loss = 0.5 * (((D_A(a) - 1.0) ** 2).mean() + (D_A(fake_a.detach()) ** 2).mean()
                        + ((D_B(b) - 1.0) ** 2).mean() + (D_B(fake_b.detach()) ** 2).mean())
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        return g_loss.item() + d_loss.item()
    return step
