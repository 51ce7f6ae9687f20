"""``tgg train MODEL [--epochs N | --steps N] [--seed S] [--device cpu|cuda] [--out DIR] [--resume] [model options]``.

Each model is a module of ``tinygrad_gen.models`` (listed in ``models.TARGETS``) with ``add_arguments(parser)``
(its own options; it may ``parser.set_defaults(epochs=...)``) and ``train(args, run)`` (its loop, writing through
a :class:`tinygrad_gen.run.Run`, whose ``data_parallel`` the loop calls). ``TRAINED_BY`` in the module says what
its length is counted in: ``"epochs"``, ``"steps"`` or both (``("epochs", "steps")``); only those options are
offered, and the other one is refused. The resume policy and the ranks' folders are in ``run_folders``.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

from tinygrad_gen import backend, distributed, models
from tinygrad_gen import random as tg_random
from tinygrad_gen.checkpoint import CHECKPOINT
from tinygrad_gen.jsonable import to_plain
from tinygrad_gen.options import nonnegative_int, positive_int
from tinygrad_gen.run import Run, use_agg
from tinygrad_gen.threads import add_threads_option, use_threads

from . import launch
from .parsing import Parser, description, show_defaults
from .run_folders import check_resumable, rank_folder

LENGTHS = {"epochs": "passes over the training data", "steps": "optimizer steps"}


def load_model(name, needs=("add_arguments", "train")):
    """The module of target ``name`` (``models.TARGETS``); a clear ValueError for unknown or incomplete models."""
    module = models.load(name)
    missing = [f for f in needs if not hasattr(module, f)]
    if missing:
        raise ValueError(f"model {name!r} ({module.__name__}) does not define {', '.join(missing)}")
    return module


def trained_by(module):
    """The length options a model honours: ``("epochs",)``, ``("steps",)`` or both (the default)."""
    declared = getattr(module, "TRAINED_BY", ("epochs", "steps"))
    return (declared,) if isinstance(declared, str) else tuple(declared)


def _usage():
    return "usage: tgg train MODEL [--epochs N | --steps N] [--seed S] [--device cpu|cuda] [--out DIR] [--resume] " \
           f"[model options]\nmodels: {', '.join(models.TARGETS)}\n(tgg train MODEL --help lists a model's options)"


def build_parser(name, module):
    """The parser of ``tgg train name``: the common options, then the model's own, each with its default."""
    parser = Parser(prog=f"tgg train {name}", description=description(module.__doc__))
    common = parser.add_argument_group("common")
    for length in ("epochs", "steps"):
        offered = length in trained_by(module)
        common.add_argument(f"--{length}", type=positive_int, default=None,
                            help=LENGTHS[length] if offered else argparse.SUPPRESS)
    common.add_argument("--seed", type=nonnegative_int, default=0, help="seeds tg.manual_seed and numpy")
    common.add_argument("--device", default="cpu", help="cpu or cuda")
    common.add_argument("--out", default=None, help=f"output folder (default: runs/{name})")
    common.add_argument("--resume", action="store_true", help="continue from the checkpoint in the output folder")
    common.add_argument("--ranks", type=positive_int, default=1,
                        help="data-parallel training on N processes under mpiexec (extra [dist]; default 1)")
    add_threads_option(common)
    module.add_arguments(parser)
    show_defaults(parser)
    for action in parser._actions:  # a length honoured alongside the other one may default to None: say so
        if action.dest in LENGTHS and action.default is None and action.help != argparse.SUPPRESS:
            others = [o for o in trained_by(module) if o != action.dest]
            action.help += f" (default: {'--' + others[0] + ' decides' if others else 'set by the model'})"
    return parser


def parse(name, module, argv):
    """The parsed options of ``tgg train name argv``; refuses the length option the model does not honour."""
    parser = build_parser(name, module)
    args = parser.parse_args(argv)
    for length in LENGTHS:
        if length not in trained_by(module) and getattr(args, length) is not None:
            parser.error(f"model {name!r} trains by {' and '.join(trained_by(module))}, so --{length} would be "
                         f"ignored; use --{trained_by(module)[0]}")
    if hasattr(module, "settle"):  # defaults that depend on other options (--quick), fixed before config.json
        module.settle(args)
    args.model = name
    return args


def main(argv=None):
    """``tgg train MODEL [options]``; returns the exit status."""
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
    args = parse(name, module, argv[1:])
    if args.ranks > 1 and distributed.launched_size() == 1:  # not yet under mpiexec: start the job
        return launch.launch(args.ranks, argv)
    use_threads(args.threads)  # under MPI, this rank's share of the cores
    dp = distributed.DataParallel()  # joins the MPI job under mpiexec; alone, a job of one that imports nothing
    launch.record_pid()
    del args.ranks, args.threads  # not part of the run's configuration: resuming with other values is fine
    if args.out is None:
        args.out = f"runs/{name}"

    tg_random.manual_seed(args.seed)
    np.random.seed(args.seed)
    try:
        run = open_run(args, name, module, dp)
    except (ImportError, ValueError) as e:  # an unknown device, CUDA without CuPy, a refused --resume
        print(f"tgg train: {e}", file=sys.stderr)
        return 2
    if dp.is_main and args.resume:
        print(f"tgg train: resuming from {run.checkpoint_path}" if run.resuming else
              f"tgg train: no checkpoint in {run.folder}, starting from scratch", file=sys.stderr)
    try:
        with dp:
            module.train(args, run)
    except KeyboardInterrupt:
        where = (f"the last checkpoint is {run.checkpoint_path} (continue with the same command and --resume)"
                 if run.checkpoint_path.is_file() else f"no checkpoint was written to {run.folder} yet")
        print(f"\ntgg train: interrupted; {where}", file=sys.stderr)
        return 130
    if dp.is_main and run.metrics is not None:
        print_headline(run)
    return 0


def open_run(args, name, module, dp):
    """The ``Run`` of this invocation; ValueError (or ImportError for CUDA without CuPy) before anything is written
    when the device is unknown, a ``--resume`` is refused or the ranks were given different options."""
    device = backend.check_device(args.device)
    if device == "cuda":
        backend.cupy()  # fail now, with the install hint, rather than mid-run
    config = json.loads(json.dumps({"model": name, **to_plain(vars(args))}, default=str))
    if args.resume:
        check_resumable(args.out, config)
    dp.check_same_config(config)
    return Run(rank_folder(args.out, dp), config, resume=args.resume, device=device,
               unit="epoch" if trained_by(module) == ("epochs",) else "step", data_parallel=dp,
               checkpoint=Path(args.out) / CHECKPOINT)


def print_headline(run):
    """Print the numbers and words at the top level of the run's metrics (lists and tables, such as a confusion
    matrix or per-step series, stay in metrics.json), and where the run's files are."""
    headline = {k: v for k, v in run.metrics.items() if v is None or isinstance(v, (str, bool, int, float))}
    print(json.dumps(headline, indent=2))
    rest = [k for k in run.metrics if k not in headline]
    more = f"; {', '.join(rest)} too are in {run.folder / 'metrics.json'}" if rest else ""
    print(f"tgg train: wrote {run.folder}{more}", file=sys.stderr)

if __name__ == "__main__":
    sys.exit(main())
