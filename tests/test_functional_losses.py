"""Losses: cross-entropy, NLL, BCE with logits, MSE — gradients, PyTorch agreement, reductions, stability at 1e4."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from functional_helpers import assert_matches_torch, gradcheck, gradgradcheck

T = torch.nn.functional
DTYPES = [np.float32, np.float64]
REDUCTIONS = ["mean", "sum", "none"]


@st.composite
def class_cases(draw):
    """Logits (N, C) or (N, C, d1[, d2]) and integer targets, some set to ignore_index (never all)."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    extra = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    target = rng.integers(0, c, (n,) + extra)
    ignored = rng.random(target.shape) < 0.3
    ignored.flat[0] = False
    return rng.standard_normal((n, c) + extra) * 2, np.where(ignored, -1, target)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(case=class_cases())
def test_cross_entropy_gradcheck(case, reduction):
    logits, target = case
    assert gradcheck(lambda x: F.cross_entropy(x, target, ignore_index=-1, reduction=reduction), [logits])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=6)
@given(case=class_cases())
def test_cross_entropy_matches_torch(case, reduction, dtype):
    logits, target = case
    tt = torch.tensor(target)
    assert_matches_torch(lambda x: F.cross_entropy(x, target, ignore_index=-1, reduction=reduction),
                         lambda x: T.cross_entropy(x, tt, ignore_index=-1, reduction=reduction), [logits], dtype)


@settings(max_examples=4)
@given(case=class_cases())
def test_cross_entropy_gradgradcheck(case):
    logits, target = case
    assert gradgradcheck(lambda x: F.cross_entropy(x, target, ignore_index=-1), [logits])


def test_cross_entropy_default_ignore_index_is_minus_100():
    logits, target = np.random.default_rng(0).standard_normal((3, 4)), np.array([1, -100, 2])
    assert_matches_torch(lambda x: F.cross_entropy(x, target), lambda x: T.cross_entropy(x, torch.tensor(target)),
                         [logits])


def test_cross_entropy_with_probability_targets_matches_torch():
    rng = np.random.default_rng(1)
    logits, p = rng.standard_normal((3, 4)), rng.dirichlet(np.ones(4), 3)
    assert_matches_torch(lambda x: F.cross_entropy(x, p), lambda x: T.cross_entropy(x, torch.tensor(p)), [logits])


def test_cross_entropy_is_finite_at_logits_of_1e4():
    x = tg.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], requires_grad=True)
    loss = F.cross_entropy(x, np.array([1, 2]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
    assert_matches_torch(lambda x: F.cross_entropy(x, np.array([1, 2])),
                         lambda x: T.cross_entropy(x, torch.tensor([1, 2])), [x.numpy()], np.float32)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(case=class_cases())
def test_nll_loss_of_log_softmax_matches_torch(case, reduction):
    logits, target = case
    tt = torch.tensor(target)
    assert_matches_torch(lambda x: F.nll_loss(F.log_softmax(x, axis=1), target, ignore_index=-1, reduction=reduction),
                         lambda x: T.nll_loss(T.log_softmax(x, 1), tt, ignore_index=-1, reduction=reduction),
                         [logits])


@st.composite
def same_shape_pairs(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    return rng.standard_normal(shape) * 3, rng.random(shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(case=same_shape_pairs())
def test_bce_with_logits_gradcheck_in_logits_and_target(case, reduction):
    assert gradcheck(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction), list(case))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=6)
@given(case=same_shape_pairs())
def test_bce_with_logits_matches_torch(case, reduction, dtype):
    assert_matches_torch(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
                         lambda x, t: T.binary_cross_entropy_with_logits(x, t, reduction=reduction), list(case), dtype)


@settings(max_examples=4)
@given(case=same_shape_pairs())
def test_bce_with_logits_gradgradcheck(case):
    assert gradgradcheck(F.binary_cross_entropy_with_logits, list(case))


def test_bce_with_logits_is_finite_at_logits_of_1e4():
    x = tg.tensor([1e4, -1e4, 1e4, -1e4], requires_grad=True)
    t = np.array([0.0, 1.0, 1.0, 0.0], np.float32)
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [1e4, 1e4, 0, 0])
    np.testing.assert_allclose(x.grad.numpy(), [1, -1, 0, 0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(case=same_shape_pairs())
def test_mse_loss_gradcheck(case, reduction):
    assert gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), list(case))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=6)
@given(case=same_shape_pairs())
def test_mse_loss_matches_torch(case, reduction, dtype):
    assert_matches_torch(lambda a, b: F.mse_loss(a, b, reduction=reduction),
                         lambda a, b: T.mse_loss(a, b, reduction=reduction), list(case), dtype)


def test_cross_entropy_third_derivative_matches_torch():
    rng = np.random.default_rng(3)
    x0, t = rng.standard_normal((4, 5)), np.array([0, 3, 1, 4])
    x, tx = tg.tensor(x0, dtype=tg.float64, requires_grad=True), torch.tensor(x0, requires_grad=True)
    g, = tg.grad(F.cross_entropy(x, t), x, create_graph=True)
    tgr, = torch.autograd.grad(T.cross_entropy(tx, torch.tensor(t)), tx, create_graph=True)
    h, = tg.grad((g * g * g).sum(), x, create_graph=True)
    th, = torch.autograd.grad((tgr * tgr * tgr).sum(), tx, create_graph=True)
    np.testing.assert_allclose(h.numpy(), th.detach().numpy(), rtol=1e-9, atol=1e-12)
    k, = tg.grad((h * h).sum(), x)
    tk, = torch.autograd.grad((th * th).sum(), tx)
    np.testing.assert_allclose(k.numpy(), tk.numpy(), rtol=1e-8, atol=1e-12)
