"""In-place ops as PyTorch has them (ops/inplace.py): allowed under no_grad (and outside any graph), refused on a
leaf that requires grad, and caught by the version counter when an array saved for backward was changed in place.
(In-place ops are not differentiable, so the family has no rows; the probe of every differentiable row lives in
family_checks.py.)"""
import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from tinygrad_gen import nn

DATA = np.array([[1.5, -2.0, 3.0], [0.25, 4.0, -1.0]], np.float32)
OTHER = np.array([2.0, -1.0, 0.5], np.float32)


@pytest.mark.parametrize("name, args, kwargs", [
    ("add_", (OTHER,), {}), ("sub_", (OTHER,), {}), ("mul_", (OTHER,), {}), ("div_", (OTHER,), {}),
    ("add_", (OTHER,), {"alpha": 3.0}), ("sub_", (2.0,), {}), ("sub_", (OTHER,), {"alpha": -0.5}),
    ("clamp_", (), {"min": -1.0, "max": 2.0}), ("clip_", (-1.0,), {}), ("clamp_", (), {"max": np.float64(0.5)}),
    ("fill_", (7.0,), {}), ("zero_", (), {}), ("copy_", (OTHER,), {}), ("mul_", (np.float64(3.0),), {})])
def test_each_in_place_op_writes_into_the_same_tensor_like_torch(name, args, kwargs):
    ours, theirs = tg.tensor(DATA.copy()), torch.tensor(DATA.copy())
    array = ours._data
    t_args = [torch.tensor(a) if isinstance(a, np.ndarray) and a.ndim else a for a in args]
    assert getattr(ours, name)(*[tg.tensor(a) if isinstance(a, np.ndarray) and a.ndim else a for a in args],
                               **kwargs) is ours
    getattr(theirs, name)(*t_args, **kwargs)
    assert ours._data is array, f"{name} replaced the array instead of writing into it"
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, err_msg=name)
    assert ours._version == 1


def test_in_place_ops_take_lists_and_arrays_as_operands():
    t = tg.ones(3)
    t.add_([1, 2, 3]).mul_(np.array([2.0, 2.0, 2.0])).copy_([0.5, 1.5, 2.5])
    np.testing.assert_array_equal(t.numpy(), [0.5, 1.5, 2.5])
    assert t.dtype == np.float32 and t._version == 3


def test_augmented_assignment_writes_in_place_outside_the_graph():
    t = tg.ones(3)
    alias = t
    t += 1
    t -= tg.tensor([0.5, 0.5, 0.5])
    t *= 4
    t /= 2
    assert t is alias
    np.testing.assert_allclose(alias.numpy(), [3, 3, 3])
    assert t._version == 4


def test_manual_sgd_with_minus_equals_under_no_grad_matches_torch_over_10_steps():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 3)).astype(np.float32), rng.standard_normal((16, 1)).astype(np.float32)
    ours = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    with torch.no_grad():
        for (_, p), q in zip(ours.named_parameters(), theirs.parameters()):
            q.copy_(torch.tensor(p.numpy()))
    for _ in range(10):
        loss = ((ours(tg.tensor(x)) - tg.tensor(y)) ** 2).mean()
        ours.zero_grad()
        loss.backward()
        with tg.no_grad():
            for p in ours.parameters():
                p -= 0.1 * p.grad
        t_loss = ((theirs(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
        theirs.zero_grad()
        t_loss.backward()
        with torch.no_grad():
            for q in theirs.parameters():
                q -= 0.1 * q.grad
        np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-5)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert all(isinstance(p, nn.Parameter) and p.requires_grad and p.is_leaf for p in ours.parameters())


@pytest.mark.parametrize("write", [lambda p: p.add_(1), lambda p: p.mul_(2), lambda p: p.zero_(),
                                   lambda p: p.copy_(np.zeros(3)), lambda p: p.clamp_(max=0.0),
                                   lambda p: p.fill_(2.0), lambda p: p.__isub__(1.0),
                                   lambda p: p.__setitem__(0, 1.0)])
def test_a_leaf_that_requires_grad_is_refused_outside_no_grad_and_left_unchanged(write):
    p = nn.Parameter(np.ones(3, np.float32))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place "
                                           r"operation \(shape \(3,\)\)"):
        write(p)
    np.testing.assert_array_equal(p.numpy(), np.ones(3))
    assert p._version == 0


def test_plus_equals_on_a_tensor_in_the_graph_rebinds_and_keeps_the_gradient_right():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    first = h
    h += x * x   # h = 3x + x^2: out of place, since h is part of a graph
    assert h is not first and first._version == 0
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 + 2 * np.array([1.0, 2.0]))


def test_named_in_place_ops_on_a_tensor_in_the_graph_are_refused_clearly():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    with pytest.raises(RuntimeError, match="add_: an in-place write into a tensor that is part of a graph"):
        h.add_(1)
    with pytest.raises(RuntimeError, match="mul_: an in-place write"):
        tg.ones(2).mul_(x)  # the operand requires grad: its gradient could not flow
    with pytest.raises(RuntimeError, match="add_: an in-place write"):
        tg.ones(2).add_(x, alpha=2.0)
    with pytest.raises(RuntimeError, match="copy_: an in-place write"):
        tg.ones(2).copy_(x)
    with pytest.raises(RuntimeError, match="setitem: an in-place write"):
        h[0] = 1.0


def test_setitem_writes_into_a_tensor_outside_the_graph_like_numpy():
    t = tg.zeros(2, 3)
    t[0, 1:] = 5.0
    t[tg.tensor([1])] = tg.ones(1, 3)
    t[[0], 0] = np.array([7.0])
    np.testing.assert_array_equal(t.numpy(), [[7, 5, 5], [1, 1, 1]])
    t[t > 4] = 0.0
    np.testing.assert_array_equal(t.numpy(), [[0, 0, 0], [1, 1, 1]])
    assert t._version == 4


def test_setitem_follows_the_in_place_rules():
    p = tg.zeros(3, requires_grad=True)
    with tg.no_grad():
        p[0] = 5.0
    np.testing.assert_array_equal(p.numpy(), [5, 0, 0])
    assert p._version == 1
    with pytest.raises(RuntimeError, match="setitem: a leaf Variable"):
        p[1] = 1.0


def test_bad_in_place_writes_raise_before_any_change():
    t = tg.ones(3)
    with pytest.raises(RuntimeError, match=r"add_: cannot write the result into the tensor of shape \(3,\)"):
        t.add_(tg.ones(2, 3))  # the result would not fit
    n = tg.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="div_: cannot write.*int64"):
        n.div_(2)  # a float result is not truncated into an integer tensor
    with pytest.raises(ValueError, match=r"setitem: .*shape \(2,\).*\(3,\)"):
        t[:] = np.ones(2)
    with pytest.raises(ValueError, match="clamp_: at least one of min, max"):
        t.clamp_()
    np.testing.assert_array_equal(t.numpy(), np.ones(3))
    np.testing.assert_array_equal(n.numpy(), [1, 2, 3])
    assert t._version == 0 and n._version == 0


def test_backward_through_a_graph_that_saved_a_parameter_before_the_optimizer_step_raises_like_torch():
    w = nn.Parameter(np.ones((2, 2), np.float32))
    x = tg.ones(1, 2, requires_grad=True)
    loss = (x * w).sum()
    opt = tg.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()  # updates w in place: Mul above saved the old w
    with pytest.raises(RuntimeError, match="Mul: one of the variables needed for gradient computation"):
        loss.backward()
