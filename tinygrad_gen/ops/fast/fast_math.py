"""Speed helpers that the ops' math calls. Each computes the plain formula (exactly, or within float32
resolution where it says so) faster than the obvious NumPy line would, and says why it exists. Arrays in, arrays
out: no Tensors and no autograd here, so no derivation lives in this file (the ops that call it hold those).
"""
import math

import numpy as np

from ...backend import xp_of
from ..special import INV_SQRT_2PI, normal_cdf, normal_pdf


def row_sums(a):
    """Sums of the rows of a 2-D array, as the BLAS matrix-vector product a @ 1: NumPy's own reduction over many
    short rows is several times slower (it does not vectorise across rows)."""
    return a @ xp_of(a).ones(a.shape[1], dtype=a.dtype)


_SHORT = 512  # elements: NumPy sums rows at least this long as fast as BLAS does


def _blas_sum(a, axes, scale):
    """scale * the sum of a float array over ``axes`` (a sorted tuple; keepdims) as BLAS matrix-vector products,
    in two layouts: the trailing axes when they form short rows (layer norm, a softmax's rows; NumPy's reduction
    over many short rows is 1.5-5x slower, measured with the array out of cache as in a training step, and as fast
    over long ones), and all but the channel axis 1 (batch norm, a conv bias gradient), summed down the batch and
    then along each channel's pixels: 2.5-3x faster than NumPy at every size measured. None elsewhere (NumPy is
    as fast), and for a copy-needing layout, an empty array, or a sum of everything (NumPy's pairwise sum is the
    accurate one)."""
    nd = a.ndim
    if not axes or len(axes) == nd or a.size == 0 or not a.flags.c_contiguous:
        return None
    xp = xp_of(a)
    kept = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
    if axes == tuple(range(axes[0], nd)):
        m = math.prod(a.shape[axes[0]:])
        if m <= _SHORT:
            return (a.reshape(-1, m) @ xp.full(m, scale, dtype=a.dtype)).reshape(kept)
    elif nd > 2 and axes == (0,) + tuple(range(2, nd)):  # per channel: down the batch first, then each row
        n, c = a.shape[:2]
        m = a.size // (n * c)
        down = xp.full(n, scale, dtype=a.dtype) @ a.reshape(n, c * m)  # 2.5-3x faster than (N, C, m) @ 1 and
        return (down.reshape(c, m) @ xp.ones(m, dtype=a.dtype)).reshape(kept)  # than NumPy, at all sizes measured
    return None


def fast_sum(a, axes):
    """Sum over ``axes`` (a sorted tuple; keepdims) of a float array, by BLAS where ``_blas_sum`` can."""
    out = _blas_sum(a, axes, 1)
    return out if out is not None else a.sum(axis=axes, keepdims=True)


def fast_mean(a, axes):
    """Mean over ``axes`` (a sorted tuple; keepdims) of a float array, by BLAS where ``_blas_sum`` can."""
    m = math.prod(a.shape[i] for i in axes)
    out = _blas_sum(a, axes, 1 / m)
    return out if out is not None else a.sum(axis=axes, keepdims=True) / m  # ndarray.mean: slower when small


_DOT_ROWS = 32  # elements: from this row length on, one BLAS dot per row beats writing d * d and summing it


def mean_square(d, axes):
    """mean(d * d) over ``axes`` (a sorted tuple; keepdims) of a float array: a variance once d is centred. Where
    the summed elements form contiguous rows of at least 32 (the trailing axes, or all but the channel axis 1), each
    row's sum of squares is a BLAS dot, rows batched in one matmul (R, 1, m) @ (R, m, 1): no d * d temporary, which
    on a 16 MB activation is most of the cost (measured 0.9 ms vs 8 ms). Elsewhere, d * d and ``fast_mean``."""
    nd, m = d.ndim, math.prod(d.shape[i] for i in axes)
    trailing = axes == tuple(range(nd - len(axes), nd))
    per_channel = nd > 2 and axes == (0,) + tuple(range(2, nd))
    if not (trailing or per_channel) or len(axes) == nd or not d.flags.c_contiguous or d.size == 0:
        return fast_mean(d * d, axes)
    row = math.prod(d.shape[axes[0]:]) if trailing else d.size // (d.shape[0] * d.shape[1])
    if row < _DOT_ROWS:
        return fast_mean(d * d, axes)
    rows = d.reshape(-1, row)
    sq = (rows[:, None, :] @ rows[:, :, None]).reshape(d.shape[:axes[0]] if trailing else d.shape[:2])
    kept = tuple(1 if i in axes else n for i, n in enumerate(d.shape))
    return (sq if trailing else sq.sum(axis=0)).reshape(kept) / m


def softmax_shift(x):
    """A per-row constant c that makes exp(x - c) safe: the row max in general, but one global max when the spread
    of x is under 60. exp(-60) ~ 1e-26 is still a normal float32, so no row's sum underflows, and in NumPy a full
    reduction is ~50x faster than a row-wise max over short rows. Returns c broadcastable against x (R, C)."""
    hi = x.max()
    if hi - x.min() < 60:
        return hi
    return x.max(axis=1, keepdims=True)


# erfc(a) = t Q(t) exp(-a^2) for a >= 0, with t = 1 / (1 + a / 2): Q(t) = erfcx(a) / t is smooth on t in (0, 1],
# and this degree-8 polynomial, a least-squares fit of relative error on a in [0, 9.3] against SciPy's erfcx, is
# within 1.4e-7 of it (relative). In float32 arithmetic the whole erfc keeps a relative error under about 3e-7 for
# a < 3 and under 5e-6 out to float32's underflow (exp's argument -a^2 carries a's rounding, times a^2): a few
# units in the last place of the normal CDF, with no cancellation in its left tail. (erf = 1 - erfc would lose
# digits near 0, so erf itself has no fast path: SciPy's is correctly rounded.)
_ERFC_Q = (0.28208344260933155, 0.2824407414175153, 0.2425226622214816, 0.20543018243662914, -0.03421185461946952,
           0.29073829698520604, -0.49976304095036306, 0.2913733321010387, -0.06061389568971314)
_SIGN_BIT = np.int32(-2 ** 31)
_BLOCK = 1 << 16  # elements: float32 blocks of this size keep the few temporaries in the core's own caches


def _t_times_q(t, out, scale):
    """scale * t * Q(t) into ``out`` by Horner's rule (float32, in place)."""
    np.multiply(t, np.float32(_ERFC_Q[-1] * scale), out=out)
    for c in _ERFC_Q[-2::-1]:
        out += np.float32(c * scale)
        out *= t
    return out


def _cdf_pdf_block(x, cdf, pdf, t):
    """Phi(x) into ``cdf`` and phi(x) into ``pdf`` for a float32 block x; ``t`` is float32 scratch. Phi(-|x|) =
    erfc(|x| / sqrt 2) / 2 = t Q(t) phi(x) sqrt(2 pi) / 2 with t = q / (q + |x|), q = 2 sqrt 2 (``_ERFC_Q``), then
    Phi(x) = Phi(-|x|) for a negative x (no cancellation: Phi(-6) = 9.8658765e-10) and 1 - Phi(-|x|) otherwise,
    chosen with integer ops on the sign bit (a ufunc's ``where=`` is 25x slower here)."""
    np.square(x, out=pdf)
    pdf *= np.float32(-0.5)
    np.exp(pdf, out=pdf)
    pdf *= np.float32(INV_SQRT_2PI)
    q = np.float32(2 * math.sqrt(2))
    np.abs(x, out=t)
    t += q
    np.divide(q, t, out=t)  # a division by an array is ~2x faster than np.reciprocal here
    h = _t_times_q(t, cdf, 0.5 / INV_SQRT_2PI)
    h *= pdf  # Phi(-|x|)
    xi, ti, hi = x.view(np.int32), t.view(np.int32), h.view(np.int32)
    np.bitwise_and(xi, _SIGN_BIT, out=ti)
    np.bitwise_xor(ti, _SIGN_BIT, out=ti)
    np.bitwise_or(hi, ti, out=hi)  # -Phi(-|x|) where x >= +0, +Phi(-|x|) where x is negative
    np.right_shift(xi, 31, out=ti)
    ti += 1  # 1 where x >= +0, 0 where x is negative (-0 included)
    np.add(h, ti, out=h, casting="unsafe")


def _blocks(x, outs, scratch):
    """Matching flat blocks of the float32 array x and of the same-shaped arrays ``outs``, each with ``scratch``
    buffers of the block's size (reused from block to block, so they stay in cache)."""
    flat = x.reshape(-1)
    outs = [o.reshape(-1) for o in outs]
    n = min(flat.size, _BLOCK)
    buffers = [np.empty(n, np.float32) for _ in range(scratch)]
    for i in range(0, flat.size, n):
        j = min(i + n, flat.size)
        yield (flat[i:j],) + tuple(o[i:j] for o in outs) + tuple(b[:j - i] for b in buffers)


def _float32_array(x):
    return type(x) is np.ndarray and x.dtype == np.float32 and x.ndim > 0


def normal_cdf_pdf(x):
    """Phi(x) and phi(x) = exp(-x^2 / 2) / sqrt(2 pi), the standard normal CDF and density, together. float32:
    phi first, then Phi from ``_cdf_pdf_block``'s erfc form (a few units in the last place, no cancellation in
    the left tail): about 25 cheap in-place passes, computed in blocks that stay in cache. Other dtypes, 0-d
    arrays and CuPy: the plain ops' exact ``special.normal_cdf`` and ``normal_pdf``."""
    if not _float32_array(x):
        return normal_cdf(x), normal_pdf(x)
    cdf, pdf = np.empty_like(x), np.empty_like(x)
    for xb, cb, pb, t in _blocks(x, (cdf, pdf), 1):
        _cdf_pdf_block(xb, cb, pb, t)
    return cdf, pdf


def gelu_and_slope(x, slope=True):
    """GELU's value x Phi(x) and, when ``slope``, its derivative Phi(x) + x phi(x) (else None), from
    ``normal_cdf_pdf``'s formulas. float32 goes block by block: each block's Phi and phi live only in cache, so
    of the ~25 passes only the last few touch arrays of the activation's size."""
    if not _float32_array(x):
        cdf, pdf = normal_cdf_pdf(x)
        return x * cdf, (cdf + x * pdf if slope else None)
    out = np.empty_like(x)
    if not slope:
        for xb, ob, cb, pb, t in _blocks(x, (out,), 3):
            _cdf_pdf_block(xb, cb, pb, t)
            np.multiply(xb, cb, out=ob)
        return out, None
    d = np.empty_like(x)
    for xb, ob, db, cb, pb, t in _blocks(x, (out, d), 3):
        _cdf_pdf_block(xb, cb, pb, t)
        np.multiply(xb, cb, out=ob)
        np.multiply(xb, pb, out=db)
        db += cb
    return out, d
