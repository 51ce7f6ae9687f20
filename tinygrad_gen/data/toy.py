"""Toy distributions whose density is known exactly: 2-D Gaussian mixtures (8 modes on a ring, 25 on a grid), the
classic test of a GAN's mode coverage, and 1-D mixtures, where the generator's histogram can be laid over the truth.

All mixtures here are isotropic: component k is N(mean_k, std_k^2 I) with weight w_k, so
``p(x) = sum_k w_k (2 pi std_k^2)^(-d/2) exp(-|x - mean_k|^2 / (2 std_k^2))``.
"""
import numpy as np

from .. import random as _random


def _rng(rng):
    """A NumPy Generator: the one given, one seeded by an int, or the engine's (so ``tg.manual_seed`` governs it)."""
    if rng is None:
        return _random.generator()
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


class GaussianMixture:
    """An isotropic Gaussian mixture with ``means`` (K, d), ``stds`` (K,) or a scalar, and ``weights`` (K,)."""

    def __init__(self, means, stds, weights=None):
        self.means = np.atleast_2d(np.asarray(means, dtype=np.float64))
        if np.ndim(means) == 1:  # a list of 1-D means
            self.means = self.means.T
        k, self.dim = self.means.shape
        self.stds = np.broadcast_to(np.asarray(stds, dtype=np.float64), (k,)).copy()
        self.weights = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, dtype=np.float64)
        if self.weights.shape != (k,) or np.any(self.weights < 0) or not np.isclose(self.weights.sum(), 1.0):
            raise ValueError(f"GaussianMixture: weights must be {k} non-negative numbers summing to 1, "
                             f"got {self.weights.tolist()}")
        if np.any(self.stds <= 0):
            raise ValueError(f"GaussianMixture: stds must be positive, got {self.stds.tolist()}")

    def __len__(self):
        return len(self.weights)

    def sample(self, n, rng=None):
        """``n`` points as float32 (n, d): pick a component by weight, then add its Gaussian noise."""
        rng = _rng(rng)
        comp = rng.choice(len(self), size=n, p=self.weights)
        noise = rng.standard_normal((n, self.dim))
        return (self.means[comp] + self.stds[comp, None] * noise).astype(np.float32)

    def log_pdf(self, x):
        """log p(x) for points (n, d) (1-D mixtures also take (n,)), by log-sum-exp over components for stability."""
        x = np.asarray(x, dtype=np.float64)
        if self.dim == 1 and x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"GaussianMixture.log_pdf: expected points of shape (n, {self.dim}), got {x.shape}")
        sq = ((x[:, None, :] - self.means[None]) ** 2).sum(-1)                      # (n, K)
        log_comp = (np.log(self.weights) - self.dim * np.log(self.stds * np.sqrt(2 * np.pi))
                    - sq / (2 * self.stds ** 2))
        top = log_comp.max(1, keepdims=True)
        return (top + np.log(np.exp(log_comp - top).sum(1, keepdims=True)))[:, 0]

    def pdf(self, x):
        """The density at each row of ``x``."""
        return np.exp(self.log_pdf(x))

    def nearest_mode(self, x):
        """For each point, the index of the closest mean and the distance to it (for mode-coverage counts)."""
        x = np.asarray(x, dtype=np.float64).reshape(len(x), self.dim)
        dist = np.sqrt(((x[:, None, :] - self.means[None]) ** 2).sum(-1))
        idx = dist.argmin(1)
        return idx, dist[np.arange(len(x)), idx]


def ring_mixture(n_modes=8, radius=2.0, std=0.02):
    """``n_modes`` equal Gaussians evenly spaced on a circle (the 8-Gaussian ring of the unrolled-GAN paper)."""
    angle = 2 * np.pi * np.arange(n_modes) / n_modes
    return GaussianMixture(radius * np.stack([np.cos(angle), np.sin(angle)], 1), std)


def grid_mixture(side=5, spacing=2.0, std=0.05):
    """``side``x``side`` equal Gaussians on a centred square grid (25 modes at -4, -2, 0, 2, 4 by default)."""
    ticks = spacing * (np.arange(side) - (side - 1) / 2)
    gx, gy = np.meshgrid(ticks, ticks, indexing="ij")
    return GaussianMixture(np.stack([gx.ravel(), gy.ravel()], 1), std)


def mixture_1d(means=(-2.0, 2.0), stds=(0.5, 0.5), weights=None):
    """A 1-D Gaussian mixture (two modes by default), for GANs whose output can be seen as a histogram."""
    return GaussianMixture(np.asarray(means, dtype=np.float64)[:, None], stds, weights)


def ring_gaussians(n, rng=None, **kwargs):
    """``n`` samples (n, 2) float32 of :func:`ring_mixture` (kwargs go to it)."""
    return ring_mixture(**kwargs).sample(n, rng)


def grid_gaussians(n, rng=None, **kwargs):
    """``n`` samples (n, 2) float32 of :func:`grid_mixture` (kwargs go to it)."""
    return grid_mixture(**kwargs).sample(n, rng)


def gaussians_1d(n, rng=None, **kwargs):
    """``n`` samples (n, 1) float32 of :func:`mixture_1d` (kwargs go to it)."""
    return mixture_1d(**kwargs).sample(n, rng)
