"""The activation layers: a ``Module`` around each activation function of ``F`` (PyTorch's names and arguments).
The math, forward and backward, is in the activations and softmax families of ``tinygrad_gen/ops/``.

PyTorch's ``inplace=True`` writes the result into the input (``ops.inplace.inplace_result``: outside a graph the
input itself is returned; inside one the result is a new tensor holding the same values, so use the returned value,
as ``x = self.relu(x)`` and ``nn.Sequential`` do)."""
from __future__ import annotations

from ..binding import accept_aliases
from ..ops.inplace import inplace_result
from ..tensor import Tensor
from . import functional as F
from .module import Module


def _inplace_flag(inplace: bool, layer: str) -> bool:
    if not isinstance(inplace, bool):
        raise TypeError(f"{layer}: inplace must be True or False, got {inplace!r}")
    return inplace


class _Activation(Module):
    """An activation with no settings but PyTorch's ``inplace``: ``forward`` applies ``fn``."""
    fn = None

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = _inplace_flag(inplace, type(self).__name__)

    def forward(self, x: Tensor) -> Tensor:
        """The activation applied elementwise (written into x with ``inplace=True``)."""
        fn = type(self).fn
        return inplace_result(x, fn, type(self).__name__) if self.inplace else fn(x)

    def extra_repr(self) -> str:
        """``inplace=True`` when set, shown by ``print(model)`` (as PyTorch shows it)."""
        return "inplace=True" if self.inplace else ""


class _Stateless(Module):
    """An activation that takes no arguments at all (``nn.Tanh()``, ``nn.Sigmoid()``): ``forward`` applies ``fn``."""
    fn = None

    def forward(self, x: Tensor) -> Tensor:
        """The activation applied elementwise."""
        return type(self).fn(x)


class ReLU(_Activation):
    """max(x, 0) elementwise (PyTorch's ``nn.ReLU``)."""
    fn = staticmethod(F.relu)


class Tanh(_Stateless):
    """tanh(x) elementwise (PyTorch's ``nn.Tanh``)."""
    fn = staticmethod(F.tanh)


class Sigmoid(_Stateless):
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


class Softsign(_Stateless):
    """x / (1 + |x|) elementwise (PyTorch's ``nn.Softsign``)."""
    fn = staticmethod(F.softsign)


class Mish(_Activation):
    """x * tanh(softplus(x)) elementwise (PyTorch's ``nn.Mish``)."""
    fn = staticmethod(F.mish)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta elementwise, x itself where beta x > threshold (PyTorch's ``nn.Softplus``)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Tensor) -> Tensor:
        """Softplus applied elementwise."""
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        """beta and threshold, shown by ``print(model)``."""
        return f"beta={self.beta}, threshold={self.threshold}"


class LogSigmoid(_Stateless):
    """log(sigmoid(x)) = -softplus(-x) elementwise (PyTorch's ``nn.LogSigmoid``)."""
    fn = staticmethod(F.logsigmoid)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise (PyTorch's ``nn.LeakyReLU``)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = _inplace_flag(inplace, "LeakyReLU")

    def forward(self, x: Tensor) -> Tensor:
        """The leaky ReLU applied elementwise (written into x with ``inplace=True``)."""
        def fn(t):
            return F.leaky_relu(t, self.negative_slope)
        return inplace_result(x, fn, "LeakyReLU") if self.inplace else fn(x)

    def extra_repr(self) -> str:
        """The slope (and ``inplace=True``), shown by ``print(model)``."""
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


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

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = _inplace_flag(inplace, type(self).__name__)

    def _fn(self, t: Tensor) -> Tensor:
        return F.elu(t, self.alpha)

    def forward(self, x: Tensor) -> Tensor:
        """The activation applied elementwise (written into x with ``inplace=True``)."""
        return inplace_result(x, self._fn, type(self).__name__) if self.inplace else self._fn(x)

    def extra_repr(self) -> str:
        """alpha (and ``inplace=True``), shown by ``print(model)``."""
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)) (PyTorch's ``nn.CELU``)."""

    def _fn(self, t: Tensor) -> Tensor:
        return F.celu(t, self.alpha)


class Hardtanh(Module):
    """clip(x, min_val, max_val) elementwise (PyTorch's ``nn.Hardtanh``)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None):
        super().__init__()
        if min_value is not None:  # PyTorch's deprecated spellings, with its warning
            import warnings
            warnings.warn("keyword argument `min_value` is deprecated and rename to `min_val`", FutureWarning,
                          stacklevel=2)
            min_val = min_value
        if max_value is not None:
            import warnings
            warnings.warn("keyword argument `max_value` is deprecated and rename to `max_val`", FutureWarning,
                          stacklevel=2)
            max_val = max_value
        if max_val <= min_val:
            raise AssertionError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val = min_val, max_val
        self.inplace = _inplace_flag(inplace, "Hardtanh")

    def forward(self, x: Tensor) -> Tensor:
        """The clip applied elementwise (written into x with ``inplace=True``)."""
        def fn(t):
            return F.hardtanh(t, self.min_val, self.max_val)
        return inplace_result(x, fn, "Hardtanh") if self.inplace else fn(x)

    def extra_repr(self) -> str:
        """The bounds (and ``inplace=True``), shown by ``print(model)``."""
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


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
