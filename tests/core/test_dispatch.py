"""dispatch: which kernel runs matmul and attention, by argument or environment variable, and the registry of the
CPU fast paths (TGG_KERNELS)."""
import numpy as np
import pytest

import tinygrad_gen as tg
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


# ----- the CPU fast paths (TGG_KERNELS) -----
def test_every_fast_path_subclasses_its_plain_op_keeps_its_name_and_says_what_it_speeds_up():
    assert dispatch.FAST_PATHS, "no fast path registered"
    for plain, path in dispatch.FAST_PATHS.items():
        assert issubclass(path.fast, plain) and path.fast is not plain
        assert path.fast.__name__ == plain.__name__  # errors and graphs name the op
        assert len(path.speeds_up) > 20, f"{plain.__name__}: say what it speeds up and by how much"


def test_reference_mode_picks_every_plain_op_and_fast_mode_every_fast_path():
    with dispatch.kernels("reference"):
        assert all(dispatch.pick(plain) is plain for plain in dispatch.FAST_PATHS)
    with dispatch.kernels("fast"):
        assert all(dispatch.pick(plain) is path.fast for plain, path in dispatch.FAST_PATHS.items())


def test_one_op_can_be_switched_alone_and_the_choice_is_restored_after_the_block():
    plain = next(iter(dispatch.FAST_PATHS))
    before = dispatch.kernels_spec()
    with dispatch.kernels(f"fast,{plain.__name__}=reference"):
        assert dispatch.pick(plain) is plain and dispatch.mode_of(plain) == "reference"
        others = [p for p in dispatch.FAST_PATHS if p is not plain]
        assert all(dispatch.pick(p) is dispatch.FAST_PATHS[p].fast for p in others)
    assert dispatch.kernels_spec() == before


def test_an_unknown_kernel_mode_is_an_error_naming_it():
    with pytest.raises(ValueError, match="TGG_KERNELS.*'turbo'"):
        dispatch.set_kernels("turbo")


def test_registering_a_fast_path_that_is_not_a_subclass_is_refused():
    class Plain(tg.Function):
        pass

    class Other(tg.Function):
        pass
    with pytest.raises(TypeError, match="must subclass Plain"):
        dispatch.register_fast_path(Plain, "nothing")(Other)


@pytest.mark.parametrize("spec, expect_fast", [("reference", False), ("fast", True)])
def test_the_environment_variable_chooses_at_import(spec, expect_fast):
    import os
    import subprocess
    import sys
    code = ("from tinygrad_gen import dispatch; import tinygrad_gen; "
            "print(all((dispatch.pick(p) is not p) for p in dispatch.FAST_PATHS))")
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, TGG_KERNELS=spec), capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == str(expect_fast)
