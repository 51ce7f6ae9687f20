"""``tgg bench cpu-ops``: each op that has a Numba CPU kernel (kernels/cpu), forward+backward at the GPT step's
shapes, under the plain ops, the NumPy fast paths and the Numba kernels, beside PyTorch's CPU op, interleaved.

    tgg bench cpu-ops [--reps 15] [--threads 1] [--json FILE]

Each row: median milliseconds of forward+backward per implementation, and numba / fast and numba / torch. The
kernels are compiled (or loaded from Numba's cache) in a warm-up first. ``CASES`` (shape, bytes moved, FLOPs) are
also what ``tgg bench kernels --device cpu`` places on its roofline."""
import statistics
import time

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen import dispatch
from tinygrad_gen.cli.parsing import Parser
from tinygrad_gen.nn import functional as F
from tinygrad_gen.threads import add_threads_option

from .bench_overhead import import_torch, set_threads, write_json

MODES = ("reference", "fast", "numba")


def _case(name, shape, ours, theirs, flops, bytes_):
    return dict(name=name, shape=shape, ours=ours, theirs=theirs, flops=flops, bytes=bytes_)


def cases():
    """The GPT step's shapes (batch 32, context 64, width 128, 4 heads, MLP 512, 103 characters): name, input shape,
    our function and PyTorch's of one float32 array, FLOPs and bytes of forward+backward (a count per element read
    and written: inputs, outputs, saved values, gradients)."""
    causal = np.tril(np.ones((64, 64), bool))
    target = np.random.default_rng(0).integers(0, 103, 2048)
    n_s, n_ln, n_g, n_ce = 32 * 4 * 64 * 64, 32 * 64 * 128, 32 * 64 * 512, 2048 * 103

    def torch_causal(torch, x):
        return torch.softmax(x.masked_fill(~torch.from_numpy(causal), float("-inf")), -1)
    return [
        _case("masked softmax (causal)", (32, 4, 64, 64), lambda x: F.masked_softmax(x, causal), torch_causal,
              12 * n_s, 4 * 5 * n_s),
        _case("layer norm", (32, 64, 128), lambda x: F.layer_norm(x, 128),
              lambda torch, x: torch.nn.functional.layer_norm(x, (128,)), 16 * n_ln, 4 * 6 * n_ln),
        _case("gelu (erf)", (32, 64, 512), F.gelu, lambda torch, x: torch.nn.functional.gelu(x), 30 * n_g,
              4 * 5 * n_g),
        _case("cross entropy", (2048, 103), lambda x: F.cross_entropy(x, target),
              lambda torch, x: torch.nn.functional.cross_entropy(x, torch.from_numpy(target)), 10 * n_ce,
              4 * 4 * n_ce),
    ]


def _ours(case, mode):
    x0 = np.random.default_rng(1).standard_normal(case["shape"]).astype(np.float32)
    g = np.random.default_rng(2).standard_normal(case["shape"]).astype(np.float32)

    def run():
        with dispatch.kernels(mode):
            x = tg.tensor(x0, requires_grad=True)
            y = case["ours"](x)
            y.backward(tg.tensor(1.0) if y.ndim == 0 else tg.tensor(g.reshape(y.shape)))
    return run


def _theirs(case, torch):
    x0 = torch.tensor(np.random.default_rng(1).standard_normal(case["shape"]).astype(np.float32))

    def run():
        x = x0.clone().requires_grad_()
        y = case["theirs"](torch, x)
        y.backward(torch.ones_like(y) if y.ndim == 0 else torch.randn_like(y))
    return run


def seconds(fns, reps, calls=5):
    """Median seconds per call of each function, in interleaved rounds of ``calls`` calls each."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(reps):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            times[i].append((time.perf_counter() - start) / calls)
    return [statistics.median(t) for t in times]


def measure(reps, torch=None):
    """Rows of {name, ms per mode, torch ms, GFLOP/s and arithmetic intensity of the numba run}."""
    rows = []
    for case in cases():
        fns = [_ours(case, mode) for mode in MODES] + ([_theirs(case, torch)] if torch is not None else [])
        t = seconds(fns, reps)
        row = {"name": case["name"], "shape": list(case["shape"]), **{f"{m}_ms": s * 1e3 for m, s in zip(MODES, t)},
               "gflops": case["flops"] / t[2] / 1e9, "intensity": case["flops"] / case["bytes"]}
        if torch is not None:
            row["torch_ms"] = t[3] * 1e3
        rows.append(row)
    return rows


def torch_beside_kernels(bench: str, threads):
    """(PyTorch, the threads used) for a benchmark of the Numba kernels in this process: the kernels' pool starts
    first, before PyTorch loads its OpenMP, so each keeps its own threads' waiting (``kernels/cpu/pool.py``); then
    NumPy's BLAS, PyTorch and the kernels get the same ``threads`` (None: the default policy)."""
    from tinygrad_gen.kernels import cpu
    cpu.pool.start()
    torch = import_torch(bench)
    threads = set_threads(torch, threads)
    cpu.set_threads(threads)
    return torch, threads


def main(argv=None):
    parser = Parser(prog="tgg bench cpu-ops", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=15, help="interleaved rounds (median reported)")
    add_threads_option(parser, default=1)
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    torch, args.threads = torch_beside_kernels("cpu-ops", args.threads)
    rows = measure(args.reps, torch)
    print(f"{'op (fwd+bwd)':<24} {'plain':>8} {'fast':>8} {'numba':>8} {'torch':>8} {'numba/fast':>10} "
          f"{'numba/torch':>11}")
    for r in rows:
        print(f"{r['name']:<24} {r['reference_ms']:8.3f} {r['fast_ms']:8.3f} {r['numba_ms']:8.3f} "
              f"{r['torch_ms']:8.3f} {r['numba_ms'] / r['fast_ms']:10.2f} {r['numba_ms'] / r['torch_ms']:11.2f}")
    if args.json:
        write_json(args.json, "tgg bench cpu-ops " + " ".join(argv or []), rows, torch, threads=args.threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
