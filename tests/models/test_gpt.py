"""The character-level GPT: the GPT-3 training recipe, the held-out loss, sampling, and `tgg train/sample gpt`."""
import json
import math

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen import optim
from tinygrad_gen.cli import sample as tgg_sample, train as tgg_train
from tinygrad_gen.data import DataLoader, TextWindows
from tinygrad_gen.models.gpt import GPT, GPTConfig, evaluate, val_starts
from tinygrad_gen.models.gpt3_recipe import adamw, make_optimizer, update

from run_helpers import resumed_like_uninterrupted

TINY = ["--layers", "1", "--width", "16", "--heads", "2", "--context", "8", "--batch-size", "4",
        "--sample-length", "8"]


def _tiny_gpt(vocab=11, context=8):
    tg.manual_seed(0)
    return GPT(GPTConfig(vocab_size=vocab, context=context, layers=1, width=16, heads=2))


def _expected_lr(t, peak=6e-4, warmup=100, total=2000, floor=0.1):
    if t < warmup:
        return peak * (t + 1) / warmup
    return peak * floor + peak * (1 - floor) * 0.5 * (1 + math.cos(math.pi * (t - warmup) / (total - warmup)))


def test_learning_rate_warms_up_linearly_then_decays_by_cosine_to_a_tenth_point_by_point():
    model = _tiny_gpt()
    opt, sched = make_optimizer(model, lr=6e-4, steps=2000, warmup=100)
    seen = []
    for _ in range(2000):
        seen.append([g["lr"] for g in opt.param_groups])
        sched.step()
    seen = np.array(seen)
    expected = np.array([_expected_lr(t) for t in range(2000)])
    np.testing.assert_allclose(seen[:, 0], expected, rtol=1e-12)
    np.testing.assert_allclose(seen[:, 1], expected, rtol=1e-12)   # both parameter groups
    assert seen[99, 0] == pytest.approx(6e-4) and seen[-1, 0] == pytest.approx(6e-5, rel=1e-5)


def test_weight_decay_applies_to_matrices_only():
    model = _tiny_gpt()
    opt = adamw(model, lr=1e-3, weight_decay=0.1)
    decayed, plain = opt.param_groups
    assert decayed["weight_decay"] == 0.1 and plain["weight_decay"] == 0.0
    assert all(p.ndim >= 2 for p in decayed["params"]) and all(p.ndim < 2 for p in plain["params"])
    assert len(decayed["params"]) + len(plain["params"]) == len(list(model.parameters()))
    assert isinstance(opt, optim.AdamW) and tuple(decayed["betas"]) == (0.9, 0.95)


def test_held_out_batches_are_fixed_evenly_spaced_and_in_range():
    starts = val_starts(5000, batches=50, batch=32, context=64)
    assert starts.shape == (50, 32)
    assert starts.min() == 0 and starts.max() == 5000 - 64 - 1
    assert np.all(np.diff(starts.ravel()) >= 0)
    np.testing.assert_array_equal(starts, val_starts(5000, batches=50, batch=32, context=64))


def test_val_loss_is_the_mean_over_batches_of_the_mean_next_character_cross_entropy():
    model = _tiny_gpt(vocab=11)
    data = np.random.default_rng(0).integers(0, 11, size=300)
    starts = val_starts(len(data), batches=3, batch=4, context=8)
    expected = []
    for batch in starts:
        x = np.stack([data[i:i + 8] for i in batch])
        y = np.stack([data[i + 1:i + 9] for i in batch])
        with tg.no_grad():
            logits = model(tg.tensor(x))[0].numpy().astype(np.float64)
        lse = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + logits.max(-1)
        picked = np.take_along_axis(logits, y[..., None], -1)[..., 0]
        expected.append((lse - picked).mean())
    assert evaluate(model, data, starts, 8) == pytest.approx(np.mean(expected), rel=1e-5)


def test_windows_pair_each_input_with_the_next_character():
    windows = TextWindows(np.arange(100), 5)
    x, y = windows[np.array([3, 50])]
    np.testing.assert_array_equal(x, [[3, 4, 5, 6, 7], [50, 51, 52, 53, 54]])
    np.testing.assert_array_equal(y, x + 1)
    assert len(windows) == 95 and windows[np.array([94])][1][0, -1] == 99   # the last window ends the text


def test_a_loader_over_text_windows_serves_every_window_once_per_pass():
    loader = DataLoader(TextWindows(np.arange(30), 4), batch_size=7, seed=0)
    starts = np.concatenate([x[:, 0] for x, _ in loader])
    np.testing.assert_array_equal(np.sort(starts), np.arange(26))


def test_top_k_of_one_is_greedy_decoding():
    model = _tiny_gpt()
    out = model.generate([1, 2, 3], 6, temperature=0.7, top_k=1)[0]
    seq = [1, 2, 3]
    for _ in range(6):
        with tg.no_grad():
            logits = model(tg.tensor(np.array([seq[-8:]])))[0].numpy()
        seq.append(int(logits[0, -1].argmax()))
    np.testing.assert_array_equal(out, seq)


def test_top_k_sampling_only_draws_among_the_k_most_likely():
    model = _tiny_gpt()
    prompt = np.array([4, 5])
    with tg.no_grad():
        logits = model(tg.tensor(prompt[None]))[0].numpy()[0, -1]
    top3 = set(np.argsort(logits)[-3:].tolist())
    draws = {int(model.generate(prompt, 1, temperature=5.0, top_k=3)[0, -1]) for _ in range(60)}
    assert draws <= top3 and len(draws) > 1


def test_generation_with_nonpositive_temperature_is_rejected():
    with pytest.raises(ValueError, match="temperature"):
        _tiny_gpt().generate([1], 3, temperature=0.0)


def test_train_gpt_writes_metrics_checkpoint_and_logs_the_schedule(tmp_path):
    out = tmp_path / "gpt"
    assert tgg_train.main(["gpt", "--steps", "20", "--warmup", "5", "--eval-every", "10", "--eval-batches", "2",
                           "--lr", "1e-3", "--out", str(out), *TINY]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"val_loss", "ms_per_step"} <= set(metrics)
    assert 0 < metrics["val_loss"] < math.log(200) and metrics["ms_per_step"] > 0
    rows = [r.split(",") for r in (out / "metrics.csv").read_text().splitlines()]
    header, rows = rows[0], rows[1:]
    for row in rows:   # the rate used by step s (logged after it) is the schedule at t = s - 1
        step, lr = int(row[header.index("step")]), float(row[header.index("lr")])
        assert lr == pytest.approx(_expected_lr(step - 1, 1e-3, 5, 20))
    assert (out / "checkpoint.safetensors").is_file() and (out / "loss.png").is_file()


def test_resumed_gpt_run_ends_where_an_uninterrupted_one_ends(tmp_path, monkeypatch):
    resumed_like_uninterrupted(tmp_path, monkeypatch, "gpt", "--steps", "6", "--warmup", "2", "--eval-every", "2",
                               "--eval-batches", "1", "--checkpoint-every", "3", "--dropout", "0.1", *TINY)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpt") / "run"
    assert tgg_train.main(["gpt", "--steps", "3", "--warmup", "1", "--eval-batches", "1", "--out", str(out),
                           *TINY]) == 0
    return out


def test_sample_gpt_continues_the_prompt_into_its_own_folder(tiny_run, tmp_path, capsys):
    trained = (tiny_run / "sample.txt").read_text()
    assert tgg_sample.main(["gpt", "--ckpt", str(tiny_run), "--out", str(tmp_path / "s"), "--prompt", "The ",
                            "--temperature", "0.8", "--top-k", "5", "--length", "12"]) == 0
    text = (tmp_path / "s" / "sample.txt").read_text()
    assert text.startswith("The ") and len(text) == 4 + 12
    assert (tiny_run / "sample.txt").read_text() == trained   # the training run's own sample is left alone


def test_sample_gpt_draws_n_continuations(tiny_run, tmp_path, capsys):
    assert tgg_sample.main(["gpt", "--ckpt", str(tiny_run), "--out", str(tmp_path), "--prompt", "The ",
                            "--length", "6", "--n", "3"]) == 0
    parts = (tmp_path / "sample.txt").read_text().split("--- sample ")[1:]
    assert [p.split(" ---")[0] for p in parts] == ["1 of 3", "2 of 3", "3 of 3"]
    assert all(p.split("---\n", 1)[1].rstrip("\n").startswith("The ") for p in parts)
    assert all(len(p.split("---\n", 1)[1].rstrip("\n")) == 4 + 6 for p in parts)


def test_a_refused_sample_is_one_line_and_leaves_no_folder(tiny_run, tmp_path, capsys, monkeypatch):
    from tinygrad_gen import cli
    monkeypatch.delenv("TGG_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["sample", "gpt", "--ckpt", str(tiny_run), "--prompt", "\x00", "--length", "2"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--prompt" in err
    assert list(tmp_path.iterdir()) == []


def test_tiny_gpt_learns_a_deterministic_sequence_with_the_recipe():
    """A cyclic text is fully predictable from one previous character: the recipe must drive the loss near 0."""
    data = np.tile(np.array([0, 3, 1, 4, 2, 5]), 200)
    model = _tiny_gpt(vocab=6)
    opt, sched = make_optimizer(model, lr=1e-2, steps=150, warmup=10)
    batches = DataLoader(TextWindows(data, 8), batch_size=8, seed=0, device="cpu").batches()
    for _ in range(150):
        _, loss = model(*next(batches))
        update(model, opt, sched, loss, clip=1.0)
    assert evaluate(model, data, val_starts(len(data), 2, 8, 8), 8) < 0.1
