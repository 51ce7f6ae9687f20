"""x[idx] as PyTorch reads it (ops/indexing.py ``getitem``, ``torch_index``, ``write``), checked against PyTorch on
many random index expressions: ints, slices, None, Ellipsis, bools, 0-d tensors, integer lists, arrays and tensors,
boolean masks, the index tensors adjacent or separated. The values, the result's shape (its axis order), the
gradient, and the write ``x[idx] = value`` must all be PyTorch's; where PyTorch refuses an index, so must we."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from tinygrad_gen.ops import indexing


def _random_index(rng):
    """(shape, ours, theirs): a random tensor shape and one index expression in our and in PyTorch's spelling."""
    shape = tuple(int(n) for n in rng.integers(1, 5, rng.integers(1, 5)))
    ours, theirs = [], []
    axis, ellipsis = 0, False
    rows = tuple(int(n) for n in rng.choice([1, 2, 3], rng.integers(1, 3)))  # the index tensors' shared shape
    has_mask = rng.random() < 0.25
    while axis < len(shape) and len(ours) < 6:
        n = shape[axis]
        kind = rng.choice(["int", "slice", "none", "ellipsis", "bool", "list", "array", "tensor", "int0d", "bool0d",
                           "mask"], p=[.17, .2, .08, .06, .05, .09, .09, .1, .06, .03, .07])
        if kind == "int":
            v = int(rng.integers(-n, n))
            ours.append(v), theirs.append(v)
        elif kind == "slice":
            start, stop = (int(v) if rng.random() < 0.7 else None for v in rng.integers(-n - 1, n + 2, 2))
            s = slice(start, stop, int(rng.integers(1, 3)) if rng.random() < 0.5 else None)
            ours.append(s), theirs.append(s)
        elif kind == "none":
            ours.append(None), theirs.append(None)
            continue
        elif kind == "ellipsis":
            if ellipsis:
                continue
            ellipsis = True
            ours.append(Ellipsis), theirs.append(Ellipsis)
            axis = len(shape) - sum(1 for v in rng.random(2) if v < 0.5)  # leave 0-2 axes for after it
            shape_after = len(shape) - axis
            if shape_after == 0:
                break
            continue
        elif kind in ("bool", "bool0d"):
            b = bool(rng.random() < 0.8)
            ours.append(b if kind == "bool" else tg.tensor(b))
            theirs.append(b if kind == "bool" else torch.tensor(b))
            continue
        elif kind == "int0d":
            v = int(rng.integers(-n, n))
            ours.append(tg.tensor(v)), theirs.append(torch.tensor(v))
        elif kind == "mask":
            if not has_mask:
                continue
            has_mask = False
            k = 2 if axis + 1 < len(shape) and rng.random() < 0.5 else 1
            m = rng.random(shape[axis:axis + k]) < 0.5
            ours.append(tg.tensor(m)), theirs.append(torch.tensor(m))
            rows = (int(m.sum()),)  # other index tensors must broadcast with the mask's picks
            axis += k
            continue
        else:
            v = rng.integers(-n, n, rows if rng.random() < 0.8 else rows[-1:])
            if kind == "list":
                ours.append(v.tolist()), theirs.append(v.tolist())
            elif kind == "array":
                ours.append(v), theirs.append(torch.from_numpy(v))
            else:
                ours.append(tg.tensor(v)), theirs.append(torch.from_numpy(v))
        axis += 1
    return shape, tuple(ours), tuple(theirs)


def _torch_result(x, idx):
    try:
        return x[idx], None
    except (IndexError, RuntimeError, ValueError) as e:
        return None, e


@pytest.mark.parametrize("seed", range(400))
def test_random_index_expressions_match_torch_values_axes_and_gradients(seed):
    rng = np.random.default_rng(seed)
    shape, ours, theirs = _random_index(rng)
    x = rng.standard_normal(shape)
    xt = torch.tensor(x, requires_grad=True)
    want, error = _torch_result(xt, theirs)
    xg = tg.tensor(x, dtype=np.float64, requires_grad=True)
    if error is not None:
        with pytest.raises((IndexError, ValueError)):
            xg[ours]
        return
    got = xg[ours]
    assert got.shape == tuple(want.shape), f"{ours} on {shape}: shape {got.shape}, PyTorch {tuple(want.shape)}"
    np.testing.assert_array_equal(got.numpy(), want.detach().numpy())
    g = rng.standard_normal(got.shape)
    got.backward(tg.tensor(g, dtype=np.float64))
    want.backward(torch.from_numpy(np.asarray(g)))
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(150))
def test_writes_through_random_indices_match_torch(seed):
    rng = np.random.default_rng(1000 + seed)
    shape, ours, theirs = _random_index(rng)
    x = rng.standard_normal(shape)
    xt = torch.tensor(x)
    picked, error = _torch_result(xt, theirs)
    if error is not None:
        return
    value = rng.standard_normal(tuple(picked.shape))
    xt[theirs] = torch.from_numpy(value)
    a = x.copy()
    indexing.write(a, ours, value)
    np.testing.assert_array_equal(a, xt.numpy())


X = np.arange(2 * 3 * 12 * 5 * 4, dtype=np.float64).reshape(2, 3, 12, 5, 4)


@pytest.mark.parametrize("index, shape", [
    ((1, slice(None), slice(3, 11, 2), [0, 2, 1], slice(0, 2)), (3, 4, 3, 2)),  # NumPy: (3, 3, 4, 2)
    ((1, slice(None), [0, 2]), (3, 2, 5, 4)),  # the int removes its axis; [0, 2] stays in place
    ((slice(None), 0, slice(None), [1, 2], 0), (2, 12, 2)),  # NumPy: (2, 2, 12)
    (([0, 1], 1, [1, 2]), (2, 5, 4)),  # adjacent once the int is gone: in place, as NumPy's here
    ((0, slice(None), slice(None), np.array([[0], [1]]), [1, 3]), (3, 12, 2, 2)),  # NumPy: (2, 2, 3, 12)
    ((True, 0, slice(None), [0, 1]), (2, 3, 5, 4)),  # a bool is an index tensor [0] on a new axis
])
def test_ints_are_not_index_tensors_when_index_tensors_are_separated(index, shape):
    want = torch.from_numpy(X)[tuple(torch.tensor(i) if isinstance(i, (list, np.ndarray)) else i for i in index)]
    assert tuple(want.shape) == shape  # PyTorch's own rule, as this test states it
    got = tg.tensor(X)[index]
    assert got.shape == shape
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_a_list_of_sequences_is_read_as_a_tuple_with_pytorchs_warning():
    x = np.arange(12.0).reshape(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = torch.from_numpy(x)[[[0, 1], [1, 2]]]
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        got = tg.tensor(x)[[[0, 1], [1, 2]]]
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert got.shape == (2,)
    long = [[0, 1]] * 32  # 32 entries or more: one index tensor, as in PyTorch
    assert tg.tensor(x)[long].shape == tuple(torch.from_numpy(x)[long].shape) == (32, 2, 4)


@pytest.mark.parametrize("index, error, pattern", [
    (1.0, IndexError, "getitem: only integers.*float"),
    (np.array([1.0]), IndexError, "getitem: only integers.*float64"),
    ((0, 0, 0), IndexError, "too many indices"),
    ((Ellipsis, [0], Ellipsis, 0), IndexError, "single ellipsis"),
])
def test_bad_indices_are_refused_naming_getitem(index, error, pattern):
    with pytest.raises(error, match=pattern):
        tg.zeros(3, 4)[index]


def test_a_zero_d_integer_tensor_is_an_int_and_an_empty_list_picks_nothing():
    x = np.arange(60.0).reshape(3, 4, 5)
    for ours, theirs in (((tg.tensor(1), slice(None), [0, 2]), (torch.tensor(1), slice(None), [0, 2])),
                         ([], []), ((slice(None), []), (slice(None), []))):
        want = torch.from_numpy(x)[theirs]
        got = tg.tensor(x)[ours]
        assert got.shape == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
