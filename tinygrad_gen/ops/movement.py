"""Movement ops: they rearrange elements without arithmetic, so each backward rearranges g the opposite way."""
import math

import numpy as np

from ..autograd import Function, unbroadcast
from ..tensor import Tensor
from ..backend import xp_of, to_device, device_of


_SMALL = 1024  # elements: below this, Expand copies instead of building a broadcast view


class Reshape(Function):
    """z = a viewed with a new shape.  backward: da = g reshaped to a's shape."""
    @staticmethod
    def forward(ctx, a, shape):
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.inputs[0].shape), None


class Transpose(Function):
    """z = a with axes permuted by ``axes`` (None: reversed).  backward: da = g permuted by the inverse permutation
    (reversal is its own inverse)."""
    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return a.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        inverse = None if ctx.axes is None else tuple(np.argsort(ctx.axes).tolist())
        return Transpose.apply(g, inverse), None


class Expand(Function):
    """z = a broadcast to ``shape`` (a read-only view; with ``copy``, a contiguous copy, which NumPy's loops run
    faster against, see ``norm.spread``).  backward: da = g summed over the broadcast axes."""
    @staticmethod
    def forward(ctx, a, shape, copy=False):
        ctx.shape = a.shape
        xp = xp_of(a)
        if copy or math.prod(shape) <= _SMALL:  # broadcast_to's setup costs more than copying a few numbers
            out = xp.empty(shape, a.dtype)
            out[...] = a
            return out
        return xp.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g, ctx.shape), None


def _index_arrays(idx):
    """Tensors inside an index become their arrays; lists become integer/boolean arrays."""
    if type(idx) is not tuple:
        idx = (idx,)
    out = []
    for i in idx:
        if isinstance(i, Tensor):
            i = i.data
        elif isinstance(i, list):
            i = np.asarray(i)
        out.append(i)
    return tuple(out)


def _is_basic(idx):
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in idx)


class GetItem(Function):
    """z = a[idx] (ints, slices, None, Ellipsis, integer arrays, boolean masks).
    backward: da = zeros like a with g added at idx; integer arrays with repeats add their g's (np.add.at)."""
    @staticmethod
    def forward(ctx, a, idx):
        if type(a) is not np.ndarray:  # NumPy index arrays are constants: they go to the data's device
            idx = tuple(to_device(i, "cuda") if type(i) is np.ndarray else i for i in idx)
        ctx.meta = (a.shape, idx)
        return a[idx]

    @staticmethod
    def backward(ctx, g):
        shape, idx = ctx.meta
        return IndexAdd.apply(g, idx, shape), None


class IndexAdd(Function):
    """z = zeros(shape) with g added at idx (the adjoint of indexing).  backward: dg = dz[idx]."""
    @staticmethod
    def forward(ctx, g, idx, shape):
        ctx.idx = idx
        xp = xp_of(g)
        out = xp.zeros(shape, dtype=g.dtype)
        if _is_basic(idx):
            out[idx] = g
        elif xp is np and len(idx) == 1 and type(idx[0]) is np.ndarray and idx[0].dtype.kind in "iu":
            # rows picked by one integer array (an embedding's backward): the same sums by a 1-D add.at over
            # flat positions, which NumPy runs 3-6x faster than the row-wise one (same order, same bits)
            row = math.prod(shape[1:])
            flat = (idx[0].astype(np.intp, copy=False).reshape(-1, 1) * row + np.arange(row)).reshape(-1)
            np.add.at(out.reshape(-1), flat, g.reshape(-1))
        elif xp is np:
            np.add.at(out, idx, g)
        else:
            xp.add.at(out, idx, g)
        return out

    @staticmethod
    def backward(ctx, dz):
        return GetItem.apply(dz, ctx.idx), None, None


class Cat(Function):
    """z = the inputs joined along ``axis``.  backward: each input gets its own slice of g."""
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
            if need:
                out.append(g[(slice(None),) * axis + (slice(start, start + n),)])
            else:
                out.append(None)
            start += n
        return tuple(out)


class ToDevice(Function):
    """z = a copied to another device.  backward: da = g copied back to a's device."""
    @staticmethod
    def forward(ctx, a, device):
        ctx.device = device_of(a)
        return to_device(a, device)

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.device), None
