"""Gradient clipping by global norm (the GPT-3 recipe clips at 1.0)."""
import math

import numpy as np

from .. import backend
from ..tensor import Tensor


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so their joint norm is at most ``max_norm``; return the norm before clipping.

    total = || (||g_1||, ..., ||g_n||) ||, the norm of all gradients as one long vector; every g is multiplied by
    min(1, max_norm / (total + 1e-6)), so the update's direction is kept and only its length is capped."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad._data for p in params if p.grad is not None]
    if not grads:
        return Tensor(np.zeros((), np.float32))
    norm_type = float(norm_type)
    if norm_type == math.inf:
        norms = [float(abs(g).max()) if g.size else 0.0 for g in grads]
        total = np.float32(max(norms))
    elif norm_type == 2.0:
        xp = backend.xp_of(grads[0])
        squares = np.array([float(xp.vdot(g, g)) for g in grads], np.float32)  # BLAS dot: no temporaries
        total = np.sqrt(squares.sum(dtype=np.float32))
    else:
        raise ValueError(f"clip_grad_norm_: norm_type must be 2 or inf, got {norm_type}")
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}, "
                           "so they cannot be clipped; set error_if_nonfinite=False to scale them anyway")
    coef = min(np.float32(max_norm) / (total + np.float32(1e-6)), np.float32(1.0))
    for p in params:
        if p.grad is not None:
            # a new array: one gradient array may be shared by several leaves (x + y gives both the same g)
            p.grad._data = p.grad._data * coef.astype(p.grad.dtype)
    return Tensor(np.asarray(total, np.float32))
