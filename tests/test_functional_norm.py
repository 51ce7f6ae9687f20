"""F.layer_norm and F.batch_norm: gradients, second order, PyTorch agreement, running statistics."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from functional_helpers import assert_matches_torch, gradcheck, gradgradcheck

T = torch.nn.functional
DTYPES = [np.float32, np.float64]


@st.composite
def layer_norm_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    lead = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    normalized = tuple(draw(st.lists(st.integers(2, 4), min_size=1, max_size=2)))
    return (rng.standard_normal(lead + normalized), rng.standard_normal(normalized),
            rng.standard_normal(normalized), normalized)


@given(case=layer_norm_cases())
def test_layer_norm_gradcheck(case):
    x, w, b, shape = case
    assert gradcheck(lambda x, w, b: F.layer_norm(x, shape, w, b), [x, w, b])


@given(case=layer_norm_cases())
def test_layer_norm_without_affine_gradcheck(case):
    x, _, _, shape = case
    assert gradcheck(lambda x: F.layer_norm(x, shape), [x])


@settings(max_examples=4)
@given(case=layer_norm_cases())
def test_layer_norm_gradgradcheck(case):
    x, w, b, shape = case
    assert gradgradcheck(lambda x, w, b: F.layer_norm(x, shape, w, b), [x, w, b])


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=8)
@given(case=layer_norm_cases())
def test_layer_norm_matches_torch(case, dtype):
    x, w, b, shape = case
    assert_matches_torch(lambda x, w, b: F.layer_norm(x, shape, w, b, eps=1e-3),
                         lambda x, w, b: T.layer_norm(x, shape, w, b, eps=1e-3), [x * 2 + 1, w, b], dtype)


@st.composite
def batch_norm_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    c = draw(st.integers(1, 3))
    n, h, w = draw(st.integers(2, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    shape = draw(st.sampled_from([(n, c), (2, c, h, w), (1, c, 2, 2), (3, c, 2)]))
    return rng.standard_normal(shape), rng.standard_normal(c), rng.standard_normal(c)


@given(case=batch_norm_cases())
def test_batch_norm_training_gradcheck(case):
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), list(case))


@given(case=batch_norm_cases())
def test_batch_norm_eval_gradcheck(case):
    x, w, b = case
    rm, rv = tg.tensor(np.linspace(-1, 1, len(w)), dtype=np.float64), tg.tensor(np.linspace(0.5, 2, len(w)),
                                                                                   dtype=np.float64)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), [x, w, b])


@settings(max_examples=4)
@given(case=batch_norm_cases())
def test_batch_norm_gradgradcheck(case):
    assert gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b), list(case))


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=8)
@given(case=batch_norm_cases())
def test_batch_norm_training_matches_torch(case, dtype):
    assert_matches_torch(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                         lambda x, w, b: T.batch_norm(x, None, None, w, b, training=True), list(case), dtype)


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 5), (4, 3, 6)])
def test_batch_norm_running_stats_follow_torch_over_train_and_eval_steps(shape):
    rng = np.random.default_rng(0)
    c = shape[1]
    rm, rv = tg.zeros(c, dtype=np.float64), tg.ones(c, dtype=np.float64)
    rmt, rvt = torch.zeros(c, dtype=torch.float64), torch.ones(c, dtype=torch.float64)
    w, b = rng.standard_normal(c), rng.standard_normal(c)
    for step in range(5):
        x = rng.standard_normal(shape) * (step + 1) + step
        training = step != 3
        y = F.batch_norm(tg.tensor(x, dtype=np.float64), rm, rv, tg.tensor(w, dtype=np.float64),
                         tg.tensor(b, dtype=np.float64), training=training, momentum=0.3)
        yt = T.batch_norm(torch.tensor(x), rmt, rvt, torch.tensor(w), torch.tensor(b), training=training,
                          momentum=0.3)
        np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(rm.numpy(), rmt.numpy(), rtol=1e-12)
        np.testing.assert_allclose(rv.numpy(), rvt.numpy(), rtol=1e-12)


def test_batch_norm_running_var_uses_the_unbiased_batch_variance():
    x = np.array([[1.0], [2.0], [4.0]])
    rm, rv = tg.zeros(1, dtype=np.float64), tg.zeros(1, dtype=np.float64)
    F.batch_norm(tg.tensor(x, dtype=np.float64), rm, rv, momentum=1.0)
    assert np.isclose(rm.item(), 7 / 3) and np.isclose(rv.item(), np.var(x, ddof=1))


def test_batch_norm_eval_does_not_move_running_stats():
    rm, rv = tg.tensor([0.5, -0.5]), tg.tensor([2.0, 3.0])
    F.batch_norm(tg.randn(4, 2), rm, rv, training=False)
    assert rm.tolist() == [0.5, -0.5] and rv.tolist() == [2.0, 3.0]


def test_batch_norm_output_has_zero_mean_unit_variance_per_channel():
    x = tg.randn(16, 3, 4, 4) * 5 + 2
    y = F.batch_norm(x, None, None).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-3)


@settings(max_examples=6)
@given(case=layer_norm_cases())
def test_standardize_and_inv_std_pass_gradcheck_and_gradgradcheck_on_their_own(case):
    from tinygrad_gen.ops.normalization import InvStd, Standardize
    x, _, _, shape = case
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    assert gradcheck(lambda x: Standardize.apply(x, axes, 1e-5), [x])
    assert gradcheck(lambda x: InvStd.apply(x, axes, 0.1), [x])
    assert gradgradcheck(lambda x: InvStd.apply(x, axes, 0.1), [x])



@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, True), (False, False)])
def test_batch_norm_on_long_spatial_rows_gradchecks_and_matches_torch(affine):
    """64 pixels per channel: the BLAS sums and dots of ``fast_math`` run (the small hypothesis shapes use the
    NumPy fallbacks), with and without the affine parameters."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 8, 8)) * 2 + 0.5
    w = rng.standard_normal(3) if affine[0] else None
    b = rng.standard_normal(3) if affine[1] else None
    arrays = [a for a in (x, w, b) if a is not None]

    def call(fn, t, *rest):
        it = iter(rest)
        return fn(t, None, None, next(it) if affine[0] else None, next(it) if affine[1] else None, training=True)

    assert gradcheck(lambda *a: call(F.batch_norm, *a), arrays)
    assert_matches_torch(lambda *a: call(F.batch_norm, *a), lambda *a: call(T.batch_norm, *a), arrays, np.float32)


def test_layer_norm_on_long_rows_matches_torch():
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((3, 5, 40)) * 3 - 1, rng.standard_normal(40), rng.standard_normal(40)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (40,), w, b), [x[:1, :2], w, b])
    assert_matches_torch(lambda x, w, b: F.layer_norm(x, (40,), w, b), lambda x, w, b: T.layer_norm(x, (40,), w, b),
                         [x, w, b], np.float32)


def test_batch_norm_gradgradcheck_on_long_spatial_rows():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 2, 4, 8)), rng.standard_normal(2), rng.standard_normal(2)
    assert gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b) ** 2, [x, w, b])
