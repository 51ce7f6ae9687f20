"""Arithmetic and selection: the binary ops and their Python operators (``a + b``, ``a - b``, ``a * b``, ``a / b``,
``-a``, ``a ** b``, ``a // b``, ``a % b``, ``a << n``, ``a >> n``), reciprocal, square, fmod, rounded division,
maximum / minimum, copysign, logaddexp, lerp, the choices (where, masked_fill) and isclose / allclose.

Each output element depends on the input elements at the same position only, so every local derivative is a
number per element and each backward is one elementwise product with the incoming gradient ``g``. Broadcasting is
undone in one place (``autograd.unbroadcast``): a backward here returns its gradient at the broadcast output shape,
and the engine sums it back to each input's shape.

Dtypes follow PyTorch. A Python number (or a NumPy scalar, made a number by ``checks.operand``) never upcasts a
tensor: NumPy treats it as weak (NEP 50), so ``x * 0.5`` stays float32. NumPy gives float64 in places where
PyTorch, whose default float dtype is float32, does not (an integer array with a Python float, ``int / int``,
float32 with int64): ``_promoted`` (defined here, also used by ``elementwise``) turns such a result back into
float32 unless an operand is a float64 tensor.

The functions users call carry PyTorch's names, so ``pow`` here is the tensor function (this module never calls
Python's builtin of that name).
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import ArgumentError, DTypeError
from ..autograd import Function
from ..backend import xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import Tensor, TensorLike
from .case import OpCase, nonzero, normal, pattern, positive, torch_pattern
from .checks import as_float, as_tensor, boolean_mask, broadcast_shape, constant, constant_like, operand


_F64 = np.dtype(np.float64)


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
        ga = where(b._data == 0, 0.0, g * b * a ** (b - 1)) if need_a else None
        gb = None
        if need_b:
            a_data = a._data if isinstance(a, Tensor) else a
            flat = (a_data == 0) & (b._data >= 0)  # 0 ** b near these b: constant, so db = 0
            if isinstance(a, Tensor):
                log_a = where(flat, 1.0, a).log()
            else:
                log_a = math.log(a) if a > 0 else -math.inf if a == 0 else math.nan
            gb = where(flat, 0.0, g * out * log_a)
        return ga, gb


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
        a = a._data if isinstance(a, Tensor) else a
        b = b._data if isinstance(b, Tensor) else b
        wins = (a < b) if ctx.lower else (a > b)
        share = constant_like(wins + (a == b) * 0.5, g._data)  # 1 where a wins, 1/2 at a tie, 0 where b wins
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
        zero = a._data == 0
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
            q = np.floor_divide(a._data if isinstance(a, Tensor) else a, b._data)
            db = -(g * constant_like(q, g._data))
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
        da = g * constant_like(cond, g._data) if need_a else None
        db = g * constant_like(~cond, g._data) if need_b else None
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
        return g * constant_like(~ctx.mask, g._data), None, None


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
        if x.dtype.kind == "b" and _kind(other._data if isinstance(other, Tensor) else other) == "b":
            raise TypeError("div: rounding_mode='trunc' is not defined for two boolean operands (as in PyTorch)")
        return TruncDivide.apply(x, other)
    raise ArgumentError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")


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
        if value._data.size != 1:
            raise ArgumentError(f"masked_fill: value must be a number or a one-element tensor, got shape {value.shape}")
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
    o = other._data if isinstance(other, Tensor) else other
    return Tensor(xp_of(x._data).isclose(x._data, o, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(x: Tensor, other: TensorLike, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether every element of x is close to other (``isclose`` everywhere; PyTorch's ``torch.allclose``)."""
    return bool(isclose(x, other, rtol, atol, equal_nan)._data.all())


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


# ----- fmod, rounded division, logaddexp, lerp, shifts -----
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
            q = np.trunc(np.true_divide(a._data if isinstance(a, Tensor) else a, b._data))
            db = -(g * constant_like(q, g._data))
        return (g if need_a else None), db


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
            raise DTypeError(f"{op}: shifts need integer tensors, got dtype "
                             f"{v.dtype if isinstance(v, Tensor) else type(v).__name__}")
    xa = x._data if isinstance(x, Tensor) else x
    oa = other._data if isinstance(other, Tensor) else other
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


# ----- comparisons and logic: constant boolean tensors, as the operators give (no gradient flows through) -----
def _array(v):
    return v._data if isinstance(v, Tensor) else v


def _logic(op: str, ufunc: str, x: Tensor, other: TensorLike | None = None) -> Tensor:
    xp = xp_of(x._data)
    args = (x._data,) if other is None else (x._data, _array(operand(other, x)))
    if ufunc.startswith("bitwise") and any(xp.asarray(a).dtype.kind in "fc" for a in args):
        raise DTypeError(f"{op}: needs integer or boolean tensors, got {[str(xp.asarray(a).dtype) for a in args]}")
    shape = broadcast_shape(*(xp.shape(a) for a in args))
    if shape is None:
        raise ArgumentError(f"{op}: shapes {[xp.shape(a) for a in args]} do not broadcast")
    return Tensor(xp.asarray(getattr(xp, ufunc)(*args)))


def eq(x: Tensor, other: TensorLike) -> Tensor:
    """x == other elementwise, a boolean tensor (PyTorch's ``torch.eq``)."""
    return _logic("eq", "equal", x, other)


def ne(x: Tensor, other: TensorLike) -> Tensor:
    """x != other elementwise, a boolean tensor (PyTorch's ``torch.ne`` / ``not_equal``)."""
    return _logic("ne", "not_equal", x, other)


def lt(x: Tensor, other: TensorLike) -> Tensor:
    """x < other elementwise, a boolean tensor (PyTorch's ``torch.lt`` / ``less``)."""
    return _logic("lt", "less", x, other)


def le(x: Tensor, other: TensorLike) -> Tensor:
    """x <= other elementwise, a boolean tensor (PyTorch's ``torch.le`` / ``less_equal``)."""
    return _logic("le", "less_equal", x, other)


def gt(x: Tensor, other: TensorLike) -> Tensor:
    """x > other elementwise, a boolean tensor (PyTorch's ``torch.gt`` / ``greater``)."""
    return _logic("gt", "greater", x, other)


def ge(x: Tensor, other: TensorLike) -> Tensor:
    """x >= other elementwise, a boolean tensor (PyTorch's ``torch.ge`` / ``greater_equal``)."""
    return _logic("ge", "greater_equal", x, other)


def equal(x: Tensor, other: TensorLike) -> bool:
    """Whether x and other have the same shape and the same elements, a Python bool (PyTorch's ``torch.equal``)."""
    other = as_tensor(other)
    return x.shape == other.shape and bool(xp_of(x._data).array_equal(x._data, other._data))


def logical_and(x: Tensor, other: TensorLike) -> Tensor:
    """x and other elementwise, nonzero counting as true: a boolean tensor (PyTorch's ``torch.logical_and``)."""
    return _logic("logical_and", "logical_and", x, other)


def logical_or(x: Tensor, other: TensorLike) -> Tensor:
    """x or other elementwise, nonzero counting as true: a boolean tensor (PyTorch's ``torch.logical_or``)."""
    return _logic("logical_or", "logical_or", x, other)


def logical_xor(x: Tensor, other: TensorLike) -> Tensor:
    """Exactly one of x and other nonzero, elementwise: a boolean tensor (PyTorch's ``torch.logical_xor``)."""
    return _logic("logical_xor", "logical_xor", x, other)


def logical_not(x: Tensor) -> Tensor:
    """x == 0 elementwise, a boolean tensor (PyTorch's ``torch.logical_not``)."""
    return _logic("logical_not", "logical_not", x)


def bitwise_and(x: Tensor, other: TensorLike) -> Tensor:
    """x & other on integer or boolean tensors (PyTorch's ``torch.bitwise_and``)."""
    return _logic("bitwise_and", "bitwise_and", x, other)


def bitwise_or(x: Tensor, other: TensorLike) -> Tensor:
    """x | other on integer or boolean tensors (PyTorch's ``torch.bitwise_or``)."""
    return _logic("bitwise_or", "bitwise_or", x, other)


def bitwise_xor(x: Tensor, other: TensorLike) -> Tensor:
    """x ^ other on integer or boolean tensors (PyTorch's ``torch.bitwise_xor``)."""
    return _logic("bitwise_xor", "bitwise_xor", x, other)


def bitwise_not(x: Tensor) -> Tensor:
    """~x on an integer or boolean tensor (PyTorch's ``torch.bitwise_not``)."""
    return _logic("bitwise_not", "invert", x)


BINDINGS += [
    bind(eq, method=True, tg=True),
    bind(ne, method="ne not_equal", tg="ne not_equal"),
    bind(lt, method="lt less", tg="lt less"),
    bind(le, method="le less_equal", tg="le less_equal"),
    bind(gt, method="gt greater", tg="gt greater"),
    bind(ge, method="ge greater_equal", tg="ge greater_equal"),
    bind(equal, method=True, tg=True),
    bind(logical_and, method=True, tg=True),
    bind(logical_or, method=True, tg=True),
    bind(logical_xor, method=True, tg=True),
    bind(logical_not, method=True, tg=True),
    bind(bitwise_and, method=True, tg=True),
    bind(bitwise_or, method=True, tg=True),
    bind(bitwise_xor, method=True, tg=True),
    bind(bitwise_not, method=True, tg=True),
]


BINDINGS += [
    bind(logaddexp, method=True, tg=True),
    bind(lerp, method=True, tg=True),
    bind(fmod, method=True, tg=True),
    bind(bitwise_left_shift, method="__lshift__ bitwise_left_shift", tg="bitwise_left_shift"),
    bind(bitwise_right_shift, method="__rshift__ bitwise_right_shift", tg="bitwise_right_shift"),
    bind(rlshift, method="__rlshift__"),
    bind(rrshift, method="__rrshift__"),
]


CASES += [
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
