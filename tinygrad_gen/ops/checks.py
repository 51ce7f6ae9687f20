"""Argument checks and conversions the op families share: turning what a user passes into Tensors, arrays and
axes (each error names the op and the shapes or values, and is raised before anything is computed), and the two
conversions inside the ops' math (``as_float``, ``constant_like``)."""
from __future__ import annotations

import numpy as np

from ..errors import ArgumentError, AxisError, DTypeError
from .. import backend
from ..backend import to_device
from ..tensor import Tensor, as_tensor

__all__ = ["as_tensor", "operand", "optional_tensor", "layer_operands", "same_dtype", "array_of", "constant",
           "boolean_mask", "constant_like", "as_float", "broadcast_shape", "normalize_axis", "one_axis",
           "check_reduction", "reduce_loss"]

_F32 = np.dtype(np.float32)


def array_of(x):
    """``x``'s array: a Tensor's data, an array as it is, other data (lists, numbers) through ``np.asarray``; nothing
    is copied or moved."""
    return x._data if isinstance(x, Tensor) else x if isinstance(x, backend.ARRAY_TYPES) else np.asarray(x)


def constant(x, like: Tensor):
    """A constant operand (a mask, an index) as an array on ``like``'s device; no gradient flows to it."""
    return to_device(array_of(x), like.device)


def boolean_mask(mask, x: Tensor, op: str):
    """``mask`` (a Tensor, array or list) as a boolean array on x's device, checked to broadcast to x's shape."""
    m = constant(mask, x)
    if m.dtype != np.bool_:
        raise TypeError(f"{op}: mask must be boolean, got dtype {m.dtype}")
    if m.shape != x.shape and broadcast_shape(m.shape, x.shape) != x.shape:
        raise ArgumentError(f"{op}: mask of shape {m.shape} does not broadcast to x of shape {x.shape}")
    return m


def constant_like(values, like) -> Tensor:
    """An array of constants (a 0/1 mask, the slope of a piecewise-linear op) as a constant Tensor of the dtype of
    the array ``like``: a factor of a backward that no gradient flows through."""
    return Tensor(values.astype(like.dtype))


def as_float(a):
    """The array ``a`` itself if it is floating point, else as float32: a float function (exp, erf, tanh ...) of an
    integer or boolean array computes in PyTorch's default float dtype, not in NumPy's float64 (or float16 for bool
    and 8-bit ints)."""
    return a if a.dtype is _F32 or a.dtype.kind in "fc" else a.astype(np.float32)


def optional_tensor(value, like: Tensor):
    """None, or ``value`` as a Tensor joining ``like`` (plain data takes like's float dtype and device): an optional
    weight, bias or noise argument."""
    return None if value is None else as_tensor(value, like=like)


def layer_operands(x, w, b, op: str = "layer"):
    """The operands of a layer y = f(x, w) + b: x as a Tensor, the weight w and the optional bias b joining it
    (plain data takes x's float dtype and device). Tensors of another dtype than x are refused, as PyTorch
    refuses them (a float64 or integer input to a float32 layer would otherwise compute in float64 silently)."""
    x = as_tensor(x)
    w, b = as_tensor(w, like=x), optional_tensor(b, x)
    same_dtype(op, input=x, weight=w, bias=b)
    return x, w, b


def same_dtype(op: str, **tensors) -> None:
    """Raise a TypeError naming ``op`` and every dtype unless the given tensors (None: absent) share one dtype."""
    given = {name: t for name, t in tensors.items() if t is not None}
    if len({t.dtype for t in given.values()}) > 1:
        dtypes = ", ".join(f"{name} {t.dtype}" for name, t in given.items())
        raise DTypeError(f"{op}: expected one dtype, got {dtypes} (PyTorch refuses mixed dtypes here too); convert "
                         "one of them with .float(), .double() or .to(dtype), or a layer with layer.double()")


def broadcast_shape(*shapes) -> tuple | None:
    """The shape ``shapes`` broadcast to, or None where they do not broadcast."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        return None


def normalize_axis(axis, ndim: int, op: str = "reduce") -> tuple:
    """``None`` -> every axis; an int or tuple -> a sorted tuple of non-negative axes (checked: each in range, none
    named twice, as PyTorch requires: ``x.sum((0, -3))`` of a 3-d x is an error). A 0-d tensor takes axis 0 or -1 as
    PyTorch does, meaning no axis at all (so sum, max, squeeze(0) ... of a scalar are the scalar)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -max(ndim, 1) <= a < max(ndim, 1):
            raise AxisError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
        a = int(a) % max(ndim, 1)
        if a in out:
            raise ArgumentError(f"{op}: dim {a} appears multiple times in the list of dims {axis} (a tensor with "
                                f"{ndim} dimensions); name each axis once")
        out.append(a)
    return tuple(sorted(out)) if ndim else ()


def one_axis(x: Tensor, axis, op: str) -> int:
    """One axis of ``x``, checked and made non-negative (a 0-d tensor takes axis 0 or -1, as in PyTorch)."""
    nd = max(x.ndim, 1)
    if not isinstance(axis, (int, np.integer)) or not -nd <= axis < nd:
        raise AxisError(f"{op}: axis {axis} is out of range for a tensor of shape {x.shape}")
    return int(axis) % nd


def check_reduction(reduction: str, op: str) -> None:
    """A loss's ``reduction`` must be 'mean', 'sum' or 'none'."""
    if reduction not in ("mean", "sum", "none"):
        raise ArgumentError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def reduce_loss(loss: Tensor, reduction: str, op: str) -> Tensor:
    """A per-element loss averaged ('mean'), added up ('sum') or kept ('none')."""
    check_reduction(reduction, op)
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def operand(other, like: Tensor):
    """The second operand of a binary op whose first is the Tensor ``like`` (``x + other``, ``x.maximum(other)``).

    Tensors pass as they are. Python numbers stay numbers, and NumPy scalars become Python numbers, so NumPy treats
    them as weak and they never upcast a float32 tensor (``x * np.float64(2)`` stays float32, as in PyTorch). Arrays
    and lists become constant Tensors on ``like``'s device, in ``like``'s dtype when ``like`` is floating point (so
    ``x + np.ones(3)`` stays float32), else in their own (float data as float32)."""
    if isinstance(other, Tensor) or type(other) is float or type(other) is int:  # the common cases, checked first
        return other
    if isinstance(other, np.generic) and other.dtype.kind in "biuf":
        return other.item()
    if isinstance(other, (bool, int, float)):
        return other
    return as_tensor(other, dtype=like.dtype if like.dtype.kind == "f" else None, device=like.device)
