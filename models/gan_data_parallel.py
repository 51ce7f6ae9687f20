"""What the GAN training loops need from a data-parallel job (``run.data_parallel``) beyond broadcast, shard and
average: the check that a batch splits as the model needs, the whole batch's mean of a logged loss, and an image
pool that sees the whole batch. With one rank each is the plain thing.

Each rank holds its rows of the real batch and of the codes (drawn for the whole batch on every rank from the same
seed, then sharded), so a loss that is a mean over examples needs nothing more. What is not such a mean is made
exact here by gathering, or refused by the model (gan2d's --topk)."""
from typing import Any, Sequence

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen.distributed import shard
from tinygrad_gen.nn.sync_batchnorm import all_gather_rows, rows_of_ranks, sum_over_ranks


def check_batch_splits(model: str, batch: int, data_parallel: Any, multiple: int = 1, even: bool = False,
                       why: str = "") -> None:
    """Refuse (ValueError, one line naming ``model``) a batch of ``batch`` rows that the job's ranks cannot share:
    fewer rows than ranks, a shard that is not a multiple of ``multiple`` rows, or (``even``) unequal shards."""
    ranks = data_parallel.world_size
    if ranks == 1:
        return
    sizes = [s.stop - s.start for s in (shard(batch, r, ranks) for r in range(min(batch, ranks)))]
    if batch < ranks or any(n % multiple for n in sizes) or (even and len(set(sizes)) > 1):
        need = multiple * ranks if even or multiple > 1 else ranks
        raise ValueError(f"{model}: --batch {batch} does not split over {ranks} ranks{why}; use a multiple of {need}")


def batch_means(values: Sequence[float], batch: int, data_parallel: Any) -> list:
    """The whole batch's means from this rank's ``values``, means over its rows of a batch of ``batch`` rows
    (sum_r n_r v_r / sum_r n_r): what one process logs. One message; alone, ``values`` as they are."""
    if data_parallel.world_size == 1:
        return [float(v) for v in values]
    part = shard(batch, data_parallel.rank, data_parallel.world_size)
    rows = part.stop - part.start
    local = np.array([rows, *(rows * float(v) for v in values)], dtype=np.float64)
    total = sum_over_ranks(local, data_parallel)
    return (total[1:] / total[0]).tolist()


class WholeBatchPool:
    """An ``ImagePool`` queried with the whole batch: every rank gathers the generated images of all ranks, asks its
    pool (each rank holds the same pool and draws the same numbers) and keeps its own rows, so the discriminator
    sees what it sees in one process. Per rank, each would otherwise keep a history of its own shard only."""

    def __init__(self, pool: Any, data_parallel: Any) -> None:
        self.pool, self.data_parallel = pool, data_parallel

    def query(self, images: tg.Tensor) -> tg.Tensor:
        """This rank's rows of the pool's answer to the whole batch (detached, as the pool's are)."""
        dp = self.data_parallel
        if dp.world_size == 1:
            return self.pool.query(images)
        counts = rows_of_ranks(images.shape[0], dp)
        whole = all_gather_rows(images.detach().numpy(), dp, counts)
        start = sum(counts[:dp.rank])
        return self.pool.query(tg.tensor(whole, device=images.device))[start:start + counts[dp.rank]]
