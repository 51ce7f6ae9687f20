"""Shared helpers for the model tests that train through the CLI: a short `tgg train` run and its logged metrics."""
import csv

from tinygrad_gen.cli.train import main


def train_run(tmp_path_factory, model, *args):
    """Run ``tgg train MODEL ARGS --out DIR`` into a fresh temporary folder DIR; it must exit 0. Returns DIR."""
    out = tmp_path_factory.mktemp(model)
    assert main([model, *args, "--out", str(out)]) == 0
    return out


def logged(run_dir, key):
    """The column ``key`` of the run's metrics.csv, one float per logged row."""
    with open(run_dir / "metrics.csv") as f:
        return [float(row[key]) for row in csv.DictReader(f)]
