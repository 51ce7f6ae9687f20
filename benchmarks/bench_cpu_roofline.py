"""``tgg bench kernels --device cpu``: the CPU roofline of this machine and where each Numba kernel lands on it.

    tgg bench kernels --device cpu [--threads 1] [--reps 5] [--png FILE] [--gpu-json FILE ...] [--json FILE]

The roof: the machine's peak is measured as the GFLOP/s of a large SGEMM by NumPy's BLAS (2048^3), its memory
bandwidth as the GB/s of the STREAM triad a = b + s c on arrays far larger than the caches (``kernels.cpu.matmul.
triad``, 12 bytes per element). A kernel of arithmetic intensity I (FLOPs per byte it must move) can reach at most
min(peak, I x bandwidth). Each kernel is placed at its intensity and achieved GFLOP/s: the fused softmax, layer
norm, GELU and cross-entropy at the GPT step's shapes (forward+backward, from ``bench_cpu_ops``), the CPU flash
attention (N = 1024, d = 64, causal; intensity counting the O(N d) bytes it reads and writes, since it keeps the
scores in cache), and the teaching SGEMM against OpenBLAS's. The figure goes to ``--png`` (default
``cpu_roofline.png``), with beside it the same plot for the GPU kernels' recorded runs (``GPU_RECORDED``: the
NVIDIA H200 run of RESULTS.md, "GPU kernels", 2026-11-26, on the card's data-sheet roof); ``--gpu-json`` replaces
those by the JSON of a new ``tgg bench matmul|attention --json`` run whose meta gives ``peak_tflops`` and
``bandwidth_gbs``."""
import json
import math
import time

import numpy as np

from tinygrad_gen.cli.parsing import Parser
from tinygrad_gen.threads import add_threads_option

from .bench_cpu_attention import _inputs, ours_flash
from .bench_cpu_ops import measure, seconds, torch_beside_kernels
from .bench_overhead import write_json


def peak_gflops(n=2048, reps=3):
    """GFLOP/s of an n^3 float32 matrix product by NumPy's BLAS (the best of ``reps``)."""
    a, b = (np.random.default_rng(i).standard_normal((n, n)).astype(np.float32) for i in range(2))
    a @ b
    best = min(_time(lambda: a @ b) for _ in range(reps))
    return 2 * n ** 3 / best / 1e9


def triad_gbs(n=1 << 24, reps=5):
    """GB/s of the STREAM triad on float32 arrays of n elements (3 x 64 MiB at the default)."""
    from tinygrad_gen.kernels.cpu.matmul import triad
    a, b, c = (np.full(n, i, np.float32) for i in range(3))
    triad(a, b, c, np.float32(3.0))
    best = min(_time(lambda: triad(a, b, c, np.float32(3.0))) for _ in range(reps))
    return 12 * n / best / 1e9


def _time(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def kernel_points(reps, peak_n=1024):
    """[(name, intensity FLOP/byte, achieved GFLOP/s)] of every CPU kernel measured here."""
    points = [(r["name"], r["intensity"], r["gflops"]) for r in measure(reps)]
    b, h, n, d = 2, 4, 1024, 64
    arrays = _inputs(b, h, n, d, False)
    t, = seconds([ours_flash(*arrays, True)], reps, calls=1)
    flops = 3.5 * 4 * b * h * n * n * d / 2  # forward 4 B H N^2 d, halved when causal; backward 2.5x the forward
    moved = 4 * b * h * n * d * 9  # q, k, v, out, g read; dq, dk, dv written; out re-read (float32)
    points.append(("flash attention N=1024 (fwd+bwd)", flops / moved, flops / t / 1e9))
    from tinygrad_gen.kernels.cpu.matmul import matmul
    a, bm = (np.random.default_rng(i).standard_normal((peak_n, peak_n)).astype(np.float32) for i in range(2))
    ours, blas = seconds([lambda: matmul(a, bm), lambda: a @ bm], reps, calls=1)
    intensity = 2 * peak_n ** 3 / (3 * 4 * peak_n ** 2)
    points.append((f"teaching SGEMM {peak_n}^3", intensity, 2 * peak_n ** 3 / ours / 1e9))
    points.append((f"OpenBLAS SGEMM {peak_n}^3", intensity, 2 * peak_n ** 3 / blas / 1e9))
    return points


def draw(ax, peak, bandwidth, points, title, unit="GFLOP/s"):
    """One roofline on the matplotlib axes ``ax``: the roof min(peak, I x bandwidth) and the labelled points."""
    lo = min([p[1] for p in points] + [peak / bandwidth]) / 4
    hi = max([p[1] for p in points] + [peak / bandwidth]) * 4
    xs = np.geomspace(lo, hi, 200)
    ax.loglog(xs, np.minimum(peak, xs * bandwidth), "k-", lw=2)
    ax.annotate(f"peak {peak:.0f} {unit}", (peak / bandwidth, peak), ha="left", va="bottom")
    ax.annotate(f"{bandwidth:.0f} GB/s", (lo * 1.5, lo * 1.5 * bandwidth), rotation=30, va="bottom")
    for name, intensity, achieved in points:
        ax.plot(intensity, achieved, "o")
        ax.annotate(name, (intensity, achieved), fontsize=7, xytext=(4, 2), textcoords="offset points")
    ax.set_xlabel("arithmetic intensity (FLOP / byte)")
    ax.set_ylabel(f"achieved {unit}")
    ax.set_title(title, fontsize=9)


def _mm(m, n, k):
    """Arithmetic intensity of an M x N x K float32 product moving A, B and C once: 2 M N K / (4 (M K + K N + M N))."""
    return 2 * m * n * k / (4 * (m * k + k * n + m * n))


def _attn(n, d, causal):
    """Arithmetic intensity of flash attention fwd+bwd per head (FLOPs as above, 9 arrays of N x d moved)."""
    return 3.5 * 4 * n * n * d / (2 if causal else 1) / (4 * 9 * n * d)


# The Numba CUDA kernels' recorded run (RESULTS.md, "GPU kernels", NVIDIA H200, 2026-11-26): TFLOP/s as measured;
# the roof is the H200's data sheet (67 TFLOP/s FP32 without tensor cores, 4.8 TB/s HBM3e), not a measurement.
GPU_RECORDED = (67e3, 4800.0, [
    ("numba SGEMM 1024^3", _mm(1024, 1024, 1024), 4.30e3), ("numba SGEMM 4096^3", _mm(4096, 4096, 4096), 12.87e3),
    ("cuBLAS SGEMM 4096^3", _mm(4096, 4096, 4096), 49.96e3),
    ("numba flash N=1024", _attn(1024, 64, False), 6.26e3), ("numba flash N=4096", _attn(4096, 64, False), 8.08e3),
    ("numba flash N=16384 causal", _attn(16384, 64, True), 9.10e3)],
    "GPU (recorded): NVIDIA H200, Numba CUDA kernels, 2026-11-26")


def gpu_points(paths):
    """(peak, bandwidth, points, title) from ``tgg bench matmul|attention --json`` files, or None: rows with
    ``tflops`` and, where given, ``intensity``; the roof from their meta ``peak_tflops`` / ``bandwidth_gbs``."""
    points, meta = [], {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        meta.update(data.get("meta", {}))
        for r in data.get("results", []):
            if "tflops" in r and "intensity" in r:
                points.append((str(r.get("name", r.get("kernel", "kernel"))), r["intensity"], r["tflops"] * 1e3))
    if not points or "peak_tflops" not in meta or "bandwidth_gbs" not in meta:
        return None
    return meta["peak_tflops"] * 1e3, meta["bandwidth_gbs"], points, f"GPU: {meta.get('device', '')}"


def main(argv=None):
    parser = Parser(prog="tgg bench kernels --device cpu", description=__doc__.split("\n\n")[0])
    add_threads_option(parser, default=1)
    parser.add_argument("--reps", type=int, default=5, help="interleaved rounds (median reported)")
    parser.add_argument("--png", default="cpu_roofline.png", help="where to write the figure")
    parser.add_argument("--gpu-json", nargs="*", default=[], help="recorded GPU runs to plot beside")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    args = parser.parse_args(argv)
    torch, args.threads = torch_beside_kernels("kernels", args.threads)
    peak, bandwidth = peak_gflops(), triad_gbs()
    print(f"peak (SGEMM 2048^3, NumPy's BLAS): {peak:.1f} GFLOP/s;  bandwidth (triad): {bandwidth:.1f} GB/s;  "
          f"ridge at {peak / bandwidth:.1f} FLOP/byte;  {args.threads} thread(s)")
    points = kernel_points(args.reps)
    print(f"{'kernel':<36} {'FLOP/byte':>9} {'GFLOP/s':>8} {'% of roof':>9}")
    for name, intensity, achieved in points:
        roof = min(peak, intensity * bandwidth)
        print(f"{name:<36} {intensity:9.2f} {achieved:8.2f} {100 * achieved / roof:8.0f}%")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    gpu = gpu_points(args.gpu_json) or GPU_RECORDED
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.5), squeeze=False)
    draw(axes[0, 0], peak, bandwidth, points, f"CPU, {args.threads} thread(s): Numba kernels (kernels/cpu)")
    draw(axes[0, 1], *gpu)
    fig.tight_layout()
    fig.savefig(args.png, dpi=120)
    print(f"wrote {args.png}")
    if args.json:
        rows = [{"name": n, "intensity": i, "gflops": g} for n, i, g in points]
        write_json(args.json, "tgg bench kernels --device cpu " + " ".join(argv or []), rows, torch,
                   threads=args.threads, peak_gflops=peak, bandwidth_gbs=bandwidth)
    return 0 if all(math.isfinite(g) for _, _, g in points) else 1


if __name__ == "__main__":
    raise SystemExit(main())
