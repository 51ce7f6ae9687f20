"""Padding and resampling. Constant padding is one op; reflect / replicate / circular padding and nearest /
linear interpolation are gathers along each axis by an index array computed here (so their backward is indexing's:
the gradient is added back into the positions each output was read from), with linear weights as constants."""
import numpy as np

from ..autograd import Function
from ..backend import xp_of


class ConstantPad(Function):
    """z = a with ``pads[i] = (before, after)`` elements of ``value`` added on each side of axis i (negative: crop).
    forward: fill, then copy a's kept part into the middle.
    backward: da = g padded by the negated pads with 0 (padding by p and cropping by p are adjoint: the output's
    middle is a's kept part, everything else is constant)."""
    @staticmethod
    def forward(ctx, a, pads, value=0.0):
        ctx.pads = pads
        shape = tuple(n + lo + hi for n, (lo, hi) in zip(a.shape, pads))
        if min(shape, default=1) < 0:
            raise ValueError(f"pad: pads {pads} leave a negative size for shape {a.shape}")
        out = xp_of(a).full(shape, value, dtype=a.dtype)
        dst = tuple(slice(max(lo, 0), m - max(hi, 0)) for m, (lo, hi) in zip(shape, pads))
        src = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(a.shape, pads))
        out[dst] = a[src]
        return out

    @staticmethod
    def backward(ctx, g):
        return ConstantPad.apply(g, tuple((-lo, -hi) for lo, hi in ctx.pads), 0.0), None, None


_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_index(n, lo, hi, mode):
    """Source positions along an axis of size n for a reflect / replicate / circular pad of (lo, hi): NumPy's
    own padding of an arange (reflect mirrors without repeating the edge, as PyTorch's ``reflect``)."""
    idx = np.arange(n)[max(-lo, 0):n - max(-hi, 0)]  # negative pads crop first
    return np.pad(idx, (max(lo, 0), max(hi, 0)), mode=_NP_MODE[mode])


def nearest_index(n_in, n_out, scale=None):
    """PyTorch's ``nearest``: output i reads input floor(i * s), s = 1 / scale_factor if given, else n_in / n_out."""
    s = 1.0 / scale if scale else n_in / n_out
    return np.minimum(np.floor(np.arange(n_out) * s).astype(np.int64), n_in - 1)


def linear_weights(n_in, n_out, align_corners, scale=None):
    """(i0, i1, w) with output j = (1 - w_j) in[i0_j] + w_j in[i1_j], by PyTorch's source coordinate:
    align_corners: j (n_in - 1) / (n_out - 1); otherwise (j + 1/2) s - 1/2 clamped at 0 (s as in nearest_index)."""
    j = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = j * ((n_in - 1) / (n_out - 1)) if n_out > 1 else j * 0
    else:
        s = 1.0 / scale if scale else n_in / n_out
        src = np.maximum((j + 0.5) * s - 0.5, 0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, src - i0
