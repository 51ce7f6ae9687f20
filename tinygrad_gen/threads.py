"""How many threads NumPy's BLAS may use: the ``--threads N`` option of ``tgg train``, ``tgg sample`` and
``tgg bench``, and the default when it is not given.

Why a default of our own: OpenBLAS starts one thread per core, and its threads spin waiting for each other. The
models here multiply small matrices, so on a machine whose other cores are busy the threads mostly wait: the VAE of
the quick start ran 2x to 10x slower with two threads than with one on a 2-core machine with other jobs. So the
default counts only the cores that are free now:

    threads = min(CAP, cores - busy)      busy: the cores other processes use (load average, and a 50 ms look)
    threads = cores // ranks              under MPI: each rank takes its share (``--ranks N`` or ``mpiexec -n N``)

at least 1; ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` or ``OMP_NUM_THREADS`` set by the user win over both.
"""
import os
import sys
import time
from typing import Dict, Iterable, Mapping, Optional

from .options import positive_int

CAP = 8  # idle many-core machines: the models' matrices are small, more threads mostly wait (a guess; 2 cores measured)
USER_VARS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")  # the user's choice; OpenBLAS's order
# how many ranks share this machine: the local count where the launcher says it (MPICH, Open MPI), else the job's
RANK_VARS = ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE")
LOOK_SECONDS = 0.05  # how long default_threads watches the CPUs: a busy loop started a second ago shows at once


def add_threads_option(parser_or_group, default: Optional[int] = None) -> None:
    """Add ``--threads N`` (an integer >= 1) to an argparse parser or argument group; ``None`` means the default
    policy of :func:`default_threads`."""
    policy = "the free cores, or under MPI this rank's share" if default is None else f"default: {default}"
    parser_or_group.add_argument("--threads", type=positive_int, default=default, metavar="N",
                                 help=f"BLAS threads for this process ({policy})")


def use_threads(n: Optional[int] = None) -> int:
    """Let NumPy's BLAS (and any OpenMP library already loaded) use ``n`` threads for the rest of the process;
    ``None`` applies :func:`default_threads`. Returns the number applied."""
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"use_threads: the number of threads must be an integer >= 1, got {n!r}")
    n = default_threads() if n is None else n
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # no threadpoolctl: only a BLAS that has not started yet can be told, through its variables
        if "numpy" in sys.modules:
            raise RuntimeError("use_threads: NumPy is loaded and threadpoolctl is missing, so its BLAS threads "
                               "cannot be limited; pip install threadpoolctl") from None
        os.environ.update({var: str(n) for var in USER_VARS})
        _numba_threads(n)
        return n
    threadpool_limits(limits=n)  # process-wide for OpenBLAS; kept for the process (the object is not needed)
    _numba_threads(n)
    return n


def _numba_threads(n: int) -> None:
    """The Numba CPU kernels' thread pool gets the same number: set now if Numba is loaded (through the kernels'
    ``pool``, which starts Numba's threads sleeping between kernels and keeps the kernels' own BLAS at one thread),
    else through its variable (read when Numba starts), unless the user set that."""
    if "numba" not in sys.modules:
        os.environ.setdefault("NUMBA_NUM_THREADS", str(n))
        return
    try:
        from .kernels.cpu import pool
    except ImportError:  # an install without the kernels: Numba's own pool is all there is
        import numba
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
        return
    pool.set_threads(n)


def default_threads(environ: Mapping[str, str] = os.environ) -> int:
    """The default number of BLAS threads for this process: the user's ``*_NUM_THREADS`` variable if set; under
    MPI the rank's share of the cores; else the cores other processes leave free, at most ``CAP``; at least 1."""
    chosen = user_threads(environ)
    if chosen is not None:
        return chosen
    cores, ranks = usable_cores(), local_ranks(environ)
    if ranks > 1:
        return rank_share(cores, ranks)
    return free_threads(cores, busy_cores())


def rank_share(cores: int, ranks: int) -> int:
    """Each of ``ranks`` processes on a machine with ``cores`` cores takes ``cores // ranks`` threads, at least 1."""
    return max(1, cores // ranks)


def free_threads(cores: int, busy: Optional[float]) -> int:
    """Threads for one process: the ``cores`` that ``busy`` (other processes' load, None if unknown: taken as idle)
    leaves free, at most ``CAP``, at least 1."""
    # a core half busy counts as taken: a thread that waits costs far more (10x, above) than one more thread gains
    taken = 0 if busy is None else int(busy + 0.5)
    return max(1, min(CAP, cores - taken))


def user_threads(environ: Mapping[str, str] = os.environ) -> Optional[int]:
    """The thread count the user set in ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` or ``OMP_NUM_THREADS``
    (the first that holds a positive integer; ``OMP_NUM_THREADS=4,2`` gives 4), or None."""
    for var in USER_VARS:
        first = environ.get(var, "").split(",")[0].strip()
        if first.isdigit() and int(first) > 0:
            return int(first)
    return None


def local_ranks(environ: Mapping[str, str] = os.environ) -> int:
    """How many MPI ranks share this machine: from the launcher's variables (``mpiexec`` sets them before the
    process starts), else from ``mpi4py`` if this process already joined a job; 1 outside MPI."""
    for var in RANK_VARS:
        if environ.get(var, "").strip().isdigit():
            return max(1, int(environ[var]))
    mpi = sys.modules.get("mpi4py.MPI")  # only if imported: importing it would start MPI in a plain run
    if mpi is not None and mpi.Is_initialized() and not mpi.Is_finalized():
        return max(1, mpi.COMM_WORLD.Get_size())
    return 1


def usable_cores() -> int:
    """The CPUs this process may run on (its affinity set, and a container's CPU quota where one is set)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = _cgroup_quota("/sys/fs/cgroup/cpu.max")
    return max(1, min(cores, quota) if quota else cores)


def _cgroup_quota(path: str) -> Optional[int]:
    """The CPUs a cgroup-v2 ``cpu.max`` (``"quota period"`` or ``"max period"``) allows, rounded up, or None."""
    try:
        quota, period = open(path).read().split()[:2]
        return -(-int(quota) // int(period))
    except (OSError, ValueError):  # no such file, "max" (no quota), or an unexpected layout
        return None


def busy_cores(look: float = LOOK_SECONDS) -> Optional[float]:
    """How many of this process's CPUs other processes keep busy: the larger of the last minute's load average
    (its share on these CPUs) and how busy they were during the next ``look`` seconds; None where neither is known.
    The load average lags a minute behind a job that just started; the look alone misses one that pauses."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))
    try:
        load = os.getloadavg()[0] * len(cpus) / (os.cpu_count() or len(cpus))
    except (AttributeError, OSError):  # Windows has no load average
        load = None
    before = _cpu_times(cpus)
    if before is None:
        return load
    time.sleep(look)  # this process sleeps meanwhile, so what is busy is someone else
    after = _cpu_times(cpus)
    busy = sum(_busy_fraction(before[c], after[c]) for c in cpus if c in before and c in after)
    return busy if load is None else max(load, busy)


def _cpu_times(cpus: Iterable[int]) -> Optional[Dict[int, list]]:
    """``{cpu: [user, nice, system, idle, iowait, irq, softirq, steal]}`` (clock ticks since boot)
    from ``/proc/stat``, or None."""
    wanted = {f"cpu{c}": c for c in cpus}
    try:
        with open("/proc/stat") as f:
            rows = [line.split() for line in f if line.startswith("cpu")]
    except OSError:  # not Linux
        return None
    return {wanted[r[0]]: [int(v) for v in r[1:9]] for r in rows if r[0] in wanted}  # guest time is in user


def _busy_fraction(before: list, after: list) -> float:
    """The share of the time between two ``/proc/stat`` rows that the CPU was not idle (idle and iowait count
    as idle)."""
    total = sum(after) - sum(before)
    idle = (after[3] + after[4]) - (before[3] + before[4])
    return 0.0 if total <= 0 else (total - idle) / total

