"""CPU kernels in Numba: plain NumPy arrays in, arrays out, like the CUDA kernels beside them; they never import the
engine. Each module compiles with ``njit(parallel=True, cache=True)``: rows (or tiles) are spread over threads with
``prange``, and the machine code is kept in ``__pycache__``, so only the first process on a machine pays the JIT.

    softmax.py        fused masked softmax, forward and backward (one pass over a row in cache)
    layer_norm.py     layer norm's standardisation, forward and backward
    gelu.py           exact-erf GELU and its slope in one pass
    cross_entropy.py  softmax cross-entropy from logits, forward and backward
    attention.py      flash-style attention (tiles of keys, running max and sum, O(N) memory), forward and backward
    adamw.py          the AdamW update of one parameter, in place
    matmul.py         a teaching tiled SGEMM (cache and register blocking), measured against OpenBLAS
    fast_math.py      a vectorisable float32 exp and erfc (Numba's scalar libm calls do not vectorise)
    pool.py           the threads: Numba's pool started with its threads sleeping, the kernels' BLAS at one thread

Importing a module imports Numba; the engine imports them lazily, only when a Numba kernel is chosen."""
from . import pool


def set_threads(n: int) -> None:
    """Let the kernels' ``prange`` loops use ``n`` threads (Numba's pool; NumPy's BLAS threads are set apart)."""
    pool.set_threads(n)


PARALLEL_MIN = 1 << 15  # elements: below this a call runs on one thread (waking the pool costs more than it saves)


def run(kernel, size: int, *args):
    """``kernel(*args)`` on one thread when the work (``size`` elements) is small, else on Numba's pool: waking the
    other threads costs ~10 us on an idle machine and up to ~200 us on a busy one, more than a small op's work."""
    import numba  # the kernel's module started the pool when it was imported (fast_math.py)
    with pool.LOCK:
        n = numba.get_num_threads()
        if size >= PARALLEL_MIN or n == 1:
            return kernel(*args)
        numba.set_num_threads(1)
        try:
            return kernel(*args)
        finally:
            numba.set_num_threads(n)
