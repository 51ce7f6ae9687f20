"""Writing your own ``Function`` fails helpfully (issue 25, deliverable 4): a backward in NumPy raises when the graph of
its gradient is built, a NumPy ufunc on a Tensor names the Tensor method to use (while ``array + tensor`` still runs
the Tensor's reflected operator), and calling a Function class points to ``.apply``."""
import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen import Function

NOT_DIFFERENTIABLE = (r"NumpyTanh\.backward returned a NumPy array, so its gradient is not differentiable; write the "
                      r"backward in Tensor ops \(see CONTRIBUTING\.md\), or set once_differentiable = True")


class NumpyTanh(Function):
    """tanh with its backward on raw arrays: right to first order, not differentiable again."""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g._data * (1 - y._data ** 2)


class TensorTanh(Function):
    """The same op with its backward in Tensor ops (as CONTRIBUTING.md asks): differentiable again."""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (1 - y * y)


class OnceTanh(NumpyTanh):
    """The NumPy backward, declared once-differentiable."""
    once_differentiable = True


class NumpyMul(Function):
    """x * y with a NumPy backward returning a tuple, one array for each input."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g._data * y._data, g._data * x._data


def _x():
    return tg.tensor([-0.7, 0.2, 1.3], dtype=tg.float64, requires_grad=True)


# ----- a backward that returns arrays -----

def test_a_numpy_backward_still_works_to_first_order():
    x = _x()
    NumpyTanh.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 - np.tanh(x.numpy()) ** 2, rtol=1e-12)
    assert tg.gradcheck(NumpyTanh.apply, [_x()])
    (gx,) = tg.grad(NumpyTanh.apply(x).sum(), [x])
    np.testing.assert_allclose(gx.numpy(), 1 - np.tanh(x.numpy()) ** 2, rtol=1e-12)


def test_a_numpy_backward_under_create_graph_names_the_function():
    x = _x()
    with pytest.raises(RuntimeError, match=NOT_DIFFERENTIABLE):
        NumpyTanh.apply(x).sum().backward(create_graph=True)
    with pytest.raises(RuntimeError, match=NOT_DIFFERENTIABLE):
        tg.grad(NumpyTanh.apply(x).sum(), [x], create_graph=True)


def test_a_numpy_backward_returning_a_tuple_is_caught_too():
    x, y = _x(), tg.tensor([0.5, -2.0, 3.0], dtype=tg.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"NumpyMul\.backward returned a NumPy array"):
        tg.grad(NumpyMul.apply(x, y).sum(), [x, y], create_graph=True)
    gx, gy = tg.grad(NumpyMul.apply(x, y).sum(), [x, y])  # first order: accepted
    np.testing.assert_array_equal(gx.numpy(), y.numpy())
    np.testing.assert_array_equal(gy.numpy(), x.numpy())


def test_gradgradcheck_says_why_a_numpy_backward_fails():
    with pytest.raises(RuntimeError, match=NOT_DIFFERENTIABLE):
        tg.gradgradcheck(NumpyTanh.apply, [_x()])


def test_the_same_backward_in_tensor_ops_passes_gradgradcheck_and_matches_pytorch():
    torch = pytest.importorskip("torch")
    assert tg.gradgradcheck(TensorTanh.apply, [_x()])
    x = _x()
    (g,) = tg.grad(TensorTanh.apply(x).sum(), [x], create_graph=True)
    (gg,) = tg.grad(g.sum(), [x])
    xt = torch.tensor(x.numpy(), requires_grad=True)
    (gt,) = torch.autograd.grad(torch.tanh(xt).sum(), [xt], create_graph=True)
    (ggt,) = torch.autograd.grad(gt.sum(), [xt])
    np.testing.assert_allclose(gg.numpy(), ggt.numpy(), rtol=1e-12)


def test_a_once_differentiable_numpy_backward_builds_its_first_derivative_and_refuses_the_second():
    x = _x()
    (g,) = tg.grad(OnceTanh.apply(x).sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.numpy(), 1 - np.tanh(x.numpy()) ** 2, rtol=1e-12)
    with pytest.raises(RuntimeError, match="OnceTanh is once-differentiable"):
        tg.grad(g.sum(), [x])


# ----- NumPy ufuncs on Tensors -----

@pytest.mark.parametrize("ufunc, hint", [
    (np.exp, r"np\.exp does not take a Tensor: use t\.exp\(\) or tg\.exp\(t\)"),
    (np.tanh, r"np\.tanh does not take a Tensor: use t\.tanh\(\) or tg\.tanh\(t\)"),
    (np.absolute, r"np\.absolute does not take a Tensor: use t\.abs\(\) or tg\.abs\(t\)"),
    (np.negative, r"np\.negative does not take a Tensor: use t\.neg\(\) or tg\.neg\(t\)"),
])
def test_a_ufunc_with_a_twin_names_the_method_and_the_tg_function(ufunc, hint):
    t = tg.randn(3, requires_grad=True)
    with pytest.raises(TypeError, match=hint):
        ufunc(t)


def test_a_saved_tensor_in_a_backward_gets_the_hint():
    class ExpBad(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.exp(x)

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * np.exp(x)

    x = tg.randn(3, requires_grad=True)
    with pytest.raises(TypeError, match=r"use t\.exp\(\) or tg\.exp\(t\)"):
        ExpBad.apply(x).sum().backward()


def test_a_binary_ufunc_names_the_operator_or_function():
    a, b = tg.randn(3), tg.randn(3)
    with pytest.raises(TypeError, match=r"np\.maximum does not take a Tensor: use a\.maximum\(b\) or "
                                        r"tg\.maximum\(a, b\)"):
        np.maximum(a, b)
    with pytest.raises(TypeError, match=r"np\.add does not take a Tensor: use a \+ b or tg\.add\(a, b\)"):
        np.add(a, b)  # the Tensor on the left: ``a + b`` never reaches NumPy, only an explicit np.add does


def test_a_ufunc_without_a_twin_says_numpy_for_a_constant_or_a_function():
    t = tg.randn(3)
    with pytest.raises(TypeError, match=r"np\.spacing does not take a Tensor and has no tinygrad_gen twin: for a "
                                        r"constant, call it on the array \(np\.spacing\(t\.numpy\(\)\), no gradient\);"
                                        r" for a differentiable op, write a Function"):
        np.spacing(t)
    with pytest.raises(TypeError, match=r"np\.nextafter\(a\.numpy\(\), b\.numpy\(\)\).*write a Function"):
        np.nextafter(t, t)


def test_ufunc_methods_and_out_say_what_to_do():
    t = tg.randn(3)
    with pytest.raises(TypeError, match=r"np\.add\.reduce does not take a Tensor: use the Tensor's own reductions"):
        np.add.reduce(t)
    a = np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError, match=r"np\.add\(\.\.\., out=\.\.\.\): NumPy cannot write a Tensor's result"):
        a += t
    np.testing.assert_array_equal(a, np.ones(3))  # nothing written


# ----- NumPy on the left of an operator still runs the Tensor's reflected operator -----

DEFERRED = [  # (name, left operand, operator); the right operand is the Tensor
    ("ndarray + tensor", lambda: np.ones(3), lambda a, t: a + t),
    ("ndarray - tensor", lambda: np.arange(3.0), lambda a, t: a - t),
    ("float32 array * tensor", lambda: np.full(3, 1.5, np.float32), lambda a, t: a * t),
    ("ndarray / tensor", lambda: np.arange(3.0), lambda a, t: a / t),
    ("ndarray // tensor", lambda: np.arange(3.0) * 3, lambda a, t: a // t),
    ("ndarray % tensor", lambda: np.arange(3.0) * 3, lambda a, t: a % t),
    ("ndarray ** tensor", lambda: np.arange(3.0), lambda a, t: a ** t),
    ("ndarray @ tensor", lambda: np.arange(6.0).reshape(2, 3), lambda a, t: a @ t),
    ("np.float32 * tensor", lambda: np.float32(2), lambda a, t: a * t),
    ("np.float64 ** tensor", lambda: np.float64(2), lambda a, t: a ** t),
    ("np.int64 - tensor", lambda: np.int64(3), lambda a, t: a - t),
]


@pytest.mark.parametrize("name, left, op", DEFERRED, ids=[d[0] for d in DEFERRED])
def test_numpy_on_the_left_defers_to_the_tensor_and_keeps_its_dtype(name, left, op):
    t = tg.tensor([1.0, 2.0, 4.0], requires_grad=True)
    out = op(left(), t)
    assert isinstance(out, tg.Tensor) and out.requires_grad
    assert out.dtype == np.float32  # the Tensor's dtype, as its reflected operator gives (NEP 50: no upcast)
    expected = op(left(), t.numpy())  # NumPy's values on the arrays
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    out.sum().backward()  # and it is differentiable, as the reflected operator is
    assert t.grad is not None and t.grad.shape == (3,)


def test_numpy_scalars_on_the_left_match_pytorch():
    torch = pytest.importorskip("torch")
    t, tt = tg.tensor([1.0, 2.0, 4.0]), torch.tensor([1.0, 2.0, 4.0])
    for op in (lambda a, t: np.float32(2) * t, lambda a, t: np.float64(2) ** t, lambda a, t: np.int64(3) // t,
               lambda a, t: np.ones(3, dtype=np.float32) / t):
        ours, theirs = op(None, t), op(None, tt)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_numpy_comparisons_on_the_left_defer():
    t = tg.tensor([0.0, 1.0, 2.0])
    a = np.ones(3)
    for op in (np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal):
        out = op(a, t)
        assert isinstance(out, tg.Tensor) and out.dtype == np.bool_
        np.testing.assert_array_equal(out.numpy(), op(a, t.numpy()))
    np.testing.assert_array_equal((a < t).numpy(), [False, False, True])
    np.testing.assert_array_equal((a == t).numpy(), [False, True, False])


def test_asarray_and_array_still_give_the_values():
    t = tg.tensor([1.0, 2.0, 3.0])
    for conv in (np.asarray, np.array):
        out = conv(t)
        assert type(out) is np.ndarray and out.dtype == np.float32
        np.testing.assert_array_equal(out, [1.0, 2.0, 3.0])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.array(tg.tensor([1, 2])).dtype == tg.tensor([1, 2]).dtype


# ----- calling a Function class -----

def test_calling_a_function_class_points_to_apply():
    x = tg.randn(3, requires_grad=True)
    with pytest.raises(TypeError, match=r"call TensorTanh\.apply\(x\), not TensorTanh\(x\): a Function is applied, "
                                        r"not instantiated"):
        TensorTanh(x)
    with pytest.raises(TypeError, match=r"call NumpyMul\.apply\(\.\.\.\), not NumpyMul\(\.\.\.\)"):
        NumpyMul(x, x)
    assert TensorTanh.apply(x).shape == (3,)  # apply itself is unchanged
