"""groups, dilation, padding="same"/"valid", conv1d / conv_transpose1d, and pooling with padding, dilation,
ceil_mode, count_include_pad and divisor_override: gradients, second order, PyTorch agreement, bad input."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from functional_helpers import assert_matches_torch, gradcheck, gradgradcheck

T = torch.nn.functional


@st.composite
def grouped_cases(draw, transpose=False, dims=2):
    """A small convolution with groups and dilation that PyTorch accepts."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    groups = draw(st.integers(1, 3))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    padding = tuple(draw(st.integers(0, 1)) for _ in range(dims))
    size = tuple(draw(st.integers(max(1, d * (kk - 1) + 1 - 2 * p), 5)) for d, kk, p in zip(dilation, k, padding))
    extra = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    if transpose and any((n - 1) * s - 2 * p + d * (kk - 1) + e + 1 < 1
                         for n, s, p, d, kk, e in zip(size, stride, padding, dilation, k, extra)):
        padding = (0,) * dims
    w_shape = (cin, cout // groups) + k if transpose else (cout, cin // groups) + k
    return dict(x=rng.standard_normal((draw(st.integers(1, 2)), cin) + size), w=rng.standard_normal(w_shape),
                b=rng.standard_normal(cout), groups=groups, dilation=dilation, stride=stride, padding=padding,
                extra=extra)


def _fns(case, name):
    s, p, d, g, e = case["stride"], case["padding"], case["dilation"], case["groups"], case["extra"]
    if "transpose" in name:
        return (lambda x, w, b: getattr(F, name)(x, w, b, s, p, e, g, d),
                lambda x, w, b: getattr(T, name)(x, w, b, s, p, e, g, d))
    return (lambda x, w, b: getattr(F, name)(x, w, b, s, p, d, g),
            lambda x, w, b: getattr(T, name)(x, w, b, s, p, d, g))


CONVS = [("conv2d", False, 2), ("conv_transpose2d", True, 2), ("conv1d", False, 1), ("conv_transpose1d", True, 1)]


@pytest.mark.parametrize("name,transpose,dims", CONVS)
@settings(max_examples=15)
@given(data=st.data())
def test_grouped_dilated_convolution_gradcheck(name, transpose, dims, data):
    case = data.draw(grouped_cases(transpose, dims))
    assert gradcheck(_fns(case, name)[0], [case["x"], case["w"], case["b"]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,transpose,dims", CONVS)
@settings(max_examples=10)
@given(data=st.data())
def test_grouped_dilated_convolution_matches_torch(name, transpose, dims, dtype, data):
    case = data.draw(grouped_cases(transpose, dims))
    ours, theirs = _fns(case, name)
    assert_matches_torch(ours, theirs, [case["x"], case["w"], case["b"]], dtype)


@pytest.mark.parametrize("name,transpose", [("conv2d", False), ("conv_transpose2d", True)])
@settings(max_examples=4)
@given(data=st.data())
def test_grouped_dilated_convolution_gradgradcheck(name, transpose, data):
    case = data.draw(grouped_cases(transpose))
    assert gradgradcheck(_fns(case, name)[0], [case["x"], case["w"], case["b"]])


def test_depthwise_conv2d_with_a_channel_multiplier_matches_torch():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 4, 6, 6)), rng.standard_normal((8, 1, 3, 3)), rng.standard_normal(8)
    assert_matches_torch(lambda x, w, b: F.conv2d(x, w, b, 1, 1, groups=4),
                         lambda x, w, b: T.conv2d(x, w, b, 1, 1, groups=4), [x, w, b])
    wt = rng.standard_normal((4, 1, 3, 3))
    assert_matches_torch(lambda x, w: F.conv_transpose2d(x, w, None, 2, 1, 1, groups=4),
                         lambda x, w: T.conv_transpose2d(x, w, None, 2, 1, 1, groups=4), [x, wt])


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("kernel,dilation", [((2, 3), 1), ((3, 4), 2), ((1, 2), 3)])
def test_string_padding_matches_torch(padding, kernel, dilation):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 3, 8, 9)), rng.standard_normal((4, 3) + kernel), rng.standard_normal(4)
    assert_matches_torch(lambda x, w, b: F.conv2d(x, w, b, 1, padding, dilation),
                         lambda x, w, b: T.conv2d(x, w, b, 1, padding, dilation), [x, w, b])
    assert_matches_torch(lambda x, w, b: F.conv1d(x[:, :, 0], w[:, :, 0], b, 1, padding, dilation),
                         lambda x, w, b: T.conv1d(x[:, :, 0], w[:, :, 0], b, 1, padding, dilation), [x, w, b])


def test_padding_same_keeps_the_size():
    assert F.conv2d(tg.randn(1, 2, 7, 6), tg.randn(3, 2, 4, 3), padding="same").shape == (1, 3, 7, 6)


@pytest.mark.parametrize("call,message", [
    (lambda: F.conv2d(tg.randn(1, 4, 5, 5), tg.randn(6, 2, 3, 3), groups=3), "groups=3"),
    (lambda: F.conv2d(tg.randn(1, 4, 5, 5), tg.randn(6, 4, 3, 3), groups=2), "expects 8"),
    (lambda: F.conv2d(tg.randn(1, 4, 5, 5), tg.randn(6, 4, 3, 3), dilation=0), "dilation"),
    (lambda: F.conv2d(tg.randn(1, 4, 5, 5), tg.randn(6, 4, 3, 3), dilation=3), "dilation 3"),
    (lambda: F.conv2d(tg.randn(1, 4, 5, 5), tg.randn(6, 4, 3, 3), stride=2, padding="same"), "stride 1"),
    (lambda: F.conv2d(tg.randn(1, 4, 5, 5), tg.randn(6, 4, 3, 3), padding="full"), "'valid' or 'same'"),
    (lambda: F.conv1d(tg.randn(1, 4, 5, 5), tg.randn(6, 4, 3)), "conv1d"),
    (lambda: F.conv_transpose2d(tg.randn(1, 4, 5, 5), tg.randn(4, 2, 3, 3), groups=0), "groups"),
    (lambda: F.max_pool2d(tg.randn(1, 1, 5, 5), 2, padding=2), "at most half"),
    (lambda: F.avg_pool2d(tg.randn(1, 1, 5, 5), 2, divisor_override=0), "divisor_override"),
    (lambda: F.max_pool2d(tg.randn(1, 1, 5, 5), 3, dilation=3), "larger than"),
])
def test_bad_convolution_and_pooling_options_raise_naming_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----- pooling options -----
@st.composite
def padded_pool_cases(draw, dilation=True):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    p = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    # at least one dilated kernel span: a window of padding only makes PyTorch's max_pool2d backward abort
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + tuple(
        draw(st.integers(dd * (kk - 1) + 1, 6)) for kk, dd in zip(k, d))
    x = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + rng.uniform(0, 0.01, shape)
    return dict(x=x, k=k, s=s, p=p, d=d, ceil=draw(st.booleans()), include=draw(st.booleans()),
                divisor=draw(st.sampled_from([None, 1, 4])))


def _max(c):
    return (lambda x: F.max_pool2d(x, c["k"], c["s"], c["p"], c["d"], c["ceil"]),
            lambda x: T.max_pool2d(x, c["k"], c["s"], c["p"], c["d"], c["ceil"]))


def _avg(c):
    args = (c["k"], c["s"], c["p"], c["ceil"], c["include"], c["divisor"])
    return lambda x: F.avg_pool2d(x, *args), lambda x: T.avg_pool2d(x, *args)


@given(case=padded_pool_cases())
def test_padded_dilated_ceil_mode_max_pool2d_gradcheck(case):
    assert gradcheck(_max(case)[0], [case["x"]])


@given(case=padded_pool_cases(dilation=False))
def test_padded_ceil_mode_avg_pool2d_gradcheck(case):
    assert gradcheck(_avg(case)[0], [case["x"]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=15)
@given(case=padded_pool_cases())
def test_padded_dilated_ceil_mode_max_pool2d_matches_torch(case, dtype):
    assert_matches_torch(*_max(case), [case["x"]], dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=15)
@given(case=padded_pool_cases(dilation=False))
def test_avg_pool2d_with_padding_count_include_pad_and_divisor_matches_torch(case, dtype):
    assert_matches_torch(*_avg(case), [case["x"]], dtype)


@pytest.mark.parametrize("kind", [_max, _avg])
@settings(max_examples=4)
@given(case=padded_pool_cases(dilation=False))
def test_padded_pooling_gradgradcheck(kind, case):
    fn = kind(case)[0]
    assert gradgradcheck(lambda x: fn(x) ** 2, [case["x"]])


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("k,p,ceil,size", [(2, 0, False, (4, 6)), ((2, 3), 0, False, (5, 7)), (2, 1, False, (4, 5)),
                                            (3, 0, True, (7, 8))])
def test_tiling_windows_scatter_gradients_like_torch_even_an_inf(name, k, p, ceil, size):
    """stride = kernel: the backward is one assignment to non-overlapping tiles; an inf upstream gradient reaches
    only the pixels it belongs to (no 0 * inf = NaN elsewhere), as in PyTorch."""
    rng = np.random.default_rng(0)
    x = rng.permutation(2 * 3 * size[0] * size[1]).reshape((2, 3) + size).astype(np.float64)
    ours, theirs = (getattr(F, name), getattr(T, name))
    y = ours(tg.tensor(x, dtype=np.float64, requires_grad=True), k, k, p, ceil_mode=ceil)
    g = rng.standard_normal(y.shape)
    g[0, 1, 0, 0], g[1, 2, -1, -1] = np.inf, -np.inf
    xt = tg.tensor(x, dtype=np.float64, requires_grad=True)
    ours(xt, k, k, p, ceil_mode=ceil).backward(tg.tensor(g, dtype=np.float64))
    tt = torch.tensor(x, requires_grad=True)
    theirs(tt, k, k, p, ceil_mode=ceil).backward(torch.tensor(g))
    np.testing.assert_array_equal(np.isnan(xt.grad.numpy()), np.isnan(tt.grad.numpy()))
    np.testing.assert_allclose(xt.grad.numpy(), tt.grad.numpy(), rtol=1e-12)
    assert gradgradcheck(lambda v: ours(v, k, k, p, ceil_mode=ceil) ** 2, [x[:1, :1]])


def test_ceil_mode_keeps_the_last_partial_window_like_torch():
    x = np.arange(2 * 7 * 7, dtype=np.float64).reshape(1, 2, 7, 7)
    y = F.max_pool2d(x, 2, 2, ceil_mode=True)
    assert y.shape == (1, 2, 4, 4)
    np.testing.assert_array_equal(y.numpy(), T.max_pool2d(torch.tensor(x), 2, 2, ceil_mode=True).numpy())
