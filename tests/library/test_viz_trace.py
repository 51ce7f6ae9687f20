"""``tg.trace_backward``: the backward pass node by node, in a valid reverse topological order, with the gradients a
plain backward computes (PyTorch's retained gradients as the reference), fan-outs flagged, and nothing changed or
kept alive by tracing or drawing."""
import gc
import weakref

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from tinygrad_gen import autograd, nn

from graph_helpers import graph_nodes

X = np.random.default_rng(1).standard_normal((3, 4))
W = np.random.default_rng(2).standard_normal((4, 2))


def fan_out_expression(lib):
    """loss = sum(h * h + h), h = tanh(x @ w): h feeds three op inputs. Returns (leaves, {op: its output}, loss)."""
    if lib == "tg":
        x, w = (tg.tensor(v, dtype=np.float64, requires_grad=True) for v in (X, W))
    else:
        x, w = (torch.tensor(v, requires_grad=True) for v in (X, W))
    xw = x @ w
    h = xw.tanh()
    hh = h * h
    y = hh + h
    loss = y.sum()
    return (x, w), {"Matmul": xw, "Tanh": h, "Mul": hh, "Add": y, "Sum": loss}, loss


def test_the_trace_has_one_row_per_graph_node_numbered_from_one():
    _, _, loss = fan_out_expression("tg")
    nodes = graph_nodes(loss)  # held here, so the rows' node ids stay theirs
    with tg.trace_backward() as trace:
        loss.backward()
    step = {row["node"]: row["step"] for row in trace.rows}
    assert sorted(step) == sorted(id(n) for n in nodes)
    assert [row["step"] for row in trace.rows] == list(range(1, len(nodes) + 1))


def test_the_trace_visits_nodes_in_a_valid_reverse_topological_order():
    _, _, loss = fan_out_expression("tg")
    nodes = graph_nodes(loss)
    uses = [(id(x._ctx), id(n)) for n in nodes for x in n.inputs if isinstance(x, tg.Tensor) and x._ctx is not None]
    assert len(uses) == 6  # Sum<-Add, Add<-Mul, Add<-Tanh, Mul<-Tanh twice, Tanh<-Matmul
    with tg.trace_backward() as trace:
        loss.backward()
    step = {row["node"]: row["step"] for row in trace.rows}
    assert all(step[user] < step[made] for made, user in uses)
    for row in trace.rows:  # the links the rows themselves give point forward too
        assert all(e["to_step"] > row["step"] for e in row["outgoing"] if e["to_step"] is not None)


def test_recorded_gradients_equal_pytorchs_retained_gradients_and_the_leaves_grads():
    leaves, _, loss = fan_out_expression("tg")
    with tg.trace_backward(keep_grads=True) as trace:
        loss.backward()
    (tx, tw), outputs, t_loss = fan_out_expression("torch")
    for t in outputs.values():
        t.retain_grad()
    t_loss.backward()
    rows = {row["op"]: row for row in trace.rows}
    assert sorted(rows) == sorted(outputs)
    for op, t in outputs.items():
        np.testing.assert_allclose(rows[op]["grad"], t.grad.numpy(), rtol=1e-12, atol=1e-12)
        assert rows[op]["grad_norm"] == pytest.approx(float(t.grad.norm()), rel=1e-12)
        assert rows[op]["grad_min"] == pytest.approx(float(t.grad.min()), rel=1e-12)
        assert rows[op]["grad_max"] == pytest.approx(float(t.grad.max()), rel=1e-12)
    to_leaves = rows["Matmul"]["outgoing"]
    assert [e["input"] for e in to_leaves] == [0, 1]
    np.testing.assert_allclose(to_leaves[0]["grad"], tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(to_leaves[1]["grad"], tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(leaves[1].grad.numpy(), tw.grad.numpy(), rtol=1e-12)


def test_a_fan_out_is_flagged_where_a_gradient_is_added_to_one_already_there():
    _, _, loss = fan_out_expression("tg")
    with tg.trace_backward() as trace:
        loss.backward()
    rows = {row["op"]: row for row in trace.rows}
    # backward: Sum, Add (gives Tanh its first gradient), Mul (adds twice more), Tanh, Matmul
    assert [row["op"] for row in trace.rows] == ["Sum", "Add", "Mul", "Tanh", "Matmul"]
    assert [(e["to"], e["accumulated"]) for e in rows["Add"]["outgoing"]] == [("Mul", False), ("Tanh", False)]
    assert [(e["to"], e["accumulated"]) for e in rows["Mul"]["outgoing"]] == [("Tanh", True), ("Tanh", True)]
    assert [row["fan_out"] for row in trace.rows] == [False, False, True, False, False]
    assert "(+=)" in str(trace)


def test_the_table_has_a_row_per_node_and_names_parameters():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    loss = model(tg.randn(5, 3)).sum()
    with tg.trace_backward(params=model) as trace:
        loss.backward()
    lines = str(trace).splitlines()
    assert lines[0].split()[:6] == ["step", "op", "output", "grad", "norm", "min"]
    assert [line.split()[1] for line in lines[1:]] == ["Sum", "Linear", "Tanh", "Linear"]
    assert "-> 2.weight" in lines[2] and "-> 0.bias" in lines[4]
    assert trace.rows[1]["output_shape"] == (5, 1)


def test_two_backward_calls_in_one_block_are_numbered_apart():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.trace_backward() as trace:
        (a * 2).sum().backward()
        a.exp().sum().backward()
    assert [(r["backward"], r["step"], r["op"]) for r in trace.rows] == [
        (1, 1, "Sum"), (1, 2, "Mul"), (2, 1, "Sum"), (2, 2, "Exp")]
    assert trace.rows[3]["outgoing"][0]["accumulated"]  # a.grad from the first backward was there
    assert "-- backward 2" in str(trace)


def test_leaving_the_block_turns_tracing_off_even_after_an_error():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ZeroDivisionError):
        with tg.trace_backward() as trace:
            (a * 2).sum().backward()
            raise ZeroDivisionError
    assert autograd._node_callbacks == ()  # the engine's callback is off again
    a.exp().sum().backward()
    assert [r["op"] for r in trace.rows] == ["Sum", "Mul"]  # nothing recorded after the block


def test_a_trace_is_entered_once_but_two_traces_nest_and_both_record():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.trace_backward() as outer:
        with pytest.raises(RuntimeError, match="already active"):
            outer.__enter__()
        with tg.trace_backward() as inner:
            (a * 2).sum().backward()
        a.exp().sum().backward()
    assert [r["op"] for r in inner.rows] == ["Sum", "Mul"]
    assert [r["op"] for r in outer.rows] == ["Sum", "Mul", "Sum", "Exp"]
    assert autograd._node_callbacks == ()


def test_drawing_and_tracing_change_no_gradient():
    plain_leaves, _, plain = fan_out_expression("tg")
    plain.backward()
    leaves, _, loss = fan_out_expression("tg")
    tg.draw(loss)
    with tg.trace_backward(keep_grads=True):
        loss.backward(retain_graph=True)
    tg.draw(loss, params={"x": leaves[0], "w": leaves[1]})
    for a, b in zip(plain_leaves, leaves):
        assert np.array_equal(a.grad.numpy(), b.grad.numpy())


@pytest.fixture
def no_cycle_collector():
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def test_drawing_and_tracing_keep_no_graph_alive(no_cycle_collector):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    with tg.viz.record_modules():
        loss = model(tg.randn(5, 3)).sum()
    refs = [weakref.ref(n) for n in graph_nodes(loss)] + [weakref.ref(loss)]
    before = tg.draw(loss, params=model, collapse=True)
    with tg.trace_backward(params=model, keep_grads=True) as trace:
        loss.backward()
    after_freed = len(trace.rows)
    del loss
    assert [r for r in refs if r() is not None] == []
    assert before.source and after_freed == len(refs) - 1  # the picture and the rows outlive the graph


def test_tg_grad_is_traced_too_with_the_gradients_its_inputs_get():
    x = tg.tensor(X, dtype=np.float64, requires_grad=True)
    loss = (x * x).tanh().sum()
    with tg.trace_backward(keep_grads=True) as trace:
        g, = tg.grad(loss, [x])
    assert x.grad is None
    to_x = trace.rows[-1]["outgoing"]
    assert [(e["to"], e["accumulated"]) for e in to_x] == [("leaf", False), ("leaf", True)]
    np.testing.assert_allclose(to_x[0]["grad"] + to_x[1]["grad"], g.numpy(), rtol=1e-12)


def test_tracing_assigns_nothing_on_the_engine():
    """The trace is built on autograd.on_backward_node: no function or class attribute of autograd is rebound."""
    before = {k: v for k, v in vars(autograd).items() if k != "_node_callbacks"}
    methods = {k: v for k, v in vars(autograd._Capture).items()}
    x = tg.tensor(X, dtype=np.float64, requires_grad=True)
    with tg.trace_backward():
        assert {k: v for k, v in vars(autograd).items() if k != "_node_callbacks"} == before
        assert dict(vars(autograd._Capture)) == methods
        (x * x).sum().backward()
