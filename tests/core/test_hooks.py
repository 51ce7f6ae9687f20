"""The engine's hooks: Module forward hooks (per module and global, like PyTorch's) and the backward pass's per-node
callback (``autograd.on_backward_node``). Tools are built on these instead of rebinding engine internals."""
import copy

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from tinygrad_gen import autograd, nn
from tinygrad_gen.nn import module as module_lib


class Scale(nn.Module):
    """A module with no Tensor inside: forward(x) = k * x, for any x that multiplies."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x, shift=0):
        return self.k * x + shift


@pytest.fixture(autouse=True)
def no_global_hook_left_behind():
    yield
    assert not module_lib._global_hooks, "a test left a global module hook registered"


# ----- Module forward hooks -----

def test_pre_hooks_forward_and_forward_hooks_run_in_order():
    m, calls = Scale(2), []
    m.register_forward_pre_hook(lambda mod, args: calls.append(("pre 1", mod, args)))
    m.register_forward_pre_hook(lambda mod, args: calls.append(("pre 2", args)))
    m.register_forward_hook(lambda mod, args, out: calls.append(("post 1", mod, args, out)))
    m.register_forward_hook(lambda mod, args, out: calls.append(("post 2", out)))
    assert m(3) == 6
    assert calls == [("pre 1", m, (3,)), ("pre 2", (3,)), ("post 1", m, (3,), 6), ("post 2", 6)]


def test_global_hooks_run_for_every_module_before_its_own_hooks():
    calls = []
    m = Scale(2)
    m.register_forward_pre_hook(lambda mod, args: calls.append("own pre"))
    m.register_forward_hook(lambda mod, args, out: calls.append("own post"))
    with module_lib.register_module_forward_pre_hook(lambda mod, args: calls.append("global pre")), \
            module_lib.register_module_forward_hook(lambda mod, args, out: calls.append("global post")):
        later = Scale(3)  # built after the hooks were registered: they run for it too
        assert m(1) == 2 and later(1) == 3
    assert calls == ["global pre", "own pre", "global post", "own post", "global pre", "global post"]
    m(1)  # the global hooks are gone; the module's own stay
    assert calls[-2:] == ["own pre", "own post"]


def test_a_pre_hook_may_replace_the_arguments():
    m = Scale(2)
    m.register_forward_pre_hook(lambda mod, args: (args[0] + 1,))   # a tuple replaces the arguments
    m.register_forward_pre_hook(lambda mod, args: args[0] * 10)    # a single value too, wrapped in a tuple
    m.register_forward_pre_hook(lambda mod, args: None)            # None keeps them
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append(args))
    assert m(1) == 2 * (1 + 1) * 10
    assert seen == [(20,)]  # the forward hooks see the arguments forward got


def test_a_forward_hook_may_replace_the_output_and_the_next_hook_sees_the_new_one():
    m, seen = Scale(2), []
    m.register_forward_hook(lambda mod, args, out: out + 1)
    m.register_forward_hook(lambda mod, args, out: seen.append(out))  # returns None: output kept
    m.register_forward_hook(lambda mod, args, out: out * 100)
    assert m(3) == (6 + 1) * 100
    assert seen == [7]


def test_hooks_with_kwargs_see_and_may_replace_the_keyword_arguments():
    m, seen = Scale(2), []
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {**kwargs, "shift": kwargs["shift"] + 1}),
                                with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append((args, kwargs, out)), with_kwargs=True)
    assert m(3, shift=1) == 8
    assert seen == [((3,), {"shift": 2}, 8)]
    m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="pre-hook with kwargs must return None or \\(args, kwargs\\)"):
        m(3, shift=1)


def test_removing_a_handle_stops_its_hook_and_only_it():
    m, calls = Scale(2), []
    first = m.register_forward_hook(lambda mod, args, out: calls.append("first"))
    m.register_forward_hook(lambda mod, args, out: calls.append("second"))
    m(1)
    first.remove()
    first.remove()  # a second remove does nothing
    m(1)
    assert calls == ["first", "second", "second"]
    with m.register_forward_pre_hook(lambda mod, args: calls.append("in block")):  # a handle is a context manager
        m(1)
    m(1)
    assert calls[3:] == ["in block", "second", "second"]


def test_hooks_nest_through_submodules_outer_call_around_inner_calls():
    inner1, inner2 = Scale(2), Scale(3)
    outer = nn.Sequential(inner1, inner2)
    calls = []
    for name, m in (("outer", outer), ("inner1", inner1), ("inner2", inner2)):
        m.register_forward_pre_hook(lambda mod, args, name=name: calls.append(f"{name} enter {args[0]}"))
        m.register_forward_hook(lambda mod, args, out, name=name: calls.append(f"{name} leave {out}"))
    assert outer(1) == 6
    assert calls == ["outer enter 1", "inner1 enter 1", "inner1 leave 2", "inner2 enter 2", "inner2 leave 6",
                     "outer leave 6"]


def test_a_submodules_replaced_output_flows_on_to_the_next_module():
    model = nn.Sequential(Scale(2), Scale(3))
    model[0].register_forward_hook(lambda mod, args, out: out + 1)
    assert model(1) == (2 + 1) * 3


def test_hooks_work_on_tensors_and_see_the_layers_own_output():
    tg.manual_seed(0)
    lin = nn.Linear(3, 2)
    x = tg.randn(4, 3)
    got = []
    lin.register_forward_hook(lambda mod, args, out: got.append((args[0], out)))
    y = lin(x)
    assert got[0][0] is x and got[0][1] is y
    lin.register_forward_hook(lambda mod, args, out: out * 2)
    np.testing.assert_allclose(lin(x).numpy(), 2 * y.numpy(), rtol=1e-6)


def test_always_call_hooks_run_when_forward_raises_and_the_error_goes_on():
    m, calls = Scale(None), []
    m.register_forward_hook(lambda mod, args, out: calls.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, args, out: calls.append(("plain", out)))
    m.register_forward_hook(lambda mod, args, kwargs, out: calls.append(("kw", kwargs, out)), with_kwargs=True,
                            always_call=True)
    with pytest.raises(TypeError):
        m(1, shift=2)  # None * 1
    assert calls == [("always", None), ("kw", {"shift": 2}, None)]


def test_forward_hooks_match_pytorchs_calls_and_replacements():
    def run(lib):
        torch.manual_seed(0)
        tg.manual_seed(0)
        Lin, t = (torch.nn.Linear, torch.tensor) if lib == "torch" else (nn.Linear, tg.tensor)
        model = (torch.nn.Sequential if lib == "torch" else nn.Sequential)(Lin(2, 2), Lin(2, 1))
        model[1].load_state_dict({"weight": t([[1.0, -1.0]]), "bias": t([0.5])})
        model[0].load_state_dict({"weight": t([[1.0, 2.0], [3.0, 4.0]]), "bias": t([0.0, 1.0])})
        model[0].register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        model[0].register_forward_hook(lambda mod, args, out: out - 1)
        model.register_forward_hook(lambda mod, args, out: out * 3)
        y = model(t([[1.0, 1.0]]))
        return y.detach().numpy()

    np.testing.assert_allclose(run("tg"), run("torch"), rtol=1e-6)


def test_without_hooks_a_call_is_just_forward(monkeypatch):
    def fail(*a, **k):
        raise AssertionError("the hook path ran with no hook registered")

    m = Scale(2)
    monkeypatch.setattr(nn.Module, "_call_with_hooks", fail)
    assert m(3) == 6  # no hooks: forward directly
    handle = m.register_forward_hook(lambda mod, args, out: None)
    with pytest.raises(AssertionError, match="hook path ran"):
        m(3)
    handle.remove()
    assert m(3) == 6  # back on the plain path once the last hook is removed


def test_a_deep_copy_starts_with_no_hooks():
    m, calls = Scale(2), []
    m.register_forward_hook(lambda mod, args, out: calls.append(out))
    twin = copy.deepcopy(m)
    assert twin(1) == 2 and calls == []
    assert m(1) == 2 and calls == [2]


# ----- the backward pass's per-node callback -----

def small_graph():
    x = tg.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=np.float64, requires_grad=True)
    w = tg.tensor([1.5, -0.5], dtype=np.float64, requires_grad=True)
    h = (x * w).tanh()
    return x, w, (h * h + h).sum()


def test_the_callback_is_called_once_per_node_in_the_order_backward_runs_them():
    _, _, loss = small_graph()
    order = autograd._topological_order([loss._ctx])
    visits = []
    with autograd.on_backward_node(visits.append):
        loss.backward()
    assert [v.step for v in visits] == list(range(1, len(order) + 1))
    assert [id(v.node) for v in visits] == [id(n) for n in order]
    assert [v.node.fn.__name__ for v in visits] == ["Sum", "Add", "Mul", "Tanh", "Mul"]


def test_the_callback_gets_the_incoming_gradients_and_what_went_to_each_input():
    x, w, loss = small_graph()
    visits = []
    with autograd.on_backward_node(visits.append):
        loss.backward()
    first, last = visits[0], visits[-1]
    assert len(first.grads) == 1 and float(first.grads[0].numpy()) == 1.0
    square = visits[2]  # h * h: both inputs are h, the second gradient is added to the first
    assert [(s.input, s.tensor._ctx.fn.__name__, s.accumulated) for s in square.outgoing] == [
        (0, "Tanh", True), (1, "Tanh", True)]  # Add gave h its first gradient
    assert [(s.input, s.tensor is t, s.accumulated) for s, t in zip(last.outgoing, (x, w))] == [
        (0, True, False), (1, True, False)]
    np.testing.assert_array_equal(last.outgoing[0].grad.numpy(), x.grad.numpy())
    np.testing.assert_array_equal(last.outgoing[1].grad.numpy(), w.grad.numpy())
    assert last.outgoing[1].grad.shape == w.shape  # reduced to the input's shape (w was broadcast)


def test_the_callback_sees_the_node_whole_and_the_pass_frees_it_afterwards():
    _, _, loss = small_graph()
    whole = []
    with autograd.on_backward_node(lambda v: whole.append(v.node.inputs is not None)):
        loss.backward()
    assert all(whole)
    with pytest.raises(RuntimeError, match="freed"):
        loss.backward()


def test_the_callback_sees_tg_grad_and_a_double_backward():
    x = tg.tensor([0.3, -0.7], dtype=np.float64, requires_grad=True)
    y = (x * x * x).sum()
    seen = []
    with autograd.on_backward_node(lambda v: seen.append(v.node.fn.__name__)):
        g, = tg.grad(y, [x], create_graph=True)
        g.sum().backward()
    assert x.grad is not None and seen[:3] == ["Sum", "Mul", "Mul"] and len(seen) > 3
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy(), rtol=1e-12)


def test_the_callback_is_not_called_after_its_block_even_after_an_error():
    visits = []
    with pytest.raises(KeyError):
        with autograd.on_backward_node(visits.append):
            small_graph()[2].backward()
            raise KeyError("boom")
    n = len(visits)
    small_graph()[2].backward()
    assert n == 5 and len(visits) == n and autograd._node_callbacks == ()


def test_nested_callbacks_are_each_called_outermost_first():
    calls = []
    with autograd.on_backward_node(lambda v: calls.append(("outer", v.step))):
        with autograd.on_backward_node(lambda v: calls.append(("inner", v.step))):
            small_graph()[2].backward()
        small_graph()[2].backward()
    assert calls[:4] == [("outer", 1), ("inner", 1), ("outer", 2), ("inner", 2)]
    assert calls[10:] == [("outer", s) for s in range(1, 6)]


def test_gradients_are_the_same_with_and_without_a_callback():
    plain = small_graph()
    plain[2].backward()
    watched = small_graph()
    with autograd.on_backward_node(lambda v: None):
        watched[2].backward()
    for a, b in zip(plain[:2], watched[:2]):
        assert np.array_equal(a.grad.numpy(), b.grad.numpy())


def test_without_a_callback_backward_runs_nodes_directly_and_with_one_picks_the_runner_once(monkeypatch):
    made = []

    class Counting(autograd._Observed):
        def __init__(self, callbacks):
            made.append(1)
            super().__init__(callbacks)

    monkeypatch.setattr(autograd, "_Observed", Counting)
    small_graph()[2].backward()
    assert made == []  # no callback: the plain per-node runner, nothing watched
    with autograd.on_backward_node(lambda v: None):
        small_graph()[2].backward()
    assert made == [1]  # one runner for the whole backward call, not one per node


def test_what_a_callback_computes_is_not_recorded_even_under_create_graph():
    x = tg.tensor([0.3, -0.7], dtype=np.float64, requires_grad=True)
    made = []
    with autograd.on_backward_node(lambda v: made.append((v.grads[0] * 2).requires_grad)):
        g, = tg.grad((x * x).sum(), [x], create_graph=True)
    assert g.requires_grad and made == [False, False]
