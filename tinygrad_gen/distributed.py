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

A training loop makes it data-parallel with a ``DataParallel`` object (``tgg train`` hands one to every model as
``run.data_parallel``; with one process each call below does nothing), called where each thing happens::

    with DataParallel() as dp:                  # per-example noise is drawn for the whole batch inside the block
        dp.broadcast(model)                     # rank 0's initial weights everywhere
        for batch in loader:
            x = dp.shard(batch)                 # this rank's rows of the global batch
            loss = model(x)
            opt.zero_grad(); loss.backward()
            dp.average_gradients(model.parameters())   # before clipping and the step, as in one process
            opt.step()

Nothing outlives the object: no hook is left on the engine, no loader is changed. Rank 0 writes the files.
"""
import collections.abc
import hashlib
import json
import os
import sys
import time
from typing import Any, Iterable

import numpy as np

from . import backend
from . import random as _random

_comm = None       # the MPI communicator of a job of several ranks, once init() ran
_nccl = None       # (device id, NCCL communicator) once a CuPy gradient was reduced
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
def all_reduce_gradients(params, weight=1.0):
    """Replace each parameter's ``.grad`` by its mean over the ranks (each rank's gradient times ``weight`` first:
    its share of a batch that did not split evenly, see ``DataParallel.shard``).

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
        if weight != 1.0:
            flat *= weight
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
    """The rows of a global batch of ``batch_size`` examples that one rank trains on (this one, unless ``of_rank``
    and ``ranks`` say another): contiguous parts, as equal as they can be (sizes differ by at most one).

    With equal parts the mean of the N shard gradients is the gradient of the whole batch's mean loss; when the
    batch does not split evenly (a short last batch), weighting rank r's gradient by n_r N / B before the average
    keeps it exact: sum_r (n_r / B) g_r (``DataParallel`` does)."""
    r = rank() if of_rank is None else of_rank
    n = world_size() if ranks is None else ranks
    if batch_size < n:
        raise ValueError(f"distributed: a batch of {batch_size} examples cannot give each of {n} ranks a row")
    small, extra = divmod(batch_size, n)
    start = r * small + min(r, extra)
    return slice(start, start + small + (r < extra))


def cut_rows(batch, rows, size):
    """``rows`` of every part of a batch of ``size`` examples: arrays and Tensors whose first axis has ``size``
    rows are cut, in tuples, lists, named tuples and dicts (a list of ``size`` strings too); the rest is kept."""
    from .tensor import Tensor
    if isinstance(batch, (Tensor, *backend.ARRAY_TYPES)):
        return batch[rows] if batch.ndim and batch.shape[0] == size else batch
    if isinstance(batch, collections.abc.Mapping):
        return {k: cut_rows(v, rows, size) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(cut_rows(v, rows, size) for v in batch))
    if isinstance(batch, (list, tuple)):
        if len(batch) == size and batch and isinstance(batch[0], (str, bytes)):
            return type(batch)(np.asarray(batch, dtype=object)[rows].tolist())
        return type(batch)(cut_rows(v, rows, size) for v in batch)
    return batch


def batch_size_of(batch):
    """The number of examples in a batch: the first axis of its first array or Tensor (in tuples, lists, dicts)."""
    if hasattr(batch, "shape") and len(batch.shape):
        return int(batch.shape[0])
    parts = batch.values() if isinstance(batch, collections.abc.Mapping) else \
        batch if isinstance(batch, (list, tuple)) else ()
    for part in parts:
        size = batch_size_of(part)
        if size is not None:
            return size
    return None


class DataParallel:
    """This process's part in a data-parallel job, for a training loop to call where each step happens:
    ``broadcast`` the weights once, ``shard`` every batch, ``average_gradients`` after every backward pass.

    Made in a process started by ``mpiexec`` (``tgg train --ranks N`` starts it), it joins the MPI job; alone, it
    is a job of one rank and every call returns at once (``mpi4py`` is never imported). Use it as a context
    manager: inside the block, noise that belongs to the examples of a batch (``random.per_example``: the VAE's
    reparameterization, dropout) is drawn for the global batch and this rank's rows kept, so N ranks see what one
    process sees; the block's end undoes that, and nothing else of it outlives the object."""

    def __init__(self) -> None:
        init()
        self.rank, self.world_size = rank(), world_size()
        self.is_main = self.rank == 0  # rank 0 writes the checkpoints, the metrics and the figures
        self._weight = 1.0  # this rank's share of the rows of the last sharded batch, times world_size

    def __enter__(self) -> "DataParallel":
        self._scope = _random.batch_shard(self.rank, self.world_size)
        self._scope.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._scope.__exit__(*exc)

    def __repr__(self) -> str:
        return f"DataParallel(rank {self.rank} of {self.world_size})"

    def check_same_config(self, config: dict) -> None:
        """Refuse (ValueError) to start when the ranks were given different options."""
        check_same_config(config)

    def broadcast(self, *modules: Any) -> None:
        """Copy rank 0's parameters and buffers into every rank's ``modules``, in place: all ranks start equal."""
        for module in modules:
            broadcast_parameters(module)

    def rows(self, batch_size: int) -> slice:
        """This rank's rows of a global batch of ``batch_size`` examples; remembers its share for the next
        ``average_gradients`` (n_r N / B: 1 when the batch splits evenly)."""
        rows = shard(batch_size)
        self._weight = (rows.stop - rows.start) * self.world_size / batch_size
        return rows

    def shard(self, batch: Any) -> Any:
        """This rank's rows of a global ``batch`` (an array or Tensor, or tuples, lists and dicts of them): the
        whole batch was made on every rank (with any randomness its dataset drew), then each keeps its part."""
        if self.world_size == 1:
            return batch
        size = batch_size_of(batch)
        if size is None:
            raise TypeError(f"DataParallel.shard: found no array or Tensor with a batch axis in a "
                            f"{type(batch).__name__}")
        return cut_rows(batch, self.rows(size), size)

    def average_gradients(self, params: Iterable) -> None:
        """Replace each parameter's ``.grad`` by its mean over the ranks (weighted by the ranks' shares of the last
        sharded batch); call it after ``backward`` and before clipping and the optimizer step."""
        if self.world_size > 1:
            all_reduce_gradients(list(params), self._weight)

    def barrier(self) -> None:
        """Wait until every rank reaches this point."""
        barrier()


def rank_seed_sequence(seed):
    """A SeedSequence of this rank's own, independent of the others' (``SeedSequence(seed).spawn(N)[rank]``): for
    randomness that should differ per rank. Randomness that belongs to the examples of a batch (the data order,
    reparameterization noise, dropout masks) is drawn for the whole batch on every rank instead, so that N ranks
    see exactly what one process sees."""
    return np.random.SeedSequence(seed).spawn(world_size())[rank()]

