"""The version counter: an array saved for backward and changed in place afterwards makes backward raise PyTorch's
error, naming the op, the shape and both versions; a write before the op saved it is fine. And requires_grad's own
rule: only floating-point tensors can require gradients, by the setter as by the constructor."""
import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen import nn


def test_a_saved_array_changed_in_place_makes_backward_raise_torchs_error():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = tg.tensor([2.0, 2.0, 2.0])
    y = (x * w).sum()  # Mul saved w
    w.add_(1)
    with pytest.raises(RuntimeError, match=r"Mul: one of the variables needed for gradient computation has been "
                                           r"modified by an inplace operation: .* shape \(3,\).* version 1; "
                                           r"expected version 0"):
        y.backward()


def test_an_output_saved_for_backward_and_changed_under_no_grad_is_caught():
    x = tg.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()  # Exp saved its output
    with tg.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="Exp: one of the variables needed for gradient computation"):
        y.sum().backward()


def test_an_in_place_write_before_the_op_is_used_is_fine():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 3.0])
    w.add_(1)
    (x * w).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_backward_through_a_graph_that_saved_a_parameter_before_the_optimizer_step_raises_like_torch():
    w = nn.Parameter(np.ones((2, 2), np.float32))
    x = tg.ones(1, 2, requires_grad=True)
    loss = (x @ w).sum()
    opt = tg.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()  # updates w in place: Matmul above saved the old w
    with pytest.raises(RuntimeError, match="Matmul: one of the variables needed for gradient computation"):
        loss.backward()


def test_requires_grad_on_an_integer_tensor_is_refused_like_the_constructor():
    n = tg.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        n.requires_grad = True
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        tg.tensor([1, 2], requires_grad=True)
    assert not n.requires_grad
    f = tg.ones(2)
    f.requires_grad = True
    assert f.requires_grad and f.is_leaf
