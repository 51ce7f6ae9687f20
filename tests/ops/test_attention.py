"""Attention: F.scaled_dot_product_attention, F.attention, the reference composition and the FlashAttention op on
the Numba kernels (ops/attention.py)."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from family_checks import FamilyChecks
from hypothesis import given, settings, strategies as st

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import dispatch
from tinygrad_gen.ops import attention
from tinygrad_gen.ops.attention import key_padding_mask

ROOT = Path(__file__).resolve().parents[2]
TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}


class TestAttentionRows(FamilyChecks):
    family = attention


@st.composite
def attention_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    lq, lk, d, dv = (draw(st.integers(1, 4)) for _ in range(4))
    mask = draw(st.sampled_from([None, "bool", "float"]))
    if mask == "bool":
        mask = rng.random((lq, lk)) < 0.7
        mask[:, 0] = True
    elif mask == "float":
        mask = rng.standard_normal((lq, lk))
    return (rng.standard_normal(batch + (lq, d)), rng.standard_normal(batch + (lk, d)),
            rng.standard_normal(batch + (lk, dv)), mask, draw(st.booleans()), draw(st.sampled_from([None, 0.3])))


def leaves(*arrays, dtype=np.float64):
    return [tg.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]


@settings(max_examples=15, deadline=None)
@given(case=attention_cases())
def test_attention_with_any_mask_causal_and_scale_passes_gradcheck(case):
    q, k, v, mask, causal, scale = case
    assert tg.gradcheck(lambda q, k, v: F.attention(q, k, v, mask, causal, scale), leaves(q, k, v))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=6, deadline=None)
@given(case=attention_cases())
def test_attention_matches_torch(case, dtype):
    q, k, v, mask, causal, scale = case
    if causal and mask is not None:  # PyTorch takes one or the other: combine them by hand for it
        mask = (np.tril(np.ones((q.shape[-2], k.shape[-2]), bool)) & mask) if mask.dtype == bool else None
        causal = False if mask is not None else causal
    ours = leaves(q, k, v, dtype=dtype)
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in (q, k, v)]
    tmask = None if mask is None else torch.tensor(mask if mask.dtype == bool else mask.astype(dtype))
    y = F.attention(*ours, mask, causal, scale)
    yt = torch.nn.functional.scaled_dot_product_attention(*theirs, tmask, is_causal=causal, scale=scale)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), **TOL[dtype])
    g = np.random.default_rng(0).standard_normal(y.shape).astype(dtype)
    y.backward(tg.tensor(g, dtype=dtype))
    yt.backward(torch.from_numpy(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **TOL[dtype])


def test_a_query_that_sees_nothing_gives_zeros_and_finite_gradients():
    q, k, v = (tg.randn(2, 3, 4, dtype=np.float64, requires_grad=True) for _ in range(3))
    mask = np.array([[True, True, False], [False, False, False], [True, False, True]])
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    (out * out).sum().backward()
    assert np.array_equal(out.numpy()[:, 1], np.zeros((2, 4)))
    for t in (q, k, v):
        assert np.isfinite(t.grad.numpy()).all()
    assert not q.grad.numpy()[:, 1].any()


def test_causal_attention_does_not_look_ahead():
    q, k, v = (tg.randn(1, 5, 4, dtype=np.float64) for _ in range(3))
    v2 = v.numpy().copy()
    v2[0, 3:] += 100  # changing future values must not change earlier outputs
    a = F.scaled_dot_product_attention(q, k, v, is_causal=True).numpy()
    b = F.scaled_dot_product_attention(q, k, tg.tensor(v2, dtype=np.float64), is_causal=True).numpy()
    np.testing.assert_allclose(a[0, :3], b[0, :3], rtol=1e-6)
    assert not np.allclose(a[0, 3:], b[0, 3:])


def test_attention_takes_mask_and_causal_together_as_their_intersection():
    q, k, v = (tg.randn(2, 4, 3, dtype=np.float64) for _ in range(3))
    pad = np.array([True, True, False, True])
    both = np.tril(np.ones((4, 4), bool)) & pad
    np.testing.assert_allclose(F.attention(q, k, v, mask=pad, causal=True).numpy(),
                               F.scaled_dot_product_attention(q, k, v, attn_mask=both).numpy(), rtol=1e-12)


def test_attention_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention.*\(2, 3, 4\).*\(2, 5, 3\)"):
        F.scaled_dot_product_attention(tg.randn(2, 3, 4), tg.randn(2, 5, 3), tg.randn(2, 5, 3))


def test_attention_mask_that_does_not_broadcast_is_an_error():
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: mask of shape \(2, 2\)"):
        F.scaled_dot_product_attention(tg.randn(3, 4), tg.randn(5, 4), tg.randn(5, 4), attn_mask=np.ones((2, 2), bool))


def test_sdpa_refuses_attn_mask_with_is_causal_as_pytorch_documents_and_attention_intersects_them():
    rng = np.random.default_rng(2)
    q, k, v = rng.standard_normal((1, 2, 3, 4)), rng.standard_normal((1, 2, 5, 4)), rng.standard_normal((1, 2, 5, 4))
    keep = rng.random((3, 5)) < 0.6
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention: give attn_mask or is_causal"):
        F.scaled_dot_product_attention(*leaves(q, k, v), attn_mask=keep, is_causal=True)
    got = F.attention(*leaves(q, k, v), keep, causal=True).numpy()
    want = torch.nn.functional.scaled_dot_product_attention(*(torch.from_numpy(a) for a in (q, k, v)),
                                                            attn_mask=torch.from_numpy(keep & np.tri(3, 5, dtype=bool)))
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-9, atol=1e-12)


def test_sdpa_has_pytorchs_signature_and_refuses_the_old_keywords():
    import inspect
    ours = list(inspect.signature(F.scaled_dot_product_attention).parameters)
    theirs = ["query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa"]
    assert ours == theirs
    q = tg.randn(1, 3, 4)
    for old in ({"mask": np.ones((3, 3), bool)}, {"causal": True}):
        with pytest.raises(TypeError, match=next(iter(old))):
            F.scaled_dot_product_attention(q, q, q, **old)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mask_kind", ["bool", "float"])
def test_sdpa_masks_mean_what_torchs_do_including_fully_masked_rows(mask_kind, dtype):
    """bool: True = may attend; float: added to the scores. A row that may attend nowhere: 0 in PyTorch 2.13."""
    rng = np.random.default_rng(3)
    q, k, v = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 2))
    keep = rng.random((4, 5)) < 0.6
    keep[1] = False  # query 1 sees nothing
    keep[2] = True
    mask = keep if mask_kind == "bool" else np.where(keep, rng.standard_normal((4, 5)), -np.inf).astype(dtype)
    ours = leaves(q, k, v, dtype=dtype)
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in (q, k, v)]
    y = F.scaled_dot_product_attention(*ours, attn_mask=mask)
    yt = torch.nn.functional.scaled_dot_product_attention(*theirs, attn_mask=torch.from_numpy(mask))
    assert not np.isnan(yt.detach().numpy()).any()
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), **TOL[dtype])
    assert not y.numpy()[:, 1].any()
    g = np.random.default_rng(0).standard_normal(y.shape).astype(dtype)
    y.backward(tg.tensor(g, dtype=dtype))
    yt.backward(torch.from_numpy(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("lq,lk", [(5, 3), (3, 5), (4, 4)])
def test_is_causal_is_top_left_aligned_like_torch_when_lq_and_lk_differ(lq, lk):
    rng = np.random.default_rng(lq * 10 + lk)
    q, k, v = rng.standard_normal((2, lq, 4)), rng.standard_normal((2, lk, 4)), rng.standard_normal((2, lk, 3))
    matches = F.scaled_dot_product_attention(*leaves(q, k, v), is_causal=True).numpy()
    want = torch.nn.functional.scaled_dot_product_attention(*(torch.from_numpy(a) for a in (q, k, v)), is_causal=True)
    np.testing.assert_allclose(matches, want.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("hq,hk,hv", [(4, 2, 2), (6, 3, 1), (2, 2, 2)])
def test_enable_gqa_repeats_key_and_value_heads_like_torch(hq, hk, hv):
    rng = np.random.default_rng(hq + hk + hv)
    q, k, v = rng.standard_normal((2, hq, 3, 4)), rng.standard_normal((2, hk, 5, 4)), rng.standard_normal((2, hv, 5, 2))
    ours = leaves(q, k, v)
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    y = F.scaled_dot_product_attention(*ours, enable_gqa=True)
    yt = torch.nn.functional.scaled_dot_product_attention(*theirs, enable_gqa=True)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-9, atol=1e-12)
    y.sum().backward()
    yt.sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_enable_gqa_with_heads_that_do_not_divide_is_an_error_naming_the_shapes():
    with pytest.raises(ValueError, match=r"enable_gqa.*\(1, 3, 2, 4\).*\(1, 2, 2, 4\)"):
        F.scaled_dot_product_attention(tg.randn(1, 3, 2, 4), tg.randn(1, 2, 2, 4), tg.randn(1, 2, 2, 4),
                                       enable_gqa=True)
    with pytest.raises(ValueError, match="scaled_dot_product_attention"):  # without enable_gqa: heads must broadcast
        F.scaled_dot_product_attention(tg.randn(1, 4, 2, 4), tg.randn(1, 2, 2, 4), tg.randn(1, 2, 2, 4))


def test_dropout_p_zero_is_exact_and_dropout_p_drops_weights_at_that_rate():
    rng = np.random.default_rng(4)
    q, k, v = rng.standard_normal((2, 2, 6, 4)), rng.standard_normal((2, 2, 7, 4)), rng.standard_normal((2, 2, 7, 3))
    tq, tk, tv = leaves(q, k, v)
    np.testing.assert_array_equal(F.scaled_dot_product_attention(tq, tk, tv, dropout_p=0.0).numpy(),
                                  F.scaled_dot_product_attention(tq, tk, tv).numpy())
    assert not F.scaled_dot_product_attention(tq, tk, tv, dropout_p=1.0).numpy().any()
    # v = identity rows: the output is then the dropped, rescaled weights themselves
    n, p = 200, 0.3
    eye = tg.tensor(np.broadcast_to(np.eye(n), (2, n, n)), dtype=tg.float64)
    zeros = tg.zeros(2, n, 4, dtype=tg.float64)  # equal scores: every weight is 1 / n before dropout
    tg.manual_seed(0)
    w = F.scaled_dot_product_attention(zeros, zeros, eye, dropout_p=p).numpy()
    kept = w != 0
    assert abs(kept.mean() - (1 - p)) < 0.01  # 80000 weights: the standard error is 0.0016
    np.testing.assert_allclose(w[kept], 1 / (n * (1 - p)), rtol=1e-12)
    tg.manual_seed(0)
    np.testing.assert_array_equal(F.scaled_dot_product_attention(zeros, zeros, eye, dropout_p=p).numpy(), w)
    tq.grad = None
    out = F.scaled_dot_product_attention(tq, tk, tv, dropout_p=0.5)
    out.sum().backward()
    assert np.isfinite(tq.grad.numpy()).all()


# ----- the kernel choice (dispatch.attention_backend) and the FlashAttention op -----
def test_attention_asks_dispatch_and_uses_the_flash_kernel_when_chosen(monkeypatch):
    calls = []
    monkeypatch.setattr(dispatch, "attention_backend", lambda array, backend=None, mask=None: "numba")
    monkeypatch.setattr(attention, "flash_attention", lambda *args: calls.append(args) or "from the kernel")
    q, k, v = tg.randn(1, 3, 4), tg.randn(1, 5, 4), tg.randn(1, 5, 4)
    assert F.scaled_dot_product_attention(q, k, v, is_causal=True) == "from the kernel"
    assert all(a is b for a, b in zip(calls[0][:3], (q, k, v)))
    assert calls[0][4] is True and np.isclose(calls[0][5], 0.5)  # causal, and the default scale 1 / sqrt(4)


def test_numba_chosen_for_cpu_arrays_runs_the_reference(monkeypatch):
    monkeypatch.setenv("TGG_ATTENTION", "numba")
    q = tg.randn(1, 3, 4)
    assert dispatch.attention_backend(q._data) == "reference"
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, q, q).numpy(),
                               attention.reference_attention(q, q, q, None, None, 0.5).numpy(), rtol=1e-6)


def test_key_padding_mask_drops_the_query_axis_and_flattens_the_batch():
    mask = np.array([[True, False, True], [False, True, True]])[:, None, None, :]  # (B, 1, 1, Lk)
    got = key_padding_mask(mask, (2, 4), 5, 3)
    assert got.shape == (8, 3)
    np.testing.assert_array_equal(got, np.repeat(mask[:, 0, 0, :], 4, axis=0))
    assert key_padding_mask(np.array([True, False, True]), (2, 4), 5, 3).shape == (1, 3)
    assert key_padding_mask(None, (2,), 5, 3) is None


def test_key_padding_mask_refuses_a_mask_that_varies_by_query():
    with pytest.raises(ValueError, match=r"flash_attention: mask of shape \(5, 5\).*query axis"):
        key_padding_mask(np.tril(np.ones((5, 5), bool)), (1,), 5, 5)


_SIMULATED = textwrap.dedent("""
    import numpy as np
    import tinygrad_gen as tg
    from tinygrad_gen.ops.attention import attention, flash_attention

    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((2, 1, 3, 4)), rng.standard_normal((1, 1, 5, 4)), rng.standard_normal((1, 1, 5, 4))
    g = rng.standard_normal((2, 1, 3, 4))
    mask = np.array([True, False, True, True, False, True, True, False, True, True]).reshape(2, 1, 1, 5)
    got = [tg.tensor(a, dtype=np.float32, requires_grad=True) for a in (q, k, v)]
    want = [tg.tensor(a, dtype=np.float64, requires_grad=True) for a in (q, k, v)]
    out = flash_attention(*got, mask=mask, causal=True)
    ref = attention(*want, mask=mask, causal=True)
    out.backward(tg.tensor(g, dtype=np.float32))
    ref.backward(tg.tensor(g, dtype=np.float64))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-4, atol=1e-5)
    for a, b in zip(got, want):  # k and v broadcast over the batch: their gradients are summed back
        assert a.grad.shape == a.shape
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-4)

    x = tg.tensor(q[0], dtype=np.float32, requires_grad=True)
    out = flash_attention(x, x, x)
    with tg.no_grad():
        out.add_(1.0)  # the output is saved for backward (rowsum(dO * O))
    try:
        out.sum().backward()
        raise AssertionError("no error for an output changed in place")
    except RuntimeError as e:
        assert "modified by an inplace operation" in str(e), e

    out = flash_attention(x, x, x)
    (gx,) = tg.grad(out.sum(), x, create_graph=True)
    try:
        gx.sum().backward()
        raise AssertionError("no error for a double backward")
    except RuntimeError as e:
        assert "once-differentiable" in str(e), e
    print("flash ok")
""")


def test_flash_attention_op_matches_the_reference_under_the_cuda_simulator():
    """FlashAttention on the Numba kernels, run by Numba's CUDA simulator (NumPy arrays stand in for device
    arrays), in a fresh process: numba decides at import whether it simulates."""
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", TGG_KERNELS="auto")  # the CUDA kernels, not the CPU ones
    proc = subprocess.run([sys.executable, "-c", _SIMULATED], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and "flash ok" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-3000:]
