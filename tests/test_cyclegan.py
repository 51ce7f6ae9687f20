"""CycleGAN on digits vs (inverted, transposed) digits: the secret map, the networks' shapes, and a short run that
lowers its cycle loss and beats the do-nothing translation, with metrics recomputable from the saved outputs."""
import json

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen.data import digits
from tinygrad_gen.models import cyclegan

from run_helpers import logged, resumed_like_uninterrupted, train_run


def test_secret_map_inverts_and_transposes_and_is_its_own_inverse():
    x = np.random.default_rng(0).random((3, 64))
    y = cyclegan.secret_map(x)
    np.testing.assert_allclose(y.reshape(3, 8, 8)[:, 2, 5], 1 - x.reshape(3, 8, 8)[:, 5, 2])
    np.testing.assert_allclose(cyclegan.secret_map_inverse(y), x)


def test_translator_keeps_the_image_shape_and_discriminator_scores_patches():
    x = tg.randn(4, 1, 8, 8)
    assert cyclegan.Translator(width=8)(x).shape == (4, 1, 8, 8)
    assert cyclegan.PatchDiscriminator(width=8)(x).shape == (4, 1, 2, 2)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return train_run(tmp_path_factory, "cyclegan", "--epochs", "3")


def test_short_run_lowers_the_cycle_loss(run_dir):
    cycle = logged(run_dir, "cycle")
    assert len(cycle) == 3 and cycle[-1] < 0.8 * cycle[0]


def test_translation_is_closer_to_the_true_map_than_doing_nothing(run_dir):
    m = json.loads((run_dir / "metrics.json").read_text())
    assert m["paired_l1"] < 0.7 * m["paired_l1_identity_baseline"]


def test_metrics_recompute_from_saved_translations(run_dir):
    m = json.loads((run_dir / "metrics.json").read_text())
    _, _, x_test, _ = digits()
    g_a, f_g_a = np.load(run_dir / "test_G_A.npy"), np.load(run_dir / "test_F_G_A.npy")
    assert m["paired_l1"] == pytest.approx(np.abs(g_a - cyclegan.secret_map(x_test)).mean(), rel=1e-6)
    assert m["cycle_l1"] == pytest.approx(np.abs(f_g_a - x_test).mean(), rel=1e-6)
    assert (run_dir / "translations.png").is_file()


def test_resumed_cyclegan_run_ends_bit_for_bit_like_an_uninterrupted_one(tmp_path, monkeypatch):
    """Epoch-trained: the two loaders, both image pools and the engine's generator all resume where they were."""
    resumed_like_uninterrupted(tmp_path, monkeypatch, "cyclegan", "--epochs", "2", "--generator", "mlp",
                               "--pool", "4", "--batch", "64")
