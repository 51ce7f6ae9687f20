"""Errors of the autograd machinery (backward, Function, requires_grad) and of Tensor basics: clear, naming what was
wrong, raised before any state changes. (Each op family's own errors are tested in tests/ops/.)"""
import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen import Function


def test_backward_on_a_non_scalar_without_grad_names_the_shape_and_writes_nothing():
    x = tg.randn(3, 4, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"backward.*\(3, 4\)"):
        y.backward()
    assert x.grad is None
    y.backward(tg.ones(3, 4))  # the graph is intact: the error changed nothing
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 2.0))


def test_backward_with_a_grad_of_the_wrong_shape_names_both_shapes():
    x = tg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(3,\)"):
        (x * 2).backward(tg.ones(2))
    assert x.grad is None


def test_a_second_backward_through_a_freed_graph_says_retain_graph_and_keeps_the_grads():
    x = tg.randn(3, requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    first = x.grad.numpy().copy()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), first)


def test_a_freed_graph_error_names_the_op():
    x = tg.randn(3, requires_grad=True)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Sum"):
        y.backward()


def test_backward_of_a_tensor_without_grad_says_so():
    with pytest.raises(RuntimeError, match=r"shape \(2,\) does not require grad"):
        tg.ones(2).backward(tg.ones(2))


@pytest.mark.parametrize("make", [lambda: tg.tensor([1, 2], requires_grad=True),
                                  lambda: tg.arange(3, requires_grad=True),
                                  lambda: tg.tensor([True]).requires_grad_(),
                                  lambda: tg.zeros(2, dtype=tg.int64, requires_grad=True)])
def test_integer_tensors_cannot_require_grad(make):
    with pytest.raises(TypeError, match="floating-point.*(int64|bool)"):
        make()


def test_requires_grad_cannot_be_turned_off_on_a_non_leaf():
    y = tg.randn(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.requires_grad_(False)
    assert y.requires_grad


def test_item_and_bool_of_a_many_element_tensor_explain_why():
    with pytest.raises(ValueError, match=r"item.*\(2,\)"):
        tg.ones(2).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tg.ones(2))


def test_an_unknown_device_is_named():
    with pytest.raises(ValueError, match="'tpu'"):
        tg.zeros(2, device="tpu")


def test_a_backward_returning_too_few_gradients_names_the_function():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g
    a, b = tg.randn(2, requires_grad=True), tg.randn(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Bad.backward returned 1 gradients for 2 inputs"):
        Bad.apply(a, b).sum().backward()


def test_a_backward_returning_a_wrongly_shaped_gradient_names_the_function_and_shapes():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g.sum(axis=0)
    a = tg.randn(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"BadShape.backward.*shape \(4,\).*input 0 of shape \(3, 4\)"):
        BadShape.apply(a).sum().backward()
    assert a.grad is None


def test_an_error_inside_forward_names_the_function_and_input_shapes():
    class Fails(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a @ b
    with pytest.raises(ValueError, match=r"Fails.*\(2, 3\), \(2, 3\)"):
        Fails.apply(tg.randn(2, 3), tg.randn(2, 3))


def test_a_tensor_passed_by_keyword_to_apply_is_refused():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, factor=None):
            return x * factor
    with pytest.raises(TypeError, match="Scale.apply: pass Tensors positionally"):
        Scale.apply(tg.randn(2), factor=tg.randn(2, requires_grad=True))
