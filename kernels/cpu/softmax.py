"""Fused softmax along the last axis: each row is read once from memory and handled while it sits in cache, where
NumPy's composition makes a pass over the whole tensor per step (max, subtract, exp, sum, divide).

Rows are independent, so ``prange`` hands them to the threads. Within a row: the max m of the kept scores, then
e_j = exp(x_j - m) written to the output while summing them, then one scale by 1 / sum. The backward of
y = softmax(x) is dx = y * (g - sum_j g_j y_j): one dot and one pass per row.

``softmax_rows`` is the plain case (no mask) written to be read and rewritten (the course kit's task);
``masked_softmax_forward`` is what the engine runs (a mask row per score row, chosen through ``mask_row``)."""
import numpy as np
from numba import njit, prange

from .fast_math import JIT, fast_exp, like


@njit(**JIT)
def softmax_rows(x, y):
    """y[r] = softmax(x[r]) for each row r of the 2-D arrays x, y (float32 or float64, same shape)."""
    for r in prange(x.shape[0]):
        m = x[r, 0]
        for j in range(1, x.shape[1]):
            m = max(m, x[r, j])
        s = like(0.0, m)
        for j in range(x.shape[1]):
            e = fast_exp(x[r, j] - m)
            y[r, j] = e
            s += e
        inv = like(1.0, m) / s
        for j in range(x.shape[1]):
            y[r, j] *= inv


@njit(**JIT)
def masked_softmax_forward(x, mask, mask_row, y):
    """y[r] = softmax of x[r] over the positions where mask[mask_row[r]] is True, 0 elsewhere; a row that keeps
    nothing, or keeps only -inf, gives zeros. Returns the number of rows that keep a NaN or +inf, which this kernel
    does not define (the caller then runs the plain op on the tensor)."""
    rows, cols = x.shape
    bad = 0
    for r in prange(rows):
        keep = mask[mask_row[r]]
        m = like(-np.inf, x[r, 0])
        special = False
        for j in range(cols):
            if keep[j]:
                v = x[r, j]
                special |= not (v < np.inf)  # NaN or +inf
                m = max(m, v)
        if special:
            bad += 1
        if m == -np.inf or special:
            for j in range(cols):
                y[r, j] = 0
            continue
        s = like(0.0, m)
        for j in range(cols):
            e = fast_exp(x[r, j] - m) if keep[j] else like(0.0, m)
            y[r, j] = e
            s += e
        inv = like(1.0, m) / s
        for j in range(cols):
            y[r, j] *= inv
    return bad


@njit(**JIT)
def softmax_backward(y, g, dx):
    """dx[r] = y[r] * (g[r] - sum_j g[r, j] y[r, j]) for each row: the softmax's backward from its output y (masked
    positions have y = 0, so they get 0)."""
    for r in prange(y.shape[0]):
        dot = like(0.0, y[r, 0])
        for j in range(y.shape[1]):
            dot += g[r, j] * y[r, j]
        for j in range(y.shape[1]):
            dx[r, j] = y[r, j] * (g[r, j] - dot)


def mask_rows(mask, x_shape):
    """A boolean mask that broadcasts to x's shape (the softmax axis last), as the kernels take it: (rows, index),
    rows the mask's own rows (M, cols) and index[r] the mask row that x's row r uses. A (L, L) causal mask over
    (B, H, L, L) scores is L rows and an index of B H L entries, never a copy of the mask at the scores' size."""
    cols = x_shape[-1]
    lead = (1,) * (len(x_shape) - mask.ndim) + tuple(mask.shape[:-1])
    rows = np.ascontiguousarray(np.broadcast_to(mask.reshape(lead + mask.shape[-1:]), lead + (cols,)))
    ids = np.arange(rows.size // max(cols, 1), dtype=np.int64).reshape(lead)
    return rows.reshape(-1, cols), np.ascontiguousarray(np.broadcast_to(ids, x_shape[:-1])).reshape(-1)
