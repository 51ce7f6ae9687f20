"""The VAE: closed-form KL, the reparameterization gradient, the IWAE estimate of log p(x), training and the CLI."""
import json

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import optim
from tinygrad_gen.data import digits
from tinygrad_gen.models.vae import VAE, evaluate, importance_terms, iwae_bound, log_bernoulli
from tinygrad_gen.cli.sample import main as sample_main
from tinygrad_gen.cli.train import main as train_main


def test_gaussian_kl_matches_monte_carlo_estimate():
    rng = np.random.default_rng(1)
    mu, logvar = rng.normal(0, 1, (3, 4)), rng.normal(0, 0.7, (3, 4))
    closed = F.gaussian_kl(tg.tensor(mu, dtype=tg.float64), tg.tensor(logvar, dtype=tg.float64)).numpy()
    # KL(q || p) = E_q[log q(z) - log p(z)], estimated from samples z ~ q
    sigma = np.exp(logvar / 2)
    z = mu + sigma * rng.standard_normal((200_000, 3, 4))
    log_q = -0.5 * (((z - mu) / sigma) ** 2 + logvar + np.log(2 * np.pi)).sum(-1)
    log_p = -0.5 * (z ** 2 + np.log(2 * np.pi)).sum(-1)
    samples = log_q - log_p
    stderr = samples.std(0) / np.sqrt(len(samples))
    np.testing.assert_array_less(np.abs(samples.mean(0) - closed), 4 * stderr + 1e-9)


def test_reparameterization_gradient_matches_finite_differences():
    """With eps held fixed, z = mu + exp(logvar/2) eps is a deterministic function: the hand-derived backward of the
    reparameterized loss must match central differences (float64)."""
    rng = np.random.default_rng(2)
    eps = tg.tensor(rng.standard_normal((5, 3)), dtype=tg.float64)
    w = tg.tensor(rng.normal(0, 0.5, (4, 3)), dtype=tg.float64)
    x = tg.tensor(rng.random((5, 4)), dtype=tg.float64)
    mu = tg.tensor(rng.standard_normal((5, 3)), dtype=tg.float64, requires_grad=True)
    logvar = tg.tensor(rng.normal(0, 0.5, (5, 3)), dtype=tg.float64, requires_grad=True)

    def negative_elbo(mu, logvar):
        z = F.reparameterize(mu, logvar, eps)
        return F.binary_cross_entropy_with_logits(F.linear(z, w), x, reduction="sum") + F.gaussian_kl(mu, logvar).sum()
    assert tg.gradcheck(negative_elbo, [mu, logvar])


def test_reparameterization_gradient_is_unbiased_for_expected_square():
    """E_q[z^2] = mu^2 + sigma^2, so its true gradients are 2 mu and sigma^2 (w.r.t. logvar); the average of many
    single-sample reparameterized gradients must approach them."""
    mu = tg.tensor([0.3, -1.2], dtype=tg.float64, requires_grad=True)
    logvar = tg.tensor([0.4, -0.8], dtype=tg.float64, requires_grad=True)
    n = 100_000
    z = F.reparameterize(mu.unsqueeze(0).expand(n, 2), logvar.unsqueeze(0).expand(n, 2))
    ((z * z).sum(axis=0) / n).sum().backward()
    np.testing.assert_allclose(mu.grad.numpy(), 2 * mu.numpy(), atol=0.02)
    np.testing.assert_allclose(logvar.grad.numpy(), np.exp(logvar.numpy()), atol=0.02)


def test_log_bernoulli_is_minus_binary_cross_entropy_summed_over_pixels():
    rng = np.random.default_rng(3)
    logits, x = rng.normal(0, 3, (6, 64)).astype(np.float32), rng.random((6, 64)).astype(np.float32)
    expected = -torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(logits), torch.tensor(x), reduction="none").sum(-1).numpy()
    np.testing.assert_allclose(log_bernoulli(tg.tensor(x), tg.tensor(logits)).numpy(), expected, rtol=1e-5, atol=1e-4)


def _peaked_2d_vae():
    """A small untrained VAE with a 2-D latent whose decoder is scaled up, so p(x|z) changes sharply with z and the
    ELBO is far (about a nat) below log p(x)."""
    tg.manual_seed(0)
    model = VAE(latent=2, hidden=32)
    model.decoder[-1].weight._data *= 6
    return model


def _log_px_by_grid(model, x, half_width=7.0, points=281):
    """log p(x) = log of the integral of p(z) p(x|z) over z, by the rectangle rule on a grid over the plane."""
    side = np.linspace(-half_width, half_width, points)
    z = np.stack(np.meshgrid(side, side, indexing="ij"), -1).reshape(-1, 2)
    log_pz = -0.5 * (z ** 2).sum(1) - np.log(2 * np.pi)
    with tg.no_grad():
        logits = model.decode(tg.tensor(z.astype(np.float32)))
        out = []
        for xi in x:
            terms = log_bernoulli(tg.tensor(xi[None]), logits).numpy().astype(np.float64) + log_pz
            top = terms.max()
            out.append(top + np.log(np.exp(terms - top).sum() * (side[1] - side[0]) ** 2))
    return np.array(out)


def test_iwae_matches_log_likelihood_by_numerical_integration_in_2d():
    model = _peaked_2d_vae()
    x = digits()[2][:4]
    exact = _log_px_by_grid(model, x)
    log_px_z, log_prior_ratio = importance_terms(model, x, k=5000)
    np.testing.assert_allclose(iwae_bound(log_px_z + log_prior_ratio), exact, atol=0.1)


def test_elbo_lies_below_iwae_and_log_likelihood_in_2d():
    model = _peaked_2d_vae()
    x = digits()[2][:4]
    exact = _log_px_by_grid(model, x).mean()
    elbo, iwae = evaluate(model, x, k=2000)
    assert elbo < iwae - 0.3
    assert iwae < exact + 0.05


def test_iwae_with_one_sample_is_the_elbo_estimate():
    rng = np.random.default_rng(4)
    log_w = rng.normal(-30, 3, (7, 1))
    np.testing.assert_allclose(iwae_bound(log_w), log_w[:, 0])


def test_iwae_bound_is_stable_for_very_negative_log_weights():
    log_w = np.array([[-1e4, -1e4 + np.log(3.0)]])
    np.testing.assert_allclose(iwae_bound(log_w), [-1e4 + np.log(2.0)])


def test_short_training_improves_test_elbo():
    x_train, _, x_test, _ = digits()
    model = VAE(latent=4, hidden=64)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    before, _ = evaluate(model, x_test, k=10)
    for epoch in range(3):
        order = np.random.default_rng(epoch).permutation(len(x_train))
        for i in range(0, len(x_train), 100):
            loss = model(tg.tensor(x_train[order[i:i + 100]]))[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
    after, _ = evaluate(model, x_test, k=10)
    assert after > before + 5.0


def test_training_loss_is_the_batch_mean_of_minus_elbo_terms():
    """model(x) returns (BCE summed over pixels + KL) averaged over the batch, and its two parts."""
    model = VAE(latent=3, hidden=16)
    x = tg.tensor(digits()[0][:10])
    tg.manual_seed(5)
    loss, reconstruction, kl = model(x)
    mu, logvar = model.encode(x)
    tg.manual_seed(5)
    z = F.reparameterize(mu, logvar)
    expected_rec = -log_bernoulli(x, model.decode(z)).numpy().mean()
    expected_kl = F.gaussian_kl(mu, logvar).numpy().mean()
    np.testing.assert_allclose([reconstruction.item(), kl.item(), loss.item()],
                               [expected_rec, expected_kl, expected_rec + expected_kl], rtol=1e-5)


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A one-epoch run of ``tgg train vae --latent 2`` (small hidden layers to keep it quick)."""
    out = tmp_path_factory.mktemp("vae") / "run"
    train_main(["vae", "--epochs", "1", "--latent", "2", "--hidden", "64", "--iwae-k", "20", "--out", str(out)])
    return out


@pytest.mark.parametrize("name", ["config.json", "metrics.csv", "metrics.json", "checkpoint.safetensors",
                                  "samples.png", "reconstructions.png", "interpolation.png", "loss.png",
                                  "latent_map.png", "latent_plane.png"])
def test_cli_writes_every_promised_file(trained_run, name):
    assert (trained_run / name).is_file()


def test_cli_metrics_hold_elbo_below_iwae_and_the_training_time(trained_run):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert metrics["test_elbo"] <= metrics["test_iwae"] < 0
    assert metrics["train_seconds"] > 0


def test_sample_command_decodes_prior_samples_from_a_checkpoint(trained_run, tmp_path):
    assert sample_main(["vae", "--ckpt", str(trained_run), "--n", "20", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "samples_prior.png").is_file()


def test_resumed_run_ends_where_an_unbroken_run_ends(tmp_path):
    common = ["--latent", "2", "--hidden", "32", "--iwae-k", "10", "--checkpoint-every", "1"]
    train_main(["vae", "--epochs", "2", "--out", str(tmp_path / "straight")] + common)
    train_main(["vae", "--epochs", "1", "--out", str(tmp_path / "broken")] + common)
    train_main(["vae", "--epochs", "2", "--resume", "--out", str(tmp_path / "broken")] + common)
    straight = json.loads((tmp_path / "straight" / "metrics.json").read_text())
    resumed = json.loads((tmp_path / "broken" / "metrics.json").read_text())
    assert resumed["test_elbo"] == straight["test_elbo"] and resumed["test_iwae"] == straight["test_iwae"]
    assert (tmp_path / "broken" / "metrics.csv").read_text() == (tmp_path / "straight" / "metrics.csv").read_text()
