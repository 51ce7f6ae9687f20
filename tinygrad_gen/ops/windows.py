"""Sliding windows over the spatial axes of an image batch: the array-level core of convolution and pooling.

``windows`` is im2col without a copy: a strided view whose entry [n, c, i, j, p, q] is the input pixel under kernel
offset (i, j) at output position (p, q), i.e. x[n, c, p*sh + i*dh, q*sw + j*dw] (stride s, dilation d). ``col2im``
is its adjoint: it adds each offset's slab back onto the pixels it was read from, looping over the kh * kw offsets
only (never over pixels). Pooling works on NCHW; convolution uses the channels-last (NHWC) versions, whose
innermost runs are C channels long rather than a few pixels, so the copies and adds stay fast on small images with
many channels. Only here do NumPy and CuPy differ.
"""
import math

import numpy as np

from ..backend import xp_of


def pair(v, name, op, least=0):
    """An int or a pair of ints -> a pair of ints >= ``least`` (checked, naming the op)."""
    p = (v, v) if isinstance(v, (int, np.integer)) else tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(p) != 2 or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= least
                              for n in p):
        kind = "a non-negative" if least == 0 else "a positive" if least == 1 else f"an (>= {least})"
        raise ValueError(f"{op}: {name} must be {kind} int or a pair of them, got {v!r}")
    return int(p[0]), int(p[1])


def as_strided(a, shape, strides):
    """A read-only strided view of ``a`` (NumPy or CuPy)."""
    if type(a) is np.ndarray:
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)
    import cupy
    return cupy.lib.stride_tricks.as_strided(a, shape, strides)


def pad(x, pads, value=0.0):
    """Pad the last two axes of NCHW ``x`` by pads = ((top, bottom), (left, right)) with ``value`` (a new array;
    ``x`` itself when there is nothing to pad)."""
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    n, c, h, w = x.shape
    out = xp_of(x).full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[:, :, top:top + h, left:left + w] = x
    return out


def crop(x, pads, hw):
    """The (H, W) = ``hw`` pixels of NCHW ``x`` that ``pad(., pads)`` surrounded: a view."""
    (top, _), (left, _) = pads
    return x[:, :, top:top + hw[0], left:left + hw[1]]


def _span(k, s, d, out):
    """The input extent that ``out`` windows of size k, stride s, dilation d cover."""
    return (out - 1) * s + d * (k - 1) + 1


def windows(x, kernel, stride, out_hw, dilation=(1, 1)):
    """View of shape (N, C, kh, kw, Ho, Wo): [n, c, i, j, p, q] = x[n, c, p * sh + i * dh, q * sw + j * dw]."""
    (kh, kw), (sh, sw), (ho, wo), (dh, dw) = kernel, stride, out_hw, dilation
    s0, s1, s2, s3 = x.strides
    return as_strided(x, x.shape[:2] + (kh, kw, ho, wo), (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw))


def slab(a, offset, stride, out_hw, dilation=(1, 1)):
    """The pixels of NCHW ``a`` under kernel offset (i, j) of every window: a strided (N, C, Ho, Wo) view."""
    (i, j), (sh, sw), (ho, wo), (dh, dw) = offset, stride, out_hw, dilation
    return a[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw]


def col2im(cols, shape, stride, dilation=(1, 1)):
    """The adjoint of ``windows``: cols (N, C, kh, kw, Ho, Wo) summed back onto an (N, C, H, W) array of zeros.
    Overlapping windows add up, which is what the chain rule asks for (each pixel feeds every window it is in)."""
    kh, kw, ho, wo = cols.shape[2:]
    out = xp_of(cols).zeros(shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            slab(out, (i, j), stride, (ho, wo), dilation)[...] += cols[:, :, i, j]
    return out


def nhwc_padded(x, ph, pw):
    """An NCHW array as a zero-padded channels-last copy (N, H + 2ph, W + 2pw, C): one pass does both."""
    n, c, h, w = x.shape
    out = xp_of(x).empty((n, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)
    if ph or pw:  # zero only the border: the inside is overwritten next
        out[:, :ph] = 0
        out[:, h + ph:] = 0
        out[:, ph:h + ph, :pw] = 0
        out[:, ph:h + ph, w + pw:] = 0
    out[:, ph:ph + h, pw:pw + w, :] = x.transpose(0, 2, 3, 1)
    return out


def windows_nhwc(x, kernel, stride, out_hw, dilation=(1, 1)):
    """View (N, Ho, Wo, kh, kw, C) of a channels-last x: [n, p, q, i, j, c] = x[n, p*sh + i*dh, q*sw + j*dw, c]."""
    (kh, kw), (sh, sw), (ho, wo), (dh, dw) = kernel, stride, out_hw, dilation
    s0, s1, s2, s3 = x.strides
    return as_strided(x, (x.shape[0], ho, wo, kh, kw, x.shape[3]), (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3))


def col2im_nhwc(cols, shape, stride, dilation=(1, 1)):
    """The adjoint of ``windows_nhwc``: cols (N, Ho, Wo, kh, kw, C...) summed onto (N, H, W, C...) zeros (C may be
    several trailing axes, e.g. (groups, C / groups))."""
    ho, wo, kh, kw = cols.shape[1:5]
    (sh, sw), (dh, dw) = stride, dilation
    out = xp_of(cols).zeros(shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw] += cols[:, :, :, i, j]
    return out


def out_size(n, k, s, p, op, d=1, ceil_mode=False):
    """Output length of a sliding window of size k, stride s, dilation d over n + 2p positions, as PyTorch
    computes it: floor mode, or ceil mode where a last partial window counts if it starts inside the input or the
    left padding."""
    span = d * (k - 1) + 1
    if n + 2 * p < span:
        raise ValueError(f"{op}: kernel size {k} (dilation {d}) is larger than the padded input size {n + 2 * p}")
    if not ceil_mode:
        return (n + 2 * p - span) // s + 1
    out = math.ceil((n + 2 * p - span) / s) + 1
    return out - 1 if (out - 1) * s >= n + p else out


def pool_pads(hw, kernel, stride, dilation, padding, out_hw):
    """((top, bottom), (left, right)): ``padding`` before, and after as much as the last window reaches past the
    input (ceil mode can reach past the right padding; floor mode may leave pixels unused, then 0)."""
    return tuple((p, max(0, _span(k, s, d, o) - n - p))
                 for n, k, s, d, p, o in zip(hw, kernel, stride, dilation, padding, out_hw))
