"""``--threads N`` and the default thread policy (``tinygrad_gen.threads``): the option's bad values, that the BLAS
really is limited, the user's variables winning, each MPI rank's share of the cores, and the free-core count."""
import json
import os
import subprocess
import sys
import time
import types

import pytest

from tinygrad_gen import threads
from tinygrad_gen.cli.parsing import Parser

# the environment of a fresh process that chooses its threads itself (conftest sets one thread for the tests)
NO_USER_VARS = {k: v for k, v in os.environ.items() if k not in threads.USER_VARS + threads.RANK_VARS}


def _blas_threads_after(code, env=NO_USER_VARS):
    """Run ``code`` in a fresh Python, then report (its last printed line, BLAS thread counts per threadpoolctl)."""
    script = (f"import json, numpy, threadpoolctl\n{code}\n"
              "print(json.dumps([p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == "
              "'blas']))")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    return lines[-2] if len(lines) > 1 else None, json.loads(lines[-1])


@pytest.mark.parametrize("bad", ["0", "-1", "x", "1.5"])
def test_a_bad_threads_value_is_one_line_naming_the_option(bad, capsys):
    parser = Parser(prog="tgg train vae")
    threads.add_threads_option(parser.add_argument_group("common"))
    with pytest.raises(SystemExit) as stop:
        parser.parse_args([f"--threads={bad}"])
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and err.count("\n") == 0
    assert "--threads" in err and bad in err


def test_threads_parses_a_count_and_defaults_to_the_policy():
    parser = Parser(prog="tgg sample vae")
    threads.add_threads_option(parser)
    assert parser.parse_args(["--threads", "3"]).threads == 3
    assert parser.parse_args([]).threads is None


def test_tgg_bench_takes_the_same_option(capsys):
    from tinygrad_gen.benchmarks import bench_overhead, bench_step
    for bench in (bench_overhead, bench_step):
        with pytest.raises(SystemExit) as stop:
            bench.main(["--threads", "0"])
        err = capsys.readouterr().err.strip()
        assert stop.value.code == 2 and err.count("\n") == 0 and "--threads" in err


@pytest.mark.parametrize("bad", [0, -2, True, 1.0, "2"])
def test_use_threads_refuses_what_is_not_a_positive_count(bad):
    with pytest.raises(ValueError, match="use_threads"):
        threads.use_threads(bad)


@pytest.mark.parametrize("n", [1, 2])
def test_use_threads_limits_numpys_blas(n):
    used, counts = _blas_threads_after(f"from tinygrad_gen.threads import use_threads\nprint(use_threads({n}))")
    assert int(used) == n and counts and set(counts) == {n}


def test_under_mpi_the_default_applies_the_ranks_share_of_the_cores():
    env = {**NO_USER_VARS, "MPI_LOCALNRANKS": "2", "PMI_SIZE": "2"}
    used, counts = _blas_threads_after("from tinygrad_gen.threads import use_threads\nprint(use_threads())", env)
    share = max(1, threads.usable_cores() // 2)
    assert int(used) == share and set(counts) == {share}


@pytest.mark.parametrize("var", threads.RANK_VARS)
def test_each_launchers_rank_count_is_read(var):
    assert threads.local_ranks({var: "4"}) == 4
    assert threads.default_threads({var: "4"}) == max(1, threads.usable_cores() // 4)


def test_the_local_rank_count_comes_before_the_jobs():
    # 8 ranks on 2 machines: the 4 on this machine share its cores
    assert threads.local_ranks({"PMI_SIZE": "8", "MPI_LOCALNRANKS": "4"}) == 4
    assert threads.local_ranks({"OMPI_COMM_WORLD_SIZE": "8", "OMPI_COMM_WORLD_LOCAL_SIZE": "4"}) == 4
    assert threads.local_ranks({}) == 1


def test_the_rank_count_of_an_mpi4py_job_already_joined(monkeypatch):
    fake = types.SimpleNamespace(Is_initialized=lambda: True, Is_finalized=lambda: False,
                                 COMM_WORLD=types.SimpleNamespace(Get_size=lambda: 3))
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", fake)
    assert threads.local_ranks({}) == 3


@pytest.mark.parametrize("cores, ranks, share", [(16, 2, 8), (16, 3, 5), (2, 2, 1), (2, 4, 1), (1, 1, 1)])
def test_the_share_rule(cores, ranks, share):
    assert threads.rank_share(cores, ranks) == share


def test_the_users_variable_wins_over_the_policy_and_mpi():
    assert threads.default_threads({"OMP_NUM_THREADS": "3", "PMI_SIZE": "2"}) == 3
    assert threads.default_threads({"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "5"}) == 2  # OpenBLAS's order
    assert threads.user_threads({"OMP_NUM_THREADS": "4,2"}) == 4
    assert threads.user_threads({"OMP_NUM_THREADS": "", "MKL_NUM_THREADS": "zero"}) is None


@pytest.mark.parametrize("cores, busy, expected", [(2, 1.0, 1), (2, 0.6, 1), (2, 0.3, 2), (2, 7.5, 1), (2, None, 2),
                                                   (16, 0.0, threads.CAP), (16, 12.2, 4), (1, 0.0, 1)])
def test_one_process_takes_the_free_cores_at_most_cap(cores, busy, expected):
    assert threads.free_threads(cores, busy) == expected


def test_a_busy_loop_counts_as_a_busy_core():
    cpu = sorted(os.sched_getaffinity(0))[0] if hasattr(os, "sched_getaffinity") else None
    loop = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        if cpu is not None:
            os.sched_setaffinity(loop.pid, {cpu})
        time.sleep(0.3)
        assert threads.busy_cores(look=0.2) >= 0.6
    finally:
        loop.kill()
        loop.wait()


def test_a_containers_cpu_quota_rounds_up(tmp_path):
    quota = tmp_path / "cpu.max"
    quota.write_text("150000 100000\n")
    assert threads._cgroup_quota(str(quota)) == 2
    quota.write_text("max 100000\n")
    assert threads._cgroup_quota(str(quota)) is None
    assert threads._cgroup_quota(str(tmp_path / "absent")) is None


@pytest.mark.parametrize("command", [["train", "vae"], ["sample", "vae", "--ckpt", "."]])
@pytest.mark.parametrize("value", ["0", "x"])
def test_train_and_sample_refuse_a_bad_threads_option_in_one_line(command, value, tmp_path):
    out = subprocess.run([sys.executable, "-m", "tinygrad_gen.cli", *command, "--threads", value],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "--threads" in lines[0], out.stderr
    assert not any(tmp_path.iterdir())  # a refused run leaves nothing behind
