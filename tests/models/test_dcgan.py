"""DCGAN on the digits and its judge: the classifier's accuracy, the architecture's shapes and initialisation, and a
short run whose FDD falls, with metrics a held-out script can recompute from the saved samples and classifier."""
import json

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen.data import digits
from tinygrad_gen.models import dcgan, digit_classifier
from tinygrad_gen.cli.sample import main as sample_main
from tinygrad_gen.models.gan_metrics import class_fractions, frechet_feature_distance

from run_helpers import logged, sampled, train_run


def test_generator_maps_codes_to_8x8_images_in_tanh_range_and_discriminator_to_one_logit():
    G, D = dcgan.Generator(z_dim=16, width=8), dcgan.Discriminator(width=8)
    x = G(tg.randn(5, 16))
    assert x.shape == (5, 1, 8, 8) and np.abs(x.numpy()).max() <= 1
    assert D(x).shape == (5, 1)


def test_dcgan_init_draws_conv_weights_from_normal_0_002_and_batchnorm_scales_around_one():
    G = dcgan.dcgan_init(dcgan.Generator())
    w = G.net[3].weight.numpy()  # ConvTranspose2d(128, 64, 4): 131072 weights
    assert abs(w.mean()) < 1e-3 and w.std() == pytest.approx(0.02, rel=0.02)
    bn = G.net[1].weight.numpy()
    assert abs(bn.mean() - 1) < 0.01 and bn.std() == pytest.approx(0.02, rel=0.3)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return train_run(tmp_path_factory, "dcgan", "--epochs", "3")


def test_short_run_lowers_the_frechet_digit_distance(run_dir):
    fdd = logged(run_dir, "fdd")
    assert len(fdd) == 3 and fdd[-1] < 0.8 * fdd[0]


def test_metrics_recompute_from_saved_samples_and_classifier(run_dir):
    m = json.loads((run_dir / "metrics.json").read_text())
    classifier = digit_classifier.load_or_train(run_dir)  # the cached weights, not a retrained model
    samples = np.load(run_dir / "samples.npy")
    _, x_test, y_test = digits()[1:]
    labels, f_gen = digit_classifier.predict(classifier, samples)
    _, f_test = digit_classifier.predict(classifier, x_test)
    assert samples.shape == (1000, 64)
    assert m["fdd"] == pytest.approx(frechet_feature_distance(f_gen, f_test), rel=1e-6)
    assert m["class_fractions"] == pytest.approx(class_fractions(labels))
    assert m["classifier_acc"] == pytest.approx(digit_classifier.accuracy(classifier, x_test, y_test))
    assert 0 < m["fdd_floor"] < m["fdd"]


def test_digit_classifier_trained_by_the_run_reaches_95_percent_test_accuracy(run_dir):
    _, _, x_test, y_test = digits()
    assert digit_classifier.accuracy(digit_classifier.load_or_train(run_dir), x_test, y_test) >= 0.95


def test_run_writes_a_sample_grid_per_epoch(run_dir):
    assert sorted(p.name for p in run_dir.glob("samples_epoch*.png")) == [f"samples_epoch00{e}.png" for e in (1, 2, 3)]


def test_tgg_sample_says_which_files_it_wrote(run_dir, tmp_path, capsys):
    assert sampled(capsys, "dcgan", run_dir, tmp_path, *["--n", "8"]) == ["samples.png", "samples_n8.npy"]


def test_tgg_sample_lays_16_digits_out_as_a_square_grid(run_dir, tmp_path, capsys):
    from matplotlib.image import imread
    assert sampled(capsys, "dcgan", run_dir, tmp_path, "--n", "16") == ["samples.png", "samples_n16.npy"]
    height, width = imread(tmp_path / "samples.png").shape[:2]
    assert 0.75 < width / height < 1.33   # 4 x 4, not the 2-column strip of 8 rows


def test_tgg_sample_by_default_writes_a_new_folder_and_leaves_the_run_folder_alone(run_dir, tmp_path, monkeypatch,
                                                                                   capsys):
    before = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*")}
    monkeypatch.chdir(tmp_path)
    assert sample_main(["dcgan", "--ckpt", str(run_dir), "--n", "4"]) == 0
    assert sample_main(["dcgan", "--ckpt", str(run_dir), "--n", "4"]) == 0
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == ["dcgan", "dcgan-2"]
    assert (tmp_path / "samples" / "dcgan-2" / "samples.png").is_file()
    assert {p: p.stat().st_mtime_ns for p in run_dir.rglob("*")} == before
