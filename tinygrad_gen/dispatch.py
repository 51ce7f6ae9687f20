"""The one place that decides which kernel computes a matmul or an attention, per device.

CPU: NumPy. CUDA: ``TGG_MATMUL`` in {cupy, numba} (default cupy, i.e. cuBLAS) and ``TGG_ATTENTION`` in
{reference, numba} (default reference). Kernels are imported lazily, only when chosen.
"""
import os

import numpy as np

MATMUL_BACKENDS = ("numpy", "cupy", "numba")
ATTENTION_BACKENDS = ("reference", "numba")


def matmul_backend(array, backend=None):
    if type(array) is np.ndarray:
        return "numpy"
    choice = backend or os.environ.get("TGG_MATMUL") or "cupy"
    if choice not in MATMUL_BACKENDS[1:]:
        raise ValueError(f"matmul: backend {choice!r} is not one of cupy, numba for device 'cuda'")
    return choice


def matmul(a, b, backend=None):
    """a @ b on arrays, by the chosen kernel."""
    which = matmul_backend(a, backend)
    if which == "numba":
        from .kernels import matmul_numba
        return matmul_numba.matmul(a, b)
    return a @ b


def attention_backend(array, backend=None):
    choice = backend or os.environ.get("TGG_ATTENTION") or "reference"
    if choice not in ATTENTION_BACKENDS:
        raise ValueError(f"scaled_dot_product_attention: backend {choice!r} is not one of {ATTENTION_BACKENDS}")
    if choice == "numba" and type(array) is np.ndarray:
        return "reference"  # the Numba kernels run on CUDA arrays only
    return choice
