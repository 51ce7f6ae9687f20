"""One training step of the default VAE (encoder 64-256-256 -> mu, logvar of size 8; decoder 8-256-256-64 with
Bernoulli logits; ReLU; Adam 1e-3; batch 100 digits), ours and a PyTorch peer with exactly the same architecture,
loss (BCE-with-logits summed over pixels + closed-form KL, averaged over the batch) and optimiser.

``tgg bench step --model vae`` imports this module; ``ours(device)`` and ``torch_peer()`` each return a
zero-argument callable that runs one full step (sample eps, forward, backward, Adam update) on a fixed batch.
"""
LATENT, HIDDEN, BATCH, LR = 8, 256, 100, 1e-3


def _batch():
    from tinygrad_gen.data import digits
    return digits()[0][:BATCH]


def ours(device="cpu"):
    import tinygrad_gen as tg
    from tinygrad_gen import optim
    from tinygrad_gen.models.vae import VAE

    tg.manual_seed(0)
    model = VAE(LATENT, HIDDEN).to(device)
    optimizer = optim.Adam(model.parameters(), lr=LR)
    x = tg.tensor(_batch(), device=device)

    def step():
        loss = model(x)[0]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()
    return step


def torch_peer():
    import torch
    import torch.nn as tnn
    import torch.nn.functional as tF

    class VAE(tnn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = tnn.Sequential(tnn.Linear(64, HIDDEN), tnn.ReLU(), tnn.Linear(HIDDEN, HIDDEN), tnn.ReLU())
            self.to_mu, self.to_logvar = tnn.Linear(HIDDEN, LATENT), tnn.Linear(HIDDEN, LATENT)
            self.decoder = tnn.Sequential(tnn.Linear(LATENT, HIDDEN), tnn.ReLU(), tnn.Linear(HIDDEN, HIDDEN),
                                          tnn.ReLU(), tnn.Linear(HIDDEN, 64))

        def forward(self, x):
            h = self.encoder(x)
            mu, logvar = self.to_mu(h), self.to_logvar(h)
            z = mu + torch.exp(logvar / 2) * torch.randn_like(mu)
            reconstruction = tF.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="sum") / x.shape[0]
            kl = 0.5 * (logvar.exp() + mu * mu - 1 - logvar).sum(-1).mean()
            return reconstruction + kl

    torch.manual_seed(0)
    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    x = torch.from_numpy(_batch())

    def step():
        loss = model(x)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()
    return step
