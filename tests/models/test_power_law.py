"""The scaling-law fit L(N) = E + A N^(-alpha) and its bootstrap interval, on synthetic points of known law."""
import numpy as np
import pytest

from tinygrad_gen.models.power_law import bootstrap_alpha, fit_power_law, predict


def test_the_fit_recovers_a_law_from_exact_points():
    n = np.geomspace(1e3, 1e6, 7)
    fit = fit_power_law(n, 1.3 + 20.0 * n ** -0.35)
    assert fit["E"] == pytest.approx(1.3, abs=1e-4)
    assert fit["A"] == pytest.approx(20.0, rel=1e-3)
    assert fit["alpha"] == pytest.approx(0.35, abs=1e-4)
    assert fit["r2"] == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("e,a,alpha", [(1.3, 20.0, 0.35), (0.8, 5.0, 0.12), (2.0, 60.0, 0.5)])
def test_the_fit_recovers_known_e_a_alpha_from_noisy_points(e, a, alpha):
    rng = np.random.default_rng(0)
    n = np.geomspace(3e3, 5e5, 8)
    clean = e + a * n ** -alpha
    loss = clean * (1 + rng.normal(0, 0.002, n.size))
    fit = fit_power_law(n, loss)
    assert fit["alpha"] == pytest.approx(alpha, rel=0.15)
    assert fit["E"] == pytest.approx(e, abs=0.1)
    assert fit["r2"] > 0.99
    assert np.max(np.abs(predict(fit, n) - clean)) < 0.02


def test_the_r2_is_one_minus_the_residual_share_of_the_variance():
    rng = np.random.default_rng(1)
    n = np.geomspace(1e3, 1e5, 6)
    loss = 1.0 + 3.0 * n ** -0.2 + rng.normal(0, 0.01, 6)
    fit = fit_power_law(n, loss)
    resid = loss - (fit["E"] + fit["A"] * n ** -fit["alpha"])
    assert fit["r2"] == pytest.approx(1 - (resid ** 2).sum() / ((loss - loss.mean()) ** 2).sum(), abs=1e-12)


def test_the_bootstrap_interval_holds_the_true_exponent():
    rng = np.random.default_rng(2)
    n = np.geomspace(3e3, 5e5, 8)
    loss = 1.2 + 8.0 * n ** -0.3 + rng.normal(0, 0.003, n.size)
    lo, hi = bootstrap_alpha(n, loss, resamples=100, seed=0)
    assert lo < 0.3 < hi and hi - lo < 0.2


def test_too_few_points_are_a_clear_error():
    with pytest.raises(ValueError, match="at least 3"):
        fit_power_law([1e3, 1e4], [2.0, 1.5])
