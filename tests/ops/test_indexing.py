"""Indexing ops: x[...], gather, the scatters, masked_select, embedding (ops/indexing.py)."""
import numpy as np
import pytest
import torch

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from family_checks import FamilyChecks, grads_of, matches_torch
from tinygrad_gen import dispatch
from tinygrad_gen.ops import indexing
from tinygrad_gen.ops.fast.indexing import IndexAddRows

A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
TORCH_TOL = dict(rtol=1e-12, atol=0)  # values and gradients against PyTorch's


class TestIndexingRows(FamilyChecks):
    family = indexing


# ----- x[...] -----
@pytest.mark.parametrize("index", [
    1, -1, (0, 2), slice(1, None), (Ellipsis, 1), (None, 0), (slice(None), None, slice(None, None, 2)),
    (1, slice(0, 2), -1), [1, 1, 0], (np.array([0, 1, 1]), np.array([2, 0, 2])), (slice(None), [2, 2]),
    A > 10, (slice(None), A[0] > 5), (np.array([[0], [1]]), slice(None), np.array([3, 0])), (), Ellipsis,
])
def test_indexing_matches_numpy(index):
    np.testing.assert_array_equal(tg.tensor(A)[index].numpy(), A[index])


def test_indexing_with_tensors_matches_numpy():
    t = tg.tensor(A)
    np.testing.assert_array_equal(t[tg.tensor([1, 0, 1])].numpy(), A[[1, 0, 1]])
    np.testing.assert_array_equal(t[t > 10].numpy(), A[A > 10])
    np.testing.assert_array_equal(t[:, tg.tensor([2, 0]), 1:].numpy(), A[:, [2, 0], 1:])


def test_integer_index_with_repeats_accumulates_gradient():
    x = tg.zeros(4, requires_grad=True)
    x[[0, 2, 2, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 0, 3, 0])


def test_boolean_mask_gradient_lands_on_the_kept_elements():
    x = tg.tensor(A, requires_grad=True)
    (x[x > 10] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (A > 10) * 2.0)


def test_an_index_out_of_range_names_the_op_and_the_shape():
    with pytest.raises(IndexError, match=r"GetItem.*index 3.*\(2, 3\)"):
        tg.randn(2, 3)[3]


@pytest.mark.parametrize("index, position, value", [(np.array([0, 2]), 0, 1),
                                                     (np.array([True, False, True]), 1, True)])
def test_an_index_tensor_changed_in_place_after_forward_raises_as_in_pytorch(index, position, value):
    x, i = tg.randn(3, 4, requires_grad=True), tg.tensor(index)
    xt, it = torch.randn(3, 4, requires_grad=True), torch.tensor(index)
    y, yt = x[i], xt[it]
    with tg.no_grad():
        i[position] = value
    it[position] = value
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        yt.sum().backward()
    with pytest.raises(RuntimeError, match="GetItem.*modified by an inplace operation"):
        y.sum().backward()


def test_second_derivative_through_integer_indexing():
    x = tg.tensor([1.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    (g,) = tg.grad((x[[0, 0, 2]] ** 3).sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.numpy(), [6.0, 0.0, 27.0])
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [12.0, 0.0, 18.0])


# ----- gather and the scatters -----
def test_gather_with_a_smaller_index_and_negative_indices_matches_torch():
    x = np.arange(12.0).reshape(3, 4)
    idx = np.array([[2, 0], [1, 1]])
    matches_torch(lambda a: a.gather(0, idx), lambda a: a.gather(0, torch.tensor(idx)), [x], tol=TORCH_TOL)
    matches_torch(lambda a: a.gather(1, -1 - idx), lambda a: a.gather(1, torch.tensor(3 - idx)), [x], tol=TORCH_TOL)


def test_gather_saves_its_input_as_pytorch_does():
    x = tg.randn(3, 4, requires_grad=True)
    y = x.gather(1, np.array([[0], [1], [3]]))
    with tg.no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="Gather.*modified by an inplace operation"):
        y.sum().backward()


def test_scatter_with_a_number_matches_torch():
    x = np.arange(12.0).reshape(3, 4)
    idx = np.array([[2, 0], [1, 1]])
    ours = tg.tensor(x).scatter(1, idx, value=-1.0).numpy()
    assert np.array_equal(ours, torch.tensor(x).scatter(1, torch.tensor(idx), -1.0).numpy())
    assert np.array_equal(tg.tensor(x).scatter(1, idx, -1.0).numpy(), ours)


@pytest.mark.parametrize("name, axis", [("scatter", 1), ("scatter_add", 0)])
def test_scatter_src_larger_than_the_index_uses_its_leading_part(name, axis):
    x, src = np.zeros((3, 4)), np.arange(12.0).reshape(3, 4) + 1
    idx = np.array([[2, 0], [1, 1]])
    out, (_, dsrc) = grads_of(lambda a, s: getattr(a, name)(axis, idx, s), [x, src])
    np.testing.assert_array_equal(out, getattr(torch.tensor(x), name)(axis, torch.tensor(idx), torch.tensor(src)))
    # each used src element gets the g of the position it went to; PyTorch's own backward fails on this case
    g, want = np.linspace(-1, 1, 12).reshape(3, 4), np.zeros((3, 4))
    for i, j in np.ndindex(idx.shape):
        want[i, j] = g[i, idx[i, j]] if axis == 1 else g[idx[i, j], j]
    np.testing.assert_allclose(dsrc, want)


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin", "prod"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_matches_torch_in_every_mode(reduce, include_self):
    rng = np.random.default_rng(5)
    a, src = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    idx = torch.tensor([[0, 2, 2, 0], [2, 2, 0, 0]])
    matches_torch(lambda x, s: x.scatter_reduce(0, idx.numpy(), s, reduce, include_self=include_self),
                  lambda x, s: x.scatter_reduce(0, idx, s, reduce, include_self=include_self), [a, src], tol=TORCH_TOL)


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_gradient_with_zeros_matches_torch(include_self):
    a = np.array([[2.0, 0.0, 3.0], [1.0, 4.0, 0.0]])
    src = np.array([[0.0, 5.0, 2.0], [3.0, 0.0, 0.0]])
    idx = torch.tensor([[0, 0, 2], [1, 1, 1]])
    matches_torch(lambda x, s: x.scatter_reduce(1, idx.numpy(), s, "prod", include_self=include_self),
                  lambda x, s: x.scatter_reduce(1, idx, s, "prod", include_self=include_self), [a, src], tol=TORCH_TOL)


def test_scatter_reduce_amax_shares_the_gradient_among_ties_like_torch():
    a = np.array([[1.0, 5.0], [2.0, 0.0]])
    src = np.array([[5.0, 5.0], [2.0, 1.0]])
    idx = torch.tensor([[1, 1], [0, 0]])
    matches_torch(lambda x, s: x.scatter_reduce(1, idx.numpy(), s, "amax"),
                  lambda x, s: x.scatter_reduce(1, idx, s, "amax"), [a, src], tol=TORCH_TOL)


def test_pytorch_keyword_spellings_work():
    x = np.arange(12.0).reshape(3, 4)
    idx = np.array([[0, 3], [1, 1], [2, 0]])
    t, tt = tg.tensor(x), torch.tensor(x)
    assert np.array_equal(t.gather(dim=1, index=idx).numpy(), tt.gather(dim=1, index=torch.tensor(idx)).numpy())
    assert np.array_equal(tg.gather(t, 1, idx).numpy(), torch.gather(tt, 1, torch.tensor(idx)).numpy())
    src = np.ones((3, 2))
    assert np.array_equal(t.scatter_add(dim=1, index=idx, src=src).numpy(),
                          tt.scatter_add(dim=1, index=torch.tensor(idx), src=torch.tensor(src)).numpy())
    theirs = tt.scatter_reduce(dim=1, index=torch.tensor(idx), src=torch.tensor(src), reduce="amax")
    assert np.array_equal(t.scatter_reduce(dim=1, index=idx, src=src, reduce="amax").numpy(), theirs.numpy())
    assert np.array_equal(tg.scatter(t, dim=1, index=idx, value=0.0).numpy(),
                          torch.scatter(tt, 1, torch.tensor(idx), 0.0).numpy())


@pytest.mark.parametrize("op, error, pattern", [
    (lambda: tg.randn(2, 3).gather(1, np.array([[0, 3]])), IndexError, r"gather.*\[0, 3\].*size 3"),
    (lambda: tg.randn(2, 3).gather(1, np.array([[0.0]])), TypeError, r"gather.*integers.*float64"),
    (lambda: tg.randn(2, 3).gather(1, np.array([0])), ValueError, r"gather.*\(1,\).*\(2, 3\)"),
    (lambda: tg.randn(2, 3).gather(2, np.array([[0]])), ValueError, r"gather.*axis 2.*\(2, 3\)"),
    (lambda: tg.randn(2, 3).gather(1, np.zeros((3, 1), int)), ValueError, r"gather.*\(3, 1\).*larger.*\(2, 3\)"),
    (lambda: tg.randn(2, 3).scatter(1, np.array([[-1]]), 0.0), IndexError, r"scatter.*\[-1, -1\].*size 3"),
    (lambda: tg.randn(2, 3).scatter(1, np.array([[0]])), TypeError, r"scatter.*src.*value"),
    (lambda: tg.randn(2, 3).scatter_add(1, np.array([[0, 1]]), tg.randn(1, 1)), ValueError,
     r"scatter_add.*\(1, 1\).*\(1, 2\)"),
    (lambda: tg.randn(2, 3).scatter_reduce(1, np.array([[0]]), tg.randn(1, 1), "max"), ValueError,
     r"scatter_reduce.*'max'"),
    (lambda: tg.randn(3).masked_select(np.array([1, 0, 1])), TypeError, r"masked_select.*boolean.*int64"),
    (lambda: tg.randn(3).masked_select(np.ones(2, bool)), ValueError, r"masked_select.*\(2,\).*\(3,\)"),
])
def test_errors_name_the_op_and_the_shapes_or_values(op, error, pattern):
    with pytest.raises(error, match=pattern):
        op()


# ----- masked_select and embedding -----
def test_masked_select_broadcasts_the_mask_and_the_input_like_torch():
    x = np.random.default_rng(0).standard_normal((2, 3))
    mask = np.array([True, False, True])
    matches_torch(lambda a: a.masked_select(mask), lambda a: a.masked_select(torch.tensor(mask)), [x], tol=TORCH_TOL)
    big = np.array([[[True], [False]], [[False], [True]], [[True], [True]]])  # (3, 2, 1): x is broadcast too
    matches_torch(lambda a: tg.masked_select(a, tg.tensor(big)),
                  lambda a: torch.masked_select(a, torch.tensor(big)), [x], tol=TORCH_TOL)


def test_embedding_picks_rows_and_adds_the_gradient_of_repeated_indices():
    w = np.arange(10.0).reshape(5, 2)
    idx = np.array([[0, 4], [4, 4]])
    matches_torch(lambda t: F.embedding(idx, t), lambda t: torch.nn.functional.embedding(torch.tensor(idx), t),
                  [w], tol=TORCH_TOL)
    matches_torch(lambda t: F.embedding(tg.tensor(idx[0]), t),
                  lambda t: torch.nn.functional.embedding(torch.tensor(idx[0]), t), [w], tol=TORCH_TOL)


@pytest.mark.parametrize("indices, error, pattern", [
    (np.array([0, 5]), IndexError, r"embedding.*\[0, 5\].*\(5, 2\)"),
    (np.array([-1, 0]), IndexError, r"embedding.*\[-1, 0\].*\(5, 2\)"),
    (np.array([0.0, 1.0]), TypeError, "embedding: indices must be integers"),
])
def test_embedding_bad_indices_are_errors_naming_the_op(indices, error, pattern):
    with pytest.raises(error, match=pattern):
        F.embedding(indices, tg.randn(5, 2))


def test_embedding_weight_must_be_a_matrix():
    with pytest.raises(ValueError, match=r"embedding.*\(5,\)"):
        F.embedding(np.array([0]), tg.randn(5))


# ----- the fast path: one flat add.at for rows picked by one integer array -----
def test_the_fast_path_is_registered_and_chosen_by_dispatch():
    with dispatch.kernels("fast"):
        assert dispatch.pick(indexing.IndexAdd) is IndexAddRows
    with dispatch.kernels("reference"):
        assert dispatch.pick(indexing.IndexAdd) is indexing.IndexAdd


INDEXES = {
    "embedding rows": (lambda: np.random.default_rng(0).integers(0, 65, (16, 64)), (65, 64)),
    "negative rows": (lambda: np.array([0, -1, -1, 2, -3]), (3, 2, 4)),
    "one row": (lambda: np.array(1), (4, 3)),
    "rows of a vector": (lambda: np.array([3, 3, 0]), (5,)),
    "two arrays (plain)": (lambda: (np.array([0, 2, 2]), np.array([1, 1, 1])), (3, 4)),
    "mask (plain)": (lambda: np.arange(12).reshape(3, 4) % 5 == 0, (3, 4)),
    "array and slice (plain)": (lambda: (slice(None), np.array([1, 1, 0])), (3, 4)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(INDEXES))
def test_fast_index_add_matches_the_plain_op(name, dtype):
    make, shape = INDEXES[name]
    index = make()
    values = np.random.default_rng(1).standard_normal(shape)

    def fn(w):
        return w[index] * 1.5
    with dispatch.kernels("reference"):
        want, (want_grad,) = grads_of(fn, [values], dtype)
    got, (grad,) = grads_of(fn, [values], dtype)
    np.testing.assert_array_equal(got, want)
    assert grad.dtype == want_grad.dtype == dtype
    np.testing.assert_allclose(grad, want_grad, rtol=1e-6 if dtype == np.float32 else 1e-12)


def test_fast_index_add_second_derivatives_match_the_plain_op():
    idx = np.array([[0, 2], [2, 2]])

    def second(values):
        w = tg.tensor(values, dtype=np.float64, requires_grad=True)
        (g,) = tg.grad((F.embedding(idx, w) ** 3).sum(), [w], create_graph=True)
        (g * g).sum().backward()
        return g.numpy().copy(), w.grad.numpy()
    values = np.random.default_rng(2).standard_normal((3, 2))
    with dispatch.kernels("reference"):
        want = second(values)
    for got, expected in zip(second(values), want):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


# ----- embedding of any index shape, and rows picked by integer arrays of any integer dtype -----
EMBEDDING_CASES = [((), 5, 3), ((4,), 1, 2), ((2, 3), 5, 1), ((3, 2), 4, 3)]  # (index shape, rows, row size)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("idx_shape, num, dim", EMBEDDING_CASES)
def test_embedding_of_any_index_shape_matches_torch(idx_shape, num, dim, dtype):
    rng = np.random.default_rng(num * 10 + dim)
    idx, w = rng.integers(0, num, idx_shape), rng.standard_normal((num, dim)).astype(dtype)
    ours, theirs = tg.tensor(w, dtype=dtype, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = F.embedding(tg.tensor(idx), ours)
    yt = torch.nn.functional.embedding(torch.tensor(idx), theirs)
    assert y.shape == tuple(yt.shape) and y.dtype == dtype
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), **tol)
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(tg.tensor(g, dtype=dtype))
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **tol)


@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32, np.int16])
def test_rows_picked_by_an_integer_array_sum_their_gradients_like_torch(idx_dtype):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((5, 2, 3))
    idx = np.array([[4, 0, 4], [1, 4, 2]], dtype=idx_dtype)
    signed = idx.astype(np.int64) - 5 * (idx % 2)  # odd rows given as negative indices (the same rows)
    for pick in (idx, signed):
        g = rng.standard_normal(pick.shape + (2, 3))
        x = tg.tensor(w, dtype=np.float64, requires_grad=True)
        x[pick].backward(tg.tensor(g, dtype=np.float64))
        tw = torch.tensor(w, requires_grad=True)
        tw[torch.from_numpy(pick.astype(np.int64))].backward(torch.tensor(g))
        np.testing.assert_allclose(x.grad.numpy(), tw.grad.numpy(), rtol=1e-12)


def test_a_uint8_index_is_a_mask_as_in_pytorch():
    w = np.arange(15.0).reshape(5, 3)
    mask = np.array([1, 0, 1, 1, 0], dtype=np.uint8)
    with pytest.warns(UserWarning, match="uint8"):
        got = tg.tensor(w, dtype=np.float64)[mask]
    with pytest.warns(UserWarning, match="uint8"):
        want = torch.tensor(w)[torch.from_numpy(mask)]
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert got.shape == (3, 3)
    with pytest.raises(IndexError), pytest.warns(UserWarning, match="uint8"):
        tg.tensor(w)[np.array([4, 0, 4], dtype=np.uint8)]  # PyTorch: a mask of the wrong shape, refused


# ----- diagonals, triangles and nonzero: the names PyTorch users port -----
@pytest.mark.parametrize("shape, args", [((3, 4), ()), ((3, 4), (1,)), ((3, 4), (-2,)), ((3, 4), (5,)),
                                         ((2, 3, 4), (0, 1, 2)), ((2, 3, 4), (1, -1, 0)), ((2, 3, 4), (-1, 2, 0)),
                                         ((4, 2, 3, 2), (0, 3, 1))])
def test_diagonal_matches_torch_values_shapes_and_gradients(shape, args):
    x = np.random.default_rng(0).standard_normal(shape)
    matches_torch(lambda a: a.diagonal(*args), lambda a: a.diagonal(*args), [x], tol=TORCH_TOL)
    matches_torch(lambda a: tg.diagonal(a, *args), lambda a: torch.diagonal(a, *args), [x], tol=TORCH_TOL)


def test_diagonal_takes_pytorchs_keywords():
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    matches_torch(lambda a: a.diagonal(offset=1, dim1=2, dim2=1), lambda a: a.diagonal(offset=1, dim1=2, dim2=1),
                  [x], tol=TORCH_TOL)


@pytest.mark.parametrize("shape", [(3,), (1,), (3, 4), (4, 2), (0,)])
@pytest.mark.parametrize("k", [0, 1, -2])
def test_diag_builds_a_matrix_from_a_vector_and_takes_a_matrixs_diagonal_like_torch(shape, k):
    x = np.random.default_rng(2).standard_normal(shape)
    matches_torch(lambda a: tg.diag(a, k), lambda a: torch.diag(a, k), [x], tol=TORCH_TOL)
    matches_torch(lambda a: a.diag(diagonal=k), lambda a: a.diag(diagonal=k), [x], tol=TORCH_TOL)


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (2, 3, 3), (0, 2)])
@pytest.mark.parametrize("k", [0, 1, -1, 5, -5])
def test_tril_and_triu_match_torch_values_and_gradients(name, shape, k):
    x = np.random.default_rng(3).standard_normal(shape)
    matches_torch(lambda a: getattr(a, name)(k), lambda a: getattr(a, name)(k), [x], tol=TORCH_TOL)
    matches_torch(lambda a: getattr(tg, name)(a, diagonal=k), lambda a: getattr(torch, name)(a, diagonal=k), [x],
                  tol=TORCH_TOL)


def test_tril_and_triu_write_zeros_over_infinities_and_keep_integer_dtypes_like_torch():
    x = np.array([[1.0, np.inf], [-np.inf, 2.0]])
    np.testing.assert_array_equal(tg.tensor(x).tril().numpy(), torch.tensor(x).tril().numpy())
    np.testing.assert_array_equal(tg.tensor(x).triu().numpy(), torch.tensor(x).triu().numpy())
    ints = tg.tensor(np.arange(9).reshape(3, 3))
    assert ints.tril().dtype == np.int64
    np.testing.assert_array_equal(ints.triu(1).numpy(), torch.arange(9).reshape(3, 3).triu(1).numpy())


@pytest.mark.parametrize("x", [np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]]), np.array([0, 3, 0, 4]),
                               np.array(3.0), np.array(0.0), np.zeros((2, 0)), np.array([[True, False]]),
                               np.zeros((2, 3))])
def test_nonzero_matches_torch_in_both_forms(x):
    ours, theirs = tg.tensor(x).nonzero(), torch.tensor(x).nonzero()
    assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ours_t, theirs_t = tg.nonzero(tg.tensor(x), as_tuple=True), torch.nonzero(torch.tensor(x), as_tuple=True)
    assert type(ours_t) is tuple and len(ours_t) == len(theirs_t)
    for o, t in zip(ours_t, theirs_t):
        assert o.dtype == np.int64
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_nonzero_as_tuple_indexes_with_the_gradient_landing_on_the_picked_elements():
    x = np.array([[0.5, -1.0, 2.0], [-3.0, 4.0, -0.1]])
    matches_torch(lambda a: a[(a > 0).nonzero(as_tuple=True)], lambda a: a[(a > 0).nonzero(as_tuple=True)], [x],
                  tol=TORCH_TOL)
    assert not tg.tensor(x, requires_grad=True).nonzero().requires_grad


@pytest.mark.parametrize("op, error, pattern", [
    (lambda: tg.randn(3).diagonal(), ValueError, r"diagonal: .*at least 2 dimensions.*\(3,\)"),
    (lambda: tg.randn(2, 3).diagonal(0, 1, -1), ValueError, r"diagonal: dim1 and dim2 are both axis 1"),
    (lambda: tg.randn(2, 3).diagonal(0, 0, 2), ValueError, r"diagonal: axis 2.*\(2, 3\)"),
    (lambda: tg.randn(2, 3).diagonal(0.5), TypeError, r"diagonal: offset must be an int"),
    (lambda: tg.diag(tg.randn(2, 3, 4)), ValueError, r"diag: expects a 1-D or 2-D tensor.*\(2, 3, 4\)"),
    (lambda: tg.diag(tg.tensor(1.0)), ValueError, r"diag: expects a 1-D or 2-D tensor.*\(\)"),
    (lambda: tg.diag(tg.randn(3), 1.0), TypeError, r"diag: diagonal must be an int"),
    (lambda: tg.randn(3).tril(), ValueError, r"tril: .*at least 2 dimensions.*\(3,\)"),
    (lambda: tg.randn(3).triu(), ValueError, r"triu: .*at least 2 dimensions.*\(3,\)"),
    (lambda: tg.randn(3, 3).triu(0.5), TypeError, r"triu: diagonal must be an int"),
])
def test_diagonal_diag_and_triangles_refuse_bad_input_naming_the_op(op, error, pattern):
    with pytest.raises(error, match=pattern):
        op()


# ----- index_select and take_along_dim: PyTorch's names, values, gradients and errors -----
@pytest.mark.parametrize("shape, axis, index", [((3, 4), 0, [2, 0, 2]), ((3, 4), -1, [3, 3, 1, 0, 1]),
                                                ((2, 3, 4), 1, [1]), ((3, 4), 1, []), ((5,), 0, [4, 0])])
def test_index_select_matches_torch_values_and_gradients(shape, axis, index):
    x = np.random.default_rng(30).standard_normal(shape)
    idx = np.array(index, dtype=np.int64)
    matches_torch(lambda a: a.index_select(axis, tg.tensor(idx)),
                  lambda a: a.index_select(axis, torch.from_numpy(idx)), [x], tol=TORCH_TOL)
    matches_torch(lambda a: tg.index_select(a, dim=axis, index=tg.tensor(idx)),
                  lambda a: torch.index_select(a, dim=axis, index=torch.from_numpy(idx)), [x], tol=TORCH_TOL)


def test_index_select_takes_int32_and_scalar_indices_and_a_scalar_input_like_torch():
    x = np.arange(12.0).reshape(3, 4)
    idx32 = np.array([2, 0], dtype=np.int32)
    np.testing.assert_array_equal(tg.tensor(x).index_select(0, tg.tensor(idx32)).numpy(),
                                  torch.tensor(x).index_select(0, torch.from_numpy(idx32)).numpy())
    # a 0-d index keeps the axis, with one element
    assert tg.tensor(x).index_select(1, tg.tensor(2)).shape == tuple(torch.tensor(x).index_select(
        1, torch.tensor(2)).shape) == (3, 1)
    s = tg.tensor(2.0, requires_grad=True)
    y = s.index_select(0, tg.tensor([0]))
    assert y.shape == tuple(torch.tensor(2.0).index_select(0, torch.tensor([0])).shape) == ()
    y.backward()
    assert s.grad.item() == 1.0


def test_index_select_result_is_contiguous_as_torchs():
    x = np.arange(12.0).reshape(3, 4)
    ours = tg.tensor(x).index_select(1, tg.tensor([0, 2]))
    assert ours.is_contiguous() and torch.tensor(x).index_select(1, torch.tensor([0, 2])).is_contiguous()
    np.testing.assert_array_equal(ours.view(-1).numpy(), x[:, [0, 2]].reshape(-1))


@pytest.mark.parametrize("index, error, pattern", [
    ([[0, 1]], IndexError, r"index_select: index is supposed to be a vector, got shape \(1, 2\)"),
    ([0.0, 1.0], TypeError, r"index_select: index must hold integers .* got dtype float"),
    ([0, 3], IndexError, r"index_select: index values span \[0, 3\] but axis 0 has size 3"),
    ([-1], IndexError, r"index_select: index values span \[-1, -1\].*negative indices are refused"),
])
def test_index_select_refuses_bad_indices_like_torch(index, error, pattern):
    with pytest.raises((IndexError, RuntimeError)):
        torch.zeros(3, 4).index_select(0, torch.tensor(index))
    with pytest.raises(error, match=pattern):
        tg.zeros(3, 4).index_select(0, tg.tensor(index) if not isinstance(index[0], float) else np.array(index))


def test_index_select_with_a_repeated_index_adds_up_the_gradient():
    x = tg.tensor(np.zeros((3, 2)), dtype=np.float64, requires_grad=True)
    x.index_select(0, tg.tensor([1, 1, 1, 0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 1.0], [3.0, 3.0], [0.0, 0.0]])


@pytest.mark.parametrize("x_shape, idx_shape, axis", [
    ((3, 4), (3, 4), -1), ((3, 4), (3, 2), 1), ((3, 4), (2, 4), 0), ((3, 4), (1, 2), 1), ((3, 1), (3, 5), 0),
    ((2, 3, 4), (2, 1, 4), 1), ((3, 4), (2, 3), None), ((5,), (7,), 0)])
def test_take_along_dim_matches_torch_values_and_gradients(x_shape, idx_shape, axis):
    x = np.random.default_rng(31).standard_normal(x_shape)
    n = int(np.prod(x_shape)) if axis is None else x_shape[axis]
    idx = (np.arange(int(np.prod(idx_shape))).reshape(idx_shape) * 5 + 1) % n
    matches_torch(lambda a: a.take_along_dim(tg.tensor(idx), axis),
                  lambda a: a.take_along_dim(torch.from_numpy(idx), axis), [x], tol=TORCH_TOL)
    matches_torch(lambda a: tg.take_along_dim(a, tg.tensor(idx), dim=axis),
                  lambda a: torch.take_along_dim(a, torch.from_numpy(idx), dim=axis), [x], tol=TORCH_TOL)


def test_take_along_dim_with_argsort_sorts_like_torch():
    x = np.random.default_rng(32).standard_normal((3, 5))
    matches_torch(lambda a: a.take_along_dim(a.argsort(dim=1), dim=1),
                  lambda a: a.take_along_dim(a.argsort(dim=1), dim=1), [x], tol=TORCH_TOL)


@pytest.mark.parametrize("idx, axis, error, pattern", [
    (np.zeros(3, dtype=np.int64), 0, ValueError, r"take_along_dim: x and indices should have the same number of "
                                                 r"dimensions, but got shapes \(3, 4\) and \(3,\)"),
    (np.zeros((2, 3), dtype=np.int64), 0, ValueError, r"take_along_dim: .*do not broadcast on the axes other than 0"),
    (np.zeros((3, 4)), 0, TypeError, r"take_along_dim: indices must hold integers"),
])
def test_take_along_dim_refuses_bad_indices_like_torch(idx, axis, error, pattern):
    with pytest.raises(RuntimeError):
        torch.zeros(3, 4).take_along_dim(torch.from_numpy(idx), axis)
    with pytest.raises(error, match=pattern):
        tg.zeros(3, 4).take_along_dim(tg.tensor(idx) if idx.dtype.kind == "i" else idx, axis)


def test_advanced_indexing_results_are_contiguous_as_in_torch():
    x = np.arange(24.0).reshape(2, 3, 4)
    for idx in ((slice(None), [0, 2]), (slice(None), slice(None), [3, 1]), (1, slice(None), [0, 2]),
                (Ellipsis, np.array([True, False, True, True]))):
        ours, theirs = tg.tensor(x)[idx], torch.tensor(x)[idx]
        assert ours.is_contiguous() == theirs.is_contiguous() is True
        assert ours.view(-1).shape == tuple(theirs.view(-1).shape)
