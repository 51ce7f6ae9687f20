"""Activation functions: the elementwise nonlinearities between layers (relu, sigmoid, tanh, GELU, SiLU, ELU, ...).

Each primitive is a ``Function`` with its derivative beside it (selu and celu are ELUs with other constants, relu6
is a hardtanh); the rest (softsign, mish, quick_gelu, the tanh GELU) are compositions of primitives, so their
backward follows by the chain rule.
The fast GELU (a cache-blocked normal CDF computed in the forward, with the slope for the backward) is a
registered fast path in ``fast/activations.py``."""
from __future__ import annotations

import math

import numpy as np

from ..errors import ArgumentError
from ..autograd import Function
from ..backend import as_array, xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import Tensor
from .case import OpCase, clip_inputs, nonzero
from .checks import as_float, as_tensor, constant_like
from .inplace import inplace_result
from .special import normal_cdf, normal_pdf


# ----- the primitives -----
class Relu(Function):
    """z = max(a, 0).
    backward: da = g where a > 0, else 0 (so relu'(0) = 0, as in PyTorch). Since z > 0 exactly where a > 0, the
    mask is read off the saved output: sign(z) is 1 there and 0 elsewhere (z is never negative)."""
    @staticmethod
    def forward(ctx, a):
        out = as_array(np.maximum(a, 0))  # a 0-d result stays an array: the one saved is the one returned
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * Tensor(np.sign(out._data))


class LeakyRelu(Function):
    """z = a where a > 0, slope * a otherwise.
    backward: da = g where a > 0, slope * g otherwise (at a = 0 the left side, slope, as in PyTorch)."""
    @staticmethod
    def forward(ctx, a, slope):
        ctx.save_for_backward(a)
        ctx.slope = slope
        return xp_of(a).where(a > 0, a, a * slope)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        pos = a._data > 0
        return g * constant_like(pos + (~pos) * ctx.slope, a._data), None


class Sigmoid(Function):
    """z = 1 / (1 + exp(-a)).
    backward: dz/da = exp(-a) / (1 + exp(-a))^2 = z (1 - z), so da = g * z * (1 - z), from the saved output.
    exp(-a) overflows for a < -710 (float64), so the forward computes e = exp(-|a|) <= 1 and takes
    z = 1 / (1 + e) for a >= 0 and z = e / (1 + e) for a < 0 (multiply the fraction by exp(a) / exp(a)).
    Integer inputs give float32."""
    @staticmethod
    def forward(ctx, a):
        a = as_float(a)
        e = np.exp(-np.abs(a))
        out = (xp_of(a).where(a >= 0, 1, e) / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out * (1 - out)


class Tanh(Function):
    """z = tanh(a) = (e^a - e^-a) / (e^a + e^-a).
    backward: dz/da = 1 - tanh(a)^2 (quotient rule), so da = g * (1 - z^2), from the saved output.
    Integer inputs give float32."""
    @staticmethod
    def forward(ctx, a):
        out = np.tanh(as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (1 - out * out)


class Softplus(Function):
    """z = log(1 + exp(a)), a smooth relu; with ``beta`` b, z = log(1 + exp(b a)) / b, and with a ``threshold`` h,
    z = a where b a > h (PyTorch's switch to the line, within exp(-h) / b of the curve).
    forward: max(ba, 0) + log1p(exp(-|ba|)) (over b), the same value (log(1 + e^x) = x + log(1 + e^-x) for x > 0),
    but exp never sees a large positive number, so a = +-1e4 stays finite.
    backward: dz/da = exp(ba) / (1 + exp(ba)) = sigmoid(ba) on the curve and 1 on the line, so
              da = g * sigmoid(ba) (or g where b a > h). Saves a, as PyTorch does."""
    @staticmethod
    def forward(ctx, a, beta=1.0, threshold=None):
        ctx.save_for_backward(a)
        ctx.beta, ctx.threshold = beta, threshold
        ba = a if beta == 1 else a * beta
        z = np.maximum(ba, 0) + np.log1p(np.exp(-np.abs(ba)))
        z = z if beta == 1 else (z / beta).astype(a.dtype, copy=False)
        if threshold is None:
            return z
        ctx.line = ba > threshold
        return xp_of(a).where(ctx.line, a, z)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        slope = a.sigmoid() if ctx.beta == 1 else (a * ctx.beta).sigmoid()
        if ctx.threshold is not None and ctx.line.any():
            line = ctx.line.astype(a.dtype)
            slope = slope * Tensor(1 - line) + Tensor(line)
        return g * slope


class LogSigmoid(Function):
    """z = log sigmoid(a) = -log(1 + exp(-a)) = -softplus(-a).
    forward: min(a, 0) - log1p(exp(-|a|)) (softplus's stable form, mirrored): finite at a = -1e4.
    backward: dz/da = exp(-a) / (1 + exp(-a)) = 1 - sigmoid(a) = sigmoid(-a), so da = g * sigmoid(-a)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * (-a).sigmoid()


class NormalCdf(Function):
    """z = Phi(a) = (1 + erf(a / sqrt 2)) / 2, the standard normal CDF.
    backward: Phi' is the standard normal density phi(a) = exp(-a^2 / 2) / sqrt(2 pi), so da = g * phi(a)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return normal_cdf(a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * NormalPdf.apply(a)


class NormalPdf(Function):
    """z = phi(a) = exp(-a^2 / 2) / sqrt(2 pi), the standard normal density.
    backward: d/da exp(-a^2 / 2) = -a exp(-a^2 / 2), so dz/da = -a phi(a) and da = -g * a * z."""
    @staticmethod
    def forward(ctx, a):
        out = normal_pdf(a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        return -g * a * out


class Gelu(Function):
    """z = a * Phi(a), Phi(a) = (1 + erf(a / sqrt 2)) / 2 the standard normal CDF (PyTorch's exact GELU: the input
    scaled by the probability that a standard normal variable is below it).
    backward: product rule with Phi' = phi, the density exp(-a^2 / 2) / sqrt(2 pi):
              dz/da = Phi(a) + a phi(a), so da = g * GeluSlope(a); that slope is an op of its own, whose backward
              gives the second derivative phi(a) (2 - a^2)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * normal_cdf(a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * GeluSlope.apply(a)


class GeluSlope(Function):
    """z = Phi(a) + a phi(a), GELU's derivative (Phi the standard normal CDF, phi = Phi' its density).
    backward: Phi' = phi, and (a phi)' = phi + a phi' = phi - a^2 phi since phi'(a) = -a phi(a); so
              dz/da = phi(a) (2 - a^2) and da = g * phi(a) * (2 - a^2)."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return normal_cdf(a) + a * normal_pdf(a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * NormalPdf.apply(a) * (2 - a * a)


class Silu(Function):
    """z = a * sigmoid(a) (SiLU, a.k.a. swish), with s = sigmoid(a) computed overflow-free as in ``Sigmoid``.
    backward: product rule with s' = s (1 - s): dz/da = s + a s (1 - s) = s (1 + a (1 - s)),
              so da = g * s * (1 + a (1 - s))."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        e = np.exp(-np.abs(a))
        s = xp_of(a).where(a >= 0, 1, e) / (1 + e)
        return (a * s).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        s = a.sigmoid()
        return g * s * (1 + a * (1 - s))


class Elu(Function):
    """z = s * a for a > 0, s * alpha * (exp(c a) - 1) otherwise, with the scale s and input scale c 1 for ELU
    (SELU: its constants alpha and s; CELU: s = 1, c = 1 / alpha; PyTorch's elu kernel has the same three).
    forward: s * where(a > 0, a, alpha * expm1(c * min(a, 0))); the min keeps exp from overflowing on the side not
    taken.
    backward: dz/da = s for a > 0, s * alpha * c * exp(c a) otherwise (at a = 0 the left side, as PyTorch), so
              da = g * s there and g * s * alpha * c * exp(c a) on the left."""
    @staticmethod
    def forward(ctx, a, alpha=1.0, scale=1.0, input_scale=1.0):
        ctx.save_for_backward(a)
        ctx.alpha, ctx.scale, ctx.input_scale = alpha, scale, input_scale
        neg = np.expm1(np.minimum(a, 0) * input_scale) * alpha
        out = xp_of(a).where(a > 0, a, neg)
        return (out * scale if scale != 1 else out).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        pos = a._data > 0
        c = ctx.input_scale
        left = ((a.masked_fill(pos, 0.0) * c).exp() * (ctx.alpha * c)).masked_fill(pos, 0.0)
        slope = left + constant_like(pos, a._data)
        return g * (slope * ctx.scale if ctx.scale != 1 else slope), None, None, None


class Hardsigmoid(Function):
    """z = clip(a / 6 + 1/2, 0, 1), a piecewise-linear sigmoid.
    backward: dz/da = 1/6 on the slope -3 < a < 3, else 0 (strict bounds, as PyTorch), so da = g / 6 there."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.clip(a / 6 + 0.5, 0, 1).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * constant_like((a._data > -3) & (a._data < 3), a._data) / 6


class Hardswish(Function):
    """z = a * hardsigmoid(a) = a * clip(a + 3, 0, 6) / 6.
    backward: dz/da = 0 for a <= -3, (a (a + 3) / 6)' = (2a + 3) / 6 = a / 3 + 1/2 for -3 < a < 3, 1 for a >= 3
              (at the joins -3 and 3 the outer sides, as PyTorch), so da = g times that."""
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return (a * np.clip(a + 3, 0, 6) / 6).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        middle = (a._data > -3) & (a._data < 3)
        return g * (a * constant_like(middle, a._data) / 3 + constant_like(middle * 0.5 + (a._data >= 3), a._data))


class Hardtanh(Function):
    """z = clip(a, lo, hi) (hardtanh; relu6 is lo = 0, hi = 6).
    backward: dz/da = 1 for lo < a < hi, else 0 (strict bounds, as PyTorch's hardtanh: clip's gradient, 1 at the
              bounds too, is PyTorch's clamp), so da = g there."""
    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(a, lo, hi)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * constant_like((a._data > ctx.lo) & (a._data < ctx.hi), a._data), None, None


# ----- the functions users call -----
def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise.

    Args:
        x: a tensor (or array-like).
    PyTorch: ``torch.relu``, ``Tensor.relu``, ``torch.nn.functional.relu``.
    ``inplace=True`` writes the result into x (PyTorch's ``inplace``; see ``ops.inplace.inplace_result``)."""
    if inplace:
        return inplace_result(x, lambda t: relu(t), "relu")
    return Relu.apply(x if isinstance(x, Tensor) else as_tensor(x))  # a method: x is a Tensor


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, negative_slope * x elsewhere.

    Args:
        x: a tensor.
        negative_slope: the slope for negative x (0.01, as in PyTorch).
    PyTorch: ``torch.nn.functional.leaky_relu``.
    ``inplace=True`` writes the result into x (PyTorch's ``inplace``; see ``ops.inplace.inplace_result``)."""
    if inplace:
        return inplace_result(x, lambda t: leaky_relu(t, negative_slope), "leaky_relu")
    return LeakyRelu.apply(as_tensor(x), negative_slope)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) elementwise, finite at x = +-1e4; integer tensors give float32.

    Args:
        x: a tensor.
    PyTorch: ``torch.sigmoid``, ``Tensor.sigmoid``, ``torch.nn.functional.sigmoid``."""
    return Sigmoid.apply(x if isinstance(x, Tensor) else as_tensor(x))  # a method: x is a Tensor


def tanh(x: Tensor) -> Tensor:
    """The hyperbolic tangent elementwise; integer tensors give float32.

    Args:
        x: a tensor.
    PyTorch: ``torch.tanh``, ``Tensor.tanh``, ``torch.nn.functional.tanh``."""
    return Tanh.apply(x if isinstance(x, Tensor) else as_tensor(x))  # a method: x is a Tensor


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta elementwise, and x itself where beta x > threshold (PyTorch's switch to the
    line, within exp(-threshold) / beta of the curve); finite at x = +-1e4.

    Its derivative is sigmoid(beta x) on the curve (d/dx log(1 + e^(beta x)) / beta = e^(beta x) / (1 +
    e^(beta x))) and 1 on the line, as PyTorch's (see ``Softplus``).

    Args:
        x: a tensor.
        beta: the sharpness (larger is closer to relu); any nonzero number.
        threshold: beta x above it gives x.
    PyTorch: ``torch.nn.functional.softplus(input, beta=1, threshold=20)``."""
    x = as_tensor(x)
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta == 0:
        raise ArgumentError(f"softplus: beta must be a nonzero number, got {beta!r} (input of shape {x.shape})")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise TypeError(f"softplus: threshold must be a number, got {threshold!r} (input of shape {x.shape})")
    return Softplus.apply(x, beta, threshold)


def logsigmoid(x: Tensor) -> Tensor:
    """log sigmoid(x) = -softplus(-x) elementwise, finite at x = -1e4.

    Args:
        x: a tensor.
    PyTorch: ``torch.nn.functional.logsigmoid``."""
    return LogSigmoid.apply(as_tensor(x))


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """GELU: x * Phi(x), Phi the standard normal CDF (exact, from erf), or with ``approximate="tanh"`` the tanh
    formula 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) of Hendrycks and Gimpel.

    Args:
        x: a tensor.
        approximate: 'none' (exact) or 'tanh'.
    PyTorch: ``torch.nn.functional.gelu``."""
    x = as_tensor(x)
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (inner.tanh() + 1)
    if approximate != "none":
        raise ArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return pick(Gelu).apply(x)


def quick_gelu(x: Tensor) -> Tensor:
    """x * sigmoid(1.702 x), the sigmoid approximation of GELU used by CLIP.

    Args:
        x: a tensor.
    PyTorch has no function of this name (CLIP's code writes ``x * torch.sigmoid(1.702 * x)``)."""
    x = as_tensor(x)
    return x * (x * 1.702).sigmoid()


def silu(x: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) elementwise (SiLU, a.k.a. swish).

    Args:
        x: a tensor.
    PyTorch: ``torch.nn.functional.silu``.
    ``inplace=True`` writes the result into x (PyTorch's ``inplace``; see ``ops.inplace.inplace_result``)."""
    if inplace:
        return inplace_result(x, lambda t: silu(t), "silu")
    return Silu.apply(x if isinstance(x, Tensor) else as_tensor(x))  # a method: x is a Tensor


def mish(x: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)) elementwise (Misra 2019).

    Args:
        x: a tensor.
    PyTorch: ``torch.nn.functional.mish``.
    ``inplace=True`` writes the result into x (PyTorch's ``inplace``; see ``ops.inplace.inplace_result``)."""
    if inplace:
        return inplace_result(x, lambda t: mish(t), "mish")
    x = as_tensor(x)
    return x * Softplus.apply(x).tanh()


def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (exp(x) - 1) otherwise.

    Args:
        x: a tensor.
        alpha: the value the negative side approaches.
    PyTorch: ``torch.nn.functional.elu``.
    ``inplace=True`` writes the result into x (PyTorch's ``inplace``; see ``ops.inplace.inplace_result``)."""
    if inplace:
        return inplace_result(x, lambda t: elu(t, alpha), "elu")
    return Elu.apply(as_tensor(x), alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al. (alpha ~ 1.6733,
    scale ~ 1.0507, PyTorch's).

    Args:
        x: a tensor.
    PyTorch: ``torch.nn.functional.selu``.
    ``inplace=True`` writes the result into x (PyTorch's ``inplace``; see ``ops.inplace.inplace_result``)."""
    if inplace:
        return inplace_result(x, lambda t: selu(t), "selu")
    return Elu.apply(as_tensor(x), _SELU_ALPHA, _SELU_SCALE)


def celu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)): an ELU whose slope at 0 is 1 for every alpha.

    Args:
        x: a tensor.
        alpha: the scale of the negative side (not 0).
    PyTorch: ``torch.nn.functional.celu``.
    ``inplace=True`` writes the result into x (PyTorch's ``inplace``; see ``ops.inplace.inplace_result``)."""
    if inplace:
        return inplace_result(x, lambda t: celu(t, alpha), "celu")
    if alpha == 0:
        raise ArgumentError("celu: alpha must not be 0 (the input is scaled by 1 / alpha)")
    return Elu.apply(as_tensor(x), alpha, 1.0, 1 / alpha)


def hardsigmoid(x: Tensor, inplace: bool = False) -> Tensor:
    """clip(x / 6 + 1/2, 0, 1) elementwise.

    Args:
        x: a tensor.
    PyTorch: ``torch.nn.functional.hardsigmoid``.
    ``inplace=True`` writes the result into x (PyTorch's ``inplace``; see ``ops.inplace.inplace_result``)."""
    if inplace:
        return inplace_result(x, lambda t: hardsigmoid(t), "hardsigmoid")
    return Hardsigmoid.apply(as_tensor(x))


def hardswish(x: Tensor, inplace: bool = False) -> Tensor:
    """x * hardsigmoid(x) = x * clip(x + 3, 0, 6) / 6 elementwise.

    Args:
        x: a tensor.
    PyTorch: ``torch.nn.functional.hardswish``.
    ``inplace=True`` writes the result into x (PyTorch's ``inplace``; see ``ops.inplace.inplace_result``)."""
    if inplace:
        return inplace_result(x, lambda t: hardswish(t), "hardswish")
    return Hardswish.apply(as_tensor(x))


def relu6(x: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) elementwise (hardtanh on [0, 6]: gradient 1 strictly inside, 0 at the bounds).

    Args:
        x: a tensor.
    PyTorch: ``torch.nn.functional.relu6``.
    ``inplace=True`` writes the result into x (PyTorch's ``inplace``; see ``ops.inplace.inplace_result``)."""
    if inplace:
        return inplace_result(x, lambda t: relu6(t), "relu6")
    return Hardtanh.apply(as_tensor(x), 0.0, 6.0)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val] elementwise (gradient 1 strictly inside, 0 at the bounds, as PyTorch).

    Args:
        x: a tensor.
        min_val, max_val: the bounds.
    PyTorch: ``torch.nn.functional.hardtanh``.
    ``inplace=True`` writes the result into x (PyTorch's ``inplace``; see ``ops.inplace.inplace_result``)."""
    if inplace:
        return inplace_result(x, lambda t: hardtanh(t, min_val, max_val), "hardtanh")
    if min_val > max_val:
        raise ArgumentError(f"hardtanh: min_val {min_val} is larger than max_val {max_val}")
    return Hardtanh.apply(as_tensor(x), min_val, max_val)


def softsign(x: Tensor) -> Tensor:
    """x / (1 + |x|) elementwise; its derivative 1 / (1 + |x|)^2 follows by the quotient rule (abs' = sign).

    Args:
        x: a tensor.
    PyTorch: ``torch.nn.functional.softsign``."""
    x = as_tensor(x)
    return x / (x.abs() + 1)


BINDINGS = [
    bind(relu, method=True, tg=True, F=True),
    bind(sigmoid, method=True, tg=True, F=True),
    bind(tanh, method=True, tg=True, F=True),
    bind(silu, method=True, F=True),
    bind(leaky_relu, F=True),
    bind(gelu, F=True),
    bind(softplus, F=True),
    bind(elu, F=True),
    bind(selu, F=True),
    bind(celu, F=True),
    bind(hardsigmoid, F=True),
    bind(hardswish, F=True),
    bind(relu6, F=True),
    bind(hardtanh, F=True),
    bind(softsign, F=True),
    bind(mish, F=True),
    bind(quick_gelu, F=True),
    bind(logsigmoid, F=True),
]


def _normal_pdf_twin(torch, a):
    return torch.exp(-a * a / 2) / math.sqrt(2 * math.pi)


CASES = [
    OpCase("relu", lambda a: a.relu(), ((3, 4),), sample=nonzero, torch=lambda torch, a: torch.relu(a)),
    OpCase("sigmoid", lambda a: a.sigmoid(), ((3, 4),), torch=lambda torch, a: torch.sigmoid(a)),
    OpCase("tanh", lambda a: a.tanh(), ((3, 4),), torch=lambda torch, a: torch.tanh(a)),
    OpCase("silu", lambda a: a.silu(), ((3, 4),), torch=lambda torch, a: torch.nn.functional.silu(a)),
    OpCase("F.relu", relu, ((3, 4),), sample=nonzero, torch=lambda torch, a: torch.nn.functional.relu(a)),
    OpCase("F.sigmoid", sigmoid, ((3, 4),), torch=lambda torch, a: torch.nn.functional.sigmoid(a)),
    OpCase("F.tanh", tanh, ((3, 4),), torch=lambda torch, a: torch.nn.functional.tanh(a)),
    OpCase("F.silu", silu, ((3, 4),), torch=lambda torch, a: torch.nn.functional.silu(a)),
    OpCase("normal_cdf", lambda a: pick(NormalCdf).apply(a), ((3, 4),),
           torch=lambda torch, a: torch.special.ndtr(a), exact_twin=False),  # PyTorch composes ndtr from erf
    OpCase("normal_pdf", lambda a: pick(NormalPdf).apply(a), ((3, 4),), torch=_normal_pdf_twin, exact_twin=False),
    OpCase("gelu_slope", lambda a: pick(GeluSlope).apply(a), ((3, 4),),
           torch=lambda torch, a: torch.special.ndtr(a) + a * _normal_pdf_twin(torch, a), exact_twin=False),
    OpCase("F.leaky_relu", lambda a: leaky_relu(a, 0.1), ((3, 4),), sample=nonzero,
           torch=lambda torch, a: torch.nn.functional.leaky_relu(a, 0.1)),
    OpCase("F.gelu", gelu, ((3, 4),), torch=lambda torch, a: torch.nn.functional.gelu(a)),
    OpCase("F.gelu_tanh", lambda a: gelu(a, approximate="tanh"), ((3, 4),),
           torch=lambda torch, a: torch.nn.functional.gelu(a, approximate="tanh"), exact_twin=False),
    OpCase("F.softplus", softplus, ((3, 4),), torch=lambda torch, a: torch.nn.functional.softplus(a)),
    OpCase("F.softplus[beta,threshold]", lambda a: softplus(a * 3, beta=2.0, threshold=4.0), ((3, 4),),
           torch=lambda torch, a: torch.nn.functional.softplus(a * 3, beta=2.0, threshold=4.0), exact_twin=False),
    OpCase("F.softplus[negative_beta]", lambda a: softplus(a, beta=-0.5), ((3, 4),),
           torch=lambda torch, a: torch.nn.functional.softplus(a, beta=-0.5), exact_twin=False),
    OpCase("F.logsigmoid", logsigmoid, ((3, 4),), torch=lambda torch, a: torch.nn.functional.logsigmoid(a)),
    OpCase("F.elu", lambda a: elu(a, 0.7), ((3, 4),), sample=nonzero,
           torch=lambda torch, a: torch.nn.functional.elu(a, 0.7)),
    OpCase("F.selu", selu, ((3, 4),), sample=nonzero, torch=lambda torch, a: torch.nn.functional.selu(a)),
    OpCase("F.celu", lambda a: celu(a, 1.3), ((3, 4),), sample=nonzero,
           torch=lambda torch, a: torch.nn.functional.celu(a, 1.3)),
    OpCase("F.hardsigmoid", lambda a: hardsigmoid(a * 2), ((3, 4),), sample=clip_inputs,
           torch=lambda torch, a: torch.nn.functional.hardsigmoid(a * 2), exact_twin=False),
    OpCase("F.hardswish", lambda a: hardswish(a * 2), ((3, 4),), sample=clip_inputs,
           torch=lambda torch, a: torch.nn.functional.hardswish(a * 2), exact_twin=False),
    OpCase("F.relu6", lambda a: relu6(a * 4), ((3, 4),), sample=clip_inputs,
           torch=lambda torch, a: torch.nn.functional.relu6(a * 4), exact_twin=False),
    OpCase("F.hardtanh", lambda a: hardtanh(a, -0.5, 0.5), ((3, 4),), sample=clip_inputs,
           torch=lambda torch, a: torch.nn.functional.hardtanh(a, -0.5, 0.5)),
    OpCase("F.softsign", softsign, ((3, 4),), sample=nonzero, torch=lambda torch, a: torch.nn.functional.softsign(a),
           exact_twin=False),
    OpCase("F.mish", mish, ((3, 4),), torch=lambda torch, a: torch.nn.functional.mish(a), exact_twin=False),
    OpCase("F.quick_gelu", quick_gelu, ((3, 4),), torch=lambda torch, a: a * torch.sigmoid(1.702 * a),
           exact_twin=False),
]
