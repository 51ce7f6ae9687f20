"""The VAE's Gaussian ops: reparameterize and gaussian_kl (ops/gaussian.py)."""
import numpy as np
import pytest

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from family_checks import FamilyChecks
from tinygrad_gen.ops import gaussian


class TestGaussianRows(FamilyChecks):
    family = gaussian


def test_reparameterize_draws_from_the_engine_generator():
    tg.manual_seed(3)
    a = F.reparameterize(tg.zeros(4, 2), tg.zeros(4, 2)).numpy()
    tg.manual_seed(3)
    b = F.reparameterize(tg.zeros(4, 2), tg.zeros(4, 2)).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.std() > 0


def test_gaussian_kl_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"gaussian_kl.*\(2, 3\).*\(2, 4\)"):
        F.gaussian_kl(tg.randn(2, 3), tg.randn(2, 4))


def test_reparameterize_eps_that_does_not_broadcast_is_an_error():
    with pytest.raises(ValueError, match="reparameterize"):
        F.reparameterize(tg.randn(2, 3), tg.randn(2, 3), eps=tg.randn(4))


def test_reparameterize_mu_and_logvar_that_do_not_broadcast_is_an_error():
    with pytest.raises(ValueError, match=r"reparameterize: mu \(2, 3\), logvar \(4,\)"):
        F.reparameterize(tg.randn(2, 3), tg.randn(4))


# ----- reparameterize: broadcasting, its closed-form gradient, its samples -----
# (mu's shape, logvar's shape): logvar broadcasts against mu, with fewer axes or axes of size 1
BROADCAST = [((3,), (3,)), ((3,), (1,)), ((2, 3), (3,)), ((2, 3), (2, 1)), ((3, 1, 2), (1, 2)), ((2, 2, 3), (1, 1, 1))]


@pytest.mark.parametrize("mu_shape, logvar_shape", BROADCAST)
def test_reparameterize_gradcheck_with_broadcasting(mu_shape, logvar_shape):
    rng = np.random.default_rng(len(mu_shape) + len(logvar_shape))
    mu, logvar, eps = (tg.tensor(a, dtype=np.float64, requires_grad=True) for a in (
        rng.standard_normal(mu_shape), rng.standard_normal(logvar_shape) * 0.5, rng.standard_normal(mu_shape)))
    assert tg.gradcheck(lambda mu, logvar, eps: F.reparameterize(mu, logvar, eps), [mu, logvar, eps])


def _sum_to(a, shape):
    """Sum a broadcast gradient back to ``shape`` (written out here independently of the engine)."""
    while a.ndim > len(shape):
        a = a.sum(axis=0)
    return a.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


@pytest.mark.parametrize("mu_shape, logvar_shape", BROADCAST)
def test_reparameterize_gradient_matches_the_closed_form(mu_shape, logvar_shape):
    rng = np.random.default_rng(len(mu_shape) * 7 + len(logvar_shape))
    mu = tg.tensor(rng.standard_normal(mu_shape), dtype=np.float64, requires_grad=True)
    logvar = tg.tensor(rng.standard_normal(logvar_shape) * 0.5, dtype=np.float64, requires_grad=True)
    eps = tg.randn(*mu.shape, dtype=np.float64)
    g = rng.standard_normal(mu.shape)
    F.reparameterize(mu, logvar, eps).backward(tg.tensor(g, dtype=np.float64))
    np.testing.assert_allclose(mu.grad.numpy(), g, rtol=1e-12)
    dlogvar = g * eps.numpy() * np.exp(logvar.numpy() / 2) / 2
    np.testing.assert_allclose(logvar.grad.numpy(), _sum_to(dlogvar, logvar.shape), rtol=1e-12)


def test_reparameterize_samples_have_mean_mu_and_std_exp_half_logvar():
    mu, logvar = tg.full((20000, 2), 1.5), tg.tensor(np.log([[0.25, 4.0]]) * np.ones((20000, 1)))
    z = F.reparameterize(mu, logvar).numpy()
    np.testing.assert_allclose(z.mean(axis=0), [1.5, 1.5], atol=0.05)
    np.testing.assert_allclose(z.std(axis=0), [0.5, 2.0], rtol=0.03)


def test_reparameterize_noise_is_tg_randn_under_the_same_seed():
    tg.manual_seed(5)
    a = F.reparameterize(tg.zeros(4), tg.zeros(4)).numpy()
    tg.manual_seed(5)
    np.testing.assert_array_equal(a, tg.randn(4).numpy())


# ----- gaussian_kl's reductions -----
@pytest.mark.parametrize("reduction,expect", [("mean", np.mean), ("sum", np.sum)])
def test_gaussian_kl_reduction(reduction, expect):
    mu, logvar = tg.randn(4, 3, dtype=np.float64), tg.randn(4, 3, dtype=np.float64)
    per_sample = F.gaussian_kl(mu, logvar).numpy()
    assert np.isclose(F.gaussian_kl(mu, logvar, reduction=reduction).item(), expect(per_sample))
