"""One training step of the default VAE (``VAEConfig()``: encoder 64-256-256 -> mu, logvar of size 8; decoder
8-256-256-64 with Bernoulli logits; ReLU; Adam 1e-3; batch 100 digits): ours is ``vae.step_losses``, the step
``tgg train vae`` runs; the PyTorch peer, written out, has exactly the same architecture, loss (BCE-with-logits
summed over pixels + closed-form KL, averaged over the batch) and optimiser.

``tgg bench step --model vae`` imports this module; ``ours(device)`` and ``torch_peer()`` each return a
zero-argument callable that runs one full step (sample eps, forward, backward, Adam update) on a fixed batch.

``python -m tinygrad_gen.benchmarks.step_vae --epochs 300 --latent 8`` trains the PyTorch peer the way
``tgg train vae`` trains ours (same split, batch order, optimiser and epochs) and prints its training time and its
test ELBO and IWAE (K = 500) in nats per image: the reference for the quality and speed goals of the VAE.
"""


def _config():
    from tinygrad_gen.models.vae import VAEConfig
    return VAEConfig()


def _batch():
    from tinygrad_gen.data import digits
    return digits()[0][:_config().batch_size]


def ours(device="cpu"):
    """One step of ours (``vae.step_losses``, the step ``tgg train vae`` runs), as a zero-argument callable."""
    from tinygrad_gen.models.step_update import optimizer_update
    from tinygrad_gen.models.vae import make_model, make_optimizers, step_losses

    import tinygrad_gen as tg

    tg.manual_seed(0)
    config = _config()
    model = make_model(config, device)
    update = optimizer_update(make_optimizers(model, config))
    x = tg.tensor(_batch(), device=device)
    return lambda: step_losses(model, x, update)["loss"].item()


def _torch_vae(latent=None):
    """The PyTorch twin of ``VAE`` with the default config's sizes (``latent`` may differ)."""
    import torch
    import torch.nn as tnn
    import torch.nn.functional as tF

    config = _config()
    latent, hidden = latent or config.latent, config.hidden

    class VAE(tnn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = tnn.Sequential(tnn.Linear(64, hidden), tnn.ReLU(), tnn.Linear(hidden, hidden), tnn.ReLU())
            self.to_mu, self.to_logvar = tnn.Linear(hidden, latent), tnn.Linear(hidden, latent)
            self.decoder = tnn.Sequential(tnn.Linear(latent, hidden), tnn.ReLU(), tnn.Linear(hidden, hidden),
                                          tnn.ReLU(), tnn.Linear(hidden, 64))

        def forward(self, x):
            h = self.encoder(x)
            mu, logvar = self.to_mu(h), self.to_logvar(h)
            z = mu + torch.exp(logvar / 2) * torch.randn_like(mu)
            reconstruction = tF.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="sum") / x.shape[0]
            kl = 0.5 * (logvar.exp() + mu * mu - 1 - logvar).sum(-1).mean()
            return reconstruction + kl

    return VAE()


def torch_peer():
    import torch

    torch.manual_seed(0)
    model = _torch_vae()
    optimizer = torch.optim.Adam(model.parameters(), lr=_config().lr)
    x = torch.from_numpy(_batch())

    def step():
        loss = model(x)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()
    return step


def train_torch(epochs=None, latent=None, seed=0, k=None):
    """Train the PyTorch peer as ``tgg train vae`` trains ours (its config's defaults where an argument is None);
    return (seconds, test ELBO, test IWAE)."""
    import time

    import numpy as np
    import torch

    from tinygrad_gen.data import digits

    config = _config()
    epochs, latent, k = epochs or config.epochs, latent or config.latent, k or config.iwae_k
    torch.manual_seed(seed)
    x_train, _, x_test, _ = digits()
    model = _torch_vae(latent)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    seconds = 0.0
    for epoch in range(epochs):
        start = time.perf_counter()
        order = np.random.default_rng([seed, epoch]).permutation(len(x_train))
        for i in range(0, len(x_train), config.batch_size):
            loss = model(torch.from_numpy(x_train[order[i:i + config.batch_size]]))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        seconds += time.perf_counter() - start
    with torch.no_grad():  # K importance samples per test image, in float64
        x = torch.from_numpy(x_test).double()
        model = model.double()
        h = model.encoder(x)
        mu, logvar = model.to_mu(h), model.to_logvar(h)
        eps = torch.randn(x.shape[0], k, latent, dtype=torch.float64)
        z = mu[:, None] + torch.exp(logvar / 2)[:, None] * eps
        logits = model.decoder(z)
        log_px_z = (x[:, None] * logits - torch.nn.functional.softplus(logits)).sum(-1)
        log_ratio = -0.5 * (z * z).sum(-1) + 0.5 * (eps * eps).sum(-1) + 0.5 * logvar.sum(-1, keepdim=True)
        kl = 0.5 * (logvar.exp() + mu * mu - 1 - logvar).sum(-1)
        elbo = (log_px_z.mean(1) - kl).mean().item()
        iwae = (torch.logsumexp(log_px_z + log_ratio, 1) - np.log(k)).mean().item()
    return seconds, elbo, iwae


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="train the PyTorch VAE peer like tgg train vae")
    parser.add_argument("--epochs", type=int, default=None, help="default: tgg train vae's")
    parser.add_argument("--latent", type=int, default=None, help="default: tgg train vae's")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    seconds, elbo, iwae = train_torch(args.epochs, args.latent, args.seed)
    print(f"torch VAE, latent {args.latent or _config().latent}, {args.epochs or _config().epochs} epochs: "
          f"train_seconds {seconds:.1f}, "
          f"test_elbo {elbo:.3f}, test_iwae {iwae:.3f}")
