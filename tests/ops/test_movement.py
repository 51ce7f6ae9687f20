"""Movement ops: reshape, transpose, expand, cat and their compositions (ops/movement.py)."""
import numpy as np
import pytest
import torch

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
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
    (lambda: tg.randn(2, 3).permute(0, 0), ValueError, r"permute.*\(0, 0\).*\(2, 3\)"),
    (lambda: tg.randn(2, 3).transpose(0), ValueError, r"permute.*\(0,\).*\(2, 3\)"),
    (lambda: tg.randn(2, 3).transpose(0, 2), ValueError, r"transpose.*axis 2.*\(2, 3\)"),
    (lambda: tg.randn(2, 3).swapaxes(0, 2), ValueError, r"swapaxes.*axis 2.*\(2, 3\)"),
    (lambda: tg.randn(2, 1).squeeze((1, -1)), ValueError, r"squeeze: dim 1 appears multiple times"),
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
        with pytest.raises(ValueError, match=r"flip: dim \d appears multiple times in the list of dims"):
            tg.zeros(2, 3, 4).flip(dims)
        with pytest.raises(ValueError, match="flip: dim .* appears multiple times"):
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


# ----- unfold and sum_to: PyTorch's sliding windows and DeZero's sum_to (sum_to_size) -----
@pytest.mark.parametrize("shape, args", [((7,), (0, 3, 2)), ((7,), (0, 7, 1)), ((2, 5, 3), (1, 2, 1)),
                                         ((2, 5, 3), (-1, 1, 2)), ((2, 5, 3), (0, 2, 5)), ((4, 6), (1, 0, 2)),
                                         ((), (0, 1, 1)), ((), (-1, 0, 3))])
def test_unfold_matches_torch_values_shapes_and_gradients(shape, args):
    x = np.random.default_rng(5).standard_normal(shape)
    out, _ = matches_torch(lambda a: a.unfold(*args), lambda a: a.unfold(*args), [x], tol=TORCH_TOL)
    assert out.shape == tuple(torch.tensor(x).unfold(*args).shape)
    assert tg.tensor(x).unfold(dimension=args[0], size=args[1], step=args[2]).shape == out.shape


def test_unfold_gradient_adds_overlapping_windows_back():
    x = tg.zeros(6, requires_grad=True)
    x.unfold(0, 3, 1).sum().backward()  # element i sits in min(i + 1, 3, 6 - i) windows
    np.testing.assert_array_equal(x.grad.numpy(), [1, 2, 3, 3, 2, 1])


@pytest.mark.parametrize("shape, target", [((2, 3), (1, 3)), ((2, 3), (3,)), ((2, 3), (2, 1)), ((2, 3), ()),
                                           ((2, 3), (1,)), ((4, 1, 3), (1, 1, 1)), ((2, 3), (2, 3)),
                                           ((2, 0), (1, 0)), ((2, 0), (1, 1))])
def test_sum_to_matches_torchs_sum_to_size(shape, target):
    x = np.random.default_rng(6).standard_normal(shape)
    matches_torch(lambda a: a.sum_to_size(target), lambda a: a.sum_to_size(target), [x], tol=TORCH_TOL)
    if target:
        matches_torch(lambda a: a.sum_to_size(*target) * 1.0, lambda a: a.sum_to_size(*target) * 1.0, [x],
                      tol=TORCH_TOL)
    matches_torch(lambda a: tg.sum_to(a, target) * 1.0, lambda a: a.sum_to_size(target) * 1.0, [x], tol=TORCH_TOL)
    assert F.sum_to(x, target).shape == tg.tensor(x).sum_to_size(size=target).shape == target


def test_sum_to_undoes_broadcasting_and_its_gradient_broadcasts_back():
    y = np.random.default_rng(7).standard_normal((3, 1))
    big = tg.tensor(y, dtype=np.float64).expand(2, 3, 4)
    np.testing.assert_allclose(tg.sum_to(big, (3, 1)).numpy(), y * 8)
    x = tg.tensor(np.ones((2, 3)), dtype=np.float64, requires_grad=True)
    (tg.sum_to(x, (3,)) * tg.tensor([1.0, 2.0, 3.0], dtype=np.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 2, 3], [1, 2, 3]])
    t = tg.zeros(2, 3)
    assert t.sum_to_size(2, 3) is t  # as PyTorch: the tensor itself
    assert tg.tensor(np.ones((2, 3), np.int32)).sum_to_size(1, 3).dtype == np.int64  # a sum, as PyTorch's


@pytest.mark.parametrize("op, error, pattern", [
    (lambda: tg.zeros(2, 3).sum_to_size(4, 3), ValueError, r"sum_to_size: shape \(4, 3\) is not expandable.*\(2, 3\)"),
    (lambda: tg.zeros(2, 3).sum_to_size(1, 1, 3), ValueError, r"sum_to_size: shape \(1, 1, 3\).*\(2, 3\)"),
    (lambda: tg.zeros(2, 3).sum_to_size(2, -1), ValueError, r"sum_to_size: shape \(2, -1\)"),
    (lambda: tg.sum_to(tg.zeros(2, 3), (0, 3)), ValueError, r"sum_to: shape \(0, 3\)"),
    (lambda: tg.sum_to(tg.zeros(2, 3), (1.5, 3)), TypeError, r"sum_to: shape must be ints"),
    (lambda: tg.zeros(2, 3).sum_to_size(1, 3, size=(1, 3)), TypeError, r"sum_to_size: give the target shape once"),
    (lambda: tg.zeros(2, 3).sum_to_size(), TypeError, r"sum_to_size: give the target shape once"),
    (lambda: tg.zeros(2, 5).unfold(1, 6, 1), ValueError, r"unfold: maximum size for tensor at dimension 1 is 5 but"),
    (lambda: tg.zeros(2, 5).unfold(1, 2, 0), ValueError, r"unfold: step must be an int >= 1, got 0"),
    (lambda: tg.zeros(2, 5).unfold(1, -1, 1), ValueError, r"unfold: size must be an int >= 0"),
    (lambda: tg.zeros(2, 5).unfold(2, 1, 1), ValueError, r"unfold: axis 2 is out of range.*\(2, 5\)"),
])
def test_unfold_and_sum_to_refuse_bad_input_naming_the_op(op, error, pattern):
    with pytest.raises(error, match=pattern):
        op()


# ----- PyTorch's squeeze, and PyTorch's keyword names -----
@pytest.mark.parametrize("axis", [0, 1, -1, (0, 1), (1, 2), (), (-3, -1)])
def test_squeeze_keeps_named_axes_whose_size_is_not_1_like_torch(axis):
    x = np.random.default_rng(8).standard_normal((2, 1, 3))
    matches_torch(lambda a: a.squeeze(axis), lambda a: a.squeeze(axis), [x], tol=TORCH_TOL)


def test_flatten_and_swapaxes_take_pytorchs_keywords():
    x = np.random.default_rng(9).standard_normal((2, 3, 4))
    t, tt = tg.tensor(x, dtype=np.float64), torch.tensor(x)
    np.testing.assert_array_equal(t.flatten(start_dim=1).numpy(), tt.flatten(start_dim=1).numpy())
    np.testing.assert_array_equal(tg.flatten(t, start_dim=0, end_dim=1).numpy(),
                                  torch.flatten(tt, start_dim=0, end_dim=1).numpy())
    np.testing.assert_array_equal(t.swapaxes(axis0=0, axis1=2).numpy(), tt.swapaxes(axis0=0, axis1=2).numpy())


# ----- axes every family shares: an axis named twice (checks.normalize_axis), dim= on every bound name -----
REDUCTIONS = ["sum", "mean", "amax", "amin", "logsumexp", "prod", "var", "std", "all", "any", "flip", "squeeze"]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("dims", [(0, 0), (1, -2), [2, 0, 2]])
def test_an_axis_named_twice_is_refused_like_torch(name, dims):
    x = np.random.default_rng(10).standard_normal((2, 3, 4))
    with pytest.raises(RuntimeError, match=r"dim \d appears multiple times in the list of dims"):
        getattr(torch.tensor(x), name)(dims) if name not in ("prod",) else torch.tensor(x).sum(dims)
    with pytest.raises(ValueError, match=rf"{name}: dim \d appears multiple times in the list of dims"):
        getattr(tg, name)(tg.tensor(x), dims)
    with pytest.raises(ValueError, match=rf"{name}: dim \d appears multiple times"):
        getattr(tg.tensor(x), name)(dim=dims)


def test_a_repeated_axis_of_a_scalar_is_refused_too():
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        torch.tensor(1.0).sum((0, -1))
    with pytest.raises(ValueError, match="sum: dim 0 appears multiple times"):
        tg.tensor(1.0).sum((0, -1))
    assert tg.tensor(1.0).sum((0,)).shape == tuple(torch.tensor(1.0).sum((0,)).shape) == ()


# the extra arguments of each bound name that takes axis= (dim=): a tuple of positional ones, a dict of keyword
# ones, "index" / "scatter" / a reduce name for gather and the scatters (keywords), "vector" for index_select (a 1-D
# index), "along" for take_along_dim (an index of x's shape), or None where PyTorch has no such name
EXTRA = {
    "split": (2,), "chunk": (2,), "topk": (2,), "kthvalue": (2,), "repeat_interleave": (2,), "roll": (1,),
    "gather": "index", "scatter": "scatter", "scatter_add": "scatter", "scatter_reduce": "amax",
    "masked_softmax": None, "narrow": {"start": 1, "length": 2}, "select": {"index": -1},
    "index_select": "vector", "take_along_dim": "along",
}


def _extra(name, library, x):
    """(positional, keyword) extra arguments of ``name`` for ``library`` ("tg" or "torch") at input x."""
    extra = EXTRA.get(name, ())
    if extra is None or isinstance(extra, tuple):
        return extra or (), {}
    if isinstance(extra, dict):
        return (), dict(extra)
    if extra in ("vector", "along"):
        index = np.array([2, 0, 0]) if extra == "vector" else np.arange(12).reshape(3, 4) % 3
        key = "index" if extra == "vector" else "indices"
        return (), {key: tg.tensor(index) if library == "tg" else torch.from_numpy(index)}
    index = np.arange(12).reshape(3, 4) % 3
    kw = dict(index=tg.tensor(index) if library == "tg" else torch.from_numpy(index))
    if extra != "index":
        kw["src"] = x
    if extra not in ("index", "scatter"):
        kw["reduce"] = extra
    return (), kw


def _bound_names_with_an_axis():
    import inspect

    from tinygrad_gen import binding
    from tinygrad_gen.ops import FAMILIES
    out = []
    for row in binding.rows(FAMILIES):
        if isinstance(row.fn, property) or "axis" not in inspect.signature(row.fn).parameters:
            continue
        out += [("method", n) for n in row.methods] + [("tg", n) for n in row.functions]
        out += [("F", n) for n in row.functionals]
    return out


def _flat(result):
    items = result if isinstance(result, (tuple, list)) else (result,)
    return [np.asarray(r.detach().numpy() if isinstance(r, torch.Tensor) else r.numpy()) for r in items]


@pytest.mark.parametrize("where, name", _bound_names_with_an_axis())
@pytest.mark.parametrize("dim", [0, 1, -2])
def test_every_bound_name_with_an_axis_takes_dim_like_torch(where, name, dim):
    x = np.random.default_rng(11).permutation(12).reshape(3, 4) * 0.5 - 2.0  # distinct: no ties for sort, mode
    t, tt = tg.tensor(x, dtype=np.float64), torch.tensor(x)
    first, theirs_first = ([t, t * 2.0], [tt, tt * 2.0]) if name in ("cat", "stack") else (t, tt)
    args, kwargs = _extra(name, "tg", t)
    if name == "unflatten":
        kwargs = dict(sizes=(x.shape[dim], 1))
    if where == "method":
        fn = getattr(first, name)
    else:
        fn = getattr(tg if where == "tg" else F, name)
        args = (first,) + ((pattern_mask(x),) if name == "masked_softmax" else ()) + args
    got, also = fn(*args, dim=dim, **kwargs), fn(*args, axis=dim, **kwargs)  # dim= is axis=
    for a, b in zip(_flat(got), _flat(also), strict=True):
        np.testing.assert_array_equal(a, b)
    if EXTRA.get(name, ()) is None:
        return
    args, kwargs = _extra(name, "torch", tt)
    if name == "unflatten":
        kwargs = dict(sizes=(x.shape[dim], 1))
    if name in ("flip", "roll"):  # PyTorch spells these dims=
        want = getattr(tt, name)(*args, dims=(dim,))
    elif where == "F":
        want = getattr(torch.nn.functional, name)(theirs_first, *args, dim=dim, **kwargs)
    elif where == "method":
        want = getattr(theirs_first, name)(*args, dim=dim, **kwargs)
    else:
        want = getattr(torch, name)(theirs_first, *args, dim=dim, **kwargs)
    for a, b in zip(_flat(got), _flat(want), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def pattern_mask(x):
    return np.arange(x.size).reshape(x.shape) % 3 != 0


def test_the_dim_table_lists_every_bound_name_that_needs_arguments():
    names = {n for _, n in _bound_names_with_an_axis()}
    assert set(EXTRA) <= names, f"stale rows: {set(EXTRA) - names}"
    assert {"split", "chunk", "sort", "topk", "cat", "stack", "cumsum", "softmax", "argmax"} <= names


# ----- t, movedim, unbind, narrow, select: PyTorch's names, values, gradients and errors -----
@pytest.mark.parametrize("shape", [(), (3,), (3, 4), (1, 5)])
def test_t_transposes_a_matrix_and_returns_lower_dimensions_as_they_are(shape):
    x = np.random.default_rng(20).standard_normal(shape)
    matches_torch(lambda a: a.t(), lambda a: a.t(), [x], tol=TORCH_TOL)
    matches_torch(lambda a: tg.t(a), lambda a: torch.t(a), [x], tol=TORCH_TOL)


def test_t_refuses_more_than_two_dimensions_like_torch():
    with pytest.raises(RuntimeError, match=r"t\(\) expects a tensor with <= 2 dimensions"):
        torch.zeros(2, 3, 4).t()
    with pytest.raises(ValueError, match=r"t: expects a tensor with <= 2 dimensions, but x is 3-D \(shape \(2, 3, 4\)"):
        tg.zeros(2, 3, 4).t()


@pytest.mark.parametrize("source, destination", [(0, -1), (-1, 0), (1, 1), ((0, 1), (2, 0)), ([2, 0], [0, 1]),
                                                 ((0, 1, 2), (2, 1, 0)), ((), ())])
def test_movedim_and_moveaxis_match_torch(source, destination):
    x = np.random.default_rng(21).standard_normal((2, 3, 4))
    matches_torch(lambda a: a.movedim(source, destination), lambda a: a.movedim(source, destination), [x],
                  tol=TORCH_TOL)
    matches_torch(lambda a: tg.moveaxis(a, source, destination), lambda a: torch.moveaxis(a, source, destination),
                  [x], tol=TORCH_TOL)
    np.testing.assert_array_equal(tg.tensor(x, dtype=np.float64).movedim(source, destination).numpy(),
                                  np.moveaxis(x, source, destination))


@pytest.mark.parametrize("source, destination, pattern", [
    ((0, 0), (1, 2), r"movedim: repeated dim in `source` \(\[0, 0\]\)"),
    ((0, 1), (2, -1), r"movedim: repeated dim in `destination`"),
    ((0, 1), (2,), r"movedim: .*source \(\[0, 1\] dims\) should contain the same number of dims as destination"),
    (3, 0, r"movedim: dim 3 in source is out of range for a tensor with 3 dimensions"),
])
def test_movedim_refuses_bad_dims_like_torch(source, destination, pattern):
    with pytest.raises((RuntimeError, IndexError, TypeError)):
        torch.zeros(2, 3, 4).movedim(source, destination)
    with pytest.raises(ValueError, match=pattern):
        tg.zeros(2, 3, 4).movedim(source, destination)


@pytest.mark.parametrize("shape, axis", [((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1), ((1, 2), 0), ((5,), 0)])
def test_unbind_matches_torch_and_its_gradient_stacks_the_pieces_back(shape, axis):
    x = np.random.default_rng(22).standard_normal(shape)
    ours, theirs = tg.tensor(x, dtype=np.float64).unbind(axis), torch.tensor(x).unbind(axis)
    assert type(ours) is tuple and len(ours) == len(theirs)
    for o, t_ in zip(ours, theirs):
        np.testing.assert_array_equal(o.numpy(), t_.numpy())
    # only some pieces used: the others send zeros, as in PyTorch
    matches_torch(lambda a: a.unbind(dim=axis)[0] * 2.0 + tg.unbind(a, axis)[-1],
                  lambda a: a.unbind(dim=axis)[0] * 2.0 + torch.unbind(a, axis)[-1], [x], tol=TORCH_TOL)


def test_unbind_pieces_are_views_and_an_empty_axis_gives_no_pieces():
    x = tg.zeros(2, 3)
    first, _ = x.unbind()
    first.fill_(5.0)  # a view, as PyTorch's: the write reaches x
    assert x.numpy()[0].tolist() == [5.0, 5.0, 5.0] and x.numpy()[1].tolist() == [0.0, 0.0, 0.0]
    assert tg.zeros(0, 3).unbind() == () == torch.zeros(0, 3).unbind()
    with pytest.raises(ValueError, match="unbind: a 0-d tensor"):
        tg.tensor(1.0).unbind()


@pytest.mark.parametrize("axis, start, length", [(0, 0, 2), (1, -3, 2), (-1, 1, 3), (1, 4, 0), (0, -2, 2),
                                                 (1, 0, 4)])
def test_narrow_matches_torch(axis, start, length):
    x = np.random.default_rng(23).standard_normal((2, 4, 3)[:2] + (4,))
    matches_torch(lambda a: a.narrow(axis, start, length), lambda a: a.narrow(axis, start, length), [x],
                  tol=TORCH_TOL)
    matches_torch(lambda a: tg.narrow(a, dim=axis, start=start, length=length),
                  lambda a: torch.narrow(a, dim=axis, start=start, length=length), [x], tol=TORCH_TOL)


def test_narrow_takes_a_tensor_start_like_torch():
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(tg.tensor(x).narrow(1, tg.tensor(1), 2).numpy(),
                                  torch.tensor(x).narrow(1, torch.tensor(1), 2).numpy())


@pytest.mark.parametrize("op, error, pattern", [
    (lambda x: x.narrow(1, 3, 2), ValueError, r"narrow: start \(3\) \+ length \(2\) exceeds dimension size \(4\)"),
    (lambda x: x.narrow(1, 0, -1), ValueError, r"narrow: length must be non-negative"),
    (lambda x: x.narrow(1, 5, 0), ValueError, r"narrow: start out of range .*\[-4, 4\], but got 5"),
    (lambda x: x.narrow(1, 4, 1), ValueError, r"narrow: start \(4\) \+ length \(1\) exceeds dimension size"),
    (lambda x: x.narrow(2, 0, 1), ValueError, r"narrow: axis 2 is out of range"),
    (lambda x: x.narrow(0, 0, 1.5), TypeError, r"narrow: length must be an int"),
    (lambda x: x.select(1, 4), IndexError, r"select: index 4 out of range for tensor of size \(3, 4\) at dimension 1"),
    (lambda x: x.select(0, -4), IndexError, r"select: index -4 out of range"),
    (lambda x: x.select(0, 0.5), TypeError, r"select: index must be an int"),
])
def test_narrow_and_select_refuse_bad_input_like_torch(op, error, pattern):
    with pytest.raises((RuntimeError, IndexError, TypeError)):
        op(torch.zeros(3, 4))
    with pytest.raises(error, match=pattern):
        op(tg.zeros(3, 4))


def test_narrow_and_select_of_a_scalar_are_refused_like_torch():
    for op in (lambda x: x.narrow(0, 0, 1), lambda x: x.select(0, 0)):
        with pytest.raises((RuntimeError, IndexError), match="0-dim"):
            op(torch.tensor(1.0))
        with pytest.raises((ValueError, IndexError), match="0-dim"):
            op(tg.tensor(1.0))


@pytest.mark.parametrize("axis, index", [(0, 0), (0, -1), (1, 1), (-1, -4), (2, 3)])
def test_select_matches_torch(axis, index):
    x = np.random.default_rng(24).standard_normal((3, 2, 4))
    matches_torch(lambda a: a.select(axis, index), lambda a: a.select(axis, index), [x], tol=TORCH_TOL)
    matches_torch(lambda a: tg.select(a, dim=axis, index=index), lambda a: torch.select(a, dim=axis, index=index),
                  [x], tol=TORCH_TOL)


# ----- view never copies: PyTorch's error where the strides allow no view; reshape copies there -----
VIEWS = {  # (make x from a (3, 4) tensor, the shape to view it as)
    "contiguous": (lambda x: x, (-1,)),
    "t_flat": (lambda x: x.t(), (-1,)),
    "t_split_an_axis": (lambda x: x.t(), (2, 2, 3)),
    "t_add_axes": (lambda x: x.t(), (4, 1, 3, 1)),
    "column_slice_flat": (lambda x: x[:, 1:3], (6,)),
    "column_slice_split": (lambda x: x[:, 1:3], (3, 2, 1)),
    "row_slice_flat": (lambda x: x[1:], (8,)),
    "strided_rows": (lambda x: x[::2], (8,)),
    "permuted_3d": (lambda x: x.reshape(3, 2, 2).permute(1, 0, 2), (6, 2)),
    "permuted_3d_merge_ok": (lambda x: x.reshape(3, 2, 2).permute(1, 0, 2), (2, 3, 2, 1)),
    "unsqueezed_t": (lambda x: x.t().unsqueeze(0), (4, 3)),
    "flipped": (lambda x: x.flip(0), (-1,)),
    "fancy_index_columns": (lambda x: x[:, [0, 2]], (-1,)),
}


@pytest.mark.parametrize("name", VIEWS)
def test_view_raises_exactly_where_torch_does(name):
    make, shape = VIEWS[name]
    x = np.arange(12.0).reshape(3, 4)
    try:
        want = make(torch.tensor(x)).view(shape)
    except RuntimeError as e:
        assert "view size is not compatible" in str(e)
        with pytest.raises(RuntimeError, match=r"view: view size is not compatible with input tensor's size and "
                                               r"stride.*Use \.reshape\(\.\.\.\) instead"):
            make(tg.tensor(x)).view(shape)
        # reshape copies there, in both
        np.testing.assert_array_equal(make(tg.tensor(x)).reshape(shape).numpy(),
                                      make(torch.tensor(x)).reshape(shape).numpy())
        np.testing.assert_array_equal(make(tg.tensor(x)).contiguous().view(shape).numpy(),
                                      make(torch.tensor(x)).contiguous().view(shape).numpy())
        return
    got = make(tg.tensor(x)).view(shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_a_view_shares_memory_and_its_gradient_flows_back():
    x = tg.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    v = x.t().view(4, 1, 3)
    assert np.shares_memory(v.numpy(), x.numpy())
    (v * tg.tensor(np.arange(12.0).reshape(4, 1, 3))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(12.0).reshape(4, 3).T)
    y = tg.zeros(2, 3)
    y.view(-1).fill_(2.0)  # writing through the view reaches y, as in PyTorch
    assert (y.numpy() == 2.0).all()
    assert x.view_as(tg.zeros(6, 2)).shape == (6, 2)


def test_view_as_follows_views_rule():
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        torch.zeros(3, 4).t().view_as(torch.zeros(12))
    with pytest.raises(RuntimeError, match="view: view size is not compatible"):
        tg.zeros(3, 4).t().view_as(tg.zeros(12))


@pytest.mark.parametrize("shape, pattern", [((5,), r"view: shape \(5,\) is invalid for input of size 12"),
                                            ((-1, -1), r"view: shape \(-1, -1\) is invalid"),
                                            ((-1, 5), r"view: shape \(-1, 5\) is invalid"),
                                            ((2, -3), r"view: shape \(2, -3\) is invalid")])
def test_view_to_a_size_that_does_not_fit_is_refused(shape, pattern):
    with pytest.raises(RuntimeError):
        torch.zeros(3, 4).view(shape)
    with pytest.raises(ValueError, match=pattern):
        tg.zeros(3, 4).view(shape)


def test_view_with_a_dtype_is_refused_clearly():
    with pytest.raises(TypeError, match=r"view: view\(dtype\) .* is not supported.*\.to\(dtype\)"):
        tg.zeros(3, 4).view(np.int32)


def test_is_contiguous_matches_torch_after_movement_ops():
    x = np.arange(24.0).reshape(2, 3, 4)
    for make in (lambda a: a, lambda a: a.t() if a.ndim == 2 else a.transpose(0, 2), lambda a: a.permute(1, 0, 2),
                 lambda a: a[:, 1:], lambda a: a[:, :, ::2], lambda a: a[0], lambda a: a.flip(1),
                 lambda a: a.movedim(0, -1), lambda a: a.narrow(2, 1, 2), lambda a: a.select(1, 0),
                 lambda a: a.transpose(0, 1).contiguous(), lambda a: a[:, [0, 2]], lambda a: a.unbind(2)[0]):
        assert make(tg.tensor(x)).is_contiguous() == make(torch.tensor(x)).is_contiguous()


def test_flip_is_a_copy_like_torchs():
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    y = x.flip(1)
    y.fill_(0.0)  # PyTorch's flip copies: writing into it leaves x as it was
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0).reshape(2, 3))
