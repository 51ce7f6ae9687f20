"""The generated default SGEMM is readable: ``python -m tinygrad_gen.kernels.matmul_numba --print-source`` prints the
very text Numba compiles for a variant (checked against what the kernel builder hands to exec and against the
bytecode of the function matmul launches). No GPU needed: Numba compiles at the first launch, not when built."""
import builtins
import re
import subprocess
import sys

import pytest

from tinygrad_gen.kernels import matmul_numba


def function_code(source, name="sgemm"):
    return next(c for c in compile(source, "<printed>", "exec").co_consts if getattr(c, "co_name", None) == name)


def test_printed_source_of_the_default_is_the_text_the_kernel_is_compiled_from(monkeypatch):
    handed_to_exec = []

    def spy(source, namespace):
        handed_to_exec.append(source)
        return builtins.exec(source, namespace)
    monkeypatch.setattr(matmul_numba, "exec", spy, raising=False)
    kernel, _ = matmul_numba.make_kernel.__wrapped__(*matmul_numba.DEFAULT_TILES)
    monkeypatch.undo()
    source, constants = matmul_numba.compiled_source()
    assert handed_to_exec == [source]
    # the function matmul launches (its cached kernel) is the one this text defines, instruction for instruction
    launched = matmul_numba.make_kernel(*matmul_numba.DEFAULT_TILES)[0].py_func.__code__
    printed = function_code(source)
    assert (printed.co_code, printed.co_names, printed.co_consts) == (launched.co_code, launched.co_names,
                                                                      launched.co_consts)
    assert kernel.py_func.__code__.co_code == launched.co_code


def test_the_default_source_has_the_k_loop_written_out_with_numbers():
    source, constants = matmul_numba.compiled_source(matmul_numba.DEFAULT)
    bk = matmul_numba.DEFAULT_TILES[2]
    assert constants["BK"] == bk and constants["BM"] == matmul_numba.DEFAULT_TILES[0]
    assert "# unroll" not in source and "for kk in" not in source
    assert [int(k) for k in re.findall(r"As\[abuf \+ uint64\((\d+) \* SA", source)] == list(range(bk))


def test_a_variant_without_unrolling_prints_sgemm_as_written_with_its_closure_constants():
    source, constants = matmul_numba.compiled_source("128x128x16")
    assert "for kk in range(BK):  # unroll" in source
    assert constants["BK"] == 16 and constants["TX"] == 16
    kernel, _ = matmul_numba.make_kernel(*matmul_numba.VARIANTS["128x128x16"])
    assert function_code(source).co_code != b"" and "kk" in kernel.py_func.__code__.co_varnames


def test_print_source_command_prints_the_header_and_the_source():
    result = subprocess.run([sys.executable, "-m", "tinygrad_gen.kernels.matmul_numba", "--print-source"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    source, _ = matmul_numba.compiled_source()
    assert result.stdout.startswith(f"# matmul_numba variant {matmul_numba.DEFAULT}:")
    assert result.stdout.endswith(source + "\n")


def test_an_unknown_variant_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown variant 'nope'"):
        matmul_numba.compiled_source("nope")
