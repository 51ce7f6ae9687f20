"""Dropout: zeroing random elements while training, scaled so that evaluation needs no change."""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import to_device
from ..binding import bind
from ..random import generator, manual_seed, per_example
from ..tensor import Tensor
from .case import OpCase
from .checks import as_tensor


class Dropout(Function):
    """Inverted dropout with a mask drawn outside: y = x * m / (1 - p), m_i ~ Bernoulli(1 - p) independently.

    forward:  y = x * s with s = m / (1 - p) (``scale``: 1 / (1 - p) where an element is kept, 0 where dropped),
              so E[y] = x and evaluation uses x unchanged.
    backward: dy/dx = s, so dx = g * m / (1 - p): the same mask and the same scale.
    p = 1 drops everything: s = 0, y = 0 and dx = 0. Only s is kept for backward (not x), as PyTorch keeps only
    its mask."""
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x * scale

    @staticmethod
    def backward(ctx, g):
        return g * ctx.scale, None


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """While training, zero each element with probability ``p`` and scale the survivors by 1 / (1 - p):
    y = x * m / (1 - p), m ~ Bernoulli(1 - p), so dy/dx = m / (1 - p); p = 1 gives zeros.

    Args:
        x: any shape.
        p: the probability of dropping an element, in [0, 1].
        training: False (evaluation) returns x itself, as does p = 0.
    The mask comes from the engine's generator (``tg.manual_seed``). PyTorch: ``torch.nn.functional.dropout``."""
    x = as_tensor(x)
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        scale = np.zeros(x.shape, x.dtype)
    else:
        keep = np.asarray(per_example(generator().random, x.shape)) >= p  # kept with probability 1 - p
        scale = np.asarray(keep * (1.0 / (1.0 - p)), dtype=x.dtype)  # 0-d: an array, not a NumPy scalar
    return Dropout.apply(x, to_device(scale, x.device))


BINDINGS = [
    bind(dropout, F=True),
]


def _mask(shape, p):
    """The scale m / (1 - p) that ``dropout`` draws right after ``tg.manual_seed(0)``."""
    manual_seed(0)
    return (np.asarray(per_example(generator().random, shape)) >= p) / (1 - p)


def _seeded_dropout(x):
    manual_seed(0)  # the same mask on every call, so finite differences see one function
    return dropout(x, 0.5)


CASES = [
    OpCase("F.dropout", _seeded_dropout, ((3, 4),),
           torch=lambda torch, x: x * torch.tensor(_mask(tuple(x.shape), 0.5), dtype=x.dtype), exact_twin=False),
]
