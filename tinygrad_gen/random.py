"""One NumPy ``Generator`` behind every random op, so ``tg.manual_seed(s)`` makes a run repeatable; and PyTorch's
``Generator`` objects (``g = tg.Generator().manual_seed(0)``) for the ops that take ``generator=``.
Random numbers are drawn on the CPU and moved, so CPU and CUDA runs with one seed see the same numbers."""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional, Union

import numpy as np

_generator = np.random.default_rng()
_initial_seed: Optional[int] = None


def _check_seed(seed: Any, op: str) -> int:
    """A seed as PyTorch takes one: an integer (a bool or a float is refused); negative seeds wrap modulo 2**64."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{op}: the seed must be an integer, got {type(seed).__name__} {seed!r}")
    seed = int(seed)
    if not -2 ** 63 <= seed < 2 ** 64:
        raise RuntimeError(f"{op}: the seed {seed} is out of range [-2**63, 2**64)")
    return seed % 2 ** 64


def manual_seed(seed: int) -> Generator:
    """Reseed the engine's generator (``torch.manual_seed``); returns it as a ``Generator`` (PyTorch returns
    ``torch.default_generator``)."""
    global _generator, _initial_seed
    _initial_seed = _check_seed(seed, "manual_seed")
    _generator = np.random.default_rng(_initial_seed)
    return default_generator


def seed() -> int:
    """Reseed the engine's generator from fresh entropy and return the seed (``torch.seed``)."""
    s = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
    manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed last given to ``manual_seed`` (``torch.initial_seed``); a fresh one is made if none was."""
    global _initial_seed
    if _initial_seed is None:
        seed()
    return _initial_seed


def generator() -> np.random.Generator:
    """The engine's NumPy generator, seeded by ``tg.manual_seed``."""
    return _generator


def get_state():
    """The generator's state, to restore with ``set_state`` (checkpoints keep it)."""
    return _generator.bit_generator.state


def set_state(state) -> None:
    """Restore a state ``get_state`` returned."""
    _generator.bit_generator.state = state


class Generator:
    """A random number generator of its own, as PyTorch's ``torch.Generator``: ``g = tg.Generator().manual_seed(0)``
    and then ``tg.randn(3, generator=g)``, ``x.multinomial(2, generator=g)``, ``DataLoader(ds, generator=g)``.

    It wraps a NumPy ``Generator`` (``numpy_generator``). Its state is independent of ``tg.manual_seed``.
    ``tg.default_generator`` is the engine's own (the one ``tg.manual_seed`` seeds)."""

    def __init__(self, device: Any = "cpu") -> None:
        if str(device).split(":")[0] not in ("cpu", "cuda"):
            raise RuntimeError(f"Generator: unknown device {str(device)!r}: expected 'cpu' or 'cuda'")
        self._device = str(device).split(":")[0]
        self._seed = 67280421310721  # PyTorch's default seed of a new Generator
        self._numpy = np.random.default_rng(self._seed)

    @property
    def numpy_generator(self) -> np.random.Generator:
        """The NumPy generator behind this one (the engine's, for ``tg.default_generator``)."""
        return self._numpy

    @property
    def device(self) -> Any:
        """The device the generator was made for (numbers are drawn on the CPU either way)."""
        from .devices import device
        return device(self._device)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed; returns the generator itself, so ``tg.Generator().manual_seed(0)`` works (PyTorch's)."""
        self._seed = _check_seed(seed, "Generator.manual_seed")
        self._numpy = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy; returns the seed (PyTorch's ``Generator.seed``)."""
        s = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed last given (PyTorch's ``Generator.initial_seed``)."""
        return self._seed

    def get_state(self) -> dict:
        """The state, to give back to ``set_state`` (a dict of NumPy's bit generator; PyTorch gives a byte
        tensor)."""
        return self._numpy.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        """Restore a state ``get_state`` returned; returns the generator."""
        if not isinstance(state, dict):
            raise TypeError(f"Generator.set_state: expected the dict get_state() returns, got {type(state).__name__}")
        self._numpy.bit_generator.state = state
        return self

    def __repr__(self) -> str:
        return f"<tinygrad_gen.Generator on {self._device}, seed {self._seed}>"


class _DefaultGenerator(Generator):
    """``tg.default_generator``: the engine's own generator, seen through the ``Generator`` interface."""

    def __init__(self) -> None:
        self._device = "cpu"

    @property
    def numpy_generator(self) -> np.random.Generator:
        """The engine's NumPy generator (``tg.manual_seed`` replaces it)."""
        return _generator

    @property
    def _numpy(self) -> np.random.Generator:
        return _generator

    def manual_seed(self, seed: int) -> Generator:
        """``tg.manual_seed(seed)``; returns this generator."""
        return manual_seed(seed)

    def initial_seed(self) -> int:
        """``tg.initial_seed()``."""
        return initial_seed()

    @property
    def _seed(self) -> Optional[int]:
        return _initial_seed


default_generator = _DefaultGenerator()


def generator_or_default(generator: Union[Generator, np.random.Generator, None] = None,
                         op: str = "random") -> np.random.Generator:
    """The NumPy generator a random op draws from: the engine's (``tg.manual_seed``) when ``generator`` is None,
    else the given ``tg.Generator``'s (a ``numpy.random.Generator`` is taken as it is). Anything else is refused
    naming ``op``."""
    if generator is None:
        return _generator
    if isinstance(generator, Generator):
        return generator.numpy_generator
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{op}: generator must be a tg.Generator (or a numpy.random.Generator), got "
                    f"{type(generator).__name__}")


# In a data-parallel job of N ranks, each rank holds 1/N of every training batch (rows r B/N to (r + 1) B/N): set
# only for the length of a ``with batch_shard(rank, ranks):`` block (a ``DataParallel`` job opens one).
_shard = (0, 1)


@contextlib.contextmanager
def batch_shard(rank: int, ranks: int) -> Iterator[None]:
    """Within the block, this process holds part ``rank`` of ``ranks`` of every training batch: ``per_example``
    draws the whole batch's numbers and keeps this part's rows. The previous setting comes back on exit."""
    global _shard
    previous, _shard = _shard, (int(rank), int(ranks))
    try:
        yield
    finally:
        _shard = previous


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
