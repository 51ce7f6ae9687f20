"""Layer norm's standardisation over the trailing axes, fused: each row (one sample's features) is read once.

forward, per row of C values:  mu = mean(x), var = mean((x - mu)^2), r = 1 / sqrt(var + eps), xhat = (x - mu) r
backward, the means over the row:  dx = r (g - mean(g) - xhat mean(g xhat))
(the derivation is ``Standardize``'s, in ``tinygrad_gen/ops/normalization.py``). The variance is the two-pass
mean of squared deviations, as the plain op computes it (no E[x^2] - E[x]^2 cancellation); the sums run in the
input's dtype with reassociation (vectorised partial sums), so float32 rows agree with NumPy's pairwise sums to a
few ulp."""
import numpy as np
from numba import njit, prange

from .fast_math import JIT, like


@njit(**JIT)
def forward(x, eps, xhat, r):
    """xhat[i] = (x[i] - mean) / sqrt(var + eps) and r[i] = 1 / sqrt(var + eps) for each row i of the 2-D x."""
    cols = x.shape[1]
    for i in prange(x.shape[0]):
        s = like(0.0, x[i, 0])
        for j in range(cols):
            s += x[i, j]
        mu = s / cols
        q = like(0.0, mu)
        for j in range(cols):
            d = x[i, j] - mu
            q += d * d
        ri = like(1.0, mu) / np.sqrt(q / cols + like(eps, mu))
        r[i] = ri
        for j in range(cols):
            xhat[i, j] = (x[i, j] - mu) * ri


@njit(**JIT)
def backward(xhat, r, g, dx):
    """dx[i] = r[i] (g[i] - mean(g[i]) - xhat[i] mean(g[i] xhat[i])) for each row i."""
    cols = xhat.shape[1]
    for i in prange(xhat.shape[0]):
        sg = like(0.0, r[i])
        sgx = like(0.0, r[i])
        for j in range(cols):
            sg += g[i, j]
            sgx += g[i, j] * xhat[i, j]
        mg, mgx = sg / cols, sgx / cols
        for j in range(cols):
            dx[i, j] = r[i] * (g[i, j] - mg - xhat[i, j] * mgx)
