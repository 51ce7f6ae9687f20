# ruff: noqa: UP008, B007 (the ported programs' own style: super(Cls, self), loop variables kept for reading)
"""A variational autoencoder and its train/test loops, in the shape of pytorch/examples' vae/main.py (written for
this test, not copied): 8x8 synthetic "images" of blobs instead of MNIST."""
import numpy as np
import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F
from torch.utils.data import TensorDataset

PIXELS = 64


def blobs(n, seed):
    """n images of 8x8 pixels in [0, 1]: a soft bright square at a random place; label: its row."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 1, 8, 8), dtype=np.float32)
    rows = rng.integers(0, 6, n)
    cols = rng.integers(0, 6, n)
    for i in range(n):
        images[i, 0, rows[i]:rows[i] + 3, cols[i]:cols[i] + 3] = 0.9
    images += rng.uniform(0.0, 0.1, images.shape).astype(np.float32)
    return images, rows.astype(np.int64)


class VAE(nn.Module):
    def __init__(self, hidden=32, latent=4):
        super(VAE, self).__init__()
        self.enc = nn.Linear(PIXELS, hidden)
        self.enc_mu = nn.Linear(hidden, latent)
        self.enc_logvar = nn.Linear(hidden, latent)
        self.dec = nn.Linear(latent, hidden)
        self.dec_out = nn.Linear(hidden, PIXELS)

    def encode(self, x):
        h = F.relu(self.enc(x))
        return self.enc_mu(h), self.enc_logvar(h)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.dec_out(F.relu(self.dec(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, PIXELS))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, PIXELS), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def build():
    return VAE()


def make_loaders(batch_size, shuffle=True):
    x_train, y_train = blobs(96, seed=1)
    x_test, y_test = blobs(32, seed=2)
    train_loader = torch.utils.data.DataLoader(
        TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train)), batch_size=batch_size, shuffle=shuffle)
    test_loader = torch.utils.data.DataLoader(
        TensorDataset(torch.tensor(x_test), torch.tensor(y_test)), batch_size=batch_size, shuffle=False)
    return train_loader, test_loader


def main(model, epochs=2, batch_size=32, shuffle=True, seed=1):
    """Train and test for ``epochs``; returns (per-batch train losses, per-epoch test losses, last comparison)."""
    torch.manual_seed(seed)
    use_cuda = torch.cuda.is_available()
    device = torch.device("cuda" if use_cuda else "cpu")
    model = model.to(device)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    train_loader, test_loader = make_loaders(batch_size, shuffle)
    batch_losses, test_losses, comparison = [], [], None
    for epoch in range(1, epochs + 1):
        model.train()
        train_loss = 0
        for batch_idx, (data, _) in enumerate(train_loader):
            data = data.to(device)
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(data)
            loss = loss_function(recon_batch, data, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
            batch_losses.append(loss.item() / len(data))
        assert len(train_loader) == 3 and len(train_loader.dataset) == 96
        model.eval()
        test_loss = 0
        with torch.no_grad():
            for i, (data, _) in enumerate(test_loader):
                data = data.to(device)
                recon_batch, mu, logvar = model(data)
                test_loss += loss_function(recon_batch, data, mu, logvar).item()
                if i == 0:
                    n = min(data.size(0), 4)
                    comparison = torch.cat([data[:n], recon_batch.view(batch_size, 1, 8, 8)[:n]])
        test_losses.append(test_loss / len(test_loader.dataset))
        with torch.no_grad():
            sample = model.decode(torch.randn(8, 4).to(device)).cpu()
            assert sample.shape == (8, PIXELS)
    return batch_losses, test_losses, comparison
