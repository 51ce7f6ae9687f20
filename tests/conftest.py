"""Shared test setup: one BLAS thread, a fast deterministic hypothesis profile and a fixed engine seed per test."""
import os
import sys
from pathlib import Path

# the shared test helpers (run_helpers.py, graph_helpers.py, ...) live in this folder, the tests in its subfolders
sys.path.insert(0, str(Path(__file__).parent))

# Tests multiply small matrices, where a second OpenBLAS thread costs more than it gains (30x on a busy machine).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # the Numba CPU kernels' pool, as small for the same reason

import numpy as np  # noqa: E402 (the thread limits above must be set before NumPy starts its BLAS)
import pytest  # noqa: E402 (as above)
from hypothesis import HealthCheck, settings  # noqa: E402 (as above)
from threadpoolctl import threadpool_limits  # noqa: E402 (as above)

import tinygrad_gen as tg  # noqa: E402 (as above)

threadpool_limits(1)  # in case NumPy was imported (and its BLAS started) before this file

settings.register_profile("default", max_examples=15, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.differing_executors])
settings.load_profile("default")


@pytest.fixture(autouse=True)
def _seed():
    tg.manual_seed(0)
    np.random.seed(0)
