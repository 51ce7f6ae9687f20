"""``tg.grad`` against ``torch.autograd.grad``: first and second order, several inputs and outputs, non-leaf
inputs, unused inputs; and it never reads or writes any ``.grad``."""
import numpy as np
import pytest
import torch

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F

RNG = np.random.default_rng(0)
A, B = RNG.standard_normal((3, 4)), RNG.standard_normal((4,))


def both(*arrays):
    return ([tg.tensor(a, dtype=tg.float64, requires_grad=True) for a in arrays],
            [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays])


def close(ours, theirs):
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_first_order_gradients_of_several_inputs_match_torch():
    (a, b), (ta, tb) = both(A, B)
    close(tg.grad((a * b).tanh().sum(), [a, b]), torch.autograd.grad((ta * tb).tanh().sum(), [ta, tb]))


def test_grad_outputs_give_a_vector_jacobian_product_over_several_outputs_like_torch():
    (a, b), (ta, tb) = both(A, B)
    v1, v2 = RNG.standard_normal((3, 4)), RNG.standard_normal((3,))
    ours = tg.grad([a * b, (a @ b).sigmoid()], [a, b], grad_outputs=[tg.tensor(v1, dtype=tg.float64),
                                                                    tg.tensor(v2, dtype=tg.float64)])
    theirs = torch.autograd.grad([ta * tb, (ta @ tb).sigmoid()], [ta, tb],
                                 grad_outputs=[torch.tensor(v1), torch.tensor(v2)])
    close(ours, theirs)


def test_the_gradient_of_the_gradient_norm_matches_torch():
    (a, b), (ta, tb) = both(A, B)
    ga, = tg.grad(F.gelu(a * b).sum(), [a], create_graph=True)
    tga, = torch.autograd.grad(torch.nn.functional.gelu(ta * tb).sum(), [ta], create_graph=True)
    assert ga.requires_grad
    close(tg.grad((ga * ga).sum(), [a, b]), torch.autograd.grad((tga * tga).sum(), [ta, tb]))


def test_second_derivative_of_a_scalar_function_matches_torch():
    (x,), (tx,) = both(RNG.standard_normal(5))
    dx, = tg.grad((x ** 3).sum() + x.exp().sum(), x, create_graph=True)
    tdx, = torch.autograd.grad((tx ** 3).sum() + tx.exp().sum(), tx, create_graph=True)
    close(tg.grad(dx.sum(), x), torch.autograd.grad(tdx.sum(), tx))


def test_grad_leaves_every_dot_grad_untouched():
    (a, b), _ = both(A, B)
    b.grad = tg.ones(4, dtype=tg.float64)
    before = b.grad
    tg.grad((a * b).sum(), [a])
    assert a.grad is None and b.grad is before


def test_a_non_leaf_input_gets_its_gradient_like_torch():
    (a,), (ta,) = both(A)
    h, th = a.exp(), ta.exp()
    close(tg.grad((h * h).sum(), [h, a]), torch.autograd.grad((th * th).sum(), [th, ta]))


def test_an_unused_input_is_an_error_unless_allow_unused_gives_none():
    (a, b), _ = both(A, B)
    with pytest.raises(RuntimeError, match=r"grad: inputs\[1\] \(shape \(4,\)\) was not used.*allow_unused=True"):
        tg.grad(a.sum(), [a, b])
    ga, gb = tg.grad(a.sum(), [a, b], allow_unused=True)
    assert gb is None
    np.testing.assert_array_equal(ga.numpy(), np.ones((3, 4)))


def test_retain_graph_follows_torch():
    (a,), _ = both(A)
    y = (a * a).sum()
    tg.grad(y, a, retain_graph=True)
    tg.grad(y, a)
    with pytest.raises(RuntimeError, match="already freed"):
        tg.grad(y, a)


def test_bad_arguments_raise_clear_errors():
    (a,), _ = both(A)
    with pytest.raises(RuntimeError, match=r"grad: outputs\[0\] does not require grad"):
        tg.grad(tg.ones(2), a)
    with pytest.raises(RuntimeError, match=r"grad: inputs\[0\] \(shape \(2,\)\) does not require grad"):
        tg.grad(a.sum(), tg.ones(2))
    with pytest.raises(RuntimeError, match="grad: grad can be implied only for a single-element tensor"):
        tg.grad(a * 2, a)
    with pytest.raises(ValueError, match="grad: 2 grad_outputs for 1 outputs"):
        tg.grad(a.sum(), a, grad_outputs=[None, None])
