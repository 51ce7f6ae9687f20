"""Convolution: F.conv1d, F.conv2d, F.conv_transpose1d, F.conv_transpose2d (ops/conv.py) and the fast path of
their input gradient (ops/fast/conv.py)."""
import numpy as np
import pytest
import torch
from family_checks import FamilyChecks, matches_torch, normal_grad
from hypothesis import given, settings, strategies as st

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import dispatch
from tinygrad_gen.ops import conv
from tinygrad_gen.ops.fast.conv import FastConvNd, FastConvTransposeNd, lowering

T = torch.nn.functional
TOL = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=2e-4, atol=2e-5)}


class TestConvRows(FamilyChecks):
    family = conv


def run(fn, arrays, dtype, seed=0):
    """fn's output and the gradients of all its inputs, for a fixed random upstream gradient."""
    xs = [tg.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    y = fn(*xs)
    y.backward(tg.tensor(np.random.default_rng(seed).standard_normal(y.shape), dtype=dtype))
    return [y.numpy()] + [x.grad.numpy() for x in xs]


def run_torch(fn, arrays, dtype, seed=0):
    xs = [torch.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
    y = fn(*xs)
    y.backward(torch.tensor(np.random.default_rng(seed).standard_normal(tuple(y.shape)).astype(dtype)))
    return [y.detach().numpy()] + [x.grad.numpy() for x in xs]


def assert_all_close(got, want, dtype, what):
    for i, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, err_msg=f"{what}: {'output' if i == 0 else f'gradient {i - 1}'}",
                                   **TOL[dtype])


# ----- the fast path against the plain op, on each of its lowerings -----
# (x shape, weight shape, stride, padding, dilation, groups, the lowering conv2d's input gradient takes)
CONV_SHAPES = [
    ((2, 4, 6, 6), (3, 4, 3, 3), 1, 1, 1, 1, "flipped"),        # stride 1, O <= C
    ((2, 4, 7, 7), (6, 2, 3, 3), 1, 2, 2, 2, "flipped"),        # stride 1, groups and dilation (any O)
    ((2, 3, 6, 5), (5, 3, 3, 2), 1, 0, 1, 1, "col2im"),         # stride 1, O > C
    ((2, 5, 8, 8), (3, 5, 4, 4), 2, 1, 1, 1, "phases"),         # stride 2, O <= C
    ((2, 4, 9, 10), (4, 4, 3, 3), (2, 3), (1, 0), 1, 1, "phases"),  # uneven taps per phase
    ((2, 4, 7, 6), (4, 4, 1, 1), (3, 2), 0, 1, 1, "phases"),    # phases that no tap reaches
    ((2, 3, 8, 8), (5, 3, 4, 4), 2, 1, 1, 1, "col2im"),         # stride 2, O > C
    ((2, 4, 9, 9), (4, 2, 3, 3), 2, 1, 2, 2, "col2im"),         # stride 2 with groups and dilation
]


def _conv_geometry(x_shape, w_shape, stride, padding, dilation, groups):
    stride, padding, dilation = ((v, v) if isinstance(v, int) else v for v in (stride, padding, dilation))
    out = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                for n, k, s, p, d in zip(x_shape[2:], w_shape[2:], stride, padding, dilation))
    return (stride, padding, dilation, groups), (x_shape[0], w_shape[0]) + out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups, path", CONV_SHAPES)
def test_conv2d_fast_input_gradient_matches_the_plain_op(x_shape, w_shape, stride, padding, dilation, groups, path,
                                                          dtype):
    geom, y_shape = _conv_geometry(x_shape, w_shape, stride, padding, dilation, groups)
    assert lowering(y_shape, w_shape, geom, x_shape[2:]) == path
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])]

    def fn(x, w, b):
        return F.conv2d(x, w, b, stride, padding, dilation, groups)
    with dispatch.kernels("reference"):
        want = run(fn, arrays, dtype)
    with dispatch.kernels("fast"):
        got = run(fn, arrays, dtype)
    assert_all_close(got, want, dtype, f"conv2d, {path}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups, path", CONV_SHAPES)
def test_conv_transpose2d_fast_forward_matches_the_plain_op(x_shape, w_shape, stride, padding, dilation, groups,
                                                             path, dtype):
    """conv_transpose2d's forward is conv2d's input gradient: the same shapes take the same lowerings (its input
    is conv2d's output, its weight conv2d's weight, its output conv2d's input)."""
    geom, y_shape = _conv_geometry(x_shape, w_shape, stride, padding, dilation, groups)
    extra = tuple(n - ((m - 1) * s - 2 * p + d * (k - 1) + 1) for n, m, s, p, d, k in
                  zip(x_shape[2:], y_shape[2:], geom[0], geom[1], geom[2], w_shape[2:]))
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(y_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[1] * groups)]

    def fn(x, w, b):
        return F.conv_transpose2d(x, w, b, stride, padding, extra, groups, dilation)
    with dispatch.kernels("reference"):
        want = run(fn, arrays, dtype)
    with dispatch.kernels("fast"):
        got = run(fn, arrays, dtype)
    assert got[0].shape == x_shape
    assert_all_close(got, want, dtype, f"conv_transpose2d, {path}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("stride, padding, path", [(1, 1, "flipped"), (2, 1, "phases"), (3, 0, "phases")])
def test_conv1d_fast_paths_match_the_plain_ops(stride, padding, path, dtype):
    """conv1d and conv_transpose1d run as the 2-D ops on a height of 1 (stride (1, s)): the same lowerings along
    one axis."""
    x_shape, w_shape = (2, 5, 11), (3, 5, 3)
    geom, y_shape = _conv_geometry((2, 5, 1, 11), (3, 5, 1, 3), (1, stride), (0, padding), 1, 1)
    assert lowering(y_shape, (3, 5, 1, 3), geom, (1, 11)) == path
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(3)]

    def fn(x, w, b):
        return F.conv1d(x, w, b, stride, padding)
    with dispatch.kernels("reference"):
        want = run(fn, arrays, dtype)
    with dispatch.kernels("fast"):
        got = run(fn, arrays, dtype)
    assert_all_close(got, want, dtype, f"conv1d, {path}")
    extra = x_shape[-1] - ((y_shape[-1] - 1) * stride - 2 * padding + w_shape[-1])
    arrays = [rng.standard_normal(y_shape[:2] + y_shape[3:]), arrays[1]]

    def fn_t(y, w):
        return F.conv_transpose1d(y, w, None, stride, padding, extra)
    with dispatch.kernels("reference"):
        want = run(fn_t, arrays, dtype)
    with dispatch.kernels("fast"):
        got = run(fn_t, arrays, dtype)
    assert got[0].shape == x_shape
    assert_all_close(got, want, dtype, f"conv_transpose1d, {path}")


def test_the_fast_paths_are_registered_and_the_reference_mode_turns_them_off():
    with dispatch.kernels("fast"):
        assert dispatch.pick(conv.ConvNd) is FastConvNd
        assert dispatch.pick(conv.ConvTransposeNd) is FastConvTransposeNd
    with dispatch.kernels("reference"):
        assert dispatch.pick(conv.ConvNd) is conv.ConvNd
        assert dispatch.pick(conv.ConvTransposeNd) is conv.ConvTransposeNd
    with dispatch.kernels("fast,ConvNd=reference"):
        assert dispatch.pick(conv.ConvNd) is conv.ConvNd and dispatch.pick(conv.ConvTransposeNd) is FastConvTransposeNd


@pytest.mark.parametrize("stride", [1, 2])
def test_second_derivatives_through_the_fast_path_match_the_plain_op(stride):
    """An R1-style penalty |d D(x) / dx|^2 of a small conv net, differentiated again: through the input gradient
    itself (tanh between the layers, so that every input gets a second derivative)."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((2, 3, 3, 3)), rng.standard_normal((1, 2, 2, 2))]

    def r1(x, w1, w2):
        d = F.conv2d(F.conv2d(x, w1, None, stride, 1).tanh(), w2).sum()
        gx, = tg.grad(d, x, create_graph=True)
        return (gx * gx).sum()

    def grads():
        xs = [tg.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
        return [g.numpy() for g in tg.grad(r1(*xs), xs)]
    with dispatch.kernels("reference"):
        want = grads()
    with dispatch.kernels("fast"):
        got = grads()
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


# ----- against PyTorch, beyond the rows -----
@pytest.mark.parametrize("cin, cout, k, stride, padding, size, extra", [
    (8, 4, 4, (2, 2), (1, 1), (8, 8), (0, 0)),    # as DCGAN's discriminator, fewer outputs than inputs
    (4, 8, 4, (2, 2), (1, 1), (8, 8), (0, 0)),    # more outputs than inputs
    (6, 6, 3, (2, 3), (1, 0), (9, 10), (1, 2)),   # uneven taps per phase, an output padding
])
def test_strided_input_gradient_lowerings_match_torch(cin, cout, k, stride, padding, size, extra):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, cin) + size), rng.standard_normal((cout, cin, k, k)), rng.standard_normal(cout)
    args = dict(stride=stride, padding=padding)
    assert_all_close(run(lambda x, w, b: F.conv2d(x, w, b, **args), [x, w, b], np.float64),
                     run_torch(lambda x, w, b: T.conv2d(x, w, b, **args), [x, w, b], np.float64), np.float64,
                     "conv2d")
    xt = rng.standard_normal((2, cout) + size)
    args = dict(stride=stride, padding=padding, output_padding=extra)
    assert_all_close(run(lambda x, w: F.conv_transpose2d(x, w, **args), [xt, w], np.float64),
                     run_torch(lambda x, w: T.conv_transpose2d(x, w, **args), [xt, w], np.float64), np.float64,
                     "conv_transpose2d")


def test_conv2d_on_a_dcgan_sized_layer_matches_torch_in_float32():
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((4, 8, 16, 16)), rng.standard_normal((16, 8, 4, 4)), rng.standard_normal(16)]
    assert_all_close(run(lambda x, w, b: F.conv2d(x, w, b, 2, 1), arrays, np.float32),
                     run_torch(lambda x, w, b: T.conv2d(x, w, b, 2, 1), arrays, np.float32), np.float32, "conv2d")


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("kernel, dilation", [((2, 3), 1), ((3, 4), 2), ((1, 2), 3)])
def test_string_padding_matches_torch(padding, kernel, dilation):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 3, 8, 9)), rng.standard_normal((4, 3) + kernel), rng.standard_normal(4)
    assert_all_close(run(lambda x, w, b: F.conv2d(x, w, b, 1, padding, dilation), [x, w, b], np.float64),
                     run_torch(lambda x, w, b: T.conv2d(x, w, b, 1, padding, dilation), [x, w, b], np.float64),
                     np.float64, f"conv2d padding={padding!r}")
    x1, w1 = x[:, :, 0], w[:, :, 0]
    assert_all_close(run(lambda x, w, b: F.conv1d(x, w, b, 1, padding, dilation), [x1, w1, b], np.float64),
                     run_torch(lambda x, w, b: T.conv1d(x, w, b, 1, padding, dilation), [x1, w1, b], np.float64),
                     np.float64, f"conv1d padding={padding!r}")


# ----- properties and dtypes -----
def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    # <conv(x, w), y> = <x, conv_transpose(y, w)> for every x, y: the defining property of the transpose
    rng = np.random.default_rng(2)
    x, w, y = rng.standard_normal((2, 3, 7, 7)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal((2, 4, 4, 4))
    tx, tw, ty = (tg.tensor(a, dtype=np.float64) for a in (x, w, y))
    lhs = (F.conv2d(tx, tw, stride=2, padding=1).numpy() * y).sum()
    rhs = (x * F.conv_transpose2d(ty, tw, stride=2, padding=1).numpy()).sum()
    assert np.isclose(lhs, rhs, rtol=1e-12)


def test_conv_transpose2d_upsamples_by_the_stride():
    assert F.conv_transpose2d(tg.randn(2, 8, 4, 4), tg.randn(8, 3, 4, 4), stride=2, padding=1).shape == (2, 3, 8, 8)


def test_padding_same_keeps_the_size():
    assert F.conv2d(tg.randn(1, 2, 7, 6), tg.randn(3, 2, 4, 3), padding="same").shape == (1, 3, 7, 6)
    assert F.conv1d(tg.randn(1, 2, 7), tg.randn(3, 2, 4), padding="same").shape == (1, 3, 7)


def test_plain_weights_join_the_input_dtype():
    x = tg.randn(1, 2, 5, 5)
    w = np.random.default_rng(0).standard_normal((3, 2, 3, 3))  # float64 data
    assert F.conv2d(x, w, [0.0, 1.0, 2.0]).dtype == np.float32
    assert F.conv2d(x.astype(np.float64), w).dtype == np.float64
    assert F.conv_transpose1d(tg.randn(1, 2, 5), np.ones((2, 3, 3))).dtype == np.float32


def test_conv1d_saves_its_own_inputs_so_an_in_place_change_is_caught():
    x, w = tg.randn(1, 2, 6, requires_grad=True), tg.randn(3, 2, 3, requires_grad=True)
    y = F.conv1d(x, w)
    with tg.no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ----- bad arguments: errors name the op and the shapes or values -----
@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(tg.randn(2, 3, 5, 5), tg.randn(4, 2, 3, 3)), r"conv2d.*\(2, 3, 5, 5\).*\(4, 2, 3, 3\)"),
    (lambda: F.conv2d(tg.randn(1, 1, 3, 3), tg.randn(1, 1, 5, 5)), "conv2d: kernel size 5"),
    (lambda: F.conv2d(tg.randn(1, 2, 4, 4), tg.randn(4, 2, 3, 3), tg.randn(3)), r"conv2d: bias of shape \(3,\)"),
    (lambda: F.conv2d(tg.randn(2, 5, 5), tg.randn(4, 2, 3, 3)), r"conv2d: expected x \(N, C, H, W\)"),
    (lambda: F.conv2d(tg.randn(1, 2, 4, 4), tg.randn(4, 2, 3, 3), stride=0), "conv2d: stride"),
    (lambda: F.conv2d(tg.randn(1, 4, 5, 5), tg.randn(6, 2, 3, 3), groups=3), "groups=3"),
    (lambda: F.conv2d(tg.randn(1, 4, 5, 5), tg.randn(6, 4, 3, 3), groups=2), "expects 8"),
    (lambda: F.conv2d(tg.randn(1, 4, 5, 5), tg.randn(6, 4, 3, 3), dilation=0), "dilation"),
    (lambda: F.conv2d(tg.randn(1, 4, 5, 5), tg.randn(6, 4, 3, 3), dilation=3), "dilation 3"),
    (lambda: F.conv2d(tg.randn(1, 4, 5, 5), tg.randn(6, 4, 3, 3), stride=2, padding="same"), "stride 1"),
    (lambda: F.conv2d(tg.randn(1, 4, 5, 5), tg.randn(6, 4, 3, 3), padding="full"), "'valid' or 'same'"),
    (lambda: F.conv_transpose2d(tg.randn(1, 3, 4, 4), tg.randn(2, 5, 3, 3)),
     r"conv_transpose2d.*\(1, 3, 4, 4\).*\(2, 5, 3, 3\)"),
    (lambda: F.conv_transpose2d(tg.randn(1, 2, 4, 4), tg.randn(2, 3, 3, 3), stride=2, output_padding=2),
     "conv_transpose2d: output_padding"),
    (lambda: F.conv_transpose2d(tg.randn(1, 4, 5, 5), tg.randn(4, 2, 3, 3), groups=0), "groups"),
    (lambda: F.conv1d(tg.randn(1, 4, 5, 5), tg.randn(6, 4, 3)), r"conv1d: expected x \(N, C, L\)"),
    (lambda: F.conv1d(tg.randn(1, 4, 5), tg.randn(6, 3, 3)), r"conv1d: x has 4 channels \(shape \(1, 4, 5\)\)"),
    (lambda: F.conv1d(tg.randn(1, 4, 5), tg.randn(6, 4, 3), stride=(1, 2)), "conv1d: expected an int or a 1-tuple"),
    (lambda: F.conv1d(tg.randn(1, 4, 2), tg.randn(6, 4, 3)), "conv1d: kernel size 3"),
    (lambda: F.conv_transpose1d(tg.randn(1, 4, 5), tg.randn(4, 2, 3), stride=2, output_padding=3),
     "conv_transpose1d: output_padding"),
])
def test_bad_arguments_raise_naming_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----- geometry drawn by hypothesis, against PyTorch (from the retired tests/test_functional_conv.py and
# tests/test_conv_pool_options.py) -----
@st.composite
def _conv_geometries(draw, transpose=False, dims=2):
    """A small convolution PyTorch accepts: groups, dilation, stride (up to 3), padding, output_padding."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    groups = draw(st.integers(1, 3))
    cin, cout = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, transpose, dims", [("conv2d", False, 2), ("conv_transpose2d", True, 2),
                                                   ("conv1d", False, 1), ("conv_transpose1d", True, 1),
                                                   ("conv3d", False, 3), ("conv_transpose3d", True, 3)])
@settings(max_examples=12)
@given(data=st.data())
def test_drawn_geometries_with_groups_and_dilation_match_torch(name, transpose, dims, dtype, data):
    c = data.draw(_conv_geometries(transpose, dims))
    s, p, d, g, e = c["stride"], c["padding"], c["dilation"], c["groups"], c["extra"]
    args = (s, p, e, g, d) if transpose else (s, p, d, g)
    matches_torch(lambda x, w, b: getattr(F, name)(x, w, b, *args),
                  lambda x, w, b: getattr(T, name)(x, w, b, *args), [c["x"], c["w"], c["b"]], dtype, grad=normal_grad)


def test_depthwise_convolution_with_a_channel_multiplier_matches_torch():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 4, 6, 6)), rng.standard_normal((8, 1, 3, 3)), rng.standard_normal(8)
    matches_torch(lambda x, w, b: F.conv2d(x, w, b, 1, 1, groups=4),
                  lambda x, w, b: T.conv2d(x, w, b, 1, 1, groups=4), [x, w, b], np.float64, grad=normal_grad)
    wt = rng.standard_normal((4, 1, 3, 3))
    matches_torch(lambda x, w: F.conv_transpose2d(x, w, None, 2, 1, 1, groups=4),
                  lambda x, w: T.conv_transpose2d(x, w, None, 2, 1, 1, groups=4), [x, wt], np.float64, grad=normal_grad)


def test_strided_lowering_with_phases_no_tap_reaches_matches_torch():
    """A 1 x 1 kernel at stride (3, 2): conv2d's input gradient and conv_transpose2d's forward have output phases
    that no tap reaches (exact zeros, or only the bias)."""
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 5, 7, 6)), rng.standard_normal((5, 5, 1, 1)), rng.standard_normal(5)
    matches_torch(lambda x, w, b: F.conv2d(x, w, b, stride=(3, 2)),
                  lambda x, w, b: T.conv2d(x, w, b, stride=(3, 2)), [x, w, b], np.float64, grad=normal_grad)
    tr = dict(stride=(3, 2), output_padding=(2, 1))
    matches_torch(lambda y, w: F.conv_transpose2d(y, w, **tr), lambda y, w: T.conv_transpose2d(y, w, **tr),
                  [rng.standard_normal((2, 5, 7, 6)), w], np.float64, grad=normal_grad)


@pytest.mark.parametrize("cin, cout, k, stride, padding", [
    (8, 4, 4, (2, 2), (1, 1)),    # "phases": fewer outputs than inputs
    (4, 8, 4, (2, 2), (1, 1)),    # "col2im": more outputs than inputs
    (6, 6, 3, (2, 3), (1, 0)),    # "phases", uneven taps per phase
    (5, 5, 1, (3, 2), (0, 0)),    # "phases" that no tap reaches
])
def test_strided_input_gradient_lowerings_pass_gradgradcheck(cin, cout, k, stride, padding):
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((1, cin, 5, 6)), dtype=np.float64, requires_grad=True)
    w = tg.tensor(rng.standard_normal((cout, cin, k, k)), dtype=np.float64, requires_grad=True)
    assert tg.gradgradcheck(lambda x, w: F.conv2d(x, w, stride=stride, padding=padding), [x, w])


# ----- conv3d, asymmetric padding, unfold / fold and DeZero's im2col / col2im (issue 25) -----
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("stride, padding, groups", [(1, 1, 1), (1, (1, 0, 2), 2), (2, 1, 1), ((1, 2, 1), 0, 1)])
def test_conv3d_fast_paths_match_the_plain_ops(stride, padding, groups, dtype):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 4, 4, 5, 6)), rng.standard_normal((2, 4 // groups, 3, 2, 3)),
              rng.standard_normal(2)]

    def fn(x, w, b):
        return F.conv3d(x, w, b, stride, padding, groups=groups)
    with dispatch.kernels("reference"):
        want = run(fn, arrays, dtype)
    with dispatch.kernels("fast"):
        got = run(fn, arrays, dtype)
    assert_all_close(got, want, dtype, "conv3d")
    assert_all_close(got, run_torch(lambda x, w, b: T.conv3d(x, w, b, stride, padding, groups=groups), arrays, dtype),
                     dtype, "conv3d against PyTorch")


def test_conv3d_same_padding_and_gradgradcheck():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 2, 4, 3, 5)), rng.standard_normal((3, 2, 2, 3, 2))
    assert_all_close(run(lambda x, w: F.conv3d(x, w, padding="same"), [x, w], np.float64),
                     run_torch(lambda x, w: T.conv3d(x, w, padding="same"), [x, w], np.float64), np.float64, "same")
    xs = [tg.tensor(a[..., :3], dtype=np.float64, requires_grad=True) for a in (x, w[:, :, :, :2])]
    assert tg.gradgradcheck(lambda x, w: F.conv3d(x, w, stride=(1, 2, 1), padding=1), xs)


def test_conv3d_and_conv_transpose3d_modules_match_torch():
    from tinygrad_gen.nn.conv3d import Conv3d, ConvTranspose3d
    tg.manual_seed(0)
    for ours, theirs in ((Conv3d(2, 4, 3, stride=2, padding=1, groups=2), torch.nn.Conv3d(2, 4, 3, 2, 1, groups=2)),
                         (ConvTranspose3d(2, 3, (2, 3, 2), stride=2, output_padding=1),
                          torch.nn.ConvTranspose3d(2, 3, (2, 3, 2), 2, output_padding=1))):
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
            [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
        bound = 1 / np.sqrt(ours.weight.shape[1] * np.prod(ours.weight.shape[2:]))
        assert np.abs(ours.weight.numpy()).max() <= bound
        theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
        x = np.random.default_rng(2).standard_normal((2, 2, 3, 4, 5)).astype(np.float32)
        np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-4, atol=1e-5)


@st.composite
def _asymmetric(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    pads = tuple(draw(st.integers(0, 2)) for _ in range(4))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return dict(x=rng.standard_normal((2, 2, draw(st.integers(3, 6)), draw(st.integers(3, 6)))), pads=pads,
                w=rng.standard_normal((3, 2) + k), b=rng.standard_normal(3),
                stride=(draw(st.integers(1, 2)), draw(st.integers(1, 2))), dilation=draw(st.integers(1, 2)))


@pytest.mark.parametrize("mode", ["fast", "reference"])
@settings(max_examples=10)
@given(c=_asymmetric())
def test_conv2d_asymmetric_padding_is_torch_on_an_explicitly_padded_input(c, mode):
    """padding=(left, right, top, bottom), an extension: conv2d of the input zero-padded by F.pad."""
    s, p, d = c["stride"], c["pads"], c["dilation"]
    with dispatch.kernels(mode):
        matches_torch(lambda x, w, b: F.conv2d(x, w, b, s, p, d), lambda x, w, b: T.conv2d(T.pad(x, p), w, b, s, 0, d),
                      [c["x"], c["w"], c["b"]], grad=normal_grad)


@st.composite
def _unfold_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    size = tuple(draw(st.integers(max(1, dd * (kk - 1) + 1 - 2 * pp), 6)) for kk, dd, pp in zip(k, d, p))
    return dict(x=rng.standard_normal((draw(st.integers(1, 2)), draw(st.integers(1, 3))) + size), k=k, d=d, p=p, s=s)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=12)
@given(c=_unfold_cases())
def test_unfold_and_fold_match_torch(c, dtype):
    args = (c["k"], c["d"], c["p"], c["s"])
    cols, _ = matches_torch(lambda x: F.unfold(x, *args), lambda x: T.unfold(x, *args), [c["x"]], dtype,
                            grad=normal_grad)
    size = c["x"].shape[2:]
    matches_torch(lambda v: F.fold(v, size, *args), lambda v: T.fold(v, size, *args),
                  [np.random.default_rng(1).standard_normal(cols.shape)], dtype, grad=normal_grad)


def test_fold_is_the_adjoint_of_unfold_and_both_pass_gradgradcheck():
    rng = np.random.default_rng(3)
    x, v = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((2, 3 * 6, 15))
    args = dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    lhs = (F.unfold(tg.tensor(x, dtype=np.float64), **args).numpy() * v).sum()
    rhs = (x * F.fold(tg.tensor(v, dtype=np.float64), (5, 6), **args).numpy()).sum()
    assert np.isclose(lhs, rhs, rtol=1e-12)
    assert tg.gradgradcheck(lambda a: F.unfold(a, **args) ** 2, [tg.tensor(x, dtype=np.float64, requires_grad=True)])
    assert tg.gradgradcheck(lambda a: F.fold(a, (5, 6), **args) ** 2,
                            [tg.tensor(v, dtype=np.float64, requires_grad=True)])


def test_unfold_of_an_unbatched_image_matches_torch():
    x = np.random.default_rng(4).standard_normal((3, 5, 4))
    np.testing.assert_allclose(F.unfold(tg.tensor(x, dtype=np.float64), 2, padding=1).numpy(),
                               T.unfold(torch.tensor(x), 2, padding=1).numpy())
    cols = np.random.default_rng(5).standard_normal((12, 30))
    np.testing.assert_allclose(F.fold(tg.tensor(cols, dtype=np.float64), (5, 4), 2, padding=1).numpy(),
                               T.fold(torch.tensor(cols), (5, 4), 2, padding=1).numpy())


def test_im2col_and_col2im_take_dezeros_arguments_and_pytorchs_keywords():
    x = np.random.default_rng(6).standard_normal((2, 3, 6, 5))
    t = tg.tensor(x, dtype=np.float64)
    want = T.unfold(torch.tensor(x), 3, padding=1, stride=2).numpy()
    np.testing.assert_allclose(F.im2col(t, 3, 2, 1).numpy(), want)  # DeZero's order: stride, pad
    np.testing.assert_allclose(F.im2col(t, 3, stride=2, padding=1).numpy(), want)  # PyTorch's keywords
    grid = F.im2col(t, 3, 2, 1, to_matrix=False)  # DeZero's unreshaped layout (N, C, kh, kw, Ho, Wo)
    assert grid.shape == (2, 3, 3, 3, 3, 3)
    np.testing.assert_allclose(grid.numpy().reshape(2, 27, 9), want)
    cols = np.random.default_rng(7).standard_normal(want.shape)
    back = T.fold(torch.tensor(cols), (6, 5), 3, padding=1, stride=2).numpy()
    np.testing.assert_allclose(F.col2im(tg.tensor(cols, dtype=np.float64), (2, 3, 6, 5), 3, 2, 1).numpy(), back)
    np.testing.assert_allclose(F.col2im(tg.tensor(cols.reshape(2, 3, 3, 3, 3, 3), dtype=np.float64), (6, 5), 3,
                                        stride=2, padding=1, to_matrix=False).numpy(), back)
    with pytest.raises(TypeError, match="im2col: got both pad=1 and its PyTorch name padding=1"):
        F.im2col(t, 3, 2, 1, padding=1)


@pytest.mark.parametrize("call, message", [
    (lambda: F.fold(tg.randn(1, 7, 9), (4, 4), 2), r"fold: expected x of shape \(N, C \* 4, 9\)"),
    (lambda: F.unfold(tg.randn(4, 4), 2), r"unfold: expected x of shape"),
    (lambda: F.unfold(tg.randn(1, 1, 3, 3), 4), "unfold: kernel size 4"),
    (lambda: F.conv2d(tg.randn(1, 2, 4, 4), tg.randn(3, 2, 3, 3), padding=(1, 1, 1)), "conv2d: padding"),
    (lambda: F.conv2d(tg.randn(1, 2, 4, 4), tg.randn(3, 2, 3, 3), padding=(1, -1, 0, 0)), "conv2d: padding must"),
    (lambda: F.conv3d(tg.randn(1, 2, 4, 4), tg.randn(3, 2, 3, 3)), r"conv3d: expected x \(N, C, D, H, W\)"),
    (lambda: F.conv_transpose3d(tg.randn(1, 2, 3, 3, 3), tg.randn(2, 2, 3, 3, 3), stride=2, output_padding=2),
     "conv_transpose3d: output_padding"),
])
def test_bad_conv3d_unfold_and_padding_arguments_raise_naming_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call()
