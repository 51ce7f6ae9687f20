"""dispatch: which kernel runs matmul and attention, by argument or environment variable."""
import numpy as np
import pytest

from tinygrad_gen import dispatch


class FakeDeviceArray:
    """Stands in for a CuPy array: dispatch looks only at the type, dtype and shape."""
    def __init__(self, shape, dtype=np.float32):
        self.shape, self.dtype, self.ndim = shape, np.dtype(dtype), len(shape)


def test_cpu_arrays_always_use_numpy(monkeypatch):
    monkeypatch.setenv("TGG_MATMUL", "numba")
    assert dispatch.matmul_backend(np.zeros((2, 2))) == "numpy"


def test_cuda_matmul_defaults_to_cublas_and_follows_the_environment(monkeypatch):
    monkeypatch.delenv("TGG_MATMUL", raising=False)
    assert dispatch.matmul_backend(FakeDeviceArray((2, 2))) == "cupy"
    monkeypatch.setenv("TGG_MATMUL", "numba")
    assert dispatch.matmul_backend(FakeDeviceArray((2, 2))) == "numba"
    assert dispatch.matmul_backend(FakeDeviceArray((2, 2)), backend="cupy") == "cupy"


def test_unknown_backends_are_refused_by_name(monkeypatch):
    monkeypatch.setenv("TGG_MATMUL", "magic")
    with pytest.raises(ValueError, match="magic"):
        dispatch.matmul_backend(FakeDeviceArray((2, 2)))
    with pytest.raises(ValueError, match="fast"):
        dispatch.attention_backend(FakeDeviceArray((2, 4)), backend="fast")


def test_attention_uses_the_kernel_only_where_it_applies(monkeypatch):
    monkeypatch.setenv("TGG_ATTENTION", "numba")
    q = FakeDeviceArray((2, 5, 8))
    assert dispatch.attention_backend(q) == "numba"
    assert dispatch.attention_backend(q, mask=np.ones((2, 1, 5), bool)) == "numba"        # one value per key
    assert dispatch.attention_backend(q, mask=np.ones((5, 5), bool)) == "reference"        # varies by query
    assert dispatch.attention_backend(q, mask=np.zeros((2, 1, 5), np.float32)) == "reference"  # additive bias
    assert dispatch.attention_backend(FakeDeviceArray((2, 5, 8), np.float64)) == "reference"
    assert dispatch.attention_backend(FakeDeviceArray((2, 5, 256))) == "reference"
    assert dispatch.attention_backend(np.zeros((2, 5, 8), np.float32)) == "reference"     # CPU


def test_attention_defaults_to_the_reference(monkeypatch):
    monkeypatch.delenv("TGG_ATTENTION", raising=False)
    assert dispatch.attention_backend(FakeDeviceArray((2, 5, 8))) == "reference"
