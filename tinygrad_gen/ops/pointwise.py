"""More elementwise math: trigonometry, base-2 exp/log, rsqrt, the rounding family (zero gradient), and the binary
maximum / minimum / copysign. Like ``elementwise.py``, backward rules return the gradient at the broadcast output
shape; the engine sums it back to each input's shape."""
import math

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ..backend import xp_of
from . import elementwise as _ew

_LN2 = math.log(2.0)
_F64 = np.dtype(np.float64)


def float_result(out, a):
    """An integer input of a float function gives float32 (PyTorch's default float dtype), never NumPy's float64."""
    return out.astype(np.float32) if out.dtype is _F64 and a.dtype is not _F64 else out


def _promoted(out, a, b):
    """PyTorch's result dtype for a float64 NumPy result (elementwise._promoted); other results pass."""
    return out if out.dtype is not _F64 else _ew._promoted(out, a, b)


def as_float(a):
    """An integer or boolean array as float32, so a float function computes in PyTorch's default float dtype."""
    return a if a.dtype.kind in "fc" else a.astype(np.float32)


class Sin(Function):
    """z = sin(a).  forward: sin.  backward: da = g * cos(a)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sin(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * a.cos()


class Cos(Function):
    """z = cos(a).  forward: cos.  backward: da = -g * sin(a)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cos(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return -(g * a.sin())


class Log2(Function):
    """z = log2(a) = ln(a) / ln 2.  forward: log2.  backward: da = g / (a ln 2)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log2(as_float(a))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g / (a * _LN2)


class Exp2(Function):
    """z = 2 ** a = exp(a ln 2).  forward: exp2.  backward: da = g * z * ln 2."""
    @staticmethod
    def forward(ctx, a):
        out = np.exp2(as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out * _LN2


class Rsqrt(Function):
    """z = a ** -1/2.  forward: 1 / sqrt(a).  backward: da = g * (-1/2) a ** -3/2 = -g z^3 / 2."""
    @staticmethod
    def forward(ctx, a):
        out = 1 / np.sqrt(as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out * out * out * -0.5


class Rounding(Function):
    """z = sign(a), round(a) (half to even, as PyTorch), floor(a) or ceil(a): piecewise constant.
    forward: the NumPy ufunc (an integer input is returned as it is, in its dtype).
    backward: da = 0 (the derivative is 0 wherever it exists; PyTorch also gives 0 at the jumps)."""
    @staticmethod
    def forward(ctx, a, fn):
        if a.dtype.kind in "iub" and fn != "sign":
            return a.copy()
        return getattr(np, fn)(a)

    @staticmethod
    def backward(ctx, g):
        return g * 0.0, None


class Maximum(Function):
    """z = max(a, b) elementwise.  forward: np.maximum.
    backward: da = g where a > b, db = g where b > a; at a tie each gets g / 2 (PyTorch's choice)."""
    @staticmethod
    def forward(ctx, a, b, lower=False):
        ctx.save_for_backward(a, b)
        ctx.lower = lower
        return _promoted(np.minimum(a, b) if lower else np.maximum(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a = a.data if isinstance(a, Tensor) else a
        b = b.data if isinstance(b, Tensor) else b
        wins = (a < b) if ctx.lower else (a > b)
        share = wins + (a == b) * 0.5  # 1 where a wins, 1/2 at a tie, 0 where b wins
        share = Tensor(xp_of(g.data).asarray(share, dtype=g.dtype))
        da, db = ctx.needs_input_grad[:2]
        return (g * share if da else None), (g * (1 - share) if db else None), None


class Copysign(Function):
    """z = |a| with the sign of b.  forward: np.copysign.
    backward: da = g * z / a (= g * sign(a) * sign(z)), 0 at a = 0 (PyTorch's choice); db = 0 (z is piecewise
    constant in b)."""
    @staticmethod
    def forward(ctx, a, b):
        out = _promoted(np.copysign(as_float(a), b), a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        zero = a.data == 0
        ratio = out / a.masked_fill(zero, 1.0)
        return g * ratio.masked_fill(zero, 0.0), (g * 0.0 if ctx.needs_input_grad[1] else None)


class FloorDivide(Function):
    """z = floor(a / b) (Python's //, PyTorch's floor_divide).  forward: np.floor_divide.
    backward: da = db = 0 (piecewise constant)."""
    @staticmethod
    def forward(ctx, a, b):
        return _promoted(np.floor_divide(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        return g * 0.0, (g * 0.0 if ctx.needs_input_grad[1] else None)


class Remainder(Function):
    """z = a - b floor(a / b), the sign of b (Python's %, PyTorch's remainder).  forward: np.mod.
    backward: da = g, db = -g floor(a / b) (floor is piecewise constant)."""
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _promoted(np.mod(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        db = None
        if ctx.needs_input_grad[1]:
            q = np.floor_divide(a.data if isinstance(a, Tensor) else a, b.data)
            db = -(g * Tensor(xp_of(g.data).asarray(q, dtype=g.dtype)))
        return g, db
