"""The 1-D GAN as a user runs it: a short run moves the generated density towards the data, and the saturation
experiment shows the minimax gradient vanishing while the non-saturating one does not."""
import json

import numpy as np
import pytest

from tinygrad_gen.data import mixture_1d
from tinygrad_gen.cli.train import main

from run_helpers import sampled, train_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return train_run(tmp_path_factory, "gan1d", "--steps", "300", "--saturation-warmup", "200",
                     "--saturation-steps", "30")


def metrics(run_dir):
    return json.loads((run_dir / "metrics.json").read_text())


def density_l1(x):
    hist, edges = np.histogram(x, bins=100, range=(-5, 5), density=True)
    centers = (edges[1:] + edges[:-1]) / 2
    return np.abs(hist - mixture_1d().pdf(centers)).sum() * (edges[1] - edges[0])


def test_short_run_brings_generated_density_closer_to_the_data(run_dir):
    samples = np.load(run_dir / "samples.npy")
    assert density_l1(samples) < 0.6 * metrics(run_dir)["density_l1_at_start"]


def test_minimax_gradient_vanishes_where_non_saturating_does_not(run_dir):
    sat = metrics(run_dir)["saturation"]
    assert sat["minimax"]["d_fake_first"] < 0.05                  # D won before G started
    assert sat["ns"]["g_grad_norm_first"] > 10 * sat["minimax"]["g_grad_norm_first"]
    assert sat["ns"]["g_grad_norm_first10_mean"] > 10 * sat["minimax"]["g_grad_norm_first10_mean"]


def test_run_writes_strip_and_saturation_figures_and_per_step_log(run_dir):
    for name in ("gan1d.png", "saturation.png", "metrics.csv", "checkpoint.safetensors"):
        assert (run_dir / name).is_file()
    per_step = metrics(run_dir)["saturation_per_step"]
    assert len(per_step["minimax"]["g_grad_norm"]) == len(per_step["ns"]["g_loss"]) == 30


def test_resumed_run_ends_where_an_uninterrupted_one_ends(tmp_path):
    common = ["--saturation-warmup", "2", "--saturation-steps", "2"]
    main(["gan1d", "--steps", "30", "--out", str(tmp_path / "a"), *common])
    main(["gan1d", "--steps", "15", "--out", str(tmp_path / "b"), *common])
    main(["gan1d", "--steps", "30", "--out", str(tmp_path / "b"), "--resume", *common])
    np.testing.assert_array_equal(np.load(tmp_path / "a" / "samples.npy"), np.load(tmp_path / "b" / "samples.npy"))


def test_tgg_sample_says_which_files_it_wrote(run_dir, tmp_path, capsys):
    assert sampled(capsys, "gan1d", run_dir, tmp_path, *["--n", "8"]) == ["samples.png", "samples_n8.npy"]
