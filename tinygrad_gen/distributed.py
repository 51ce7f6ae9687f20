"""Data-parallel training over several processes: every rank holds the whole model and computes the gradient of its
own shard of each batch; the gradients are then averaged over the ranks, and every rank takes the same step.

    data-parallel SGD = average the gradients, then step

    g = (1/N) sum_r g_r,   g_r = d loss(shard r of the batch) / d theta

With N equal shards of a batch of B examples and a loss that is a mean over the batch, the mean of the N shard
gradients is exactly the gradient of the whole batch, so N ranks with per-rank batch B/N follow the same trajectory
as one process with batch B (up to the order of floating-point sums).

Processes talk through MPI (``mpi4py``; the ``mpich`` wheel brings ``mpiexec``): start a job with
``mpiexec -n 2 tgg train gpt`` or ``tgg train gpt --ranks 2``. CuPy gradients are averaged with NCCL
(``cupy.cuda.nccl``), whose unique id is shared over MPI. A process not started by ``mpiexec`` (or a job of one
rank) never imports ``mpi4py``: everything below is then a no-op.

What the training harness does with this module (``tinygrad_gen.run.Run``; the models never see it):
``broadcast_parameters`` at the start (rank 0's initial weights everywhere), ``all_reduce_gradients`` after every
backward pass, a ``shard`` of each batch per rank, and files written by rank 0 only.
"""
import hashlib
import json
import os
import sys
import time

import numpy as np

from . import backend
from . import random as _random

_comm = None       # the MPI communicator of a job of several ranks, once init() ran
_nccl = None       # (device id, NCCL communicator) once a CuPy gradient was reduced
_weight = 1.0     # this rank's share of the rows of the current batch, times the number of ranks (see shard)
stats = {"all_reduce_seconds": 0.0, "all_reduce_calls": 0}   # read by `tgg bench dist`
_LAUNCH_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "PMIX_SIZE")


def launched_size():
    """How many ranks the launcher (``mpiexec``) started, read from its environment; 1 outside ``mpiexec``.
    Reading the environment first is what keeps ``mpi4py`` unimported in a plain run."""
    for var in _LAUNCH_SIZE_VARS:
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 1


def init():
    """Join the MPI job if this process is one rank of several; return ``(rank, world_size)``.

    A rank that raises makes the whole job stop (``MPI.Abort``) with a line naming the rank, instead of leaving
    the others waiting forever in the next all-reduce."""
    global _comm
    if _comm is not None or launched_size() == 1:
        return rank(), world_size()
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError("distributed: this process was started by mpiexec but mpi4py is missing; install the "
                           "extra: pip install 'tinygrad_gen[dist]'") from e
    _comm = MPI.COMM_WORLD
    if _comm.Get_size() > 1:
        _install_abort_on_error()
    _random.set_batch_shard(rank(), world_size())
    return rank(), world_size()


def rank():
    """This process's index in the job, 0 to world_size() - 1."""
    return 0 if _comm is None else _comm.Get_rank()


def world_size():
    """How many processes train together (1 without MPI)."""
    return 1 if _comm is None else _comm.Get_size()


def is_main():
    """Rank 0 writes the checkpoints, the metrics and the figures; the other ranks write nothing."""
    return rank() == 0


def barrier():
    """Wait until every rank reaches this point (nothing to wait for in a single process)."""
    if _comm is not None:
        _comm.Barrier()


def _install_abort_on_error():
    previous = sys.excepthook

    def abort(kind, value, tb):
        if kind is not KeyboardInterrupt:
            print(f"tgg: rank {rank()} of {world_size()} failed ({kind.__name__}: {value}); stopping every rank",
                  file=sys.stderr, flush=True)
        previous(kind, value, tb)
        sys.stderr.flush()
        time.sleep(0.5)  # let mpiexec pass the lines on before the abort ends every process
        _comm.Abort(1)
    sys.excepthook = abort


# ----- start: one model everywhere ----------------------------------------------------------------------------------
def config_hash(config):
    """A short fingerprint of a JSON-able config (the run's options), equal on ranks that agree."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_same_config(config):
    """Refuse to start when the ranks were given different options (each would train another model):
    a ValueError naming the ranks that differ from rank 0."""
    if world_size() == 1:
        return
    hashes = _comm.allgather(config_hash(config))
    differ = [r for r, h in enumerate(hashes) if h != hashes[0]]
    if differ:
        raise ValueError(f"distributed: rank(s) {differ} were started with a different configuration than rank 0 "
                         f"(config hashes {hashes}); start every rank with the same options")


def broadcast_parameters(module):
    """Copy rank 0's parameters and buffers into every rank's ``module`` (in place), so all ranks start equal."""
    if world_size() == 1:
        return
    for _, t in _state_tensors(module):
        host = np.ascontiguousarray(backend.to_device(t._data, "cpu"))
        _comm.Bcast(host, root=0)
        t._data[...] = backend.to_device(host, backend.device_of(t._data))


def _state_tensors(module):
    state = module.state_dict()
    return sorted(state.items())


# ----- each step: average the gradients ---------------------------------------------------------------------------
def all_reduce_gradients(params):
    """Replace each parameter's ``.grad`` by its mean over the ranks.

    The gradients are packed into one flat buffer per dtype (one message instead of one per tensor: the latency of
    a message is paid once), summed across ranks (MPI ``Allreduce`` on NumPy arrays, NCCL ``allReduce`` on CuPy
    arrays), divided by the number of ranks and unpacked. A parameter without a gradient on every rank keeps
    ``None``; ranks must agree on which parameters have one (they run the same model on the same kind of batch)."""
    if world_size() == 1:
        return
    start = time.perf_counter()
    groups = {}
    for p in params:
        if p.grad is not None:
            groups.setdefault((p.grad._data.dtype, backend.device_of(p.grad._data)), []).append(p)
    for (_dtype, device), group in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        xp = backend.xp_for(device)
        flat = xp.concatenate([p.grad._data.reshape(-1) for p in group])
        if _weight != 1.0:
            flat *= _weight
        summed = _sum_over_ranks(flat, device)
        summed /= world_size()
        offset = 0
        for p in group:
            size = p.grad._data.size
            p.grad._data = summed[offset:offset + size].reshape(p.grad._data.shape)
            offset += size
    stats["all_reduce_seconds"] += time.perf_counter() - start
    stats["all_reduce_calls"] += 1


def _sum_over_ranks(flat, device):
    if device == "cpu":
        out = np.empty_like(flat)
        _comm.Allreduce(flat, out)
        return out
    return _nccl_sum(flat)


def _nccl_sum(flat):
    """Sum a CuPy array over the ranks with NCCL; the communicator is made once, its id sent from rank 0 over MPI."""
    global _nccl
    import cupy
    from cupy.cuda import nccl
    device = cupy.cuda.Device().id
    if _nccl is None or _nccl[0] != device:
        uid = nccl.get_unique_id() if is_main() else None
        uid = _comm.bcast(uid, root=0)
        _nccl = (device, nccl.NcclCommunicator(world_size(), uid, rank()))
    kinds = {np.dtype(np.float32): nccl.NCCL_FLOAT32, np.dtype(np.float64): nccl.NCCL_FLOAT64,
             np.dtype(np.float16): nccl.NCCL_FLOAT16}
    if flat.dtype not in kinds:
        raise TypeError(f"all_reduce_gradients: NCCL reduces float16/32/64 gradients, got {flat.dtype}")
    out = cupy.empty_like(flat)
    stream = cupy.cuda.get_current_stream()
    _nccl[1].allReduce(flat.data.ptr, out.data.ptr, flat.size, kinds[flat.dtype], nccl.NCCL_SUM, stream.ptr)
    stream.synchronize()
    return out


# ----- data: a shard of every batch; random streams ---------------------------------------------------------------
def shard(batch_size, of_rank=None, ranks=None):
    """The rows of a global batch of ``batch_size`` examples that one rank trains on: contiguous parts, as equal as
    they can be (sizes differ by at most one).

    With equal parts the mean of the N shard gradients is the gradient of the whole batch's mean loss. When the
    batch does not split evenly (a short last batch), the next ``all_reduce_gradients`` weights each rank's gradient
    by its share of the rows, n_r N / B, which keeps the average exact: sum_r (n_r / B) g_r."""
    global _weight
    r = rank() if of_rank is None else of_rank
    n = world_size() if ranks is None else ranks
    if batch_size < n:
        raise ValueError(f"distributed: a batch of {batch_size} examples cannot give each of {n} ranks a row")
    small, extra = divmod(batch_size, n)
    start = r * small + min(r, extra)
    rows = slice(start, start + small + (r < extra))
    if of_rank is None:
        _weight = (rows.stop - rows.start) * n / batch_size
    return rows


def attach(modules=(), loaders=()):
    """Make a training loop data-parallel without its code knowing: broadcast rank 0's parameters, shard every
    batch of ``loaders``, and average the gradients of the ``modules``' parameters after every backward pass (so
    that gradient clipping and the optimizer see the averaged gradient, as in one process)."""
    if world_size() == 1:
        return
    from . import autograd
    params = []
    for module in modules:
        broadcast_parameters(module)
        params += [p for p in module.parameters() if all(p is not q for q in params)]
    for loader in loaders:
        loader.sharded = True
    autograd.after_backward.append(lambda: all_reduce_gradients(params))


def rank_seed_sequence(seed):
    """A SeedSequence of this rank's own, independent of the others' (``SeedSequence(seed).spawn(N)[rank]``): for
    randomness that should differ per rank. Randomness that belongs to the examples of a batch (the data order,
    reparameterization noise, dropout masks) is drawn for the whole batch on every rank instead, so that N ranks
    see exactly what one process sees."""
    return np.random.SeedSequence(seed).spawn(world_size())[rank()]

