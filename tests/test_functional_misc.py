"""Dropout, embedding, scaled dot-product attention and the VAE's reparameterize / gaussian_kl."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from functional_helpers import assert_matches_torch, gradcheck, gradgradcheck

T = torch.nn.functional
DTYPES = [np.float32, np.float64]


# ----- dropout -----
def test_dropout_zeroes_a_fraction_p_and_scales_survivors():
    p = 0.3
    y = F.dropout(tg.ones(200, 500), p=p).numpy()
    dropped = (y == 0).mean()
    assert abs(dropped - p) < 4 * np.sqrt(p * (1 - p) / y.size)
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 1) < 0.01


def test_dropout_gradient_is_the_same_mask_and_scale():
    x = tg.randn(50, 40, dtype=np.float64, requires_grad=True)
    y = F.dropout(x, p=0.5)
    y.sum().backward()
    kept = y.numpy() != 0
    np.testing.assert_array_equal(x.grad.numpy(), kept * 2.0)


def test_dropout_is_identity_in_eval_mode_and_at_p_zero():
    x = tg.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


def test_dropout_at_p_one_zeroes_everything():
    assert not F.dropout(tg.randn(3, 4), 1.0).numpy().any()


def test_dropout_is_repeatable_under_manual_seed():
    tg.manual_seed(7)
    a = F.dropout(tg.ones(10, 10)).numpy()
    tg.manual_seed(7)
    assert np.array_equal(a, F.dropout(tg.ones(10, 10)).numpy())


def test_dropout_gradcheck_for_a_fixed_mask():
    def fn(x):
        tg.manual_seed(3)
        return F.dropout(x, 0.4)
    assert gradcheck(fn, [np.random.default_rng(0).standard_normal((4, 5))])


# ----- embedding -----
@st.composite
def embedding_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    num, dim = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 4), max_size=2)))
    return rng.integers(0, num, shape), rng.standard_normal((num, dim))


@given(case=embedding_cases())
def test_embedding_gradcheck_with_repeated_indices(case):
    idx, w = case
    assert gradcheck(lambda w: F.embedding(idx, w), [w])


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=6)
@given(case=embedding_cases())
def test_embedding_matches_torch(case, dtype):
    idx, w = case
    assert_matches_torch(lambda w: F.embedding(tg.tensor(idx), w), lambda w: T.embedding(torch.tensor(idx), w), [w],
                         dtype)


@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32, np.uint8])
def test_rows_picked_by_an_integer_array_sum_their_gradients_like_torch(idx_dtype):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((5, 2, 3))
    idx = np.array([[4, 0, 4], [1, 4, 2]], dtype=idx_dtype)
    signed = idx.astype(np.int64) - 5 * (idx % 2)  # odd rows given as negative indices (the same rows)
    for pick in (idx, signed if idx_dtype is not np.uint8 else idx):
        g = rng.standard_normal(pick.shape + (2, 3))
        x = tg.tensor(w, dtype=np.float64, requires_grad=True)
        x[pick].backward(tg.tensor(g, dtype=np.float64))
        tw = torch.tensor(w, requires_grad=True)
        tw[torch.from_numpy(pick.astype(np.int64))].backward(torch.tensor(g))
        np.testing.assert_allclose(x.grad.numpy(), tw.grad.numpy(), rtol=1e-12)


# ----- attention -----
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


@given(case=attention_cases())
def test_attention_gradcheck(case):
    q, k, v, mask, causal, scale = case
    assert gradcheck(lambda q, k, v: F.attention(q, k, v, mask, causal, scale), [q, k, v])


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=8)
@given(case=attention_cases())
def test_attention_matches_torch(case, dtype):
    q, k, v, mask, causal, scale = case
    if causal and mask is not None:  # torch takes one or the other; combine them by hand for it
        mask = (np.tril(np.ones((q.shape[-2], k.shape[-2]), bool)) & mask) if mask.dtype == bool else None
        causal = False if mask is not None else causal
    tmask = None if mask is None else torch.tensor(mask if mask.dtype == bool else mask.astype(dtype))
    assert_matches_torch(lambda q, k, v: F.attention(q, k, v, mask, causal, scale),
                         lambda q, k, v: T.scaled_dot_product_attention(q, k, v, tmask, is_causal=causal, scale=scale),
                         [q, k, v], dtype)


def test_attention_query_that_sees_nothing_gives_zeros_and_finite_gradients():
    q, k, v = (tg.randn(2, 3, 4, dtype=np.float64, requires_grad=True) for _ in range(3))
    mask = np.array([[True, True, False], [False, False, False], [True, False, True]])
    out = F.scaled_dot_product_attention(q, k, v, mask=mask)
    (out * out).sum().backward()
    assert np.array_equal(out.numpy()[:, 1], np.zeros((2, 4)))
    for t in (q, k, v):
        assert np.isfinite(t.grad.numpy()).all()
    assert not q.grad.numpy()[:, 1].any()


def test_causal_attention_does_not_look_ahead():
    q, k, v = tg.randn(1, 5, 4), tg.randn(1, 5, 4), tg.randn(1, 5, 4, dtype=np.float64)
    v2 = v.numpy().copy()
    v2[0, 3:] += 100  # changing future values must not change earlier outputs
    a = F.scaled_dot_product_attention(q, k, v, causal=True).numpy()
    b = F.scaled_dot_product_attention(q, k, tg.tensor(v2, dtype=np.float64), causal=True).numpy()
    np.testing.assert_allclose(a[0, :3], b[0, :3], rtol=1e-6)
    assert not np.allclose(a[0, 3:], b[0, 3:])


# ----- VAE: reparameterize and gaussian_kl -----
@st.composite
def broadcast_pairs(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    other = tuple(1 if draw(st.booleans()) else n for n in shape)[draw(st.integers(0, len(shape) - 1)):]
    return rng.standard_normal(shape), rng.standard_normal(other) * 0.5


@given(case=broadcast_pairs())
def test_reparameterize_gradcheck_with_broadcasting(case):
    mu, logvar = case
    eps = np.random.default_rng(1).standard_normal(np.broadcast_shapes(mu.shape, logvar.shape))
    assert gradcheck(lambda mu, logvar, eps: F.reparameterize(mu, logvar, eps), [mu, logvar, eps])


def _sum_to(a, shape):
    """Sum a broadcast gradient back to ``shape`` (written out here independently of the engine)."""
    while a.ndim > len(shape):
        a = a.sum(axis=0)
    return a.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


@given(case=broadcast_pairs())
def test_reparameterize_gradient_matches_the_closed_form(case):
    mu, logvar = (tg.tensor(a, dtype=np.float64, requires_grad=True) for a in case)
    eps = tg.randn(*mu.shape, dtype=np.float64)
    g = np.random.default_rng(2).standard_normal(mu.shape)
    F.reparameterize(mu, logvar, eps).backward(tg.tensor(g, dtype=np.float64))
    np.testing.assert_allclose(mu.grad.numpy(), g, rtol=1e-12)
    dlogvar = g * eps.numpy() * np.exp(logvar.numpy() / 2) / 2
    np.testing.assert_allclose(logvar.grad.numpy(), _sum_to(dlogvar, logvar.shape), rtol=1e-12)


def test_reparameterize_samples_have_mean_mu_and_std_exp_half_logvar():
    mu, logvar = tg.full((20000, 2), 1.5), tg.tensor(np.log([[0.25, 4.0]]) * np.ones((20000, 1)))
    z = F.reparameterize(mu, logvar).numpy()
    np.testing.assert_allclose(z.mean(axis=0), [1.5, 1.5], atol=0.05)
    np.testing.assert_allclose(z.std(axis=0), [0.5, 2.0], rtol=0.03)


def test_reparameterize_draws_from_the_seeded_generator():
    tg.manual_seed(5)
    a = F.reparameterize(tg.zeros(4), tg.zeros(4)).numpy()
    tg.manual_seed(5)
    np.testing.assert_array_equal(a, tg.randn(4).numpy())


@st.composite
def gaussian_pairs(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    return rng.standard_normal(shape), rng.standard_normal(shape) * 0.5


@given(case=gaussian_pairs())
def test_gaussian_kl_gradcheck(case):
    assert gradcheck(F.gaussian_kl, list(case))


@settings(max_examples=4)
@given(case=gaussian_pairs())
def test_gaussian_kl_gradgradcheck(case):
    assert gradgradcheck(F.gaussian_kl, list(case))


@given(case=gaussian_pairs())
def test_gaussian_kl_matches_the_closed_form_and_its_gradient(case):
    mu, logvar = (tg.tensor(a, dtype=np.float64, requires_grad=True) for a in case)
    kl = F.gaussian_kl(mu, logvar)
    var = np.exp(case[1])
    # KL of univariate normals summed over dimensions: log(s_p/s_q) + (s_q^2 + m^2) / (2 s_p^2) - 1/2, s_p = 1
    expect = (-0.5 * case[1] + (var + case[0] ** 2) / 2 - 0.5).sum(axis=-1)
    np.testing.assert_allclose(kl.numpy(), expect, rtol=1e-12)
    g = np.random.default_rng(0).standard_normal(kl.shape)
    kl.backward(tg.tensor(g, dtype=np.float64))
    np.testing.assert_allclose(mu.grad.numpy(), g[..., None] * case[0], rtol=1e-12)
    np.testing.assert_allclose(logvar.grad.numpy(), g[..., None] * (var - 1) / 2, rtol=1e-12)


def test_gaussian_kl_agrees_with_a_monte_carlo_estimate():
    rng = np.random.default_rng(0)
    mu, logvar = np.array([0.5, -1.0, 0.0]), np.array([0.3, -0.5, 1.0])
    z = mu + np.exp(logvar / 2) * rng.standard_normal((200000, 3))
    log_q = -0.5 * (((z - mu) ** 2) / np.exp(logvar) + logvar + np.log(2 * np.pi)).sum(-1)
    log_p = -0.5 * (z ** 2 + np.log(2 * np.pi)).sum(-1)
    mc = (log_q - log_p).mean()
    kl = F.gaussian_kl(tg.tensor(mu, dtype=np.float64), tg.tensor(logvar, dtype=np.float64)).item()
    assert abs(kl - mc) < 4 * (log_q - log_p).std() / np.sqrt(len(z))


@pytest.mark.parametrize("reduction,expect", [("mean", np.mean), ("sum", np.sum)])
def test_gaussian_kl_reduction(reduction, expect):
    mu, logvar = tg.randn(4, 3, dtype=np.float64), tg.randn(4, 3, dtype=np.float64)
    per_sample = F.gaussian_kl(mu, logvar).numpy()
    assert np.isclose(F.gaussian_kl(mu, logvar, reduction=reduction).item(), expect(per_sample))


@settings(max_examples=4)
@given(case=attention_cases())
def test_attention_gradgradcheck(case):
    q, k, v, mask, causal, scale = case
    assert gradgradcheck(lambda q, k, v: F.attention(q, k, v, mask, causal, scale), [q, k, v])
