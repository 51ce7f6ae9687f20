"""Runs tests/kernels/sim (the Numba CUDA kernels under Numba's CUDA simulator) in its own pytest process: numba
decides at import whether it simulates, so NUMBA_ENABLE_CUDASIM=1 must be set before anything imports it."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # about two minutes of simulated threads: a step of its own in .ci/run (-m slow)
def test_numba_kernels_pass_under_the_cuda_simulator():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", TGG_KERNELS="auto")  # the CUDA kernels, not the CPU ones
    sim = str(ROOT / "tests" / "kernels" / "sim")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", sim],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "skipped" not in proc.stdout.splitlines()[-1]
