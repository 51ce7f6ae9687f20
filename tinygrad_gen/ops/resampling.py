"""Padding and resampling: growing (or cropping) the trailing axes of a tensor, and resizing the spatial axes of an
(N, C, ...) batch.

Constant padding is one op (``ConstantPad``). Reflect, replicate and circular padding read every output element
from one input position per axis, so each is a gather by an index array computed here (``pad_index``): ``IndexPad``,
whose backward adds the gradient back onto the positions it was read from. Interpolation is composed of indexing
and arithmetic: "nearest" reads one input per output (``nearest_index``), "linear" mixes the two nearest inputs with
constant weights (``linear_weights``), one spatial axis at a time; the gradient is then indexing's, times the
weights.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from ..errors import ArgumentError
from ..autograd import Function
from ..backend import xp_of
from ..binding import bind
from ..tensor import Tensor
from .case import OpCase, functional_twin
from .checks import as_tensor, constant

PAD_MODES = ("constant", "reflect", "replicate", "circular")
_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}  # NumPy's names of the index padding
_LINEAR_MODES = {"linear": 1, "bilinear": 2, "trilinear": 3}  # mode -> the number of spatial axes it needs


class ConstantPad(Function):
    """z = a with ``pads[i] = (before, after)`` elements of ``value`` added on each side of axis i (a negative
    amount crops instead).

    forward:  z = full(padded shape, value), with a's kept part copied into the middle.
    backward: z's middle is a's kept part and everything else is constant, so da = g's middle, padded with zeros
              where a was cropped: padding by p and cropping by p are each other's adjoints, da = ConstantPad of g by
              the negated pads, with value 0 (whose own backward is this op again)."""
    @staticmethod
    def forward(ctx, a, pads, value=0.0):
        ctx.pads = pads
        shape = tuple(n + lo + hi for n, (lo, hi) in zip(a.shape, pads))
        out = xp_of(a).full(shape, value, dtype=a.dtype)
        dst = tuple(slice(max(lo, 0), m - max(hi, 0)) for m, (lo, hi) in zip(shape, pads))
        src = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(a.shape, pads))
        out[dst] = a[src]
        return out

    @staticmethod
    def backward(ctx, g):
        return ConstantPad.apply(g, tuple((-lo, -hi) for lo, hi in ctx.pads), 0.0), None, None


class IndexPad(Function):
    """z = a read along each padded axis at source positions: z[..., j, ...] = a[..., idx[j], ...] for each
    (axis, idx) of ``index``, idx = ``pad_index(n, lo, hi, mode)`` (reflect: mirrored, the edge not repeated;
    replicate: the edge repeated; circular: wrapped around).

    forward:  z = a.take(idx, axis) for each (axis, idx) in turn.
    backward: z[j] = a[idx[j]] has derivative 1 in a[i] where idx[j] = i and 0 elsewhere, so
              da[i] = the sum of g[j] over the j with idx[j] = i: g added back onto the positions it was read from,
              axis by axis in reverse order (``IndexPadAdjoint``)."""
    @staticmethod
    def forward(ctx, a, index, mode):
        if mode != "circular":  # PyTorch's reflection and replication pads keep their input (its circular pad,
            ctx.save_for_backward(a)  # slices and a cat, does not): a change in place is caught alike
        ctx.index, ctx.mode, ctx.shape = index, mode, a.shape
        for axis, idx in index:
            a = a.take(idx, axis=axis)
        return a

    @staticmethod
    def backward(ctx, g):
        _ = ctx.saved_tensors  # raises PyTorch's error if the saved input was changed in place
        return IndexPadAdjoint.apply(g, ctx.index, ctx.mode, ctx.shape), None, None


class IndexPadAdjoint(Function):
    """z = g added back onto the positions ``IndexPad`` read it from: along each (axis, idx) of ``index``, last
    first, z[..., i, ...] = the sum of g[..., j, ...] over the j with idx[j] = i, into an array of ``shape``
    (``IndexPad``'s backward, a linear map of g).

    backward: the adjoint of adding g[j] onto position idx[j] is reading position idx[j]: dg = ``IndexPad`` of h."""
    @staticmethod
    def forward(ctx, g, index, mode, shape):
        ctx.index, ctx.mode = index, mode
        xp = xp_of(g)
        for axis, idx in reversed(index):
            out = xp.zeros(g.shape[:axis] + (shape[axis],) + g.shape[axis + 1:], dtype=g.dtype)
            xp.add.at(out, (slice(None),) * axis + (idx,), g)  # repeated positions add up
            g = out
        return g

    @staticmethod
    def backward(ctx, h):
        return IndexPad.apply(h, ctx.index, ctx.mode), None, None, None


# ----- index arrays: which input position each output position reads -----
def pad_index(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """Source positions along an axis of size n for a reflect / replicate / circular pad of (lo, hi), negative
    amounts cropping, as PyTorch computes them. Reflect and replicate: output j reads input position j - lo,
    mirrored about the edges without repeating them (reflect) or clamped to them (replicate), so a crop on one side
    does not change what the other side's padding reads (arange(4) padded by (3, -3) reflects to [3, 2, 1, 0]).
    Circular: the crops are taken first and the padding wraps around what is left (PyTorch copies the cropped
    middle, then its ends), so (2, -1) gives [1, 2, 0, 1, 2]."""
    if mode == "circular":
        idx = np.arange(n)[max(-lo, 0):n - max(-hi, 0)]
        return np.pad(idx, (max(lo, 0), max(hi, 0)), mode="wrap")
    pos = np.arange(n + lo + hi) - lo
    if mode == "replicate":
        return np.clip(pos, 0, n - 1)
    pos = np.abs(pos)  # reflect: |lo|, |hi| < n, so one mirror at each end suffices
    return np.where(pos > n - 1, 2 * (n - 1) - pos, pos)


def nearest_index(n_in: int, n_out: int, scale: Optional[float] = None, same_size_is_identity: bool = False
                  ) -> np.ndarray:
    """PyTorch's ``nearest``: output i reads input floor(i * s), s = 1 / scale_factor if given, else n_in / n_out,
    in float32 as PyTorch's kernel computes it (so the floor lands where PyTorch's does). PyTorch's 2-D kernel
    (``same_size_is_identity``) reads input i where the size is unchanged, whatever the scale factor."""
    if same_size_is_identity and n_out == n_in:
        return np.arange(n_out)
    s = np.float32(1.0 / scale if scale else n_in / n_out)
    return np.minimum(np.floor(np.arange(n_out, dtype=np.float32) * s).astype(np.int64), n_in - 1)


def nearest_exact_index(n_in: int, n_out: int, scale: Optional[float] = None) -> np.ndarray:
    """PyTorch's ``nearest-exact`` (pixel centres): output i reads input floor((i + 1/2) * s), s as in
    ``nearest_index`` (float32, the product rounded to float32 before the floor, as PyTorch's ``floorf``)."""
    s = np.float32(1.0 / scale if scale else n_in / n_out)
    src = ((np.arange(n_out) + 0.5) * np.float64(s)).astype(np.float32)
    return np.minimum(np.floor(src).astype(np.int64), n_in - 1)


def linear_weights(n_in: int, n_out: int, align_corners: bool,
                   scale: Optional[float] = None) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
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


# ----- the public functions -----
def _pad_pairs(x, pad):
    """PyTorch's pad tuple (last axis first: (left, right, top, bottom, ...)) as (before, after) per axis."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ArgumentError(f"pad: pad {pad} must have an even length of at most 2 * {x.ndim} for shape {x.shape}")
    pairs = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        pairs[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return tuple(pairs)


def pad(x: Tensor, pad: Sequence[int], mode: str = "constant", value: Optional[float] = 0.0) -> Tensor:
    """Pad (or, with negative amounts, crop) the trailing axes of ``x``.

    Args:
        x: any tensor.
        pad: (last_before, last_after, second_last_before, second_last_after, ...), as in PyTorch.
        mode: "constant" (with ``value``), "reflect" (mirror, the edge not repeated), "replicate" (repeat the edge)
            or "circular" (wrap around).
        value: the fill of "constant" padding (None: 0, as in PyTorch).
    PyTorch: ``torch.nn.functional.pad``."""
    x = as_tensor(x)
    pairs = _pad_pairs(x, pad)
    if mode not in PAD_MODES:
        raise ArgumentError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    if mode == "constant":
        if any(n + lo + hi < 0 for n, (lo, hi) in zip(x.shape, pairs)):
            raise ArgumentError(f"pad: pads {pairs} leave a negative size for shape {x.shape}")
        return ConstantPad.apply(x, pairs, 0.0 if value is None else value)
    index = []
    for axis, (lo, hi) in enumerate(pairs):
        if lo == hi == 0:
            continue
        n = x.shape[axis]
        kept = n - max(-lo, 0) - max(-hi, 0)  # what circular padding wraps around
        # circular padding wider than what the crops leave: PyTorch raises, or returns uninitialised memory
        if n + lo + hi < 0 or (mode == "reflect" and max(lo, hi) >= n) or (mode == "circular" and max(lo, hi) > kept):
            limit = {"reflect": f"each below the axis size {n}", "replicate": "of any size",
                     "circular": f"each at most the {kept} elements left after cropping"}[mode]
            raise ArgumentError(f"pad: {mode} padding of {(lo, hi)} does not fit axis {axis} of size {n} (shape "
                                f"{x.shape}): the output size n + before + after must not be negative, and the pads "
                                f"must be {limit}")
        index.append((axis, constant(pad_index(n, lo, hi, mode), x)))
    padded = [n + lo + hi for n, (lo, hi) in zip(x.shape[x.ndim - len(pad) // 2:], pairs[x.ndim - len(pad) // 2:])]
    if mode != "circular" and padded and max(padded) < 1:  # PyTorch's reflection and replication pads refuse this too
        raise ArgumentError(f"pad: {mode} padding {tuple(pad)} of shape {x.shape} leaves no element on every padded "
                            f"axis (sizes {tuple(padded)})")
    if not index:
        return ConstantPad.apply(x, pairs, 0.0)  # nothing to pad: a copy
    return IndexPad.apply(x, tuple(index), mode)


def interpolate(x: Tensor, size: Union[int, Sequence[int], None] = None,
                scale_factor: Union[float, Sequence[float], None] = None, mode: str = "nearest",
                align_corners: Optional[bool] = None) -> Tensor:
    """Resample the spatial axes of an (N, C, ...) tensor to ``size``, or to the input size * ``scale_factor``.

    Args:
        x: (N, C, d1, ...) with one spatial axis or more.
        size: the output's spatial size (an int for all of them); give this or ``scale_factor``.
        scale_factor: a factor per spatial axis (or one for all); the output size is floored.
        mode: "nearest" (output i reads input floor(i * in / out)), "nearest-exact" (pixel centres: input
            floor((i + 1/2) * in / out)) or "linear" / "bilinear" / "trilinear" (the two nearest inputs along each
            spatial axis, mixed linearly; one, two or three spatial axes; float tensors only: PyTorch's uint8
            bilinear rounds with fixed-point weights, which is not reproduced here, so integer input is refused).
        align_corners: the linear modes' source coordinates as in PyTorch (corner pixels aligned, or pixel
            centres); not for "nearest".
    PyTorch: ``torch.nn.functional.interpolate`` (without ``recompute_scale_factor`` and ``antialias``)."""
    x = as_tensor(x)
    k = x.ndim - 2
    if k < 1:
        raise ArgumentError(f"interpolate: expected x of shape (N, C, ...) with spatial axes, got {x.shape}")
    if mode not in ("nearest", "nearest-exact", *_LINEAR_MODES):
        raise ArgumentError(f"interpolate: mode must be 'nearest', 'nearest-exact', 'linear', 'bilinear' or "
                            f"'trilinear', got {mode!r}")
    if mode in _LINEAR_MODES and not np.issubdtype(np.dtype(x.dtype), np.floating):
        raise TypeError(f"interpolate: mode {mode!r} of a {x.dtype} tensor of shape {x.shape} is not supported "
                        f"(PyTorch rounds uint8 bilinear with fixed-point weights, which is not reproduced here); "
                        f"convert it with .float() first and round the result yourself")
    if mode in _LINEAR_MODES and _LINEAR_MODES[mode] != k:
        raise ArgumentError(f"interpolate: mode {mode!r} needs {_LINEAR_MODES[mode]} spatial axes, got x of shape "
                            f"{x.shape}")
    if mode.startswith("nearest") and align_corners is not None:
        raise ArgumentError("interpolate: align_corners only applies to the linear modes")
    if (size is None) == (scale_factor is None):
        raise ArgumentError("interpolate: give exactly one of size and scale_factor")
    scales = [None] * k
    if size is not None:
        size = (size,) * k if isinstance(size, (int, np.integer)) else tuple(size)
    else:
        scales = [float(s) for s in ((scale_factor,) * k if isinstance(scale_factor, (int, float)) else scale_factor)]
        size = tuple(int(math.floor(n * s)) for n, s in zip(x.shape[2:], scales))
    if len(size) != k or min(size) < 1:
        raise ArgumentError(f"interpolate: output size {size} does not fit x of shape {x.shape}")
    for i in range(k):  # separable: one spatial axis at a time
        axis, n_in, n_out = 2 + i, x.shape[2 + i], size[i]
        pre = (slice(None),) * axis
        if mode.startswith("nearest"):
            index = (nearest_index(n_in, n_out, scales[i], k == 2) if mode == "nearest" else
                     nearest_exact_index(n_in, n_out, scales[i]))
            x = x[pre + (constant(index, x),)]
            continue
        i0, i1, w = linear_weights(n_in, n_out, bool(align_corners), scales[i])
        w = as_tensor(w.reshape((-1,) + (1,) * (x.ndim - axis - 1)), like=x)
        lo, hi = x[pre + (constant(i0, x),)], x[pre + (constant(i1, x),)]
        x = lo + (hi - lo) * w
    return x


def upsample(x: Tensor, size: Union[int, Sequence[int], None] = None,
             scale_factor: Union[float, Sequence[float], None] = None, mode: str = "nearest",
             align_corners: Optional[bool] = None) -> Tensor:
    """The same as ``interpolate`` (PyTorch's older name for it; arguments as there).

    PyTorch: ``torch.nn.functional.upsample`` (deprecated there in favour of ``interpolate``)."""
    return interpolate(x, size, scale_factor, mode, align_corners)


BINDINGS = [
    bind(pad, F=True),
    bind(interpolate, F=True),
    bind(upsample, F=True),
]


CASES = [
    OpCase("F.pad_constant", lambda x: pad(x, (1, 2, -1, 1), value=0.5), ((2, 3, 4),), draw="fixed",
           torch=functional_twin("pad", (1, 2, -1, 1), value=0.5)),
    OpCase("F.pad_reflect", lambda x: pad(x, (2, 1, 1, 0), mode="reflect"), ((2, 3, 4),), draw="fixed",
           torch=functional_twin("pad", (2, 1, 1, 0), mode="reflect")),
    OpCase("F.pad_replicate", lambda x: pad(x, (1, 2), mode="replicate"), ((2, 3, 4),), draw="fixed",
           torch=functional_twin("pad", (1, 2), mode="replicate")),
    OpCase("F.pad_circular", lambda x: pad(x, (3, 1, 1, 2), mode="circular"), ((1, 3, 4),), draw="fixed",
           torch=functional_twin("pad", (3, 1, 1, 2), mode="circular")),
    OpCase("F.interpolate_nearest", lambda x: interpolate(x, scale_factor=2), ((1, 2, 3, 2),), draw="fixed",
           torch=functional_twin("interpolate", scale_factor=2)),
    OpCase("F.interpolate_nearest_exact", lambda x: interpolate(x, size=(5, 2), mode="nearest-exact"),
           ((1, 2, 3, 4),), draw="fixed", torch=functional_twin("interpolate", size=(5, 2), mode="nearest-exact")),
    OpCase("F.interpolate_nearest_exact_3d", lambda x: interpolate(x, scale_factor=1.7, mode="nearest-exact"),
           ((1, 1, 2, 3, 2),), draw="fixed",
           torch=functional_twin("interpolate", scale_factor=1.7, mode="nearest-exact")),
    OpCase("F.pad_reflect_negative", lambda x: pad(x, (3, -3, -1, 2), mode="reflect"), ((2, 3, 5),), draw="fixed",
           torch=functional_twin("pad", (3, -3, -1, 2), mode="reflect")),
    OpCase("F.pad_replicate_negative", lambda x: pad(x, (-2, 3, 1, -2), mode="replicate"), ((1, 3, 4),),
           draw="fixed", torch=functional_twin("pad", (-2, 3, 1, -2), mode="replicate")),
    OpCase("F.pad_circular_negative", lambda x: pad(x, (2, -1, -1, 1), mode="circular"), ((1, 3, 4),),
           draw="fixed", torch=functional_twin("pad", (2, -1, -1, 1), mode="circular")),
    OpCase("F.interpolate_bilinear", lambda x: interpolate(x, size=(5, 3), mode="bilinear"), ((1, 2, 3, 4),),
           draw="fixed", torch=functional_twin("interpolate", size=(5, 3), mode="bilinear")),
    OpCase("F.interpolate_bilinear_aligned", lambda x: interpolate(x, size=(4, 7), mode="bilinear",
           align_corners=True), ((2, 1, 3, 4),), draw="fixed",
           torch=functional_twin("interpolate", size=(4, 7), mode="bilinear", align_corners=True)),
    OpCase("F.interpolate_linear", lambda x: interpolate(x, scale_factor=1.5, mode="linear"), ((2, 2, 4),),
           draw="fixed", torch=functional_twin("interpolate", scale_factor=1.5, mode="linear")),
    OpCase("F.upsample", lambda x: upsample(x, size=(4, 5)), ((1, 2, 3, 2),), draw="fixed",
           torch=functional_twin("interpolate", size=(4, 5))),
]
