"""``tgg gradcheck [FILE.py] [--op NAME]``: check backward rules against central finite differences.

Without FILE, every built-in op of ``tinygrad_gen.op_cases`` (core Tensor ops and the ``F`` functions) is checked on
random float64 inputs. With FILE, the file is imported and each ``tg.Function`` subclass defined in it is checked:
the exercise workflow of writing a forward and a backward, then checking them.

Inputs of a Function in FILE (the convention):
  * if the class has a static method ``example_inputs()``, it returns the arguments of ``apply``: NumPy arrays and
    float Tensors become float64 leaf Tensors that require grad (these are checked), anything else (ints, flags,
    integer index arrays given as Tensors) is passed through as is;
  * otherwise the Function gets one float64 input of shape (3, 4) drawn from a standard normal.

Example FILE::

    import tinygrad_gen as tg

    class Cube(tg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * x * x

Prints one row per op (op, input shapes, max abs error, max rel error, pass), then a line naming the first
disagreeing element of each failure. Exit status 0 when all pass, 1 otherwise.
"""
import argparse
import importlib.util
import inspect
import pathlib
import sys
import warnings

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen.gradcheck import analytical_jacobian, max_errors, mismatch, numerical_jacobian, output_shapes

from .parsing import Parser


def check(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Gradcheck ``fn`` on ``inputs``: (max abs error, max rel error, None or the message naming the bad element)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        num = numerical_jacobian(fn, inputs, eps)
        ana = analytical_jacobian(fn, inputs)
    abs_err, rel_err = max_errors(num, ana, atol)
    return abs_err, rel_err, mismatch(num, ana, inputs, atol, rtol, out_shapes=output_shapes(fn, inputs))


def builtin_checks(names=None, seed=0):
    """(name, fn, inputs) for every built-in op case, or only those named."""
    from tinygrad_gen.op_cases import all_cases
    rng = np.random.default_rng(seed)
    cases = all_cases()
    if names:
        unknown = sorted(set(names) - {c.name for c in cases})
        if unknown:
            raise SystemExit(f"gradcheck: unknown op {', '.join(unknown)}; known: {', '.join(c.name for c in cases)}")
        cases = [c for c in cases if c.name in names]
    return [(c.name, c.fn, c.inputs(rng)) for c in cases]


def _as_input(x):
    """Float arrays and float Tensors become float64 leaves that require grad; other arguments pass through."""
    if isinstance(x, tg.Tensor):
        return tg.tensor(x.numpy(), dtype=np.float64, requires_grad=True) if x.dtype.kind == "f" else x
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return tg.tensor(x, dtype=np.float64, requires_grad=True)
    return x


def file_checks(path, names=None, seed=0):
    """(name, fn, inputs) for each Function subclass defined in the Python file at ``path``."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise SystemExit(f"gradcheck: no such file {path}")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # so dataclasses and pickling inside the user's file resolve their module
    spec.loader.exec_module(module)
    rng = np.random.default_rng(seed)
    checks = []
    for name, cls in list(vars(module).items()):  # in the order the file defines them
        defined_here = inspect.isclass(cls) and issubclass(cls, tg.Function) and cls.__module__ == module.__name__
        if not defined_here or (names and name not in names):
            continue
        if hasattr(cls, "example_inputs"):
            inputs = [_as_input(x) for x in cls.example_inputs()]
        else:
            inputs = [tg.tensor(rng.standard_normal((3, 4)), dtype=np.float64, requires_grad=True)]
        checks.append((name, cls.apply, inputs))
    if not checks:
        raise SystemExit(f"gradcheck: {path} defines no subclass of tinygrad_gen.Function"
                         + (f" named {', '.join(names)}" if names else ""))
    return checks


def _shapes(inputs):
    return ", ".join(str(tuple(x.shape)) for x in inputs if isinstance(x, tg.Tensor) and x.requires_grad)


def run(checks, out=None):
    """Check each (name, fn, inputs), print the table and the failures; return the number of failures."""
    out = out or sys.stdout
    width = max(len("op"), *(len(name) for name, _, _ in checks))
    shape_width = max(len("inputs"), *(len(_shapes(inputs)) for _, _, inputs in checks))
    print(f"{'op':<{width}}  {'inputs':<{shape_width}}  {'max abs err':>11}  {'max rel err':>11}  pass", file=out)
    failures = []
    for name, fn, inputs in checks:
        try:
            abs_err, rel_err, message = check(fn, inputs)
            errors = f"{abs_err:11.2e}  {rel_err:11.2e}"
        except Exception as e:  # a backward that crashes is a failed check, reported like the others
            message = f"{type(e).__name__}: {e}"
            errors = f"{'-':>11}  {'-':>11}"
        print(f"{name:<{width}}  {_shapes(inputs):<{shape_width}}  {errors}  {'ok' if message is None else 'FAIL'}",
              file=out)
        if message is not None:
            failures.append((name, message))
    for name, message in failures:
        print(f"FAIL {name}: {message}", file=out)
    print(f"{len(checks) - len(failures)} of {len(checks)} passed", file=out)
    return len(failures)


def main(argv=None):
    """``tgg gradcheck [FILE] [OPS ...]``; returns 1 when any check fails."""
    parser = Parser(prog="tgg gradcheck", formatter_class=argparse.RawDescriptionHelpFormatter,
                    description="Check backward rules against central finite differences.",
                    epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("file", nargs="?", help="a Python file whose Function subclasses are checked")
    parser.add_argument("--op", action="append", help="check only this op (or Function class); repeatable")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    args = parser.parse_args(argv)
    checks = file_checks(args.file, args.op, args.seed) if args.file else builtin_checks(args.op, args.seed)
    return 1 if run(checks) else 0


if __name__ == "__main__":
    sys.exit(main())
