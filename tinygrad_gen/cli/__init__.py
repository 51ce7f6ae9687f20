"""``tgg``: the command line, the outermost layer (it may import everything; nothing imports it).

Each subcommand is a module of this package with ``main(argv) -> exit status`` that parses its own options; adding
one is one line in ``COMMANDS``. Errors print as one line (``TGG_DEBUG=1`` shows the traceback instead), Ctrl-C
exits with status 130.
"""
import importlib
import os
import sys

# name: (module of tinygrad_gen.cli, one line of help)
COMMANDS = {
    "train": ("train", "train a model: tgg train MODEL [options]"),
    "sample": ("sample", "sample from a trained model: tgg sample MODEL --ckpt DIR"),
    "gradcheck": ("gradcheck", "gradcheck every built-in op, or the Functions in a file"),
    "bench": ("bench", "benchmarks against a peer: tgg bench NAME"),
    "graph": ("graph", "draw the graph of one training step: tgg graph MODEL [--out FILE]"),
    "ops": ("ops", "where each op lives: its family, methods, tg.* and F.* names, tests; --fast: the fast paths"),
    "explain": ("explain", "an op's derivation, and its analytical vs numerical Jacobian: tgg explain OP"),
    "exercise": ("exercise", "the course kit: tgg exercise list | start DIR | grade DIR"),
}


def version():
    """The installed version of tinygrad_gen (the package's own when it is not installed)."""
    try:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as installed
        try:
            return installed("tinygrad_gen")
        except PackageNotFoundError:
            pass
    except ImportError:
        pass
    import tinygrad_gen
    return tinygrad_gen.__version__


def usage():
    """The text of ``tgg --help``: the commands and what each does."""
    lines = ["usage: tgg COMMAND [options]   (tgg COMMAND --help lists its options)", "", "commands:"]
    lines += [f"  {name:10s} {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "  --version  print the version of tinygrad_gen"]
    return "\n".join(lines)


def debug():
    """True when TGG_DEBUG is set (to anything but 0 or empty): errors then show their traceback."""
    return os.environ.get("TGG_DEBUG", "") not in ("", "0")


def one_line(error):
    """An exception as one line: its type (unless it is a plain usage error) and its first line of text."""
    text = str(error).strip().split("\n")[0] if str(error).strip() else ""
    if isinstance(error, KeyError) and text.startswith(("'", '"')) and text.endswith(("'", '"')):
        text = text[1:-1]  # KeyError quotes its message
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def run_command(prog, fn, argv):
    """``fn(argv)`` as an exit status: SystemExit becomes its code, any other error one line on stderr (exit 1),
    Ctrl-C one line (exit 130). With TGG_DEBUG errors propagate, tracebacks and all."""
    try:
        return fn(argv) or 0
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            return 1
        return e.code or 0
    except KeyboardInterrupt:
        if debug():
            raise
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if debug():
            raise
        print(f"{prog}: {one_line(e)}  (TGG_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1


def main(argv=None):
    """Run ``tgg`` with ``argv`` (default: the command line); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage(), file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    if argv[0] == "--version":
        print(f"tgg (tinygrad_gen) {version()}")
        return 0
    if argv[0] not in COMMANDS:
        print(f"tgg: unknown command {argv[0]!r}; choose one of: {', '.join(COMMANDS)} (tgg --help)", file=sys.stderr)
        return 2
    module = importlib.import_module(f"{__name__}.{COMMANDS[argv[0]][0]}")
    return run_command(f"tgg {argv[0]}", module.main, argv[1:])


if __name__ == "__main__":
    sys.exit(main())
