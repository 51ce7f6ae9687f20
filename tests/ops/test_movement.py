"""Movement ops: reshape, transpose, expand, cat and their compositions (ops/movement.py)."""
import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from family_checks import FamilyChecks, grads_of, matches_torch
from tinygrad_gen import dispatch
from tinygrad_gen.ops import movement
from tinygrad_gen.ops.fast.movement import SMALL, ExpandCopy

A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
TORCH_TOL = dict(rtol=1e-7, atol=0)  # values and gradients against PyTorch's


class TestMovementRows(FamilyChecks):
    family = movement


# ----- values against NumPy -----
def test_reshape_transpose_and_friends_match_numpy():
    t = tg.tensor(A)
    np.testing.assert_array_equal(t.reshape(4, 6).numpy(), A.reshape(4, 6))
    np.testing.assert_array_equal(t.reshape((6, -1)).numpy(), A.reshape(6, -1))
    np.testing.assert_array_equal(t.view(-1).numpy(), A.reshape(-1))
    np.testing.assert_array_equal(t.transpose(1, 0, 2).numpy(), A.transpose(1, 0, 2))
    np.testing.assert_array_equal(t.transpose((2, 0, 1)).numpy(), A.transpose(2, 0, 1))
    np.testing.assert_array_equal(t.permute(-1, 0, 1).numpy(), A.transpose(2, 0, 1))
    np.testing.assert_array_equal(t.transpose().numpy(), A.T)
    np.testing.assert_array_equal(t.T.numpy(), A.T)
    np.testing.assert_array_equal(t.swapaxes(0, 2).numpy(), A.swapaxes(0, 2))
    np.testing.assert_array_equal(t[:, :1].squeeze(1).numpy(), A[:, 0])
    np.testing.assert_array_equal(t[:1, :1].squeeze().numpy(), A[0, 0])
    np.testing.assert_array_equal(t[:1, :, :1].squeeze((0, 2)).numpy(), A[0, :, 0])
    assert t.unsqueeze(-1).shape == (2, 3, 4, 1) and t.unsqueeze(1).shape == (2, 1, 3, 4)
    assert t.flatten().shape == (24,) and t.flatten(1).shape == (2, 12) and t.flatten(0, 1).shape == (6, 4)
    np.testing.assert_array_equal(t[:, :1].expand(2, 5, 4).numpy(), np.broadcast_to(A[:, :1], (2, 5, 4)))
    np.testing.assert_array_equal(t[:, :1].expand(-1, 5, -1).numpy(), np.broadcast_to(A[:, :1], (2, 5, 4)))
    np.testing.assert_array_equal(t[0, 0].expand(3, 4).numpy(), np.broadcast_to(A[0, 0], (3, 4)))


def test_reshape_to_its_own_shape_returns_the_tensor_itself():
    t = tg.tensor(A)
    assert t.reshape(2, 3, 4) is t and t.expand(2, 3, 4) is t


def test_zero_d_tensors_squeeze_flatten_and_swap():
    x = tg.tensor(2.0)
    assert x.squeeze(0).shape == () and x.squeeze(-1).shape == () and x.squeeze().shape == ()
    assert x.flatten().shape == (1,) and x.unsqueeze(0).shape == (1,) and x.swapaxes(0, -1).shape == ()


def test_cat_and_stack_match_numpy_and_take_dim():
    a, b = np.arange(6.0).reshape(2, 3), -np.arange(6.0).reshape(2, 3)
    ta, tb = tg.tensor(a), tg.tensor(b)
    np.testing.assert_array_equal(tg.cat([ta, tb], axis=1).numpy(), np.concatenate([a, b], axis=1))
    np.testing.assert_array_equal(tg.cat([ta, tb], dim=-1).numpy(), np.concatenate([a, b], axis=1))
    np.testing.assert_array_equal(tg.stack([ta, tb], axis=1).numpy(), np.stack([a, b], axis=1))
    np.testing.assert_array_equal(tg.stack([ta, tb], dim=2).numpy(), np.stack([a, b], axis=2))
    np.testing.assert_array_equal(tg.cat([a, tb]).numpy(), np.concatenate([a, b]))  # arrays are made tensors


def test_cat_sends_each_input_its_own_slice_of_the_gradient():
    a = tg.zeros(2, 3, requires_grad=True)
    b = tg.zeros(1, 3, requires_grad=True)
    (tg.cat([a, b]) * tg.tensor(np.arange(9.0).reshape(3, 3))).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(b.grad.numpy(), [[6.0, 7.0, 8.0]])


def test_expand_gradient_sums_over_the_repeated_axes():
    x = tg.tensor([[1.0], [2.0]], requires_grad=True)
    x.expand(3, 2, 4).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[12.0], [12.0]])


def test_tg_forms_take_arrays_and_lists():
    np.testing.assert_array_equal(tg.reshape([1.0, 2.0, 3.0, 4.0], (2, 2)).numpy(), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(tg.transpose(np.eye(2) * [1, 2]).numpy(), [[1, 0], [0, 2]])
    assert tg.flatten(np.zeros((2, 3))).shape == (6,) and tg.numel(np.zeros((2, 3))) == 6
    assert tg.squeeze(np.zeros((2, 1))).shape == (2,) and tg.unsqueeze([1, 2], 0).shape == (1, 2)
    assert tg.permute(np.zeros((2, 3)), 1, 0).shape == (3, 2)


def test_size_queries_and_shape_borrowing():
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    assert x.numel() == 6 and x.dim() == 2 and tg.tensor(1.0).dim() == 0
    assert x.expand_as(tg.zeros(4, 2, 3)).shape == (4, 2, 3)
    assert x.view_as(tg.zeros(3, 2)).shape == (3, 2) and x.reshape_as(tg.zeros(6)).shape == (6,)


def test_chunk_and_split_give_torchs_pieces():
    x = np.arange(14.0).reshape(7, 2)
    for ours, theirs in ((tg.tensor(x).chunk(3), torch.tensor(x).chunk(3)),
                         (tg.tensor(x).chunk(8), torch.tensor(x).chunk(8)),
                         (tg.tensor(x).split(3), torch.tensor(x).split(3)),
                         (tg.chunk(tg.tensor(x), 2, dim=1), torch.chunk(torch.tensor(x), 2, 1)),
                         (tg.split(tg.tensor(x), [1, 1], axis=1), torch.split(torch.tensor(x), [1, 1], 1))):
        assert [p.numpy().tolist() for p in ours] == [p.numpy().tolist() for p in theirs]


@pytest.mark.parametrize("kernels", ["fast", "reference"])
@pytest.mark.parametrize("sizes", [(1, 1), (2, 1, 1), (1, 400)])
def test_repeat_gives_a_new_writable_tensor_like_torch(sizes, kernels):
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    with dispatch.kernels(kernels):
        y = x.repeat(*sizes)
    y.fill_(7.0)  # PyTorch's repeat copies: writing into the result leaves x as it was
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0).reshape(2, 3))
    assert (y.numpy() == 7.0).all() and y.shape == tuple(torch.zeros(2, 3).repeat(*sizes).shape)


def test_roll_repeat_tile_flip_match_torch():
    x = np.random.default_rng(0).standard_normal((2, 3))
    matches_torch(lambda a: a.roll((1, -1), axis=(0, 1)), lambda a: a.roll((1, -1), (0, 1)), [x], tol=TORCH_TOL)
    matches_torch(lambda a: a.roll(4), lambda a: a.roll(4), [x], tol=TORCH_TOL)
    matches_torch(lambda a: a.repeat(2, 1, 3), lambda a: a.repeat(2, 1, 3), [x], tol=TORCH_TOL)
    matches_torch(lambda a: a.repeat((1, 2)), lambda a: a.repeat((1, 2)), [x], tol=TORCH_TOL)
    matches_torch(lambda a: a.tile((2,)), lambda a: a.tile((2,)), [x], tol=TORCH_TOL)
    matches_torch(lambda a: a.tile(2, 1, 1), lambda a: a.tile((2, 1, 1)), [x], tol=TORCH_TOL)
    matches_torch(lambda a: tg.flip(a, (0, 1)), lambda a: torch.flip(a, (0, 1)), [x], tol=TORCH_TOL)
    np.testing.assert_array_equal(tg.tensor(x, dtype=np.float64).flip().numpy(), np.flip(x))  # None: every axis


def test_pytorch_keyword_spellings_work():
    x = np.arange(12.0).reshape(3, 4)
    t, tt = tg.tensor(x), torch.tensor(x)
    assert np.array_equal(t.flip(dims=(0,)).numpy(), tt.flip(dims=(0,)).numpy())
    assert np.array_equal(t.flip(dim=1).numpy(), tt.flip(dims=(1,)).numpy())
    assert np.array_equal(t.roll(shifts=1, dims=1).numpy(), tt.roll(shifts=1, dims=1).numpy())
    assert np.array_equal(t[:1].squeeze(dim=0).numpy(), tt[:1].squeeze(dim=0).numpy())
    assert t.unsqueeze(dim=1).shape == tuple(tt.unsqueeze(dim=1).shape)
    assert [p.shape for p in t.split(2, dim=1)] == [tuple(p.shape) for p in tt.split(2, dim=1)]


def test_giving_an_axis_twice_is_an_error_naming_the_op():
    with pytest.raises(TypeError, match="flip.*axis.*dims"):
        tg.randn(2, 3).flip(axis=0, dims=0)
    with pytest.raises(TypeError, match="roll.*axis.*dims"):
        tg.randn(2, 3).roll(1, axis=0, dims=0)
    with pytest.raises(TypeError, match="squeeze.*axis.*dim"):
        tg.randn(2, 1).squeeze(axis=1, dim=1)


# ----- errors: they name the op and the shapes -----
@pytest.mark.parametrize("op, error, pattern", [
    (lambda: tg.randn(3, 4).reshape(5), ValueError, r"Reshape.*12.*\(5,\)"),
    (lambda: tg.cat([tg.randn(2, 3), tg.randn(2, 4)]), ValueError, r"Cat.*\(2, 3\), \(2, 4\)"),
    (lambda: tg.cat([]), ValueError, r"cat: expected a non-empty"),
    (lambda: tg.stack([tg.randn(2, 3), tg.randn(3, 2)]), ValueError, r"stack.*\(2, 3\).*\(3, 2\)"),
    (lambda: tg.randn(2, 3).transpose(0, 0), ValueError, r"transpose.*\(0, 0\).*\(2, 3\)"),
    (lambda: tg.randn(2, 3).transpose(0), ValueError, r"transpose.*\(0,\).*\(2, 3\)"),
    (lambda: tg.randn(2, 3).swapaxes(0, 2), ValueError, r"swapaxes.*axis 2.*\(2, 3\)"),
    (lambda: tg.randn(2, 3).squeeze(0), ValueError, r"squeeze.*axis 0.*size 2"),
    (lambda: tg.randn(2, 3).unsqueeze(3), ValueError, r"unsqueeze.*axis 3.*\(2, 3\)"),
    (lambda: tg.randn(2, 3, 4).flatten(2, 1), ValueError, r"flatten.*2.*1.*\(2, 3, 4\)"),
    (lambda: tg.randn(2, 3).expand(3), ValueError, r"expand.*\(2, 3\)"),
    (lambda: tg.randn(2, 3).expand(4, 3), ValueError, r"Expand.*\(2, 3\).*\(4, 3\)"),
    (lambda: tg.randn(2, 3).split([1, 2]), ValueError, r"split.*\[1, 2\].*size 2"),
    (lambda: tg.randn(2, 3).split(0), ValueError, r"split.*positive"),
    (lambda: tg.randn(2, 3).chunk(0), ValueError, r"chunk.*positive"),
    (lambda: tg.randn(2, 3).roll((1, 2), axis=0), ValueError, r"roll: 2 shifts for 1 axes"),
    (lambda: tg.randn(2, 3).repeat(2), ValueError, r"repeat.*\(2, 3\)"),
    (lambda: tg.randn(2, 3).repeat(2, -1), ValueError, r"repeat.*non-negative"),
    (lambda: tg.randn(2, 3).flip(2), ValueError, r"flip.*axis 2"),
])
def test_errors_name_the_op_and_the_shapes(op, error, pattern):
    with pytest.raises(error, match=pattern):
        op()


def test_expand_errors_read_the_same_on_both_paths():
    with dispatch.kernels("reference"):
        with pytest.raises(ValueError) as plain:
            tg.randn(2, 3).expand(4, 3)
    with pytest.raises(ValueError) as fast:
        tg.randn(2, 3).expand(4, 3)
    assert str(plain.value) == str(fast.value)


# ----- the fast path: small expansions are copies -----
def test_the_fast_path_is_registered_and_chosen_by_dispatch():
    with dispatch.kernels("fast"):
        assert dispatch.pick(movement.Expand) is ExpandCopy
    with dispatch.kernels("Expand=reference"):
        assert dispatch.pick(movement.Expand) is movement.Expand


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("source, target", [((3, 1), (3, 4)), ((1, 32), (32, 32)), ((1, 32), (33, 32)),
                                            ((4, 1, 8), (2, 4, 300, 8)), ((), (5,))])
def test_fast_expand_matches_the_plain_view_on_both_sides_of_the_threshold(source, target, dtype):
    values = np.random.default_rng(0).standard_normal(source)

    def fn(a):
        return a.expand(*target) * tg.tensor(np.linspace(0.5, 2, int(np.prod(target))).reshape(target), dtype=dtype)
    with dispatch.kernels("reference"):
        want, want_grads = grads_of(fn, [values], dtype)
    got, grads = grads_of(fn, [values], dtype)
    assert got.dtype == want.dtype == dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(grads[0], want_grads[0], rtol=1e-6 if dtype == np.float32 else 1e-12)


def test_the_plain_expand_is_a_view_and_the_fast_path_copies_only_small_outputs():
    x = tg.tensor(np.arange(3.0).reshape(3, 1))
    with dispatch.kernels("reference"):
        view = x.expand(3, 4)
    assert np.shares_memory(view.numpy(), x.numpy()) and not view.numpy().flags.writeable
    with dispatch.kernels("fast"):
        small, large = x.expand(3, SMALL // 3), x.expand(3, SMALL // 3 + 1)
    assert not np.shares_memory(small.numpy(), x.numpy()) and small.numpy().flags.c_contiguous
    assert np.shares_memory(large.numpy(), x.numpy())


def test_fast_expand_second_derivatives_match_the_plain_op():
    w = np.random.default_rng(1).standard_normal((3, 1))

    def fn(a):
        return (a.expand(3, 5) ** 3).sum()

    def second(a_values):
        a = tg.tensor(a_values, dtype=np.float64, requires_grad=True)
        (g,) = tg.grad(fn(a), [a], create_graph=True)
        g.sum().backward()
        return a.grad.numpy()
    with dispatch.kernels("reference"):
        want = second(w)
    np.testing.assert_allclose(second(w), want, rtol=1e-12)
    np.testing.assert_allclose(want, 6 * w * 5)
