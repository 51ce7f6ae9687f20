"""Mode coverage, Frechet distance and class shares on hand-made cases with known answers."""
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, strategies as st

from tinygrad_gen.models.gan_metrics import (class_fractions, frechet_distance, frechet_feature_distance,
                                             mode_coverage)

MODES = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])


def test_mode_is_captured_at_exactly_min_count_samples_within_three_sigma():
    at_mode0 = np.zeros((20, 2)) + [0.29, 0.0]      # inside 3 sigma = 0.3
    at_mode1 = np.zeros((19, 2)) + [10.0, 0.29]     # one short of the count
    far = np.zeros((11, 2)) + [5.0, 5.0]            # between modes: not high quality
    out = mode_coverage(np.concatenate([at_mode0, at_mode1, far]), MODES, sigma=0.1)
    assert out["modes"] == 1
    assert out["counts"] == [20, 19, 0]
    assert out["hq"] == pytest.approx(39 / 50)


def test_sample_just_outside_three_sigma_is_not_high_quality():
    out = mode_coverage(np.array([[0.31, 0.0], [0.0, 0.0]]), MODES, sigma=0.1, min_count=1)
    assert out["hq"] == pytest.approx(0.5)
    assert out["counts"] == [1, 0, 0]


def test_mode_coverage_rejects_mismatched_dimensions():
    with pytest.raises(ValueError, match="mode_coverage"):
        mode_coverage(np.zeros((5, 3)), MODES, sigma=0.1)


def random_spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.1 * np.eye(d)


@given(st.integers(1, 6), st.integers(0, 2 ** 16))
def test_frechet_distance_of_identical_gaussians_is_zero(d, seed):
    rng = np.random.default_rng(seed)
    mu, cov = rng.normal(size=d), random_spd(rng, d)
    assert frechet_distance(mu, cov, mu, cov) == pytest.approx(0.0, abs=1e-8 * np.trace(cov))


@given(st.integers(1, 6), st.integers(0, 2 ** 16))
def test_frechet_distance_of_shifted_gaussians_is_squared_shift(d, seed):
    rng = np.random.default_rng(seed)
    mu, shift, cov = rng.normal(size=d), rng.normal(size=d), random_spd(rng, d)
    assert frechet_distance(mu, cov, mu + shift, cov) == pytest.approx((shift ** 2).sum(), rel=1e-6, abs=1e-8)


@given(st.integers(1, 6), st.integers(0, 2 ** 16))
def test_frechet_distance_of_diagonal_gaussians_is_sum_of_squared_std_differences(d, seed):
    rng = np.random.default_rng(seed)
    s1, s2, dmu = rng.uniform(0.1, 3, d), rng.uniform(0.1, 3, d), rng.normal(size=d)
    expected = (dmu ** 2).sum() + ((s1 - s2) ** 2).sum()
    assert frechet_distance(np.zeros(d), np.diag(s1 ** 2), dmu, np.diag(s2 ** 2)) == pytest.approx(expected, rel=1e-8)


@given(st.integers(1, 6), st.integers(0, 2 ** 16))
def test_frechet_distance_matches_scipy_sqrtm_for_general_covariances(d, seed):
    rng = np.random.default_rng(seed)
    mu1, mu2, c1, c2 = rng.normal(size=d), rng.normal(size=d), random_spd(rng, d), random_spd(rng, d)
    ref = ((mu1 - mu2) ** 2).sum() + np.trace(c1 + c2 - 2 * scipy.linalg.sqrtm(c1 @ c2).real)
    assert frechet_distance(mu1, c1, mu2, c2) == pytest.approx(ref, rel=1e-6, abs=1e-8)


def test_frechet_feature_distance_of_two_samples_of_one_gaussian_is_small_and_of_shifted_is_the_shift():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(20000, 3)), rng.normal(size=(20000, 3))
    assert frechet_feature_distance(a, b) < 0.01
    assert frechet_feature_distance(a, b + [2.0, 0.0, 0.0]) == pytest.approx(4.0, abs=0.05)


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="frechet_distance"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


def test_class_fractions_counts_every_class_including_missing_ones():
    assert class_fractions([0, 0, 3, 9], n_classes=10) == [0.5, 0, 0, 0.25, 0, 0, 0, 0, 0, 0.25]
