"""PyTorch's map-style datasets (``torch.utils.data``): ``Dataset``, ``TensorDataset``, ``Subset``,
``ConcatDataset``, ``random_split``, and ``default_collate``, which turns a list of samples into one batch.

A map-style dataset is indexed by one integer at a time (``ds[i]`` is one sample) and has a length; a
``DataLoader`` given one fetches a batch of samples and collates them. (The engine's own batch datasets, such as
``data.TextWindows``, are indexed by an array of indices and give the whole batch; ``DataLoader`` tells the two
apart by ``Dataset``: see its docstring.)"""
from __future__ import annotations

import bisect
import collections.abc
import math
from typing import Any, Callable, List, Optional, Sequence, Union

import numpy as np

from .. import random as _random
from ..tensor import Tensor, from_numpy, tensor


class Dataset:
    """The base class of map-style datasets (PyTorch's ``torch.utils.data.Dataset``): a subclass defines
    ``__getitem__(i)`` (one sample) and ``__len__``. ``a + b`` concatenates two datasets."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: a Dataset subclass must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples made of the rows of several tensors (PyTorch's ``TensorDataset``): ``ds[i]`` is
    ``(t[i] for t in tensors)`` as a tuple. NumPy arrays are taken as tensors, keeping their dtype.

    Args:
        *tensors: tensors (or NumPy arrays) with one shared first dimension."""

    def __init__(self, *tensors: Union[Tensor, np.ndarray]) -> None:
        for t in tensors:
            if not isinstance(t, (Tensor, np.ndarray)):
                raise TypeError(f"TensorDataset: expected tensors (or NumPy arrays), got {type(t).__name__}")
        tensors = tuple(from_numpy(t) if isinstance(t, np.ndarray) else t for t in tensors)
        if any(t.ndim == 0 for t in tensors):
            raise ValueError("TensorDataset: a 0-d tensor has no rows (shapes "
                             f"{[tuple(t.shape) for t in tensors]})")
        if len({t.shape[0] for t in tensors}) > 1:
            raise ValueError("TensorDataset: size mismatch between tensors: first dimensions of shapes "
                             f"{[tuple(t.shape) for t in tensors]} differ")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0] if self.tensors else 0

    def rows(self, indices: np.ndarray) -> list:
        """The batch of ``indices`` as ``default_collate`` would make it from the samples, gathered at once:
        ``[t[indices] for t in tensors]`` (``DataLoader`` takes this shortcut with the default collate)."""
        return [t[indices].detach() for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (PyTorch's ``Subset``)."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after the other (PyTorch's ``ConcatDataset``)."""

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("ConcatDataset: absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


def random_split(dataset: Any, lengths: Sequence[Union[int, float]],
                 generator: Optional[_random.Generator] = None) -> List[Subset]:
    """Split ``dataset`` at random into ``Subset``s of the given ``lengths`` (PyTorch's ``random_split``).

    Args:
        dataset: anything with ``len`` and ``[i]``.
        lengths: sizes adding up to ``len(dataset)``, or fractions adding up to 1 (the remainder is dealt one by one,
            round-robin, as PyTorch does).
        generator: a ``tg.Generator`` for the permutation (the engine's generator by default)."""
    n = len(dataset)
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1 ({frac})")
        sizes = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0 for k in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions adding up to 1, got "
                         f"{lengths}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: sum of input lengths ({sum(lengths)}) does not equal the length of the "
                         f"input dataset ({n})")
    order = _random.generator_or_default(generator, "random_split").permutation(n).tolist()
    out, start = [], 0
    for k in lengths:
        out.append(Subset(dataset, order[start:start + int(k)]))
        start += int(k)
    return out


_COLLATE_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def default_convert(data: Any) -> Any:
    """One sample with its NumPy arrays and NumPy scalars made Tensors (PyTorch's ``default_convert``, what a
    ``DataLoader`` with ``batch_size=None`` applies)."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind not in "SUO":
        return from_numpy(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "SUO":
        return tensor(np.asarray(data), dtype=data.dtype)
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return type(data)(default_convert(d) for d in data)
    return data


def default_collate(batch: Sequence[Any]) -> Any:
    """A list of samples as one batch, as PyTorch's ``default_collate`` makes it: Tensors and NumPy arrays are
    stacked along a new first axis; Python floats give a float64 Tensor, ints int64, bools bool; NumPy scalars keep
    their dtype; strings are left a list; dicts, named tuples, tuples and lists are collated field by field (a tuple
    sample gives a list of batches, as in PyTorch).

    Args:
        batch: the samples (a list)."""
    from ..ops.movement import stack
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack([b.detach() if b.requires_grad else b for b in batch], 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "SUO":
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return stack([from_numpy(np.asarray(b)) for b in batch], 0)
    if isinstance(elem, np.generic):
        if elem.dtype.kind in "SUO":
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return tensor(np.asarray(batch), dtype=elem.dtype)
    if isinstance(elem, bool):
        return tensor(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return tensor(np.asarray(batch, dtype=np.float64), dtype=np.float64)
    if isinstance(elem, int):
        return tensor(np.asarray(batch), dtype=np.int64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(s) != len(elem) for s in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of equal size (sizes "
                               f"{sorted({len(s) for s in batch})})")
        collated = [default_collate(list(samples)) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return collated
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def is_default_collate(fn: Optional[Callable]) -> bool:
    """Whether ``fn`` is the default collate (None or ``default_collate``)."""
    return fn is None or fn is default_collate
