"""The one place that decides which kernel computes an op: the GPU kernels for matmul and attention, and the
CPU fast paths of the other ops (at the end of this file).

matmul:    CPU -> NumPy.  CUDA -> ``backend=`` argument, else ``TGG_MATMUL`` in {cupy, numba}, else cupy (cuBLAS).
attention: ``backend=`` argument, else ``TGG_ATTENTION`` in {reference, numba}, else reference (composed ops).
The Numba kernels are float32 CUDA kernels: other dtypes, CPU arrays, head dims over 128 and masks that vary with the
query position go to the general path (cuBLAS / reference), so choosing ``numba`` never changes what can be computed.
Kernels are imported lazily, only when chosen.
"""
import os
from contextlib import contextmanager
from dataclasses import dataclass

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
        mask = mask._data if hasattr(mask, "requires_grad") else mask  # a Tensor's array
        if (type(array) is np.ndarray or array.dtype != np.float32 or array.shape[-1] > MAX_KERNEL_HEAD_DIM
                or (mask is not None and (getattr(mask, "dtype", None) != np.bool_
                                          or (mask.ndim >= 2 and mask.shape[-2] != 1)))):
            return "reference"  # the kernels: float32 CUDA arrays, d <= 128, a boolean mask with one value per key
    return choice


# ----- fast paths: the CPU speed tricks, kept apart from the plain ops a student reads -----
#
# Every op in ``ops/`` is the plain NumPy its docstring derives. A speed trick is a subclass of that op (same
# inputs, same outputs, same gradients), registered here with what it speeds up and by how much; ``pick(Op)`` gives
# the class the engine applies. ``TGG_KERNELS`` chooses: ``fast`` (the default: every registered fast path),
# ``reference`` (the plain ops everywhere), or per op, e.g. ``TGG_KERNELS=reference,Sum=fast`` or
# ``TGG_KERNELS=MaskedSoftmax=reference``. Tests switch with ``with kernels("reference"): ...``.
KERNEL_MODES = ("fast", "reference")


@dataclass(frozen=True)
class FastPath:
    """One registered speed trick: ``fast`` computes what ``plain`` computes, faster where ``speeds_up`` says."""
    plain: type
    fast: type
    speeds_up: str


FAST_PATHS: dict = {}  # plain Function class -> FastPath
_chosen: dict = {}  # plain Function class -> the class to apply now (absent: the plain one)
_overrides: dict = {}  # op name -> mode, from TGG_KERNELS or kernels(...)
_default_mode = ["fast"]


def register_fast_path(plain: type, speeds_up: str):
    """Class decorator: register ``fast`` (a subclass of ``plain``) as ``plain``'s fast path.

    ``speeds_up`` says where it is faster and by how much, as measured (benchmarks/RESULTS.md has the runs)."""
    def register(fast: type) -> type:
        if not issubclass(fast, plain):
            raise TypeError(f"register_fast_path: {fast.__name__} must subclass {plain.__name__}")
        FAST_PATHS[plain] = FastPath(plain, fast, speeds_up)
        fast.__name__ = plain.__name__  # errors, graphs and traces name the op, whichever implementation ran
        _choose(plain)
        return fast
    return register


def pick(plain: type) -> type:
    """The Function class to apply for ``plain``: its fast path where one is registered and chosen, else itself."""
    return _chosen.get(plain, plain)


def mode_of(plain: type) -> str:
    """'fast' or 'reference': which implementation ``plain`` runs now."""
    return _overrides.get(plain.__name__, _default_mode[0])


def _choose(plain):
    path = FAST_PATHS.get(plain)
    if path is not None and mode_of(plain) == "fast":
        _chosen[plain] = path.fast
    else:
        _chosen.pop(plain, None)


def _parse_modes(spec: str):
    """'reference' -> ('reference', {}); 'fast,Sum=reference' -> ('fast', {'Sum': 'reference'})."""
    default, overrides = "fast", {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, mode = part.rpartition("=")
        if mode not in KERNEL_MODES:
            raise ValueError(f"TGG_KERNELS: {mode!r} is not one of {KERNEL_MODES} (in {spec!r})")
        if name:
            overrides[name] = mode
        else:
            default = mode
    return default, overrides


def set_kernels(spec: str) -> None:
    """Choose the implementations, as ``TGG_KERNELS`` does: 'fast', 'reference' or 'fast,Op=reference,...'."""
    default, overrides = _parse_modes(spec)
    _default_mode[0] = default
    _overrides.clear()
    _overrides.update(overrides)
    for plain in FAST_PATHS:
        _choose(plain)


def kernels_spec() -> str:
    """The current choice, in ``TGG_KERNELS``'s syntax."""
    return ",".join([_default_mode[0]] + [f"{k}={v}" for k, v in sorted(_overrides.items())])


@contextmanager
def kernels(spec: str):
    """``with kernels("reference"):`` runs the plain ops inside the block (tests compare both paths this way)."""
    before = kernels_spec()
    set_kernels(spec)
    try:
        yield
    finally:
        set_kernels(before)


set_kernels(os.environ.get("TGG_KERNELS", "fast"))
