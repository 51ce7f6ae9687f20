"""Normalisation: F.layer_norm, F.batch_norm and their ops Standardize, InvStd, BatchNorm (ops/normalization.py),
with the fast paths of ops/fast/normalization.py against the plain ops."""
import numpy as np
import pytest
import torch
from family_checks import FamilyChecks, leaves, matches_torch, normal_grad
from hypothesis import given, settings, strategies as st

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import dispatch
from tinygrad_gen.ops import normalization
from tinygrad_gen.ops.fast.normalization import FastBatchNorm, FastStandardize
from tinygrad_gen.ops.normalization import BatchNorm, InvStd, Standardize

T = torch.nn.functional
TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}


class TestNormalizationRows(FamilyChecks):
    family = normalization


# ----- layer norm -----
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,normalized", [((3, 4), (4,)), ((2, 3, 5, 40), (5, 40)), ((4, 700), (700,))])
def test_layer_norm_with_weight_and_bias_matches_torchs_fused_function(shape, normalized, dtype):
    rng = np.random.default_rng(1)
    arrays = (rng.standard_normal(shape) * 3 - 1, rng.standard_normal(normalized), rng.standard_normal(normalized))
    matches_torch(lambda x, w, b: F.layer_norm(x, normalized, w, b, eps=1e-3),
                  lambda x, w, b: T.layer_norm(x, normalized, w, b, eps=1e-3), arrays, dtype, grad=normal_grad)


def test_layer_norm_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"layer_norm.*\(5,\).*\(2, 4\)"):
        F.layer_norm(tg.randn(2, 4), 5)


def test_layer_norm_weight_of_the_wrong_shape_is_an_error():
    with pytest.raises(ValueError, match=r"layer_norm: weight of shape \(3,\).*\(4,\)"):
        F.layer_norm(tg.randn(2, 4), 4, weight=tg.ones(3))


def test_layer_norm_array_parameters_join_in_the_input_dtype():
    y = F.layer_norm(tg.randn(2, 4), (4,), np.ones(4), np.zeros(4))  # float64 arrays, a float32 x
    assert y.dtype == np.float32


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2 ** 16), lead=st.lists(st.integers(1, 3), max_size=2),
       normalized=st.lists(st.integers(2, 4), min_size=1, max_size=2))
def test_standardize_and_inv_std_pass_gradcheck_and_gradgradcheck_on_their_own(seed, lead, normalized):
    x = leaves(np.random.default_rng(seed).standard_normal(tuple(lead) + tuple(normalized)))[0]
    axes = tuple(range(x.ndim - len(normalized), x.ndim))
    assert tg.gradcheck(lambda x: Standardize.apply(x, axes, 1e-5), [x])
    assert tg.gradgradcheck(lambda x: Standardize.apply(x, axes, 1e-5), [x])
    assert tg.gradcheck(lambda x: InvStd.apply(x, axes, 0.1), [x])
    assert tg.gradgradcheck(lambda x: InvStd.apply(x, axes, 0.1), [x])


def test_standardized_rows_have_zero_mean_and_unit_variance():
    y = F.layer_norm(tg.randn(5, 64, dtype=np.float64) * 4 + 3, 64, eps=0.0).numpy()
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(-1), 1, rtol=1e-12)


# ----- batch norm -----
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (2, 3, 8, 8)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch(shape, affine, dtype):
    rng = np.random.default_rng(2)
    c = shape[1]
    arrays = (rng.standard_normal(shape) * 2 + 0.5, *(rng.standard_normal((2, c)) if affine else (None, None)))
    matches_torch(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                  lambda x, w, b: T.batch_norm(x, None, None, w, b, training=True), arrays, dtype, grad=normal_grad)


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
    y = F.batch_norm(tg.randn(16, 3, 4, 4) * 5 + 2, None, None).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-3)


def test_batch_norm_gradgradcheck_on_long_spatial_rows():
    x, w, b = leaves(*(np.random.default_rng(3).standard_normal(s) for s in ((2, 2, 4, 8), (2,), (2,))))
    assert tg.gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b) ** 2, [x, w, b])


def test_batch_norm_running_stats_of_wrong_size_raise_before_anything_changes():
    rm, rv = tg.zeros(3), tg.ones(2)
    with pytest.raises(ValueError, match=r"batch_norm: running_var of shape \(2,\).*3 channels"):
        F.batch_norm(tg.randn(4, 3), rm, rv)
    assert rm.tolist() == [0, 0, 0]


def test_batch_norm_training_on_one_value_per_channel_is_an_error():
    with pytest.raises(ValueError, match="batch_norm: training needs more than 1 value per channel"):
        F.batch_norm(tg.randn(1, 3), tg.zeros(3), tg.ones(3))


def test_batch_norm_eval_without_running_stats_is_an_error():
    with pytest.raises(ValueError, match="batch_norm: evaluation mode"):
        F.batch_norm(tg.randn(4, 3), None, None, training=False)


def test_batch_norm_of_a_vector_is_an_error_naming_the_shape():
    with pytest.raises(ValueError, match=r"batch_norm: expected x of shape \(N, C\).*\(5,\)"):
        F.batch_norm(tg.randn(5), None, None)


# ----- the fast paths against the plain ops -----
def test_the_fast_paths_are_registered_for_the_plain_ops():
    assert dispatch.FAST_PATHS[Standardize].fast is FastStandardize
    assert dispatch.FAST_PATHS[BatchNorm].fast is FastBatchNorm
    with dispatch.kernels("reference"):
        assert dispatch.pick(BatchNorm) is BatchNorm and dispatch.pick(Standardize) is Standardize


def _layer_norm_run(mode, x, w, b, normalized, dtype):
    xs = leaves(x, w, b, dtype=dtype)
    with dispatch.kernels(mode):
        y = F.layer_norm(xs[0], normalized, xs[1], xs[2])
        y.backward(tg.tensor(np.cos(np.arange(y.numel())).reshape(y.shape), dtype=dtype))
    return [y.numpy()] + [t.grad.numpy() for t in xs]


# rows of 40 (the BLAS sum and the per-row dots), 600 (dots, NumPy's sum: over 512) and 8 (NumPy's sum and d * d)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,normalized", [((64, 40), (40,)), ((3, 2, 4, 600), (4, 600)), ((5, 8), (8,))])
def test_fast_layer_norm_gives_the_plain_values_and_gradients(shape, normalized, dtype):
    rng = np.random.default_rng(4)
    arrays = (rng.standard_normal(shape) * 2 + 1, rng.standard_normal(normalized), rng.standard_normal(normalized))
    for got, want in zip(_layer_norm_run("fast", *arrays, normalized, dtype),
                         _layer_norm_run("reference", *arrays, normalized, dtype)):
        np.testing.assert_allclose(got, want, **TOL[dtype])


def _batch_norm_run(mode, x, w, b, dtype):
    c = x.shape[1]
    rm, rv = tg.tensor(np.linspace(-1, 1, c), dtype=dtype), tg.tensor(np.linspace(0.5, 2, c), dtype=dtype)
    xs = leaves(x, w, b, dtype=dtype)
    with dispatch.kernels(mode):
        y = F.batch_norm(xs[0], rm, rv, xs[1], xs[2], training=True, momentum=0.3)
        y.backward(tg.tensor(np.sin(np.arange(y.numel())).reshape(y.shape), dtype=dtype))
    return [y.numpy(), rm.numpy(), rv.numpy()] + [None if t is None else t.grad.numpy() for t in xs]


# 64 and 40 values per channel and sample (the BLAS sums down the batch, the dots), 3 (below the dots' 32), (N, C)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(4, 8, 8, 8), (32, 5, 40), (6, 4, 3), (40, 6)])
@pytest.mark.parametrize("affine", [True, False])
def test_fast_batch_norm_gives_the_plain_values_gradients_and_running_stats(shape, affine, dtype):
    rng = np.random.default_rng(5)
    c = shape[1]
    arrays = (rng.standard_normal(shape) * 3 - 2, *(rng.standard_normal((2, c)) if affine else (None, None)))
    for got, want in zip(_batch_norm_run("fast", *arrays, dtype), _batch_norm_run("reference", *arrays, dtype)):
        if want is not None:
            np.testing.assert_allclose(got, want, **TOL[dtype])


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_batch_norm_second_derivatives_agree_on_both_paths(mode):
    x, w, b = leaves(*(np.random.default_rng(6).standard_normal(s) for s in ((2, 3, 6, 6), (3,), (3,))))
    with dispatch.kernels(mode):
        assert tg.gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b) ** 2, [x, w, b])


def test_batch_norm_input_changed_in_place_after_forward_is_caught_on_both_paths():
    for mode in ("fast", "reference"):
        x = tg.randn(4, 3, 6, 6, requires_grad=True)
        with dispatch.kernels(mode):
            y = F.batch_norm(x, None, None, tg.ones(3), tg.zeros(3))
        with tg.no_grad():
            x.add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            (y * y).sum().backward()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_eval_matches_torchs_fused_function(affine, dtype):
    rng = np.random.default_rng(7)
    mean, var = np.linspace(-1, 1, 3), np.linspace(0.5, 2, 3)
    arrays = (rng.standard_normal((4, 3, 5)), *(rng.standard_normal((2, 3)) if affine else (None, None)))
    matches_torch(
        lambda x, w, b: F.batch_norm(x, tg.tensor(mean, dtype=dtype), tg.tensor(var, dtype=dtype), w, b, False),
        lambda x, w, b: T.batch_norm(x, torch.tensor(mean, dtype=x.dtype), torch.tensor(var, dtype=x.dtype), w, b,
                                False), arrays, dtype, grad=normal_grad)


# ----- from the retired tests/test_functional_norm.py -----
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("has_weight", [True, False])
def test_batch_norm_with_only_a_weight_or_only_a_bias_matches_torch(has_weight, dtype):
    """One affine parameter without the other, on 64 pixels per channel (the fast path's BLAS sums and dots):
    the gradient of the one given, and of x, as PyTorch's; and a float64 gradcheck."""
    rng = np.random.default_rng(1)
    x, p = rng.standard_normal((2, 3, 8, 8)) * 2 + 0.5, rng.standard_normal(3)

    def call(fn, x, p):
        return fn(x, None, None, p if has_weight else None, None if has_weight else p, training=True)

    ours = [tg.tensor(a, dtype=dtype, requires_grad=True) for a in (x, p)]
    theirs = [torch.tensor(np.asarray(a, dtype), requires_grad=True) for a in (x, p)]
    y, yt = call(F.batch_norm, *ours), call(T.batch_norm, *theirs)
    assert y.dtype == dtype
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), **TOL[dtype])
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(tg.tensor(g, dtype=dtype))
    yt.backward(torch.from_numpy(g))
    for i, (a, t) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), **TOL[dtype], err_msg=f"gradient {i}")
    if dtype == np.float64:
        assert tg.gradcheck(lambda x, p: call(F.batch_norm, x, p),
                            [tg.tensor(a, dtype=np.float64, requires_grad=True) for a in (x, p)])
