"""Every built-in differentiable op's test rows, gathered from the op families.

Each family in ``tinygrad_gen/ops/`` keeps its own ``CASES`` (``OpCase`` rows: how to call the op, the shapes it
takes, how to sample inputs away from kinks, its PyTorch twin). This module only gathers them: ``tgg gradcheck``,
``tgg explain`` and the tests walk ``all_cases()``; ``cases_by_family()`` keeps the families apart.
"""
from __future__ import annotations

from .ops import FAMILIES
from .ops.case import (OpCase, clip_inputs, distinct, index_pattern, nonzero, normal, pattern,  # noqa: F401 (re-exported)
                       positive)


def family_name(family) -> str:
    """'reductions' for tinygrad_gen.ops.reductions."""
    return family.__name__.rsplit(".", 1)[-1]


def cases_by_family() -> dict:
    """{family name: its OpCase rows}, in the order of ``ops.FAMILIES``."""
    return {family_name(f): list(f.CASES) for f in FAMILIES}


def all_cases() -> list:
    """Every OpCase row of every family; names are unique."""
    cases = [c for f in FAMILIES for c in f.CASES]
    seen = set()
    for c in cases:
        if c.name in seen:
            raise RuntimeError(f"op_cases: two rows are named {c.name!r}")
        seen.add(c.name)
    return cases
