"""``tgg bench {overhead,step,matmul,attention}``: benchmarks that print tables of tinygrad_gen against a peer
(PyTorch CPU, or another kernel) measured in the same run, and write JSON with ``--json FILE``."""
import importlib

BENCHMARKS = {
    "overhead": ("bench_overhead", "per-op forward/backward overhead and an MLP step vs PyTorch CPU"),
    "step": ("bench_step", "a training step of each model"),
    "matmul": ("bench_kernels", "matmul kernels per backend"),
    "attention": ("bench_kernels", "attention kernels per backend"),
}


def main(argv=None):
    argv = list(argv or [])
    if not argv or argv[0] not in BENCHMARKS:
        print("usage: tgg bench {" + ",".join(BENCHMARKS) + "} [options]\n")
        for name, (_, help_) in BENCHMARKS.items():
            print(f"  {name:10s} {help_}")
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    module = importlib.import_module(f"{__name__}.{BENCHMARKS[argv[0]][0]}")
    if argv[0] in ("matmul", "attention"):  # one module holds both kernel benchmarks
        return module.main(argv) or 0
    return module.main(argv[1:]) or 0
