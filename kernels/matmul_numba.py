"""Float32 matrix product on the GPU, written in Numba CUDA: C = A @ B, batched, any shape.

The kernel is the register-blocked SGEMM of the lecture's "how fast can a matmul go" slides:
  * a block of TY x TX threads owns a BM x BN tile of C (128 x 128 with 16 x 16 threads by default);
  * the K axis is walked in slices of BK: each slice of A (BM x BK) and of B (BK x BN) is staged in shared memory once
    and then read from there BM*BN*BK / (TY*TX) times instead of from global memory; the next slice is fetched into
    registers while the current one is multiplied, and the shared tiles are double-buffered, so one barrier per slice
    suffices (the fetch hides global-memory latency, the second buffer hides the store);
  * each thread keeps a TM x TN block of C in registers; per k it loads TM values of A and TN of B and does TM*TN
    fused multiply-adds.
Two details make the inner loop lean, which is what decides the speed (checked in the PTX, tests/test_kernels_ptx.py):
  * the shared tiles hold *pairs* of floats (complex64: real = one value, imag = its neighbour), so each shared load
    is one 8-byte ld.shared.v2 that brings two operands: 8 loads feed 64 FMAs at TM = TN = 8;
  * arrays are flat and indexed with precomputed unsigned offsets (no 64-bit index recomputation, no negative-index
    wraparound tests), and blocks that lie wholly inside C take a branch without any bounds test; only edge blocks
    and the last, ragged slice of K zero-fill out-of-range elements and mask the stores, so any M, N, K works.
A thread's pairs of rows/columns are strided by TY/TX pairs, so a warp reads consecutive shared words (no bank
conflicts) and writes consecutive global words (coalesced).

Arrays in, arrays out: CuPy arrays on a GPU, NumPy arrays under the simulator (NUMBA_ENABLE_CUDASIM=1).

The kernel is a template, instantiated once per tile shape by ``make_kernel``:
  * ``sgemm`` is written once, inside ``make_kernel``, with the tile sizes as free names (BM, BN, BK, TM, TN and the
    sizes derived from them: TY, TX, NT, HM, HN, PM, PN, A_PAIRS, B_PAIRS, A_ROWS_STEP, B_ROWS_STEP, SA, A_TILE,
    B_TILE, A_SHARED, B_SHARED); Numba reads them as compile-time constants, so every ``range`` over them has a
    fixed trip count and the register arrays have fixed sizes;
  * variants with an unroll factor (the 7th entry of VARIANTS, "-u" = 0 for all, "-u2" = 2) go through
    ``unroll_marked_loop``, which rewrites sgemm's *text*: the ``for kk in range(BK):  # unroll`` loop is replaced by
    its body written out BK times (or 2 per pass) with ``kk`` replaced by a number, and that text is exec'd in a
    namespace holding the constants; variants without one compile sgemm as written, a closure over the constants;
  * ``max_registers`` (6th entry) is a ptxas cap passed to ``cuda.jit``, not a change of the source.
The text Numba compiles for a variant, with the values of its constants, is printed by
``python -m tinygrad_gen.kernels.matmul_numba --print-source [VARIANT]`` (default: DEFAULT, the generated default
SGEMM; ``--list`` names the variants).
"""
import functools
import inspect
import re
import textwrap

import numpy as np
from numba import config, cuda, float32, complex64, uint64

# Tile shapes (BM, BN, BK, TM, TN, max registers per thread or 0 for the compiler's choice[, unroll factor]) that
# benchmarks/bench_kernels.py's `matmul-variants` sweep times on a GPU; DEFAULT is the winner of the last H200 sweep
# (71.8 % of cuBLAS at 4096^3), whose own GPU test against float64, at the edges and inside, passed
# (benchmarks/RESULTS.md).
VARIANTS = {
    "128x128x8": (128, 128, 8, 8, 8, 0),
    "128x128x16": (128, 128, 16, 8, 8, 0),
    "128x128x16-r128": (128, 128, 16, 8, 8, 128),
    "128x64x16": (128, 64, 16, 8, 8, 0),
    "64x64x16": (64, 64, 16, 8, 8, 0),
    # "-u": the k loop of a slice written out at compile time (unroll_marked_loop), "-u2": two steps per pass
    # (fully written out under a 128-register cap, or four steps per pass, they spill)
    "128x128x16-u2-r128": (128, 128, 16, 8, 8, 128, 2),
    "128x128x8-u2-r128": (128, 128, 8, 8, 8, 128, 2),
    "128x128x16-u": (128, 128, 16, 8, 8, 0, 0),  # 167 registers: 1 block per SM
    "128x256x8-u2": (128, 256, 8, 8, 16, 0, 2),  # twice the outputs per thread: 128 accumulators, 1 block per SM
}
DEFAULT = "128x128x16-u"
DEFAULT_TILES = VARIANTS[DEFAULT]
MAX_GRID_Z = 65535  # CUDA's limit on gridDim.z: larger batches are launched in chunks
ZERO = float32(0)
ONE = uint64(1)  # mixing uint64 with a plain int literal would make Numba compute in float64


def unroll_marked_loop(fn, factor=0):
    """``fn`` rebuilt from its source with the loop marked ``# unroll`` written out: ``factor`` copies of its body
    per pass (0: all of them, the loop disappears), each with the loop variable as ``base + j``, so offsets like
    ``kk * SA`` become constants folded into the shared loads and the loop counter and its address arithmetic are
    paid once per ``factor`` steps (NVVM does not unroll that loop by itself: ~18 overhead instructions per 64 FMAs).
    The range must be a constant of fn's closure or module and divisible by ``factor``; the body is copied as text."""
    lines = textwrap.dedent(inspect.getsource(fn)).splitlines()
    lines = [line for line in lines if not line.lstrip().startswith("@")]  # the jit decorator is applied again
    at = next(i for i, line in enumerate(lines) if line.rstrip().endswith("# unroll"))
    head = re.match(r"(\s*)for (\w+) in range\((.+)\):", lines[at])
    indent, var, count = head.group(1), head.group(2), head.group(3)
    end = at + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > len(indent)):
        end += 1
    body = [line for line in lines[at + 1:end] if line.strip()]
    namespace = dict(fn.__globals__)
    namespace.update(zip(fn.__code__.co_freevars, (cell.cell_contents for cell in fn.__closure__ or ())))
    n = eval(count, namespace)
    if not factor or factor >= n:  # the whole loop written out, at the loop's own indentation
        written = [re.sub(rf"\b{var}\b", str(k), line[4:]) for k in range(n) for line in body]
    elif n % factor:
        raise ValueError(f"unroll_marked_loop: {n} steps do not divide by {factor}")
    else:
        written = [f"{indent}for {var}_base in range(0, {n}, {factor}):"] + [
            re.sub(rf"\b{var}\b", f"({var}_base + {j})", line) for j in range(factor) for line in body]
    exec("\n".join(lines[:at] + written + lines[end:]), namespace)
    return namespace[fn.__name__]


@functools.lru_cache(maxsize=None)
def make_kernel(BM, BN, BK, TM, TN, max_registers=0, unroll=False):
    """Compile the kernel for one tile shape (the sizes are compile-time constants, so loops unroll); ``unroll``
    (False, or a factor: 0 for all) writes out the k loop of a slice too (unroll_marked_loop)."""
    TY, TX = BM // TM, BN // TN
    NT = TX * TY
    if (BM % TM or BN % TN or TM % 2 or TN % 2 or (BM * BK) % (2 * NT) or (BK * BN) % (2 * NT) or NT % BK
            or NT % (BN // 2)):
        raise ValueError(f"matmul_numba: tiles {(BM, BN, BK, TM, TN)} do not divide evenly among {NT} threads")
    HM, HN = BM // 2, BN // 2  # pairs per tile row of A^T / of B
    PM, PN = TM // 2, TN // 2  # pairs per thread
    A_PAIRS, B_PAIRS = BM * BK // (2 * NT), BK * BN // (2 * NT)
    A_ROWS_STEP, B_ROWS_STEP = NT // BK, NT // HN  # row pairs of A / rows of B between a thread's fetches
    SA = HM + 4  # padded row of the transposed A tile: the transposing store spreads over the banks
    A_TILE, B_TILE = BK * SA, BK * HN
    A_SHARED, B_SHARED = 2 * A_TILE, 2 * B_TILE  # two buffers each (shapes must be plain constants)
    options = {"fastmath": True}
    if max_registers and not config.ENABLE_CUDASIM:  # a ptxas limit; the simulator has no registers
        options["max_registers"] = max_registers

    def sgemm(A, B, C, M, N, K, a_stride, b_stride):
        # A, B, C flat; batch entry z: A[z*a_stride + m*K + k], B[z*b_stride + k*N + n], C[z*M*N + m*N + n]
        # (a stride of 0 broadcasts an operand over the batch)
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        tid = ty * TX + tx
        bz = cuda.blockIdx.z
        row0, col0 = cuda.blockIdx.y * BM, cuda.blockIdx.x * BN
        interior = row0 + BM <= M and col0 + BN <= N
        k_full = K - K % BK  # slices [0, k_full) need no test on k

        As = cuda.shared.array(A_SHARED, complex64)  # As[buf + k*SA + p] = (A[2p, k], A[2p + 1, k]) of the tile
        Bs = cuda.shared.array(B_SHARED, complex64)  # Bs[buf + k*HN + p] = (B[k, 2p], B[k, 2p + 1])
        acc = cuda.local.array((TM, TN), float32)
        ra = cuda.local.array(TM, float32)
        rb = cuda.local.array(TN, float32)
        for i in range(TM):
            for j in range(TN):
                acc[i, j] = ZERO

        # which pairs of the slice this thread fetches: for A consecutive threads take consecutive k of a row pair
        # (coalesced along A's rows), for B consecutive column pairs of a row. Thread tid's r-th pair of A is rows
        # 2p, 2p + 1 at column k with p = tid // BK + r * NT // BK (k is the same for every r); its r-th pair of B is
        # columns 2p, 2p + 1 of row k = tid // HN + r * NT // HN.
        pa, ka = tid // BK, tid % BK
        kb, pb = tid // HN, tid % HN
        uK, uN, uM = uint64(K), uint64(N), uint64(M)
        ma = uint64(row0 + 2 * pa)  # first row (of C) of this thread's first A pair
        nb = uint64(col0 + 2 * pb)
        ga = uint64(bz * a_stride) + ma * uK + uint64(ka)  # global offset of that pair's first element at k0 = 0
        gb = uint64(bz * b_stride) + uint64(kb) * uN + nb
        sa = uint64(ka * SA + pa)  # shared offsets
        sb = uint64(kb * HN + pb)
        a_step = uint64(2 * A_ROWS_STEP) * uK  # from one of the thread's A pairs to the next
        b_step = uint64(B_ROWS_STEP) * uN
        pa0 = cuda.local.array(A_PAIRS, float32)  # the fetched slice, waiting in registers
        pa1 = cuda.local.array(A_PAIRS, float32)
        pb0 = cuda.local.array(B_PAIRS, float32)
        pb1 = cuda.local.array(B_PAIRS, float32)

        n_slices = (K + BK - 1) // BK
        for s in range(n_slices + 1):
            k0 = s * BK
            if s < n_slices:  # fetch slice s into registers
                uk0 = uint64(k0)
                if interior and k0 < k_full:
                    for r in range(A_PAIRS):
                        g = ga + uk0 + uint64(r) * a_step
                        pa0[r] = A[g]
                        pa1[r] = A[g + uK]
                    for r in range(B_PAIRS):
                        g = gb + uk0 * uN + uint64(r) * b_step
                        pb0[r] = B[g]
                        pb1[r] = B[g + ONE]
                else:
                    oka = uint64(ka) + uk0 < uK
                    for r in range(A_PAIRS):
                        g = ga + uk0 + uint64(r) * a_step
                        m = ma + uint64(2 * A_ROWS_STEP * r)
                        pa0[r] = A[g] if oka and m < uM else ZERO
                        pa1[r] = A[g + uK] if oka and m + ONE < uM else ZERO
                    for r in range(B_PAIRS):
                        g = gb + uk0 * uN + uint64(r) * b_step
                        ok = uint64(kb + B_ROWS_STEP * r) + uk0 < uK
                        pb0[r] = B[g] if ok and nb < uN else ZERO
                        pb1[r] = B[g + ONE] if ok and nb + ONE < uN else ZERO
            if s > 0:  # multiply slice s - 1, staged in buffer (s - 1) % 2
                abuf, bbuf = uint64(((s - 1) % 2) * A_TILE), uint64(((s - 1) % 2) * B_TILE)
                for kk in range(BK):  # unroll
                    for p in range(PM):
                        v = As[abuf + uint64(kk * SA + ty + p * TY)]
                        ra[2 * p] = v.real
                        ra[2 * p + 1] = v.imag
                    for p in range(PN):
                        v = Bs[bbuf + uint64(kk * HN + tx + p * TX)]
                        rb[2 * p] = v.real
                        rb[2 * p + 1] = v.imag
                    for i in range(TM):
                        for j in range(TN):
                            acc[i, j] += ra[i] * rb[j]
            if s < n_slices:  # stage slice s in buffer s % 2 (last read two slices ago, before the last barrier)
                abuf, bbuf = uint64((s % 2) * A_TILE), uint64((s % 2) * B_TILE)
                for r in range(A_PAIRS):
                    As[abuf + sa + uint64(r * A_ROWS_STEP)] = complex(pa0[r], pa1[r])
                for r in range(B_PAIRS):
                    Bs[bbuf + sb + uint64(r * B_ROWS_STEP * HN)] = complex(pb0[r], pb1[r])
            cuda.syncthreads()

        c_base = uint64(bz) * uM * uN
        for i in range(TM):
            gm = uint64(row0 + 2 * (ty + (i // 2) * TY) + i % 2)
            if interior or gm < uM:
                for j in range(TN):
                    gn = uint64(col0 + 2 * (tx + (j // 2) * TX) + j % 2)
                    if interior or gn < uN:
                        C[c_base + gm * uN + gn] = acc[i, j]

    return cuda.jit(**options)(unroll_marked_loop(sgemm, unroll) if unroll is not False else sgemm), (TX, TY)


def _xp(a):
    if type(a).__module__.split(".")[0] == "cupy":
        import cupy
        return cupy
    return np


def contiguous(x, xp):
    """C-contiguous device array; under the simulator also writable (it copies every argument back)."""
    return xp.ascontiguousarray(x) if xp is not np else np.require(x, requirements=["C", "W"])


def matmul(a, b, tiles=None):
    """a @ b for float32 arrays with ndim >= 2 and NumPy broadcasting over the batch axes.
    ``tiles``: (BM, BN, BK, TM, TN[, max_registers[, unroll factor]]); None uses DEFAULT_TILES."""
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
    tiles = DEFAULT_TILES if tiles is None else tuple(tiles)
    kernel, threads = make_kernel(*tiles)
    BM, BN = tiles[0], tiles[1]
    a_stride = rows * K if a3.shape[0] > 1 else 0
    b_stride = K * N if b3.shape[0] > 1 else 0
    flat_a, flat_b = a3.reshape(-1), b3.reshape(-1)
    for b0 in range(0, nb, MAX_GRID_Z):  # the grid's z axis (one block layer per batch entry) is capped by CUDA
        b1 = min(nb, b0 + MAX_GRID_Z)
        # each chunk sees its own slice of the flat arrays (an operand broadcast over the batch is passed whole)
        ca = flat_a[b0 * a_stride:b1 * a_stride] if a_stride else flat_a
        cb = flat_b[b0 * b_stride:b1 * b_stride] if b_stride else flat_b
        cc = out[b0:b1].reshape(-1)
        kernel[((N + BN - 1) // BN, (rows + BM - 1) // BM, b1 - b0), threads](ca, cb, cc, rows, N, K, a_stride,
                                                                              b_stride)
    return out.reshape(batch + (M, N))


# ----- reading the generated source (not used to compile: it asks make_kernel and records what it compiles) -----------
def compiled_source(variant=DEFAULT):
    """``(source, constants)``: the Python text whose function Numba compiles for ``variant`` (a name of VARIANTS)
    and the compile-time constants it reads ({name: value}). Builds the kernel as ``matmul`` would (Numba compiles
    lazily, at the first launch, so no GPU is needed) and records the text ``unroll_marked_loop`` hands to ``exec``;
    a variant without unrolling compiles ``sgemm`` as written in ``make_kernel``."""
    import builtins
    if variant not in VARIANTS:
        raise ValueError(f"matmul_numba: unknown variant {variant!r}; choose one of: {', '.join(VARIANTS)}")
    recorded = []

    def recording_exec(source, namespace):
        recorded.append(source)
        return builtins.exec(source, namespace)
    globals()["exec"] = recording_exec  # found before the builtin by unroll_marked_loop's name lookup
    try:
        kernel, _ = make_kernel.__wrapped__(*VARIANTS[variant])  # uncached: this build is the one recorded
    finally:
        del globals()["exec"]
    fn = kernel.py_func
    if recorded:
        source = recorded[-1]
        constants = {k: fn.__globals__[k] for k in fn.__code__.co_names
                     if isinstance(fn.__globals__.get(k), int) and not isinstance(fn.__globals__.get(k), bool)}
    else:
        source = textwrap.dedent(inspect.getsource(fn))
        constants = {k: c.cell_contents for k, c in zip(fn.__code__.co_freevars, fn.__closure__ or ())}
    return source, constants


def _main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(prog="python -m tinygrad_gen.kernels.matmul_numba",
                                     description="Print the source Numba compiles for a variant of the SGEMM kernel.")
    parser.add_argument("--print-source", nargs="?", const=DEFAULT, metavar="VARIANT",
                        help=f"a name of VARIANTS (default: DEFAULT, {DEFAULT})")
    parser.add_argument("--list", action="store_true", help="name every variant and its tiles")
    args = parser.parse_args(argv)
    if args.list or args.print_source is None:
        for name, tiles in VARIANTS.items():
            print(f"{name:20s} {tiles}{'  (DEFAULT)' if name == DEFAULT else ''}")
        return 0
    if args.print_source not in VARIANTS:
        parser.error(f"unknown variant {args.print_source!r}; choose one of: {', '.join(VARIANTS)}")
    source, constants = compiled_source(args.print_source)
    tiles = VARIANTS[args.print_source]
    print(f"# matmul_numba variant {args.print_source}: (BM, BN, BK, TM, TN, max_registers[, unroll]) = {tiles}")
    print(textwrap.fill(", ".join(f"{k}={v}" for k, v in sorted(constants.items())), 116,
                        initial_indent="# compile-time constants: ", subsequent_indent="#   "))
    print(source)
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(_main())

