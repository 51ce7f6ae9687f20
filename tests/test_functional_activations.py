"""Activations and softmaxes through F: gradients, PyTorch agreement, kinks, stability, fully masked rows."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from functional_helpers import assert_matches_torch, gradcheck, gradgradcheck

T = torch.nn.functional
DTYPES = [np.float32, np.float64]
ACTIVATIONS = {
    "relu": (F.relu, T.relu),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: T.leaky_relu(x, 0.2)),
    "gelu": (F.gelu, T.gelu),
    "sigmoid": (F.sigmoid, torch.sigmoid),
    "tanh": (F.tanh, torch.tanh),
    "softplus": (F.softplus, T.softplus),
    "softmax": (lambda x: F.softmax(x, axis=-1), lambda x: T.softmax(x, dim=-1)),
    "log_softmax": (lambda x: F.log_softmax(x, axis=0), lambda x: T.log_softmax(x, dim=0)),
}


@st.composite
def arrays(draw, min_dims=1):
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, max_side=4))
    x = np.random.default_rng(draw(st.integers(0, 2 ** 16))).standard_normal(shape)
    return np.where(np.abs(x) < 1e-3, 0.5, x)  # keep finite differences away from the kinks at 0


@pytest.mark.parametrize("name", ACTIVATIONS)
@given(x=arrays())
def test_activation_gradcheck(name, x):
    assert gradcheck(ACTIVATIONS[name][0], [x])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTIVATIONS)
@settings(max_examples=5)
@given(x=arrays())
def test_activation_matches_torch(name, dtype, x):
    ours, theirs = ACTIVATIONS[name]
    assert_matches_torch(ours, theirs, [x * 3], dtype)


@pytest.mark.parametrize("name", ["leaky_relu", "softplus", "gelu", "sigmoid", "tanh", "softmax", "log_softmax"])
@settings(max_examples=4)
@given(x=arrays())
def test_activation_gradgradcheck(name, x):
    assert gradgradcheck(ACTIVATIONS[name][0], [x])


def test_leaky_relu_default_slope_is_pytorchs():
    x = tg.tensor([-2.0, 3.0])
    np.testing.assert_allclose(F.leaky_relu(x).numpy(), [-0.02, 3.0], rtol=1e-6)


def test_relu_and_leaky_relu_gradients_at_zero_match_torch():
    for ours, theirs in (ACTIVATIONS["relu"], ACTIVATIONS["leaky_relu"]):
        assert_matches_torch(ours, theirs, [np.zeros(3)])


@pytest.mark.parametrize("name", ["softplus", "sigmoid", "log_softmax", "softmax"])
def test_activation_is_finite_at_plus_minus_1e4(name):
    x = tg.tensor([[-1e4, 1e4, 0.0]], requires_grad=True)
    y = ACTIVATIONS[name][0](x)
    y.sum().backward()
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    assert_matches_torch(*ACTIVATIONS[name], [[[-1e4, 1e4, 0.0]]], np.float32)


# ----- masked softmax -----
@st.composite
def masked_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    rows, cols = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    x = rng.standard_normal((2, rows, cols))
    mask_shape = draw(st.sampled_from([(2, rows, cols), (rows, cols), (1, cols), (cols,)]))
    return x, rng.random(mask_shape) < 0.6


@given(case=masked_cases())
def test_masked_softmax_gradcheck_with_broadcast_mask(case):
    x, mask = case
    assert gradcheck(lambda x: F.masked_softmax(x, mask), [x])


@settings(max_examples=4)
@given(case=masked_cases())
def test_masked_softmax_gradgradcheck(case):
    x, mask = case
    assert gradgradcheck(lambda x: F.masked_softmax(x, mask), [x])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", [1.0, 1e4])  # small scores take the unshifted path, large ones the row max
@given(case=masked_cases())
def test_masked_softmax_matches_torch_on_rows_that_keep_something(case, dtype, scale):
    x, mask = case
    x = x * scale
    mask = np.broadcast_to(mask, x.shape).copy()
    mask[..., 0] = True
    mt = torch.tensor(mask)
    assert_matches_torch(lambda x: F.masked_softmax(x, mask),
                         lambda x: T.softmax(x.masked_fill(~mt, float("-inf")), dim=-1), [x], dtype)


def test_masked_softmax_fully_masked_row_is_zero_with_finite_gradient():
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    mask = np.array([[True, False, True], [False, False, False]])
    y = F.masked_softmax(x, mask)
    (y * tg.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])).sum().backward()
    assert np.array_equal(y.numpy()[1], np.zeros(3))
    assert np.isfinite(x.grad.numpy()).all() and np.array_equal(x.grad.numpy()[1], np.zeros(3))
    assert y.numpy()[0, 1] == 0 and np.isclose(y.numpy()[0].sum(), 1)


@pytest.mark.parametrize("hidden", [np.inf, -np.inf, np.nan, 1e4])
def test_masked_softmax_ignores_whatever_the_masked_positions_hold(hidden):
    x = np.array([[0.5, -1.0, 2.0, 0.0], [1.0, 3.0, -2.0, 0.5]], dtype=np.float32)
    mask = np.array([[True, True, False, True], [False, True, True, True]])
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
