"""``tgg``: the command line. Each subcommand lives in its own module and parses its own options."""
import importlib
import sys

COMMANDS = {
    "gradcheck": ("tinygrad_gen.gradcheck_cli", "gradcheck every built-in op, or the Functions in a file"),
    "train": ("tinygrad_gen.train", "train a model: tgg train MODEL [options]"),
    "sample": ("tinygrad_gen.sample", "sample from a trained model: tgg sample MODEL --ckpt DIR"),
    "bench": ("tinygrad_gen.benchmarks", "benchmarks: tgg bench {overhead,step,matmul,attention}"),
}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print("usage: tgg COMMAND [options]\n\ncommands:")
        for name, (_, help_) in COMMANDS.items():
            print(f"  {name:10s} {help_}")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return module.main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
