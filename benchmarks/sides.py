"""Each library in a process of its own, the two taking turns: how ``tgg bench step`` and ``tgg bench attention
--device cpu`` time ours against PyTorch.

Why not one process: each library keeps threads of its own (NumPy's OpenBLAS and Numba's pool for ours, PyTorch's
OpenMP for it), and a pool spins for a while after its work, on the cores the other library needs next. Measured at
2 threads on 2 cores, in one process: the VAE step 15.3 ms ours / 4.3 ms PyTorch's; alone, each in its process:
2.0 / 2.1 ms. A user runs one library at a time, so each side runs in a fresh interpreter (``spawn``), ours
without PyTorch loaded, as ``tgg train`` runs it; and at more than one thread each round starts after a rest
(``PAUSE``), so the threads of the side whose turn ended have gone to sleep.

    with Side("ours", threads) as ours, Side("torch", threads) as theirs:
        ours.load("tinygrad_gen.benchmarks.step_vae", "ours", "cpu")     # module, factory, its arguments
        theirs.load("tinygrad_gen.benchmarks.step_vae", "torch_peer")
        a, b, calls = interleave(ours, theirs, reps=9, pause=PAUSE)       # median seconds per call of each

A factory returns a zero-argument callable (one step, one forward+backward); its arguments must pickle."""
import importlib
import multiprocessing
import statistics
import time
from typing import Callable

from tinygrad_gen.threads import use_threads

from .bench_overhead import import_torch, set_threads

PAUSE = 0.3  # seconds of rest before a round at more than one thread (OpenBLAS's threads spin up to ~0.1 s)
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def seconds_per_call(fn: Callable[[], object], calls: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """Seconds per call of ``calls`` calls of ``fn``, by ``clock``."""
    start = clock()
    for _ in range(calls):
        fn()
    return (clock() - start) / calls


def in_process(fn: Callable[[], object], clock: str = "wall") -> Callable[[int], float]:
    """A timer for ``interleave`` that runs ``fn`` in this process."""
    return lambda calls: seconds_per_call(fn, calls, CLOCKS[clock])


def interleave(ours: Callable[[int], float], theirs: Callable[[int], float], reps: int, target: float = 0.05,
               pause: float = 0.0, calls: int = 0):
    """(median seconds per call of ours, of theirs, calls per round): ``reps`` interleaved rounds of ``calls`` calls
    each (by default as many as take about ``target`` seconds), each round after ``pause`` seconds of rest and one
    untimed call. ``ours``
    and ``theirs`` are timers: a ``Side``, or ``in_process(fn)``."""
    ours(3), theirs(3)  # warm-up: first-call allocations, lazy imports, compiled kernels, optimizer state
    if not calls:
        calls = max(1, int(target / max(ours(1), theirs(1), 1e-6)))
    a, b = [], []
    for _ in range(reps):
        for timer, times in ((ours, a), (theirs, b)):
            if pause:
                time.sleep(pause)
                timer(1)  # untimed: wakes the threads the rest put to sleep and warms the caches again
            times.append(timer(calls))
    return statistics.median(a), statistics.median(b), calls


def _serve(conn, side: str, threads: int, clock: str) -> None:
    """A side's loop: ``(module, factory, args)`` builds the function to time, an integer runs it that many times
    and answers the seconds per call, ``None`` ends."""
    if side == "torch":
        set_threads(import_torch(side), threads)
    else:  # ours without PyTorch in the process, as it runs in tgg train
        use_threads(threads)
    fn = None
    while (request := conn.recv()) is not None:
        if isinstance(request, tuple):
            module, factory, args = request
            fn = getattr(importlib.import_module(module), factory)(*args)
            conn.send(None)
        else:
            conn.send(seconds_per_call(fn, request, CLOCKS[clock]))


class Side:
    """One library (``"ours"`` or ``"torch"``) in a process of its own with ``threads`` threads; called with a
    number of calls, it runs them there and returns the seconds per call (``clock``: "wall" or "cpu", the worker's
    own CPU time)."""

    def __init__(self, side: str, threads: int, clock: str = "wall"):
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no thread pool inherited
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, side, threads, clock), daemon=True)
        self.process.start()

    def load(self, module: str, factory: str, *args) -> None:
        """Build the function to time there: ``module.factory(*args)``."""
        self.conn.send((module, factory, args))
        self._answer()

    def __call__(self, calls: int) -> float:
        """Seconds per call of ``calls`` calls, run there."""
        self.conn.send(calls)
        return self._answer()

    def _answer(self):
        try:
            return self.conn.recv()
        except EOFError:
            self.process.join(timeout=10)  # the pipe closes a moment before the exit code is known
            raise RuntimeError(f"the benchmark's worker process stopped (exit code {self.process.exitcode}); "
                               "its error is printed above") from None

    def close(self) -> None:
        """End the worker process."""
        if self.process.is_alive():
            self.conn.send(None)
        self.process.join()

    def __enter__(self) -> "Side":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
