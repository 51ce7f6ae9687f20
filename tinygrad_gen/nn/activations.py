"""Module wrappers of the newer activations in ``nn.functional`` (PyTorch's names and arguments)."""
from . import functional as F
from .module import Module


class _Activation(Module):
    fn = None

    def forward(self, x):
        return type(self).fn(x)


class SiLU(_Activation):
    fn = staticmethod(F.silu)


class SELU(_Activation):
    fn = staticmethod(F.selu)


class Hardsigmoid(_Activation):
    fn = staticmethod(F.hardsigmoid)


class Hardswish(_Activation):
    fn = staticmethod(F.hardswish)


class ReLU6(_Activation):
    fn = staticmethod(F.relu6)


class Softsign(_Activation):
    fn = staticmethod(F.softsign)


class Mish(_Activation):
    fn = staticmethod(F.mish)


class Softplus(_Activation):
    fn = staticmethod(F.softplus)


class LogSigmoid(_Activation):
    fn = staticmethod(F.logsigmoid)


class ELU(Module):
    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class CELU(ELU):
    def forward(self, x):
        return F.celu(x, self.alpha)


class Hardtanh(Module):
    def __init__(self, min_val=-1.0, max_val=1.0):
        super().__init__()
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)


class Softmax(Module):
    """softmax along ``axis`` (``dim=`` accepted, as PyTorch's nn.Softmax(dim))."""
    def __init__(self, axis=-1, dim=None):
        super().__init__()
        self.axis = axis if dim is None else dim

    def forward(self, x):
        return F.softmax(x, axis=self.axis)


class LogSoftmax(Softmax):
    def forward(self, x):
        return F.log_softmax(x, axis=self.axis)
