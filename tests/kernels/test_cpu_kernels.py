"""The Numba CPU kernels (kernels/cpu) through their fast paths, against the plain ops: values and gradients,
float32 and float64, odd shapes (hypothesis), masks, rows that keep nothing, non-finite inputs, and a second
derivative (which runs the Tensor-op backward). Each test also checks that the kernel did run."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

pytest.importorskip("numba")

import tinygrad_gen as tg  # noqa: E402 (numba first: without it these tests are skipped)
from tinygrad_gen import dispatch  # noqa: E402
from tinygrad_gen.kernels import cpu  # noqa: E402
from tinygrad_gen.nn import functional as F  # noqa: E402

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}


@pytest.fixture
def kernel_calls(monkeypatch):
    """Counts the calls of kernels.cpu.run (every fast path goes through it), by kernel name."""
    calls = []
    real = cpu.run

    def counted(kernel, size, *args):
        calls.append(getattr(kernel, "__name__", str(kernel)))
        return real(kernel, size, *args)
    monkeypatch.setattr(cpu, "run", counted)
    return calls


def run_both(fn, arrays, seed=0):
    """(values, grads) of ``fn`` on tensors made from ``arrays`` under the plain ops, then under the Numba paths;
    the backward is seeded with a fixed non-uniform gradient."""
    results = []
    for mode in ("reference", "numba"):
        with dispatch.kernels(mode):
            xs = [tg.tensor(a, dtype=a.dtype, requires_grad=True) for a in arrays]
            y = fn(*xs)
            g = np.random.default_rng(seed).standard_normal(y.shape).astype(arrays[0].dtype)
            y.backward(tg.tensor(g, dtype=arrays[0].dtype))
            results.append((y.numpy(), [x.grad.numpy() for x in xs]))
    return results


def assert_same(results, dtype):
    (y0, g0), (y1, g1) = results
    assert y1.dtype == y0.dtype == dtype
    np.testing.assert_allclose(y1, y0, **TOL[dtype])
    for a, b in zip(g1, g0):
        np.testing.assert_allclose(a, b, **TOL[dtype])


DTYPES = [np.float32, np.float64]


# ----- masked softmax -----
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["causal", "padding", "full", "keeps nothing"])
def test_masked_softmax_matches_the_plain_op(layout, dtype, kernel_calls):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((2, 3, 37, 37)) * 3).astype(dtype)
    mask = {"causal": np.tril(np.ones((37, 37), bool)), "padding": rng.random((2, 1, 1, 37)) < 0.6,
            "full": rng.random(x.shape) < 0.4, "keeps nothing": np.zeros((37, 37), bool)}[layout]
    if layout == "keeps nothing":
        mask[::2] = np.tril(np.ones((37, 37), bool))[::2]  # odd rows keep nothing: zeros, zero gradient
    res = run_both(lambda a: F.masked_softmax(a, mask), [x])
    assert_same(res, dtype)
    assert "masked_softmax_forward" in kernel_calls and "softmax_backward" in kernel_calls
    if layout == "keeps nothing":
        assert not res[1][0][:, :, 1::2].any() and not res[1][1][0][:, :, 1::2].any()


@given(st.lists(st.integers(1, 9), min_size=1, max_size=4), st.sampled_from(DTYPES), st.integers(0, 3))
def test_masked_softmax_on_drawn_shapes_and_broadcast_masks(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    mask_shape = [1 if rng.random() < 0.4 else n for n in shape[len(shape) - rng.integers(1, len(shape) + 1):]]
    mask = rng.random(mask_shape) < 0.7
    assert_same(run_both(lambda a: F.masked_softmax(a, mask), [x]), dtype)


@pytest.mark.parametrize("hidden", [np.inf, -np.inf, np.nan, 1e4])
def test_masked_softmax_ignores_what_masked_positions_hold(hidden):
    x = np.array([[0.5, -1.0, 2.0, 0.0], [1.0, 3.0, -2.0, 0.5]], dtype=np.float32)
    mask = np.array([[True, True, False, True], [False, True, True, True]])
    with dispatch.kernels("numba"):
        ours = F.masked_softmax(tg.tensor(np.where(mask, x, hidden).astype(np.float32)), mask).numpy()
    e = np.where(mask, np.exp(x), 0)
    np.testing.assert_allclose(ours, e / e.sum(axis=1, keepdims=True), rtol=1e-6)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the plain op's inf / inf
@pytest.mark.parametrize("kept", [np.nan, np.inf])
def test_masked_softmax_with_a_kept_nan_or_inf_gives_what_the_plain_op_gives(kept):
    x = np.array([[0.5, kept, 2.0], [1.0, 3.0, -2.0]], dtype=np.float32)
    mask = np.ones((2, 3), bool)
    with dispatch.kernels("reference"):
        want = F.masked_softmax(tg.tensor(x), mask).numpy()
    with dispatch.kernels("numba"):
        got = F.masked_softmax(tg.tensor(x), mask).numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)], rtol=1e-6)


# ----- layer norm (Standardize) -----
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, normalized", [((4, 7, 33), (33,)), ((3, 5, 6), (5, 6)), ((1, 1), (1,)),
                                                ((64, 130), (130,))])
def test_layer_norm_matches_the_plain_op(shape, normalized, dtype, kernel_calls):
    rng = np.random.default_rng(2)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    w = rng.standard_normal(normalized).astype(dtype)
    b = rng.standard_normal(normalized).astype(dtype)
    assert_same(run_both(lambda a, w_, b_: F.layer_norm(a, normalized, w_, b_), [x, w, b]), dtype)
    assert "forward" in kernel_calls and "backward" in kernel_calls


@given(st.lists(st.integers(1, 8), min_size=1, max_size=3), st.integers(1, 40), st.sampled_from(DTYPES))
def test_layer_norm_on_drawn_shapes(lead, cols, dtype):
    x = (np.random.default_rng(cols).standard_normal(lead + [cols]) * 2).astype(dtype)
    assert_same(run_both(lambda a: F.layer_norm(a, cols), [x]), dtype)


def test_layer_norm_second_derivative_runs_the_tensor_backward():
    x0 = np.random.default_rng(3).standard_normal((3, 6))
    got = {}
    for mode in ("reference", "numba"):
        with dispatch.kernels(mode):
            x = tg.tensor(x0, dtype=np.float64, requires_grad=True)
            y = (F.layer_norm(x, 6) ** 3).sum()
            gx, = tg.autograd.grad(y, [x], create_graph=True)
            (gx * gx).sum().backward()
            got[mode] = x.grad.numpy()
    np.testing.assert_allclose(got["numba"], got["reference"], rtol=1e-10)


# ----- GELU -----
@pytest.mark.parametrize("dtype", DTYPES)
def test_gelu_matches_the_plain_op_in_the_tails_too(dtype, kernel_calls):
    x = np.concatenate([np.linspace(-12, 12, 301), [0.0, -0.0, 1e-30], np.random.default_rng(4).standard_normal(4995)])
    assert_same(run_both(F.gelu, [x.astype(dtype).reshape(-1, 7)]), dtype)
    assert kernel_calls.count("forward") == 1


def test_gelu_float32_relative_error_in_the_left_tail():
    x = np.linspace(-9, -3, 200).astype(np.float32)
    with dispatch.kernels("numba"):
        ours = F.gelu(tg.tensor(x)).numpy().astype(np.float64)
    with dispatch.kernels("reference"):
        want = F.gelu(tg.tensor(x.astype(np.float64), dtype=np.float64)).numpy()
    assert np.max(np.abs(ours - want) / np.abs(want)) < 1e-5


# ----- cross entropy -----
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_the_plain_op(reduction, dtype, kernel_calls):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((45, 103)) * 5).astype(dtype)
    t = rng.integers(0, 103, 45)
    t[::7] = -100  # ignored rows
    assert_same(run_both(lambda a: F.cross_entropy(a, t, reduction=reduction), [x]), dtype)
    assert "forward" in kernel_calls and "backward" in kernel_calls


@given(st.integers(1, 20), st.integers(1, 30), st.sampled_from(DTYPES))
def test_cross_entropy_on_drawn_shapes(rows, classes, dtype):
    rng = np.random.default_rng(rows * 31 + classes)
    x = (rng.standard_normal((rows, classes)) * 3).astype(dtype)
    t = rng.integers(0, classes, rows)
    assert_same(run_both(lambda a: F.cross_entropy(a, t), [x]), dtype)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the plain op's inf - inf
def test_cross_entropy_with_an_inf_logit_gives_what_the_plain_op_gives():
    x = np.array([[0.0, np.inf, 1.0], [1.0, 2.0, 3.0]], np.float32)
    t = np.array([1, 2])
    got = {}
    for mode in ("reference", "numba"):
        with dispatch.kernels(mode):
            got[mode] = F.cross_entropy(tg.tensor(x), t, reduction="none").numpy()
    np.testing.assert_array_equal(got["numba"], got["reference"])


# ----- large inputs run on the thread pool -----
def test_large_inputs_run_in_parallel_and_agree(kernel_calls):
    x = np.random.default_rng(6).standard_normal((64, 64, 130)).astype(np.float32)
    assert x.size >= cpu.PARALLEL_MIN
    assert_same(run_both(lambda a: F.layer_norm(F.gelu(a), 130), [x]), np.float32)
