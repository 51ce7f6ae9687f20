"""Fast paths of the normalisation family (``ops/normalization.py``): the same Standardize and BatchNorm, with
their means and variances as BLAS products (``fast_math.fast_mean``, ``fast_math.mean_square``) and, in batch norm,
every per-channel operand copied out over the spatial axes first, so NumPy's loops run over it contiguously."""
import numpy as np

from ...backend import xp_of
from ...dispatch import register_fast_path
from ..movement import Expand
from ..normalization import BatchNorm, Standardize
from .fast_math import fast_mean, mean_square


def spread(v, x):
    """A per-channel (1, C, 1, ...) array copied out over x's spatial axes, (1, C, H, ...), contiguous: NumPy runs
    an op against it as fast as against a scalar, but up to 3.5x slower against the broadcast, whose inner loop is
    one short spatial row (measured: 45 vs 13 us on 64x128x2x2, 4.5 vs 2.9 ms on 32x128x32x32)."""
    out = xp_of(v).empty((1,) + x.shape[1:], v.dtype)
    out[...] = v
    return out


class Spread(Expand):
    """Expand written as a contiguous copy at any size: a (1, C, 1, ...) Tensor copied out to (1, C, H, ...), as
    ``spread`` does for arrays. Its backward is Expand's: g summed over the copied axes."""
    @staticmethod
    def forward(ctx, a, shape):
        out = xp_of(a).empty(shape, a.dtype)
        out[...] = a
        return out


@register_fast_path(Standardize, "layer norm's forward (CPU, float): the mean of short trailing rows (<= 512) as "
                    "one BLAS matrix-vector product (1.5-5x faster than NumPy's row sums, data out of cache) and "
                    "the variance of rows of >= 32 as one BLAS dot per row, no (x - mu)^2 temporary (0.9 vs 8 ms "
                    "on a 16 MB activation); measured against the plain op, float32, 1 thread: forward 1.1-1.3x, "
                    "forward+backward 1.0-1.2x faster on 8x64x128 and 16x128x768")
class FastStandardize(Standardize):
    """Standardize, its mean by ``fast_mean`` and its variance by ``mean_square``, xhat built in place."""
    @staticmethod
    def forward(ctx, x, axes, eps, known=None):
        if known is None:
            xhat = x - fast_mean(x, axes)
            r = 1 / np.sqrt(mean_square(xhat, axes) + eps)
            xhat *= r
            known = (xhat, r)
        return Standardize.forward(ctx, x, axes, eps, known)


@register_fast_path(BatchNorm, "batch norm in training (CPU): per-channel means down the batch then along each "
                    "channel's pixels by BLAS (2.5-3x faster than NumPy), sums of squares as BLAS dots, and every "
                    "per-channel operand (mu, r, w, b; in backward r w, dw / M, db / M) copied out contiguous "
                    "over (C, H, W) first (NumPy up to 3.5x faster against it than against the broadcast). "
                    "Against the plain op, float32, 1 thread, on 64x128x2x2 / 64x64x4x4 / 32x128x32x32: forward "
                    "6.2 / 3.2 / 1.7x, forward+backward 3.4 / 2.0 / 1.4x faster; with it batch norm went from "
                    "1.9-2.8x to 0.9-1.2x PyTorch's fwd+bwd time (issue 15's tgg bench conv, RESULTS.md)")
class FastBatchNorm(BatchNorm):
    """BatchNorm with its statistics by ``fast_mean`` / ``mean_square``, xhat and y built in place against
    contiguous per-channel operands (``spread``), and the backward's per-channel factors spread the same way
    (``input_grad``); the rest of its forward and backward is BatchNorm's."""
    @staticmethod
    def normalize(x, w, b, axes, per_channel, eps):
        """BatchNorm's mu, var, r, xhat and y, the statistics by BLAS and xhat and y built in place against
        contiguous per-channel operands."""
        mu = fast_mean(x, axes)
        xhat = x - spread(mu, x)
        var = mean_square(xhat, axes)
        r = 1 / np.sqrt(var + eps)
        xhat *= spread(r, x)
        y = xhat * spread(w.reshape(per_channel), x) if w is not None else xhat.copy()  # xhat is kept for backward
        if b is not None:
            y += spread(b.reshape(per_channel), x)
        return mu, var, r, xhat, y

    @staticmethod
    def input_grad(g, xhat, scale, dw_m, db_m):
        """BatchNorm's dx with each per-channel factor copied out over the spatial axes first (``Spread``)."""
        shape = (1,) + g.shape[1:]
        return Spread.apply(scale, shape) * (g - xhat * Spread.apply(dw_m, shape) - Spread.apply(db_m, shape))
