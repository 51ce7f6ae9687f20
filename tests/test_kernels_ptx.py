"""The Numba CUDA kernels compile for an H100/H200 (sm_90) without a GPU: Numba types them and NVVM turns them into
PTX. The PTX shows what the simulator cannot: static shared memory within 48 KB, float32 arithmetic only, and, for
the tile shapes meant to be fast, every per-thread array held in registers (no local memory)."""
import re

import pytest
from numba import cuda, float32, uint8, boolean

from tinygrad_gen.kernels import attention_numba, matmul_numba

F3, F2, U2 = float32[:, :, ::1], float32[:, ::1], uint8[:, ::1]
ATTENTION_ARGS = {
    "forward": (F3, F3, F3, U2, F3, F2, float32, boolean),
    "dq": (F3, F3, F3, U2, F3, F2, F2, F3, float32, boolean),
    "dkv": (F3, F3, F3, U2, F3, F2, F2, F3, F3, float32, boolean),
}
MAKERS = {"forward": attention_numba._forward_kernel, "dq": attention_numba._dq_kernel,
          "dkv": attention_numba._dkv_kernel}


def ptx_of(kernel, args):
    try:
        ptx, _ = cuda.compile_ptx(kernel.py_func, args, cc=(9, 0), fastmath=kernel.targetoptions.get("fastmath", False))
    except Exception as e:  # only a missing CUDA toolkit (NVVM) may stop us; typing errors must fail the test
        if "NVVM" in str(e) or "libnvvm" in str(e).lower() or "libdevice" in str(e).lower():
            pytest.skip(f"no NVVM to compile with: {e}")
        raise
    return ptx


def shared_bytes(ptx):
    return sum(int(n) for n in re.findall(r"\.shared \.align \d+ \.b8 \w+\[(\d+)\]", ptx))


def assert_lean(ptx, registers_only):
    assert 0 < shared_bytes(ptx) <= 48 * 1024
    assert not re.search(r"\.f64\b", ptx), "float64 arithmetic in a float32 kernel"
    if registers_only:
        assert not re.search(r"(ld|st)\.local", ptx), "a per-thread array spilled to local memory"


def test_sgemm_compiles_with_registers_only_and_small_shared_tiles():
    kernel, threads = matmul_numba.make_kernel(*matmul_numba.DEFAULT_TILES)
    ptx = ptx_of(kernel, (F3, F3, F3))
    assert_lean(ptx, registers_only=True)
    assert threads == (16, 16)
    assert len(re.findall(r"fma\.", ptx)) >= 64  # the 8 x 8 outer product of a k-step is unrolled


@pytest.mark.parametrize("which", ["forward", "dq", "dkv"])
def test_attention_kernels_for_head_dim_64_keep_everything_in_registers(which):
    kernel, _ = MAKERS[which](64, False)
    assert_lean(ptx_of(kernel, ATTENTION_ARGS[which]), registers_only=True)


@pytest.mark.parametrize("which", ["forward", "dq", "dkv"])
def test_attention_kernels_for_head_dim_128_fit_48_kb_of_shared_memory(which):
    kernel, _ = MAKERS[which](128, True)
    assert_lean(ptx_of(kernel, ATTENTION_ARGS[which]), registers_only=False)
