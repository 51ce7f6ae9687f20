"""GELU in its exact form, y = x Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2 the standard normal CDF, and its
slope dy/dx = Phi(x) + x phi(x) (phi the density), computed together in one pass: the backward is then g * slope.

For x < 0, Phi(x) = erfc(|x| / sqrt 2) / 2 straight from the erfc fit (accurate relative to Phi's tiny values in
the tail); for x >= 0, 1 - erfc(x / sqrt 2) / 2. float32 runs on ``fast_math``'s vectorised exp and erfc."""
from numba import njit, prange

from .fast_math import JIT, fast_erfc, fast_exp, like

_INV_SQRT2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327


@njit(**JIT)
def forward(x, y, slope, want_slope):
    """y = x Phi(x) for the 1-D x, and slope = Phi(x) + x phi(x) where ``want_slope``."""
    for i in prange(x.size):
        v = x[i]
        z = abs(v) * like(_INV_SQRT2, v)
        half = like(0.5, v) * fast_erfc(z)
        cdf = half if v < 0 else like(1.0, v) - half
        y[i] = v * cdf
        if want_slope:
            slope[i] = cdf + v * like(_INV_SQRT_2PI, v) * fast_exp(-z * z)

