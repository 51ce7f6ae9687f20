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
    assert train.main(["logreg", "--epochs", "3", "--out", str(tmp_path / "split")]) == 130
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
    assert sample.main(["logreg", "--ckpt", str(tmp_path / "o"), "--n", "8", "--out", str(tmp_path / "s")]) == 0
    assert (tmp_path / "s" / "predictions.png").is_file()
    assert "test accuracy" in capsys.readouterr().out


def test_unknown_device_is_a_clear_error_before_any_file(tmp_path, capsys):
    assert train.main(["logreg", "--device", "tpu", "--out", str(tmp_path / "o")]) == 2
    assert "unknown device 'tpu'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# ----- the command line as a new user meets it (issue 17) ------------------------------------------------------------
from tinygrad_gen import cli  # noqa: E402 (this section's imports, kept with its tests)
from tinygrad_gen.cli import sample as tgg_sample  # noqa: E402 (as above)


def folder_bytes(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def one_error_line(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


@pytest.fixture(scope="module")
def logreg_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("logreg")
    tgg_train("logreg", "--steps", "3", "--out", str(out))
    return out


@pytest.mark.parametrize("argv, says", [
    (["vae", "--epochs", "1"], "holds a run of model 'logreg', not 'vae'"),
    (["logreg", "--steps", "3", "--lr", "0.05"], "--lr 0.1 (now 0.05)"),
    (["logreg", "--steps", "3", "--seed", "7"], "--seed 0 (now 7)"),
])
def test_a_refused_resume_leaves_the_run_folder_byte_identical_and_sampleable(logreg_run, argv, says, capsys,
                                                                              tmp_path):
    before = folder_bytes(logreg_run)
    assert cli.main(["train", *argv, "--out", str(logreg_run), "--resume"]) == 2
    assert says in one_error_line(capsys)
    assert folder_bytes(logreg_run) == before
    assert tgg_sample.main(["logreg", "--ckpt", str(logreg_run), "--out", str(tmp_path), "--n", "4"]) == 0


def test_a_resume_may_change_the_length_of_the_run(tmp_path):
    tgg_train("logreg", "--steps", "2", "--out", str(tmp_path / "o"))
    tgg_train("logreg", "--steps", "4", "--out", str(tmp_path / "o"), "--resume")
    assert json.loads((tmp_path / "o" / "metrics.json").read_text())["steps"] == 4


def help_text(capsys, *argv):
    assert cli.main(["train", *argv, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines: compare with single spaces


@pytest.mark.parametrize("model, own, other, default", [("vae", "epochs", "steps", 300), ("ae", "epochs", "steps", 100),
                                                        ("gpt", "steps", "epochs", 2000),
                                                        ("gan1d", "steps", "epochs", 1500)])
def test_help_shows_only_the_models_own_length_option_with_its_default(capsys, model, own, other, default):
    text = help_text(capsys, model)
    assert f"--{own} {own.upper()}" in text and f"(default: {default})" in text
    assert f"--{other}" not in text


def test_help_shows_the_defaults_of_model_options_even_without_help_text(capsys):
    text = help_text(capsys, "vae")
    assert "--iwae-k IWAE_K importance samples K for the test log p(x) (default: 500)" in text
    assert "--batch-size BATCH_SIZE (default: 100)" in text
    assert "--seed SEED seeds tg.manual_seed and numpy (default: 0)" in text


def test_a_model_trained_by_both_offers_both_and_says_which_decides(capsys):
    text = help_text(capsys, "logreg")
    assert "--epochs EPOCHS passes over the training data (default: 10)" in text
    assert "--steps STEPS optimizer steps (default: --epochs decides)" in text


@pytest.mark.parametrize("argv, says", [(["vae", "--steps", "5"], "model 'vae' trains by epochs, so --steps would be "
                                                                  "ignored; use --epochs"),
                                        (["gpt", "--epochs", "1"], "model 'gpt' trains by steps, so --epochs would be "
                                                                   "ignored; use --steps")])
def test_the_length_option_a_model_ignores_is_refused_in_one_line(capsys, tmp_path, argv, says):
    assert cli.main(["train", *argv, "--out", str(tmp_path / "o")]) == 2
    assert says in one_error_line(capsys)
    assert not (tmp_path / "o").exists()


def test_every_target_declares_what_it_trains_by():
    for name in models.TARGETS:
        assert set(train.trained_by(train.load_model(name))) <= {"epochs", "steps"}, name
        assert hasattr(train.load_model(name), "TRAINED_BY"), name


@pytest.mark.parametrize("argv", [
    ["logreg", "--epochs", "-1"], ["logreg", "--steps", "0"], ["logreg", "--batch-size", "-5"],
    ["logreg", "--lr", "0"], ["logreg", "--epochs", "two"], ["vae", "--checkpoint-every", "0"],
    ["vae", "--iwae-k", "0"], ["ae", "--batch-size", "0"], ["gpt", "--eval-every", "0"], ["dcgan", "--batch", "0"],
    ["gan2d", "--seeds", "0"], ["bert", "--checkpoint-every", "0"], ["cyclegan", "--pool", "-1"],
    ["gan1d", "--seed", "-1"], ["gpt", "--ranks", "0"],
])
def test_a_bad_number_is_one_clear_line_and_exit_2_before_any_file(capsys, tmp_path, argv):
    assert cli.main(["train", *argv, "--out", str(tmp_path / "o")]) == 2
    err = one_error_line(capsys)
    assert f"argument {argv[1]}: must be" in err and argv[2] in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("option, value", [("--n", "0"), ("--n", "-3"), ("--top-k", "0"), ("--temperature", "0")])
def test_a_bad_sample_number_is_one_clear_line(capsys, logreg_run, option, value):
    assert cli.main(["sample", "logreg", "--ckpt", str(logreg_run), option, value]) == 2
    assert f"argument {option}: must be" in one_error_line(capsys)


def test_sampling_a_run_of_another_model_is_one_clear_line(capsys, logreg_run, tmp_path):
    assert cli.main(["sample", "vae", "--ckpt", str(logreg_run), "--out", str(tmp_path)]) == 1
    assert "holds a run of model 'logreg', not 'vae'" in one_error_line(capsys)


def test_an_error_inside_a_model_is_one_line_without_traceback(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("TGG_DEBUG", raising=False)
    assert cli.main(["train", "gpt", "--text", str(tmp_path / "missing.txt"), "--steps", "1",
                     "--out", str(tmp_path / "o")]) == 1
    err = one_error_line(capsys)
    assert err.startswith("tgg train: ") and "missing.txt" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()   # a refused run leaves nothing behind, not even its config.json


def test_resume_says_whether_it_found_a_checkpoint(capsys, tmp_path):
    tgg_train("logreg", "--steps", "2", "--out", str(tmp_path / "o"), "--resume")
    assert f"no checkpoint in {tmp_path / 'o'}, starting from scratch" in capsys.readouterr().err
    tgg_train("logreg", "--steps", "3", "--out", str(tmp_path / "o"), "--resume")
    assert f"resuming from {tmp_path / 'o' / 'checkpoint.safetensors'}" in capsys.readouterr().err


def test_ctrl_c_says_where_the_last_checkpoint_is_and_exits_130(capsys, tmp_path, monkeypatch):
    save = Run.save_checkpoint

    def interrupted_after_first_save(self, **kw):
        save(self, **kw)
        raise KeyboardInterrupt
    monkeypatch.setattr(Run, "save_checkpoint", interrupted_after_first_save)
    out = tmp_path / "o"
    assert cli.main(["train", "logreg", "--epochs", "3", "--out", str(out)]) == 130
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"the last checkpoint is {out / 'checkpoint.safetensors'}" in err
    assert "--resume" in err


def test_ctrl_c_before_any_checkpoint_says_there_is_none(capsys, tmp_path, monkeypatch):
    def interrupted(self, **kw):
        raise KeyboardInterrupt
    monkeypatch.setattr(Run, "save_checkpoint", interrupted)
    assert cli.main(["train", "logreg", "--epochs", "3", "--out", str(tmp_path / "o")]) == 130
    assert "no checkpoint was written" in capsys.readouterr().err


def test_tgg_sample_says_what_it_wrote(capsys, logreg_run, tmp_path):
    assert tgg_sample.main(["logreg", "--ckpt", str(logreg_run), "--out", str(tmp_path), "--n", "4"]) == 0
    assert f"tgg sample: wrote {tmp_path / 'predictions.png'}" in capsys.readouterr().err


def test_help_descriptions_are_whole_first_paragraphs(capsys):
    for name in models.TARGETS:
        module = train.load_model(name)
        paragraph = " ".join(module.__doc__.strip().split("\n\n")[0].split())
        parser = train.build_parser(name, module)
        assert parser.description == paragraph, name
        assert paragraph[-1] in ".:)", f"{name}: the first paragraph of its docstring ends mid-sentence"


def test_epoch_trained_models_label_their_curves_by_epoch(tmp_path, monkeypatch):
    labels = {}
    monkeypatch.setattr(Run, "savefig", lambda self, fig, name: labels.setdefault(name, fig.axes[0].get_xlabel()))
    tgg_train("logreg", "--epochs", "1", "--out", str(tmp_path / "a"))
    assert labels["loss.png"] == "step"           # logreg logs a row per optimizer step
    labels.clear()
    tgg_train("ae", "--epochs", "1", "--hidden", "8", "--out", str(tmp_path / "b"))
    assert labels["loss.png"] == "epoch"


def test_sampling_a_model_without_a_sample_step_is_one_clear_line(capsys, logreg_run):
    assert cli.main(["sample", "ae", "--ckpt", str(logreg_run)]) == 2
    assert "model 'ae' has nothing to sample" in one_error_line(capsys)
