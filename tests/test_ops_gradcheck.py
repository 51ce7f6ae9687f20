"""Every core op's backward rule against float64 central differences, on shapes hypothesis draws (broadcasting
included), and its second derivatives (gradgradcheck) on the table's shapes."""
import importlib
import inspect
import pkgutil

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_gen as tg
import tinygrad_gen.ops
from tinygrad_gen.op_cases import CORE

BY_NAME = {c.name: c for c in CORE}
DRAWN = [c.name for c in CORE if c.draw != "fixed"]
FIXED = [c.name for c in CORE if c.draw == "fixed"]


def shapes_for(case):
    """A hypothesis strategy of input-shape tuples that ``case`` accepts."""
    n = len(case.shapes)
    if case.draw == "broadcast":
        return hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=3, max_side=3).map(
            lambda bs: bs.input_shapes)
    one = hnp.array_shapes(min_dims=max(case.min_ndim, 0), max_dims=3, min_side=1, max_side=3)
    if case.draw == "any" and case.min_ndim == 0:
        one = st.one_of(st.just(()), one)
    return one.map(lambda shape: (shape,) * n)


@pytest.mark.parametrize("name", DRAWN)
@given(data=st.data())
def test_backward_matches_finite_differences_on_drawn_shapes(name, data):
    case = BY_NAME[name]
    shapes = data.draw(shapes_for(case), label="shapes")
    seed = data.draw(st.integers(0, 2 ** 16), label="seed")
    inputs = case.inputs(np.random.default_rng(seed), shapes)
    assert tg.gradcheck(case.fn, inputs)


@pytest.mark.parametrize("name", FIXED)
def test_backward_matches_finite_differences_on_fixed_shapes(name):
    case = BY_NAME[name]
    assert tg.gradcheck(case.fn, case.inputs(np.random.default_rng(1)))


@pytest.mark.parametrize("name", [c.name for c in CORE])
def test_second_derivatives_match_finite_differences(name):
    case = BY_NAME[name]
    assert tg.gradgradcheck(case.fn, case.inputs(np.random.default_rng(2)))


def test_the_broadcast_strategy_really_broadcasts():
    """The drawn shapes for binary ops include pairs that differ (so unbroadcast is exercised)."""
    seen = []

    @given(shapes_for(BY_NAME["add"]))
    def collect(shapes):
        seen.append(shapes)
    collect()
    assert any(a != b for a, b in seen)


def test_every_op_documents_its_forward_and_backward():
    """The docstring of each Function in tinygrad_gen.ops states the math of both passes."""
    undocumented = []
    for info in pkgutil.iter_modules(tinygrad_gen.ops.__path__):
        module = importlib.import_module(f"tinygrad_gen.ops.{info.name}")
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and issubclass(cls, tg.Function) and cls.__module__ == module.__name__:
                doc = cls.__doc__ or ""
                if "backward" not in doc or "=" not in doc:
                    undocumented.append(f"{info.name}.{name}")
    assert undocumented == []
