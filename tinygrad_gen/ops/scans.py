"""Scans and sorting along one axis: the running sums, products and log-sum-exps (cumsum, cumprod, logcumsumexp),
the running extremes (cummax, cummin), and sort, argsort, topk.

A scan's output i depends on the inputs k <= i, so its backward runs the other way: a reverse scan of the gradient.
Sorting and the running extremes compute an index first (a constant: it is piecewise constant in the values); their
values are then a pick along the axis, z_i = a_{index_i}, whose backward sends each output's g back to the element
it was copied from (indexing's ``Gather`` and ``ScatterAdd``, and ``TakeAlong`` here).

Axes are NumPy's ``axis=`` (the binder adds PyTorch's ``dim=``). A 0-d tensor is scanned and sorted as one element
(PyTorch allows axis 0 and -1 there); the scans with ``axis=None`` run over the flattened tensor, as NumPy's do.
"""
from __future__ import annotations

import collections

import numpy as np

from ..errors import ArgumentError
from ..autograd import Function
from ..backend import xp_of
from ..binding import bind
from ..tensor import Tensor
from .case import OpCase, distinct
from .checks import one_axis
from .indexing import Gather, ScatterAdd, coords
from .movement import cat

ValuesIndices = collections.namedtuple("ValuesIndices", "values indices")
ValuesIndices.__doc__ = ("(values, indices): what sort, topk, cummax, cummin, kthvalue, median, mode and max/min "
                         "along a dim return, like torch.return_types.")


def _flip(a, axis):
    """The array ``a`` reversed along ``axis`` (a view)."""
    return a[(slice(None),) * axis + (slice(None, None, -1),)]


class Cumsum(Function):
    """z_i = sum_{k <= i} a_k along ``axis`` (``reverse``: z_i = sum_{k >= i} a_k).

    backward: a_j enters every partial sum z_i with i >= j once, so da_j = sum_{i >= j} g_i: the reverse scan of g
    (and the backward of a reverse scan is the forward one)."""
    @staticmethod
    def forward(ctx, a, axis, reverse=False):
        ctx.meta = (axis, reverse)
        if reverse:
            return _flip(np.cumsum(_flip(a, axis), axis=axis), axis)
        return np.cumsum(a, axis=axis)

    @staticmethod
    def backward(ctx, g):
        axis, reverse = ctx.meta
        return Cumsum.apply(g, axis, not reverse), None, None


class Cumprod(Function):
    """z_i = prod_{k <= i} a_k along ``axis``.  forward: np.cumprod.

    backward: da_j = sum_{i >= j} g_i prod_{k <= i, k != j} a_k. Let p be the first zero of a's slice:
      j < p: a_j != 0, so the product is z_i / a_j and da_j = revcumsum(g z)_j / a_j (z_i = 0 for i >= p);
      j = p: da_p = sum_{i >= p} g_i cumprod(b)_i, b = a with a_p replaced by 1;
      j > p: every product contains a_p = 0, so da_j = 0.
    All three are Tensor ops of a and z, so this backward can itself be differentiated: exactly away from zeros (at
    a zero, the j > p rows drop the a_p-derivative that their products carry). The input and the output are saved,
    as PyTorch saves them."""
    @staticmethod
    def forward(ctx, a, axis):
        out = np.cumprod(a, axis=axis)
        ctx.save_for_backward(a, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        axis = ctx.axis
        zero = a._data == 0
        seen = np.cumsum(zero, axis=axis)
        before = seen == 0
        safe = a.masked_fill(~before, 1.0)
        da = (Cumsum.apply(g * out, axis, True) / safe).masked_fill(~before, 0.0)
        if zero.any():
            first = zero & (seen == 1)
            tail = Cumsum.apply(g * Cumprod.apply(a.masked_fill(first, 1.0), axis), axis, True)
            da = da + tail.masked_fill(~first, 0.0)
        return da, None


class LogCumSumExp(Function):
    """z_i = log sum_{k <= i} exp(a_k) along ``axis``.  forward: np.logaddexp.accumulate, pairwise, so neither
    overflow nor underflow (CuPy has no ufunc.accumulate: there, a cumsum of exp(a - m), m the slice's max).

    backward: d z_i / d a_j = exp(a_j - z_i) for j <= i (the softmax weight of a_j among the first i + 1), so
    da_j = sum_{i >= j} g_i exp(a_j - z_i) = exp(a_j - c) * revcumsum(g exp(c - z))_j for any constant c. It is
    computed in float64 with c the middle of z's range along the slice, so both exponents stay finite while z spans
    less than ~1400 along the axis. A z_i = -inf (an all -inf prefix) gets no weight. The input and the output are
    saved, as PyTorch saves them."""
    @staticmethod
    def forward(ctx, a, axis):
        xp = xp_of(a)
        if xp is np:
            out = np.logaddexp.accumulate(a, axis=axis)
        else:
            m = a.max(axis=axis, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)
            out = xp.log(xp.cumsum(xp.exp(a - m), axis=axis)) + m
        ctx.save_for_backward(a, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        axis = ctx.axis
        xp = xp_of(out._data)
        z = out._data
        if z.size == 0:  # no elements: no gradient to spread (and no range to take the middle of)
            return g * 0, None
        finite = xp.where(xp.isfinite(z), z, xp.nan)
        lo, hi = xp.nanmin(finite, axis=axis, keepdims=True), xp.nanmax(finite, axis=axis, keepdims=True)
        c = Tensor(xp.nan_to_num((lo + hi) / 2).astype(np.float64))
        shift = (c - out.astype(np.float64)).masked_fill(~xp.isfinite(z), -np.inf)  # z = -inf: no weight
        w = Cumsum.apply(g.astype(np.float64) * shift.exp(), axis, True)
        return (a.astype(np.float64) - c).exp() * w, None


class TakeAlong(Function):
    """z_i = a_{index_i} along ``axis``: each output copies one input element (the values of sort and topk, with the
    sorting permutation, or its first k entries, as ``index``).

    backward: a_j reaches every output that copied it, so da_j = sum_{i : index_i = j} g_i: g added into zeros at
    ``index`` (indexing's ``ScatterAdd``, whose own backward is a pick again, so this differentiates twice).
    This is indexing's ``Gather`` saving only ``index``: PyTorch's sort and topk keep only their indices (its
    gather keeps the input too), so an in-place change to the input after a sort is no error there, nor here,
    while a change to the indices raises in both."""
    @staticmethod
    def forward(ctx, a, axis, index):
        ctx.save_for_backward(index)
        ctx.meta = (a.shape, axis)
        return a[coords(index, axis)]

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        shape, axis = ctx.meta
        return ScatterAdd.apply(g, axis, index, shape), None, None


def running_extreme_indices(a, axis: int, largest: bool):
    """The indices of cummax (``largest``) or cummin of the array ``a`` along ``axis``: for each i, the last
    position k <= i holding the running extreme (PyTorch's choice at ties). The running extreme only changes where
    a_k equals it, so the answer is the running max of the positions where a equals the running extreme."""
    xp = xp_of(a)
    if xp is not np:  # CuPy has no ufunc.accumulate: the indices are computed on the host
        return xp.asarray(running_extreme_indices(a.get(), axis, largest))
    run = (np.maximum if largest else np.minimum).accumulate(a, axis=axis)
    shape = [1] * a.ndim
    shape[axis] = a.shape[axis]
    pos = np.arange(a.shape[axis]).reshape(shape)
    return np.maximum.accumulate(np.where(a == run, pos, 0), axis=axis)


def sort_indices(a, axis: int, descending: bool = False):
    """The stable sorting permutation of the array ``a`` along ``axis``; ties keep their original order both ways
    (PyTorch's ``stable=True``). Descending sorts the reversed array ascending and maps back, so integer extremes
    never overflow the way sorting -a would."""
    xp = xp_of(a)
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable")
    return _flip(a.shape[axis] - 1 - xp.argsort(_flip(a, axis), axis=axis, kind="stable"), axis)


# ----- the functions users call (Tensor methods and tg.*) -----
def _along(x: Tensor, axis, op: str, scan):
    """``scan(t, axis)`` along one axis of x. ``axis=None`` scans the flattened tensor (NumPy's rule); a 0-d tensor
    is scanned as a 1-element vector and shaped back (PyTorch takes axis 0 or -1 there)."""
    if axis is None and x.ndim:
        return scan(x.reshape(-1), 0)
    axis = one_axis(x, 0 if axis is None else axis, op)
    if x.ndim:
        return scan(x, axis)
    out = scan(x.reshape(1), 0)
    return ValuesIndices(*(o.reshape(()) for o in out)) if isinstance(out, tuple) else out.reshape(())


def cumsum(x: Tensor, axis: int | None = None) -> Tensor:
    """The running sum along ``axis`` (None: over the flattened tensor). PyTorch: ``torch.cumsum(x, dim)``."""
    return _along(x, axis, "cumsum", Cumsum.apply)


def cumprod(x: Tensor, axis: int | None = None) -> Tensor:
    """The running product along ``axis`` (None: over the flattened tensor); the gradient is exact at zeros.
    PyTorch: ``torch.cumprod(x, dim)``."""
    return _along(x, axis, "cumprod", Cumprod.apply)


def logcumsumexp(x: Tensor, axis: int | None = None) -> Tensor:
    """The running log(sum(exp(x))) along ``axis`` (None: over the flattened tensor), without overflow.
    PyTorch: ``torch.logcumsumexp(x, dim)``."""
    return _along(x, axis, "logcumsumexp", LogCumSumExp.apply)


def _running_extreme(largest: bool):
    def scan(x, axis):
        index = Tensor(running_extreme_indices(x._data, axis, largest))
        return ValuesIndices(Gather.apply(x, axis, index), index)  # saves x and index, as PyTorch's cummax
    return scan


def cummax(x: Tensor, axis: int | None = None) -> ValuesIndices:
    """(values, indices) of the running maximum along ``axis`` (None: over the flattened tensor); an index is the
    last position holding the maximum so far. PyTorch: ``torch.cummax(x, dim)``."""
    return _along(x, axis, "cummax", _running_extreme(True))


def cummin(x: Tensor, axis: int | None = None) -> ValuesIndices:
    """(values, indices) of the running minimum along ``axis`` (None: over the flattened tensor); an index is the
    last position holding the minimum so far. PyTorch: ``torch.cummin(x, dim)``."""
    return _along(x, axis, "cummin", _running_extreme(False))


def sort(x: Tensor, axis: int = -1, descending: bool = False, stable: bool = False) -> ValuesIndices:
    """(values, indices) of x sorted along ``axis``, ascending unless ``descending``; always stable (ties keep their
    order, so ``stable`` changes nothing). Each value gets the gradient of the element it came from.
    PyTorch: ``torch.sort(x, dim, descending, stable)``."""
    def scan(t, axis):
        index = Tensor(sort_indices(t._data, axis, descending))
        return ValuesIndices(TakeAlong.apply(t, axis, index), index)
    return _along(x, axis, "sort", scan)


def argsort(x: Tensor, axis: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort x along ``axis`` (stable; ``descending`` reverses the order, ties still in order).
    PyTorch: ``torch.argsort(x, dim, descending, stable)``."""
    return _along(x, axis, "argsort", lambda t, axis: Tensor(sort_indices(t._data, axis, descending)))


def topk(x: Tensor, k: int, axis: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
    """(values, indices) of the ``k`` largest (``largest=False``: smallest) elements along ``axis``, in order
    (``sorted`` is accepted; they always are). PyTorch: ``torch.topk(x, k, dim, largest, sorted)``."""
    axis = one_axis(x, axis, "topk")
    n = x.shape[axis] if x.ndim else 1
    if not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ArgumentError(f"topk: k={k} is out of range for axis {axis} of size {n} (shape {x.shape})")

    def scan(t, axis):
        index = Tensor(sort_indices(t._data, axis, largest)[(slice(None),) * axis + (slice(0, k),)])
        return ValuesIndices(TakeAlong.apply(t, axis, index), index)
    return _along(x, axis, "topk", scan)


def _order_statistic(x: Tensor, axis: int, keepdims: bool, op: str, position) -> ValuesIndices:
    """(values, indices) of the element at sorted position ``position(n)`` along ``axis`` (stable order, so ties
    resolve as PyTorch's): each value gets the gradient of the element it came from."""
    def scan(t, axis):
        n = t.shape[axis]
        if n == 0:
            raise ArgumentError(f"{op}: axis {axis} of shape {t.shape} is empty")
        order = sort_indices(t._data, axis)
        k = position(n)
        index = Tensor(order[(slice(None),) * axis + (slice(k, k + 1),)])
        values = TakeAlong.apply(t, axis, index)
        return ValuesIndices(values, index) if keepdims else ValuesIndices(values.squeeze(axis), index.squeeze(axis))
    return _along(x, axis, op, scan)


def kthvalue(x: Tensor, k: int, axis: int = -1, keepdims: bool = False) -> ValuesIndices:
    """(values, indices) of the k-th smallest element along ``axis`` (k counts from 1); the gradient goes to the
    element picked. Where the k-th value occurs more than once, the index is the one a stable sort puts k-th;
    PyTorch's selection algorithm may name another of the tied positions (its documentation leaves it open).
    PyTorch: ``torch.kthvalue(x, k, dim=-1, keepdim=False)``."""
    n = x.shape[one_axis(x, axis, "kthvalue")] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ArgumentError(f"kthvalue: k={k!r} is out of range 1..{n} for axis {axis} of shape {x.shape}")
    return _order_statistic(x, axis, keepdims, "kthvalue", lambda n: int(k) - 1)


def median_along(x: Tensor, axis: int, keepdims: bool = False) -> ValuesIndices:
    """(values, indices) of the lower median along ``axis`` (``median(x, dim)``, bound in reductions): the element
    a stable sort puts at position (n - 1) // 2, which is PyTorch's pick at ties too."""
    return _order_statistic(x, axis, keepdims, "median", lambda n: (n - 1) // 2)


def mode_indices(a, axis: int):
    """For each slice of the array ``a`` along ``axis``, the index of its mode: the most frequent value, the
    smallest one at a tie of counts, at its last position (PyTorch's choices). Sorting makes equal values runs;
    each sorted position learns its run's first and last position, so the run lengths are the counts."""
    xp = xp_of(a)
    rows = xp.moveaxis(a, axis, -1)
    order = xp.argsort(rows, axis=-1, kind="stable")
    s = xp.take_along_axis(rows, order, -1)
    n = s.shape[-1]
    pos = xp.broadcast_to(xp.arange(n), s.shape)
    new_run = xp.concatenate([xp.ones(s.shape[:-1] + (1,), bool), s[..., 1:] != s[..., :-1]], -1)
    ends_run = xp.concatenate([new_run[..., 1:], xp.ones(s.shape[:-1] + (1,), bool)], -1)
    first = xp.maximum.accumulate(xp.where(new_run, pos, 0), axis=-1)
    last = xp.flip(xp.minimum.accumulate(xp.flip(xp.where(ends_run, pos, n), -1), axis=-1), -1)
    best = xp.argmax(last - first, axis=-1)[..., None]  # the first longest run: the smallest value
    index = xp.take_along_axis(order, xp.take_along_axis(last, best, -1), -1)
    return xp.moveaxis(index, -1, axis)


def mode(x: Tensor, axis: int = -1, keepdims: bool = False) -> ValuesIndices:
    """(values, indices) of the most frequent value along ``axis``: the smallest one when several are as frequent,
    and its last position. The gradient goes to the element picked. PyTorch: ``torch.mode(x, dim=-1,
    keepdim=False)``."""
    def scan(t, axis):
        if t.shape[axis] == 0:
            raise ArgumentError(f"mode: axis {axis} of shape {t.shape} is empty")
        index = Tensor(mode_indices(t._data, axis))
        values = TakeAlong.apply(t, axis, index)
        return ValuesIndices(values, index) if keepdims else ValuesIndices(values.squeeze(axis), index.squeeze(axis))
    return _along(x, axis, "mode", scan)


def diff(x: Tensor, n: int = 1, axis: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The n-th forward difference along ``axis``: out[.., i, ..] = x[.., i + 1, ..] - x[.., i, ..], applied n
    times (each time the axis loses one element); a boolean x gives x[i + 1] != x[i] (PyTorch's logical xor).

    Args:
        n: how many times to difference, >= 0 (0 returns x).
        axis: the axis (``dim=``; negative counts from the end); x needs at least one dimension.
        prepend, append: tensors joined to x before and after it along ``axis`` first, with x's number of
            dimensions and x's sizes on the other axes.
    Mirrors ``torch.diff(x, n=1, dim=-1, prepend=None, append=None)``. Slices and a subtraction, so the gradient
    of x[i] is g[i - 1] - g[i]."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"diff: n must be an int, got {n!r}")
    if n < 0:
        raise ArgumentError(f"diff: order must be non-negative but got {n}")
    if x.ndim == 0:
        raise ArgumentError("diff: expects input to be at least one-dimensional (got a 0-d tensor)")
    axis = one_axis(x, axis, "diff")
    parts = []
    for name, t in (("prepend", prepend), ("x", x), ("append", append)):
        if t is None:
            continue
        if name != "x":
            if not isinstance(t, Tensor):
                raise TypeError(f"diff: {name} must be a Tensor, got {type(t).__name__}")
            if t.ndim != x.ndim:
                raise ArgumentError(f"diff: {name} of shape {t.shape} must have the same number of dimensions as x "
                                    f"{x.shape}")
            if any(a != b for i, (a, b) in enumerate(zip(t.shape, x.shape)) if i != axis):
                raise ArgumentError(f"diff: {name} of shape {t.shape} must match x {x.shape} except along axis {axis}")
        parts.append(t)
    out = cat(parts, axis) if len(parts) > 1 else x
    before, after = (slice(None),) * axis + (slice(None, -1),), (slice(None),) * axis + (slice(1, None),)
    for _ in range(int(n)):
        if out.shape[axis] == 0:
            break
        out = out[after] != out[before] if out.dtype == np.bool_ else out[after] - out[before]
    return out


BINDINGS = [
    bind(diff, method=True, tg=True),
    bind(cumsum, method="cumsum", tg="cumsum"),
    bind(cumprod, method="cumprod", tg="cumprod"),
    bind(logcumsumexp, method="logcumsumexp", tg="logcumsumexp"),
    bind(cummax, method="cummax", tg="cummax"),
    bind(cummin, method="cummin", tg="cummin"),
    bind(sort, method="sort", tg="sort"),
    bind(argsort, method="argsort", tg="argsort"),
    bind(topk, method="topk", tg="topk"),
    bind(kthvalue, method=True, tg=True),
    bind(mode, method=True, tg=True),
]


CASES = [
    OpCase("cumsum", lambda a: a.cumsum(axis=-1), ((3, 4),), min_ndim=1, torch=lambda torch, a: a.cumsum(-1)),
    OpCase("cumsum_flat", lambda a: a.cumsum(), ((3, 4),), torch=lambda torch, a: a.reshape(-1).cumsum(0),
           exact_twin=False),
    OpCase("cumprod", lambda a: a.cumprod(axis=0), ((3, 4),), min_ndim=1, torch=lambda torch, a: a.cumprod(0)),
    OpCase("logcumsumexp", lambda a: a.logcumsumexp(axis=-1), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.logcumsumexp(-1)),
    OpCase("cummax", lambda a: a.cummax(axis=-1).values, ((3, 4),), sample=distinct, min_ndim=1,
           torch=lambda torch, a: a.cummax(-1).values),
    OpCase("cummin", lambda a: a.cummin(dim=0)[0], ((3, 4),), sample=distinct, min_ndim=1,
           torch=lambda torch, a: torch.cummin(a, 0)[0]),
    OpCase("sort", lambda a: a.sort(axis=-1).values, ((3, 4),), sample=distinct, min_ndim=1,
           torch=lambda torch, a: a.sort(-1).values),
    OpCase("sort_descending", lambda a: a.sort(0, descending=True)[0], ((3, 4),), sample=distinct, min_ndim=1,
           torch=lambda torch, a: torch.sort(a, 0, descending=True)[0]),
    # argsort has no gradient: the row multiplies a by its (constant) indices
    OpCase("argsort", lambda a: a * a.argsort(axis=-1), ((3, 4),), sample=distinct, min_ndim=1,
           torch=lambda torch, a: a * a.argsort(-1), exact_twin=False),
    OpCase("topk", lambda a: a.topk(2, axis=-1).values, ((3, 4),), sample=distinct, draw="fixed",
           torch=lambda torch, a: a.topk(2, -1).values),
    OpCase("topk_smallest", lambda a: a.topk(2, dim=0, largest=False).values, ((3, 4),), sample=distinct,
           draw="fixed", torch=lambda torch, a: a.topk(2, 0, largest=False).values),
    OpCase("kthvalue", lambda a: a.kthvalue(1, dim=-1).values * (1 + a.kthvalue(1, -1).indices), ((3, 4),),
           sample=distinct, min_ndim=1,
           torch=lambda torch, a: a.kthvalue(1, -1).values * (1 + a.kthvalue(1, -1).indices), exact_twin=False),
    OpCase("diff", lambda a: a.diff(), ((3, 4),), min_ndim=1, torch=lambda torch, a: a.diff(), exact_twin=False),
    OpCase("diff_twice", lambda a: diff(a, 2, 0), ((4, 3),), draw="fixed", torch=lambda torch, a: torch.diff(a, 2, 0),
           exact_twin=False),
    OpCase("diff_prepend_append", lambda a, b, c: diff(a, axis=0, prepend=b, append=c), ((3, 4), (1, 4), (2, 4)),
           draw="fixed", torch=lambda torch, a, b, c: torch.diff(a, dim=0, prepend=b, append=c), exact_twin=False),
    OpCase("mode", lambda a: a.mode(-1).values, ((3, 4),), sample=distinct, min_ndim=1,
           torch=lambda torch, a: a.mode(-1).values),
]
