"""3-D convolution layers, ``torch.nn.Conv3d`` and ``torch.nn.ConvTranspose3d``: PyTorch's parameter names, shapes
and default initialisation (so ``state_dict()`` maps one to one onto PyTorch's); the math is ``F.conv3d`` and
``F.conv_transpose3d``."""
from __future__ import annotations

import math
from typing import Tuple, Union

import numpy as np

from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter

IntTriple = Union[int, Tuple[int, int, int]]


def _triple(v, name: str, layer: str) -> Tuple[int, int, int]:
    v = (v,) * 3 if isinstance(v, int) else tuple(v)
    if len(v) != 3 or not all(isinstance(i, int) and i >= 0 for i in v):
        raise ValueError(f"{layer}: {name} must be a non-negative int or a triple of them, got {v}")
    return v


def _check_groups(layer: str, in_channels: int, out_channels: int, groups: int) -> None:
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(f"{layer}: in_channels {in_channels} and out_channels {out_channels} must both be "
                         f"divisible by groups {groups}")


class Conv3d(Module):
    """3-D convolution over (N, C, D, H, W) volumes; weight (out_channels, in_channels / groups, kd, kh, kw),
    PyTorch's initialisation (kaiming_uniform_ with a = sqrt(5), the bias uniform in +-1/sqrt(fan_in))."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntTriple, stride: IntTriple = 1,
                 padding: IntTriple | str = 0, dilation: IntTriple = 1, groups: int = 1, bias: bool = True) -> None:
        super().__init__()
        _check_groups("Conv3d", in_channels, out_channels, groups)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _triple(kernel_size, "kernel_size", "Conv3d")
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self.weight = Parameter(np.empty((out_channels, in_channels // groups) + self.kernel_size, np.float32))
        self.bias = Parameter(np.empty(out_channels, np.float32)) if bias else None
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if bias:
            init.default_bias_(self.bias, init.fans(self.weight)[0])

    def forward(self, x: Tensor) -> Tensor:
        """The layer applied to ``x`` (see the class docstring)."""
        return F.conv3d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        """The settings, shown by ``print(model)``."""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}, "
                f"bias={self.bias is not None}")


class ConvTranspose3d(Module):
    """The transpose (gradient) of a 3-D convolution: it upsamples. Weight (in_channels, out_channels / groups,
    kd, kh, kw); as in PyTorch its fan_in for the initialisation is out_channels / groups * kd * kh * kw."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntTriple, stride: IntTriple = 1,
                 padding: IntTriple = 0, output_padding: IntTriple = 0, groups: int = 1, bias: bool = True,
                 dilation: IntTriple = 1) -> None:
        super().__init__()
        _check_groups("ConvTranspose3d", in_channels, out_channels, groups)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _triple(kernel_size, "kernel_size", "ConvTranspose3d")
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        self.groups, self.dilation = groups, dilation
        self.weight = Parameter(np.empty((in_channels, out_channels // groups) + self.kernel_size, np.float32))
        self.bias = Parameter(np.empty(out_channels, np.float32)) if bias else None
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if bias:
            init.default_bias_(self.bias, init.fans(self.weight)[0])

    def forward(self, x: Tensor) -> Tensor:
        """The layer applied to ``x`` (see the class docstring)."""
        return F.conv_transpose3d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.groups, self.dilation)

    def extra_repr(self) -> str:
        """The settings, shown by ``print(model)``."""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, output_padding={self.output_padding}, groups={self.groups}, "
                f"dilation={self.dilation}, bias={self.bias is not None}")
