"""Special functions on arrays that several op families compute: the error function and, built on it, the standard
normal CDF Phi and density phi. Exact in float32 and float64, as gradchecks need: SciPy's erf ufunc (SciPy comes with
scikit-learn; without it, ``math.erf`` element by element), CuPy's on the GPU.

Arrays in, arrays out: the ops that call these hold the derivations (elementwise's ``Erf``; the activations'
``NormalCdf``, ``NormalPdf``, ``Gelu`` and ``GeluSlope``). The fast paths' float32 approximations of the same
functions are in ``fast/fast_math.py``, which falls back on these for other dtypes and devices."""
import math

import numpy as np

try:
    from scipy.special import erf as _scipy_erf
except ImportError:  # pragma: no cover - scikit-learn brings SciPy
    _scipy_erf = None

SQRT_HALF = 1 / math.sqrt(2)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def erf(x):
    """erf of a float array, or of a NumPy scalar (which arithmetic on a 0-d array gives): SciPy's ufunc on the CPU,
    CuPy's on the GPU; without SciPy, ``math.erf`` element by element."""
    if type(x) is np.ndarray or isinstance(x, np.generic):
        if _scipy_erf is not None:
            return _scipy_erf(x)
        return np.vectorize(math.erf, otypes=[x.dtype])(x)
    from cupyx.scipy.special import erf as cuda_erf
    return cuda_erf(x)


def normal_cdf(x):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, the standard normal CDF, of a float array."""
    return 0.5 * (1 + erf(x * SQRT_HALF))


def normal_pdf(x):
    """phi(x) = exp(-x^2 / 2) / sqrt(2 pi), the standard normal density, of a float array."""
    return np.exp(x * x * -0.5) * INV_SQRT_2PI
