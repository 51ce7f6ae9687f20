"""tinygrad_gen.run.Run: the files it writes, exact metric history, and checkpoints that restore everything."""
import csv
import json

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen import data, nn, optim
from tinygrad_gen.run import Run, load_checkpoint, load_config


def make_config(tmp_path, **kw):
    return {"model": "toy", "epochs": 1, "steps": None, "seed": 0, "device": "cpu", "out": str(tmp_path / "run"),
            "resume": False, **kw}


def make_run(tmp_path, resume=False, unit="step", **kw):
    return Run(tmp_path / "run", make_config(tmp_path, resume=resume, **kw), resume=resume, unit=unit)


def test_config_json_holds_the_arguments(tmp_path):
    run = make_run(tmp_path, lr=0.5)
    config = json.loads((run.out / "config.json").read_text())
    assert config["lr"] == 0.5 and config["model"] == "toy" and config["out"] == str(run.out)
    assert load_config(run.out).lr == 0.5


def test_log_writes_metrics_csv_with_exact_floats_and_new_columns(tmp_path):
    run = make_run(tmp_path)
    run.log(step=1, loss=tg.tensor(0.1, dtype=np.float64))
    run.log(step=2, loss=1 / 3, acc=np.float32(0.75))
    with open(run.out / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["step"] for r in rows] == ["1", "2"]
    assert float(rows[1]["loss"]) == 1 / 3 and float(rows[0]["loss"]) == 0.1
    assert rows[0]["acc"] == "" and float(rows[1]["acc"]) == 0.75


def test_finish_writes_metrics_json_and_loss_curve(tmp_path):
    run = make_run(tmp_path)
    bar = run.progress(3, desc="toy")
    for step in range(3):
        bar.update(1)
        bar.set_postfix(loss=1.0 / (step + 1))
        run.log(step=step, train_loss=1.0 / (step + 1))
    run.finish({"acc": np.float64(0.5), "name": "x"})
    assert json.loads((run.out / "metrics.json").read_text()) == {"acc": 0.5, "name": "x"}
    assert (run.out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_savefig_writes_a_png(tmp_path):
    import matplotlib.pyplot as plt
    run = make_run(tmp_path)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = run.savefig(fig, "line.png")
    assert path == run.out / "line.png" and path.read_bytes()[:4] == b"\x89PNG"


def test_restore_without_resume_is_none(tmp_path):
    run = make_run(tmp_path)
    model = nn.Linear(2, 2)
    run.save_checkpoint(modules={"m": model})
    assert make_run(tmp_path).restore(modules={"m": model}) is None


def test_resume_without_checkpoint_starts_fresh(tmp_path):
    run = make_run(tmp_path, resume=True)
    assert not run.resuming and run.restore(modules={"m": nn.Linear(2, 2)}) is None


def _parts(seed):
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    loader = data.DataLoader(np.arange(20, dtype=np.float32).reshape(10, 2), batch_size=3, drop_last=True, seed=seed)
    return model, opt, sched, loader


def _train_steps(model, opt, sched, loader, n, stream):
    for _ in range(n):
        xb = next(stream)
        x = tg.cat([tg.tensor(xb), tg.randn(len(xb), 1)], axis=1)
        loss = (model(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()


def test_checkpoint_restores_modules_optimizers_schedulers_loaders_and_rng(tmp_path):
    model, opt, sched, loader = _parts(0)
    stream = loader.batches()
    _train_steps(model, opt, sched, loader, 5, stream)
    run = make_run(tmp_path)
    run.log(step=5, loss=1.0)
    run.save_checkpoint(modules={"model": model}, optimizers={"adam": opt}, loaders={"train": loader},
                        schedulers={"lr": sched}, extra={"step": 5, "note": [1, 2]})
    _train_steps(model, opt, sched, loader, 4, stream)
    expected = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    expected_rng = tg.randn(3).numpy(), np.random.rand(3)

    model2, opt2, sched2, loader2 = _parts(1)  # different weights and seeds until restored
    resumed = make_run(tmp_path, resume=True)
    extra = resumed.restore(modules={"model": model2}, optimizers={"adam": opt2}, loaders={"train": loader2},
                            schedulers={"lr": sched2})
    assert extra == {"step": 5, "note": [1, 2]}
    assert resumed.history == [{"step": 5, "loss": 1.0}]
    _train_steps(model2, opt2, sched2, loader2, 4, loader2.batches())
    for k, v in model2.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), expected[k], err_msg=k)
    np.testing.assert_array_equal(tg.randn(3).numpy(), expected_rng[0])
    np.testing.assert_array_equal(np.random.rand(3), expected_rng[1])


def test_checkpoint_is_plain_safetensors_with_module_keys(tmp_path):
    from safetensors.numpy import load_file
    model = nn.Linear(3, 2)
    run = make_run(tmp_path)
    run.save_checkpoint(modules={"model": model})
    arrays = load_file(str(run.checkpoint_path))
    np.testing.assert_array_equal(arrays["model.weight"], model.weight.numpy())
    assert set(arrays) == {"model.weight", "model.bias"}


def test_restore_drops_metric_rows_logged_after_the_checkpoint(tmp_path):
    run = make_run(tmp_path)
    run.log(step=1, loss=0.5)
    run.save_checkpoint(extra={"step": 1})
    run.log(step=2, loss=0.25)           # logged, then the run died before its next checkpoint
    resumed = make_run(tmp_path, resume=True)
    resumed.restore()
    resumed.log(step=2, loss=0.125)
    with open(resumed.out / "metrics.csv", newline="") as f:
        assert [(r["step"], r["loss"]) for r in csv.DictReader(f)] == [("1", "0.5"), ("2", "0.125")]


def test_load_checkpoint_names_a_missing_module(tmp_path):
    run = make_run(tmp_path)
    run.save_checkpoint(modules={"G": nn.Linear(2, 2)})
    with pytest.raises(KeyError, match="'D'.*'G'"):
        load_checkpoint(run.out, modules={"D": nn.Linear(2, 2)})


def test_load_checkpoint_rejects_a_foreign_safetensors_file(tmp_path):
    from safetensors.numpy import save_file
    save_file({"w": np.zeros(2, np.float32)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(ValueError, match="not a tgg train checkpoint"):
        load_checkpoint(tmp_path / "other.safetensors", modules={})


def test_extra_must_be_json_able(tmp_path):
    run = make_run(tmp_path)
    with pytest.raises(TypeError, match="JSON"):
        run.save_checkpoint(extra={"f": object()})
    assert not run.checkpoint_path.exists()


def test_finish_writes_tables_to_metrics_json_and_tgg_train_prints_the_headline(tmp_path, capsys):
    from tinygrad_gen.cli.train import print_headline
    run = make_run(tmp_path)
    metrics = {"acc": 0.5, "name": "x", "confusion": [[1, 2], [3, 4]], "per_seed": [{"modes": 8}], "ok": True}
    run.finish(metrics)
    assert capsys.readouterr().out == ""   # the library prints nothing; the command line does
    print_headline(run)
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"acc": 0.5, "name": "x", "ok": True}
    assert "confusion, per_seed too are in" in captured.err and str(run.out / "metrics.json") in captured.err
    assert json.loads((run.out / "metrics.json").read_text()) == metrics


def test_a_refused_resume_writes_nothing(tmp_path):
    from tinygrad_gen.cli.run_folders import check_resumable
    run = make_run(tmp_path, lr=0.5)
    run.save_checkpoint(modules={"m": nn.Linear(2, 2)})
    before = {p.name: p.read_bytes() for p in run.out.iterdir()}
    with pytest.raises(ValueError, match="holds a run of model 'toy', not 'other'"):
        check_resumable(run.out, make_config(tmp_path, lr=0.5, resume=True, model="other"))
    with pytest.raises(ValueError, match=r"--lr 0.5 \(now 0.25\)"):
        check_resumable(run.out, make_config(tmp_path, lr=0.25, resume=True))
    assert {p.name: p.read_bytes() for p in run.out.iterdir()} == before
    check_resumable(run.out, make_config(tmp_path, lr=0.5, epochs=3, resume=True))  # the length may change
    assert make_run(tmp_path, lr=0.5, epochs=3, resume=True).resuming


def test_a_run_writes_nothing_until_it_first_writes(tmp_path):
    run = make_run(tmp_path)
    run.save_checkpoint(modules={"m": nn.Linear(2, 2)})
    before = {p.name: p.read_bytes() for p in run.out.iterdir()}
    make_run(tmp_path, lr=0.1)        # a fresh run refused before writing: the older run is untouched
    assert {p.name: p.read_bytes() for p in run.out.iterdir()} == before
    fresh = make_run(tmp_path / "new")
    assert not fresh.folder.exists()
    fresh.log(step=1, loss=0.5)
    assert sorted(p.name for p in fresh.folder.iterdir()) == ["config.json", "metrics.csv"]


def test_a_fresh_run_removes_an_older_runs_checkpoint(tmp_path):
    run = make_run(tmp_path)
    run.save_checkpoint(modules={"m": nn.Linear(2, 2)})
    fresh = make_run(tmp_path)
    assert fresh.checkpoint_path.exists()      # nothing is removed before the fresh run first writes
    fresh.log(step=1, loss=0.5)
    assert not fresh.checkpoint_path.exists()


def test_load_run_rebuilds_the_modules_from_config_and_checkpoint(tmp_path):
    from tinygrad_gen.run import load_run
    run = make_run(tmp_path, width=3)
    model = nn.Linear(2, 3)
    run.save_checkpoint(modules={"m": model})
    config, modules = load_run(run.out, lambda config: {"m": nn.Linear(2, config.width)}, "toy", "cpu")
    assert config.width == 3
    np.testing.assert_array_equal(modules["m"].weight.numpy(), model.weight.numpy())
    with pytest.raises(ValueError, match="holds a run of model 'toy', not 'vae'"):
        load_run(run.out, lambda c: {}, "vae")


def test_curves_are_labelled_with_the_runs_unit(tmp_path, monkeypatch):
    run = make_run(tmp_path, unit="epoch")
    run.log(step=1, loss=1.0)
    labels = []
    monkeypatch.setattr(Run, "savefig", lambda self, fig, name: labels.append(fig.axes[0].get_xlabel()))
    run.plot_curves()
    run.plot_curves(xlabel="G step")
    assert labels == ["epoch", "G step"]
