"""The backward engine: graph freeing, deep graphs, accumulation, higher derivatives, grad mode, custom Functions,
kinks, extreme values and anomaly mode. References are closed forms computed with NumPy."""
import gc
import weakref

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen import Function, Tensor

from graph_helpers import graph_nodes


@pytest.fixture
def gc_disabled():
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def test_no_graph_node_stays_alive_after_backward_with_gc_disabled(gc_disabled):
    x = tg.randn(3, 4, requires_grad=True)
    w = tg.randn(4, 2, requires_grad=True)
    loss = ((x @ w).tanh().log_softmax(axis=-1) * 2 + x.sum()).amax(axis=0).sum()
    nodes = [weakref.ref(n) for n in graph_nodes(loss)]
    assert len(nodes) >= 7
    loss.backward()
    del loss
    assert [r() for r in nodes] == [None] * len(nodes)
    assert x.grad is not None and w.grad is not None


def test_backward_frees_what_kept_intermediates_saved():
    x = tg.randn(3, requires_grad=True)
    h = x.exp()           # kept by the user, e.g. for plotting
    (h * 2).sum().backward()
    assert h._ctx.inputs is None and h._ctx.saved == () and not vars(h._ctx)


def test_a_node_does_not_keep_its_output_alive(gc_disabled):
    x = tg.randn(3, requires_grad=True)
    y = x.exp()
    ref = weakref.ref(y)
    node = weakref.ref(y._ctx)
    del y
    assert ref() is None and node() is None


def test_a_ten_thousand_op_chain_backpropagates():
    x = tg.tensor([0.5], dtype=np.float64, requires_grad=True)
    z = x
    for _ in range(10_000):
        z = z * 1.0001
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 10_000], rtol=1e-9)


def test_gradients_accumulate_across_backward_calls():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 + 2 * x.numpy())


def test_backward_from_a_leaf_gives_the_grad_itself_in_a_fresh_array():
    x = tg.randn(3, requires_grad=True)
    g = tg.tensor([1.0, 2.0, 3.0])
    x.backward(g)
    np.testing.assert_array_equal(x.grad.numpy(), g.numpy())
    assert not np.shares_memory(x.grad.numpy(), g.numpy())


def test_retain_graph_allows_a_second_backward():
    x = tg.tensor([1.0, -2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * x.numpy())


def test_a_tensor_used_twice_gets_both_contributions():
    x = tg.tensor([3.0], dtype=np.float64, requires_grad=True)
    y = x * x + x.exp() * x
    y.backward(tg.ones(1, dtype=np.float64))
    v = 3.0
    np.testing.assert_allclose(x.grad.numpy(), [2 * v + np.exp(v) * (1 + v)])


def test_leaves_never_share_a_gradient_array():
    a, b = tg.randn(3, requires_grad=True), tg.randn(3, requires_grad=True)
    c = tg.randn(3)
    ((a + b) * c).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    g = tg.ones(3)
    (a + b).backward(g)
    assert not np.shares_memory(a.grad.numpy(), g.numpy())


def test_create_graph_gives_second_derivatives_of_a_cube():
    x = tg.tensor([0.5, -1.5, 2.0], dtype=np.float64, requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    first = x.grad
    np.testing.assert_allclose(first.numpy(), 3 * x.numpy() ** 2)
    x.grad = None
    first.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy())


def test_gradient_penalty_differentiates_through_the_gradient():
    """d/dw of |d(w.x)^2/dx|^2 = d/dw (4 (w.x)^2 |w|^2) = 8 (w.x) |w|^2 x + 8 (w.x)^2 w."""
    rng = np.random.default_rng(0)
    w = tg.tensor(rng.standard_normal(3), dtype=np.float64, requires_grad=True)
    x = tg.tensor(rng.standard_normal(3), dtype=np.float64, requires_grad=True)
    ((w * x).sum() ** 2).backward(create_graph=True)
    penalty = (x.grad * x.grad).sum()
    w.grad = None
    penalty.backward()
    wv, xv = w.numpy(), x.numpy()
    s = wv @ xv
    np.testing.assert_allclose(w.grad.numpy(), 8 * s * (wv @ wv) * xv + 8 * s * s * wv, rtol=1e-10)


def test_without_create_graph_the_gradient_has_no_graph():
    x = tg.randn(3, requires_grad=True)
    (x * x).sum().backward()
    assert not x.grad.requires_grad and x.grad.is_leaf


def test_no_grad_context_records_nothing_and_enable_grad_reenables():
    x = tg.randn(3, requires_grad=True)
    with tg.no_grad():
        y = x * 2
        with tg.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and not z.is_leaf
    assert tg.is_grad_enabled()


def test_no_grad_works_as_a_decorator_and_restores_after_an_exception():
    x = tg.randn(3, requires_grad=True)

    @tg.no_grad()
    def double(t):
        return t * 2

    @tg.no_grad()
    def fail():
        raise KeyError("boom")
    assert not double(x).requires_grad
    with pytest.raises(KeyError):
        fail()
    assert tg.is_grad_enabled() and (x * 2).requires_grad


def test_no_grad_works_as_a_bare_decorator_and_in_recursion():
    x = tg.randn(3, requires_grad=True)

    @tg.no_grad
    def bare(t):
        return t * 2

    @tg.no_grad()
    def depth(n):
        return depth(n - 1) if n else (x * 2).requires_grad
    assert not bare(x).requires_grad
    assert depth(3) is False
    assert tg.is_grad_enabled()


def test_a_tensor_subclass_is_differentiated_like_a_tensor():
    class Weight(Tensor):
        pass
    w = Weight(np.array([1.0, 2.0]), requires_grad=True)
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])


def test_ops_on_tensors_without_grad_record_no_graph():
    a, b = tg.randn(3), tg.randn(3)
    assert (a * b).is_leaf and not (a * b).requires_grad


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 3 * x * x


def test_a_custom_function_is_differentiable_twice():
    x = tg.tensor([1.5, -0.5], dtype=np.float64, requires_grad=True)
    Cube.apply(x).sum().backward(create_graph=True)
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy())


def test_saved_tensors_give_back_the_input_tensors_themselves():
    seen = {}

    class Keep(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            seen["saved"] = ctx.saved_tensors
            return g, g
    a, b = tg.randn(2, requires_grad=True), tg.randn(2, requires_grad=True)
    Keep.apply(a, b).sum().backward()
    assert seen["saved"][0] is a and seen["saved"][1] is b


def test_needs_input_grad_tells_which_inputs_need_gradients():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen["needs"] = ctx.needs_input_grad
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, None, None
    Probe.apply(tg.randn(2, requires_grad=True), tg.randn(2), 3)
    assert seen["needs"] == (True, False, False)


def test_a_backward_may_return_the_broadcast_shape_and_the_engine_reduces_it():
    class AddRow(Function):
        @staticmethod
        def forward(ctx, a, row):
            return a + row

        @staticmethod
        def backward(ctx, g):
            return g, g   # g has a's shape; row's grad is summed over the broadcast axis by the engine
    a, row = tg.randn(3, 4, requires_grad=True), tg.randn(1, 4, requires_grad=True)
    AddRow.apply(a, row).sum().backward()
    np.testing.assert_allclose(row.grad.numpy(), np.full((1, 4), 3.0))


def test_a_function_with_two_outputs_gets_a_gradient_for_each():
    class SplitScale(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3
    x = tg.randn(3, requires_grad=True)
    u, v = SplitScale.apply(x)
    (u.sum() + v.sum() * 10).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 32.0))
    x.grad = None
    u = SplitScale.apply(x)[0]
    u.sum().backward()  # the second output was dropped: its gradient arrives as zeros
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 2.0))


class RawSquare(Function):
    """A backward on raw arrays, declared once-differentiable."""
    once_differentiable = True

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x * x

    @staticmethod
    def backward(ctx, g):
        return Tensor(2 * ctx.x * g._data)


def test_a_once_differentiable_function_has_a_correct_first_derivative():
    x = tg.tensor([1.0, -2.0], dtype=np.float64, requires_grad=True)
    RawSquare.apply(x).sum().backward(create_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy())


def test_differentiating_a_once_differentiable_gradient_again_raises():
    x = tg.tensor([1.0, -2.0], dtype=np.float64, requires_grad=True)
    RawSquare.apply(x).sum().backward(create_graph=True)
    with pytest.raises(RuntimeError, match="RawSquare is once-differentiable"):
        x.grad.sum().backward()


def test_relu_and_abs_have_zero_gradient_at_zero():
    x = tg.tensor([0.0, 2.0, -2.0], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])
    x.grad = None
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, -1.0])


def test_power_zero_has_zero_gradient_even_at_zero():
    x = tg.tensor([0.0, 2.0], requires_grad=True)
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_clip_passes_the_gradient_at_its_bounds():
    x = tg.tensor([-1.0, -0.5, 0.0, 0.5, 1.0], requires_grad=True)
    x.clip(-0.5, 0.5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 1, 0])


def _stable_softmax(v):
    e = np.exp(v - v.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


EXTREME = np.array([[1e4, -1e4, 0.0, 1e4 - 1.0], [-1e4, -1e4, -1e4 + 2.0, -1e4]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_at_plus_minus_1e4_is_finite_with_softmax_gradient(dtype):
    x = tg.tensor(EXTREME, dtype=dtype, requires_grad=True)
    out = x.logsumexp(axis=-1)
    out.sum().backward()
    m = EXTREME.max(axis=-1)
    expected = m + np.log(np.exp(EXTREME - m[:, None]).sum(axis=-1))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), _stable_softmax(EXTREME), atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_at_plus_minus_1e4_is_finite_with_finite_gradient(dtype):
    x = tg.tensor(EXTREME, dtype=dtype, requires_grad=True)
    out = x.log_softmax(axis=-1)
    weights = np.arange(EXTREME.size, dtype=dtype).reshape(EXTREME.shape)
    (out * tg.tensor(weights, dtype=dtype)).sum().backward()
    p = _stable_softmax(EXTREME)
    expected = EXTREME - EXTREME.max(axis=-1, keepdims=True) - np.log(
        np.exp(EXTREME - EXTREME.max(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), weights - p * weights.sum(axis=-1, keepdims=True), atol=1e-4)


def test_softmax_and_sigmoid_at_plus_minus_1e4_are_finite():
    x = tg.tensor(EXTREME, requires_grad=True)
    (x.softmax(axis=-1)[:, 0].sum() + x.sigmoid().sum()).backward()
    np.testing.assert_allclose(x.softmax(axis=-1).numpy(), _stable_softmax(EXTREME), atol=1e-7)
    np.testing.assert_array_equal(x.sigmoid().numpy(), (EXTREME > 0) * 1.0 + (EXTREME == 0) * 0.5)
    assert np.isfinite(x.grad.numpy()).all()


def test_detect_anomaly_names_the_op_and_the_user_line():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with tg.detect_anomaly():
        y = x.sqrt()  # the op whose backward divides by zero
        with pytest.raises(FloatingPointError) as info:
            y.sum().backward()
    message = str(info.value)
    assert "Sqrt" in message and "test_autograd.py" in message and "y = x.sqrt()" in message


def test_without_detect_anomaly_a_nan_gradient_passes_silently():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        x.sqrt().sum().backward()
    assert np.isinf(x.grad.numpy()[0])
