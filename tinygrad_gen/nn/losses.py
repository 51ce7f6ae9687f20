"""The loss modules, PyTorch's ``nn.*Loss``: each holds its settings (and a ``weight`` buffer where PyTorch keeps one,
so ``state_dict()`` has the same keys) and calls its ``nn.functional`` loss, so values and gradients are F's.

``reduction`` is "mean" (the default), "sum" or "none". PyTorch's deprecated ``size_average`` / ``reduce`` are
accepted and turned into a ``reduction`` as PyTorch does, with the same warning.
"""
from __future__ import annotations

import inspect
import warnings
from typing import Any, Optional

import numpy as np

from ..tensor import Tensor
from . import functional as F
from .module import Module


def _legacy_reduction(size_average: Optional[bool], reduce: Optional[bool]) -> str:
    """PyTorch's ``legacy_get_string``: the reduction that the old ``size_average`` / ``reduce`` flags mean."""
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='mean' | 'sum' | 'none' "
                  "instead", UserWarning, stacklevel=4)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "mean" if size_average and reduce else "sum" if reduce else "none"


def _as_buffer(value: Any, name: str, loss: str) -> Optional[Tensor]:
    if value is None:
        return None
    if isinstance(value, Tensor):
        return value
    try:
        return Tensor(np.asarray(value, dtype=np.float32))
    except (TypeError, ValueError) as e:
        raise TypeError(f"{loss}: {name} must be a Tensor or None, got {type(value).__name__}") from e


class _Loss(Module):
    """The base of the loss modules: the ``reduction`` setting (torch.nn.modules.loss._Loss)."""

    def __init__(self, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce)
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight``, registered as a buffer (it appears in ``state_dict()`` and
    moves with ``to(device)``), as in torch.nn.modules.loss._WeightedLoss."""

    def __init__(self, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
                 reduce: Optional[bool] = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_buffer(weight, "weight", type(self).__name__))


class L1Loss(_Loss):
    """Mean absolute error |input - target|, reduced; ``torch.nn.L1Loss``. The gradient at input == target is 0
    (sign(0)), as in PyTorch. Input and target must have the same shape (PyTorch warns on broadcasting; this
    refuses it)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of ``input`` against ``target`` (see the class docstring)."""
        if getattr(F, "l1_loss", None) is not None:
            return F.l1_loss(input, target, reduction=self.reduction)
        shape_t = tuple(np.shape(target._data if isinstance(target, Tensor) else target))
        if tuple(input.shape) != shape_t:
            raise ValueError(f"L1Loss: input shape {tuple(input.shape)} and target shape {shape_t} differ")
        loss = (input - target).abs()
        return loss.mean() if self.reduction == "mean" else loss.sum() if self.reduction == "sum" else loss


class MSELoss(_Loss):
    """Mean squared error (input - target)^2, reduced; ``torch.nn.MSELoss`` (``F.mse_loss``)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of ``input`` against ``target`` (see the class docstring)."""
        return F.mse_loss(input, target, reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices given log-probabilities (N, C, ...); ``torch.nn.NLLLoss``
    (``F.nll_loss``). ``weight`` scales each class; targets equal to ``ignore_index`` count for nothing."""

    def __init__(self, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
                 ignore_index: int = -100, reduce: Optional[bool] = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of the log-probabilities ``input`` against the class indices ``target``."""
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of logits (N, C, ...) against class indices or class probabilities;
    ``torch.nn.CrossEntropyLoss`` (``F.cross_entropy``), with ``weight``, ``ignore_index`` and
    ``label_smoothing`` as in PyTorch."""

    def __init__(self, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
                 ignore_index: int = -100, reduce: Optional[bool] = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of the logits ``input`` against ``target`` (see the class docstring)."""
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy -w (t log p + (1 - t) log(1 - p)) of probabilities p in [0, 1]; ``torch.nn.BCELoss``
    (``F.binary_cross_entropy``, each log clamped at -100). ``weight`` broadcasts against the elements."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of the probabilities ``input`` against ``target`` (see the class docstring)."""
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


def _takes(fn: Any, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class BCEWithLogitsLoss(_Loss):
    """Sigmoid then binary cross-entropy, computed stably from logits; ``torch.nn.BCEWithLogitsLoss``
    (``F.binary_cross_entropy_with_logits``). ``weight`` scales each element's loss before the reduction (it
    broadcasts, as in PyTorch); ``pos_weight`` (the positive class's weight, one per class along the last dim) needs
    an ``F.binary_cross_entropy_with_logits`` that takes it, and is refused at construction otherwise."""

    def __init__(self, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
                 reduce: Optional[bool] = None, reduction: str = "mean", pos_weight: Optional[Tensor] = None) -> None:
        super().__init__(size_average, reduce, reduction)
        fn = F.binary_cross_entropy_with_logits
        if pos_weight is not None and not _takes(fn, "pos_weight"):
            raise NotImplementedError("BCEWithLogitsLoss: pos_weight is not supported yet (F.binary_cross_entropy_"
                                      "with_logits does not take it); weight the positive targets' losses by hand")
        self.register_buffer("weight", _as_buffer(weight, "weight", "BCEWithLogitsLoss"))
        self.register_buffer("pos_weight", _as_buffer(pos_weight, "pos_weight", "BCEWithLogitsLoss"))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of the logits ``input`` against ``target`` (see the class docstring)."""
        fn = F.binary_cross_entropy_with_logits
        kwargs = {}
        if self.pos_weight is not None:
            kwargs["pos_weight"] = self.pos_weight
        if self.weight is None:
            return fn(input, target, reduction=self.reduction, **kwargs)
        if _takes(fn, "weight"):
            return fn(input, target, weight=self.weight, reduction=self.reduction, **kwargs)
        loss = fn(input, target, reduction="none", **kwargs) * self.weight  # PyTorch: weight times each element's
        return loss.mean() if self.reduction == "mean" else loss.sum() if self.reduction == "sum" else loss
