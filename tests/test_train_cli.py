"""``tgg train`` end to end with the logistic-regression model: files, exact resume, registry errors."""
import csv
import json

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen import models
from tinygrad_gen.cli import train
from tinygrad_gen.run import Run


def tgg_train(*argv):
    assert train.main(list(argv)) == 0


def params(folder):
    return {k: v.numpy() for k, v in tg.load(folder / "checkpoint.safetensors").items()}


def assert_same_run(a, b):
    assert (a / "metrics.csv").read_text() == (b / "metrics.csv").read_text()
    assert (a / "metrics.json").read_text() == (b / "metrics.json").read_text()
    pa, pb = params(a), params(b)
    assert set(pa) == set(pb)
    for k in pa:
        np.testing.assert_array_equal(pa[k], pb[k], err_msg=k)


def test_logreg_writes_every_promised_file(tmp_path):
    out = tmp_path / "logreg"
    tgg_train("logreg", "--epochs", "2", "--out", str(out))
    for name in ("config.json", "metrics.csv", "metrics.json", "checkpoint.safetensors", "loss.png", "weights.png"):
        assert (out / name).is_file(), name
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == "logreg" and config["epochs"] == 2 and config["lr"] == 0.1
    with open(out / "metrics.csv", newline="") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [1, 2]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_acc"] > 0.8          # two epochs of softmax regression already classify digits


def test_resume_after_fewer_epochs_ends_bit_for_bit_like_one_run(tmp_path):
    tgg_train("logreg", "--epochs", "4", "--out", str(tmp_path / "whole"))
    tgg_train("logreg", "--epochs", "2", "--out", str(tmp_path / "split"))
    tgg_train("logreg", "--epochs", "4", "--out", str(tmp_path / "split"), "--resume")
    assert_same_run(tmp_path / "whole", tmp_path / "split")


def test_resume_mid_epoch_ends_bit_for_bit_like_one_run(tmp_path):
    tgg_train("logreg", "--steps", "40", "--out", str(tmp_path / "whole"))
    tgg_train("logreg", "--steps", "17", "--out", str(tmp_path / "split"))    # 24 batches per epoch
    tgg_train("logreg", "--steps", "40", "--out", str(tmp_path / "split"), "--resume")
    assert_same_run(tmp_path / "whole", tmp_path / "split")


def test_run_killed_after_logging_resumes_bit_for_bit(tmp_path, monkeypatch):
    tgg_train("logreg", "--epochs", "3", "--out", str(tmp_path / "whole"))
    save = Run.save_checkpoint
    calls = []

    def dies_on_third_save(self, **kw):
        calls.append(1)
        if len(calls) == 3:               # epoch 3 is logged, its checkpoint never written
            raise KeyboardInterrupt
        return save(self, **kw)
    monkeypatch.setattr(Run, "save_checkpoint", dies_on_third_save)
    with pytest.raises(KeyboardInterrupt):
        tgg_train("logreg", "--epochs", "3", "--out", str(tmp_path / "split"))
    monkeypatch.setattr(Run, "save_checkpoint", save)
    tgg_train("logreg", "--epochs", "3", "--out", str(tmp_path / "split"), "--resume")
    assert_same_run(tmp_path / "whole", tmp_path / "split")


def test_different_seeds_give_different_runs(tmp_path):
    tgg_train("logreg", "--steps", "5", "--seed", "1", "--out", str(tmp_path / "a"))
    tgg_train("logreg", "--steps", "5", "--seed", "2", "--out", str(tmp_path / "b"))
    assert not np.array_equal(params(tmp_path / "a")["model.weight"], params(tmp_path / "b")["model.weight"])


def test_unknown_model_lists_the_targets(capsys):
    assert train.main(["nosuchmodel"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'nosuchmodel'" in err
    assert all(name in err for name in models.TARGETS)


def test_models_own_the_list_of_targets_and_each_loads():
    assert {"logreg", "ae", "vae", "gan1d", "gan2d", "dcgan", "cyclegan", "gpt", "bert"} <= set(models.TARGETS)
    assert models.TARGETS["ae"] == "autoencoder"
    for name in models.TARGETS:
        module = train.load_model(name)
        assert module.__name__ == f"tinygrad_gen.models.{models.TARGETS[name]}"


def test_missing_model_module_is_not_available_yet(monkeypatch, capsys):
    monkeypatch.setitem(models.TARGETS, "ghost", "no_such_module")
    assert train.main(["ghost"]) == 2
    assert "not available yet" in capsys.readouterr().err


def test_model_options_are_parsed(tmp_path):
    tgg_train("logreg", "--steps", "3", "--lr", "0.05", "--batch-size", "32", "--out", str(tmp_path / "o"))
    config = json.loads((tmp_path / "o" / "config.json").read_text())
    assert (config["lr"], config["batch_size"], config["steps"]) == (0.05, 32, 3)


def test_tgg_sample_logreg_writes_predictions(tmp_path, capsys):
    from tinygrad_gen.cli import sample
    tgg_train("logreg", "--steps", "5", "--out", str(tmp_path / "o"))
    assert sample.main(["logreg", "--ckpt", str(tmp_path / "o"), "--n", "8"]) == 0
    assert (tmp_path / "o" / "predictions.png").is_file()
    assert "test accuracy" in capsys.readouterr().out


def test_unknown_device_is_a_clear_error_before_any_file(tmp_path, capsys):
    assert train.main(["logreg", "--device", "tpu", "--out", str(tmp_path / "o")]) == 2
    assert "unknown device 'tpu'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
