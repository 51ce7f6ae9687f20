"""tgg train icl: a short run writes its metrics, figures and prompts; evaluation leaves the weights frozen."""
import json

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen.data import CharVocab
from tinygrad_gen.models import word_tasks as wt
from tinygrad_gen.models.gpt import GPT, GPTConfig
from tinygrad_gen.models.icl import accuracy_grid, parse_sizes
from tinygrad_gen.models.word_tasks import KS, evaluation_prompts

from run_helpers import logged, train_run


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    return train_run(tmp_path_factory, "icl", "--quick", "--steps", "8", "--queries", "6", "--eval-every", "4")


def test_quick_icl_writes_accuracy_for_every_size_task_prompt_and_k(quick_run):
    m = json.loads((quick_run / "metrics.json").read_text())
    sizes = list(parse_sizes("1x16x2,1x24x2,2x32x4"))
    assert list(m["accuracy"]) == sizes and m["queries"] == 6
    for size in sizes:
        assert set(m["accuracy"][size]) == set(wt.TASKS)
        for task in wt.TASKS:
            for mode in ("prompt", "no_prompt"):
                cell = m["accuracy"][size][task][mode]
                assert list(cell) == [str(k) for k in KS]
                assert all(v * 6 == round(v * 6) and 0 <= v <= 1 for v in cell.values())   # a count out of 6
    assert m["params"]["1x16"] < m["params"]["1x24"] < m["params"]["2x32"]


def test_quick_icl_writes_its_figures_prompts_checkpoints_and_eval_rows(quick_run):
    for name in ("icl.png", "icl_tasks.png", "loss.png", "eval_prompts.json", "metrics.csv"):
        assert (quick_run / name).stat().st_size > 0
    for size in ("1x16", "1x24", "2x32"):
        assert (quick_run / size / "checkpoint.safetensors").is_file()
    assert logged(quick_run, "step") == [4.0, 8.0] * 3   # two evaluations per size
    prompts = json.loads((quick_run / "eval_prompts.json").read_text())
    assert len(prompts["cells"]) == len(wt.TASKS) * len(KS)
    assert all(len(c["prompts"]) == 6 for c in prompts["cells"])


def test_evaluation_leaves_every_weight_unchanged_and_the_mode_as_it_was():
    held = ["bird", "cast", "tree", "word", "lamp", "fish", "rock", "sand", "wind", "frog"]
    cells = evaluation_prompts(held, 4, seed=0)
    vocab = CharVocab("".join(wt.INSTRUCTIONS.values()) + "abcdefghijklmnopqrstuvwxyz =\n")
    tg.manual_seed(0)
    model = GPT(GPTConfig(len(vocab), 192, 1, 16, 2))
    before = [p.numpy().copy() for p in model.parameters()]
    acc = accuracy_grid(model, vocab, cells, "cpu")
    assert model.training
    assert all(np.array_equal(b, p.numpy()) for b, p in zip(before, model.parameters()))
    assert set(acc) == set(wt.TASKS)


def test_a_bad_size_is_a_clear_error():
    with pytest.raises(ValueError, match="LAYERSxWIDTHxHEADS"):
        parse_sizes("2x64")


def test_a_resumed_sweep_reuses_each_finished_sizes_training_and_accuracy(quick_run, tmp_path, monkeypatch):
    import shutil
    from tinygrad_gen.models import icl
    from tinygrad_gen.cli.train import main
    out = tmp_path / "gathered"
    shutil.copytree(quick_run, out)
    before = json.loads((out / "metrics.json").read_text())

    def no_evaluation(*args, **kwargs):
        raise AssertionError("a finished size was evaluated again")
    monkeypatch.setattr(icl, "accuracy_grid", no_evaluation)
    assert main(["icl", "--quick", "--steps", "8", "--queries", "6", "--eval-every", "4", "--resume",
                 "--out", str(out)]) == 0
    after = json.loads((out / "metrics.json").read_text())
    assert after["accuracy"] == before["accuracy"] and after["held_out_loss"] == before["held_out_loss"]
