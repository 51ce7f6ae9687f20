"""The BLAS reductions of ``ops/fast_math`` against NumPy in float64, on both sides of their length thresholds."""
import numpy as np
from hypothesis import given, settings, strategies as st

from tinygrad_gen.ops.fast_math import fast_mean, fast_sum, mean_square


@st.composite
def reduction_cases(draw):
    """An array (C-contiguous, or a transposed view) and axes in one of the layouts the helpers special-case
    (trailing axes, all but axis 1) or another; rows from 1 to 600 long, so both sides of the 32 and 512 limits."""
    nd = draw(st.integers(2, 4))
    shape = [draw(st.integers(1, 4)) for _ in range(nd)]
    shape[-1] = draw(st.sampled_from([1, 3, 31, 32, 70, 600]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    a = rng.standard_normal(shape) * 3 + 1
    if draw(st.booleans()):
        a = a.swapaxes(0, -1)  # not contiguous: the helpers must fall back to NumPy
    layouts = [tuple(range(k, a.ndim)) for k in range(1, a.ndim)] + [tuple(i for i in range(a.ndim) if i != 1)]
    axes = draw(st.sampled_from(layouts + [(0,), tuple(range(a.ndim))]))
    return a, axes


@settings(max_examples=60)
@given(case=reduction_cases())
def test_fast_sum_and_mean_equal_numpy(case):
    a, axes = case
    np.testing.assert_allclose(fast_sum(a, axes), a.sum(axis=axes, keepdims=True), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(fast_mean(a, axes), a.mean(axis=axes, keepdims=True), rtol=1e-12, atol=1e-12)


@settings(max_examples=60)
@given(case=reduction_cases())
def test_mean_square_equals_numpy(case):
    a, axes = case
    out = mean_square(a, axes)
    assert out.shape == a.mean(axis=axes, keepdims=True).shape
    np.testing.assert_allclose(out, (a * a).mean(axis=axes, keepdims=True), rtol=1e-12)


def test_mean_square_keeps_float32():
    a = np.random.default_rng(0).standard_normal((4, 3, 8, 8)).astype(np.float32)
    assert mean_square(a, (0, 2, 3)).dtype == np.float32 and fast_sum(a, (0, 2, 3)).dtype == np.float32
