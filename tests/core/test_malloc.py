"""Importing the engine keeps freed memory in the process (``backend.keep_freed_memory``): 4 MiB arrays made and
dropped again and again land on the same warm pages, so they cost almost no page faults, where glibc's default
hands them back to the kernel (past its trim threshold) and then faults in (and zeroes) fresh pages for the next
ones. Page faults are counted, not time, so the assertions are immune to machine load."""
import os
import subprocess
import sys

import pytest

CHILD = """
import resource, numpy as np, tinygrad_gen.backend as backend
def step():  # three live 4 MiB temporaries, then all freed: a forward's activations, in small
    a = np.ones(1 << 20, np.float32); b = a + 1; c = a * b; return float(c[0])
for _ in range(5): step()  # warm-up: first touches of the heap
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50): step()
print(backend.MALLOC_TUNED, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(setting):
    env = dict(os.environ, TGG_MALLOC=setting)
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True).stdout
    tuned, faults = out.split()
    return tuned == "True", int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's (Linux)")
def test_freed_arrays_reuse_warm_pages():
    tuned, faults = _faults("keep")
    default_tuned, default_faults = _faults("default")
    assert tuned and not default_tuned
    assert default_faults > 50 * 1000, f"glibc's default should fault fresh pages per array, got {default_faults}"
    assert faults < 50 * 10, f"with the engine imported, 50 rounds of three 4-MiB arrays faulted {faults} pages"
