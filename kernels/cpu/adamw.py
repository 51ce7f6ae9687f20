"""The Adam / AdamW update of one parameter in one pass, in place: what ``optim/adam.py`` computes in eight NumPy
passes over the parameter, its gradient and the two moments (each pass reads and writes whole arrays).

Per element, in PyTorch's order of operations (so the result is the NumPy update's, rounding for rounding: the
constants are handed in already rounded to the parameter's dtype, and no fastmath, so no multiply-add is fused):

    p <- p * (1 - lr wd)                     (AdamW: ``decay`` = 1 - lr wd; Adam: 1)
    g <- g + wd p                            (Adam's coupled L2 term: ``l2`` = wd; AdamW: 0)
    m <- m + (1 - beta1) (g - m)
    v <- v beta2 + (1 - beta2) g^2
    p <- p - step (m / (sqrt(v) / sqrt(1 - beta2^t) + eps)),   step = lr / (1 - beta1^t)"""
import numpy as np
from numba import njit, prange

from . import pool

pool.start()  # before the kernel loads from the cache (loading a parallel kernel launches Numba's threads)


@njit(parallel=True, cache=True, error_model="numpy")
def update(p, g, m, v, decay, l2, one_minus_b1, b2, one_minus_b2, bias2_sqrt, eps, step):
    """The update above on 1-D arrays p, g, m, v of one dtype (p, m, v in place); the scalars of that dtype."""
    for i in prange(p.size):
        pi = p[i] * decay
        gi = g[i] + l2 * pi if l2 != 0 else g[i]
        mi = m[i] + one_minus_b1 * (gi - m[i])
        vi = v[i] * b2 + one_minus_b2 * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] = pi - step * (mi / (np.sqrt(vi) / bias2_sqrt + eps))


def adam_step(p, g, m, v, lr, betas, eps, weight_decay, decoupled, t):
    """One Adam (``decoupled=False``) or AdamW step t (1, 2, ...) of the parameter array p, in place with its
    moments m and v, from the gradient g: the scalars rounded to p's dtype as NumPy rounds them, then ``update``."""
    b1, b2 = betas
    dt = p.dtype.type
    flat = [a.reshape(-1) for a in (p, np.ascontiguousarray(g, p.dtype), m, v)]
    with pool.LOCK:
        update(*flat, dt(1 - lr * weight_decay) if decoupled else dt(1), dt(0 if decoupled else weight_decay),
               dt(1 - b1), dt(b2), dt(1 - b2), dt(np.sqrt(1 - b2 ** t)), dt(eps), dt(lr / (1 - b1 ** t)))
