"""Dropout: F.dropout and its op Dropout (ops/dropout.py)."""
import numpy as np
import pytest
from family_checks import FamilyChecks

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen.ops import dropout


class TestDropoutRows(FamilyChecks):
    family = dropout


def test_dropout_zeroes_a_fraction_p_and_scales_survivors_by_one_over_one_minus_p():
    p = 0.3
    y = F.dropout(tg.ones(200, 500), p=p).numpy()
    dropped = (y == 0).mean()
    assert abs(dropped - p) < 4 * np.sqrt(p * (1 - p) / y.size)
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 1) < 0.01


def test_dropout_gradient_is_the_same_mask_and_scale():
    x = tg.randn(50, 40, dtype=np.float64, requires_grad=True)
    y = F.dropout(x, p=0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (y.numpy() != 0) * 2.0)


def test_dropout_is_identity_in_eval_mode_and_at_p_zero():
    x = tg.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


def test_dropout_at_p_one_gives_zeros_and_zero_gradients():
    x = tg.randn(3, 4, requires_grad=True)
    y = F.dropout(x, 1.0)
    y.sum().backward()
    assert not y.numpy().any() and not x.grad.numpy().any()


def test_dropout_is_repeatable_under_manual_seed():
    tg.manual_seed(7)
    a = F.dropout(tg.ones(10, 10)).numpy()
    tg.manual_seed(7)
    np.testing.assert_array_equal(a, F.dropout(tg.ones(10, 10)).numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (7,), (2, 3, 4)])
def test_dropout_keeps_dtype_and_shape(shape, dtype):
    y = F.dropout(tg.ones(*shape, dtype=dtype), 0.4)
    assert y.dtype == dtype and y.shape == shape


def test_dropout_probability_outside_unit_interval_is_an_error():
    with pytest.raises(ValueError, match="dropout: p must be in"):
        F.dropout(tg.randn(3), p=1.5)


def test_dropout_keeps_nothing_of_x_so_changing_x_in_place_after_forward_is_harmless():
    x = tg.randn(4, 5, dtype=np.float64, requires_grad=True)
    y = F.dropout(x, 0.5)
    scale = (y.numpy() != 0) * 2.0
    with tg.no_grad():
        x.add_(1.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), scale)


def test_dropout_backward_can_be_differentiated_again():
    x = tg.randn(3, 4, dtype=np.float64, requires_grad=True)
    y = F.dropout(x, 0.5)
    (gx,) = tg.grad((y * x).sum(), x, create_graph=True)  # sum(s x^2): gradient 2 s x, its own gradient 2 s
    (ggx,) = tg.grad(gx.sum(), x)
    np.testing.assert_array_equal(ggx.numpy(), 2 * (y.numpy() != 0) * 2.0)
