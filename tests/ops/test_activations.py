"""Activations (ops/activations.py): the family's rows, then kinks, stability, dtypes, errors and the fast GELU."""
import numpy as np
import pytest
import torch

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from family_checks import FamilyChecks
from tinygrad_gen import dispatch
from tinygrad_gen.dispatch import pick
from tinygrad_gen.ops import activations
from tinygrad_gen.ops.activations import Gelu, GeluSlope, NormalCdf

T = torch.nn.functional


class TestActivationsRows(FamilyChecks):
    family = activations


# ----- saved state -----
def test_relu_output_changed_in_place_after_forward_is_an_error_as_in_pytorch():
    x = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x.relu()
    with tg.no_grad():
        y.zero_()
    with pytest.raises(RuntimeError, match="Relu.*modified by an inplace operation"):
        y.sum().backward()


def test_relu_gradient_does_not_need_its_output_kept_alive():
    x = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x.relu() * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, 2.0])


# ----- kinks and defaults -----
def test_leaky_relu_default_slope_is_pytorchs():
    np.testing.assert_allclose(F.leaky_relu(tg.tensor([-2.0, 3.0])).numpy(), [-0.02, 3.0], rtol=1e-6)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "hardsigmoid", "hardswish", "relu6", "hardtanh"])
def test_gradient_at_the_kinks_is_pytorchs(name):
    x0 = np.array([0.0, -3.0, 3.0, 6.0, -1.0, 1.0])
    x, xt = tg.tensor(x0, dtype=np.float64, requires_grad=True), torch.tensor(x0, requires_grad=True)
    getattr(F, name)(x).sum().backward()
    getattr(T, name)(xt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("name", ["softplus", "sigmoid", "logsigmoid", "silu", "elu", "tanh", "gelu", "mish"])
def test_activation_is_finite_at_plus_minus_1e4_like_pytorch(name):
    x0 = np.array([-1e4, 1e4, 0.0], np.float32)
    x, xt = tg.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    y, yt = getattr(F, name)(x), getattr(T, name)(xt)
    y.sum().backward()
    yt.sum().backward()
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("fn", ["sigmoid", "tanh"])
@pytest.mark.parametrize("dtype", [np.bool_, np.int32, np.int64])
def test_sigmoid_and_tanh_of_integers_give_float32(fn, dtype):
    x = tg.tensor(np.array([0, 1, 1], dtype=dtype))
    y = getattr(x, fn)()
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), getattr(torch, fn)(torch.tensor([0.0, 1.0, 1.0])).numpy(), rtol=1e-6)


def test_tg_and_F_forms_take_arrays_and_lists():
    np.testing.assert_array_equal(tg.relu([-1.0, 2.0]).numpy(), [0.0, 2.0])
    np.testing.assert_allclose(F.sigmoid(np.zeros(2)).numpy(), [0.5, 0.5])
    assert tg.tanh([0.0]).dtype == np.float32


# ----- errors -----
def test_gelu_with_an_unknown_approximation_is_an_error():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        F.gelu(tg.randn(3), approximate="erf")


def test_hardtanh_with_min_above_max_is_an_error():
    with pytest.raises(ValueError, match="hardtanh: min_val 1.0 is larger than max_val -1.0"):
        F.hardtanh(tg.randn(3), 1.0, -1.0)


def test_celu_with_alpha_0_is_an_error():
    with pytest.raises(ValueError, match="celu: alpha"):
        F.celu(tg.randn(3), alpha=0.0)


# ----- the fast paths against the plain ops -----
# float32: the fast path's polynomial is within 1e-7 of Phi, times |x| up to ~10 here
FAST_TOL = {np.float64: dict(rtol=1e-12, atol=1e-14), np.float32: dict(rtol=1e-5, atol=1e-6)}
# around the block size of the float32 path (65536 elements): one partial block, exactly one, one and a bit
FAST_SHAPES = [(), (7,), (256, 256), (3, 21846)]


def _values_and_grads(fn, x0, double=False):
    x = tg.tensor(x0, dtype=x0.dtype, requires_grad=True)
    y = fn(x)
    g = tg.tensor(np.cos(np.arange(y.numel())).reshape(y.shape), dtype=x0.dtype)
    if not double:
        y.backward(g)
        return y.numpy(), x.grad.numpy()
    dx, = tg.grad((y * g).sum(), x, create_graph=True)
    ddx, = tg.grad((dx * dx).sum(), x)
    return y.numpy(), dx.numpy(), ddx.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", FAST_SHAPES, ids=str)
@pytest.mark.parametrize("op", [Gelu, GeluSlope, NormalCdf], ids=lambda op: op.__name__)
def test_fast_path_matches_the_plain_op(op, shape, dtype):
    x0 = (np.random.default_rng(0).standard_normal(shape) * 3).astype(dtype)
    with dispatch.kernels("reference"):
        assert pick(op) is op
        want = _values_and_grads(lambda x: pick(op).apply(x), x0)
    with dispatch.kernels("fast"):
        assert pick(op) is not op
        got = _values_and_grads(lambda x: pick(op).apply(x), x0)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype == dtype
        np.testing.assert_allclose(g, w, **FAST_TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_gelu_second_derivative_matches_the_plain_op(dtype):
    x0 = (np.random.default_rng(1).standard_normal((3, 21846)) * 3).astype(dtype)
    with dispatch.kernels("reference"):
        want = _values_and_grads(F.gelu, x0, double=True)
    with dispatch.kernels("fast"):
        got = _values_and_grads(F.gelu, x0, double=True)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, **FAST_TOL[dtype])


def test_fast_gelu_without_a_gradient_keeps_no_slope():
    x = tg.randn(4, 5)
    with dispatch.kernels("fast"):
        y = F.gelu(x)
    assert y._ctx is None and y.dtype == np.float32


@pytest.mark.parametrize("mode", ["reference", "fast"])
def test_gelu_in_the_far_tails_is_exact_in_both_paths(mode):
    from scipy.special import ndtr
    x0 = np.array([-40.0, -8.0, -5.0, 5.0, 8.0, 40.0], np.float32)
    with dispatch.kernels(mode):
        y = F.gelu(tg.tensor(x0)).numpy()
    exact = x0 * ndtr(x0.astype(np.float64))  # PyTorch's float32 gelu(-8) cancels to -0; the value is -5e-15
    np.testing.assert_allclose(y, exact, rtol=1e-5, atol=1e-38)


# ----- softplus(beta, threshold) (issue 25) -----
@pytest.mark.parametrize("beta,threshold", [(1, 20), (2.0, 3.0), (0.5, 1.0), (-1.0, 20)])
def test_softplus_beta_and_threshold_are_pytorchs_values_and_gradients(beta, threshold):
    x0 = np.array([-30.0, -5.0, -1.0, 0.0, 1.0, 1.4, 2.5, 6.0, 25.0, 1e4])
    x, xt = tg.tensor(x0, dtype=np.float64, requires_grad=True), torch.tensor(x0, requires_grad=True)
    y, yt = F.softplus(x, beta=beta, threshold=threshold), T.softplus(xt, beta=beta, threshold=threshold)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_softplus_signature_is_pytorchs_and_bad_beta_is_refused():
    import inspect
    params = inspect.signature(F.softplus).parameters
    assert params["beta"].default == 1 and params["threshold"].default == 20
    np.testing.assert_allclose(F.softplus(tg.tensor([0.0]), 2).numpy(), [np.log(2) / 2], rtol=1e-6)
    with pytest.raises(ValueError, match="softplus: beta must be a nonzero number"):
        F.softplus(tg.ones(2), beta=0)
