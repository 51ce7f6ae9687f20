"""``tg.viz.step_through``: the page that steps through a backward pass records one step per graph node in the order
the backward pass runs them, the gradients PyTorch computes for the same expression (intermediates included), a
``+=`` exactly where a tensor that already had a gradient gets another, and it is one self-contained file."""
import json
import re

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from tinygrad_gen import nn

X = np.random.default_rng(3).standard_normal((3, 4))
W = np.random.default_rng(4).standard_normal((4, 2))


def fan_out(lib):
    """loss = sum(h * h + h), h = tanh(x @ w): h feeds three op inputs (twice Mul, once Add)."""
    make = (lambda v: tg.tensor(v, dtype=np.float64, requires_grad=True)) if lib == "tg" else (
        lambda v: torch.tensor(v, requires_grad=True))
    x, w = make(X), make(W)
    h = (x @ w).tanh()
    return x, w, h, (h * h + h).sum()


def data(page, name):
    m = re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def grad_of(summary):
    return np.array(summary["values"])


def test_one_step_per_node_and_the_leaf_gradients_are_pytorchs():
    x, w, h, loss = fan_out("tg")
    steps = tg.viz.step_through(loss, params={"x": x, "w": w})
    tx, tw, th, tloss = fan_out("torch")
    tloss.backward()
    assert [s["op"] for s in steps.steps] == ["Sum", "Add", "Mul", "Tanh", "Matmul"]
    assert [s["step"] for s in steps.steps] == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    matmul = steps.steps[-1]
    sent = {e["input"]: grad_of(e["grad"]) for e in matmul["sends"]}
    np.testing.assert_allclose(sent[0], tx.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(sent[1], tw.grad.numpy(), rtol=1e-5)


def test_a_reused_tensor_shows_plus_equals_with_the_running_sum():
    x, w, h, loss = fan_out("tg")
    steps = tg.viz.step_through(loss)
    tx, tw, th, tloss = fan_out("torch")
    th.retain_grad()
    (th * th).sum().backward(retain_graph=True)
    via_mul = th.grad.numpy().copy()
    th.grad = None
    tloss.backward()
    tanh = next(s["node"] for s in steps.steps if s["op"] == "Tanh")
    h_id = next(e["to"] for e in steps.graph["edges"] if e["from"] == tanh)
    to_h = [e for s in steps.steps for e in s["sends"] if e["tensor"] == h_id]
    # h gets a gradient three times: from Add (input 1), from Mul twice (inputs 0 and 1)
    assert [e["accumulated"] for e in to_h] == [False, True, True]
    np.testing.assert_allclose(grad_of(to_h[0]["grad"]), np.ones((3, 2)))
    np.testing.assert_allclose(grad_of(to_h[1]["grad"]) + grad_of(to_h[2]["grad"]), via_mul, rtol=1e-5)
    np.testing.assert_allclose(grad_of(to_h[2]["total"]), th.grad.numpy(), rtol=1e-5)
    assert "+=" in steps.html


def test_a_leaf_grad_left_from_an_earlier_backward_is_shown_as_plus_equals():
    x, w, h, loss = fan_out("tg")
    w.grad = tg.tensor(np.full(W.shape, 10.0), dtype=np.float64)
    steps = tg.viz.step_through(loss)
    to_w = [e for e in steps.steps[-1]["sends"] if e["input"] == 1][0]
    assert to_w["accumulated"]
    np.testing.assert_allclose(grad_of(to_w["total"]), w.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(grad_of(to_w["total"]) - grad_of(to_w["grad"]), 10.0, rtol=1e-5)


def test_the_page_is_self_contained_and_names_every_node_it_steps_through(tmp_path):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    loss = ((model(tg.randn(4, 2)) - tg.randn(4, 1)) ** 2).mean()
    path = tmp_path / "backward.html"
    steps = tg.viz.step_through(loss, path, params=model)
    page = path.read_text()
    assert page == steps.html
    assert not re.search(r"https?://|<link|\bsrc=|@import", page), "the page must load nothing from outside"
    graph, recorded = data(page, "graph-data"), data(page, "steps-data")
    assert recorded == json.loads(json.dumps(steps.steps))
    svg_ids = set(re.findall(r'<g class="node[^"]*" id="n-(\w+)"', page))
    assert svg_ids == {n["id"] for n in graph["nodes"]}
    assert {s["node"] for s in recorded} | {e["tensor"] for s in recorded for e in s["sends"]} <= svg_ids
    labels = {n["label"] for n in graph["nodes"]}
    assert {"0.weight", "2.bias", "Linear", "Tanh", "loss"} <= labels
    assert all(p.grad is not None for p in model.parameters())  # it ran the backward
    frame = steps._repr_html_()
    assert frame.startswith("<iframe") and "srcdoc=" in frame and "<script" not in frame  # escaped inside srcdoc


def test_every_edge_points_down_the_page_toward_the_loss():
    x, w, h, loss = fan_out("tg")
    graph = tg.viz.step_through(loss).graph
    layer = {n["id"]: n["layer"] for n in graph["nodes"]}
    assert layer[graph["loss"]] == 0
    assert all(layer[e["from"]] > layer[e["to"]] for e in graph["edges"])


@pytest.mark.parametrize("bad, message", [
    (lambda: tg.tensor([1.0, 2.0], requires_grad=True) * 2, r"one value.*\(2,\)"),
    (lambda: tg.tensor(1.0, requires_grad=True), "leaf"),
    (lambda: 3.0, "Tensor"),
])
def test_bad_input_is_one_clear_error(bad, message):
    with pytest.raises((ValueError, TypeError), match=message):
        tg.viz.step_through(bad())


def test_saving_under_another_extension_says_to_use_html(tmp_path):
    x, w, h, loss = fan_out("tg")
    with pytest.raises(ValueError, match=r"step_through: .*\.html"):
        tg.viz.step_through(loss).save(tmp_path / "page.svg")


def test_tg_draw_html_writes_the_stepper_page_after_drawing_the_graph(tmp_path):
    w = tg.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    x = tg.tensor([1.0, 2.0])
    loss = ((w @ x).tanh() * (w @ x)).sum()  # w @ x used twice: its gradient accumulates
    graph = tg.draw(loss, params={"w": w}, html=tmp_path / "step.html")
    page = (tmp_path / "step.html").read_text()
    assert "<svg" in page and "+=" in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "Tanh" in graph.source and w.grad is not None
    with pytest.raises(ValueError, match="one loss"):
        tg.draw(loss, w, html=tmp_path / "two.html")
