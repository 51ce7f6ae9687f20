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
    OpCase("normal_pdf", lambda a: _ew.NormalPdf.apply(a), ((3, 4),)),
    OpCase("gelu_slope", lambda a: _ew.GeluSlope.apply(a), ((3, 4),)),
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


def with_zeros(rng, shape):
    """Normal values with every third element exactly 0: products and cumprods at their hardest point."""
    return np.where(_pattern(shape), 0.0, rng.standard_normal(shape))


def index_pattern(shape, n, axis=-1):
    """A fixed integer index of ``shape`` with values in [0, n) that repeat (so scatters collide)."""
    size = int(np.prod(shape, dtype=np.int64))
    return (np.arange(size).reshape(shape) * 7 + 3) % max(n, 1)


def _pieces(parts):
    """One tensor from a tuple of pieces, each scaled differently so a mixed-up gradient shows."""
    return tg.cat([p.reshape(-1) * (i + 1) for i, p in enumerate(parts)])


MORE = [
    OpCase("sign", lambda a: a.sign() + a, ((3, 4),), sample=nonzero),
    OpCase("round", lambda a: (a * 3).round() + a, ((3, 4),)),
    OpCase("floor", lambda a: tg.floor(a * 3) * a, ((3, 4),)),
    OpCase("ceil", lambda a: a.ceil() + a, ((3, 4),)),
    OpCase("sin", lambda a: a.sin(), ((3, 4),)),
    OpCase("cos", lambda a: tg.cos(a), ((3, 4),)),
    OpCase("log2", lambda a: a.log2(), ((3, 4),), sample=positive),
    OpCase("exp2", lambda a: a.exp2(), ((3, 4),)),
    OpCase("rsqrt", lambda a: a.rsqrt(), ((3, 4),), sample=positive),
    OpCase("copysign", lambda a, b: a.copysign(b), ((3, 4), (4,)), sample=nonzero, draw="broadcast"),
    OpCase("remainder", lambda a, b: a % b, ((3, 4), (4,)), sample=(normal, positive), draw="broadcast"),
    OpCase("maximum", lambda a, b: tg.maximum(a, b), ((3, 4), (3, 1)), draw="broadcast"),
    OpCase("minimum", lambda a, b: a.minimum(b), ((3, 4), (4,)), draw="broadcast"),
    OpCase("prod", lambda a: a.prod(), ((3, 4),)),
    OpCase("prod_axis", lambda a: a.prod(axis=0, keepdims=True), ((3, 4),), min_ndim=1),
    OpCase("cumsum", lambda a: a.cumsum(axis=-1), ((3, 4),), min_ndim=1),
    OpCase("cumprod", lambda a: a.cumprod(axis=0), ((3, 4),), min_ndim=1),
    OpCase("logcumsumexp", lambda a: a.logcumsumexp(axis=-1), ((3, 4),), min_ndim=1),
    OpCase("cummax", lambda a: a.cummax(axis=-1).values, ((3, 4),), sample=distinct, min_ndim=1),
    OpCase("cummin", lambda a: tg.cummin(a, 0)[0], ((3, 4),), sample=distinct, min_ndim=1),
    OpCase("sort", lambda a: a.sort(axis=-1).values, ((3, 4),), sample=distinct, min_ndim=1),
    OpCase("sort_descending", lambda a: tg.sort(a, 0, descending=True)[0], ((3, 4),), sample=distinct, min_ndim=1),
    OpCase("topk", lambda a: a.topk(2, axis=-1).values, ((3, 4),), sample=distinct, draw="fixed"),
    OpCase("gather", lambda a: a.gather(-1, index_pattern(a.shape[:-1] + (2,), a.shape[-1])), ((3, 4),),
           min_ndim=1),
    OpCase("scatter", lambda a, b: a.scatter(0, index_pattern((1,) + a.shape[1:], a.shape[0]), b[:1]),
           ((3, 4), (3, 4)), draw="same", min_ndim=1),
    OpCase("scatter_add", lambda a, b: a.scatter_add(-1, index_pattern(b.shape, a.shape[-1]), b),
           ((3, 4), (3, 4)), draw="same", min_ndim=1),
    OpCase("scatter_reduce_mean", lambda a, b: a.scatter_reduce(-1, index_pattern(b.shape, min(2, a.shape[-1])), b,
           "mean", include_self=False), ((3, 4), (3, 4)), draw="same", min_ndim=1),
    OpCase("scatter_reduce_amax", lambda a, b: a.scatter_reduce(0, index_pattern(b.shape, a.shape[0]), b, "amax"),
           ((3, 4), (3, 4)), sample=distinct, draw="same", min_ndim=1),
    OpCase("scatter_reduce_prod", lambda a, b: a.scatter_reduce(-1, index_pattern(b.shape, a.shape[-1]), b, "prod"),
           ((3, 4), (3, 4)), draw="same", min_ndim=1),
    OpCase("masked_select", lambda a: a.masked_select(_pattern(a.shape[-1:])), ((3, 4),), min_ndim=1),
    OpCase("flip", lambda a: a.flip(axis=-1), ((3, 4),), min_ndim=1),
    OpCase("roll", lambda a: a.roll(1, axis=0), ((3, 4),), min_ndim=1),
    OpCase("roll_flat", lambda a: a.roll(-2), ((3, 4),)),
    OpCase("repeat", lambda a: a.repeat(2, *([1] * a.ndim)), ((3, 4),)),
    OpCase("tile", lambda a: a.tile((2, 1)), ((3, 4),), min_ndim=1),
    OpCase("chunk", lambda a: _pieces(a.chunk(2, axis=-1)), ((3, 4),), min_ndim=1),
    OpCase("split", lambda a: _pieces(tg.split(a, [1, 2], 0)), ((3, 4),), draw="fixed"),
    OpCase("einsum_matmul", lambda a, b: tg.einsum("ij,jk->ik", a, b), ((3, 4), (4, 2)), draw="fixed"),
    OpCase("einsum_batched_ellipsis", lambda a, b: tg.einsum("...ij,...kj->...ik", a, b),
           ((2, 3, 4), (2, 5, 4)), draw="fixed"),
    OpCase("einsum_trace", lambda a: tg.einsum("ii", a), ((3, 3),), draw="fixed"),
    OpCase("einsum_outer_sum", lambda a, b: tg.einsum("i,j->j", a, b) + tg.einsum("ij->", a[:, None] * b),
           ((3,), (4,)), draw="fixed"),
    OpCase("einsum_three", lambda a, b, c: tg.einsum("bi,bj,bk->bijk", a, b, c) .sum(axis=0),
           ((2, 3), (2, 2), (2, 4)), draw="fixed"),
]
CORE += MORE


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
        OpCase("F.conv2d[groups,dilation]", lambda x, w, b: F.conv2d(x, w, b, 1, 1, dilation=2, groups=2),
               ((1, 4, 5, 5), (2, 2, 3, 3), (2,)), draw="fixed"),
        OpCase("F.conv2d[depthwise]", lambda x, w: F.conv2d(x, w, None, 2, 1, groups=3),
               ((1, 3, 5, 5), (3, 1, 3, 3)), draw="fixed"),
        OpCase("F.conv_transpose2d[groups,dilation]",
               lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1, groups=2, dilation=2),
               ((1, 4, 3, 3), (4, 1, 3, 3), (2,)), draw="fixed"),
        OpCase("F.conv1d", lambda x, w, b: F.conv1d(x, w, b, 2, 1, dilation=2), ((2, 2, 7), (3, 2, 3), (3,)),
               draw="fixed"),
        OpCase("F.max_pool2d[padding,dilation,ceil_mode]",
               lambda x: F.max_pool2d(x, 3, 2, padding=1, dilation=2, ceil_mode=True), ((1, 2, 6, 6),),
               sample=distinct, draw="fixed"),
        OpCase("F.avg_pool2d[padding,ceil_mode,count_include_pad]",
               lambda x: F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=False),
               ((1, 2, 6, 6),), draw="fixed"),
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


def _more_functional_cases(F):
    targets = np.array([1, 0, 3])
    weight = np.array([0.5, 2.0, 1.0, 0.3, 1.5])
    soft = np.abs(np.random.default_rng(7).standard_normal((3, 5)))
    return [
        OpCase("F.silu", lambda a: F.silu(a), ((3, 4),)),
        OpCase("F.elu", lambda a: F.elu(a, 0.7), ((3, 4),), sample=nonzero),
        OpCase("F.selu", lambda a: F.selu(a), ((3, 4),), sample=nonzero),
        OpCase("F.celu", lambda a: F.celu(a, 1.3), ((3, 4),), sample=nonzero),
        OpCase("F.hardsigmoid", lambda a: F.hardsigmoid(a * 2), ((3, 4),), sample=clip_inputs),
        OpCase("F.hardswish", lambda a: F.hardswish(a * 2), ((3, 4),), sample=clip_inputs),
        OpCase("F.softsign", lambda a: F.softsign(a), ((3, 4),), sample=nonzero),
        OpCase("F.mish", lambda a: F.mish(a), ((3, 4),)),
        OpCase("F.quick_gelu", lambda a: F.quick_gelu(a), ((3, 4),)),
        OpCase("F.gelu_tanh", lambda a: F.gelu(a, approximate="tanh"), ((3, 4),)),
        OpCase("F.logsigmoid", lambda a: F.logsigmoid(a), ((3, 4),)),
        OpCase("F.pad_constant", lambda x: F.pad(x, (1, 2, -1, 1), value=0.5), ((2, 3, 4),), draw="fixed"),
        OpCase("F.pad_reflect", lambda x: F.pad(x, (2, 1, 1, 0), mode="reflect"), ((2, 3, 4),), draw="fixed"),
        OpCase("F.pad_replicate", lambda x: F.pad(x, (1, 2), mode="replicate"), ((2, 3, 4),), draw="fixed"),
        OpCase("F.pad_circular", lambda x: F.pad(x, (3, 1, 1, 2), mode="circular"), ((1, 3, 4),), draw="fixed"),
        OpCase("F.interpolate_nearest", lambda x: F.interpolate(x, scale_factor=2), ((1, 2, 3, 2),),
               draw="fixed"),
        OpCase("F.interpolate_bilinear", lambda x: F.interpolate(x, size=(5, 3), mode="bilinear"),
               ((1, 2, 3, 4),), draw="fixed"),
        OpCase("F.interpolate_bilinear_aligned", lambda x: F.interpolate(x, size=(4, 7), mode="bilinear",
               align_corners=True), ((2, 1, 3, 4),), draw="fixed"),
        OpCase("F.interpolate_linear", lambda x: F.interpolate(x, scale_factor=1.5, mode="linear"),
               ((2, 2, 4),), draw="fixed"),
        OpCase("F.binary_cross_entropy", lambda p, t: F.binary_cross_entropy(p.sigmoid(), t.sigmoid()),
               ((3, 4), (3, 4)), draw="same"),
        OpCase("F.nll_loss_weighted", lambda x: F.nll_loss(x.log_softmax(axis=1), tg.tensor(targets),
               weight=weight), ((3, 5),), draw="fixed"),
        OpCase("F.cross_entropy_weighted_smoothed", lambda x: F.cross_entropy(x, tg.tensor(targets), weight=weight,
               label_smoothing=0.1), ((3, 5),), draw="fixed"),
        OpCase("F.cross_entropy_soft_smoothed", lambda x: F.cross_entropy(x, soft / soft.sum(1, keepdims=True),
               label_smoothing=0.2), ((3, 5),), draw="fixed"),
    ]


def functional_cases():
    """The F cases whose function exists in ``tinygrad_gen.nn.functional`` (it grows as the functions land)."""
    try:
        import tinygrad_gen.nn.functional as F
    except ImportError:
        return []
    return ([c for c in _functional_cases(F) if hasattr(F, c.name[2:].split("[")[0])]  # "F.op[variant]" -> op
            + _more_functional_cases(F))


def all_cases():
    return CORE + functional_cases()
