"""The ops added for PyTorch parity (issue 14), against PyTorch: the new F cases of the op table forward and
backward in float32 and float64, and the behaviours a table row does not reach (indices, ties, zeros, modes)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import nn
from tinygrad_gen.op_cases import _more_functional_cases
from functional_helpers import assert_matches_torch, gradcheck, gradgradcheck

T = torch.nn.functional
CASES = {c.name: c for c in _more_functional_cases(F)}
_TARGETS = torch.tensor([1, 0, 3])
_WEIGHT = torch.tensor([0.5, 2.0, 1.0, 0.3, 1.5], dtype=torch.float64)
# PyTorch computes these with a float32 constant (1/6 in hardsigmoid, 1/alpha in celu), so in float64 it is off
# by ~3e-8 relative; compared at that tolerance
_TORCH_FLOAT32_CONSTANT = {"F.hardsigmoid", "F.celu"}
_LOOSE = dict(rtol=1e-7, atol=1e-11)


def _soft():
    soft = np.abs(np.random.default_rng(7).standard_normal((3, 5)))
    return soft / soft.sum(1, keepdims=True)


TORCH_F = {
    "F.silu": T.silu,
    "F.elu": lambda a: T.elu(a, 0.7),
    "F.selu": T.selu,
    "F.celu": lambda a: T.celu(a, 1.3),
    "F.hardsigmoid": lambda a: T.hardsigmoid(a * 2),
    "F.hardswish": lambda a: T.hardswish(a * 2),
    "F.softsign": T.softsign,
    "F.mish": T.mish,
    "F.quick_gelu": lambda a: a * torch.sigmoid(1.702 * a),
    "F.gelu_tanh": lambda a: T.gelu(a, approximate="tanh"),
    "F.logsigmoid": T.logsigmoid,
    "F.pad_constant": lambda x: T.pad(x, (1, 2, -1, 1), value=0.5),
    "F.pad_reflect": lambda x: T.pad(x, (2, 1, 1, 0), mode="reflect"),
    "F.pad_replicate": lambda x: T.pad(x, (1, 2), mode="replicate"),
    "F.pad_circular": lambda x: T.pad(x, (3, 1, 1, 2), mode="circular"),
    "F.interpolate_nearest": lambda x: T.interpolate(x, scale_factor=2),
    "F.interpolate_bilinear": lambda x: T.interpolate(x, size=(5, 3), mode="bilinear"),
    "F.interpolate_bilinear_aligned": lambda x: T.interpolate(x, size=(4, 7), mode="bilinear", align_corners=True),
    "F.interpolate_linear": lambda x: T.interpolate(x, scale_factor=1.5, mode="linear"),
    "F.binary_cross_entropy": lambda p, t: T.binary_cross_entropy(p.sigmoid(), t.sigmoid()),
    "F.nll_loss_weighted": lambda x: T.nll_loss(x.log_softmax(1), _TARGETS, weight=_WEIGHT.to(x.dtype)),
    "F.cross_entropy_weighted_smoothed": lambda x: T.cross_entropy(x, _TARGETS, weight=_WEIGHT.to(x.dtype),
                                                                   label_smoothing=0.1),
    "F.cross_entropy_soft_smoothed": lambda x: T.cross_entropy(x, torch.tensor(_soft(), dtype=x.dtype),
                                                               label_smoothing=0.2),
}


def test_every_new_functional_case_has_a_torch_reference():
    assert sorted(TORCH_F) == sorted(CASES)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_new_functional_op_matches_torch(name, dtype):
    values = [x.numpy() for x in CASES[name].inputs(np.random.default_rng(3))]
    loose = _LOOSE if name in _TORCH_FLOAT32_CONSTANT and dtype == np.float64 else None
    assert_matches_torch(CASES[name].fn, TORCH_F[name], values, dtype, tol=loose)


@pytest.mark.parametrize("name", sorted(CASES))
def test_new_functional_op_second_derivatives_match_finite_differences(name):
    case = CASES[name]
    assert tg.gradgradcheck(case.fn, case.inputs(np.random.default_rng(2)))


@pytest.mark.parametrize("name", [n for n, c in sorted(CASES.items()) if c.draw != "fixed"])
@settings(max_examples=5)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), seed=st.integers(0, 2 ** 16))
def test_new_elementwise_functional_op_gradchecks_on_drawn_shapes(name, shape, seed):
    case = CASES[name]
    assert tg.gradcheck(case.fn, case.inputs(np.random.default_rng(seed), (shape,) * len(case.shapes)))


# ----- zeros in products -----
@settings(max_examples=10)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), seed=st.integers(0, 2 ** 16),
       zeros=st.integers(1, 3))
def test_cumprod_and_prod_gradients_at_zeros_match_torch(shape, seed, zeros):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    x.reshape(-1)[rng.choice(x.size, min(zeros, x.size), replace=False)] = 0.0
    assert_matches_torch(lambda a: a.cumprod(axis=-1), lambda a: a.cumprod(-1), [x])
    assert_matches_torch(lambda a: a.prod(axis=0), lambda a: a.prod(0), [x])
    assert_matches_torch(lambda a: a.prod(), lambda a: a.prod(), [x])
    assert gradcheck(lambda a: a.cumprod(axis=0), [x])


def test_scatter_reduce_prod_gradient_with_zeros_matches_torch():
    a = np.array([[2.0, 0.0, 3.0], [1.0, 4.0, 0.0]])
    src = np.array([[0.0, 5.0, 2.0], [3.0, 0.0, 0.0]])
    idx = torch.tensor([[0, 0, 2], [1, 1, 1]])
    for include in (True, False):
        assert_matches_torch(lambda x, s: x.scatter_reduce(1, idx.numpy(), s, "prod", include_self=include),
                             lambda x, s: x.scatter_reduce(1, idx, s, "prod", include_self=include), [a, src])


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin", "prod"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_matches_torch_in_every_mode(reduce, include_self):
    rng = np.random.default_rng(5)
    a, src = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    idx = torch.tensor([[0, 2, 2, 0], [2, 2, 0, 0]])
    assert_matches_torch(lambda x, s: x.scatter_reduce(0, idx, s, reduce, include_self=include_self),
                         lambda x, s: x.scatter_reduce(0, idx, s, reduce, include_self=include_self), [a, src])


def test_scatter_with_a_number_and_gather_with_a_smaller_index_match_torch():
    x = np.arange(12.0).reshape(3, 4)
    idx = np.array([[2, 0], [1, 1]])
    assert_matches_torch(lambda a: a.gather(0, idx), lambda a: a.gather(0, torch.tensor(idx)), [x])
    ours = tg.tensor(x).scatter(1, idx, value=-1.0).numpy()
    assert np.array_equal(ours, torch.tensor(x).scatter(1, torch.tensor(idx), -1.0).numpy())


def test_gather_out_of_range_index_is_an_error_naming_the_op():
    with pytest.raises(IndexError, match="gather"):
        tg.randn(2, 3).gather(1, np.array([[0, 3]]))


# ----- indices of sort, topk, cummax -----
@settings(max_examples=10)
@given(x=hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=st.integers(-2, 2)),
       descending=st.booleans())
def test_sort_is_stable_and_its_indices_match_torch_stable_sort_with_ties(x, descending):
    ours = tg.tensor(x).sort(axis=-1, descending=descending)
    theirs = torch.tensor(x).sort(dim=-1, descending=descending, stable=True)
    assert np.array_equal(ours.values.numpy(), theirs.values.numpy())
    assert np.array_equal(ours.indices.numpy(), theirs.indices.numpy())
    assert np.array_equal(tg.tensor(x).argsort(axis=0, descending=descending).numpy(),
                          torch.tensor(x).argsort(dim=0, descending=descending, stable=True).numpy())


def test_sort_descending_is_exact_at_integer_extremes():
    x = np.array([np.iinfo(np.int64).min, 0, np.iinfo(np.int64).max])
    assert tg.tensor(x).sort(descending=True).values.tolist() == [x[2], 0, x[0]]


@settings(max_examples=10)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                    elements=st.sampled_from([-1.0, 0.0, 0.5, 2.0])))
def test_cummax_and_cummin_values_and_indices_match_torch_with_ties(x):
    for ours, theirs in ((tg.tensor(x).cummax(axis=-1), torch.tensor(x).cummax(-1)),
                         (tg.tensor(x).cummin(axis=0), torch.tensor(x).cummin(0))):
        assert np.array_equal(ours.values.numpy(), theirs.values.numpy())
        assert np.array_equal(ours.indices.numpy(), theirs.indices.numpy())


def test_topk_smallest_and_indices_match_torch():
    x = np.random.default_rng(0).permutation(20).reshape(4, 5).astype(np.float64)
    ours, theirs = tg.tensor(x).topk(3, axis=0, largest=False), torch.tensor(x).topk(3, 0, largest=False)
    assert np.array_equal(ours.values.numpy(), theirs.values.numpy())
    assert np.array_equal(ours.indices.numpy(), theirs.indices.numpy())


def test_logcumsumexp_is_finite_and_exact_over_a_wide_range():
    x = np.array([-300.0, 0.0, 5.0, -3.0, 400.0, -np.inf])
    assert_matches_torch(lambda a: a.logcumsumexp(axis=0), lambda a: a.logcumsumexp(0), [x])


def test_scans_and_prod_take_dim_as_an_alias_and_work_on_0d_tensors():
    x = tg.tensor(np.arange(1.0, 7.0).reshape(2, 3))
    assert np.array_equal(x.cumsum(dim=1).numpy(), x.cumsum(axis=1).numpy())
    assert x.prod(dim=0).tolist() == [4.0, 10.0, 18.0]
    s = tg.tensor(3.0)
    assert s.cumsum(0).item() == 3.0 and s.cumsum(0).shape == () and s.prod().item() == 3.0


# ----- padding and interpolation -----
@settings(max_examples=12)
@given(shape=hnp.array_shapes(min_dims=3, max_dims=4, min_side=3, max_side=4),
       mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]),
       pad=st.lists(st.integers(0, 2), min_size=2, max_size=4).filter(lambda p: len(p) % 2 == 0),
       seed=st.integers(0, 2 ** 16))
def test_pad_matches_torch_in_every_mode(shape, mode, pad, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    assert_matches_torch(lambda a: F.pad(a, pad, mode=mode), lambda a: T.pad(a, pad, mode=mode), [x])


def test_constant_pad_with_negative_amounts_crops_like_torch():
    x = np.random.default_rng(1).standard_normal((2, 5, 6))
    assert_matches_torch(lambda a: F.pad(a, (-2, 1, 0, -3), value=2.0),
                         lambda a: T.pad(a, (-2, 1, 0, -3), value=2.0), [x])


@settings(max_examples=12)
@given(hw=st.tuples(st.integers(1, 5), st.integers(1, 5)), out=st.tuples(st.integers(1, 7), st.integers(1, 7)),
       mode=st.sampled_from(["nearest", "bilinear"]), align=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_interpolate_to_a_size_matches_torch(hw, out, mode, align, seed):
    x = np.random.default_rng(seed).standard_normal((2, 3) + hw)
    ac = align if mode == "bilinear" else None
    assert_matches_torch(lambda a: F.interpolate(a, size=out, mode=mode, align_corners=ac),
                         lambda a: T.interpolate(a, size=out, mode=mode, align_corners=ac), [x])


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("scale", [2, 0.5, 1.7, (3, 0.75)])
def test_interpolate_by_a_scale_factor_matches_torch(mode, scale):
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 4))
    assert_matches_torch(lambda a: F.interpolate(a, scale_factor=scale, mode=mode),
                         lambda a: T.interpolate(a, scale_factor=scale, mode=mode), [x])


def test_reflect_pad_larger_than_the_axis_is_an_error_naming_the_op():
    with pytest.raises(ValueError, match="pad"):
        F.pad(tg.randn(1, 2, 3), (3, 0), mode="reflect")


# ----- einsum -----
@pytest.mark.parametrize("eq, shapes", [
    ("ij->ji", [(3, 4)]), ("ij->", [(3, 4)]), ("ii->i", [(3, 3)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...i,...i->...", [(2, 3, 4), (3, 4)]), ("i,i", [(4,), (4,)]), ("ij,j", [(3, 4), (4,)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("i...,j...->ij...", [(2, 3), (4, 3)]), ("iij->j", [(2, 2, 3)]), ("ab,ab->ab", [(3, 1), (1, 4)]),
])
def test_einsum_matches_torch(eq, shapes):
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(s) for s in shapes]
    assert_matches_torch(lambda *a: tg.einsum(eq, *a), lambda *a: torch.einsum(eq, *a), xs)


def test_einsum_with_a_mismatched_size_is_an_error_naming_the_op():
    with pytest.raises(ValueError, match="einsum"):
        tg.einsum("ij,jk->ik", tg.randn(2, 3), tg.randn(4, 2))


# ----- losses -----
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_with_weight_smoothing_and_ignore_index_matches_torch(reduction, smoothing, weighted):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4, 2))  # (N, C, d1): the class axis is 1
    t = np.array([[0, 3], [-100, 1], [2, 2], [1, -100], [3, 0]])
    w = rng.uniform(0.2, 2.0, 4) if weighted else None
    tw = None if w is None else torch.tensor(w)
    assert_matches_torch(
        lambda a: F.cross_entropy(a, t, weight=w, reduction=reduction, label_smoothing=smoothing),
        lambda a: T.cross_entropy(a, torch.tensor(t), weight=tw, reduction=reduction, label_smoothing=smoothing),
        [x])
    assert_matches_torch(lambda a: F.nll_loss(a, t, weight=w, reduction=reduction),
                         lambda a: T.nll_loss(a, torch.tensor(t), weight=tw, reduction=reduction), [x])


def test_binary_cross_entropy_clamps_its_logs_at_minus_100_like_torch():
    p = np.array([0.0, 1.0, 0.3, 1e-50])
    t = np.array([1.0, 0.0, 0.3, 1.0])
    for reduction in ("none", "mean"):
        # PyTorch's clamp 1e-12 of p (1 - p) is a float32 constant: 4e-9 relative off in float64
        assert_matches_torch(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
                             lambda a, b: T.binary_cross_entropy(a, b, reduction=reduction), [p, t], tol=_LOOSE)


def test_binary_cross_entropy_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match="binary_cross_entropy"):
        F.binary_cross_entropy(tg.tensor([0.5, 1.5]), tg.tensor([1.0, 0.0]))


# ----- elementwise extras -----
@pytest.mark.parametrize("name", ["sign", "round", "floor", "ceil", "trunc"])
def test_rounding_ops_match_torch_and_have_zero_gradient(name):
    x = np.array([-2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5, 1.2, -3.7])
    t = tg.tensor(x, dtype=np.float64, requires_grad=True)
    y = getattr(t, name)()
    assert np.array_equal(y.numpy(), getattr(torch.tensor(x), name)().numpy())
    y.sum().backward()
    assert np.array_equal(t.grad.numpy(), np.zeros_like(x))


def test_maximum_and_minimum_split_the_gradient_at_ties_like_torch():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 4.0])
    assert_matches_torch(lambda x, y: tg.maximum(x, y), torch.maximum, [a, b])
    assert_matches_torch(lambda x, y: tg.minimum(x, y), torch.minimum, [a, b])


def test_copysign_gradient_at_zero_matches_torch():
    assert_matches_torch(lambda x, y: x.copysign(y), torch.copysign, [np.array([0.0, -2.0, 3.0]),
                                                                      np.array([-1.0, 1.0, -1.0])])


def test_all_any_isclose_match_torch():
    x = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 5.0]])
    t, tt = tg.tensor(x), torch.tensor(x)
    assert t.all().item() == tt.all().item() and t.any().item() == tt.any().item()
    assert np.array_equal(t.all(axis=1).numpy(), tt.all(1).numpy())
    assert np.array_equal(tg.any(t, dim=0).numpy(), tt.any(0).numpy())
    y = x + np.array([[1e-9, 1e-3, 0.0], [0.0, 1e-7, np.nan]])
    assert np.array_equal(t.isclose(tg.tensor(y)).numpy(), torch.isclose(tt, torch.tensor(y)).numpy())


def test_full_like_empty_and_like_factories_follow_torch_dtypes():
    x = tg.tensor([1, 2, 3])
    assert tg.full_like(x, 7).dtype == np.int64 and tg.full_like(x, 7).tolist() == [7, 7, 7]
    assert tg.full_like(x, 0.5, dtype=np.float32).dtype == np.float32
    assert tg.empty(2, 3).shape == (2, 3) and tg.empty(2, 3).dtype == np.float32
    assert tg.zeros_like(x).dtype == np.int64 and tg.ones_like(tg.randn(2)).dtype == np.float32


def test_chunk_and_split_give_torchs_pieces():
    x = np.arange(14.0).reshape(7, 2)
    for ours, theirs in ((tg.tensor(x).chunk(3), torch.tensor(x).chunk(3)),
                         (tg.tensor(x).split(3), torch.tensor(x).split(3)),
                         (tg.split(tg.tensor(x), [1, 1], axis=1), torch.split(torch.tensor(x), [1, 1], 1))):
        assert [p.numpy().tolist() for p in ours] == [p.numpy().tolist() for p in theirs]


def test_roll_repeat_tile_flip_match_torch():
    x = np.random.default_rng(0).standard_normal((2, 3))
    assert_matches_torch(lambda a: a.roll((1, -1), axis=(0, 1)), lambda a: a.roll((1, -1), (0, 1)), [x])
    assert_matches_torch(lambda a: a.repeat(2, 1, 3), lambda a: a.repeat(2, 1, 3), [x])
    assert_matches_torch(lambda a: a.tile((2,)), lambda a: a.tile((2,)), [x])
    assert_matches_torch(lambda a: tg.flip(a, (0, 1)), lambda a: torch.flip(a, (0, 1)), [x])


def test_masked_select_broadcasts_the_mask_like_torch():
    x = np.random.default_rng(0).standard_normal((2, 3))
    mask = np.array([True, False, True])
    assert_matches_torch(lambda a: a.masked_select(mask), lambda a: a.masked_select(torch.tensor(mask)), [x])


@pytest.mark.parametrize("ours, theirs", [
    (nn.SiLU(), torch.nn.SiLU()), (nn.ELU(0.5), torch.nn.ELU(0.5)), (nn.SELU(), torch.nn.SELU()),
    (nn.Hardsigmoid(), torch.nn.Hardsigmoid()), (nn.Hardswish(), torch.nn.Hardswish()), (nn.Mish(), torch.nn.Mish()),
    (nn.Softsign(), torch.nn.Softsign()), (nn.GELU("tanh"), torch.nn.GELU("tanh")), (nn.ReLU6(), torch.nn.ReLU6()),
    (nn.Softmax(dim=0), torch.nn.Softmax(dim=0)), (nn.LogSoftmax(axis=1), torch.nn.LogSoftmax(dim=1)),
    (nn.Softplus(), torch.nn.Softplus()), (nn.LogSigmoid(), torch.nn.LogSigmoid()),
    (nn.Hardtanh(-0.5, 2.0), torch.nn.Hardtanh(-0.5, 2.0)), (nn.CELU(0.8), torch.nn.CELU(0.8)),
])
def test_activation_modules_match_torch(ours, theirs):
    x = np.random.default_rng(0).uniform(-5, 5, (3, 4))
    assert_matches_torch(ours, theirs, [x], tol=_LOOSE)


def test_floor_divide_and_remainder_match_torch_in_values_dtypes_and_gradients():
    a, b = np.array([5.5, -7.2, 9.0, 0.3]), np.array([2.0, 3.0, -4.0, 0.7])
    assert_matches_torch(lambda x, y: x % y, lambda x, y: x % y, [a, b])
    assert_matches_torch(lambda y: 7.5 % y, lambda y: 7.5 % y, [b], grads=False)  # torch: no gradient there
    ints = np.array([5, -7, 9, 0])
    for ours, theirs in ((tg.tensor(ints) // 2, torch.tensor(ints) // 2), (tg.tensor(ints) % 3, torch.tensor(ints) % 3),
                         (7 // tg.tensor([2, -3]), 7 // torch.tensor([2, -3])),
                         (tg.tensor(ints) % 2.5, torch.tensor(ints) % 2.5)):
        assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype)[6:]
    x = tg.tensor(a, dtype=np.float64, requires_grad=True)
    (x // 2 * 1.0).sum().backward()  # PyTorch has no derivative for //; ours is 0, like floor
    assert not x.grad.numpy().any()


def test_torch_style_function_forms_and_size_queries():
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    assert np.allclose(tg.exp(x).numpy(), np.exp(x.numpy())) and tg.sum(x, dim=1).tolist() == [3.0, 12.0]
    assert tg.softmax(x, dim=0).shape == (2, 3) and tg.clamp(x, 1, 2).numpy().max() == 2
    assert x.numel() == 6 and x.dim() == 2 and x.expand_as(tg.zeros(4, 2, 3)).shape == (4, 2, 3)
    assert x.type_as(tg.tensor([1])).dtype == np.int64 and x.view_as(tg.zeros(3, 2)).shape == (3, 2)
    assert np.allclose(tg.matmul(x, x.T).numpy(), x.numpy() @ x.numpy().T)


def test_pytorch_keyword_spellings_work():
    x = np.arange(12.0).reshape(3, 4)
    idx = np.array([[0, 3], [1, 1], [2, 0]])
    t, tt = tg.tensor(x), torch.tensor(x)
    assert np.array_equal(t.gather(dim=1, index=idx).numpy(), tt.gather(dim=1, index=torch.tensor(idx)).numpy())
    assert np.array_equal(tg.gather(t, 1, idx).numpy(), torch.gather(tt, 1, torch.tensor(idx)).numpy())
    src = np.ones((3, 2))
    assert np.array_equal(t.scatter_add(dim=1, index=idx, src=src).numpy(),
                          tt.scatter_add(dim=1, index=torch.tensor(idx), src=torch.tensor(src)).numpy())
    theirs = tt.scatter_reduce(dim=1, index=torch.tensor(idx), src=torch.tensor(src), reduce="amax")
    assert np.array_equal(t.scatter_reduce(dim=1, index=idx, src=src, reduce="amax").numpy(), theirs.numpy())
    assert np.array_equal(t.flip(dims=(0,)).numpy(), tt.flip(dims=(0,)).numpy())
    assert np.array_equal(t.roll(shifts=1, dims=1).numpy(), tt.roll(shifts=1, dims=1).numpy())
    assert t.to(tg.float64).dtype == np.float64 and t.to("cpu", dtype=tg.int32).dtype == np.int32
    assert tg.tensor([1, 2], dtype=tg.int32).dtype == np.int32 and tg.tensor([True], dtype=tg.bool).dtype == np.bool_
