"""Tensor as a user meets it: factories, dtypes, NumPy interop, indexing and the methods of DESIGN.md.
Forward values are compared with NumPy on the same data."""
import numpy as np
import pytest

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


def test_float_data_becomes_float32_and_other_data_keeps_its_kind():
    assert tg.tensor([1.0, 2.0]).dtype == np.float32
    assert tg.tensor(np.ones(3)).dtype == np.float32
    assert tg.tensor([1, 2]).dtype == np.int64
    assert tg.tensor([True, False]).dtype == np.bool_
    assert tg.tensor([1, 2], dtype=tg.float64).dtype == np.float64
    assert tg.tensor(np.ones(2), dtype="float64").dtype == np.float64


@pytest.mark.parametrize("make", [lambda x: x * 2.5, lambda x: 2.5 * x, lambda x: x / 3, lambda x: 1 - x,
                                  lambda x: x ** 2, lambda x: x + np.float64(1.5), lambda x: np.float64(2) * x,
                                  lambda x: x + np.ones(3), lambda x: 2.0 ** x, lambda x: x.clip(-0.5, 0.5),
                                  lambda x: x ** np.float64(2), lambda x: x.clip(np.float64(-1), np.float64(1)),
                                  lambda x: tg.where(x > 0, x, np.float64(0)),
                                  lambda x: x.masked_fill(np.array([True, False, True]), 1e30)])
def test_python_and_numpy_scalars_never_upcast_float32(make):
    x = tg.randn(3, requires_grad=True)
    out = make(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


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


def test_to_cpu_and_astype_change_device_and_dtype():
    x = tg.randn(3, requires_grad=True)
    assert x.to("cpu") is x and x.device == "cpu"
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and x.astype("float32") is x
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3))


def test_comparisons_give_boolean_tensors_without_grad():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for out, expected in [(x > 2, [0, 0, 1]), (x <= 2, [1, 1, 0]), (x == 2.0, [0, 1, 0]), (x != 2.0, [1, 0, 1]),
                          (2 < x, [0, 0, 1]), ((x > 1) & (x < 3), [0, 1, 0]), (~(x > 1), [1, 0, 0])]:
        assert out.dtype == np.bool_ and not out.requires_grad
        np.testing.assert_array_equal(out.numpy(), np.array(expected, bool))


A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("index", [
    1, -1, (0, 2), slice(1, None), (Ellipsis, 1), (None, 0), (slice(None), None, slice(None, None, 2)),
    (1, slice(0, 2), -1), [1, 1, 0], (np.array([0, 1, 1]), np.array([2, 0, 2])), (slice(None), [2, 2]),
    A > 10, (slice(None), A[0] > 5), (np.array([[0], [1]]), slice(None), np.array([3, 0])),
])
def test_indexing_matches_numpy(index):
    np.testing.assert_array_equal(tg.tensor(A)[index].numpy(), A[index])


def test_indexing_with_tensors_matches_numpy():
    t = tg.tensor(A)
    np.testing.assert_array_equal(t[tg.tensor([1, 0, 1])].numpy(), A[[1, 0, 1]])
    np.testing.assert_array_equal(t[t > 10].numpy(), A[A > 10])


def test_integer_index_with_repeats_accumulates_gradient():
    x = tg.zeros(4, requires_grad=True)
    x[[0, 2, 2, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 0, 3, 0])


def test_boolean_mask_gradient_lands_on_the_kept_elements():
    x = tg.tensor(A, requires_grad=True)
    (x[x > 10] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (A > 10) * 2.0)


def test_reshape_transpose_and_friends_match_numpy():
    t = tg.tensor(A)
    np.testing.assert_array_equal(t.reshape(4, 6).numpy(), A.reshape(4, 6))
    np.testing.assert_array_equal(t.reshape((6, -1)).numpy(), A.reshape(6, -1))
    np.testing.assert_array_equal(t.transpose(1, 0, 2).numpy(), A.transpose(1, 0, 2))
    np.testing.assert_array_equal(t.transpose().numpy(), A.T)
    np.testing.assert_array_equal(t.T.numpy(), A.T)
    np.testing.assert_array_equal(t.swapaxes(0, 2).numpy(), A.swapaxes(0, 2))
    np.testing.assert_array_equal(t[:, :1].squeeze(1).numpy(), A[:, 0])
    np.testing.assert_array_equal(t[:1, :1].squeeze().numpy(), A[0, 0])
    assert t.unsqueeze(-1).shape == (2, 3, 4, 1) and t.unsqueeze(1).shape == (2, 1, 3, 4)
    assert t.flatten().shape == (24,) and t.flatten(1).shape == (2, 12)
    np.testing.assert_array_equal(t[:, :1].expand(2, 5, 4).numpy(), np.broadcast_to(A[:, :1], (2, 5, 4)))
    np.testing.assert_array_equal(t[:, :1].expand(-1, 5, -1).numpy(), np.broadcast_to(A[:, :1], (2, 5, 4)))


def test_reductions_match_numpy():
    rng = np.random.default_rng(0)
    v = rng.standard_normal((3, 4, 5))
    t = tg.tensor(v, dtype=tg.float64)
    np.testing.assert_allclose(t.sum(axis=(0, 2)).numpy(), v.sum(axis=(0, 2)))
    np.testing.assert_allclose(t.mean(axis=1, keepdims=True).numpy(), v.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(t.max(axis=-1).numpy(), v.max(axis=-1))
    np.testing.assert_allclose(t.min().numpy(), v.min())
    np.testing.assert_allclose(t.var(axis=0, ddof=1).numpy(), v.var(axis=0, ddof=1))
    np.testing.assert_allclose(t.var().numpy(), v.var())
    np.testing.assert_allclose(t.logsumexp(axis=1, keepdims=True).numpy(),
                               np.log(np.exp(v).sum(axis=1, keepdims=True)))
    np.testing.assert_array_equal(t.argmax(axis=1).numpy(), v.argmax(axis=1))
    assert t.argmax().item() == v.argmax()


def test_softmax_rows_sum_to_one_and_log_softmax_is_its_log():
    t = tg.randn(3, 5, dtype=tg.float64)
    p = t.softmax(axis=-1).numpy()
    np.testing.assert_allclose(p.sum(axis=-1), np.ones(3))
    np.testing.assert_allclose(t.log_softmax(axis=-1).numpy(), np.log(p))
    e = np.exp(t.numpy())
    np.testing.assert_allclose(p, e / e.sum(axis=-1, keepdims=True))


def test_elementwise_functions_match_numpy():
    v = np.linspace(0.1, 3.0, 7)
    t = tg.tensor(v, dtype=tg.float64)
    for ours, ref in [(t.exp(), np.exp(v)), (t.log(), np.log(v)), (t.sqrt(), np.sqrt(v)), (t.tanh(), np.tanh(v)),
                      (t.sigmoid(), 1 / (1 + np.exp(-v))), ((-t).relu(), np.zeros(7)), ((-t).abs(), v),
                      (t.clip(0.5, 2.0), np.clip(v, 0.5, 2.0)), (t.clip(hi=1.0), np.minimum(v, 1.0))]:
        np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-12)


def test_masked_fill_cat_stack_and_where_match_numpy():
    a, b = np.arange(6.0).reshape(2, 3), -np.arange(6.0).reshape(2, 3)
    ta, tb = tg.tensor(a), tg.tensor(b)
    mask = a > 2
    np.testing.assert_array_equal(ta.masked_fill(mask, -1.0).numpy(), np.where(mask, -1.0, a))
    np.testing.assert_array_equal(ta.masked_fill(tg.tensor(mask), 0.0).numpy(), np.where(mask, 0.0, a))
    np.testing.assert_array_equal(tg.cat([ta, tb], axis=1).numpy(), np.concatenate([a, b], axis=1))
    np.testing.assert_array_equal(tg.stack([ta, tb], axis=1).numpy(), np.stack([a, b], axis=1))
    np.testing.assert_array_equal(tg.where(ta > 2, ta, tb).numpy(), np.where(mask, a, b))
    np.testing.assert_array_equal(tg.where(ta > 2, ta, 0.0).numpy(), np.where(mask, a, 0.0))


@pytest.mark.parametrize("a_shape, b_shape", [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                                              ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2))])
def test_matmul_of_every_rank_matches_numpy(a_shape, b_shape):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    out = tg.tensor(a, dtype=tg.float64) @ tg.tensor(b, dtype=tg.float64)
    np.testing.assert_allclose(out.numpy(), a @ b)
    np.testing.assert_allclose((a @ tg.tensor(b, dtype=tg.float64)).numpy(), a @ b)


def test_setitem_writes_into_a_tensor_outside_the_graph():
    t = tg.zeros(2, 3)
    t[0, 1:] = 5.0
    t[tg.tensor([1])] = tg.ones(1, 3)
    np.testing.assert_array_equal(t.numpy(), [[0, 5, 5], [1, 1, 1]])


def test_casting_to_an_integer_dtype_gives_a_constant():
    x = tg.tensor([1.7, -2.2], requires_grad=True)
    n = x.astype(np.int64)
    assert n.dtype == np.int64 and not n.requires_grad
    np.testing.assert_array_equal(n.numpy(), [1, -2])
