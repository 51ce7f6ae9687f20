"""Reductions: sum, mean, max and min, logsumexp, prod, var and std over some axes, the arg-extremes (argmax,
argmin) and the truth tests (all, any).

A reduction maps many inputs to one output per slice, so each backward sends the output's gradient g back to the
input's shape: reshape g to the kept-dims shape (a 1 where each reduced axis was), then broadcast it over the reduced
axes (``_expand_back``), and weight it by d z / d a_i (1 for a sum, 1/n for a mean, the arg-max indicator for max).

Every function takes NumPy's ``axis=`` (None: every axis; an int or a tuple) and ``keepdims=``; the binder adds
PyTorch's ``dim=`` and ``keepdim=``. The BLAS sums of ``Sum`` and ``Mean`` are fast paths (``fast/reductions.py``).
"""
from __future__ import annotations

import collections
import math
import warnings

import numpy as np

from ..errors import ArgumentError, DTypeError
from ..autograd import Function
from ..backend import as_array, xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import Axis, DTypeLike, Number, Tensor
from .case import OpCase, distinct, nonzero, pattern, torch_pattern
from .arithmetic import maximum, minimum
from .checks import normalize_axis
from .scans import TakeAlong, ValuesIndices, median_along


def kept_shape(shape: tuple, axes) -> tuple:
    """The shape a reduction over ``axes`` (None: all) leaves with keepdims=True."""
    return tuple(1 if axes is None or i in axes else n for i, n in enumerate(shape))


def reduced_shape(shape: tuple, axes) -> tuple:
    """The shape a reduction over ``axes`` leaves with keepdims=False."""
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def reduced_count(shape: tuple, axes) -> int:
    """How many elements each slice of a reduction over ``axes`` holds: n in mean = sum / n."""
    return math.prod(shape[i] for i in axes)


def _expand_back(g: Tensor, shape: tuple, axes, keepdims: bool) -> Tensor:
    """The adjoint of a reduction's shape change: g reshaped to the keepdims form, then broadcast to ``shape``."""
    if not keepdims and g.ndim:  # a 0-d g (everything reduced) broadcasts as it is
        g = g.reshape(kept_shape(shape, axes))
    return g.expand(*shape)


def _check_not_empty(x: Tensor, axes: tuple, op: str) -> None:
    """A max, min or arg-reduction over no elements has no value: an error naming the op (PyTorch's too)."""
    if x._data.size == 0 and any(x.shape[i] == 0 for i in axes):
        raise ArgumentError(f"{op}: cannot reduce over a zero-size axis (shape {x.shape}, axes {axes})")


class Sum(Function):
    """z = sum_i a_i over ``axes`` (a sorted tuple of axes, or None for all of them).

    backward: every a_i enters its slice's sum once, d z / d a_i = 1, so da = g broadcast back over the summed axes.
    The sum over no elements is 0, and its gradient is empty."""
    @staticmethod
    def forward(ctx, a, axes=None, keepdims=False):
        ctx.meta = (a.shape, axes, keepdims)
        return a.sum(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, *ctx.meta), None, None


class Mean(Function):
    """z = (1/n) sum_i a_i over ``axes`` (a sorted tuple), n the number of elements in each slice.

    backward: d z / d a_i = 1/n, so da = g / n broadcast back over the reduced axes.
    The mean of no elements (n = 0) is NaN, as in PyTorch, and its gradient is empty. The mean of an integer tensor
    is float32 (PyTorch asks for a float dtype there)."""
    @staticmethod
    def forward(ctx, a, axes, keepdims=False):
        n = reduced_count(a.shape, axes)
        ctx.meta = (a.shape, axes, keepdims)
        ctx.n = n
        if n == 0:  # 0 / 0, without NumPy's division warning
            shape = kept_shape(a.shape, axes) if keepdims else reduced_shape(a.shape, axes)
            return xp_of(a).full(shape, np.nan, dtype=a.dtype if a.dtype.kind in "fc" else np.float32)
        out = a.sum(axis=axes, keepdims=keepdims) / n
        return out if a.dtype.kind in "fc" else out.astype(np.float32)

    @staticmethod
    def backward(ctx, g):
        if ctx.n == 0:  # an empty input: an empty gradient
            return Tensor(xp_of(g._data).zeros(ctx.meta[0], g.dtype)), None, None
        return _expand_back(g / ctx.n, *ctx.meta), None, None


class Max(Function):
    """z = max_i a_i over ``axes`` (``largest=False``: min_i a_i).

    backward: z is one of the a_i, so d z / d a_i = 1 where a_i = z and 0 elsewhere. Where several a_i tie for the
    extreme, the gradient is shared equally among them (PyTorch's amax/amin): da_i = g [a_i = z] / #{j : a_j = z}.
    A NaN in a slice makes z NaN and that slice's gradient NaN. A max over a zero-size axis is an error.
    The input and the output are saved (the tie mask is rebuilt from them), as PyTorch saves them."""
    @staticmethod
    def forward(ctx, a, axes, keepdims=False, largest=True):
        out = a.max(axis=axes, keepdims=keepdims) if largest else a.min(axis=axes, keepdims=keepdims)
        out = as_array(out)  # a 0-d result as an array, not a NumPy scalar: the array saved is the one returned
        ctx.save_for_backward(a, out)
        ctx.meta = (a.shape, axes, keepdims)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        shape, axes, keepdims = ctx.meta
        hit = a._data == out._data.reshape(kept_shape(shape, axes))
        with np.errstate(invalid="ignore", divide="ignore"):  # only a NaN slice (no hit) divides 0 by 0
            weight = hit / hit.sum(axis=axes, keepdims=True)
        return _expand_back(g, shape, axes, keepdims) * Tensor(weight.astype(g.dtype, copy=False)), None, None, None


class Median(Max):
    """z = the median of all the elements: the lower of the two middle values when their count is even.

    backward: z is one of the a_i, as a max is, so it is Max's: d z / d a_i = 1 where a_i = z, shared equally among
    the elements equal to z (PyTorch's median() does the same; median along a dim sends it to the one element its
    index names instead)."""
    @staticmethod
    def forward(ctx, a):
        flat = a.reshape(-1)
        xp = xp_of(a)
        out = xp.asarray(xp.nan, a.dtype) if xp.isnan(flat).any() else xp.partition(flat, (flat.size - 1) // 2)[
            (flat.size - 1) // 2]
        out = as_array(out)
        ctx.save_for_backward(a, out)
        ctx.meta = (a.shape, None, False)
        return out


class LogSumExp(Function):
    """z = log sum_i exp(a_i) over ``axes``, computed as m + log sum_i exp(a_i - m) with m the slice's max, so that
    no exp overflows (a = 1e4 gives z = 1e4 + log n, not inf).

    backward: d z / d a_i = exp(a_i) / sum_j exp(a_j) = exp(a_i - z), the softmax of the slice, so
    da = g * softmax(a). It is computed as e / sum(e) with e = exp(a - m), not as exp(a - z): in float32, z = 1e4
    has a spacing of 1e-3, and exp(a - z) would carry that error into every weight.
    Special values: an empty slice gives log 0 = -inf; an all -inf slice gives z = -inf and da = 0 (m is then taken
    as 0, so that no -inf - (-inf) = NaN appears). The input and the output are saved, as PyTorch saves them."""
    @staticmethod
    def forward(ctx, a, axes, keepdims=False):
        xp = xp_of(a)
        # initial=-inf: an empty slice has no max, and its log-sum is log 0 = -inf (PyTorch)
        m = a.max(axis=axes, keepdims=True) if a.size else a.max(axis=axes, keepdims=True, initial=-np.inf)
        m = xp.where(xp.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):  # log 0 = -inf is the answer for an empty or all -inf slice
            out = np.log(np.exp(a - m).sum(axis=axes, keepdims=True)) + m
        out = as_array(out if keepdims else out.reshape(reduced_shape(a.shape, axes)))
        ctx.save_for_backward(a, out)
        ctx.m = m
        ctx.meta = (a.shape, axes, keepdims)
        return out

    @staticmethod
    def backward(ctx, g):
        a, _ = ctx.saved_tensors
        shape, axes, keepdims = ctx.meta
        e = (a - Tensor(ctx.m)).exp()  # m is a constant shift: the softmax does not depend on it
        s = e.sum(axis=axes, keepdims=True)
        p = e / s.masked_fill(s._data == 0, 1.0)  # an all -inf slice: e = 0 everywhere, and p = 0
        return _expand_back(g, shape, axes, keepdims) * p, None, None


class Prod(Function):
    """z = prod_i a_i over ``axes``.

    backward: d z / d a_j = prod_{i != j} a_i, the product of the others. Take one slice, and b = a with its zeros
    replaced by 1, P = prod_i b_i (the product of the nonzero entries):
      no zero in the slice:   prod_{i != j} a_i = z / a_j, so da = g z / a;
      one zero, at p:         da_p = g P (the others' product), and da_j = g P / b_j * a_p = 0 for j != p;
      two zeros or more:      every product of the others holds a zero, so da = 0.
    The one-zero rule is written with a_p kept as a factor (0 in value, but its derivative is 1), so this backward
    can be differentiated again exactly there too: d da_j / d a_p = g P / b_j. The empty product is 1, with an
    empty gradient. The input and the output are saved, as PyTorch saves them."""
    @staticmethod
    def forward(ctx, a, axes, keepdims=False):
        out = as_array(a.prod(axis=axes, keepdims=keepdims))
        ctx.save_for_backward(a, out)
        ctx.meta = (a.shape, axes, keepdims)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        shape, axes, keepdims = ctx.meta
        g = _expand_back(g, shape, axes, keepdims)
        zero = a._data == 0
        if not zero.any():
            return g * out.reshape(kept_shape(shape, axes)) / a, None, None
        count = zero.sum(axis=axes, keepdims=True)  # zeros per slice
        lone = zero & (count == 1)  # the only zero of its slice
        b = a.masked_fill(zero, 1.0)
        others = Prod.apply(b, axes, True)
        a_p = a.masked_fill(~lone, 0.0).sum(axis=axes, keepdims=True).masked_fill(count == 0, 1.0)
        return g * others / b * a_p.expand(*shape).masked_fill(lone, 1.0), None, None


class Var(Function):
    """v = sum_i (a_i - mean(a))^2 / (n - ddof) over ``axes``, n the number of elements in each slice (ddof = 0: the
    population variance, 1: the unbiased sample variance).

    backward: d v / d a_j = 2 (a_j - mean) / (n - ddof) - 2/(n - ddof) * (1/n) sum_i (a_i - mean); the second sum
    is 0 (deviations from the mean add up to 0), so da = g * 2 (a - mean(a)) / (n - ddof).
    The variance of no elements is NaN; with no degrees of freedom left (n <= ddof) the divisor is 0, as PyTorch
    takes max(n - ddof, 0), so v is inf (NaN where every deviation is 0) and so is the gradient. The input is saved,
    as PyTorch saves it."""
    @staticmethod
    def forward(ctx, a, axes, keepdims=False, ddof=0):
        n = reduced_count(a.shape, axes)
        ctx.save_for_backward(a)
        ctx.meta = (a.shape, axes, keepdims)
        ctx.dof = n - ddof if n > ddof else 0  # (this module's max is the op)
        if n == 0:  # 0 / 0, without NumPy's warning
            return xp_of(a).full(kept_shape(a.shape, axes) if keepdims else reduced_shape(a.shape, axes),
                                 np.nan, dtype=a.dtype)
        d = a - a.mean(axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return as_array((d * d).sum(axis=axes, keepdims=keepdims) / a.dtype.type(ctx.dof))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        shape, axes, keepdims = ctx.meta
        d = a - a.mean(axis=axes, keepdims=True)
        scale = 2.0 / ctx.dof if ctx.dof else math.inf  # no degrees of freedom: inf, as the value
        return _expand_back(g, shape, axes, keepdims) * d * scale, None, None, None


class VectorNorm(Function):
    """z = (sum_i |a_i|^p)^(1/p) over ``axes``; p = inf: max_i |a_i|; p = -inf: min_i |a_i|; p = 0: the number of
    nonzero a_i (PyTorch's ``linalg.vector_norm``).

    backward, with N = z (reduced axes kept) and g broadcast back over them, s = sgn(a): for p != 0, +-inf,
    dz/da_i = (1/p) (sum_j |a_j|^p)^(1/p - 1) p |a_i|^(p-1) s_i = s_i |a_i|^(p-1) / N^(p-1). PyTorch's choices
    where that is 0/0 or infinite, kept here:
      p = 2:      da = g a / N, and 0 where N = 0 (the zero vector: PyTorch's subgradient 0);
      p = 1:      da = g s (0 at a_i = 0);
      p = +-inf:  z = |a_k| for the extreme k, so da = g s [|a| = N] / #ties (ties share, as amax's do);
      p = 0:      z is piecewise constant: no gradient (None, as PyTorch);
      p < 1:      da = g s |a|^(p-1) N^(1-p), 0 where a_i = 0 (|a_i|^(p-1) is infinite there);
      other p:    da = g s |a|^(p-1) / N^(p-1), 0 where N = 0 (then every a_i is 0).
    The denominators are N with its zeros replaced by 1 (a is 0 wherever that matters), so the backward has no
    0/0 and can be differentiated again. The input and the output are saved, as PyTorch saves them."""
    @staticmethod
    def forward(ctx, a, p, axes, keepdims=False):
        xp = xp_of(a)
        m = xp.abs(a)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # |0|^p for p < 0 is inf: N = 0
            if p == math.inf:
                out = m.max(axis=axes, keepdims=keepdims)
            elif p == -math.inf:
                out = m.min(axis=axes, keepdims=keepdims)
            elif p == 0:
                out = (a != 0).sum(axis=axes, keepdims=keepdims).astype(a.dtype)
            elif p == 1:
                out = m.sum(axis=axes, keepdims=keepdims)
            elif p == 2:
                out = xp.sqrt((a * a).sum(axis=axes, keepdims=keepdims))
            else:
                out = (m ** p).sum(axis=axes, keepdims=keepdims) ** (1.0 / p)
        out = as_array(out)
        ctx.save_for_backward(a, out)
        ctx.meta = (a.shape, axes, keepdims, p)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        shape, axes, keepdims, p = ctx.meta
        if p == 0:
            return None, None, None, None
        g = _expand_back(g, shape, axes, keepdims)
        n = out.reshape(kept_shape(shape, axes))
        s = Tensor(xp_of(a._data).sign(a._data))  # piecewise constant: a constant factor
        if p == 1:
            return g * s, None, None, None
        if abs(p) == math.inf:
            with np.errstate(invalid="ignore"):
                hit = (xp_of(a._data).abs(a._data) == n._data) | xp_of(a._data).isnan(a._data)
            return g * s * Tensor((hit / hit.sum(axis=axes, keepdims=True)).astype(g.dtype)), None, None, None
        safe = n.masked_fill(n._data == 0, 1.0)
        if p == 2:
            return g * a / safe, None, None, None
        zero = a._data == 0
        power = a.abs().masked_fill(zero, 1.0) ** (p - 1)  # |a|^(p-1), with 1 in place of |0|^(p-1)
        if p < 1:
            return g * s * power.masked_fill(zero, 0.0) * n ** (1 - p), None, None, None
        return g * s * power.masked_fill(zero, 0.0) / safe ** (p - 1), None, None, None


class ArgMax(Function):
    """z = the index of the maximum along ``axis`` (``largest=False``: of the minimum), the first one at ties;
    ``axis=None`` indexes the flattened tensor. Computed directly (never as argmax(-a)), so integer extremes are
    exact. backward: none, the output is an integer and piecewise constant in a (the functions apply it to a
    detached tensor)."""
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False, largest=True):
        if a.ndim == 0:
            return xp_of(a).zeros((), np.int64)
        fn = a.argmax if largest else a.argmin
        if axis is None:
            out = fn()
            return out.reshape((1,) * a.ndim) if keepdims else out
        return fn(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        return None, None, None, None


# ----- the functions users call (Tensor methods and tg.*) -----
def sum(x: Tensor, axis: Axis = None, keepdims: bool = False, *, dtype: DTypeLike | None = None) -> Tensor:
    """The sum of the elements over ``axis`` (None: all; an int or a tuple), keeping the reduced axes as size 1 when
    ``keepdims``; ``dtype`` casts x first (PyTorch's ``dtype=``). PyTorch: ``torch.sum(x, dim, keepdim, *,
    dtype)``."""
    if dtype is not None:
        x = x.astype(dtype)
    if axis is None and not keepdims:  # the common case, kept short
        return pick(Sum).apply(x)
    return pick(Sum).apply(x, normalize_axis(axis, x.ndim, "sum"), keepdims)


def mean(x: Tensor, axis: Axis = None, keepdims: bool = False, *, dtype: DTypeLike | None = None) -> Tensor:
    """The mean over ``axis`` (None: all; an int or a tuple); NaN over no elements. An integer or boolean tensor is
    refused, as PyTorch refuses it (``x.float().mean()``, or ``dtype=``, which casts x first).
    PyTorch: ``torch.mean(x, dim, keepdim, *, dtype)``."""
    if dtype is not None:
        x = x.astype(dtype)
    axes = normalize_axis(axis, x.ndim, "mean")
    _floating(x, "mean")
    return pick(Mean).apply(x, axes, keepdims)


def amax(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The largest value over ``axis`` (None: all; an int or a tuple); tied maxima share the gradient.
    PyTorch: ``torch.amax(x, dim, keepdim)``."""
    axes = normalize_axis(axis, x.ndim, "amax")
    _check_not_empty(x, axes, "amax")
    return Max.apply(x, axes, keepdims)


def amin(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The smallest value over ``axis`` (None: all; an int or a tuple); tied minima share the gradient.
    PyTorch: ``torch.amin(x, dim, keepdim)``."""
    axes = normalize_axis(axis, x.ndim, "amin")
    _check_not_empty(x, axes, "amin")
    return Max.apply(x, axes, keepdims, False)


def _extreme(x: Tensor, axis, keepdims: bool, largest: bool, op: str):
    """PyTorch's three forms of max/min: over everything (a value), along one dim ((values, indices)), or against
    another tensor (elementwise)."""
    if isinstance(axis, Tensor):
        return (maximum if largest else minimum)(x, axis)
    if axis is None:
        return (amax if largest else amin)(x, None, keepdims)
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, (bool, np.bool_)):
        raise TypeError(f"{op}: dim must be one int (PyTorch's {op}(dim) returns (values, indices)), got {axis!r}; "
                        f"a{op}(dim=...) reduces over several axes")
    axis = normalize_axis(axis, x.ndim, op)
    _check_not_empty(x, axis, op)
    if x.ndim == 0:
        return ValuesIndices(x * 1, Tensor(xp_of(x._data).zeros((), np.int64)))
    index = ArgMax.apply(x.detach(), axis[0], True, largest)
    values = TakeAlong.apply(x, axis[0], index)  # the gradient goes to the element picked, as in PyTorch
    if not keepdims:
        values, index = values.squeeze(axis[0]), index.squeeze(axis[0])
    return ValuesIndices(values, index)


def max(x: Tensor, axis: int | Tensor | None = None, keepdims: bool = False) -> Tensor | ValuesIndices:
    """The largest value, as in PyTorch: ``x.max()`` over every element (a 0-d tensor); ``x.max(dim)`` the
    ``(values, indices)`` named tuple along one axis (``keepdim`` keeps it as size 1; the gradient goes to the
    first maximum, the one ``indices`` names); ``x.max(other)`` the elementwise maximum. ``amax`` reduces over
    several axes. PyTorch: ``torch.max``."""
    return _extreme(x, axis, keepdims, True, "max")


def min(x: Tensor, axis: int | Tensor | None = None, keepdims: bool = False) -> Tensor | ValuesIndices:
    """The smallest value, as in PyTorch: ``x.min()`` over every element, ``x.min(dim)`` the ``(values, indices)``
    named tuple along one axis, ``x.min(other)`` the elementwise minimum. PyTorch: ``torch.min``."""
    return _extreme(x, axis, keepdims, False, "min")


def median(x: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor | ValuesIndices:
    """The median: the lower of the two middle values when their count is even (PyTorch's choice, not their mean);
    NaN if there is a NaN. ``x.median()`` is a 0-d tensor over every element (tied elements share the gradient);
    ``x.median(dim)`` the ``(values, indices)`` named tuple along one axis (the gradient goes to the element its
    index names). PyTorch: ``torch.median``."""
    if axis is not None:
        if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"median: dim takes one int (median(dim) returns (values, indices) along that axis), "
                            f"got {axis!r}")
        return median_along(x, axis, keepdims)
    if x.numel() == 0:
        raise ArgumentError(f"median: the tensor is empty (shape {x.shape})")
    return Median.apply(x)


def logsumexp(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis`` (None: all; an int or a tuple), without overflow; its gradient is the softmax.
    PyTorch: ``torch.logsumexp(x, dim, keepdim)``."""
    return LogSumExp.apply(x, normalize_axis(axis, x.ndim, "logsumexp"), keepdims)


def prod(x: Tensor, axis: Axis = None, keepdims: bool = False, *, dtype: DTypeLike | None = None) -> Tensor:
    """The product of the elements over ``axis`` (None: all; an int or a tuple); the gradient is exact at zeros;
    ``dtype`` casts x first. PyTorch: ``torch.prod(x, dim, keepdim, *, dtype)``."""
    if dtype is not None:
        x = x.astype(dtype)
    return Prod.apply(x, normalize_axis(axis, x.ndim, "prod"), keepdims)


def _correction(unbiased, correction, ddof, op: str):
    """The one degrees-of-freedom correction given as PyTorch's ``unbiased=`` (True: 1, False: 0) or
    ``correction=``, or NumPy's ``ddof=``; none given: PyTorch's default, 1. Two of them is an error naming the op."""
    given = {k: v for k, v in (("unbiased", unbiased), ("correction", correction), ("ddof", ddof)) if v is not None}
    if len(given) > 1:
        raise TypeError(f"{op}: got {', '.join(f'{k}={v!r}' for k, v in given.items())}; give one of unbiased=, "
                        "correction= (PyTorch) and ddof= (NumPy)")
    if unbiased is not None:
        if not isinstance(unbiased, (bool, np.bool_)):
            raise TypeError(f"{op}: unbiased must be a bool, got {unbiased!r}")
        return int(unbiased)
    c = 1 if not given else next(iter(given.values()))
    if isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {next(iter(given), 'correction')} must be a number, got {c!r}")
    return c


def _variance(x: Tensor, axis, keepdims: bool, unbiased, correction, ddof, op: str) -> Tensor:
    if isinstance(axis, (bool, np.bool_)):  # PyTorch's var(x, unbiased) overload: a bool first means unbiased
        if unbiased is not None:
            raise TypeError(f"{op}: got unbiased twice ({axis!r} and {unbiased!r})")
        axis, unbiased = None, bool(axis)
    ddof = _correction(unbiased, correction, ddof, op)
    axes = normalize_axis(axis, x.ndim, op)
    _floating(x, op)
    n = reduced_count(x.shape, axes)
    if n - ddof <= 0 < n:
        warnings.warn(f"{op}(): degrees of freedom is <= 0: {n} elements with correction={ddof} (shape {x.shape}); "
                      "the result is inf or NaN, as in PyTorch", UserWarning, stacklevel=4)
    return Var.apply(x, axes, keepdims, ddof)


def _floating(x: Tensor, op: str) -> None:
    """Refuse an integer or boolean tensor, as PyTorch's mean, var and std do (the result's dtype is ambiguous)."""
    if x.dtype.kind not in "fc":
        raise DTypeError(f"{op}: needs a floating-point tensor, got dtype {x.dtype} (shape {x.shape}), as PyTorch "
                         f"does; convert first: x.float().{op}(...)")


def var(x: Tensor, axis: Axis = None, unbiased: bool | None = None, keepdims: bool = False, *,
        correction: Number | None = None, ddof: Number | None = None) -> Tensor:
    """The variance over ``axis`` (None: all): the sum of squared deviations from the mean divided by
    n - correction.

    Args:
        axis: None (every axis), an int or a tuple (``dim=``); a bool here is PyTorch's ``var(x, unbiased)``.
        unbiased: True divides by n - 1, False by n (PyTorch's older spelling).
        keepdims: keep the reduced axes as size 1 (``keepdim=``).
        correction: subtracted from n (PyTorch; default 1, the unbiased sample variance; 0: the population's).
        ddof: NumPy's name for ``correction``; give at most one of unbiased, correction, ddof.
    PyTorch: ``torch.var(x, dim, unbiased, keepdim)`` and ``torch.var(x, dim, *, correction=1, keepdim=False)``.
    A non-empty reduction with no degrees of freedom left (n <= correction) gives inf or NaN and a warning."""
    return _variance(x, axis, keepdims, unbiased, correction, ddof, "var")


def std(x: Tensor, axis: Axis = None, unbiased: bool | None = None, keepdims: bool = False, *,
        correction: Number | None = None, ddof: Number | None = None) -> Tensor:
    """The standard deviation over ``axis``: the square root of ``var`` with the same arguments (default
    correction=1, as PyTorch). PyTorch: ``torch.std(x, dim, unbiased, keepdim)`` and
    ``torch.std(x, dim, *, correction=1, keepdim=False)``; ``ddof=`` is NumPy's name for ``correction``."""
    return _variance(x, axis, keepdims, unbiased, correction, ddof, "std").sqrt()


def var_mean(x: Tensor, axis: Axis = None, unbiased: bool | None = None, keepdims: bool = False, *,
             correction: Number | None = None, ddof: Number | None = None) -> tuple:
    """``(var(x, ...), mean(x, ...))`` over the same axes, a tuple (the arguments are ``var``'s).
    PyTorch: ``torch.var_mean(x, dim, *, correction=1, keepdim=False)``."""
    v = _variance(x, axis, keepdims, unbiased, correction, ddof, "var_mean")
    axis = None if isinstance(axis, (bool, np.bool_)) else axis
    return v, mean(x, axis, keepdims)


def std_mean(x: Tensor, axis: Axis = None, unbiased: bool | None = None, keepdims: bool = False, *,
             correction: Number | None = None, ddof: Number | None = None) -> tuple:
    """``(std(x, ...), mean(x, ...))`` over the same axes, a tuple (the arguments are ``std``'s).
    PyTorch: ``torch.std_mean(x, dim, *, correction=1, keepdim=False)``."""
    s = _variance(x, axis, keepdims, unbiased, correction, ddof, "std_mean").sqrt()
    axis = None if isinstance(axis, (bool, np.bool_)) else axis
    return s, mean(x, axis, keepdims)


MinMax = collections.namedtuple("MinMax", "min max")
MinMax.__doc__ = "(min, max): what aminmax returns, like torch.return_types.aminmax."


def aminmax(x: Tensor, *, axis: int | None = None, keepdims: bool = False) -> MinMax:
    """The smallest and the largest value, as the named tuple ``(min, max)``, over every element (``axis`` None) or
    along one axis (``dim=``; ``keepdim`` keeps it as size 1).

    Mirrors ``torch.aminmax(x, *, dim=None, keepdim=False)``: ``amin`` and ``amax``, so tied extremes share the
    gradient, as PyTorch's do."""
    if axis is not None and (isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer))):
        raise TypeError(f"aminmax: dim must be one int or None, got {axis!r}")
    if x._data.size == 0 and (axis is None or x.shape[normalize_axis(axis, x.ndim, "aminmax")[0]] == 0):
        raise ArgumentError(f"aminmax: cannot reduce over a zero-size axis (shape {x.shape}, dim {axis}): the "
                            "operation has no identity")
    return MinMax(amin(x, axis, keepdims), amax(x, axis, keepdims))


def _float_input(x: Tensor, dtype, op: str) -> Tensor:
    """x in ``dtype`` (if given), checked to be floating point (PyTorch refuses integer input here)."""
    if dtype is not None:
        x = x.astype(dtype)
    if x.dtype.kind not in "fc":
        raise TypeError(f"{op}: expected a floating point tensor, got dtype {x.dtype} (as PyTorch); convert it with "
                        ".float() or pass dtype=")
    return x


def vector_norm(x: Tensor, ord: Number = 2, axis: Axis = None, keepdims: bool = False, *,
                dtype: object = None) -> Tensor:
    """The vector ``ord``-norm over ``axis`` (None: all elements, as one vector): (sum |x|^ord)^(1/ord); ord = inf
    the largest |x|, -inf the smallest, 0 the number of nonzero elements.

    Args:
        ord: a number: 2 (Euclidean), 1, inf, -inf, 0 or any other float.
        axis: None, an int or a tuple of ints (``dim=``).
        keepdims: keep the reduced axes as size 1 (``keepdim=``).
        dtype: compute in this dtype (x is cast first).
    Mirrors ``torch.linalg.vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None)``; the gradient at the
    zero vector is PyTorch's subgradient 0 (``VectorNorm``)."""
    x = _float_input(x, dtype, "vector_norm")
    if isinstance(ord, (bool, np.bool_)) or not isinstance(ord, (int, float, np.integer, np.floating)):
        raise TypeError(f"vector_norm: ord must be a number, got {ord!r}")
    axes = normalize_axis(axis, x.ndim, "vector_norm")
    if abs(float(ord)) == math.inf and x._data.size == 0 and any(x.shape[i] == 0 for i in axes):
        raise ArgumentError(f"vector_norm: cannot compute the {ord} norm over a zero-size axis (shape {x.shape}, axes "
                            f"{axes}): the operation has no identity")
    return VectorNorm.apply(x, float(ord), axes, keepdims)


def norm(x: Tensor, p: Number | str | None = "fro", axis: Axis = None, keepdims: bool = False,
         dtype: object = None) -> Tensor:
    """The norm of x over ``axis``: p = 'fro' (the default) or 2 the Euclidean norm of the elements, any other
    number the vector p-norm (``vector_norm``: 1, inf, -inf, 0, other floats).

    Args:
        p: 'fro', a number, or None (2); 'nuc' (the nuclear norm) is refused.
        axis: None (every element), an int or a tuple (``dim=``; 'fro' takes at most 2 axes).
        keepdims: keep the reduced axes as size 1 (``keepdim=``).
        dtype: compute in this dtype.
    Mirrors ``torch.norm(x, p='fro', dim=None, keepdim=False, dtype=None)`` / ``torch.Tensor.norm``, which PyTorch
    computes as ``linalg.vector_norm`` for these p; the gradient at the zero vector is 0, as there."""
    if isinstance(p, str):
        if p == "nuc":
            raise ArgumentError("norm: p='nuc' (the nuclear norm, a sum of singular values) is not supported here")
        if p != "fro":
            raise ArgumentError(f"norm: p must be 'fro', 'nuc' or a number, got {p!r}")
        if axis is not None and not isinstance(axis, (int, np.integer)) and len(tuple(axis)) > 2:
            raise ArgumentError(f"norm: p='fro' is a matrix norm: dim must be an int or a 2-tuple, got {axis!r}")
        p = 2
    return vector_norm(x, 2 if p is None else p, axis, keepdims, dtype=dtype)


def nansum(x: Tensor, axis: Axis = None, keepdims: bool = False, *, dtype: object = None) -> Tensor:
    """The sum over ``axis`` (None: all) with NaN counted as 0.

    Args:
        axis: None, an int or a tuple (``dim=``); keepdims: keep the reduced axes (``keepdim=``).
        dtype: sum in this dtype (x is cast first).
    Mirrors ``torch.nansum(x, dim=None, keepdim=False, *, dtype=None)``. The NaNs are filled with 0 first, so
    their gradient is 0 and every other element's is g."""
    if dtype is not None:
        x = x.astype(dtype)
    if x.dtype.kind in "fc":
        nan = xp_of(x._data).isnan(x._data)
        if nan.any():
            x = x.masked_fill(nan, 0.0)
    return sum(x, axis, keepdims)


def nanmean(x: Tensor, axis: Axis = None, keepdims: bool = False, *, dtype: object = None) -> Tensor:
    """The mean over ``axis`` (None: all) of the elements that are not NaN: nansum / their count (NaN where a slice
    has none).

    Args:
        axis: None, an int or a tuple (``dim=``); keepdims: keep the reduced axes (``keepdim=``).
        dtype: compute in this dtype; x must be floating point (as PyTorch asks).
    Mirrors ``torch.nanmean(x, dim=None, keepdim=False, *, dtype=None)``, which is the same composition."""
    x = _float_input(x, dtype, "nanmean")
    kept = ~xp_of(x._data).isnan(x._data)
    count = Tensor(kept.sum(axis=normalize_axis(axis, x.ndim, "nanmean"), keepdims=keepdims).astype(x.dtype))
    with np.errstate(invalid="ignore", divide="ignore"):  # a slice of NaNs only: 0 / 0 = NaN, as PyTorch
        return nansum(x, axis, keepdims) / count


def count_nonzero(x: Tensor, axis: Axis = None) -> Tensor:
    """How many elements over ``axis`` (None: all; an int or a tuple) are nonzero, an int64 tensor (no gradient).
    Mirrors ``torch.count_nonzero(x, dim=None)``."""
    axes = normalize_axis(axis, x.ndim, "count_nonzero")
    return Tensor(xp_of(x._data).asarray((x._data != 0).sum(axis=axes)).astype(np.int64))


def _arg_extreme(x: Tensor, axis, keepdims: bool, largest: bool, op: str) -> Tensor:
    if axis is not None and not isinstance(axis, (int, np.integer)):
        raise ArgumentError(f"{op}: axis must be one int or None, got {axis!r}")
    axes = normalize_axis(axis, x.ndim, op)
    _check_not_empty(x, axes, op)
    return ArgMax.apply(x.detach(), None if axis is None or not axes else axes[0], keepdims, largest)


def argmax(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The index of the largest value along ``axis`` (None: in the flattened tensor), the first at ties; int64, no
    gradient. PyTorch: ``torch.argmax(x, dim, keepdim)``."""
    return _arg_extreme(x, axis, keepdims, True, "argmax")


def argmin(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The index of the smallest value along ``axis`` (None: in the flattened tensor), the first at ties; int64, no
    gradient. PyTorch: ``torch.argmin(x, dim, keepdim)``."""
    return _arg_extreme(x, axis, keepdims, False, "argmin")


def all_(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Whether every element over ``axis`` (None: all) is nonzero, a boolean tensor (no gradient).
    PyTorch: ``torch.all(x, dim, keepdim)``."""
    axes = normalize_axis(axis, x.ndim, "all")
    return Tensor(xp_of(x._data).asarray(x._data.astype(bool).all(axis=axes, keepdims=keepdims)))


def any_(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Whether any element over ``axis`` (None: all) is nonzero, a boolean tensor (no gradient).
    PyTorch: ``torch.any(x, dim, keepdim)``."""
    axes = normalize_axis(axis, x.ndim, "any")
    return Tensor(xp_of(x._data).asarray(x._data.astype(bool).any(axis=axes, keepdims=keepdims)))


BINDINGS = [
    bind(sum, method="sum", tg="sum"),
    bind(mean, method="mean", tg="mean"),
    bind(amax, method=True, tg=True),
    bind(amin, method=True, tg=True),
    bind(max, method=True, tg=True),
    bind(median, method=True, tg=True),
    bind(min, method=True, tg=True),
    bind(logsumexp, method="logsumexp", tg="logsumexp"),
    bind(prod, method="prod", tg="prod"),
    bind(var, method="var", tg="var"),
    bind(std, method="std", tg="std"),
    bind(var_mean, tg="var_mean"),
    bind(std_mean, tg="std_mean"),
    bind(aminmax, method=True, tg=True),
    bind(norm, method=True, tg=True),
    bind(nansum, method=True, tg=True),
    bind(nanmean, method=True, tg=True),
    bind(count_nonzero, method=True, tg=True),
    bind(argmax, method="argmax", tg="argmax"),
    bind(argmin, method="argmin", tg="argmin"),
    bind(all_, method="all", tg="all"),
    bind(any_, method="any", tg="any"),
]


def _pair(vm):
    """One tensor from a (var or std, mean) pair, each part weighted differently so a mixed-up gradient shows."""
    return vm[0] * 2.0 + vm[1] * 3.0


CASES = [
    OpCase("sum", lambda a: a.sum(), ((3, 4),), torch=lambda torch, a: a.sum()),
    OpCase("sum_axis", lambda a: a.sum(axis=-1, keepdims=True), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.sum(-1, keepdim=True)),
    OpCase("sum_channels", lambda a: a.sum(axis=(0, 2, 3)), ((2, 3, 4, 5),), draw="fixed",
           torch=lambda torch, a: a.sum((0, 2, 3))),
    OpCase("mean", lambda a: a.mean(axis=0), ((3, 4),), min_ndim=1, torch=lambda torch, a: a.mean(0)),
    OpCase("mean_dims", lambda a: a.mean(dim=(0, -1), keepdim=True), ((3, 4),), min_ndim=2,
           torch=lambda torch, a: a.mean((0, -1), keepdim=True)),
    OpCase("amax", lambda a: a.amax(axis=-1), ((3, 4),), sample=distinct, min_ndim=1,
           torch=lambda torch, a: a.amax(-1)),
    OpCase("amax_keepdim", lambda a: a.amax(dim=(0, -1), keepdim=True), ((3, 4),), sample=distinct, min_ndim=2,
           torch=lambda torch, a: a.amax((0, -1), keepdim=True)),
    OpCase("amin", lambda a: a.amin(), ((3, 4),), sample=distinct, torch=lambda torch, a: a.amin()),
    OpCase("max", lambda a: a.max(), ((3, 4),), sample=distinct, torch=lambda torch, a: a.max()),
    # (values, indices): the row weights the values by the indices, so a wrong index shows in the gradient's value
    OpCase("max_dim", lambda a: a.max(dim=-1).values * (1 + a.max(-1).indices), ((3, 4),), sample=distinct,
           min_ndim=1, torch=lambda torch, a: a.max(-1).values * (1 + a.max(-1).indices), exact_twin=False),
    OpCase("max_dim_keepdim", lambda a: a.max(0, keepdim=True)[0], ((3, 4),), sample=distinct, min_ndim=1,
           torch=lambda torch, a: a.max(0, keepdim=True)[0]),
    OpCase("min_dim", lambda a: a.min(dim=0).values * (1 + a.min(0)[1]), ((3, 4),), sample=distinct, min_ndim=1,
           torch=lambda torch, a: a.min(0).values * (1 + a.min(0)[1]), exact_twin=False),
    OpCase("min", lambda a: a.min(), ((3, 4),), sample=distinct, torch=lambda torch, a: a.min()),
    OpCase("median", lambda a: a.median(), ((3, 4),), sample=distinct, torch=lambda torch, a: a.median()),
    OpCase("median_dim", lambda a: a.median(0, keepdim=True).values * (1 + a.median(0, keepdim=True).indices),
           ((3, 4),), sample=distinct, min_ndim=1,
           torch=lambda torch, a: a.median(0, keepdim=True).values * (1 + a.median(0, keepdim=True).indices),
           exact_twin=False),
    OpCase("var", lambda a: a.var(), ((3, 4),), draw="fixed", torch=lambda torch, a: a.var()),
    OpCase("var_ddof0", lambda a: a.var(ddof=0), ((3, 4),), torch=lambda torch, a: a.var(correction=0)),
    OpCase("var_ddof1", lambda a: a.var(axis=0, ddof=1), ((3, 4),), draw="fixed",
           torch=lambda torch, a: a.var(0, correction=1)),
    OpCase("var_unbiased", lambda a: a.var(1, False, True), ((3, 4),), draw="fixed",
           torch=lambda torch, a: a.var(1, False, True)),
    OpCase("var_correction", lambda a: a.var(dim=0, correction=2, keepdim=True), ((5, 3),), draw="fixed",
           torch=lambda torch, a: a.var(0, correction=2, keepdim=True)),
    OpCase("std", lambda a: a.std(axis=-1, keepdims=True), ((3, 4),), draw="fixed",
           torch=lambda torch, a: a.std(-1, keepdim=True)),
    OpCase("std_correction0", lambda a: a.std(dim=0, correction=0), ((3, 4),), draw="fixed",
           torch=lambda torch, a: a.std(0, correction=0)),
    OpCase("var_mean", lambda a: _pair(var_mean(a, axis=-1)), ((3, 4),), draw="fixed",
           torch=lambda torch, a: _pair(torch.var_mean(a, -1))),
    OpCase("std_mean", lambda a: _pair(std_mean(a, 0, correction=0, keepdims=True)), ((3, 4),), draw="fixed",
           torch=lambda torch, a: _pair(torch.std_mean(a, 0, correction=0, keepdim=True))),
    OpCase("logsumexp", lambda a: a.logsumexp(axis=-1), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: torch.logsumexp(a, -1)),
    OpCase("prod", lambda a: a.prod(), ((3, 4),), torch=lambda torch, a: a.prod()),
    OpCase("prod_axis", lambda a: a.prod(axis=0, keepdims=True), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.prod(0, keepdim=True)),
    OpCase("norm", lambda a: a.norm(), ((3, 4),), torch=lambda torch, a: a.norm()),
    OpCase("norm_dim", lambda a: a.norm(dim=-1, keepdim=True), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.norm(dim=-1, keepdim=True)),
    OpCase("norm_fro_dims", lambda a: norm(a, "fro", (0, -1)), ((2, 3, 4),), draw="fixed",
           torch=lambda torch, a: torch.norm(a, "fro", (0, -1))),
    OpCase("norm_p1", lambda a: a.norm(1, 0), ((3, 4),), sample=nonzero, min_ndim=1,
           torch=lambda torch, a: a.norm(1, 0)),
    OpCase("norm_inf", lambda a: a.norm(float("inf"), -1), ((3, 4),), sample=nonzero, min_ndim=1,
           torch=lambda torch, a: a.norm(float("inf"), -1)),
    OpCase("norm_minus_inf", lambda a: a.norm(-math.inf), ((3, 4),), sample=nonzero,
           torch=lambda torch, a: a.norm(-math.inf)),
    OpCase("norm_p3", lambda a: a.norm(3, (0, 1)), ((3, 4),), sample=nonzero, min_ndim=2,
           torch=lambda torch, a: a.norm(3, (0, 1))),
    OpCase("norm_p1.5", lambda a: a.norm(1.5), ((3, 4),), sample=nonzero, torch=lambda torch, a: a.norm(1.5)),
    OpCase("norm_p0.5", lambda a: a.norm(0.5, -1), ((3, 4),), sample=nonzero, min_ndim=1,
           torch=lambda torch, a: a.norm(0.5, -1)),
    OpCase("norm_p-1", lambda a: a.norm(-1), ((3, 4),), sample=nonzero, torch=lambda torch, a: a.norm(-1)),
    # p = 0 counts nonzeros: no gradient, so the row multiplies a by it
    OpCase("norm_p0", lambda a: a * a.norm(0, -1, True), ((3, 4),), sample=nonzero, min_ndim=1,
           torch=lambda torch, a: a * a.norm(0, -1, True), exact_twin=False),
    OpCase("nansum", lambda a: a.masked_fill(pattern(a.shape), math.nan).nansum(dim=-1), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.masked_fill(torch_pattern(torch, a.shape), math.nan).nansum(-1), exact_twin=False),
    OpCase("nanmean", lambda a: nanmean(a.masked_fill(pattern(a.shape, 2), math.nan)), ((3, 4),), draw="fixed",
           torch=lambda torch, a: torch.nanmean(a.masked_fill(torch_pattern(torch, a.shape, 2), math.nan)),
           exact_twin=False),
    OpCase("nanmean_dim", lambda a: a.masked_fill(pattern(a.shape), math.nan).nanmean(0, keepdim=True), ((3, 4),),
           draw="fixed", exact_twin=False,
           torch=lambda torch, a: a.masked_fill(torch_pattern(torch, a.shape), math.nan).nanmean(0, keepdim=True)),
    OpCase("aminmax", lambda a: _pair(a.aminmax(dim=-1)), ((3, 4),), sample=distinct, min_ndim=1,
           torch=lambda torch, a: _pair(a.aminmax(dim=-1)), exact_twin=False),
    OpCase("aminmax_all", lambda a: _pair(aminmax(a, keepdims=True)), ((3, 4),), sample=distinct,
           torch=lambda torch, a: _pair(torch.aminmax(a, keepdim=True)), exact_twin=False),
    # the index and truth reductions have no gradient: each row multiplies a by their (constant) result
    OpCase("argmax", lambda a: a * a.argmax(axis=-1, keepdims=True), ((3, 4),), sample=distinct, min_ndim=1,
           torch=lambda torch, a: a * a.argmax(-1, keepdim=True), exact_twin=False),
    OpCase("argmin", lambda a: a * a.argmin(axis=0), ((3, 4),), sample=distinct, min_ndim=1,
           torch=lambda torch, a: a * torch.argmin(a, 0), exact_twin=False),
    OpCase("all", lambda a: a * (a > 0).all(axis=-1, keepdims=True), ((3, 4),), sample=nonzero, min_ndim=1,
           torch=lambda torch, a: a * (a > 0).all(-1, keepdim=True), exact_twin=False),
    OpCase("count_nonzero", lambda a: a * (a > 0).count_nonzero(0), ((3, 4),), sample=nonzero, min_ndim=1,
           torch=lambda torch, a: a * (a > 0).count_nonzero(0), exact_twin=False),
    OpCase("any", lambda a: a * (a > 1).any(axis=0), ((3, 4),), sample=nonzero, min_ndim=1,
           torch=lambda torch, a: a * (a > 1).any(0), exact_twin=False),
]

