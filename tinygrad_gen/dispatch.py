"""The one place that decides which kernel computes an op: the GPU kernels for matmul and attention, and the
CPU fast paths of the other ops, NumPy ones and Numba kernels (``kernels/cpu``), at the end of this file.

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
    """'reference' or 'numba' for attention on ``array`` (q's data) with an optional boolean ``mask``: the CUDA
    kernels (CPU arrays: 'reference'; ``cpu_flash_attention`` says when the CPU kernels take them)."""
    choice = backend or os.environ.get("TGG_ATTENTION") or "reference"
    if choice not in ATTENTION_BACKENDS:
        raise ValueError(f"scaled_dot_product_attention: backend {choice!r} is not one of {ATTENTION_BACKENDS}")
    if choice == "numba":
        if (type(array) is np.ndarray or array.dtype != np.float32 or array.shape[-1] > MAX_KERNEL_HEAD_DIM
                or not _per_key(mask)):
            return "reference"  # the kernels: float32 CUDA arrays, d <= 128, a boolean mask with one value per key
    return choice


def cpu_flash_attention(array, mask=None) -> bool:
    """Whether attention on the CPU array ``array`` (q's data) with ``mask`` runs the Numba flash kernels
    (``kernels/cpu/attention.py``, applied as ``pick(FlashAttention)``): where ``TGG_KERNELS`` chooses the Numba
    path of ``FlashAttention`` (``FlashAttention=numba``; ``auto`` where it is preferred), for float32 or float64
    and a mask with one boolean per key (or none)."""
    return (type(array) is np.ndarray and array.dtype in (np.float32, np.float64) and _per_key(mask)
            and _chosen_kind("FlashAttention") == "numba")


def _per_key(mask) -> bool:
    """No mask, or a boolean one with one value per key (size 1 on the query axis): what the flash kernels take."""
    mask = mask._data if hasattr(mask, "requires_grad") else mask  # a Tensor's array
    return mask is None or (getattr(mask, "dtype", None) == np.bool_ and (mask.ndim < 2 or mask.shape[-2] == 1))


# ----- fast paths: the CPU speed tricks, kept apart from the plain ops a student reads -----
#
# Every op in ``ops/`` is the plain NumPy its docstring derives. A speed trick is a subclass of that op (same
# inputs, same outputs, same gradients), registered here with what it speeds up and by how much; ``pick(Op)`` gives
# the class the engine applies. Two kinds are registered: ``fast`` (NumPy written for speed, ``ops/fast/*.py``)
# and ``numba`` (``ops/fast/numba_*.py``, on the Numba kernels of ``kernels/cpu``). ``TGG_KERNELS`` chooses:
# ``auto`` (the default: per op the path measured fastest on the CPU, a Numba one where it is registered as
# preferred and Numba is installed, else the NumPy one), ``fast`` (the NumPy paths alone), ``numba`` (every Numba
# path, the NumPy ones elsewhere), ``reference`` (the plain ops everywhere), or per op, e.g.
# ``TGG_KERNELS=fast,LayerNorm=numba`` or ``TGG_KERNELS=MaskedSoftmax=reference``. Without Numba installed a
# ``numba`` choice runs the NumPy path (nothing imports Numba until a Numba kernel runs). Tests switch with
# ``with kernels("reference"): ...``.
KERNEL_MODES = ("auto", "fast", "numba", "reference")


@dataclass(frozen=True)
class FastPath:
    """One registered speed trick: ``fast`` computes what ``plain`` computes, faster where ``speeds_up`` says;
    ``preferred``: the ``auto`` mode runs it (for a Numba path: it was measured faster than the NumPy one)."""
    plain: type
    fast: type
    speeds_up: str
    preferred: bool = True


FAST_PATHS: dict = {}  # plain Function class -> FastPath, the NumPy fast path
NUMBA_PATHS: dict = {}  # plain Function class -> FastPath, the Numba kernel path
_chosen: dict = {}  # plain Function class -> the class to apply now (absent: the plain one)
_overrides: dict = {}  # op name -> mode, from TGG_KERNELS or kernels(...)
_default_mode = ["auto"]
_numba_found: list = []  # [bool] once looked up


def numba_available() -> bool:
    """Whether Numba and the CPU kernels (``kernels/cpu``, installed as ``tinygrad_gen.kernels.cpu``) can be
    imported here: looked up once, without importing Numba."""
    if not _numba_found:
        import importlib.util
        try:
            found = (importlib.util.find_spec("numba") is not None
                     and importlib.util.find_spec(__package__ + ".kernels.cpu") is not None)
        except ModuleNotFoundError:  # no tinygrad_gen.kernels at all (a copy without the kernels folder)
            found = False
        _numba_found.append(found)
    return _numba_found[0]


def register_fast_path(plain: type, speeds_up: str, kind: str = "fast", preferred: bool = True):
    """Class decorator: register ``fast`` (a subclass of ``plain``) as ``plain``'s fast path of ``kind`` ('fast':
    NumPy, or 'numba': a Numba kernel).

    ``speeds_up`` says where it is faster and by how much, as measured (benchmarks/RESULTS.md has the runs);
    ``preferred=False`` keeps a Numba path out of the default ``auto`` mode (where the NumPy path measured faster)."""
    if kind not in ("fast", "numba"):
        raise ValueError(f"register_fast_path: kind {kind!r} is not 'fast' or 'numba' (for {plain.__name__})")

    def register(fast: type) -> type:
        if not issubclass(fast, plain):
            raise TypeError(f"register_fast_path: {fast.__name__} must subclass {plain.__name__}")
        (NUMBA_PATHS if kind == "numba" else FAST_PATHS)[plain] = FastPath(plain, fast, speeds_up, preferred)
        fast.__name__ = plain.__name__  # errors, graphs and traces name the op, whichever implementation ran
        _choose(plain)
        return fast
    return register


def pick(plain: type) -> type:
    """The Function class to apply for ``plain``: its fast path where one is registered and chosen, else itself."""
    return _chosen.get(plain, plain)


def mode_of(plain: type) -> str:
    """'reference', 'fast' or 'numba': which implementation ``plain`` runs now ('fast' also where it has none)."""
    mode = _overrides.get(plain.__name__, _default_mode[0])
    if mode == "reference":
        return "reference"
    numba = NUMBA_PATHS.get(plain)
    if numba is not None and numba_available() and (mode == "numba" or (mode == "auto" and numba.preferred)):
        return "numba"
    return "fast"


def _choose(plain):
    kind = mode_of(plain)
    path = (NUMBA_PATHS if kind == "numba" else FAST_PATHS).get(plain) if kind != "reference" else None
    if path is not None:
        _chosen[plain] = path.fast
    else:
        _chosen.pop(plain, None)


def _chosen_kind(name: str) -> str:
    """mode_of for the op class named ``name`` among the Numba paths ('reference' when it has none)."""
    plain = next((p for p in NUMBA_PATHS if p.__name__ == name), None)
    return "reference" if plain is None else mode_of(plain)


FUSED_ADAM_PREFERRED = True  # measured: the one-pass update beats NumPy's eight passes (RESULTS.md, issue 29)


def fused_adam(array):
    """The Numba Adam/AdamW update (``kernels.cpu.adamw.adam_step``) for the parameter ``array``, or None: where
    ``TGG_KERNELS`` chooses it for ``Adam`` (``Adam=numba``, ``numba``, or ``auto``), Numba is installed and the
    array is a contiguous float32/float64 NumPy array. The optimizer then calls it instead of its NumPy steps."""
    mode = _overrides.get("Adam", _default_mode[0])
    if (mode == "numba" or (mode == "auto" and FUSED_ADAM_PREFERRED)) and numba_available() \
            and type(array) is np.ndarray and array.dtype in (np.float32, np.float64) and array.flags.c_contiguous:
        from .kernels.cpu.adamw import adam_step
        return adam_step
    return None


def _parse_modes(spec: str):
    """'reference' -> ('reference', {}); 'fast,Sum=reference' -> ('fast', {'Sum': 'reference'})."""
    default, overrides = "auto", {}
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
    """Choose the implementations, as ``TGG_KERNELS`` does: 'auto', 'fast', 'numba', 'reference' or
    'fast,Op=reference,...'."""
    default, overrides = _parse_modes(spec)
    _default_mode[0] = default
    _overrides.clear()
    _overrides.update(overrides)
    for plain in set(FAST_PATHS) | set(NUMBA_PATHS):
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


set_kernels(os.environ.get("TGG_KERNELS", "auto"))
