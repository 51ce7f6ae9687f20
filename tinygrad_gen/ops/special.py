"""Special functions on arrays that several op families compute: the error function, its complement and, built on
erfc, the standard normal CDF Phi and density phi. Exact in float32 and float64, as gradchecks need: SciPy's ufuncs
(SciPy comes with scikit-learn; without it, ``math.erf`` / ``math.erfc`` element by element), CuPy's on the GPU.

Arrays in, arrays out: the ops that call these hold the derivations (elementwise's ``Erf``; the activations'
``NormalCdf``, ``NormalPdf``, ``Gelu`` and ``GeluSlope``). The fast paths' blocked float32 versions of the same
functions are in ``fast/fast_math.py``, which falls back on these for other dtypes and devices."""
import math

import numpy as np

try:
    from scipy.special import erf as _scipy_erf, erfc as _scipy_erfc
except ImportError:  # pragma: no cover - scikit-learn brings SciPy
    _scipy_erf = _scipy_erfc = None

SQRT_HALF = 1 / math.sqrt(2)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _ufunc(x, scipy_fn, math_fn, cupy_name):
    """``scipy_fn`` of a CPU array (``math_fn`` element by element without SciPy), CuPy's ``cupy_name`` on the GPU."""
    if type(x) is np.ndarray or isinstance(x, np.generic):
        if scipy_fn is not None:
            return scipy_fn(x)
        return np.vectorize(math_fn, otypes=[x.dtype])(x)
    import cupyx.scipy.special as cupy_special
    return getattr(cupy_special, cupy_name)(x)


def erf(x):
    """erf of a float array, or of a NumPy scalar (which arithmetic on a 0-d array gives): SciPy's ufunc on the CPU
    (float32 computed in float64 and rounded once: erf(1e-7) = 1.1283792e-07), CuPy's on the GPU; without SciPy,
    ``math.erf`` element by element."""
    return _ufunc(x, _scipy_erf, math.erf, "erf")


def erfc(x):
    """erfc(x) = 1 - erf(x) of a float array or NumPy scalar, without the cancellation of 1 - erf for large x
    (erfc(5) = 1.5375e-12 in float32): SciPy's ufunc on the CPU, CuPy's on the GPU, else ``math.erfc``."""
    return _ufunc(x, _scipy_erfc, math.erfc, "erfc")


def normal_cdf(x):
    """Phi(x) = erfc(-x / sqrt 2) / 2, the standard normal CDF, of a float array. Not (1 + erf(x / sqrt 2)) / 2,
    which cancels to 0 in the left tail: Phi(-6) = 9.8658765e-10 in float32. Arrays narrower than float64 are
    computed in float64 (so x / sqrt 2 is not rounded first) and rounded once."""
    wide = x.astype(np.float64) if x.dtype.itemsize < 8 else x
    out = erfc(wide * -SQRT_HALF) * 0.5
    return out.astype(x.dtype) if out.dtype != x.dtype else out


def normal_pdf(x):
    """phi(x) = exp(-x^2 / 2) / sqrt(2 pi), the standard normal density, of a float array."""
    return np.exp(x * x * -0.5) * INV_SQRT_2PI
