"""Sliding windows over the two spatial axes of an image batch: the array-level core of convolution and pooling.

``windows`` is im2col without a copy: a strided view whose entry [n, c, i, j, p, q] is the input pixel under kernel
offset (i, j) at output position (p, q). ``col2im`` is its adjoint: it adds each offset's slab back onto the pixels it
was read from, looping over the kh * kw offsets only (never over pixels). Pooling works on NCHW; convolution uses the
channels-last (NHWC) versions, whose innermost runs are C channels long rather than a few pixels, so the copies and
adds stay fast on small images with many channels. Only here do NumPy and CuPy differ.
"""
import numpy as np

from ..backend import xp_of


def pair(v, name, op):
    """An int or a pair of ints -> a pair of non-negative ints (checked, naming the op)."""
    p = (v, v) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(p) != 2 or not all(isinstance(n, (int, np.integer)) and n >= 0 for n in p):
        raise ValueError(f"{op}: {name} must be a non-negative int or a pair of them, got {v!r}")
    return int(p[0]), int(p[1])


def as_strided(a, shape, strides):
    """A read-only strided view of ``a`` (NumPy or CuPy)."""
    if type(a) is np.ndarray:
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)
    import cupy
    return cupy.lib.stride_tricks.as_strided(a, shape, strides)


def pad(x, ph, pw):
    """Zero-pad the last two axes (a new array; ``x`` itself when there is nothing to pad)."""
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    out = xp_of(x).zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def windows(x, kernel, stride, out_hw):
    """View of shape (N, C, kh, kw, Ho, Wo): [n, c, i, j, p, q] = x[n, c, p * sh + i, q * sw + j]."""
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, out_hw
    s0, s1, s2, s3 = x.strides
    return as_strided(x, x.shape[:2] + (kh, kw, ho, wo), (s0, s1, s2, s3, s2 * sh, s3 * sw))


def col2im(cols, shape, stride):
    """The adjoint of ``windows``: cols (N, C, kh, kw, Ho, Wo) summed back onto an (N, C, H, W) array of zeros.
    Overlapping windows add up, which is what the chain rule asks for (each pixel feeds every window it is in)."""
    xp = xp_of(cols)
    kh, kw, ho, wo = cols.shape[2:]
    sh, sw = stride
    out = xp.zeros(shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] += cols[:, :, i, j]
    return out


def nhwc_padded(x, ph, pw):
    """An NCHW array as a zero-padded channels-last copy (N, H + 2ph, W + 2pw, C): one pass does both."""
    n, c, h, w = x.shape
    out = xp_of(x).zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)
    out[:, ph:ph + h, pw:pw + w, :] = x.transpose(0, 2, 3, 1)
    return out


def windows_nhwc(x, kernel, stride, out_hw):
    """View (N, Ho, Wo, kh, kw, C) of a channels-last x: [n, p, q, i, j, c] = x[n, p * sh + i, q * sw + j, c]."""
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, out_hw
    s0, s1, s2, s3 = x.strides
    return as_strided(x, (x.shape[0], ho, wo, kh, kw, x.shape[3]), (s0, s1 * sh, s2 * sw, s1, s2, s3))


def col2im_nhwc(cols, shape, stride):
    """The adjoint of ``windows_nhwc``: cols (N, Ho, Wo, kh, kw, C) summed onto (N, H, W, C) zeros."""
    xp = xp_of(cols)
    ho, wo, kh, kw = cols.shape[1:5]
    sh, sw = stride
    out = xp.zeros(shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] += cols[:, :, :, i, j]
    return out


def out_size(n, k, s, p, op):
    """Output length of a sliding window of size k, stride s over n + 2p positions (floor mode, like PyTorch)."""
    if n + 2 * p < k:
        raise ValueError(f"{op}: kernel size {k} is larger than the padded input size {n + 2 * p}")
    return (n + 2 * p - k) // s + 1
