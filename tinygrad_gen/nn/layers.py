"""The standard layers, with PyTorch's parameter names, shapes and default initialisations, so that
``state_dict()`` maps one to one onto the PyTorch module. The math lives in ``nn.functional``."""
import math
from typing import Any, Sequence

import numpy as np

from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter


def _empty(*shape):
    return Parameter(np.empty(shape, dtype=np.float32))


def _pair(v, name, layer):
    v = (v, v) if isinstance(v, int) else tuple(v)
    if len(v) != 2 or not all(isinstance(i, int) and i >= 0 for i in v):
        raise ValueError(f"{layer}: {name} must be a non-negative int or a pair of them, got {v}")
    return v


class Linear(Module):
    """y = x W^T + b, W of shape (out_features, in_features); W, b ~ U(-1/sqrt(in), 1/sqrt(in)) as in PyTorch."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = _empty(out_features, in_features)
        self.bias = _empty(out_features) if bias else None
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if bias:
            init.default_bias_(self.bias, in_features)

    def forward(self, x):
        """The layer applied to ``x`` (see the class docstring)."""
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        """The settings, shown by ``print(model)``."""
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Conv2d(Module):
    """2-D convolution over NCHW images; weight (out_channels, in_channels / groups, kh, kw), PyTorch's
    initialisation."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True):
        super().__init__()
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: in_channels {in_channels} and out_channels {out_channels} must both be "
                             f"divisible by groups {groups}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2d")
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self.weight = _empty(out_channels, in_channels // groups, *self.kernel_size)
        self.bias = _empty(out_channels) if bias else None
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if bias:
            init.default_bias_(self.bias, init.fans(self.weight)[0])

    def forward(self, x):
        """The layer applied to ``x`` (see the class docstring)."""
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        """The settings, shown by ``print(model)``."""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}, "
                f"bias={self.bias is not None}")


class ConvTranspose2d(Module):
    """The transpose (gradient) of a convolution: it upsamples. Weight (in_channels, out_channels / groups, kh, kw);
    as in PyTorch its fan_in for the initialisation is out_channels / groups * kh * kw (dim 1 of the weight)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1):
        super().__init__()
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"ConvTranspose2d: in_channels {in_channels} and out_channels {out_channels} must "
                             f"both be divisible by groups {groups}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size", "ConvTranspose2d")
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        self.groups, self.dilation = groups, dilation
        self.weight = _empty(in_channels, out_channels // groups, *self.kernel_size)
        self.bias = _empty(out_channels) if bias else None
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if bias:
            init.default_bias_(self.bias, init.fans(self.weight)[0])

    def forward(self, x):
        """The layer applied to ``x`` (see the class docstring)."""
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.groups, self.dilation)

    def extra_repr(self):
        """The settings, shown by ``print(model)``."""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, output_padding={self.output_padding}, groups={self.groups}, "
                f"dilation={self.dilation}, bias={self.bias is not None}")


class _BatchNorm(Module):
    """Normalise each channel with the batch's mean and variance while training, and with running averages of
    them in eval mode; then scale by ``weight`` and shift by ``bias``. Buffers as in PyTorch: running_mean,
    running_var (of the unbiased batch variance) and num_batches_tracked."""
    input_dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(num_features, np.float32)) if affine else None
        self.bias = Parameter(np.zeros(num_features, np.float32)) if affine else None
        track = track_running_stats
        self.register_buffer("running_mean", Tensor(np.zeros(num_features, np.float32)) if track else None)
        self.register_buffer("running_var", Tensor(np.ones(num_features, np.float32)) if track else None)
        self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)) if track else None)

    def forward(self, x):
        """The layer applied to ``x`` (see the class docstring)."""
        name = type(self).__name__
        if x.ndim not in self.input_dims or x.shape[1] != self.num_features:
            raise ValueError(f"{name}: expected input of {' or '.join(map(str, self.input_dims))} dims with "
                             f"{self.num_features} channels in dim 1, got shape {x.shape}")
        counting = self.training and self.track_running_stats
        momentum = self.momentum or 0.0
        if counting and self.momentum is None:  # a cumulative average of all batches so far
            momentum = 1.0 / (int(self.num_batches_tracked.item()) + 1)
        # without running statistics even eval mode normalises with the batch's own
        y = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                         training=self.training or not self.track_running_stats, momentum=momentum, eps=self.eps)
        if counting:  # only once the batch was accepted
            self.num_batches_tracked._data += 1
        return y

    def extra_repr(self):
        """The settings, shown by ``print(model)``."""
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """BatchNorm over (N, C) or (N, C, L) inputs."""
    input_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """BatchNorm over (N, C, H, W) images, one mean and variance per channel."""
    input_dims = (4,)


class LayerNorm(Module):
    """Normalise over the last dims (``normalized_shape``) of each example, then scale and shift; weight 1, bias 0."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, np.float32)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, np.float32)) if elementwise_affine and bias else None

    def forward(self, x):
        """The layer applied to ``x`` (see the class docstring)."""
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        """The settings, shown by ``print(model)``."""
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class Embedding(Module):
    """A lookup table: row i of ``weight`` (num_embeddings, embedding_dim) is the vector of token i; N(0, 1) init.
    With ``padding_idx`` that row starts at zero and gets no gradient (as in PyTorch)."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} is out of range for {num_embeddings} rows")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.weight = _empty(num_embeddings, embedding_dim)
        init.normal_(self.weight)
        if padding_idx is not None:
            self.weight._data[padding_idx] = 0

    def forward(self, idx):
        """The layer applied to ``x`` (see the class docstring)."""
        out = F.embedding(idx, self.weight)
        if self.padding_idx is not None:
            # zeroing the padding positions' outputs zeroes exactly the gradient that would reach the padding row
            data = idx._data if isinstance(idx, Tensor) else np.asarray(idx)
            out = out * Tensor((data != self.padding_idx)[..., None].astype(out.dtype))
        return out

    def extra_repr(self):
        """The settings, shown by ``print(model)``."""
        pad = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"


class Dropout(Module):
    """While training, zero each element with probability p and scale the rest by 1/(1-p); identity in eval."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, x: Tensor) -> Tensor:
        """The layer applied to ``x`` (see the class docstring); written into x with ``inplace=True``."""
        return F.dropout(x, self.p, self.training, inplace=self.inplace)

    def extra_repr(self) -> str:
        """The settings, shown by ``print(model)`` as PyTorch shows them."""
        return f"p={self.p}, inplace={self.inplace}"


class Identity(Module):
    """Returns its input unchanged; any constructor arguments are ignored (``torch.nn.Identity``), so it can stand
    in for a layer that takes some."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        """``input`` itself."""
        return input


class Flatten(Module):
    """Flattens dims ``start_dim`` .. ``end_dim`` (inclusive, negative counting from the end) into one;
    ``torch.nn.Flatten``. The default keeps the batch dim: (N, C, H, W) -> (N, C * H * W)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        """``input`` with the dims flattened (see the class docstring)."""
        shape = tuple(input.shape)
        nd = max(len(shape), 1)
        start = self.start_dim + nd if self.start_dim < 0 else self.start_dim
        end = self.end_dim + nd if self.end_dim < 0 else self.end_dim
        if not (0 <= start < nd and 0 <= end < nd):
            raise IndexError(f"Flatten: start_dim {self.start_dim} / end_dim {self.end_dim} out of range for an input "
                             f"of shape {shape}")
        if start > end:
            raise ValueError(f"Flatten: start_dim {self.start_dim} comes after end_dim {self.end_dim} for an input "
                             f"of shape {shape}")
        if not shape:
            return input.reshape(1)
        return input.reshape(*shape[:start], int(np.prod(shape[start:end + 1])), *shape[end + 1:])

    def extra_repr(self) -> str:
        """The settings, shown by ``print(model)``."""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits dim ``dim`` into ``unflattened_size`` (one entry may be -1, inferred); ``torch.nn.Unflatten``:
    (N, 12) with ``Unflatten(1, (3, 4))`` -> (N, 3, 4). The sizes' product must equal that dim's size."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not isinstance(dim, int):
            raise TypeError(f"Unflatten: dim must be an int, got {type(dim).__name__}")
        if not isinstance(unflattened_size, (tuple, list)) or not all(isinstance(s, int) for s in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple or list of ints, got {unflattened_size!r}")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        """``input`` with dim ``dim`` split (see the class docstring)."""
        shape = tuple(input.shape)
        if not -len(shape) <= self.dim < len(shape):
            raise IndexError(f"Unflatten: dim {self.dim} out of range for an input of shape {shape}")
        d = self.dim % len(shape)
        sizes = list(self.unflattened_size)
        known = int(np.prod([s for s in sizes if s != -1]))
        if sizes.count(-1) > 1 or any(s < -1 for s in sizes) or (
                -1 in sizes and (known == 0 or shape[d] % known)) or (-1 not in sizes and known != shape[d]):
            raise ValueError(f"Unflatten: sizes {tuple(sizes)} do not fill dim {self.dim} of size {shape[d]} "
                             f"(input shape {shape})")
        if -1 in sizes:
            sizes[sizes.index(-1)] = shape[d] // known
        return input.reshape(*shape[:d], *sizes, *shape[d + 1:])

    def extra_repr(self) -> str:
        """The settings, shown by ``print(model)``."""
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
