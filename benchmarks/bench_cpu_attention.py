"""``tgg bench attention --device cpu``: our CPU flash attention (Numba, ``kernels/cpu/attention.py``) against
PyTorch's ``scaled_dot_product_attention`` on the CPU, forward+backward, float32, the same threads, interleaved,
each library in a process of its own (``sides.py``); and the peak memory of ours against our reference
composition (which stores the L x L scores).

    tgg bench attention --device cpu [--sizes 128 256 512 1024 2048] [--batch 2] [--heads 4] [--head-dim 64]
                                     [--reps 5] [--threads 1] [--json FILE]

Each row (a sequence length N, causal or padded: a (B, N) key-padding mask keeping the first 3/4 of one sequence):
median ms of forward+backward, ours / PyTorch, and the peak bytes NumPy allocated during one forward+backward of
ours (``tracemalloc``, which sees NumPy's allocations) for the flash kernel and for the reference ops; the flash
column grows linearly in N (its bytes / N is printed), the reference one quadratically."""
import math
import tracemalloc

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen import dispatch
from tinygrad_gen.cli.parsing import Parser
from tinygrad_gen.nn import functional as F
from tinygrad_gen.ops.attention import FlashAttention, key_padding_mask
from tinygrad_gen.threads import add_threads_option

from .bench_overhead import import_torch, set_threads, write_json
from .sides import PAUSE, Side, interleave


def _inputs(b, h, n, d, padded):
    rng = np.random.default_rng(n)
    q, k, v, g = (rng.standard_normal((b, h, n, d)).astype(np.float32) for _ in range(4))
    mask = None
    if padded:
        mask = np.ones((b, 1, 1, n), bool)
        mask[-1, ..., 3 * n // 4:] = False
    return q, k, v, g, mask


def ours_flash(q0, k0, v0, g0, mask, causal):
    """A forward+backward of ours on the Numba flash kernels (FlashAttention's Numba path)."""
    with dispatch.kernels("FlashAttention=numba"):
        op = dispatch.pick(FlashAttention)
    batch, n = q0.shape[:2], q0.shape[2]
    key_mask = key_padding_mask(mask, batch, n, n)
    scale = 1.0 / math.sqrt(q0.shape[-1])

    def run():
        q, k, v = (tg.tensor(a, requires_grad=True) for a in (q0, k0, v0))
        op.apply(q, k, v, key_mask, causal, scale).backward(tg.tensor(g0))
    return run


def ours_reference(q0, k0, v0, g0, mask, causal):
    """A forward+backward of ours on the reference composition (S = q k^T stored, masked softmax, P v)."""
    def run():
        q, k, v = (tg.tensor(a, requires_grad=True) for a in (q0, k0, v0))
        with dispatch.kernels(dispatch.kernels_spec() + ",FlashAttention=reference"):  # even under TGG_KERNELS=numba
            F.attention(q, k, v, mask=mask, causal=causal).backward(tg.tensor(g0))
    return run


def theirs(torch, q0, k0, v0, g0, mask, causal):
    """The same forward+backward by torch.nn.functional.scaled_dot_product_attention."""
    tm = None if mask is None else torch.from_numpy(mask)
    g = torch.from_numpy(g0)

    def run():
        q, k, v = (torch.from_numpy(a).requires_grad_() for a in (q0, k0, v0))
        torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=tm, is_causal=causal).backward(g)
    return run


def ours_case(b, h, n, d, padded, causal):
    """``ours_flash`` on the inputs of one row (a factory a ``Side`` can build from picklable arguments)."""
    return ours_flash(*_inputs(b, h, n, d, padded), causal)


def torch_case(b, h, n, d, padded, causal):
    """``theirs`` on the inputs of one row."""
    return theirs(import_torch("attention"), *_inputs(b, h, n, d, padded), causal)


def peak_bytes(fn):
    """Peak bytes traced by tracemalloc during one call of ``fn`` (NumPy reports its allocations to it), after one
    untraced call (which may load the compiled kernels)."""
    fn()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv=None):
    parser = Parser(prog="tgg bench attention --device cpu", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512, 1024, 2048])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--head-dim", type=int, default=64)
    parser.add_argument("--reps", type=int, default=5, help="interleaved rounds (median reported)")
    add_threads_option(parser, default=1)
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    torch = import_torch("attention")
    args.threads = set_threads(torch, args.threads)
    rows = []
    print(f"{'N':>5} {'mask':<7} {'ours ms':>9} {'torch ms':>9} {'ratio':>6} {'flash peak MB':>13} "
          f"{'bytes/N':>9} {'reference peak MB':>17}")
    module = f"{__package__ or 'tinygrad_gen.benchmarks'}.bench_cpu_attention"
    with Side("ours", args.threads) as ours, Side("torch", args.threads) as peer:
        for n in args.sizes:
            for causal, padded in ((True, False), (False, True)):
                shape = (args.batch, args.heads, n, args.head_dim, padded, causal)
                ours.load(module, "ours_case", *shape)
                peer.load(module, "torch_case", *shape)
                a, b, _ = interleave(ours, peer, args.reps, pause=PAUSE if args.threads > 1 else 0.0, calls=1)
                row = {"n": n, "mask": "causal" if causal else "padded", "ours_ms": a * 1e3, "torch_ms": b * 1e3,
                       "ratio": a / b, "batch": args.batch, "heads": args.heads, "head_dim": args.head_dim}
                if not args.no_memory:  # here, in this process: NumPy's allocations do not depend on threads
                    arrays = _inputs(*shape[:5])
                    row["flash_peak"] = peak_bytes(ours_flash(*arrays, causal))
                    row["reference_peak"] = peak_bytes(ours_reference(*arrays, causal))
                rows.append(row)
                mem = (f"{row['flash_peak'] / 2**20:13.1f} {row['flash_peak'] / n:9.0f} "
                       f"{row['reference_peak'] / 2**20:17.1f}") if not args.no_memory else ""
                print(f"{n:5d} {row['mask']:<7} {a * 1e3:9.2f} {b * 1e3:9.2f} {a / b:6.2f} {mem}", flush=True)
    if args.json:
        write_json(args.json, "tgg bench attention --device cpu " + " ".join(argv or []), rows, torch,
                   threads=args.threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
