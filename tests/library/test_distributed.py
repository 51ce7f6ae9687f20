"""Data-parallel training on MPI: each test runs ``tests/mpi_worker.py`` (or ``tgg train``) under ``mpiexec -n 2``."""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen import distributed as dist

WORKER = Path(__file__).resolve().parents[1] / "mpi_worker.py"
MPIEXEC = shutil.which("mpiexec", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))


def mpirun(*args, ranks=2, timeout=180):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([MPIEXEC, "-n", str(ranks), *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


def worker(name, tmp_path, *extra):
    out = tmp_path / name
    result = mpirun(sys.executable, str(WORKER), name, str(out), *extra)
    assert result.returncode == 0, result.stderr
    return [dict(np.load(f"{out}.rank{r}.npz")) for r in range(2)]


def test_mpiexec_comes_with_the_dist_extra():
    assert MPIEXEC is not None


def test_all_reduce_gives_the_mean_of_the_ranks_gradients_per_dtype(tmp_path):
    for seen in worker("all_reduce", tmp_path):
        np.testing.assert_array_equal(seen["a"], np.arange(6.0).reshape(2, 3) * 1.5)   # (1 + 2) / 2
        np.testing.assert_array_equal(seen["b"], np.full(4, 15.0))                     # (10 + 20) / 2
        assert seen["a_dtype"] == "float64" and seen["b_dtype"] == "float32"
        assert seen["c_is_none"]


def test_broadcast_gives_every_rank_the_parameters_of_rank_0(tmp_path):
    rank0, rank1 = worker("broadcast", tmp_path)
    tg.manual_seed(0)
    reference = tg.nn.Linear(3, 2)
    for seen in (rank0, rank1):
        np.testing.assert_array_equal(seen["w"], reference.weight.numpy())
        np.testing.assert_array_equal(seen["b"], reference.bias.numpy())


def test_per_example_noise_of_two_shards_is_the_noise_of_the_whole_batch(tmp_path):
    rank0, rank1 = worker("noise", tmp_path)
    tg.manual_seed(7)
    whole = tg.nn.functional.reparameterize(tg.zeros(8, 3, requires_grad=True), tg.zeros(8, 3)).numpy()
    np.testing.assert_array_equal(np.concatenate([rank0["z"], rank1["z"]]), whole)
    np.testing.assert_array_equal(rank0["z_eval"], rank1["z_eval"])  # unsharded evaluation: the same on each rank
    np.testing.assert_array_equal(rank0["z_after"], rank1["z_after"])  # after the job's block: not sliced any more


def test_a_sharded_loader_serves_each_rank_its_rows_of_the_batches_one_process_sees(tmp_path):
    import mpi_worker
    from tinygrad_gen import data
    rank0, rank1 = worker("loader", tmp_path)
    tg.manual_seed(3)
    whole = list(data.DataLoader(mpi_worker.NoisyPairs(), batch_size=6, seed=5))
    for key in ("k", "noise"):   # the dataset's own randomness too: drawn for the whole batch, then sliced
        np.testing.assert_array_equal(np.concatenate([rank0[key], rank1[key]], axis=1),
                                      np.stack([b[key] for b in whole]))


def _has_cuda():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


@pytest.mark.cuda
@pytest.mark.skipif(not _has_cuda(), reason="needs CuPy and a CUDA GPU")
def test_nccl_averages_cupy_gradients_of_two_ranks_on_one_gpu(tmp_path):
    for seen in worker("nccl", tmp_path):
        assert str(seen["device"]) == "cuda"
        np.testing.assert_array_equal(seen["g"], np.arange(5.0) * 1.5)


def test_batch_norm_keeps_local_statistics_of_each_ranks_shard(tmp_path):
    for seen in worker("batch_norm", tmp_path):
        # momentum 0.1 from a zero running mean: 0.1 * the shard's own mean (not the whole batch's)
        np.testing.assert_allclose(seen["running_mean"], 0.1 * seen["part"].mean(axis=0), rtol=1e-5, atol=1e-7)


def test_ranks_started_with_different_options_are_refused_at_start(tmp_path):
    out = str(tmp_path / "config")
    result = subprocess.run([MPIEXEC, "-n", "1", sys.executable, str(WORKER), "config", out, "64", ":",
                             "-n", "1", sys.executable, str(WORKER), "config", out, "128"],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode != 0
    assert "rank(s) [1] were started with a different configuration" in result.stderr


@pytest.mark.parametrize("how, says", [("fail", "rank 1 of 2 failed (RuntimeError"), ("killed", "")])
def test_a_rank_that_fails_stops_the_whole_job_within_30_seconds(tmp_path, how, says):
    start = time.monotonic()
    result = mpirun(sys.executable, str(WORKER), how, str(tmp_path / how), timeout=60)
    assert time.monotonic() - start < 30
    assert result.returncode != 0
    assert says in result.stderr


def test_shards_are_contiguous_parts_of_the_batch_as_equal_as_they_can_be():
    assert [dist.shard(12, of_rank=r, ranks=3) for r in range(3)] == [slice(0, 4), slice(4, 8), slice(8, 12)]
    assert [dist.shard(10, of_rank=r, ranks=3) for r in range(3)] == [slice(0, 4), slice(4, 7), slice(7, 10)]
    with pytest.raises(ValueError, match="cannot give each of 3 ranks a row"):
        dist.shard(2, of_rank=0, ranks=3)


def test_one_process_is_a_job_of_one_whose_calls_change_nothing():
    model = tg.nn.Linear(3, 2)
    before = model.weight.numpy().copy()
    batch = (np.arange(12.0).reshape(6, 2), tg.arange(6))
    with dist.DataParallel() as dp:
        assert (dp.rank, dp.world_size, dp.is_main) == (0, 1, True)
        dp.broadcast(model)
        assert dp.shard(batch) is batch
        model(tg.randn(6, 3)).sum().backward()
        grad = model.weight.grad.numpy().copy()
        dp.average_gradients(model.parameters())
    np.testing.assert_array_equal(model.weight.numpy(), before)
    np.testing.assert_array_equal(model.weight.grad.numpy(), grad)


def test_a_batch_is_cut_into_this_ranks_rows_in_arrays_tensors_dicts_and_string_lists():
    batch = {"x": tg.arange(12).reshape(6, 2), "y": np.arange(6), "words": list("abcdef"), "scale": 2.0,
             "pair": (np.zeros((6, 1)), np.ones(3))}
    rows = dist.shard(6, of_rank=1, ranks=2)
    part = dist.cut_rows(batch, rows, dist.batch_size_of(batch))
    np.testing.assert_array_equal(part["x"].numpy(), np.arange(12).reshape(6, 2)[3:])
    np.testing.assert_array_equal(part["y"], np.arange(3, 6))
    assert part["words"] == ["d", "e", "f"] and part["scale"] == 2.0
    assert part["pair"][0].shape == (3, 1) and part["pair"][1].shape == (3,)   # a part without the batch axis stays


def test_rank_seed_sequences_are_spawned_from_the_seed():
    assert dist.rank_seed_sequence(5).spawn_key == np.random.SeedSequence(5).spawn(1)[0].spawn_key


def test_a_plain_run_never_imports_mpi4py():
    code = ("import sys, tinygrad_gen.distributed as d; d.init(); "
            "assert (d.rank(), d.world_size(), d.is_main()) == (0, 1, True); "
            "assert 'mpi4py' not in sys.modules, 'mpi4py was imported'")
    env = {k: v for k, v in os.environ.items() if k not in dist._LAUNCH_SIZE_VARS}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr


def flat_parameters(path):
    from tinygrad_gen.run import read_checkpoint
    tensors, _ = read_checkpoint(path)
    return np.concatenate([tensors[k].numpy().ravel().astype(np.float64) for k in sorted(tensors)
                           if k.startswith("model.")])


def relative_difference(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(a)


@pytest.mark.parametrize("model", ["gpt", "vae"])
def test_two_ranks_train_the_parameters_one_process_trains_float64(tmp_path, model):
    """20 steps on the same global batches: 2 ranks x half a batch = 1 process x the whole batch, to 1e-10."""
    out = {}
    for ranks in (1, 2):
        out[ranks] = tmp_path / f"{model}{ranks}"
        result = mpirun(sys.executable, str(WORKER), "train64", str(out[ranks]), model, ranks=ranks, timeout=120)
        assert result.returncode == 0, result.stderr
    one, two = (np.load(f"{out[r]}.rank0.npz") for r in (1, 2))
    a = np.concatenate([one[k].ravel() for k in one.files])
    b = np.concatenate([two[k].ravel() for k in one.files])
    assert a.dtype == np.float64
    assert relative_difference(a, b) < 1e-10


@pytest.mark.parametrize("model", ["gan1d", "gan2d", "dcgan", "cyclegan"])
def test_two_ranks_train_a_gan_as_one_process_does_float64(tmp_path, model):
    """6 steps of each GAN's own training step: 2 ranks x half a batch = 1 process x the whole batch, to 1e-10
    (BatchNorm's whole-batch statistics, PacGAN's packs, R1 and the image pools included). The biases that feed a
    BatchNorm get a zero gradient, so Adam moves them by rounding noise: they are compared to 1e-6 only."""
    out = {}
    for ranks in (1, 2):
        out[ranks] = tmp_path / f"{model}{ranks}"
        result = mpirun(sys.executable, str(WORKER), "gan64", str(out[ranks]), model, ranks=ranks, timeout=180)
        assert result.returncode == 0, result.stderr
    one, two = (np.load(f"{out[r]}.rank0.npz") for r in (1, 2))
    noisy = set(one["before_batch_norm"].tolist())
    keys = sorted(k for k in one.files if k != "before_batch_norm")
    assert set(keys) == set(two.files) - {"before_batch_norm"} and keys
    exact = [k for k in keys if k not in noisy]
    a = np.concatenate([one[k].ravel() for k in exact])
    b = np.concatenate([two[k].ravel() for k in exact])
    assert a.dtype == np.float64
    assert relative_difference(a, b) < 1e-10
    for k in noisy:
        np.testing.assert_allclose(one[k], two[k], atol=1e-6)


def test_two_model_sizes_trained_in_one_process_on_two_ranks_each_match_one_rank(tmp_path):
    """As icl and scaling do: two sizes one after the other through Run and train_steps; nothing of the first
    size's data-parallel wiring may reach the second (float64, to 1e-10)."""
    out = {}
    for ranks in (1, 2):
        out[ranks] = tmp_path / f"sizes{ranks}"
        result = mpirun(sys.executable, str(WORKER), "two_sizes", str(out[ranks]), ranks=ranks, timeout=120)
        assert result.returncode == 0, result.stderr
    one, two = (np.load(f"{out[r]}.rank0.npz") for r in (1, 2))
    assert {k.split("/")[0] for k in one.files} == {"small", "large"} and set(one.files) == set(two.files)
    for size in ("small", "large"):
        keys = sorted(k for k in one.files if k.startswith(size + "/"))
        a = np.concatenate([one[k].ravel() for k in keys])
        b = np.concatenate([two[k].ravel() for k in keys])
        assert a.dtype == np.float64
        assert relative_difference(a, b) < 1e-10, size


TINY_GPT = ["--layers", "1", "--width", "32", "--heads", "2", "--context", "16", "--batch-size", "8",
            "--eval-batches", "2", "--warmup", "5"]


def tgg_train(*args, timeout=120):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "tinygrad_gen.cli", "train", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_tgg_train_gpt_on_two_ranks_ends_with_the_parameters_of_one_process_float32(tmp_path):
    for ranks in (1, 2):
        out = str(tmp_path / str(ranks))
        result = tgg_train("gpt", *TINY_GPT, "--steps", "20", "--ranks", str(ranks), "--out", out)
        assert result.returncode == 0, result.stderr
    one = flat_parameters(tmp_path / "1" / "checkpoint.safetensors")
    two = flat_parameters(tmp_path / "2" / "checkpoint.safetensors")
    assert relative_difference(one, two) < 1e-5
    assert sorted(p.name for p in (tmp_path / "2").iterdir()) == sorted(p.name for p in (tmp_path / "1").iterdir())


def test_ranks_1_is_a_plain_run_that_never_imports_mpi4py(tmp_path):
    code = ("import sys; from tinygrad_gen.cli import main; "
            f"assert main(['train', 'gpt', *{TINY_GPT!r}, '--steps', '2', '--ranks', '1', '--out', {str(tmp_path)!r}])"
            " == 0; assert 'mpi4py' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def _descendants(pid):
    """Process ids below ``pid`` (read from /proc)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _rank_processes(launcher):
    pids = []
    for pid in _descendants(launcher.pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"tinygrad_gen.cli" in cmdline and b"mpiexec" not in cmdline[0]:
            pids.append(pid)
    return pids


@pytest.mark.slow  # three short GPT runs, about half a minute
def test_a_rank_killed_mid_run_stops_the_job_and_the_last_checkpoint_resumes(tmp_path):
    import signal
    out = tmp_path / "run"
    args = ["gpt", *TINY_GPT, "--steps", "100", "--checkpoint-every", "5", "--eval-every", "1000", "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    launcher = subprocess.Popen([sys.executable, "-m", "tinygrad_gen.cli", "train", *args, "--ranks", "2"],
                                stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    checkpoint = out / "checkpoint.safetensors"
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and time.monotonic() < deadline and launcher.poll() is None:
        time.sleep(0.05)
    ranks = _rank_processes(launcher)
    assert checkpoint.exists() and len(ranks) == 2
    killed_at = time.monotonic()
    os.kill(ranks[-1], signal.SIGKILL)
    _, stderr = launcher.communicate(timeout=60)
    assert time.monotonic() - killed_at < 30
    assert launcher.returncode != 0
    assert "of 2 was terminated" in stderr
    # the last checkpoint is whole, and the job goes on from it on two ranks to the same end as one process
    tg.load(checkpoint)
    resumed = tgg_train(*args, "--resume", "--ranks", "2")
    assert resumed.returncode == 0, resumed.stderr
    straight = tgg_train(*args[:-1], str(tmp_path / "straight"))
    assert straight.returncode == 0, straight.stderr
    assert relative_difference(flat_parameters(tmp_path / "straight" / "checkpoint.safetensors"),
                               flat_parameters(checkpoint)) < 1e-5
