"""``tgg explain OP [--seed S]``: an op's derivation, then its Jacobian two ways, side by side.

OP is a case of ``tinygrad_gen.op_cases`` (``tgg gradcheck`` lists them: tanh, matmul, softmax, F.gelu, ...).
Prints the docstring (``forward:``/``backward:`` derivation) of each Function the op builds, then runs it on a tiny
float64 input and prints, for each input and output, the analytical Jacobian (from ``backward``, one one-hot
gradient per output element) next to the central-difference one: exactly what ``gradcheck`` compares. Exit status 0
when they agree, 1 otherwise.
"""
import argparse
import inspect
import sys
import warnings

import numpy as np

from tinygrad_gen import autograd
from tinygrad_gen.autograd import no_grad
from tinygrad_gen.gradcheck import analytical_jacobian, max_errors, mismatch, numerical_jacobian, output_shapes
from tinygrad_gen.op_cases import all_cases
from tinygrad_gen.tensor import Tensor

from .parsing import Parser

SHOWN = 8  # rows and columns of a Jacobian printed in full


def find_case(name):
    """The OpCase row named ``name`` (case-insensitive), or exit naming the known ones."""
    cases = all_cases()
    for case in cases:
        if case.name == name or case.name.lower() == name.lower():
            return case
    raise SystemExit(f"tgg explain: unknown op {name!r}; known: {', '.join(c.name for c in cases)}")


def tiny_inputs(case, rng):
    """Inputs with every axis cut to at most 2 (broadcasting stays valid), or the case's own shapes where the op
    refuses those (a convolution's kernel, targets of a fixed length)."""
    tiny = tuple(tuple(min(n, 2) for n in shape) for shape in case.shapes)
    if case.draw != "fixed":
        return case.inputs(rng, tiny)
    inputs = case.inputs(rng, tiny)
    try:
        with no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            case.fn(*inputs)
        return inputs
    except Exception:  # the fixed shapes are what this op needs
        return case.inputs(rng)


def functions_used(fn, inputs):
    """The Function classes of the graph ``fn`` builds, in the order the forward ran them, each once."""
    out = fn(*inputs)
    outs = [o for o in (out if isinstance(out, (tuple, list)) else (out,)) if isinstance(o, Tensor)]
    order, seen = [], set()
    for o in outs:
        if o._ctx is None:
            continue
        for node in reversed(autograd._topological_order([o._ctx])):
            if node.fn not in seen:
                seen.add(node.fn)
                order.append(node.fn)
    return order


def _matrix(a):
    a = a + 0.0  # -0.0 prints as 0.0
    return np.array2string(a, precision=4, suppress_small=True, floatmode="fixed", max_line_width=10_000).split("\n")


def side_by_side(left, right, titles):
    """Two matrices' text next to each other, under their titles."""
    a, b = _matrix(left), _matrix(right)
    width = max(len(titles[0]), *(len(line) for line in a))
    lines = [f"{titles[0]:<{width}}   {titles[1]}"]
    lines += [f"{x:<{width}}   {y}" for x, y in zip(a, b)]
    return "\n".join(lines)


def explain(case, seed=0, out=None):
    """Print the op's derivation (its docstring) and its analytical vs numerical Jacobian on tiny inputs."""
    out = out or sys.stdout
    inputs = tiny_inputs(case, np.random.default_rng(seed))
    print(f"== {case.name}: the derivation", file=out)
    for fn in functions_used(case.fn, inputs):
        print(f"\n{fn.__name__}  ({fn.__module__})", file=out)
        print("    " + (inspect.getdoc(fn) or "(no docstring)").replace("\n", "\n    "), file=out)
    for t in inputs:
        t.grad = None
    shapes = output_shapes(case.fn, inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        num = numerical_jacobian(case.fn, inputs)
        ana = analytical_jacobian(case.fn, inputs)
    print(f"\n== {case.name}: the Jacobian d out[j] / d in[i], row j, column i (float64 inputs of shapes "
          f"{', '.join(str(tuple(t.shape)) for t in inputs)}; outputs {', '.join(str(tuple(s)) for s in shapes)})",
          file=out)
    for i, (n_in, a_in) in enumerate(zip(num, ana)):
        for k, (n, a) in enumerate(zip(n_in or (), a_in or ())):
            n, a = n.T, a.T  # stored as (input element, output element)
            part = ""
            if n.shape[0] > SHOWN or n.shape[1] > SHOWN:
                part = f", its first {min(SHOWN, n.shape[0])} x {min(SHOWN, n.shape[1])} of {n.shape[0]} x {n.shape[1]}"
                n, a = n[:SHOWN, :SHOWN], a[:SHOWN, :SHOWN]
            print(f"\ninput {i}, output {k}{part}:", file=out)
            print(side_by_side(a, n, ("analytical (backward)", "central differences, eps = 1e-6")), file=out)
    abs_err, rel_err = max_errors(num, ana)
    message = mismatch(num, ana, inputs, 1e-5, 1e-3, out_shapes=shapes)
    print(f"\nmax abs error {abs_err:.2e}, max rel error {rel_err:.2e}: "
          + ("they agree (atol 1e-5, rtol 1e-3)" if message is None else f"MISMATCH: {message}"), file=out)
    return 0 if message is None else 1


def main(argv=None):
    """``tgg explain OP``; returns the exit status."""
    parser = Parser(prog="tgg explain", formatter_class=argparse.RawDescriptionHelpFormatter,
                    description=__doc__.split("\n\n")[0].split(": ", 1)[-1],
                    epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("op", help="an op of tgg gradcheck's table, e.g. tanh, matmul, F.gelu")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random input")
    args = parser.parse_args(argv)
    return explain(find_case(args.op), args.seed)


if __name__ == "__main__":
    sys.exit(main())
