"""Pooling modules, ``torch.nn.MaxPool2d`` and ``torch.nn.AvgPool2d``: their settings, and ``F.max_pool2d`` /
``F.avg_pool2d`` (which hold the math and the gradients)."""
from __future__ import annotations

import inspect
from typing import Optional, Tuple, Union

from ..tensor import Tensor
from . import functional as F
from .module import Module

IntPair = Union[int, Tuple[int, int]]


class MaxPool2d(Module):
    """The maximum of each (kh, kw) window of (N, C, H, W) or (C, H, W) images; ``torch.nn.MaxPool2d``
    (``F.max_pool2d``). ``stride`` defaults to ``kernel_size``; ``padding`` adds -inf; ``return_indices=True`` needs
    an ``F.max_pool2d`` that can return them and is refused at construction otherwise."""

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
                 dilation: IntPair = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        if return_indices and "return_indices" not in inspect.signature(F.max_pool2d).parameters:
            raise NotImplementedError("MaxPool2d: return_indices=True is not supported yet (F.max_pool2d does not "
                                      "return indices)")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        """The pooled images (and, with ``return_indices``, the indices of the maxima)."""
        kwargs = {"return_indices": True} if self.return_indices else {}
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, **kwargs)

    def extra_repr(self) -> str:
        """The settings, shown by ``print(model)`` (as PyTorch prints them)."""
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """The mean of each (kh, kw) window of (N, C, H, W) or (C, H, W) images; ``torch.nn.AvgPool2d``
    (``F.avg_pool2d``). ``stride`` defaults to ``kernel_size``; ``count_include_pad`` decides whether the zero
    padding counts in the divisor; ``divisor_override`` replaces the divisor."""

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: Optional[int] = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        """The pooled images (see the class docstring)."""
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        """The settings, shown by ``print(model)`` (as PyTorch prints them)."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
