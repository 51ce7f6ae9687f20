"""How well a GAN models its data, measured rather than looked at.

Mode coverage (Srivastava et al. 2017, VEEGAN): a mode is *captured* when at least ``min_count`` samples lie within
3 sigma of its centre; a sample is *high-quality* when it lies within 3 sigma of some mode.

Frechet distance (Heusel et al. 2017, as in FID): fit a Gaussian to each set of features,
    d^2 = ||mu_1 - mu_2||^2 + tr(C_1 + C_2 - 2 (C_1 C_2)^(1/2)).
On the digits the features are the penultimate layer of a small classifier trained on the engine ("FDD").
"""
import numpy as np


def mode_coverage(samples, modes, sigma, min_count=20, n_sigma=3.0):
    """Returns {"modes": captured modes, "hq": fraction of high-quality samples, "counts": samples per mode}."""
    samples, modes = np.asarray(samples, np.float64), np.asarray(modes, np.float64)
    if samples.ndim != 2 or modes.ndim != 2 or samples.shape[1] != modes.shape[1]:
        raise ValueError(f"mode_coverage: samples {samples.shape} and modes {modes.shape} must be (N, d) and (K, d)")
    dist = np.linalg.norm(samples[:, None, :] - modes[None, :, :], axis=-1)
    nearest = dist.argmin(axis=1)
    close = dist[np.arange(len(samples)), nearest] <= n_sigma * sigma
    counts = np.bincount(nearest[close], minlength=len(modes))
    return {"modes": int((counts >= min_count).sum()), "hq": float(close.mean()), "counts": counts.tolist()}


def gaussian_stats(features):
    """Mean and (unbiased) covariance of the rows of ``features`` (N, d)."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"gaussian_stats: need features of shape (N >= 2, d), got {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(features.shape[1], features.shape[1])


def _sqrt_psd(c):
    w, v = np.linalg.eigh(c)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(mu1, cov1, mu2, cov2):
    """Squared Frechet (2-Wasserstein) distance between N(mu1, cov1) and N(mu2, cov2).

    tr (C_1 C_2)^(1/2) = tr (C_1^(1/2) C_2 C_1^(1/2))^(1/2): the second matrix is symmetric positive semi-definite,
    so its square root comes from an eigendecomposition (no complex parts, unlike sqrtm of the non-symmetric C_1 C_2).
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    cov1, cov2 = np.atleast_2d(np.asarray(cov1, np.float64)), np.atleast_2d(np.asarray(cov2, np.float64))
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape or cov1.shape != (mu1.size, mu1.size):
        raise ValueError(f"frechet_distance: means {mu1.shape}, {mu2.shape} and covariances {cov1.shape}, "
                         f"{cov2.shape} do not match")
    s1 = _sqrt_psd(cov1)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(s1 @ cov2 @ s1), 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(cov1) + np.trace(cov2) - 2 * cross)


def frechet_feature_distance(features_a, features_b):
    """Frechet distance between Gaussians fitted to two sets of features (N_a, d) and (N_b, d)."""
    return frechet_distance(*gaussian_stats(features_a), *gaussian_stats(features_b))


def class_fractions(labels, n_classes=10):
    """Share of each class among predicted labels: a GAN that covers all digits gives about 1/10 each."""
    labels = np.asarray(labels)
    return (np.bincount(labels, minlength=n_classes) / max(len(labels), 1)).tolist()
