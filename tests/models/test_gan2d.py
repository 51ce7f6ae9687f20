"""The 2-D mode-coverage GAN: packing, a short run that pulls samples towards the modes, and metrics recomputable
from the saved samples."""
import json

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen.data import ring_mixture
from tinygrad_gen.models import gan2d
from tinygrad_gen.models.gan_metrics import mode_coverage
from tinygrad_gen.cli.train import build_parser, main

from run_helpers import sampled, train_run


def test_packed_discriminator_judges_m_samples_concatenated():
    D = gan2d.Discriminator(hidden=8, pack=4)
    x = np.random.default_rng(0).normal(size=(8, 2)).astype(np.float32)
    packed = D(tg.tensor(x)).numpy()
    by_hand = D.net(tg.tensor(x.reshape(2, 8))).numpy()  # rows (x0, x1, x2, x3), (x4, ..., x7)
    assert packed.shape == (2, 1)
    np.testing.assert_array_equal(packed, by_hand)


def test_top_k_keeps_the_generated_samples_rated_most_real_and_shrinks_k_over_the_run():
    args = build_parser("gan2d", gan2d).parse_args(["--topk", "0.25", "--steps", "100"])
    logits = tg.tensor(np.array([[0.3], [-2.0], [5.0], [1.0], [0.0], [-1.0], [4.0], [2.0]], np.float32),
                       requires_grad=True)
    assert sorted(gan2d.top_k(logits, args, step=100).numpy()[:, 0].tolist()) == [4.0, 5.0]
    assert gan2d.top_k(logits, args, step=0).shape == (8, 1)
    gan2d.top_k(logits, args, step=100).sum().backward()  # only the kept samples teach G
    np.testing.assert_array_equal(logits.grad.numpy()[:, 0], [0, 0, 1, 0, 0, 0, 1, 0])


def test_batch_not_a_multiple_of_pack_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="multiple of --pack"):
        main(["gan2d", "--batch", "30", "--pack", "4", "--out", str(tmp_path)])


ARGS = ["--seeds", "2", "--steps", "300", "--hidden", "32", "--batch", "64"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return train_run(tmp_path_factory, "gan2d", "--dataset", "ring", *ARGS)


def nearest_mode_distance(samples, data):
    return np.linalg.norm(samples[:, None] - data.means[None], axis=-1).min(axis=1).mean()


def test_short_run_pulls_samples_towards_the_modes(run_dir):
    args = build_parser("gan2d", gan2d).parse_args(ARGS)
    tg.manual_seed(0)
    G0 = gan2d.build(args, np.zeros((args.batch, 2), np.float32), "cpu")["modules"]["G"]   # the seed-0 start
    data = ring_mixture()
    before, _ = gan2d.evaluate(G0, data, args.z_dim, seed=0)
    after = np.load(run_dir / "samples_seed0.npy")
    assert nearest_mode_distance(after, data) < 0.7 * nearest_mode_distance(before, data)


def test_metrics_recompute_from_saved_samples(run_dir):
    m = json.loads((run_dir / "metrics.json").read_text())
    data = ring_mixture()
    modes, hq = [], []
    for k in range(2):
        cov = mode_coverage(np.load(run_dir / f"samples_seed{k}.npy"), data.means, 0.02)
        modes.append(cov["modes"])
        hq.append(cov["hq"])
    assert m["modes_mean"] == pytest.approx(np.mean(modes))
    assert m["modes_sd"] == pytest.approx(np.std(modes, ddof=1))
    assert m["hq_mean"] == pytest.approx(np.mean(hq))
    assert {"pack", "r1_gamma", "lr_decay"} <= set(m["techniques"])
    assert (run_dir / "scatter.png").is_file()


def test_tgg_sample_says_which_files_it_wrote(run_dir, tmp_path, capsys):
    assert sampled(capsys, "gan2d", run_dir, tmp_path, *["--n", "16"]) == ["samples.png", "samples_n16.npy"]
