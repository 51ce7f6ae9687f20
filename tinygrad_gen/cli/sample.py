"""``tgg sample MODEL --ckpt DIR [--out DIR] [--n N] [--prompt TEXT --length L --temperature T --top-k K]``.

Calls the model module's ``sample(args)``; it rebuilds the model from ``DIR/config.json``
(:func:`tinygrad_gen.run.load_config`) and ``DIR/checkpoint.safetensors`` (:func:`tinygrad_gen.run.load_checkpoint`).
A model may add options of its own with ``add_sample_arguments(parser)``.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from tinygrad_gen import models
from tinygrad_gen import random as tg_random
from tinygrad_gen.run import use_agg

from .train import load_model


def build_parser(name, module):
    parser = argparse.ArgumentParser(prog=f"tgg sample {name}")
    parser.add_argument("--ckpt", required=True, help="a tgg train output folder")
    parser.add_argument("--out", default=None, help="where to write samples (default: the --ckpt folder)")
    parser.add_argument("--n", type=int, default=64, help="how many samples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    text = parser.add_argument_group("text models")
    text.add_argument("--prompt", default=None, help="text to continue")
    text.add_argument("--length", type=int, default=200, help="tokens to generate")
    text.add_argument("--temperature", type=float, default=1.0)
    text.add_argument("--top-k", type=int, default=None)
    if hasattr(module, "add_sample_arguments"):
        module.add_sample_arguments(parser)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0].startswith("-"):
        help_ = argv[:1] in (["-h"], ["--help"])
        print(f"usage: tgg sample MODEL --ckpt DIR [options]\nmodels: {', '.join(models.TARGETS)}",
              file=sys.stdout if help_ else sys.stderr)
        return 0 if help_ else 2
    name = argv[0]
    use_agg()  # before the model module can import pyplot: figures are files, no display needed
    try:
        module = load_model(name, needs=("sample",))
    except ValueError as e:
        print(f"tgg sample: {e}", file=sys.stderr)
        return 2
    args = build_parser(name, module).parse_args(argv[1:])
    args.model = name
    if not (Path(args.ckpt) / "config.json").is_file():
        print(f"tgg sample: {args.ckpt!r} is not a tgg train output folder (no config.json)", file=sys.stderr)
        return 2
    args.out = args.out or args.ckpt
    Path(args.out).mkdir(parents=True, exist_ok=True)

    tg_random.manual_seed(args.seed)
    np.random.seed(args.seed)
    module.sample(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
