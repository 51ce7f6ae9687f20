"""Elementwise ops. Broadcasting is undone by the engine (``autograd.unbroadcast``), so these never think about
shapes: each backward returns the gradient at the broadcast output shape.

Python scalars pass straight through to NumPy, which keeps a float32 array float32 (NEP 50).

Dtypes follow PyTorch's promotion: NumPy turns an integer array combined with a Python float or a float32 array,
integer division, and exp/log/sqrt of integers into float64, but PyTorch's default float dtype is float32, and
float64 only comes from a float64 operand. ``_promoted`` fixes that after the fact: one identity check of the
result's dtype, so the float32 hot path pays nothing measurable."""
import math

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ..backend import xp_of
from .fast_math import _INV_SQRT_2PI, erf, gelu_and_slope, normal_cdf_pdf


_F64 = np.dtype(np.float64)
_F32 = np.dtype(np.float32)


def _promoted(out, a, b):
    """``out`` (float64) in PyTorch's dtype: float64 only when an operand is float64, else float32 (see the module
    doc). A 0-d float64 operand is weak, like a number: float32 with axes times a 0-d float64 stays float32."""
    da, db = getattr(a, "dtype", None), getattr(b, "dtype", None)
    if da is _F64 or db is _F64:
        if da is _F64 and db is not None and db.kind == "f" and db is not _F64 and a.ndim == 0 < b.ndim:
            return out.astype(db)
        if db is _F64 and da is not None and da.kind == "f" and da is not _F64 and b.ndim == 0 < a.ndim:
            return out.astype(da)
        return out
    return out.astype(np.float32)


def _as_float(a):
    """A float function of an integer or boolean array computes in float32 (PyTorch's default float dtype), not in
    NumPy's float64 (or float16 for bool and 8-bit ints)."""
    return a if a.dtype is _F32 or a.dtype.kind in "fc" else a.astype(np.float32)


def _mask(cond, like):
    """A constant 0/1 tensor of ``like``'s dtype: the derivative of a piecewise-linear op."""
    return Tensor(cond.astype(like.dtype))


class Add(Function):
    """z = a + b.  backward: da = g, db = g."""
    @staticmethod
    def forward(ctx, a, b):
        out = a + b
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    """z = a - b.  backward: da = g, db = -g."""
    @staticmethod
    def forward(ctx, a, b):
        out = a - b
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """z = a * b.  backward: da = g * b, db = g * a (product rule)."""
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        out = a * b
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        return (g * b if da else None), (g * a if db else None)


class Div(Function):
    """z = a / b.  backward: da = g / b, db = -g * a / b^2 (quotient rule)."""
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        out = a / b
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        return (g / b if da else None), (-(g * a) / (b * b) if db else None)


class Neg(Function):
    """z = -a.  backward: da = -g."""
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class PowScalar(Function):
    """z = a ** c for a constant number c.  backward: da = g * c * a ** (c - 1)."""
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
        if c == 0:  # a ** 0 = 1 is constant; c * a ** (c - 1) would give 0 * inf = nan at a = 0
            return g * 0.0, None
        if c == 2:
            return g * a * 2, None
        return g * (a ** (c - 1)) * c, None


class Pow(Function):
    """z = a ** b with b a tensor.  backward: da = g * b * a ** (b - 1), db = g * z * log(a).

    At the edges PyTorch's limits: da = 0 where b = 0 (a ** 0 = 1 is constant, even at a = 0 where b a ** (b - 1)
    would be 0 * inf); db = 0 where a = 0 and b >= 0 (0 ** b is 0 or 1 nearby on the b side), while 0 ** b with
    b < 0 gives -inf and a negative base gives NaN (log of a negative number), as in PyTorch."""
    @staticmethod
    def forward(ctx, a, b):
        out = a ** b
        out = out if out.dtype is not _F64 else _promoted(out, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        ga = None
        if da:
            ga = g * b * a ** (b - 1)
            if isinstance(b, Tensor):
                ga = ga.masked_fill(b.data == 0, 0.0)
        gb = None
        if db:
            if isinstance(a, (int, float)):
                if a > 0:
                    gb = g * out * math.log(a)
                elif a == 0:
                    gb = g * Tensor(xp_of(b.data).where(b.data >= 0, 0.0, -np.inf).astype(g.dtype))
                else:
                    gb = g * out * math.nan
            else:
                safe = (a.data == 0) & (b.data >= 0)
                gb = (g * out * a.masked_fill(safe, 1.0).log()).masked_fill(safe, 0.0)
        return ga, gb


class Exp(Function):
    """z = exp(a).  backward: da = g * z (the output is its own derivative)."""
    @staticmethod
    def forward(ctx, a):
        out = np.exp(_as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out


class Log(Function):
    """z = log(a).  backward: da = g / a."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(_as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / a


class Sqrt(Function):
    """z = sqrt(a).  backward: da = g / (2 z)."""
    @staticmethod
    def forward(ctx, a):
        out = np.sqrt(_as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g / (out * 2)


class Tanh(Function):
    """z = tanh(a).  backward: da = g * (1 - z^2)."""
    @staticmethod
    def forward(ctx, a):
        out = np.tanh(_as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (1 - out * out)


class Sigmoid(Function):
    """z = 1 / (1 + exp(-a)).  backward: da = g * z * (1 - z).

    Computed from e = exp(-|a|) so that neither branch overflows: z = 1/(1+e) for a >= 0, e/(1+e) otherwise."""
    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        a = _as_float(a)
        e = np.exp(-np.abs(a))
        out = xp.where(a >= 0, 1, e) / (1 + e)
        out = out.astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out * (1 - out)


class Relu(Function):
    """z = max(a, 0).  backward: da = g where a > 0, else 0 (so relu'(0) = 0, as in PyTorch)."""
    @staticmethod
    def forward(ctx, a):
        out = np.maximum(a, 0)
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, g):
        return g * Tensor(np.sign(ctx.out))  # z >= 0, so sign(z) is the 0/1 mask [a > 0] in a's dtype


class LeakyRelu(Function):
    """z = a where a > 0, slope * a otherwise.  backward: da = g where a > 0, slope * g otherwise (at 0: slope)."""
    @staticmethod
    def forward(ctx, a, slope):
        ctx.save_for_backward(a)
        ctx.slope = slope
        return xp_of(a).where(a > 0, a, a * slope)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        pos = a.data > 0
        return g * _mask(pos + (~pos) * ctx.slope, a.data), None


class Abs(Function):
    """z = |a|.  backward: da = g * sign(a), with sign(0) = 0 (PyTorch's choice at the kink)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * _mask(np.sign(a.data), a.data)


class Clip(Function):
    """z = min(max(a, lo), hi).  backward: da = g where lo <= a <= hi, else 0 (bounds inclusive, as in PyTorch)."""
    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(a, lo, hi)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        inside = np.ones(a.shape, bool) if type(a.data) is np.ndarray else xp_of(a.data).ones(a.shape, bool)
        if ctx.lo is not None:
            inside &= a.data >= ctx.lo
        if ctx.hi is not None:
            inside &= a.data <= ctx.hi
        return g * _mask(inside, a.data), None, None


class Softplus(Function):
    """z = log(1 + exp(a)), computed as max(a, 0) + log1p(exp(-|a|)) so a = ±1e4 stays finite.
    backward: da = g * sigmoid(a)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * a.sigmoid()


class NormalCdf(Function):
    """z = Phi(a) = (1 + erf(a / sqrt 2)) / 2, the standard normal CDF.  backward: da = g * phi(a), with the density
    phi(a) = exp(-a^2 / 2) / sqrt(2 pi).  ``cached`` hands in Phi(a) when the caller has already computed it."""
    @staticmethod
    def forward(ctx, a, cached=None):
        ctx.save_for_backward(a)
        return cached if cached is not None else normal_cdf_pdf(a)[0]

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * NormalPdf.apply(a)


class NormalPdf(Function):
    """z = phi(a) = exp(-a^2 / 2) / sqrt(2 pi), the standard normal density.  backward: da = -g * a * phi(a)
    (d/da of -a^2 / 2 is -a).  ``cached`` hands in phi(a) when the caller has already computed it."""
    @staticmethod
    def forward(ctx, a, cached=None):
        out = cached if cached is not None else xp_of(a).exp(a * a * -0.5) * _INV_SQRT_2PI
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        return -g * a * out


class Gelu(Function):
    """z = a * Phi(a), Phi the standard normal CDF = (1 + erf(a / sqrt 2)) / 2 (PyTorch's exact GELU).
    backward: da = g * (Phi(a) + a * phi(a)), phi(a) = exp(-a^2 / 2) / sqrt(2 pi) (product rule, Phi' = phi).
    The slope Phi(a) + a phi(a) is computed in the forward, while Phi and phi are still in cache, and only when a
    needs a gradient: the backward is then one product over memory that has gone cold."""
    @staticmethod
    def forward(ctx, a):
        out, ctx.slope = gelu_and_slope(a, slope=ctx.needs_input_grad[0])
        ctx.save_for_backward(a)
        return out

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * GeluSlope.apply(a, cached=ctx.slope)  # a function of a, so a double backward differentiates it


class GeluSlope(Function):
    """z = Phi(a) + a * phi(a), GELU's derivative.  backward: da = g * phi(a) * (2 - a^2)
    (Phi' = phi, and (a phi)' = phi + a phi' = phi - a^2 phi since phi' = -a phi).
    ``cached`` hands in z when the caller has already computed it (``Gelu``)."""
    @staticmethod
    def forward(ctx, a, cached=None):
        ctx.save_for_backward(a)
        if cached is not None:
            return cached
        cdf, pdf = normal_cdf_pdf(a)
        return cdf + a * pdf

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * NormalPdf.apply(a) * (2 - a * a)


class Erf(Function):
    """z = erf(a).  backward: da = g * 2 / sqrt(pi) * exp(-a^2)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return erf(_as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * (a * a * -1).exp() * (2 / math.sqrt(math.pi))


class Where(Function):
    """z = a where cond else b (cond is a constant boolean array).  backward: da = g * cond, db = g * (1 - cond)."""
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        out = xp_of(cond).where(cond, a, b)
        return out if out.dtype is not _F64 else _promoted(out, a, b)

    @staticmethod
    def backward(ctx, g):
        da, db = ctx.needs_input_grad[1:]
        c = ctx.cond
        return None, (g * _mask(c, g.data) if da else None), (g * _mask(~c, g.data) if db else None)


class MaskedFill(Function):
    """z = value where mask else a.  backward: da = g where the mask is False, 0 where it is True."""
    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.mask = mask
        return xp_of(a).where(mask, np.asarray(value, a.dtype) if type(a) is np.ndarray else value, a)

    @staticmethod
    def backward(ctx, g):
        return g * _mask(~ctx.mask, g.data), None, None


class Cast(Function):
    """z = a converted to another dtype.  backward: da = g converted back to a's dtype."""
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.dtype), None
