"""Softmax, log-softmax, masked softmax (ops/softmax.py): the family's rows, then stability, axes, empty and 0-d
tensors, masks, errors and the unshifted fast path."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from family_checks import FamilyChecks, matches_torch, normal_grad
from tinygrad_gen import dispatch
from tinygrad_gen.ops import softmax

T = torch.nn.functional


class TestSoftmaxRows(FamilyChecks):
    family = softmax


# ----- stability, axes, shapes -----
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_at_plus_minus_1e4_like_pytorch(name, dtype):
    x = tg.tensor([[-1e4, 1e4, 0.0], [1e4, 1e4, -1e4]], dtype=dtype, requires_grad=True)
    y = getattr(x, name)(axis=-1)
    (y * tg.tensor([[1.0, 2.0, 3.0], [1.0, -1.0, 2.0]], dtype=dtype)).sum().backward()
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    matches_torch(lambda a: getattr(F, name)(a, axis=-1), lambda a: getattr(T, name)(a, dim=-1),
                  [x.numpy()], dtype, grad=normal_grad)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_dim_and_axis_spellings_agree_and_both_together_are_an_error(name):
    x = tg.randn(3, 4)
    want = getattr(x, name)(axis=0).numpy()
    np.testing.assert_array_equal(getattr(x, name)(dim=0).numpy(), want)
    np.testing.assert_array_equal(getattr(tg, name)(x, dim=0).numpy(), want)
    np.testing.assert_array_equal(getattr(F, name)(x, dim=0).numpy(), want)
    with pytest.raises(TypeError, match=f"{name}: got both"):
        getattr(F, name)(x, axis=0, dim=1)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "masked_softmax"])
def test_an_axis_out_of_range_names_the_op_and_shape(name):
    fn = (lambda x, axis: F.masked_softmax(x, np.ones(4, bool), axis=axis)) if name == "masked_softmax" \
        else getattr(F, name)
    with pytest.raises(ValueError, match=rf"{name}: axis 2 is out of range for a tensor of shape \(3, 4\)"):
        fn(tg.randn(3, 4), axis=2)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, -1])
def test_a_0d_tensor_normalises_to_one_like_pytorch(name, axis):
    x = tg.tensor(1.5, dtype=np.float64, requires_grad=True)
    xt = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    y, yt = getattr(x, name)(axis=axis), getattr(xt, name)(dim=axis)
    assert y.shape == () and np.allclose(y.numpy(), yt.detach().numpy())
    (y * 3).backward()
    (yt * 3).backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1])
def test_an_empty_tensor_gives_an_empty_result_without_warnings(name, axis):
    x = tg.zeros(0, 3, dtype=np.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = getattr(x, name)(axis=axis)
    assert y.shape == (0, 3)
    y.sum().backward()
    assert x.grad.shape == (0, 3)


def test_softmax_rows_sum_to_one_and_log_softmax_is_its_log():
    x = tg.randn(4, 6, dtype=np.float64)
    p = x.softmax(axis=-1).numpy()
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(x.log_softmax(axis=-1).numpy(), np.log(p))


# ----- masked softmax -----
@st.composite
def masked_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    rows, cols = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    x = rng.standard_normal((2, rows, cols))
    mask_shape = draw(st.sampled_from([(2, rows, cols), (rows, cols), (1, cols), (cols,)]))
    return x, rng.random(mask_shape) < 0.6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1.0, 1e4])  # small scores take the unshifted fast path, large ones the row max
@settings(max_examples=8)
@given(case=masked_cases())
def test_masked_softmax_matches_pytorch_on_rows_that_keep_something(case, dtype, scale):
    x, mask = case
    x = x * scale
    mask = np.broadcast_to(mask, x.shape).copy()
    mask[..., 0] = True
    mt = torch.tensor(mask)
    matches_torch(lambda a: F.masked_softmax(a, mask),
                  lambda a: T.softmax(a.masked_fill(~mt, float("-inf")), dim=-1), [x], dtype, grad=normal_grad)


@pytest.mark.parametrize("mode", ["reference", "fast"])
def test_masked_softmax_row_that_keeps_nothing_is_zero_with_zero_gradient(mode):
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    mask = np.array([[True, False, True], [False, False, False]])
    with dispatch.kernels(mode):
        y = F.masked_softmax(x, mask)
    (y * tg.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])).sum().backward()
    assert np.array_equal(y.numpy()[1], np.zeros(3))
    assert np.isfinite(x.grad.numpy()).all() and np.array_equal(x.grad.numpy()[1], np.zeros(3))
    assert y.numpy()[0, 1] == 0 and np.isclose(y.numpy()[0].sum(), 1)


@pytest.mark.parametrize("mode", ["reference", "fast"])
@pytest.mark.parametrize("hidden", [np.inf, -np.inf, np.nan, 1e4])
def test_masked_softmax_ignores_whatever_the_masked_positions_hold(hidden, mode):
    x = np.array([[0.5, -1.0, 2.0, 0.0], [1.0, 3.0, -2.0, 0.5]], dtype=np.float32)
    mask = np.array([[True, True, False, True], [False, True, True, True]])
    with dispatch.kernels(mode):
        ours = F.masked_softmax(tg.tensor(np.where(mask, x, hidden).astype(np.float32)), mask).numpy()
    e = np.where(mask, np.exp(x), 0)
    np.testing.assert_allclose(ours, e / e.sum(axis=1, keepdims=True), rtol=1e-6)


def test_masked_softmax_along_another_axis():
    rng = np.random.default_rng(0)
    x, mask = rng.standard_normal((3, 4)), rng.random((3, 4)) < 0.7
    mask[0] = True
    ours = F.masked_softmax(tg.tensor(x, dtype=np.float64), mask, axis=0).numpy()
    e = np.where(mask, np.exp(x), 0)
    s = e.sum(axis=0, keepdims=True)
    np.testing.assert_allclose(ours, e / np.where(s > 0, s, 1), rtol=1e-12)


def test_masked_softmax_takes_a_tensor_mask():
    x = tg.randn(2, 3)
    keep = np.array([True, False, True])
    np.testing.assert_array_equal(F.masked_softmax(x, tg.tensor(keep)).numpy(), F.masked_softmax(x, keep).numpy())


def test_masked_softmax_non_boolean_mask_is_an_error():
    with pytest.raises(TypeError, match="masked_softmax: mask must be boolean"):
        F.masked_softmax(tg.randn(2, 3), np.ones((2, 3)))


@pytest.mark.parametrize("shape", [(2, 4), (3, 2, 3)])
def test_masked_softmax_mask_that_does_not_broadcast_to_x_is_an_error(shape):
    with pytest.raises(ValueError, match=rf"masked_softmax: mask of shape \({shape[0]}, .*x of shape \(2, 3\)"):
        F.masked_softmax(tg.randn(2, 3), np.ones(shape, bool))


# ----- the fast path against the plain op -----
FAST_TOL = {np.float64: dict(rtol=1e-12, atol=1e-15), np.float32: dict(rtol=1e-5, atol=1e-6)}


def _values_and_grads(x0, mask, axis):
    x = tg.tensor(x0, dtype=x0.dtype, requires_grad=True)
    y = F.masked_softmax(x, mask, axis=axis)
    y.backward(tg.tensor(np.sin(np.arange(y.numel())).reshape(y.shape), dtype=x0.dtype))
    return y.numpy(), x.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1.0, 20.0, 59.0, 61.0, 1e4])  # the fast path needs every |x| < 60
@pytest.mark.parametrize("layout", ["causal", "broadcast rows", "full mask", "axis 1"])
def test_fast_masked_softmax_matches_the_plain_op(layout, scale, dtype):
    rng = np.random.default_rng(0)
    x0 = np.clip(rng.standard_normal((2, 3, 70, 70)), -1, 1).astype(dtype) * dtype(scale)
    axis = 1 if layout == "axis 1" else -1
    mask = {"causal": np.tril(np.ones((70, 70), bool)), "broadcast rows": rng.random((1, 70)) < 0.5,
            "full mask": rng.random(x0.shape) < 0.3, "axis 1": rng.random((3, 70, 1)) < 0.7}[layout]
    with dispatch.kernels("reference"):
        want = _values_and_grads(x0, mask, axis)
    with dispatch.kernels("fast"):
        got = _values_and_grads(x0, mask, axis)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype == dtype
        np.testing.assert_allclose(g, w, **FAST_TOL[dtype])


def test_fast_masked_softmax_keeps_a_causal_row_blind_to_later_scores():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 6, 6)).astype(np.float32)
    later = x.copy()
    later[0, :3, 3:] += 5.0  # change only scores the causal mask hides from the first three rows
    keep = np.tril(np.ones((6, 6), bool))
    with dispatch.kernels("fast"):
        a, b = F.masked_softmax(tg.tensor(x), keep).numpy(), F.masked_softmax(tg.tensor(later), keep).numpy()
    np.testing.assert_array_equal(a[0, :3], b[0, :3])


# ----- softmin and normalize (issue 25) -----
def test_softmin_without_dim_takes_pytorchs_implicit_dim_with_a_warning():
    for shape in [(4,), (2, 3), (2, 3, 4), (2, 2, 3, 4)]:
        x0 = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
        with pytest.warns(UserWarning, match="implicit dimension"):
            got = F.softmin(tg.tensor(x0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = T.softmin(torch.tensor(x0))
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    np.testing.assert_allclose(F.softmin(tg.tensor([1.0, 2.0]), dim=0, dtype=np.float64).numpy(),
                               T.softmin(torch.tensor([1.0, 2.0]), dim=0, dtype=torch.float64).numpy())


def test_normalize_of_a_zero_row_is_zero_with_pytorchs_gradient():
    x0 = np.array([[0.0, 0.0, 0.0], [3.0, -4.0, 0.0]])
    for p in (2.0, 1, 3.0, float("inf")):
        x, xt = tg.tensor(x0, dtype=np.float64, requires_grad=True), torch.tensor(x0, requires_grad=True)
        y, yt = F.normalize(x, p=p, dim=1), T.normalize(xt, p=p, dim=1)
        w = np.arange(6.0).reshape(2, 3)
        (y * tg.tensor(w)).sum().backward()
        (yt * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("p", [0, -1, 0.5, 3, float("inf"), -float("inf")])
def test_normalize_takes_every_p_as_pytorch(p):
    x = np.array([[1.0, 0.0, -2.0], [0.0, 0.0, 0.0], [3.0, 1.0, 0.5]])
    ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, want = F.normalize(ours, p=p), torch.nn.functional.normalize(theirs, p=p)
    np.testing.assert_allclose(y.numpy(), want.detach().numpy(), rtol=1e-12)
    if p != 0:  # PyTorch's 0-norm has no gradient
        (y * y).sum().backward()
        (want * want).sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_normalize_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="normalize: p must be a number"):
        F.normalize(tg.ones(2, 3), p="fro")
    with pytest.raises(ValueError, match="normalize: axis 2 is out of range"):
        F.normalize(tg.ones(2, 3), dim=2)
    with pytest.raises(TypeError, match="floating point"):
        F.normalize(tg.tensor([[1, 2]]))
