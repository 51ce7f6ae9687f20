"""The one place that decides which kernel computes a matmul or an attention, per device.

matmul:    CPU -> NumPy.  CUDA -> ``backend=`` argument, else ``TGG_MATMUL`` in {cupy, numba}, else cupy (cuBLAS).
attention: ``backend=`` argument, else ``TGG_ATTENTION`` in {reference, numba}, else reference (composed ops).
The Numba kernels are float32 CUDA kernels: other dtypes, CPU arrays, head dims over 128 and masks that vary with the
query position go to the general path (cuBLAS / reference), so choosing ``numba`` never changes what can be computed.
Kernels are imported lazily, only when chosen.
"""
import os

import numpy as np

MATMUL_BACKENDS = ("numpy", "cupy", "numba")
ATTENTION_BACKENDS = ("reference", "numba")
MAX_KERNEL_HEAD_DIM = 128


def matmul_backend(array, backend=None):
    """'numpy' for CPU arrays; for CUDA arrays the chosen one of 'cupy' | 'numba'."""
    if type(array) is np.ndarray:
        return "numpy"
    choice = backend or os.environ.get("TGG_MATMUL") or "cupy"
    if choice not in MATMUL_BACKENDS[1:]:
        raise ValueError(f"matmul: backend {choice!r} is not one of cupy, numba for device 'cuda'")
    return choice


def matmul(a, b, backend=None):
    """a @ b on arrays, by the chosen kernel (the Numba one for float32 operands of ndim >= 2)."""
    if matmul_backend(a, backend) == "numba" and a.dtype == b.dtype == np.float32 and a.ndim >= 2 and b.ndim >= 2:
        from .kernels import matmul_numba
        return matmul_numba.matmul(a, b)
    return a @ b


def attention_backend(array, backend=None, mask=None):
    """'reference' or 'numba' for attention on ``array`` (q's data) with an optional boolean ``mask``."""
    choice = backend or os.environ.get("TGG_ATTENTION") or "reference"
    if choice not in ATTENTION_BACKENDS:
        raise ValueError(f"scaled_dot_product_attention: backend {choice!r} is not one of {ATTENTION_BACKENDS}")
    if choice == "numba":
        mask = mask.data if hasattr(mask, "requires_grad") else mask  # a Tensor's array
        if (type(array) is np.ndarray or array.dtype != np.float32 or array.shape[-1] > MAX_KERNEL_HEAD_DIM
                or (mask is not None and (getattr(mask, "dtype", None) != np.bool_
                                          or (mask.ndim >= 2 and mask.shape[-2] != 1)))):
            return "reference"  # the kernels: float32 CUDA arrays, d <= 128, a boolean mask with one value per key
    return choice
