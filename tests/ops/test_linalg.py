"""Linear algebra: a @ b (tg.matmul, Tensor.matmul), F.linear and tg.einsum (ops/linalg.py)."""
import numpy as np
import pytest
import torch
from family_checks import FamilyChecks
from hypothesis import given, settings, strategies as st

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import dispatch
from tinygrad_gen.ops import linalg



class TestLinalgRows(FamilyChecks):
    family = linalg


# ----- matmul -----
@pytest.mark.parametrize("a_shape, b_shape", [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                                              ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3))])
def test_matmul_of_every_rank_matches_numpy(a_shape, b_shape):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    out = tg.tensor(a, dtype=tg.float64) @ tg.tensor(b, dtype=tg.float64)
    assert out.shape == (a @ b).shape
    np.testing.assert_allclose(out.numpy(), a @ b)
    np.testing.assert_allclose((a @ tg.tensor(b, dtype=tg.float64)).numpy(), a @ b)  # __rmatmul__
    np.testing.assert_allclose(tg.matmul(a, tg.tensor(b, dtype=tg.float64)).numpy(), a @ b)  # a stays float64


@pytest.mark.parametrize("other", [np.float64, np.int64])
def test_matmul_and_layers_refuse_mixed_dtypes_as_pytorch_does(other):
    x32, w32 = tg.randn(2, 3), tg.randn(4, 3)
    x = tg.ones(2, 3, dtype=other)
    with pytest.raises(TypeError, match=rf"matmul: expected one dtype, got a float32, b {np.dtype(other)}"):
        x32 @ tg.ones(3, 4, dtype=other)
    with pytest.raises(TypeError, match=rf"linear: expected one dtype, got input {np.dtype(other)}, weight float32"):
        tg.nn.Linear(3, 4)(x)
    with pytest.raises(TypeError, match=r"linear: .*bias"):
        F.linear(x32, w32, tg.zeros(4, dtype=np.float64))
    with pytest.raises(TypeError, match=rf"layer_norm: expected one dtype, got input {np.dtype(other)}"):
        tg.nn.LayerNorm(3)(x)
    assert tg.nn.Linear(3, 4).double()(x.double()).dtype == np.float64  # converted explicitly: fine


def test_matmul_forms_agree():
    a, b = tg.randn(3, 4), tg.randn(4, 2)
    want = (a @ b).numpy()
    np.testing.assert_array_equal(a.matmul(b).numpy(), want)
    np.testing.assert_array_equal(tg.matmul(a, b).numpy(), want)


def test_plain_data_takes_the_tensor_dtype():
    a = tg.randn(3, 4)
    assert (a @ np.ones((4, 2))).dtype == np.float32  # float64 data joins a float32 tensor
    assert (a @ [[1], [2], [3], [4]]).dtype == np.float32  # so does integer data
    assert (np.ones((2, 3)) @ a).dtype == np.float32


@pytest.mark.parametrize("call, error, message", [
    (lambda: tg.randn(3, 4) @ tg.randn(5, 2), ValueError, r"matmul.*\(3, 4\).*\(5, 2\)"),
    (lambda: tg.randn(4) @ tg.randn(3), ValueError, r"matmul.*\(4,\).*\(3,\)"),
    (lambda: tg.randn(2, 3) @ tg.randn(4), ValueError, r"matmul.*3 columns against 4 rows"),
    (lambda: tg.randn(3) @ tg.tensor(2.0), ValueError, "matmul: both operands need at least 1 dimension"),
    (lambda: tg.randn(3) @ 2.0, TypeError, r"matmul: cannot multiply a tensor of shape \(3,\) by a scalar"),
    (lambda: tg.randn(3) @ np.float32(2.0), TypeError, "matmul: cannot multiply"),
])
def test_bad_matmul_raises_naming_the_op_and_shapes(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_matmul_saves_only_what_its_backward_needs_as_pytorch_does():
    # da needs b, db needs a: a constant a can change in place after forward and db is still right
    a, b = tg.randn(3, 4), tg.randn(4, 2, requires_grad=True)
    y = a @ b
    with tg.no_grad():
        b.add_(1.0)  # b is not needed (a is a constant)
    y.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), a.numpy().T @ np.ones((3, 2)), rtol=1e-6)


def test_matmul_and_linear_run_through_the_dispatched_kernel(monkeypatch):
    calls = []
    real = dispatch.matmul
    monkeypatch.setattr(dispatch, "matmul", lambda a, b, backend=None: calls.append(a.shape) or real(a, b))
    tg.randn(3, 4) @ tg.randn(4, 2)
    F.linear(tg.randn(5, 4), tg.randn(2, 4))
    assert calls == [(3, 4), (5, 4)]


def test_matmul_second_derivatives_of_a_vector_operand():
    rng = np.random.default_rng(0)
    a, b = [tg.tensor(rng.standard_normal(s), dtype=np.float64, requires_grad=True) for s in ((4,), (2, 4, 3))]
    assert tg.gradgradcheck(lambda a, b: (a @ b).tanh(), [a, b])


# ----- linear -----
@st.composite
def linear_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    lead = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    fin, fout = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    bias = rng.standard_normal(fout) if draw(st.booleans()) else None
    return rng.standard_normal(lead + (fin,)), rng.standard_normal((fout, fin)), bias


@settings(max_examples=15, deadline=None)
@given(case=linear_cases())
def test_linear_of_any_leading_shape_matches_torch(case):
    x, w, b = case
    arrays = [x, w] + ([] if b is None else [b])
    ours = [tg.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, yt = F.linear(*ours), torch.nn.functional.linear(*theirs)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-10)
    y.sum().backward()
    yt.sum().backward()
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda: F.linear(tg.randn(8, 5), tg.randn(3, 4)), r"linear.*\(8, 5\).*\(3, 4\)"),
    (lambda: F.linear(tg.randn(8, 4), tg.randn(3, 4), tg.randn(4)), r"linear: bias of shape \(4,\).*\(3, 4\)"),
    (lambda: F.linear(tg.randn(8, 4), tg.randn(4)), r"linear.*\(8, 4\).*\(4,\)"),
])
def test_bad_linear_raises_naming_the_op_and_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_linear_takes_plain_weights_in_the_input_dtype():
    x = tg.randn(2, 3)
    assert F.linear(x, np.ones((4, 3)), [0.0, 1.0, 2.0, 3.0]).dtype == np.float32


def test_linear_of_a_constant_input_does_not_keep_the_weight_as_pytorch_does():
    # an optimizer step between forward and backward changes w in place; dw = g^T x needs only x
    x, w = tg.randn(5, 3), tg.randn(2, 3, requires_grad=True)
    y = F.linear(x, w)
    with tg.no_grad():
        w.add_(1.0)
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.ones((5, 2)).T @ x.numpy(), rtol=1e-6)


# ----- einsum -----
@pytest.mark.parametrize("eq, shapes", [
    ("ij->ji", [(3, 4)]), ("ij->", [(3, 4)]), ("ii->i", [(3, 3)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...i,...i->...", [(2, 3, 4), (3, 4)]), ("i,i", [(4,), (4,)]), ("ij,j", [(3, 4), (4,)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("i...,j...->ij...", [(2, 3), (4, 3)]), ("iij->j", [(2, 2, 3)]), ("ab,ab->ab", [(3, 1), (1, 4)]),
])
def test_einsum_matches_torch(eq, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [tg.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, yt = tg.einsum(eq, *ours), torch.einsum(eq, *theirs)
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(tg.tensor(g, dtype=np.float64))
    yt.backward(torch.tensor(g))
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_einsum_takes_a_list_of_operands_and_plain_arrays():
    a = tg.randn(2, 3)
    b = np.random.default_rng(0).standard_normal((3, 4))  # float64 data joins a's float32
    y = tg.einsum("ij,jk->ik", [a, b])
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), a.numpy() @ b.astype(np.float32), rtol=1e-5)


@pytest.mark.parametrize("call, message", [
    (lambda: tg.einsum("ij,jk->ik", tg.randn(2, 3), tg.randn(4, 2)), "einsum: label 'j' has sizes 3 and 4"),
    (lambda: tg.einsum("ij,jk->ik", tg.randn(2, 3)), "einsum: equation 'ij,jk->ik' names 2 operands but 1"),
    (lambda: tg.einsum("ijk->i", tg.randn(2, 3)), r"einsum: term 'ijk' does not fit an operand of shape \(2, 3\)"),
    (lambda: tg.einsum("ij->ik", tg.randn(2, 3)), "einsum: output label 'k'"),
    (lambda: tg.einsum("ij->ii", tg.randn(2, 3)), "einsum: output label 'i'"),
    (lambda: tg.einsum("...i...->i", tg.randn(2, 3)), "einsum: more than one '...'"),
    (lambda: tg.einsum("ii->i", tg.randn(2, 3)), "einsum: label 'i' has sizes 2 and 3"),
    (lambda: tg.einsum("ii->i", tg.randn(1, 3)), "einsum: label 'i' has sizes 1 and 3 in one operand"),
])
def test_bad_einsum_raises_naming_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call()
