"""GAN costs against their closed forms: values, gradients with respect to the logits, and the R1 penalty's double
backward."""
import numpy as np
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

import tinygrad_gen as tg
from tinygrad_gen import nn
from tinygrad_gen.models import gan_losses as L

logits = st.integers(1, 20).flatmap(
    lambda n: arrays(np.float64, n, elements=st.floats(-30, 30, allow_nan=False, allow_infinity=False)))


def sigmoid(x):
    return 0.5 * (1 + np.tanh(x / 2))


def grad_of(loss_fn, l):
    t = tg.tensor(l, requires_grad=True, dtype=np.float64)
    loss = loss_fn(t)
    loss.backward()
    return loss.item(), t.grad.numpy()


@given(logits)
def test_minimax_generator_loss_is_log_one_minus_d_with_gradient_minus_d_over_n(l):
    value, grad = grad_of(L.generator_loss_minimax, l)
    np.testing.assert_allclose(value, np.mean(-np.logaddexp(0, l)), rtol=1e-10, atol=1e-12)  # log(1 - sigmoid)
    np.testing.assert_allclose(grad, -sigmoid(l) / len(l), rtol=1e-9, atol=1e-15)


@given(logits)
def test_non_saturating_generator_loss_is_minus_log_d_with_gradient_minus_one_minus_d_over_n(l):
    value, grad = grad_of(L.generator_loss_ns, l)
    np.testing.assert_allclose(value, np.mean(np.logaddexp(0, -l)), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad, -(1 - sigmoid(l)) / len(l), rtol=1e-9, atol=1e-15)


def test_minimax_saturates_where_non_saturating_does_not():
    """A confident discriminator (D(G(z)) = sigmoid(-12) ~ 6e-6): the minimax gradient is ~ 1e5 times weaker."""
    l = np.full(8, -12.0)
    _, g_mm = grad_of(L.generator_loss_minimax, l)
    _, g_ns = grad_of(L.generator_loss_ns, l)
    assert np.abs(g_mm).max() < 1e-5 / 8
    assert np.abs(g_ns).min() > 0.99 / 8


@given(logits, logits)
def test_discriminator_loss_is_binary_cross_entropy_with_closed_form_gradients(real, fake):
    r = tg.tensor(real, requires_grad=True, dtype=np.float64)
    f = tg.tensor(fake, requires_grad=True, dtype=np.float64)
    loss = L.discriminator_loss(r, f)
    loss.backward()
    expected = np.mean(np.logaddexp(0, -real)) + np.mean(np.logaddexp(0, fake))  # -log D(x) - log(1 - D(G(z)))
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-10)
    np.testing.assert_allclose(r.grad.numpy(), -(1 - sigmoid(real)) / len(real), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(f.grad.numpy(), sigmoid(fake) / len(fake), rtol=1e-9, atol=1e-15)


@given(logits, logits)
def test_least_squares_losses_and_gradients(real, fake):
    r = tg.tensor(real, requires_grad=True, dtype=np.float64)
    f = tg.tensor(fake, requires_grad=True, dtype=np.float64)
    d = L.lsgan_discriminator_loss(r, f)
    d.backward()
    np.testing.assert_allclose(d.item(), 0.5 * (np.mean((real - 1) ** 2) + np.mean(fake ** 2)), rtol=1e-10)
    np.testing.assert_allclose(r.grad.numpy(), (real - 1) / len(real), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(f.grad.numpy(), fake / len(fake), rtol=1e-9, atol=1e-12)
    f2 = tg.tensor(fake, requires_grad=True, dtype=np.float64)
    g = L.lsgan_generator_loss(f2)
    g.backward()
    np.testing.assert_allclose(g.item(), np.mean((fake - 1) ** 2), rtol=1e-10)
    np.testing.assert_allclose(f2.grad.numpy(), 2 * (fake - 1) / len(fake), rtol=1e-9, atol=1e-12)


class TanhCritic(nn.Module):
    """D(x) = tanh(x w): grad_x D = (1 - tanh^2(x w)) w^T, so R1 = mean_i (1 - t_i^2)^2 |w|^2 in closed form."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(tg.tensor(w, dtype=np.float64))

    def forward(self, x):
        return (x @ self.w).tanh()


def r1_closed_form(w, x):
    t = np.tanh(x @ w)[:, 0]
    return np.mean((1 - t ** 2) ** 2) * (w ** 2).sum()


@given(st.integers(1, 6), st.integers(1, 4), st.integers(0, 2 ** 16))
def test_r1_penalty_value_and_double_backward_match_closed_form(n, d, seed):
    rng = np.random.default_rng(seed)
    w, x = rng.normal(size=(d, 1)) * 0.7, rng.normal(size=(n, d))
    critic = TanhCritic(w)
    penalty = L.r1_penalty(critic, tg.tensor(x, dtype=np.float64))
    np.testing.assert_allclose(penalty.item(), r1_closed_form(w, x), rtol=1e-10)
    penalty.backward()
    eps, fd = 1e-6, np.zeros_like(w)
    for i in range(d):
        e = np.zeros_like(w)
        e[i] = eps
        fd[i] = (r1_closed_form(w + e, x) - r1_closed_form(w - e, x)) / (2 * eps)
    np.testing.assert_allclose(critic.w.grad.numpy(), fd, rtol=1e-5, atol=1e-8)


def test_r1_penalty_leaves_discriminator_grads_as_they_were():
    critic = TanhCritic(np.ones((3, 1)))
    L.r1_penalty(critic, tg.tensor(np.ones((4, 3)), dtype=np.float64))
    assert critic.w.grad is None
