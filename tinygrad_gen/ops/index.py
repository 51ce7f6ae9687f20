"""Indexing along one axis with an index tensor: gather and its adjoint scatter-add, scatter, and the max/min/prod
reductions of scatter_reduce. (sum and mean scatter_reduce, masked_select, sort, topk, cummax are compositions of
these with elementwise ops, in ``tensor.py``.)"""
import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ..backend import xp_of


def coords(idx, axis):
    """The full index tuple that puts ``idx`` along ``axis`` and broadcast aranges on every other axis:
    out[coords] is out[i0, .., idx[i0, .., ik], .., ik] for each position of idx."""
    xp = xp_of(idx)
    grid = [xp.arange(n).reshape((1,) * i + (n,) + (1,) * (idx.ndim - i - 1)) for i, n in enumerate(idx.shape)]
    grid[axis] = idx
    return tuple(grid)


def _at(ufunc, out, where, values):
    """out[where] op= values with repeated positions applied one after another (NumPy's ufunc.at); on CuPy, cupyx's
    scatter_add / scatter_max / scatter_min, and a round trip through the host for products."""
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
    return _at(np.add, out, where, values)


class Gather(Function):
    """z[.., i, ..] = a[.., idx[.., i, ..], ..] along ``axis`` (PyTorch's gather; idx may be smaller than a on the
    other axes).  forward: take_along_axis.  backward: da = g scatter-added at idx into zeros of a's shape
    (each z element copies one a element, so its g goes back there; repeated indices add up)."""
    @staticmethod
    def forward(ctx, a, axis, idx):
        ctx.meta = (a.shape, axis, idx)
        where = coords(idx, axis)
        return a[where]

    @staticmethod
    def backward(ctx, g):
        shape, axis, idx = ctx.meta
        return ScatterAdd.apply(g, axis, idx, shape), None, None


class ScatterAdd(Function):
    """z = zeros(shape) with src[.., i, ..] added at [.., idx[.., i, ..], ..] along ``axis`` (the adjoint of gather).
    forward: np.add.at.  backward: dsrc = gather(g, axis, idx) (z is linear in src, with the transposed pattern)."""
    @staticmethod
    def forward(ctx, src, axis, idx, shape):
        ctx.meta = (axis, idx)
        return _add_at(xp_of(src).zeros(shape, src.dtype), coords(idx, axis), src)

    @staticmethod
    def backward(ctx, g):
        axis, idx = ctx.meta
        return Gather.apply(g, axis, idx), None, None, None


class Scatter(Function):
    """z = a with src written at idx along ``axis`` (PyTorch's scatter; src has idx's shape, or is a number).
    forward: copy, then assign.  backward: da = g with the written positions zeroed (they no longer depend on a);
    dsrc = gather(g, axis, idx) (each written element copies one src element)."""
    @staticmethod
    def forward(ctx, a, axis, idx, src):
        where = coords(idx, axis)
        out = a.copy()
        out[where] = src
        kept = xp_of(a).ones(a.shape, bool)
        kept[where] = False
        ctx.meta = (axis, idx, kept)
        return out

    @staticmethod
    def backward(ctx, g):
        axis, idx, kept = ctx.meta
        da = g * Tensor(kept.astype(g.dtype)) if ctx.needs_input_grad[0] else None
        dsrc = Gather.apply(g, axis, idx) if ctx.needs_input_grad[3] else None
        return da, None, None, dsrc


class ScatterExtreme(Function):
    """z = a (or, where idx writes and include_self is False, only the src values) reduced by max or min with every
    src element at its idx position along ``axis`` (scatter_reduce "amax" / "amin").
    forward: np.maximum.at / np.minimum.at.
    backward: each position's g is shared equally among the contributors equal to z there (ties split, as PyTorch):
    da = g * [a = z] / N, dsrc = gather(g / N, axis, idx) * [src = z at its target], N the number of such ties."""
    @staticmethod
    def forward(ctx, a, axis, idx, src, reduce, include_self):
        xp = xp_of(a)
        where = coords(idx, axis)
        touched = xp.zeros(a.shape, bool)
        touched[where] = True
        fill = -np.inf if reduce == "amax" else np.inf
        out = a.copy() if include_self else xp.where(touched, xp.asarray(fill, a.dtype), a)
        _at(np.maximum if reduce == "amax" else np.minimum, out, where, src)
        self_in = (a == out) if include_self else (a == out) & ~touched
        src_in = src == out[where]
        n = _add_at(self_in.astype(a.dtype), where, src_in.astype(a.dtype))
        ctx.meta = (axis, idx, (self_in / n).astype(a.dtype), 1 / n, src_in.astype(a.dtype))
        return out

    @staticmethod
    def backward(ctx, g):
        axis, idx, self_w, inv_n, src_w = ctx.meta
        da = g * Tensor(self_w) if ctx.needs_input_grad[0] else None
        dsrc = Gather.apply(g * Tensor(inv_n), axis, idx) * Tensor(src_w) if ctx.needs_input_grad[3] else None
        return da, None, None, dsrc, None, None


class ScatterProd(Function):
    """z = a (or 1 where idx writes and include_self is False) times every src element at its idx position.
    forward: np.multiply.at.
    backward: each contributor x to a position gets g times the product of the other contributors there: z / x
    when no contributor is 0. With zeros, that product is formed from the count of zeros and the product of the
    non-zero contributors (x = 0: the rest's product if x is the only zero, else 0; x != 0: 0 if any zero)."""
    @staticmethod
    def forward(ctx, a, axis, idx, src, include_self):
        xp = xp_of(a)
        where = coords(idx, axis)
        touched = xp.zeros(a.shape, bool)
        touched[where] = True
        out = a.copy() if include_self else xp.where(touched, xp.asarray(1, a.dtype), a)
        _at(np.multiply, out, where, src)
        self_in = xp.ones(a.shape, bool) if include_self else ~touched
        ctx.meta = (axis, idx, where, self_in)
        ctx.save_for_backward(a, src, out)
        return out

    @staticmethod
    def backward(ctx, g):
        axis, idx, where, self_in = ctx.meta
        a, src, out = ctx.saved_tensors
        xp = xp_of(a.data)
        self_w = Tensor(self_in.astype(g.dtype))
        if not (bool((a.data == 0).any()) or bool((src.data == 0).any())):
            da = g * out / a * self_w
            dsrc = Gather.apply(g * out, axis, idx) / src
            return da, None, None, dsrc, None
        nz = (a.data == 0) & self_in
        count = nz.astype(np.int64)
        _add_at(count, where, (src.data == 0).astype(np.int64))
        rest = xp.where(self_in & (a.data != 0), a.data, 1).astype(g.dtype)
        _at(np.multiply, rest, where, xp.where(src.data != 0, src.data, 1))

        def others(x, n, p):  # product of the other contributors at a position with zero count n, product p
            return xp.where(x == 0, xp.where(n == 1, p, 0), xp.where(n == 0, p / xp.where(x == 0, 1, x), 0))
        da = g * Tensor(others(a.data, count, rest).astype(g.dtype)) * self_w
        dsrc = Gather.apply(g, axis, idx) * Tensor(others(src.data, count[where], rest[where]).astype(g.dtype))
        return da, None, None, dsrc, None
