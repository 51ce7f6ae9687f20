"""``DataLoader``: mini-batches of NumPy arrays, shuffled by a Generator of its own.

Besides arrays it takes datasets: objects with ``len(d)`` whose ``d[indices]`` (an index array) gives one batch,
an array or a tuple of arrays (``data.TextWindows``: windows of a text and their next-character targets).

The loader's state (its Generator's state at the start of the current epoch and how many batches of that epoch were
served) goes into checkpoints, so a resumed run sees exactly the batches an uninterrupted run would, even mid-epoch.
"""
import numpy as np

from .. import random as _random


class DataLoader:
    """Iterate over ``arrays`` (same first dimension; or datasets, see above) in batches of ``batch_size``.

    Each pass (epoch) draws a fresh permutation when ``shuffle``; the last short batch is dropped when ``drop_last``.
    ``seed=None`` takes a seed from the engine's generator, so ``tg.manual_seed`` governs it. One array yields
    batches of it; several yield tuples. With ``device`` set, batches are Tensors on that device.
    """

    def __init__(self, *arrays, batch_size=64, shuffle=True, drop_last=False, seed=None, device=None):
        if not arrays:
            raise ValueError("DataLoader: give at least one array")
        arrays = tuple(a if hasattr(a, "shape") or _is_dataset(a) else np.asarray(a) for a in arrays)
        n = len(arrays[0])
        if any(len(a) != n for a in arrays):
            raise ValueError(f"DataLoader: arrays must have the same length, got {[len(a) for a in arrays]}")
        if int(batch_size) < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        if drop_last and n < batch_size:
            raise ValueError(f"DataLoader: drop_last with {n} examples and batch_size {batch_size} gives no batch")
        self.arrays, self.n, self.batch_size = arrays, n, int(batch_size)
        self.shuffle, self.drop_last, self.device = shuffle, drop_last, device
        if seed is None:
            seed = int(_random.generator().integers(2 ** 63))
        self.rng = np.random.default_rng(seed)
        self.epoch = 0                                    # completed passes
        self._epoch_state = self.rng.bit_generator.state  # generator state before the current pass's permutation
        self._position = 0                                # batches served in the current pass
        self.sharded = False  # in a data-parallel job, serve this rank's rows of each batch (distributed.attach)

    def __len__(self):
        full, rest = divmod(self.n, self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def __iter__(self):
        """One pass. A pass left unfinished (or restored from a checkpoint) is continued where it stopped."""
        self.rng.bit_generator.state = self._epoch_state
        order = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        for b in range(self._position, len(self)):
            self._position = b + 1
            yield self._batch(order[b * self.batch_size:(b + 1) * self.batch_size])
        self.epoch += 1
        self._epoch_state = self.rng.bit_generator.state
        self._position = 0

    def batches(self):
        """Endless batches, pass after pass (for training by steps)."""
        while True:
            yield from self

    def _batch(self, idx):
        batch = ()
        for a in self.arrays:
            part = a[idx]
            batch += part if isinstance(part, tuple) else (part,)  # a dataset may give several arrays
        if self.sharded:  # the whole batch is made (with any randomness a dataset draws for it), then this rank's rows
            from ..distributed import shard
            rows = shard(len(idx))
            batch = tuple({k: v[rows] for k, v in b.items()} if isinstance(b, dict) else b[rows] for b in batch)
        if self.device is not None:
            from ..tensor import tensor
            batch = tuple(tensor(b, device=self.device) for b in batch)
        return batch[0] if len(batch) == 1 else batch

    def state_dict(self):
        """JSON-able state: the generator state at the start of the current pass, the batches served in it, and the
        number of completed passes."""
        return {"rng": self._epoch_state, "position": self._position, "epoch": self.epoch}

    def load_state_dict(self, state):
        """Resume from ``state_dict()``: the shuffling generator, the position and the epoch."""
        for key in ("rng", "position", "epoch"):
            if key not in state:
                raise ValueError(f"DataLoader.load_state_dict: missing key {key!r} (got {sorted(state)})")
        if not 0 <= state["position"] <= len(self):
            raise ValueError(f"DataLoader.load_state_dict: position {state['position']} is outside this loader's "
                             f"{len(self)} batches")
        self._epoch_state, self._position, self.epoch = state["rng"], int(state["position"]), int(state["epoch"])
        self.rng.bit_generator.state = self._epoch_state


def _is_dataset(obj):
    """An object indexed by arrays of indices (not a list or tuple, which become one array)."""
    return hasattr(obj, "__len__") and hasattr(obj, "__getitem__") and not isinstance(obj, (list, tuple))
