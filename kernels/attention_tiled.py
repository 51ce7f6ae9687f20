"""Flash attention as small register-blocked matrix products (Numba CUDA, float32): the "tiled" kernels.

Same contract and mathematics as the per-row kernels of ``attention_numba`` (which documents the online softmax and
the backward formulas); what differs is how the work is spread over the threads. There, one thread owns a whole query
row, so every key element it reads from shared memory feeds a single multiply-add and the shared-memory pipe, not
the FMA units, sets the speed. Here each tile product -- S = Q K^T, O += P V, dP = dO V^T, dQ += dS K,
dV += P^T dO, dK += dS^T Q -- is a small SGEMM in the style of ``matmul_numba``: a TY x TX grid of threads, each
owning an RS x CS block of the product, so one shared load feeds several FMAs, and the accumulators are small
enough that head dim 128 stays in registers.

Shared tiles are row-major with *pairs* of head-dim columns per complex64 word (one 8-byte ld.shared.v2 brings two
operands) and one spare pair per row, so threads reading different rows at the same column hit different banks.
A thread's rows are ty, ty + TY, ... and its columns tx, tx + TX, ...; the row statistics of the online softmax need
the other threads of the same row: the running max is reduced through a small shared array per tile, the running sum
is kept per thread over its own columns and reduced once at the end.
"""
import functools
import math

import numpy as np
from numba import cuda, float32, int32, complex64, uint64

NEG_INF = float32(-np.inf)
ZERO = float32(0)
ONE = float32(1)
# fast exp and contraction into FMAs, but no "no infinities" assumption: -inf marks masked scores
FASTMATH = {"contract", "afn", "arcp", "nsz"}

# (BR query rows, BC keys, TY, TX) per kernel and head-dim class; sized for Numba's 48 KB of static shared memory
CONFIGS = {
    "tiled": {
        64: {"forward": (64, 32, 16, 8), "dq": (32, 32, 8, 8), "dkv": (32, 32, 8, 8)},
        128: {"forward": (32, 16, 8, 8), "dq": (16, 16, 8, 8), "dkv": (16, 16, 8, 8)},
    },
    "tiled-tall": {  # forward: fewer threads, 8 query rows each
        64: {"forward": (64, 32, 8, 8), "dq": (32, 32, 8, 8), "dkv": (32, 32, 8, 8)},
        128: {"forward": (32, 16, 4, 8), "dq": (16, 16, 8, 8), "dkv": (16, 16, 8, 8)},
    },
    "tiled-wide": {  # more threads per block, fewer outputs per thread
        64: {"forward": (64, 32, 16, 16), "dq": (32, 32, 16, 8), "dkv": (32, 32, 16, 8)},
        128: {"forward": (32, 16, 16, 8), "dq": (16, 16, 8, 8), "dkv": (16, 16, 8, 8)},
    },
    "tiled-big": {  # the largest query (key) tiles that fit 48 KB: 3 rows per thread, fewer tiles and barriers
        64: {"forward": (64, 32, 16, 16), "dq": (48, 32, 16, 8), "dkv": (48, 24, 16, 8)},
        128: {"forward": (48, 16, 16, 8), "dq": (24, 16, 8, 8), "dkv": (24, 16, 8, 8)},
    },
}


def config(variant, D, which):
    """The tile shape of one kernel for head dim D (the 64 class up to 64, the 128 class above)."""
    return CONFIGS[variant][64 if D <= 64 else 128][which]


def _pairs(D):
    """Head-dim pairs per row (an odd D gets a zero partner) and the padded row length of a shared tile."""
    HP = (D + 1) // 2
    return HP, HP + 1


@functools.lru_cache(maxsize=None)
def forward_kernel(D, causal, BR, BC, TY, TX):
    HP, ROW = _pairs(D)
    NT = TY * TX
    RS, CS, OP = BR // TY, BC // TX, (HP + TX - 1) // TX  # rows, key columns, head-dim pairs per thread
    OC = 2 * OP  # head-dim columns per thread
    EXACT = HP % TX == 0
    RED = TX + 1  # shared shapes must be plain constants

    @cuda.jit(fastmath=FASTMATH)
    def forward(Q, K, V, KM, O, LSE, scale, use_mask):
        bh = cuda.blockIdx.y
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        tid = ty * TX + tx
        i0 = cuda.blockIdx.x * BR
        Lq, Lk = Q.shape[1], K.shape[1]
        mb = bh if KM.shape[0] > 1 else 0
        Qs = cuda.shared.array((BR, ROW), complex64)
        Ks = cuda.shared.array((BC, ROW), complex64)
        Vs = cuda.shared.array((BC, ROW), complex64)
        Pt = cuda.shared.array((BC, BR), float32)  # probabilities, key-major: Pt[j, i]
        Red = cuda.shared.array((BR, RED), float32)  # per-row partial maxima (and sums at the end)
        Ok = cuda.shared.array(BC, int32)
        s = cuda.local.array((RS, CS), float32)
        o = cuda.local.array((RS, OC), float32)
        m = cuda.local.array(RS, float32)
        l = cuda.local.array(RS, float32)
        qr = cuda.local.array(RS, complex64)
        kr = cuda.local.array(CS, complex64)
        for a in range(RS):
            m[a] = NEG_INF
            l[a] = ZERO
            for c in range(OC):
                o[a, c] = ZERO
        for idx in range(tid, BR * HP, NT):  # Qs[r, p] = Q[i0 + r, 2p : 2p + 2] * scale, zero past the end
            r = idx // HP
            c = 2 * (idx - r * HP)
            x = i0 + r
            Qs[r, c // 2] = complex(Q[bh, x, c] * scale if x < Lq else ZERO,
                                     Q[bh, x, c + 1] * scale if x < Lq and c + 1 < D else ZERO)
        kend = Lk if not causal or i0 + BR > Lk else i0 + BR  # later keys are masked for every row of this block
        for j0 in range(0, kend, BC):
            for idx in range(tid, BC * HP, NT):  # Ks[r, p] = K[j0 + r, 2p : 2p + 2], zero past the end
                r = idx // HP
                c = 2 * (idx - r * HP)
                x = j0 + r
                Ks[r, c // 2] = complex(K[bh, x, c] if x < Lk else ZERO,
                                         K[bh, x, c + 1] if x < Lk and c + 1 < D else ZERO)
            for idx in range(tid, BC * HP, NT):  # Vs[r, p] = V[j0 + r, 2p : 2p + 2], zero past the end
                r = idx // HP
                c = 2 * (idx - r * HP)
                x = j0 + r
                Vs[r, c // 2] = complex(V[bh, x, c] if x < Lk else ZERO,
                                         V[bh, x, c + 1] if x < Lk and c + 1 < D else ZERO)
            for jj in range(tid, BC, NT):
                j = j0 + jj
                Ok[jj] = 1 if j < Lk and (not use_mask or KM[mb, j] != 0) else 0
            cuda.syncthreads()
            # S = Q K^T on this thread's RS x CS block
            for a in range(RS):
                for b in range(CS):
                    s[a, b] = ZERO
            for p in range(HP):
                for a in range(RS):
                    qr[a] = Qs[uint64(ty + a * TY), uint64(p)]
                for b in range(CS):
                    kr[b] = Ks[uint64(tx + b * TX), uint64(p)]
                for a in range(RS):
                    for b in range(CS):
                        s[a, b] += qr[a].real * kr[b].real
                        s[a, b] += qr[a].imag * kr[b].imag
            for a in range(RS):
                i = i0 + ty + a * TY
                mx = NEG_INF
                for b in range(CS):
                    jj = tx + b * TX
                    if Ok[jj] == 0 or (causal and j0 + jj > i):
                        s[a, b] = NEG_INF
                    if s[a, b] > mx:
                        mx = s[a, b]
                Red[ty + a * TY, tx] = mx
            cuda.syncthreads()
            for a in range(RS):
                r = ty + a * TY
                m_new = m[a]
                for t in range(TX):
                    if Red[r, t] > m_new:
                        m_new = Red[r, t]
                rowsum = ZERO
                if m_new > NEG_INF:  # the running max is shifted so exp never overflows
                    alpha = math.exp(m[a] - m_new)  # exp(-inf) = 0 on the first tile that has a key
                    for c in range(OC):
                        o[a, c] *= alpha
                    for b in range(CS):
                        pv = math.exp(s[a, b] - m_new)
                        rowsum += pv
                        Pt[tx + b * TX, r] = pv
                    l[a] = l[a] * alpha + rowsum
                    m[a] = m_new
                else:
                    for b in range(CS):
                        Pt[tx + b * TX, r] = ZERO
            cuda.syncthreads()
            # O += P V on this thread's RS rows x OP head-dim pairs
            for jj in range(BC):
                for a in range(RS):
                    pv = Pt[uint64(jj), uint64(ty + a * TY)]
                    for b in range(OP):
                        pp = tx + b * TX
                        if EXACT or pp < HP:  # a compile-time True when TX divides the pairs
                            vv = Vs[uint64(jj), uint64(pp)]
                            o[a, 2 * b] += pv * vv.real
                            o[a, 2 * b + 1] += pv * vv.imag
            cuda.syncthreads()  # the next tile overwrites Ks, Vs, Pt, Red
        for a in range(RS):
            Red[ty + a * TY, tx] = l[a]
        cuda.syncthreads()
        for a in range(RS):
            r = ty + a * TY
            i = i0 + r
            if i < Lq:
                total = ZERO
                for t in range(TX):
                    total += Red[r, t]
                inv = ONE / total if total > ZERO else ZERO  # a fully masked row gives zeros, never NaN
                for b in range(OP):
                    c = 2 * (tx + b * TX)
                    if c < D:
                        O[bh, i, c] = o[a, 2 * b] * inv
                    if c + 1 < D:
                        O[bh, i, c + 1] = o[a, 2 * b + 1] * inv
                if tx == 0:
                    LSE[bh, i] = m[a] + math.log(total) if total > ZERO else NEG_INF

    return forward, (TX, TY), BR


@functools.lru_cache(maxsize=None)
def dq_kernel(D, causal, BR, BC, TY, TX):
    HP, ROW = _pairs(D)
    NT = TY * TX
    RS, CS, OP = BR // TY, BC // TX, (HP + TX - 1) // TX
    OC = 2 * OP  # head-dim columns per thread
    EXACT = HP % TX == 0

    @cuda.jit(fastmath=FASTMATH)
    def backward_dq(Q, K, V, KM, dO, LSE, Di, dQ, scale, use_mask):
        bh = cuda.blockIdx.y
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        tid = ty * TX + tx
        i0 = cuda.blockIdx.x * BR
        Lq, Lk = Q.shape[1], K.shape[1]
        mb = bh if KM.shape[0] > 1 else 0
        Qs = cuda.shared.array((BR, ROW), complex64)
        dOs = cuda.shared.array((BR, ROW), complex64)
        Ks = cuda.shared.array((BC, ROW), complex64)
        Vs = cuda.shared.array((BC, ROW), complex64)
        dSt = cuda.shared.array((BC, BR), float32)  # dS, key-major
        Ok = cuda.shared.array(BC, int32)
        s = cuda.local.array((RS, CS), float32)
        dp = cuda.local.array((RS, CS), float32)
        dq = cuda.local.array((RS, OC), float32)
        lse = cuda.local.array(RS, float32)
        di = cuda.local.array(RS, float32)
        qr = cuda.local.array(RS, complex64)
        gr = cuda.local.array(RS, complex64)
        kr = cuda.local.array(CS, complex64)
        vr = cuda.local.array(CS, complex64)
        for a in range(RS):
            i = i0 + ty + a * TY
            lse[a] = LSE[bh, i] if i < Lq else NEG_INF
            di[a] = Di[bh, i] if i < Lq else ZERO
            for c in range(OC):
                dq[a, c] = ZERO
        for idx in range(tid, BR * HP, NT):  # Qs[r, p] = Q[i0 + r, 2p : 2p + 2] * scale, zero past the end
            r = idx // HP
            c = 2 * (idx - r * HP)
            x = i0 + r
            Qs[r, c // 2] = complex(Q[bh, x, c] * scale if x < Lq else ZERO,
                                     Q[bh, x, c + 1] * scale if x < Lq and c + 1 < D else ZERO)
        for idx in range(tid, BR * HP, NT):  # dOs[r, p] = dO[i0 + r, 2p : 2p + 2], zero past the end
            r = idx // HP
            c = 2 * (idx - r * HP)
            x = i0 + r
            dOs[r, c // 2] = complex(dO[bh, x, c] if x < Lq else ZERO,
                                     dO[bh, x, c + 1] if x < Lq and c + 1 < D else ZERO)
        kend = Lk if not causal or i0 + BR > Lk else i0 + BR
        for j0 in range(0, kend, BC):
            for idx in range(tid, BC * HP, NT):  # Ks[r, p] = K[j0 + r, 2p : 2p + 2], zero past the end
                r = idx // HP
                c = 2 * (idx - r * HP)
                x = j0 + r
                Ks[r, c // 2] = complex(K[bh, x, c] if x < Lk else ZERO,
                                         K[bh, x, c + 1] if x < Lk and c + 1 < D else ZERO)
            for idx in range(tid, BC * HP, NT):  # Vs[r, p] = V[j0 + r, 2p : 2p + 2], zero past the end
                r = idx // HP
                c = 2 * (idx - r * HP)
                x = j0 + r
                Vs[r, c // 2] = complex(V[bh, x, c] if x < Lk else ZERO,
                                         V[bh, x, c + 1] if x < Lk and c + 1 < D else ZERO)
            for jj in range(tid, BC, NT):
                j = j0 + jj
                Ok[jj] = 1 if j < Lk and (not use_mask or KM[mb, j] != 0) else 0
            cuda.syncthreads()
            for a in range(RS):
                for b in range(CS):
                    s[a, b] = ZERO
                    dp[a, b] = ZERO
            for p in range(HP):  # S = Q K^T and dP = dO V^T together
                for a in range(RS):
                    qr[a] = Qs[uint64(ty + a * TY), uint64(p)]
                    gr[a] = dOs[uint64(ty + a * TY), uint64(p)]
                for b in range(CS):
                    kr[b] = Ks[uint64(tx + b * TX), uint64(p)]
                    vr[b] = Vs[uint64(tx + b * TX), uint64(p)]
                for a in range(RS):
                    for b in range(CS):
                        s[a, b] += qr[a].real * kr[b].real
                        s[a, b] += qr[a].imag * kr[b].imag
                        dp[a, b] += gr[a].real * vr[b].real
                        dp[a, b] += gr[a].imag * vr[b].imag
            for a in range(RS):
                r = ty + a * TY
                for b in range(CS):
                    jj = tx + b * TX
                    ds = ZERO
                    if lse[a] > NEG_INF and Ok[jj] != 0 and (not causal or j0 + jj <= i0 + r):
                        ds = math.exp(s[a, b] - lse[a]) * (dp[a, b] - di[a])
                    dSt[jj, r] = ds
            cuda.syncthreads()
            for jj in range(BC):  # dQ += dS K
                for a in range(RS):
                    d = dSt[uint64(jj), uint64(ty + a * TY)]
                    for b in range(OP):
                        pp = tx + b * TX
                        if EXACT or pp < HP:  # a compile-time True when TX divides the pairs
                            kk = Ks[uint64(jj), uint64(pp)]
                            dq[a, 2 * b] += d * kk.real
                            dq[a, 2 * b + 1] += d * kk.imag
            cuda.syncthreads()
        for a in range(RS):
            i = i0 + ty + a * TY
            if i < Lq:
                for b in range(OP):
                    c = 2 * (tx + b * TX)
                    if c < D:
                        dQ[bh, i, c] = dq[a, 2 * b] * scale
                    if c + 1 < D:
                        dQ[bh, i, c + 1] = dq[a, 2 * b + 1] * scale

    return backward_dq, (TX, TY), BR


@functools.lru_cache(maxsize=None)
def dkv_kernel(D, causal, BC, BR, TY, TX):
    """Thread rows are keys (BC per block), thread columns are queries (BR per tile of the loop)."""
    HP, ROW = _pairs(D)
    NT = TY * TX
    RJ, CI, OP = BC // TY, BR // TX, (HP + TX - 1) // TX
    OC = 2 * OP  # head-dim columns per thread
    EXACT = HP % TX == 0

    @cuda.jit(fastmath=FASTMATH)
    def backward_dkv(Q, K, V, KM, dO, LSE, Di, dK, dV, scale, use_mask):
        bh = cuda.blockIdx.y
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        tid = ty * TX + tx
        j0 = cuda.blockIdx.x * BC
        Lq, Lk = Q.shape[1], K.shape[1]
        mb = bh if KM.shape[0] > 1 else 0
        Ks = cuda.shared.array((BC, ROW), complex64)
        Vs = cuda.shared.array((BC, ROW), complex64)
        Qs = cuda.shared.array((BR, ROW), complex64)
        dOs = cuda.shared.array((BR, ROW), complex64)
        Ps = cuda.shared.array((BR, BC), float32)  # P, query-major
        dSs = cuda.shared.array((BR, BC), float32)
        Ls = cuda.shared.array(BR, float32)
        Ds = cuda.shared.array(BR, float32)
        s = cuda.local.array((RJ, CI), float32)
        dp = cuda.local.array((RJ, CI), float32)
        dk = cuda.local.array((RJ, OC), float32)
        dv = cuda.local.array((RJ, OC), float32)
        ok = cuda.local.array(RJ, int32)
        kr = cuda.local.array(RJ, complex64)
        vr = cuda.local.array(RJ, complex64)
        qr = cuda.local.array(CI, complex64)
        gr = cuda.local.array(CI, complex64)
        for a in range(RJ):
            j = j0 + ty + a * TY
            ok[a] = 1 if j < Lk and (not use_mask or KM[mb, j] != 0) else 0
            for c in range(OC):
                dk[a, c] = ZERO
                dv[a, c] = ZERO
        for idx in range(tid, BC * HP, NT):  # Ks[r, p] = K[j0 + r, 2p : 2p + 2] * scale, zero past the end
            r = idx // HP
            c = 2 * (idx - r * HP)
            x = j0 + r
            Ks[r, c // 2] = complex(K[bh, x, c] * scale if x < Lk else ZERO,
                                     K[bh, x, c + 1] * scale if x < Lk and c + 1 < D else ZERO)
        for idx in range(tid, BC * HP, NT):  # Vs[r, p] = V[j0 + r, 2p : 2p + 2], zero past the end
            r = idx // HP
            c = 2 * (idx - r * HP)
            x = j0 + r
            Vs[r, c // 2] = complex(V[bh, x, c] if x < Lk else ZERO,
                                     V[bh, x, c + 1] if x < Lk and c + 1 < D else ZERO)
        istart = j0 if causal else 0  # earlier queries see none of this block's keys
        for i0 in range(istart, Lq, BR):
            for idx in range(tid, BR * HP, NT):  # Qs[r, p] = Q[i0 + r, 2p : 2p + 2], zero past the end
                r = idx // HP
                c = 2 * (idx - r * HP)
                x = i0 + r
                Qs[r, c // 2] = complex(Q[bh, x, c] if x < Lq else ZERO,
                                         Q[bh, x, c + 1] if x < Lq and c + 1 < D else ZERO)
            for idx in range(tid, BR * HP, NT):  # dOs[r, p] = dO[i0 + r, 2p : 2p + 2], zero past the end
                r = idx // HP
                c = 2 * (idx - r * HP)
                x = i0 + r
                dOs[r, c // 2] = complex(dO[bh, x, c] if x < Lq else ZERO,
                                         dO[bh, x, c + 1] if x < Lq and c + 1 < D else ZERO)
            for ii in range(tid, BR, NT):
                i = i0 + ii
                Ls[ii] = LSE[bh, i] if i < Lq else NEG_INF
                Ds[ii] = Di[bh, i] if i < Lq else ZERO
            cuda.syncthreads()
            for a in range(RJ):
                for b in range(CI):
                    s[a, b] = ZERO
                    dp[a, b] = ZERO
            for p in range(HP):  # S^T = K Q^T and dP^T = V dO^T together
                for a in range(RJ):
                    kr[a] = Ks[uint64(ty + a * TY), uint64(p)]
                    vr[a] = Vs[uint64(ty + a * TY), uint64(p)]
                for b in range(CI):
                    qr[b] = Qs[uint64(tx + b * TX), uint64(p)]
                    gr[b] = dOs[uint64(tx + b * TX), uint64(p)]
                for a in range(RJ):
                    for b in range(CI):
                        s[a, b] += kr[a].real * qr[b].real
                        s[a, b] += kr[a].imag * qr[b].imag
                        dp[a, b] += vr[a].real * gr[b].real
                        dp[a, b] += vr[a].imag * gr[b].imag
            for a in range(RJ):
                r = ty + a * TY
                for b in range(CI):
                    ii = tx + b * TX
                    lse = Ls[ii]
                    pv = ZERO
                    ds = ZERO
                    if ok[a] != 0 and lse > NEG_INF and (not causal or j0 + r <= i0 + ii):
                        pv = math.exp(s[a, b] - lse)
                        ds = pv * (dp[a, b] - Ds[ii])
                    Ps[ii, r] = pv
                    dSs[ii, r] = ds
            cuda.syncthreads()
            for ii in range(BR):  # dV += P^T dO and dK += dS^T Q
                for a in range(RJ):
                    pv = Ps[uint64(ii), uint64(ty + a * TY)]
                    ds = dSs[uint64(ii), uint64(ty + a * TY)]
                    for b in range(OP):
                        pp = tx + b * TX
                        if EXACT or pp < HP:  # a compile-time True when TX divides the pairs
                            g = dOs[uint64(ii), uint64(pp)]
                            q = Qs[uint64(ii), uint64(pp)]
                            dv[a, 2 * b] += pv * g.real
                            dv[a, 2 * b + 1] += pv * g.imag
                            dk[a, 2 * b] += ds * q.real
                            dk[a, 2 * b + 1] += ds * q.imag
            cuda.syncthreads()
        for a in range(RJ):
            j = j0 + ty + a * TY
            if j < Lk:
                for b in range(OP):
                    c = 2 * (tx + b * TX)
                    if c < D:
                        dK[bh, j, c] = dk[a, 2 * b] * scale
                        dV[bh, j, c] = dv[a, 2 * b]
                    if c + 1 < D:
                        dK[bh, j, c + 1] = dk[a, 2 * b + 1] * scale
                        dV[bh, j, c + 1] = dv[a, 2 * b + 1]

    return backward_dkv, (TX, TY), BC
