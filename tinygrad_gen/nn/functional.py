"""``F``: the stateless functions of neural networks, PyTorch-style (``import tinygrad_gen.nn.functional as F``).

Each function checks its arguments (errors name the function and the shapes), then calls one ``Function`` from
``tinygrad_gen/ops/`` — read those for the forward and backward math — or composes a few differentiable ops.
Losses take ``reduction="mean" | "sum" | "none"``.
"""
import math

import numpy as np

from .. import backend, dispatch
from ..backend import to_device, xp_of
from ..ops import elementwise as _ew, softmax as _sm
from ..ops.attention import causal_keep, reference_attention
from ..ops.conv import Conv2d, ConvTranspose2d
from ..ops.gaussian import GaussianKL, Reparameterize
from ..ops.linear import Linear
from ..ops.loss import BCEWithLogits, CrossEntropy
from ..ops.norm import Normalize, update_running
from ..ops.pool import AvgPool2d, MaxPool2d
from ..ops.windows import out_size, pair
from ..random import generator, per_example
from ..tensor import Tensor, _to_array

__all__ = ["relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softplus", "softmax", "log_softmax", "masked_softmax",
           "linear", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "layer_norm", "batch_norm", "dropout",
           "embedding", "scaled_dot_product_attention", "mse_loss", "cross_entropy", "nll_loss",
           "binary_cross_entropy_with_logits", "reparameterize", "gaussian_kl"]


def _t(x, like=None):
    """Tensors pass; arrays and lists become constant Tensors (float data takes ``like``'s dtype and device)."""
    if type(x) is Tensor or x is None:
        return x
    kind = x.dtype.kind if isinstance(x, backend.ARRAY_TYPES) else np.asarray(x).dtype.kind
    dtype = like.dtype if like is not None and kind == "f" else None
    return Tensor(_to_array(x, dtype, like.device if like is not None else "cpu"))


def _array(x, like):
    """A constant (mask, index) as an array on ``like``'s device."""
    a = x.data if type(x) is Tensor else x if isinstance(x, backend.ARRAY_TYPES) else np.asarray(x)
    return to_device(a, like.device)


def _broadcastable(*shapes):
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        return None


def _broadcasts_to(shape, target):
    return _broadcastable(shape, target) == tuple(target)


def _check_reduction(reduction, op):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction, op):
    _check_reduction(reduction, op)
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


# ----- activations (the Functions live in ops/elementwise.py and ops/softmax.py) -----
def relu(x):
    return _ew.Relu.apply(_t(x))


def leaky_relu(x, slope=0.01):
    return _ew.LeakyRelu.apply(_t(x), slope)


def gelu(x):
    return _ew.Gelu.apply(_t(x))


def sigmoid(x):
    return _ew.Sigmoid.apply(_t(x))


def tanh(x):
    return _ew.Tanh.apply(_t(x))


def softplus(x):
    return _ew.Softplus.apply(_t(x))


def softmax(x, axis=-1):
    return _sm.Softmax.apply(_t(x), axis)


def log_softmax(x, axis=-1):
    return _sm.LogSoftmax.apply(_t(x), axis)


def masked_softmax(x, mask, axis=-1):
    """Softmax over the positions where ``mask`` is True (it broadcasts against x); a row with nothing kept is 0."""
    x = _t(x)
    mask = _array(mask, x)
    if mask.dtype != bool:
        raise TypeError(f"masked_softmax: mask must be boolean (True = keep), got dtype {mask.dtype}")
    if mask.shape != x.shape and not _broadcasts_to(mask.shape, x.shape):
        raise ValueError(f"masked_softmax: mask of shape {mask.shape} does not broadcast to x of shape {x.shape}")
    return _sm.MaskedSoftmax.apply(x, mask, axis)


# ----- layers -----
def linear(x, w, b=None):
    """y = x @ w^T + b with w of shape (out, in)."""
    x, w, b = _t(x), _t(w), _t(b)
    if w.ndim != 2 or x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: x of shape {x.shape} does not fit weight of shape {w.shape} "
                         f"(expected (..., in) with w (out, in))")
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"linear: bias of shape {b.shape} does not match weight of shape {w.shape} "
                         f"(expected ({w.shape[0]},))")
    return Linear.apply(x, w, b)


def _conv_checks(op, x, w, b, stride, padding, transpose):
    """Check x, w, b of a convolution (w is (out, in, ..), or (in, out, ..) when transposed); returns the
    stride and padding as pairs."""
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"{op}: expected x (N, C, H, W) and a 4-D weight, got x {x.shape} and weight {w.shape}")
    in_ch, out_ch = (w.shape[0], w.shape[1]) if transpose else (w.shape[1], w.shape[0])
    if x.shape[1] != in_ch:
        raise ValueError(f"{op}: x has {x.shape[1]} channels (shape {x.shape}) but the weight of shape {w.shape} "
                         f"expects {in_ch}")
    if b is not None and b.shape != (out_ch,):
        raise ValueError(f"{op}: bias of shape {b.shape} does not match {out_ch} output channels "
                         f"(weight {w.shape})")
    stride, padding = pair(stride, "stride", op), pair(padding, "padding", op)
    if min(stride) < 1:
        raise ValueError(f"{op}: stride must be positive, got {stride}")
    return stride, padding


def conv2d(x, w, b=None, stride=1, padding=0):
    """2-D cross-correlation of NCHW ``x`` with ``w`` of shape (out, in, kh, kw), by im2col and one matmul."""
    x, w, b = _t(x), _t(w), _t(b)
    stride, padding = _conv_checks("conv2d", x, w, b, stride, padding, transpose=False)
    out_hw = tuple(out_size(x.shape[2 + i], w.shape[2 + i], stride[i], padding[i], "conv2d") for i in range(2))
    return Conv2d.apply(x, w, b, stride, padding, out_hw)


def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0):
    """The adjoint of conv2d in its input (w of shape (in, out, kh, kw)): it upsamples by ``stride``.
    Output size (H - 1) * stride - 2 * padding + kh + output_padding, as in PyTorch."""
    x, w, b = _t(x), _t(w), _t(b)
    stride, padding = _conv_checks("conv_transpose2d", x, w, b, stride, padding, transpose=True)
    extra = pair(output_padding, "output_padding", "conv_transpose2d")
    if extra[0] >= stride[0] or extra[1] >= stride[1]:
        raise ValueError(f"conv_transpose2d: output_padding {extra} must be smaller than stride {stride}")
    out_hw = tuple((x.shape[2 + i] - 1) * stride[i] - 2 * padding[i] + w.shape[2 + i] + extra[i] for i in range(2))
    if min(out_hw) < 1:
        raise ValueError(f"conv_transpose2d: output size {out_hw} is not positive (x {x.shape}, weight {w.shape}, "
                         f"stride {stride}, padding {padding})")
    return ConvTranspose2d.apply(x, w, b, stride, padding, out_hw)


def _pool(op, fn, x, kernel_size, stride):
    x = _t(x)
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expected x of shape (N, C, H, W) or (C, H, W), got {x.shape}")
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else pair(stride, "stride", op)
    if min(kernel) < 1 or min(stride) < 1:
        raise ValueError(f"{op}: kernel_size {kernel} and stride {stride} must be positive")
    x4 = x.unsqueeze(0) if x.ndim == 3 else x
    out_hw = tuple(out_size(x4.shape[2 + i], kernel[i], stride[i], 0, op) for i in range(2))
    y = fn.apply(x4, (kernel, stride, out_hw))
    return y.squeeze(0) if x.ndim == 3 else y


def max_pool2d(x, kernel_size, stride=None):
    """Maximum over each kh x kw window (stride defaults to the kernel size)."""
    return _pool("max_pool2d", MaxPool2d, x, kernel_size, stride)


def avg_pool2d(x, kernel_size, stride=None):
    """Mean over each kh x kw window (stride defaults to the kernel size)."""
    return _pool("avg_pool2d", AvgPool2d, x, kernel_size, stride)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` axes of each sample, then scale and shift."""
    x, weight, bias = _t(x), _t(weight), _t(bias)
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.shape[x.ndim - k:] != shape or x.ndim < k:
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the trailing axes of x {x.shape}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and p.shape != shape:
            raise ValueError(f"layer_norm: {name} of shape {p.shape} does not match normalized_shape {shape}")
    return Normalize.apply(x, weight, bias, tuple(range(x.ndim - k, x.ndim)), eps)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=True, momentum=0.1, eps=1e-5):
    """Normalise each channel (axis 1) over the batch and spatial axes; x is (N, C) or (N, C, ...).

    training: batch statistics, and the running ones (Tensors, or None) move toward them in place:
    r <- (1 - momentum) r + momentum * batch stat, with the unbiased batch variance for ``running_var`` (PyTorch).
    eval: the running statistics normalise instead."""
    x, weight, bias = _t(x), _t(weight), _t(bias)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected x of shape (N, C) or (N, C, ...), got {x.shape}")
    c = x.shape[1]
    for name, p in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if p is not None and tuple(p.shape) != (c,):
            raise ValueError(f"batch_norm: {name} of shape {tuple(p.shape)} does not match the {c} channels of x "
                             f"{x.shape}")
    axes = (0,) + tuple(range(2, x.ndim))
    per_channel = (1, c) + (1,) * (x.ndim - 2)
    weight = weight.reshape(per_channel) if weight is not None else None
    bias = bias.reshape(per_channel) if bias is not None else None
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation mode (training=False) needs running_mean and running_var")
        mean, var = _t(running_mean).reshape(per_channel), _t(running_var).reshape(per_channel)
        y = (x - mean.detach()) * (var.detach() + eps) ** -0.5
        y = y * weight if weight is not None else y
        return y + bias if bias is not None else y
    m = x.size // c
    if m < 2:
        raise ValueError(f"batch_norm: training needs more than 1 value per channel, got x of shape {x.shape}")
    if running_mean is not None or running_var is not None:
        data = x.data
        mu = data.mean(axis=axes)
        if running_mean is not None:
            update_running(running_mean, mu, momentum)
        if running_var is not None:
            d = data - mu.reshape(per_channel)
            update_running(running_var, (d * d).sum(axis=axes) / (m - 1), momentum)
    return Normalize.apply(x, weight, bias, axes, eps)


def dropout(x, p=0.5, training=True):
    """Inverted dropout: zero each element with probability p and scale the survivors by 1 / (1 - p), so the
    expectation is unchanged and evaluation needs no rescaling. backward: g times the same mask."""
    x = _t(x)
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    keep = per_example(generator().random, x.shape) >= p
    scale = (keep * (1.0 / (1.0 - p))).astype(x.dtype)
    return x * Tensor(to_device(scale, x.device))


def embedding(indices, weight):
    """Rows of ``weight`` (num, dim) picked by integer ``indices`` of any shape -> indices.shape + (dim,).
    backward: each picked row adds its g into weight's gradient (repeats add up)."""
    weight = _t(weight)
    idx = _array(indices, weight)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be (num_embeddings, dim), got {weight.shape}")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= weight.shape[0]):
        raise IndexError(f"embedding: indices range over [{int(idx.min())}, {int(idx.max())}] but weight of shape "
                         f"{weight.shape} has {weight.shape[0]} rows")
    return weight[idx]


def scaled_dot_product_attention(q, k, v, mask=None, causal=False, scale=None):
    """softmax(q k^T * scale) v over (..., L, d) inputs; ``mask`` (broadcasting to (..., Lq, Lk)) is boolean with
    True = may attend, or a float tensor added to the scores; ``causal`` keeps keys j <= i. scale defaults to
    1 / sqrt(d). The kernel is chosen by ``tinygrad_gen.dispatch.attention_backend`` (TGG_ATTENTION)."""
    q, k, v = _t(q), _t(k), _t(v)
    if q.ndim < 2 or k.ndim != q.ndim or v.ndim != q.ndim or q.shape[-1] != k.shape[-1] \
            or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: q {q.shape}, k {k.shape}, v {v.shape} do not fit "
                         "(expected q (..., Lq, d), k (..., Lk, d), v (..., Lk, dv))")
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    if dispatch.attention_backend(q.data, mask=mask) == "numba" and v.shape[-1] == q.shape[-1]:
        from ..ops.attention_kernel import flash_attention
        return flash_attention(q, k, v, mask, causal, scale)
    keep, bias = None, None
    if mask is not None:
        if _array(mask, q).dtype == bool:
            keep = _array(mask, q)
        else:
            bias = _t(mask, q)
        shape, scores = (keep if keep is not None else bias).shape, q.shape[:-1] + (k.shape[-2],)
        if not _broadcasts_to(shape, scores):
            raise ValueError(f"scaled_dot_product_attention: mask of shape {shape} does not broadcast to the "
                             f"scores' shape {scores}")
    if causal:
        tri = causal_keep(xp_of(q.data), q.shape[-2], k.shape[-2])
        keep = tri if keep is None else keep & tri
    return reference_attention(q, k, v, keep, bias, scale)


# ----- losses -----
def mse_loss(a, b, reduction="mean"):
    """Mean squared error: (a - b)^2 reduced.  backward: da = 2 (a - b) g / n (from the chain rule)."""
    a = _t(a)
    b = _t(b, a)
    if a.shape != b.shape:
        raise ValueError(f"mse_loss: input of shape {a.shape} and target of shape {b.shape} differ")
    d = a - b
    return _reduce(d * d, reduction, "mse_loss")


def _class_target(op, logits, target, ignore_index):
    """Check an integer class target against logits (N, C, d1, ...) or (C,); returns (logits, target array)."""
    t = _array(target, logits)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {t.dtype}")
    want = logits.shape[:1] + logits.shape[2:] if logits.ndim >= 2 else ()
    if logits.ndim < 1 or t.shape != want:
        raise ValueError(f"{op}: target of shape {t.shape} does not fit logits of shape {logits.shape} "
                         f"(expected target shape {want})")
    c = logits.shape[1] if logits.ndim >= 2 else logits.shape[0]
    bad = (t != ignore_index) & ((t < 0) | (t >= c))
    if bad.any():
        raise ValueError(f"{op}: target value {int(t[bad].ravel()[0])} is out of range for {c} classes "
                         f"(logits of shape {logits.shape})")
    return t


def cross_entropy(logits, target, ignore_index=-100, reduction="mean"):
    """Softmax cross-entropy: -log softmax(logits)[target] along the class axis 1 (logits (N, C) or (N, C, d1, ...),
    integer target (N,) or (N, d1, ...)); "mean" averages over the targets that are not ``ignore_index``.
    A float target of the logits' shape is read as class probabilities: -sum(target * log_softmax(logits), 1)."""
    logits = _t(logits)
    if _array(target, logits).dtype.kind == "f":
        target = _t(target, logits)
        if target.shape != logits.shape or logits.ndim < 1:
            raise ValueError(f"cross_entropy: probability target of shape {target.shape} must match logits "
                             f"{logits.shape}")
        axis = 1 if logits.ndim >= 2 else 0
        return _reduce(-(target * logits.log_softmax(axis=axis)).sum(axis=axis), reduction, "cross_entropy")
    t = _class_target("cross_entropy", logits, target, ignore_index)
    _check_reduction(reduction, "cross_entropy")
    if logits.ndim == 2:
        return CrossEntropy.apply(logits, t, ignore_index, reduction)
    # (C,) or (N, C, d1, ...): the fused op takes rows of logits, so put the classes last
    c = logits.shape[0 if logits.ndim == 1 else 1]
    rows = logits.transpose(0, *range(2, logits.ndim), 1) if logits.ndim > 2 else logits
    loss = CrossEntropy.apply(rows.reshape(-1, c), t.reshape(-1), ignore_index, reduction)
    return loss.reshape(t.shape) if reduction == "none" else loss


def nll_loss(logp, target, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of integer targets given log-probabilities (N, C, ...): -logp[n, target[n]]."""
    logp = _t(logp)
    t = _class_target("nll_loss", logp, target, ignore_index)
    out_shape = t.shape
    if logp.ndim == 1:
        logp, t = logp.unsqueeze(0), t.reshape(1)
    keep = t != ignore_index
    flat = logp.transpose(0, *range(2, logp.ndim), 1).reshape(-1, logp.shape[1]) if logp.ndim > 2 else logp
    rows = to_device(np.arange(flat.shape[0]), logp.device)
    picked = flat[rows, xp_of(t).where(keep, t, 0).reshape(-1)]
    loss = -(picked * Tensor(keep.reshape(-1).astype(logp.dtype))).reshape(out_shape)
    if reduction == "mean":
        return loss.sum() / Tensor(keep.sum().astype(loss.dtype))  # stays on the device: no sync
    return _reduce(loss, reduction, "nll_loss")


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """-(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))) for logits x, computed stably (finite at x = +-1e4)."""
    logits = _t(logits)
    target = _t(target, logits)
    if target.shape != logits.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target of shape {target.shape} must match logits of "
                         f"shape {logits.shape}")
    if target.dtype != logits.dtype:
        target = target.astype(logits.dtype)
    return _reduce(BCEWithLogits.apply(logits, target), reduction, "binary_cross_entropy_with_logits")


# ----- VAE -----
def reparameterize(mu, logvar, eps=None):
    """z = mu + exp(logvar / 2) * eps with eps ~ N(0, I) from the engine's generator (``tg.manual_seed``) unless
    given; gradients flow to mu and logvar (dmu = g, dlogvar = g * eps * exp(logvar / 2) / 2)."""
    mu, logvar = _t(mu), _t(logvar)
    eps = _t(eps, mu)
    shape = _broadcastable(mu.shape, logvar.shape, *(() if eps is None else (eps.shape,)))
    if shape is None:
        raise ValueError(f"reparameterize: mu {mu.shape}, logvar {logvar.shape} and eps "
                         f"{None if eps is None else eps.shape} do not broadcast together")
    if eps is None:
        eps = Tensor(to_device(per_example(generator().standard_normal, shape).astype(mu.dtype), mu.device))
    return Reparameterize.apply(mu, logvar, eps)


def gaussian_kl(mu, logvar, reduction="none"):
    """KL(N(mu, diag exp(logvar)) || N(0, I)) = 1/2 sum(exp(logvar) + mu^2 - 1 - logvar) over the last axis
    (one value per sample; ``reduction`` then averages or sums those)."""
    mu, logvar = _t(mu), _t(logvar)
    if mu.shape != logvar.shape:
        raise ValueError(f"gaussian_kl: mu of shape {mu.shape} and logvar of shape {logvar.shape} differ")
    if mu.ndim == 0:
        raise ValueError("gaussian_kl: expected mu and logvar with at least one axis, got scalars")
    return _reduce(GaussianKL.apply(mu, logvar), reduction, "gaussian_kl")
