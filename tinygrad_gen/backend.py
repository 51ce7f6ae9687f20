"""Devices and array modules: the one place that knows about NumPy versus CuPy.

A Tensor's device is read off the type of its array: ``numpy.ndarray`` lives on ``"cpu"``, ``cupy.ndarray`` on
``"cuda"``. CuPy is imported lazily, only when a CUDA array is asked for, so the engine needs only NumPy.
"""
import ctypes
import os
import sys

import numpy as np

ARRAY_TYPES = (np.ndarray,)  # grows to include cupy.ndarray once CuPy is imported
_cupy = None


def cupy():
    """Import CuPy on first use, with an install hint when it is missing."""
    global _cupy, ARRAY_TYPES
    if _cupy is None:
        try:
            import cupy as cp
        except ImportError as e:  # pragma: no cover - depends on the machine
            raise ImportError("device='cuda' needs CuPy: pip install 'tinygrad_gen[gpu]' "
                              "(or a cupy-cudaXXx wheel matching your CUDA)") from e
        _cupy = cp
        ARRAY_TYPES = (np.ndarray, cp.ndarray)
    return _cupy


def check_device(device):
    """Normalise a device name; 'cuda:0' is accepted as 'cuda'."""
    if device is None:
        return "cpu"
    device = str(device)
    if device == "cpu":
        return device
    if device.split(":")[0] == "cuda":
        return "cuda"
    raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")


def device_of(array):
    """'cpu' for a NumPy array, 'cuda' for a CuPy one."""
    return "cpu" if type(array) is np.ndarray else "cuda"


def xp_of(array):
    """The array module (numpy or cupy) that owns ``array`` (NumPy scalars, which 0-d arithmetic gives, are NumPy's)."""
    return np if type(array) is np.ndarray or isinstance(array, np.generic) else cupy()


def xp_for(device):
    """The array module of ``device``: NumPy for 'cpu', CuPy for 'cuda'."""
    return np if device == "cpu" else cupy()


def to_device(array, device):
    """Move an array to ``device``; a no-op when it is already there."""
    if device == "cpu":
        return array if type(array) is np.ndarray else array.get()
    cp = cupy()
    return array if type(array) is cp.ndarray else cp.asarray(array)


def as_array(out):
    """NumPy turns 0-d results into scalars; the engine keeps everything an ndarray."""
    return np.asarray(out) if isinstance(out, np.generic) else out


def keep_freed_memory():
    """Ask glibc's malloc to keep freed blocks of up to 32 MiB in the process instead of handing them back to the
    kernel. By default a block over 128 KiB (any activation of a real model) is mmap-ed and unmapped on free, so
    every op's output lands on fresh pages the kernel must fault in and zero: a third of the CPU time of a one-thread
    GPT step was spent there (PyTorch's step spends ~1 %). With the thresholds raised, NumPy's temporaries reuse
    the same warm memory step after step; the process keeps its peak footprint instead. Runs once, at import;
    a no-op off glibc Linux or with TGG_MALLOC=default. Returns whether the settings took."""
    if not sys.platform.startswith("linux") or os.environ.get("TGG_MALLOC") == "default":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # mallopt's parameter numbers in <malloc.h>
        return bool(libc.mallopt(m_mmap_threshold, 32 << 20)) and bool(libc.mallopt(m_trim_threshold, 1 << 30))
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False


MALLOC_TUNED = keep_freed_memory()
