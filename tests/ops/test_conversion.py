"""Conversions: astype, to (dtype and device), type_as, long, int, bool (ops/conversion.py)."""
import numpy as np
import pytest
import torch
from family_checks import FamilyChecks

import tinygrad_gen as tg
from tinygrad_gen.ops import conversion


class TestConversionRows(FamilyChecks):
    family = conversion


def test_to_cpu_and_astype_change_device_and_dtype():
    x = tg.randn(3, requires_grad=True)
    assert x.to("cpu") is x and x.device == "cpu" and x.cpu() is x
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and x.astype("float32") is x
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3))


def test_to_takes_a_dtype_in_the_device_place_or_another_tensor_like_torch():
    t = tg.tensor(np.arange(12.0).reshape(3, 4))
    assert t.to(tg.float64).dtype == np.float64 and t.to("cpu", dtype=tg.int32).dtype == np.int32
    assert t.to(dtype="float64").dtype == np.float64 and t.to(np.dtype("int64")).dtype == np.int64
    assert t.to(tg.tensor([1], dtype=tg.int32)).dtype == np.int32
    assert t.double().dtype == np.float64 and t.double().float().dtype == np.float32


def test_casting_to_an_integer_dtype_gives_a_constant():
    x = tg.tensor([1.7, -2.2], requires_grad=True)
    n = x.astype(np.int64)
    assert n.dtype == np.int64 and not n.requires_grad
    np.testing.assert_array_equal(n.numpy(), [1, -2])


@pytest.mark.parametrize("name, dtype", [("long", np.int64), ("int", np.int32), ("bool", np.bool_)])
def test_dtype_shorthands_match_torch(name, dtype):
    values = np.array([1.7, -2.2, 0.0])
    ours, theirs = getattr(tg.tensor(values, requires_grad=True), name)(), getattr(torch.tensor(values), name)()
    assert ours.dtype == dtype and str(theirs.dtype) == f"torch.{np.dtype(dtype).name}"
    assert ours.tolist() == theirs.tolist() and not ours.requires_grad


def test_type_as_takes_the_other_tensors_dtype():
    x = tg.tensor([1.5, 2.5])
    assert x.type_as(tg.tensor([1])).dtype == np.int64 and x.type_as(tg.zeros(1, dtype=tg.float64)).dtype == np.float64


def test_float64_stays_float64_end_to_end_through_a_cast_back():
    x = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    out = (x.astype(np.float32) * 2).astype(np.float64).sum()
    assert out.dtype == np.float64
    out.backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 2.0))


def test_a_bad_dtype_or_device_is_named():
    with pytest.raises(TypeError, match="astype: 'floaty' is not a dtype"):
        tg.ones(2).astype("floaty")
    with pytest.raises(ValueError, match="tpu"):
        tg.ones(2).to("tpu")


def test_clone_is_a_differentiable_copy_in_its_own_memory_like_torch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert y.grad_fn is not None and not np.shares_memory(y._data, x._data)
    (y * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    z = tg.clone(tg.tensor([1, 2]), memory_format=None)
    z._data[0] = 5
    assert z.tolist() == [5, 2]


def test_contiguous_is_x_itself_or_a_contiguous_copy_in_the_graph():
    x = tg.randn(3, 4, requires_grad=True)
    assert x.contiguous() is x and x.is_contiguous()
    t = x.swapaxes(0, 1)
    c = t.contiguous()
    assert c._data.flags.c_contiguous and c.shape == (4, 3) and c.is_contiguous()
    c.sum().backward()
    assert x.grad.tolist() == np.ones((3, 4)).tolist()


@pytest.mark.parametrize("dtype, name", [(np.float32, "FloatTensor"), (np.float64, "DoubleTensor"),
                                         (np.int64, "LongTensor"), (np.int32, "IntTensor"), (np.bool_, "BoolTensor"),
                                         (np.uint8, "ByteTensor"), (np.float16, "HalfTensor")])
def test_type_without_a_dtype_names_the_type_as_torch_does(dtype, name):
    ours = tg.zeros(2, dtype=dtype).type()
    torch_dtype = getattr(torch, np.dtype(dtype).name)
    assert ours == f"torch.{name}" == torch.zeros(2, dtype=torch_dtype).type()


def test_type_with_a_dtype_or_a_type_name_casts_like_torch():
    x = tg.tensor([1.7, -2.2], requires_grad=True)
    y = x.type(tg.float64)
    assert y.dtype == np.float64 and x.type("torch.LongTensor").tolist() == torch.tensor([1.7, -2.2]).type(
        "torch.LongTensor").tolist()
    assert x.type(np.float32) is x and x.type("int32").dtype == np.int32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    with pytest.raises(TypeError, match="type: 'floaty' is not a dtype"):
        x.type("floaty")


def test_factories_bound_as_tg_functions():
    tg.manual_seed(0)
    r = tg.randint(3, 7, (50,))
    assert r.dtype == np.int64 and r.shape == (50,) and 3 <= int(r.min()) and int(r.max()) < 7
    assert tg.randint(5, (2, 3)).shape == (2, 3) and tg.randint(5, size=(4,), dtype=tg.int32).dtype == np.int32
    with pytest.raises(ValueError, match="randint: low"):
        tg.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="randint"):
        tg.randint(5)
    np.testing.assert_allclose(tg.linspace(-1, 1, 5).numpy(), torch.linspace(-1, 1, 5).numpy())
    assert tg.linspace(0, 1, 3, dtype=tg.float64).dtype == np.float64 and tg.linspace(0, 1, 0).shape == (0,)
    a = np.arange(4.0)
    t = tg.from_numpy(a)
    assert t.dtype == np.float64 and np.shares_memory(t._data, a)
    with pytest.raises(TypeError, match=r"from_numpy: expected np.ndarray \(got list\)"):
        tg.from_numpy([1.0])
    x = tg.zeros(2, 3, dtype=tg.float64)
    for fn in (tg.randn_like, tg.rand_like):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == np.float64 and fn(x, dtype=tg.float32).dtype == np.float32
        assert fn(x, requires_grad=True).requires_grad
        with pytest.raises(TypeError, match="floating-point"):
            fn(tg.zeros(2, dtype=tg.int64))
    assert tg.zeros_like(x, dtype=tg.int64).dtype == np.int64 and tg.ones_like(x, requires_grad=True).requires_grad
    assert tg.ones_like(x, device="cpu").tolist() == [[1.0] * 3] * 2
