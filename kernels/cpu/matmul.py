"""A tiled SGEMM written to be read: C = A @ B for float32 (or float64) matrices, with the two ideas every fast
matrix product rests on. It is a teaching kernel: the engine multiplies with NumPy's BLAS (OpenBLAS), which this
does not beat (``tgg bench kernels --device cpu`` measures both), so nothing dispatches to it.

Why tiles. A product does 2 M N K FLOPs on 4 (M K + K N + M N) bytes: each element of A is used N times and each
of B M times. Computed naively (for i, for j, dot of row i and column j) every use is a fresh trip to memory,
and memory delivers ~10x fewer floats per second than the cores can multiply. Blocking reorders the same sums so
that each float, once loaded, is used many times from a faster level:

- cache blocking: C is computed in blocks of ``MB`` rows; for each, B is read in panels of ``KB`` rows x ``NB``
  columns (256 x 256 floats = 256 KiB, sized for L2) that stay in cache while all ``MB`` rows of A stream past,
  so each B element comes from memory once per row block instead of once per row;
- register blocking: four rows of C (a 4 x ``NB`` strip) are updated together by one pass over a B row, k by k:
  c_r[j] += a[r, k] * b[k, j] for r = 0..3. Each b[k, j] loaded into a vector register feeds four fused
  multiply-adds instead of one, and the four a[r, k] stay in registers for the whole row: LLVM vectorises the
  j loop (AVX: 8 or 16 floats per instruction).

What OpenBLAS adds on top: B panels copied ("packed") into the exact order its assembly micro-kernel reads them,
a micro-kernel that keeps a whole 6 x 16 (or so) block of C in registers across all of k, prefetching, and tile
sizes tuned per CPU; that is the remaining factor, shown on the roofline. Rows of C are spread over threads
(``prange`` over row blocks: blocks write disjoint rows, so no two threads touch the same C)."""
import numpy as np
from numba import njit, prange

from . import pool
from .fast_math import JIT

MB, KB, NB = 64, 256, 256  # rows of C per block (one thread's work), the depth and width of a B panel


@njit(**JIT)
def sgemm(a, b, c):
    """c = a @ b for 2-D C-contiguous a (M, K), b (K, N), c (M, N) of one float dtype (c is overwritten)."""
    m, kk = a.shape
    n = b.shape[1]
    for blk in prange((m + MB - 1) // MB):
        i0 = blk * MB
        i1 = min(i0 + MB, m)
        for i in range(i0, i1):
            for j in range(n):
                c[i, j] = 0
        for k0 in range(0, kk, KB):  # a B panel: rows k0:k1, columns j0:j1, kept in cache
            k1 = min(k0 + KB, kk)
            for j0 in range(0, n, NB):
                j1 = min(j0 + NB, n)
                i = i0
                while i + 4 <= i1:  # the register block: four rows of C share every loaded b[k, j]
                    c0, c1, c2, c3 = c[i, j0:j1], c[i + 1, j0:j1], c[i + 2, j0:j1], c[i + 3, j0:j1]
                    for k in range(k0, k1):
                        a0, a1, a2, a3 = a[i, k], a[i + 1, k], a[i + 2, k], a[i + 3, k]
                        bk = b[k, j0:j1]
                        for j in range(j1 - j0):
                            bkj = bk[j]
                            c0[j] += a0 * bkj
                            c1[j] += a1 * bkj
                            c2[j] += a2 * bkj
                            c3[j] += a3 * bkj
                    i += 4
                for r in range(i, i1):  # the rows left over when MB is not a multiple of 4
                    for k in range(k0, k1):
                        ark = a[r, k]
                        for j in range(j0, j1):
                            c[r, j] += ark * b[k, j]


def matmul(a, b):
    """a @ b for 2-D float arrays, by ``sgemm`` (a new C-contiguous result)."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b, a.dtype)
    c = np.empty((a.shape[0], b.shape[1]), a.dtype)
    with pool.LOCK:
        sgemm(a, b, c)
    return c


@njit(**JIT)
def triad(a, b, c, s):
    """a = b + s c elementwise (the STREAM triad): the memory-bandwidth probe of the roofline, 12 bytes moved per
    element in float32 (two reads, one write) for 2 FLOPs."""
    for i in prange(a.size):
        a[i] = b[i] + s * c[i]
