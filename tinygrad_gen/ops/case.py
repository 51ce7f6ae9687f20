"""``OpCase``: one row of an op family's test table, and the samplers that make its inputs.

Each family in ``ops/`` ends with a ``CASES`` list. ``tgg gradcheck`` walks every family's rows, and the tests draw
shapes for the same rows with hypothesis, compare them with PyTorch and with the plain op (where a fast path is
registered), so an op added to its family's table is checked everywhere. A row is::

    OpCase(name, fn, shapes, sample=normal, draw="any", min_ndim=0, torch=None, exact_twin=True)

``fn(*tensors)`` returns one Tensor; ``shapes`` are the input shapes the command line uses; ``sample(rng, shape)``
makes one input's values (kept away from kinks and off the domain's edge, where finite differences lie);
``draw`` says which other shapes the op accepts: ``"any"`` (one input of any shape with at least ``min_ndim`` axes),
``"broadcast"`` (inputs of mutually broadcastable shapes), ``"same"`` (inputs of one shared shape) or ``"fixed"``
(only ``shapes``). ``torch(*torch_tensors)`` is the same computation written in PyTorch, the tests' oracle (None
where PyTorch has no twin), called by the tests as ``torch(torch_module, *tensors)`` (nothing here imports
PyTorch). ``exact_twin`` says the twin is the same single PyTorch op, so it saves the same tensors for its backward:
the in-place probe then expects PyTorch's error exactly where PyTorch raises one. For a composed twin
(``exact_twin=False``) the probe asks only that no wrong gradient comes out: PyTorch's gradient, or the error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import numpy as np

from ..tensor import Tensor


def normal(rng, shape):
    """Standard normal values."""
    return rng.standard_normal(shape)


def positive(rng, shape):
    """For log, sqrt, pow bases and divisors: values in [0.5, 2], far from the pole at 0."""
    return rng.uniform(0.5, 2.0, shape)


def nonzero(rng, shape):
    """Away from a kink at 0 (relu, abs, leaky_relu): |x| in [0.1, 2] with a random sign."""
    return rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def distinct(rng, shape):
    """A random permutation of well-spaced values: max/min and pooling never meet a near-tie."""
    n = int(np.prod(shape, dtype=np.int64))
    return (rng.permutation(n) * 0.1 - 0.05 * n + rng.uniform(0, 0.01)).reshape(shape)


def clip_inputs(rng, shape):
    """|x| in [0.1, 0.4] or [0.6, 2]: away from the clip bounds +-0.5 and from 0."""
    mag = np.where(rng.random(shape) < 0.5, rng.uniform(0.1, 0.4, shape), rng.uniform(0.6, 2.0, shape))
    return mag * rng.choice([-1.0, 1.0], shape)


def pattern(shape, period=3):
    """A fixed boolean pattern of ``shape`` (True at every ``period``-th element): masks that do not depend on
    the values, so finite differences never flip them."""
    return np.asarray(np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape) % period == 0)


def torch_pattern(torch, shape, period=3):
    """``pattern`` as a PyTorch tensor, for the twins (``torch`` is the module the tests pass in)."""
    return torch.from_numpy(pattern(tuple(shape), period))


def functional_twin(name, *args, **kwargs):
    """A PyTorch twin that calls ``torch.nn.functional.<name>(*inputs, *args, **kwargs)``."""
    return lambda torch, *inputs: getattr(torch.nn.functional, name)(*inputs, *args, **kwargs)


def index_pattern(shape, n):
    """A fixed integer index of ``shape`` with values in [0, n) that repeat (so scatters collide)."""
    size = int(np.prod(shape, dtype=np.int64))
    return (np.arange(size).reshape(shape) * 7 + 3) % max(n, 1)


@dataclass(frozen=True)
class OpCase:
    """One op (or one variant of it) as the gradchecks, the PyTorch comparisons and ``tgg gradcheck`` see it."""
    name: str
    fn: Callable
    shapes: Tuple[tuple, ...]
    sample: Callable = normal
    draw: str = "any"
    min_ndim: int = 0
    torch: Optional[Callable] = None
    exact_twin: bool = True

    def inputs(self, rng, shapes=None, dtype=np.float64):
        """Fresh leaf Tensors that require grad, one per input shape (float64 unless ``dtype`` says)."""
        samplers = self.sample if isinstance(self.sample, tuple) else (self.sample,) * len(self.shapes)
        return [Tensor(np.asarray(s(rng, shape), dtype=dtype), requires_grad=True)
                for s, shape in zip(samplers, shapes or self.shapes)]
