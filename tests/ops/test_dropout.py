"""Dropout: F.dropout and its op Dropout (ops/dropout.py)."""
import numpy as np
import pytest
from family_checks import FamilyChecks

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen.ops import dropout, inplace


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
    with pytest.raises(ValueError, match="dropout: dropout probability has to be between 0 and 1"):
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


# ---- F.dropout(inplace=True) and inplace_result ---------------------------------------------------------------------
def test_dropout_inplace_writes_into_a_tensor_outside_a_graph_and_returns_it():
    x = tg.ones(50, 40)
    before = tg.tensor(x.numpy().copy())
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and (x.numpy() == 0).any() and not (before.numpy() == 0).any()
    np.testing.assert_array_equal(np.unique(x.numpy()), [0.0, 2.0])


def test_dropout_inplace_in_a_graph_gives_the_out_of_place_gradient_and_writes_the_values():
    torch = pytest.importorskip("torch")
    a = tg.randn(6, 5, dtype=np.float64, requires_grad=True)
    x = a * 3.0
    tg.manual_seed(1)
    y = F.dropout(x, 0.4, inplace=True)
    np.testing.assert_array_equal(x.numpy(), y.numpy())  # the values were written into x
    (y * y).sum().backward()
    mask = (y.numpy() != 0) / 0.6
    np.testing.assert_allclose(a.grad.numpy(), 2 * y.numpy() * mask * 3.0)
    t = torch.tensor(a.numpy(), requires_grad=True)
    tx = t * 3.0
    torch.nn.functional.relu(tx, inplace=True)  # PyTorch allows an in-place op on a non-leaf in a graph
    assert tx.grad_fn is not None


def test_inplace_on_a_leaf_that_requires_grad_is_refused_before_any_write():
    x = tg.ones(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.dropout(x, 0.5, inplace=True)
    np.testing.assert_array_equal(x.numpy(), np.ones((3, 4)))
    with tg.no_grad():
        assert F.dropout(x, 0.5, inplace=True) is x


def test_inplace_after_an_op_that_saved_the_tensor_raises_at_backward_as_in_pytorch():
    torch = pytest.importorskip("torch")
    a = tg.randn(4, requires_grad=True)
    s = a.sigmoid()  # sigmoid saves its output
    inplace.inplace_result(s, lambda t: t.relu(), "relu_")
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        s.sum().backward()
    ta = torch.randn(4, requires_grad=True)
    ts = ta.sigmoid()
    torch.relu_(ts)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ts.sum().backward()


def test_inplace_into_an_expanded_tensor_is_refused_as_in_pytorch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        torch.nn.functional.dropout(torch.ones(3).expand(2, 3), 0.5, inplace=True)
    x = tg.Tensor(np.broadcast_to(np.ones(3, np.float32), (2, 3)))  # memory shared by the rows, as torch's expand
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        F.dropout(x, 0.5, inplace=True)
    np.testing.assert_array_equal(x.numpy(), np.ones((2, 3)))


# ---- multinomial, bernoulli, randperm, normal_, uniform_ ------------------------------------------------------------
def test_multinomial_with_replacement_follows_the_probabilities():
    p = np.array([0.1, 0.0, 0.6, 0.3])
    draws = tg.multinomial(tg.tensor(p), 20000, replacement=True, generator=tg.random.Generator().manual_seed(0))
    assert draws.dtype == np.int64 and draws.shape == (20000,)
    freq = np.bincount(draws.numpy(), minlength=4) / 20000
    assert freq[1] == 0
    np.testing.assert_allclose(freq, p, atol=4 * np.sqrt(0.25 / 20000))


def test_multinomial_without_replacement_draws_distinct_categories_by_weight():
    g = tg.random.Generator().manual_seed(3)
    w = tg.tensor([[1.0, 2.0, 0.0, 7.0]] * 3000)
    out = w.multinomial(3, generator=g).numpy()
    assert out.shape == (3000, 3)
    assert all(len(set(r)) == 3 for r in out) and not (out == 2).any()  # 3 positive weights: zero never drawn
    first = np.bincount(out[:, 0], minlength=4) / 3000
    np.testing.assert_allclose(first, [0.1, 0.2, 0.0, 0.7], atol=0.03)
    all4 = tg.multinomial(tg.tensor([1.0, 2.0, 0.0, 7.0]), 4, generator=g).numpy()
    assert sorted(all4) == [0, 1, 2, 3] and all4[-1] == 2  # torch: the zero-weight category comes last


def test_multinomial_generator_makes_draws_repeatable_and_independent_of_the_engine_seed():
    p = tg.rand(5, 6)
    a = p.multinomial(4, generator=tg.random.Generator().manual_seed(9))
    tg.manual_seed(123)
    b = p.multinomial(4, generator=tg.random.Generator().manual_seed(9))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    tg.manual_seed(5)
    c = p.multinomial(4)
    tg.manual_seed(5)
    np.testing.assert_array_equal(c.numpy(), p.multinomial(4).numpy())


@pytest.mark.parametrize("probs, n, replacement, message", [
    ([1.0, -1.0], 1, False, "element < 0"),
    ([0.0, 0.0], 1, False, "sum of probabilities <= 0"),
    ([1.0, float("nan")], 1, False, "nan"),
    ([[[1.0]]], 1, False, "1 or 2 dim"),
    ([1.0, 1.0, 0.0], 4, False, "n_sample > prob_dist.size"),
    ([1.0, 1.0], 0, True, "n_sample <= 0"),
])
def test_multinomial_refuses_what_pytorch_refuses(probs, n, replacement, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=message):
        torch.multinomial(torch.tensor(probs), n, replacement)
    with pytest.raises(RuntimeError, match=message):
        tg.multinomial(tg.tensor(probs), n, replacement)


def test_multinomial_refuses_integer_weights():
    with pytest.raises(RuntimeError, match="floating-point"):
        tg.multinomial(tg.tensor([1, 2]), 1)


def test_bernoulli_randperm_and_fills_take_a_generator():
    def run(seed):
        g = tg.random.Generator().manual_seed(seed)
        return (tg.bernoulli(tg.full((200,), 0.3), generator=g).numpy(), tg.randperm(10, generator=g).numpy(),
                tg.zeros(5).normal_(2.0, 0.5, generator=g).numpy(), tg.zeros(5).uniform_(1, 3, generator=g).numpy())
    first, again, other = run(0), run(0), run(1)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))
    bern, perm, normal, uniform = first
    assert set(np.unique(bern)) <= {0.0, 1.0} and sorted(perm) == list(range(10))
    assert ((uniform >= 1) & (uniform < 3)).all() and normal.dtype == np.float32


def test_fills_follow_the_in_place_rules():
    w = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.normal_()
    with tg.no_grad():
        assert w.uniform_(0, 1) is w
    assert (w.numpy() > 0).all()
    with pytest.raises(RuntimeError, match="floating-point"):
        tg.zeros(3, dtype=np.int64).normal_()
    with pytest.raises(RuntimeError, match="std >= 0"):
        tg.zeros(3).normal_(0, -1)
    with pytest.raises(TypeError, match="generator"):
        tg.zeros(3).normal_(generator=object())
