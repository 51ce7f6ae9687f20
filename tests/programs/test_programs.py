"""Issue 25, deliverable 5: PyTorch programs of the shape of nanoGPT, pytorch/examples' VAE and DCGAN and makemore's
MLP run with only their import lines changed, and give PyTorch's numbers.

Each program in this folder is written once against ``torch``; ``porting_harness.load`` runs its text as written and
with the import lines rewritten. Weights made by PyTorch's initialisers are copied across (state_dict -> NumPy ->
load_state_dict); the program's own random draws are recorded from PyTorch and replayed (see porting_harness)."""
import math

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from porting_harness import HERE, RandomTape, changed_lines, copy_state, load, to_numpy

torch.set_num_threads(1)
PROGRAMS = ["gpt_program", "vae_program", "dcgan_program", "mlp_program"]
RTOL, ATOL = 2e-4, 1e-5  # float32 on both sides, a handful of optimizer steps


def close(ours, theirs, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64),
                               rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", PROGRAMS)
def test_only_import_lines_change(name):
    changed = changed_lines((HERE / f"{name}.py").read_text())
    assert changed, "the program imports torch"
    assert all(line.strip().startswith(("import torch", "from torch")) for line in changed), changed


def both(name):
    path = HERE / f"{name}.py"
    return load(name, "torch"), load(name, "tinygrad_gen"), RandomTape(path)


@pytest.mark.parametrize("fused", [True, False])
def test_gpt_trains_like_torch(fused):
    pt, ours, tape = both("gpt_program")
    torch.manual_seed(0)
    model_t = pt.build(pt.ModelConfig(fused_attention=fused))
    model_g = ours.build(ours.ModelConfig(fused_attention=fused))
    assert model_g.lm_head.weight is model_g.transformer.wte.weight
    copy_state(model_t, model_g, tg)
    assert model_g.lm_head.weight is model_g.transformer.wte.weight, "load_state_dict broke the weight tying"
    assert model_g.num_params() == model_t.num_params()
    names_t = [n for n, _ in model_t.named_parameters()]
    assert [n for n, _ in model_g.named_parameters()] == names_t
    with tape.record(torch):
        losses_t, evals_t = pt.train(model_t)
        sample_t = pt.sample(model_t, top_k=3)
    with tape.replay(tg):
        losses_g, evals_g = ours.train(model_g)
        sample_g = ours.sample(model_g, top_k=3)
    close(losses_g, losses_t)
    close(evals_g, evals_t)
    assert sample_g == sample_t and all(isinstance(t, int) for t in sample_g)
    for (_, p_t), (_, p_g) in zip(model_t.named_parameters(), model_g.named_parameters()):
        close(to_numpy(p_g), to_numpy(p_t), rtol=1e-3, atol=1e-5)


def test_gpt_runs_as_written():
    ours = load("gpt_program", "tinygrad_gen")
    model = ours.build()
    losses, _ = ours.train(model, steps=12)
    assert all(math.isfinite(x) for x in losses)
    assert np.mean(losses[-3:]) < np.mean(losses[:3])
    out = ours.sample(model, max_new_tokens=20)  # longer than the block: the context is cropped
    assert len(out) == 23 and all(0 <= t < model.cfg.vocab_size for t in out)


def test_vae_trains_like_torch():
    pt, ours, tape = both("vae_program")
    torch.manual_seed(0)
    model_t, model_g = pt.build(), ours.build()
    copy_state(model_t, model_g, tg)
    with tape.record(torch):
        batch_t, test_t, comp_t = pt.main(model_t, shuffle=False)
    with tape.replay(tg):
        batch_g, test_g, comp_g = ours.main(model_g, shuffle=False)
    close(batch_g, batch_t)
    close(test_g, test_t)
    assert tuple(comp_g.shape) == tuple(comp_t.shape) == (8, 1, 8, 8)
    close(to_numpy(comp_g), to_numpy(comp_t), rtol=1e-3, atol=1e-5)


def test_vae_runs_as_written():
    ours = load("vae_program", "tinygrad_gen")
    batch_losses, test_losses, _ = ours.main(ours.build(), epochs=3)  # shuffle=True, PyTorch's DataLoader
    assert all(math.isfinite(x) for x in batch_losses)
    assert test_losses[-1] < test_losses[0]


def test_dcgan_trains_like_torch():
    pt, ours, tape = both("dcgan_program")
    torch.manual_seed(0)
    (g_t, d_t), (g_g, d_g) = pt.build(), ours.build()
    # weights_init drew N(0, 0.02) conv weights and N(1, 0.02) batch-norm scales in ours too
    w = to_numpy(g_g.main[0].weight)
    assert abs(w.mean()) < 0.01 and 0.01 < w.std() < 0.03
    bn = to_numpy(d_g.main[3].weight)
    assert abs(bn.mean() - 1) < 0.02 and np.all(to_numpy(d_g.main[3].bias) == 0)
    copy_state(g_t, g_g, tg)
    copy_state(d_t, d_g, tg)
    with tape.record(torch):
        hist_t, fake_t = pt.main(g_t, d_t, shuffle=False)
    with tape.replay(tg):
        hist_g, fake_g = ours.main(g_g, d_g, shuffle=False)
    assert len(hist_g) == len(hist_t) == 3
    close(hist_g, hist_t, rtol=1e-3)
    close(to_numpy(fake_g), to_numpy(fake_t), rtol=1e-3, atol=1e-4)
    for key in d_t.state_dict():  # the batch-norm running statistics too
        close(to_numpy(d_g.state_dict()[key]), to_numpy(d_t.state_dict()[key]), rtol=1e-3, atol=1e-5)


def test_dcgan_runs_as_written():
    ours = load("dcgan_program", "tinygrad_gen")
    g, d = ours.build()
    history, fake = ours.main(g, d, niter=2)
    assert len(history) == 6 and all(math.isfinite(v) for row in history for v in row)
    assert tuple(fake.shape) == (16, 1, 16, 16) and float(abs(fake).max()) <= 1.0


def test_mlp_trains_like_torch():
    pt, ours, tape = both("mlp_program")
    with tape.record(torch):
        out_t = pt.main()
    with tape.replay(tg):
        out_g = ours.main()
    assert out_g["n_params"] == out_t["n_params"]
    close(out_g["lossi"], out_t["lossi"])
    close(out_g["dev_loss"], out_t["dev_loss"])
    assert out_g["accuracy"] == pytest.approx(out_t["accuracy"])
    assert out_g["names"] == out_t["names"]
    close(out_g["first_two"], out_t["first_two"], rtol=1e-3)
    for p_g, p_t in zip(out_g["params"], out_t["params"]):
        close(to_numpy(p_g), to_numpy(p_t), rtol=1e-3, atol=1e-5)


def test_mlp_generator_is_reproducible():
    ours = load("mlp_program", "tinygrad_gen")
    a, b, c = ours.main(steps=5), ours.main(steps=5), ours.main(steps=5, seed=7)
    assert a["lossi"] == b["lossi"] and a["names"] == b["names"]
    assert a["lossi"] != c["lossi"]
    assert all(math.isfinite(x) for x in a["lossi"])
