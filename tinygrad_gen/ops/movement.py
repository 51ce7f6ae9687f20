"""Movement ops: they rearrange, repeat or join elements without arithmetic, so each backward moves g back the
opposite way (reshape it back, permute it back, sum the copies, cut the joined gradient into its pieces).

Five Functions do the work: ``Reshape``, ``Transpose``, ``Expand``, ``Repeat`` and ``Cat``. Everything else here
(squeeze, flatten, stack, split, flip, roll, tile, ...) is a composition of them and of indexing (``x[...]``,
``indexing.py``), so its gradient comes out of the chain rule. Copying small expansions instead of building a
broadcast view is a speed trick: a fast path in ``fast/movement.py``.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..autograd import Function, unbroadcast
from ..backend import xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import Tensor
from .case import OpCase
from .checks import as_tensor, normalize_axis, one_axis


class Reshape(Function):
    """z = a with the same elements in the same (row-major) order, arranged as ``shape``.

    backward: z_k = a_k for the k-th element in that order, so dz/da is the identity on the flat elements and
    da = g reshaped to a's shape."""
    @staticmethod
    def forward(ctx, a, shape):
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.inputs[0].shape), None


class Transpose(Function):
    """z = a with its axes permuted: z.shape[i] = a.shape[axes[i]] and z[j_0, .., j_n] = a at j_i on axis axes[i]
    (``axes`` None: the axes reversed).

    backward: each element moves to one new place, so g moves back by the inverse permutation,
    da = g permuted by argsort(axes) (reversing the axes is its own inverse)."""
    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return a.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        inverse = None if ctx.axes is None else tuple(np.argsort(ctx.axes).tolist())
        return Transpose.apply(g, inverse), None


class Expand(Function):
    """z = a broadcast to ``shape``: new leading axes, and axes of size 1 repeated, z[.., i, ..] = a[.., 0, ..]
    along each stretched axis (a read-only view of a; nothing is copied).

    backward: every element of a is copied to each position of the stretched axes, so its gradient is the sum of
    g over them: da = unbroadcast(g, a.shape) (g summed over the new and the stretched axes)."""
    @staticmethod
    def forward(ctx, a, shape):
        return xp_of(a).broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g, ctx.inputs[0].shape), None


class Repeat(Function):
    """z = a copied sizes[i] times along each axis i (extra leading sizes add axes; NumPy's tile): with a's shape
    padded to (n_0, .., n_k), z[b_0 n_0 + j_0, .., b_k n_k + j_k] = a[j_0, .., j_k] for every block (b_0, .., b_k).

    backward: each element of a appears once in every block, so its gradient is the sum of g over the blocks:
    g viewed as (r_0, n_0, .., r_k, n_k) (r_i = sizes[i]) and summed over the r axes, da = that reshaped to a."""
    @staticmethod
    def forward(ctx, a, sizes):
        ctx.sizes = sizes
        return xp_of(a).tile(a, sizes)

    @staticmethod
    def backward(ctx, g):
        shape = ctx.inputs[0].shape
        padded = (1,) * (len(ctx.sizes) - len(shape)) + shape
        blocks = tuple(d for r, n in zip(ctx.sizes, padded) for d in (r, n))
        return g.reshape(blocks).sum(axis=tuple(range(0, len(blocks), 2))).reshape(shape), None


class Cat(Function):
    """z = the inputs joined along ``axis``: input k fills z's slice [s_k, s_k + n_k) on that axis, where n_k is
    its size there and s_k the sizes before it added up.

    backward: z is a copy of each input into its own slice, so da_k = g[.., s_k : s_k + n_k, ..]."""
    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ctx.axis = axis
        ctx.sizes = [a.shape[axis] for a in arrays]
        return xp_of(arrays[0]).concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        axis = ctx.axis % g.ndim
        out, start = [], 0
        for n, need in zip(ctx.sizes, ctx.needs_input_grad):
            out.append(g[(slice(None),) * axis + (slice(start, start + n),)] if need else None)
            start += n
        return tuple(out)


def _shape_arg(shape: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3)."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


# ----- the public functions -----
def reshape(x: Tensor, *shape: int | Sequence[int]) -> Tensor:
    """The same elements in a new shape (one entry may be -1: inferred).

    Args:
        shape: the new shape, as ints or one tuple; its size must equal x's.
    Mirrors ``torch.Tensor.reshape`` and ``view`` (both share x's memory where NumPy can, else copy)."""
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape)


def transpose(x: Tensor, *axes: int | Sequence[int]) -> Tensor:
    """x with its axes permuted, NumPy's way: no axes reverses them, else name every axis once.

    Args:
        axes: a permutation of range(x.ndim), as ints or one tuple (negative axes count from the end).
    Mirrors ``numpy.transpose`` and ``torch.permute``; ``swapaxes(a, b)`` swaps two axes."""
    axes = _shape_arg(axes)
    if not axes:
        return Transpose.apply(x, None)
    nd = x.ndim
    if (len(axes) != nd or not all(-nd <= int(a) < nd for a in axes)
            or sorted(int(a) % nd for a in axes) != list(range(nd))):
        raise ValueError(f"transpose: axes {axes} are not a permutation for shape {x.shape} (NumPy-style: "
                         "name every axis; swapaxes(a, b) swaps two)")
    return Transpose.apply(x, tuple(int(a) % nd for a in axes))


def _reversed_axes(x: Tensor) -> Tensor:
    """x with its axes reversed (a matrix transposed). Mirrors ``torch.Tensor.T`` (NumPy's ``.T``)."""
    return Transpose.apply(x, None)


T = property(_reversed_axes, doc=_reversed_axes.__doc__)


def _matrix_transpose(x: Tensor) -> Tensor:
    """x with its last two axes swapped (a batch of matrices, each transposed). Mirrors ``torch.Tensor.mT``; a
    tensor with fewer than 2 axes is an error, as in PyTorch."""
    if x.ndim < 2:
        raise ValueError(f"mT: needs a tensor of at least 2 dimensions, got shape {x.shape}")
    return swapaxes(x, -2, -1)


mT = property(_matrix_transpose, doc=_matrix_transpose.__doc__)


def swapaxes(x: Tensor, a: int, b: int) -> Tensor:
    """x with two axes exchanged.

    Args:
        a, b: the two axes (negative counts from the end).
    Mirrors ``torch.swapaxes`` / ``torch.Tensor.transpose(dim0, dim1)``."""
    a, b = one_axis(x, a, "swapaxes"), one_axis(x, b, "swapaxes")
    if x.ndim == 0:
        return x
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return Transpose.apply(x, tuple(axes))


def squeeze(x: Tensor, axis: int | Sequence[int] | None = None) -> Tensor:
    """x without axes of size 1: all of them, or the given ones (each must have size 1).

    Args:
        axis: None (every axis of size 1), an int or a tuple of ints.
    Mirrors ``torch.squeeze``."""
    if axis is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        axes = normalize_axis(axis, x.ndim, "squeeze")
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} has size {x.shape[a]}, not 1 (shape {x.shape})")
        shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    return reshape(x, shape)


def unsqueeze(x: Tensor, axis: int) -> Tensor:
    """x with a new axis of size 1 at position ``axis``.

    Args:
        axis: in [-x.ndim - 1, x.ndim]; a negative axis counts from the end of the new shape.
    Mirrors ``torch.unsqueeze``."""
    if not isinstance(axis, (int, np.integer)) or not -x.ndim - 1 <= axis <= x.ndim:
        raise ValueError(f"unsqueeze: axis {axis} is out of range for shape {x.shape}")
    axis = int(axis) % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def flatten(x: Tensor, start: int = 0, end: int = -1) -> Tensor:
    """x with the axes start..end (both included) merged into one; a 0-d tensor becomes shape (1,).

    Args:
        start, end: the first and last axis to merge (negative counts from the end).
    Mirrors ``torch.flatten(start_dim, end_dim)``."""
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = one_axis(x, start, "flatten"), one_axis(x, end, "flatten")
    if start > end:
        raise ValueError(f"flatten: start axis {start} comes after end axis {end} (shape {x.shape})")
    return reshape(x, x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])


def expand(x: Tensor, *shape: int | Sequence[int]) -> Tensor:
    """x broadcast to a larger shape without copying: new leading axes, and axes of size 1 repeated.

    Args:
        shape: the target shape, as ints or one tuple; -1 keeps x's size on that axis.
    Mirrors ``torch.Tensor.expand``. The gradient sums over the repeated axes."""
    shape = _shape_arg(shape)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: cannot expand shape {x.shape} to fewer dimensions {shape}")
    shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(shape))
    if shape == x.shape:
        return x
    for i, n in enumerate(x.shape):
        if n != 1 and n != shape[lead + i]:
            raise ValueError(f"Expand: cannot expand shape {x.shape} to {shape}: axis {i} has size {n}, and only "
                             "axes of size 1 can be repeated")
    return pick(Expand).apply(x, shape)


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    """x expanded to ``other``'s shape. Mirrors ``torch.Tensor.expand_as``."""
    return expand(x, *other.shape)


def reshape_as(x: Tensor, other: Tensor) -> Tensor:
    """x reshaped to ``other``'s shape. Mirrors ``torch.Tensor.reshape_as`` (and ``view_as``)."""
    return reshape(x, other.shape)


def cat(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """The tensors joined along an existing axis.

    Args:
        tensors: a non-empty sequence of tensors (arrays and lists are made tensors), equal in shape except on
            ``axis``.
        axis: the axis to join along.
    Mirrors ``torch.cat``."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    return Cat.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """The tensors joined along a new axis (each unsqueezed there, then concatenated).

    Args:
        tensors: a non-empty sequence of tensors of one shape.
        axis: where the new axis goes, in [-ndim - 1, ndim].
    Mirrors ``torch.stack``."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    return cat([unsqueeze(t, axis) for t in tensors], axis=axis)


def split(x: Tensor, split_size_or_sections: int | Sequence[int], axis: int = 0) -> tuple:
    """Pieces of x along ``axis``: an int gives pieces of that size (the last may be smaller), a list gives each
    piece's size.

    Args:
        split_size_or_sections: a positive int, or sizes that add up to x.shape[axis].
        axis: the axis to cut.
    Mirrors ``torch.split``. Each piece is a slice, so its gradient lands in its own part of x."""
    axis = one_axis(x, axis, "split")
    n = x.shape[axis] if x.ndim else 1
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split: split size must be positive, got {size}")
        sizes = [min(size, n - i) for i in range(0, n, size)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or min(sizes, default=0) < 0:
            raise ValueError(f"split: sizes {sizes} do not add up to axis {axis} of size {n} (shape {x.shape})")
    out, start = [], 0
    for s in sizes:
        out.append(x[(slice(None),) * axis + (slice(start, start + s),)])
        start += s
    return tuple(out)


def chunk(x: Tensor, chunks: int, axis: int = 0) -> tuple:
    """x cut into ``chunks`` pieces along ``axis``, each of size ceil(n / chunks) (the last smaller, and fewer
    pieces when n is small).

    Args:
        chunks: a positive int.
        axis: the axis to cut.
    Mirrors ``torch.chunk``."""
    if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks}")
    axis = one_axis(x, axis, "chunk")
    n = x.shape[axis] if x.ndim else 1
    return split(x, max(-(-n // int(chunks)), 1), axis)


def flip(x: Tensor, axis: int | Sequence[int] | None = None, dims: int | Sequence[int] | None = None) -> Tensor:
    """x with the order of elements reversed along ``axis``.

    Args:
        axis: an int or a tuple of ints; None reverses every axis (as NumPy).
        dims: PyTorch's keyword for the same axes (give one of axis, dims).
    Mirrors ``torch.flip``. A reversed slice, so indexing's backward flips the gradient back."""
    if dims is not None:
        if axis is not None:
            raise TypeError(f"flip: got both axis={axis} and its alias dims={dims}; give one")
        axis = dims
    axes = normalize_axis(axis, x.ndim, "flip")
    if axis is not None and x.ndim:
        named = [int(a) % x.ndim for a in ((axis,) if isinstance(axis, (int, np.integer)) else tuple(axis))]
        repeated = sorted({a for a in named if named.count(a) > 1})
        if repeated:
            raise ValueError(f"flip: axis {repeated[0]} appears more than once in {axis} (shape {x.shape}); "
                             "name each axis once, as PyTorch requires")
    return x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))]


def roll(x: Tensor, shifts: int | Sequence[int], axis: int | Sequence[int] | None = None,
         dims: int | Sequence[int] | None = None) -> Tensor:
    """x with its elements shifted cyclically along ``axis``: z[(i + s) mod n] = x[i].

    Args:
        shifts: an int, or one int per axis.
        axis: an int or a tuple of ints; None shifts the flattened tensor, then restores the shape.
        dims: PyTorch's keyword for the same axes (give one of axis, dims).
    Mirrors ``torch.roll``. A cat of two slices per axis, so the gradient is rolled back."""
    if dims is not None:
        if axis is not None:
            raise TypeError(f"roll: got both axis={axis} and its alias dims={dims}; give one")
        axis = dims
    if axis is None:  # PyTorch: the flattened tensor rolled, then its shape restored
        if not isinstance(shifts, (int, np.integer)):
            if len(tuple(shifts)) != 1:
                raise ValueError(f"roll: without an axis, shifts must be one int, got {shifts} (give one axis "
                                 "per shift)")
            shifts = tuple(shifts)[0]
        return reshape(roll(reshape(x, -1), int(shifts), 0), x.shape)
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(axes)} axes")
    out = x
    for s, a in zip(shifts, axes):
        a = one_axis(x, a, "roll")
        n = x.shape[a] if x.ndim else 1
        s = int(s) % n if n else 0
        if s == 0 or x.ndim == 0:
            continue
        before = (slice(None),) * a
        out = cat([out[before + (slice(n - s, None),)], out[before + (slice(0, n - s),)]], axis=a)
    return out


def repeat(x: Tensor, *sizes: int | Sequence[int]) -> Tensor:
    """x copied sizes[i] times along axis i (extra leading sizes add axes); a new tensor, never a view of x.

    Args:
        sizes: at least x.ndim non-negative ints, or one tuple.
    Mirrors ``torch.Tensor.repeat`` (NumPy's ``tile``). The gradient sums the copies."""
    sizes = tuple(int(s) for s in _shape_arg(sizes))
    if len(sizes) < x.ndim:
        raise ValueError(f"repeat: {len(sizes)} repeat sizes for a tensor of shape {x.shape}; give at least "
                         f"{x.ndim}")
    if min(sizes, default=0) < 0:
        raise ValueError(f"repeat: sizes must be non-negative, got {sizes}")
    return Repeat.apply(x, sizes)


def tile(x: Tensor, *reps: int | Sequence[int]) -> Tensor:
    """Like ``repeat``, but fewer reps than axes are padded with leading 1s.

    Args:
        reps: ints, or one tuple.
    Mirrors ``torch.tile`` (and ``numpy.tile``)."""
    reps = _shape_arg(reps)
    return repeat(x, *((1,) * (x.ndim - len(reps)) + tuple(reps)))


def unflatten(x: Tensor, axis: int, sizes: Sequence[int]) -> Tensor:
    """x with one axis split into several: axis ``axis`` of size n becomes axes of ``sizes`` (their product n;
    one of them may be -1, inferred).

    Args:
        axis: the axis to split (``dim=``; negative counts from the end).
        sizes: the new axes' sizes, a non-empty tuple or list.
    Mirrors ``torch.unflatten(x, dim, sizes)``, the inverse of ``flatten``. A reshape, so its gradient is g
    reshaped back."""
    axis = one_axis(x, axis, "unflatten")
    if x.ndim == 0:
        raise ValueError("unflatten: a 0-d tensor has no axis to split")
    if isinstance(sizes, (int, np.integer)) or not len(sizes):
        raise ValueError(f"unflatten: sizes must be a non-empty tuple of ints, got {sizes!r}")
    sizes = tuple(int(n) for n in sizes)
    n, known = x.shape[axis], math.prod(m for m in sizes if m != -1)
    if sizes.count(-1) > 1 or any(m < -1 for m in sizes) or (
            n != known if -1 not in sizes else (known == 0 or n % known)):
        raise ValueError(f"unflatten: sizes {sizes} do not split axis {axis} of size {n} (shape {x.shape})")
    sizes = tuple(n // known if m == -1 else m for m in sizes)
    return reshape(x, x.shape[:axis] + sizes + x.shape[axis + 1:])


def meshgrid(*tensors: Tensor | Sequence[Tensor], indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D tensors: output k holds tensors[k] along its own axis, repeated over the others.

    Args:
        tensors: 1-D (or 0-d) tensors, as arguments or one list; n_k is the size of tensor k.
        indexing: "ij" (matrix indexing: every output has shape (n_0, n_1, ...)) or "xy" (Cartesian: the first two
            axes swapped, shape (n_1, n_0, ...), as NumPy's default).
    Mirrors ``torch.meshgrid(*tensors, indexing=...)`` (its default "ij"). Each output is an expanded view, so its
    gradient sums over the repeated axes."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("meshgrid: expected at least one tensor")
    bad = [t.shape for t in tensors if t.ndim > 1]
    if bad:
        raise ValueError(f"meshgrid: expects 0-d or 1-D tensors, got shapes {[t.shape for t in tensors]}")
    tensors = [reshape(t, -1) for t in tensors]
    order = list(range(len(tensors)))  # order[k]: the output axis that tensor k runs along
    if indexing == "xy" and len(tensors) > 1:
        order[0], order[1] = 1, 0
    shape = [0] * len(tensors)
    for k, t in enumerate(tensors):
        shape[order[k]] = t.shape[0]
    out = []
    for k, t in enumerate(tensors):
        view = [1] * len(tensors)
        view[order[k]] = -1
        out.append(expand(reshape(t, tuple(view)), tuple(shape)))
    return tuple(out)


def repeat_interleave(x: Tensor, repeats: int | Sequence[int] | Tensor | None = None, axis: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each element (``axis`` None: of the flattened x) or each slice along ``axis`` repeated in place:
    [a, b] with repeats 2 gives [a, a, b, b] (``repeat`` would give [a, b, a, b]).

    Args:
        repeats: an int (every element the same), or one non-negative int per element along the axis (a list or
            an integer tensor). ``tg.repeat_interleave(counts)`` alone gives each index i repeated counts[i] times.
        axis: the axis (``dim=``); None flattens x first, as PyTorch does.
        output_size: the total length along the axis, checked if given (PyTorch uses it to avoid a sync).
    Mirrors ``torch.repeat_interleave``. An integer index along the axis, so each element's gradient is the sum of
    its copies' gradients."""
    xp = xp_of(x._data)
    if repeats is None:  # torch.repeat_interleave(counts): the indices, each repeated counts[i] times
        if x.ndim != 1 or x.dtype.kind not in "iu":
            raise ValueError(f"repeat_interleave: repeats alone must be a 1-D integer tensor, got {x.dtype} of "
                             f"shape {x.shape}")
        counts = x._data
        if (counts < 0).any():
            raise ValueError("repeat_interleave: repeats must be non-negative")
        return Tensor(xp.repeat(xp.arange(len(counts)), counts))
    if axis is None:
        x, axis = reshape(x, -1), 0
    axis = one_axis(x, axis, "repeat_interleave")
    if x.ndim == 0:
        x = reshape(x, 1)
    n = x.shape[axis]
    if isinstance(repeats, (bool, np.bool_)):
        raise TypeError("repeat_interleave: repeats must be an int or integers, got a bool")
    r = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if r.dtype.kind not in "iu" or r.ndim > 1 or (r.ndim == 1 and len(r) not in (1, n)):
        raise ValueError(f"repeat_interleave: repeats must be an int or {n} ints (axis {axis} of shape {x.shape}), "
                         f"got {repeats!r}")
    if (r < 0).any():
        raise ValueError(f"repeat_interleave: repeats must be non-negative, got {repeats!r}")
    index = np.repeat(np.arange(n), np.asarray(r).reshape(-1) if r.ndim else int(r))
    if output_size is not None and output_size != len(index):
        raise ValueError(f"repeat_interleave: output_size={output_size}, but the repeats give {len(index)}")
    return x[(slice(None),) * axis + (index,)]


def numel(x: Tensor) -> int:
    """The number of elements. Mirrors ``torch.numel`` (NumPy's ``a.size``; ``x.size()`` is PyTorch's shape)."""
    return x._data.size


def dim(x: Tensor) -> int:
    """The number of axes. Mirrors ``torch.Tensor.dim`` (``x.ndim``)."""
    return x._data.ndim


BINDINGS = [
    bind(reshape, method="reshape view", tg="reshape"),
    bind(transpose, method="transpose permute", tg="transpose permute"),
    bind(T, method="T"),
    bind(swapaxes, method=True),
    bind(squeeze, method=True, tg=True),
    bind(unsqueeze, method=True, tg=True),
    bind(flatten, method=True, tg=True),
    bind(expand, method=True),
    bind(expand_as, method=True),
    bind(reshape_as, method="reshape_as view_as"),
    bind(cat, tg=True),
    bind(stack, tg=True),
    bind(split, method=True, tg=True),
    bind(chunk, method=True, tg=True),
    bind(flip, method=True, tg=True),
    bind(roll, method=True, tg=True),
    bind(repeat, method=True),
    bind(tile, method=True, tg=True),
    bind(unflatten, method=True, tg=True),
    bind(meshgrid, tg=True),
    bind(repeat_interleave, method=True, tg=True),
    bind(mT, method="mT"),
    bind(numel, method=True, tg=True),
    bind(dim, method=True),
]


def _pieces(parts):
    """One tensor from a tuple of pieces, each scaled differently so a mixed-up gradient shows."""
    return cat([p.reshape(-1) * (i + 1) for i, p in enumerate(parts)])


def _torch_pieces(torch, parts):
    return torch.cat([p.reshape(-1) * (i + 1) for i, p in enumerate(parts)])


def _reversed(ndim):
    return tuple(reversed(range(ndim)))


def _rotated(ndim):
    return tuple(range(1, ndim)) + (0,)


# an expanded output shares memory across its copies, so PyTorch refuses to change it in place: the rows that
# expand scale the result (* 1.0), which gives the in-place probe an output of its own to change
CASES = [
    OpCase("reshape", lambda a: a.reshape(-1), ((3, 4),), torch=lambda torch, a: a.reshape(-1)),
    OpCase("view", lambda a: a.view(a.numel()), ((3, 4),), torch=lambda torch, a: a.view(a.numel())),
    OpCase("reshape_as", lambda a: a.reshape_as(Tensor(np.zeros((a.numel(), 1)))), ((3, 4),),
           torch=lambda torch, a: a.reshape_as(torch.zeros(a.numel(), 1))),
    OpCase("view_as", lambda a: a.view_as(Tensor(np.zeros((1, a.numel())))), ((3, 4),),
           torch=lambda torch, a: a.view_as(torch.zeros(1, a.numel()))),
    OpCase("transpose", lambda a: a.transpose(), ((2, 3, 4),), torch=lambda torch, a: a.permute(_reversed(a.ndim))),
    OpCase("permute", lambda a: a.permute(*_rotated(a.ndim)), ((2, 3, 4),), min_ndim=1,
           torch=lambda torch, a: a.permute(_rotated(a.ndim))),
    OpCase("T", lambda a: a.T * 1.0, ((3, 4),), torch=lambda torch, a: a.permute(_reversed(a.ndim)) * 1.0),
    OpCase("swapaxes", lambda a: a.swapaxes(0, -1), ((2, 3, 4),), min_ndim=1,
           torch=lambda torch, a: a.transpose(0, -1)),
    OpCase("squeeze", lambda a: a.squeeze(), ((3, 1, 4),), torch=lambda torch, a: a.squeeze()),
    OpCase("squeeze_axis", lambda a: a.unsqueeze(1).squeeze(1), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.unsqueeze(1).squeeze(1)),
    OpCase("unsqueeze", lambda a: a.unsqueeze(0), ((3, 4),), torch=lambda torch, a: a.unsqueeze(0)),
    OpCase("flatten", lambda a: a.flatten(), ((2, 3, 4),), torch=lambda torch, a: a.flatten()),
    OpCase("flatten_middle", lambda a: a.flatten(1, 2), ((2, 3, 4, 2),), draw="fixed",
           torch=lambda torch, a: a.flatten(1, 2)),
    OpCase("expand", lambda a: a.expand(2, *a.shape) * 1.0, ((3, 1),),
           torch=lambda torch, a: a.expand(2, *a.shape) * 1.0),
    OpCase("expand_large", lambda a: a.expand(-1, 1100) * 1.0, ((3, 1),), draw="fixed",
           torch=lambda torch, a: a.expand(-1, 1100) * 1.0),
    OpCase("expand_as", lambda a: a.expand_as(Tensor(np.zeros((2,) + a.shape))) * 1.0, ((3, 1),),
           torch=lambda torch, a: a.expand_as(torch.zeros(2, *a.shape)) * 1.0),
    OpCase("cat", lambda a, b: cat([a, b], axis=0), ((2, 4), (3, 4)), draw="fixed",
           torch=lambda torch, a, b: torch.cat([a, b], 0)),
    OpCase("cat_same", lambda a, b: cat([a, b], axis=-1), ((3, 4), (3, 4)), draw="same", min_ndim=1,
           torch=lambda torch, a, b: torch.cat([a, b], -1)),
    OpCase("stack", lambda a, b: stack([a, b], axis=0), ((3, 4), (3, 4)), draw="same",
           torch=lambda torch, a, b: torch.stack([a, b], 0)),
    OpCase("flip", lambda a: a.flip(axis=-1), ((3, 4),), min_ndim=1, torch=lambda torch, a: a.flip(-1)),
    OpCase("roll", lambda a: a.roll(1, axis=0), ((3, 4),), min_ndim=1, torch=lambda torch, a: a.roll(1, 0)),
    OpCase("roll_flat", lambda a: a.roll(-2), ((3, 4),), torch=lambda torch, a: a.roll(-2)),
    OpCase("repeat", lambda a: a.repeat(2, *([1] * a.ndim)), ((3, 4),),
           torch=lambda torch, a: a.repeat(2, *([1] * a.ndim))),
    OpCase("tile", lambda a: a.tile((2, 1)), ((3, 4),), min_ndim=1, torch=lambda torch, a: a.tile((2, 1))),
    OpCase("chunk", lambda a: _pieces(a.chunk(2, axis=-1)), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: _torch_pieces(torch, a.chunk(2, -1))),
    OpCase("split", lambda a: _pieces(split(a, [1, 2], 0)), ((3, 4),), draw="fixed",
           torch=lambda torch, a: _torch_pieces(torch, torch.split(a, [1, 2], 0))),
    OpCase("mT", lambda a: a.mT * 1.0, ((2, 3, 4),), min_ndim=2, torch=lambda torch, a: a.mT * 1.0),
    OpCase("unflatten", lambda a: a.unflatten(0, (2, -1)), ((4, 3),), draw="fixed",
           torch=lambda torch, a: a.unflatten(0, (2, -1))),
    OpCase("meshgrid_ij", lambda a, b: _pieces(meshgrid(a, b)), ((3,), (2,)), draw="fixed",
           torch=lambda torch, a, b: _torch_pieces(torch, torch.meshgrid(a, b, indexing="ij")), exact_twin=False),
    OpCase("meshgrid_xy", lambda a, b, c: _pieces(meshgrid([a, b, c], indexing="xy")), ((3,), (2,), (4,)),
           draw="fixed", exact_twin=False,
           torch=lambda torch, a, b, c: _torch_pieces(torch, torch.meshgrid([a, b, c], indexing="xy"))),
    OpCase("repeat_interleave", lambda a: a.repeat_interleave(2, axis=-1), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.repeat_interleave(2, -1), exact_twin=False),
    OpCase("repeat_interleave_flat", lambda a: a.repeat_interleave(3), ((3, 4),),
           torch=lambda torch, a: a.repeat_interleave(3), exact_twin=False),
    OpCase("repeat_interleave_counts", lambda a: a.repeat_interleave(Tensor(np.array([1, 0, 2])), axis=0),
           ((3, 4),), draw="fixed", exact_twin=False,
           torch=lambda torch, a: a.repeat_interleave(torch.tensor([1, 0, 2]), 0)),
    OpCase("flip_axes", lambda a: a.flip((0, -1)), ((2, 3, 4),), min_ndim=2, torch=lambda torch, a: a.flip((0, -1))),
]
