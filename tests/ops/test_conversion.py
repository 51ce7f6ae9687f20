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
