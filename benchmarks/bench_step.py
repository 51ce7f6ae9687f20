"""Time one training step of each model, ours against a PyTorch peer with exactly the same architecture.

    tgg bench step [--model vae|gpt|all] [--reps 15] [--device cpu] [--threads N] [--json FILE]

Each model has a module ``benchmarks/step_<model>.py`` with two module-level functions:

    ours(device)  -> a zero-argument callable that runs one full training step of our model (forward, backward,
                     optimizer update, returning the loss as a float)
    torch_peer()  -> the same for the PyTorch peer (CPU)

Both are built once and warmed up; then ``reps`` rounds each time ``calls`` steps of ours followed by ``calls`` steps
of PyTorch's (interleaved, so both see the same load on a shared machine). The table shows the median milliseconds
per step and the ratio ours / PyTorch (below 1.0: we are faster). Both libraries get the same number of threads.
"""
import argparse
import importlib
import os
import statistics
import time

from .bench_overhead import import_torch, set_threads, write_json

MODELS = ("vae", "gpt", "dcgan", "cyclegan", "gan2d", "bert")


def _seconds_per_call(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def compare(ours, theirs, reps, target=0.05):
    """Median seconds per step of each, measured in interleaved rounds of about ``target`` seconds."""
    for _ in range(3):  # warm-up: first-call allocations, lazy imports, optimizer state
        ours()
        theirs()
    slower = max(_seconds_per_call(ours, 1), _seconds_per_call(theirs, 1))
    calls = max(1, int(target / max(slower, 1e-6)))
    a, b = [], []
    for _ in range(reps):
        a.append(_seconds_per_call(ours, calls))
        b.append(_seconds_per_call(theirs, calls))
    return statistics.median(a), statistics.median(b), calls


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tgg bench step", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=MODELS + ("all",), default="all")
    parser.add_argument("--reps", type=int, default=15, help="interleaved rounds (median reported)")
    parser.add_argument("--device", default="cpu", help="device of our model (the PyTorch peer runs on the CPU)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for both libraries")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    torch = import_torch("step")
    limits = set_threads(torch, args.threads)  # noqa: F841 - keeps NumPy's BLAS limited while we run

    rows = []
    print(f"{'model':<8} {'ours (ms)':>10} {'torch (ms)':>11} {'ratio':>6}")
    for name in (MODELS if args.model == "all" else (args.model,)):
        module = importlib.import_module(f"{__package__ or 'tinygrad_gen.benchmarks'}.step_{name}")
        a, b, calls = compare(module.ours(args.device), module.torch_peer(), args.reps)
        rows.append({"model": name, "ours_ms": a * 1e3, "torch_ms": b * 1e3, "ratio": a / b,
                     "steps_per_round": calls, "reps": args.reps, "device": args.device})
        print(f"{name:<8} {a * 1e3:10.2f} {b * 1e3:11.2f} {a / b:6.2f}", flush=True)
    if args.json:
        write_json(args.json, "tgg bench step " + " ".join(argv or []), rows, torch, threads=args.threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
