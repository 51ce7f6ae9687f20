"""Result dtypes as PyTorch gives them: a table of (left tensor dtype, right operand, op) against torch itself.
The default float dtype is float32, so NumPy's float64 promotions (int with a Python float, int / int, exp of an int,
float32 with int64) must not leak through; float64 comes only from a float64 tensor."""
import operator
import warnings

import numpy as np
import pytest
import torch

import tinygrad_gen as tg

DTYPES = {"bool": (np.bool_, torch.bool), "int32": (np.int32, torch.int32), "int64": (np.int64, torch.int64),
          "float32": (np.float32, torch.float32), "float64": (np.float64, torch.float64)}
VALUES = np.array([1, 2, 3])


def _pair(name, shape=(3,)):
    np_dtype, t_dtype = DTYPES[name]
    values = VALUES.reshape(shape) if shape else np.array(2)
    return tg.tensor(values, dtype=np_dtype), torch.tensor(values.astype(np_dtype), dtype=t_dtype)


RIGHT = ["py int", "py float", "py bool"] + list(DTYPES) + ["0-d float64", "0-d int64"]


def _right(kind):
    """The right operand in both libraries: a Python number or a tensor (1-d, or 0-d)."""
    if kind == "py int":
        return 2, 2
    if kind == "py float":
        return 2.5, 2.5
    if kind == "py bool":
        return True, True
    if kind.startswith("0-d"):
        return _pair(kind.split()[1], shape=())
    return _pair(kind)


OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}


def _outcome(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    except Exception as e:  # noqa: BLE001 - which ops refuse which dtypes is part of the table
        return e


def _documented_difference(left, right, op):
    """The README's differences: arithmetic on bool tensors follows NumPy (PyTorch refuses bool subtraction and
    powers), and a 0-d int64 tensor upcasts int32 (PyTorch treats a 0-d tensor like a number)."""
    bools = "bool" in (left, right) or right == "py bool"
    return (bools and op in ("-", "**")) or (left == "int32" and right == "0-d int64")


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
    for op in (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow):
        if left == "bool" and op in (operator.sub, operator.pow):
            continue  # a documented difference (see _documented_difference)
        theirs, ours = _outcome(lambda op=op: op(b, at)), _outcome(lambda op=op: op(b, a))
        if isinstance(theirs, Exception):
            assert isinstance(ours, Exception)
            continue
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), f"{right} {op.__name__} {left}"


def test_the_table_leaves_out_only_the_documented_differences():
    assert len(TABLE) == len(DTYPES) * len(RIGHT) * len(OPS) - 41  # 20 bool-left, 16 bool-right, 5 int32 with 0-d int64


def test_subtracting_bools_follows_numpy_counting_true_as_one():
    assert (tg.tensor([1.0, 2.0]) - tg.tensor([True, False])).tolist() == [0.0, 2.0]
    assert (tg.tensor([True, False]) - 1).tolist() == [0, -1]


@pytest.mark.parametrize("fn", ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "erf", "log2", "exp2",
                                "rsqrt"])
@pytest.mark.parametrize("left", ["bool", "int32", "int64", "float32", "float64"])
def test_float_functions_of_integer_tensors_give_float32(fn, left):
    a, at = _pair(left)
    ours, theirs = getattr(a, fn)(), getattr(at, fn)()
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("value, dtype", [(4, "int64"), (True, "bool"), (2.5, "float32"), (np.int64(3), "int64")])
def test_full_infers_its_dtype_from_the_value_like_torch(value, dtype):
    assert str(tg.full((2, 3), value).dtype) == dtype == str(torch.full((2, 3), value).dtype).replace("torch.", "")


def test_where_with_a_python_float_and_an_integer_tensor_is_float32():
    cond = np.array([True, False, True])
    assert tg.where(cond, tg.tensor([1, 2, 3]), 0.5).dtype == np.float32
    assert tg.where(cond, 1.0, 0.0).dtype == np.float32


@pytest.mark.parametrize("op", ["&", "|", "^"])
@pytest.mark.parametrize("left", ["bool", "int32", "int64"])
def test_bitwise_ops_are_bitwise_on_integers_and_logical_on_bools(op, left):
    fn = {"&": operator.and_, "|": operator.or_, "^": operator.xor}[op]
    a = np.array([0b1100, 0b1010, 0, 7]).astype(DTYPES[left][0])
    b = np.array([0b1010, 0b0110, 5, 7]).astype(DTYPES[left][0])
    ours = fn(tg.tensor(a), tg.tensor(b))
    theirs = fn(torch.tensor(a), torch.tensor(b))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert ours.tolist() == theirs.tolist()
    assert (~tg.tensor(a)).tolist() == (~torch.tensor(a)).tolist()
    assert fn(tg.tensor(a), 3).tolist() == fn(torch.tensor(a), 3).tolist()


def test_float32_gradients_stay_float32_through_an_integer_operand():
    x = tg.randn(3, requires_grad=True)
    (x * tg.tensor([1, 2, 3]) / tg.tensor([2, 2, 2])).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 1.0, 1.5])
