"""The shared-memory tiled SGEMM of the lecture's kernel slides, written to be read (and rewritten as an exercise):
C = A @ B for float32 (M, K) and (K, N) matrices.

A block of TILE x TILE threads owns one TILE x TILE tile of C, one output element per thread. It walks K in tiles:
each thread loads one element of A's tile and one of B's into shared memory, the block waits (``syncthreads``),
every thread multiplies its row of A's tile by its column of B's tile out of shared memory, and the block waits
again before the next load overwrites the tiles. Each element of A and B is read from global memory M/TILE or
N/TILE times instead of N or M times: that reuse is the whole point of tiling. Out-of-range elements of the ragged
last tiles are loaded as 0 and the store is guarded, so any M, N, K works.

This is the teaching kernel (tgg exercise task 6.1), checked under Numba's CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1``) against NumPy; the engine's fast matmul kernel, register-blocked and double-buffered,
is ``matmul_numba``. Arrays in, arrays out: NumPy arrays (copied to the device by Numba), or CuPy arrays on a GPU.
"""
import math

import numpy as np
from numba import cuda, float32

TILE = 16


@cuda.jit
def tiled_sgemm(a, b, c):
    """c = a @ b, one TILE x TILE tile of c per block, one element per thread."""
    a_tile = cuda.shared.array((TILE, TILE), float32)
    b_tile = cuda.shared.array((TILE, TILE), float32)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    row = cuda.blockIdx.y * TILE + ty
    col = cuda.blockIdx.x * TILE + tx
    m, k_total, n = a.shape[0], a.shape[1], b.shape[1]
    acc = float32(0.0)
    for start in range(0, k_total, TILE):
        a_tile[ty, tx] = a[row, start + tx] if row < m and start + tx < k_total else float32(0.0)
        b_tile[ty, tx] = b[start + ty, col] if start + ty < k_total and col < n else float32(0.0)
        cuda.syncthreads()  # the tiles are complete before anyone reads them
        for k in range(TILE):
            acc += a_tile[ty, k] * b_tile[k, tx]
        cuda.syncthreads()  # everyone is done with the tiles before the next load overwrites them
    if row < m and col < n:
        c[row, col] = acc


def matmul(a, b):
    """a @ b for 2-D float32 arrays by ``tiled_sgemm``; a ValueError names the shapes when they do not fit."""
    a = np.ascontiguousarray(a, dtype=np.float32) if isinstance(a, np.ndarray) else a
    b = np.ascontiguousarray(b, dtype=np.float32) if isinstance(b, np.ndarray) else b
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"tiled_sgemm.matmul: shapes {a.shape} and {b.shape} do not multiply")
    if isinstance(a, np.ndarray):
        c = np.zeros((a.shape[0], b.shape[1]), np.float32)
    else:  # a CuPy array: the result on the same device
        import cupy
        c = cupy.zeros((a.shape[0], b.shape[1]), np.float32)
    grid = (math.ceil(b.shape[1] / TILE), math.ceil(a.shape[0] / TILE))
    tiled_sgemm[grid, (TILE, TILE)](a, b, c)
    return c
