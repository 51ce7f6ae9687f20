"""The CPU flash-attention kernels (kernels/cpu/attention.py), applied as the Numba path of FlashAttention, against
the reference composition of ops: values and gradients of q, k, v in float32 and float64, causal and padding masks
together, Lq != Lk, queries that keep no key (zeros, zero gradients), drawn shapes; and when dispatch sends CPU
attention to them."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

pytest.importorskip("numba")

import tinygrad_gen as tg  # noqa: E402 (numba first: without it these tests are skipped)
from tinygrad_gen import dispatch  # noqa: E402
from tinygrad_gen.nn import functional as F  # noqa: E402
from tinygrad_gen.ops.attention import FlashAttention, key_padding_mask  # noqa: E402

TOL = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=2e-4, atol=2e-5)}


def flash(q, k, v, mask, causal):
    """Attention by the Numba path of FlashAttention (what attention() runs once it applies pick(FlashAttention))."""
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    scale = 1.0 / math.sqrt(q.shape[-1])
    with dispatch.kernels("FlashAttention=numba"):
        op = dispatch.pick(FlashAttention)
    assert op is not FlashAttention and op.__module__.endswith("numba_attention")
    return op.apply(q, k, v, key_padding_mask(mask, batch, q.shape[-2], k.shape[-2]), causal, scale)


def compare(shapes, dtype, mask, causal, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    g = rng.standard_normal(shapes[0][:-1] + (shapes[2][-1],)).astype(dtype)
    results = []
    for fn in (lambda q, k, v: F.attention(q, k, v, mask=mask, causal=causal), lambda q, k, v: flash(q, k, v, mask,
                                                                                                      causal)):
        with dispatch.kernels("reference"):
            ts = [tg.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
            out = fn(*ts)
            out.backward(tg.tensor(g, dtype=dtype))
        results.append([out.numpy()] + [t.grad.numpy() for t in ts])
    for got, want in zip(results[1], results[0]):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, **TOL[dtype])
    return results[1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("causal, padded", [(True, False), (False, True), (True, True), (False, False)])
def test_flash_attention_matches_the_reference(causal, padded, dtype):
    b, h, n, d = 2, 3, 97, 16  # 97: partial tiles of queries and keys
    mask = np.random.default_rng(1).random((b, 1, 1, n)) < 0.7 if padded else None
    compare([(b, h, n, d)] * 3, dtype, mask, causal)


def test_queries_that_keep_no_key_give_zeros_and_zero_gradients():
    b, h, n, d = 2, 2, 40, 8
    mask = np.ones((b, 1, 1, n), bool)
    mask[1] = False  # the second sequence keeps nothing
    out, dq, dk, dv = compare([(b, h, n, d)] * 3, np.float64, mask, True)
    assert not out[1].any() and not dq[1].any() and not dk[1].any() and not dv[1].any()
    assert np.isfinite(out).all() and out[0].any()


def test_more_queries_than_keys_and_broadcast_heads():
    compare([(2, 2, 70, 8), (1, 2, 33, 8), (2, 1, 33, 8)], np.float64, None, True)


@given(st.integers(1, 3), st.integers(1, 80), st.integers(1, 80), st.sampled_from([1, 5, 16]), st.booleans(),
       st.booleans())
def test_flash_attention_on_drawn_shapes(heads, lq, lk, d, causal, padded):
    mask = np.random.default_rng(lk).random((1, 1, lk)) < 0.8 if padded else None
    compare([(heads, lq, d), (heads, lk, d), (heads, lk, d)], np.float64, mask, causal, seed=lq)


def test_dispatch_sends_cpu_attention_to_the_kernels_only_where_they_apply():
    q = np.zeros((2, 5, 8), np.float32)
    with dispatch.kernels("FlashAttention=numba"):
        assert dispatch.cpu_flash_attention(q)
        assert dispatch.cpu_flash_attention(q, np.ones((2, 1, 5), bool))           # one value per key
        assert not dispatch.cpu_flash_attention(q, np.ones((5, 5), bool))          # varies by query
        assert not dispatch.cpu_flash_attention(q, np.zeros((2, 1, 5), np.float32))  # an additive bias
        assert not dispatch.cpu_flash_attention(q.astype(np.float16))
    with dispatch.kernels("FlashAttention=reference"):
        assert not dispatch.cpu_flash_attention(q)
    assert dispatch.attention_backend(q, backend="numba") == "reference"  # the CUDA kernels never take CPU arrays


@pytest.mark.parametrize("padded", [False, True])
def test_long_causal_sequences_take_whole_tiles_and_still_match(padded):
    n = 300  # key tiles of 128 below the diagonal: the kernels' branch-free path for tiles with no masked key
    mask = np.arange(n)[None, None, None, :] < 290 if padded else None
    compare([(1, 2, n, 8)] * 3, np.float64, mask, True)


@pytest.mark.parametrize("causal", [False, True])
def test_a_double_backward_through_the_cpu_flash_path_matches_the_reference(causal):
    """The kernel's backward is not differentiable; with create_graph=True the path differentiates the composition
    of ops instead, so second derivatives (a gradient penalty) agree with the reference's."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((2, 5, 4)) for _ in range(3)]
    mask = np.array([[True] * 5, [True, True, True, False, False]])[:, None, :]
    second = []
    for fn in (lambda q, k, v: F.attention(q, k, v, mask=mask, causal=causal),
               lambda q, k, v: flash(q, k, v, mask, causal)):
        ts = [tg.tensor(a, requires_grad=True) for a in arrays]
        out = fn(*ts)
        first = tg.grad((out * out).sum(), ts, create_graph=True)
        penalty = sum((d * d).sum() for d in first)
        second.append([x.numpy() for x in tg.grad(penalty, ts)])
    for got, want in zip(second[1], second[0]):
        np.testing.assert_allclose(got, want, **TOL[np.float64])
