"""Reductions: sum, mean, max, min, logsumexp, prod, var, std, argmax, argmin, all, any (ops/reductions.py), and
the BLAS fast paths of sum and mean (ops/fast/reductions.py)."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_gen as tg
from family_checks import FamilyChecks, matches_torch
from tinygrad_gen import binding, dispatch
from tinygrad_gen.ops import reductions
from tinygrad_gen.ops.fast.fast_math import fast_mean, fast_sum
from tinygrad_gen.ops.fast.reductions import FastMean, FastSum
from tinygrad_gen.ops.reductions import Mean, Sum

I64 = np.iinfo(np.int64)


class TestReductionsRows(FamilyChecks):
    family = reductions


# ----- one axis=/dim= rule over every reduction -----
# name: (ours(x, **kwargs), PyTorch's values for (x, dim, keepdim)); x is float64, so all/any test x != 0
REDUCTIONS = {
    "sum": lambda t, d, k: t.sum(d, keepdim=k),
    "mean": lambda t, d, k: t.mean(d, keepdim=k),
    "amax": lambda t, d, k: t.amax(d, keepdim=k),
    "amin": lambda t, d, k: t.amin(d, keepdim=k),
    "logsumexp": lambda t, d, k: torch.logsumexp(t, d, keepdim=k),
    "prod": lambda t, d, k: t.prod(d, keepdim=k),
    "var": lambda t, d, k: t.var(d, keepdim=k),
    "std": lambda t, d, k: t.std(d, keepdim=k),
    "argmax": lambda t, d, k: t.argmax(d, keepdim=k),
    "argmin": lambda t, d, k: t.argmin(d, keepdim=k),
    "all": lambda t, d, k: t.all(d, keepdim=k),
    "any": lambda t, d, k: t.any(d, keepdim=k),
}
TG_FUNCTIONS = sorted(REDUCTIONS)


def _values():
    x = np.random.default_rng(0).standard_normal((3, 4, 2))
    x[0, 1, 0] = x[2, 3, 1] = 0.0  # zeros for all/any and prod
    return x


@pytest.mark.parametrize("keepdim", [True, False])
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_dim_and_keepdim_are_aliases_of_axis_and_keepdims_with_pytorchs_values(name, keepdim):
    x = _values()
    t = tg.tensor(x, dtype=np.float64)
    by_dim = getattr(t, name)(dim=1, keepdim=keepdim).numpy()
    by_axis = getattr(t, name)(axis=1, keepdims=keepdim).numpy()
    want = REDUCTIONS[name](torch.tensor(x), 1, keepdim).numpy()
    np.testing.assert_array_equal(by_dim, by_axis)
    assert by_dim.shape == want.shape and by_dim.dtype == want.dtype
    np.testing.assert_allclose(by_dim, want, rtol=1e-12, atol=1e-14)
    # positional, as in PyTorch: var and std take (dim, unbiased, keepdim)
    positional = (1, True, keepdim) if name in ("var", "std") else (1, keepdim)
    np.testing.assert_array_equal(getattr(t, name)(*positional).numpy(), by_dim)
    if name in TG_FUNCTIONS:
        np.testing.assert_array_equal(getattr(tg, name)(t, dim=1, keepdim=keepdim).numpy(), by_dim)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_axis_and_dim_together_is_a_type_error_naming_the_op(name):
    t = tg.randn(3, 4)
    with pytest.raises(TypeError, match=rf"^{name}: .*axis=0.*dim=1"):
        getattr(t, name)(axis=0, dim=1)
    with pytest.raises(TypeError, match=rf"^{name}: .*keepdims.*keepdim"):
        getattr(t, name)(axis=0, keepdims=True, keepdim=True)
    if name in TG_FUNCTIONS:
        with pytest.raises(TypeError, match=rf"^{name}: "):
            getattr(tg, name)(t, axis=0, dim=1)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "logsumexp", "prod", "var", "std", "all", "any"])
def test_a_tuple_of_dims_reduces_them_all(name):
    x = _values()
    ours = getattr(tg.tensor(x, dtype=np.float64), name)(dim=(0, 2), keepdim=True).numpy()
    want = (np.prod(x, axis=(0, 2), keepdims=True) if name == "prod"  # torch.prod takes one dim
            else REDUCTIONS[name](torch.tensor(x), (0, 2), True).numpy())
    np.testing.assert_allclose(ours, want, rtol=1e-12)


# ----- errors -----
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_an_axis_out_of_range_is_an_error_naming_the_op_and_the_axis(name):
    with pytest.raises(ValueError, match=rf"{name}.*axis 2"):
        getattr(tg.randn(3, 4), name)(axis=2)


@pytest.mark.parametrize("op, shape, kwargs", [("var", (2, 3), dict(dim=1, correction=3)),
                                              ("std", (2, 3), dict(dim=1, correction=4)),
                                              ("var", (2, 1), dict(dim=1)), ("std", (1,), {})])
def test_var_and_std_without_degrees_of_freedom_give_pytorchs_inf_or_nan_and_warn(op, shape, kwargs):
    x = np.random.default_rng(0).standard_normal(shape)
    ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with pytest.warns(UserWarning, match=rf"{op}\(\): degrees of freedom is <= 0.*correction="):
        y = getattr(ours, op)(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(theirs, op)(**kwargs)
    np.testing.assert_array_equal(y.numpy(), want.detach().numpy())


VAR_SPELLINGS = [  # (ours, PyTorch's) on a (3, 4) tensor
    (lambda t: t.var(), lambda t: t.var()),
    (lambda t: t.var(False), lambda t: t.var(False)),
    (lambda t: t.var(0, False), lambda t: t.var(0, False)),
    (lambda t: t.var(1, True, True), lambda t: t.var(1, True, True)),
    (lambda t: t.var(dim=1, unbiased=False, keepdim=True), lambda t: t.var(dim=1, unbiased=False, keepdim=True)),
    (lambda t: t.var(dim=0, correction=0), lambda t: t.var(dim=0, correction=0)),
    (lambda t: t.var(correction=2.5), lambda t: t.var(correction=2.5)),
    (lambda t: t.var(axis=1, ddof=0), lambda t: t.var(dim=1, correction=0)),
    (lambda t: t.std(), lambda t: t.std()),
    (lambda t: t.std(0, False, True), lambda t: t.std(0, False, True)),
    (lambda t: t.std(dim=(0, 1), correction=0), lambda t: t.std(dim=(0, 1), correction=0)),
    (lambda t: tg.var(t, 1, ddof=1), lambda t: torch.var(t, 1)),
    (lambda t: tg.std(t, dim=0, unbiased=False), lambda t: torch.std(t, dim=0, unbiased=False)),
]


@pytest.mark.parametrize("i", range(len(VAR_SPELLINGS)))
def test_var_and_std_take_unbiased_correction_and_ddof_with_pytorchs_defaults_and_values(i):
    ours, theirs = VAR_SPELLINGS[i]
    matches_torch(ours, theirs, [np.random.default_rng(i).standard_normal((3, 4))], tol=dict(rtol=1e-12, atol=0))


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
@pytest.mark.parametrize("kwargs", [{}, dict(dim=1), dict(dim=0, correction=0, keepdim=True),
                                    dict(dim=(0, 1), unbiased=False)])
def test_var_mean_and_std_mean_are_tuples_with_torchs_values(name, kwargs):
    x = np.random.default_rng(1).standard_normal((3, 4))
    ours = getattr(tg, name)(tg.tensor(x, dtype=np.float64), **kwargs)
    theirs = getattr(torch, name)(torch.tensor(x), **kwargs)
    assert type(ours) is tuple and len(ours) == 2
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape)
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["var", "std", "var_mean", "std_mean"])
def test_two_corrections_at_once_are_an_error_naming_the_op(name):
    t = tg.randn(3, 4)
    for kwargs in (dict(unbiased=True, correction=1), dict(correction=0, ddof=0), dict(unbiased=False, ddof=1)):
        with pytest.raises(TypeError, match=rf"^{name}: .*give one of unbiased=, correction="):
            getattr(tg, name)(t, **kwargs)
    with pytest.raises(TypeError, match=rf"^{name}: unbiased must be a bool"):
        getattr(tg, name)(t, unbiased=1)
    with pytest.raises(TypeError, match=rf"^{name}: got unbiased twice"):
        getattr(tg, name)(t, True, unbiased=True)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_reductions_take_one_axis(name):
    with pytest.raises(ValueError, match=rf"{name}: axis must be one int"):
        getattr(tg.randn(2, 3), name)(axis=(0, 1))


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin", "argmax", "argmin"])
def test_extremes_over_a_zero_size_axis_are_errors_naming_the_op(name):
    with pytest.raises(ValueError, match=name):
        getattr(tg.zeros(0, 3), name)()
    with pytest.raises(ValueError, match=name):
        getattr(tg.zeros(0, 3), name)(axis=0)
    out = getattr(tg.zeros(0, 3), name)(axis=1)  # nothing reduced over a zero-size axis: fine
    assert (out.values if name in ("max", "min") else out).shape == (0,)


# ----- special values, 0-d and empty tensors -----
@pytest.mark.parametrize("values", [[I64.min, 0, I64.max], [I64.max, I64.min, I64.min], [5, -3, 5, -3]])
def test_argmin_and_argmax_are_exact_on_integer_extremes(values):
    x = np.array(values)
    for name in ("argmin", "argmax"):
        assert getattr(tg.tensor(x), name)().item() == getattr(torch.tensor(x), name)().item()
    m = np.stack([x, x[::-1]])
    for name in ("argmin", "argmax"):
        ours = getattr(tg.tensor(m), name)(axis=1, keepdims=True).numpy()
        assert np.array_equal(ours, getattr(torch.tensor(m), name)(dim=1, keepdim=True).numpy())


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_and_min_share_the_gradient_among_ties(op):
    x = tg.tensor([[3.0, 1.0, 3.0, 3.0], [0.0, 5.0, -1.0, -1.0]], requires_grad=True)
    getattr(x, "a" + op)(axis=1).sum().backward()
    expected = [[1 / 3, 0, 1 / 3, 1 / 3], [0, 1, 0, 0]] if op == "max" else [[0, 1, 0, 0], [0, 0, 0.5, 0.5]]
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)


EXTREME = np.array([[1e4, 1e4 - 1.0, 1e4 - 30.0], [-1e4, -1e4 + 2.0, -1e4 - 5.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_at_plus_minus_1e4_is_finite_with_the_softmax_as_gradient(dtype):
    x = tg.tensor(EXTREME, dtype=dtype, requires_grad=True)
    out = x.logsumexp(axis=-1)
    out.sum().backward()
    m = EXTREME.max(axis=-1, keepdims=True)
    e = np.exp(EXTREME - m)
    np.testing.assert_allclose(out.numpy(), m[:, 0] + np.log(e.sum(axis=-1)), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), e / e.sum(axis=-1, keepdims=True), atol=1e-6)


def test_logsumexp_of_an_all_minus_inf_row_is_minus_inf_with_zero_gradient():
    x = tg.tensor([[-np.inf, -np.inf], [0.0, -np.inf]], dtype=np.float64, requires_grad=True)
    out = x.logsumexp(axis=1)
    out.sum().backward()
    np.testing.assert_array_equal(out.numpy(), [-np.inf, 0.0])
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.0], [1.0, 0.0]])


@settings(max_examples=10)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), seed=st.integers(0, 2 ** 16),
       zeros=st.integers(1, 3))
def test_prod_gradients_at_zeros_match_torch(shape, seed, zeros):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    x.reshape(-1)[rng.choice(x.size, min(zeros, x.size), replace=False)] = 0.0
    for ours, theirs in ((lambda a: a.prod(axis=0), lambda a: a.prod(0)), (lambda a: a.prod(), lambda a: a.prod()),
                         (lambda a: a.prod(axis=-1, keepdims=True), lambda a: a.prod(-1, keepdim=True))):
        a, t = tg.tensor(x, dtype=np.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, yt = ours(a), theirs(t)
        np.testing.assert_allclose(y.numpy(), yt.detach().numpy())
        y.backward(tg.tensor(np.linspace(-1, 1, y.numel()).reshape(y.shape), dtype=np.float64))
        yt.backward(torch.tensor(np.linspace(-1, 1, yt.numel()).reshape(yt.shape)))
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), atol=1e-12)


def test_prod_second_derivatives_are_exact_with_one_zero_in_a_slice():
    x = np.array([[2.0, 0.0, -1.5], [0.5, 3.0, 1.2]])
    assert tg.gradgradcheck(lambda a: a.prod(axis=1), [tg.tensor(x, dtype=np.float64, requires_grad=True)])
    assert tg.gradgradcheck(lambda a: a.prod(), [tg.tensor(x[1:], dtype=np.float64, requires_grad=True)])


ZERO_D = {
    "sum": (lambda x, ax: x.sum(axis=ax), lambda x, ax: x.sum(dim=ax)),
    "mean": (lambda x, ax: x.mean(axis=ax), lambda x, ax: x.mean(dim=ax)),
    "amax": (lambda x, ax: x.amax(axis=ax), lambda x, ax: x.amax(dim=ax)),
    "amin": (lambda x, ax: x.amin(axis=ax), lambda x, ax: x.amin(dim=ax)),
    "logsumexp": (lambda x, ax: x.logsumexp(axis=ax), lambda x, ax: x.logsumexp(dim=ax)),
    "prod": (lambda x, ax: x.prod(axis=ax), lambda x, ax: x.prod(dim=ax)),
    "var": (lambda x, ax: x.var(axis=ax, ddof=0), lambda x, ax: x.var(dim=ax, correction=0)),
}


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("name", sorted(ZERO_D))
def test_0d_tensors_go_through_the_reductions_forward_and_backward_like_torch(name, axis):
    ours_fn, torch_fn = ZERO_D[name]
    out, _ = matches_torch(lambda x: ours_fn(x, axis), lambda x: torch_fn(x, axis), [1.5], grad=3.0,
                           tol=dict(rtol=1e-7, atol=0))
    assert out.shape == ()


def test_0d_tensors_reduce_without_an_axis_and_refuse_axis_1():
    x = tg.tensor(2.0)
    assert x.sum().item() == 2.0 and x.max().item() == 2.0 and x.argmax().item() == 0 and x.argmax(0).item() == 0
    assert x.all().item() and x.any(0).item()
    with pytest.raises(ValueError, match="sum"):
        x.sum(axis=1)


EMPTY = {
    "sum": (lambda x, ax: x.sum(axis=ax), lambda x, ax: x.sum(dim=ax) if ax is not None else x.sum()),
    "mean": (lambda x, ax: x.mean(axis=ax), lambda x, ax: x.mean(dim=ax) if ax is not None else x.mean()),
    "prod": (lambda x, ax: x.prod(axis=ax), lambda x, ax: x.prod(dim=ax) if ax is not None else x.prod()),
    "logsumexp": (lambda x, ax: x.logsumexp(axis=ax),
                  lambda x, ax: x.logsumexp(dim=ax if ax is not None else (0, 1))),
    "var": (lambda x, ax: x.var(axis=ax), lambda x, ax: x.var(dim=ax)),
    "std": (lambda x, ax: x.std(axis=ax, correction=0), lambda x, ax: x.std(dim=ax, correction=0)),
    "all": (lambda x, ax: x.all(axis=ax), lambda x, ax: x.all(dim=ax) if ax is not None else x.all()),
    "any": (lambda x, ax: x.any(axis=ax), lambda x, ax: x.any(dim=ax) if ax is not None else x.any()),
}


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("name", sorted(EMPTY))
def test_empty_tensors_reduce_to_torchs_values_without_warnings(name, axis):
    ours_fn, torch_fn = EMPTY[name]
    x = tg.zeros(0, 3, dtype=np.float64, requires_grad=True)
    xt = torch.zeros(0, 3, dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns of no degrees of freedom in var
        yt = torch_fn(xt, axis)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy division warnings here
        y = ours_fn(x, axis)
        assert y.shape == tuple(yt.shape)
        np.testing.assert_allclose(y.numpy().astype(np.float64), yt.detach().numpy().astype(np.float64))
        if y.requires_grad:
            y.sum().backward()
            assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("op", ["mean", "var", "std", "var_mean", "std_mean"])
def test_the_mean_and_variance_of_integers_are_refused_as_in_pytorch(op):
    for x in (tg.tensor([[1, 2], [3, 5]]), tg.tensor([True, False])):
        with pytest.raises(RuntimeError, match=rf"{op}: needs a floating-point tensor, got dtype"):
            getattr(tg, op)(x)
    assert tg.tensor([[1, 2], [3, 5]]).float().var(dim=0).tolist() == [2.0, 4.5]


def test_the_output_of_max_changed_in_place_is_caught_at_backward_as_in_pytorch():
    x = tg.tensor([[1.0, 3.0], [2.0, 0.0]], requires_grad=True)
    y = x.amax(axis=1)
    with tg.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="Max.*modified by an inplace operation"):
        y.sum().backward()


# ----- the fast paths against the plain ops -----
def test_sum_and_mean_have_registered_fast_paths():
    assert dispatch.FAST_PATHS[Sum].fast is FastSum and dispatch.FAST_PATHS[Mean].fast is FastMean
    with dispatch.kernels("fast"):
        assert dispatch.pick(Sum) is FastSum and dispatch.pick(Mean) is FastMean
    with dispatch.kernels("reference"):
        assert dispatch.pick(Sum) is Sum and dispatch.pick(Mean) is Mean


# (shape, axes): rows of the trailing axes on both sides of 512 elements, the per-channel (N, C, H, W) layout,
# layouts the fast paths leave to NumPy, and a non-contiguous input
FAST_LAYOUTS = [
    ((6, 511), -1), ((6, 512), -1), ((6, 513), (1,)), ((3, 8, 64), (1, 2)), ((3, 8, 65), (-2, -1)),
    ((4, 3, 5, 7), (0, 2, 3)), ((2, 5, 16, 17), (0, 2, 3)), ((5, 4, 3), (0, 2)), ((6, 40), 0), ((4, 6), None),
    ((3, 4, 0), -1), ("transposed", (1,)),
]


def _fast_input(shape, dtype):
    rng = np.random.default_rng(11)
    if shape == "transposed":
        return tg.tensor(rng.standard_normal((600, 5)).T * 3 + 1, dtype=dtype, requires_grad=True)
    return tg.tensor(rng.standard_normal(shape) * 3 + 1, dtype=dtype, requires_grad=True)


def _run(name, shape, axis, keepdims, dtype, spec):
    with dispatch.kernels(spec):
        x = _fast_input(shape, dtype)
        y = getattr(x, name)(axis=axis, keepdims=keepdims)
        y.backward(tg.tensor(np.linspace(-1, 1, y.numel()).reshape(y.shape), dtype=dtype))
        return y.numpy(), x.grad.numpy()


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, axis", FAST_LAYOUTS, ids=[str(s) for s, _ in FAST_LAYOUTS])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_fast_sum_and_mean_match_the_plain_ops_across_their_thresholds(name, shape, axis, keepdims, dtype):
    want, want_grad = _run(name, shape, axis, keepdims, dtype, "reference")
    got, grad = _run(name, shape, axis, keepdims, dtype, "fast")
    assert got.shape == want.shape and got.dtype == want.dtype == dtype
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-4)
    np.testing.assert_allclose(got, want, **tol)
    np.testing.assert_array_equal(grad, want_grad)  # the backward is the plain op's


@st.composite
def reduction_cases(draw):
    """An array (C-contiguous, or a transposed view) and axes in one of the layouts the helpers special-case
    (trailing axes, all but axis 1) or another; rows from 1 to 600 long, so both sides of the 512 limit."""
    nd = draw(st.integers(2, 4))
    shape = [draw(st.integers(1, 4)) for _ in range(nd)]
    shape[-1] = draw(st.sampled_from([1, 3, 70, 128, 511, 512, 513, 600]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    a = rng.standard_normal(shape) * 3 + 1
    if draw(st.booleans()):
        a = a.swapaxes(0, -1)  # not contiguous: the helpers must fall back to NumPy
    layouts = [tuple(range(k, a.ndim)) for k in range(1, a.ndim)] + [tuple(i for i in range(a.ndim) if i != 1)]
    axes = draw(st.sampled_from(layouts + [(0,), tuple(range(a.ndim))]))
    return a, axes


@settings(max_examples=40)
@given(case=reduction_cases())
def test_the_blas_sum_and_mean_helpers_equal_numpy(case):
    a, axes = case
    np.testing.assert_allclose(fast_sum(a, axes), a.sum(axis=axes, keepdims=True), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(fast_mean(a, axes), a.mean(axis=axes, keepdims=True), rtol=1e-12, atol=1e-12)


def test_argmax_and_argmin_without_an_axis_give_the_flat_index_like_numpy_and_torch():
    v = np.random.default_rng(0).standard_normal((3, 4, 5))
    t = tg.tensor(v, dtype=np.float64)
    for name in ("argmax", "argmin"):
        got = getattr(t, name)()
        assert got.shape == () and got.item() == getattr(v, name)() == getattr(torch.tensor(v), name)().item()


# ----- max/min/median/mode/kthvalue along a dim: PyTorch's (values, indices) -----
@pytest.mark.parametrize("op", ["max", "min", "median", "mode"])
def test_the_dim_forms_return_values_and_indices_as_pytorch_does_ties_included(op):
    rng = np.random.default_rng(1)
    for _ in range(60):
        shape = tuple(rng.integers(1, 5, size=rng.integers(1, 4)))
        x = rng.integers(0, 3, size=shape).astype(np.float32)  # many ties
        dim, keepdim = int(rng.integers(-len(shape), len(shape))), bool(rng.integers(2))
        ours, theirs = getattr(tg.tensor(x), op)(dim, keepdim=keepdim), getattr(torch.tensor(x), op)(dim, keepdim)
        values, indices = ours  # unpacks as a pair, as PyTorch's named tuple does
        np.testing.assert_array_equal(values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        assert indices.dtype == np.int64


def test_max_along_a_dim_sends_the_gradient_to_the_element_its_index_names_as_pytorch():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    ours = tg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    ours.max(dim=1).values.sum().backward()
    theirs.max(dim=1).values.sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_the_three_forms_of_max_and_min():
    x = tg.tensor([[1.0, 5.0], [4.0, 2.0]])
    assert x.max().item() == 5.0 and tg.min(x).item() == 1.0
    assert tg.max(x, tg.tensor([3.0, 3.0])).tolist() == [[3.0, 5.0], [4.0, 3.0]]
    assert x.min(dim=0).indices.tolist() == [0, 1]
    with pytest.raises(TypeError, match=r"max: dim must be one int.*amax"):
        x.max(dim=(0, 1))


def test_median_without_a_dim_is_the_lower_middle_value_and_kthvalue_counts_from_one():
    x = tg.tensor([4.0, 1.0, 3.0, 2.0])
    assert x.median().item() == torch.tensor([4.0, 1.0, 3.0, 2.0]).median().item() == 2.0
    assert x.kthvalue(3).values.item() == 3.0 and x.kthvalue(3).indices.item() == 2
    with pytest.raises(ValueError, match=r"kthvalue: k=5 is out of range 1\.\.4"):
        x.kthvalue(5)


# ----- norm (linalg.vector_norm), nansum, nanmean, count_nonzero, aminmax -----
INF = float("inf")
NORM_TOL = dict(tol=dict(rtol=1e-12, atol=1e-14))


@pytest.mark.parametrize("p", [2, 1, INF, -INF, 3, 1.5, 0.5, -1, "fro", None, 4.0])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (-1, False), (0, True), ((0, 1), False), ((-1, 0), True)])
def test_norm_matches_torch_values_and_gradients(p, dim, keepdim):
    x = np.random.default_rng(40).standard_normal((3, 4))
    matches_torch(lambda a: a.norm(p, dim, keepdim), lambda a: a.norm(p, dim, keepdim), [x], **NORM_TOL)
    matches_torch(lambda a: tg.norm(a, p=p, dim=dim, keepdim=keepdim),
                  lambda a: torch.norm(a, p=p, dim=dim, keepdim=keepdim), [x], **NORM_TOL)


@pytest.mark.parametrize("p", [2, 1, INF, -INF, 3, 1.5, 0.5, -1, -2.5])
def test_the_gradient_of_a_norm_at_the_zero_vector_is_torchs_subgradient_zero(p):
    x = np.zeros((2, 3))
    _, grads = matches_torch(lambda a: a.norm(p, dim=-1), lambda a: a.norm(p, dim=-1), [x])
    assert np.isfinite(grads[0]).all() and (grads[0] == 0).all()


def test_a_norm_with_a_zero_element_matches_torch_for_small_and_negative_p():
    x = np.array([[0.0, 1.0, -2.0], [0.0, 0.0, 3.0]])
    for p in (0.5, -1, -INF, 1, 3, 1.5):
        matches_torch(lambda a, p=p: a.norm(p, dim=1), lambda a, p=p: a.norm(p, dim=1), [x], **NORM_TOL)


def test_the_zero_norm_counts_nonzeros_and_has_no_gradient_like_torch():
    x = np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]])
    ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    n, nt = ours.norm(0, dim=1), theirs.norm(0, dim=1)
    np.testing.assert_array_equal(n.numpy(), nt.detach().numpy())
    assert n.requires_grad and nt.requires_grad
    n.sum().backward()
    nt.sum().backward()
    assert ours.grad is None and theirs.grad is None


def test_second_derivatives_of_the_two_norm_match_torch():
    x, w = np.random.default_rng(41).standard_normal((2, 2, 3))
    ours, theirs = tg.tensor(x, dtype=np.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
    (g,) = tg.grad(ours.norm(dim=1).sum(), [ours], create_graph=True)
    (gt,) = torch.autograd.grad(theirs.norm(dim=1).sum(), [theirs], create_graph=True)
    (g * tg.tensor(w, dtype=np.float64)).sum().backward()
    (gt * torch.tensor(w)).sum().backward()
    assert np.abs(ours.grad.numpy()).max() > 0.1
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call, error, pattern", [
    (lambda m, x: x.norm("nuc"), ValueError, r"norm: p='nuc' \(the nuclear norm.*\) is not supported"),
    (lambda m, x: x.norm("abc"), ValueError, r"norm: p must be 'fro', 'nuc' or a number, got 'abc'"),
    (lambda m, x: x.norm("fro", dim=(0, 1, 2)), ValueError, r"norm: p='fro' is a matrix norm: dim must be"),
    (lambda m, x: x.norm(dim=5), ValueError, r"vector_norm: axis 5 is out of range"),
    (lambda m, x: x.norm(dim=(0, 0)), ValueError, r"vector_norm: dim 0 appears multiple times"),
    (lambda m, x: m.arange(4).norm(), TypeError, r"vector_norm: expected a floating point tensor, got dtype int64"),
    (lambda m, x: m.zeros(0, 3).norm(INF, dim=0), ValueError, r"vector_norm: cannot compute the inf norm over a "
                                                              r"zero-size axis"),
])
def test_norm_refuses_bad_input_like_torch(call, error, pattern):
    with pytest.raises((RuntimeError, IndexError, TypeError)):
        call(torch, torch.zeros(2, 3, 4))
    with pytest.raises(error, match=pattern):
        call(tg, tg.zeros(2, 3, 4))


def test_vector_norm_takes_torch_linalgs_arguments():
    x = np.random.default_rng(42).standard_normal((3, 4))
    vector_norm = binding.accept_aliases(reductions.vector_norm)  # as bound: dim= and keepdim= (no tg.linalg yet)
    matches_torch(lambda a: vector_norm(a, ord=3, dim=1, keepdim=True),
                  lambda a: torch.linalg.vector_norm(a, ord=3, dim=1, keepdim=True), [x], **NORM_TOL)
    ours = reductions.vector_norm(tg.tensor(x), dtype=np.float64)
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours.item(), torch.linalg.vector_norm(torch.tensor(x)).item(), rtol=1e-6)


NAN = float("nan")


@pytest.mark.parametrize("name", ["nansum", "nanmean"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (-1, True), ((0, 1), False)])
def test_nansum_and_nanmean_match_torch_values_and_gradients(name, dim, keepdim):
    x = np.random.default_rng(43).standard_normal((3, 4))
    x[0, 1] = x[2, 0] = x[2, 3] = NAN
    matches_torch(lambda a: getattr(a, name)(dim=dim, keepdim=keepdim),
                  lambda a: getattr(a, name)(dim=dim, keepdim=keepdim), [x], tol=dict(rtol=1e-12, atol=0))
    matches_torch(lambda a: getattr(tg, name)(a, dim, keepdim),
                  lambda a: getattr(torch, name)(a, dim, keepdim), [x], tol=dict(rtol=1e-12, atol=0))


def test_nanmean_of_a_slice_of_nans_only_is_nan_and_integers_are_refused_like_torch():
    x = np.array([[NAN, NAN], [1.0, NAN]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = tg.tensor(x).nanmean(1)
    np.testing.assert_array_equal(ours.numpy(), torch.tensor(x, dtype=torch.float32).nanmean(1).numpy())
    assert np.isnan(ours.numpy()[0]) and ours.numpy()[1] == 1.0
    with pytest.raises(RuntimeError, match="nanmean"):
        torch.tensor([1, 2]).nanmean()
    with pytest.raises(TypeError, match="nanmean: expected a floating point tensor, got dtype int64"):
        tg.tensor([1, 2]).nanmean()
    assert tg.tensor([1, 2]).nanmean(dtype=np.float64).item() == 1.5
    assert tg.tensor([1, 2]).nansum().item() == 3 and tg.nansum(tg.tensor([1.0, NAN]), dtype=np.float64).dtype \
        == np.float64


@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1), (1,)])
def test_count_nonzero_matches_torch(dim):
    x = np.array([[0.0, 1.0, 0.0, -2.0], [3.0, 0.0, 0.0, NAN], [0.0, 0.0, 0.0, 0.0]])
    ours, theirs = tg.tensor(x).count_nonzero(dim), torch.tensor(x).count_nonzero(dim)
    assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(tg.count_nonzero(tg.tensor(x > 0), dim=dim).numpy(),
                                  torch.count_nonzero(torch.tensor(x > 0), dim=dim).numpy())


@pytest.mark.parametrize("dim, keepdim", [(None, False), (None, True), (0, False), (-1, True)])
def test_aminmax_matches_torch_with_its_field_names_and_tied_gradients(dim, keepdim):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])  # ties: PyTorch shares the gradient among them
    ours = tg.tensor(x, dtype=np.float64).aminmax(dim=dim, keepdim=keepdim)
    theirs = torch.aminmax(torch.tensor(x), dim=dim, keepdim=keepdim)
    assert ours._fields == ("min", "max")
    for a, b in ((ours.min, theirs.min), (ours.max, theirs.max)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    matches_torch(lambda a: (lambda r: r.min * 2.0 + r.max * 7.0)(a.aminmax(dim=dim, keepdim=keepdim)),
                  lambda a: (lambda r: r.min * 2.0 + r.max * 7.0)(a.aminmax(dim=dim, keepdim=keepdim)), [x],
                  tol=dict(rtol=1e-12, atol=0))


def test_aminmax_refuses_an_empty_reduction_and_several_dims():
    with pytest.raises((RuntimeError, IndexError), match="non-zero size"):
        torch.zeros(0, 3).aminmax(dim=0)
    with pytest.raises(ValueError, match=r"aminmax: cannot reduce over a zero-size axis \(shape \(0, 3\), dim 0\)"):
        tg.zeros(0, 3).aminmax(dim=0)
    assert tg.zeros(0, 3).aminmax(dim=1).min.shape == tuple(torch.zeros(0, 3).aminmax(dim=1).min.shape)
    with pytest.raises(TypeError, match=r"aminmax: dim must be one int or None, got \(0, 1\)"):
        tg.zeros(2, 3).aminmax(dim=(0, 1))


@pytest.mark.parametrize("dims", [(0, 0), (0,), [1], 0.5])
def test_median_along_several_dims_says_it_takes_one_int(dims):
    with pytest.raises(TypeError, match=r"median: dim takes one int"):
        tg.randn(2, 3).median(dims)
    with pytest.raises(TypeError, match=r"median: dim takes one int"):
        tg.median(tg.randn(2, 3), dim=dims)
