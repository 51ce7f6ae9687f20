"""tg.gradcheck / tg.gradgradcheck: they pass correct rules, and a wrong rule fails with a message naming the input,
the element, and both derivative values."""
import re
import warnings

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen import Function, GradcheckError, Tensor


class WrongSquare(Function):
    """y = x^2 with the factor 2 forgotten in backward (dx = g * x instead of 2 g x)."""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x


class RawSquare(Function):
    """A correct first derivative computed on raw arrays: its second derivative is silently lost."""
    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x * x

    @staticmethod
    def backward(ctx, g):
        return Tensor(2 * ctx.x * g._data)


def leaf(shape, seed=0):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=tg.float64, requires_grad=True)


def test_gradcheck_returns_true_for_a_correct_rule():
    assert tg.gradcheck(lambda a, b: (a * b).tanh(), [leaf((3, 4)), leaf((4,), 1)]) is True


def test_gradcheck_error_names_input_element_and_both_values():
    x, y = leaf((2,), 1), leaf((3, 4))
    with pytest.raises(GradcheckError) as info:
        tg.gradcheck(lambda a, b: a.sum() + WrongSquare.apply(b), [x, y])
    message = str(info.value)
    match = re.search(r"input (\d+) .*element \((\d+), (\d+)\).*numerical (\S+) vs analytical (\S+)", message)
    assert match, message
    i, r, c, numerical, analytical = match.groups()
    assert i == "1"
    value = y.numpy()[int(r), int(c)]
    np.testing.assert_allclose(float(numerical), 2 * value, rtol=1e-4)
    np.testing.assert_allclose(float(analytical), value, rtol=1e-4)


def test_gradcheck_leaves_the_inputs_unchanged():
    x = leaf((3, 4))
    before = x.numpy().copy()
    tg.gradcheck(lambda a: a.exp(), [x])
    np.testing.assert_array_equal(x.numpy(), before)
    assert x.grad is None


def test_gradcheck_handles_functions_with_several_outputs():
    assert tg.gradcheck(lambda a, b: (a * b, a.exp()), [leaf(3), leaf(3, 1)])


def test_gradcheck_and_gradgradcheck_refuse_float32_inputs_and_say_to_pass_float64():
    x = tg.tensor(np.random.randn(3).tolist(), requires_grad=True)  # Python floats become float32
    for check in (tg.gradcheck, tg.gradgradcheck):
        with pytest.raises(TypeError, match=r"input 0 \(shape \(3,\)\) has dtype float32.*dtype=tg.float64"):
            check(lambda a: a * 2, [x])


def test_gradcheck_on_float64_inputs_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.gradcheck(lambda a: a * 2, [leaf(3)])


def test_gradcheck_without_any_input_requiring_grad_is_an_error():
    with pytest.raises(ValueError, match="gradcheck: no input requires grad"):
        tg.gradcheck(lambda a: a * 2, [tg.ones(3, dtype=tg.float64)])


def test_gradgradcheck_passes_a_rule_written_in_tensor_ops():
    assert tg.gradgradcheck(lambda a, b: (a * b).sigmoid() * a, [leaf((2, 3)), leaf((3,), 1)])


def test_gradgradcheck_catches_a_backward_on_raw_arrays():
    x = leaf(4)
    assert tg.gradcheck(RawSquare.apply, [x])  # the first derivative is right...
    with pytest.raises(GradcheckError, match="input 0"):
        tg.gradgradcheck(RawSquare.apply, [x])  # ...but the second is lost
