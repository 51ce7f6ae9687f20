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

WORKER = Path(__file__).with_name("mpi_worker.py")
MPIEXEC = shutil.which("mpiexec", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))


def mpirun(*args, ranks=2, timeout=60):
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


def test_batch_norm_keeps_local_statistics_of_each_ranks_shard(tmp_path):
    for seen in worker("batch_norm", tmp_path):
        # momentum 0.1 from a zero running mean: 0.1 * the shard's own mean (not the whole batch's)
        np.testing.assert_allclose(seen["running_mean"], 0.1 * seen["part"].mean(axis=0), rtol=1e-5, atol=1e-7)


def test_ranks_started_with_different_options_are_refused_at_start(tmp_path):
    out = str(tmp_path / "config")
    result = subprocess.run([MPIEXEC, "-n", "1", sys.executable, str(WORKER), "config", out, "64", ":",
                             "-n", "1", sys.executable, str(WORKER), "config", out, "128"],
                            capture_output=True, text=True, timeout=60)
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


def test_rank_seed_sequences_are_spawned_from_the_seed():
    assert dist.rank_seed_sequence(5).spawn_key == np.random.SeedSequence(5).spawn(1)[0].spawn_key


def test_a_plain_run_never_imports_mpi4py():
    code = ("import sys, tinygrad_gen.distributed as d; d.init(); "
            "assert (d.rank(), d.world_size(), d.is_main()) == (0, 1, True); "
            "assert 'mpi4py' not in sys.modules, 'mpi4py was imported'")
    env = {k: v for k, v in os.environ.items() if k not in dist._LAUNCH_SIZE_VARS}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
