"""Shared helpers for the model tests that train through the CLI: a short `tgg train` run, its logged metrics, and
`tgg sample` on it."""
import csv

from tinygrad_gen.cli.sample import main as sample_main
from tinygrad_gen.cli.train import main

TIMINGS = ("ms_per_step", "train_seconds")  # the metrics.json figures that measure time, not results


def train_run(tmp_path_factory, model, *args):
    """Run ``tgg train MODEL ARGS --out DIR`` into a fresh temporary folder DIR; it must exit 0. Returns DIR."""
    out = tmp_path_factory.mktemp(model)
    assert main([model, *args, "--out", str(out)]) == 0
    return out


def logged(run_dir, key):
    """The column ``key`` of the run's metrics.csv, one float per logged row."""
    with open(run_dir / "metrics.csv") as f:
        return [float(row[key]) for row in csv.DictReader(f)]


def resumed_like_uninterrupted(tmp_path, monkeypatch, model, *args, crash_after_save=1):
    """Train ``model`` into ``tmp_path/"whole"``, then again into ``tmp_path/"split"`` interrupted right after its
    ``crash_after_save``-th checkpoint and resumed with ``--resume``; assert both end with the same checkpoint
    tensors, metrics.csv and metrics.json (but its timings), bit for bit."""
    import json

    import numpy as np

    import tinygrad_gen as tg
    from tinygrad_gen.run import Run
    whole, split = tmp_path / "whole", tmp_path / "split"
    assert main([model, *args, "--out", str(whole)]) == 0
    save, saves = Run.save_checkpoint, []

    def save_then_crash(self, *a, **k):
        save(self, *a, **k)
        saves.append(1)
        if len(saves) == crash_after_save:
            raise KeyboardInterrupt
    monkeypatch.setattr(Run, "save_checkpoint", save_then_crash)
    assert main([model, *args, "--out", str(split)]) == 130  # Ctrl-C: tgg train exits 130
    monkeypatch.setattr(Run, "save_checkpoint", save)
    assert main([model, *args, "--out", str(split), "--resume"]) == 0
    a, b = tg.load(str(whole / "checkpoint.safetensors")), tg.load(str(split / "checkpoint.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k].numpy(), b[k].numpy(), err_msg=k)
    assert (whole / "metrics.csv").read_text() == (split / "metrics.csv").read_text()
    untimed = [{k: v for k, v in json.loads((d / "metrics.json").read_text()).items() if k not in TIMINGS}
               for d in (whole, split)]
    assert untimed[0] == untimed[1]


def sampled(capsys, model, run_dir, out, *args):
    """Run ``tgg sample MODEL --ckpt RUN_DIR --out OUT ARGS``; it must exit 0 and name the files it wrote, each of
    which must exist in OUT. Returns their names."""
    capsys.readouterr()
    assert sample_main([model, "--ckpt", str(run_dir), "--out", str(out), *args]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith("tgg sample: wrote ")]
    assert len(said) == 1, f"tgg sample {model} did not say what it wrote"
    paths = said[0][len("tgg sample: wrote "):].split(", ")
    assert paths and all(p.startswith(str(out)) for p in paths)
    names = sorted(p[len(str(out)) + 1:] for p in paths)
    assert all((out / name).is_file() for name in names)
    return names
