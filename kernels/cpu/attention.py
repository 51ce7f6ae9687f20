"""Flash-style attention on the CPU: out = softmax(q k^T * scale, over the kept keys) v, without ever storing the
L x L matrix of scores. Memory is O(L d) (the inputs, the output and one number per query), plus a tile per thread.

forward, for each (head, block of BQ queries), over tiles of BK keys: the tile of scores S = q k^T * scale; an
online softmax keeps per query a running max m, a running sum l = sum exp(s - m) and an unnormalised output
o = sum exp(s - m) v. A tile whose max m' exceeds m rescales l and o by exp(m - m') before adding its own terms;
at the end out = o / l and lse = m + log l is kept for the backward. A query that keeps no key gets out = 0 and
lse = -inf (its P is 0, so its gradients are 0).
backward, per head, with P recomputed tile by tile as p = exp(s - lse) and D = rowsum(dO * out):
    dV = P^T dO,   dP = dO V^T,   dS = P * (dP - D),   dQ = dS K * scale,   dK = dS^T Q * scale.
The products of tiles (q k^T, P v and the five of the backward) are BLAS calls (``np.dot`` in Numba calls the
BLAS SciPy ships): a hand-written loop nest reached a third of its speed here. The threads are Numba's (heads and
query blocks over ``prange``), so the BLAS should run one thread each (``OPENBLAS_NUM_THREADS=1``), or the two
pools oversubscribe the cores. The softmax between them is a loop
over the tile in cache, without branches on tiles where every key is kept; a tile of keys that are all masked
(padding) is skipped outright. Keys are masked by ``key_mask`` (one boolean
per key, a row per head or one row for all) and, with ``causal``, key j > query i."""
import math

import numpy as np
from numba import njit, prange

from . import pool
from .fast_math import JIT, fast_exp, like

BQ = 64  # queries per block: a block's scores, output and statistics stay in cache while the keys stream past
BK = 128  # keys per tile


@njit(cache=True)
def _whole_tile(keep, j0, j1, i0, causal):
    """Whether every query of a block starting at i0 may attend to every key j0 <= j < j1."""
    if causal and j1 - 1 > i0:
        return False
    for j in range(j0, j1):
        if not keep[j]:
            return False
    return True


@njit(cache=True)
def _any_kept(keep, j0, j1):
    """Whether any key j0 <= j < j1 may be attended to (a tile of padding alone is skipped: no work at all)."""
    for j in range(j0, j1):
        if keep[j]:
            return True
    return False


@njit(**JIT)
def forward(q, k, v, key_mask, causal, scale, out, lse):
    """out (H, Lq, d) and lse (H, Lq) of attention over q (H, Lq, d), k and v (H, Lk, d); ``key_mask`` (1 or H, Lk)
    boolean, True = may attend. The tile products are BLAS calls (``np.dot``), the softmax between them loops."""
    heads, lq, d = q.shape
    lk = k.shape[1]
    blocks = (lq + BQ - 1) // BQ
    for job in prange(heads * blocks):
        h, i0 = job // blocks, (job % blocks) * BQ
        i1 = min(i0 + BQ, lq)
        nq = i1 - i0
        keep = key_mask[min(h, key_mask.shape[0] - 1)]
        sc = like(scale, q[0, 0, 0])
        qb = q[h, i0:i1] * sc
        o = np.zeros((nq, d), q.dtype)
        m = np.full(nq, -np.inf, q.dtype)
        l = np.zeros(nq, q.dtype)
        j_end = min(lk, i1) if causal else lk
        for j0 in range(0, j_end, BK):
            j1 = min(j0 + BK, j_end)
            if not _any_kept(keep, j0, j1):
                continue
            s = np.dot(qb, k[h, j0:j1].T)  # (nq, nk) scores of this tile
            alpha = np.empty(nq, q.dtype)
            whole = _whole_tile(keep, j0, j1, i0, causal)
            for ii in range(nq):
                i = i0 + ii
                mt = like(-np.inf, sc)
                if whole:  # every key of the tile kept: loops without branches, which vectorise
                    for jj in range(j1 - j0):
                        mt = max(mt, s[ii, jj])
                else:
                    for jj in range(j1 - j0):
                        if not keep[j0 + jj] or (causal and j0 + jj > i):
                            s[ii, jj] = -np.inf
                        mt = max(mt, s[ii, jj])
                m_new = max(m[ii], mt)
                if m_new == -np.inf:  # nothing kept yet in this row
                    alpha[ii] = 1
                    for jj in range(j1 - j0):
                        s[ii, jj] = 0
                    continue
                alpha[ii] = fast_exp(m[ii] - m_new) if m[ii] > -np.inf else like(0.0, sc)
                acc = like(0.0, sc)
                if whole:
                    for jj in range(j1 - j0):
                        p = fast_exp(s[ii, jj] - m_new)
                        s[ii, jj] = p
                        acc += p
                else:
                    for jj in range(j1 - j0):
                        p = fast_exp(s[ii, jj] - m_new) if s[ii, jj] > -np.inf else like(0.0, sc)
                        s[ii, jj] = p
                        acc += p
                l[ii] = l[ii] * alpha[ii] + acc
                m[ii] = m_new
            pv = np.dot(s, v[h, j0:j1])
            for ii in range(nq):
                for c in range(d):
                    o[ii, c] = o[ii, c] * alpha[ii] + pv[ii, c]
        for ii in range(nq):
            i = i0 + ii
            if l[ii] > 0:
                inv = like(1.0, sc) / l[ii]
                for c in range(d):
                    out[h, i, c] = o[ii, c] * inv
                lse[h, i] = m[ii] + math.log(l[ii])
            else:
                for c in range(d):
                    out[h, i, c] = 0
                lse[h, i] = -np.inf


@njit(**JIT)
def backward(q, k, v, out, lse, g, key_mask, causal, scale, dq, dk, dv):
    """dq, dk, dv (zero-filled by the caller, shaped as q, k, v) of attention's output gradient g, from the forward's
    out and lse; one head per thread (a head's dq is summed over its key tiles, so it is never shared)."""
    heads, lq, d = q.shape
    lk = k.shape[1]
    for hh in prange(heads):
        h = np.int64(hh)
        keep = key_mask[min(h, key_mask.shape[0] - 1)]
        sc = like(scale, q[0, 0, 0])
        dd = np.empty(lq, q.dtype)
        for i in range(lq):
            acc = like(0.0, sc)
            for c in range(d):
                acc += g[h, i, c] * out[h, i, c]
            dd[i] = acc
        for j0 in range(0, lk, BK):
            j1 = min(j0 + BK, lk)
            if not _any_kept(keep, j0, j1):
                continue  # dk, dv stay 0 there
            kt, vt = k[h, j0:j1], v[h, j0:j1]
            dkt = np.zeros((j1 - j0, d), q.dtype)
            dvt = np.zeros((j1 - j0, d), q.dtype)
            for i0 in range(j0 if causal else 0, lq, BQ):
                i1 = min(i0 + BQ, lq)
                qb, gb = q[h, i0:i1], g[h, i0:i1]
                s = np.dot(qb, kt.T)
                dp = np.dot(gb, vt.T)
                whole = _whole_tile(keep, j0, j1, i0, causal)
                for ii in range(i1 - i0):  # s becomes P, dp becomes dS * scale
                    i = i0 + ii
                    li = lse[h, i]
                    if whole and li > -np.inf:  # no masked key: a loop without branches
                        for jj in range(j1 - j0):
                            p = fast_exp(s[ii, jj] * sc - li)
                            s[ii, jj] = p
                            dp[ii, jj] = p * (dp[ii, jj] - dd[i]) * sc
                        continue
                    for jj in range(j1 - j0):
                        kept = keep[j0 + jj] and not (causal and j0 + jj > i) and li > -np.inf
                        p = fast_exp(s[ii, jj] * sc - li) if kept else like(0.0, sc)
                        s[ii, jj] = p
                        dp[ii, jj] = p * (dp[ii, jj] - dd[i]) * sc
                dvt += np.dot(s.T, gb)
                dkt += np.dot(dp.T, qb)
                dq[h, i0:i1] += np.dot(dp, kt)
            dk[h, j0:j1] = dkt
            dv[h, j0:j1] = dvt


def _mask(key_mask, lk):
    """The per-key mask as the kernels take it: (1 or H, Lk) contiguous booleans, all True for None."""
    if key_mask is None:
        return np.ones((1, lk), np.bool_)
    return np.ascontiguousarray(key_mask, np.bool_).reshape(-1, lk)


def flash_forward(q, k, v, key_mask=None, causal=False, scale=None):
    """(out (H, Lq, d), lse (H, Lq)) of attention over q (H, Lq, d), k, v (H, Lk, d), float32 or float64: the
    signature of the CUDA kernels' ``attention_numba.forward``. lse is -inf on queries that keep no key."""
    q, k, v = (np.ascontiguousarray(a) for a in (q, k, v))
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    out = np.empty(q.shape, q.dtype)
    lse = np.empty(q.shape[:2], q.dtype)
    if out.size:
        with pool.LOCK:
            forward(q, k, v, _mask(key_mask, k.shape[1]), bool(causal), scale, out, lse)
    return out, lse


def flash_backward(q, k, v, out, lse, grad_out, key_mask=None, causal=False, scale=None):
    """(dq, dk, dv) from the forward's out and lse and the gradient of the loss with respect to out: the signature
    of ``attention_numba.backward``."""
    q, k, v, out, lse, grad_out = (np.ascontiguousarray(a, q.dtype) for a in (q, k, v, out, lse, grad_out))
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    dq, dk, dv = np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
    if q.size and k.size:
        with pool.LOCK:
            backward(q, k, v, out, lse, grad_out, _mask(key_mask, k.shape[1]), bool(causal), scale, dq, dk, dv)
    return dq, dk, dv
