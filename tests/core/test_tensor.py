"""Tensor as a user meets it: the names of DESIGN.md, factories and dtypes, NumPy interop, Python numbers,
repr, detach and comparisons. (The ops' values and gradients are tested by family in tests/ops.)"""
import operator

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from tinygrad_gen import Tensor

DESIGN_METHODS = """numpy item detach to astype backward exp log sqrt tanh sigmoid relu abs clip sum mean max min var
logsumexp reshape transpose swapaxes squeeze unsqueeze flatten expand softmax log_softmax masked_fill argmax""".split()
DESIGN_PROPERTIES = "shape ndim dtype device requires_grad grad is_leaf T".split()
DESIGN_FUNCTIONS = """tensor zeros ones full randn rand arange eye manual_seed no_grad enable_grad cat stack where
gradcheck gradgradcheck save load Function detect_anomaly GradcheckError""".split()


def test_every_method_and_function_of_the_design_exists():
    t = tg.randn(2, 3)
    for name in DESIGN_METHODS:
        assert callable(getattr(t, name)), name
    for name in DESIGN_PROPERTIES:
        getattr(t, name)
    for name in DESIGN_FUNCTIONS:
        assert hasattr(tg, name), name


def test_python_floats_become_float32_and_arrays_keep_their_dtype_as_in_pytorch():
    assert tg.tensor([1.0, 2.0]).dtype == torch.tensor([1.0, 2.0]).numpy().dtype == np.float32
    for array in (np.ones(3), np.ones(3, np.float32), np.float64(2.0), np.arange(3, dtype=np.int32)):
        assert tg.tensor(array).dtype == torch.tensor(array).numpy().dtype
        assert tg.as_tensor(array).dtype == torch.as_tensor(array).numpy().dtype
    with pytest.raises(TypeError, match=r"tensor: cannot make a tensor from str data of dtype <U3"):
        tg.tensor("abc")
    assert tg.tensor([1, 2]).dtype == np.int64
    assert tg.tensor([True, False]).dtype == np.bool_
    assert tg.tensor([1, 2], dtype=tg.float64).dtype == np.float64
    assert tg.tensor(np.ones(2), dtype="float64").dtype == np.float64


def test_float64_stays_float64_end_to_end():
    x = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    w = tg.randn(4, 2, dtype=tg.float64, requires_grad=True)
    out = ((x @ w).tanh().log_softmax() * 0.5 + 1).mean()
    assert out.dtype == np.float64
    out.backward()
    assert x.grad.dtype == np.float64 and w.grad.dtype == np.float64


@pytest.mark.parametrize("factory, expected", [
    (lambda: tg.zeros(2, 3), np.zeros((2, 3))),
    (lambda: tg.zeros((2, 3)), np.zeros((2, 3))),
    (lambda: tg.ones(4), np.ones(4)),
    (lambda: tg.full((2, 2), 7.5), np.full((2, 2), 7.5)),
    (lambda: tg.eye(3), np.eye(3)),
    (lambda: tg.arange(0.0, 1.0, 0.25), np.arange(0.0, 1.0, 0.25)),
])
def test_factories_give_float32_values_like_numpy(factory, expected):
    t = factory()
    assert t.dtype == np.float32 and t.device == "cpu"
    np.testing.assert_array_equal(t.numpy(), expected)


def test_factories_take_dtype_and_requires_grad():
    for make in (tg.zeros, tg.ones, tg.randn, tg.rand):
        t = make(2, 3, dtype=tg.float64, requires_grad=True)
        assert t.shape == (2, 3) and t.dtype == np.float64 and t.requires_grad and t.is_leaf
    assert tg.arange(5).dtype == np.int64
    assert tg.full(3, 2.0, dtype=tg.float64).dtype == np.float64
    assert tg.eye(2, 3, requires_grad=True).shape == (2, 3)


def test_manual_seed_makes_random_factories_repeatable():
    tg.manual_seed(123)
    a, u = tg.randn(5).numpy(), tg.rand(5).numpy()
    tg.manual_seed(123)
    np.testing.assert_array_equal(tg.randn(5).numpy(), a)
    np.testing.assert_array_equal(tg.rand(5).numpy(), u)
    tg.manual_seed(124)
    assert not np.array_equal(tg.randn(5).numpy(), a)
    assert ((u >= 0) & (u < 1)).all()


def test_numpy_sees_a_tensor_as_an_array():
    t = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(np.asarray(t), t.numpy())
    assert np.array(t, dtype=np.float64).dtype == np.float64
    assert np.add(np.asarray(t), 1).sum() == 14.0


def test_a_numpy_array_on_the_left_defers_to_the_tensor():
    t = tg.tensor([1.0, 2.0], requires_grad=True)
    out = np.array([10.0, 20.0]) * t
    assert type(out) is Tensor and out.dtype == np.float32 and out.requires_grad
    np.testing.assert_array_equal(out.numpy(), [10.0, 40.0])
    assert type(np.array([1.0, 1.0]) - t) is Tensor


def test_item_numpy_tolist_and_python_numbers():
    t = tg.tensor([[2.5]])
    assert t.item() == 2.5 and float(t) == 2.5 and int(t) == 2
    assert tg.tensor([1.0, 2.0]).tolist() == [1.0, 2.0]
    assert len(tg.zeros(4, 2)) == 4
    assert [x.item() for x in tg.tensor([3.0, 4.0])] == [3.0, 4.0]


def test_repr_shows_values_dtype_and_requires_grad():
    text = repr(tg.tensor([1.5, 2.0], requires_grad=True))
    assert "1.5" in text and "float32" in text and "requires_grad=True" in text


def test_detach_shares_values_without_the_graph():
    x = tg.randn(3, requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf
    np.testing.assert_array_equal(y.numpy(), 2 * x.numpy())


def test_comparisons_give_boolean_tensors_without_grad():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for out, expected in [(x > 2, [0, 0, 1]), (x <= 2, [1, 1, 0]), (x == 2.0, [0, 1, 0]), (x != 2.0, [1, 0, 1]),
                          (2 < x, [0, 0, 1]), ((x > 1) & (x < 3), [0, 1, 0]), (~(x > 1), [1, 0, 0])]:
        assert out.dtype == np.bool_ and not out.requires_grad
        np.testing.assert_array_equal(out.numpy(), np.array(expected, bool))


# ----- dtypes PyTorch infers: a factory's from its value; the bitwise operators -----
DTYPES = {"bool": (np.bool_, torch.bool), "int32": (np.int32, torch.int32), "int64": (np.int64, torch.int64)}


@pytest.mark.parametrize("value, dtype", [(4, "int64"), (True, "bool"), (2.5, "float32"), (np.int64(3), "int64")])
def test_full_infers_its_dtype_from_the_value_like_torch(value, dtype):
    assert str(tg.full((2, 3), value).dtype) == dtype == str(torch.full((2, 3), value).dtype).replace("torch.", "")


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


def test_size_is_pytorchs_callable_shape_and_numel_counts():
    x = tg.zeros(2, 3, 4)
    t = torch.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) == tuple(t.size()) and x.size(1) == 3 == t.size(1) and x.size(-1) == t.size(-1)
    assert x.size(dim=0) == 2 and x.numel() == x.nelement() == t.nelement() == 24
    assert tg.tensor(5.0).size() == () and tg.tensor(5.0).nelement() == 1
    with pytest.raises(IndexError, match=r"size: dim 3 is out of range for a tensor of shape \(2, 3, 4\)"):
        x.size(3)
