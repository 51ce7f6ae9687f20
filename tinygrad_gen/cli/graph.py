"""``tgg graph MODEL [--out FILE] [--depth N | --no-collapse]``: the graph of one training step of a built-in model.

Runs the model's ``graph_step`` inside ``tg.viz.record_modules()``: the model at its config's default sizes, on a
small batch, through the same training-step function ``tgg train`` and ``tgg bench step`` run. Then each loss's
backward (the graph kept), and draws the losses with the model's parameter names and gradient norms.
Ops are grouped into one box per Module call (the shallowest call depth at which no box holds more than half the
ops; ``--depth N`` picks the depth, ``--no-collapse`` shows every op). FILE ends in .svg, .png or .dot (default
MODEL_graph.svg; a .dot when Graphviz's ``dot`` is not installed).
"""
import argparse
import shutil
import sys

import tinygrad_gen as tg
from tinygrad_gen import models, viz

from .parsing import Parser


def step_of(name):
    """The ``graph_step`` of target ``name`` (``models.TARGETS``): it builds the model at its default sizes and runs
    the model's own training-step function on a small batch, returning ({loss name: loss}, the Module or
    {name: Module} it trains). A ValueError naming the targets that have one, for any other name."""
    module = models.load(name) if name in models.TARGETS else None
    if module is None or not hasattr(module, "graph_step"):
        raise ValueError(f"no training step to draw for model {name!r}; choose one of: {', '.join(drawable())}")
    return module.graph_step


def drawable():
    """The targets whose training step ``tgg graph`` can draw (those defining ``graph_step``)."""
    return [name for name in models.TARGETS if hasattr(models.load(name), "graph_step")]


def backward_each(losses, params):
    """Each loss's backward, keeping the graph. A parameter that several losses reach (a GAN's D, through J_G) keeps
    the gradient of the first loss only, the one its optimizer steps on in training."""
    owners = {}
    for loss in losses.values():
        before = {id(p): p.grad for p in _parameters(params)}
        loss.backward(retain_graph=True)
        for p in _parameters(params):
            if id(p) in owners:
                p.grad = before[id(p)]  # a later loss's gradient is not what this parameter trains on
            elif p.grad is not None:
                owners[id(p)] = loss
    return losses


def _parameters(params):
    if hasattr(params, "parameters"):
        return list(params.parameters())
    return [p for m in params.values() for p in m.parameters()]


def build_parser():
    """The options of ``tgg graph``."""
    parser = Parser(prog="tgg graph", description=__doc__.split("\n\n")[0].split(": ", 1)[-1],
                    formatter_class=argparse.RawDescriptionHelpFormatter,
                    epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("model", help="the model whose training step is drawn (a tgg train target)")
    parser.add_argument("--out", default=None, help="output file: .svg, .png or .dot (default MODEL_graph.svg)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--depth", type=int, default=None, help="one box per Module call at this call depth")
    group.add_argument("--no-collapse", action="store_true", help="draw every op")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def main(argv=None):
    """``tgg graph MODEL``: draw one training step's graph; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        step = step_of(args.model)
    except ValueError as e:
        print(f"tgg graph: {e}", file=sys.stderr)
        return 2
    out = args.out
    if out is None:
        out = f"{args.model}_graph.svg"
        if shutil.which("dot") is None:
            out = f"{args.model}_graph.dot"
            print(f"tgg graph: Graphviz's `dot` is not installed, so writing {out} instead of a picture; "
                  f"{viz.INSTALL_DOT}", file=sys.stderr)
    tg.manual_seed(args.seed)
    with viz.record_modules():
        losses, params = step()
    backward_each(losses, params)
    collapse = False if args.no_collapse else (args.depth if args.depth is not None else True)
    graph = tg.draw(*losses.values(), params=[params, losses], collapse=collapse)
    graph.save(out)
    print(f"tgg graph: wrote {out} ({graph.nodes} nodes, {graph.edges} edges; one training step of {args.model})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
