"""One training step of the default CycleGAN (two conv Translators G: A -> B and F: B -> A, two PatchDiscriminators,
least-squares costs, cycle weight 10, identity weight 5, Adam 2e-4 (0.5, 0.999), batch 32): the generators'
update, then the discriminators', as ``tgg train cyclegan`` does, except that the discriminators see the latest
generated images rather than an image pool (the pool is bookkeeping, not engine work). The PyTorch peer is a twin
with the same layers and initial weights (``twins.sequential``) and the same fixed batches.
"""

BATCH, LR, BETAS, CYCLE, IDENTITY = 32, 2e-4, (0.5, 0.999), 10.0, 5.0


def _data():
    from tinygrad_gen.models.cyclegan import secret_map, to_images

    from tinygrad_gen.data import digits
    x = digits()[0]
    return to_images(x[:BATCH]), to_images(secret_map(x[BATCH:2 * BATCH]))


def _models():
    from tinygrad_gen.models.cyclegan import PatchDiscriminator, Translator

    import tinygrad_gen as tg
    from tinygrad_gen import optim
    tg.manual_seed(0)
    G, F, D_A, D_B = Translator(), Translator(), PatchDiscriminator(), PatchDiscriminator()
    opt_g = optim.Adam(list(G.parameters()) + list(F.parameters()), lr=LR, betas=BETAS)
    opt_d = optim.Adam(list(D_A.parameters()) + list(D_B.parameters()), lr=LR, betas=BETAS)
    return (G, F, D_A, D_B), opt_g, opt_d


def _step(nets, opt_g, opt_d, a, b, zero_grad):
    """The CycleGAN step written once for both libraries (their tensors share these operators)."""
    G, F, D_A, D_B = nets

    def l1(u, v):
        return (u - v).abs().mean()

    fake_b, fake_a = G(a), F(b)
    gan = ((D_B(fake_b) - 1.0) ** 2).mean() + ((D_A(fake_a) - 1.0) ** 2).mean()
    cycle = l1(F(fake_b), a) + l1(G(fake_a), b)
    identity = l1(G(b), b) + l1(F(a), a)
    g_loss = gan + CYCLE * cycle + IDENTITY * identity
    zero_grad(opt_g)
    g_loss.backward()
    opt_g.step()
    d_loss = 0.5 * (((D_A(a) - 1.0) ** 2).mean() + (D_A(fake_a.detach()) ** 2).mean()
                    + ((D_B(b) - 1.0) ** 2).mean() + (D_B(fake_b.detach()) ** 2).mean())
    zero_grad(opt_d)
    d_loss.backward()
    opt_d.step()
    return g_loss.item() + d_loss.item()


def ours(device="cpu"):
    import tinygrad_gen as tg
    nets, opt_g, opt_d = _models()
    a, b = (tg.tensor(v) for v in _data())
    return lambda: _step(nets, opt_g, opt_d, a, b, lambda opt: opt.zero_grad())


def torch_peer():
    import torch

    from .twins import adam_twin, sequential
    (G, F, D_A, D_B), opt_g, opt_d = _models()

    class TorchTranslator(torch.nn.Module):
        def __init__(self, ours):
            super().__init__()
            self.width = ours.width
            self.encode, self.bottleneck = sequential(torch, ours.encode), sequential(torch, ours.bottleneck)
            self.decode = sequential(torch, ours.decode)

        def forward(self, x):
            h = self.bottleneck(self.encode(x).reshape(x.shape[0], 8 * self.width))
            return self.decode(h.reshape(x.shape[0], 2 * self.width, 2, 2))

    twins = [TorchTranslator(G), TorchTranslator(F), sequential(torch, D_A.net), sequential(torch, D_B.net)]
    t_opt_g = adam_twin(torch, opt_g, (G, twins[0]), (F, twins[1]))
    t_opt_d = adam_twin(torch, opt_d, (D_A.net, twins[2]), (D_B.net, twins[3]))
    a, b = (torch.from_numpy(v) for v in _data())
    return lambda: _step(twins, t_opt_g, t_opt_d, a, b, lambda opt: opt.zero_grad(set_to_none=True))
