"""Softmax, log-softmax and masked softmax along one axis: a row of scores turned into probabilities.

Each shifts the row by its maximum before exponentiating (softmax(x) = softmax(x - c) for any constant c of the
row): exp then never overflows, even at scores of 1e4. The masked softmax without that shift when every score is
small (and with BLAS row sums) is a registered fast path in ``fast/softmax.py``."""
from __future__ import annotations

import warnings

import numpy as np

from ..errors import ArgumentError, DTypeError
from ..autograd import Function
from ..backend import as_array, xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import DTypeLike, Tensor, TensorLike
from .case import OpCase, distinct, nonzero, pattern
from .checks import as_tensor, boolean_mask, normalize_axis, one_axis
from .reductions import vector_norm


class Softmax(Function):
    """y = exp(x - m) / sum exp(x - m) along ``axis``, m the row max (the shift cancels between numerator and
    denominator, and keeps every exp(x - m) <= 1).
    backward: dy_i / dx_j = y_i ([i = j] - y_j), the Jacobian diag(y) - y y^T, symmetric; applied to g:
              dx = y * g - y * sum(g * y, axis) = y * (g - sum(g * y, axis)), from the saved output alone.
    An empty x gives an empty y (no row has a max); ``axis`` None (a 0-d x) normalises the single value to 1."""
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        if x.size == 0:
            y = x.copy()
        else:
            e = np.exp(x - x.max(axis=axis, keepdims=True))
            y = as_array(e / e.sum(axis=axis, keepdims=True))  # 0-d: keep an array, so backward gets a Tensor
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return y * (g - (g * y).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """y = x - logsumexp(x, axis) = (x - m) - log sum exp(x - m), m the row max (so exp never overflows and the
    log never sees 0: the largest term is exp(0) = 1).
    backward: dy_i / dx_j = [i = j] - softmax_j, so dx = g - softmax(x) * sum(g, axis), with softmax(x) = exp(y)
              from the saved output."""
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        if x.size == 0:
            y = x.copy()
        else:
            shifted = x - x.max(axis=axis, keepdims=True)
            y = as_array(shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True)))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g - y.exp() * g.sum(axis=ctx.axis, keepdims=True)


class MaskedSoftmax(Function):
    """y = softmax of x over the kept positions of its row (``mask`` True = keep, broadcast against x), 0 at the
    masked ones: y_i = [keep_i] exp(x_i - m) / sum_j [keep_j] exp(x_j - m), m the max over the kept x of the row.
    Whatever the masked positions hold (inf, NaN) never enters. A row that keeps nothing has the sum 0, replaced
    by 1: y = 0 there, never 0 / 0 = NaN.
    backward: on the kept positions this is a softmax, so dx = y * (g - sum(g * y, axis)); masked positions have
              y = 0 and get dx = 0, and a row that keeps nothing gets dx = 0."""
    @staticmethod
    def forward(ctx, x, mask, axis):
        xp = xp_of(x)
        ctx.axis = axis
        m = xp.where(mask, x, -np.inf).max(axis=axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)  # a row that keeps nothing: max -inf, and any shift will do
        e = np.exp(xp.where(mask, x - m, -np.inf))
        s = e.sum(axis=axis, keepdims=True)
        y = as_array(e / xp.where(s > 0, s, 1)).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        return Softmax.backward(ctx, g), None


def _axis(x: Tensor, axis, op: str):
    """``axis`` checked (the error names the op and x's shape) and made non-negative; None for a 0-d x (PyTorch
    takes axis 0 or -1 there: the whole)."""
    nd = x._data.ndim
    if nd and type(axis) is int and -nd <= axis < nd:  # the common case, without one_axis's general checks
        return axis % nd
    axis = one_axis(x, axis, op)
    return axis if nd else None


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum exp(x) along ``axis``: each row becomes probabilities (stable at scores of 1e4).

    Args:
        x: a tensor (a 0-d one gives 1).
        axis: the axis to normalise along.
    PyTorch: ``torch.softmax``, ``Tensor.softmax``, ``torch.nn.functional.softmax`` (``dim=``)."""
    x = x if isinstance(x, Tensor) else as_tensor(x)  # a method: x is a Tensor
    return Softmax.apply(x, _axis(x, axis, "softmax"))


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along ``axis``: the log of softmax, computed without taking the log of a small number.

    Args:
        x: a tensor.
        axis: the axis to normalise along.
    PyTorch: ``torch.log_softmax``, ``Tensor.log_softmax``, ``torch.nn.functional.log_softmax`` (``dim=``)."""
    x = x if isinstance(x, Tensor) else as_tensor(x)  # a method: x is a Tensor
    return LogSoftmax.apply(x, _axis(x, axis, "log_softmax"))


def masked_softmax(x: Tensor, mask: TensorLike, axis: int = -1) -> Tensor:
    """Softmax over the positions where ``mask`` is True; masked positions give 0, and so does a row that keeps
    nothing (never NaN).

    Args:
        x: the scores.
        mask: a boolean array or tensor (True = keep) that broadcasts to x's shape.
        axis: the axis to normalise along.
    PyTorch has no single function: ``torch.softmax(x.masked_fill(~mask, -inf), dim)`` is the same on rows that
    keep something (and NaN on rows that keep nothing)."""
    x = as_tensor(x)
    mask = boolean_mask(mask, x, "masked_softmax")
    return pick(MaskedSoftmax).apply(x, mask, _axis(x, axis, "masked_softmax"))


def softmin(x: Tensor, axis: int | None = None, dtype: DTypeLike | None = None) -> Tensor:
    """softmax(-x) along ``axis``: the smallest scores get the largest probabilities (a composition, so its
    gradient is softmax's through the negation: dx = -y * (g - sum(g * y, axis)) with y the output).

    Args:
        x: a tensor.
        axis: the axis to normalise along. None (PyTorch's default) takes PyTorch's implicit choice, axis 0 for a
            0-, 1- or 3-d x and 1 otherwise, with PyTorch's deprecation warning.
        dtype: cast x to this dtype first (PyTorch's ``dtype=``).
    PyTorch: ``torch.nn.functional.softmin`` (``dim=``)."""
    x = as_tensor(x)
    if dtype is not None:
        x = x.astype(dtype)
    if axis is None:
        warnings.warn("softmin: implicit dimension choice has been deprecated (as in PyTorch); pass dim=X",
                      UserWarning, stacklevel=2)
        axis = 0 if x.ndim in (0, 1, 3) else 1
    return Softmax.apply(-x, _axis(x, axis, "softmin"))


def normalize(x: Tensor, p: float = 2.0, axis: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p, eps) along ``axis``: each slice scaled to unit p-norm (a zero slice stays zero).

    A composition of differentiable ops: ``vector_norm`` (whose gradient at an all-zero slice is 0, as PyTorch's)
    clamped below at eps (the clamp passes no gradient where the norm is under eps), then a division.

    Args:
        x: a floating-point tensor (0-d is refused: it has no axis 1).
        p: the exponent of the norm: any number, or +-inf (``vector_norm``'s ``ord``; 0 counts the nonzeros).
        axis: the axis (or axes) to normalise along.
        eps: the smallest denominator.
    PyTorch: ``torch.nn.functional.normalize(input, p=2.0, dim=1, eps=1e-12)``."""
    x = as_tensor(x)
    if x.dtype.kind not in "fc":
        raise DTypeError(f"normalize: expected a floating point input, got dtype {x.dtype} (shape {x.shape})")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise ArgumentError(f"normalize: p must be a number, got {p!r} (input of shape {x.shape})")
    axes = normalize_axis(axis, x.ndim, "normalize")
    return x / vector_norm(x, p, axes, True).clip(eps)


BINDINGS = [
    bind(softmax, method=True, tg=True, F=True),
    bind(log_softmax, method=True, tg=True, F=True),
    bind(masked_softmax, F=True),
    bind(softmin, F=True),
    bind(normalize, F=True),
]

_KEEP = np.array([[True, False, True, True], [False, False, False, False], [True, True, True, False]])


def _masked_softmax_twin(torch, x, keep=_KEEP, axis=-1):
    """PyTorch's softmax over the kept positions, 0 on a row that keeps nothing (no shift: x is small here)."""
    e = torch.exp(x) * torch.from_numpy(np.asarray(keep))
    s = e.sum(axis, keepdim=True)
    return e / torch.where(s > 0, s, torch.ones_like(s))


CASES = [
    OpCase("softmax", lambda a: a.softmax(axis=-1), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: torch.softmax(a, -1)),
    OpCase("log_softmax", lambda a: a.log_softmax(axis=0), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: torch.log_softmax(a, 0)),
    OpCase("F.softmax", lambda a: softmax(a, axis=-1), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: torch.nn.functional.softmax(a, -1)),
    OpCase("F.softmax[axis=0]", lambda a: softmax(a, axis=0), ((3, 4),),
           torch=lambda torch, a: torch.softmax(a, 0)),
    OpCase("F.log_softmax", lambda a: log_softmax(a, axis=-1), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: torch.nn.functional.log_softmax(a, -1)),
    OpCase("F.masked_softmax", lambda a: masked_softmax(a, _KEEP, axis=-1), ((3, 4),), draw="fixed",
           torch=_masked_softmax_twin, exact_twin=False),
    OpCase("F.masked_softmax[broadcast_mask]", lambda a: masked_softmax(a, pattern(a.shape[-1:], 2)), ((2, 3, 4),),
           min_ndim=1, torch=lambda torch, a: _masked_softmax_twin(torch, a, pattern(tuple(a.shape[-1:]), 2)),
           exact_twin=False),
    OpCase("F.masked_softmax[axis=0]", lambda a: masked_softmax(a, _KEEP, axis=0), ((3, 4),), draw="fixed",
           torch=lambda torch, a: _masked_softmax_twin(torch, a, _KEEP, 0), exact_twin=False),
    OpCase("F.softmin", lambda a: softmin(a, axis=-1), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: torch.nn.functional.softmin(a, -1), exact_twin=False),
    OpCase("F.softmin[axis=0]", lambda a: softmin(a, axis=0), ((3, 4),),
           torch=lambda torch, a: torch.nn.functional.softmin(a, 0), exact_twin=False),
    OpCase("F.normalize", normalize, ((3, 4),), min_ndim=2, sample=nonzero,
           torch=lambda torch, a: torch.nn.functional.normalize(a), exact_twin=False),
    OpCase("F.normalize[p=3,axis=0]", lambda a: normalize(a, p=3, axis=0), ((3, 4),), sample=nonzero,
           torch=lambda torch, a: torch.nn.functional.normalize(a, p=3, dim=0), exact_twin=False),
    OpCase("F.normalize[p=1,axis=-1]", lambda a: normalize(a, p=1, axis=-1), ((3, 4),), min_ndim=1,
           sample=nonzero, torch=lambda torch, a: torch.nn.functional.normalize(a, p=1, dim=-1), exact_twin=False),
    OpCase("F.normalize[p=inf]", lambda a: normalize(a, p=float("inf")), ((3, 4),), min_ndim=2, sample=distinct,
           torch=lambda torch, a: torch.nn.functional.normalize(a, p=float("inf")), exact_twin=False),
]
