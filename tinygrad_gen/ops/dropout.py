"""Dropout, zeroing random elements while training, scaled so that evaluation needs no change; and the other random
ops on tensors, none differentiable: ``multinomial``, ``bernoulli``, ``randperm``, the in-place fills ``normal_``
and ``uniform_``. Each takes PyTorch's ``generator=`` (a ``tg.Generator``; the engine's generator by default)."""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from ..errors import ArgumentError
from ..autograd import Function
from ..backend import to_device
from ..binding import bind
from ..grad_mode import _Mode
from ..random import Generator, generator, generator_or_default, manual_seed, per_example
from ..tensor import DTypeLike, Tensor, _dtype
from .case import OpCase
from .checks import as_tensor
from .inplace import _assign, _in_graph_error, _write, inplace_result


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


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """While training, zero each element with probability ``p`` and scale the survivors by 1 / (1 - p):
    y = x * m / (1 - p), m ~ Bernoulli(1 - p), so dy/dx = m / (1 - p); p = 1 gives zeros.

    Args:
        x: any shape.
        p: the probability of dropping an element, in [0, 1].
        training: False (evaluation) returns x itself, as does p = 0.
        inplace: write the result into x (see ``inplace_result``).
    The mask comes from the engine's generator (``tg.manual_seed``). PyTorch: ``torch.nn.functional.dropout``."""
    x = as_tensor(x)
    if not 0 <= p <= 1:
        raise ArgumentError(f"dropout: dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return x
    if inplace:
        return inplace_result(x, lambda t: dropout(t, p, training), "dropout_")
    if p == 1:
        scale = np.zeros(x.shape, x.dtype)
    else:
        keep = np.asarray(per_example(generator().random, x.shape)) >= p  # kept with probability 1 - p
        scale = np.asarray(keep * (1.0 / (1.0 - p)), dtype=x.dtype)  # 0-d: an array, not a NumPy scalar
    return Dropout.apply(x, to_device(scale, x.device))


def _check_probs(p: Tensor, op: str) -> np.ndarray:
    """The probabilities of ``multinomial`` / ``bernoulli`` as a NumPy array, checked to be floating point."""
    if p.dtype.kind != "f":
        raise RuntimeError(f"{op} only supports floating-point dtypes for input, got: {p.dtype} (shape {p.shape})")
    return p.numpy()


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Optional[Generator] = None) -> Tensor:
    """Category indices drawn from the (unnormalised) probabilities in each row of ``input`` (PyTorch's
    ``torch.multinomial``): shape (num_samples,) for 1-D input, (rows, num_samples) for 2-D; int64, a constant.

    With replacement each draw is independent (the inverse of the row's cumulative distribution at a uniform
    number). Without, the draws of a row are distinct: the ``num_samples`` largest p_i / E_i with E_i ~ Exp(1)
    (PyTorch's method), so a category of probability 0 comes only after every positive one.

    Args:
        input: non-negative, finite weights (a row may not sum to 0), 1-D or 2-D, floating point.
        num_samples: draws per row, >= 1 (and at most the number of categories without replacement).
        replacement: whether a category may be drawn more than once.
        generator: a ``tg.Generator`` (the engine's generator by default)."""
    p = as_tensor(input)
    if p.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {p.shape}")
    probs = _check_probs(p, "multinomial")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError(f"multinomial: num_samples must be an int, got {type(num_samples).__name__}")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (got {num_samples})")
    if not replacement and num_samples > p.shape[-1]:
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                           f"({num_samples} > {p.shape[-1]}, input of shape {p.shape})")
    rows = probs.reshape(-1, p.shape[-1]).astype(np.float64)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError(f"multinomial: probability tensor contains either `inf`, `nan` or element < 0 (shape "
                           f"{p.shape})")
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError(f"multinomial: invalid multinomial distribution (sum of probabilities <= 0) (shape "
                           f"{p.shape})")
    rng = generator_or_default(generator, "multinomial")
    if replacement:
        cdf = np.cumsum(rows, axis=1)
        u = rng.random((rows.shape[0], int(num_samples))) * cdf[:, -1:]
        out = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
        out = np.minimum(out, rows.shape[1] - 1)
    else:
        keys = rows / rng.exponential(1.0, rows.shape)
        out = np.argsort(-keys, axis=1, kind="stable")[:, :int(num_samples)]
    out = out.astype(np.int64).reshape(p.shape[:-1] + (int(num_samples),))
    return Tensor(to_device(out, p.device))


def bernoulli(input: Tensor, p: Optional[float] = None, *, generator: Optional[Generator] = None) -> Tensor:
    """0 / 1 draws, 1 with probability ``input`` elementwise (or with probability ``p`` when given), in input's
    dtype; a constant (PyTorch's ``torch.bernoulli``).

    Args:
        input: probabilities in [0, 1] (floating point).
        p: one probability for every element instead of input's values.
        generator: a ``tg.Generator`` (the engine's generator by default)."""
    x = as_tensor(input)
    probs = _check_probs(x, "bernoulli")
    if p is not None:
        probs = np.full(x.shape, float(p))
    if not ((probs >= 0) & (probs <= 1)).all():
        raise RuntimeError(f"bernoulli: expected every probability in [0, 1] (input of shape {x.shape})")
    draws = generator_or_default(generator, "bernoulli").random(x.shape) < probs
    return Tensor(to_device(np.asarray(draws, dtype=x.dtype), x.device))


def randperm(n: int, *, generator: Optional[Generator] = None, dtype: Optional[DTypeLike] = None,
             device: Any = "cpu", requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (PyTorch's ``torch.randperm``; int64 unless ``dtype`` says).

    Args:
        n: how many integers, >= 0.
        generator: a ``tg.Generator`` (the engine's generator by default).
        dtype, device, requires_grad: as for ``tg.zeros`` (requires_grad needs a float dtype)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise RuntimeError(f"randperm: n must be a non-negative integer, got {n!r}")
    perm = generator_or_default(generator, "randperm").permutation(int(n))
    return Tensor(perm.astype(_dtype(dtype) or np.int64), requires_grad=requires_grad, device=device)


def _fill(x: Tensor, op: str, draw: Callable[[tuple], np.ndarray]) -> Tensor:
    """x filled in place with ``draw(x.shape)``, under the in-place rules (refused before anything is drawn)."""
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point tensor, got dtype {x.dtype} (shape {x.shape})")
    if _Mode.grad and x._requires_grad:
        if x._ctx is None:
            raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place operation "
                               f"(shape {x.shape}); fill it inside `with tg.no_grad():`")
        raise _in_graph_error(x, op)
    return _write(x, op, _assign, np.asarray(draw(x.shape), dtype=x.dtype))


def normal_(x: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Optional[Generator] = None) -> Tensor:
    """x filled in place with N(mean, std^2) samples; returns x (PyTorch's ``Tensor.normal_``).

    Args:
        x: a floating-point tensor (not a leaf that requires grad, unless under ``tg.no_grad()``).
        mean, std: the distribution; std >= 0.
        generator: a ``tg.Generator`` (the engine's generator by default)."""
    if std < 0:
        raise RuntimeError(f"normal_: expects std >= 0.0, but found std {std}")
    rng = generator_or_default(generator, "normal_")
    return _fill(x, "normal_", lambda shape: rng.normal(mean, std, shape))


def uniform_(x: Tensor, from_: float = 0.0, to: float = 1.0, *, generator: Optional[Generator] = None) -> Tensor:
    """x filled in place with samples uniform in [from_, to); returns x (PyTorch's ``Tensor.uniform_(from, to)``).

    Args:
        x: a floating-point tensor (not a leaf that requires grad, unless under ``tg.no_grad()``).
        from_, to: the interval, from_ <= to.
        generator: a ``tg.Generator`` (the engine's generator by default)."""
    if from_ > to:
        raise RuntimeError(f"uniform_: expects to return a [from, to) range, but found from={from_} > to={to}")
    rng = generator_or_default(generator, "uniform_")
    return _fill(x, "uniform_", lambda shape: rng.uniform(from_, to, shape))


BINDINGS = [
    bind(dropout, F=True),
    bind(multinomial, method=True, tg=True),
    bind(bernoulli, method=True, tg=True),
    bind(randperm, tg=True),
    bind(normal_, method="normal_"),
    bind(uniform_, method="uniform_"),
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
