"""The activation layers: a ``Module`` around each activation function of ``F`` (PyTorch's names and arguments).
The math, forward and backward, is in the activations and softmax families of ``tinygrad_gen/ops/``."""
from __future__ import annotations

from ..binding import accept_aliases
from ..tensor import Tensor
from . import functional as F
from .module import Module


class _Activation(Module):
    """An activation with no settings: ``forward`` applies ``fn``."""
    fn = None

    def forward(self, x: Tensor) -> Tensor:
        """The activation applied elementwise."""
        return type(self).fn(x)


class ReLU(_Activation):
    """max(x, 0) elementwise (PyTorch's ``nn.ReLU``)."""
    fn = staticmethod(F.relu)


class Tanh(_Activation):
    """tanh(x) elementwise (PyTorch's ``nn.Tanh``)."""
    fn = staticmethod(F.tanh)


class Sigmoid(_Activation):
    """1 / (1 + exp(-x)) elementwise (PyTorch's ``nn.Sigmoid``)."""
    fn = staticmethod(F.sigmoid)


class SiLU(_Activation):
    """x * sigmoid(x) elementwise, a.k.a. swish (PyTorch's ``nn.SiLU``)."""
    fn = staticmethod(F.silu)


class SELU(_Activation):
    """scale * (max(0, x) + min(0, alpha (exp(x) - 1))) with the self-normalising constants (PyTorch's ``nn.SELU``)."""
    fn = staticmethod(F.selu)


class Hardsigmoid(_Activation):
    """clip(x / 6 + 1/2, 0, 1) elementwise (PyTorch's ``nn.Hardsigmoid``)."""
    fn = staticmethod(F.hardsigmoid)


class Hardswish(_Activation):
    """x * hardsigmoid(x) elementwise (PyTorch's ``nn.Hardswish``)."""
    fn = staticmethod(F.hardswish)


class ReLU6(_Activation):
    """clip(x, 0, 6) elementwise (PyTorch's ``nn.ReLU6``)."""
    fn = staticmethod(F.relu6)


class Softsign(_Activation):
    """x / (1 + |x|) elementwise (PyTorch's ``nn.Softsign``)."""
    fn = staticmethod(F.softsign)


class Mish(_Activation):
    """x * tanh(softplus(x)) elementwise (PyTorch's ``nn.Mish``)."""
    fn = staticmethod(F.mish)


class Softplus(_Activation):
    """log(1 + exp(x)) elementwise (PyTorch's ``nn.Softplus`` with beta = 1)."""
    fn = staticmethod(F.softplus)


class LogSigmoid(_Activation):
    """log(sigmoid(x)) = -softplus(-x) elementwise (PyTorch's ``nn.LogSigmoid``)."""
    fn = staticmethod(F.logsigmoid)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise (PyTorch's ``nn.LeakyReLU``)."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        """The leaky ReLU applied elementwise."""
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        """The slope, shown by ``print(model)``."""
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    """x * Phi(x), Phi the standard normal CDF; ``approximate="tanh"`` for the tanh formula (PyTorch's
    ``nn.GELU``)."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        """GELU applied elementwise."""
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        """The approximation, shown by ``print(model)``."""
        return f"approximate={self.approximate!r}"


class ELU(Module):
    """x for x > 0, alpha (exp(x) - 1) otherwise (PyTorch's ``nn.ELU``)."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        """ELU applied elementwise."""
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        """alpha, shown by ``print(model)``."""
        return f"alpha={self.alpha}"


class CELU(ELU):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)) (PyTorch's ``nn.CELU``)."""

    def forward(self, x: Tensor) -> Tensor:
        """CELU applied elementwise."""
        return F.celu(x, self.alpha)


class Hardtanh(Module):
    """clip(x, min_val, max_val) elementwise (PyTorch's ``nn.Hardtanh``)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0):
        super().__init__()
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x: Tensor) -> Tensor:
        """The clip applied elementwise."""
        return F.hardtanh(x, self.min_val, self.max_val)


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``axis`` (PyTorch's ``nn.Softmax(dim)``; ``dim=`` is accepted)."""

    @accept_aliases
    def __init__(self, axis: int = -1):
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        """The softmax along the module's axis."""
        return F.softmax(x, axis=self.axis)


class LogSoftmax(Softmax):
    """x - logsumexp(x) along ``axis`` (PyTorch's ``nn.LogSoftmax(dim)``; ``dim=`` is accepted)."""

    def forward(self, x: Tensor) -> Tensor:
        """The log-softmax along the module's axis."""
        return F.log_softmax(x, axis=self.axis)
