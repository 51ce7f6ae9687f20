"""``tgg bench NAME [options]``: benchmarks that print tables of tinygrad_gen against a peer (PyTorch CPU, or another
kernel) measured in the same run, and write JSON with ``--json FILE``.

This table is the one place that names the benchmarks (modules of the top-level ``benchmarks/`` folder, installed
as ``tinygrad_gen.benchmarks``); adding one is one line. The CPU benchmarks take ``--threads N`` (both libraries'
threads, set through ``tinygrad_gen.threads`` as ``tgg train --threads`` is).
"""
import importlib
import sys

# name: (module in tinygrad_gen.benchmarks, passes its own name on as the first argument, help)
BENCHMARKS = {
    "overhead": ("bench_overhead", False, "per-op forward/backward overhead and an MLP step vs PyTorch CPU"),
    "step": ("bench_step", False, "a training step of each model"),
    "conv": ("bench_conv", False, "conv, conv_transpose, pooling, batch norm per shape, with GFLOP/s vs SGEMM"),
    "dist": ("bench_dist", False, "data-parallel GPT on MPI: tokens/s at 1 and 2 ranks, all-reduce time"),
    "cpu-ops": ("bench_cpu_ops", False, "the ops with Numba CPU kernels: plain, NumPy fast path, Numba, PyTorch"),
    "matmul": ("bench_kernels", True, "our CUDA matmul kernel vs cuBLAS"),
    "attention": ("bench_kernels", True, "our attention kernel vs PyTorch SDPA (CUDA; --device cpu: Numba CPU)"),
    "kernels": ("bench_kernels", True, "--device cpu: the Numba CPU kernels on this machine's roofline (PNG)"),
    "matmul-variants": ("bench_kernels", True, "time every compiled matmul kernel variant (autotune sweep)"),
    "attention-variants": ("bench_kernels", True, "time every compiled attention kernel variant (autotune sweep)"),
}


def usage():
    """The text of ``tgg bench --help``: the benchmarks."""
    lines = ["usage: tgg bench NAME [options]   (tgg bench NAME --help lists its options)", "", "benchmarks:"]
    lines += [f"  {name:19s} {help_}" for name, (_, _, help_) in BENCHMARKS.items()]
    lines += ["", "overhead, step and conv take --threads N: BLAS and PyTorch threads (step: free cores by default)",
              "cpu-ops, attention --device cpu and kernels --device cpu also give the Numba kernels N threads"]
    return "\n".join(lines)


def main(argv=None):
    """Run one benchmark by name; returns the exit status."""
    argv = list(argv or [])
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    if argv[0] not in BENCHMARKS:
        print(f"tgg bench: unknown benchmark {argv[0]!r}; choose one of: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    module_name, named, _ = BENCHMARKS[argv[0]]
    module = importlib.import_module(f"tinygrad_gen.benchmarks.{module_name}")
    return module.main(argv if named else argv[1:]) or 0
