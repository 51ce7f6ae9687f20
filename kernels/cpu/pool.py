"""The kernels' threads: Numba's pool, started once with its threads sleeping between kernels, and the BLAS that
the kernels' ``np.dot`` calls kept at one thread.

A process that runs these kernels has two other pools beside Numba's: NumPy's BLAS (OpenBLAS, the model's matrix
products) and the BLAS SciPy ships (what ``np.dot`` calls inside a kernel). Two things went wrong at 2 threads on a
2-core machine, each measured with nothing else running (one GPT training step, ``tgg bench step`` 's model):

* GNU OpenMP, Numba's default threading layer on Linux, keeps its threads spinning after each parallel loop, while
  OpenBLAS's threads spin after each product: the two pools took the cores from each other and the step took
  330 ms at 2 threads against 150 ms at 1. With OpenMP's threads waiting passively (``OMP_WAIT_POLICY=PASSIVE``)
  it took 100-140 ms.
* The flash attention kernel spreads heads over Numba's threads and multiplies tiles with ``np.dot``; a BLAS that
  also starts threads for each tile puts 4 threads on 2 cores: attention at N = 2048 took 287 ms at 2 threads
  against 218 ms at 1, and 109 ms with the kernels' BLAS at one thread.

So :func:`start` launches Numba's pool with ``OMP_WAIT_POLICY=PASSIVE`` (unless the user set it), then gives the
variable back as it was: GNU OpenMP reads it once, when the pool's copy of the library loads, and another OpenMP
library loaded later (PyTorch's own, in the benchmarks) keeps its own default. Where an OpenMP library is loaded
already (PyTorch imported first), Numba's pool would run on it, with the threads it spins: the pool takes Numba's
``workqueue`` layer instead, whose threads sleep (the VAE step at 2 threads with PyTorch imported: 9.6-16 ms on
OpenMP, 3.6 ms on the workqueue, 2.0 ms without PyTorch). The workqueue must not be entered from two Python
threads at once (Numba stops the process), so every entry point of the kernels holds ``LOCK`` while it runs.

Where SciPy's BLAS is a library of its own (the wheels: ``scipy.libs``), it gets one thread; where SciPy and NumPy
share one BLAS (some conda installs) it is left alone, since limiting it would slow the model's products."""
import os
import threading

LOCK = threading.Lock()  # one kernel at a time per process: the workqueue layer stops the process on a second one
_started = False


def start() -> None:
    """Launch Numba's thread pool (once per process) with OpenMP's threads waiting passively, and set the kernels'
    BLAS to one thread. Called before a kernel first runs: loading a cached parallel kernel launches the pool."""
    global _started
    if _started:
        return
    import numba
    if _openmp_loaded() and "NUMBA_THREADING_LAYER" not in os.environ:
        numba.config.THREADING_LAYER = "workqueue"
    mine = "OMP_WAIT_POLICY" not in os.environ  # the user's setting wins
    if mine:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        numba.get_num_threads()  # launches the threading layer (a no-op where something launched it before)
    finally:
        if mine:
            del os.environ["OMP_WAIT_POLICY"]
    _started = True
    serial_kernel_blas()


def _openmp_loaded() -> bool:
    """Whether an OpenMP library (GNU's, Intel's, LLVM's) is in the process already."""
    from threadpoolctl import ThreadpoolController
    return any(lib.internal_api == "openmp" for lib in ThreadpoolController().lib_controllers)


def set_threads(n: int) -> None:
    """Let the kernels' ``prange`` loops use ``n`` threads (at most Numba's ``NUMBA_NUM_THREADS``); their BLAS stays
    at one thread."""
    import numba
    start()
    numba.set_num_threads(max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))
    serial_kernel_blas()  # a process-wide BLAS limit set since (``threads.use_threads``) may have raised it


def serial_kernel_blas() -> None:
    """One thread for the BLAS that ``np.dot`` calls inside the kernels (SciPy's, where it is its own library)."""
    try:
        import scipy
        import scipy.linalg.cython_blas  # noqa: F401  (loads the library now, so its threads can be set)
    except ImportError:  # Numba's np.dot needs SciPy; without it no kernel calls a BLAS
        return
    from threadpoolctl import ThreadpoolController
    own = os.path.realpath(os.path.join(os.path.dirname(scipy.__file__), os.pardir, "scipy.libs")) + os.sep
    for lib in ThreadpoolController().lib_controllers:
        if lib.user_api == "blas" and os.path.realpath(lib.filepath).startswith(own):
            lib.set_num_threads(1)
