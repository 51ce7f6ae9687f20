"""The Numba flash-attention kernels against float64 NumPy attention, under the CUDA simulator: ragged lengths,
odd head dims, causal and padding masks, fully masked rows; forward, backward, and the autograd op around them."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_gen as tg
from tinygrad_gen.kernels import attention_numba
from tinygrad_gen.ops.attention import flash_attention

rng = np.random.default_rng(0)


def rand(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def reference(q, k, v, key_mask, causal, scale, g):
    """float64 attention written out with the full L x L matrices: out, lse, and (dq, dk, dv) for upstream g."""
    q, k, v, g = (a.astype(np.float64) for a in (q, k, v, g))
    s = q @ k.swapaxes(-1, -2) * scale
    keep = np.ones(s.shape, bool)
    if key_mask is not None:
        keep &= key_mask[:, None, :]
    if causal:
        keep &= np.tril(np.ones(s.shape[-2:], bool))
    with np.errstate(over="ignore"):  # masked entries overflow and are then dropped by the where
        e = np.where(keep, np.exp(s - np.where(keep, s, -np.inf).max(-1, keepdims=True, initial=-1e300)), 0)
    z = e.sum(-1, keepdims=True)
    p = e / np.where(z > 0, z, 1)
    with np.errstate(divide="ignore"):
        lse = np.where(z[..., 0] > 0, np.log(np.where(z > 0, z, 1))[..., 0]
                       + np.where(keep, s, -np.inf).max(-1, initial=-1e300), -np.inf)
    dp = g @ v.swapaxes(-1, -2)
    ds = p * (dp - (dp * p).sum(-1, keepdims=True))
    return p @ v, lse, (ds @ k * scale, ds.swapaxes(-1, -2) @ q * scale, p.swapaxes(-1, -2) @ g)


def run_both(bh, lq, lk, d, causal=False, key_mask=None, scale=None, variant=None):
    q, k, v = rand(bh, lq, d), rand(bh, lk, d), rand(bh, lk, d)
    g = rand(bh, lq, d)
    out, lse = attention_numba.forward(q, k, v, key_mask, causal, scale, variant)
    grads = attention_numba.backward(q, k, v, out, lse, g, key_mask, causal, scale, variant)
    want = reference(q, k, v, key_mask, causal, 1 / math.sqrt(d) if scale is None else scale, g)
    return (out, lse, grads), want


def assert_all_close(got, want):
    (out, lse, grads), (out_r, lse_r, grads_r) = got, want
    np.testing.assert_allclose(out, out_r, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(lse, lse_r, rtol=1e-4, atol=1e-5)
    for name, a, b in zip(("dq", "dk", "dv"), grads, grads_r):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4, err_msg=name)


@settings(max_examples=6)
@given(lq=st.integers(1, 70), lk=st.integers(1, 70), d=st.integers(1, 9), causal=st.booleans())
def test_ragged_lengths_and_head_dims_match_float64(lq, lk, d, causal):
    assert_all_close(*run_both(2, lq, lk, d, causal))


def test_custom_scale_is_used():
    assert_all_close(*run_both(1, 9, 11, 4, scale=0.37))


def test_padding_mask_hides_keys_per_batch_entry():
    mask = rng.random((3, 45)) > 0.4
    assert_all_close(*run_both(3, 37, 45, 5, key_mask=mask))


def test_padding_mask_shared_by_all_heads():
    mask = (np.arange(40) < 29)[None, :]
    assert_all_close(*run_both(2, 33, 40, 6, causal=True, key_mask=mask))


def test_fully_masked_rows_give_zeros_and_zero_gradients():
    mask = np.ones((2, 20), bool)
    mask[1] = False
    (out, lse, (dq, dk, dv)), _ = run_both(2, 5, 20, 4, key_mask=mask)
    assert np.all(out[1] == 0) and np.all(np.isneginf(lse[1]))
    assert np.all(dq[1] == 0) and np.all(dk[1] == 0) and np.all(dv[1] == 0)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(dq))


@pytest.mark.parametrize("variant", attention_numba.VARIANTS)
def test_every_variant_matches_float64_with_causal_and_padding_masks(variant):
    mask = rng.random((2, 45)) > 0.3
    assert_all_close(*run_both(2, 37, 45, 5, causal=True, key_mask=mask, variant=variant))


@pytest.mark.parametrize("variant", attention_numba.VARIANTS)
def test_every_variant_at_head_dim_128_uses_its_smaller_tiles(variant):
    assert_all_close(*run_both(1, 21, 18, 128, causal=True, variant=variant))


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="nope"):
        attention_numba.forward(rand(1, 4, 8), rand(1, 4, 8), rand(1, 4, 8), variant="nope")


def test_head_dim_over_128_is_refused():
    with pytest.raises(ValueError, match="129"):
        attention_numba.forward(rand(1, 4, 129), rand(1, 4, 129), rand(1, 4, 129))


def test_more_than_65535_batch_heads_are_refused():
    q = np.zeros((65536, 1, 2), np.float32)
    with pytest.raises(ValueError, match="65535"):
        attention_numba.forward(q, q, q)


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="attention_numba"):
        attention_numba.forward(rand(1, 4, 8), rand(1, 5, 8), rand(1, 6, 8))


# ----- the autograd op (NumPy arrays stand in for device arrays under the simulator) -----

def test_op_matches_float64_through_backward_with_head_axes():
    q, k, v = rand(2, 3, 17, 8), rand(2, 3, 23, 8), rand(2, 3, 23, 8)
    g = rand(2, 3, 17, 8)
    mask = rng.random((2, 1, 1, 23)) > 0.3
    tq, tk, tv = (tg.tensor(a, requires_grad=True) for a in (q, k, v))
    out = flash_attention(tq, tk, tv, mask=mask, causal=True)
    out.backward(tg.tensor(g))
    def flat(a):
        return a.reshape(6, a.shape[-2], 8)
    key_mask = np.broadcast_to(mask[:, :, 0, :], (2, 3, 23)).reshape(6, 23)
    out_r, _, (dq, dk, dv) = reference(flat(q), flat(k), flat(v), key_mask, True, 1 / math.sqrt(8), flat(g))
    np.testing.assert_allclose(out.numpy(), out_r.reshape(out.shape), rtol=1e-4, atol=1e-5)
    for t, want in ((tq, dq), (tk, dk), (tv, dv)):
        np.testing.assert_allclose(t.grad.numpy(), want.reshape(t.shape), rtol=1e-4, atol=1e-4)


def test_op_sums_gradients_of_broadcast_keys():
    q, k, v = rand(3, 6, 4), rand(1, 7, 4), rand(1, 7, 4)
    tq, tk, tv = (tg.tensor(a, requires_grad=True) for a in (q, k, v))
    flash_attention(tq, tk, tv).sum().backward()
    kb, vb = np.repeat(k, 3, 0), np.repeat(v, 3, 0)
    _, _, (_, dk, dv) = reference(q, kb, vb, None, False, 0.5, np.ones((3, 6, 4), np.float32))
    np.testing.assert_allclose(tk.grad.numpy(), dk.sum(0, keepdims=True), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(tv.grad.numpy(), dv.sum(0, keepdims=True), rtol=1e-4, atol=1e-4)


def test_op_refuses_a_mask_that_varies_by_query():
    q = tg.tensor(rand(1, 5, 4))
    with pytest.raises(ValueError, match="query axis"):
        flash_attention(q, q, q, mask=np.tril(np.ones((5, 5), bool)))


def test_op_double_backward_raises():
    x = tg.tensor(rand(1, 4, 4), requires_grad=True)
    out = flash_attention(x, x, x)
    (gx,) = _grad(out.sum(), x)
    with pytest.raises(RuntimeError):
        gx.sum().backward()


def _grad(y, x):
    y.backward(create_graph=True)
    return (x.grad,)
