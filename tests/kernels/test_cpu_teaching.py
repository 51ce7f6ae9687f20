"""The two kernels written to be read (the course kit's CPU tasks start from them): the fused row softmax and the
tiled SGEMM, against NumPy on odd shapes (partial register and cache blocks), float32 and float64."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

pytest.importorskip("numba")

from tinygrad_gen.kernels.cpu import matmul, softmax  # noqa: E402 (numba first: without it these are skipped)


@given(st.integers(1, 40), st.integers(1, 300), st.sampled_from([np.float32, np.float64]))
def test_softmax_rows_matches_numpy(rows, cols, dtype):
    x = (np.random.default_rng(rows * cols).standard_normal((rows, cols)) * 10).astype(dtype)
    y = np.empty_like(x)
    softmax.softmax_rows(x, y)
    e = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(y, e / e.sum(axis=1, keepdims=True), rtol=3e-6 if dtype == np.float32 else 1e-12,
                               atol=1e-30)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, k, n", [(1, 1, 1), (5, 7, 3), (67, 300, 259), (130, 513, 70)])
def test_tiled_sgemm_matches_numpy(m, k, n, dtype):
    rng = np.random.default_rng(m + k + n)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    want = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(matmul.matmul(a, b), want, rtol=1e-4 if dtype == np.float32 else 1e-12,
                               atol=(1e-4 if dtype == np.float32 else 1e-12) * np.sqrt(k))


def test_triad():
    a, b, c = np.zeros(100, np.float32), np.arange(100, dtype=np.float32), np.ones(100, np.float32)
    matmul.triad(a, b, c, np.float32(2.5))
    np.testing.assert_array_equal(a, b + 2.5)
