"""The Numba kernel tests run only under the CUDA simulator, in their own process (tests/test_kernels_sim.py starts
it with NUMBA_ENABLE_CUDASIM=1): numba reads that variable once, at import."""
import os

collect_ignore_glob = [] if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" else ["*.py"]
