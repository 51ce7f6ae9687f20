"""Float32 matrix product on the GPU, written in Numba CUDA: C = A @ B, batched, any shape.

The kernel is the register-blocked SGEMM of the lecture's "how fast can a matmul go" slides:
  * a block of 16 x 16 threads owns a BM x BN = 128 x 128 tile of C;
  * the K axis is walked in slices of BK: each slice of A (BM x BK) and of B (BK x BN) is staged in shared memory once,
    then read BM*BN*BK / 256 times from there instead of from global memory; the next slice is already being
    fetched into registers while the current one is multiplied (prefetching hides global-memory latency);
  * each thread keeps a TM x TN = 8 x 8 block of C in registers and, per k, loads TM values of A and TN of B into
    registers and does TM*TN fused multiply-adds: 16 shared loads feed 64 FMAs.
A thread's outputs are strided by 16 (rows ty + 16 i, columns tx + 16 j), so a warp reads consecutive shared words
(no bank conflicts) and writes consecutive global words (coalesced). Edges are handled by zero-filling the staged
tiles and masking the stores, so any M, N, K works. The A tile is stored transposed with 4 words of padding so the
transposing store is conflict-free too.

Arrays in, arrays out: CuPy arrays on a GPU, NumPy arrays under the simulator (NUMBA_ENABLE_CUDASIM=1).
"""
import functools

import numpy as np
from numba import cuda, float32

# the tile shape tuned for big matrices; tests also build a tiny one so the simulator stays fast
DEFAULT_TILES = (128, 128, 8, 8, 8)  # BM, BN, BK, TM, TN
MAX_GRID_Z = 65535  # CUDA's limit on gridDim.z: larger batches are launched in chunks


@functools.lru_cache(maxsize=None)
def make_kernel(BM, BN, BK, TM, TN):
    """Compile the kernel for one tile shape (the sizes are compile-time constants, so loops unroll)."""
    TY, TX = BM // TM, BN // TN
    NT = TX * TY
    if BM % TM or BN % TN or (BM * BK) % NT or (BK * BN) % NT:
        raise ValueError(f"matmul_numba: tiles {(BM, BN, BK, TM, TN)} do not divide evenly among {NT} threads")
    A_LOADS, B_LOADS = BM * BK // NT, BK * BN // NT
    A_COLS = BM + 4  # 4 words of padding: the transposing store into As hits 32 different banks
    zero = float32(0)

    @cuda.jit(fastmath=True)
    def sgemm(A, B, C):
        # A (Ba, M, K), B (Bb, K, N), C (Bc, M, N); Ba or Bb may be 1 (broadcast over the batch)
        M, K, N = A.shape[1], A.shape[2], B.shape[2]
        bz = cuda.blockIdx.z
        ia = bz if A.shape[0] > 1 else 0
        ib = bz if B.shape[0] > 1 else 0
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        tid = ty * TX + tx
        row0, col0 = cuda.blockIdx.y * BM, cuda.blockIdx.x * BN

        As = cuda.shared.array((BK, A_COLS), float32)  # transposed: As[k, m]
        Bs = cuda.shared.array((BK, BN), float32)
        acc = cuda.local.array((TM, TN), float32)
        ra = cuda.local.array(TM, float32)
        rb = cuda.local.array(TN, float32)
        for i in range(TM):
            for j in range(TN):
                acc[i, j] = zero

        # the next slice is fetched from global memory into registers (pa, pb) while this one is multiplied
        pa = cuda.local.array(A_LOADS, float32)
        pb = cuda.local.array(B_LOADS, float32)
        for r in range(A_LOADS):  # consecutive threads read consecutive k of a row of A
            idx = tid + r * NT
            gm, gk = row0 + idx // BK, idx % BK
            pa[r] = A[ia, gm, gk] if gm < M and gk < K else zero
        for r in range(B_LOADS):  # consecutive threads read consecutive columns of B
            idx = tid + r * NT
            gk, gn = idx // BN, col0 + idx % BN
            pb[r] = B[ib, gk, gn] if gk < K and gn < N else zero

        for k0 in range(0, K, BK):
            for r in range(A_LOADS):
                idx = tid + r * NT
                As[idx % BK, idx // BK] = pa[r]
            for r in range(B_LOADS):
                idx = tid + r * NT
                Bs[idx // BN, idx % BN] = pb[r]
            cuda.syncthreads()
            k1 = k0 + BK
            for r in range(A_LOADS):
                idx = tid + r * NT
                gm, gk = row0 + idx // BK, k1 + idx % BK
                pa[r] = A[ia, gm, gk] if gm < M and gk < K else zero
            for r in range(B_LOADS):
                idx = tid + r * NT
                gk, gn = k1 + idx // BN, col0 + idx % BN
                pb[r] = B[ib, gk, gn] if gk < K and gn < N else zero
            for kk in range(BK):
                for i in range(TM):
                    ra[i] = As[kk, ty + i * TY]
                for j in range(TN):
                    rb[j] = Bs[kk, tx + j * TX]
                for i in range(TM):
                    for j in range(TN):
                        acc[i, j] += ra[i] * rb[j]
            cuda.syncthreads()  # the next slice overwrites the tiles

        for i in range(TM):
            gm = row0 + ty + i * TY
            if gm < M:
                for j in range(TN):
                    gn = col0 + tx + j * TX
                    if gn < N:
                        C[bz, gm, gn] = acc[i, j]

    return sgemm, (TX, TY)


def _xp(a):
    if type(a).__module__.split(".")[0] == "cupy":
        import cupy
        return cupy
    return np


def contiguous(x, xp):
    """C-contiguous device array; under the simulator also writable (it copies every argument back)."""
    return xp.ascontiguousarray(x) if xp is not np else np.require(x, requirements=["C", "W"])


def matmul(a, b, tiles=DEFAULT_TILES):
    """a @ b for float32 arrays with ndim >= 2 and NumPy broadcasting over the batch axes."""
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul_numba: shapes {a.shape} and {b.shape} are not aligned for a @ b")
    if a.dtype != np.float32 or b.dtype != np.float32:
        raise TypeError(f"matmul_numba: float32 only, got {a.dtype} and {b.dtype}")
    xp = _xp(a)
    M, K, N = a.shape[-2], a.shape[-1], b.shape[-1]
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if K == 0 or M == 0 or N == 0:
        return xp.zeros(batch + (M, N), np.float32)
    if not batch or b.ndim == 2 or all(s == 1 for s in b.shape[:-2]):
        # (..., M, K) @ (K, N): one big GEMM over the stacked rows of A
        a3 = contiguous(xp.broadcast_to(a, batch + (M, K)), xp).reshape(1, int(np.prod(batch)) * M, K)
        b3 = contiguous(b.reshape(1, K, N), xp)
        nb = 1
    else:
        nb = int(np.prod(batch))
        a3 = a.reshape(1, M, K) if all(s == 1 for s in a.shape[:-2]) else \
            xp.broadcast_to(a, batch + (M, K)).reshape(nb, M, K)
        b3 = xp.broadcast_to(b, batch + (K, N)).reshape(nb, K, N)
        a3, b3 = contiguous(a3, xp), contiguous(b3, xp)
    rows = a3.shape[1]
    out = xp.empty((nb, rows, N), dtype=np.float32)
    kernel, threads = make_kernel(*tiles)
    BM, BN = tiles[0], tiles[1]
    for b0 in range(0, nb, MAX_GRID_Z):  # the grid's z axis (one block layer per batch entry) is capped by CUDA
        b1 = min(nb, b0 + MAX_GRID_Z)
        kernel[((N + BN - 1) // BN, (rows + BM - 1) // BM, b1 - b0), threads](
            a3 if a3.shape[0] == 1 else a3[b0:b1], b3 if b3.shape[0] == 1 else b3[b0:b1], out[b0:b1])
    return out.reshape(batch + (M, N))
