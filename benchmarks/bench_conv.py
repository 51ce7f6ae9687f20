"""Convolution, pooling and batch norm, ours against PyTorch CPU, forward and forward + backward, per shape.

    tgg bench conv [--reps 7] [--threads 1] [--only conv2d,conv_transpose2d,...] [--json FILE]

The shapes are those of the DCGAN and CycleGAN layers (batch 64 / 32, 8x8 digits) plus larger ones, up to batch 32,
128 channels, 32x32. "forward+backward" is ``op(x, w).sum().backward()`` with gradients for the input and the
weight. For the convolutions the table gives the achieved GFLOP/s of each (2 N O Ho Wo C kh kw per forward, three
times that for forward + backward: input and weight gradients cost one forward each) and ours as a share of the
machine's SGEMM GFLOP/s, measured first with NumPy's BLAS at the same thread count: the roofline of a convolution
lowered to matrix products. Timing: ``bench_overhead.compare``, interleaved rounds, medians; by default this
process's CPU time at one thread (steadier on a shared machine) and wall time with more (``--clock``).
"""
import numpy as np

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen.cli.parsing import Parser
from tinygrad_gen.threads import add_threads_option

from .bench_overhead import CLOCKS, compare, import_torch, set_threads, write_json

# (N, C_in, H, C_out, k, stride, padding) -- conv_transpose2d's H is its input size
CONV2D = [(64, 1, 8, 32, 4, 2, 1), (64, 32, 4, 64, 4, 2, 1), (64, 64, 2, 1, 2, 1, 0), (32, 64, 2, 1, 3, 1, 1),
          (32, 64, 16, 128, 3, 1, 1), (32, 128, 32, 128, 3, 1, 1), (32, 128, 32, 128, 4, 2, 1)]
CONV_T = [(64, 32, 1, 128, 2, 1, 0), (64, 128, 2, 64, 4, 2, 1), (64, 64, 4, 1, 4, 2, 1),
          (32, 128, 16, 64, 4, 2, 1), (32, 128, 32, 128, 3, 1, 1)]
POOL = [((64, 32, 8, 8), 2, 2, 0), ((32, 128, 32, 32), 2, 2, 0), ((32, 64, 32, 32), 3, 2, 1)]  # shape, k, s, pad
NORM = [(64, 128, 2, 2), (64, 64, 4, 4), (32, 128, 32, 32)]
OPS = ("conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "batch_norm")


def sgemm_gflops(clock, n=1024, reps=5):
    """The best of ``reps`` float32 n x n x n products with NumPy's BLAS, in GFLOP/s."""
    a, b = (np.random.default_rng(i).standard_normal((n, n)).astype(np.float32) for i in range(2))
    a @ b
    best = min(_time(lambda: a @ b, clock) for _ in range(reps))
    return 2 * n ** 3 / best / 1e9


def _time(fn, clock):
    start = clock()
    fn()
    return clock() - start


def _pair(torch, shape, rng, requires_grad=True):
    a = rng.standard_normal(shape).astype(np.float32)
    return tg.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _fwd_bwd(fn, *leaves):
    def run():
        fn().sum().backward()
        for t in leaves:
            t.grad = None
    return run


def conv_cases(torch, op):
    """(label, flops of one forward, ((ours fwd, torch fwd), (ours fwd+bwd, torch fwd+bwd)))."""
    tF = torch.nn.functional
    rng = np.random.default_rng(0)
    for n, c, h, o, k, s, p in CONV2D if op == "conv2d" else CONV_T:
        x, xt = _pair(torch, (n, c, h, h), rng)
        w, wt = _pair(torch, (o, c, k, k) if op == "conv2d" else (c, o, k, k), rng)
        ours, theirs = ((lambda: F.conv2d(x, w, stride=s, padding=p), lambda: tF.conv2d(xt, wt, stride=s, padding=p))
                        if op == "conv2d" else
                        (lambda: F.conv_transpose2d(x, w, stride=s, padding=p),
                         lambda: tF.conv_transpose2d(xt, wt, stride=s, padding=p)))
        out = theirs().shape
        flops = 2 * n * o * out[2] * out[3] * c * k * k if op == "conv2d" else 2 * n * c * h * h * o * k * k
        yield (f"{op} {n}x{c}x{h}x{h} -> {o} k{k} s{s} p{p}", flops,
               ((ours, theirs), (_fwd_bwd(ours, x, w), _fwd_bwd(theirs, xt, wt))))


def pool_cases(torch, op):
    tF = torch.nn.functional
    rng = np.random.default_rng(0)
    for shape, k, s, p in POOL:
        x, xt = _pair(torch, shape, rng)
        def ours(x=x, k=k, s=s, p=p):
            return getattr(F, op)(x, k, s, p)

        def theirs(xt=xt, k=k, s=s, p=p):
            return getattr(tF, op)(xt, k, s, p)
        yield (f"{op} {'x'.join(map(str, shape))} k{k} s{s} p{p}", None,
               ((ours, theirs), (_fwd_bwd(ours, x), _fwd_bwd(theirs, xt))))


def norm_cases(torch, op):
    tF = torch.nn.functional
    rng = np.random.default_rng(0)
    for shape in NORM:
        c = shape[1]
        x, xt = _pair(torch, shape, rng)
        g, gt = _pair(torch, (c,), rng)
        b, bt = _pair(torch, (c,), rng)
        stats = [np.zeros(c, np.float32), np.ones(c, np.float32)]
        t_stats = [torch.zeros(c), torch.ones(c)]

        def ours(x=x, g=g, b=b, st=stats):
            return F.batch_norm(x, tg.tensor(st[0]), tg.tensor(st[1]), g, b)

        def theirs(xt=xt, gt=gt, bt=bt, st=t_stats):
            return tF.batch_norm(xt, st[0], st[1], gt, bt, training=True)
        yield (f"{op} {'x'.join(map(str, shape))} (training)", None,
               ((ours, theirs), (_fwd_bwd(ours, x, g, b), _fwd_bwd(theirs, xt, gt, bt))))


CASES = {"conv2d": conv_cases, "conv_transpose2d": conv_cases, "max_pool2d": pool_cases, "avg_pool2d": pool_cases,
         "batch_norm": norm_cases}


def main(argv=None):
    parser = Parser(prog="tgg bench conv", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=7, help="interleaved rounds per case (median reported)")
    add_threads_option(parser, default=1)  # 1, not the policy: on a shared machine more threads measure the load
    parser.add_argument("--only", default=",".join(OPS), help="comma-separated subset of " + ",".join(OPS))
    parser.add_argument("--clock", choices=("auto",) + tuple(sorted(CLOCKS)), default="auto",
                        help="cpu: this process's CPU time; wall: elapsed; auto: cpu at 1 thread, else wall")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    clock_name = args.clock if args.clock != "auto" else "cpu" if args.threads == 1 else "wall"
    clock = CLOCKS[clock_name]
    ops = [o for o in args.only.split(",") if o]
    unknown = [o for o in ops if o not in OPS]
    if unknown:
        parser.error(f"unknown op(s) {unknown}; choose from {','.join(OPS)}")
    torch = import_torch("conv")
    args.threads = set_threads(torch, args.threads)
    peak = sgemm_gflops(clock)
    print(f"NumPy SGEMM (1024^3, {args.threads} thread(s), {clock_name} clock): {peak:.1f} GFLOP/s")
    print(f"{'case':<48} {'pass':<9} {'ours (ms)':>10} {'torch (ms)':>10} {'ratio':>6} {'GFLOP/s':>15} {'%SGEMM':>7}")
    rows = []
    for op in ops:
        for label, flops, passes in CASES[op](torch, op):
            for name, (ours, theirs), mult in zip(("fwd", "fwd+bwd"), passes, (1, 3)):
                a, b = compare(ours, theirs, args.reps, clock)
                row = {"op": op, "case": label, "pass": name, "ours_ms": a * 1e3, "torch_ms": b * 1e3,
                       "ratio": a / b}
                rates = ""
                if flops:
                    row.update(ours_gflops=mult * flops / a / 1e9, torch_gflops=mult * flops / b / 1e9)
                    row["ours_share_of_sgemm"] = row["ours_gflops"] / peak
                    share = 100 * row["ours_share_of_sgemm"]
                    rates = f"{row['ours_gflops']:6.1f} / {row['torch_gflops']:6.1f} {share:6.0f}%"
                rows.append(row)
                print(f"{label:<48} {name:<9} {a * 1e3:10.3f} {b * 1e3:10.3f} {a / b:6.2f} {rates:>23}", flush=True)
    if args.json:
        write_json(args.json, "tgg bench conv " + " ".join(argv or []), rows, torch, threads=args.threads,
                   clock=clock_name, sgemm_gflops=peak)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
