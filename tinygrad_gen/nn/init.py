"""Initialisations, in place, drawn from the engine's seeded generator (``tg.manual_seed``), with PyTorch's formulas.

PyTorch's default for Linear and Conv weights is ``kaiming_uniform_(w, a=sqrt(5))``: U(-b, b) with
b = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)), which works out to b = 1 / sqrt(fan_in).
"""
import math
import warnings
from typing import Any, Optional

import numpy as np

from ..backend import to_device
from ..random import generator as _engine_generator
from ..tensor import Tensor


def _fill(t, values):
    t._data[...] = to_device(np.asarray(values, dtype=t.dtype), t.device)
    return t


def fans(t):
    """(fan_in, fan_out) as PyTorch computes them: dims 1 and 0 times the receptive field (the trailing dims)."""
    if t.ndim < 2:
        raise ValueError(f"init: fan in and fan out need a tensor of at least 2 dims, got shape {t.shape}")
    receptive = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill ``t`` in place with U(a, b) samples (``torch.nn.init.uniform_``)."""
    return _fill(t, _check_generator(generator, "uniform_").uniform(a, b, t.shape))


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill ``t`` in place with N(mean, std^2) samples (``torch.nn.init.normal_``)."""
    return _fill(t, _check_generator(generator, "normal_").normal(mean, std, t.shape))


def zeros_(t: Tensor) -> Tensor:
    """Fill ``t`` with zeros, in place (``torch.nn.init.zeros_``)."""
    return _fill(t, 0)


def ones_(t: Tensor) -> Tensor:
    """Fill ``t`` with ones, in place (``torch.nn.init.ones_``)."""
    return _fill(t, 1)


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """The gain PyTorch recommends for a nonlinearity (``torch.nn.init.calculate_gain``): 1 for linear, conv and
    sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope ``param``, 0.01 when None),
    3/4 for selu. Anything else raises ValueError."""
    linear_fns = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d")
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fan(t, mode, op):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(t)
    return fan_in if mode == "fan_in" else fan_out


def _check_generator(generator, op):
    """The NumPy generator to draw from: the engine's (``tg.manual_seed``) by default, or one given."""
    if generator is None:
        return _engine_generator()
    if isinstance(generator, np.random.Generator):
        return generator
    inner = getattr(generator, "numpy_generator", None) or getattr(generator, "_generator", None)
    if isinstance(inner, np.random.Generator):
        return inner
    raise TypeError(f"{op}: generator must be a numpy.random.Generator or the engine's Generator, "
                    f"got {type(generator).__name__}")


def _empty_warn(t, op):
    if 0 in t.shape:
        warnings.warn(f"{op}: initializing a zero-element tensor (shape {t.shape}) is a no-op", stacklevel=3)
        return True
    return False


def kaiming_uniform_(t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: Any = None) -> Tensor:
    """Fill ``t`` in place with U(-b, b), b = gain * sqrt(3 / fan), gain = ``calculate_gain(nonlinearity, a)`` and
    fan the ``mode`` fan ("fan_in" keeps the forward variance, "fan_out" the backward); He et al. 2015, as
    ``torch.nn.init.kaiming_uniform_``. PyTorch's Linear/Conv default is ``a=sqrt(5)``: b = 1 / sqrt(fan_in)."""
    if _empty_warn(t, "kaiming_uniform_"):
        return t
    fan = _fan(t, mode, "kaiming_uniform_")
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan) if fan else 0.0
    return _fill(t, _check_generator(generator, "kaiming_uniform_").uniform(-bound, bound, t.shape))


def kaiming_normal_(t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: Any = None) -> Tensor:
    """Fill ``t`` in place with N(0, std^2), std = gain / sqrt(fan), gain = ``calculate_gain(nonlinearity, a)``
    (He et al. 2015), as ``torch.nn.init.kaiming_normal_``; ``mode`` picks "fan_in" or "fan_out"."""
    if _empty_warn(t, "kaiming_normal_"):
        return t
    fan = _fan(t, mode, "kaiming_normal_")
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0
    return _fill(t, _check_generator(generator, "kaiming_normal_").normal(0.0, std, t.shape))


def xavier_uniform_(t: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Fill ``t`` in place with U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010): variance
    balanced between forward and backward; as ``torch.nn.init.xavier_uniform_``."""
    fan_in, fan_out = fans(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return _fill(t, _check_generator(generator, "xavier_uniform_").uniform(-bound, bound, t.shape))


def xavier_normal_(t: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Fill ``t`` in place with N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio 2010); as
    ``torch.nn.init.xavier_normal_``."""
    fan_in, fan_out = fans(t)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return _fill(t, _check_generator(generator, "xavier_normal_").normal(0.0, std, t.shape))


def constant_(t: Tensor, val: float) -> Tensor:
    """Fill ``t`` with ``val``, in place (``torch.nn.init.constant_``)."""
    return _fill(t, val)


def eye_(t: Tensor) -> Tensor:
    """Fill the 2-D ``t`` with the identity matrix (ones on the diagonal, zeros elsewhere; a rectangular one too),
    in place; as ``torch.nn.init.eye_``. Other ranks raise ValueError."""
    if t.ndim != 2:
        raise ValueError(f"eye_: only tensors with 2 dimensions are supported, got shape {t.shape}")
    return _fill(t, np.eye(*t.shape))


def _normal_cdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def trunc_normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: Any = None) -> Tensor:
    """Fill ``t`` in place with N(mean, std^2) samples truncated to [a, b] (``a`` and ``b`` are values, not numbers
    of std, as in ``torch.nn.init.trunc_normal_``). Drawn exactly, by rejection: from the normal itself when
    [a, b] holds much of its mass, else uniformly on [a, b] accepted with probability pdf(x) / max pdf on [a, b]."""
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be positive, got {std}")
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    gen = _check_generator(generator, "trunc_normal_")
    lo, hi = (a - mean) / std, (b - mean) / std  # in standard units
    mass = _normal_cdf(hi) - _normal_cdf(lo)
    peak = 0.0 if lo <= 0 <= hi else min(lo * lo, hi * hi)  # the smallest z^2 on [lo, hi]
    uniform_rate = mass * math.sqrt(2 * math.pi) * math.exp(peak / 2) / (hi - lo) if math.isfinite(hi - lo) else 0.0
    if mass <= 0 and uniform_rate <= 0:
        raise ValueError(f"trunc_normal_: [a, b] = [{a}, {b}] holds no probability under N({mean}, {std}^2)")
    n = int(np.prod(t.shape))
    out = np.empty(0)
    while out.size < n:
        need = n - out.size
        if mass >= uniform_rate:
            z = gen.standard_normal(int(need / max(mass, 1e-3)) + 16)
            z = z[(z >= lo) & (z <= hi)]
        else:
            z = gen.uniform(lo, hi, int(need / max(uniform_rate, 1e-3)) + 16)
            z = z[gen.uniform(0, 1, z.size) <= np.exp((peak - z * z) / 2)]
        out = np.concatenate([out, z[:need]])
    return _fill(t, np.clip(mean + std * out.reshape(t.shape), a, b))


def orthogonal_(t: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Fill ``t`` in place with a (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2013), as
    ``torch.nn.init.orthogonal_``: ``t`` is read as (shape[0], the rest flattened); the Q of the QR decomposition
    of a standard normal matrix, its columns' signs fixed by R's diagonal (so Q is uniform on the orthogonal group).
    Rows are orthonormal when rows <= cols, columns otherwise."""
    if t.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, got shape {t.shape}")
    if 0 in t.shape:
        return t
    rows = t.shape[0]
    cols = int(np.prod(t.shape)) // rows
    flat = _check_generator(generator, "orthogonal_").standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(t, gain * q.reshape(t.shape))


def default_bias_(bias, fan_in):
    """PyTorch's bias initialisation for Linear and Conv: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform_(bias, -bound, bound)
