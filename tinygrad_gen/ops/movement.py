"""Movement ops: they rearrange, repeat or join elements without arithmetic, so each backward moves g back the
opposite way (reshape it back, permute it back, sum the copies, cut the joined gradient into its pieces).

Five Functions do the work: ``Reshape``, ``Transpose``, ``Expand``, ``Repeat`` and ``Cat``. Everything else here
(squeeze, flatten, stack, split, flip, roll, tile, ...) is a composition of them and of indexing (``x[...]``,
``indexing.py``), so its gradient comes out of the chain rule. Copying small expansions instead of building a
broadcast view is a speed trick: a fast path in ``fast/movement.py``.
"""
from __future__ import annotations

import math
import operator
from typing import Sequence

import numpy as np

from ..errors import ArgumentError, AxisError
from ..autograd import Function, unbroadcast
from ..backend import xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import Tensor, TensorLike
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


class SumTo(Function):
    """z = a summed down to ``shape``, a shape that broadcasts to a's (DeZero's sum_to, PyTorch's sum_to_size): with
    shape padded with leading 1s to a's length, z[j] = the sum of a[i] over every i that broadcasting maps onto j,
    i.e. over a's extra leading axes and over each axis where shape has 1 and a has not.

    backward: each element of a is added into exactly one element of z (dz_j/da_i = 1 if i maps onto j, else 0),
    so da_i = g_j for the j it went into: da = g broadcast back to a's shape (``Expand``; SumTo and Expand are each
    other's adjoints, as summing and copying are)."""
    @staticmethod
    def forward(ctx, a, shape):
        lead = a.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and a.shape[lead + i] != 1)
        return (a.sum(axis=axes, keepdims=True) if axes else a).reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return expand(g, ctx.inputs[0].shape), None


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


class Unbind(Function):
    """z_i = a[.., i, ..] along ``axis``, one output for each i in range(a.shape[axis]) (each a view of a).

    backward: output i copies slice i of a and nothing else, so da's slice i is g_i: da = the g_i stacked along
    ``axis`` (an output that nothing used sends zeros)."""
    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        return tuple(a[(slice(None),) * axis + (i,)] for i in range(a.shape[axis]))

    @staticmethod
    def backward(ctx, *grads):
        return stack(list(grads), ctx.axis), None


def _shape_arg(shape: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3)."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def _int_arg(value, name: str, op: str) -> int:
    """An int argument (a Python or NumPy int, or a one-element integer tensor, as PyTorch takes), else a TypeError
    naming the op."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int, got {value!r}") from None


# ----- the public functions -----
def reshape(x: Tensor, *shape: int | Sequence[int]) -> Tensor:
    """The same elements in a new shape (one entry may be -1: inferred).

    Args:
        shape: the new shape, as ints or one tuple; its size must equal x's.
    Mirrors ``torch.Tensor.reshape``: it shares x's memory where NumPy can, else copies (``view`` never copies)."""
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape)


def _inferred_shape(shape: tuple, size: int, op: str) -> tuple:
    """``shape`` (ints, at most one -1) with its -1 worked out for ``size`` elements; checked, the errors naming
    ``op``."""
    shape = tuple(_int_arg(n, "each size", op) for n in shape)
    known = math.prod(n for n in shape if n != -1)
    if shape.count(-1) > 1 or any(n < -1 for n in shape) or (
            known != size if -1 not in shape else (known == 0 or size % known)):
        raise ArgumentError(f"{op}: shape {shape} is invalid for input of size {size}")
    return tuple(size // known if n == -1 else n for n in shape)


def _needs_copy(a, shape: tuple) -> bool:
    """Whether the array ``a`` can take ``shape`` only as a copy: its strides allow no view of that shape (a
    transposed or sliced array whose merged axes are not laid out one after another). NumPy decides
    (``reshape(copy=False)`` refuses to copy), on a stand-in with a's shape and strides (nothing is read), so a
    CuPy array is judged the same way."""
    probe = a if type(a) is np.ndarray else np.lib.stride_tricks.as_strided(np.zeros((), a.dtype), a.shape, a.strides)
    try:
        np.reshape(probe, shape, copy=False)
    except ValueError:
        return True
    return False


def view(x: Tensor, *shape: int | Sequence[int]) -> Tensor:
    """x's elements in a new shape, sharing its memory: never a copy (one entry may be -1: inferred).

    Args:
        shape: the new shape, as ints or one tuple; its size must equal x's.
    Mirrors ``torch.Tensor.view(*shape)``: where x's memory is not laid out so that the new shape can be a view
    (e.g. ``x.t().view(-1)``), a RuntimeError says so, as PyTorch's does; ``reshape`` (or ``contiguous()`` first)
    copies there. ``view(dtype)`` (reinterpreting the bits) is refused."""
    shape = _shape_arg(shape)
    if len(shape) == 1 and isinstance(shape[0], (type, np.dtype, str)):
        raise TypeError(f"view: view(dtype) (reinterpreting the bits as another dtype) is not supported, got "
                        f"{shape[0]!r}; .to(dtype) converts the values, view(*shape) reshapes")
    shape = _inferred_shape(shape, x._data.size, "view")
    if shape == x.shape:
        return x
    if _needs_copy(x._data, shape):
        raise RuntimeError(f"view: view size is not compatible with input tensor's size and stride (at least one "
                           f"dimension spans across two contiguous subspaces): shape {x.shape} with strides "
                           f"{tuple(s // x._data.itemsize for s in x._data.strides)} cannot be viewed as {shape}. "
                           "Use .reshape(...) instead (or .contiguous() first)")
    return Reshape.apply(x, shape)


def view_as(x: Tensor, other: Tensor) -> Tensor:
    """x viewed in ``other``'s shape, sharing its memory (``view``'s rule: a RuntimeError where that needs a copy).
    Mirrors ``torch.Tensor.view_as``."""
    return view(x, other.shape)


def transpose(x: Tensor, *axes: int | Sequence[int]) -> Tensor:
    """x with two axes swapped (PyTorch's ``transpose(dim0, dim1)``), or all its axes permuted.

    Args:
        axes: two ints ``dim0, dim1``: those two axes exchange places, as in PyTorch (``x.transpose(0, 1)`` of a
            2-D tensor is its transpose, of a batch ``(B, T, C)`` it is ``(T, B, C)``); one tuple, or three or more
            ints: a permutation of range(x.ndim), as ``permute``; nothing: the axes reversed (NumPy's ``.T``).
    Mirrors ``torch.transpose``; ``numpy.transpose`` for a tuple or no axes."""
    if len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
        return _swap(x, axes[0], axes[1], "transpose")
    return permute(x, *axes)


def permute(x: Tensor, *dims: int | Sequence[int]) -> Tensor:
    """x with its axes permuted: output axis i is input axis ``dims[i]``; no dims reverses them.

    Args:
        dims: a permutation of range(x.ndim), as ints or one tuple (negative axes count from the end).
    Mirrors ``torch.permute`` and ``numpy.transpose``."""
    dims = _shape_arg(dims)
    if not dims:
        return Transpose.apply(x, None)
    nd = x.ndim
    if (len(dims) != nd or not all(-nd <= int(a) < nd for a in dims)
            or sorted(int(a) % nd for a in dims) != list(range(nd))):
        raise ArgumentError(f"permute: dims {dims} are not a permutation of the {nd} axes of shape {x.shape} (name "
                            "every axis once; transpose(dim0, dim1) swaps two)")
    return Transpose.apply(x, tuple(int(a) % nd for a in dims))


def t(x: Tensor) -> Tensor:
    """A 2-D x transposed; a 0-d or 1-D x is returned as it is.

    Mirrors ``torch.Tensor.t`` / ``torch.t``: more than 2 dimensions is an error there and here (``transpose(dim0,
    dim1)``, ``permute`` or ``mT`` say which axes)."""
    if x.ndim > 2:
        raise ArgumentError(f"t: expects a tensor with <= 2 dimensions, but x is {x.ndim}-D (shape {x.shape}); use "
                            "transpose(dim0, dim1), permute or mT")
    return x if x.ndim < 2 else Transpose.apply(x, (1, 0))


def _dim_list(dims, ndim: int, what: str, op: str) -> list:
    """``dims`` (an int or a sequence of ints) as a list of non-negative axes of an ``ndim``-d tensor, each named
    once."""
    items = [dims] if isinstance(dims, (int, np.integer)) else list(dims)
    out = []
    for d in items:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"{op}: {what} must be ints, got {dims!r}")
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise AxisError(f"{op}: dim {d} in {what} is out of range for a tensor with {ndim} dimensions")
        out.append(int(d) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ArgumentError(f"{op}: repeated dim in `{what}` ({items})")
    return out


def movedim(x: Tensor, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """x with the axes ``source`` moved to the positions ``destination``; the other axes keep their order.

    Args:
        source: an int or a sequence of ints (each axis once; negative counts from the end).
        destination: as many positions, in the same order.
    Mirrors ``torch.movedim`` / ``torch.moveaxis`` (and ``numpy.moveaxis``). A permutation of the axes, so the
    gradient is permuted back."""
    src = _dim_list(source, x.ndim, "source", "movedim")
    dst = _dim_list(destination, x.ndim, "destination", "movedim")
    if len(src) != len(dst):
        raise ArgumentError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the same "
                            f"number of dims as destination ({dst} dims)")
    if x.ndim == 0:
        return x
    order = [None] * x.ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(x.ndim) if i not in src)
    order = tuple(next(rest) if o is None else o for o in order)
    return x if order == tuple(range(x.ndim)) else Transpose.apply(x, order)


def unbind(x: Tensor, axis: int = 0) -> tuple:
    """The slices of x along ``axis``, as a tuple of tensors with that axis removed (one per index).

    Args:
        axis: the axis to take apart (``dim=``).
    Mirrors ``torch.unbind(x, dim=0)``. Each slice is a view of x; the gradient stacks the slices' gradients
    back (``Unbind``)."""
    if x.ndim == 0:
        raise ArgumentError("unbind: a 0-d tensor has no dimension to take apart (Dimension specified as 0 but tensor "
                            "has no dimensions)")
    axis = one_axis(x, axis, "unbind")
    if x.shape[axis] == 0:
        return ()
    out = Unbind.apply(x, axis)
    return out if isinstance(out, tuple) else (out,)


def narrow(x: Tensor, axis: int, start: int | Tensor, length: int) -> Tensor:
    """x cut to ``length`` elements from ``start`` along ``axis``: x[.., start:start + length, ..].

    Args:
        axis: the axis to cut (``dim=``; negative counts from the end).
        start: the first index, in [-n, n] (negative counts from the end; a one-element integer tensor too).
        length: how many elements, >= 0, with start + length <= n.
    Mirrors ``torch.narrow(x, dim, start, length)``. A slice, so the gradient lands in its part of x."""
    if x.ndim == 0:
        raise ArgumentError("narrow: narrow() cannot be applied to a 0-dim tensor")
    axis = one_axis(x, axis, "narrow")
    start, length = _int_arg(start, "start", "narrow"), _int_arg(length, "length", "narrow")
    n = x.shape[axis]
    if not -n <= start <= n:
        raise ArgumentError(f"narrow: start out of range (expected to be in range of [{-n}, {n}], but got {start}) for "
                            f"axis {axis} of shape {x.shape}")
    start = start + n if start < 0 else start
    if length < 0:
        raise ArgumentError(f"narrow: length must be non-negative, got {length}")
    if start + length > n:
        raise ArgumentError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n}) of axis {axis} "
                            f"of shape {x.shape}")
    return x[(slice(None),) * axis + (slice(start, start + length),)]


def select(x: Tensor, axis: int, index: int | Tensor) -> Tensor:
    """The slice of x at ``index`` along ``axis``, that axis removed: x[.., index, ..].

    Args:
        axis: the axis (``dim=``; negative counts from the end).
        index: in [-n, n) (negative counts from the end; a one-element integer tensor too).
    Mirrors ``torch.select(x, dim, index)``. An int index, so the gradient lands in that slice of x."""
    if x.ndim == 0:
        raise IndexError("select: select() cannot be applied to a 0-dim tensor")
    axis = one_axis(x, axis, "select")
    index = _int_arg(index, "index", "select")
    n = x.shape[axis]
    if not -n <= index < n:
        raise IndexError(f"select: index {index} out of range for tensor of size {x.shape} at dimension {axis}")
    return x[(slice(None),) * axis + (index,)]


def _reversed_axes(x: Tensor) -> Tensor:
    """x with its axes reversed (a matrix transposed). Mirrors ``torch.Tensor.T`` (NumPy's ``.T``)."""
    return Transpose.apply(x, None)


T = property(_reversed_axes, doc=_reversed_axes.__doc__)


def _matrix_transpose(x: Tensor) -> Tensor:
    """x with its last two axes swapped (a batch of matrices, each transposed). Mirrors ``torch.Tensor.mT``; a
    tensor with fewer than 2 axes is an error, as in PyTorch."""
    if x.ndim < 2:
        raise ArgumentError(f"mT: needs a tensor of at least 2 dimensions, got shape {x.shape}")
    return swapaxes(x, -2, -1)


mT = property(_matrix_transpose, doc=_matrix_transpose.__doc__)


def swapaxes(x: Tensor, axis0: int, axis1: int) -> Tensor:
    """x with two axes exchanged.

    Args:
        axis0, axis1: the two axes (negative counts from the end).
    Mirrors ``torch.swapaxes(x, axis0, axis1)`` / ``torch.Tensor.transpose(dim0, dim1)``."""
    return _swap(x, axis0, axis1, "swapaxes")


def _swap(x: Tensor, a: int, b: int, op: str) -> Tensor:
    a, b = one_axis(x, a, op), one_axis(x, b, op)
    if x.ndim == 0:
        return x
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return Transpose.apply(x, tuple(axes))


def squeeze(x: Tensor, axis: int | Sequence[int] | None = None) -> Tensor:
    """x without axes of size 1: all of them, or those of the given axes that have size 1 (a given axis of another
    size is kept, as PyTorch does: ``zeros(2, 3).squeeze(0)`` is ``(2, 3)``).

    Args:
        axis: None (every axis of size 1), an int or a tuple of ints (each named once).
    Mirrors ``torch.squeeze``."""
    if axis is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        axes = normalize_axis(axis, x.ndim, "squeeze")
        shape = tuple(n for i, n in enumerate(x.shape) if i not in axes or n != 1)
    return reshape(x, shape)


def unsqueeze(x: Tensor, axis: int) -> Tensor:
    """x with a new axis of size 1 at position ``axis``.

    Args:
        axis: in [-x.ndim - 1, x.ndim]; a negative axis counts from the end of the new shape.
    Mirrors ``torch.unsqueeze``."""
    if not isinstance(axis, (int, np.integer)) or not -x.ndim - 1 <= axis <= x.ndim:
        raise AxisError(f"unsqueeze: axis {axis} is out of range for shape {x.shape}")
    axis = int(axis) % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """x with the axes start_dim..end_dim (both included) merged into one; a 0-d tensor becomes shape (1,).

    Args:
        start_dim, end_dim: the first and last axis to merge (negative counts from the end).
    Mirrors ``torch.flatten(start_dim, end_dim)``."""
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = one_axis(x, start_dim, "flatten"), one_axis(x, end_dim, "flatten")
    if start > end:
        raise ArgumentError(f"flatten: start axis {start} comes after end axis {end} (shape {x.shape})")
    return reshape(x, x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])


def expand(x: Tensor, *shape: int | Sequence[int]) -> Tensor:
    """x broadcast to a larger shape without copying: new leading axes, and axes of size 1 repeated.

    Args:
        shape: the target shape, as ints or one tuple; -1 keeps x's size on that axis.
    Mirrors ``torch.Tensor.expand``. The gradient sums over the repeated axes."""
    shape = _shape_arg(shape)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ArgumentError(f"expand: cannot expand shape {x.shape} to fewer dimensions {shape}")
    shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(shape))
    if shape == x.shape:
        return x
    for i, n in enumerate(x.shape):
        if n != 1 and n != shape[lead + i]:
            raise ArgumentError(f"Expand: cannot expand shape {x.shape} to {shape}: axis {i} has size {n}, and only "
                                "axes of size 1 can be repeated")
    return pick(Expand).apply(x, shape)


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    """x expanded to ``other``'s shape. Mirrors ``torch.Tensor.expand_as``."""
    return expand(x, *other.shape)


def sum_to(x: TensorLike, shape: int | Sequence[int]) -> Tensor:
    """x summed down to ``shape``: over its extra leading axes and over each axis where ``shape`` has size 1, so
    that the result broadcasts back to x's shape (it undoes broadcasting: a backward uses it to bring a broadcast
    operand's gradient back to the operand's shape).

    Args:
        x: a tensor (or array-like data).
        shape: an int or a sequence of ints that broadcasts to x's shape: at most x.ndim sizes, each equal to x's
            size on that axis (counted from the end) or 1.
    Mirrors DeZero's ``F.sum_to(x, shape)`` and ``torch.Tensor.sum_to_size``. The gradient is g broadcast back to
    x's shape."""
    return _sum_to(as_tensor(x), shape, "sum_to")


def sum_to_size(x: Tensor, *sizes: int | Sequence[int], size: Sequence[int] | None = None) -> Tensor:
    """x summed down to ``size``, a shape that broadcasts to x's (``sum_to`` under PyTorch's name).

    Args:
        sizes: the target shape, as ints or one tuple; or ``size=``, as PyTorch's keyword.
    Mirrors ``torch.Tensor.sum_to_size(*size)``; returns x itself when ``size`` is x's shape, as PyTorch does."""
    if (size is not None) == bool(sizes):
        raise TypeError(f"sum_to_size: give the target shape once, as ints, one tuple or size= (got {sizes} and "
                        f"size={size})")
    return _sum_to(x, sizes if size is None else (size,), "sum_to_size")


def _sum_to(x: Tensor, shape, op: str) -> Tensor:
    shape = _shape_arg(tuple(shape)) if isinstance(shape, (tuple, list)) else (shape,)
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_)) for n in shape):
        raise TypeError(f"{op}: shape must be ints, got {shape}")
    shape = tuple(int(n) for n in shape)
    lead = x.ndim - len(shape)
    if lead < 0 or any(n != 1 and n != x.shape[lead + i] for i, n in enumerate(shape)):
        raise ArgumentError(f"{op}: shape {shape} is not expandable to x's shape {x.shape} (it needs at most {x.ndim} "
                            "sizes, each x's size on that axis, counted from the end, or 1)")
    if shape == x.shape:
        return x
    return SumTo.apply(x, shape)


def reshape_as(x: Tensor, other: Tensor) -> Tensor:
    """x reshaped to ``other``'s shape (a copy where a view cannot be). Mirrors ``torch.Tensor.reshape_as``."""
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
        raise ArgumentError("cat: expected a non-empty list of tensors")
    return Cat.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """The tensors joined along a new axis (each unsqueezed there, then concatenated).

    Args:
        tensors: a non-empty sequence of tensors of one shape.
        axis: where the new axis goes, in [-ndim - 1, ndim].
    Mirrors ``torch.stack``."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ArgumentError("stack: expected a non-empty list of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ArgumentError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
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
            raise ArgumentError(f"split: split size must be positive, got {size}")
        sizes = [min(size, n - i) for i in range(0, n, size)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or min(sizes, default=0) < 0:
            raise ArgumentError(f"split: sizes {sizes} do not add up to axis {axis} of size {n} (shape {x.shape})")
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
        raise ArgumentError(f"chunk: chunks must be a positive int, got {chunks}")
    axis = one_axis(x, axis, "chunk")
    n = x.shape[axis] if x.ndim else 1
    return split(x, max(-(-n // int(chunks)), 1), axis)


def flip(x: Tensor, axis: int | Sequence[int] | None = None, dims: int | Sequence[int] | None = None) -> Tensor:
    """x with the order of elements reversed along ``axis``.

    Args:
        axis: an int or a tuple of ints; None reverses every axis (as NumPy).
        dims: PyTorch's keyword for the same axes (give one of axis, dims).
    Mirrors ``torch.flip``: a new tensor, as PyTorch's (a reversed slice, copied to C order, so writing into it
    leaves x alone and ``view`` works on it); indexing's backward flips the gradient back."""
    if dims is not None:
        if axis is not None:
            raise TypeError(f"flip: got both axis={axis} and its alias dims={dims}; give one")
        axis = dims
    axes = normalize_axis(axis, x.ndim, "flip")  # an axis named twice is refused there, as in PyTorch
    flipped = x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))]
    return flipped.contiguous() if axes else flipped


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
                raise ArgumentError(f"roll: without an axis, shifts must be one int, got {shifts} (give one axis "
                                    "per shift)")
            shifts = tuple(shifts)[0]
        return reshape(roll(reshape(x, -1), int(shifts), 0), x.shape)
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(shifts) != len(axes):
        raise ArgumentError(f"roll: {len(shifts)} shifts for {len(axes)} axes")
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
        raise ArgumentError(f"repeat: {len(sizes)} repeat sizes for a tensor of shape {x.shape}; give at least "
                            f"{x.ndim}")
    if min(sizes, default=0) < 0:
        raise ArgumentError(f"repeat: sizes must be non-negative, got {sizes}")
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
        raise ArgumentError("unflatten: a 0-d tensor has no axis to split")
    if isinstance(sizes, (int, np.integer)) or not len(sizes):
        raise ArgumentError(f"unflatten: sizes must be a non-empty tuple of ints, got {sizes!r}")
    sizes = tuple(int(n) for n in sizes)
    n, known = x.shape[axis], math.prod(m for m in sizes if m != -1)
    if sizes.count(-1) > 1 or any(m < -1 for m in sizes) or (
            n != known if -1 not in sizes else (known == 0 or n % known)):
        raise ArgumentError(f"unflatten: sizes {sizes} do not split axis {axis} of size {n} (shape {x.shape})")
    sizes = tuple(n // known if m == -1 else m for m in sizes)
    return reshape(x, x.shape[:axis] + sizes + x.shape[axis + 1:])


def unfold(x: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """The windows of ``size`` consecutive elements along ``dimension``, ``step`` apart: that axis becomes the
    window count (n - size) // step + 1 and a new last axis of length ``size`` holds each window,
    z[.., w, .., k] = x[.., w * step + k, ..].

    Args:
        dimension: the axis to slide along (negative counts from the end; a 0-d x takes 0 or -1 and has one
            element there).
        size: the window length, 0 <= size <= n (n = x.shape[dimension]).
        step: the distance between window starts, > 0.
    Mirrors ``torch.Tensor.unfold(dimension, size, step)`` (PyTorch's is a view, this a copy with the same values
    and gradient). It picks with the integer index w * step + k (window w, offset k) and moves the offset axis last,
    so the gradient is each window's g added back where its elements came from (overlapping windows add up)."""
    d = one_axis(x, dimension, "unfold")
    for name, value, least in (("size", size, 0), ("step", step, 1)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < least:
            raise ArgumentError(f"unfold: {name} must be an int >= {least}, got {value!r}")
    n = x.shape[d] if x.ndim else 1
    if size > n:
        raise ArgumentError(f"unfold: maximum size for tensor at dimension {d} is {n} but size is {size} (shape "
                            f"{x.shape})")
    if x.ndim == 0:  # PyTorch: a scalar's one window, of its one element (or of none)
        return reshape(x, 1)[:size]
    starts = np.arange((n - size) // int(step) + 1, dtype=np.int64) * int(step)
    windows = x[(slice(None),) * d + (starts[:, None] + np.arange(int(size), dtype=np.int64),)]
    order = tuple(i for i in range(windows.ndim) if i != d + 1) + (d + 1,)
    return windows if d + 1 == windows.ndim - 1 else Transpose.apply(windows, order)


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
        raise ArgumentError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ArgumentError("meshgrid: expected at least one tensor")
    bad = [t.shape for t in tensors if t.ndim > 1]
    if bad:
        raise ArgumentError(f"meshgrid: expects 0-d or 1-D tensors, got shapes {[t.shape for t in tensors]}")
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
            raise ArgumentError(f"repeat_interleave: repeats alone must be a 1-D integer tensor, got {x.dtype} of "
                                f"shape {x.shape}")
        counts = x._data
        if (counts < 0).any():
            raise ArgumentError("repeat_interleave: repeats must be non-negative")
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
        raise ArgumentError(f"repeat_interleave: repeats must be an int or {n} ints (axis {axis} of shape {x.shape}), "
                            f"got {repeats!r}")
    if (r < 0).any():
        raise ArgumentError(f"repeat_interleave: repeats must be non-negative, got {repeats!r}")
    index = np.repeat(np.arange(n), np.asarray(r).reshape(-1) if r.ndim else int(r))
    if output_size is not None and output_size != len(index):
        raise ArgumentError(f"repeat_interleave: output_size={output_size}, but the repeats give {len(index)}")
    return x[(slice(None),) * axis + (index,)]


def numel(x: Tensor) -> int:
    """The number of elements. Mirrors ``torch.numel`` (NumPy's ``a.size``; ``x.size()`` is PyTorch's shape)."""
    return x._data.size


def dim(x: Tensor) -> int:
    """The number of axes. Mirrors ``torch.Tensor.dim`` (``x.ndim``)."""
    return x._data.ndim


BINDINGS = [
    bind(reshape, method="reshape", tg="reshape"),
    bind(view, method=True),
    bind(view_as, method=True),
    bind(t, method=True, tg=True),
    bind(movedim, method="movedim moveaxis", tg="movedim moveaxis"),
    bind(unbind, method=True, tg=True),
    bind(narrow, method=True, tg=True),
    bind(select, method=True, tg=True),
    bind(transpose, method=True, tg=True),
    bind(permute, method=True, tg=True),
    bind(T, method="T"),
    bind(swapaxes, method="swapaxes swapdims", tg="swapaxes swapdims"),
    bind(squeeze, method=True, tg=True),
    bind(unsqueeze, method=True, tg=True),
    bind(flatten, method=True, tg=True),
    bind(expand, method=True),
    bind(expand_as, method=True),
    bind(sum_to, tg=True, F=True),
    bind(sum_to_size, method=True),
    bind(unfold, method=True),
    bind(reshape_as, method="reshape_as"),
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


def _summed_shape(shape):
    """A shape that broadcasts to ``shape``: its first axis dropped, every other remaining one made 1."""
    return tuple(1 if i % 2 == 0 else n for i, n in enumerate(shape))[1:]


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
    OpCase("t", lambda a: a.t(), ((3, 4),), torch=lambda torch, a: a.t()),
    OpCase("movedim", lambda a: a.movedim(0, -1), ((2, 3, 4),), min_ndim=1, torch=lambda torch, a: a.movedim(0, -1)),
    OpCase("moveaxis_tuples", lambda a: a.moveaxis((0, 1), (-1, 0)), ((2, 3, 4),), draw="fixed",
           torch=lambda torch, a: torch.moveaxis(a, (0, 1), (-1, 0))),
    OpCase("unbind", lambda a: _pieces(a.unbind(-1)), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: _torch_pieces(torch, a.unbind(-1))),
    OpCase("narrow", lambda a: a.narrow(-1, 1, a.shape[-1] - 1), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.narrow(-1, 1, a.shape[-1] - 1)),
    OpCase("narrow_negative_start", lambda a: narrow(a, 0, -2, 2), ((3, 4),), draw="fixed",
           torch=lambda torch, a: torch.narrow(a, 0, -2, 2)),
    OpCase("select", lambda a: a.select(0, -1), ((3, 4),), min_ndim=1, torch=lambda torch, a: a.select(0, -1)),
    OpCase("transpose", lambda a: a.transpose(), ((2, 3, 4),), torch=lambda torch, a: a.permute(_reversed(a.ndim))),
    OpCase("transpose_two", lambda a: a.transpose(0, -1), ((2, 3, 4),), min_ndim=1,
           torch=lambda torch, a: a.transpose(0, -1)),
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
    OpCase("unfold", lambda a: a.unfold(-1, min(2, a.shape[-1]), 1), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.unfold(-1, min(2, a.shape[-1]), 1)),
    OpCase("unfold_step", lambda a: a.unfold(0, 3, 2), ((7, 2, 3),), draw="fixed",
           torch=lambda torch, a: a.unfold(0, 3, 2)),
    OpCase("unfold_gaps", lambda a: a.unfold(1, 2, 3), ((2, 8),), draw="fixed",
           torch=lambda torch, a: a.unfold(1, 2, 3)),
    OpCase("unfold_scalar", lambda a: a.unfold(0, 1, 1), ((),), draw="fixed",
           torch=lambda torch, a: a.unfold(0, 1, 1)),
    OpCase("sum_to", lambda a: sum_to(a, _summed_shape(a.shape)), ((2, 3, 4),),
           torch=lambda torch, a: a.sum_to_size(_summed_shape(a.shape))),
    OpCase("sum_to_size", lambda a: a.sum_to_size(1, *a.shape[1:]), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.sum_to_size(1, *a.shape[1:])),
    OpCase("flip_axes", lambda a: a.flip((0, -1)), ((2, 3, 4),), min_ndim=2, torch=lambda torch, a: a.flip((0, -1))),
]
