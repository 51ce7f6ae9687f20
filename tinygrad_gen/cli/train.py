"""``tgg train MODEL [--epochs N | --steps N] [--seed S] [--device cpu|cuda] [--out DIR] [--resume] [model options]``.

Each model is a module with ``add_arguments(parser)`` (its own options; it may ``parser.set_defaults(epochs=...)``)
and ``train(args, run)`` (its loop, writing through a :class:`tinygrad_gen.run.Run`).
"""
import argparse
import sys

import numpy as np

from tinygrad_gen import distributed, models
from tinygrad_gen import random as tg_random
from tinygrad_gen.run import Run, use_agg

from . import launch

def load_model(name, needs=("add_arguments", "train")):
    """The module of target ``name`` (``models.TARGETS``); a clear ValueError for unknown or incomplete models."""
    module = models.load(name)
    missing = [f for f in needs if not hasattr(module, f)]
    if missing:
        raise ValueError(f"model {name!r} ({module.__name__}) does not define {', '.join(missing)}")
    return module


def _usage():
    return "usage: tgg train MODEL [--epochs N | --steps N] [--seed S] [--device cpu|cuda] [--out DIR] [--resume] " \
           f"[model options]\nmodels: {', '.join(models.TARGETS)}\n(tgg train MODEL --help lists a model's options)"


def build_parser(name, module):
    """The parser of ``tgg train name``: the common options, then the model's own."""
    parser = argparse.ArgumentParser(prog=f"tgg train {name}", description=(module.__doc__ or "").split("\n")[0])
    common = parser.add_argument_group("common")
    common.add_argument("--epochs", type=int, default=None, help="passes over the training data")
    common.add_argument("--steps", type=int, default=None, help="optimizer steps (models trained by steps)")
    common.add_argument("--seed", type=int, default=0, help="seeds tg.manual_seed and numpy (default 0)")
    common.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    common.add_argument("--out", default=None, help=f"output folder (default runs/{name})")
    common.add_argument("--resume", action="store_true", help="continue from the checkpoint in the output folder")
    common.add_argument("--ranks", type=int, default=1,
                        help="data-parallel training on N processes under mpiexec (extra [dist]; default 1)")
    module.add_arguments(parser)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0].startswith("-"):
        print(_usage(), file=sys.stdout if argv[:1] in (["-h"], ["--help"]) else sys.stderr)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    name = argv[0]
    use_agg()  # before the model module can import pyplot: figures are files, no display needed
    try:
        module = load_model(name)
    except ValueError as e:
        print(f"tgg train: {e}", file=sys.stderr)
        return 2
    args = build_parser(name, module).parse_args(argv[1:])
    if args.ranks < 1:
        print(f"tgg train: --ranks must be at least 1, got {args.ranks}", file=sys.stderr)
        return 2
    if args.ranks > 1 and distributed.launched_size() == 1:  # not yet under mpiexec: start the job
        return launch.launch(args.ranks, argv)
    distributed.init()  # joins the MPI job under mpiexec; alone, imports nothing
    launch.record_pid()
    del args.ranks  # not part of the run's configuration: resuming with another number of ranks is fine
    args.model = name
    if args.out is None:
        args.out = f"runs/{name}"

    tg_random.manual_seed(args.seed)
    np.random.seed(args.seed)
    try:
        run = Run(args, model=name)
    except (ImportError, ValueError) as e:  # an unknown device, or CUDA without CuPy
        print(f"tgg train: {e}", file=sys.stderr)
        return 2
    module.train(args, run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
