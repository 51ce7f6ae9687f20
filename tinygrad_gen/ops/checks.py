"""Argument checks and conversions the op families share. Each error names the op and the shapes or values, and
is raised before anything is computed."""
from __future__ import annotations

import numpy as np

from .. import backend
from ..backend import to_device
from ..tensor import Tensor, as_tensor

__all__ = ["as_tensor", "constant", "broadcast_shape", "normalize_axis", "one_axis", "check_reduction",
           "reduce_loss"]


def constant(x, like: Tensor):
    """A constant operand (a mask, an index) as an array on ``like``'s device; no gradient flows to it."""
    a = x.data if isinstance(x, Tensor) else x if isinstance(x, backend.ARRAY_TYPES) else np.asarray(x)
    return to_device(a, like.device)


def broadcast_shape(*shapes) -> tuple | None:
    """The shape ``shapes`` broadcast to, or None where they do not broadcast."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        return None


def normalize_axis(axis, ndim: int, op: str = "reduce") -> tuple:
    """``None`` -> every axis; an int or tuple -> a sorted tuple of non-negative axes (checked). A 0-d tensor takes
    axis 0 or -1 as PyTorch does, meaning no axis at all (so sum, max, squeeze(0) ... of a scalar are the scalar)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    return tuple(sorted(set(out))) if ndim else ()


def one_axis(x: Tensor, axis, op: str) -> int:
    """One axis of ``x``, checked and made non-negative (a 0-d tensor takes axis 0 or -1, as in PyTorch)."""
    nd = max(x.ndim, 1)
    if not isinstance(axis, (int, np.integer)) or not -nd <= axis < nd:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of shape {x.shape}")
    return int(axis) % nd


def check_reduction(reduction: str, op: str) -> None:
    """A loss's ``reduction`` must be 'mean', 'sum' or 'none'."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


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
