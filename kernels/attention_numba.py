"""Flash attention in Numba CUDA (float32): softmax(q k^T * scale) v without ever storing the L x L score matrix.

Shapes: q (BH, Lq, D), k and v (BH, Lk, D), key_mask (1 or BH, Lk) of bool/uint8 (True = this key may be attended
to; a padding mask), D <= 128. Memory is O(L): besides the inputs and outputs only the row log-sum-exp (BH, Lq) and,
in backward, the row dot products D_i = sum(dO_i * O_i) are stored.

forward (one thread per query row i, K/V tiles of BC keys staged in shared memory): the online softmax keeps a running
max m_i, a running sum l_i and an unnormalised output o_i; for each tile the new max m' rescales the old sum and
output by exp(m_i - m'), then adds exp(s_ij - m') and exp(s_ij - m') v_j. At the end o_i / l_i is the output and
lse_i = m_i + log l_i is saved for backward. A row whose keys are all masked gives o_i = 0 and lse_i = -inf.

backward (probabilities recomputed from lse, p_ij = exp(s_ij - lse_i)):
    dv_j = sum_i p_ij dO_i,   dp_ij = dO_i . v_j,   ds_ij = p_ij (dp_ij - D_i)   (softmax backward, D_i = dO_i . O_i)
    dq_i = scale * sum_j ds_ij k_j,   dk_j = scale * sum_i ds_ij q_i
  computed by two kernels so that nothing is accumulated with atomics: one thread per query row for dq (K/V tiles in
  shared memory), one thread per key row for dk and dv (Q/dO tiles in shared memory).

The kernels written out here ("rows" variant) give each thread a whole row; ``attention_tiled`` computes the same
quantities as register-blocked tile products ("tiled" variants), which feed the FMA units far better. ``forward`` and
``backward`` take ``variant=`` (default: DEFAULT, the winner of the last benchmark sweep per head-dim class).

Causal masking is top-left aligned (key j is seen by query i when j <= i), as in torch's is_causal.
The kernels use no warp shuffles, so they run unchanged under Numba's CUDA simulator.
"""
import functools
import math

import numpy as np
from numba import cuda, float32, int32

from . import attention_tiled
from .matmul_numba import contiguous, _xp

MAX_HEAD_DIM = 128
# "rows": the kernels below, one thread per query (key) row; "tiled", "tiled-wide", ...: attention_tiled's
# register-blocked tile products. benchmarks/bench_kernels.py's `attention-variants` sweep times them; DEFAULT holds
# the winner, for head dims up to 64 and above 64, of the last sweep whose CUDA tests all passed
# (benchmarks/RESULTS.md).
VARIANTS = ("rows", "tiled", "tiled-tall", "tiled-wide", "tiled-big")
DEFAULT = {64: "tiled-wide", 128: "tiled-wide"}


def default_variant(D):
    return DEFAULT[64 if D <= 64 else 128]
NEG_INF = float32(-np.inf)
ZERO = float32(0)
ONE = float32(1)


def _tiles(D):
    """(BR, BC) for the forward/dq kernels and (BCK, BRQ) for the dk/dv kernel, sized to fit 48 KB of shared memory."""
    if D <= 64:
        return 64, 32, 64, 32
    return 64, 32, 32, 16


@functools.lru_cache(maxsize=None)
def _forward_kernel(D, causal):
    BR, BC, _, _ = _tiles(D)

    @cuda.jit
    def forward(Q, K, V, KM, O, LSE, scale, use_mask):
        bh, t = cuda.blockIdx.y, cuda.threadIdx.x
        i0 = cuda.blockIdx.x * BR
        i = i0 + t
        Lq, Lk = Q.shape[1], K.shape[1]
        mb = bh if KM.shape[0] > 1 else 0
        active = i < Lq
        Ks = cuda.shared.array((BC, D), float32)
        Vs = cuda.shared.array((BC, D), float32)
        Ss = cuda.shared.array((BC, BR), float32)  # this thread's scores of the tile live in column t
        Ok = cuda.shared.array(BC, int32)  # may the tile's keys be attended to (in range and not padding)?
        q = cuda.local.array(D, float32)
        o = cuda.local.array(D, float32)
        for c in range(D):
            q[c] = Q[bh, i, c] * scale if active else ZERO
            o[c] = ZERO
        m, l = NEG_INF, ZERO
        kend = Lk if not causal or i0 + BR > Lk else i0 + BR  # later keys are masked for every row of this block
        for j0 in range(0, kend, BC):
            for idx in range(t, BC * D, BR):
                jj = idx // D
                c = idx - jj * D
                j = j0 + jj
                Ks[jj, c] = K[bh, j, c] if j < Lk else ZERO
                Vs[jj, c] = V[bh, j, c] if j < Lk else ZERO
            for jj in range(t, BC, BR):
                j = j0 + jj
                Ok[jj] = 1 if j < Lk and (not use_mask or KM[mb, j] != 0) else 0
            cuda.syncthreads()
            m_new = m
            for jj in range(BC):
                s = NEG_INF
                if Ok[jj] != 0 and (not causal or j0 + jj <= i):
                    s = ZERO
                    for c in range(D):
                        s += q[c] * Ks[jj, c]
                Ss[jj, t] = s
                if s > m_new:
                    m_new = s
            if m_new > NEG_INF:  # the running max is shifted so exp never overflows
                alpha = math.exp(m - m_new)  # exp(-inf) = 0 on the first tile that has a key
                l *= alpha
                for c in range(D):
                    o[c] *= alpha
                for jj in range(BC):
                    p = math.exp(Ss[jj, t] - m_new)
                    if p > ZERO:
                        l += p
                        for c in range(D):
                            o[c] += p * Vs[jj, c]
                m = m_new
            cuda.syncthreads()  # the next tile overwrites Ks, Vs, Ss
        if active:
            inv = ONE / l if l > ZERO else ZERO  # a fully masked row gives zeros, never NaN
            for c in range(D):
                O[bh, i, c] = o[c] * inv
            LSE[bh, i] = m + math.log(l) if l > ZERO else NEG_INF

    return forward, BR


@functools.lru_cache(maxsize=None)
def _dq_kernel(D, causal):
    BR, BC, _, _ = _tiles(D)

    @cuda.jit
    def backward_dq(Q, K, V, KM, dO, LSE, Di, dQ, scale, use_mask):
        bh, t = cuda.blockIdx.y, cuda.threadIdx.x
        i0 = cuda.blockIdx.x * BR
        i = i0 + t
        Lq, Lk = Q.shape[1], K.shape[1]
        mb = bh if KM.shape[0] > 1 else 0
        active = i < Lq
        Ks = cuda.shared.array((BC, D), float32)
        Vs = cuda.shared.array((BC, D), float32)
        Ok = cuda.shared.array(BC, int32)
        q = cuda.local.array(D, float32)
        do = cuda.local.array(D, float32)
        dq = cuda.local.array(D, float32)
        for c in range(D):
            q[c] = Q[bh, i, c] * scale if active else ZERO
            do[c] = dO[bh, i, c] if active else ZERO
            dq[c] = ZERO
        lse = LSE[bh, i] if active else NEG_INF
        di = Di[bh, i] if active else ZERO
        kend = Lk if not causal or i0 + BR > Lk else i0 + BR
        for j0 in range(0, kend, BC):
            for idx in range(t, BC * D, BR):
                jj = idx // D
                c = idx - jj * D
                j = j0 + jj
                Ks[jj, c] = K[bh, j, c] if j < Lk else ZERO
                Vs[jj, c] = V[bh, j, c] if j < Lk else ZERO
            for jj in range(t, BC, BR):
                j = j0 + jj
                Ok[jj] = 1 if j < Lk and (not use_mask or KM[mb, j] != 0) else 0
            cuda.syncthreads()
            if lse > NEG_INF:
                for jj in range(BC):
                    if Ok[jj] != 0 and (not causal or j0 + jj <= i):
                        s = ZERO
                        dp = ZERO
                        for c in range(D):
                            s += q[c] * Ks[jj, c]
                            dp += do[c] * Vs[jj, c]
                        ds = math.exp(s - lse) * (dp - di)
                        for c in range(D):
                            dq[c] += ds * Ks[jj, c]
            cuda.syncthreads()
        if active:
            for c in range(D):
                dQ[bh, i, c] = dq[c] * scale

    return backward_dq, BR


@functools.lru_cache(maxsize=None)
def _dkv_kernel(D, causal):
    _, _, BCK, BRQ = _tiles(D)

    @cuda.jit
    def backward_dkv(Q, K, V, KM, dO, LSE, Di, dK, dV, scale, use_mask):
        bh, t = cuda.blockIdx.y, cuda.threadIdx.x
        j0 = cuda.blockIdx.x * BCK
        j = j0 + t
        Lq, Lk = Q.shape[1], K.shape[1]
        mb = bh if KM.shape[0] > 1 else 0
        ok = j < Lk and (not use_mask or KM[mb, j] != 0)
        Qs = cuda.shared.array((BRQ, D), float32)
        dOs = cuda.shared.array((BRQ, D), float32)
        Ls = cuda.shared.array(BRQ, float32)
        Ds = cuda.shared.array(BRQ, float32)
        Vp = cuda.shared.array((D, BCK), float32)  # this thread's v_j in column t: conflict-free, frees registers
        k = cuda.local.array(D, float32)
        dk = cuda.local.array(D, float32)
        dv = cuda.local.array(D, float32)
        for c in range(D):
            k[c] = K[bh, j, c] * scale if ok else ZERO
            Vp[c, t] = V[bh, j, c] if ok else ZERO
            dk[c] = ZERO
            dv[c] = ZERO
        istart = j0 if causal else 0  # earlier queries see none of this block's keys
        for i0 in range(istart, Lq, BRQ):
            for idx in range(t, BRQ * D, BCK):
                ii = idx // D
                c = idx - ii * D
                i = i0 + ii
                Qs[ii, c] = Q[bh, i, c] if i < Lq else ZERO
                dOs[ii, c] = dO[bh, i, c] if i < Lq else ZERO
            for ii in range(t, BRQ, BCK):
                i = i0 + ii
                Ls[ii] = LSE[bh, i] if i < Lq else NEG_INF
                Ds[ii] = Di[bh, i] if i < Lq else ZERO
            cuda.syncthreads()
            if ok:
                for ii in range(BRQ):
                    lse = Ls[ii]
                    if lse > NEG_INF and (not causal or j <= i0 + ii):
                        s = ZERO
                        dp = ZERO
                        for c in range(D):
                            s += Qs[ii, c] * k[c]
                            dp += dOs[ii, c] * Vp[c, t]
                        p = math.exp(s - lse)
                        ds = p * (dp - Ds[ii])
                        for c in range(D):
                            dv[c] += p * dOs[ii, c]
                            dk[c] += ds * Qs[ii, c]
            cuda.syncthreads()
        if j < Lk:
            for c in range(D):
                dK[bh, j, c] = dk[c] * scale
                dV[bh, j, c] = dv[c]

    return backward_dkv, BCK


def _check(q, k, v, key_mask):
    if q.ndim != 3 or k.shape != v.shape or k.ndim != 3 or q.shape[0] != k.shape[0] or q.shape[2] != k.shape[2]:
        raise ValueError(f"attention_numba: expected q (BH, Lq, D), k and v (BH, Lk, D), got {q.shape}, {k.shape}, "
                         f"{v.shape}")
    if q.shape[0] > 65535:
        raise ValueError(f"attention_numba: batch x heads = {q.shape[0]} exceeds CUDA's grid limit of 65535")
    if q.shape[2] > MAX_HEAD_DIM:
        raise ValueError(f"attention_numba: head dim {q.shape[2]} > {MAX_HEAD_DIM} does not fit 48 KB shared memory")
    if any(a.dtype != np.float32 for a in (q, k, v)):
        raise TypeError(f"attention_numba: float32 only, got {q.dtype}, {k.dtype}, {v.dtype}")
    if key_mask is not None and (key_mask.ndim != 2 or key_mask.shape[0] not in (1, q.shape[0])
                                 or key_mask.shape[1] != k.shape[1]):
        raise ValueError(f"attention_numba: key_mask must be (1 or {q.shape[0]}, {k.shape[1]}), got {key_mask.shape}")


def _mask_arg(key_mask, xp):
    """The padding mask as uint8 (1 = attend); a 1 x 1 dummy when there is none."""
    if key_mask is None:
        return xp.ones((1, 1), np.uint8), False
    return contiguous(key_mask.astype(np.uint8), xp), True


def _launch(which, variant, D, causal, L, BH, *args):
    """Run one of the three kernels of ``variant`` over L rows (queries, or keys for dkv) of every batch-head."""
    if variant not in VARIANTS:
        raise ValueError(f"attention_numba: variant {variant!r} is not one of {VARIANTS}")
    if variant == "rows":
        kernel, rows = {"forward": _forward_kernel, "dq": _dq_kernel, "dkv": _dkv_kernel}[which](D, causal)
        kernel[((L + rows - 1) // rows, BH), rows](*args)
    else:
        make = {"forward": attention_tiled.forward_kernel, "dq": attention_tiled.dq_kernel,
                "dkv": attention_tiled.dkv_kernel}[which]
        kernel, threads, rows = make(D, causal, *attention_tiled.config(variant, D, which))
        kernel[((L + rows - 1) // rows, BH), threads](*args)


def forward(q, k, v, key_mask=None, causal=False, scale=None, variant=None):
    """Returns (out (BH, Lq, D), lse (BH, Lq)); lse is -inf on rows with no key to attend to."""
    _check(q, k, v, key_mask)
    xp = _xp(q)
    BH, Lq, D = q.shape
    scale = np.float32(1.0 / math.sqrt(D) if scale is None else scale)
    q, k, v = (contiguous(a, xp) for a in (q, k, v))
    km, use_mask = _mask_arg(key_mask, xp)
    out = xp.empty((BH, Lq, D), np.float32)
    lse = xp.empty((BH, Lq), np.float32)
    if out.size:
        _launch("forward", variant or default_variant(D), D, bool(causal), Lq, BH, q, k, v, km, out, lse, scale, use_mask)
    return out, lse


def backward(q, k, v, out, lse, grad_out, key_mask=None, causal=False, scale=None, variant=None):
    """Returns (dq, dk, dv) given the forward's out and lse and the gradient of the loss w.r.t. out."""
    _check(q, k, v, key_mask)
    xp = _xp(q)
    BH, Lq, D = q.shape
    Lk = k.shape[1]
    scale = np.float32(1.0 / math.sqrt(D) if scale is None else scale)
    q, k, v, grad_out, lse = (contiguous(a, xp) for a in (q, k, v, grad_out, lse))
    di = contiguous((grad_out * out).sum(axis=-1, dtype=np.float32), xp)  # D_i = dO_i . O_i
    km, use_mask = _mask_arg(key_mask, xp)
    dq = xp.zeros((BH, Lq, D), np.float32)
    dk = xp.zeros((BH, Lk, D), np.float32)
    dv = xp.zeros((BH, Lk, D), np.float32)
    if BH and D and Lq and Lk:
        variant = variant or default_variant(D)
        _launch("dq", variant, D, bool(causal), Lq, BH, q, k, v, km, grad_out, lse, di, dq, scale, use_mask)
        _launch("dkv", variant, D, bool(causal), Lk, BH, q, k, v, km, grad_out, lse, di, dk, dv, scale, use_mask)
    return dq, dk, dv
