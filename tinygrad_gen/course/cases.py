"""The kit's own op rows, for tasks that the engine's op table (``tinygrad_gen.op_cases``) does not reach: the GAN
costs, the R1 penalty, the VAE's ELBO, multi-head attention and a masked softmax with a row that keeps nothing.

Every row looks its target up through the module at call time (``_mod``), so the grader's swap of the engine's
object for the student's is what runs.
"""
import importlib

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen.op_cases import OpCase, all_cases, normal, pattern


def _mod(name: str):
    return importlib.import_module(name)


def _unit(rng, shape):
    """Pixel intensities in (0.05, 0.95)."""
    return rng.uniform(0.05, 0.95, shape)


def _masked_softmax_empty_rows(x):
    keep = pattern(x.shape, 2)
    keep[1] = False  # row 1 keeps nothing: its softmax is 0, never NaN
    return tg.nn.functional.masked_softmax(x, keep)


def _like(module, x):
    """``module`` in x's float dtype."""
    return module.double() if x.dtype == tg.float64 else module.float()


def _elbo(x):
    tg.manual_seed(0)
    model = _like(_mod("tinygrad_gen.models.vae").VAE(4, 16), x)
    return model(x)[0]


def _r1(x, w1, w2):
    return _mod("tinygrad_gen.models.gan_losses").r1_penalty(lambda t: (t @ w1).tanh() @ w2, x)


def _mha(causal):
    def run(x):
        tg.manual_seed(0)
        attention = _like(_mod("tinygrad_gen.nn.attention").MultiHeadAttention(8, 2), x)
        return attention(x, causal=causal)
    return run


COURSE_CASES = [
    OpCase("masked_softmax[empty_rows]", _masked_softmax_empty_rows, ((3, 5),), draw="fixed"),
    OpCase("vae_elbo", _elbo, ((3, 64),), sample=_unit, draw="fixed"),
    OpCase("gan_minimax", lambda logits: _mod("tinygrad_gen.models.gan_losses").generator_loss_minimax(logits),
           ((8, 1),), min_ndim=1),
    OpCase("gan_ns", lambda logits: _mod("tinygrad_gen.models.gan_losses").generator_loss_ns(logits), ((8, 1),),
           min_ndim=1),
    OpCase("gan_r1", _r1, ((4, 2), (2, 5), (5, 1)), sample=normal, draw="fixed"),
    OpCase("mha_self", _mha(False), ((2, 4, 8),), draw="fixed"),
    OpCase("mha_causal", _mha(True), ((2, 5, 8),), draw="fixed"),
]


def case_named(name: str) -> OpCase:
    """The row called ``name``: the kit's own, or the engine's op table's."""
    for case in COURSE_CASES:
        if case.name == name:
            return case
    for case in all_cases():
        if case.name == name:
            return case
    raise KeyError(f"exercise: no op row named {name!r}")


def sample_shapes(case: OpCase, seed: int, n: int) -> list:
    """Up to ``n`` input-shape tuples for ``case``: its own shapes first, then shapes hypothesis draws from
    ``seed`` (broadcasting included where the row allows it); a row with fixed shapes keeps its own."""
    found = [tuple(case.shapes)]
    if case.draw == "fixed" or n <= 1:
        return found
    from hypothesis import HealthCheck, Phase, given, seed as hypothesis_seed, settings, strategies as st
    from hypothesis.extra import numpy as hnp
    count = len(case.shapes)
    if case.draw == "broadcast":
        strategy = hnp.mutually_broadcastable_shapes(num_shapes=count, min_dims=0, max_dims=3, max_side=3).map(
            lambda drawn: tuple(drawn.input_shapes))
    else:
        one = hnp.array_shapes(min_dims=max(case.min_ndim, 1), max_dims=3, min_side=1, max_side=3)
        if case.draw == "any" and case.min_ndim == 0:
            one = st.one_of(st.just(()), one)
        strategy = one.map(lambda shape: (shape,) * count)

    @hypothesis_seed(seed)
    @settings(max_examples=4 * n, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(shapes):
        if shapes not in found:
            found.append(shapes)

    collect()
    return found[:n]


def as_float_inputs(case: OpCase, shapes, seed: int, dtype) -> list:
    """The row's input Tensors at ``shapes`` (float ``dtype``, requiring grad), values drawn from ``seed``."""
    return case.inputs(np.random.default_rng(seed), shapes, dtype=dtype)
