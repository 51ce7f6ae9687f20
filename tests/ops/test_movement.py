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


# ----- the names PyTorch users port: mT, unflatten, meshgrid, repeat_interleave; roll and flip as PyTorch -----
def test_mT_swaps_the_last_two_axes_like_torch():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    matches_torch(lambda a: a.mT, lambda a: a.mT, [x], tol=TORCH_TOL)
    matches_torch(lambda a: a.mT, lambda a: a.mT, [x[0]], tol=TORCH_TOL)
    with pytest.raises(ValueError, match=r"mT: .*at least 2 dimensions.*\(3,\)"):
        _ = tg.randn(3).mT


@pytest.mark.parametrize("shape, axis, sizes", [((4, 3), 0, (2, 2)), ((2, 6), -1, (3, -1)), ((2, 6, 5), 1, (1, 6)),
                                                ((6,), 0, (-1, 1, 2)), ((2, 0), 1, (0, 5))])
def test_unflatten_matches_torch(shape, axis, sizes):
    x = np.random.default_rng(1).standard_normal(shape)
    matches_torch(lambda a: a.unflatten(axis, sizes), lambda a: a.unflatten(axis, sizes), [x], tol=TORCH_TOL)
    assert tg.unflatten(tg.tensor(x), dim=axis, sizes=sizes).shape == tuple(torch.tensor(x).unflatten(axis,
                                                                                                     sizes).shape)


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("sizes", [(3,), (3, 2), (2, 3, 4), (1, 4)])
def test_meshgrid_matches_torch_values_shapes_and_gradients(indexing, sizes):
    rng = np.random.default_rng(2)
    xs = [rng.standard_normal(n) for n in sizes]
    weights = [rng.standard_normal(torch.meshgrid(*[torch.zeros(n) for n in sizes], indexing=indexing)[0].shape)
               for _ in sizes]

    def ours(*a):
        return sum((g * tg.tensor(w, dtype=np.float64)).sum()
                   for g, w in zip(tg.meshgrid(*a, indexing=indexing), weights))

    def theirs(*a):
        return sum((g * torch.tensor(w)).sum() for g, w in zip(torch.meshgrid(*a, indexing=indexing), weights))
    matches_torch(ours, theirs, xs, tol=TORCH_TOL)
    grids = tg.meshgrid([tg.tensor(x, dtype=np.float64) for x in xs], indexing=indexing)  # one list, as torch
    want = torch.meshgrid([torch.tensor(x) for x in xs], indexing=indexing)
    assert type(grids) is tuple and [g.shape for g in grids] == [tuple(w.shape) for w in want]
    for g, w in zip(grids, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_meshgrid_defaults_to_ij_and_refuses_bad_input():
    a, b = tg.meshgrid(tg.arange(3), tg.arange(2))
    assert a.shape == b.shape == (3, 2)
    with pytest.raises(ValueError, match=r"meshgrid: indexing must be 'ij' or 'xy', got 'yx'"):
        tg.meshgrid(tg.arange(3), indexing="yx")
    with pytest.raises(ValueError, match=r"meshgrid: expects 0-d or 1-D tensors.*\(2, 2\)"):
        tg.meshgrid(tg.zeros(2, 2), tg.arange(3))
    with pytest.raises(ValueError, match="meshgrid: expected at least one tensor"):
        tg.meshgrid()


@pytest.mark.parametrize("repeats, axis", [(2, None), (3, 0), (2, -1), ([1, 0, 2], 0), ([2], 1),
                                           (np.array([0, 1, 2, 3]), 1), (0, 1)])
def test_repeat_interleave_matches_torch_values_and_gradients(repeats, axis):
    x = np.random.default_rng(3).standard_normal((3, 4))
    torch_repeats = repeats if isinstance(repeats, int) else torch.tensor(np.asarray(repeats))
    ours_repeats = repeats if isinstance(repeats, int) else tg.tensor(np.asarray(repeats))
    matches_torch(lambda a: a.repeat_interleave(ours_repeats, dim=axis),
                  lambda a: a.repeat_interleave(torch_repeats, dim=axis), [x], tol=TORCH_TOL)


def test_repeat_interleave_of_counts_alone_and_of_a_scalar_match_torch():
    counts = [2, 0, 3]
    np.testing.assert_array_equal(tg.repeat_interleave(tg.tensor(counts)).numpy(),
                                  torch.repeat_interleave(torch.tensor(counts)).numpy())
    assert tg.repeat_interleave(tg.tensor(counts)).dtype == np.int64
    matches_torch(lambda a: a.repeat_interleave(3), lambda a: a.repeat_interleave(3), [2.0], tol=TORCH_TOL)
    assert tg.tensor([1.0, 2.0]).repeat_interleave(2, output_size=4).tolist() == [1.0, 1.0, 2.0, 2.0]


@pytest.mark.parametrize("shifts", [1, -5, 30, (7,), [-2]])
def test_roll_without_dims_flattens_like_torch(shifts):
    x = np.arange(24.0).reshape(2, 3, 4)
    matches_torch(lambda a: a.roll(shifts), lambda a: a.roll(shifts), [x], tol=TORCH_TOL)
    matches_torch(lambda a: tg.roll(a, 2), lambda a: torch.roll(a, 2), [x], tol=TORCH_TOL)


def test_flip_with_a_repeated_axis_is_refused_like_torch():
    for dims in ((0, 0), (1, -2), [2, 0, 2]):
        with pytest.raises(RuntimeError):
            torch.zeros(2, 3, 4).flip(dims)
        with pytest.raises(ValueError, match=r"flip: axis \d appears more than once"):
            tg.zeros(2, 3, 4).flip(dims)
        with pytest.raises(ValueError, match="flip: axis"):
            tg.flip(tg.zeros(2, 3, 4), dims=dims)


@pytest.mark.parametrize("dim", [0, 1, -1, 2, -3])
def test_cat_and_stack_take_dim_like_torch(dim):
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    matches_torch(lambda x, y: tg.stack([x, y], dim=dim), lambda x, y: torch.stack([x, y], dim=dim), [a, b],
                  tol=TORCH_TOL)
    if -2 <= dim < 2:
        matches_torch(lambda x, y: tg.cat((x, y), dim=dim), lambda x, y: torch.cat((x, y), dim=dim), [a, b],
                      tol=TORCH_TOL)
    with pytest.raises(TypeError, match="cat: .*axis=0.*dim=1"):
        tg.cat([tg.tensor(a)], axis=0, dim=1)


@pytest.mark.parametrize("op, error, pattern", [
    (lambda: tg.randn(4, 3).unflatten(0, (3, 2)), ValueError, r"unflatten: sizes \(3, 2\).*axis 0 of size 4"),
    (lambda: tg.randn(4, 3).unflatten(0, (-1, -1)), ValueError, r"unflatten: sizes \(-1, -1\)"),
    (lambda: tg.randn(4, 3).unflatten(0, ()), ValueError, r"unflatten: sizes must be a non-empty tuple"),
    (lambda: tg.randn(4, 3).unflatten(2, (2, 2)), ValueError, r"unflatten: axis 2.*\(4, 3\)"),
    (lambda: tg.randn(3).repeat_interleave([1, 2]), ValueError, r"repeat_interleave: repeats must be an int or 3"),
    (lambda: tg.randn(3).repeat_interleave(-1), ValueError, r"repeat_interleave: repeats must be non-negative"),
    (lambda: tg.randn(3).repeat_interleave(1.5), ValueError, r"repeat_interleave: repeats must be an int"),
    (lambda: tg.randn(3).repeat_interleave(2, output_size=5), ValueError, r"output_size=5.*6"),
    (lambda: tg.repeat_interleave(tg.randn(3)), ValueError, r"repeat_interleave: repeats alone.*1-D integer"),
    (lambda: tg.randn(2, 3).roll((1, 2)), ValueError, r"roll: without an axis, shifts must be one int"),
])
def test_new_names_refuse_bad_input_naming_the_op(op, error, pattern):
    with pytest.raises(error, match=pattern):
        op()
