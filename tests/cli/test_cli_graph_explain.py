"""``tgg graph MODEL`` draws one training step with parameter names, collapsed by module; ``tgg explain OP`` prints
the derivation and the two Jacobians side by side."""
import shutil

import pytest

from tinygrad_gen.cli import graph as graph_cli, explain as explain_cli, main as tgg

from viz_helpers import parse_dot


def test_tgg_graph_vae_draws_one_step_collapsed_by_module_with_parameter_names(tmp_path, capsys):
    out = tmp_path / "vae.dot"
    assert tgg(["graph", "vae", "--out", str(out)]) == 0
    nodes, edges = parse_dot(out.read_text())
    labels = [label for label, _ in nodes.values()]
    firsts = {label[0] for label in labels}
    assert {"encoder (Sequential)", "decoder (Sequential)", "to_mu.weight", "to_logvar.bias", "loss"} <= firsts
    assert "encoder.0.weight" not in firsts  # counted inside the encoder's box
    assert all(any(line.startswith("grad (") for line in label) for label in labels if label[0].startswith("to_"))
    assert f"wrote {out}" in capsys.readouterr().out


def test_tgg_graph_no_collapse_draws_every_op(tmp_path):
    out = tmp_path / "vae.dot"
    assert graph_cli.main(["vae", "--out", str(out), "--no-collapse"]) == 0
    firsts = {label[0] for label, _ in parse_dot(out.read_text())[0].values()}
    assert "encoder.0.weight" in firsts and "encoder (Sequential)" not in firsts


def test_a_gan_step_keeps_each_players_gradient_from_its_own_loss():
    import tinygrad_gen as tg
    from tinygrad_gen import viz
    tg.manual_seed(0)
    with viz.record_modules():
        losses, players = graph_cli.step_of("gan1d")()
    graph_cli.backward_each(losses, players)
    D = players["D"]
    d_grads = [p.grad.numpy().copy() for p in D.parameters()]
    tg.manual_seed(0)
    losses2, players2 = graph_cli.step_of("gan1d")()
    losses2["d_loss"].backward()
    for mine, reference in zip(d_grads, players2["D"].parameters()):
        assert (mine == reference.grad.numpy()).all()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (CI installs it)")
def test_tgg_graph_writes_an_svg_picture(tmp_path):
    out = tmp_path / "gan1d.svg"
    assert tgg(["graph", "gan1d", "--out", str(out)]) == 0
    assert "<svg" in out.read_text()


def test_tgg_explain_tanh_prints_the_derivation_and_both_jacobians(capsys):
    assert tgg(["explain", "tanh"]) == 0
    text = capsys.readouterr().out
    assert "Tanh" in text and "1 - z^2" in text
    assert "analytical (backward)" in text and "central differences" in text
    assert "they agree" in text


def test_tgg_explain_shows_every_input_of_a_broadcasting_op(capsys):
    assert explain_cli.main(["mul"]) == 0
    text = capsys.readouterr().out
    assert "input 0, output 0" in text and "input 1, output 0" in text


def test_tgg_explain_an_unknown_op_names_the_known_ones(capsys):
    assert tgg(["explain", "no_such_op"]) == 1
    err = capsys.readouterr().err
    assert "unknown op 'no_such_op'" in err and "tanh" in err


@pytest.mark.parametrize("model", graph_cli.drawable())
def test_tgg_graph_draws_every_built_in_model_with_its_losses_named(model, tmp_path):
    out = tmp_path / f"{model}.dot"
    assert graph_cli.main([model, "--out", str(out)]) == 0
    firsts = {label[0] for label, _ in parse_dot(out.read_text())[0].values()}
    assert {"loss"} <= firsts or {"d_loss", "g_loss"} <= firsts
    if model == "logreg":  # one bare nn.Linear: its op and parameters, no box of submodules
        assert {"Linear", "weight", "bias"} <= firsts
    else:
        assert any(" (" in name and (name.endswith(")") or "), call " in name) for name in firsts)  # a Module box


def test_tgg_explain_cuts_inputs_to_two_per_axis_where_the_op_allows_and_keeps_fixed_shapes_where_not(capsys):
    assert explain_cli.main(["matmul"]) == 0
    assert "float64 inputs of shapes (2, 2), (2, 2)" in capsys.readouterr().out
    assert explain_cli.main(["F.cross_entropy"]) == 0  # its targets fix the batch at 3
    assert "float64 inputs of shapes (3, 5)" in capsys.readouterr().out


def test_tgg_graph_without_graphviz_writes_a_dot_file_and_says_how_to_install_dot(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert graph_cli.main(["ae"]) == 0
    assert (tmp_path / "ae_graph.dot").read_text().startswith("digraph")
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "apt-get install graphviz" in err
    assert tgg(["graph", "ae", "--out", str(tmp_path / "ae.png")]) == 1  # a picture asked for: one clear line
    assert "apt-get install graphviz" in capsys.readouterr().err


def test_every_model_with_a_bench_twin_or_a_graph_before_is_drawable():
    assert {"vae", "ae", "gpt", "bert", "dcgan", "gan1d", "gan2d", "cyclegan"} <= set(graph_cli.drawable())


@pytest.mark.parametrize("model", ["gan2d", "dcgan", "vae", "cyclegan"])
def test_tgg_graph_draws_the_step_function_that_tgg_train_runs(model, monkeypatch, tmp_path):
    import importlib
    module = importlib.import_module(f"tinygrad_gen.models.{model}")
    calls, real = [], module.step_losses
    monkeypatch.setattr(module, "step_losses", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert graph_cli.main([model, "--out", str(tmp_path / "g.dot")]) == 0
    assert len(calls) == 1


@pytest.mark.parametrize("model", ["icl", "nope"])
def test_tgg_graph_of_a_model_without_a_step_is_one_line_naming_the_drawable_ones(model, capsys, tmp_path):
    assert graph_cli.main([model, "--out", str(tmp_path / "g.dot")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"model {model!r}" in err and "gan2d" in err
    assert list(tmp_path.iterdir()) == []
