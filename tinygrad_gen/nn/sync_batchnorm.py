"""A batch spread over the ranks of a data-parallel job, seen whole where a layer needs the whole batch: BatchNorm's
statistics (``SyncBatchNorm2d``, PyTorch's ``nn.SyncBatchNorm``), and the rows of every rank gathered (as numbers,
``all_gather_rows``, or differentiably, ``gather_rows``).

Data-parallel training is exact when the loss is a mean over independent examples (``tinygrad_gen.distributed``).
BatchNorm is not: each example is normalised with its batch's mean and variance, so N ranks normalising their own
shards compute another model than one process normalising the whole batch. ``SyncBatchNorm2d`` gathers the rows of
every rank, normalises the whole batch (on each rank: it is cheap next to the convolutions around it) and keeps
this rank's rows; the running statistics then follow the whole batch too.

The gradient of the gather, written for the global loss L = (1/N) sum_r L_r that ``average_gradients`` follows:

    forward:  y = [x_0; x_1; ...; x_{N-1}]              (every rank's rows, in rank order, on every rank)
    backward: dL_r/dx_s flows from every rank r's copy of y, so rank s takes  sum_r (dL_r/dy)[rows of s]
              (an all-reduce of the gradient, then its own rows: ``SumRows``, whose own backward is the gather)

and the ranks' average of the parameter gradients is then dL/dtheta, as for a plain mean loss. MPI moves host
arrays (a CuPy array goes through the host); a job of one rank never imports ``mpi4py``.
"""
from typing import Any, List

import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .layers import BatchNorm2d


def _comm():
    from mpi4py import MPI  # only in a job of several ranks: a plain run never imports mpi4py
    return MPI.COMM_WORLD


def rows_of_ranks(n: int, data_parallel: Any) -> List[int]:
    """How many rows each rank holds, when this one holds ``n`` (one small message)."""
    if data_parallel.world_size == 1:
        return [int(n)]
    return [int(k) for k in _comm().allgather(int(n))]


def all_gather_rows(array: Any, data_parallel: Any, counts: Any = None) -> Any:
    """Every rank's ``array`` (same trailing shape, any number of rows) stacked along axis 0 in rank order, on every
    rank; ``counts`` (rows per rank, from ``rows_of_ranks``) saves a message when known. No gradient."""
    if data_parallel.world_size == 1:
        return array
    counts = rows_of_ranks(array.shape[0], data_parallel) if counts is None else counts
    device = backend.device_of(array)
    host = np.ascontiguousarray(backend.to_device(array, "cpu"))
    whole = np.empty((sum(counts),) + host.shape[1:], dtype=host.dtype)
    per_row = int(np.prod(host.shape[1:], dtype=np.int64))
    _comm().Allgatherv(host, [whole, [c * per_row for c in counts]])
    return backend.to_device(whole, device)


def sum_over_ranks(array: Any, data_parallel: Any) -> Any:
    """The element-wise sum of every rank's ``array`` (same shape everywhere), on every rank. No gradient."""
    if data_parallel.world_size == 1:
        return array
    device = backend.device_of(array)
    host = np.ascontiguousarray(backend.to_device(array, "cpu"))
    out = np.empty_like(host)
    _comm().Allreduce(host, out)
    return backend.to_device(out, device)


def _own_rows(counts, rank):
    start = sum(counts[:rank])
    return slice(start, start + counts[rank])


class GatherRows(Function):
    """Every rank's rows, stacked in rank order.

    forward:  y = [x_0; ...; x_{N-1}]
    backward: dx = rows of this rank of sum over ranks of dy (``SumRows``): each rank's loss reached x through its
              own copy of y."""

    @staticmethod
    def forward(ctx, x, data_parallel, counts):
        """Gather the rows (``counts`` per rank) of every rank's ``x``."""
        ctx.data_parallel, ctx.counts = data_parallel, counts
        return all_gather_rows(x, data_parallel, counts)

    @staticmethod
    def backward(ctx, g):
        """This rank's rows of the ranks' summed gradient."""
        return SumRows.apply(g, ctx.data_parallel, ctx.counts), None, None


class SumRows(Function):
    """This rank's rows of the sum over ranks of a whole-batch ``y`` (the adjoint of ``GatherRows``).

    forward:  x_s = (sum_r y_r)[rows of s]
    backward: dy = [dx_0; ...; dx_{N-1}] (``GatherRows``)"""

    @staticmethod
    def forward(ctx, y, data_parallel, counts):
        """Sum ``y`` over the ranks and keep this rank's rows."""
        ctx.data_parallel, ctx.counts = data_parallel, counts
        return sum_over_ranks(y, data_parallel)[_own_rows(counts, data_parallel.rank)]

    @staticmethod
    def backward(ctx, g):
        """Every rank's rows of the gradient, gathered."""
        return GatherRows.apply(g, ctx.data_parallel, ctx.counts), None, None


def gather_rows(x: Tensor, data_parallel: Any) -> tuple:
    """(every rank's rows of ``x`` stacked in rank order, this rank's rows in it as a slice); differentiable: a loss
    computed on the whole batch on every rank and averaged by ``average_gradients`` gets the gradient one process
    gets."""
    counts = rows_of_ranks(x.shape[0], data_parallel)
    if data_parallel.world_size == 1:
        return x, slice(0, x.shape[0])
    return GatherRows.apply(x, data_parallel, counts), _own_rows(counts, data_parallel.rank)


class SyncBatchNorm2d(BatchNorm2d):
    """BatchNorm2d whose training statistics are those of the whole batch of a data-parallel job (every rank's
    shard), as one process would compute them; in eval mode, or in a job of one rank, it is BatchNorm2d. Same
    parameters and buffers (a checkpoint loads into either). The batch must split evenly over the ranks: the ranks'
    gradients are averaged with equal weights."""

    def __init__(self, num_features: int, *args: Any, data_parallel: Any = None, **kwargs: Any) -> None:
        super().__init__(num_features, *args, **kwargs)
        self.data_parallel = data_parallel  # the job (``run.data_parallel``); None: a job of one

    def forward(self, x: Tensor) -> Tensor:
        """The layer applied to this rank's rows ``x``, normalised with the whole batch's statistics."""
        dp = self.data_parallel
        if not self.training or dp is None or dp.world_size == 1:
            return super().forward(x)
        whole, rows = gather_rows(x, dp)
        if whole.shape[0] != x.shape[0] * dp.world_size:
            raise ValueError(f"SyncBatchNorm2d: a batch of {whole.shape[0]} rows does not split evenly over "
                             f"{dp.world_size} ranks")
        return super().forward(whole)[rows]
