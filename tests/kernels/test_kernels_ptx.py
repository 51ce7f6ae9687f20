"""The Numba CUDA kernels compile for an H100/H200 (sm_90) without a GPU: Numba types them and NVVM turns them into
PTX. The PTX shows what the simulator cannot: static shared memory within 48 KB, float32 arithmetic only, and, for
the tile shapes meant to be fast, every per-thread array held in registers (no local memory), shared loads that
bring two floats at once, and (where ptxas is installed) no register spills in the machine code."""
import functools
import re
import shutil
import subprocess

import pytest
from numba import cuda, float32, uint8, boolean, int64

from tinygrad_gen.kernels import attention_numba, attention_tiled, matmul_numba

F1, F3, F2, U2 = float32[::1], float32[:, :, ::1], float32[:, ::1], uint8[:, ::1]
SGEMM_ARGS = (F1, F1, F1, int64, int64, int64, int64, int64)
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


@functools.cache
def sgemm_ptx(tiles):  # each variant compiled once for all the tests that read its PTX
    kernel, _ = matmul_numba.make_kernel(*tiles)
    return ptx_of(kernel, SGEMM_ARGS)


def shared_bytes(ptx):
    return sum(int(n) for n in re.findall(r"\.shared \.align \d+ \.b8 \w+\[(\d+)\]", ptx))


def assert_lean(ptx, registers_only):
    assert 0 < shared_bytes(ptx) <= 48 * 1024
    assert not re.search(r"\.f64\b", ptx), "float64 arithmetic in a float32 kernel"
    if registers_only:
        assert not re.search(r"(ld|st)\.local", ptx), "a per-thread array spilled to local memory"


def ptxas_report(ptx, tmp_path, max_registers=0):
    """ptxas -v's line on registers and spills for the PTX, compiled for sm_90."""
    src = tmp_path / "kernel.ptx"
    src.write_text(ptx)
    cmd = ["ptxas", "-arch=sm_90", "-v", str(src), "-o", str(tmp_path / "kernel.cubin")]
    if max_registers:
        cmd[1:1] = ["-maxrregcount", str(max_registers)]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stderr


@pytest.mark.parametrize("name", list(matmul_numba.VARIANTS))
def test_sgemm_variants_compile_with_registers_only_and_small_shared_tiles(name):
    ptx = sgemm_ptx(matmul_numba.VARIANTS[name])
    assert_lean(ptx, registers_only=True)
    assert len(re.findall(r"fma\.", ptx)) >= 64  # the 8 x 8 outer product of a k-step is unrolled


@pytest.mark.parametrize("name", [n for n, tiles in matmul_numba.VARIANTS.items() if len(tiles) > 6])
def test_unrolled_sgemm_variants_do_a_whole_unrolled_pass_in_one_basic_block(name):
    BM, BN, BK, TM, TN, _, factor = matmul_numba.VARIANTS[name]
    ptx = sgemm_ptx(matmul_numba.VARIANTS[name])
    steps = factor or BK  # k steps written out per pass of the loop
    blocks = re.split(r"\n\$L__BB\w+:", ptx)
    fmas = max(len(re.findall(r"\bfma\.", block)) for block in blocks)
    assert fmas == steps * TM * TN  # no loop counter between the steps of a pass


def test_sgemm_default_reads_shared_memory_two_floats_at_a_time():
    _, threads = matmul_numba.make_kernel(*matmul_numba.DEFAULT_TILES)
    ptx = sgemm_ptx(matmul_numba.DEFAULT_TILES)
    assert threads == (16, 16)
    loads = re.findall(r"ld\.shared(\.\w+)+", ptx)
    assert loads and all(".v2" in load for load in re.findall(r"ld\.shared[.\w]*", ptx))


@pytest.mark.skipif(shutil.which("ptxas") is None, reason="needs ptxas (CUDA toolkit) for the machine code")
@pytest.mark.parametrize("name", sorted({matmul_numba.DEFAULT} | {n for n, t in matmul_numba.VARIANTS.items()
                                                                   if len(t) > 6}))
def test_sgemm_default_and_unrolled_variants_do_not_spill_registers(name, tmp_path):
    tiles = matmul_numba.VARIANTS[name]
    report = ptxas_report(sgemm_ptx(tiles), tmp_path, tiles[5])
    assert "0 bytes spill stores, 0 bytes spill loads" in report, report


@pytest.mark.parametrize("which", ["forward", "dq", "dkv"])
def test_attention_kernels_for_head_dim_64_keep_everything_in_registers(which):
    kernel, _ = MAKERS[which](64, False)
    assert_lean(ptx_of(kernel, ATTENTION_ARGS[which]), registers_only=True)


@pytest.mark.parametrize("which", ["forward", "dq", "dkv"])
def test_attention_kernels_for_head_dim_128_fit_48_kb_of_shared_memory(which):
    kernel, _ = MAKERS[which](128, True)
    assert_lean(ptx_of(kernel, ATTENTION_ARGS[which]), registers_only=False)


TILED = {"forward": attention_tiled.forward_kernel, "dq": attention_tiled.dq_kernel, "dkv": attention_tiled.dkv_kernel}


def tiled_ptx(variant, which, D):
    return _tiled_ptx(which, D, attention_tiled.config(variant, D, which))


@functools.cache
def _tiled_ptx(which, D, tiles):  # variants that share a tile shape share one compile
    kernel, _, _ = TILED[which](D, True, *tiles)
    return ptx_of(kernel, ATTENTION_ARGS[which])


@pytest.mark.parametrize("variant", ["tiled", "tiled-wide", "tiled-big"])
@pytest.mark.parametrize("which", ["forward", "dq", "dkv"])
@pytest.mark.parametrize("D", [64, 128])
def test_tiled_attention_keeps_head_dims_up_to_128_in_registers_within_48_kb(variant, which, D):
    ptx = tiled_ptx(variant, which, D)
    assert_lean(ptx, registers_only=True)
    assert re.search(r"ld\.shared\.v2\.f32", ptx)  # Q, K, V, dO tiles are read two head-dim columns at a time


@pytest.mark.skipif(shutil.which("ptxas") is None, reason="needs ptxas (CUDA toolkit) for the machine code")
@pytest.mark.parametrize("which", ["forward", "dq", "dkv"])
def test_tiled_attention_at_head_dim_128_does_not_spill_registers(which, tmp_path):
    report = ptxas_report(tiled_ptx("tiled", which, 128), tmp_path)
    assert "0 bytes spill stores, 0 bytes spill loads" in report, report
