"""Indexing: picking elements by position (``x[...]``, gather, masked_select, embedding) and the adjoint of picking,
adding values into positions (indexing's backward, scatter_add); scatter and scatter_reduce write or reduce values
into positions.

Every backward here rests on one fact: if z copies elements of a (z_k = a_{p(k)} for a map p of positions), then
da is zero except at the picked positions, where each copy's g adds up: da_j = sum of g_k over the k with p(k) = j.
Picking and adding-into are each other's adjoints, so the backward of one is the other.

The integer index arrays (and boolean masks) are constants: no gradient flows to them. They are saved through
``save_for_backward``, as PyTorch saves its index tensors, so changing an index tensor in place after the forward
makes the backward raise instead of sending gradients to the wrong places. Adding rows of an embedding's gradient
through one flat ``np.add.at`` is a speed trick: a fast path in ``fast/indexing.py``.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..errors import ArgumentError
from .. import backend
from ..autograd import Function, unbroadcast
from ..backend import to_device, xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import Tensor, TensorLike
from .case import OpCase, distinct, index_pattern, pattern, torch_pattern
from .checks import array_of, as_tensor, broadcast_shape, constant, one_axis, same_dtype
from .movement import Transpose


def _index_parts(idx) -> tuple:
    """An index as GetItem's inputs: a tuple in which lists are arrays and Tensors stay Tensors (so that the
    Function records their versions and the in-place check covers them)."""
    if type(idx) is not tuple:
        idx = (idx,)
    for i in idx:
        if type(i) is list:
            return tuple(np.asarray(j) if type(j) is list else j for j in idx)
    return idx


_BASIC = (slice, type(None), type(Ellipsis))


def _as_entries(idx) -> tuple:
    """PyTorch's reading of an index as a tuple of per-axis entries: a tuple is one; so is a list (shorter than 32)
    that holds a tensor, a sequence, a slice, None or Ellipsis (PyTorch 2.13 still reads ``x[[[0, 1], [1, 0]]]`` as
    ``x[[0, 1], [1, 0]]``, with its deprecation warning); anything else is one entry."""
    if type(idx) is tuple:
        return idx
    if isinstance(idx, list) and len(idx) < 32 and any(
            isinstance(i, (Tensor, np.ndarray, list, tuple) + _BASIC) for i in idx):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated (PyTorch reads it "
                      "as a tuple here and will read it as one index tensor); use x[tuple(seq)] instead of x[seq]",
                      UserWarning, stacklevel=4)
        return tuple(idx)
    return (idx,)


def _entry(i):
    """One entry as PyTorch reads it: ("int", n), ("bool", b), ("basic", slice/None/Ellipsis) or ("array", a)
    where ``a`` is the Tensor itself (so the in-place check covers it) or an array; a 0-d integer tensor or array
    is an int and a 0-d boolean one a bool, as in PyTorch; a uint8 tensor is a mask (PyTorch's deprecated form)."""
    if isinstance(i, _BASIC):
        return "basic", i
    if isinstance(i, (bool, np.bool_)):
        return "bool", bool(i)
    if isinstance(i, (int, np.integer)):
        return "int", int(i)
    if isinstance(i, (list, tuple)):  # a sequence inside the index is an index tensor (PyTorch: x[(0, 1), ...])
        a = np.asarray(i)
        return "array", (a.astype(np.int64) if a.size == 0 and a.dtype.kind == "f" else a)  # [] picks nothing
    a = i._data if isinstance(i, Tensor) else i
    if not isinstance(a, backend.ARRAY_TYPES) or a.dtype.kind not in "biu":
        raise IndexError(f"getitem: only integers, slices, None, Ellipsis, booleans and integer or boolean "
                         f"tensors, arrays or lists are valid indices, got {type(i).__name__}"
                         + (f" of dtype {a.dtype}" if hasattr(a, "dtype") else ""))
    if a.ndim == 0:
        return ("bool", bool(a)) if a.dtype.kind == "b" else ("int", int(a))
    if a.dtype == np.uint8:
        warnings.warn("indexing with a uint8 tensor is deprecated in PyTorch (it is read as a boolean mask); use "
                      "a bool tensor", UserWarning, stacklevel=4)
        return "array", a.astype(bool)
    return "array", i


def torch_index(idx, ndim: int) -> tuple:
    """``idx`` as one or two NumPy indices that pick what PyTorch's ``x[idx]`` picks, with its axes in PyTorch's
    order: ``(index, None)`` for one step, ``(basic, advanced)`` for two, ``x[basic][advanced]``.

    PyTorch and NumPy pick the same elements; they differ in where the axes of the index tensors go when those
    tensors are separated (by a slice, None or Ellipsis): then both put them first, but NumPy counts an int as an
    index tensor and PyTorch does not (an int just removes its axis, as ``select``). So ``x[1, :, idx]`` is
    (x.shape[1], len(idx)) in PyTorch and (len(idx), x.shape[1]) in NumPy. PyTorch's rule, step by step: ints,
    slices, None and Ellipsis first, as a view (a bool is None, a new axis of size 1, picked by the index [0] for
    True or [] for False: an index tensor); then the index tensors on that view, which has no ints left, so NumPy's
    rule there is PyTorch's. One NumPy step is enough (and is taken) where the index has no int, or no index tensor
    and no bool: NumPy then counts as index tensors what PyTorch counts."""
    entries = [_entry(i) for i in _as_entries(idx)]
    used = sum(_axes_used(kind, v) for kind, v in entries)
    if sum(1 for kind, v in entries if kind == "basic" and v is Ellipsis) > 1:
        raise IndexError("getitem: an index can only have a single ellipsis ('...')")
    if used > ndim:
        raise IndexError(f"getitem: too many indices ({used}) for a tensor of dimension {ndim}")
    full = ("basic", slice(None))
    entries = [e for kind, v in entries  # Ellipsis spelled out: NumPy counts even an empty one as a separator
               for e in ([full] * (ndim - used) if kind == "basic" and v is Ellipsis else [(kind, v)])]
    kinds = {kind for kind, _ in entries}
    if "int" not in kinds or not kinds & {"array", "bool"}:
        return tuple(v for _, v in entries), None
    basic, advanced = [], []
    for kind, v in entries:
        if kind == "int":
            basic.append(v)
        elif kind == "bool":
            basic.append(None)
            advanced.append(np.arange(int(v), dtype=np.int64))  # [0] or []
        elif kind == "array":
            basic += [slice(None)] * _axes_used(kind, v)
            advanced.append(v)  # a mask covers its k axes with one entry
        else:
            basic.append(v)
            advanced.append(slice(None))
    return tuple(basic), tuple(advanced)


def _axes_used(kind: str, v) -> int:
    """How many of x's axes an entry indexes: 1 for an int, a slice or an integer array, k for a k-d mask, 0 for
    None, Ellipsis and a bool."""
    if kind == "array":
        a = array_of(v)
        return a.ndim if a.dtype == bool else 1
    return 1 if kind == "int" or isinstance(v, slice) else 0


def write(a, idx, value) -> None:
    """``a[idx] = value`` on the array ``a`` (in place) with PyTorch's reading of ``idx`` (``torch_index``), so
    ``value`` broadcasts against the indexed shape in PyTorch's axis order: the write that ``x[idx] = value`` does.
    Index arrays go to a's device."""
    def placed(part):
        return tuple(to_device(array_of(i), "cuda") if type(a) is not np.ndarray and isinstance(
            i, (Tensor, np.ndarray)) else array_of(i) if isinstance(i, Tensor) else i for i in part)
    basic, advanced = torch_index(idx, a.ndim)
    if advanced is None:
        a[placed(basic)] = value
    else:
        a[placed(basic)][placed(advanced)] = value  # the basic step is a view of a: the write lands in a


def _repeats(idx) -> bool:
    """Whether ``idx`` holds an integer array, which may name one position more than once. (Ints, slices, None,
    Ellipsis and boolean masks name each position at most once.)"""
    for i in idx:
        if getattr(i, "dtype", None) is not None and i.dtype.kind in "iu" and i.ndim:
            return True
    return False


class GetItem(Function):
    """z = a[idx] for any NumPy index: ints, slices, None, Ellipsis, integer arrays, boolean masks.

    backward: each element of z is a copy of one element of a, so a's gradient is zero except at the picked
    positions, which get the g of every copy: da = zeros(a.shape) with g added at idx (``IndexAdd``; an integer
    array that picks one element twice adds both g's there).
    Saved: the index (its arrays, as PyTorch saves the index tensors); a and z are not needed.
    An index with an array in it copies (NumPy's advanced indexing), and the copy is made C-contiguous, as
    PyTorch's is (NumPy may lay it out otherwise, e.g. ``a[:, idx]`` column-major), so ``view`` works on it as
    there; ints, slices and None give a view of a, laid out as PyTorch's view would be."""
    @staticmethod
    def forward(ctx, a, *idx):
        if type(a) is not np.ndarray:  # NumPy index arrays are constants: they go to the data's device
            idx = tuple(to_device(i, "cuda") if type(i) is np.ndarray else i for i in idx)
        ctx.save_for_backward(*idx)
        out = a[idx]
        if not out.flags.c_contiguous and any(isinstance(i, backend.ARRAY_TYPES) for i in idx):
            out = xp_of(out).ascontiguousarray(out)
        return out

    @staticmethod
    def backward(ctx, g):
        idx = ctx.saved_tensors
        return (pick(IndexAdd).apply(g, ctx.inputs[0].shape, *idx),) + (None,) * len(idx)


class IndexAdd(Function):
    """z = zeros(shape) with g added at idx, ``z[idx] += g`` one element at a time: the adjoint of indexing
    (GetItem's backward).

    forward: an integer array may name a position twice, and every g aimed there must add up: ``np.add.at`` does
    that (``z[idx] += g`` would keep only the last); other indices name each position once, so assigning is enough.
    backward: z is linear in g, with g's element k added at position idx_k, so dg = dz[idx] (indexing again)."""
    @staticmethod
    def forward(ctx, g, shape, *idx):
        ctx.save_for_backward(*idx)
        xp = xp_of(g)
        out = xp.zeros(shape, dtype=g.dtype)
        if _repeats(idx):
            xp.add.at(out, idx, g)
        else:
            out[idx] = g
        return out

    @staticmethod
    def backward(ctx, dz):
        idx = ctx.saved_tensors
        return (GetItem.apply(dz, *idx), None) + (None,) * len(idx)


# ----- along one axis: gather and the scatters -----
def coords(idx, axis: int) -> tuple:
    """The full index that puts ``idx`` along ``axis`` and broadcast aranges on every other axis:
    out[coords(idx, axis)] is out[i0, .., idx[i0, .., ik], .., ik] at each position (i0, .., ik) of idx."""
    xp = xp_of(idx)
    grid = [xp.arange(n).reshape((1,) * i + (n,) + (1,) * (idx.ndim - i - 1)) for i, n in enumerate(idx.shape)]
    grid[axis] = idx
    return tuple(grid)


def _at(ufunc, out, where, values):
    """out[where] op= values with repeated positions applied one after another (NumPy's ``ufunc.at``); on CuPy,
    cupyx's scatter_add / scatter_max / scatter_min, and a round trip through the host for products."""
    if type(out) is np.ndarray:
        ufunc.at(out, where, values)
        return out
    import cupyx
    values = xp_of(out).broadcast_to(values, np.broadcast_shapes(*[w.shape for w in where]))
    name = {"add": "scatter_add", "maximum": "scatter_max", "minimum": "scatter_min"}.get(ufunc.__name__)
    if name is not None:
        getattr(cupyx, name)(out, where, values)
        return out
    host = out.get()
    ufunc.at(host, tuple(w.get() for w in where), values.get())
    out[...] = xp_of(out).asarray(host)
    return out


def _add_at(out, where, values):
    """out[where] += values, repeated positions adding up."""
    return _at(np.add, out, where, values)


class Gather(Function):
    """z[.., i, ..] = a[.., idx[.., i, ..], ..] along ``axis`` (idx may be smaller than a on the other axes).

    backward: each z element is a copy of one a element, so its g goes back there, and an element picked twice
    gets both: da = zeros(a.shape) with g added at idx along ``axis`` (``ScatterAdd``).
    Saved: idx, and a (for its shape; PyTorch's gather saves it, so an in-place change to a raises as there)."""
    @staticmethod
    def forward(ctx, a, axis, idx):
        ctx.axis = axis
        ctx.save_for_backward(a, idx)
        return a[coords(idx, axis)]

    @staticmethod
    def backward(ctx, g):
        a, idx = ctx.saved_tensors
        return ScatterAdd.apply(g, ctx.axis, idx, a.shape), None, None


class ScatterAdd(Function):
    """z = zeros(shape) with src[.., i, ..] added at [.., idx[.., i, ..], ..] along ``axis``: the adjoint of gather.

    forward: ``np.add.at``, so sources aimed at one position add up.
    backward: z is linear in src, each src element landing at one position: dsrc = gather(g, axis, idx)."""
    @staticmethod
    def forward(ctx, src, axis, idx, shape):
        ctx.axis = axis
        ctx.save_for_backward(idx)
        return _add_at(xp_of(src).zeros(shape, src.dtype), coords(idx, axis), src)

    @staticmethod
    def backward(ctx, g):
        idx, = ctx.saved_tensors
        return Gather.apply(g, ctx.axis, idx), None, None, None


class Scatter(Function):
    """z = a with src written at idx along ``axis``: z[.., idx[.., i, ..], ..] = src[.., i, ..] (src has idx's
    shape, or is a number).

    backward: a written position no longer depends on a, every other one copies it: da = g * [position not
    written]; each written element copies one src element: dsrc = gather(g, axis, idx) (as PyTorch, also for a
    src element whose write another one with the same target overwrote)."""
    @staticmethod
    def forward(ctx, a, axis, idx, src):
        where = coords(idx, axis)
        out = a.copy()
        out[where] = src
        kept = xp_of(a).ones(a.shape, bool)
        kept[where] = False
        ctx.axis, ctx.kept = axis, kept
        ctx.save_for_backward(idx)
        return out

    @staticmethod
    def backward(ctx, g):
        idx, = ctx.saved_tensors
        need_a, _, _, need_src = ctx.needs_input_grad
        da = g * Tensor(ctx.kept.astype(g.dtype)) if need_a else None
        dsrc = Gather.apply(g, ctx.axis, idx) if need_src else None
        return da, None, None, dsrc


class ScatterMean(Function):
    """scatter_reduce "sum" and "mean": z = (keep * a + the src elements aimed at each position, added up) / n
    along ``axis``, where keep = 1 (include_self) or 1 only at positions idx never names, and n = 1 for "sum",
    for "mean" the number of values added at each position (count + keep; at least 1).

    backward: z is linear in a and src: da = g * keep / n and dsrc = gather(g / n, axis, idx).
    Saved: idx, and a, src and z as PyTorch's scatter_reduce saves them, so an in-place change to any of them
    after the forward raises as there (the backward reads only idx)."""
    @staticmethod
    def forward(ctx, a, axis, idx, src, reduce, include_self):
        xp = xp_of(a)
        where = coords(idx, axis)
        count = _add_at(xp.zeros(a.shape, a.dtype), where, xp.ones(idx.shape, a.dtype))
        keep = xp.ones(a.shape, a.dtype) if include_self else (count == 0).astype(a.dtype)
        total = _add_at(a * keep, where, src)
        n = count + keep if reduce == "mean" else xp.ones(a.shape, a.dtype)
        out = total / n
        ctx.axis, ctx.keep, ctx.n = axis, keep, n
        ctx.save_for_backward(a, idx, src, out)
        return out

    @staticmethod
    def backward(ctx, g):
        idx = ctx.saved_tensors[1]  # reading saved_tensors checks that a, src and z are unchanged
        need_a, _, _, need_src = ctx.needs_input_grad[:4]
        per = g / Tensor(ctx.n)
        da = per * Tensor(ctx.keep) if need_a else None
        dsrc = Gather.apply(per, ctx.axis, idx) if need_src else None
        return da, None, None, dsrc, None, None


class ScatterExtreme(Function):
    """scatter_reduce "amax" / "amin": z = the max (min) of a (where include_self, or where idx never writes) and
    of every src element aimed at each position along ``axis``.

    forward: ``np.maximum.at`` / ``np.minimum.at``, starting from a (or from -inf / +inf where idx writes and
    include_self is False).
    backward: z at a position equals its largest contributor, so dz/dx = 1 for that one and 0 for the rest; ties
    share the gradient equally (as PyTorch): with N the number of contributors equal to z there,
    da = g * [a = z] / N and dsrc = gather(g / N, axis, idx) * [src = z at its target].
    Saved: a, idx, src and z (the ties are found from them)."""
    @staticmethod
    def forward(ctx, a, axis, idx, src, reduce, include_self):
        xp = xp_of(a)
        where = coords(idx, axis)
        written = xp.zeros(a.shape, bool)
        written[where] = True
        fill = -np.inf if reduce == "amax" else np.inf
        out = a.copy() if include_self else xp.where(written, xp.asarray(fill, a.dtype), a)
        _at(np.maximum if reduce == "amax" else np.minimum, out, where, src)
        ctx.axis, ctx.self_counts = axis, (None if include_self else ~written)
        ctx.save_for_backward(a, idx, src, out)
        return out

    @staticmethod
    def backward(ctx, g):
        saved = ctx.saved_tensors
        a, idx, src, out = (t._data for t in saved)
        need_a, _, _, need_src = ctx.needs_input_grad[:4]
        where = coords(idx, ctx.axis)
        self_in = a == out if ctx.self_counts is None else (a == out) & ctx.self_counts
        src_in = src == out[where]
        n = _add_at(self_in.astype(g.dtype), where, src_in.astype(g.dtype))  # the ties at each position
        da = g * Tensor(self_in / n) if need_a else None
        dsrc = Gather.apply(g / Tensor(n), ctx.axis, saved[1]) * Tensor(src_in.astype(g.dtype)) if need_src else None
        return da, None, None, dsrc, None, None


class ScatterProd(Function):
    """scatter_reduce "prod": z = a (or 1 where idx writes and include_self is False) times every src element
    aimed at each position along ``axis``.

    forward: ``np.multiply.at``.
    backward: each contributor x to a position gets g times the product of the other contributors there, which
    is z / x when no contributor is 0. With zeros, that product comes from the count of zeros and the product p
    of the non-zero contributors: for x = 0, p if x is the only zero there, else 0; for x != 0, 0 if there is a
    zero, else p / x.
    Saved: a, idx, src and z."""
    @staticmethod
    def forward(ctx, a, axis, idx, src, include_self):
        xp = xp_of(a)
        where = coords(idx, axis)
        written = xp.zeros(a.shape, bool)
        written[where] = True
        out = a.copy() if include_self else xp.where(written, xp.asarray(1, a.dtype), a)
        _at(np.multiply, out, where, src)
        ctx.axis, ctx.self_in = axis, (xp.ones(a.shape, bool) if include_self else ~written)
        ctx.save_for_backward(a, idx, src, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, idx, src, out = ctx.saved_tensors
        axis, self_in = ctx.axis, ctx.self_in
        xp = xp_of(a._data)
        self_w = Tensor(self_in.astype(g.dtype))
        if not (bool((a._data == 0).any()) or bool((src._data == 0).any())):
            da = g * out / a * self_w
            dsrc = Gather.apply(g * out, axis, idx) / src
            return da, None, None, dsrc, None
        where = coords(idx._data, axis)
        zeros = ((a._data == 0) & self_in).astype(np.int64)
        _add_at(zeros, where, (src._data == 0).astype(np.int64))
        rest = xp.where(self_in & (a._data != 0), a._data, 1).astype(g.dtype)
        _at(np.multiply, rest, where, xp.where(src._data != 0, src._data, 1))

        def others(x, n, p):  # the product of the other contributors at a position with n zeros and product p
            return xp.where(x == 0, xp.where(n == 1, p, 0), xp.where(n == 0, p / xp.where(x == 0, 1, x), 0))
        da = g * Tensor(others(a._data, zeros, rest).astype(g.dtype)) * self_w
        dsrc = Gather.apply(g, axis, idx) * Tensor(others(src._data, zeros[where], rest[where]).astype(g.dtype))
        return da, None, None, dsrc, None


class MaskedSelect(Function):
    """z = the elements of a where mask is True, in row-major order, as one axis (a and mask broadcast together
    first).

    backward: each z element copies one element of the broadcast a: the broadcast gradient is zeros with g
    written at mask's True positions (``IndexAdd``), summed over the axes where a was broadcast (unbroadcast).
    Saved: a and mask, as PyTorch's masked_select saves them."""
    @staticmethod
    def forward(ctx, a, mask):
        ctx.save_for_backward(a, mask)
        xp = xp_of(a)
        shape = np.broadcast_shapes(a.shape, mask.shape)
        return xp.broadcast_to(a, shape)[xp.broadcast_to(mask, shape)]

    @staticmethod
    def backward(ctx, g):
        a, mask = ctx.saved_tensors
        shape = np.broadcast_shapes(a.shape, mask.shape)
        spread = pick(IndexAdd).apply(g, shape, xp_of(mask._data).broadcast_to(mask._data, shape))
        return unbroadcast(spread, a.shape), None


# ----- the public functions -----
def getitem(x: Tensor, idx: object) -> Tensor:
    """x[idx] as PyTorch reads it: ints, slices, None, Ellipsis, bools, integer tensors, arrays or lists, boolean
    masks; the axes of separated index tensors go first as in PyTorch, where an int does not count as an index
    tensor (``torch_index``: ``x[1, :, idx]`` has shape (x.shape[1], len(idx)), not NumPy's (len(idx), x.shape[1])).

    Args:
        idx: the index; integer arrays may repeat an element (its gradient adds up).
    Mirrors ``torch.Tensor.__getitem__``. Where PyTorch's order needs it, two picks: the ints, slices and None (a
    view), then the index tensors; the gradient flows back through both."""
    kind = type(idx)
    if kind is slice or kind is int or (kind is tuple and all(type(i) is slice or type(i) is int for i in idx)):
        return GetItem.apply(x, *idx) if kind is tuple else GetItem.apply(x, idx)  # ints and slices: NumPy's reading
    basic, advanced = torch_index(idx, x.ndim)
    if advanced is None:
        return GetItem.apply(x, *basic)
    if any(not (isinstance(i, slice) and i == slice(None)) for i in basic):
        x = GetItem.apply(x, *basic)
    return GetItem.apply(x, *advanced)


def _index(x: Tensor, index, op: str) -> Tensor:
    """An integer index (a Tensor, array or list) as a Tensor on x's device with x's number of axes (checked);
    a Tensor on that device is passed on itself."""
    idx = constant(index, x)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must hold integers, got dtype {idx.dtype}")
    if idx.ndim != x.ndim:
        raise ArgumentError(f"{op}: index of shape {idx.shape} must have as many axes as the input {x.shape}")
    return index if isinstance(index, Tensor) and index._data is idx else Tensor(idx)


def _no_larger(x: Tensor, idx: Tensor, axis: int, op: str) -> None:
    for d, (m, n) in enumerate(zip(idx.shape, x.shape)):
        if d != axis and m > n:
            raise ArgumentError(f"{op}: index of shape {idx.shape} is larger than the input {x.shape} on axis {d}")


def gather(x: Tensor, axis: int, index: TensorLike) -> Tensor:
    """out[.., i, ..] = x[.., index[.., i, ..], ..] along ``axis``.

    Args:
        axis: the axis to pick along.
        index: integers in [-n, n) (n = x.shape[axis]; negative counts from the end), with x's number of axes and
            no larger than x on the other axes.
    Mirrors ``torch.gather``."""
    axis = one_axis(x, axis, "gather")
    idx = _index(x, index, "gather")
    _no_larger(x, idx, axis, "gather")
    n = x.shape[axis]
    if idx._data.size:
        lo, hi = int(idx._data.min()), int(idx._data.max())
        if lo < -n or hi >= n:
            raise IndexError(f"gather: index values span [{lo}, {hi}] but axis {axis} has size {n}")
        if lo < 0:
            idx = Tensor(idx._data % n)
    return Gather.apply(x, axis, idx)


def index_select(x: Tensor, axis: int, index: TensorLike) -> Tensor:
    """The slices of x at ``index`` along ``axis``, in index order: out[.., i, ..] = x[.., index[i], ..] (an index
    may repeat).

    Args:
        axis: the axis to pick along (``dim=``; negative counts from the end).
        index: a 1-D (or one-element 0-d) integer tensor (array or list) with values in [0, x.shape[axis]).
    Mirrors ``torch.index_select(x, dim, index)``. An integer index, so the gradient of each picked slice is added
    back into the slice it came from (a slice picked twice gets both)."""
    idx = constant(index, x)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"index_select: index must hold integers (PyTorch: int32 or int64), got dtype {idx.dtype}")
    if idx.ndim > 1:
        raise IndexError(f"index_select: index is supposed to be a vector, got shape {idx.shape}")
    axis = one_axis(x, axis, "index_select")
    n = x.shape[axis] if x.ndim else 1
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise IndexError(f"index_select: index values span [{int(idx.min())}, {int(idx.max())}] but axis {axis} "
                         f"has size {n} (shape {x.shape}); negative indices are refused, as in PyTorch")
    if x.ndim == 0:  # PyTorch: a scalar takes an index of one value, 0
        if idx.size != 1:
            raise IndexError(f"index_select: index to a 0-d tensor can have only 1 value, got {idx.size}")
        return GetItem.apply(x, None)[0]
    picked = index if isinstance(index, Tensor) and index._data is idx and idx.ndim == 1 else idx.reshape(-1)
    return GetItem.apply(x, *((slice(None),) * axis + (picked,)))


def take_along_dim(x: Tensor, indices: TensorLike, axis: int | None = None) -> Tensor:
    """out[.., i, ..] = x[.., indices[.., i, ..], ..] along ``axis``, x and indices broadcast against each other on
    the other axes; ``axis=None``: the flattened x at the flattened indices (a 1-D result).

    Args:
        indices: integers in [0, x.shape[axis]) (a tensor, array or list), with x's number of axes when ``axis``
            is given (sorting's ``argsort`` output, for one).
        axis: the axis to pick along (``dim=``), or None.
    Mirrors ``torch.take_along_dim(x, indices, dim=None)`` (NumPy's ``take_along_axis``). x broadcast (``expand``),
    then ``gather``: the gradient adds each picked element's g back where it came from."""
    idx = constant(indices, x)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"take_along_dim: indices must hold integers (PyTorch: int64), got dtype {idx.dtype}")
    if axis is None:
        return gather(x.reshape(-1), 0, idx.reshape(-1))
    axis = one_axis(x, axis, "take_along_dim")
    if idx.ndim != x.ndim:
        raise ArgumentError(f"take_along_dim: x and indices should have the same number of dimensions, but got shapes "
                            f"{x.shape} and {idx.shape}")
    if x.ndim == 0:
        return gather(x.reshape(1), 0, idx.reshape(1)).reshape(())
    rest = broadcast_shape(x.shape[:axis] + (1,) + x.shape[axis + 1:], idx.shape[:axis] + (1,) + idx.shape[axis + 1:])
    if rest is None:
        raise ArgumentError(f"take_along_dim: x of shape {x.shape} and indices of shape {idx.shape} do not broadcast "
                            f"on the axes other than {axis}")
    xp = xp_of(idx)
    x = x.expand(*(rest[:axis] + (x.shape[axis],) + rest[axis + 1:]))
    if idx.shape[:axis] + idx.shape[axis + 1:] != rest[:axis] + rest[axis + 1:]:
        idx = xp.broadcast_to(idx, rest[:axis] + (idx.shape[axis],) + rest[axis + 1:])
    return gather(x, axis, indices if isinstance(indices, Tensor) and indices._data is idx else idx)


def _scatter_args(x: Tensor, axis, index, src, op: str):
    """(axis, index Tensor, src) checked for the scatters: src a number, or a Tensor of x's dtype cut to the
    index's shape (only its elements at index positions are used)."""
    axis = one_axis(x, axis, op)
    idx = _index(x, index, op)
    _no_larger(x, idx, axis, op)
    if idx._data.size and (int(idx._data.min()) < 0 or int(idx._data.max()) >= x.shape[axis]):
        raise IndexError(f"{op}: index values span [{int(idx._data.min())}, {int(idx._data.max())}] but axis {axis} "
                         f"has size {x.shape[axis]}")
    if isinstance(src, (int, float, bool, np.generic)):
        return axis, idx, src
    given_tensor = isinstance(src, Tensor)
    src = as_tensor(src, like=x)
    if given_tensor:
        same_dtype(op, self=x, src=src)  # PyTorch: "Expected self.dtype to be equal to src.dtype"
    if src.ndim != idx.ndim or any(m > n for m, n in zip(idx.shape, src.shape)):
        raise ArgumentError(f"{op}: src of shape {src.shape} must cover the index of shape {idx.shape}")
    if src.shape != idx.shape:
        src = src[tuple(slice(0, m) for m in idx.shape)]
    if src.dtype != x.dtype:
        src = src.astype(x.dtype)  # plain data: x's dtype
    return axis, idx, src


def _src_tensor(src, x: Tensor, idx: Tensor) -> Tensor:
    """A scatter's src as a Tensor: a number filled out to the index's shape in x's dtype (a constant)."""
    return src if isinstance(src, Tensor) else Tensor(xp_of(x._data).full(idx.shape, src, dtype=x.dtype))


def scatter(x: Tensor, axis: int, index: TensorLike, src: TensorLike | None = None,
            value: TensorLike | None = None, *, reduce: str | None = None) -> Tensor:
    """A copy of x with src (or the number ``value``) written at index along ``axis``.

    Args:
        axis: the axis to write along.
        index: integers in [0, x.shape[axis]), with x's number of axes.
        src: a tensor covering index's shape, or a number; value: a number (give src or value).
        reduce: None (write), or PyTorch's older "add" / "multiply", which combine the written values with x's
            (``scatter_reduce`` with "sum" / "prod" and include_self=True).
    Mirrors ``torch.scatter``."""
    src = value if src is None else src
    if src is None:
        raise TypeError("scatter: give src (a tensor) or value (a number)")
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise ArgumentError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r} (scatter_reduce "
                                "takes 'sum', 'prod', 'mean', 'amax' and 'amin')")
        return scatter_reduce(x, axis, index, src, "sum" if reduce == "add" else "prod", include_self=True)
    axis, idx, src = _scatter_args(x, axis, index, src, "scatter")
    return Scatter.apply(x, axis, idx, src)


def scatter_add(x: Tensor, axis: int, index: TensorLike, src: TensorLike | None) -> Tensor:
    """x plus src added at index along ``axis`` (sources aimed at one position add up).

    Args:
        axis: the axis to add along.
        index: integers in [0, x.shape[axis]), with x's number of axes.
        src: a tensor covering index's shape.
    Mirrors ``torch.scatter_add``."""
    axis, idx, src = _scatter_args(x, axis, index, src, "scatter_add")
    return x + ScatterAdd.apply(_src_tensor(src, x, idx), axis, idx, x.shape)


REDUCES = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(x: Tensor, axis: int, index: TensorLike, src: TensorLike | None, reduce: str,
                   include_self: bool = True) -> Tensor:
    """x with src's elements reduced into it at index along ``axis``.

    Args:
        axis: the axis to reduce along.
        index: integers in [0, x.shape[axis]), with x's number of axes.
        src: a tensor covering index's shape (or a number).
        reduce: "sum", "prod", "mean", "amax" or "amin".
        include_self: whether x's own value at a written position takes part (False: only the src values).
    Mirrors ``torch.scatter_reduce``."""
    if reduce not in REDUCES:
        raise ArgumentError(f"scatter_reduce: reduce must be 'sum', 'prod', 'mean', 'amax' or 'amin', got {reduce!r}")
    axis, idx, src = _scatter_args(x, axis, index, src, "scatter_reduce")
    src = _src_tensor(src, x, idx)
    if reduce in ("amax", "amin"):
        return ScatterExtreme.apply(x, axis, idx, src, reduce, include_self)
    if reduce == "prod":
        return ScatterProd.apply(x, axis, idx, src, include_self)
    return ScatterMean.apply(x, axis, idx, src, reduce, include_self)


def masked_select(x: Tensor, mask: TensorLike) -> Tensor:
    """The elements of x where ``mask`` (broadcast against x) is True, as a 1-D tensor.

    Args:
        mask: a boolean Tensor, array or list that broadcasts with x.
    Mirrors ``torch.masked_select``."""
    m = constant(mask, x)
    if m.dtype != bool:
        raise TypeError(f"masked_select: mask must be boolean, got dtype {m.dtype}")
    if broadcast_shape(x.shape, m.shape) is None:
        raise ArgumentError(f"masked_select: mask of shape {m.shape} does not broadcast with {x.shape}")
    return MaskedSelect.apply(x, mask if isinstance(mask, Tensor) and mask._data is m else m)


def embedding(indices: TensorLike, weight: Tensor) -> Tensor:
    """The rows of ``weight`` (num, dim) picked by integer ``indices`` of any shape: indices.shape + (dim,).

    Args:
        indices: integers in [0, num) (a Tensor, array or list).
        weight: the table, one row per index value.
    Mirrors ``torch.nn.functional.embedding``. Its backward adds each picked row's g into that row of weight's
    gradient (an index used twice adds both)."""
    weight = as_tensor(weight)
    idx = constant(indices, weight)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}")
    if weight.ndim != 2:
        raise ArgumentError(f"embedding: weight must be (num_embeddings, dim), got {weight.shape}")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= weight.shape[0]):
        raise IndexError(f"embedding: indices range over [{int(idx.min())}, {int(idx.max())}] but weight of shape "
                         f"{weight.shape} has {weight.shape[0]} rows")
    return GetItem.apply(weight, indices if isinstance(indices, Tensor) and indices._data is idx else idx)


# ----- diagonals and triangles: picking by position, built on GetItem and IndexAdd -----
def _diagonal_positions(n1: int, n2: int, offset: int, xp) -> tuple:
    """The rows and columns of diagonal ``offset`` of an (n1, n2) matrix (above the main one for offset > 0)."""
    length = max(min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2), 0)
    rows = xp.arange(length) + max(-offset, 0)
    return rows, rows + offset


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The elements x[.., i, .., i + offset, ..] of the plane of axes ``dim1`` and ``dim2``, as a new last axis
    (the other axes kept in order before it).

    Args:
        offset: 0 the main diagonal, > 0 above it, < 0 below it.
        dim1, dim2: the two distinct axes of the plane (negative counts from the end).
    Mirrors ``torch.diagonal(x, offset, dim1, dim2)`` (PyTorch returns a view; this is a copy with the same values
    and gradient). An integer index, so the gradient lands on the diagonal and is zero elsewhere."""
    if x.ndim < 2:
        raise ArgumentError(f"diagonal: needs a tensor of at least 2 dimensions, got shape {x.shape}")
    if isinstance(offset, (bool, np.bool_)) or not isinstance(offset, (int, np.integer)):
        raise TypeError(f"diagonal: offset must be an int, got {offset!r}")
    d1, d2 = one_axis(x, dim1, "diagonal"), one_axis(x, dim2, "diagonal")
    if d1 == d2:
        raise ArgumentError(f"diagonal: dim1 and dim2 are both axis {d1} (shape {x.shape}); give two distinct axes")
    rest = tuple(i for i in range(x.ndim) if i not in (d1, d2))
    y = Transpose.apply(x, rest + (d1, d2)) if rest + (d1, d2) != tuple(range(x.ndim)) else x
    rows, cols = _diagonal_positions(x.shape[d1], x.shape[d2], int(offset), np)
    return y[(Ellipsis, rows, cols)]


def diag(x: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D x of length n as the matrix of size n + |diagonal| with x on that diagonal and zeros elsewhere; a 2-D x
    gives its diagonal ``diagonal`` (as ``x.diagonal(diagonal)``).

    Args:
        diagonal: 0 the main diagonal, > 0 above it, < 0 below it.
    Mirrors ``torch.diag(x, diagonal)``. The 1-D case writes x into positions of zeros (IndexAdd, indexing's
    adjoint), so its gradient is g's diagonal; the 2-D case picks, so its gradient is zero off the diagonal."""
    if isinstance(diagonal, (bool, np.bool_)) or not isinstance(diagonal, (int, np.integer)):
        raise TypeError(f"diag: diagonal must be an int, got {diagonal!r}")
    if x.ndim == 2:
        return globals()["diagonal"](x, int(diagonal))
    if x.ndim != 1:
        raise ArgumentError(f"diag: expects a 1-D or 2-D tensor, got shape {x.shape}")
    n, k = x.shape[0], int(diagonal)
    m = n + abs(k)
    rows = xp_of(x._data).arange(n) + max(-k, 0)
    return pick(IndexAdd).apply(x, (m, m), rows, rows + k)


def _triangle(x: Tensor, diagonal, lower: bool, op: str) -> Tensor:
    if x.ndim < 2:
        raise ArgumentError(f"{op}: needs a tensor of at least 2 dimensions, got shape {x.shape}")
    if isinstance(diagonal, (bool, np.bool_)) or not isinstance(diagonal, (int, np.integer)):
        raise TypeError(f"{op}: diagonal must be an int, got {diagonal!r}")
    n, m = x.shape[-2:]
    keep = np.tri(n, m, int(diagonal), dtype=bool)  # j <= i + diagonal
    if not lower:
        keep = ~np.tri(n, m, int(diagonal) - 1, dtype=bool)  # j >= i + diagonal
    return x.masked_fill(~keep, 0)


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """x with the elements above diagonal ``diagonal`` of its last two axes set to 0 (kept: column j <= row i +
    diagonal).

    Args:
        diagonal: 0 the main diagonal, > 0 keeps more above it, < 0 fewer.
    Mirrors ``torch.tril(x, diagonal)``. A masked fill with a constant mask, so the gradient is g there and 0
    where zeros were written (an inf above the diagonal gives 0, not NaN)."""
    return _triangle(x, diagonal, True, "tril")


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """x with the elements below diagonal ``diagonal`` of its last two axes set to 0 (kept: column j >= row i +
    diagonal).

    Args:
        diagonal: 0 the main diagonal, > 0 keeps fewer, < 0 more below it.
    Mirrors ``torch.triu(x, diagonal)``; its gradient is g where x is kept and 0 elsewhere."""
    return _triangle(x, diagonal, False, "triu")


def nonzero(x: Tensor, *, as_tuple: bool = False) -> Tensor | tuple:
    """The positions of x's nonzero (True) elements, in row-major order: an int64 tensor of shape (n, x.ndim), one
    row per element; ``as_tuple=True`` gives x.ndim 1-D tensors instead, one per axis (NumPy's ``nonzero``; a 0-d
    x counts as 1-D there). A constant (no gradient).

    Mirrors ``torch.nonzero(x, as_tuple=False)`` (and ``torch.argwhere`` for the default form)."""
    xp = xp_of(x._data)
    if as_tuple:
        return tuple(Tensor(i.astype(np.int64, copy=False)) for i in xp.nonzero(xp.atleast_1d(x._data)))
    return Tensor(xp.argwhere(x._data).astype(np.int64, copy=False))


BINDINGS = [
    bind(getitem, method="__getitem__"),
    bind(gather, method=True, tg=True),
    bind(scatter, method=True, tg=True),
    bind(scatter_add, method=True, tg=True),
    bind(scatter_reduce, method=True, tg=True),
    bind(index_select, method=True, tg=True),
    bind(take_along_dim, method=True, tg=True),
    bind(masked_select, method=True, tg=True),
    bind(embedding, F=True),
    bind(diagonal, method=True, tg=True),
    bind(diag, method=True, tg=True),
    bind(tril, method=True, tg=True),
    bind(triu, method=True, tg=True),
    bind(nonzero, method=True, tg=True),
]


def _torch_index(torch, shape, n):
    return torch.from_numpy(index_pattern(tuple(shape), n))


def _scatter_reduce_case(axis, reduce, include_self=True, sample=None):
    """A scatter_reduce row: b's elements reduced into a along ``axis`` (negative: from the end) at a fixed index
    with repeats."""
    def n(a):
        return min(2, a.shape[axis]) if reduce == "mean" else a.shape[axis]

    def ours(a, b):
        return a.scatter_reduce(axis, index_pattern(b.shape, n(a)), b, reduce, include_self=include_self)

    def theirs(torch, a, b):
        return a.scatter_reduce(axis, _torch_index(torch, b.shape, n(a)), b, reduce, include_self=include_self)
    name = f"scatter_reduce_{reduce}" + ("" if include_self else "_without_self")
    return OpCase(name, ours, ((3, 4), (3, 4)), draw="same", min_ndim=1, torch=theirs,
                  **({} if sample is None else {"sample": sample}))


def _select_pattern(n):
    """A fixed 1-D index into an axis of size n, with a repeat (so two picks' gradients add up)."""
    return index_pattern((n + 1,), n)


_EMBEDDED = np.array([[0, 2], [2, 4]])

CASES = [
    OpCase("getitem_basic", lambda a: a[..., ::2], ((3, 4),), min_ndim=1, torch=lambda torch, a: a[..., ::2]),
    OpCase("getitem_int_array", lambda a: a[[0, -1, 0]], ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a[[0, -1, 0]]),
    OpCase("getitem_tensor", lambda a: a[Tensor(np.array([0, 0, -1]))], ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a[torch.tensor([0, 0, -1])]),
    OpCase("getitem_bool", lambda a: a[pattern(a.shape)], ((3, 4),),
           torch=lambda torch, a: a[torch_pattern(torch, a.shape)]),
    OpCase("getitem_mixed", lambda a: a[None, 1:, np.array([2, 2, 0])], ((3, 4),), draw="fixed",
           torch=lambda torch, a: a[None, 1:, torch.tensor([2, 2, 0])]),
    OpCase("gather", lambda a: a.gather(-1, index_pattern(a.shape[:-1] + (2,), a.shape[-1])), ((3, 4),),
           min_ndim=1, torch=lambda torch, a: a.gather(-1, _torch_index(torch, a.shape[:-1] + (2,), a.shape[-1]))),
    OpCase("scatter", lambda a, b: a.scatter(0, index_pattern((1,) + a.shape[1:], a.shape[0]), b[:1]),
           ((3, 4), (3, 4)), draw="same", min_ndim=1,
           torch=lambda torch, a, b: a.scatter(0, _torch_index(torch, (1,) + tuple(a.shape[1:]), a.shape[0]), b[:1])),
    OpCase("scatter_value", lambda a: a.scatter(-1, index_pattern(a.shape[:-1] + (2,), a.shape[-1]), value=-1.0),
           ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.scatter(-1, _torch_index(torch, a.shape[:-1] + (2,), a.shape[-1]), -1.0)),
    OpCase("scatter_add", lambda a, b: a.scatter_add(-1, index_pattern(b.shape, a.shape[-1]), b),
           ((3, 4), (3, 4)), draw="same", min_ndim=1,
           torch=lambda torch, a, b: a.scatter_add(-1, _torch_index(torch, b.shape, a.shape[-1]), b)),
    _scatter_reduce_case(-1, "sum"),
    _scatter_reduce_case(-1, "mean", include_self=False),
    _scatter_reduce_case(0, "mean"),
    _scatter_reduce_case(0, "amax", sample=distinct),
    _scatter_reduce_case(-1, "amin", include_self=False, sample=distinct),
    _scatter_reduce_case(-1, "prod"),
    _scatter_reduce_case(0, "prod", include_self=False),
    OpCase("index_select", lambda a: a.index_select(-1, _select_pattern(a.shape[-1])), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.index_select(-1, torch.from_numpy(_select_pattern(a.shape[-1])))),
    OpCase("index_select_scalar", lambda a: index_select(a, 0, np.array(0)), ((),), draw="fixed",
           torch=lambda torch, a: torch.index_select(a, 0, torch.tensor(0)), exact_twin=False),
    OpCase("take_along_dim", lambda a: a.take_along_dim(Tensor(index_pattern(a.shape, a.shape[-1])), -1), ((3, 4),),
           min_ndim=1, exact_twin=False,
           torch=lambda torch, a: a.take_along_dim(_torch_index(torch, a.shape, a.shape[-1]), -1)),
    OpCase("take_along_dim_broadcast", lambda a: take_along_dim(a, Tensor(index_pattern((2, 1), 3)), 0),
           ((3, 4),), draw="fixed", exact_twin=False,
           torch=lambda torch, a: torch.take_along_dim(a, _torch_index(torch, (2, 1), 3), 0)),
    OpCase("take_along_dim_flat", lambda a: take_along_dim(a, Tensor(index_pattern((2, 3), a.numel()))), ((3, 4),),
           torch=lambda torch, a: torch.take_along_dim(a, _torch_index(torch, (2, 3), a.numel())), exact_twin=False),
    OpCase("masked_select", lambda a: a.masked_select(pattern(a.shape[-1:])), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.masked_select(torch_pattern(torch, a.shape[-1:]))),
    OpCase("F.embedding", lambda w: embedding(Tensor(_EMBEDDED), w), ((5, 3),), draw="fixed",
           torch=lambda torch, w: torch.nn.functional.embedding(torch.from_numpy(_EMBEDDED), w)),
    # PyTorch's diagonal is a view: the rows scale it (* 1.0), giving the in-place probe an output of its own
    OpCase("diagonal", lambda a: a.diagonal() * 1.0, ((3, 4),), min_ndim=2,
           torch=lambda torch, a: a.diagonal() * 1.0, exact_twin=False),
    OpCase("diagonal_offset", lambda a: a.diagonal(1, -1, 0) * 1.0, ((2, 3, 4),), draw="fixed",
           torch=lambda torch, a: a.diagonal(1, -1, 0) * 1.0, exact_twin=False),
    OpCase("diagonal_below", lambda a: diagonal(a, -1, 1, 2) * 1.0, ((2, 4, 3),), draw="fixed",
           torch=lambda torch, a: torch.diagonal(a, -1, 1, 2) * 1.0, exact_twin=False),
    OpCase("diag_vector", lambda a: diag(a, -1), ((3,),), draw="fixed", torch=lambda torch, a: torch.diag(a, -1),
           exact_twin=False),
    OpCase("diag_matrix", lambda a: diag(a, 1), ((3, 4),), draw="fixed", torch=lambda torch, a: torch.diag(a, 1),
           exact_twin=False),
    OpCase("tril", lambda a: a.tril(), ((3, 4),), min_ndim=2, torch=lambda torch, a: a.tril()),
    OpCase("triu", lambda a: triu(a, -1), ((2, 3, 4),), min_ndim=2, torch=lambda torch, a: torch.triu(a, -1)),
    OpCase("nonzero", lambda a: a[(a > 0).nonzero(as_tuple=True)], ((3, 4),), draw="fixed",
           torch=lambda torch, a: a[(a > 0).nonzero(as_tuple=True)], exact_twin=False),
]
