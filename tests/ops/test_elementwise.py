"""Elementwise math on one tensor: the float functions, the trig and hyperbolic ones, the piecewise ones (abs, clip,
rounding), the float tests (ops/elementwise.py), and the erf fast path (ops/fast/elementwise.py)."""
import inspect
import warnings

import numpy as np
import pytest
import torch
from family_checks import FamilyChecks, assert_like_torch

import tinygrad_gen as tg
from tinygrad_gen import Function, dispatch
from tinygrad_gen.ops import elementwise
from tinygrad_gen.ops.fast.elementwise import ERF_MIN_SIZE, FastErf


class TestElementwiseRows(FamilyChecks):
    family = elementwise


def test_every_function_states_its_forward_and_backward():
    for name, cls in vars(elementwise).items():
        if inspect.isclass(cls) and issubclass(cls, Function) and cls.__module__ == elementwise.__name__:
            assert "backward" in cls.__doc__ and "=" in cls.__doc__, name


def test_every_bound_function_has_a_docstring_and_type_hints():
    for row in elementwise.BINDINGS:
        assert row.fn.__doc__, row.fn.__name__
        assert inspect.signature(row.fn).return_annotation is not inspect.Signature.empty, row.fn.__name__


# ----- special values, against PyTorch -----
def test_rsqrt_is_a_to_the_minus_one_half():
    x = tg.tensor([0.25, 4.0], dtype=np.float64, requires_grad=True)
    y = x.rsqrt()
    np.testing.assert_allclose(y.numpy(), [2.0, 0.5])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -0.5 * np.array([0.25, 4.0]) ** -1.5)


@pytest.mark.parametrize("name", ["sign", "round", "floor", "ceil", "trunc"])
def test_rounding_ops_match_torch_and_have_zero_gradient(name):
    x = np.array([-2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5, 1.2, -3.7])
    t = tg.tensor(x, dtype=np.float64, requires_grad=True)
    y = getattr(tg, name)(t)
    assert np.array_equal(y.numpy(), getattr(torch.tensor(x), name)().numpy())
    y.sum().backward()
    assert np.array_equal(t.grad.numpy(), np.zeros_like(x))


@pytest.mark.parametrize("name", ["sign", "round", "floor", "ceil", "trunc"])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_rounding_an_integer_or_boolean_tensor_keeps_its_dtype_and_values(name, dtype):
    values = np.array([-3, 0, 2]) if dtype == "int64" else np.array([True, False])
    ours = getattr(tg.tensor(values), name)()
    assert ours.dtype == values.dtype
    if dtype == "bool" and name != "sign":  # PyTorch rounds no bools (a documented difference: they pass through)
        assert ours.tolist() == values.tolist()
        return
    theirs = getattr(torch.tensor(values), name)()
    assert str(ours.dtype) == str(theirs.dtype)[6:] and ours.tolist() == theirs.tolist()


def test_clip_bounds_are_inclusive_for_the_gradient_like_torch():
    assert_like_torch(lambda x: x.clip(-1.0, 1.0), np.array([-2.0, -1.0, 0.0, 1.0, 2.0]),
                      torch_fn=lambda x: x.clamp(-1.0, 1.0))
    assert_like_torch(lambda x: x.clamp(max=0.5), np.array([-2.0, 0.5, 2.0]), torch_fn=lambda x: x.clamp(max=0.5))


def test_erf_is_exact_in_float64_and_its_values_match_torch():
    x = np.linspace(-4, 4, 17)
    assert_like_torch(lambda a: a.erf(), x)


def test_elementwise_functions_match_numpy():
    v = np.linspace(0.1, 3.0, 7)
    t = tg.tensor(v, dtype=tg.float64)
    for ours, ref in [(t.exp(), np.exp(v)), (t.log(), np.log(v)), (t.sqrt(), np.sqrt(v)), ((-t).abs(), v),
                      (t.clip(0.5, 2.0), np.clip(v, 0.5, 2.0)), (t.clip(hi=1.0), np.minimum(v, 1.0)),
                      (t.square(), v * v), (tg.sin(t), np.sin(v)), (t.log2(), np.log2(v)), (t.exp2(), 2 ** v),
                      (t.reciprocal(), 1 / v), (t.neg(), -v), (t.pow(2), v ** 2), (tg.pow(2.0, t), 2.0 ** v)]:
        np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-12)


def test_clip_needs_a_bound_and_number_bounds():
    with pytest.raises(ValueError, match="clip: at least one of lo, hi"):
        tg.randn(3).clip()
    with pytest.raises(ValueError, match="clamp: at least one of min, max"):
        tg.randn(3).clamp()
    with pytest.raises(TypeError, match=r"clip: lo must be a number, got a tensor of shape \(2,\)"):
        tg.randn(3).clip(tg.zeros(2), 1.0)


# ----- the erf fast path against the plain op -----
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [ERF_MIN_SIZE - 1, ERF_MIN_SIZE, 3 * ERF_MIN_SIZE + 5])
def test_erf_fast_path_matches_the_plain_op_across_its_threshold(size, dtype):
    x = np.random.default_rng(size).uniform(-4, 4, size).astype(dtype)
    g = np.random.default_rng(1).standard_normal(size).astype(dtype)
    results = []
    for mode in ("reference", "fast"):
        with dispatch.kernels(mode):
            t = tg.tensor(x, dtype=dtype, requires_grad=True)
            y = t.erf()
            y.backward(tg.tensor(g, dtype=dtype))
            results.append((y.numpy(), t.grad.numpy(), y.dtype))
    (want, want_grad, want_dtype), (got, grad, got_dtype) = results
    assert got_dtype == want_dtype == dtype
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6 if dtype == np.float32 else 0)
    np.testing.assert_array_equal(grad, want_grad)


def test_erf_fast_path_is_registered_and_chosen_only_in_fast_mode():
    assert dispatch.FAST_PATHS[elementwise.Erf].fast is FastErf
    with dispatch.kernels("reference"):
        assert dispatch.pick(elementwise.Erf) is elementwise.Erf
    with dispatch.kernels("fast"):
        assert dispatch.pick(elementwise.Erf) is FastErf


# ----- trig and hyperbolic functions, log10 / log1p / expm1, the float tests -----
@pytest.mark.parametrize("name", ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "log10",
                                  "log1p", "expm1"])
def test_new_float_functions_match_torch_including_out_of_domain_values(name):
    x = np.array([-2.0, -1.0, -0.5, 0.0, 0.3, 1.0, 1.5, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = getattr(tg, name)(tg.tensor(x, dtype=np.float64)).numpy()
        assert getattr(tg.tensor([1, 2]), name)().dtype == np.float32  # integers compute in float32, as in PyTorch
    theirs = getattr(torch, name)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True)


def test_numpy_spellings_of_the_inverse_functions_are_aliases():
    x = tg.tensor([0.1, 0.5])
    assert tg.arcsin(x).tolist() == x.asin().tolist() and x.arctan2(x).tolist() == tg.atan2(x, x).tolist()


def test_atan2_matches_torch_in_every_quadrant_and_against_a_number():
    y, x = np.array([1.0, 1.0, -1.0, -1.0, 0.0]), np.array([1.0, -1.0, -1.0, 1.0, -2.0])
    assert_like_torch(lambda a, b: a.atan2(b), y, x, torch_fn=torch.atan2)
    np.testing.assert_allclose(tg.atan2(tg.tensor(y, dtype=np.float64), 2.0).numpy(),
                               torch.atan2(torch.tensor(y), torch.tensor(2.0, dtype=torch.float64)).numpy())


def test_isnan_isinf_isfinite_match_torch_and_are_constants():
    x = np.array([1.0, np.nan, np.inf, -np.inf, 0.0])
    t = tg.tensor(x, requires_grad=True)
    for name in ("isnan", "isinf", "isfinite"):
        ours = getattr(t, name)()
        assert ours.dtype == np.bool_ and not ours.requires_grad
        assert ours.tolist() == getattr(torch, name)(torch.tensor(x)).tolist()
        assert getattr(tg, name)([1, 2]).tolist() == getattr(torch, name)(torch.tensor([1, 2])).tolist()
