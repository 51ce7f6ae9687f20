"""The teaching SGEMM (kernels/tiled_sgemm.py) under the CUDA simulator: C = A @ B at ragged sizes, against NumPy."""
import numpy as np
import pytest

from tinygrad_gen.kernels import tiled_sgemm


@pytest.mark.parametrize("m, k, n", [(1, 1, 1), (17, 23, 9), (16, 32, 16), (33, 5, 18)])
def test_tiled_sgemm_matches_numpy_at_ragged_sizes(m, k, n):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a, b = rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((k, n)).astype(np.float32)
    np.testing.assert_allclose(tiled_sgemm.matmul(a, b), a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)


def test_shapes_that_do_not_multiply_are_refused():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 5\)"):
        tiled_sgemm.matmul(np.zeros((2, 3)), np.zeros((4, 5)))
