"""Losses: mean squared and mean absolute error, softmax cross-entropy (class indices or probabilities, class
weights, label smoothing, ignored targets), negative log-likelihood, and binary cross-entropy on probabilities or on
logits.

Every loss takes PyTorch's signature: ``reduction="mean" | "sum" | "none"`` (anything else is refused), the
deprecated ``size_average`` / ``reduce`` turned into a reduction with PyTorch's warning, and a floating-point input
(an integer one is refused naming the op and the dtype, as PyTorch refuses it). The fused ones work on logits and stay
finite at logits of +-1e4. Cross-entropy's forward with one global shift instead of a row max and BLAS row sums is a
registered fast path in ``fast/losses.py``."""
from __future__ import annotations

import warnings

import numpy as np

from ..errors import ArgumentError
from ..autograd import Function
from ..backend import as_array, xp_of
from ..binding import bind
from ..dispatch import pick
from ..tensor import Tensor, TensorLike
from .case import OpCase, pattern, positive
from .activations import Softplus
from .checks import as_tensor, broadcast_shape, check_reduction, constant, reduce_loss


class SquaredError(Function):
    """z = (a - b)^2 elementwise (mse_loss before its reduction).
    backward: dz/da = 2 (a - b) and dz/db = -2 (a - b), so da = 2 g (a - b), db = -2 g (a - b)."""
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        d = a - b
        return d * d

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        da = g * (a - b) * 2
        return (da if need_a else None), (-da if need_b else None)


class AbsoluteError(Function):
    """z = |a - b| elementwise (l1_loss before its reduction).
    backward: dz/da = sign(a - b) and dz/db = -sign(a - b) (0 where a == b, PyTorch's subgradient), so
    da = g sign(a - b), db = -da. The sign is a constant of a and b, so the second derivative is 0. Only the
    sign of the difference a - b is kept (PyTorch's l1_loss keeps the difference, for its abs), so changing a or b
    in place after the forward is allowed, as in PyTorch."""
    @staticmethod
    def forward(ctx, a, b):
        d = as_array(a - b)
        ctx.sign = Tensor(as_array(xp_of(d).sign(d)))
        return abs(d)

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        da = g * ctx.sign
        return (da if need_a else None), (-da if need_b else None)


class CrossEntropy(Function):
    """loss[r] = logsumexp(x[r, :]) - x[r, t[r]] = -log softmax(x[r])[t[r]] for logits x (R, C) and class indices t
    (R,), 0 where t == ignore_index; then "none" keeps the rows, "sum" adds them, "mean" divides the sum by the
    number n of kept rows. logsumexp(x) = m + log sum exp(x - m) with m the row max: stable at x = +-1e4.
    backward: d logsumexp(x) / dx_c = exp(x_c) / sum exp(x) = softmax(x)_c and d x_t / dx_c = [c = t], so
              dx[r, :] = w_r (softmax(x[r]) - onehot(t[r])) with w_r = g[r] ("none"), g ("sum") or g / n ("mean")
              on kept rows and w_r = 0 on ignored ones. With every target ignored under "mean" (n = 0) the loss
              is 0/0 = NaN and the gradient 0, as PyTorch's (w_r = 0 everywhere; no NaN reaches the weights).
              softmax(x) is recomputed from the saved x by the Tensor op, so a double backward differentiates it.
              (``reduced`` and ``gradient`` are the steps after the logsumexp and the softmax, which the fast path
              computes its own way.)"""
    @staticmethod
    def forward(ctx, x, target, ignore_index, reduction):
        m = x.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(x - m).sum(axis=1))
        return CrossEntropy.reduced(ctx, x, lse, target, ignore_index, reduction)

    @staticmethod
    def reduced(ctx, x, lse, target, ignore_index, reduction):
        """The reduced loss from each row's logsumexp ``lse``: loss[r] = lse[r] - x[r, t[r]], 0 at ignored rows.
        Saves x, and keeps the targets t and the weights d (reduced loss) / d loss[r] on ctx for ``gradient``."""
        xp = xp_of(x)
        keep = target != ignore_index
        t = xp.where(keep, target, 0)  # a safe class index at ignored rows (their loss is multiplied by 0)
        picked = xp.take_along_axis(x, t[:, None], axis=1)[:, 0]
        loss = ((lse - picked) * keep).astype(x.dtype, copy=False)
        weight = keep.astype(x.dtype)  # d (reduced loss) / d loss[r]
        out = None
        if reduction == "mean":
            n = keep.sum()  # n stays on the device: no host sync
            # every target ignored (n = 0): PyTorch's loss is 0/0 = NaN but its gradient is 0, not NaN
            weight /= xp.maximum(n, 1)
            out = (loss @ weight + xp.where(n == 0, xp.nan, 0)).astype(x.dtype, copy=False)
        ctx.save_for_backward(x)
        ctx.t, ctx.weight = t, weight
        return loss if reduction == "none" else out if reduction == "mean" else loss.sum()

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return CrossEntropy.gradient(ctx, x.softmax(axis=1), g)

    @staticmethod
    def gradient(ctx, p, g):
        """dx = (p - onehot(t)) * g * weight per row, for the softmax p of x (a Tensor)."""
        xp = xp_of(p._data)
        onehot = xp.zeros(p.shape, dtype=p.dtype)
        onehot[xp.arange(len(ctx.t)), ctx.t] = 1
        return (p - Tensor(onehot)) * (g * Tensor(ctx.weight)).unsqueeze(1), None, None, None


class BCEWithLogits(Function):
    """loss = -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))) for logits x and targets t in [0, 1].
    forward: with log sigmoid(x) = -softplus(-x) and log(1 - sigmoid(x)) = -softplus(x) = -x - softplus(-x), the
             loss is x - x t + softplus(-x) = max(x, 0) - x t + log1p(exp(-|x|)): exp never sees a large positive
             number, so x = +-1e4 stays finite.
    backward: d/dx = 1 - t - sigmoid(-x) = sigmoid(x) - t and d/dt = -x, so dx = g (sigmoid(x) - t), dt = -g x."""
    @staticmethod
    def forward(ctx, x, t):
        ctx.save_for_backward(x, t)
        return np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad
        return (g * (x.sigmoid() - t) if need_x else None), (-(g * x) if need_t else None)


class BinaryCrossEntropy(Function):
    """loss = -(t log p + (1 - t) log(1 - p)) for probabilities p and targets t, each log clamped at -100
    (PyTorch's choice: p = 0 or 1 gives a finite loss of at most 100).
    backward: d/dp = -t / p + (1 - t) / (1 - p) = (p - t) / (p (1 - p)), with the denominator clamped at 1e-12
              (PyTorch's clamp), so dp = g (p - t) / max(p (1 - p), 1e-12);
              d/dt = -log p + log(1 - p), so dt = g (log(1 - p) - log p), unclamped as in PyTorch (infinite at
              p = 0 or 1)."""
    @staticmethod
    def forward(ctx, p, t):
        ctx.save_for_backward(p, t)
        with np.errstate(divide="ignore"):
            lp, l1p = np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)
        return -(t * lp + (1 - t) * l1p)

    @staticmethod
    def backward(ctx, g):
        p, t = ctx.saved_tensors
        need_p, need_t = ctx.needs_input_grad
        dp = g * (p - t) / (p * (1 - p)).clip(1e-12) if need_p else None
        dt = None
        if need_t:
            with np.errstate(divide="ignore"):
                dt = g * ((1 - p).log() - p.log())
        return dp, dt


# ----- the functions users call -----
_TORCH_TYPE = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _float_input(x: Tensor, op: str, name: str = "input") -> Tensor:
    """``x``, checked to be floating point: an integer or boolean input is refused naming the op and the dtype
    (PyTorch: "... not implemented for 'Long'")."""
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"{op}: expected a floating-point {name}, but found dtype {x.dtype} (PyTorch's "
                           f"'{_TORCH_TYPE.get(x.dtype.name, x.dtype.name)}'; shape {x.shape}); convert it with "
                           ".float()")
    return x


def _reduction(size_average: bool | None, reduce: bool | None, reduction: str, op: str) -> str:
    """The reduction, from PyTorch's deprecated ``size_average`` / ``reduce`` when either is given (with PyTorch's
    warning), checked to be 'mean', 'sum' or 'none'."""
    if size_average is not None or reduce is not None:
        warnings.warn("size_average and reduce args will be deprecated, please use reduction='mean' | 'sum' | "
                      "'none' instead", UserWarning, stacklevel=3)
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    check_reduction(reduction, op)
    return reduction


def _elementwise_loss(op: str, fn, input, target, reduction: str, weight) -> Tensor:
    """``fn(input, target)`` elementwise, weighted and reduced as PyTorch's mse_loss and l1_loss do: with a
    ``weight`` of the input's shape, "mean" is sum(w * loss) / sum(w)."""
    x = _float_input(as_tensor(input), op)
    t = as_tensor(target, like=x)
    if x.shape != t.shape:
        raise ArgumentError(f"{op}: input of shape {x.shape} and target of shape {t.shape} differ")
    if t.dtype != x.dtype:
        t = t.astype(x.dtype)
    loss = fn(x, t)
    if weight is None:
        return reduce_loss(loss, reduction, op)
    w = as_tensor(weight, like=x)
    if w.shape != x.shape:
        raise ArgumentError(f"{op}: weights and input must have the same size (weight {w.shape}, input {x.shape})")
    loss = loss * w
    return loss.sum() / w.sum() if reduction == "mean" else reduce_loss(loss, reduction, op)


def mse_loss(input: Tensor, target: TensorLike, size_average: bool | None = None, reduce: bool | None = None,
             reduction: str = "mean", weight: TensorLike | None = None) -> Tensor:
    """Mean squared error: (input - target)^2 elementwise, then reduced.

    Gradients, with d = input - target and g the upstream gradient (a scalar for "sum" and "mean", one per element
    for "none"): "none": d input = 2 g d elementwise; "sum": 2 g d; "mean": 2 g d / n, n the number of elements.
    In every case d target = -d input.

    Args:
        input: the prediction, floating point.
        target: the target, of input's shape.
        size_average, reduce: PyTorch's deprecated flags (they set the reduction, with a warning).
        reduction: 'mean', 'sum' or 'none'.
        weight: optional weights of input's shape: each element's loss is multiplied by its weight, and "mean"
            divides by the sum of the weights (PyTorch's weighted mean).
    PyTorch: ``torch.nn.functional.mse_loss``."""
    reduction = _reduction(size_average, reduce, reduction, "mse_loss")
    return _elementwise_loss("mse_loss", SquaredError.apply, input, target, reduction, weight)


def l1_loss(input: Tensor, target: TensorLike, size_average: bool | None = None, reduce: bool | None = None,
            reduction: str = "mean", weight: TensorLike | None = None) -> Tensor:
    """Mean absolute error: |input - target| elementwise, then reduced.

    Gradients: d input = g sign(input - target) (0 where they are equal, as in PyTorch), divided by the number of
    elements for "mean"; d target = -d input.

    Args:
        input: the prediction, floating point.
        target: the target, of input's shape.
        size_average, reduce: PyTorch's deprecated flags (they set the reduction, with a warning).
        reduction: 'mean', 'sum' or 'none'.
        weight: optional weights of input's shape, as for ``mse_loss``.
    PyTorch: ``torch.nn.functional.l1_loss``."""
    reduction = _reduction(size_average, reduce, reduction, "l1_loss")
    return _elementwise_loss("l1_loss", AbsoluteError.apply, input, target, reduction, weight)


def _class_axis(logits) -> int:
    """The class axis of logits (N, C, d1, ...): 1, or 0 for the (C,) logits of one sample."""
    return 1 if logits.ndim >= 2 else 0


def _class_target(op, logits, target, ignore_index):
    """Check an integer class target against logits (N, C, d1, ...) or (C,); returns the target as an array."""
    t = constant(target, logits)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {t.dtype}")
    want = logits.shape[:1] + logits.shape[2:] if logits.ndim >= 2 else ()
    if logits.ndim < 1 or t.shape != want:
        raise ArgumentError(f"{op}: target of shape {t.shape} does not fit logits of shape {logits.shape} "
                            f"(expected target shape {want})")
    c = logits.shape[_class_axis(logits)]
    bad = (t != ignore_index) & ((t < 0) | (t >= c))
    if bad.any():
        raise ArgumentError(f"{op}: target value {int(t[bad].ravel()[0])} is out of range for {c} classes "
                            f"(logits of shape {logits.shape})")
    return t


def _class_weight(op, weight, logits):
    """The class weights as a Tensor of the logits' dtype, checked to have one entry per class."""
    w = as_tensor(weight, like=logits)
    c = logits.shape[_class_axis(logits)]
    if w.shape != (c,):
        raise ArgumentError(f"{op}: weight of shape {w.shape} must have one entry per class ({c}; input "
                            f"{logits.shape})")
    return w.astype(logits.dtype) if w.dtype != logits.dtype else w


def _fused_cross_entropy(logits, t, ignore_index, reduction):
    """``CrossEntropy`` (on rows of logits) for logits (N, C), (C,) or (N, C, d1, ...): the classes put last."""
    op = pick(CrossEntropy)
    if logits.ndim == 2:
        return op.apply(logits, t, ignore_index, reduction)
    c = logits.shape[_class_axis(logits)]
    rows = logits.permute(0, *range(2, logits.ndim), 1) if logits.ndim > 2 else logits
    loss = op.apply(rows.reshape(-1, c), t.reshape(-1), ignore_index, reduction)
    return loss.reshape(t.shape) if reduction == "none" else loss


def _weighted_nll(op, logp, t, ignore_index, reduction, weight):
    """-w[t] logp[t] per target with w the class weights (1 without), 0 at ignore_index; "mean" divides the sum
    by the sum of w[t] over the kept targets (PyTorch's weighted mean)."""
    keep = t != ignore_index
    safe = xp_of(t).where(keep, t, 0)
    axis = _class_axis(logp)
    picked = logp.gather(axis, xp_of(t).expand_dims(safe, axis)).squeeze(axis)
    w = Tensor(keep.astype(logp.dtype))
    if weight is not None:
        w = w * weight[safe].detach()
    loss = -(picked * w)
    if reduction == "mean":
        return _mean_of(loss.sum(), w.sum())
    return reduce_loss(loss, reduction, op)


def _mean_of(total: Tensor, den: Tensor) -> Tensor:
    """total / den for a constant den, as PyTorch's mean over kept targets: NaN when den is 0 (every target
    ignored), with a gradient of 0 (not the 0 * inf = NaN of the chain rule through 1 / 0)."""
    d = den._data
    xp = xp_of(d)
    empty = d == 0
    return total / Tensor(xp.where(empty, 1, d).astype(d.dtype)) + Tensor(xp.where(empty, xp.nan, 0).astype(d.dtype))


def cross_entropy(input: Tensor, target: TensorLike, weight: TensorLike | None = None,
                  size_average: bool | None = None, ignore_index: int = -100, reduce: bool | None = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits against class indices or class probabilities, along the class axis 1.

    With integer targets the loss of a sample is -w[t] log softmax(logits)[t]; "mean" divides the sum by the sum
    of w[t] over the targets that are not ``ignore_index`` (by their count without weights). A float target of the
    logits' shape holds class probabilities: the loss is -sum_c w_c target_c log softmax(logits)_c. Label
    smoothing e mixes the uniform distribution into the target: (1 - e) * nll + e * mean over classes of
    -w_c log p_c (PyTorch's formula, ignore_index and weights included).

    Args:
        input: the logits, floating point: (N, C), (N, C, d1, ...) or (C,).
        target: integer class indices (N,), (N, d1, ...) or () (an array or tensor), or float probabilities of
            the logits' shape.
        weight: optional per-class weights (C,).
        size_average, reduce: PyTorch's deprecated flags (they set the reduction, with a warning).
        ignore_index: a class index whose targets contribute nothing (integer targets only).
        reduction: 'mean', 'sum' or 'none'.
        label_smoothing: e in [0, 1].
    PyTorch: ``torch.nn.functional.cross_entropy``."""
    logits = _float_input(as_tensor(input), "cross_entropy", "input (logits)")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ArgumentError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    reduction = _reduction(size_average, reduce, reduction, "cross_entropy")
    axis = _class_axis(logits)
    w = None if weight is None else _class_weight("cross_entropy", weight, logits)
    wb = None if w is None else w.reshape((-1,) + (1,) * (logits.ndim - 2)) if logits.ndim >= 2 else w
    if constant(target, logits).dtype.kind == "f":
        target = as_tensor(target, like=logits)
        if target.shape != logits.shape or logits.ndim < 1:
            raise ArgumentError(f"cross_entropy: probability target of shape {target.shape} must match logits "
                                f"{logits.shape}")
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / logits.shape[axis]
        terms = target * logits.log_softmax(axis=axis)
        terms = terms * wb if wb is not None else terms
        return reduce_loss(-terms.sum(axis=axis), reduction, "cross_entropy")
    t = _class_target("cross_entropy", logits, target, ignore_index)
    if w is None and not label_smoothing:
        return _fused_cross_entropy(logits, t, ignore_index, reduction)
    logp = logits.log_softmax(axis=axis)
    nll = _weighted_nll("cross_entropy", logp, t, ignore_index, reduction, w)
    if not label_smoothing:
        return nll
    keep = t != ignore_index
    kept = Tensor(keep.astype(logp.dtype))
    smooth = -((logp * wb) if wb is not None else logp).sum(axis=axis) * kept
    if reduction == "mean":
        den = (w[xp_of(t).where(keep, t, 0)].detach() * kept).sum() if w is not None \
            else Tensor(xp_of(t).asarray(keep.sum(), dtype=logp.dtype))
        smooth = _mean_of(smooth.sum(), den.detach())
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / logits.shape[axis])


def nll_loss(input: Tensor, target: TensorLike, weight: TensorLike | None = None, size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer targets given log-probabilities: -w[t] logp[n, t[n]], w the class
    weights (1 without); "mean" divides by the sum of the kept targets' weights (PyTorch).

    Args:
        input: log-probabilities (N, C), (N, C, d1, ...) or (C,), floating point.
        target: integer class indices (N,), (N, d1, ...) or ().
        weight: optional per-class weights (C,).
        size_average, reduce: PyTorch's deprecated flags (they set the reduction, with a warning).
        ignore_index: a class index whose targets contribute nothing.
        reduction: 'mean', 'sum' or 'none'.
    PyTorch: ``torch.nn.functional.nll_loss``."""
    logp = _float_input(as_tensor(input), "nll_loss")
    reduction = _reduction(size_average, reduce, reduction, "nll_loss")
    t = _class_target("nll_loss", logp, target, ignore_index)
    w = None if weight is None else _class_weight("nll_loss", weight, logp)
    return _weighted_nll("nll_loss", logp, t, ignore_index, reduction, w)


def _input_and_target(op, input, target, name="input"):
    """A binary cross-entropy's input as a Tensor and its target joining it (plain data takes the input's float
    dtype), checked to have the input's shape."""
    x = _float_input(as_tensor(input), op, name)
    t = as_tensor(target, like=x)
    if t.shape != x.shape:
        raise ArgumentError(f"{op}: target of shape {t.shape} must match {name} of shape {x.shape}")
    return x, t


def binary_cross_entropy_with_logits(input: Tensor, target: TensorLike, weight: TensorLike | None = None,
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean", pos_weight: TensorLike | None = None) -> Tensor:
    """-(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))) for logits x, computed stably (finite at x = +-1e4).

    With ``pos_weight`` q the positive term is weighted: -(q t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))) =
    (1 - t) x + (1 + (q - 1) t) softplus(-x) (PyTorch's formula), computed as the plain loss plus
    (q - 1) t softplus(-x), so its gradients (to x and t) come by the chain rule:
    dx = g (sigmoid(x) (1 + (q - 1) t) - q t). ``weight`` multiplies each element's loss before the reduction.
    As in PyTorch, neither weight may require a gradient.

    Args:
        input: the logits x, floating point.
        target: targets in [0, 1] of the logits' shape (a gradient flows to them too).
        weight: optional weights that broadcast against x, rescaling each element's loss.
        size_average, reduce: PyTorch's deprecated flags (they set the reduction, with a warning).
        reduction: 'mean', 'sum' or 'none'.
        pos_weight: optional weights of the positive examples that broadcast against x (one per class, along the
            last axis, as in PyTorch).
    PyTorch: ``torch.nn.functional.binary_cross_entropy_with_logits`` (and ``nn.BCEWithLogitsLoss``)."""
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(size_average, reduce, reduction, op)
    logits, target = _input_and_target(op, input, target, "logits")
    extra = {}
    for name, value in (("weight", weight), ("pos_weight", pos_weight)):
        if value is not None:
            v = as_tensor(value, like=logits)
            if v.requires_grad:
                raise RuntimeError(f"{op}: not differentiable with respect to {name} (as in PyTorch); pass "
                                   f"{name}.detach() (shape {v.shape})")
            if broadcast_shape(v.shape, logits.shape) != logits.shape:
                raise ArgumentError(f"{op}: {name} of shape {v.shape} does not broadcast to logits of shape "
                                    f"{logits.shape}")
            extra[name] = v.astype(logits.dtype) if v.dtype != logits.dtype else v
    if target.dtype != logits.dtype:
        target = target.astype(logits.dtype)
    loss = BCEWithLogits.apply(logits, target)
    if "pos_weight" in extra:
        loss = loss + (extra["pos_weight"] - 1) * target * Softplus.apply(-logits)
    if "weight" in extra:
        loss = loss * extra["weight"]
    return reduce_loss(loss, reduction, op)


def one_hot(x: TensorLike, num_classes: int = -1) -> Tensor:
    """One row of ``num_classes`` zeros with a 1 at each class index: int64 of shape x.shape + (num_classes,).

    Not differentiable (its input is integers). ``num_classes=-1`` takes x.max() + 1 (an empty x then is an
    error, as in PyTorch).

    Args:
        x: integer class indices (a tensor, array or list), each in [0, num_classes).
        num_classes: the number of classes, or -1 to infer it.
    PyTorch: ``torch.nn.functional.one_hot(tensor, num_classes=-1)``."""
    t = x._data if isinstance(x, Tensor) else None
    device = x.device if isinstance(x, Tensor) else None
    if t is None:
        t = np.asarray(x)
    if t.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected integer class indices, got dtype {t.dtype} (shape {t.shape})")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < -1:
        raise ArgumentError(f"one_hot: num_classes must be -1 or a non-negative integer, got {num_classes!r}")
    xp = xp_of(t)
    if num_classes == -1:
        if t.size == 0:
            raise ArgumentError(f"one_hot: can not infer the number of classes from an empty tensor (shape {t.shape})"
                                "; pass num_classes")
        num_classes = int(t.max()) + 1
    if t.size:
        lo, hi = int(t.min()), int(t.max())
        if lo < 0:
            raise ArgumentError(f"one_hot: class values must be non-negative, got {lo} (shape {t.shape})")
        if hi >= num_classes:
            raise ArgumentError(f"one_hot: class values must be smaller than num_classes={num_classes}, got {hi} "
                                f"(shape {t.shape})")
    out = (t[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor(out) if device is None else Tensor(out).to(device)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: TensorLike | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) on probabilities p in [0, 1], each log clamped at -100 as in PyTorch.

    Args:
        input: probabilities p (values outside [0, 1] are an error).
        target: targets of p's shape.
        weight: optional weights that broadcast against p, rescaling each element's loss.
        size_average, reduce: PyTorch's deprecated flags (they set the reduction, with a warning).
        reduction: 'mean', 'sum' or 'none'.
    PyTorch: ``torch.nn.functional.binary_cross_entropy``."""
    reduction = _reduction(size_average, reduce, reduction, "binary_cross_entropy")
    p, t = _input_and_target("binary_cross_entropy", input, target)
    lo, hi = (float(p._data.min()), float(p._data.max())) if p._data.size else (0.0, 1.0)
    if lo < 0 or hi > 1:
        raise ArgumentError(f"binary_cross_entropy: input must hold probabilities in [0, 1], got values in "
                            f"[{lo}, {hi}]")
    loss = BinaryCrossEntropy.apply(p, t.astype(p.dtype) if t.dtype != p.dtype else t)
    if weight is not None:
        loss = loss * as_tensor(weight, like=p)
    return reduce_loss(loss, reduction, "binary_cross_entropy")


BINDINGS = [
    bind(mse_loss, F=True),
    bind(l1_loss, F=True),
    bind(cross_entropy, F=True),
    bind(nll_loss, F=True),
    bind(binary_cross_entropy_with_logits, F=True),
    bind(binary_cross_entropy, F=True),
    bind(one_hot, F=True),
]

_TARGETS = np.array([1, 0, 3])
_IGNORED = np.array([[0, 3], [-100, 1], [2, 2]])  # for logits (3, 4, 2): the class axis is 1
_WEIGHT = np.array([0.5, 2.0, 1.0, 0.3, 1.5])
_SOFT = np.abs(np.random.default_rng(7).standard_normal((3, 5)))
_SOFT /= _SOFT.sum(1, keepdims=True)


def _below_zero(rng, shape):
    """Values in [-2, -0.5]: with ``positive`` inputs, |a - b| >= 1, far from l1's kink at a == b."""
    return -positive(rng, shape)


def _torch_weight(torch, x):
    return torch.tensor(_WEIGHT, dtype=x.dtype)


_BCE_WEIGHT = np.array([[0.5], [1.0], [2.0]])
_POS_WEIGHT = np.array([0.3, 1.0, 2.5, 4.0])


def _bce_target(shape):
    return pattern(shape) * 1.0


CASES = [
    OpCase("F.mse_loss", mse_loss, ((3, 4), (3, 4)), draw="same",
           torch=lambda torch, a, b: torch.nn.functional.mse_loss(a, b)),
    OpCase("F.mse_loss[none]", lambda a, b: mse_loss(a, b, reduction="none"), ((3, 4), (3, 4)), draw="same",
           torch=lambda torch, a, b: torch.nn.functional.mse_loss(a, b, reduction="none")),
    OpCase("F.mse_loss[weight]", lambda a, b, w: mse_loss(a, b, weight=w), ((3, 4), (3, 4), (3, 4)), draw="same",
           sample=(positive, positive, positive),
           torch=lambda torch, a, b, w: torch.nn.functional.mse_loss(a, b, weight=w), exact_twin=False),
    OpCase("F.l1_loss", l1_loss, ((3, 4), (3, 4)), draw="same", sample=(positive, _below_zero),
           torch=lambda torch, a, b: torch.nn.functional.l1_loss(a, b)),
    OpCase("F.l1_loss[sum,flipped]", lambda a, b: l1_loss(b, a, reduction="sum"), ((3, 4), (3, 4)), draw="same",
           sample=(positive, _below_zero),
           torch=lambda torch, a, b: torch.nn.functional.l1_loss(b, a, reduction="sum")),
    OpCase("F.l1_loss[none,weight]", lambda a, b, w: l1_loss(a, b, reduction="none", weight=w),
           ((3, 4), (3, 4), (3, 4)), draw="same", sample=(positive, _below_zero, positive),
           torch=lambda torch, a, b, w: torch.nn.functional.l1_loss(a, b, reduction="none", weight=w),
           exact_twin=False),
    OpCase("F.cross_entropy", lambda x: cross_entropy(x, _TARGETS), ((3, 5),), draw="fixed",
           torch=lambda torch, x: torch.nn.functional.cross_entropy(x, torch.from_numpy(_TARGETS)),
           exact_twin=False),
    OpCase("F.cross_entropy[ignore_index,sum,NCd]", lambda x: cross_entropy(x, _IGNORED, reduction="sum"),
           ((3, 4, 2),), draw="fixed", exact_twin=False,
           torch=lambda torch, x: torch.nn.functional.cross_entropy(x, torch.from_numpy(_IGNORED), reduction="sum")),
    OpCase("F.cross_entropy[none,large_logits]", lambda x: cross_entropy(x * 40, _TARGETS, reduction="none"),
           ((3, 5),), draw="fixed", exact_twin=False,
           torch=lambda torch, x: torch.nn.functional.cross_entropy(x * 40, torch.from_numpy(_TARGETS),
                                                                    reduction="none")),
    OpCase("F.cross_entropy_weighted_smoothed",
           lambda x: cross_entropy(x, _TARGETS, weight=_WEIGHT, label_smoothing=0.1), ((3, 5),), draw="fixed",
           torch=lambda torch, x: torch.nn.functional.cross_entropy(
               x, torch.from_numpy(_TARGETS), weight=_torch_weight(torch, x), label_smoothing=0.1), exact_twin=False),
    OpCase("F.cross_entropy_soft_smoothed",
           lambda x: cross_entropy(x, _SOFT, label_smoothing=0.2), ((3, 5),), draw="fixed",
           torch=lambda torch, x: torch.nn.functional.cross_entropy(
               x, torch.tensor(_SOFT, dtype=x.dtype), label_smoothing=0.2), exact_twin=False),
    OpCase("F.nll_loss_weighted", lambda x: nll_loss(x.log_softmax(axis=1), _TARGETS, weight=_WEIGHT), ((3, 5),),
           draw="fixed", torch=lambda torch, x: torch.nn.functional.nll_loss(
               x.log_softmax(1), torch.from_numpy(_TARGETS), weight=_torch_weight(torch, x)), exact_twin=False),
    OpCase("F.binary_cross_entropy_with_logits",
           lambda a: binary_cross_entropy_with_logits(a, Tensor(_bce_target(a.shape).astype(a.dtype))), ((3, 4),),
           torch=lambda torch, a: torch.nn.functional.binary_cross_entropy_with_logits(
               a, torch.tensor(_bce_target(tuple(a.shape)), dtype=a.dtype))),
    OpCase("F.binary_cross_entropy_with_logits[target_grad]",
           lambda a, t: binary_cross_entropy_with_logits(a, t.sigmoid(), reduction="sum"), ((3, 4), (3, 4)),
           draw="same", exact_twin=False,
           torch=lambda torch, a, t: torch.nn.functional.binary_cross_entropy_with_logits(
               a, t.sigmoid(), reduction="sum")),
    OpCase("F.binary_cross_entropy_with_logits[pos_weight,weight]",
           lambda a, t: binary_cross_entropy_with_logits(a, t.sigmoid(), weight=_BCE_WEIGHT, pos_weight=_POS_WEIGHT),
           ((3, 4), (3, 4)), draw="fixed", exact_twin=False,
           torch=lambda torch, a, t: torch.nn.functional.binary_cross_entropy_with_logits(
               a, t.sigmoid(), weight=torch.tensor(_BCE_WEIGHT, dtype=a.dtype),
               pos_weight=torch.tensor(_POS_WEIGHT, dtype=a.dtype))),
    OpCase("F.binary_cross_entropy_with_logits[pos_weight,none]",
           lambda a: binary_cross_entropy_with_logits(a * 30, Tensor(_bce_target(a.shape).astype(a.dtype)),
                                                      reduction="none", pos_weight=[2.0] * a.shape[-1]),
           ((3, 4),), min_ndim=1, exact_twin=False,
           torch=lambda torch, a: torch.nn.functional.binary_cross_entropy_with_logits(
               a * 30, torch.tensor(_bce_target(tuple(a.shape)), dtype=a.dtype), reduction="none",
               pos_weight=torch.full(tuple(a.shape[-1:]), 2.0, dtype=a.dtype))),
    OpCase("F.binary_cross_entropy", lambda p, t: binary_cross_entropy(p.sigmoid(), t.sigmoid()),
           ((3, 4), (3, 4)), draw="same", exact_twin=False,
           torch=lambda torch, p, t: torch.nn.functional.binary_cross_entropy(p.sigmoid(), t.sigmoid())),
]
