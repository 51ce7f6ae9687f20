"""The deep autoencoder and its PCA baseline: PCA against closed forms and scikit-learn, the AE beating PCA, the CLI."""
import json

import numpy as np
import pytest
from sklearn.decomposition import PCA as SklearnPCA

from tinygrad_gen.data import digits
from tinygrad_gen.models.autoencoder import PCA, mse_per_pixel
from tinygrad_gen.cli.train import main as train_main

from run_helpers import resumed_like_uninterrupted


@pytest.mark.parametrize("k", [2, 10])
def test_pca_reconstruction_matches_scikit_learn(k):
    x_train, _, x_test, _ = digits()
    ours = PCA(x_train.astype(np.float64), k)
    reference = SklearnPCA(n_components=k, svd_solver="full").fit(x_train.astype(np.float64))
    expected = reference.inverse_transform(reference.transform(x_test))
    np.testing.assert_allclose(ours.decode(ours.encode(x_test)), expected, atol=1e-8)


def test_pca_training_error_is_the_discarded_variance():
    """On the data it was fitted to, PCA's squared error is the sum of the discarded squared singular values."""
    x_train = digits()[0].astype(np.float64)
    k = 5
    pca = PCA(x_train, k)
    singular = np.linalg.svd(x_train - x_train.mean(0), compute_uv=False)
    expected = (singular[k:] ** 2).sum() / x_train.size
    np.testing.assert_allclose(mse_per_pixel(pca.decode(pca.encode(x_train)), x_train), expected, rtol=1e-9)


def test_pca_error_falls_as_the_code_grows():
    x_train, _, x_test, _ = digits()
    errors = [mse_per_pixel(PCA(x_train, k).decode(PCA(x_train, k).encode(x_test)), x_test) for k in (1, 2, 5, 10, 64)]
    assert all(a > b for a, b in zip(errors, errors[1:]))
    assert errors[-1] < 1e-10  # all 64 directions: nothing is lost


def _train_ae(tmp_path, k, epochs, hidden=256, lr=1e-3):
    out = tmp_path / f"ae{k}"
    train_main(["ae", "--latent", str(k), "--epochs", str(epochs), "--hidden", str(hidden), "--lr", str(lr),
                "--out", str(out)])
    return out, json.loads((out / "metrics.json").read_text())


def test_cli_writes_every_promised_file(tmp_path):
    out, metrics = _train_ae(tmp_path, 2, epochs=1, hidden=32)
    for name in ("config.json", "metrics.csv", "metrics.json", "checkpoint.safetensors", "reconstructions.png",
                 "loss.png", "latent_map.png"):
        assert (out / name).is_file(), name
    assert {"test_mse", "pca_test_mse"} <= set(metrics)


def test_deep_autoencoder_beats_pca_with_a_two_dimensional_code(tmp_path):
    _, metrics = _train_ae(tmp_path, 2, epochs=8, lr=3e-3)  # a larger step size to get there in a short test
    assert metrics["test_mse"] < metrics["pca_test_mse"]


@pytest.mark.slow
@pytest.mark.parametrize("k", [2, 5, 10])
def test_deep_autoencoder_beats_pca(tmp_path, k):
    _, metrics = _train_ae(tmp_path, k, epochs=40)
    assert metrics["test_mse"] < metrics["pca_test_mse"]


def test_resumed_autoencoder_run_ends_bit_for_bit_like_an_uninterrupted_one(tmp_path, monkeypatch):
    """Epoch-trained: the loader's shuffling resumes where the checkpoint left it."""
    resumed_like_uninterrupted(tmp_path, monkeypatch, "ae", "--epochs", "4", "--checkpoint-every", "2",
                               "--hidden", "32")
