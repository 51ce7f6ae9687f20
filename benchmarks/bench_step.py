"""Time one training step of each model, ours against a PyTorch peer with exactly the same architecture.

    tgg bench step [--model MODEL|all] [--reps 15] [--device cpu] [--threads N]
                   [--clock auto|cpu|wall] [--json FILE]

The models are the ``tgg train`` targets (``models.TARGETS``, the one registry) that have a module
``benchmarks/step_<model>.py``, with two module-level functions:

    ours(device)  -> a zero-argument callable that runs one full training step of our model (forward, backward,
                     optimizer update, returning the loss as a float)
    torch_peer()  -> the same for the PyTorch peer (CPU)

Both are built once and warmed up; then ``reps`` rounds each time ``calls`` steps of ours followed by ``calls`` steps
of PyTorch's (interleaved, so both see the same load on a shared machine). The table shows the median milliseconds
per step and the ratio ours / PyTorch (below 1.0: we are faster). Both libraries get the same number of threads.
Times are wall clock, or the stepping process's CPU time (``--clock cpu``; the default at one thread, where it is
the same work and much steadier on a shared machine).

Each library steps in a process of its own, the two taking turns (``sides.py`` says why); ``--same-process`` steps
both here, as the figures before 2026-12-07 were taken.

Ours runs the model's own training-step function on its config's
defaults, what ``tgg train`` runs; the peers are written out, built from the same config. Those of the models other
than vae and gpt are twins built by ``twins``: our modules' layers with our initial weights copied in, so both start
from the same point.
"""
import importlib
import importlib.util

from tinygrad_gen import models
from tinygrad_gen.cli.parsing import Parser
from tinygrad_gen.threads import add_threads_option

from .bench_overhead import import_torch, set_threads, write_json
from .sides import PAUSE, Side, in_process, interleave

PACKAGE = __package__ or "tinygrad_gen.benchmarks"


def step_models():
    """The targets of ``models.TARGETS`` that have a step benchmark (a ``step_<name>`` module here), in its order."""
    return tuple(name for name in models.TARGETS if importlib.util.find_spec(f"{PACKAGE}.step_{name}") is not None)


def step_function(side: str, model: str, device: str = "cpu"):
    """One training step of ``model`` as a zero-argument callable: ours (``side`` "ours", on ``device``) or the
    PyTorch peer's ("torch")."""
    module = importlib.import_module(f"{PACKAGE}.step_{model}")
    return module.ours(device) if side == "ours" else module.torch_peer()


def main(argv=None):
    parser = Parser(prog="tgg bench step", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=step_models() + ("all",), default="all")
    parser.add_argument("--reps", type=int, default=15, help="interleaved rounds (median reported)")
    parser.add_argument("--device", default="cpu", help="device of our model (the PyTorch peer runs on the CPU)")
    add_threads_option(parser)  # both libraries; by default the free cores, as tgg train takes
    parser.add_argument("--clock", choices=("auto", "cpu", "wall"), default="auto",
                        help="cpu: this process's CPU time; wall: elapsed; auto: cpu at 1 thread, else wall")
    parser.add_argument("--same-process", action="store_true",
                        help="step both libraries in this process (default: each in a process of its own)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    torch = import_torch("step")
    args.threads = set_threads(torch, args.threads)
    clock_name = args.clock if args.clock != "auto" else "cpu" if args.threads == 1 else "wall"

    names = step_models() if args.model == "all" else (args.model,)
    sides = [] if args.same_process else [Side(side, args.threads, clock_name) for side in ("ours", "torch")]
    rows = []
    print(f"{'model':<8} {'ours (ms)':>10} {'torch (ms)':>11} {'ratio':>6}")
    try:
        for name in names:
            if sides:
                for side, which in zip(sides, ("ours", "torch")):
                    side.load(f"{PACKAGE}.bench_step", "step_function", which, name, args.device)
                ours, theirs = sides
            else:
                ours, theirs = (in_process(step_function(side, name, args.device), clock_name)
                                for side in ("ours", "torch"))
            a, b, calls = interleave(ours, theirs, args.reps, pause=PAUSE if args.threads > 1 else 0.0)
            rows.append({"model": name, "ours_ms": a * 1e3, "torch_ms": b * 1e3, "ratio": a / b,
                         "steps_per_round": calls, "reps": args.reps, "device": args.device})
            print(f"{name:<8} {a * 1e3:10.2f} {b * 1e3:11.2f} {a / b:6.2f}", flush=True)
    finally:
        for side in sides:
            side.close()
    if args.json:
        write_json(args.json, "tgg bench step " + " ".join(argv or []), rows, torch, threads=args.threads,
                   clock=clock_name, processes=1 if args.same_process else 2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
