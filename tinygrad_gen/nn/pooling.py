"""Pooling modules, ``torch.nn.MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d`` and ``MaxUnpool1d/2d/3d``: their settings,
and the ``F.*`` functions of the same names (which hold the math and the gradients)."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple, Union

from ..tensor import Tensor
from . import functional as F
from .module import Module

IntPair = Union[int, Tuple[int, ...]]


class MaxPool2d(Module):
    """The maximum of each (kh, kw) window of (N, C, H, W) or (C, H, W) images; ``torch.nn.MaxPool2d``
    (``F.max_pool2d``). ``stride`` defaults to ``kernel_size``; ``padding`` adds -inf; ``return_indices=True``
    returns ``(values, indices)``, the indices flat within each (H, W) plane (``MaxUnpool2d`` takes them)."""
    functional = "max_pool2d"

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
                 dilation: IntPair = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        """The pooled images (and, with ``return_indices``, the indices of the maxima)."""
        return getattr(F, self.functional)(input, self.kernel_size, self.stride, self.padding, self.dilation,
                                           self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        """The settings, shown by ``print(model)`` (as PyTorch prints them)."""
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """The mean of each (kh, kw) window of (N, C, H, W) or (C, H, W) images; ``torch.nn.AvgPool2d``
    (``F.avg_pool2d``). ``stride`` defaults to ``kernel_size``; ``count_include_pad`` decides whether the zero
    padding counts in the divisor; ``divisor_override`` replaces the divisor."""
    functional = "avg_pool2d"

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
        return getattr(F, self.functional)(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                           self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        """The settings, shown by ``print(model)`` (as PyTorch prints them)."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool1d(MaxPool2d):
    """The maximum of each window of (N, C, L) or (C, L) signals; ``torch.nn.MaxPool1d`` (``F.max_pool1d``), with
    MaxPool2d's settings on one axis."""
    functional = "max_pool1d"


class MaxPool3d(MaxPool2d):
    """The maximum of each (kd, kh, kw) window of (N, C, D, H, W) or (C, D, H, W) volumes; ``torch.nn.MaxPool3d``
    (``F.max_pool3d``), with MaxPool2d's settings on three axes."""
    functional = "max_pool3d"


class AvgPool1d(AvgPool2d):
    """The mean of each window of (N, C, L) or (C, L) signals; ``torch.nn.AvgPool1d`` (``F.avg_pool1d``)."""
    functional = "avg_pool1d"

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        one = (lambda v: (v,) if isinstance(v, int) else tuple(v))  # noqa: E731 (PyTorch shows 1-tuples here)
        self.kernel_size, self.stride, self.padding = one(self.kernel_size), one(self.stride), one(self.padding)

    def forward(self, input: Tensor) -> Tensor:
        """The pooled signals (see the class docstring)."""
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class AvgPool3d(AvgPool2d):
    """The mean of each (kd, kh, kw) window of (N, C, D, H, W) or (C, D, H, W) volumes; ``torch.nn.AvgPool3d``
    (``F.avg_pool3d``), with AvgPool2d's settings on three axes."""
    functional = "avg_pool3d"


class MaxUnpool2d(Module):
    """The partial inverse of ``MaxPool2d``: each value put back at the position its indices name, zeros elsewhere;
    ``torch.nn.MaxUnpool2d`` (``F.max_unpool2d``). ``stride`` defaults to ``kernel_size``; ``forward`` takes the
    output size where the default (in - 1) * stride - 2 * padding + kernel_size is not the one wanted."""
    functional, dims = "max_unpool2d", 2

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0) -> None:
        super().__init__()
        self.kernel_size = self._as_tuple(kernel_size)  # tuples, as PyTorch shows them
        self.stride = self._as_tuple(stride if stride is not None else kernel_size)
        self.padding = self._as_tuple(padding)

    def _as_tuple(self, v):
        return (v,) * self.dims if isinstance(v, int) else tuple(v)

    def forward(self, input: Tensor, indices: Tensor, output_size: Optional[Sequence[int]] = None) -> Tensor:
        """The unpooled images (see the class docstring)."""
        return getattr(F, self.functional)(input, indices, self.kernel_size, self.stride, self.padding,
                                           output_size)

    def extra_repr(self) -> str:
        """The settings, shown by ``print(model)`` (as PyTorch prints them)."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(MaxUnpool2d):
    """The partial inverse of ``MaxPool1d``; ``torch.nn.MaxUnpool1d`` (``F.max_unpool1d``)."""
    functional, dims = "max_unpool1d", 1


class MaxUnpool3d(MaxUnpool2d):
    """The partial inverse of ``MaxPool3d``; ``torch.nn.MaxUnpool3d`` (``F.max_unpool3d``)."""
    functional, dims = "max_unpool3d", 3
