# ruff: noqa: UP008, B007 (the ported programs' own style: super(Cls, self), loop variables kept for reading)
"""A small deep-convolutional GAN and its alternating training loop, in the shape of pytorch/examples'
dcgan/main.py (written for this test, not copied): 16x16 one-channel synthetic images."""
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data

nz, ngf, ndf, nc = 8, 4, 4, 1


def stripes(n, seed=0):
    """n images of 16x16 in [-1, 1]: stripes of a random period and phase."""
    rng = np.random.default_rng(seed)
    xs = np.arange(16)
    period = rng.integers(3, 7, n)[:, None, None, None]
    phase = rng.integers(0, 6, n)[:, None, None, None]
    img = np.cos(2 * np.pi * (xs[None, None, None, :] + phase) / period) * np.ones((1, 1, 16, 1))
    return img.astype(np.float32), period.reshape(-1).astype(np.int64)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        m.weight.data.normal_(0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),       # 4x4
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),  # 8x8
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),       # 16x16
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),                    # 8x8
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),               # 4x4
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),                 # 1x1
            nn.Sigmoid(),
        )

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


def build():
    netG = Generator()
    netG.apply(weights_init)
    netD = Discriminator()
    netD.apply(weights_init)
    return netG, netD


def main(netG, netD, niter=1, batch_size=16, shuffle=True, lr=2e-4, beta1=0.5):
    """Alternate the D and G updates; returns [(errD, errG, D(x), D(G(z)) before, after)] per batch."""
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    netG, netD = netG.to(device), netD.to(device)
    images, labels = stripes(48)
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(images), torch.from_numpy(labels))
    dataloader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)
    criterion = nn.BCELoss()
    fixed_noise = torch.randn(batch_size, nz, 1, 1, device=device)
    real_label, fake_label = 1, 0
    optimizerD = optim.Adam(netD.parameters(), lr=lr, betas=(beta1, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=lr, betas=(beta1, 0.999))
    history = []
    for epoch in range(niter):
        for i, data in enumerate(dataloader, 0):
            netD.zero_grad()
            real_cpu = data[0].to(device)
            b = real_cpu.size(0)
            label = torch.full((b,), real_label, dtype=real_cpu.dtype, device=device)
            output = netD(real_cpu)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()

            noise = torch.randn(b, nz, 1, 1, device=device)
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach())
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            optimizerD.step()

            netG.zero_grad()
            label.fill_(real_label)
            output = netD(fake)
            errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            optimizerG.step()
            history.append((errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
            assert i < len(dataloader)
    with torch.no_grad():
        fake = netG(fixed_noise).detach().cpu()
    return history, fake
