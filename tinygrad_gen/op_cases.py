"""One table of the built-in differentiable ops, each with a way to make random float64 inputs.

``tgg gradcheck`` walks this table, and the tests draw shapes for the same cases with hypothesis, so an op added here
is checked everywhere. A case is::

    OpCase(name, fn, shapes, sample=normal, draw="any", min_ndim=0)

``fn(*tensors)`` returns one Tensor; ``shapes`` are the input shapes the command line uses; ``sample(rng, shape)``
makes one input's values (kept away from kinks and off the domain's edge, where finite differences lie);
``draw`` says which other shapes the op accepts: ``"any"`` (one input of any shape with at least ``min_ndim`` axes),
``"broadcast"`` (inputs of mutually broadcastable shapes), ``"same"`` (inputs of one shared shape) or ``"fixed"``
(only ``shapes``). Cases of ``tinygrad_gen.nn.functional`` are listed when the function exists there.
"""
from dataclasses import dataclass
from typing import Callable, Tuple

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen.ops import elementwise as _ew


def normal(rng, shape):
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


@dataclass(frozen=True)
class OpCase:
    name: str
    fn: Callable
    shapes: Tuple[tuple, ...]
    sample: Callable = normal
    draw: str = "any"
    min_ndim: int = 0

    def inputs(self, rng, shapes=None):
        """Fresh float64 leaf Tensors that require grad, one per input shape."""
        samplers = self.sample if isinstance(self.sample, tuple) else (self.sample,) * len(self.shapes)
        return [tg.tensor(s(rng, shape), dtype=np.float64, requires_grad=True)
                for s, shape in zip(samplers, shapes or self.shapes)]


def _pattern(shape, period=3):
    """A fixed boolean pattern of ``shape`` (True at every ``period``-th element): masks that do not depend on
    the values, so finite differences never flip them."""
    return np.asarray(np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape) % period == 0)


def _matmul(a, b):
    return a @ b


CORE = [
    OpCase("add", lambda a, b: a + b, ((3, 4), (4,)), draw="broadcast"),
    OpCase("sub", lambda a, b: a - b, ((3, 1), (1, 4)), draw="broadcast"),
    OpCase("mul", lambda a, b: a * b, ((2, 3, 4), (3, 1)), draw="broadcast"),
    OpCase("div", lambda a, b: a / b, ((3, 4), (4,)), sample=(normal, positive), draw="broadcast"),
    OpCase("neg", lambda a: -a, ((3, 4),)),
    OpCase("add_scalar", lambda a: 2.5 + a - 1, ((3, 4),)),
    OpCase("mul_scalar", lambda a: 3 * a * 0.5, ((3, 4),)),
    OpCase("rdiv_scalar", lambda a: 2.0 / a, ((3, 4),), sample=positive),
    OpCase("pow_scalar", lambda a: a ** 3, ((3, 4),)),
    OpCase("pow_fractional", lambda a: a ** 1.5, ((3, 4),), sample=positive),
    OpCase("pow", lambda a, b: a ** b, ((3, 4), (3, 4)), sample=(positive, normal), draw="broadcast"),
    OpCase("rpow_scalar", lambda a: 2.0 ** a, ((3, 4),)),
    OpCase("exp", lambda a: a.exp(), ((3, 4),)),
    OpCase("log", lambda a: a.log(), ((3, 4),), sample=positive),
    OpCase("sqrt", lambda a: a.sqrt(), ((3, 4),), sample=positive),
    OpCase("tanh", lambda a: a.tanh(), ((3, 4),)),
    OpCase("sigmoid", lambda a: a.sigmoid(), ((3, 4),)),
    OpCase("relu", lambda a: a.relu(), ((3, 4),), sample=nonzero),
    OpCase("abs", lambda a: a.abs(), ((3, 4),), sample=nonzero),
    OpCase("clip", lambda a: a.clip(-0.5, 0.5), ((3, 4),), sample=clip_inputs),
    OpCase("erf", lambda a: a.erf(), ((3, 4),)),
    OpCase("normal_cdf", lambda a: _ew.NormalCdf.apply(a), ((3, 4),)),
    OpCase("masked_fill", lambda a: a.masked_fill(_pattern(a.shape), -1.0), ((3, 4),)),
    OpCase("where", lambda a, b: tg.where(_pattern(np.broadcast_shapes(a.shape, b.shape)), a, b),
           ((3, 4), (4,)), draw="broadcast"),
    OpCase("sum", lambda a: a.sum(), ((3, 4),)),
    OpCase("sum_axis", lambda a: a.sum(axis=-1, keepdims=True), ((3, 4),), min_ndim=1),
    OpCase("mean", lambda a: a.mean(axis=0), ((3, 4),), min_ndim=1),
    OpCase("max", lambda a: a.max(axis=-1), ((3, 4),), sample=distinct, min_ndim=1),
    OpCase("min", lambda a: a.min(), ((3, 4),), sample=distinct),
    OpCase("var", lambda a: a.var(), ((3, 4),)),
    OpCase("var_ddof1", lambda a: a.var(axis=0, ddof=1), ((3, 4),), draw="fixed"),
    OpCase("std", lambda a: a.std(axis=-1, keepdims=True), ((3, 4),), draw="fixed"),
    OpCase("logsumexp", lambda a: a.logsumexp(axis=-1), ((3, 4),), min_ndim=1),
    OpCase("softmax", lambda a: a.softmax(axis=-1), ((3, 4),), min_ndim=1),
    OpCase("log_softmax", lambda a: a.log_softmax(axis=0), ((3, 4),), min_ndim=1),
    OpCase("matmul", _matmul, ((3, 4), (4, 5)), draw="fixed"),
    OpCase("matmul_batched", _matmul, ((2, 1, 3, 4), (5, 4, 2)), draw="fixed"),
    OpCase("matmul_vector", _matmul, ((4,), (2, 4, 3)), draw="fixed"),
    OpCase("matmul_dot", _matmul, ((4,), (4,)), draw="fixed"),
    OpCase("reshape", lambda a: a.reshape(-1), ((3, 4),)),
    OpCase("transpose", lambda a: a.transpose(), ((2, 3, 4),)),
    OpCase("T", lambda a: a.T * 1.0, ((3, 4),)),
    OpCase("swapaxes", lambda a: a.swapaxes(0, -1), ((2, 3, 4),), min_ndim=1),
    OpCase("squeeze", lambda a: a.squeeze(), ((3, 1, 4),)),
    OpCase("unsqueeze", lambda a: a.unsqueeze(0), ((3, 4),)),
    OpCase("flatten", lambda a: a.flatten(), ((2, 3, 4),)),
    OpCase("expand", lambda a: a.expand(2, *a.shape), ((3, 1),)),
    OpCase("getitem_basic", lambda a: a[..., ::2], ((3, 4),), min_ndim=1),
    OpCase("getitem_int_array", lambda a: a[[0, -1, 0]], ((3, 4),), min_ndim=1),
    OpCase("getitem_tensor", lambda a: a[tg.tensor([0, 0, -1])], ((3, 4),), min_ndim=1),
    OpCase("getitem_bool", lambda a: a[_pattern(a.shape)], ((3, 4),)),
    OpCase("getitem_mixed", lambda a: a[None, 1:, np.array([2, 2, 0])], ((3, 4),), draw="fixed"),
    OpCase("cat", lambda a, b: tg.cat([a, b], axis=0), ((2, 4), (3, 4)), draw="fixed"),
    OpCase("cat_same", lambda a, b: tg.cat([a, b], axis=-1), ((3, 4), (3, 4)), draw="same", min_ndim=1),
    OpCase("stack", lambda a, b: tg.stack([a, b], axis=0), ((3, 4), (3, 4)), draw="same"),
]


def _seeded(fn):
    """Reseed before each call, so a random op draws the same mask on every finite-difference evaluation."""
    def call(*xs):
        tg.manual_seed(0)
        return fn(*xs)
    return call


def _functional_cases(F):
    """Cases for ``tinygrad_gen.nn.functional`` (constant non-float arguments live inside ``fn``)."""
    targets = np.array([1, 0, 3])
    mask = np.array([[True, False, True, True], [False, False, False, False], [True, True, True, False]])
    return [
        OpCase("F.relu", lambda a: F.relu(a), ((3, 4),), sample=nonzero),
        OpCase("F.leaky_relu", lambda a: F.leaky_relu(a, 0.1), ((3, 4),), sample=nonzero),
        OpCase("F.gelu", lambda a: F.gelu(a), ((3, 4),)),
        OpCase("F.sigmoid", lambda a: F.sigmoid(a), ((3, 4),)),
        OpCase("F.tanh", lambda a: F.tanh(a), ((3, 4),)),
        OpCase("F.softplus", lambda a: F.softplus(a), ((3, 4),)),
        OpCase("F.softmax", lambda a: F.softmax(a, axis=-1), ((3, 4),), min_ndim=1),
        OpCase("F.log_softmax", lambda a: F.log_softmax(a, axis=-1), ((3, 4),), min_ndim=1),
        OpCase("F.masked_softmax", lambda a: F.masked_softmax(a, mask, axis=-1), ((3, 4),), draw="fixed"),
        OpCase("F.linear", lambda x, w, b: F.linear(x, w, b), ((2, 3), (4, 3), (4,)), draw="fixed"),
        OpCase("F.conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
               ((2, 2, 5, 5), (3, 2, 3, 3), (3,)), draw="fixed"),
        OpCase("F.conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
               ((1, 2, 3, 3), (2, 3, 3, 3), (3,)), draw="fixed"),
        OpCase("F.max_pool2d", lambda x: F.max_pool2d(x, 2), ((1, 2, 4, 4),), sample=distinct, draw="fixed"),
        OpCase("F.avg_pool2d", lambda x: F.avg_pool2d(x, 2), ((1, 2, 4, 4),), draw="fixed"),
        OpCase("F.layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b), ((3, 4), (4,), (4,)), draw="fixed"),
        OpCase("F.batch_norm", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
               ((5, 3), (3,), (3,)), draw="fixed"),
        OpCase("F.dropout", _seeded(lambda x: F.dropout(x, 0.5, training=True)), ((3, 4),), draw="fixed"),
        OpCase("F.embedding", lambda w: F.embedding(tg.tensor([[0, 2], [2, 4]]), w), ((5, 3),), draw="fixed"),
        OpCase("F.scaled_dot_product_attention", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, causal=True),
               ((2, 3, 4), (2, 3, 4), (2, 3, 4)), draw="fixed"),
        OpCase("F.mse_loss", lambda a, b: F.mse_loss(a, b), ((3, 4), (3, 4)), draw="same"),
        OpCase("F.cross_entropy", lambda logits: F.cross_entropy(logits, tg.tensor(targets)), ((3, 5),),
               draw="fixed"),
        OpCase("F.binary_cross_entropy_with_logits",
               lambda a: F.binary_cross_entropy_with_logits(a, tg.tensor(_pattern(a.shape) * 1.0, dtype=a.dtype)),
               ((3, 4),)),
        OpCase("F.reparameterize", lambda mu, logvar: F.reparameterize(mu, logvar, eps=tg.ones(*mu.shape,
               dtype=mu.dtype) * 0.7), ((3, 4), (3, 4)), draw="same"),
        OpCase("F.gaussian_kl", lambda mu, logvar: F.gaussian_kl(mu, logvar), ((3, 4), (3, 4)), draw="same",
               min_ndim=1),
    ]


def functional_cases():
    """The F cases whose function exists in ``tinygrad_gen.nn.functional`` (it grows as the functions land)."""
    try:
        import tinygrad_gen.nn.functional as F
    except ImportError:
        return []
    return [c for c in _functional_cases(F) if hasattr(F, c.name[2:])]


def all_cases():
    return CORE + functional_cases()
