"""``F``: the stateless functions of neural networks, PyTorch-style (``import tinygrad_gen.nn.functional as F``).

Each function checks its arguments (errors name the function and the shapes), then calls one ``Function`` from
``tinygrad_gen/ops/`` — read those for the forward and backward math — or composes a few differentiable ops.
Losses take ``reduction="mean" | "sum" | "none"``.
"""
import math

import numpy as np

from .. import backend, dispatch
from ..backend import to_device, xp_of
from ..ops import activation as _act, elementwise as _ew, pad as _pad, softmax as _sm
from ..ops.attention import causal_keep, reference_attention
from ..ops.conv import Conv2d, ConvTranspose2d
from ..ops.gaussian import GaussianKL, Reparameterize
from ..ops.linear import Linear
from ..ops.loss import BCEWithLogits, BinaryCrossEntropy, CrossEntropy
from ..ops.norm import BatchNorm, Standardize, update_running
from ..ops.pool import AvgPool2d, MaxPool2d
from ..ops.windows import out_size, pair, pool_pads
from ..random import generator, per_example
from ..tensor import Tensor, _to_array

__all__ = ["relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softplus", "softmax", "log_softmax", "masked_softmax",
           "linear", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool2d", "avg_pool2d",
           "layer_norm", "batch_norm", "dropout",
           "embedding", "scaled_dot_product_attention", "mse_loss", "cross_entropy", "nll_loss",
           "binary_cross_entropy_with_logits", "reparameterize", "gaussian_kl",
           "attention", "silu", "elu", "selu", "celu", "hardsigmoid", "hardswish", "relu6", "hardtanh", "softsign",
           "mish", "quick_gelu", "logsigmoid", "pad", "interpolate", "upsample", "binary_cross_entropy"]


def _t(x, like=None):
    """Tensors pass; arrays and lists become constant Tensors (float data takes ``like``'s dtype and device)."""
    if x is None or isinstance(x, Tensor):
        return x
    kind = x.dtype.kind if isinstance(x, backend.ARRAY_TYPES) else np.asarray(x).dtype.kind
    dtype = like.dtype if like is not None and kind == "f" else None
    return Tensor(_to_array(x, dtype, like.device if like is not None else "cpu"))


def _array(x, like):
    """A constant (mask, index) as an array on ``like``'s device."""
    a = x.data if isinstance(x, Tensor) else x if isinstance(x, backend.ARRAY_TYPES) else np.asarray(x)
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


def gelu(x, approximate="none"):
    """x * Phi(x) (exact, with erf); approximate="tanh" is the tanh formula of Hendrycks and Gimpel."""
    if approximate == "tanh":
        return _gelu_tanh(_t(x))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _ew.Gelu.apply(_t(x))


def sigmoid(x):
    return _ew.Sigmoid.apply(_t(x))


def tanh(x):
    return _ew.Tanh.apply(_t(x))


def softplus(x):
    return _ew.Softplus.apply(_t(x))


def softmax(x, axis=-1, dim=None):
    return _sm.Softmax.apply(_t(x), axis if dim is None else dim)


def log_softmax(x, axis=-1, dim=None):
    return _sm.LogSoftmax.apply(_t(x), axis if dim is None else dim)


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


def _conv_checks(op, x, w, b, stride, padding, dilation, groups, transpose, dims=2):
    """Check x, w, b of a convolution (w is (out, in / groups, ..), or (in, out / groups, ..) when transposed);
    returns the geometry (stride, padding, dilation, groups) with pairs for the first three."""
    if x.ndim != dims + 2 or w.ndim != dims + 2:
        layout = "(N, C, H, W)" if dims == 2 else "(N, C, L)"
        raise ValueError(f"{op}: expected x {layout} and a {dims + 2}-D weight, got x {x.shape} and weight {w.shape}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    in_ch, out_ch = (w.shape[0], w.shape[1] * groups) if transpose else (w.shape[1] * groups, w.shape[0])
    if x.shape[1] % groups or (w.shape[0] % groups):
        raise ValueError(f"{op}: {x.shape[1]} input channels (x {x.shape}) and weight {w.shape} must both split "
                         f"into groups={groups}")
    if x.shape[1] != in_ch:
        raise ValueError(f"{op}: x has {x.shape[1]} channels (shape {x.shape}) but the weight of shape {w.shape} "
                         f"with groups={groups} expects {in_ch}")
    if b is not None and b.shape != (out_ch,):
        raise ValueError(f"{op}: bias of shape {b.shape} does not match {out_ch} output channels "
                         f"(weight {w.shape})")
    stride = pair(stride, "stride", op, least=1)
    dilation = pair(dilation, "dilation", op, least=1)
    padding = pair(padding, "padding", op)
    return stride, padding, dilation, int(groups)


def _same_padding(op, w, stride, dilation):
    """padding="same" (stride 1): total d (k - 1) per axis, the odd one extra at the end as in PyTorch. Returns
    the symmetric padding (the larger half on both sides) and which axes then need their first output dropped."""
    if pair(stride, "stride", op, least=1) != (1, 1):
        raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride!r}")
    total = [d * (k - 1) for d, k in zip(pair(dilation, "dilation", op, least=1), w.shape[2:])]
    return tuple((t + 1) // 2 for t in total), tuple(t % 2 == 1 for t in total)


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of NCHW ``x`` with ``w`` of shape (out, in / groups, kh, kw), by im2col and one matmul
    per group; padding may be an int, a pair, "valid" (0) or "same" (stride 1, output size = input size)."""
    x, w, b = _t(x), _t(w), _t(b)
    trim = (False, False)
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"conv2d: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
        padding, trim = ((0, 0), trim) if padding == "valid" else _same_padding("conv2d", w, stride, dilation)
    geom = _conv_checks("conv2d", x, w, b, stride, padding, dilation, groups, transpose=False)
    out_hw = tuple(out_size(x.shape[2 + i], w.shape[2 + i], geom[0][i], geom[1][i], "conv2d", geom[2][i])
                   for i in range(2))
    y = Conv2d.apply(x, w, b, geom, out_hw)
    if trim[0]:
        y = y[:, :, 1:]
    if trim[1]:
        y = y[:, :, :, 1:]
    return y


def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv2d in its input (w of shape (in, out / groups, kh, kw)): it upsamples by ``stride``.
    Output size (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1, as in PyTorch."""
    x, w, b = _t(x), _t(w), _t(b)
    geom = _conv_checks("conv_transpose2d", x, w, b, stride, padding, dilation, groups, transpose=True)
    stride, padding, dilation, _ = geom
    extra = pair(output_padding, "output_padding", "conv_transpose2d")
    if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(f"conv_transpose2d: output_padding {extra} must be smaller than stride {stride} or "
                         f"dilation {dilation}")
    out_hw = tuple((x.shape[2 + i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (w.shape[2 + i] - 1)
                   + extra[i] + 1 for i in range(2))
    if min(out_hw) < 1:
        raise ValueError(f"conv_transpose2d: output size {out_hw} is not positive (x {x.shape}, weight {w.shape}, "
                         f"stride {stride}, padding {padding})")
    return ConvTranspose2d.apply(x, w, b, geom, out_hw)


def _one_d(op, x, w, *ints):
    """conv1d's arguments as conv2d's: (N, C, L) -> (N, C, 1, L), weights likewise, ints (v,) or v -> (1, v)
    for the axis of height 1 (whose stride, dilation 1 and padding, output_padding 0 change nothing)."""
    x, w = _t(x), _t(w)
    if x.ndim != 3 or w.ndim != 3:
        raise ValueError(f"{op}: expected x (N, C, L) and a 3-D weight, got x {x.shape} and weight {w.shape}")
    out = []
    for v, neutral in ints:
        if isinstance(v, str):
            out.append(v)
            continue
        v = tuple(v) if isinstance(v, (tuple, list)) else (v,)
        if len(v) != 1:
            raise ValueError(f"{op}: expected an int or a 1-tuple, got {v!r}")
        out.append((neutral, v[0]))
    return x.unsqueeze(2), w.unsqueeze(2), out


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation of (N, C, L) ``x`` with ``w`` of shape (out, in / groups, k): conv2d on a height of 1."""
    x4, w4, (stride, padding, dilation) = _one_d("conv1d", x, w, (stride, 1), (padding, 0), (dilation, 1))
    return conv2d(x4, w4, b, stride, padding, dilation, groups).squeeze(2)


def conv_transpose1d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv1d in its input (w of shape (in, out / groups, k)): conv_transpose2d on a height of 1."""
    x4, w4, (stride, padding, extra, dilation) = _one_d("conv_transpose1d", x, w, (stride, 1), (padding, 0),
                                                        (output_padding, 0), (dilation, 1))
    return conv_transpose2d(x4, w4, b, stride, padding, extra, groups, dilation).squeeze(2)


def _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expected x of shape (N, C, H, W) or (C, H, W), got {x.shape}")
    kernel = pair(kernel_size, "kernel_size", op, least=1)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) else \
        pair(stride, "stride", op, least=1)
    padding, dilation = pair(padding, "padding", op), pair(dilation, "dilation", op, least=1)
    for p, k in zip(padding, kernel):
        if p > k // 2:
            raise ValueError(f"{op}: padding {padding} should be at most half of the kernel size {kernel}")
    hw = x.shape[-2:]
    out_hw = tuple(out_size(hw[i], kernel[i], stride[i], padding[i], op, dilation[i], ceil_mode) for i in range(2))
    return kernel, stride, dilation, out_hw, pool_pads(hw, kernel, stride, dilation, padding, out_hw), padding


def _pooled(fn, x, geom):
    x4 = x.unsqueeze(0) if x.ndim == 3 else x
    y = fn.apply(x4, geom)
    return y.squeeze(0) if x.ndim == 3 else y


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Maximum over each kh x kw window (stride defaults to the kernel size); ``padding`` pixels of -inf on each
    side, window taps ``dilation`` apart, ``ceil_mode`` keeps a last partial window (PyTorch's rules)."""
    x = _t(x)
    kernel, stride, dilation, out_hw, pads, _ = _pool_geometry("max_pool2d", x, kernel_size, stride, padding,
                                                               dilation, ceil_mode)
    return _pooled(MaxPool2d, x, (kernel, stride, dilation, out_hw, pads, None))


def _avg_divisor(hw, kernel, stride, padding, out_hw, count_include_pad):
    """PyTorch's avg_pool2d divisor per output position, as an (Ho, Wo) array: the window clipped to the padded
    input (count_include_pad) or to the input itself."""
    sizes = []
    for n, k, s, p, o in zip(hw, kernel, stride, padding, out_hw):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        sizes.append(end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0))
    return np.outer(*sizes).astype(np.float64)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over each kh x kw window (stride defaults to the kernel size), with zero ``padding`` counted in the
    mean or not (``count_include_pad``), ``ceil_mode`` and ``divisor_override`` as in PyTorch."""
    x = _t(x)
    kernel, stride, dilation, out_hw, pads, padding = _pool_geometry("avg_pool2d", x, kernel_size, stride, padding,
                                                                     1, ceil_mode)
    if divisor_override is not None:
        if not isinstance(divisor_override, (int, np.integer)) or divisor_override <= 0:
            raise ValueError(f"avg_pool2d: divisor_override must be a positive int, got {divisor_override!r}")
        divisor = float(divisor_override)
    else:
        divisor = _avg_divisor(x.shape[-2:], kernel, stride, padding, out_hw, count_include_pad)
        divisor = float(divisor.flat[0]) if (divisor == divisor.flat[0]).all() else to_device(divisor, x.device)
    return _pooled(AvgPool2d, x, (kernel, stride, dilation, out_hw, pads, divisor))


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
    return _scale_shift(Standardize.apply(x, tuple(range(x.ndim - k, x.ndim)), eps), weight, bias)


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
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation mode (training=False) needs running_mean and running_var")
        per_channel = (1, c) + (1,) * (x.ndim - 2)
        mean, var = _t(running_mean).reshape(per_channel), _t(running_var).reshape(per_channel)
        y = (x - mean.detach()) * (var.detach() + eps) ** -0.5
        y = y * weight.reshape(per_channel) if weight is not None else y
        return y + bias.reshape(per_channel) if bias is not None else y
    m = x.size // c
    if m < 2:
        raise ValueError(f"batch_norm: training needs more than 1 value per channel, got x of shape {x.shape}")
    stats = []
    y = BatchNorm.apply(x, weight, bias, eps, stats)
    if running_mean is not None:
        update_running(running_mean, stats[0], momentum)
    if running_var is not None:
        update_running(running_var, stats[1] * (m / (m - 1)), momentum)
    return y


def _scale_shift(xhat, weight, bias):
    """y = xhat * w + b, either optional: plain Tensor ops, so dw and db come from Mul, Add and unbroadcast."""
    y = xhat * weight if weight is not None else xhat
    return y + bias if bias is not None else y


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
    1 / sqrt(d). The kernel is chosen by ``tinygrad_gen.dispatch.attention_backend`` (TGG_ATTENTION).
    Giving both ``mask`` and ``causal=True`` is an error, as in PyTorch (``nn.MultiHeadAttention`` combines them)."""
    if mask is not None and causal:
        raise ValueError("scaled_dot_product_attention: give either mask or causal=True, not both (as PyTorch); "
                         "fold the causal pattern into the mask to combine them")
    return attention(q, k, v, mask, causal, scale)


def attention(q, k, v, mask=None, causal=False, scale=None):
    """scaled_dot_product_attention that also takes ``mask`` and ``causal`` together (their intersection): what
    ``nn.MultiHeadAttention`` calls, so a padding mask keeps the fused kernels in a causal decoder."""
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


def cross_entropy(logits, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy: -log softmax(logits)[target] along the class axis 1 (logits (N, C) or (N, C, d1, ...),
    integer target (N,) or (N, d1, ...)); "mean" averages over the targets that are not ``ignore_index``.
    A float target of the logits' shape is read as class probabilities: -sum(target * log_softmax(logits), 1).
    ``weight`` (C,) scales each class's loss; with it, "mean" divides by the sum of the kept targets' weights.
    ``label_smoothing`` e mixes in the uniform distribution: (1 - e) * nll + e * mean over classes of
    -w_c log p_c (PyTorch's exact formula, ignore_index and weights included)."""
    logits = _t(logits)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    axis = 1 if logits.ndim >= 2 else 0
    w = None if weight is None else _class_weight("cross_entropy", weight, logits)
    wb = None if w is None else w.reshape((-1,) + (1,) * (logits.ndim - 2)) if logits.ndim >= 2 else w
    if _array(target, logits).dtype.kind == "f":
        target = _t(target, logits)
        if target.shape != logits.shape or logits.ndim < 1:
            raise ValueError(f"cross_entropy: probability target of shape {target.shape} must match logits "
                             f"{logits.shape}")
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / logits.shape[axis]
        terms = target * logits.log_softmax(axis=axis)
        terms = terms * wb if wb is not None else terms
        return _reduce(-terms.sum(axis=axis), reduction, "cross_entropy")
    t = _class_target("cross_entropy", logits, target, ignore_index)
    _check_reduction(reduction, "cross_entropy")
    if w is None and not label_smoothing:
        return _fused_cross_entropy(logits, t, ignore_index, reduction)
    logp = logits.log_softmax(axis=axis)
    nll = _weighted_nll("cross_entropy", logp, t, ignore_index, reduction, w)
    if not label_smoothing:
        return nll
    keep = t != ignore_index
    smooth = -((logp * wb) if wb is not None else logp).sum(axis=axis) * Tensor(keep.astype(logp.dtype))
    if reduction == "mean":
        den = (w[xp_of(t).where(keep, t, 0)].detach() * Tensor(keep.astype(logp.dtype))).sum() if w is not None \
            else Tensor(xp_of(t).asarray(keep.sum(), dtype=logp.dtype))
        smooth = smooth.sum() / den
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / logits.shape[axis])


def _fused_cross_entropy(logits, t, ignore_index, reduction):
    if logits.ndim == 2:
        return CrossEntropy.apply(logits, t, ignore_index, reduction)
    # (C,) or (N, C, d1, ...): the fused op takes rows of logits, so put the classes last
    c = logits.shape[0 if logits.ndim == 1 else 1]
    rows = logits.transpose(0, *range(2, logits.ndim), 1) if logits.ndim > 2 else logits
    loss = CrossEntropy.apply(rows.reshape(-1, c), t.reshape(-1), ignore_index, reduction)
    return loss.reshape(t.shape) if reduction == "none" else loss


def nll_loss(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of integer targets given log-probabilities (N, C, ...): -w[t] logp[n, t[n]], with
    class weights ``w`` (1 without); "mean" divides by the sum of the kept targets' weights (PyTorch)."""
    logp = _t(logp)
    t = _class_target("nll_loss", logp, target, ignore_index)
    _check_reduction(reduction, "nll_loss")
    w = None if weight is None else _class_weight("nll_loss", weight, logp)
    return _weighted_nll("nll_loss", logp, t, ignore_index, reduction, w)


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


# ----- more activations (ops/activation.py; the rest are compositions, their backward from the chain rule) -----
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_GELU_TANH_C = math.sqrt(2.0 / math.pi)


def silu(x):
    """x * sigmoid(x) (swish)."""
    return _act.Silu.apply(_t(x))


def elu(x, alpha=1.0):
    """x for x > 0, alpha (exp(x) - 1) otherwise."""
    return _act.Elu.apply(_t(x), alpha)


def selu(x):
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al. (PyTorch's)."""
    return _act.Elu.apply(_t(x), _SELU_ALPHA) * _SELU_SCALE


def celu(x, alpha=1.0):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)) = alpha * elu(x / alpha, 1)."""
    return _act.Elu.apply(_t(x) / alpha, 1.0) * alpha


def hardsigmoid(x):
    """clip(x / 6 + 1/2, 0, 1)."""
    return _act.Hardsigmoid.apply(_t(x))


def hardswish(x):
    """x * hardsigmoid(x)."""
    return _act.Hardswish.apply(_t(x))


def relu6(x):
    return _t(x).clip(0.0, 6.0)


def hardtanh(x, min_val=-1.0, max_val=1.0):
    return _t(x).clip(min_val, max_val)


def softsign(x):
    """x / (1 + |x|); d/dx = 1 / (1 + |x|)^2 follows from the quotient rule (abs' = sign, 0 at 0)."""
    x = _t(x)
    return x / (x.abs() + 1)


def mish(x):
    """x * tanh(softplus(x)) (Misra 2019)."""
    x = _t(x)
    return x * _ew.Softplus.apply(x).tanh()


def quick_gelu(x):
    """x * sigmoid(1.702 x), the sigmoid approximation of GELU used by CLIP."""
    x = _t(x)
    return x * (x * 1.702).sigmoid()


def _gelu_tanh(x):
    """0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), PyTorch's gelu(approximate="tanh")."""
    inner = (x + x * x * x * 0.044715) * _GELU_TANH_C
    return x * 0.5 * (inner.tanh() + 1)


def logsigmoid(x):
    """log sigmoid(x) = -softplus(-x), finite at x = -1e4."""
    return -_ew.Softplus.apply(-_t(x))


# ----- padding and resampling (ops/pad.py) -----
def _pad_pairs(x, pad, op="pad"):
    """PyTorch's pad tuple (last axis first: (left, right, top, bottom, ...)) as (before, after) per axis."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"{op}: pad {pad} must have an even length of at most 2 * {x.ndim} for shape {x.shape}")
    pairs = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        pairs[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return tuple(pairs)


def pad(x, pad, mode="constant", value=0.0):
    """Pad (or, with negative amounts, crop) the trailing axes: ``pad`` is (last_before, last_after,
    second_last_before, ...) as in PyTorch. mode: "constant" (with ``value``), "reflect" (mirror, edge not
    repeated), "replicate" (repeat the edge), "circular" (wrap around)."""
    x = _t(x)
    pairs = _pad_pairs(x, pad)
    if mode == "constant":
        return _pad.ConstantPad.apply(x, pairs, value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    for axis, (lo, hi) in enumerate(pairs):
        if lo == hi == 0:
            continue
        n = x.shape[axis]
        limit = n - 1 if mode == "reflect" else n if mode == "circular" else None
        if n == 0 or (limit is not None and max(lo, hi) > limit):
            raise ValueError(f"pad: {mode} padding of {(lo, hi)} is too large for axis {axis} of size {n} "
                             f"(shape {x.shape})")
        idx = to_device(_pad.pad_index(n, lo, hi, mode), x.device)
        x = x[(slice(None),) * axis + (idx,)]
    return x


def interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Resample the spatial axes of (N, C, ...) ``x`` to ``size`` (or input size * ``scale_factor``, floored).
    mode "nearest" reads input floor(i * in / out); "linear" / "bilinear" / "trilinear" interpolate between the
    two nearest inputs along each spatial axis in turn (separable), with PyTorch's source coordinates for
    ``align_corners``. Both are gathers with constant weights, so the gradient is indexing's and the weights'."""
    x = _t(x)
    k = x.ndim - 2
    if k < 1:
        raise ValueError(f"interpolate: expected x of shape (N, C, ...) with spatial axes, got {x.shape}")
    linear = {"linear": 1, "bilinear": 2, "trilinear": 3}
    if mode not in ("nearest", *linear):
        raise ValueError(f"interpolate: mode must be 'nearest', 'linear', 'bilinear' or 'trilinear', got {mode!r}")
    if mode in linear and linear[mode] != k:
        raise ValueError(f"interpolate: mode {mode!r} needs {linear[mode]} spatial axes, got x of shape {x.shape}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners only applies to the linear modes")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    scales = [None] * k
    if size is not None:
        size = (size,) * k if isinstance(size, (int, np.integer)) else tuple(size)
    else:
        scales = [float(s) for s in ((scale_factor,) * k if isinstance(scale_factor, (int, float)) else scale_factor)]
        size = tuple(int(math.floor(n * s)) for n, s in zip(x.shape[2:], scales))
    if len(size) != k or min(size) < 1:
        raise ValueError(f"interpolate: output size {size} does not fit x of shape {x.shape}")
    for i in range(k):
        axis, n_in, n_out = 2 + i, x.shape[2 + i], size[i]
        pre = (slice(None),) * axis
        if mode == "nearest":
            x = x[pre + (to_device(_pad.nearest_index(n_in, n_out, scales[i]), x.device),)]
            continue
        i0, i1, w = _pad.linear_weights(n_in, n_out, bool(align_corners), scales[i])
        w = Tensor(to_device(w.reshape((-1,) + (1,) * (x.ndim - axis - 1)).astype(x.dtype), x.device))
        lo, hi = x[pre + (to_device(i0, x.device),)], x[pre + (to_device(i1, x.device),)]
        x = lo + (hi - lo) * w
    return x


def upsample(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(x, size, scale_factor, mode, align_corners)


# ----- probability losses -----
def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-(t log p + (1 - t) log(1 - p)) on probabilities p in [0, 1], each log clamped at -100 like PyTorch;
    ``weight`` (broadcasting against p) rescales each element's loss."""
    p = _t(input)
    t = _t(target, p)
    if t.shape != p.shape:
        raise ValueError(f"binary_cross_entropy: target of shape {t.shape} must match input of shape {p.shape}")
    lo, hi = (float(p.data.min()), float(p.data.max())) if p.size else (0.0, 1.0)
    if lo < 0 or hi > 1:
        raise ValueError(f"binary_cross_entropy: input must hold probabilities in [0, 1], got values in [{lo}, {hi}]")
    loss = BinaryCrossEntropy.apply(p, t.astype(p.dtype) if t.dtype != p.dtype else t)
    if weight is not None:
        loss = loss * _t(weight, p)
    return _reduce(loss, reduction, "binary_cross_entropy")


def _class_weight(op, weight, logits):
    w = _t(weight, logits)
    c = logits.shape[1] if logits.ndim >= 2 else logits.shape[0]
    if w.shape != (c,):
        raise ValueError(f"{op}: weight of shape {w.shape} must have one entry per class ({c}; input {logits.shape})")
    return w.astype(logits.dtype) if w.dtype != logits.dtype else w


def _weighted_nll(op, logp, t, ignore_index, reduction, weight):
    """-w[t] logp[t] per target with w the class weights (1 without), 0 at ignore_index; "mean" divides the sum
    by the sum of w[t] over the kept targets (PyTorch's weighted mean)."""
    keep = t != ignore_index
    safe = xp_of(t).where(keep, t, 0)
    axis = 1 if logp.ndim >= 2 else 0
    picked = logp.gather(axis, xp_of(t).expand_dims(safe, axis)).squeeze(axis)
    w = Tensor(keep.astype(logp.dtype))
    if weight is not None:
        w = w * weight[safe].detach()
    loss = -(picked * w)
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _reduce(loss, reduction, op)


from .. import binding as _binding, ops_new as _ops  # noqa: E402
globals().update(_binding.functionals(_ops.FAMILIES))
