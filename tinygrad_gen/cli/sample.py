"""``tgg sample MODEL --ckpt DIR [--out DIR] [--n N] [--prompt TEXT --length L --temperature T --top-k K]``.

Calls the model module's ``sample(args)``, which rebuilds its trained modules from ``DIR/config.json`` and
``DIR/checkpoint.safetensors`` through :func:`tinygrad_gen.run.load_run`, then says which files it wrote.
A model may add options of its own, or change a default such as ``--n``, with ``add_sample_arguments(parser)``.

Samples go into their own folder, never silently into the training run's: ``--out`` (default a new folder,
``samples/MODEL``, or ``samples/MODEL-2``, ``-3``, ... when that exists). A call that fails removes the folder
it created, so a refused call leaves nothing behind.
"""
import shutil
import sys
from pathlib import Path

import numpy as np

from tinygrad_gen import models
from tinygrad_gen import random as tg_random
from tinygrad_gen.options import nonnegative_int, positive_float, positive_int
from tinygrad_gen.run import use_agg
from tinygrad_gen.threads import add_threads_option, use_threads

from .parsing import Parser, description, show_defaults
from .train import load_model


def build_parser(name, module):
    """The options of ``tgg sample NAME``, from the model's ``sample`` function."""
    parser = Parser(prog=f"tgg sample {name}", description=description(module.sample.__doc__))
    parser.add_argument("--ckpt", required=True, help="a tgg train output folder")
    parser.add_argument("--out", default=None, help="where to write samples (default: a new folder samples/MODEL, "
                        "or samples/MODEL-2, ... when that exists)")
    parser.add_argument("--n", type=positive_int, default=64, help="how many samples")
    parser.add_argument("--seed", type=nonnegative_int, default=0)
    parser.add_argument("--device", default="cpu")
    add_threads_option(parser)
    text = parser.add_argument_group("text models")
    text.add_argument("--prompt", default=None, help="text to continue")
    text.add_argument("--length", type=nonnegative_int, default=200, help="tokens to generate")
    text.add_argument("--temperature", type=positive_float, default=1.0)
    text.add_argument("--top-k", type=positive_int, default=None)
    if hasattr(module, "add_sample_arguments"):
        module.add_sample_arguments(parser)
    show_defaults(parser)
    return parser


def _files(folder):
    """{path: (size, mtime)} of the files under ``folder``: what a sample call wrote is what changed."""
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in Path(folder).rglob("*") if p.is_file()}


def new_folder(name):
    """``samples/NAME``, or the first of ``samples/NAME-2``, ``-3``, ... that does not exist yet."""
    out, k = Path("samples") / name, 1
    while out.exists():
        k += 1
        out = Path("samples") / f"{name}-{k}"
    return out


def first_missing(folder):
    """The outermost folder on the way to ``folder`` that does not exist yet (None if it exists): what a failed
    call removes."""
    folder = Path(folder).absolute()
    missing = None
    for p in [folder, *folder.parents]:
        if p.exists():
            break
        missing = p
    return missing


def main(argv=None):
    """``tgg sample MODEL --ckpt DIR``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0].startswith("-"):
        help_ = argv[:1] in (["-h"], ["--help"])
        print(f"usage: tgg sample MODEL --ckpt DIR [options]\nmodels: {', '.join(models.TARGETS)}\n"
              "(tgg sample MODEL --help lists its options)", file=sys.stdout if help_ else sys.stderr)
        return 0 if help_ else 2
    name = argv[0]
    use_agg()  # before the model module can import pyplot: figures are files, no display needed
    try:
        module = load_model(name, needs=())
    except ValueError as e:
        print(f"tgg sample: {e}", file=sys.stderr)
        return 2
    if not hasattr(module, "sample"):
        print(f"tgg sample: model {name!r} has nothing to sample; its figures and metrics are in its run folder",
              file=sys.stderr)
        return 2
    args = build_parser(name, module).parse_args(argv[1:])
    use_threads(args.threads)
    del args.threads
    args.model = name
    if not (Path(args.ckpt) / "config.json").is_file():
        print(f"tgg sample: {args.ckpt!r} is not a tgg train output folder (no config.json)", file=sys.stderr)
        return 2
    args.out = str(new_folder(name)) if args.out is None else args.out
    if Path(args.out).exists() and not Path(args.out).is_dir():
        print(f"tgg sample: --out {args.out!r} is a file, not a folder", file=sys.stderr)
        return 2
    created = first_missing(args.out)
    Path(args.out).mkdir(parents=True, exist_ok=True)

    tg_random.manual_seed(args.seed)
    np.random.seed(args.seed)
    before = _files(args.out)
    try:
        module.sample(args)
    except BaseException:
        if created is not None:  # ours alone: a refused call leaves nothing behind
            shutil.rmtree(created, ignore_errors=True)
        raise
    written = sorted(p for p, stamp in _files(args.out).items() if before.get(p) != stamp)
    print(f"tgg sample: wrote {', '.join(map(str, written))}" if written else
          f"tgg sample: model {name!r} wrote no file", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
