"""Intermediate gradients, as PyTorch shows them: ``retain_grad()`` / ``retains_grad``, ``Tensor.register_hook``
(reading, replacing, order, removal), ``grad_fn`` (``name()``, ``next_functions``) and the warning on reading
``.grad`` of a non-leaf. Each case runs the same code through ``torch`` and ``tinygrad_gen`` and compares."""
import gc
import warnings

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from tinygrad_gen import autograd
from tinygrad_gen.tensor import leaf_hooks

X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
W = [[1.0, -2.0], [0.5, 0.3], [-1.5, 2.0]]


def close(ours, theirs, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(ours.numpy() if hasattr(ours, "numpy") else ours),
                               theirs.detach().numpy(), rtol=rtol, atol=1e-7)


def net(lib, retain=True):
    """x @ w -> tanh -> * h -> sum, with h used twice (a fan-out), in either library; the intermediates retained."""
    x = lib.tensor(X, requires_grad=True)
    w = lib.tensor(W, requires_grad=True)
    h = x @ w
    a = h.tanh()
    out = a * h
    if retain:
        for t in (h, a, out):
            t.retain_grad()
    return x, w, h, a, out, out.sum()


def test_retained_gradients_equal_pytorchs_and_the_leaves_are_unchanged():
    ours, theirs = net(tg), net(torch)
    ours[-1].backward()
    theirs[-1].backward()
    for o, t in zip(ours[:5], theirs[:5]):
        assert o.retains_grad == t.retains_grad
        close(o.grad, t.grad)


def test_retained_gradients_accumulate_over_two_backwards_like_a_leafs():
    results = []
    for lib in (tg, torch):
        x, w, h, a, out, loss = net(lib)
        loss.backward(retain_graph=True)
        (2 * loss).backward()
        results.append((x.grad, h.grad, a.grad))
    for o, t in zip(*results):
        close(o, t)


def test_retains_grad_is_false_on_leaves_and_by_default_and_retain_grad_on_a_leaf_does_nothing():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert not x.retains_grad and not y.retains_grad
    x.retain_grad()
    assert not x.retains_grad
    y.retain_grad()
    y.retain_grad()  # twice: one gradient, not two
    assert y.retains_grad
    y.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])
    assert y.retains_grad  # still, after backward freed the graph


def test_a_hook_reads_the_gradient_and_one_that_returns_a_tensor_replaces_it_downstream_and_in_grad():
    def case(lib):
        x, w, h, a, out, loss = net(lib)
        seen = []
        a.register_hook(lambda g: seen.append(g.numpy().copy()))
        h.register_hook(lambda g: g * 3)  # h's gradient (both paths) tripled before it flows on to x and w
        loss.backward()
        return seen[0], h.grad, x.grad, w.grad

    results = [case(tg), case(torch)]
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    for o, t in zip(results[0][1:], results[1][1:]):
        close(o, t)


def test_the_retained_gradient_is_the_hooked_one_whatever_the_registration_order():
    for retain_first in (True, False):
        grads = []
        for lib in (tg, torch):
            x = lib.tensor([1.0, 2.0], requires_grad=True)
            y = x * 2
            if retain_first:
                y.retain_grad()
            y.register_hook(lambda g: g * 10)
            if not retain_first:
                y.retain_grad()
            (y * y).sum().backward()
            grads.append((y.grad, x.grad))
        close(grads[0][0], grads[1][0])
        close(grads[0][1], grads[1][1])


def test_hooks_run_in_registration_order_each_seeing_what_the_one_before_returned():
    def case(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        log = []
        y.register_hook(lambda g: (log.append(("first", g.tolist())), g + 1)[1])
        y.register_hook(lambda g: (log.append(("second", g.tolist())), None)[1])  # None: unchanged
        y.register_hook(lambda g: (log.append(("third", g.tolist())), g * 2)[1])
        y.sum().backward()
        return log, x.grad.tolist()

    assert case(tg) == case(torch)


def test_a_removed_hook_no_longer_runs_and_removing_twice_is_harmless():
    def case(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        calls = []
        handle = x.register_hook(lambda g: calls.append(1))
        (x * 2).sum().backward()
        handle.remove()
        handle.remove()
        (x * 2).sum().backward()
        y = x * 3
        with y.register_hook(lambda g: calls.append(2)):  # the handle removes the hook on leaving the block
            pass
        y.sum().backward()
        return calls, x.grad.tolist()

    assert case(tg) == case(torch) == ([1], [7.0, 7.0])


def test_a_leaf_hook_runs_once_with_the_total_gradient_before_it_is_accumulated():
    def case(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.grad = lib.tensor([100.0, 100.0])  # what is there already is not what the hook sees
        calls = []
        x.register_hook(lambda g: (calls.append(g.tolist()), g * 10)[1])
        (x * x + x).sum().backward()  # three paths into x: one call with their sum
        return calls, x.grad.tolist()

    assert case(tg) == case(torch)


def test_hooks_run_in_grad_too_and_replace_what_it_returns():
    def case(lib):
        grad = tg.grad if lib is tg else torch.autograd.grad
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        calls = []
        y.register_hook(lambda g: (calls.append("y"), g * 100)[1])
        y.retain_grad()
        handle = x.register_hook(lambda g: (calls.append("x"), g + 1)[1])
        (gx,) = grad((y * 3).sum(), x, retain_graph=True)
        handle.remove()
        z = x * 5  # a node beyond the wanted input: grad() runs no hook there
        z.register_hook(lambda g: calls.append("z"))
        (gy,) = grad((z * y).sum(), y)
        return calls, gx.tolist(), gy.tolist(), y.grad.tolist(), x.grad

    assert case(tg) == case(torch)


def test_hooks_with_create_graph_give_differentiable_gradients_and_retained_grads():
    def case(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True, dtype=lib.float64)
        y = x * 2
        y.retain_grad()
        modes = []
        y.register_hook(lambda g: (modes.append((g.requires_grad, lib.is_grad_enabled())), g * y)[1])
        (y ** 3).sum().backward(create_graph=True)
        assert y.grad.grad_fn is not None and x.grad.grad_fn is not None
        (gg,) = (tg.grad if lib is tg else torch.autograd.grad)(x.grad.sum(), x)  # through the hook's g * y
        return modes, y.grad, x.grad, gg

    results = [case(tg), case(torch)]
    assert results[0][0] == results[1][0]
    for o, t in zip(results[0][1:], results[1][1:]):
        close(o, t, rtol=1e-12)


def test_hooks_see_a_constant_gradient_with_grad_mode_off_without_create_graph():
    modes = []
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).register_hook(lambda g: modes.append((g.requires_grad, tg.is_grad_enabled())))
    y = x * 2
    y.register_hook(lambda g: modes.append((g.requires_grad, tg.is_grad_enabled())))
    y.sum().backward()
    assert modes == [(False, False)]


@pytest.mark.parametrize("bad, error, words", [
    (lambda g: g.sum(), RuntimeError, "changed the size"),
    (lambda g: g.astype(np.float64), RuntimeError, "changed the type"),
    (lambda g: [1.0, 2.0], TypeError, "returned 'list'"),
])
def test_a_hook_that_returns_another_shape_dtype_or_type_is_refused_as_in_pytorch(bad, error, words):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(bad)
    with pytest.raises(error, match=words):
        y.sum().backward()


def test_hooks_and_retain_grad_are_refused_on_a_tensor_that_does_not_require_grad():
    for lib in (tg, torch):
        t = lib.tensor([1.0])
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            t.register_hook(lambda g: g)
        with pytest.raises(RuntimeError, match="requires_grad=False"):
            t.retain_grad()


def test_reading_grad_of_a_non_leaf_warns_like_pytorch_and_gives_none():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed") as record:
        assert y.grad is None
    assert record[0].filename == __file__  # points at the user's line
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
        assert (tx * 2).grad is None


def test_no_warning_for_leaves_retained_non_leaves_or_a_grad_that_was_set():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y, z = x * 2, x * 3
    y.retain_grad()
    z.grad = tg.tensor([1.0, 1.0])  # set by hand: there, so no warning (as PyTorch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None and y.grad is None and tg.tensor([1.0]).grad is None
        assert z.grad is not None


def test_setting_grad_checks_type_shape_and_dtype():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="Tensor or None"):
        x.grad = np.ones(2)
    with pytest.raises(RuntimeError, match="different size"):
        x.grad = tg.ones(3)
    with pytest.raises(RuntimeError, match="different type"):
        x.grad = tg.ones(2, dtype=np.float64)
    x.grad = tg.ones(2)
    x.grad = None
    assert x.grad is None


def test_grad_fn_is_none_for_leaves_and_the_node_otherwise_with_its_name_and_inputs():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    c = tg.tensor([5.0, 6.0])
    assert x.grad_fn is None and c.grad_fn is None and (x * 2).detach().grad_fn is None
    h = x * w
    y = (h + c).exp()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = (tx * torch.tensor([3.0, 4.0], requires_grad=True) + torch.tensor([5.0, 6.0])).exp()
    assert y.grad_fn.name() == "Exp" and ty.grad_fn.name() == "ExpBackward0"
    ((add, i),) = y.grad_fn.next_functions
    assert add is (h + c).grad_fn or add.name() == "Add"
    assert i == 0 and add.name() == "Add"
    (mul, _), (none, k) = add.next_functions
    assert mul is h.grad_fn and mul.name() == "Mul" and (none, k) == (None, 0)
    assert [type(n).__name__ for n, _ in ty.grad_fn.next_functions[0][0].next_functions] == ["MulBackward0",
                                                                                            "NoneType"]
    (ax, _), (aw, _) = mul.next_functions
    assert ax.name() == "AccumulateGrad" and ax.variable is x and aw.variable is w
    assert ax.next_functions == ()
    (tax, _), _ = ty.grad_fn.next_functions[0][0].next_functions[0][0].next_functions
    assert type(tax).__name__ == "AccumulateGrad" and tax.variable is tx  # name(): "torch::autograd::Accu..."


class TwoOutputs(tg.Function):
    """(2a, 3a): one node, two outputs."""

    @staticmethod
    def forward(ctx, a):
        return 2 * a, 3 * a

    @staticmethod
    def backward(ctx, g1, g2):
        return 2 * g1 + 3 * g2


def test_hooks_on_the_outputs_of_a_multi_output_node_and_their_index_in_next_functions():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    p, q = TwoOutputs.apply(x)
    assert p.grad_fn is q.grad_fn
    p.retain_grad()
    q.retain_grad()
    q.register_hook(lambda g: g * 10)
    (p * 1 + q * q).sum().backward(retain_graph=True)
    np.testing.assert_array_equal(p.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(q.grad.numpy(), [60.0, 120.0])  # 2q = [6, 12], hooked
    np.testing.assert_array_equal(x.grad.numpy(), [2 + 180.0, 2 + 360.0])
    assert (q * q).grad_fn.next_functions == ((q.grad_fn, 1), (q.grad_fn, 1))
    x.grad = None
    (p * 1).sum().backward()  # q unused: its hook is not called, its .grad unchanged
    np.testing.assert_array_equal(q.grad.numpy(), [60.0, 120.0])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_draw_shows_a_retained_gradient_without_warning():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    loss = (y * y).sum()
    loss.backward(retain_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        source = tg.draw(loss, params={"x": x}).source
    assert source.count("grad (2) norm") + source.count("grad (2,) norm") == 2  # x's and y's


def test_hooks_keep_no_reference_cycle_and_leaf_hooks_go_with_their_leaf():
    gc.collect()
    gc.disable()
    try:
        x = tg.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: g)
        y = x * 2
        y.retain_grad()
        y.register_hook(lambda g: g)
        (y * y).sum().backward()
        key = id(x)
        assert key in leaf_hooks
        del x, y
        assert key not in leaf_hooks  # freed by reference counting alone
    finally:
        gc.enable()


def test_the_node_callback_sees_the_gradient_a_hook_replaced():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 7)
    seen = []
    with autograd.on_backward_node(lambda v: seen.append((v.node.name(), v.grads[0].tolist()))):
        (y * 1).sum().backward()
    assert seen[-2:] == [("Mul", [1.0, 1.0]), ("Mul", [7.0, 7.0])]  # y * 1's node, then y's (hooked)
    np.testing.assert_array_equal(x.grad.numpy(), [14.0, 14.0])
