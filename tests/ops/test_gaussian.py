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
