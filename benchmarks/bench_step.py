"""Time one training step of each model, ours against a PyTorch peer with exactly the same architecture.

    tgg bench step [--model vae|gpt|dcgan|cyclegan|gan2d|bert|all] [--reps 15] [--device cpu] [--threads N]
                   [--clock auto|cpu|wall] [--json FILE]

Each model has a module ``benchmarks/step_<model>.py`` with two module-level functions:

    ours(device)  -> a zero-argument callable that runs one full training step of our model (forward, backward,
                     optimizer update, returning the loss as a float)
    torch_peer()  -> the same for the PyTorch peer (CPU)

Both are built once and warmed up; then ``reps`` rounds each time ``calls`` steps of ours followed by ``calls`` steps
of PyTorch's (interleaved, so both see the same load on a shared machine). The table shows the median milliseconds
per step and the ratio ours / PyTorch (below 1.0: we are faster). Both libraries get the same number of threads.
Times are wall clock, or this process's CPU time (``--clock cpu``; the default at one thread, where it is the same
work and much steadier on a shared machine). The peers of the models other than vae and gpt are twins built by
``twins``: our modules' layers with our initial weights copied in, so both start from the same point.
"""
import argparse
import importlib
import os
import statistics
import time

from .bench_overhead import import_torch, set_threads, write_json

MODELS = ("vae", "gpt", "dcgan", "cyclegan", "gan2d", "bert")


def _seconds_per_call(fn, calls, clock=time.perf_counter):
    start = clock()
    for _ in range(calls):
        fn()
    return (clock() - start) / calls


def compare(ours, theirs, reps, target=0.05, clock=time.perf_counter):
    """Median seconds per step of each, measured in interleaved rounds of about ``target`` seconds."""
    for _ in range(3):  # warm-up: first-call allocations, lazy imports, optimizer state
        ours()
        theirs()
    slower = max(_seconds_per_call(ours, 1, clock), _seconds_per_call(theirs, 1, clock))
    calls = max(1, int(target / max(slower, 1e-6)))
    a, b = [], []
    for _ in range(reps):
        a.append(_seconds_per_call(ours, calls, clock))
        b.append(_seconds_per_call(theirs, calls, clock))
    return statistics.median(a), statistics.median(b), calls


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tgg bench step", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=MODELS + ("all",), default="all")
    parser.add_argument("--reps", type=int, default=15, help="interleaved rounds (median reported)")
    parser.add_argument("--device", default="cpu", help="device of our model (the PyTorch peer runs on the CPU)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for both libraries")
    parser.add_argument("--clock", choices=("auto", "cpu", "wall"), default="auto",
                        help="cpu: this process's CPU time; wall: elapsed; auto: cpu at 1 thread, else wall")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    clock_name = args.clock if args.clock != "auto" else "cpu" if args.threads == 1 else "wall"
    clock = time.process_time if clock_name == "cpu" else time.perf_counter
    torch = import_torch("step")
    limits = set_threads(torch, args.threads)  # noqa: F841 - keeps NumPy's BLAS limited while we run

    rows = []
    print(f"{'model':<8} {'ours (ms)':>10} {'torch (ms)':>11} {'ratio':>6}")
    for name in (MODELS if args.model == "all" else (args.model,)):
        module = importlib.import_module(f"{__package__ or 'tinygrad_gen.benchmarks'}.step_{name}")
        a, b, calls = compare(module.ours(args.device), module.torch_peer(), args.reps, clock=clock)
        rows.append({"model": name, "ours_ms": a * 1e3, "torch_ms": b * 1e3, "ratio": a / b,
                     "steps_per_round": calls, "reps": args.reps, "device": args.device})
        print(f"{name:<8} {a * 1e3:10.2f} {b * 1e3:11.2f} {a / b:6.2f}", flush=True)
    if args.json:
        write_json(args.json, "tgg bench step " + " ".join(argv or []), rows, torch, threads=args.threads,
                   clock=clock_name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
