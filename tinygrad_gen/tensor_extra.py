"""Tensor methods for PyTorch parity: more math, scans, sorting, gather/scatter, flips, rolls, repeats and splits,
attached to ``Tensor`` on import (``import tinygrad_gen`` loads this module), and the same names as ``tg.`` functions.

Each is a thin call of a ``Function`` in ``ops/`` or a composition of differentiable ops; read those for the math.
Where an axis is taken it is NumPy-style ``axis=`` (``dim=`` is accepted too, as an alias)."""
import collections
import math

import numpy as np

from . import backend
from .backend import to_device, xp_of
from .tensor import Tensor, _dtype, _to_array
from .ops import activation as _act, index as _ix, pointwise as _pw, scan as _scan
from .ops.einsum import einsum
from .ops.sort import sort_indices

SortResult = collections.namedtuple("SortResult", "values indices")  # like torch.return_types.sort


def _axis(axis, dim, op, default=None):
    """``dim=`` is accepted as an alias of ``axis=`` (not both)."""
    if dim is not None:
        if axis is not None and axis != dim:
            raise TypeError(f"{op}: got both axis={axis} and dim={dim}")
        return dim
    return default if axis is None else axis


def _one_axis(x, axis, op):
    """One axis, checked and made non-negative (a 0-d tensor takes axis 0 or -1, as in PyTorch)."""
    nd = max(x.ndim, 1)
    if not isinstance(axis, (int, np.integer)) or not -nd <= axis < nd:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of shape {x.shape}")
    return int(axis) % nd


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(_to_array(x))


def _index(x, index, op):
    """An integer index (Tensor, array or list) as an array on x's device, with x's number of axes."""
    idx = index.data if isinstance(index, Tensor) else index
    if not isinstance(idx, backend.ARRAY_TYPES):
        idx = np.asarray(idx)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must hold integers, got dtype {idx.dtype}")
    if idx.ndim != x.ndim:
        raise ValueError(f"{op}: index of shape {idx.shape} must have as many axes as the input {x.shape}")
    return to_device(idx.astype(np.int64, copy=False), x.device)


def _scan_0d(fn):
    """Run a scan on a 0-d tensor as on a 1-element vector (PyTorch allows dim 0 / -1 there)."""
    def call(self, axis=None, dim=None):
        op = fn.__name__
        axis = _axis(axis, dim, op)
        if axis is None:
            return fn(self.reshape(-1), 0)
        axis = _one_axis(self, axis, op)
        if self.ndim == 0:
            out = fn(self.reshape(1), 0)
            return SortResult(*(o.reshape(()) for o in out)) if isinstance(out, tuple) else out.reshape(())
        return fn(self, axis)
    call.__name__ = call.__qualname__ = op = fn.__name__
    call.__doc__ = fn.__doc__
    return call


# ----- elementwise math -----
def sign(self):
    return _pw.Rounding.apply(self, "sign")


def round_half_even(self):
    """Round half to even (as PyTorch and NumPy); zero gradient."""
    return _pw.Rounding.apply(self, "round")


def floor(self):
    return _pw.Rounding.apply(self, "floor")


def ceil(self):
    return _pw.Rounding.apply(self, "ceil")


def trunc(self):
    return _pw.Rounding.apply(self, "trunc")


def sin(self):
    return _pw.Sin.apply(self)


def cos(self):
    return _pw.Cos.apply(self)


def log2(self):
    return _pw.Log2.apply(self)


def exp2(self):
    return _pw.Exp2.apply(self)


def rsqrt(self):
    return _pw.Rsqrt.apply(self)


def copysign(self, other):
    return _pw.Copysign.apply(self, self._lift(other))


def maximum(self, other):
    """Elementwise max of two tensors (broadcasting); at a tie each side gets half the gradient, as in PyTorch."""
    return _pw.Maximum.apply(self, self._lift(other))


def minimum(self, other):
    return _pw.Maximum.apply(self, self._lift(other), True)


def silu(self):
    return _act.Silu.apply(self)


def floor_divide(self, other):
    return _pw.FloorDivide.apply(self, self._lift(other))


def rfloordiv(self, other):
    return _pw.FloorDivide.apply(self._lift(other), self)


def remainder(self, other):
    """a - b floor(a / b): the sign of b, as Python's % and PyTorch's remainder."""
    return _pw.Remainder.apply(self, self._lift(other))


def rmod(self, other):
    return _pw.Remainder.apply(self._lift(other), self)


def matmul(self, other):
    return self @ other


def square(self):
    return self * self


def numel(self):
    """The number of elements (``.size`` is NumPy's name for it; PyTorch's ``size()`` is ``.shape`` here)."""
    return self.data.size


def dim(self):
    return self.data.ndim


def expand_as(self, other):
    return self.expand(*other.shape)


def reshape_as(self, other):
    return self.reshape(other.shape)


def type_as(self, other):
    return self.astype(other.dtype)


def isclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
    """|a - b| <= atol + rtol |b| elementwise, a constant boolean tensor (PyTorch's defaults)."""
    o = other.data if isinstance(other, Tensor) else other
    return Tensor(xp_of(self.data).isclose(self.data, o, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
    return bool(isclose(self, other, rtol, atol, equal_nan).data.all())


# ----- reductions -----
def _axes_of(self, axis, op):
    if axis is None:
        return tuple(range(self.ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted({_one_axis(self, a, op) for a in axes})) if self.ndim else ()


def prod(self, axis=None, keepdims=False, dim=None, keepdim=None):
    """Product over ``axis`` (all by default). A composition: the reduced axes are moved last and flattened, then
    it is the last element of a cumprod, so the gradient (zeros included) is cumprod's."""
    axes = _axes_of(self, _axis(axis, dim, "prod"), "prod")
    keepdims = keepdim if keepdim is not None else keepdims
    rest = [i for i in range(self.ndim) if i not in axes]
    kept = tuple(1 if i in axes else n for i, n in enumerate(self.shape))
    out_shape = kept if keepdims else tuple(self.shape[i] for i in rest)
    x = self.transpose(*(rest + list(axes))) if self.ndim else self
    n = math.prod(self.shape[i] for i in axes)
    x = x.reshape(*[self.shape[i] for i in rest], n)
    if n == 0:  # the empty product is 1
        return (x.sum(axis=-1) * 0 + 1).reshape(out_shape)
    return _scan.Cumprod.apply(x, x.ndim - 1)[..., -1].reshape(out_shape)


def all_(self, axis=None, keepdims=False, dim=None):
    axis = _axis(axis, dim, "all")
    return Tensor(xp_of(self.data).asarray(self.data.astype(bool).all(axis=axis, keepdims=keepdims)))


def any_(self, axis=None, keepdims=False, dim=None):
    axis = _axis(axis, dim, "any")
    return Tensor(xp_of(self.data).asarray(self.data.astype(bool).any(axis=axis, keepdims=keepdims)))


# ----- scans -----
@_scan_0d
def cumsum(self, axis):
    """Running sum along ``axis`` (``axis=None``: over the flattened tensor, as NumPy)."""
    return _scan.Cumsum.apply(self, axis)


@_scan_0d
def cumprod(self, axis):
    """Running product along ``axis``; the gradient is exact at zeros."""
    return _scan.Cumprod.apply(self, axis)


@_scan_0d
def logcumsumexp(self, axis):
    return _scan.LogCumSumExp.apply(self, axis)


@_scan_0d
def cummax(self, axis):
    """(values, indices) of the running maximum; an index is the last position holding it (as PyTorch)."""
    idx = _scan.running_extreme_indices(self.data, axis, True)
    return SortResult(_ix.Gather.apply(self, axis, idx), Tensor(idx))


@_scan_0d
def cummin(self, axis):
    idx = _scan.running_extreme_indices(self.data, axis, False)
    return SortResult(_ix.Gather.apply(self, axis, idx), Tensor(idx))


# ----- sorting -----
def sort(self, axis=-1, descending=False, stable=False, dim=None):
    """(values, indices) sorted along ``axis``; ties keep their order (always stable). The values are a gather by
    the permutation, so each gets the gradient of the element it came from."""
    if self.ndim == 0:
        return SortResult(self * 1, Tensor(np.zeros((), np.int64)))
    axis = _one_axis(self, _axis(axis, dim, "sort", -1), "sort")
    idx = sort_indices(self.data, axis, descending)
    return SortResult(_ix.Gather.apply(self, axis, idx), Tensor(idx))


def argsort(self, axis=-1, descending=False, stable=False, dim=None):
    if self.ndim == 0:
        return Tensor(np.zeros((), np.int64))
    axis = _one_axis(self, _axis(axis, dim, "argsort", -1), "argsort")
    return Tensor(sort_indices(self.data, axis, descending))


def topk(self, k, axis=-1, largest=True, sorted=True, dim=None):
    """The k largest (or smallest) values along ``axis`` and their indices, in order."""
    x = self.reshape(1) if self.ndim == 0 else self
    axis = _one_axis(x, _axis(axis, dim, "topk", -1), "topk")
    if not 0 <= k <= x.shape[axis]:
        raise ValueError(f"topk: k={k} is out of range for axis {axis} of size {x.shape[axis]} (shape {self.shape})")
    idx = sort_indices(x.data, axis, largest)[(slice(None),) * axis + (slice(0, k),)]
    values = _ix.Gather.apply(x, axis, idx)
    if self.ndim == 0:
        return SortResult(values.reshape(()), Tensor(idx.reshape(())))
    return SortResult(values, Tensor(idx))


# ----- gather / scatter -----
def _need(value, name, op):
    if value is None:
        raise TypeError(f"{op}: missing argument {name!r}")
    return value


def gather(self, axis=None, index=None, dim=None):
    """out[.., i, ..] = self[.., index[.., i, ..], ..] along ``axis`` (PyTorch's ``gather(dim, index)``)."""
    axis = _one_axis(self, _need(_axis(axis, dim, "gather"), "axis", "gather"), "gather")
    index = _need(index, "index", "gather")
    idx = _index(self, index, "gather")
    for d, (m, n) in enumerate(zip(idx.shape, self.shape)):
        if d != axis and m > n:
            raise ValueError(f"gather: index of shape {idx.shape} is larger than the input {self.shape} on axis {d}")
    if idx.size and (int(idx.min()) < -self.shape[axis] or int(idx.max()) >= self.shape[axis]):
        raise IndexError(f"gather: index values span [{int(idx.min())}, {int(idx.max())}] but axis {axis} has size "
                         f"{self.shape[axis]}")
    return _ix.Gather.apply(self, axis, idx % max(self.shape[axis], 1))


def _scatter_args(self, axis, index, src, op):
    axis = _one_axis(self, axis, op)
    idx = _index(self, index, op)
    for d, (m, n) in enumerate(zip(idx.shape, self.shape)):
        if d != axis and m > n:
            raise ValueError(f"{op}: index of shape {idx.shape} is larger than the input {self.shape} on axis {d}")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= self.shape[axis]):
        raise IndexError(f"{op}: index values span [{int(idx.min())}, {int(idx.max())}] but axis {axis} has size "
                         f"{self.shape[axis]}")
    if isinstance(src, (int, float, bool, np.generic)):
        return axis, idx, src
    src = src if isinstance(src, Tensor) else Tensor(_to_array(src, self.dtype, self.device))
    if src.ndim != idx.ndim or any(m > n for m, n in zip(idx.shape, src.shape)):
        raise ValueError(f"{op}: src of shape {src.shape} must cover the index of shape {idx.shape}")
    if src.shape != idx.shape:
        src = src[tuple(slice(0, m) for m in idx.shape)]  # only src's elements at index positions are used
    if src.dtype != self.dtype:
        src = src.astype(self.dtype)
    return axis, idx, src


def scatter(self, axis=None, index=None, src=None, value=None, dim=None):
    """A copy of self with src (or the number ``value``) written at index along ``axis`` (PyTorch's scatter)."""
    axis, index = _need(_axis(axis, dim, "scatter"), "axis", "scatter"), _need(index, "index", "scatter")
    src = value if src is None else src
    if src is None:
        raise TypeError("scatter: give src (a tensor) or value (a number)")
    axis, idx, src = _scatter_args(self, axis, index, src, "scatter")
    return _ix.Scatter.apply(self, axis, idx, src)


def scatter_add(self, axis=None, index=None, src=None, dim=None):
    """self plus src added at index along ``axis`` (repeated indices add up)."""
    axis = _need(_axis(axis, dim, "scatter_add"), "axis", "scatter_add")
    index, src = _need(index, "index", "scatter_add"), _need(src, "src", "scatter_add")
    axis, idx, src = _scatter_args(self, axis, index, src, "scatter_add")
    return self + _ix.ScatterAdd.apply(src, axis, idx, self.shape)


def scatter_reduce(self, axis=None, index=None, src=None, reduce=None, include_self=True, dim=None):
    """Reduce src's elements into self at index along ``axis``: reduce in "sum", "prod", "mean", "amax", "amin";
    with include_self=False, positions that index writes start from the src values alone (PyTorch's semantics)."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise ValueError(f"scatter_reduce: reduce must be 'sum', 'prod', 'mean', 'amax' or 'amin', got {reduce!r}")
    axis = _need(_axis(axis, dim, "scatter_reduce"), "axis", "scatter_reduce")
    index, src = _need(index, "index", "scatter_reduce"), _need(src, "src", "scatter_reduce")
    axis, idx, src = _scatter_args(self, axis, index, src, "scatter_reduce")
    if not isinstance(src, Tensor):
        src = Tensor(xp_of(self.data).full(idx.shape, src, dtype=self.dtype))
    if reduce in ("amax", "amin"):
        return _ix.ScatterExtreme.apply(self, axis, idx, src, reduce, include_self)
    if reduce == "prod":
        return _ix.ScatterProd.apply(self, axis, idx, src, include_self)
    xp = xp_of(self.data)
    count = _count(xp, idx, axis, self.shape, self.dtype)
    base = self if include_self else self * Tensor((count == 0).astype(self.dtype))
    total = base + _ix.ScatterAdd.apply(src, axis, idx, self.shape)
    if reduce == "sum":
        return total
    den = count + 1 if include_self else xp.where(count == 0, 1, count)
    return total / Tensor(den.astype(self.dtype))


def _count(xp, idx, axis, shape, dtype):
    """How many index entries point at each position of ``shape``."""
    return _ix._add_at(xp.zeros(shape, dtype), _ix.coords(idx, axis), xp.ones(idx.shape, dtype))


def masked_select(self, mask):
    """The elements where ``mask`` (broadcast against self) is True, as a 1-D tensor."""
    m = mask.data if isinstance(mask, Tensor) else mask
    if not isinstance(m, backend.ARRAY_TYPES):
        m = np.asarray(m)
    if m.dtype != bool:
        raise TypeError(f"masked_select: mask must be boolean, got dtype {m.dtype}")
    try:
        shape = np.broadcast_shapes(self.shape, m.shape)
    except ValueError:
        raise ValueError(f"masked_select: mask of shape {m.shape} does not broadcast with {self.shape}") from None
    x = self.expand(*shape) if self.shape != shape else self
    m = xp_of(self.data).broadcast_to(to_device(m, self.device), shape)
    return x[m]


# ----- movement -----
def flip(self, axis=None, dim=None, dims=None):
    """Reverse the order along ``axis`` (an int or a tuple; None: every axis, as NumPy). A reversed slice, so the
    gradient is flipped back by indexing's backward."""
    axes = _axes_of(self, _axis(axis, dim if dims is None else dims, "flip"), "flip")
    return self[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(self.ndim))]


def roll(self, shifts, axis=None, dim=None, dims=None):
    """Shift elements along ``axis`` cyclically (None: over the flattened tensor); a cat of two slices."""
    axis = _axis(axis, dim if dims is None else dims, "roll")
    if axis is None:
        if not isinstance(shifts, (int, np.integer)):
            raise ValueError("roll: without an axis, shifts must be one int")
        return roll(self.reshape(-1), int(shifts), 0).reshape(self.shape)
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(axes)} axes")
    from .tensor_methods import cat
    out = self
    for s, a in zip(shifts, axes):
        a = _one_axis(self, a, "roll")
        n = self.shape[a] if self.ndim else 1
        s = int(s) % n if n else 0
        if s == 0 or self.ndim == 0:
            continue
        pre = (slice(None),) * a
        out = cat([out[pre + (slice(n - s, None),)], out[pre + (slice(0, n - s),)]], axis=a)
    return out


def repeat(self, *sizes):
    """PyTorch's repeat (NumPy's tile): the tensor copied sizes[i] times along axis i; extra leading sizes add
    axes. An unsqueeze, expand and reshape, so the gradient sums the copies (expand's backward)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < self.ndim:
        raise ValueError(f"repeat: {len(sizes)} repeat sizes for a tensor of shape {self.shape}; give at least "
                         f"{self.ndim}")
    if min(sizes, default=0) < 0:
        raise ValueError(f"repeat: sizes must be non-negative, got {sizes}")
    shape = (1,) * (len(sizes) - self.ndim) + self.shape
    inter = tuple(d for n in shape for d in (1, n))
    big = tuple(d for r, n in zip(sizes, shape) for d in (r, n))
    return self.reshape(inter).expand(*big).reshape(tuple(r * n for r, n in zip(sizes, shape)))


def tile(self, *reps):
    """Like repeat, but fewer reps than axes are padded with leading 1s (PyTorch's and NumPy's tile)."""
    if len(reps) == 1 and isinstance(reps[0], (tuple, list)):
        reps = tuple(reps[0])
    return repeat(self, *((1,) * (self.ndim - len(reps)) + tuple(reps)))


def split(self, split_size_or_sections, axis=0, dim=None):
    """Pieces along ``axis``: an int gives pieces of that size (the last may be smaller), a list gives the sizes."""
    axis = _one_axis(self, _axis(axis, dim, "split", 0), "split")
    n = self.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split: split size must be positive, got {size}")
        sizes = [min(size, n - i) for i in range(0, n, size)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or min(sizes, default=0) < 0:
            raise ValueError(f"split: sizes {sizes} do not add up to axis {axis} of size {n} (shape {self.shape})")
    out, start = [], 0
    for s in sizes:
        out.append(self[(slice(None),) * axis + (slice(start, start + s),)])
        start += s
    return tuple(out)


def chunk(self, chunks, axis=0, dim=None):
    """``chunks`` pieces along ``axis`` of size ceil(n / chunks) (the last smaller; fewer when n is small)."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    axis = _one_axis(self, _axis(axis, dim, "chunk", 0), "chunk")
    return split(self, max(-(-self.shape[axis] // chunks), 1), axis)


# ----- dtype shorthands -----
def long(self):
    return self.astype(np.int64)


def int_(self):
    return self.astype(np.int32)


def bool_(self):
    return self.astype(np.bool_)


METHODS = {f.__name__: f for f in (
    sign, floor, ceil, trunc, sin, cos, log2, exp2, rsqrt, copysign, maximum, minimum, isclose, allclose,
    prod, cumsum, cumprod, logcumsumexp, cummax, cummin, sort, argsort, topk, gather, scatter,
    scatter_add, scatter_reduce, masked_select, flip, roll, repeat, tile, split, chunk, long)}
METHODS.update({"round": round_half_even, "all": all_, "any": any_, "int": int_, "bool": bool_,
                "floor_divide": floor_divide, "__floordiv__": floor_divide, "__rfloordiv__": rfloordiv,
                "remainder": remainder, "__mod__": remainder, "__rmod__": rmod, "numel": numel, "dim": dim,
                "matmul": matmul, "square": square, "expand_as": expand_as, "reshape_as": reshape_as,
                "view_as": reshape_as, "type_as": type_as})
for _name, _fn in METHODS.items():
    setattr(Tensor, _name, _fn)
del _name, _fn


# ----- the tg. functions: torch.<name>(x, ...) forms -----
def _function(name):
    method = METHODS.get(name) or getattr(Tensor, name)

    def call(x, *args, **kwargs):
        return method(_as_tensor(x), *args, **kwargs)
    call.__name__ = call.__qualname__ = name
    call.__doc__ = method.__doc__
    return call


FUNCTIONS = {name: _function(name) for name in (
    "sign", "round", "floor", "ceil", "trunc", "sin", "cos", "log2", "exp2", "rsqrt", "copysign", "maximum",
    "minimum", "isclose", "allclose", "prod", "all", "any", "cumsum", "cumprod", "logcumsumexp", "cummax", "cummin",
    "sort", "argsort", "topk", "gather", "scatter", "scatter_add", "scatter_reduce", "masked_select", "flip",
    "roll", "tile", "split", "chunk", "floor_divide", "remainder", "numel",
    # the older methods too, so that torch.exp(x)-style code ports as tg.exp(x)
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "erf", "clip", "clamp", "sum", "mean", "var", "std",
    "logsumexp", "argmax", "argmin", "softmax", "log_softmax", "reshape", "transpose", "permute", "squeeze",
    "unsqueeze", "flatten", "matmul", "masked_fill", "square")}


def full_like(t, value, dtype=None, device=None, requires_grad=False):
    """A tensor of t's shape filled with ``value``, in t's dtype unless ``dtype`` is given (PyTorch)."""
    arr = backend.xp_for(device or t.device).full(t.shape, value, dtype=_dtype(dtype) or t.dtype)
    return Tensor(arr, requires_grad=requires_grad)


def empty(*shape, dtype=None, device="cpu", requires_grad=False):
    """An uninitialised tensor in PyTorch; here zeros, so nothing depends on leftover memory."""
    from .tensor import zeros
    return zeros(*shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    return full_like(t, 0, dtype, device, requires_grad)


__all__ = sorted(FUNCTIONS) + ["einsum", "full_like", "empty", "empty_like", "SortResult"]
