"""PyTorch's device plumbing, so device-selection code written for PyTorch runs here and picks what exists:

- ``tg.device("cpu")``, ``tg.device("cuda:0")``, ``tg.device("cuda", 0)``: device objects with ``.type`` and
  ``.index``, accepted wherever a device name is (``x.to(dev)``, ``tg.zeros(3, device=dev)``);
- ``tg.cuda.is_available()`` (True only with CuPy and a GPU), ``tg.cuda.device_count()``, the seeding and
  synchronising no-ops PyTorch scripts call;
- ``tg.backends.mps.is_available()`` (False: no Apple GPU backend), ``tg.backends.cuda.matmul.allow_tf32`` and
  ``tg.backends.cudnn.*`` (settings scripts assign, kept and ignored);
- ``tg.accelerator.is_available()`` / ``current_accelerator()``: "cuda" when CuPy sees a GPU, else False / None.

A ``device`` is a ``str`` subclass whose value is the name ("cpu", "cuda", "cuda:1"), so every function that takes a
device name takes it unchanged; it also compares equal to that name (PyTorch's ``torch.device("cpu") == "cpu"`` is
False; nothing sensible depends on that).
"""
from __future__ import annotations

import types
from typing import Any, Optional

from . import backend

_TYPES = ("cpu", "cuda", "mps", "meta")  # the types a device may name; only cpu and cuda hold tensors here


class device(str):
    """A device (PyTorch's ``torch.device``): ``device("cpu")``, ``device("cuda")``, ``device("cuda:1")`` or
    ``device("cuda", 1)``; ``.type`` is "cpu" or "cuda", ``.index`` the GPU's number (None when not given).
    ``str(d)`` is PyTorch's string ("cuda:1"); a device is that string, so it goes wherever a device name goes."""

    def __new__(cls, type: Any, index: Optional[int] = None) -> device:
        """Make a device from its name (``"cuda:1"``) or its type and index (``"cuda", 1``); PyTorch's errors."""
        if isinstance(type, device) and index is None:
            return type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string like 'cpu' or 'cuda:0', got {type.__class__.__name__} "
                            f"{type!r}")
        name, sep, number = type.partition(":")
        if name not in _TYPES:
            raise RuntimeError(f"device: expected one of {', '.join(_TYPES)} device type at start of device string: "
                               f"{type!r}")
        if sep:
            if index is not None:
                raise RuntimeError(f"device: type ({type!r}) must not include an index because index was passed "
                                   "explicitly")
            if not number.isdigit() or not number.isascii():
                raise RuntimeError(f"device: invalid device string {type!r}")
            index = int(number)
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int) or index < 0:
                raise RuntimeError(f"device: the index must be a non-negative integer, got {index!r}")
        out = super().__new__(cls, name if index is None else f"{name}:{index}")
        out._type, out._index = name, index
        return out

    @property
    def type(self) -> str:
        """The kind of device: "cpu" or "cuda" (PyTorch's ``device.type``)."""
        return self._type

    @property
    def index(self) -> Optional[int]:
        """The device's number, None when not given (PyTorch's ``device.index``)."""
        return self._index

    def __repr__(self) -> str:
        extra = "" if self._index is None else f", index={self._index}"
        return f"device(type={self._type!r}{extra})"

    __hash__ = str.__hash__

    def __reduce__(self):
        return (device, (self._type, self._index))

    # a str subclass keeps str's methods: "cuda" in device("cuda:0") is True, as code like nanoGPT's expects


CPU = device("cpu")
CUDA = device("cuda")


def of_array(array: Any) -> device:
    """The device object of an array: ``CPU`` for a NumPy array, ``CUDA`` for a CuPy one (for ``Tensor.device``)."""
    return CPU if backend.device_of(array) == "cpu" else CUDA


def _gpu_count() -> int:
    """How many GPUs CuPy sees; 0 without CuPy or a driver (nothing is imported unless CuPy is installed)."""
    import importlib.util
    if importlib.util.find_spec("cupy") is None:
        return 0
    try:
        return int(backend.cupy().cuda.runtime.getDeviceCount())
    except Exception:  # CuPy without a driver or a GPU raises its own CUDA errors
        return 0


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def _namespace(name: str, doc: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(f"tinygrad_gen.{name}", doc)
    module.__dict__.update(attrs)
    return module


def cuda_is_available() -> bool:
    """Whether a CUDA GPU can hold tensors: CuPy is installed and sees a GPU (``torch.cuda.is_available``)."""
    return _gpu_count() > 0


def cuda_device_count() -> int:
    """The number of GPUs CuPy sees, 0 without CuPy (``torch.cuda.device_count``)."""
    return _gpu_count()


def cuda_synchronize(device: Any = None) -> None:
    """Wait for the GPU's queued work (``torch.cuda.synchronize``); a no-op without a GPU."""
    if _gpu_count():
        backend.cupy().cuda.Device().synchronize()


def cuda_manual_seed(seed: int) -> None:
    """Accepted for PyTorch scripts (``torch.cuda.manual_seed`` / ``manual_seed_all``): random numbers are drawn
    on the CPU from the engine's generator, which ``tg.manual_seed`` seeds, so this seeds nothing."""
    if isinstance(seed, bool) or not isinstance(seed, int) and not hasattr(seed, "__index__"):
        raise TypeError(f"cuda.manual_seed: the seed must be an integer, got {type(seed).__name__} {seed!r}")


def cuda_is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: NumPy (and so this engine) has no bfloat16 (``torch.cuda.is_bf16_supported``)."""
    return False


def cuda_current_device() -> int:
    """The current GPU's number (``torch.cuda.current_device``); raises without a GPU, as PyTorch does."""
    if not _gpu_count():
        raise RuntimeError("cuda.current_device: no CUDA GPU is available (CuPy is missing or sees no GPU)")
    return int(backend.cupy().cuda.Device().id)


cuda = _namespace(
    "cuda", "PyTorch's ``torch.cuda`` names that device-selection code calls.",
    is_available=cuda_is_available, device_count=cuda_device_count, synchronize=cuda_synchronize,
    manual_seed=cuda_manual_seed, manual_seed_all=cuda_manual_seed, is_bf16_supported=cuda_is_bf16_supported,
    current_device=cuda_current_device, empty_cache=_noop)


def mps_is_available() -> bool:
    """False: there is no Apple-GPU (MPS) backend here (``torch.backends.mps.is_available``)."""
    return False


backends = _namespace(
    "backends", "PyTorch's ``torch.backends`` settings: ``mps.is_available()`` is False; the CUDA and cuDNN flags "
                "scripts set (``cuda.matmul.allow_tf32 = True``) are kept and have no effect.",
    mps=_namespace("backends.mps", "No MPS backend here.", is_available=mps_is_available, is_built=mps_is_available),
    cuda=_namespace("backends.cuda", "CUDA flags (kept, no effect).",
                    matmul=types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                                                 allow_bf16_reduced_precision_reduction=True),
                    is_built=cuda_is_available),
    cudnn=_namespace("backends.cudnn", "cuDNN flags (kept, no effect: no cuDNN here).", allow_tf32=True,
                     benchmark=False, deterministic=False, enabled=True, is_available=lambda: False))


def accelerator_is_available() -> bool:
    """Whether an accelerator (a CUDA GPU through CuPy) is there (``torch.accelerator.is_available``)."""
    return cuda_is_available()


def accelerator_current() -> Optional[device]:
    """``device("cuda")`` when a CUDA GPU is available, else None (``torch.accelerator.current_accelerator``)."""
    return CUDA if cuda_is_available() else None


accelerator = _namespace(
    "accelerator", "PyTorch's ``torch.accelerator``: CUDA through CuPy, or nothing.",
    is_available=accelerator_is_available, current_accelerator=accelerator_current,
    device_count=cuda_device_count, synchronize=cuda_synchronize)
