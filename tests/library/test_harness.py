"""The harness every model shares: ``Module.device``, ``Optimizer.to``, ``DataLoader`` over datasets, and the
GAN targets taking ``--device cuda``."""
import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen import backend, nn, optim
from tinygrad_gen.data import DataLoader


def test_a_module_reports_the_device_of_its_parameters_or_buffers():
    assert nn.Linear(3, 2).device == "cpu"
    assert nn.BatchNorm1d(3).to("cpu").device == "cpu"
    assert nn.Sequential().device == "cpu"     # no parameters, no buffers


def test_optimizer_to_moves_every_state_array_and_keeps_numbers(monkeypatch):
    """No GPU here: a stand-in for ``to_device`` records what is moved and where."""
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.1)
    model(tg.randn(4, 3)).sum().backward()
    opt.step()
    moved = []

    def fake_to_device(array, device):
        moved.append((array.shape, device))
        return array.copy()
    monkeypatch.setattr("tinygrad_gen.optim.optimizer.to_device", fake_to_device)
    before = {id(s["exp_avg"]) for s in opt.state.values()}
    assert opt.to("cuda:0") is opt
    assert sorted(moved) == sorted([(p.shape, "cuda") for p in model.parameters()] * 2)   # exp_avg, exp_avg_sq
    assert all(s["step"] == 1 for s in opt.state.values())
    assert not before & {id(s["exp_avg"]) for s in opt.state.values()}


def test_optimizer_to_an_unknown_device_is_refused():
    opt = optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        opt.to("tpu")


class Squares:
    """A dataset: indexed by an array of indices, it gives two arrays."""

    def __len__(self):
        return 10

    def __getitem__(self, idx):
        idx = np.asarray(idx)
        return idx, idx ** 2


def test_a_loader_over_a_dataset_yields_its_arrays_flat_beside_plain_arrays():
    labels = np.arange(10) * 10
    loader = DataLoader(Squares(), labels, batch_size=4, seed=0)
    seen = []
    for i, sq, lab in loader:
        np.testing.assert_array_equal(sq, i ** 2)
        np.testing.assert_array_equal(lab, i * 10)
        seen.extend(i.tolist())
    assert sorted(seen) == list(range(10)) and len(loader) == 3


def test_a_loader_over_a_dataset_resumes_mid_pass_exactly():
    whole = DataLoader(Squares(), batch_size=3, seed=5)
    first = [b[0].tolist() for _, b in zip(range(6), whole.batches())]
    split = DataLoader(Squares(), batch_size=3, seed=5)
    head = [b[0].tolist() for _, b in zip(range(2), split.batches())]
    state = split.state_dict()
    resumed = DataLoader(Squares(), batch_size=3, seed=99)
    resumed.load_state_dict(state)
    tail = [b[0].tolist() for _, b in zip(range(4), resumed.batches())]
    assert head + tail == first


GANS = {"gan1d": ["--steps", "2"], "gan2d": ["--steps", "2"], "dcgan": ["--epochs", "1"],
        "cyclegan": ["--epochs", "1", "--generator", "mlp"]}


@pytest.mark.parametrize("model", sorted(GANS))
def test_gan_targets_take_cuda_and_are_refused_only_for_want_of_cupy(model, tmp_path, capsys, monkeypatch):
    from tinygrad_gen.cli import train
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setitem(__import__("sys").modules, "cupy", None)   # as on a machine without CuPy
    out = tmp_path / model
    assert train.main([model, "--device", "cuda", *GANS[model], "--out", str(out)]) == 2
    assert "needs CuPy" in capsys.readouterr().err
    assert not out.exists()


def _has_cuda():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no CuPy, no driver, no device
        return False


@pytest.mark.cuda
@pytest.mark.skipif(not _has_cuda(), reason="needs CuPy and a CUDA GPU")
@pytest.mark.parametrize("model", sorted(GANS))
def test_gan_targets_train_on_cuda(model, tmp_path):
    from tinygrad_gen.cli import train
    assert train.main([model, "--device", "cuda", *GANS[model], "--out", str(tmp_path / model)]) == 0
    assert (tmp_path / model / "checkpoint.safetensors").is_file()


@pytest.mark.cuda
@pytest.mark.skipif(not _has_cuda(), reason="needs CuPy and a CUDA GPU")
def test_optimizer_state_moves_to_cuda_and_back():
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.1)
    model(tg.randn(4, 3)).sum().backward()
    opt.step()
    model.to("cuda")
    opt.to("cuda")
    assert all(backend.device_of(s["exp_avg"]) == "cuda" for s in opt.state.values())
    model(tg.randn(4, 3, device="cuda")).sum().backward()
    opt.step()
    model.to("cpu")
    opt.to("cpu")
    assert all(type(s["exp_avg_sq"]) is np.ndarray for s in opt.state.values())
