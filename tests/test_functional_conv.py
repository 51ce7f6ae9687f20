"""F.linear, F.conv2d, F.conv_transpose2d, F.max_pool2d, F.avg_pool2d: gradients, PyTorch agreement, second order."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from functional_helpers import assert_matches_torch, gradcheck, gradgradcheck

T = torch.nn.functional
DTYPES = [np.float32, np.float64]


@st.composite
def conv_cases(draw, transpose=False):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    n, cin, cout = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    h = draw(st.integers(max(kh - 2 * padding[0], 1), 5))
    w = draw(st.integers(max(kw - 2 * padding[1], 1), 5))
    extra = (draw(st.integers(0, stride[0] - 1)), draw(st.integers(0, stride[1] - 1))) if transpose else None
    if transpose and any((d - 1) * s - 2 * p + k + e < 1 for d, s, p, k, e in
                         zip((h, w), stride, padding, (kh, kw), extra)):
        padding = (0, 0)
    weight_shape = (cin, cout, kh, kw) if transpose else (cout, cin, kh, kw)
    return dict(x=rng.standard_normal((n, cin, h, w)), w=rng.standard_normal(weight_shape),
                b=rng.standard_normal(cout), stride=stride, padding=padding, output_padding=extra)


def _conv(case):
    return lambda x, w, b: F.conv2d(x, w, b, stride=case["stride"], padding=case["padding"])


def _conv_t(case):
    return lambda x, w, b: T.conv2d(x, w, b, stride=case["stride"], padding=case["padding"])


def _convtr(case):
    return lambda x, w, b: F.conv_transpose2d(x, w, b, stride=case["stride"], padding=case["padding"],
                                              output_padding=case["output_padding"])


def _convtr_t(case):
    return lambda x, w, b: T.conv_transpose2d(x, w, b, stride=case["stride"], padding=case["padding"],
                                              output_padding=case["output_padding"])


@given(case=conv_cases())
def test_conv2d_gradcheck(case):
    assert gradcheck(_conv(case), [case["x"], case["w"], case["b"]])


@given(case=conv_cases(transpose=True))
def test_conv_transpose2d_gradcheck(case):
    assert gradcheck(_convtr(case), [case["x"], case["w"], case["b"]])


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=8)
@given(case=conv_cases())
def test_conv2d_matches_torch(case, dtype):
    assert_matches_torch(_conv(case), _conv_t(case), [case["x"], case["w"], case["b"]], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=8)
@given(case=conv_cases(transpose=True))
def test_conv_transpose2d_matches_torch(case, dtype):
    assert_matches_torch(_convtr(case), _convtr_t(case), [case["x"], case["w"], case["b"]], dtype)


def test_conv2d_on_a_dcgan_sized_layer_matches_torch():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((4, 8, 16, 16)), rng.standard_normal((16, 8, 4, 4)), rng.standard_normal(16)
    assert_matches_torch(lambda x, w, b: F.conv2d(x, w, b, 2, 1), lambda x, w, b: T.conv2d(x, w, b, 2, 1),
                         [x, w, b], np.float32)


def test_conv_transpose2d_upsamples_by_the_stride():
    x, w = tg.randn(2, 8, 4, 4), tg.randn(8, 3, 4, 4)
    assert F.conv_transpose2d(x, w, stride=2, padding=1).shape == (2, 3, 8, 8)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    # <conv(x, w), y> = <x, conv_transpose(y, w)> for every x, y: the defining property of the transpose
    rng = np.random.default_rng(2)
    x, w, y = rng.standard_normal((2, 3, 7, 7)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal((2, 4, 4, 4))
    lhs = (F.conv2d(tg.tensor(x, dtype=np.float64), tg.tensor(w, dtype=np.float64), stride=2, padding=1).numpy() * y)
    rhs = x * F.conv_transpose2d(tg.tensor(y, dtype=np.float64), tg.tensor(w, dtype=np.float64), stride=2,
                                 padding=1).numpy()
    assert np.isclose(lhs.sum(), rhs.sum(), rtol=1e-12)


@settings(max_examples=4)
@given(case=conv_cases())
def test_conv2d_gradgradcheck(case):
    assert gradgradcheck(_conv(case), [case["x"], case["w"], case["b"]])


@settings(max_examples=4)
@given(case=conv_cases(transpose=True))
def test_conv_transpose2d_gradgradcheck(case):
    assert gradgradcheck(_convtr(case), [case["x"], case["w"], case["b"]])


def test_conv2d_r1_penalty_double_backward_matches_torch():
    # R1 gradient penalty of a tiny conv discriminator: d/dw |d D(x) / dx|^2 needs conv2d's and leaky_relu's
    # second derivatives
    rng = np.random.default_rng(3)
    x, w1, w2 = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal((1, 3, 4, 4))

    xs, a, b = [tg.tensor(v, dtype=np.float64, requires_grad=True) for v in (x, w1, w2)]
    d = F.conv2d(F.leaky_relu(F.conv2d(xs, a, None, 1, 1), 0.2), b, None, 2, 1).sum()
    d.backward(create_graph=True)
    r1 = (xs.grad * xs.grad).sum()
    a.grad = b.grad = None
    r1.backward()
    xt, at, bt = [torch.tensor(v, requires_grad=True) for v in (x, w1, w2)]
    dt = T.conv2d(T.leaky_relu(T.conv2d(xt, at, None, 1, 1), 0.2), bt, None, 2, 1).sum()
    gx, = torch.autograd.grad(dt, xt, create_graph=True)
    ga, gb = torch.autograd.grad((gx * gx).sum(), (at, bt))
    np.testing.assert_allclose(a.grad.numpy(), ga.numpy(), rtol=1e-9)
    np.testing.assert_allclose(b.grad.numpy(), gb.numpy(), rtol=1e-9)


# ----- linear -----
@st.composite
def linear_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    lead = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    fin, fout = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return rng.standard_normal(lead + (fin,)), rng.standard_normal((fout, fin)), rng.standard_normal(fout)


@given(case=linear_cases())
def test_linear_gradcheck(case):
    assert gradcheck(F.linear, list(case))


@given(case=linear_cases())
def test_linear_without_bias_gradcheck(case):
    assert gradcheck(lambda x, w: F.linear(x, w), list(case[:2]))


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=8)
@given(case=linear_cases())
def test_linear_matches_torch(case, dtype):
    assert_matches_torch(F.linear, T.linear, list(case), dtype)


@settings(max_examples=5)
@given(case=linear_cases())
def test_linear_gradgradcheck(case):
    assert gradgradcheck(lambda x, w, b: F.linear(x, w, b).tanh(), list(case))


# ----- pooling -----
@st.composite
def pool_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(k[0], 6)), draw(st.integers(k[1], 6)))
    # distinct values: the max of a window is then unique and the max is differentiable there
    x = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + rng.uniform(0, 0.01, shape)
    return x, k, stride


@given(case=pool_cases())
def test_max_pool2d_gradcheck(case):
    x, k, s = case
    assert gradcheck(lambda x: F.max_pool2d(x, k, s), [x])


@given(case=pool_cases())
def test_avg_pool2d_gradcheck(case):
    x, k, s = case
    assert gradcheck(lambda x: F.avg_pool2d(x, k, s), [x])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
@settings(max_examples=8)
@given(case=pool_cases())
def test_pool_matches_torch(case, name, dtype):
    x, k, s = case
    assert_matches_torch(lambda x: getattr(F, name)(x, k, s), lambda x: getattr(T, name)(x, k, s), [x], dtype)


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
@settings(max_examples=4)
@given(case=pool_cases())
def test_pool_gradgradcheck(case, name):
    x, k, s = case
    assert gradgradcheck(lambda x: getattr(F, name)(x, k, s) ** 2, [x])


def test_max_pool2d_of_a_chw_image_keeps_three_axes():
    assert F.max_pool2d(tg.randn(3, 4, 6), 2).shape == (3, 2, 3)


def test_max_pool2d_tie_sends_the_gradient_to_the_first_maximum_like_torch():
    x = np.round(np.random.default_rng(4).standard_normal((1, 2, 6, 6)))  # many ties within windows
    assert_matches_torch(lambda x: F.max_pool2d(x, 3, 2), lambda x: T.max_pool2d(x, 3, 2), [x])


@pytest.mark.parametrize("cin, cout, k, stride, padding, size, extra", [
    (8, 4, 4, (2, 2), (1, 1), (8, 8), (0, 0)),    # as DCGAN's discriminator, fewer outputs than inputs
    (4, 8, 4, (2, 2), (1, 1), (8, 8), (0, 0)),    # more outputs than inputs
    (6, 6, 3, (2, 3), (1, 0), (9, 10), (1, 2)),   # uneven taps per phase, an output padding
    (5, 5, 1, (3, 2), (0, 0), (7, 6), (2, 1)),    # phases that no tap reaches
])
def test_strided_input_gradient_lowerings_match_torch(cin, cout, k, stride, padding, size, extra):
    """conv2d's input gradient and conv_transpose2d's forward at strides > 1, on channel counts either side of
    the rule that picks one stride-1 convolution per output phase over col2im's scatter."""
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, cin) + size), rng.standard_normal((cout, cin, k, k)), rng.standard_normal(cout)
    conv = dict(stride=stride, padding=padding)
    assert_matches_torch(lambda x, w, b: F.conv2d(x, w, b, **conv), lambda x, w, b: T.conv2d(x, w, b, **conv),
                         [x, w, b], np.float64)
    xt = rng.standard_normal((2, cout) + size)
    tr = dict(stride=stride, padding=padding, output_padding=extra)
    assert_matches_torch(lambda x, w: F.conv_transpose2d(x, w, **tr), lambda x, w: T.conv_transpose2d(x, w, **tr),
                         [xt, w], np.float64)
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, **conv), [x[:1, :, :5, :6], w])
