"""Scans and sorting: cumsum, cumprod, logcumsumexp, cummax, cummin, sort, argsort, topk (ops/scans.py)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_gen as tg
from family_checks import FamilyChecks, matches_torch
from tinygrad_gen.ops import scans


class TestScansRows(FamilyChecks):
    family = scans


# values and gradients against PyTorch's, for matches_torch
EXACT = dict(tol=dict(rtol=1e-12, atol=0), grad_tol=dict(rtol=1e-10, atol=1e-12))


# ----- axis=/dim=, 0-d tensors and axis=None -----
# name: (ours(x, axis-keyword), PyTorch's twin(t, dim)); each returns one tensor
SCANS = {
    "cumsum": (lambda x, **k: x.cumsum(**k), lambda t, d: t.cumsum(d)),
    "cumprod": (lambda x, **k: x.cumprod(**k), lambda t, d: t.cumprod(d)),
    "logcumsumexp": (lambda x, **k: x.logcumsumexp(**k), lambda t, d: t.logcumsumexp(d)),
    "cummax": (lambda x, **k: x.cummax(**k).values, lambda t, d: t.cummax(d).values),
    "cummin": (lambda x, **k: x.cummin(**k).indices, lambda t, d: t.cummin(d).indices),
    "sort": (lambda x, **k: x.sort(**k).indices, lambda t, d: t.sort(dim=d, stable=True).indices),
    "argsort": (lambda x, **k: x.argsort(**k), lambda t, d: t.argsort(dim=d, stable=True)),
    "topk": (lambda x, **k: x.topk(2, **k).values, lambda t, d: t.topk(2, d).values),
}


@pytest.mark.parametrize("name", sorted(SCANS))
def test_dim_is_an_alias_of_axis_with_pytorchs_values(name):
    ours, theirs = SCANS[name]
    x = np.random.default_rng(0).standard_normal((3, 4))
    t = tg.tensor(x, dtype=np.float64)
    by_dim, by_axis = ours(t, dim=0).numpy(), ours(t, axis=0).numpy()
    np.testing.assert_array_equal(by_dim, by_axis)
    np.testing.assert_allclose(by_dim, theirs(torch.tensor(x), 0).numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(SCANS))
def test_the_tg_functions_are_the_methods(name):
    x = tg.tensor(np.random.default_rng(1).standard_normal((3, 4)), dtype=np.float64)
    args = (2,) if name == "topk" else ()
    ours, theirs = getattr(x, name)(*args, dim=1), getattr(tg, name)(x, *args, dim=1)
    for a, b in zip(ours if isinstance(ours, tuple) else (ours,), theirs if isinstance(theirs, tuple) else (theirs,)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("name", sorted(SCANS))
def test_axis_and_dim_together_is_a_type_error_naming_the_op(name):
    args = (2,) if name == "topk" else ()
    with pytest.raises(TypeError, match=rf"^{name}: .*axis=0.*dim=1"):
        getattr(tg.randn(3, 4), name)(*args, axis=0, dim=1)


@pytest.mark.parametrize("name", sorted(SCANS))
def test_an_axis_out_of_range_is_an_error_naming_the_op(name):
    args = (2,) if name == "topk" else ()
    with pytest.raises(ValueError, match=rf"{name}: axis 2 is out of range"):
        getattr(tg.randn(3, 4), name)(*args, axis=2)


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("name", ["cumsum", "cumprod", "logcumsumexp", "cummax", "cummin"])
def test_0d_tensors_are_scanned_as_one_element_like_torch(name, axis):
    def scan(x):
        y = getattr(x, name)(axis)
        return y.values if name in ("cummax", "cummin") else y
    out, _ = matches_torch(scan, scan, [1.5], grad=3.0, tol=dict(rtol=1e-7, atol=0))
    assert out.shape == ()


def test_0d_tensors_sort_argsort_and_topk_as_one_element():
    s = tg.tensor(3.0, requires_grad=True)
    values, indices = s.sort()
    assert values.shape == indices.shape == () and values.item() == 3.0 and indices.item() == 0
    assert s.argsort().shape == () and s.argsort().item() == 0
    assert s.topk(1).values.item() == 3.0 and s.topk(1, axis=0).values.shape == ()
    values.backward()
    assert s.grad.item() == 1.0


def test_scans_without_an_axis_run_over_the_flattened_tensor_as_numpy():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    np.testing.assert_array_equal(tg.tensor(x).cumsum().numpy(), np.cumsum(x))
    np.testing.assert_array_equal(tg.cumprod(x).numpy(), np.cumprod(x))
    np.testing.assert_array_equal(tg.tensor(x).cummax().indices.numpy(), np.arange(6))


def test_topk_with_k_out_of_range_is_an_error_naming_k_and_the_axis():
    with pytest.raises(ValueError, match=r"topk: k=5 is out of range for axis 1 of size 4"):
        tg.randn(3, 4).topk(5)
    with pytest.raises(ValueError, match=r"topk: k=-1"):
        tg.randn(3, 4).topk(-1, axis=0)


# ----- values and gradients the rows do not reach -----
@settings(max_examples=10)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), seed=st.integers(0, 2 ** 16),
       zeros=st.integers(1, 3))
def test_cumprod_gradients_at_zeros_match_torch(shape, seed, zeros):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    x.reshape(-1)[rng.choice(x.size, min(zeros, x.size), replace=False)] = 0.0
    matches_torch(lambda a: a.cumprod(axis=-1), lambda a: a.cumprod(-1), [x], **EXACT)
    matches_torch(lambda a: a.cumprod(axis=0), lambda a: a.cumprod(0), [x], **EXACT)
    assert tg.gradcheck(lambda a: a.cumprod(axis=0), [tg.tensor(x, dtype=np.float64, requires_grad=True)])


def test_logcumsumexp_is_finite_and_exact_over_a_wide_range():
    x = np.array([-300.0, 0.0, 5.0, -3.0, 400.0, -np.inf])
    matches_torch(lambda a: a.logcumsumexp(axis=0), lambda a: a.logcumsumexp(0), [x], **EXACT)


def test_logcumsumexp_of_a_leading_minus_inf_is_minus_inf_with_zero_gradient():
    x = tg.tensor([-np.inf, -np.inf, 1.0], dtype=np.float64, requires_grad=True)
    y = x.logcumsumexp(axis=0)
    y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [-np.inf, -np.inf, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])  # PyTorch gives NaN for the -inf entries


@settings(max_examples=10)
@given(x=hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=st.integers(-2, 2)),
       descending=st.booleans())
def test_sort_is_stable_and_its_indices_match_torch_stable_sort_with_ties(x, descending):
    ours = tg.tensor(x).sort(axis=-1, descending=descending)
    theirs = torch.tensor(x).sort(dim=-1, descending=descending, stable=True)
    assert np.array_equal(ours.values.numpy(), theirs.values.numpy())
    assert np.array_equal(ours.indices.numpy(), theirs.indices.numpy())
    assert np.array_equal(tg.tensor(x).argsort(axis=0, descending=descending).numpy(),
                          torch.tensor(x).argsort(dim=0, descending=descending, stable=True).numpy())


def test_sort_descending_is_exact_at_integer_extremes():
    x = np.array([np.iinfo(np.int64).min, 0, np.iinfo(np.int64).max])
    assert tg.tensor(x).sort(descending=True).values.tolist() == [x[2], 0, x[0]]


def test_sort_and_topk_send_each_gradient_back_to_the_element_it_came_from():
    x = np.array([[3.0, -1.0, 2.0, 0.5], [0.0, 4.0, -2.0, 1.0]])
    matches_torch(lambda a: a.sort(axis=1, descending=True).values * tg.tensor([1.0, 2.0, 3.0, 4.0]),
                  lambda a: a.sort(1, descending=True).values * torch.tensor([1.0, 2.0, 3.0, 4.0]),
                  [x], **EXACT)
    matches_torch(lambda a: a.topk(3, axis=1, largest=False).values, lambda a: a.topk(3, 1, largest=False).values,
                  [x], **EXACT)


@settings(max_examples=10)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                    elements=st.sampled_from([-1.0, 0.0, 0.5, 2.0])))
def test_cummax_and_cummin_values_indices_and_gradients_match_torch_with_ties(x):
    for ours, theirs in ((lambda a: a.cummax(axis=-1), lambda a: a.cummax(-1)),
                         (lambda a: a.cummin(axis=0), lambda a: a.cummin(0))):
        got, want = ours(tg.tensor(x, dtype=np.float64)), theirs(torch.tensor(x))
        assert np.array_equal(got.values.numpy(), want.values.numpy())
        assert np.array_equal(got.indices.numpy(), want.indices.numpy())
        matches_torch(lambda a, f=ours: f(a).values, lambda a, f=theirs: f(a).values, [x], **EXACT)


def test_topk_smallest_and_indices_match_torch():
    x = np.random.default_rng(0).permutation(20).reshape(4, 5).astype(np.float64)
    ours, theirs = tg.tensor(x).topk(3, axis=0, largest=False), torch.tensor(x).topk(3, 0, largest=False)
    assert np.array_equal(ours.values.numpy(), theirs.values.numpy())
    assert np.array_equal(ours.indices.numpy(), theirs.indices.numpy())


# ----- saved state -----
@pytest.mark.parametrize("op", [lambda x: x.sort(axis=1), lambda x: x.topk(2), lambda x: x.cummax(axis=1)],
                         ids=["sort", "topk", "cummax"])
def test_indices_changed_in_place_after_the_forward_are_caught_at_backward_as_in_pytorch(op):
    x = tg.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], requires_grad=True)
    values, indices = op(x)
    with tg.no_grad():
        indices.fill_(0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        values.sum().backward()


def test_the_input_of_cummax_changed_in_place_is_caught_at_backward_as_in_pytorch():
    x = tg.tensor([[3.0, 1.0, 2.0]], requires_grad=True)
    y = x * 1
    values = y.cummax(axis=1).values
    with tg.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="Gather.*modified by an inplace operation"):
        values.sum().backward()


# ----- empty tensors -----
@pytest.mark.parametrize("axis", [0, 1])
def test_cumsum_of_an_empty_tensor_is_empty_like_torch_without_warnings(axis):
    import warnings

    x = tg.zeros(0, 3, dtype=np.float64, requires_grad=True)
    xt = torch.zeros(0, 3, dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warnings either
        y = x.cumsum(axis=axis)
    yt = xt.cumsum(dim=axis)
    assert y.shape == tuple(yt.shape) == (0, 3)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy())
    y.sum().backward()
    assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("axis", [0, 1])
def test_logcumsumexp_of_an_empty_tensor_has_an_empty_gradient_like_torch(axis):
    x = tg.zeros(0, 3, dtype=np.float64, requires_grad=True)
    x.logcumsumexp(axis=axis).sum().backward()
    t = torch.zeros(0, 3, dtype=torch.float64, requires_grad=True)
    torch.logcumsumexp(t, axis).sum().backward()
    assert x.grad.shape == tuple(t.grad.shape) == (0, 3)


# ----- diff -----
@pytest.mark.parametrize("n, dim", [(1, -1), (2, 0), (3, 1), (0, 1), (5, 1), (1, -2)])
def test_diff_matches_torch_values_and_gradients(n, dim):
    x = np.random.default_rng(50).standard_normal((3, 4))
    matches_torch(lambda a: a.diff(n, dim), lambda a: a.diff(n, dim), [x], **EXACT)
    matches_torch(lambda a: tg.diff(a, n=n, dim=dim), lambda a: torch.diff(a, n=n, dim=dim), [x], **EXACT)


@pytest.mark.parametrize("before, after", [((3, 1), None), (None, (3, 2)), ((3, 2), (3, 1)), ((3, 0), (3, 0))])
def test_diff_with_prepend_and_append_matches_torch_gradients_included(before, after):
    rng = np.random.default_rng(51)
    x = rng.standard_normal((3, 4))
    b = None if before is None else rng.standard_normal(before)
    c = None if after is None else rng.standard_normal(after)
    matches_torch(lambda a, p, q: a.diff(2, 1, prepend=p, append=q),
                  lambda a, p, q: a.diff(2, 1, prepend=p, append=q), [x, b, c], **EXACT)


def test_diff_of_booleans_and_integers_matches_torch():
    for x in (np.array([True, False, False, True]), np.array([1, 5, 2, 2]), np.array([[1, 4], [9, 16]])):
        ours, theirs = tg.tensor(x).diff(), torch.tensor(x).diff()
        assert ours.numpy().dtype == theirs.numpy().dtype
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(tg.tensor([True, False, False]).diff(2).numpy(),
                                  torch.tensor([True, False, False]).diff(2).numpy())


@pytest.mark.parametrize("call, error, pattern", [
    (lambda m, x: m.diff(x, n=-1), ValueError, r"diff: order must be non-negative but got -1"),
    (lambda m, x: m.diff(m.tensor(1.0)), ValueError, r"diff: expects input to be at least one-dimensional"),
    (lambda m, x: m.diff(x, prepend=m.zeros(3)), ValueError, r"diff: prepend of shape \(3,\) must have the same "
                                                             r"number of dimensions as x \(3, 4\)"),
    (lambda m, x: m.diff(x, append=m.zeros(2, 1)), ValueError, r"diff: append of shape \(2, 1\) must match x "
                                                               r"\(3, 4\) except along axis 1"),
    (lambda m, x: m.diff(x, prepend=2.0), TypeError, r"diff: prepend must be a Tensor, got float"),
    (lambda m, x: m.diff(x, dim=2), ValueError, r"diff: axis 2 is out of range"),
])
def test_diff_refuses_bad_input_like_torch(call, error, pattern):
    with pytest.raises((RuntimeError, TypeError, IndexError)):
        call(torch, torch.zeros(3, 4))
    with pytest.raises(error, match=pattern):
        call(tg, tg.zeros(3, 4))
