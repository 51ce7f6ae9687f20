"""The pooling family: max_pool2d and avg_pool2d (ops/pooling.py), and their fast paths (ops/fast/pooling.py)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from family_checks import FamilyChecks, matches_torch, normal_grad
from tinygrad_gen import dispatch
from tinygrad_gen.ops import pooling
from tinygrad_gen.ops.case import distinct
from tinygrad_gen.ops.fast import pooling as fast_pooling

T = torch.nn.functional
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}


class TestPoolingRows(FamilyChecks):
    family = pooling


# ----- geometry and options, against PyTorch -----
@st.composite
def pool_cases(draw, dilation=True):
    """A pooling PyTorch accepts: kernel, stride, padding, dilation, ceil_mode and avg pooling's options."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    p = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    # at least one dilated kernel span: a window of padding only makes PyTorch's max_pool2d backward abort
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + tuple(
        draw(st.integers(dd * (kk - 1) + 1, 6)) for kk, dd in zip(k, d))
    x = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + rng.uniform(0, 0.01, shape)  # no ties
    return dict(x=x, k=k, s=s, p=p, d=d, ceil=draw(st.booleans()), include=draw(st.booleans()),
                divisor=draw(st.sampled_from([None, 1, 4])))


def _max(c):
    return (lambda x: F.max_pool2d(x, c["k"], c["s"], c["p"], c["d"], c["ceil"]),
            lambda x: T.max_pool2d(x, c["k"], c["s"], c["p"], c["d"], c["ceil"]))


def _avg(c):
    args = (c["k"], c["s"], c["p"], c["ceil"], c["include"], c["divisor"])
    return lambda x: F.avg_pool2d(x, *args), lambda x: T.avg_pool2d(x, *args)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=10)
@given(case=pool_cases())
def test_max_pool2d_with_padding_dilation_and_ceil_mode_matches_torch(case, dtype):
    matches_torch(*_max(case), [case["x"]], dtype, tol=TOL, grad=normal_grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=10)
@given(case=pool_cases(dilation=False))
def test_avg_pool2d_with_padding_count_include_pad_and_divisor_matches_torch(case, dtype):
    matches_torch(*_avg(case), [case["x"]], dtype, tol=TOL, grad=normal_grad)


@settings(max_examples=6)
@given(case=pool_cases())
def test_padded_dilated_ceil_mode_max_pool2d_gradcheck(case):
    x = tg.tensor(case["x"], dtype=np.float64, requires_grad=True)
    assert tg.gradcheck(_max(case)[0], [x])


@settings(max_examples=6)
@given(case=pool_cases(dilation=False))
def test_padded_ceil_mode_avg_pool2d_gradcheck(case):
    x = tg.tensor(case["x"], dtype=np.float64, requires_grad=True)
    assert tg.gradcheck(_avg(case)[0], [x])


@pytest.mark.parametrize("kind", [_max, _avg])
@settings(max_examples=3)
@given(case=pool_cases(dilation=False))
def test_padded_pooling_gradgradcheck(kind, case):
    fn = kind(case)[0]
    x = tg.tensor(case["x"], dtype=np.float64, requires_grad=True)
    assert tg.gradgradcheck(lambda v: fn(v) ** 2, [x])


def test_ceil_mode_keeps_the_last_partial_window_like_torch():
    x = np.arange(2 * 7 * 7, dtype=np.float64).reshape(1, 2, 7, 7)
    y = F.max_pool2d(x, 2, 2, ceil_mode=True)
    assert y.shape == (1, 2, 4, 4)
    np.testing.assert_array_equal(y.numpy(), T.max_pool2d(torch.tensor(x), 2, 2, ceil_mode=True).numpy())


def test_a_chw_image_keeps_three_axes():
    assert F.max_pool2d(tg.randn(3, 4, 6), 2).shape == (3, 2, 3)
    assert F.avg_pool2d(tg.randn(3, 4, 6), 2).shape == (3, 2, 3)


def test_stride_defaults_to_the_kernel_size():
    x = tg.randn(1, 2, 6, 6)
    np.testing.assert_array_equal(F.max_pool2d(x, 3).numpy(), F.max_pool2d(x, 3, 3).numpy())
    np.testing.assert_array_equal(F.avg_pool2d(x, 3, ()).numpy(), F.avg_pool2d(x, 3, 3).numpy())


# ----- special values -----
@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_max_pool2d_tie_sends_the_gradient_to_the_first_maximum_like_torch(mode):
    x = np.round(np.random.default_rng(4).standard_normal((1, 2, 6, 6)))  # many ties within windows
    with dispatch.kernels(mode):
        matches_torch(lambda a: F.max_pool2d(a, 3, 2), lambda a: T.max_pool2d(a, 3, 2),
                      [x], tol=TOL, grad=normal_grad)
        matches_torch(lambda a: F.max_pool2d(a, 2), lambda a: T.max_pool2d(a, 2),
                      [x], tol=TOL, grad=normal_grad)


@pytest.mark.parametrize("mode", ["fast", "reference"])
@pytest.mark.parametrize("k, s", [(2, 2), (2, 1), (3, 2)])
def test_max_pool2d_propagates_nan_and_sends_its_gradient_to_the_last_nan_like_torch(mode, k, s):
    x = np.random.default_rng(5).standard_normal((1, 2, 6, 6))
    x[0, 0, 0, :2] = x[0, 0, 1, 1] = x[0, 1, 3, 2] = np.nan  # two NaNs in one window, lone ones elsewhere
    with dispatch.kernels(mode):
        matches_torch(lambda a: F.max_pool2d(a, k, s), lambda a: T.max_pool2d(a, k, s),
                      [x], tol=TOL, grad=normal_grad)


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_max_pool2d_of_infinities_matches_torch(mode):
    x = np.random.default_rng(6).standard_normal((1, 1, 6, 6))
    x[0, 0, 0, :3], x[0, 0, 4, 4] = np.inf, -np.inf
    with dispatch.kernels(mode):
        matches_torch(lambda a: F.max_pool2d(a, 3, 1), lambda a: T.max_pool2d(a, 3, 1),
                      [x], tol=TOL, grad=normal_grad)


@pytest.mark.parametrize("mode", ["fast", "reference"])
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("k,p,ceil,size", [(2, 0, False, (4, 6)), ((2, 3), 0, False, (5, 7)), (2, 1, False, (4, 5)),
                                            (3, 0, True, (7, 8))])
def test_tiling_windows_scatter_gradients_like_torch_even_an_inf(mode, name, k, p, ceil, size):
    """stride = kernel: an inf upstream gradient reaches only the pixels it belongs to (no 0 * inf = NaN
    elsewhere), as in PyTorch."""
    rng = np.random.default_rng(0)
    x = rng.permutation(2 * 3 * size[0] * size[1]).reshape((2, 3) + size).astype(np.float64)
    ours, theirs = getattr(F, name), getattr(T, name)
    with dispatch.kernels(mode):
        y = ours(tg.tensor(x, dtype=np.float64), k, k, p, ceil_mode=ceil)
        g = rng.standard_normal(y.shape)
        g[0, 1, 0, 0], g[1, 2, -1, -1] = np.inf, -np.inf
        xt = tg.tensor(x, dtype=np.float64, requires_grad=True)
        ours(xt, k, k, p, ceil_mode=ceil).backward(tg.tensor(g, dtype=np.float64))
    tt = torch.tensor(x, requires_grad=True)
    theirs(tt, k, k, p, ceil_mode=ceil).backward(torch.tensor(g))
    np.testing.assert_array_equal(np.isnan(xt.grad.numpy()), np.isnan(tt.grad.numpy()))
    np.testing.assert_allclose(xt.grad.numpy(), tt.grad.numpy(), rtol=1e-12)


def test_max_pool2d_of_integers_keeps_the_dtype_like_torch():
    x = np.arange(16).reshape(1, 1, 4, 4)
    for mode in ("fast", "reference"):
        with dispatch.kernels(mode):
            y = F.max_pool2d(tg.tensor(x), 3, 1, padding=1)
        assert y.dtype == np.int64
        np.testing.assert_array_equal(y.numpy(), T.max_pool2d(torch.tensor(x), 3, 1, padding=1).numpy())


def test_input_changed_in_place_after_forward_is_an_error_as_in_torch():
    for fn in (lambda a: F.max_pool2d(a, 2), lambda a: F.avg_pool2d(a, 3, 1, 1)):
        x = tg.randn(1, 2, 4, 4, requires_grad=True)
        y = fn(x)
        with tg.no_grad():
            x.add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


# ----- errors name the op and the sizes -----
@pytest.mark.parametrize("call, message", [
    (lambda: F.max_pool2d(tg.randn(1, 1, 5, 5), 2, padding=2), "max_pool2d: padding .* at most half"),
    (lambda: F.avg_pool2d(tg.randn(1, 1, 5, 5), 2, divisor_override=0), "avg_pool2d: divisor_override"),
    (lambda: F.max_pool2d(tg.randn(1, 1, 5, 5), 3, dilation=3), "max_pool2d: kernel size 3 .* larger than"),
    (lambda: F.max_pool2d(tg.randn(1, 1, 3, 3), 4), "max_pool2d: kernel size 4"),
    (lambda: F.avg_pool2d(tg.randn(5, 5), 2), r"avg_pool2d: expected x of shape .*\(5, 5\)"),
    (lambda: F.max_pool2d(tg.randn(1, 1, 5, 5), 0), "max_pool2d: kernel_size must be a positive"),
    (lambda: F.max_pool2d(tg.randn(1, 1, 5, 5), 2, stride=(1, 2, 3)), "max_pool2d: stride"),
])
def test_bad_pooling_options_raise_naming_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_avg_pool2d_of_integers_is_a_type_error_naming_the_op():
    with pytest.raises(TypeError, match=r"avg_pool2d: expected a floating-point tensor, got dtype int64"):
        F.avg_pool2d(tg.tensor(np.arange(16).reshape(1, 1, 4, 4)), 2)


# ----- the fast paths against the plain ops -----
MAX_SHAPES = [  # (shape, kernel, stride, padding, dilation, ceil_mode): tiling and overlapping windows
    ((2, 3, 8, 8), 2, 2, 0, 1, False),            # tiles covering the image: the scatter writes an empty array
    ((2, 3, 7, 9), (2, 3), (2, 3), 0, 1, False),  # tiles leaving the last row and columns out
    ((1, 2, 7, 8), 2, 2, 1, 1, False),            # tiles over padding
    ((1, 2, 7, 8), 3, 3, 0, 1, True),             # tiles, a ceil-mode partial last window
    ((2, 2, 9, 8), 3, 1, 1, 1, False),            # overlapping windows
    ((1, 3, 9, 10), 3, 2, 1, 2, True),            # dilated, padded, ceil mode
    ((1, 2, 8, 9), (2, 3), (1, 2), (1, 1), (2, 1), False),
    ((1, 1, 13, 12), (12, 11), 1, 0, 1, False),   # 132 offsets: an int32 arg-max
]
AVG_SHAPES = [  # (shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    ((2, 3, 8, 8), 2, 2, 0, False, True, None),
    ((2, 3, 7, 9), (2, 3), (2, 3), 0, False, True, None),
    ((1, 2, 7, 8), 2, 2, 1, False, False, None),
    ((1, 2, 7, 8), 3, 3, 1, True, True, None),
    ((2, 2, 9, 8), 3, 1, 1, False, False, None),
    ((1, 3, 9, 10), 3, 2, 1, True, True, 5),
    ((1, 2, 8, 9), (2, 3), (1, 2), (1, 1), True, False, None),
]


def _run_both_orders(fn, x, g, v, mode):
    """In kernel mode ``mode``: fn(x), dx for upstream g, and the double backward: d <dx, v> / d g (the
    scatter's backward, a gather) and d <dx, v> / d x."""
    with dispatch.kernels(mode):
        xt = tg.tensor(x, dtype=x.dtype, requires_grad=True)
        gt = tg.tensor(g, dtype=g.dtype, requires_grad=True)
        y = fn(xt)
        dx, = tg.grad(y, [xt], gt, create_graph=True)
        dg, = tg.grad((dx * tg.tensor(v, dtype=v.dtype)).sum(), [gt])
    return y.numpy(), dx.numpy(), dg.numpy()


def _assert_fast_matches_plain(fn, x, dtype, seed=0):
    rng = np.random.default_rng(seed)
    with dispatch.kernels("reference"):
        out_shape = fn(tg.tensor(x, dtype=dtype)).shape
    g = rng.standard_normal(out_shape).astype(dtype)
    v = rng.standard_normal(x.shape).astype(dtype)
    fast = _run_both_orders(fn, x.astype(dtype), g, v, "fast")
    plain = _run_both_orders(fn, x.astype(dtype), g, v, "reference")
    for what, a, b in zip(("values", "input gradient", "second derivative"), fast, plain):
        np.testing.assert_allclose(a, b, err_msg=f"fast path {what}", **TOL[dtype])


def _max_inputs(shape, kind, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if kind == "ties":
        x = np.round(x)
    elif kind == "nan_inf":
        flat = x.reshape(-1)
        picks = rng.choice(flat.size, size=max(4, flat.size // 12), replace=False)
        flat[picks] = rng.choice([np.nan, np.inf, -np.inf], size=picks.size)
    return x


def test_every_pooling_op_has_its_fast_path_registered():
    registered = {plain: path.fast for plain, path in dispatch.FAST_PATHS.items()}
    assert registered[pooling.MaxPool] is fast_pooling.FastMaxPool
    assert registered[pooling.MaxPoolScatter] is fast_pooling.FastMaxPoolScatter
    assert registered[pooling.AvgPool] is fast_pooling.FastAvgPool
    assert registered[pooling.AvgPoolScatter] is fast_pooling.FastAvgPoolScatter
    with dispatch.kernels("reference"):
        assert dispatch.pick(pooling.MaxPool) is pooling.MaxPool


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["random", "ties", "nan_inf"])
@pytest.mark.parametrize("shape, k, s, p, d, ceil", MAX_SHAPES)
def test_max_pool2d_fast_path_matches_the_plain_op(shape, k, s, p, d, ceil, kind, dtype):
    x = _max_inputs(shape, kind)
    _assert_fast_matches_plain(lambda a: F.max_pool2d(a, k, s, p, d, ceil), x, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, k, s, p, ceil, include, divisor", AVG_SHAPES)
def test_avg_pool2d_fast_path_matches_the_plain_op(shape, k, s, p, ceil, include, divisor, dtype):
    x = np.random.default_rng(1).standard_normal(shape)
    _assert_fast_matches_plain(lambda a: F.avg_pool2d(a, k, s, p, ceil, include, divisor), x, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, shape, k, s, p", [
    ("max_pool2d", (2, 2, 8, 8), 2, 2, 0), ("max_pool2d", (1, 2, 9, 8), 3, 1, 1),
    ("avg_pool2d", (2, 2, 8, 8), 2, 2, 0), ("avg_pool2d", (1, 2, 9, 8), 3, 2, 1),
])
def test_fast_scatters_match_the_plain_ones_for_an_upstream_gradient_with_inf_and_nan(name, shape, k, s, p, dtype):
    x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    grads = []
    for mode in ("fast", "reference"):
        with dispatch.kernels(mode):
            xt = tg.tensor(x, dtype=dtype, requires_grad=True)
            y = getattr(F, name)(xt, k, s, p)
            g = np.random.default_rng(3).standard_normal(y.shape).astype(dtype)
            g.reshape(-1)[::7] = np.inf
            g.reshape(-1)[3::11] = np.nan
            y.backward(tg.tensor(g, dtype=dtype))
            grads.append(xt.grad.numpy())
    np.testing.assert_array_equal(np.isnan(grads[0]), np.isnan(grads[1]))
    np.testing.assert_allclose(grads[0], grads[1], **TOL[dtype])


# ----- return_indices, max_unpool, windows of -inf, asymmetric padding, 1-D and 3-D (issue 25) -----
@pytest.mark.parametrize("mode", ["fast", "reference"])
@settings(max_examples=10)
@given(case=pool_cases())
def test_max_pool2d_return_indices_match_torch(case, mode):
    x = case["x"]
    args = (case["k"], case["s"], case["p"], case["d"], case["ceil"])
    with dispatch.kernels(mode):
        y, idx = F.max_pool2d(tg.tensor(x, dtype=np.float64), *args, return_indices=True)
    ty, tidx = T.max_pool2d(torch.tensor(x), *args, return_indices=True)
    assert idx.dtype == np.int64 and not idx.requires_grad
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    np.testing.assert_array_equal(y.numpy(), ty.numpy())


@pytest.mark.parametrize("dims, shape, args", [(1, (2, 3, 9), (3, 2, 1)), (3, (1, 2, 4, 5, 6), ((2, 3, 2), 2, 1)),
                                               (3, (2, 3, 5, 4), (2, 1, 0, 2, True))])
def test_max_pool1d_and_3d_return_indices_and_gradients_match_torch(dims, shape, args):
    x = distinct(np.random.default_rng(1), shape)
    name = f"max_pool{dims}d"
    y, idx = getattr(F, name)(tg.tensor(x, dtype=np.float64), *args, return_indices=True)
    ty, tidx = getattr(T, name)(torch.tensor(x), *args, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    matches_torch(lambda a: getattr(F, name)(a, *args), lambda a: getattr(T, name)(a, *args), [x], tol=TOL,
                  grad=normal_grad)


@pytest.mark.parametrize("mode", ["fast", "reference"])
@pytest.mark.parametrize("k, s, p, d, ceil", [(3, 1, 1, 1, False), (2, 2, 1, 1, False), (3, 2, 1, 2, True),
                                              (2, 2, 0, 1, True)])
def test_a_window_of_minus_infinity_sends_its_gradient_to_its_first_input_pixel_like_torch(mode, k, s, p, d, ceil):
    """All -inf under a window ties its pixels with the -inf padding: PyTorch picks the first pixel inside the
    image (value, index and gradient), never the padding, where the gradient would be lost."""
    x = np.random.default_rng(7).standard_normal((1, 2, 5, 6))
    x[0, 0, :3, :3] = x[0, 1] = x[0, 0, -2:, -3:] = -np.inf
    with dispatch.kernels(mode):
        matches_torch(lambda a: F.max_pool2d(a, k, s, p, d, ceil), lambda a: T.max_pool2d(a, k, s, p, d, ceil),
                      [x], tol=TOL, grad=normal_grad)
        _, idx = F.max_pool2d(tg.tensor(x, dtype=np.float64), k, s, p, d, ceil, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), T.max_pool2d(torch.tensor(x), k, s, p, d, ceil,
                                                            return_indices=True)[1].numpy())


def test_max_pool2d_of_the_lowest_integer_in_padded_windows_gives_in_bounds_indices():
    x = np.full((1, 1, 4, 4), np.iinfo(np.int64).min)
    _, idx = F.max_pool2d(tg.tensor(x), 3, 1, 1, return_indices=True)
    assert (idx.numpy() >= 0).all() and (idx.numpy() < 16).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, k, s, p, size", [((2, 3, 6, 7), 2, 2, 0, (6, 7)), ((2, 3, 6, 6), 2, 2, 0, None),
                                                  ((1, 2, 7, 7), 3, 2, 1, (7, 7)), ((2, 5, 4), 2, 1, 0, None),
                                                  ((1, 1, 5, 5), 2, 2, 0, (1, 1, 5, 5))])
def test_max_unpool2d_inverts_max_pool2d_like_torch(shape, k, s, p, size, dtype):
    x = distinct(np.random.default_rng(2), shape)
    _, tidx = T.max_pool2d(torch.tensor(x), k, s, p, return_indices=True)
    _, idx = F.max_pool2d(tg.tensor(x), k, s, p, return_indices=True)
    pooled = np.random.default_rng(3).standard_normal(tuple(tidx.shape))
    matches_torch(lambda a: F.max_unpool2d(a, idx, k, s, p, size), lambda a: T.max_unpool2d(a, tidx, k, s, p, size),
                  [pooled], dtype, tol=TOL, grad=normal_grad)


def test_max_unpool2d_gradgradcheck():
    x = distinct(np.random.default_rng(4), (1, 2, 6, 6))
    _, idx = F.max_pool2d(tg.tensor(x), 3, 3, return_indices=True)
    v = tg.tensor(np.random.default_rng(5).standard_normal((1, 2, 2, 2)), dtype=np.float64, requires_grad=True)
    assert tg.gradgradcheck(lambda a: F.max_unpool2d(a, idx, 3) ** 2, [v])


@pytest.mark.parametrize("dims, shape", [(1, (2, 3, 8)), (3, (1, 2, 4, 4, 6))])
def test_max_unpool3d_and_1d_match_torch(dims, shape):
    x = distinct(np.random.default_rng(6), shape)
    _, tidx = getattr(T, f"max_pool{dims}d")(torch.tensor(x), 2, return_indices=True)
    _, idx = getattr(F, f"max_pool{dims}d")(tg.tensor(x), 2, return_indices=True)
    pooled = np.random.default_rng(3).standard_normal(tuple(tidx.shape))
    matches_torch(lambda a: getattr(F, f"max_unpool{dims}d")(a, idx, 2),
                  lambda a: getattr(T, f"max_unpool{dims}d")(a, tidx, 2), [pooled], tol=TOL, grad=normal_grad)


@pytest.mark.parametrize("call, message", [
    (lambda: F.max_unpool2d(tg.randn(1, 1, 2, 2), tg.tensor(np.array([[[[0, 1], [2, 16]]]])), 2),
     r"max_unpool2d: found an invalid max index 16 \(output planes are of size \(4, 4\)\)"),
    (lambda: F.max_unpool2d(tg.randn(1, 1, 2, 2), tg.tensor(np.zeros((1, 1, 2, 3), np.int64)), 2),
     r"max_unpool2d: expected x .* indices of the same shape"),
    (lambda: F.max_unpool2d(tg.randn(1, 1, 2, 2), tg.tensor(np.zeros((1, 1, 2, 2), np.int64)), 2, output_size=(9, 4)),
     r"max_unpool2d: output_size \(9, 4\)"),
    (lambda: F.max_pool2d(tg.randn(1, 1, 5, 5), 2, padding=(0, 2, 0, 0)), r"max_pool2d: padding .* at most half"),
    (lambda: F.avg_pool3d(tg.randn(1, 5, 5), 2), r"avg_pool3d: expected x of shape \(N, C, D, H, W\)"),
    (lambda: F.max_pool3d(tg.randn(1, 1, 4, 4, 4), (2, 2)), "max_pool3d: kernel_size must be .* 3-tuple"),
])
def test_bad_unpool_and_nd_pooling_arguments_raise_naming_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@st.composite
def asymmetric_cases(draw):
    """A pooling with 4 paddings (left, right, top, bottom), each at most half the kernel size."""
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pads = (draw(st.integers(0, k[1] // 2)), draw(st.integers(0, k[1] // 2)),
            draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[0] // 2)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    shape = (1, 2, draw(st.integers(k[0], 6)), draw(st.integers(k[1], 6)))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    return dict(x=distinct(rng, shape), k=k, s=s, pads=pads)


@pytest.mark.parametrize("mode", ["fast", "reference"])
@settings(max_examples=10)
@given(case=asymmetric_cases())
def test_asymmetric_padding_pools_like_torch_on_an_explicitly_padded_input(case, mode):
    """The 4-number padding (an extension) is F.pad's: the same as pooling an input padded by F.pad, with -inf for
    the maximum and 0 for the mean (counted in the divisor)."""
    k, s, pads = case["k"], case["s"], case["pads"]
    with dispatch.kernels(mode):
        matches_torch(lambda a: F.max_pool2d(a, k, s, pads),
                      lambda a: T.max_pool2d(T.pad(a, pads, value=-np.inf), k, s), [case["x"]], tol=TOL,
                      grad=normal_grad)
        matches_torch(lambda a: F.avg_pool2d(a, k, s, pads), lambda a: T.avg_pool2d(T.pad(a, pads), k, s),
                      [case["x"]], tol=TOL, grad=normal_grad)


@st.composite
def pool3d_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    k = tuple(draw(st.integers(1, 3)) for _ in range(3))
    p = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    s = tuple(draw(st.integers(1, 2)) for _ in range(3))
    shape = (1, 2) + tuple(draw(st.integers(kk, 5)) for kk in k)
    return dict(x=distinct(rng, shape), k=k, s=s, p=p, ceil=draw(st.booleans()), include=draw(st.booleans()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=8)
@given(case=pool3d_cases())
def test_pool3d_matches_torch(case, dtype):
    k, s, p, ceil = case["k"], case["s"], case["p"], case["ceil"]
    matches_torch(lambda a: F.max_pool3d(a, k, s, p, 1, ceil), lambda a: T.max_pool3d(a, k, s, p, 1, ceil),
                  [case["x"]], dtype, tol=TOL, grad=normal_grad)
    args = (k, s, p, ceil, case["include"])
    matches_torch(lambda a: F.avg_pool3d(a, *args), lambda a: T.avg_pool3d(a, *args), [case["x"]], dtype, tol=TOL,
                  grad=normal_grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, args", [("max_pool3d", (2, 2)), ("max_pool3d", (3, 1, 1)), ("avg_pool3d", (2, 2)),
                                        ("avg_pool3d", ((2, 3, 2), (1, 2, 1), 1)), ("max_pool1d", (3, 2, 1)),
                                        ("avg_pool1d", (2, 2))])
def test_nd_pooling_fast_paths_match_the_plain_ops(name, args, dtype):
    shape = (2, 3, 9) if name.endswith("1d") else (1, 2, 4, 6, 5)
    x = _max_inputs(shape, "ties")
    _assert_fast_matches_plain(lambda a: getattr(F, name)(a, *args), x, dtype)
