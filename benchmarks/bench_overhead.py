"""Per-op overhead and an MLP training step, tinygrad_gen against PyTorch CPU in the same run.

    tgg bench overhead [--reps 21] [--threads N] [--only ops|mlp] [--json FILE]

On tiny tensors an op's cost is almost all Python bookkeeping (building the Tensor and the graph node, the backward
loop), which is what this measures. Each case is timed as ``reps`` rounds; every round times ours and PyTorch's
(interleaved, so both see the same machine load), each over enough calls to take a few milliseconds. The table shows
the median time per call and the ratio ours / PyTorch (below 1.0: we are faster). Times are this process's CPU time
by default (``--clock wall`` for elapsed time), so other programs on a shared machine distort them less. Both
libraries use the same number of threads (NumPy's BLAS through threadpoolctl, PyTorch through set_num_threads).
"""
import json
import platform
import statistics
import time

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen.cli.parsing import Parser
from tinygrad_gen.threads import add_threads_option, use_threads

CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def _timer(fn, calls, clock):
    def run():
        start = clock()
        for _ in range(calls):
            fn()
        return (clock() - start) / calls
    return run


def _calibrate(fn, clock, target=0.002):
    """How many calls take about ``target`` seconds (at least one)."""
    fn()
    calls = 1
    while True:
        start = clock()
        for _ in range(calls):
            fn()
        if clock() - start > target or calls >= 1 << 16:
            return calls
        calls *= 2


def compare(ours, theirs, reps, clock=time.process_time):
    """Median seconds per call of each, measured in interleaved rounds."""
    calls = max(_calibrate(ours, clock), _calibrate(theirs, clock))
    run_ours, run_theirs = _timer(ours, calls, clock), _timer(theirs, calls, clock)
    a, b = [], []
    for i in range(reps):  # alternate who goes first, so neither always runs on a warmer cache
        if i % 2:
            b.append(run_theirs())
        a.append(run_ours())
        if not i % 2:
            b.append(run_theirs())
    return statistics.median(a), statistics.median(b)


# ----- per-op cases: (name, shape, ours(x, y), torch(x, y)) -----
OPS = [
    ("add", lambda x, y: x + y),
    ("mul", lambda x, y: x * y),
    ("mul_scalar", lambda x, y: x * 2.0),
    ("div", lambda x, y: x / y),
    ("exp", lambda x, y: x.exp()),
    ("tanh", lambda x, y: x.tanh()),
    ("relu", lambda x, y: x.relu()),
    ("sum", lambda x, y: x.sum()),
    ("matmul", lambda x, y: x @ y),
    ("reshape", lambda x, y: x.reshape(-1)),
    ("transpose", lambda x, y: x.T),
    ("getitem", lambda x, y: x[1:]),
]


def op_cases(torch, shape=(4, 4)):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shape).astype(np.float32), rng.standard_normal(shape).astype(np.float32)
    ours = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    cases = []
    for name, op in OPS:
        def fwd(op=op, xs=ours):
            return op(*xs)

        def fwd_t(op=op, xs=theirs):
            return op(*xs)

        def fwd_bwd(op=op, xs=ours):
            op(*xs).sum().backward()
            xs[0].grad = xs[1].grad = None

        def fwd_bwd_t(op=op, xs=theirs):
            op(*xs).sum().backward()
            xs[0].grad = xs[1].grad = None
        cases.append((f"{name} forward", fwd, fwd_t))
        cases.append((f"{name} forward+backward", fwd_bwd, fwd_bwd_t))
    return cases


def mlp_case(torch, batch=128, sizes=(784, 512, 512, 10), lr=0.01):
    """One SGD step of a 784-512-512-10 ReLU MLP with cross-entropy, both written with their public APIs."""
    try:
        from tinygrad_gen.nn import functional as F
    except ImportError:  # before nn.functional exists the same model is written with Tensor methods
        F = None
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    weights = [(rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(np.float32)
               for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros(n, np.float32) for n in sizes[1:]]

    ours = [tg.tensor(p, requires_grad=True) for pair in zip(weights, biases) for p in pair]
    xo, yo = tg.tensor(x), tg.tensor(y)
    has_f = F is not None and all(hasattr(F, n) for n in ("linear", "relu", "cross_entropy"))

    def step():
        h = xo
        for i in range(0, len(ours), 2):
            w, b = ours[i], ours[i + 1]
            h = F.linear(h, w, b) if has_f else h @ w.T + b
            if i + 2 < len(ours):
                h = F.relu(h) if has_f else h.relu()
        if has_f:
            loss = F.cross_entropy(h, yo)
        else:
            loss = -h.log_softmax(axis=-1)[np.arange(batch), yo._data].mean()
        loss.backward()
        for p in ours:
            p._data -= lr * p.grad._data
            p.grad = None

    theirs = [torch.tensor(p, requires_grad=True) for pair in zip(weights, biases) for p in pair]
    xt, yt = torch.tensor(x), torch.tensor(y)
    tF = torch.nn.functional

    def step_t():
        h = xt
        for i in range(0, len(theirs), 2):
            h = tF.linear(h, theirs[i], theirs[i + 1])
            if i + 2 < len(theirs):
                h = tF.relu(h)
        loss = tF.cross_entropy(h, yt)
        loss.backward()
        with torch.no_grad():
            for p in theirs:
                p -= lr * p.grad
                p.grad = None

    label = "MLP 784-512-512-10 SGD step, batch 128" + ("" if has_f else " (x @ w.T + b, log_softmax)")
    return label, step, step_t


def import_torch(bench):
    """PyTorch, the peer every benchmark compares with, or a clear exit saying how to install it."""
    try:
        import torch
    except ImportError:
        raise SystemExit(f"bench {bench} compares with PyTorch: pip install 'tinygrad_gen[dev]'") from None
    return torch


def set_threads(torch, n):
    """Give NumPy's BLAS (``tinygrad_gen.threads``, as ``tgg train`` does) and PyTorch the same ``n`` threads
    (None: the default policy); returns the number used."""
    n = use_threads(n)
    torch.set_num_threads(n)
    return n


def write_json(path, command, rows, torch, **settings):
    """Write the results with what it takes to compare them later: command, settings, machine, versions, date."""
    meta = {"command": command, **settings,
            "machine": platform.platform(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    with open(path, "w") as f:
        json.dump({"meta": meta, "results": rows}, f, indent=2)


def main(argv=None):
    parser = Parser(prog="tgg bench overhead", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=21, help="interleaved rounds per case (median reported)")
    add_threads_option(parser, default=1)  # 1, not the policy: on a shared machine more threads measure the load
    parser.add_argument("--only", choices=["ops", "mlp"], help="run only the per-op or only the MLP cases")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                        help="cpu: this process's CPU time (steady on a shared machine); wall: elapsed time")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    torch = import_torch("overhead")
    args.threads = set_threads(torch, args.threads)

    cases = []
    if args.only != "mlp":
        cases += op_cases(torch)
    if args.only != "ops":
        cases.append(mlp_case(torch))
    rows = []
    print(f"{'case':<44} {'ours (us)':>10} {'torch (us)':>10} {'ratio':>6}")
    for name, ours, theirs in cases:
        reps = args.reps if "MLP" not in name else max(3, args.reps // 3)
        a, b = compare(ours, theirs, reps, CLOCKS[args.clock])
        rows.append({"case": name, "ours_us": a * 1e6, "torch_us": b * 1e6, "ratio": a / b})
        print(f"{name:<44} {a * 1e6:10.1f} {b * 1e6:10.1f} {a / b:6.2f}", flush=True)
    op_ratios = [r["ratio"] for r in rows if "MLP" not in r["case"]]
    if op_ratios:
        print(f"{'geometric mean of per-op ratios':<44} {'':>10} {'':>10} "
              f"{float(np.exp(np.mean(np.log(op_ratios)))):6.2f}")
    if args.json:
        write_json(args.json, "tgg bench overhead " + " ".join(argv or []), rows, torch,
                   threads=args.threads, clock=args.clock)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
