"""The Numba SGEMM kernel against a float64 NumPy product, under the CUDA simulator: ragged edges, batches, both
backward products (transposed operands)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinygrad_gen.kernels import matmul_numba

SMALL = (16, 16, 4, 4, 4)  # same code as the 128 x 128 tiles, 16 threads per block: quick in the simulator
rng = np.random.default_rng(0)


def rand(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def assert_close(got, a, b):
    want = np.matmul(a.astype(np.float64), b.astype(np.float64))
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.sqrt(a.shape[-1]))


@settings(max_examples=10)
@given(m=st.integers(1, 37), k=st.integers(1, 21), n=st.integers(1, 37))
def test_ragged_shapes_match_float64(m, k, n):
    a, b = rand(m, k), rand(k, n)
    assert_close(matmul_numba.matmul(a, b, SMALL), a, b)


def test_default_tiles_handle_edges_of_a_128_tile():
    a, b = rand(131, 10), rand(10, 5)
    assert_close(matmul_numba.matmul(a, b), a, b)


@pytest.mark.parametrize("name", [n for n in matmul_numba.VARIANTS if n != matmul_numba.DEFAULT])
def test_every_tile_variant_handles_ragged_edges(name):
    a, b = rand(70, 19), rand(19, 33)
    assert_close(matmul_numba.matmul(a, b, matmul_numba.VARIANTS[name]), a, b)


def test_interior_blocks_take_the_unchecked_path_and_a_ragged_last_slice():
    a, b = rand(48, 10), rand(10, 32)  # 3 x 2 blocks of 16 x 16, all interior; K = 2 full slices of 4 and 2 more
    assert_close(matmul_numba.matmul(a, b, SMALL), a, b)


@pytest.mark.parametrize("factor", [0, 2])
def test_unrolled_k_loop_gives_the_same_product_inside_and_at_the_edges(factor):
    a, b = rand(48, 10), rand(10, 37)  # interior blocks, a ragged column of blocks and a ragged last slice of K
    assert_close(matmul_numba.matmul(a, b, SMALL + (0, factor)), a, b)


def test_an_unroll_factor_that_does_not_divide_the_slice_is_refused():
    with pytest.raises(ValueError, match="divide"):
        matmul_numba.matmul(rand(4, 4), rand(4, 4), SMALL + (0, 3))


def test_tiles_that_do_not_divide_among_the_threads_are_refused():
    with pytest.raises(ValueError, match="divide"):
        matmul_numba.matmul(rand(4, 4), rand(4, 4), (16, 16, 3, 4, 4))


def test_batched_operands_each_get_their_own_product():
    a, b = rand(3, 17, 9), rand(3, 9, 19)
    assert_close(matmul_numba.matmul(a, b, SMALL), a, b)


def test_batch_axes_broadcast_like_numpy():
    a, b = rand(2, 1, 6, 5), rand(3, 5, 7)
    assert_close(matmul_numba.matmul(a, b, SMALL), a, b)


def test_stacked_rows_times_a_matrix_is_one_gemm():
    a, b = rand(2, 3, 7, 5), rand(5, 18)
    assert_close(matmul_numba.matmul(a, b, SMALL), a, b)


def test_batches_beyond_the_grid_limit_are_launched_in_chunks(monkeypatch):
    monkeypatch.setattr(matmul_numba, "MAX_GRID_Z", 2)
    a, b = rand(5, 3, 4), rand(5, 4, 6)
    assert_close(matmul_numba.matmul(a, b, SMALL), a, b)
    a1 = rand(1, 3, 4)
    assert_close(matmul_numba.matmul(a1, b, SMALL), a1, b)


def test_backward_products_on_transposed_views():
    a, b, g = rand(2, 9, 6), rand(2, 6, 11), rand(2, 9, 11)
    assert_close(matmul_numba.matmul(g, b.swapaxes(-1, -2), SMALL), g, b.swapaxes(-1, -2))   # da = g b^T
    assert_close(matmul_numba.matmul(a.swapaxes(-1, -2), g, SMALL), a.swapaxes(-1, -2), g)   # db = a^T g


def test_empty_inner_axis_gives_zeros():
    out = matmul_numba.matmul(rand(4, 0), rand(0, 3), SMALL)
    np.testing.assert_array_equal(out, np.zeros((4, 3), np.float32))


def test_misaligned_shapes_raise_naming_both():
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 3\)"):
        matmul_numba.matmul(rand(4, 3), rand(4, 3), SMALL)


def test_float64_is_refused():
    with pytest.raises(TypeError, match="float32"):
        matmul_numba.matmul(np.ones((2, 2)), np.ones((2, 2)), SMALL)
