"""The scaling-law fit of Kaplan et al. (2020): L(N) = E + A N^(-alpha), by least squares, NumPy only.

For a fixed exponent alpha the model is linear in (E, A), so those two come from a closed-form least-squares solve;
the sum of squared residuals is then a function of alpha alone, minimised by a log-spaced grid search refined by a
golden-section search around the best grid point. E is kept >= 0 (a loss in nats cannot fall below zero): when the
unconstrained E is negative the fit uses E = 0 and A alone.

The exponent's uncertainty is a residual bootstrap: refit on the fitted curve plus residuals drawn with replacement,
many times, and take percentiles of the refitted alphas.
"""
import numpy as np

ALPHA_RANGE = (1e-3, 3.0)


def _solve(x, y):
    """Best (E, A, sse) for y ~ E + A x with E >= 0; x, y of shape (n,)."""
    xm, ym = x.mean(), y.mean()
    sxx = ((x - xm) ** 2).sum()
    a = ((x - xm) * (y - ym)).sum() / sxx if sxx > 0 else 0.0
    e = ym - a * xm
    if e < 0:  # constrained: E = 0, y ~ A x
        e, a = 0.0, float((x * y).sum() / (x * x).sum())
    return float(e), float(a), float(((e + a * x - y) ** 2).sum())


def _sse(alpha, logn, y):
    return _solve(np.exp(-alpha * logn), y)[2]


def fit_power_law(n, loss, grid=400):
    """Fit loss = E + A n^(-alpha). Returns ``{"E", "A", "alpha", "r2"}``; r2 = 1 - SS_res / SS_tot of the losses."""
    n, y = np.asarray(n, np.float64), np.asarray(loss, np.float64)
    if n.shape != y.shape or n.ndim != 1 or len(n) < 3:
        raise ValueError(f"fit_power_law: need at least 3 matching points, got n {n.shape} and loss {y.shape}")
    if np.any(n <= 0) or not np.all(np.isfinite(y)):
        raise ValueError("fit_power_law: n must be positive and the losses finite")
    logn = np.log(n)
    alphas = np.geomspace(*ALPHA_RANGE, grid)
    sses = np.array([_sse(a, logn, y) for a in alphas])
    i = int(np.argmin(sses))
    lo, hi = alphas[max(i - 1, 0)], alphas[min(i + 1, grid - 1)]
    golden = (np.sqrt(5) - 1) / 2
    for _ in range(60):  # golden-section search on [lo, hi]
        c, d = hi - golden * (hi - lo), lo + golden * (hi - lo)
        if _sse(c, logn, y) < _sse(d, logn, y):
            hi = d
        else:
            lo = c
    alpha = (lo + hi) / 2
    e, a, sse = _solve(np.exp(-alpha * logn), y)
    sst = float(((y - y.mean()) ** 2).sum())
    return {"E": e, "A": a, "alpha": float(alpha), "r2": 1.0 - sse / sst if sst > 0 else 1.0}


def predict(fit, n):
    """The fitted loss at ``n`` parameters: E + A n^(-alpha)."""
    return fit["E"] + fit["A"] * np.asarray(n, np.float64) ** (-fit["alpha"])


def bootstrap_alpha(n, loss, fit=None, resamples=300, level=0.9, seed=0):
    """A ``level`` percentile interval for alpha from a residual bootstrap of ``resamples`` refits."""
    n, y = np.asarray(n, np.float64), np.asarray(loss, np.float64)
    fit = fit or fit_power_law(n, y)
    curve = predict(fit, n)
    resid = y - curve
    rng = np.random.default_rng(seed)
    alphas = [fit_power_law(n, curve + rng.choice(resid, size=len(y)), grid=100)["alpha"]
              for _ in range(resamples)]
    tail = (1 - level) / 2 * 100
    return [float(np.percentile(alphas, tail)), float(np.percentile(alphas, 100 - tail))]
