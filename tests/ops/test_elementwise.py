"""Elementwise math on one tensor: the float functions, the trig and hyperbolic ones, the piecewise ones (abs, clip,
rounding), the float tests (ops/elementwise.py), and erf's accuracy (no fast path: SciPy's is correctly rounded)."""
import inspect
import warnings

import numpy as np
import pytest
import torch
from family_checks import FamilyChecks, assert_like_torch

import tinygrad_gen as tg
from tinygrad_gen import Function, dispatch
from tinygrad_gen.ops import elementwise


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
def ulp_distance(a, b):
    """How many representable floats of a's dtype lie between a and b, elementwise (0: equal)."""
    a, b = np.asarray(a), np.asarray(b).astype(np.asarray(a).dtype)
    ints = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}[a.dtype]

    def ordered(v):  # the floats' bit patterns, made monotonic across the sign
        i = v.view(ints).astype(np.int64)
        return np.where(i < 0, np.iinfo(ints).min - i, i)
    return np.abs(ordered(a) - ordered(b))


def erf_inputs(dtype):
    """Tiny, moderate and tail values of both signs, and the special values, of ``dtype``."""
    rng = np.random.default_rng(7)
    mags = np.concatenate([np.logspace(-40 if dtype == np.float32 else -300, 1.2, 20000), rng.uniform(0, 6, 20000),
                           [0.0, 1e-7, 0.5, 0.84375, 1.0, 1.25, 2.857, 3.9, 4.0, 6.0, 10.6, 11.0, 30.0]])
    return np.concatenate([mags, -mags]).astype(dtype)


@pytest.mark.parametrize("mode", ["reference", "fast"])  # erf has no fast path: both modes run the plain op
def test_float32_erf_is_within_one_ulp_of_the_exact_value_from_tiny_to_tail_inputs(mode):
    x = erf_inputs(np.float32)  # 40k values: the fast path's blocks apply
    exact = torch.erf(torch.from_numpy(x.astype(np.float64))).numpy().astype(np.float32)  # rounded once
    with dispatch.kernels(mode):
        got = tg.tensor(x, dtype=tg.float32).erf().numpy()
    assert got.dtype == np.float32
    assert ulp_distance(got, exact).max() <= 1
    ours_vs_torch32 = ulp_distance(got, torch.erf(torch.from_numpy(x)).numpy())
    assert ours_vs_torch32.max() <= 2  # PyTorch's float32 erf is itself up to 1 ulp from the rounded value
    tiny = tg.tensor(np.array([1e-7, -3e-30, 1e-38], np.float32), dtype=tg.float32)
    with dispatch.kernels(mode):
        np.testing.assert_array_equal(tiny.erf().numpy(), torch.erf(torch.tensor(tiny.numpy())).numpy())
    assert float(tiny.erf().numpy()[0]) == pytest.approx(1.1283792e-07, rel=1e-7)


def test_erf_special_values_and_float64_match_torch():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300])
    for dtype in (np.float32, np.float64):
        for mode in ("reference", "fast"):
            with dispatch.kernels(mode):
                got = tg.tensor(np.tile(x, 1000), dtype=dtype).erf().numpy()[:len(x)]
            want = torch.erf(torch.from_numpy(x.astype(dtype))).numpy()
            np.testing.assert_array_equal(got, want)
            assert np.signbit(got[1])  # erf(-0) = -0
    x = erf_inputs(np.float64)
    got = tg.tensor(x, dtype=tg.float64).erf().numpy()
    assert ulp_distance(got, torch.erf(torch.from_numpy(x)).numpy()).max() <= 2


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
