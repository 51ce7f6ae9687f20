"""``tg.draw``: one node per op and per tensor, parameter names, gradient norms, NaN/Inf colouring, grouping by
Module call, and pictures through Graphviz (or one clear line when it is missing)."""
import re
import shutil

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen import nn, viz
from tinygrad_gen.nn import module as module_lib

from viz_helpers import named_edges, parse_dot

HAS_DOT = shutil.which("dot") is not None


def known_expression():
    rng = np.random.default_rng(0)
    a = tg.tensor(rng.standard_normal((3, 4)), dtype=np.float64, requires_grad=True)
    b = tg.tensor(rng.standard_normal(4), dtype=np.float64, requires_grad=True)
    c = a * b
    d = c.tanh()
    e = d + a
    loss = e.sum()
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "loss": loss}


def mlp():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = tg.randn(5, 3)
    return model, x


def test_the_dot_of_a_known_expression_holds_exactly_its_op_nodes_and_edges():
    t = known_expression()
    nodes, edges = parse_dot(tg.draw(t["loss"], params=t).source)
    ops = sorted(label[0] for label, attrs in nodes.values() if "ellipse" in attrs)
    tensors = sorted(label[0] for label, attrs in nodes.values() if "shape=box" in attrs)
    assert ops == ["Add", "Mul", "Sum", "Tanh"]
    assert tensors == ["a", "b", "c", "d", "e", "loss"]
    assert named_edges(tg.draw(t["loss"], params=t).source) == sorted([
        ("a", "Mul"), ("b", "Mul"), ("Mul", "c"), ("c", "Tanh"), ("Tanh", "d"),
        ("d", "Add"), ("a", "Add"), ("Add", "e"), ("e", "Sum"), ("Sum", "loss")])


def test_an_op_shows_its_input_positions_its_constants_and_its_backward_step():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.tensor([3.0, 4.0], requires_grad=True)
    loss = ((x - y) * 2.5).sum()
    nodes, edges = parse_dot(tg.draw(loss, params={"x": x, "y": y}).source)
    by_name = {label[0]: (node, label) for node, (label, _) in nodes.items()}
    sub = by_name["Sub"][0]
    assert sorted((nodes[a][0][0], label) for a, b, label in edges if b == sub) == [("x", "0"), ("y", "1")]
    assert "2.5" in by_name["Mul"][1]
    assert [by_name[op][1][-1] for op in ("Sum", "Mul", "Sub")] == [
        "backward step 1", "backward step 2", "backward step 3"]


def test_tensor_nodes_show_shape_and_dtype():
    t = known_expression()
    nodes, _ = parse_dot(tg.draw(t["loss"], params={"a": t["a"], "c": t["c"]}).source)
    labels = {label[0]: label for label, _ in nodes.values()}
    assert labels["a"][1] == "(3, 4) float64"
    assert labels["c"][1] == "(3, 4) float64"
    assert ["(4,) float64"] in [label for label, _ in nodes.values()]  # b, unnamed


def test_parameter_names_of_a_module_label_its_leaves():
    model, x = mlp()
    nodes, _ = parse_dot(tg.draw(model(x).sum(), params=model).source)
    names = {label[0] for label, _ in nodes.values()}
    assert {"0.weight", "0.bias", "2.weight", "2.bias"} <= names


def test_gradient_norms_on_the_picture_equal_the_tensors_grads():
    model, x = mlp()
    loss = (model(x) ** 2).mean()
    loss.backward(retain_graph=True)
    nodes, _ = parse_dot(tg.draw(loss, params=model).source)
    labels = {label[0]: label for label, _ in nodes.values()}
    for name, p in model.named_parameters():
        m = re.fullmatch(r"grad \((.*)\) norm (\S+)", labels[name][2])
        assert m, labels[name]
        assert tuple(int(n) for n in m.group(1).rstrip(",").split(", ")) == p.grad.shape
        assert float(m.group(2)) == pytest.approx(np.linalg.norm(p.grad.numpy().astype(np.float64)), rel=1e-3)


def test_a_gradient_holding_nan_colours_its_node_and_only_it():
    x = tg.tensor([-1.0, 4.0], requires_grad=True)  # d sqrt(x) / dx at x = -1 is NaN
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        loss = (x.sqrt() + w).sum()
        loss.backward(retain_graph=True)
    nodes, _ = parse_dot(tg.draw(loss, params={"x": x, "w": w}).source)
    red = [label[0] for label, attrs in nodes.values() if "#ff8a8a" in attrs]
    assert red == ["x"]
    assert next(label for label, _ in nodes.values() if label[0] == "x")[-1].endswith("(NaN/Inf)")


def test_show_grad_false_leaves_gradients_off_the_picture():
    model, x = mlp()
    loss = model(x).sum()
    loss.backward(retain_graph=True)
    assert "grad (" in tg.draw(loss, params=model).source
    assert "grad (" not in tg.draw(loss, params=model, show_grad=False).source


def test_drawing_after_a_plain_backward_says_the_graph_was_freed():
    model, x = mlp()
    loss = model(x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="freed by backward.*retain_graph=True"):
        tg.draw(loss)


def nested_model():
    tg.manual_seed(0)
    return nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.Tanh()), nn.Linear(4, 2))


def test_collapse_draws_the_ops_of_one_module_call_as_one_box_with_its_parameters_counted():
    model = nested_model()
    with viz.record_modules():
        loss = model(tg.randn(5, 3)).sum()
    nodes, edges = parse_dot(tg.draw(loss, params=model, collapse=2).source)
    boxes = [label for label, attrs in nodes.values() if "box3d" in attrs]
    assert boxes == [["0 (Sequential)", "2 ops, 16 parameters in 2 tensors"]]
    names = {label[0] for label, _ in nodes.values()}
    assert "0.0.weight" not in names and "0.0.bias" not in names  # inside the box
    assert {"1.weight", "1.bias", "Linear", "Sum"} <= names     # a one-op call stays an op
    assert ("0 (Sequential)", "(5, 4) float32") in named_edges(tg.draw(loss, params=model, collapse=2).source)


def test_collapse_true_picks_a_depth_where_no_box_holds_most_of_the_graph():
    model = nested_model()
    with viz.record_modules():
        loss = model(tg.randn(5, 3)).sum()
    assert tg.draw(loss, params=model, collapse=True).source == tg.draw(loss, params=model, collapse=2).source


def test_collapse_without_recorded_module_calls_is_a_clear_error():
    model = nested_model()
    loss = model(tg.randn(5, 3)).sum()
    with pytest.raises(ValueError, match="record_modules"):
        tg.draw(loss, collapse=True)


def test_record_modules_removes_its_hooks_on_exit_even_after_an_error():
    model = nested_model()
    original = nn.Module.__dict__["__call__"]
    with pytest.raises(KeyError):
        with viz.record_modules():
            assert module_lib._global_hooks  # it records through the global forward hooks
            raise KeyError("boom")
    assert nn.Module.__dict__["__call__"] is original  # nothing swapped, nothing left behind
    assert not module_lib._global_hooks and not any(m._hooks for m in model.modules())
    loss = model(tg.randn(5, 3)).sum()
    with pytest.raises(ValueError, match="record_modules"):  # a forward after the block is not recorded
        tg.draw(loss, collapse=True)


def test_record_modules_given_a_model_hooks_its_modules_only_while_the_block_runs():
    model = nested_model()
    with viz.record_modules(model):
        assert all(len(m._hooks) == 2 for m in model.modules()) and not module_lib._global_hooks
        loss = model(tg.randn(5, 3)).sum()
    assert not any(m._hooks for m in model.modules())
    with viz.record_modules():
        same = model(tg.randn(5, 3)).sum()
    assert tg.draw(loss, params=model, collapse=True).source == tg.draw(same, params=model, collapse=True).source


def test_a_module_call_that_raises_inside_record_modules_leaves_later_calls_grouped_right():
    model = nested_model()
    with viz.record_modules():
        with pytest.raises(ValueError):
            model(tg.randn(5, 7))  # the first Linear fails: its call, and the Sequentials around it, are left
        loss = model(tg.randn(5, 3)).sum()
    assert tg.draw(loss, params=model, collapse=True).source == tg.draw(loss, params=model, collapse=2).source
    boxes = [label for label, attrs in parse_dot(tg.draw(loss, params=model, collapse=2).source)[0].values()
             if "box3d" in attrs]
    assert boxes == [["0 (Sequential)", "2 ops, 16 parameters in 2 tensors"]]


def test_saving_a_dot_file_writes_the_source(tmp_path):
    t = known_expression()
    g = tg.draw(t["loss"])
    assert g.save(tmp_path / "g.dot") == str(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == g.source


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed (CI installs it)")
def test_svg_and_png_are_drawn_by_graphviz(tmp_path):
    g = tg.draw(known_expression()["loss"])
    g.save(tmp_path / "g.svg")
    g.save(tmp_path / "g.png")
    assert "<svg" in (tmp_path / "g.svg").read_text()
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in g._repr_svg_()


def test_without_graphviz_a_picture_fails_in_one_line_saying_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    g = tg.draw(known_expression()["loss"])
    with pytest.raises(RuntimeError) as info:
        g.save(tmp_path / "g.png")
    message = str(info.value)
    assert "\n" not in message and "apt-get install graphviz" in message and ".dot" in message
    assert not (tmp_path / "g.png").exists()
    g.save(tmp_path / "g.dot")  # still works
    assert g._repr_svg_() is None and "apt-get install graphviz" in repr(g)


def test_an_unknown_file_type_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="\\.dot, \\.svg or \\.png"):
        tg.draw(known_expression()["loss"]).save(tmp_path / "g.jpeg")
