"""The CPU kernels' threads (``kernels/cpu/pool.py``): Numba's pool starts on GNU OpenMP with its threads waiting
passively and the variable given back, on the workqueue where PyTorch's OpenMP is loaded first; the BLAS the
kernels' ``np.dot`` calls stays at one thread while NumPy's takes what ``use_threads`` gives it. And the benchmarks'
worker processes (``benchmarks/sides.py``) time a function and report a worker that died."""
import json
import os
import subprocess
import sys
import time

import pytest

pytest.importorskip("numba")
pytest.importorskip("scipy")

PROBE = """
import json, os, threadpoolctl
{before}
from tinygrad_gen.kernels.cpu import softmax  # starts the pool, as a kernel's first import does
from tinygrad_gen.threads import use_threads
use_threads(2)
import numba, numpy, scipy
def threads_of(package):
    folder = os.path.realpath(os.path.join(os.path.dirname(package.__file__), os.pardir, package.__name__ + ".libs"))
    return sorted({{lib["num_threads"] for lib in threadpoolctl.threadpool_info()
                   if lib["user_api"] == "blas" and os.path.realpath(lib["filepath"]).startswith(folder)}})
print(json.dumps({{"layer": numba.threading_layer(), "numba": numba.get_num_threads(),
                  "numpy_blas": threads_of(numpy), "scipy_blas": threads_of(scipy),
                  "policy": os.environ.get("OMP_WAIT_POLICY")}}))
"""


def probe(before="", **env):
    """What a fresh Python reports after starting the kernels' pool and ``use_threads(2)``."""
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OMP_WAIT_POLICY", "NUMBA_THREADING_LAYER", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                          "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", PROBE.format(before=before)], capture_output=True, text=True,
                         timeout=120, env={**clean, "NUMBA_NUM_THREADS": "2", **env})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _gnu_openmp() -> bool:
    """Whether Numba's OpenMP layer can load here (it needs the system's libgomp)."""
    try:
        from numba.np.ufunc import omppool  # noqa: F401
    except ImportError:
        return False
    return True


def test_the_pool_runs_on_openmp_with_the_kernels_blas_at_one_thread_and_numpys_at_two():
    seen = probe()
    assert seen["layer"] == ("omp" if _gnu_openmp() else "workqueue") and seen["numba"] == 2
    assert seen["policy"] is None  # set for the pool's start only, then given back
    assert seen["scipy_blas"] == [1], seen
    assert seen["numpy_blas"] in ([2], []), seen  # [] where NumPy's BLAS is not a wheel's own library


def test_the_users_wait_policy_is_kept():
    assert probe(OMP_WAIT_POLICY="ACTIVE")["policy"] == "ACTIVE"


def test_with_pytorchs_openmp_loaded_first_the_pool_takes_the_workqueue():
    pytest.importorskip("torch")
    seen = probe(before="import torch")
    assert seen["layer"] == "workqueue" and seen["numba"] == 2 and seen["scipy_blas"] == [1]


def test_a_side_times_a_function_in_its_own_process_and_reports_a_worker_that_died():
    from tinygrad_gen.benchmarks.sides import Side, interleave
    with Side("ours", 1) as a, Side("ours", 1) as b:
        a.load("functools", "partial", time.sleep, 0.002)  # the factory returns what is timed
        b.load("functools", "partial", time.sleep, 0.02)
        ours, theirs, calls = interleave(a, b, reps=2, calls=3)
        assert calls == 3 and 0.002 <= ours < theirs and theirs >= 0.02
        with pytest.raises(RuntimeError, match="exit code 3"):
            a.load("os", "_exit", 3)  # the factory itself ends the worker


CONCURRENT = """
import threading, numpy as np
from tinygrad_gen.kernels import cpu
from tinygrad_gen.kernels.cpu import softmax
x = np.random.default_rng(0).standard_normal((512, 256)).astype(np.float32)
want = np.exp(x - x.max(1, keepdims=True)); want /= want.sum(1, keepdims=True)
wrong = []
def work():
    for _ in range(100):
        y = np.empty_like(x)
        cpu.run(softmax.softmax_rows, x.size, x, y)  # large enough to run on the pool
        wrong.append(not np.allclose(y, want, atol=1e-6))
threads = [threading.Thread(target=work) for _ in range(3)]
[t.start() for t in threads]; [t.join() for t in threads]
import numba; print(numba.threading_layer(), sum(wrong), len(wrong))
"""


def test_three_python_threads_calling_kernels_on_the_workqueue_neither_crash_nor_mix_results():
    # unlocked, the workqueue layer aborts the process on the first overlap ("Concurrent access has been detected")
    clean = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", CONCURRENT], capture_output=True, text=True, timeout=120,
                         env={**clean, "NUMBA_THREADING_LAYER": "workqueue", "NUMBA_NUM_THREADS": "2"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["workqueue", "0", "300"]
