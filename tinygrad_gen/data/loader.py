"""``DataLoader``: mini-batches, in two forms told apart by what is passed positionally.

**The PyTorch form** (``torch.utils.data.DataLoader``): exactly one positional argument, a map-style dataset — a
``Dataset`` (``TensorDataset``, ``Subset``, a subclass of your own), a ``Tensor``, or a list or tuple of samples.
PyTorch's signature and defaults (``batch_size=1, shuffle=False``); samples are fetched one index at a time and
collated by ``collate_fn`` (``default_collate``: Tensors out). Shuffling draws from ``generator`` (a
``tg.Generator``), else from the engine's generator (``tg.manual_seed``), a fresh seed each pass, as PyTorch does.

**The array form** (the engine's own): NumPy arrays, one or several with one shared first dimension, or batch
datasets (objects that are not ``Dataset``s, indexed by an array of indices and giving the whole batch, an array or a
tuple of arrays: ``data.TextWindows``). Defaults ``batch_size=64, shuffle=True``; batches are NumPy arrays, or
Tensors on ``device``; the shuffling generator is seeded by ``seed`` (from the engine's generator when None).

So a single NumPy array is the array form and a single Tensor the PyTorch form. Either form's state (the shuffling
seed or generator state at the start of the current pass, the batches of that pass already served) goes into
checkpoints, so a resumed run sees exactly the batches an uninterrupted run would, even mid-epoch. Every rank of a
data-parallel job iterates the same global batches; the training loop keeps its rows (``DataParallel.shard``).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Optional

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from .dataset import Dataset, TensorDataset, default_collate, default_convert

_TORCH_ONLY = ("sampler", "batch_sampler", "num_workers", "collate_fn", "pin_memory", "timeout", "worker_init_fn",
               "multiprocessing_context", "generator", "prefetch_factor", "persistent_workers", "pin_memory_device",
               "in_order")


def _is_map_dataset(obj: Any) -> bool:
    """Whether ``obj`` passed alone makes the PyTorch form: a ``Dataset``, a ``Tensor``, a list or a tuple."""
    return isinstance(obj, (Dataset, Tensor, list, tuple))


class DataLoader:
    """Iterate over a dataset (the PyTorch form) or over arrays (the array form) in batches; see the module
    docstring for which is which.

    PyTorch form: ``DataLoader(dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
    num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
    multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
    pin_memory_device='', in_order=True)``, PyTorch's signature. Loading runs in this process whatever
    ``num_workers`` says (the batches are the same); ``pin_memory`` and the worker settings are accepted and have
    no effect.

    Array form: ``DataLoader(*arrays, batch_size=64, shuffle=True, drop_last=False, seed=None, device=None)``. Each
    pass draws a fresh permutation when ``shuffle``; the last short batch is dropped when ``drop_last``. One array
    yields batches of it; several yield tuples. With ``device`` set, batches are Tensors on that device.

    Both: ``len(loader)`` batches per pass, ``loader.dataset``, re-iterable (each ``for`` is one pass), and
    ``batches()`` (endless), ``state_dict()`` / ``load_state_dict()``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) >= 1 and _is_map_dataset(args[0]) and (len(args) == 1 or not _is_map_dataset(args[1])):
            self._torch_form = True
            self._init_dataset(*args, **kwargs)
        else:
            self._torch_form = False
            self._init_arrays(*args, **kwargs)
        self.epoch = 0           # completed passes
        self._position = 0       # batches served in the current pass

    # ----- the PyTorch form -----
    def _init_dataset(self, dataset: Any, batch_size: Optional[int] = 1, shuffle: Optional[bool] = None,
                      sampler: Optional[Iterable] = None, batch_sampler: Optional[Iterable] = None,
                      num_workers: int = 0, collate_fn: Optional[Callable] = None, pin_memory: bool = False,
                      drop_last: bool = False, timeout: float = 0, worker_init_fn: Optional[Callable] = None,
                      multiprocessing_context: Any = None, generator: Optional[_random.Generator] = None, *,
                      prefetch_factor: Optional[int] = None, persistent_workers: bool = False,
                      pin_memory_device: str = "", in_order: bool = True, **extra: Any) -> None:
        if extra:
            hint = ""
            if "seed" in extra:
                hint = "; PyTorch's DataLoader takes generator=tg.Generator().manual_seed(seed)"
            elif "device" in extra:
                hint = "; PyTorch's DataLoader gives CPU tensors: move each batch with .to(device)"
            raise TypeError(f"DataLoader: unexpected keyword argument(s) {sorted(extra)} for a dataset (PyTorch's "
                            f"signature){hint}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: the dataset must have __len__ and __getitem__ (a map-style dataset), got "
                            f"{type(dataset).__name__}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             f"multiprocessing (got {num_workers!r})")
        if timeout < 0:
            raise ValueError(f"timeout option should be non-negative, got {timeout}")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                                       or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}")
        _random.generator_or_default(generator, "DataLoader")  # refuse a bad generator now
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if self.batch_size is not None or batch_sampler is not None else default_convert)
        self.worker_init_fn, self.prefetch_factor = worker_init_fn, prefetch_factor
        self.persistent_workers = persistent_workers
        self._epoch_seed: Optional[int] = None  # the permutation seed of the current pass (when shuffling)

    def _order(self) -> list:
        """The indices of this pass, in order (the sampler's, a permutation, or 0..n-1)."""
        if self.sampler is not None:
            return list(iter(self.sampler))
        n = len(self.dataset)
        if not self.shuffle:
            return list(range(n))
        if self._epoch_seed is None:
            source = _random.generator_or_default(self.generator, "DataLoader")
            self._epoch_seed = int(source.integers(2 ** 63))
        return np.random.default_rng(self._epoch_seed).permutation(n).tolist()

    def _index_batches(self) -> list:
        if self.batch_sampler is not None:
            return [list(b) for b in iter(self.batch_sampler)]
        order = self._order()
        if self.batch_size is None:
            return order
        size = self.batch_size
        batches = [order[i:i + size] for i in range(0, len(order), size)]
        if self.drop_last and batches and len(batches[-1]) < size:
            batches.pop()
        return batches

    def _fetch(self, indices: Any) -> Any:
        if self.batch_size is None and self.batch_sampler is None:
            return self.collate_fn(self.dataset[indices])
        if isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate:
            return self.dataset.rows(np.asarray(indices, dtype=np.int64))  # what collating the samples gives
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if getitems is not None else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)

    # ----- the array form -----
    def _init_arrays(self, *arrays: Any, batch_size: int = 64, shuffle: bool = True, drop_last: bool = False,
                     seed: Optional[int] = None, device: Optional[str] = None, **extra: Any) -> None:
        if extra:
            torch_only = sorted(set(extra) & set(_TORCH_ONLY))
            hint = (f" ({', '.join(torch_only)} belong to the PyTorch form: pass one dataset, e.g. "
                    "DataLoader(TensorDataset(x, y), ...))") if torch_only else ""
            raise TypeError(f"DataLoader: unexpected keyword argument(s) {sorted(extra)} for arrays{hint}")
        if not arrays:
            raise ValueError("DataLoader: give a dataset or at least one array")
        for a in arrays:
            if isinstance(a, (bool, int, float, np.integer, np.floating)):
                raise TypeError(f"DataLoader: got the number {a!r} positionally among arrays; give batch_size= (and "
                                "shuffle=) by keyword, or pass one dataset (TensorDataset(x, y)) for PyTorch's "
                                "positional signature")
        arrays = tuple(a if hasattr(a, "shape") or _is_batch_dataset(a) else np.asarray(a) for a in arrays)
        for a in arrays:
            if getattr(a, "dtype", None) is not None and a.dtype.kind == "O":
                raise TypeError("DataLoader: cannot batch an array of Python objects; pass the samples as one "
                                "list (the PyTorch form) or as a Dataset")
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
        self._epoch_state = self.rng.bit_generator.state  # generator state before the current pass's permutation

    @property
    def dataset(self) -> Any:
        """What the loader iterates over: the dataset (PyTorch form); the array, or the tuple of arrays (array
        form)."""
        return self.__dict__["dataset"] if self._torch_form else (
            self.arrays[0] if len(self.arrays) == 1 else self.arrays)

    @dataset.setter
    def dataset(self, value: Any) -> None:
        if self.__dict__.get("dataset") is not None:
            raise ValueError("dataset attribute should not be set after DataLoader is initialized")
        self.__dict__["dataset"] = value

    def __len__(self) -> int:
        if self._torch_form:
            if self.batch_sampler is not None:
                return len(self.batch_sampler)
            n = len(self.sampler) if self.sampler is not None else len(self.dataset)
            if self.batch_size is None:
                return n
            full, rest = divmod(n, self.batch_size)
            return full if self.drop_last or rest == 0 else full + 1
        full, rest = divmod(self.n, self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def __iter__(self) -> Iterator[Any]:
        """One pass. A pass left unfinished (or restored from a checkpoint) is continued where it stopped."""
        if self._torch_form:
            batches = self._index_batches()
            fetch = self._fetch
        else:
            self.rng.bit_generator.state = self._epoch_state
            order = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)
            batches = [order[b * self.batch_size:(b + 1) * self.batch_size] for b in range(len(self))]
            fetch = self._batch
        for b in range(self._position, len(batches)):
            self._position = b + 1
            yield fetch(batches[b])
        self.epoch += 1
        self._position = 0
        if self._torch_form:
            self._epoch_seed = None
        else:
            self._epoch_state = self.rng.bit_generator.state

    def batches(self) -> Iterator[Any]:
        """Endless batches, pass after pass (for training by steps)."""
        while True:
            yield from self

    def _batch(self, idx):
        batch = ()
        for a in self.arrays:
            part = a[idx]
            batch += part if isinstance(part, tuple) else (part,)  # a dataset may give several arrays
        if self.device is not None:
            from ..tensor import tensor
            batch = tuple(tensor(b, device=self.device) for b in batch)
        return batch[0] if len(batch) == 1 else batch

    def state_dict(self) -> dict:
        """JSON-able state: the shuffling state at the start of the current pass (the array form's generator state;
        the PyTorch form's permutation seed, and the state of its ``generator`` if one was given: the engine's is
        saved by checkpoints), the batches served in it, and the number of completed passes."""
        if not self._torch_form:
            return {"rng": self._epoch_state, "position": self._position, "epoch": self.epoch}
        state = {"rng": self._epoch_seed, "position": self._position, "epoch": self.epoch}
        if isinstance(self.generator, (_random.Generator, np.random.Generator)):  # it draws the next passes' seeds
            gen = self.generator
            state["generator"] = gen.get_state() if isinstance(gen, _random.Generator) else gen.bit_generator.state
        return state

    def load_state_dict(self, state: dict) -> None:
        """Resume from ``state_dict()``: the shuffling state, the position and the epoch."""
        for key in ("rng", "position", "epoch"):
            if key not in state:
                raise ValueError(f"DataLoader.load_state_dict: missing key {key!r} (got {sorted(state)})")
        if not 0 <= state["position"] <= len(self):
            raise ValueError(f"DataLoader.load_state_dict: position {state['position']} is outside this loader's "
                             f"{len(self)} batches")
        if self._torch_form:
            if state["rng"] is not None and not isinstance(state["rng"], int):
                raise ValueError("DataLoader.load_state_dict: the state is an array-form loader's, not a dataset "
                                 "loader's")
            self._epoch_seed = state["rng"]
            if state.get("generator") is not None and self.generator is not None:
                gen = self.generator
                if isinstance(gen, _random.Generator):
                    gen.set_state(state["generator"])
                else:
                    gen.bit_generator.state = state["generator"]
        else:
            if not isinstance(state["rng"], dict):
                raise ValueError("DataLoader.load_state_dict: the state is a dataset loader's, not an array-form "
                                 "loader's")
            self._epoch_state = state["rng"]
            self.rng.bit_generator.state = self._epoch_state
        self._position, self.epoch = int(state["position"]), int(state["epoch"])


def _is_batch_dataset(obj):
    """An object indexed by arrays of indices (not a list or tuple, which become one array)."""
    return hasattr(obj, "__len__") and hasattr(obj, "__getitem__") and not isinstance(obj, (list, tuple))
