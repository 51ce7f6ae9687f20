"""Arithmetic and selection: the binary ops and their operators, PyTorch's dtype promotion, pow, maximum / minimum,
copysign, floor_divide / remainder / fmod / rounded div, logaddexp, lerp, the shifts, isclose, where and masked_fill
(ops/arithmetic.py), and the square's backward fast path (ops/fast/arithmetic.py)."""
import inspect
import operator
import warnings

import numpy as np
import pytest
import torch
from family_checks import FamilyChecks, assert_like_torch, grads

import tinygrad_gen as tg
from tinygrad_gen import Function, dispatch
from tinygrad_gen.ops import arithmetic
from tinygrad_gen.ops.fast.arithmetic import FastPowScalar


class TestArithmeticRows(FamilyChecks):
    family = arithmetic


def test_every_function_states_its_forward_and_backward():
    for name, cls in vars(arithmetic).items():
        if inspect.isclass(cls) and issubclass(cls, Function) and cls.__module__ == arithmetic.__name__:
            assert "backward" in cls.__doc__ and "=" in cls.__doc__, name


def test_every_bound_function_has_a_docstring_and_type_hints():
    for row in arithmetic.BINDINGS:
        assert row.fn.__doc__, row.fn.__name__
        assert inspect.signature(row.fn).return_annotation is not inspect.Signature.empty, row.fn.__name__


# ----- dtypes: PyTorch's promotion, whatever NumPy would do -----
DTYPES = {"bool": (np.bool_, torch.bool), "int32": (np.int32, torch.int32), "int64": (np.int64, torch.int64),
          "float32": (np.float32, torch.float32), "float64": (np.float64, torch.float64)}
RIGHT = ["py int", "py float", "py bool"] + list(DTYPES) + ["0-d float64", "0-d int64"]
OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow,
       "//": operator.floordiv, "%": operator.mod}


def _pair(name, shape=(3,)):
    np_dtype, t_dtype = DTYPES[name]
    values = np.array([1, 2, 3]).reshape(shape) if shape else np.array(2)
    return tg.tensor(values, dtype=np_dtype), torch.tensor(values.astype(np_dtype), dtype=t_dtype)


def _right(kind):
    """The right operand in both libraries: a Python number or a tensor (1-d, or 0-d)."""
    numbers = {"py int": 2, "py float": 2.5, "py bool": True}
    if kind in numbers:
        return numbers[kind], numbers[kind]
    if kind.startswith("0-d"):
        return _pair(kind.split()[1], shape=())
    return _pair(kind)


def _outcome(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    except Exception as e:  # any error: which ops refuse which dtypes is part of the table
        return e


def _documented_difference(left, right, op):
    """Where we follow NumPy on purpose: arithmetic on bool tensors (PyTorch refuses bool subtraction and powers,
    and floor division and remainder of bools), and a 0-d int64 tensor upcasts int32 (PyTorch treats a 0-d tensor
    like a number)."""
    bools = "bool" in (left, right) or right == "py bool"
    return (bools and op in ("-", "**", "//", "%")) or (left == "int32" and right == "0-d int64")


TABLE = [(left, right, op) for left in sorted(DTYPES) for right in RIGHT for op in sorted(OPS)
         if not _documented_difference(left, right, op)]


@pytest.mark.parametrize("left, right, op", TABLE)
def test_binary_op_result_dtype_matches_torch(left, right, op):
    a, at = _pair(left)
    b, bt = _right(right)
    theirs = _outcome(lambda: OPS[op](at, bt))
    ours = _outcome(lambda: OPS[op](a, b))
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"torch refuses {left} {op} {right} ({theirs}), we gave {ours}"
        return
    assert not isinstance(ours, Exception), f"{left} {op} {right}: {ours}"
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), f"{left} {op} {right}"
    np.testing.assert_allclose(ours.numpy().astype(np.float64), theirs.numpy().astype(np.float64), rtol=1e-6)


@pytest.mark.parametrize("left", sorted(DTYPES))
@pytest.mark.parametrize("right", ["py int", "py float"])
def test_reflected_binary_op_result_dtype_matches_torch(left, right):
    a, at = _pair(left)
    b, _ = _right(right)
    for name, op in OPS.items():
        if _documented_difference(left, right, name):
            continue
        theirs, ours = _outcome(lambda op=op: op(b, at)), _outcome(lambda op=op: op(b, a))
        if isinstance(theirs, Exception):
            assert isinstance(ours, Exception), f"{right} {name} {left}"
            continue
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), f"{right} {name} {left}"
        np.testing.assert_allclose(ours.numpy().astype(np.float64), theirs.numpy().astype(np.float64), rtol=1e-6)


FLOAT_FUNCTIONS = ["exp", "log", "sqrt", "rsqrt", "sin", "cos", "erf", "log2", "exp2", "reciprocal"]


@pytest.mark.parametrize("fn", FLOAT_FUNCTIONS)
@pytest.mark.parametrize("left", sorted(DTYPES))
def test_float_functions_of_integer_tensors_give_float32(fn, left):
    a, at = _pair(left)
    ours, theirs = getattr(a, fn)(), getattr(at, fn)()
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("make", [lambda x: x * 2.5, lambda x: 2.5 * x, lambda x: x / 3, lambda x: 1 - x,
                                  lambda x: 2.0 / x, lambda x: x ** 2, lambda x: x + np.float64(1.5),
                                  lambda x: np.float64(2) * x, lambda x: x + np.ones(3), lambda x: 2.0 ** x,
                                  lambda x: x.clip(-0.5, 0.5), lambda x: x ** np.float64(2),
                                  lambda x: x.clip(np.float64(-1), np.float64(1)), lambda x: x % np.float64(0.3),
                                  lambda x: tg.where(x > 0, x, np.float64(0)), lambda x: x.maximum(np.float64(0.1)),
                                  lambda x: x.masked_fill(np.array([True, False, True]), 1e30),
                                  lambda x: x.copysign(np.float64(-1))])
def test_python_and_numpy_scalars_never_upcast_float32(make):
    x = tg.randn(3, requires_grad=True)
    out = make(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_where_with_a_python_float_and_an_integer_tensor_is_float32():
    cond = np.array([True, False, True])
    assert tg.where(cond, tg.tensor([1, 2, 3]), 0.5).dtype == np.float32
    assert tg.where(cond, 1.0, 0.0).dtype == np.float32
    assert tg.where(cond, [1.0, 2.0, 3.0], tg.zeros(3, dtype=np.float64)).dtype == np.float64


def test_float32_gradients_stay_float32_through_an_integer_operand():
    x = tg.randn(3, requires_grad=True)
    (x * tg.tensor([1, 2, 3]) / tg.tensor([2, 2, 2])).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 1.0, 1.5])


def test_a_numpy_array_on_the_left_defers_to_the_tensor():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    out = np.array([3.0, 4.0]) * x - np.array([1.0, 1.0])
    assert isinstance(out, tg.Tensor) and out.dtype == np.float32
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


# ----- special values, against PyTorch -----
def test_pow_at_a_zero_base_matches_torch_values_and_gradients():
    x = np.array([0.0, 0.0, 0.0, 0.0, 2.0, -1.5, 0.0])
    y = np.array([0.0, 1.0, 2.5, -1.0, 0.0, 2.0, 0.5])
    assert_like_torch(lambda a, b: a ** b, x, y)
    ours = grads("tg", lambda a, b: a ** b, x, y)
    assert ours[0][3] == np.inf and ours[2][3] == -np.inf  # 0 ** -1 = +inf, and its d/db is -inf


@pytest.mark.parametrize("c", [0.0, -2.0, 2.0, 1.0])
def test_pow_of_a_constant_base_matches_torch_for_every_sign(c):
    assert_like_torch(lambda a: c ** a, np.array([-1.0, 0.0, 0.5, 2.0, 3.0]))


@pytest.mark.parametrize("c", [0.0, 1.0, 2.0, 0.5, -1.0, 3])
def test_pow_by_a_constant_at_zero_matches_torch(c):
    assert_like_torch(lambda a: a ** c, np.array([0.0, 1.5, -2.0 if float(c).is_integer() else 2.0]))


def test_maximum_and_minimum_split_the_gradient_at_ties_like_torch():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 4.0])
    assert_like_torch(lambda x, y: tg.maximum(x, y), a, b, torch_fn=torch.maximum)
    assert_like_torch(lambda x, y: tg.minimum(x, y), a, b, torch_fn=torch.minimum)


def test_abs_and_copysign_gradients_at_zero_match_torch():
    assert_like_torch(lambda x: x.abs(), np.array([-1.0, 0.0, 2.0]))
    assert_like_torch(lambda x, y: x.copysign(y), np.array([0.0, -2.0, 3.0]), np.array([-1.0, 1.0, -1.0]),
                      torch_fn=torch.copysign)


def test_floor_divide_and_remainder_match_torch_in_values_dtypes_and_gradients():
    a, b = np.array([5.5, -7.2, 9.0, 0.3]), np.array([2.0, 3.0, -4.0, 0.7])
    assert_like_torch(lambda x, y: x % y, a, b)
    assert np.allclose((7.5 % tg.tensor(b)).numpy(), (7.5 % torch.tensor(b)).numpy())
    ints = np.array([5, -7, 9, 0])
    for ours, theirs in ((tg.tensor(ints) // 2, torch.tensor(ints) // 2), (tg.tensor(ints) % 3, torch.tensor(ints) % 3),
                         (7 // tg.tensor([2, -3]), 7 // torch.tensor([2, -3])),
                         (tg.tensor(ints) % 2.5, torch.tensor(ints) % 2.5),
                         (tg.floor_divide(tg.tensor(a, dtype=np.float64), 2.0),
                          torch.floor_divide(torch.tensor(a), 2.0))):
        assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype)[6:]
    x = tg.tensor(a, dtype=np.float64, requires_grad=True)
    (x // 2 * 1.0).sum().backward()  # PyTorch has no derivative for //; ours is 0, like floor
    assert not x.grad.numpy().any()


def test_isclose_and_allclose_match_torch():
    x = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 5.0]])
    y = x + np.array([[1e-9, 1e-3, 0.0], [0.0, 1e-7, np.nan]])
    assert np.array_equal(tg.tensor(x).isclose(tg.tensor(y)).numpy(), torch.isclose(torch.tensor(x),
                                                                                    torch.tensor(y)).numpy())
    assert tg.isclose(x, y, equal_nan=True).dtype == np.bool_
    assert tg.tensor(x).allclose(x + 1e-9) and not tg.allclose(tg.tensor(x), y)


def test_masked_fill_with_a_one_element_tensor_value_gives_it_the_filled_gradient_like_torch():
    mask = np.array([True, False, True])
    x, v = np.array([1.0, 2.0, 3.0]), np.array(0.5)
    assert_like_torch(lambda a, b: a.masked_fill(mask, b), x, v,
                      torch_fn=lambda a, b: a.masked_fill(torch.from_numpy(mask), b))


def test_torch_style_function_forms_and_keywords():
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    assert np.allclose(tg.exp(x).numpy(), np.exp(x.numpy())) and tg.clamp(x, 1, 2).numpy().max() == 2
    assert tg.clamp(x, min=1).numpy().min() == 1 and x.clamp(max=2).numpy().max() == 2
    assert tg.exp([0.0, 1.0]).dtype == np.float32 and tg.square([1.0, 2.0]).tolist() == [1.0, 4.0]
    assert tg.add(x, 1).tolist() == (x + 1).tolist() and tg.mul(x, x).tolist() == (x * x).tolist()
    np.testing.assert_array_equal(tg.masked_fill(x, x > 2, 0.0).numpy(), np.where(x.numpy() > 2, 0, x.numpy()))


def test_masked_fill_and_where_match_numpy():
    a, b = np.arange(6.0).reshape(2, 3), -np.arange(6.0).reshape(2, 3)
    ta, tb = tg.tensor(a), tg.tensor(b)
    mask = a > 2
    np.testing.assert_array_equal(ta.masked_fill(mask, -1.0).numpy(), np.where(mask, -1.0, a))
    np.testing.assert_array_equal(ta.masked_fill(tg.tensor(mask), 0.0).numpy(), np.where(mask, 0.0, a))
    np.testing.assert_array_equal(ta.masked_fill(mask[0], 7.0).numpy(), np.where(mask[0], 7.0, a))
    np.testing.assert_array_equal(tg.where(ta > 2, ta, tb).numpy(), np.where(mask, a, b))
    np.testing.assert_array_equal(tg.where(ta > 2, ta, 0.0).numpy(), np.where(mask, a, 0.0))


# ----- errors name the op and the shapes or values -----
@pytest.mark.parametrize("op, pattern", [
    (lambda: tg.randn(3, 4) + tg.randn(5, 2), r"Add.*\(3, ?4\).*\(5, ?2\)"),
    (lambda: tg.randn(3, 4) * tg.randn(4, 3), r"Mul.*\(3, ?4\).*\(4, ?3\)"),
    (lambda: tg.randn(3, 4) / tg.randn(2), r"Div.*\(3, ?4\).*\(2,\)"),
    (lambda: tg.maximum(tg.randn(3), tg.randn(2)), r"Maximum.*\(3,\).*\(2,\)"),
    (lambda: tg.where(np.ones(3, bool), tg.randn(3), tg.randn(2)), r"Where.*\(3,\).*\(2,\)"),
    (lambda: tg.randn(2, 3).masked_fill(np.ones((4, 3), bool), 0.0), r"masked_fill.*\(4, 3\).*\(2, 3\)"),
    (lambda: tg.randn(3).masked_fill(np.ones(3, bool), tg.ones(2)), r"masked_fill.*\(2,\)"),
])
def test_shape_errors_name_the_op_and_the_shapes(op, pattern):
    with pytest.raises(ValueError, match=pattern):
        op()


def test_non_boolean_masks_are_rejected_with_their_dtype():
    with pytest.raises(TypeError, match="masked_fill.*int64"):
        tg.randn(3).masked_fill(np.array([1, 0, 1]), 0.0)
    with pytest.raises(TypeError, match="where.*float32"):
        tg.where(tg.randn(3), tg.randn(3), tg.randn(3))


def test_an_operand_that_is_not_data_is_a_clear_error():
    with pytest.raises(TypeError, match="NoneType"):
        tg.randn(3) + None


# ----- the saved state, as PyTorch saves it -----
def test_a_constant_factor_or_divisor_saves_nothing_of_the_tensor_like_torch():
    for make in (lambda x: x * 2.0, lambda x: 3 * x, lambda x: x / 4.0, lambda x: 2.0 / x, lambda x: x % 0.7):
        x = tg.tensor([0.5, 1.5], requires_grad=True)
        y = make(x)
        with tg.no_grad():
            x.add_(1.0)
        y.sum().backward()  # nothing of x was saved, so the in-place change cannot make the gradient wrong
        assert x.grad is not None


# ----- the square's backward fast path against the plain op -----
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("c", [2, 3, 2.0, 0.5])
def test_pow_scalar_fast_path_matches_the_plain_op_first_and_second_derivatives(c, dtype):
    x = np.random.default_rng(0).uniform(0.5, 2.0, (5, 3)).astype(dtype)
    results = []
    for mode in ("reference", "fast"):
        with dispatch.kernels(mode):
            t = tg.tensor(x, dtype=dtype, requires_grad=True)
            y = t ** c
            (dx,) = tg.grad(y.sum(), [t], create_graph=True)
            (ddx,) = tg.grad(dx.sum(), [t])
            results.append([y.numpy(), dx.numpy(), ddx.numpy()])
    for want, got in zip(*results):
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, want)
    assert dispatch.FAST_PATHS[arithmetic.PowScalar].fast is FastPowScalar


# ----- the dtype table's exclusions, and bool arithmetic (from tests/test_dtype_promotion.py) -----
def test_the_dtype_table_leaves_out_only_the_documented_differences():
    # 40 with a bool on the left, 32 with a bool tensor or Python bool on the right, 7 int32 with a 0-d int64
    assert len(TABLE) == len(DTYPES) * len(RIGHT) * len(OPS) - 79


def test_subtracting_bools_follows_numpy_counting_true_as_one():
    assert (tg.tensor([1.0, 2.0]) - tg.tensor([True, False])).tolist() == [0.0, 2.0]
    assert (tg.tensor([True, False]) - 1).tolist() == [0, -1]


# ----- logaddexp, lerp, fmod, rounded div, shifts -----
def test_logaddexp_does_not_overflow_and_matches_torch():
    a, b = np.array([1000.0, -1000.0, 0.0, -np.inf]), np.array([1000.0, -999.0, 1.0, -np.inf])
    ours = tg.logaddexp(tg.tensor(a, dtype=np.float64), tg.tensor(b, dtype=np.float64)).numpy()
    np.testing.assert_allclose(ours, torch.logaddexp(torch.tensor(a), torch.tensor(b)).numpy())
    assert_like_torch(lambda x, y: x.logaddexp(y), a[:3], b[:3], torch_fn=torch.logaddexp)
    with pytest.raises(TypeError, match="logaddexp.*int64"):
        tg.logaddexp(tg.tensor([1, 2]), 1.0)


def test_lerp_with_a_number_or_a_tensor_weight_matches_torch():
    a, e, w = np.array([0.0, 1.0, -2.0]), np.array([4.0, -1.0, 2.0]), np.array([0.25, 0.75, 1.0])
    assert_like_torch(lambda x, y, z: x.lerp(y, z), a, e, w, torch_fn=torch.lerp)
    assert_like_torch(lambda x, y: tg.lerp(x, y, 0.6), a, e, torch_fn=lambda x, y: torch.lerp(x, y, 0.6))
    assert tg.lerp(tg.tensor([1.0, 2.0]), [3.0, 3.0], 1.0).tolist() == [3.0, 3.0]  # w = 1 gives end exactly


def test_fmod_takes_the_sign_of_the_dividend_unlike_remainder():
    a, b = np.array([5.5, -7.2, 9.0, -0.3]), np.array([2.0, 3.0, -4.0, 0.7])
    assert_like_torch(lambda x, y: x.fmod(y), a, b, torch_fn=torch.fmod)
    ints = np.array([-7, 7, -8, 5])
    for ours, theirs in ((tg.tensor(ints).fmod(3), torch.fmod(torch.tensor(ints), 3)),
                         (tg.fmod(tg.tensor(ints), tg.tensor([2, -3, 5, 4])),
                          torch.fmod(torch.tensor(ints), torch.tensor([2, -3, 5, 4]))),
                         (tg.tensor(ints).fmod(2.5), torch.fmod(torch.tensor(ints), 2.5))):
        assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype)[6:]
    with pytest.raises(ZeroDivisionError, match="fmod"):
        tg.tensor([1, 2]).fmod(0)


@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
def test_div_rounding_modes_match_torch_in_values_dtypes_and_gradients(mode):
    for a, b in ((np.array([-7, 7, -8, 5, 0]), np.array([2, -2, 3, 5, -3])),
                 (np.array([-7.5, 7.5, -8.0, 0.5]), np.array([2.0, -2.0, 3.0, 0.25])),
                 (np.array([-7, 7, 9]), 2), (np.array([-7, 7, 9]), 2.5)):
        tb = b if np.isscalar(b) else tg.tensor(b, dtype=b.dtype)
        ours = tg.tensor(a, dtype=a.dtype).div(tb, rounding_mode=mode)
        theirs = torch.div(torch.tensor(a), b if np.isscalar(b) else torch.tensor(b), rounding_mode=mode)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
        assert str(ours.dtype) == str(theirs.dtype)[6:], (a, b, mode)
    x = tg.tensor([5.5, -7.2], dtype=np.float64, requires_grad=True)
    (tg.div(x, 2.0, rounding_mode=mode) * 1.0).sum().backward()
    assert x.grad.tolist() == ([0.5, 0.5] if mode is None else [0.0, 0.0])  # rounded: zero gradient, as PyTorch
    with pytest.raises(ValueError, match="div: rounding_mode.*'round'"):
        x.div(2.0, rounding_mode="round")


def test_shifts_on_integer_tensors_match_torch_and_floats_are_refused():
    v = np.array([-7, 0, 5, 12], dtype=np.int32)
    for ours, theirs in ((tg.tensor(v) << 2, torch.tensor(v) << 2), (tg.tensor(v) >> 1, torch.tensor(v) >> 1),
                         (1 << tg.tensor([0, 3]), 1 << torch.tensor([0, 3])),
                         (tg.bitwise_right_shift(tg.tensor(v), tg.tensor(v).abs() % 3),
                          torch.bitwise_right_shift(torch.tensor(v), torch.tensor(v).abs() % 3))):
        assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype)[6:]
    with pytest.raises(TypeError, match="bitwise_left_shift.*float32"):
        tg.tensor([1.0]) << 1
    with pytest.raises(TypeError, match="bitwise_right_shift.*float"):
        tg.tensor([1]) >> 1.5
