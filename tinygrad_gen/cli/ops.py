"""``tgg ops [FAMILY ...] [--fast]``: where each op lives. For every op family (a file ``tinygrad_gen/ops/<family>.py``
and its tests ``tests/ops/test_<family>.py``): its Functions, the Tensor methods, ``tg.*`` and ``F.*`` names it
binds, and its test rows. ``--fast`` lists the registered fast paths instead: what each speeds up, and which
implementation runs now (``TGG_KERNELS``)."""
from __future__ import annotations

import inspect

from tinygrad_gen import dispatch
from tinygrad_gen.autograd import Function
from tinygrad_gen.ops import FAMILIES

from .parsing import Parser, description


def family_name(family) -> str:
    """'reductions' for the module tinygrad_gen.ops.reductions."""
    return family.__name__.rsplit(".", 1)[-1]


def functions_of(family) -> list:
    """The names of the Function classes defined in ``family``."""
    return [name for name, obj in vars(family).items()
            if inspect.isclass(obj) and issubclass(obj, Function) and obj.__module__ == family.__name__]


def family_lines(family) -> list:
    """The lines ``tgg ops`` prints for one family."""
    name = family_name(family)
    rows = family.BINDINGS
    methods = [m for r in rows for m in r.methods]
    lines = [f"{name}  (tinygrad_gen/ops/{name}.py, tests/ops/test_{name}.py)",
             f"  Functions: {', '.join(functions_of(family)) or '-'}",
             f"  Tensor methods: {', '.join(methods) or '-'}",
             f"  tg.*: {', '.join(n for r in rows for n in r.functions) or '-'}",
             f"  F.*: {', '.join(n for r in rows for n in r.functionals) or '-'}",
             f"  test rows: {', '.join(c.name for c in family.CASES) or '-'}"]
    return lines


def fast_path_lines() -> list:
    """One block per registered fast path: the plain op, the fast class, what it speeds up, which runs now."""
    lines = [f"TGG_KERNELS={dispatch.kernels_spec()}"]
    for plain, path in sorted(dispatch.FAST_PATHS.items(), key=lambda kv: kv[0].__name__):
        lines.append(f"{plain.__name__} -> {path.fast.__name__} ({path.fast.__module__}): "
                     f"runs {dispatch.mode_of(plain)}")
        lines.append(f"  {path.speeds_up}")
    for plain, path in sorted(dispatch.NUMBA_PATHS.items(), key=lambda kv: kv[0].__name__):
        lines.append(f"{plain.__name__} -> numba ({path.fast.__module__}){'' if path.preferred else ' [not in auto]'}"
                     f": runs {dispatch.mode_of(plain)}")
        lines.append(f"  {path.speeds_up}")
    return lines


def main(argv=None) -> int:
    """Print the families (or the fast paths); exit status 2 for an unknown family."""
    parser = Parser(prog="tgg ops", description=description(__doc__))
    parser.add_argument("families", nargs="*", help="only these families (default: all)")
    parser.add_argument("--fast", action="store_true", help="list the registered fast paths")
    args = parser.parse_args(argv)
    if args.fast:
        print("\n".join(fast_path_lines()))
        return 0
    known = {family_name(f): f for f in FAMILIES}
    unknown = [f for f in args.families if f not in known]
    if unknown:
        parser.error(f"unknown family {', '.join(unknown)}; known: {', '.join(known)}")
    for name in args.families or known:
        print("\n".join(family_lines(known[name])))
    return 0
