"""The resampling family: pad (constant, reflect, replicate, circular), interpolate and upsample
(ops/resampling.py)."""
import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from family_checks import FamilyChecks, matches_torch, normal_grad
from tinygrad_gen.ops import resampling
from tinygrad_gen.ops.resampling import linear_weights, nearest_index, pad_index

T = torch.nn.functional


class TestResamplingRows(FamilyChecks):
    family = resampling


# ----- pad -----
@settings(max_examples=12)
@given(shape=hnp.array_shapes(min_dims=3, max_dims=4, min_side=3, max_side=4),
       mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]),
       pad=st.lists(st.integers(0, 2), min_size=2, max_size=4).filter(lambda p: len(p) % 2 == 0),
       seed=st.integers(0, 2 ** 16), dtype=st.sampled_from([np.float32, np.float64]))
def test_pad_matches_torch_in_every_mode(shape, mode, pad, seed, dtype):
    assume(mode == "constant" or len(pad) // 2 in (len(shape) - 2, len(shape) - 1))  # what PyTorch's pads accept
    x = np.random.default_rng(seed).standard_normal(shape)
    matches_torch(lambda a: F.pad(a, pad, mode=mode), lambda a: T.pad(a, pad, mode=mode), [x], dtype, grad=normal_grad)


def test_constant_pad_with_negative_amounts_crops_like_torch():
    x = np.random.default_rng(1).standard_normal((2, 5, 6))
    matches_torch(lambda a: F.pad(a, (-2, 1, 0, -3), value=2.0), lambda a: T.pad(a, (-2, 1, 0, -3), value=2.0), [x],
                  grad=normal_grad)


def test_constant_pad_value_none_fills_with_zero_as_in_torch():
    x = tg.ones(2, 2)
    np.testing.assert_array_equal(F.pad(x, (1, 0), value=None).numpy(), [[0, 1, 1], [0, 1, 1]])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_padding_nothing_gives_a_new_tensor_with_the_same_values(mode):
    x = tg.randn(2, 3, requires_grad=True)
    y = F.pad(x, (0, 0), mode=mode)
    assert y is not x and y._data is not x._data
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))


def test_reflect_pad_keeps_its_input_and_catches_a_change_in_place_as_torch_does():
    x = tg.randn(1, 2, 4, requires_grad=True)
    y = F.pad(x, (2, 1), mode="reflect")
    with tg.no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_reflect_pad_gradient_adds_up_at_mirrored_positions():
    x = tg.tensor(np.arange(4.0), requires_grad=True)
    y = F.pad(x, (3, 2), mode="reflect")  # reads 3 2 1 | 0 1 2 3 | 2 1
    np.testing.assert_array_equal(y.numpy(), [3, 2, 1, 0, 1, 2, 3, 2, 1])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 3, 3, 2])


def test_pad_keeps_an_integer_dtype():
    x = tg.tensor(np.arange(6).reshape(2, 3))
    assert F.pad(x, (1, 1)).dtype == np.int64 and F.pad(x, (1, 1), mode="reflect").dtype == np.int64


@pytest.mark.parametrize("call, message", [
    (lambda: F.pad(tg.randn(1, 2, 3), (3, 0), mode="reflect"),
     r"pad: reflect padding of \(3, 0\) does not fit axis 2 of size 3 .* each below the axis size 3"),
    (lambda: F.pad(tg.randn(1, 2, 3), (4, 0), mode="circular"), r"pad: circular padding .* at most the 3 elements"),
    (lambda: F.pad(tg.randn(1, 2, 4), (3, -2), mode="circular"), r"at most the 2 elements left after cropping"),
    (lambda: F.pad(tg.randn(1, 2, 4), (-3, -1), mode="replicate"),
     r"leaves no element on every padded axis \(sizes \(0,\)\)"),
    (lambda: F.pad(tg.randn(2, 3), (1, 1, 1)), r"pad: pad \(1, 1, 1\) must have an even length"),
    (lambda: F.pad(tg.randn(2, 3), (1, 1, 1, 1, 1, 1)), r"at most 2 \* 2 for shape \(2, 3\)"),
    (lambda: F.pad(tg.randn(2, 3), (-2, -2)), r"pad: pads .* leave a negative size for shape \(2, 3\)"),
    (lambda: F.pad(tg.randn(2, 3), (1, 1), mode="mirror"), "pad: mode must be"),
])
def test_bad_pads_raise_naming_the_op_and_the_sizes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_pad_index_reads_like_numpys_own_padding():
    np.testing.assert_array_equal(pad_index(4, 2, 1, "reflect"), [2, 1, 0, 1, 2, 3, 2])
    np.testing.assert_array_equal(pad_index(4, 2, 1, "replicate"), [0, 0, 0, 1, 2, 3, 3])
    np.testing.assert_array_equal(pad_index(4, 2, 1, "circular"), [2, 3, 0, 1, 2, 3, 0])
    np.testing.assert_array_equal(pad_index(4, -1, 1, "replicate"), [1, 2, 3, 3])


def test_negative_pads_read_like_torch_reflect_from_the_uncropped_input_circular_after_cropping():
    np.testing.assert_array_equal(pad_index(4, 3, -3, "reflect"), [3, 2, 1, 0])  # not the crop's own reflection
    np.testing.assert_array_equal(pad_index(4, 2, -1, "replicate"), [0, 0, 0, 1, 2])
    np.testing.assert_array_equal(pad_index(4, 2, -1, "circular"), [1, 2, 0, 1, 2])
    x = np.arange(20.0).reshape(1, 1, 4, 5)
    for mode in ("reflect", "replicate"):
        np.testing.assert_array_equal(F.pad(tg.tensor(x, dtype=tg.float64), (3, -3, 0, -3), mode=mode).numpy(),
                                      T.pad(torch.from_numpy(x), (3, -3, 0, -3), mode=mode).numpy())


@settings(max_examples=60, deadline=None)
@given(spatial=st.lists(st.integers(1, 5), min_size=1, max_size=3), data=st.data(),
       mode=st.sampled_from(["reflect", "replicate", "circular"]), seed=st.integers(0, 2 ** 16))
def test_pads_with_any_mix_of_signs_match_torch_or_fail_loudly(spatial, data, mode, seed):
    """Whatever PyTorch pads, we pad alike (values and gradients); where it raises, we raise. Circular padding wider
    than what the crops leave is refused here: PyTorch raises there, or returns uninitialised memory."""
    pad = data.draw(st.lists(st.integers(-5, 5), min_size=2 * len(spatial), max_size=2 * len(spatial)))
    x = np.random.default_rng(seed).standard_normal((2, 1) + tuple(spatial))
    try:
        want = T.pad(torch.from_numpy(x), pad, mode=mode)
    except (RuntimeError, NotImplementedError):
        want = None
    kept = [n - max(-lo, 0) - max(-hi, 0) for n, lo, hi in zip(spatial[::-1], pad[::2], pad[1::2])]
    wraps_too_far = mode == "circular" and any(max(lo, hi) > k for k, lo, hi in zip(kept, pad[::2], pad[1::2]))
    if want is None or wraps_too_far:
        with pytest.raises(ValueError, match=f"pad: {mode} padding"):
            F.pad(tg.tensor(x, dtype=tg.float64), pad, mode=mode)
        return
    matches_torch(lambda a: F.pad(a, pad, mode=mode), lambda a: T.pad(a, pad, mode=mode), [x], np.float64,
                  grad=normal_grad)


# ----- interpolate and upsample -----
@settings(max_examples=12)
@given(hw=st.tuples(st.integers(1, 5), st.integers(1, 5)), out=st.tuples(st.integers(1, 7), st.integers(1, 7)),
       mode=st.sampled_from(["nearest", "bilinear"]), align=st.booleans(), seed=st.integers(0, 2 ** 16),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_interpolate_to_a_size_matches_torch(hw, out, mode, align, seed, dtype):
    x = np.random.default_rng(seed).standard_normal((2, 3) + hw)
    ac = align if mode == "bilinear" else None
    matches_torch(lambda a: F.interpolate(a, size=out, mode=mode, align_corners=ac),
                  lambda a: T.interpolate(a, size=out, mode=mode, align_corners=ac), [x], dtype,
                  grad=normal_grad)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("scale", [2, 0.5, 1.7, (3, 0.75)])
def test_interpolate_by_a_scale_factor_matches_torch(mode, scale):
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 4))
    matches_torch(lambda a: F.interpolate(a, scale_factor=scale, mode=mode),
                  lambda a: T.interpolate(a, scale_factor=scale, mode=mode), [x], grad=normal_grad)


@pytest.mark.parametrize("mode, shape, size", [("nearest", (2, 3, 5), 8), ("linear", (2, 3, 5), 9),
                                               ("nearest", (1, 2, 3, 4, 2), (5, 2, 3)),
                                               ("trilinear", (1, 2, 3, 4, 2), (5, 2, 3))])
@pytest.mark.parametrize("align", [None, True])
def test_interpolate_in_one_and_three_spatial_axes_matches_torch(mode, shape, size, align):
    if mode == "nearest" and align:
        return
    x = np.random.default_rng(1).standard_normal(shape)
    matches_torch(lambda a: F.interpolate(a, size=size, mode=mode, align_corners=align),
                  lambda a: T.interpolate(a, size=size, mode=mode, align_corners=align), [x],
                  grad=normal_grad)


def test_upsample_is_interpolate():
    x = tg.randn(1, 2, 3, 4)
    np.testing.assert_array_equal(F.upsample(x, scale_factor=2, mode="bilinear").numpy(),
                                  F.interpolate(x, scale_factor=2, mode="bilinear").numpy())


def test_interpolate_keeps_float32():
    assert F.interpolate(tg.randn(1, 1, 3, 3), scale_factor=2, mode="bilinear").dtype == np.float32


@settings(max_examples=40, deadline=None)
@given(spatial=st.lists(st.integers(1, 6), min_size=1, max_size=3), data=st.data(), seed=st.integers(0, 2 ** 16),
       mode=st.sampled_from(["nearest", "nearest-exact"]), by_size=st.booleans())
def test_nearest_and_nearest_exact_match_torch_by_size_and_scale_factor(spatial, data, seed, mode, by_size):
    k = len(spatial)
    if by_size:
        kw = dict(size=tuple(data.draw(st.lists(st.integers(1, 11), min_size=k, max_size=k))))
    else:
        kw = dict(scale_factor=data.draw(st.sampled_from([0.5, 0.7, 1.01, 1.1, 1.3, 1.5, 1.7, 2.0, 2.5, 3.0])))
        assume(min(int(n * kw["scale_factor"]) for n in spatial) >= 1)
    x = np.random.default_rng(seed).standard_normal((2, 2) + tuple(spatial))
    matches_torch(lambda a: F.interpolate(a, mode=mode, **kw), lambda a: T.interpolate(a, mode=mode, **kw), [x],
                  np.float64, grad=normal_grad)


def test_nearest_exact_reads_pixel_centres_and_keeps_integer_dtypes():
    x = np.array([[[10, 30, 0, 200]]], np.uint8)
    got = F.interpolate(tg.tensor(x), size=3, mode="nearest-exact")
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got.numpy(), T.interpolate(torch.from_numpy(x), size=3, mode="nearest-exact"))
    np.testing.assert_array_equal(got.numpy(), [[[10, 0, 200]]])  # centres 2/3, 2, 10/3 -> inputs 0, 2, 3


@pytest.mark.parametrize("mode,shape", [("linear", (1, 1, 4)), ("bilinear", (1, 1, 2, 2)),
                                        ("trilinear", (1, 1, 2, 2, 2))])
def test_linear_modes_refuse_integer_input_instead_of_wrapping_around(mode, shape):
    x = tg.tensor(np.arange(int(np.prod(shape))).reshape(shape).astype(np.uint8) * 50)
    with pytest.raises(TypeError, match=f"interpolate: mode '{mode}' of a uint8 tensor .*float"):
        F.interpolate(x, size=shape[2:] and tuple(n + 1 for n in shape[2:]), mode=mode)


@pytest.mark.parametrize("call, message", [
    (lambda: F.interpolate(tg.randn(4), size=2), r"interpolate: expected x of shape \(N, C, ...\).*\(4,\)"),
    (lambda: F.interpolate(tg.randn(1, 1, 4), size=2, mode="cubic"), "interpolate: mode must be"),
    (lambda: F.interpolate(tg.randn(1, 1, 4), size=2, mode="bilinear"), "needs 2 spatial axes.*\\(1, 1, 4\\)"),
    (lambda: F.interpolate(tg.randn(1, 1, 4), size=2, align_corners=True), "align_corners only applies"),
    (lambda: F.interpolate(tg.randn(1, 1, 4)), "exactly one of size and scale_factor"),
    (lambda: F.interpolate(tg.randn(1, 1, 4), size=2, scale_factor=2), "exactly one of size and scale_factor"),
    (lambda: F.interpolate(tg.randn(1, 1, 4), scale_factor=0.1), r"output size \(0,\) does not fit"),
    (lambda: F.interpolate(tg.randn(1, 1, 4, 4), size=(2, 2, 2)), r"output size \(2, 2, 2\) does not fit"),
])
def test_bad_interpolation_raises_naming_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_nearest_index_and_linear_weights_follow_torch_source_coordinates():
    np.testing.assert_array_equal(nearest_index(3, 7), [0, 0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(nearest_index(4, 2, scale=0.5), [0, 2])
    i0, i1, w = linear_weights(3, 5, align_corners=True)
    np.testing.assert_allclose(i0 + w, [0, 0.5, 1, 1.5, 2])
    np.testing.assert_array_equal(i1, np.minimum(i0 + 1, 2))
    i0, i1, w = linear_weights(2, 4, align_corners=False)  # source (j + 1/2) / 2 - 1/2, clamped to [0, 1]
    signal = np.array([10.0, 20.0])
    np.testing.assert_allclose((1 - w) * signal[i0] + w * signal[i1], [10, 12.5, 17.5, 20])
