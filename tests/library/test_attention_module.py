"""Attention as the transformer uses it: causal masking, padding masks, fully masked rows, and the module against
PyTorch's nn.MultiheadAttention with the same weights."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import tinygrad_gen as tg
from tinygrad_gen import nn
import tinygrad_gen.nn.functional as F
from tinygrad_gen.models.transformer import Block, padding_mask


def _mha(E=16, H=4):
    tg.manual_seed(0)
    return nn.MultiHeadAttention(E, H)


def _torch_copy(mha):
    ref = torch.nn.MultiheadAttention(mha.embed_dim, mha.num_heads, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.tensor(mha.in_proj_weight.numpy()))
        ref.in_proj_bias.copy_(torch.tensor(mha.in_proj_bias.numpy()))
        ref.out_proj.weight.copy_(torch.tensor(mha.out_proj.weight.numpy()))
        ref.out_proj.bias.copy_(torch.tensor(mha.out_proj.bias.numpy()))
    return ref


@given(T=st.integers(2, 12), t=st.integers(0, 10), seed=st.integers(0, 100))
def test_causal_block_output_at_t_ignores_tokens_after_t(T, t, seed):
    t = t % (T - 1)
    tg.manual_seed(seed)
    block = Block(16, 4)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, T, 16)).astype(np.float32)
    changed = x.copy()
    changed[:, t + 1:] = rng.standard_normal(changed[:, t + 1:].shape)
    a = block(tg.tensor(x), causal=True).numpy()
    b = block(tg.tensor(changed), causal=True).numpy()
    np.testing.assert_array_equal(a[:, :t + 1], b[:, :t + 1])
    assert not np.allclose(a[:, t + 1:], b[:, t + 1:])


@given(lengths=st.lists(st.integers(1, 9), min_size=1, max_size=4), seed=st.integers(0, 100))
def test_padding_mask_makes_real_tokens_independent_of_padding(lengths, seed):
    T = 9
    rng = np.random.default_rng(seed)
    keep = np.arange(T)[None, :] < np.array(lengths)[:, None]
    x = rng.standard_normal((len(lengths), T, 16)).astype(np.float32)
    other = np.where(keep[..., None], x, rng.standard_normal(x.shape).astype(np.float32) * 10)
    mha = _mha()
    a = mha(tg.tensor(x), mask=padding_mask(keep)).numpy()
    b = mha(tg.tensor(other), mask=padding_mask(keep)).numpy()
    np.testing.assert_allclose(a[keep], b[keep], rtol=1e-5, atol=1e-6)


def test_padding_mask_shape_broadcasts_over_heads_and_queries():
    keep = np.array([[True, True, False]])
    assert padding_mask(keep).shape == (1, 1, 1, 3)
    np.testing.assert_array_equal(padding_mask(keep)[0, 0, 0], keep[0])


def test_fully_masked_query_row_gives_zero_output_and_finite_gradients():
    rng = np.random.default_rng(0)
    q, k, v = (tg.tensor(rng.standard_normal((1, 2, 4, 8)), requires_grad=True) for _ in range(3))
    mask = np.ones((4, 4), bool)
    mask[2] = False  # query 2 may attend to nothing
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert np.all(out.numpy()[..., 2, :] == 0)
    (out * out).sum().backward()
    for t in (q, k, v):
        assert np.all(np.isfinite(t.grad.numpy()))
    assert np.all(q.grad.numpy()[..., 2, :] == 0)


@pytest.mark.parametrize("causal", [False, True])
def test_module_matches_torch_multihead_attention_forward_and_backward(causal):
    mha = _mha(16, 4)
    ref = _torch_copy(mha)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 7, 16))
    keep = np.arange(7)[None, :] < np.array([7, 5, 2])[:, None]
    ours_x = tg.tensor(x, requires_grad=True, dtype=tg.float64)
    for p in mha.parameters():
        p._data = p._data.astype(np.float64)
    out = mha(ours_x, mask=padding_mask(keep), causal=causal)
    ref_x = torch.tensor(x, requires_grad=True)
    attn_mask = torch.triu(torch.ones(7, 7, dtype=torch.bool), 1) if causal else None   # torch: True = blocked
    ref_out, _ = ref(ref_x, ref_x, ref_x, key_padding_mask=torch.tensor(~keep), attn_mask=attn_mask)
    np.testing.assert_allclose(out.numpy(), ref_out.detach().numpy(), rtol=1e-9, atol=1e-10)
    g = rng.standard_normal(out.shape)
    out.backward(tg.tensor(g, dtype=tg.float64))
    ref_out.backward(torch.tensor(g))
    np.testing.assert_allclose(ours_x.grad.numpy(), ref_x.grad.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(mha.in_proj_weight.grad.numpy(), ref.in_proj_weight.grad.numpy(), rtol=1e-8,
                               atol=1e-10)
    np.testing.assert_allclose(mha.out_proj.weight.grad.numpy(), ref.out_proj.weight.grad.numpy(), rtol=1e-8,
                               atol=1e-10)
