"""Elementwise math on one tensor: the float functions (exp, log, sqrt, rsqrt, sin, cos, log2, exp2, erf, the
trigonometric and hyperbolic functions, log10, log1p, expm1), the piecewise ones (abs, clip / clamp, the rounding
family) and the float tests (isnan, isinf, isfinite). The binary ops and their Python operators are in
``arithmetic.py``.

Each output element depends on the input elements at the same position only, so every local derivative is a
number per element and each backward is one elementwise product with the incoming gradient ``g``. Broadcasting is
undone in one place (``autograd.unbroadcast``): a backward here returns its gradient at the broadcast output shape,
and the engine sums it back to each input's shape.

Dtypes follow PyTorch. A Python number (or a NumPy scalar, made a number by ``checks.operand``) never upcasts a
tensor: NumPy treats it as weak (NEP 50), so ``x * 0.5`` stays float32. NumPy gives float64 in places where
PyTorch, whose default float dtype is float32, does not (an integer array with a Python float, ``int / int``,
``exp`` of an integer, float32 with int64): ``arithmetic._promoted`` turns such a result back into float32 unless
an operand is a float64 tensor, and ``checks.as_float`` makes a float function of an integer or boolean array compute
in float32.

The functions users call carry PyTorch's names, so ``abs`` and ``round`` here are the tensor functions (this module
never calls Python's builtins of those names).
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import ArgumentError
from ..autograd import Function
from ..backend import xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import Number, Tensor, TensorLike
from . import special
from .arithmetic import _F64, _promoted
from .case import OpCase, clip_inputs, nonzero, positive
from .checks import as_float, as_tensor, constant_like, operand

_LN2 = math.log(2.0)


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
        return g * constant_like(np.sign(a._data), a._data)


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
        inside = xp_of(a._data).ones(a.shape, bool)
        if ctx.lo is not None:
            inside &= a._data >= ctx.lo
        if ctx.hi is not None:
            inside &= a._data <= ctx.hi
        return g * constant_like(inside, g._data), None, None


# ----- the functions users call -----
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
        if value._data.size != 1:
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
        raise ArgumentError("clip: at least one of lo, hi must be given")
    return Clip.apply(x, _bound(lo, x, "lo", "clip"), _bound(hi, x, "hi", "clip"))


def clamp(x: Tensor, min: Number | None = None, max: Number | None = None) -> Tensor:
    """Each element limited to [min, max] (PyTorch's ``torch.clamp``): ``clip`` with PyTorch's keywords.

    Args:
        x: a tensor.
        min, max: numbers; either may be None, not both."""
    if min is None and max is None:
        raise ArgumentError("clamp: at least one of min, max must be given")
    return Clip.apply(x, _bound(min, x, "min", "clamp"), _bound(max, x, "max", "clamp"))


BINDINGS = [
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
]


# ----- the rows: gradchecks, PyTorch twins (called with the torch module first), the in-place probe -----
CASES = [
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
]


# ----- trigonometric, hyperbolic and more float functions, the float tests -----
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


def _float_test(x: Tensor, fn: str) -> Tensor:
    x = as_tensor(x)
    return Tensor(getattr(xp_of(x._data), fn)(x._data))


def isnan(x: Tensor) -> Tensor:
    """Whether each element is NaN, a constant boolean tensor (PyTorch's ``torch.isnan``)."""
    return _float_test(x, "isnan")


def isinf(x: Tensor) -> Tensor:
    """Whether each element is +inf or -inf, a constant boolean tensor (PyTorch's ``torch.isinf``)."""
    return _float_test(x, "isinf")


def isfinite(x: Tensor) -> Tensor:
    """Whether each element is neither inf nor NaN, a constant boolean tensor (PyTorch's ``torch.isfinite``)."""
    return _float_test(x, "isfinite")


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
    bind(isnan, method=True, tg=True),
    bind(isinf, method=True, tg=True),
    bind(isfinite, method=True, tg=True),
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
]
