"""Normalisation: standardising activations over some axes, then scaling and shifting them.

Layer norm standardises each sample over its trailing features, batch norm each channel (axis 1) over the batch
and the spatial axes. Both rest on one formula, over the M values of the normalised axes:

    mu = mean(x),   var = mean((x - mu)^2),   r = 1 / sqrt(var + eps),   xhat = (x - mu) * r,   y = w * xhat + b.

The speed tricks for these ops (sums and sums of squares as BLAS products, batch norm's per-channel operands
copied out contiguous) are the fast paths in ``fast/normalization.py``.
"""
from __future__ import annotations

import numpy as np

from ..errors import ArgumentError
from ..autograd import Function
from ..backend import xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import Tensor
from .case import OpCase
from .checks import as_tensor, optional_tensor, same_dtype


def _moments(x, axes, eps):
    """The statistics every op here starts from, over ``axes`` of the array x (kept as axes of size 1):
    mu = mean(x), d = x - mu, var = mean(d^2) and r = 1 / sqrt(var + eps)."""
    mu = x.mean(axis=axes, keepdims=True)
    d = x - mu
    var = (d * d).mean(axis=axes, keepdims=True)
    return mu, d, var, 1 / np.sqrt(var + eps)


class Standardize(Function):
    """xhat = (x - mean(x)) / sqrt(var(x) + eps) over ``axes``, var the mean squared deviation (M values each).

    forward:  mu = mean(x), var = mean((x - mu)^2), r = 1 / sqrt(var + eps), xhat = (x - mu) * r.
    backward: xhat_i depends on x_j three ways: directly (r [i = j]), through mu (-r / M) and through r
              (dr / dx_j = -r^3 (x_j - mu) / M = -r^2 xhat_j / M), so, the means over ``axes``,
              dx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps) = r * (g - mean(g) - xhat mean(g xhat)).
    Written in Tensor ops of x and the saved output xhat, with r = ``InvStd`` of x, so it can be differentiated
    again. ``known`` = (xhat, r), when a caller has computed both for this x already (``BatchNorm``'s backward),
    hands them in instead of computing them twice."""
    @staticmethod
    def forward(ctx, x, axes, eps, known=None):
        if known is None:
            _, d, _, r = _moments(x, axes, eps)
            xhat = d * r
        else:
            xhat, r = known
        ctx.save_for_backward(x, xhat)
        ctx.axes, ctx.eps, ctx.r = axes, eps, r
        return xhat

    @staticmethod
    def backward(ctx, g):
        x, xhat = ctx.saved_tensors
        axes = ctx.axes
        r = InvStd.apply(x, axes, ctx.eps, ctx.r)  # r as a function of x (for a double backward), value from forward
        return r * (g - g.mean(axis=axes, keepdims=True) - xhat * (g * xhat).mean(axis=axes, keepdims=True)), \
            None, None, None


class InvStd(Function):
    """r = 1 / sqrt(var(x) + eps) over ``axes`` (kept as axes of size 1), var = mean((x - mean(x))^2) of M values.

    backward: dr/dvar = -r^3 / 2 and dvar/dx_j = 2 (x_j - mu) / M (the term through mu sums to zero), so
              dx = -g * r^3 * (x - mu) / M.
    ``known``: r, when the caller has computed it for this x already (``Standardize``)."""
    @staticmethod
    def forward(ctx, x, axes, eps, known=None):
        if known is None:
            known = _moments(x, axes, eps)[3]
        ctx.save_for_backward(x, known)
        ctx.axes, ctx.m = axes, x.size // known.size
        return known

    @staticmethod
    def backward(ctx, g):
        x, r = ctx.saved_tensors
        return -(g * r * r * r) * (x - x.mean(axis=ctx.axes, keepdims=True)) / ctx.m, None, None, None


def channel_axes(x) -> tuple:
    """The axes batch norm averages over: all but the channel axis 1 of (N, C, ...)."""
    return (0,) + tuple(range(2, x.ndim))


class BatchNorm(Function):
    """Batch norm in training: y = w * xhat + b per channel c (axis 1), xhat standardised over the batch and
    spatial axes (N, H, W, ...: M values per channel); w and b may be None (1 and 0).

    forward:  mu = mean(x), var = mean((x - mu)^2) over (N, H, W), r = 1 / sqrt(var + eps), xhat = (x - mu) r,
              y = w xhat + b.  ``stats``, a list, receives mu and var per channel (for the running averages).
    backward: db = sum g,  dw = sum g * xhat  (sums over (N, H, W), one per channel);
              dx is Standardize's rule applied to the upstream gradient g * w, whose means are
              mean(g w) = w db / M and mean(g w xhat) = w dw / M, so
              dx = w r (g - db / M - xhat dw / M): one pair of per-channel sums serves all three gradients.
    xhat and r enter the backward as ``Standardize`` and ``InvStd`` of x, so it can be differentiated again. The
    array work of each pass is a step of its own, ``normalize`` (mu, var, r, xhat, y) and ``input_grad`` (dx from
    the per-channel factors), which the fast path computes its own way."""
    @staticmethod
    def forward(ctx, x, w, b, eps, stats=None):
        axes = channel_axes(x)
        per_channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        mu, var, r, xhat, y = ctx.fn.normalize(x, w, b, axes, per_channel, eps)
        if stats is not None:
            stats.extend((mu.reshape(-1), var.reshape(-1)))
        ctx.save_for_backward(x, w)
        ctx.axes, ctx.per_channel, ctx.eps, ctx.xhat, ctx.r = axes, per_channel, eps, xhat, r
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        axes, m = ctx.axes, x._data.size // x.shape[1]
        xhat = Standardize.apply(x, axes, ctx.eps, (ctx.xhat, ctx.r))
        scale = InvStd.apply(x, axes, ctx.eps, ctx.r)
        if w is not None:
            scale = scale * w.reshape(ctx.per_channel)
        db = g.sum(axis=axes, keepdims=True)
        dw = (g * xhat).sum(axis=axes, keepdims=True)
        dx = ctx.fn.input_grad(g, xhat, scale, dw / m, db / m) if ctx.needs_input_grad[0] else None
        need_w, need_b = ctx.needs_input_grad[1:3]
        return dx, dw.reshape(-1) if need_w else None, db.reshape(-1) if need_b else None, None, None

    @staticmethod
    def normalize(x, w, b, axes, per_channel, eps):
        """mu, var, r and xhat of the array x over ``axes``, and y = w xhat + b (w and b reshaped to
        ``per_channel``, either None)."""
        mu, d, var, r = _moments(x, axes, eps)
        xhat = d * r
        y = xhat * (1 if w is None else w.reshape(per_channel))  # a new array: xhat is kept for backward
        if b is not None:
            y = y + b.reshape(per_channel)
        return mu, var, r, xhat, y

    @staticmethod
    def input_grad(g, xhat, scale, dw_m, db_m):
        """dx = scale * (g - db / M - xhat dw / M) from the per-channel (1, C, 1, ...) factors scale = w r,
        dw / M and db / M, broadcast against g."""
        return scale * (g - db_m - xhat * dw_m)


def update_running(running: Tensor, batch_value, momentum: float) -> None:
    """running <- (1 - momentum) * running + momentum * batch_value, in place (PyTorch's running averages)."""
    xp = xp_of(running._data)
    running._data[...] = (1 - momentum) * running._data + momentum * xp.asarray(batch_value, running._data.dtype)


def _scale_shift(xhat: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """y = xhat * w + b, either optional: plain Tensor ops, so dw = sum g * xhat and db = sum g come from Mul, Add
    and their broadcasting."""
    y = xhat * weight if weight is not None else xhat
    return y + bias if bias is not None else y


def layer_norm(x: Tensor, normalized_shape: int | tuple, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Standardise each sample over its trailing ``normalized_shape`` axes, then scale and shift:
    y = (x - mean) / sqrt(var + eps) * weight + bias (var biased, as in PyTorch).

    Args:
        x: the input (..., *normalized_shape).
        normalized_shape: an int or tuple: the trailing axes that are normalised together.
        weight, bias: of shape ``normalized_shape``, or None (1 and 0).
        eps: added to the variance.
    PyTorch: ``torch.nn.functional.layer_norm``."""
    x, eps = as_tensor(x), float(eps)
    weight, bias = optional_tensor(weight, x), optional_tensor(bias, x)
    same_dtype("layer_norm", input=x, weight=weight, bias=bias)
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or x.shape[x.ndim - k:] != shape:
        raise ArgumentError(f"layer_norm: normalized_shape {shape} does not match the trailing axes of x {x.shape}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and p.shape != shape:
            raise ArgumentError(f"layer_norm: {name} of shape {p.shape} does not match normalized_shape {shape}")
    return _scale_shift(pick(Standardize).apply(x, tuple(range(x.ndim - k, x.ndim)), eps), weight, bias)


def batch_norm(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = True, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Standardise each channel (axis 1) over the batch and spatial axes, then scale and shift per channel.

    Args:
        x: (N, C) or (N, C, ...).
        running_mean, running_var: Tensors of shape (C,), or None. In training they move toward the batch's
            statistics in place, r <- (1 - momentum) r + momentum * stat, with the unbiased batch variance for
            ``running_var`` (as PyTorch); in evaluation (``training=False``) they normalise instead.
        weight, bias: (C,), or None (1 and 0).
        training: batch statistics (True) or the running ones (False).
        momentum, eps: the running averages' step; the constant added to the variance.
    PyTorch: ``torch.nn.functional.batch_norm``."""
    x, eps = as_tensor(x), float(eps)
    weight, bias = optional_tensor(weight, x), optional_tensor(bias, x)
    same_dtype("batch_norm", input=x, weight=weight, bias=bias)
    if x.ndim < 2:
        raise ArgumentError(f"batch_norm: expected x of shape (N, C) or (N, C, ...), got {x.shape}")
    c = x.shape[1]
    for name, p in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if p is not None and tuple(p.shape) != (c,):
            raise ArgumentError(f"batch_norm: {name} of shape {tuple(p.shape)} does not match the {c} channels of x "
                                f"{x.shape}")
    per_channel = (1, c) + (1,) * (x.ndim - 2)
    if not training:
        if running_mean is None or running_var is None:
            raise ArgumentError("batch_norm: evaluation mode (training=False) needs running_mean and running_var")
        # y = (x - mean) * a + b with a = w / sqrt(var + eps) formed on the C channel values first
        mean = as_tensor(running_mean, like=x).detach()
        a = (as_tensor(running_var, like=x).detach() + eps) ** -0.5
        a = a * weight if weight is not None else a
        y = (x - mean.reshape(per_channel)) * a.reshape(per_channel)
        return y + bias.reshape(per_channel) if bias is not None else y
    m = x._data.size // c
    if m < 2:
        raise ArgumentError(f"batch_norm: training needs more than 1 value per channel, got x of shape {x.shape}")
    stats = []
    y = pick(BatchNorm).apply(x, weight, bias, eps, stats)
    if running_mean is not None:
        update_running(running_mean, stats[0], momentum)
    if running_var is not None:
        update_running(running_var, stats[1] * (m / (m - 1)), momentum)
    return y


BINDINGS = [
    bind(layer_norm, F=True),
    bind(batch_norm, F=True),
]


def _running_stats_case(x, w, b):
    c = x.shape[1]
    mean = Tensor(np.linspace(-1, 1, c).astype(x.dtype))
    var = Tensor(np.linspace(0.5, 2, c).astype(x.dtype))
    return batch_norm(x, mean, var, w, b, training=False)


def _torch_eval(torch, x, w, b):
    """PyTorch's batch norm in evaluation, written as the same composition as ours: its fused function also saves
    x, which the gradient of (x - mean) * w / sqrt(var + eps) + b never reads (tests/ops/test_normalization.py
    compares with the fused function too)."""
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    mean = torch.tensor(np.linspace(-1, 1, x.shape[1]), dtype=x.dtype)
    var = torch.tensor(np.linspace(0.5, 2, x.shape[1]), dtype=x.dtype)
    return (x - mean.reshape(shape)) * (w * (var + 1e-5) ** -0.5).reshape(shape) + b.reshape(shape)


# PyTorch's fused layer_norm also saves its bias, which its backward never reads, so it raises where a bias changed
# in place after forward; ours adds the bias with a plain Add and gives the right gradient there. The rows with a
# bias are therefore compared with PyTorch's layer norm written as the same composition (values and gradients are
# also compared with the fused function in tests/ops/test_normalization.py).
def _torch_layer_norm(shape):
    return lambda torch, x, w, b: torch.nn.functional.layer_norm(x, shape) * w + b


CASES = [
    OpCase("F.layer_norm", lambda x, w, b: layer_norm(x, (4,), w, b), ((3, 4), (4,), (4,)), draw="fixed",
           torch=_torch_layer_norm((4,)), exact_twin=False),
    OpCase("F.layer_norm[no_affine]", lambda x: layer_norm(x, x.shape[-1:]), ((3, 4),), min_ndim=1,
           torch=lambda torch, x: torch.nn.functional.layer_norm(x, x.shape[-1:]), exact_twin=False),
    OpCase("F.layer_norm[long_rows]", lambda x, w, b: layer_norm(x, (2, 20), w, b), ((3, 2, 20), (2, 20), (2, 20)),
           draw="fixed", torch=_torch_layer_norm((2, 20)), exact_twin=False),
    OpCase("F.batch_norm", lambda x, w, b: batch_norm(x, None, None, w, b, training=True),
           ((5, 3), (3,), (3,)), draw="fixed",
           torch=lambda torch, x, w, b: torch.nn.functional.batch_norm(x, None, None, w, b, training=True),
           exact_twin=False),
    OpCase("F.batch_norm[2d]", lambda x, w, b: batch_norm(x, None, None, w, b, training=True),
           ((2, 3, 4, 8), (3,), (3,)), draw="fixed",
           torch=lambda torch, x, w, b: torch.nn.functional.batch_norm(x, None, None, w, b, training=True),
           exact_twin=False),
    OpCase("F.batch_norm[no_affine]", lambda x: batch_norm(x, None, None, training=True), ((4, 2, 3),),
           draw="fixed", torch=lambda torch, x: torch.nn.functional.batch_norm(x, None, None, training=True),
           exact_twin=False),
    OpCase("F.batch_norm[eval]", _running_stats_case, ((4, 3, 2), (3,), (3,)), draw="fixed", torch=_torch_eval,
           exact_twin=False),
]
