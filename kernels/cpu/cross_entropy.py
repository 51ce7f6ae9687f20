"""Softmax cross-entropy from logits x (R, C) and class indices t (R,), fused per row:

forward:   m = max_c x[r, c],  s = sum_c exp(x[r, c] - m),  lse[r] = m + log s,  p[r] = exp(x[r] - m) / s
backward:  dx[r] = w[r] (p[r] - onehot(t[r]))   (w: the weight of row r in the reduced loss times the upstream g)

The softmax p is kept from the forward, so the backward is one pass. The loss itself, lse - x[r, t[r]] and its
reduction, is the plain op's (few values; ``CrossEntropy.reduced``)."""
import math

import numpy as np
from numba import njit, prange

from .fast_math import JIT, fast_exp, like


@njit(**JIT)
def forward(x, lse, p):
    """lse[r] = logsumexp(x[r]) and p[r] = softmax(x[r]); returns the number of rows holding a NaN or an inf (the
    caller then runs the plain op, which defines those)."""
    rows, cols = x.shape
    bad = 0
    for r in prange(rows):
        m = x[r, 0]
        finite = True
        for c in range(cols):
            v = x[r, c]
            finite &= abs(v) < np.inf  # False for inf, -inf and NaN
            m = max(m, v)
        if not finite:
            bad += 1
            continue
        s = like(0.0, m)
        for c in range(cols):
            e = fast_exp(x[r, c] - m)
            p[r, c] = e
            s += e
        inv = like(1.0, m) / s
        for c in range(cols):
            p[r, c] *= inv
        lse[r] = m + math.log(s)
    return bad


@njit(**JIT)
def backward(p, t, w, dx):
    """dx[r] = w[r] (p[r] - onehot(t[r])): t the class index of row r (any valid index where w[r] = 0)."""
    for r in prange(p.shape[0]):
        wr = w[r]
        for c in range(p.shape[1]):
            dx[r, c] = wr * p[r, c]
        dx[r, t[r]] -= wr
