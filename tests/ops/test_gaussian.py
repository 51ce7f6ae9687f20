"""The VAE's Gaussian ops: reparameterize and gaussian_kl (ops/gaussian.py); and the standard normal CDF, density
and GELU built on them (ops/special.py, ops/fast/fast_math.py) against PyTorch's float64 values, tails included."""
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


# ----- the standard normal CDF (special.normal_cdf, fast_math.normal_cdf_pdf), accurate in both tails -----
def _ulps32(a, b):
    """Representable float32 steps between the float32 arrays a and b."""
    def ordered(v):
        i = np.asarray(v, np.float32).view(np.int32).astype(np.int64)
        return np.where(i < 0, -(2 ** 31) - i, i)
    return np.abs(ordered(a) - ordered(b))


def _cdf_inputs():
    rng = np.random.default_rng(5)
    return np.concatenate([np.linspace(-14.5, 9.0, 30001), rng.standard_normal(20000) * 3,
                           [-13.0, -10.0, -6.0, -1e-7, 0.0, 1e-7, 6.0]]).astype(np.float32)


def _exact_cdf(x):
    """Phi in float64 by SciPy's ndtr (erfc in the left tail). PyTorch's own ndtr is the oracle only for x >= -5:
    it computes (1 + erf(x / sqrt 2)) / 2 there too and cancels in the left tail, to 0 at x = -6 in float32 and
    x = -8.4 in float64."""
    from scipy.special import ndtr
    return ndtr(np.asarray(x, np.float64))


# The fast path's float32 erfc form (fast_math._ERFC_Q): a few units in the last place for |x| < 3, and a relative
# error under 5e-6 out to float32's underflow (exp's argument carries x's rounding times x^2 there).
FAST_ULPS_BODY, FAST_REL = 8, 5e-6


def _within_the_fast_paths_bound(got, exact, x):
    exact32 = exact.astype(np.float32)
    assert _ulps32(got[np.abs(x) < 3], exact32[np.abs(x) < 3]).max() <= FAST_ULPS_BODY
    normal = exact > 1.2e-38
    np.testing.assert_allclose(got[normal], exact[normal], rtol=FAST_REL, atol=0)


@pytest.mark.parametrize("mode", ["reference", "fast"])
def test_float32_normal_cdf_is_accurate_in_both_tails(mode):
    import torch
    from tinygrad_gen import dispatch
    from tinygrad_gen.ops.activations import NormalCdf
    x = _cdf_inputs()  # 50k values: the fast path's blocks apply
    with dispatch.kernels(mode):
        got = dispatch.pick(NormalCdf).apply(tg.tensor(x, dtype=tg.float32)).numpy()
    assert got.dtype == np.float32
    if mode == "reference":
        assert _ulps32(got, _exact_cdf(x).astype(np.float32)).max() <= 1
        body = x >= -5
        torch_cdf = torch.special.ndtr(torch.from_numpy(x[body].astype(np.float64))).numpy().astype(np.float32)
        assert _ulps32(got[body], torch_cdf).max() <= 1
    else:
        _within_the_fast_paths_bound(got, _exact_cdf(x), x)
    at = dict(zip(x.tolist(), got.tolist()))
    assert at[-6.0] == pytest.approx(9.8658765e-10, rel=FAST_REL)  # (1 + erf(x / sqrt 2)) / 2 cancels to 0 here
    assert 0 < at[-13.0] < 1e-37


def test_float64_normal_cdf_matches_torch_ndtr_and_stays_accurate_in_the_left_tail():
    import torch
    from tinygrad_gen.ops.activations import NormalCdf
    x = np.concatenate([np.linspace(-37.0, 9.0, 20001), [-1e-300, 0.0, 1e-300]])
    got = NormalCdf.apply(tg.tensor(x, dtype=tg.float64)).numpy()
    np.testing.assert_allclose(got, _exact_cdf(x), rtol=1e-12, atol=0)  # x / sqrt 2 rounds: ~x^2 1e-16
    body = x >= -5
    np.testing.assert_allclose(got[body], torch.special.ndtr(torch.from_numpy(x[body])).numpy(), rtol=1e-8)
    assert got[0] > 0


@pytest.mark.parametrize("mode", ["reference", "fast"])
def test_normal_cdf_and_pdf_of_the_fast_path_and_gelu_in_the_tails(mode):
    import torch
    from tinygrad_gen import dispatch
    from tinygrad_gen.ops.fast.fast_math import normal_cdf_pdf
    x = _cdf_inputs()
    x64 = torch.from_numpy(x.astype(np.float64))
    cdf, pdf = normal_cdf_pdf(x)
    _within_the_fast_paths_bound(cdf, _exact_cdf(x), x)
    _within_the_fast_paths_bound(pdf, (torch.exp(-x64 * x64 / 2) / np.sqrt(2 * np.pi)).numpy(), x)
    tails = np.array([-40.0, -12.0, -8.0, -3.0, 8.0, 40.0], np.float32)
    with dispatch.kernels(mode):
        y = F.gelu(tg.tensor(tails, dtype=tg.float32)).numpy()
    exact = tails.astype(np.float64) * _exact_cdf(tails)  # PyTorch's gelu(-8) is -0 in float32
    np.testing.assert_allclose(y, exact, rtol=FAST_REL if mode == "fast" else 1.2e-7, atol=1e-38)
    assert y[2] == pytest.approx(-4.9768e-15, rel=1e-4)
