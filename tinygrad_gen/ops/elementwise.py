"""Elementwise math: arithmetic and its Python operators (``a + b``, ``a ** b``, ``a % b`` ...), the float functions
(exp, log, sqrt, rsqrt, sin, cos, log2, exp2, erf), the piecewise ones (abs, clip, maximum / minimum, copysign, the
rounding family) and the choices (where, masked_fill).

Each output element depends on the input elements at the same position only, so every local derivative is a
number per element and each backward is one elementwise product with the incoming gradient ``g``. Broadcasting is
undone in one place (``autograd.unbroadcast``): a backward here returns its gradient at the broadcast output shape,
and the engine sums it back to each input's shape.

Dtypes follow PyTorch. A Python number (or a NumPy scalar, made a number by ``checks.operand``) never upcasts a
tensor: NumPy treats it as weak (NEP 50), so ``x * 0.5`` stays float32. NumPy gives float64 in places where
PyTorch, whose default float dtype is float32, does not (an integer array with a Python float, ``int / int``,
``exp`` of an integer, float32 with int64): ``_promoted`` turns such a result back into float32 unless an operand is
a float64 tensor, and ``checks.as_float`` makes a float function of an integer or boolean array compute in float32.

The functions users call carry PyTorch's names, so ``abs``, ``round`` and ``pow`` here are the tensor functions (this
module never calls Python's builtins of those names).
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from ..backend import xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import Number, Tensor, TensorLike
from . import special
from .case import OpCase, clip_inputs, nonzero, normal, pattern, positive, torch_pattern
from .checks import as_float, as_tensor, boolean_mask, constant, constant_like, operand

_F64 = np.dtype(np.float64)
_LN2 = math.log(2.0)


def _promoted(out, a, b):
    """``out`` (a float64 NumPy result of ``a`` and ``b``) in PyTorch's dtype: float64 only when an operand is a
    float64 tensor, else float32. A 0-d float64 operand is weak, like a number: float32 with axes times a 0-d float64
    stays float32. Callers check ``out.dtype is _F64`` first, so the float32 path pays one identity check."""
    da, db = getattr(a, "dtype", None), getattr(b, "dtype", None)
    if da is _F64 or db is _F64:
        if da is _F64 and db is not None and db.kind == "f" and db is not _F64 and a.ndim == 0 < b.ndim:
            return out.astype(db)
        if db is _F64 and da is not None and da.kind == "f" and da is not _F64 and b.ndim == 0 < a.ndim:
            return out.astype(da)
        return out
    return out.astype(np.float32)


# ----- arithmetic -----
class Add(Function):
    """z = a + b.

    backward: dz/da = dz/db = 1, so da = g, db = g (nothing saved)."""
    @staticmethod
    def forward(ctx, a, b):
        out = a + b
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    """z = a - b.

    backward: dz/da = 1, dz/db = -1, so da = g, db = -g (nothing saved)."""
    @staticmethod
    def forward(ctx, a, b):
        out = a - b
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Neg(Function):
    """z = -a.

    backward: dz/da = -1, so da = -g (nothing saved)."""
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Mul(Function):
    """z = a * b.

    backward (product rule): dz/da = b, dz/db = a, so da = g * b, db = g * a. Each input is saved only when the
    other one's gradient needs it, as PyTorch does (``x * 2`` keeps nothing of x)."""
    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        out = a * b
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(Function):
    """z = a / b.

    backward (quotient rule): dz/da = 1 / b, dz/db = -a / b^2, so da = g / b, db = -g * a / b^2. a is saved only
    when db is needed, as PyTorch does."""
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        out = a / b
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g / b if need_a else None), (-(g * a) / (b * b) if need_b else None)


class Reciprocal(Function):
    """z = 1 / a.

    backward: dz/da = -1 / a^2 = -z^2, so da = -g * z^2 (the output is saved, as PyTorch does)."""
    @staticmethod
    def forward(ctx, a):
        out = 1 / as_float(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return -(g * out * out)


class PowScalar(Function):
    """z = a ** c for a constant number c.

    backward: dz/da = c * a ** (c - 1), so da = g * c * a ** (c - 1). For c = 0, z = 1 is constant and da = 0 (the
    formula would give 0 * inf = nan at a = 0)."""
    @staticmethod
    def forward(ctx, a, c):
        ctx.save_for_backward(a)
        ctx.c = c
        out = a ** c
        return out if out.dtype is not _F64 else _promoted(out, a, c)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        c = ctx.c
        if c == 0:
            return g * 0.0, None
        return g * c * a ** (c - 1), None


class Pow(Function):
    """z = a ** b, the exponent b a tensor (the base a a tensor or a number).

    backward: dz/da = b * a ** (b - 1), dz/db = a ** b * log(a) = z * log(a), so
    da = g * b * a ** (b - 1),  db = g * z * log(a).
    Special values, as PyTorch: where b = 0, da = 0 (z = a ** 0 = 1 is constant, even at a = 0 where the formula
    gives 0 * inf); where a = 0 and b >= 0, db = 0 (z is 0 or 1 near such b, flat in b). Where a = 0 and b < 0 the
    value z = 0 ** b is +inf and db = g * inf * log(0) = -inf; a negative base gives db = nan (log of a negative
    number). a and b are saved, and z too when db is needed."""
    @staticmethod
    def forward(ctx, a, b):
        out = a ** b
        out = out if out.dtype is not _F64 else _promoted(out, a, b)
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = where(b.data == 0, 0.0, g * b * a ** (b - 1)) if need_a else None
        gb = None
        if need_b:
            a_data = a.data if isinstance(a, Tensor) else a
            flat = (a_data == 0) & (b.data >= 0)  # 0 ** b near these b: constant, so db = 0
            if isinstance(a, Tensor):
                log_a = where(flat, 1.0, a).log()
            else:
                log_a = math.log(a) if a > 0 else -math.inf if a == 0 else math.nan
            gb = where(flat, 0.0, g * out * log_a)
        return ga, gb


# ----- float functions -----
class Exp(Function):
    """z = exp(a).

    backward: dz/da = exp(a) = z, the output is its own derivative, so da = g * z (the output is saved)."""
    @staticmethod
    def forward(ctx, a):
        out = np.exp(as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out


class Log(Function):
    """z = log(a), the natural logarithm.

    backward: dz/da = 1 / a, so da = g / a (a is saved). log(0) = -inf and log of a negative number is nan."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / a


class Sqrt(Function):
    """z = sqrt(a) = a ** (1/2).

    backward: dz/da = 1 / (2 sqrt(a)) = 1 / (2 z), so da = g / (2 z) (the output is saved); inf at a = 0."""
    @staticmethod
    def forward(ctx, a):
        out = np.sqrt(as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g / (out * 2)


class Rsqrt(Function):
    """z = 1 / sqrt(a) = a ** (-1/2).

    backward: dz/da = (-1/2) a ** (-3/2) = -z^3 / 2, so da = -g * z^3 / 2 (the output is saved)."""
    @staticmethod
    def forward(ctx, a):
        out = 1 / np.sqrt(as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out * out * out * -0.5


class Sin(Function):
    """z = sin(a).

    backward: dz/da = cos(a), so da = g * cos(a) (a is saved)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sin(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * a.cos()


class Cos(Function):
    """z = cos(a).

    backward: dz/da = -sin(a), so da = -g * sin(a) (a is saved)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cos(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return -(g * a.sin())


class Log2(Function):
    """z = log2(a) = log(a) / log(2).

    backward: dz/da = 1 / (a log 2), so da = g / (a log 2) (a is saved)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log2(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / (a * _LN2)


class Exp2(Function):
    """z = 2 ** a = exp(a log 2).

    backward: dz/da = 2 ** a * log 2 = z log 2, so da = g * z * log 2 (the output is saved)."""
    @staticmethod
    def forward(ctx, a):
        out = np.exp2(as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out * _LN2


class Erf(Function):
    """z = erf(a) = 2 / sqrt(pi) * integral from 0 to a of exp(-t^2) dt, the error function.

    backward (the fundamental theorem of calculus): dz/da = 2 / sqrt(pi) * exp(-a^2), so
    da = g * 2 / sqrt(pi) * exp(-a^2) (a is saved)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return special.erf(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * (a * a * -1).exp() * (2 / math.sqrt(math.pi))


# ----- piecewise functions -----
class Abs(Function):
    """z = |a|.

    backward: dz/da = sign(a) (+1 or -1), so da = g * sign(a); at the kink a = 0, sign(0) = 0 (PyTorch's choice).
    a is saved."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * constant_like(np.sign(a.data), a.data)


_ROUNDING = {"sign": np.sign, "round": np.rint, "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc}


class Rounding(Function):
    """z = sign(a), round(a) (half to even, as PyTorch and NumPy), floor(a), ceil(a) or trunc(a): piecewise constant.
    An integer or boolean input keeps its dtype (rounding it changes nothing; sign of a bool is itself).

    backward: dz/da = 0 wherever the derivative exists (between the jumps), so da = 0; PyTorch gives 0 at the jumps
    too. Nothing is saved."""
    @staticmethod
    def forward(ctx, a, fn):
        if a.dtype.kind == "b" or (a.dtype.kind in "iu" and fn != "sign"):
            return a.copy()
        return _ROUNDING[fn](a)

    @staticmethod
    def backward(ctx, g):
        return g * 0.0, None


class Clip(Function):
    """z = min(max(a, lo), hi), either bound None for none.

    backward: dz/da = 1 where lo <= a <= hi (the bounds inclusive, as PyTorch) and 0 outside, so
    da = g * [lo <= a <= hi] (a is saved)."""
    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        out = np.clip(a, lo, hi)
        return out if out.dtype is not _F64 else _promoted(out, a, lo if hi is None else hi)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        inside = xp_of(a.data).ones(a.shape, bool)
        if ctx.lo is not None:
            inside &= a.data >= ctx.lo
        if ctx.hi is not None:
            inside &= a.data <= ctx.hi
        return g * constant_like(inside, g.data), None, None


class Maximum(Function):
    """z = max(a, b) elementwise (``lower=True``: z = min(a, b)).

    backward: z is a where a wins and b where b wins, so da = g where a wins, db = g where b wins; at a tie
    (a = b) each gets g / 2 (PyTorch's choice). Both inputs are saved."""
    @staticmethod
    def forward(ctx, a, b, lower=False):
        ctx.save_for_backward(a, b)
        ctx.lower = lower
        out = np.minimum(a, b) if lower else np.maximum(a, b)
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a = a.data if isinstance(a, Tensor) else a
        b = b.data if isinstance(b, Tensor) else b
        wins = (a < b) if ctx.lower else (a > b)
        share = constant_like(wins + (a == b) * 0.5, g.data)  # 1 where a wins, 1/2 at a tie, 0 where b wins
        need_a, need_b = ctx.needs_input_grad[:2]
        return (g * share if need_a else None), (g * (1 - share) if need_b else None), None


class Copysign(Function):
    """z = |a| with the sign of b (``np.copysign``).

    backward: z = |a| sign(b), so dz/da = sign(a) sign(b) = z / a for a != 0, and da = g * z / a, with da = 0 at
    a = 0 (PyTorch's choice); z is piecewise constant in b, so db = 0. a and the output are saved."""
    @staticmethod
    def forward(ctx, a, b):
        out = np.copysign(as_float(a), b)
        out = out if out.dtype is not _F64 else _promoted(out, a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        zero = a.data == 0
        da = g * where(zero, 0.0, out / where(zero, 1.0, a))
        return da, (g * 0.0 if ctx.needs_input_grad[1] else None)


class FloorDivide(Function):
    """z = floor(a / b) (Python's ``//``, PyTorch's floor_divide).

    backward: z is piecewise constant in a and in b, so da = db = 0 (PyTorch has no derivative here; 0 is the
    derivative wherever one exists). Nothing is saved."""
    @staticmethod
    def forward(ctx, a, b):
        out = np.floor_divide(a, b)
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        return (g * 0.0 if need_a else None), (g * 0.0 if need_b else None)


class Remainder(Function):
    """z = a - b * floor(a / b), which has the sign of b (Python's ``%``, PyTorch's remainder).

    backward (floor is piecewise constant): dz/da = 1, dz/db = -floor(a / b), so da = g, db = -g * floor(a / b).
    a and b are saved only when db is needed, as PyTorch does."""
    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad[1]:
            ctx.save_for_backward(a, b)
        out = np.mod(a, b)
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        db = None
        if need_b:
            a, b = ctx.saved_tensors
            q = np.floor_divide(a.data if isinstance(a, Tensor) else a, b.data)
            db = -(g * constant_like(q, g.data))
        return (g if need_a else None), db


# ----- choices -----
class Where(Function):
    """z = a where cond else b, cond a constant boolean array.

    backward: dz/da = [cond], dz/db = [not cond], so da = g * cond, db = g * (1 - cond) (nothing saved; the
    condition, a constant, stays on ctx)."""
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        out = xp_of(cond).where(cond, a, b)
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad[1:]
        cond = ctx.cond
        da = g * constant_like(cond, g.data) if need_a else None
        db = g * constant_like(~cond, g.data) if need_b else None
        return None, da, db


class MaskedFill(Function):
    """z = value where mask else a (mask a constant boolean array that broadcasts to a's shape, value a number).

    backward: dz/da = [not mask], so da = g where the mask is False and 0 where it is True (nothing saved; the
    mask, a constant, stays on ctx)."""
    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.mask = mask
        xp = xp_of(a)
        return xp.where(mask, xp.asarray(value, dtype=a.dtype), a)

    @staticmethod
    def backward(ctx, g):
        return g * constant_like(~ctx.mask, g.data), None, None


# ----- the functions users call -----
def add(x: Tensor, other: TensorLike) -> Tensor:
    """x + other, broadcast (``x + y``, ``x.add(y)``, ``tg.add``; PyTorch's ``torch.add`` without ``alpha``).

    Args:
        x: a tensor.
        other: a tensor, a number (it never upcasts x) or array-like data (taken in x's float dtype)."""
    return Add.apply(x, operand(other, x))


def radd(x: Tensor, other: TensorLike) -> Tensor:
    """other + x, for a number or array-like ``other`` on the left (Python's ``__radd__``)."""
    return Add.apply(operand(other, x), x)


def sub(x: Tensor, other: TensorLike) -> Tensor:
    """x - other, broadcast (``x - y``, ``x.sub(y)``, ``tg.sub``; PyTorch's ``torch.sub`` without ``alpha``).

    Args:
        x: a tensor.
        other: a tensor, a number or array-like data."""
    return Sub.apply(x, operand(other, x))


def rsub(x: Tensor, other: TensorLike) -> Tensor:
    """other - x, for a number or array-like ``other`` on the left (Python's ``__rsub__``; PyTorch's ``rsub``)."""
    return Sub.apply(operand(other, x), x)


def mul(x: Tensor, other: TensorLike) -> Tensor:
    """x * other, broadcast (``x * y``, ``x.mul(y)``, ``tg.mul``; PyTorch's ``torch.mul``).

    Args:
        x: a tensor.
        other: a tensor, a number or array-like data."""
    return Mul.apply(x, operand(other, x))


def rmul(x: Tensor, other: TensorLike) -> Tensor:
    """other * x, for a number or array-like ``other`` on the left (Python's ``__rmul__``)."""
    return Mul.apply(operand(other, x), x)


def div(x: Tensor, other: TensorLike, *, rounding_mode: str | None = None) -> Tensor:
    """x / other, broadcast (``x / y``, ``x.div(y)``, ``tg.div``; PyTorch's ``torch.div``). Integer tensors divide
    to float32 under true division, as in PyTorch.

    Args:
        x: a tensor.
        other: a tensor, a number or array-like data.
        rounding_mode: None (true division), "trunc" (rounded toward zero, C's integer division) or "floor"
            (rounded down, ``x // other``). A rounded quotient keeps integer dtypes and has a zero gradient, as
            in PyTorch."""
    if rounding_mode is None:
        return Div.apply(x, operand(other, x))
    if rounding_mode == "floor":
        return FloorDivide.apply(x, operand(other, x))
    if rounding_mode == "trunc":
        other = operand(other, x)
        if x.dtype.kind == "b" and _kind(other.data if isinstance(other, Tensor) else other) == "b":
            raise TypeError("div: rounding_mode='trunc' is not defined for two boolean operands (as in PyTorch)")
        return TruncDivide.apply(x, other)
    raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")


def rdiv(x: Tensor, other: TensorLike) -> Tensor:
    """other / x (Python's ``__rtruediv__``). A number over a tensor is ``x.reciprocal() * other``, as PyTorch
    computes it (so it saves what PyTorch saves); a tensor over x is a division."""
    other = operand(other, x)
    if isinstance(other, Tensor):
        return Div.apply(other, x)
    return Reciprocal.apply(x) * other


def reciprocal(x: Tensor) -> Tensor:
    """1 / x elementwise (PyTorch's ``torch.reciprocal``); integer tensors give float32."""
    return Reciprocal.apply(x)


def neg(x: Tensor) -> Tensor:
    """-x (``-x``, ``x.neg()``, ``tg.neg``; PyTorch's ``torch.neg``)."""
    return Neg.apply(x)


def pow(x: Tensor, exponent: TensorLike) -> Tensor:
    """x ** exponent, broadcast (``x ** y``, ``x.pow(y)``, ``tg.pow``; PyTorch's ``torch.pow``).

    Args:
        x: the base, a tensor.
        exponent: a number (then only x gets a gradient) or a tensor (both get one)."""
    exponent = operand(exponent, x)
    if isinstance(exponent, Tensor):
        return Pow.apply(x, exponent)
    return pick(PowScalar).apply(x, exponent)


def rpow(x: Tensor, base: TensorLike) -> Tensor:
    """base ** x, for a number or array-like ``base`` on the left (Python's ``__rpow__``)."""
    return Pow.apply(operand(base, x), x)


def floor_divide(x: Tensor, other: TensorLike) -> Tensor:
    """floor(x / other) (``x // y``; PyTorch's ``torch.floor_divide``); integers stay integers. Its gradient is 0.

    Args:
        x: a tensor.
        other: a tensor, a number or array-like data."""
    return FloorDivide.apply(x, operand(other, x))


def rfloor_divide(x: Tensor, other: TensorLike) -> Tensor:
    """floor(other / x), for a number or array-like ``other`` on the left (Python's ``__rfloordiv__``)."""
    return FloorDivide.apply(operand(other, x), x)


def remainder(x: Tensor, other: TensorLike) -> Tensor:
    """x - other * floor(x / other), with the sign of other (``x % y``; PyTorch's ``torch.remainder``).

    Args:
        x: a tensor.
        other: a tensor, a number or array-like data."""
    return Remainder.apply(x, operand(other, x))


def rremainder(x: Tensor, other: TensorLike) -> Tensor:
    """other % x, for a number or array-like ``other`` on the left (Python's ``__rmod__``)."""
    return Remainder.apply(operand(other, x), x)


def exp(x: Tensor) -> Tensor:
    """e ** x elementwise (PyTorch's ``torch.exp``); integer tensors give float32."""
    return Exp.apply(x)


def log(x: Tensor) -> Tensor:
    """The natural logarithm elementwise (PyTorch's ``torch.log``): -inf at 0, nan below."""
    return Log.apply(x)


def sqrt(x: Tensor) -> Tensor:
    """The square root elementwise (PyTorch's ``torch.sqrt``): nan below 0."""
    return Sqrt.apply(x)


def rsqrt(x: Tensor) -> Tensor:
    """1 / sqrt(x) elementwise (PyTorch's ``torch.rsqrt``): inf at 0, nan below."""
    return Rsqrt.apply(x)


def sin(x: Tensor) -> Tensor:
    """The sine elementwise, x in radians (PyTorch's ``torch.sin``)."""
    return Sin.apply(x)


def cos(x: Tensor) -> Tensor:
    """The cosine elementwise, x in radians (PyTorch's ``torch.cos``)."""
    return Cos.apply(x)


def log2(x: Tensor) -> Tensor:
    """The base-2 logarithm elementwise (PyTorch's ``torch.log2``)."""
    return Log2.apply(x)


def exp2(x: Tensor) -> Tensor:
    """2 ** x elementwise (PyTorch's ``torch.exp2``)."""
    return Exp2.apply(x)


def erf(x: Tensor) -> Tensor:
    """The error function elementwise (PyTorch's ``torch.erf``); integer tensors give float32."""
    return pick(Erf).apply(x)


def abs(x: Tensor) -> Tensor:
    """|x| elementwise (PyTorch's ``torch.abs``); its gradient at 0 is 0."""
    return Abs.apply(x)


def sign(x: Tensor) -> Tensor:
    """-1, 0 or +1 by the sign of each element (PyTorch's ``torch.sign``); zero gradient."""
    return Rounding.apply(x, "sign")


def round(x: Tensor) -> Tensor:
    """Each element rounded to the nearest integer, halves to even (PyTorch's ``torch.round``); zero gradient."""
    return Rounding.apply(x, "round")


def floor(x: Tensor) -> Tensor:
    """The largest integer <= x, elementwise (PyTorch's ``torch.floor``); zero gradient."""
    return Rounding.apply(x, "floor")


def ceil(x: Tensor) -> Tensor:
    """The smallest integer >= x, elementwise (PyTorch's ``torch.ceil``); zero gradient."""
    return Rounding.apply(x, "ceil")


def trunc(x: Tensor) -> Tensor:
    """x rounded toward zero, elementwise (PyTorch's ``torch.trunc``); zero gradient."""
    return Rounding.apply(x, "trunc")


def _bound(value, x: Tensor, name: str, op: str):
    """A clip bound: None, or a number (a NumPy scalar or one-element tensor becomes one, so it never upcasts x)."""
    if value is None:
        return None
    value = operand(value, x)
    if isinstance(value, Tensor):
        if value.data.size != 1:
            raise TypeError(f"{op}: {name} must be a number, got a tensor of shape {value.shape}")
        value = value.item()
    return value


def clip(x: Tensor, lo: Number | None = None, hi: Number | None = None) -> Tensor:
    """Each element limited to [lo, hi] (PyTorch's ``torch.clip``; ``tg.clamp`` takes ``min=``/``max=``).

    Args:
        x: a tensor.
        lo, hi: numbers; either may be None (no bound on that side), not both. The gradient is 1 inside the
            bounds (inclusive) and 0 outside."""
    if lo is None and hi is None:
        raise ValueError("clip: at least one of lo, hi must be given")
    return Clip.apply(x, _bound(lo, x, "lo", "clip"), _bound(hi, x, "hi", "clip"))


def clamp(x: Tensor, min: Number | None = None, max: Number | None = None) -> Tensor:
    """Each element limited to [min, max] (PyTorch's ``torch.clamp``): ``clip`` with PyTorch's keywords.

    Args:
        x: a tensor.
        min, max: numbers; either may be None, not both."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min, max must be given")
    return Clip.apply(x, _bound(min, x, "min", "clamp"), _bound(max, x, "max", "clamp"))


def maximum(x: Tensor, other: TensorLike) -> Tensor:
    """The larger of x and other, elementwise and broadcast (PyTorch's ``torch.maximum``); at a tie each side gets
    half the gradient, as in PyTorch.

    Args:
        x: a tensor.
        other: a tensor, a number or array-like data."""
    return Maximum.apply(x, operand(other, x), False)


def minimum(x: Tensor, other: TensorLike) -> Tensor:
    """The smaller of x and other, elementwise and broadcast (PyTorch's ``torch.minimum``); ties split the gradient.

    Args:
        x: a tensor.
        other: a tensor, a number or array-like data."""
    return Maximum.apply(x, operand(other, x), True)


def copysign(x: Tensor, other: TensorLike) -> Tensor:
    """|x| with the sign of other, elementwise and broadcast (PyTorch's ``torch.copysign``).

    Args:
        x: a tensor.
        other: a tensor, a number or array-like data; it gets a zero gradient."""
    return Copysign.apply(x, operand(other, x))


def square(x: Tensor) -> Tensor:
    """x * x elementwise (PyTorch's ``torch.square``)."""
    return x * x


def where(cond: TensorLike, a: TensorLike, b: TensorLike) -> Tensor:
    """a where cond is True, else b, broadcast together (PyTorch's ``torch.where``); gradients flow to the side
    chosen at each position.

    Args:
        cond: a boolean tensor, array or list (a constant).
        a, b: tensors, numbers or array-like data (data joins the other side's float dtype)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = as_tensor(a)
    like = a if isinstance(a, Tensor) else b
    cond = constant(cond, like)
    if cond.dtype != bool:
        raise TypeError(f"where: cond must be boolean, got dtype {cond.dtype} (shape {cond.shape})")
    return Where.apply(cond, operand(a, like), operand(b, like))


def masked_fill(x: Tensor, mask: TensorLike, value: TensorLike) -> Tensor:
    """x with ``value`` written where ``mask`` is True (PyTorch's ``Tensor.masked_fill``); no gradient reaches x
    there.

    Args:
        x: a tensor.
        mask: a boolean tensor, array or list that broadcasts to x's shape (a constant).
        value: a number, or a one-element tensor (which then gets the gradient of the filled positions)."""
    mask = boolean_mask(mask, x, "masked_fill")
    if isinstance(value, Tensor):
        if value.data.size != 1:
            raise ValueError(f"masked_fill: value must be a number or a one-element tensor, got shape {value.shape}")
        return where(mask, value.reshape(()).astype(x.dtype), x)
    return MaskedFill.apply(x, mask, operand(value, x))


def isclose(x: Tensor, other: TensorLike, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|x - other| <= atol + rtol * |other| elementwise, a constant boolean tensor (PyTorch's ``torch.isclose``,
    with its defaults).

    Args:
        x: a tensor.
        other: a tensor, a number or array-like data.
        rtol, atol: the relative and absolute tolerance.
        equal_nan: whether two NaNs count as close."""
    other = operand(other, x)
    o = other.data if isinstance(other, Tensor) else other
    return Tensor(xp_of(x.data).isclose(x.data, o, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(x: Tensor, other: TensorLike, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether every element of x is close to other (``isclose`` everywhere; PyTorch's ``torch.allclose``)."""
    return bool(isclose(x, other, rtol, atol, equal_nan).data.all())


BINDINGS = [
    bind(add, method="__add__ add", tg="add"),
    bind(radd, method="__radd__"),
    bind(sub, method="__sub__ sub", tg="sub"),
    bind(rsub, method="__rsub__"),
    bind(mul, method="__mul__ mul", tg="mul"),
    bind(rmul, method="__rmul__"),
    bind(div, method="__truediv__ div", tg="div"),
    bind(rdiv, method="__rtruediv__"),
    bind(pow, method="__pow__ pow", tg="pow"),
    bind(rpow, method="__rpow__"),
    bind(neg, method="__neg__ neg", tg="neg"),
    bind(floor_divide, method="__floordiv__ floor_divide", tg="floor_divide"),
    bind(rfloor_divide, method="__rfloordiv__"),
    bind(remainder, method="__mod__ remainder", tg="remainder"),
    bind(rremainder, method="__rmod__"),
    bind(reciprocal, method=True, tg=True),
    bind(exp, method=True, tg=True),
    bind(log, method=True, tg=True),
    bind(sqrt, method=True, tg=True),
    bind(rsqrt, method=True, tg=True),
    bind(sin, method=True, tg=True),
    bind(cos, method=True, tg=True),
    bind(log2, method=True, tg=True),
    bind(exp2, method=True, tg=True),
    bind(erf, method=True, tg=True),
    bind(abs, method=True, tg=True),
    bind(sign, method=True, tg=True),
    bind(round, method=True, tg=True),
    bind(floor, method=True, tg=True),
    bind(ceil, method=True, tg=True),
    bind(trunc, method=True, tg=True),
    bind(clip, method=True, tg=True),
    bind(clamp, method=True, tg=True),
    bind(maximum, method=True, tg=True),
    bind(minimum, method=True, tg=True),
    bind(copysign, method=True, tg=True),
    bind(square, method=True, tg=True),
    bind(masked_fill, method=True, tg=True),
    bind(where, tg=True),
    bind(isclose, method=True, tg=True),
    bind(allclose, method=True, tg=True),
]


# ----- the rows: gradchecks, PyTorch twins (called with the torch module first), the in-place probe -----
def _bshape(a, b):
    return np.broadcast_shapes(tuple(a.shape), tuple(b.shape))


CASES = [
    OpCase("add", lambda a, b: a + b, ((3, 4), (4,)), draw="broadcast", torch=lambda torch, a, b: a + b),
    OpCase("sub", lambda a, b: a - b, ((3, 1), (1, 4)), draw="broadcast", torch=lambda torch, a, b: a - b),
    OpCase("mul", lambda a, b: a * b, ((2, 3, 4), (3, 1)), draw="broadcast", torch=lambda torch, a, b: a * b),
    OpCase("div", lambda a, b: a / b, ((3, 4), (4,)), sample=(normal, positive), draw="broadcast",
           torch=lambda torch, a, b: a / b),
    OpCase("neg", lambda a: -a, ((3, 4),), torch=lambda torch, a: -a),
    OpCase("add_scalar", lambda a: 2.5 + a - 1, ((3, 4),), torch=lambda torch, a: 2.5 + a - 1),
    OpCase("rsub_scalar", lambda a: 1.5 - a, ((3, 4),), torch=lambda torch, a: 1.5 - a),
    OpCase("mul_scalar", lambda a: 3 * a * 0.5, ((3, 4),), torch=lambda torch, a: 3 * a * 0.5),
    OpCase("div_scalar", lambda a: a / 4.0, ((3, 4),), torch=lambda torch, a: a / 4.0),
    OpCase("rdiv_scalar", lambda a: 2.0 / a, ((3, 4),), sample=positive, torch=lambda torch, a: 2.0 / a),
    OpCase("reciprocal", lambda a: a.reciprocal(), ((3, 4),), sample=positive,
           torch=lambda torch, a: torch.reciprocal(a)),
    OpCase("pow_scalar", lambda a: a ** 3, ((3, 4),), torch=lambda torch, a: a ** 3),
    OpCase("pow_square", lambda a: a ** 2, ((3, 4),), torch=lambda torch, a: a ** 2),
    OpCase("pow_fractional", lambda a: a ** 1.5, ((3, 4),), sample=positive, torch=lambda torch, a: a ** 1.5),
    OpCase("pow", lambda a, b: a ** b, ((3, 4), (3, 4)), sample=(positive, normal), draw="broadcast",
           torch=lambda torch, a, b: a ** b),
    OpCase("rpow_scalar", lambda a: 2.0 ** a, ((3, 4),), torch=lambda torch, a: 2.0 ** a),
    OpCase("square", lambda a: a.square(), ((3, 4),), torch=lambda torch, a: torch.square(a)),
    OpCase("exp", lambda a: a.exp(), ((3, 4),), torch=lambda torch, a: torch.exp(a)),
    OpCase("log", lambda a: a.log(), ((3, 4),), sample=positive, torch=lambda torch, a: torch.log(a)),
    OpCase("sqrt", lambda a: a.sqrt(), ((3, 4),), sample=positive, torch=lambda torch, a: torch.sqrt(a)),
    OpCase("rsqrt", lambda a: a.rsqrt(), ((3, 4),), sample=positive, torch=lambda torch, a: torch.rsqrt(a)),
    OpCase("sin", lambda a: a.sin(), ((3, 4),), torch=lambda torch, a: torch.sin(a)),
    OpCase("cos", lambda a: cos(a), ((3, 4),), torch=lambda torch, a: torch.cos(a)),
    OpCase("log2", lambda a: a.log2(), ((3, 4),), sample=positive, torch=lambda torch, a: torch.log2(a)),
    OpCase("exp2", lambda a: a.exp2(), ((3, 4),), torch=lambda torch, a: torch.exp2(a)),
    OpCase("erf", lambda a: a.erf(), ((3, 4),), torch=lambda torch, a: torch.erf(a)),
    OpCase("abs", lambda a: a.abs(), ((3, 4),), sample=nonzero, torch=lambda torch, a: torch.abs(a)),
    # the rounding ops have a zero gradient: each row adds a term with a nonzero one, so a gradcheck means something
    OpCase("sign", lambda a: a.sign() + a, ((3, 4),), sample=nonzero, torch=lambda torch, a: a.sign() + a),
    OpCase("round", lambda a: (a * 3).round() + a, ((3, 4),), torch=lambda torch, a: (a * 3).round() + a),
    OpCase("floor", lambda a: floor(a * 3) * a, ((3, 4),), torch=lambda torch, a: torch.floor(a * 3) * a),
    OpCase("ceil", lambda a: a.ceil() + a, ((3, 4),), torch=lambda torch, a: a.ceil() + a),
    OpCase("trunc", lambda a: (a * 3).trunc() * a, ((3, 4),), torch=lambda torch, a: (a * 3).trunc() * a),
    OpCase("clip", lambda a: a.clip(-0.5, 0.5), ((3, 4),), sample=clip_inputs,
           torch=lambda torch, a: a.clamp(-0.5, 0.5)),
    OpCase("clamp_min", lambda a: a.clamp(min=-0.5), ((3, 4),), sample=clip_inputs,
           torch=lambda torch, a: a.clamp(min=-0.5)),
    OpCase("maximum", lambda a, b: maximum(a, b), ((3, 4), (3, 1)), draw="broadcast",
           torch=lambda torch, a, b: torch.maximum(a, b)),
    OpCase("minimum", lambda a, b: a.minimum(b), ((3, 4), (4,)), draw="broadcast",
           torch=lambda torch, a, b: torch.minimum(a, b)),
    OpCase("copysign", lambda a, b: a.copysign(b), ((3, 4), (4,)), sample=nonzero, draw="broadcast",
           torch=lambda torch, a, b: torch.copysign(a, b)),
    OpCase("remainder", lambda a, b: a % b, ((3, 4), (4,)), sample=(normal, positive), draw="broadcast",
           torch=lambda torch, a, b: a % b),
    OpCase("remainder_scalar", lambda a: a % 0.7, ((3, 4),), torch=lambda torch, a: a % 0.7),
    # PyTorch has no derivative for floor_divide: the twin takes its values and adds a zero that saves nothing
    OpCase("floor_divide", lambda a, b: a // b, ((3, 4), (4,)), sample=(normal, positive), draw="broadcast",
           torch=lambda torch, a, b: torch.floor_divide(a.detach(), b.detach()) + 0 * (a + b), exact_twin=False),
    OpCase("where", lambda a, b: where(pattern(_bshape(a, b)), a, b), ((3, 4), (4,)), draw="broadcast",
           torch=lambda torch, a, b: torch.where(torch_pattern(torch, _bshape(a, b)), a, b)),
    OpCase("where_scalar", lambda a: where(pattern(a.shape), 0.5, a), ((3, 4),),
           torch=lambda torch, a: torch.where(torch_pattern(torch, a.shape), 0.5, a)),
    OpCase("masked_fill", lambda a: a.masked_fill(pattern(a.shape), -1.0), ((3, 4),),
           torch=lambda torch, a: a.masked_fill(torch_pattern(torch, a.shape), -1.0)),
    OpCase("masked_fill_broadcast", lambda a: a.masked_fill(pattern(a.shape[-1:]), 2.0), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.masked_fill(torch_pattern(torch, a.shape[-1:]), 2.0)),
]


# ----- trigonometric, hyperbolic and more float functions; fmod, rounded division, shifts, the float tests -----
_LN10 = math.log(10.0)


class Tan(Function):
    """z = tan(a).

    backward: dz/da = 1 / cos(a)^2 = 1 + tan(a)^2 = 1 + z^2, so da = g * (1 + z^2) (the output is saved, as
    PyTorch does)."""
    @staticmethod
    def forward(ctx, a):
        out = np.tan(as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (out * out + 1)


class Asin(Function):
    """z = asin(a), in [-pi/2, pi/2]; nan outside [-1, 1].

    backward (the derivative of an inverse: sin(z) = a, so cos(z) dz = da): dz/da = 1 / cos(z) = 1 / sqrt(1 - a^2),
    so da = g / sqrt(1 - a^2) (a is saved); inf at a = +-1."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arcsin(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * (1 - a * a).rsqrt()


class Acos(Function):
    """z = acos(a), in [0, pi]; nan outside [-1, 1].

    backward (cos(z) = a, so -sin(z) dz = da): dz/da = -1 / sin(z) = -1 / sqrt(1 - a^2), so
    da = -g / sqrt(1 - a^2) (a is saved); -inf at a = +-1."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arccos(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return -(g * (1 - a * a).rsqrt())


class Atan(Function):
    """z = atan(a), in (-pi/2, pi/2).

    backward (tan(z) = a, so (1 + tan(z)^2) dz = da): dz/da = 1 / (1 + a^2), so da = g / (1 + a^2) (a is saved)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arctan(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / (a * a + 1)


class Atan2(Function):
    """z = atan2(a, b), the angle of the point (b, a) in (-pi, pi] (a the y coordinate, b the x coordinate).

    backward: z = atan(a / b) plus a constant multiple of pi on each half-plane, so
    dz/da = (1 / b) / (1 + (a / b)^2) = b / (a^2 + b^2) and dz/db = (-a / b^2) / (1 + (a / b)^2) = -a / (a^2 + b^2):
    da = g * b / (a^2 + b^2), db = -g * a / (a^2 + b^2) (both are saved, as PyTorch does); nan at the origin."""
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        out = np.arctan2(as_float(a) if isinstance(a, np.ndarray) else a, as_float(b) if isinstance(b, np.ndarray)
                         else b)
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        r2 = a * a + b * b
        need_a, need_b = ctx.needs_input_grad
        return (g * b / r2 if need_a else None), (-(g * a) / r2 if need_b else None)


class Sinh(Function):
    """z = sinh(a) = (e^a - e^-a) / 2.

    backward: dz/da = (e^a + e^-a) / 2 = cosh(a), so da = g * cosh(a) (a is saved)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sinh(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * a.cosh()


class Cosh(Function):
    """z = cosh(a) = (e^a + e^-a) / 2.

    backward: dz/da = (e^a - e^-a) / 2 = sinh(a), so da = g * sinh(a) (a is saved)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cosh(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * a.sinh()


class Asinh(Function):
    """z = asinh(a) = log(a + sqrt(a^2 + 1)).

    backward (sinh(z) = a, so cosh(z) dz = da, and cosh(z) = sqrt(1 + sinh(z)^2)): dz/da = 1 / sqrt(a^2 + 1), so
    da = g / sqrt(a^2 + 1) (a is saved)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arcsinh(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * (a * a + 1).rsqrt()


class Acosh(Function):
    """z = acosh(a) = log(a + sqrt(a^2 - 1)), for a >= 1 (nan below).

    backward (cosh(z) = a, so sinh(z) dz = da, and sinh(z) = sqrt(cosh(z)^2 - 1) for z >= 0):
    dz/da = 1 / sqrt(a^2 - 1), so da = g / sqrt(a^2 - 1) (a is saved); inf at a = 1."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arccosh(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * (a * a - 1).rsqrt()


class Atanh(Function):
    """z = atanh(a) = log((1 + a) / (1 - a)) / 2, for |a| <= 1 (+-inf at +-1, nan outside).

    backward: dz/da = (1 / (1 + a) + 1 / (1 - a)) / 2 = 1 / (1 - a^2), so da = g / (1 - a^2) (a is saved)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arctanh(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / (1 - a * a)


class Log10(Function):
    """z = log10(a) = log(a) / log(10).

    backward: dz/da = 1 / (a log 10), so da = g / (a log 10) (a is saved)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log10(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / (a * _LN10)


class Log1p(Function):
    """z = log(1 + a), accurate for small a (where 1 + a would round away a's digits).

    backward: dz/da = 1 / (1 + a), so da = g / (1 + a) (a is saved); -inf at a = -1, nan below."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log1p(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / (a + 1)


class Expm1(Function):
    """z = exp(a) - 1, accurate for small a.

    backward: dz/da = exp(a) = z + 1, so da = g * (z + 1) (the output is saved, as PyTorch does)."""
    @staticmethod
    def forward(ctx, a):
        out = np.expm1(as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (out + 1)


def _kind(v) -> str:
    """The dtype kind of an array (NumPy or CuPy) or a Python number."""
    return v.dtype.kind if hasattr(v, "dtype") else np.asarray(v).dtype.kind


def _int_division_by_zero(a, b, op: str):
    """C's and PyTorch's integer division by zero is an error (NumPy would give 0 and warn)."""
    if _kind(a) in "iu" and _kind(b) in "iub" and bool((b == 0).any() if hasattr(b, "any") else b == 0):
        raise ZeroDivisionError(f"{op}: integer division by zero")


class TruncDivide(Function):
    """z = trunc(a / b), the quotient rounded toward zero (C's integer division; PyTorch's
    ``div(rounding_mode="trunc")``); integers stay integers.

    backward: z is piecewise constant in a and in b, so da = db = 0, as PyTorch gives. Nothing is saved."""
    @staticmethod
    def forward(ctx, a, b):
        if _kind(a) in "iub" and _kind(b) in "iub":
            _int_division_by_zero(a, b, "div")
            q = np.floor_divide(a, b)  # floor, then one up where the exact quotient is negative and not whole
            return q + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0))).astype(q.dtype)
        out = np.trunc(np.true_divide(a, b))
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        return (g * 0.0 if need_a else None), (g * 0.0 if need_b else None)


class Fmod(Function):
    """z = a - b * trunc(a / b), C's remainder: it has the sign of a, the dividend (``np.fmod``; PyTorch's
    ``torch.fmod``; ``%`` is the remainder with the sign of b).

    backward (trunc is piecewise constant): dz/da = 1, dz/db = -trunc(a / b), so da = g, db = -g * trunc(a / b).
    a and b are saved only when db is needed."""
    @staticmethod
    def forward(ctx, a, b):
        _int_division_by_zero(a, b, "fmod")
        if ctx.needs_input_grad[1]:
            ctx.save_for_backward(a, b)
        out = np.fmod(a, b)
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        db = None
        if need_b:
            a, b = ctx.saved_tensors
            q = np.trunc(np.true_divide(a.data if isinstance(a, Tensor) else a, b.data))
            db = -(g * constant_like(q, g.data))
        return (g if need_a else None), db


def tan(x: Tensor) -> Tensor:
    """The tangent elementwise, x in radians (PyTorch's ``torch.tan``)."""
    return Tan.apply(x)


def asin(x: Tensor) -> Tensor:
    """The inverse sine elementwise, in [-pi/2, pi/2]; nan outside [-1, 1] (PyTorch's ``torch.asin``)."""
    return Asin.apply(x)


def acos(x: Tensor) -> Tensor:
    """The inverse cosine elementwise, in [0, pi]; nan outside [-1, 1] (PyTorch's ``torch.acos``)."""
    return Acos.apply(x)


def atan(x: Tensor) -> Tensor:
    """The inverse tangent elementwise, in (-pi/2, pi/2) (PyTorch's ``torch.atan``)."""
    return Atan.apply(x)


def atan2(x: Tensor, other: TensorLike) -> Tensor:
    """The angle of the point (other, x) elementwise and broadcast, in (-pi, pi] (PyTorch's ``torch.atan2``: x is
    the y coordinate, other the x coordinate).

    Args:
        x: a tensor, the y coordinates.
        other: a tensor, a number or array-like data, the x coordinates."""
    return Atan2.apply(x, operand(other, x))


def sinh(x: Tensor) -> Tensor:
    """The hyperbolic sine elementwise (PyTorch's ``torch.sinh``)."""
    return Sinh.apply(x)


def cosh(x: Tensor) -> Tensor:
    """The hyperbolic cosine elementwise (PyTorch's ``torch.cosh``)."""
    return Cosh.apply(x)


def asinh(x: Tensor) -> Tensor:
    """The inverse hyperbolic sine elementwise (PyTorch's ``torch.asinh``)."""
    return Asinh.apply(x)


def acosh(x: Tensor) -> Tensor:
    """The inverse hyperbolic cosine elementwise; nan below 1 (PyTorch's ``torch.acosh``)."""
    return Acosh.apply(x)


def atanh(x: Tensor) -> Tensor:
    """The inverse hyperbolic tangent elementwise; +-inf at +-1, nan outside (PyTorch's ``torch.atanh``)."""
    return Atanh.apply(x)


def log10(x: Tensor) -> Tensor:
    """The base-10 logarithm elementwise (PyTorch's ``torch.log10``)."""
    return Log10.apply(x)


def log1p(x: Tensor) -> Tensor:
    """log(1 + x) elementwise, accurate for small x (PyTorch's ``torch.log1p``)."""
    return Log1p.apply(x)


def expm1(x: Tensor) -> Tensor:
    """exp(x) - 1 elementwise, accurate for small x (PyTorch's ``torch.expm1``)."""
    return Expm1.apply(x)


class Logaddexp(Function):
    """z = log(exp(a) + exp(b)), computed without overflow (``np.logaddexp``: max(a, b) + log1p(exp(-|a - b|))).

    backward: dz/da = exp(a) / (exp(a) + exp(b)) = 1 / (1 + exp(b - a)) and dz/db = 1 / (1 + exp(a - b)), so
    da = g / (1 + exp(b - a)), db = g / (1 + exp(a - b)) (a and b are saved, as PyTorch does)."""
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        out = np.logaddexp(a, b)
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g / ((b - a).exp() + 1) if need_a else None), (g / ((a - b).exp() + 1) if need_b else None)


class Lerp(Function):
    """z = a + w (e - a), the linear interpolation from a to e (computed as e - (e - a)(1 - w) where w >= 1/2, as
    PyTorch does, so that w = 1 gives e exactly).

    backward: dz/da = 1 - w, dz/de = w, dz/dw = e - a, so da = g (1 - w), de = g w, dw = g (e - a). With a tensor
    w, a, e and w are saved (as PyTorch does); with a number w, nothing."""
    @staticmethod
    def forward(ctx, a, e, w):
        if isinstance(w, np.ndarray) or not isinstance(w, (int, float)):
            ctx.save_for_backward(a, e, w)
        else:
            ctx.w = w
        xp = xp_of(a)
        out = xp.where(xp.asarray(w) < 0.5, a + w * (e - a), e - (e - a) * (1 - w))
        return out if out.dtype is not _F64 else _promoted(_promoted(out, a, e), a, w)

    @staticmethod
    def backward(ctx, g):
        need_a, need_e, need_w = ctx.needs_input_grad
        if hasattr(ctx, "w"):
            w = ctx.w
            return (g * (1 - w) if need_a else None), (g * w if need_e else None), None
        a, e, w = ctx.saved_tensors
        return ((g * (1 - w) if need_a else None), (g * w if need_e else None),
                (g * (e - a) if need_w else None))


def logaddexp(x: Tensor, other: TensorLike) -> Tensor:
    """log(exp(x) + exp(other)) elementwise and broadcast, without overflow (PyTorch's ``torch.logaddexp``).

    Args:
        x: a floating-point tensor.
        other: a tensor, a number or array-like data."""
    other = operand(other, x)
    if x.dtype.kind != "f" or (isinstance(other, Tensor) and other.dtype.kind != "f"):
        raise TypeError(f"logaddexp: needs floating-point tensors, got dtype {x.dtype}"
                        + (f" and {other.dtype}" if isinstance(other, Tensor) else ""))
    return Logaddexp.apply(x, other)


def lerp(x: Tensor, end: TensorLike, weight: TensorLike) -> Tensor:
    """x + weight * (end - x), the linear interpolation from x to end, broadcast (PyTorch's ``torch.lerp``).

    Args:
        x: a floating-point tensor, the start.
        end: a tensor or array-like data, the end.
        weight: a number or a tensor (each tensor gets its gradient)."""
    end, weight = operand(end, x), operand(weight, x)
    if not isinstance(end, Tensor):
        end = as_tensor(end, like=x)
    if x.dtype.kind != "f" or end.dtype.kind != "f":
        raise TypeError(f"lerp: needs floating-point tensors, got dtypes {x.dtype} and {end.dtype}")
    return Lerp.apply(x, end, weight)


def _float_test(x: Tensor, fn: str) -> Tensor:
    x = as_tensor(x)
    return Tensor(getattr(xp_of(x.data), fn)(x.data))


def isnan(x: Tensor) -> Tensor:
    """Whether each element is NaN, a constant boolean tensor (PyTorch's ``torch.isnan``)."""
    return _float_test(x, "isnan")


def isinf(x: Tensor) -> Tensor:
    """Whether each element is +inf or -inf, a constant boolean tensor (PyTorch's ``torch.isinf``)."""
    return _float_test(x, "isinf")


def isfinite(x: Tensor) -> Tensor:
    """Whether each element is neither inf nor NaN, a constant boolean tensor (PyTorch's ``torch.isfinite``)."""
    return _float_test(x, "isfinite")


def fmod(x: Tensor, other: TensorLike) -> Tensor:
    """x - other * trunc(x / other), C's remainder with the sign of x (PyTorch's ``torch.fmod``; ``x % y`` takes the
    sign of y). Integer division by zero raises.

    Args:
        x: a tensor, the dividend.
        other: a tensor, a number or array-like data, the divisor."""
    return Fmod.apply(x, operand(other, x))


def _shift(x, other, fn: str, op: str) -> Tensor:
    for v in (x, other):
        if _kind(v) not in "iu":
            raise TypeError(f"{op}: shifts need integer tensors, got dtype "
                            f"{v.dtype if isinstance(v, Tensor) else type(v).__name__}")
    xa = x.data if isinstance(x, Tensor) else x
    oa = other.data if isinstance(other, Tensor) else other
    return Tensor(getattr(np, fn)(xa, oa))


def bitwise_left_shift(x: Tensor, other: TensorLike) -> Tensor:
    """x << other on integer tensors, a constant (``x << n``; PyTorch's ``torch.bitwise_left_shift``).

    Args:
        x: an integer tensor.
        other: an integer tensor, number or array-like data, the number of bits."""
    return _shift(x, operand(other, x), "left_shift", "bitwise_left_shift")


def bitwise_right_shift(x: Tensor, other: TensorLike) -> Tensor:
    """x >> other on integer tensors, arithmetic (the sign bit fills in), a constant (``x >> n``; PyTorch's
    ``torch.bitwise_right_shift``).

    Args:
        x: an integer tensor.
        other: an integer tensor, number or array-like data, the number of bits."""
    return _shift(x, operand(other, x), "right_shift", "bitwise_right_shift")


def rlshift(x: Tensor, other: TensorLike) -> Tensor:
    """other << x, for a number or array-like ``other`` on the left (Python's ``__rlshift__``)."""
    return _shift(operand(other, x), x, "left_shift", "bitwise_left_shift")


def rrshift(x: Tensor, other: TensorLike) -> Tensor:
    """other >> x, for a number or array-like ``other`` on the left (Python's ``__rrshift__``)."""
    return _shift(operand(other, x), x, "right_shift", "bitwise_right_shift")


BINDINGS += [
    bind(tan, method=True, tg=True),
    bind(asin, method="asin arcsin", tg="asin arcsin"),
    bind(acos, method="acos arccos", tg="acos arccos"),
    bind(atan, method="atan arctan", tg="atan arctan"),
    bind(atan2, method="atan2 arctan2", tg="atan2 arctan2"),
    bind(sinh, method=True, tg=True),
    bind(cosh, method=True, tg=True),
    bind(asinh, method="asinh arcsinh", tg="asinh arcsinh"),
    bind(acosh, method="acosh arccosh", tg="acosh arccosh"),
    bind(atanh, method="atanh arctanh", tg="atanh arctanh"),
    bind(log10, method=True, tg=True),
    bind(log1p, method=True, tg=True),
    bind(expm1, method=True, tg=True),
    bind(logaddexp, method=True, tg=True),
    bind(lerp, method=True, tg=True),
    bind(isnan, method=True, tg=True),
    bind(isinf, method=True, tg=True),
    bind(isfinite, method=True, tg=True),
    bind(fmod, method=True, tg=True),
    bind(bitwise_left_shift, method="__lshift__ bitwise_left_shift", tg="bitwise_left_shift"),
    bind(bitwise_right_shift, method="__rshift__ bitwise_right_shift", tg="bitwise_right_shift"),
    bind(rlshift, method="__rlshift__"),
    bind(rrshift, method="__rrshift__"),
]


def _unit(rng, shape):
    """For asin, acos, atanh: inside (-1, 1), away from the poles at +-1."""
    return rng.uniform(-0.8, 0.8, shape)


def _above_one(rng, shape):
    """For acosh: in [1.2, 3], away from the pole at 1."""
    return rng.uniform(1.2, 3.0, shape)


def _tan_inputs(rng, shape):
    """For tan: in [-1.2, 1.2], away from the poles at +-pi/2."""
    return rng.uniform(-1.2, 1.2, shape)


CASES += [
    OpCase("tan", lambda a: a.tan(), ((3, 4),), sample=_tan_inputs, torch=lambda torch, a: torch.tan(a)),
    OpCase("asin", lambda a: a.asin(), ((3, 4),), sample=_unit, torch=lambda torch, a: torch.asin(a)),
    OpCase("acos", lambda a: acos(a), ((3, 4),), sample=_unit, torch=lambda torch, a: torch.acos(a)),
    OpCase("atan", lambda a: a.atan(), ((3, 4),), torch=lambda torch, a: torch.atan(a)),
    OpCase("atan2", lambda a, b: a.atan2(b), ((3, 4), (4,)), sample=nonzero, draw="broadcast",
           torch=lambda torch, a, b: torch.atan2(a, b)),
    OpCase("sinh", lambda a: a.sinh(), ((3, 4),), torch=lambda torch, a: torch.sinh(a)),
    OpCase("cosh", lambda a: a.cosh(), ((3, 4),), torch=lambda torch, a: torch.cosh(a)),
    OpCase("asinh", lambda a: a.asinh(), ((3, 4),), torch=lambda torch, a: torch.asinh(a)),
    OpCase("acosh", lambda a: a.acosh(), ((3, 4),), sample=_above_one, torch=lambda torch, a: torch.acosh(a)),
    OpCase("atanh", lambda a: a.atanh(), ((3, 4),), sample=_unit, torch=lambda torch, a: torch.atanh(a)),
    OpCase("log10", lambda a: a.log10(), ((3, 4),), sample=positive, torch=lambda torch, a: torch.log10(a)),
    OpCase("log1p", lambda a: a.log1p(), ((3, 4),), sample=positive, torch=lambda torch, a: torch.log1p(a)),
    OpCase("expm1", lambda a: a.expm1(), ((3, 4),), torch=lambda torch, a: torch.expm1(a)),
    OpCase("logaddexp", lambda a, b: a.logaddexp(b), ((3, 4), (4,)), draw="broadcast",
           torch=lambda torch, a, b: torch.logaddexp(a, b)),
    OpCase("lerp", lambda a, b, w: a.lerp(b, w), ((3, 4), (4,), (3, 1)), draw="broadcast",
           torch=lambda torch, a, b, w: torch.lerp(a, b, w)),
    OpCase("lerp_scalar", lambda a, b: a.lerp(b, 0.3), ((3, 4), (3, 4)), draw="same",
           torch=lambda torch, a, b: torch.lerp(a, b, 0.3)),
    OpCase("fmod", lambda a, b: a.fmod(b), ((3, 4), (4,)), sample=(normal, positive), draw="broadcast",
           torch=lambda torch, a, b: torch.fmod(a, b)),
    OpCase("fmod_scalar", lambda a: a.fmod(0.7), ((3, 4),), torch=lambda torch, a: torch.fmod(a, 0.7)),
    OpCase("div_trunc", lambda a, b: a.div(b, rounding_mode="trunc") + a * b, ((3, 4), (4,)),
           sample=(normal, positive), draw="broadcast",
           torch=lambda torch, a, b: torch.div(a, b, rounding_mode="trunc") + a * b, exact_twin=False),
]
