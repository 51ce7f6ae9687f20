"""One NumPy ``Generator`` behind every random op, so ``tg.manual_seed(s)`` makes a run repeatable.
Random numbers are drawn on the CPU and moved, so CPU and CUDA runs with one seed see the same numbers."""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed the engine's generator (like torch.manual_seed)."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator():
    """The engine's NumPy generator, seeded by ``tg.manual_seed``."""
    return _generator


def get_state():
    """The generator's state, to restore with ``set_state`` (checkpoints keep it)."""
    return _generator.bit_generator.state


def set_state(state):
    """Restore a state ``get_state`` returned."""
    _generator.bit_generator.state = state


# In a data-parallel job of N ranks, each rank holds 1/N of every training batch (rows r B/N to (r + 1) B/N).
_shard = (0, 1)


def set_batch_shard(rank, ranks):
    """Tell the engine which part of each training batch this process holds (``tinygrad_gen.distributed`` does)."""
    global _shard
    _shard = (int(rank), int(ranks))


def per_example(draw, shape):
    """``draw(shape)`` for random numbers that belong to the examples of a batch (axis 0: noise of the
    reparameterization, dropout masks).

    In a job of N ranks, while a graph is being built for training, the numbers of the whole batch are drawn (every
    rank's generator is seeded alike) and this rank's rows kept: N ranks then see exactly the noise one process
    would. Alone, or under ``no_grad`` (evaluation on data that is not sharded), it is just ``draw(shape)``."""
    rank, ranks = _shard
    if ranks == 1 or not shape:
        return draw(shape)
    from .grad_mode import is_grad_enabled
    if not is_grad_enabled():
        return draw(shape)
    whole = draw((shape[0] * ranks,) + tuple(shape[1:]))
    return whole[rank * shape[0]:(rank + 1) * shape[0]]
