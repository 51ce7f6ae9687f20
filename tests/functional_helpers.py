"""Shared helpers for the F tests: run an op in tinygrad_gen and in PyTorch on the same data and compare."""
import numpy as np
import torch

import tinygrad_gen as tg

TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}


def leaves(arrays, dtype=np.float64):
    return [tg.tensor(np.asarray(a), dtype=dtype, requires_grad=True) for a in arrays]


def gradcheck(fn, arrays, **kw):
    """float64 finite-difference check of fn's backward at ``arrays``."""
    return tg.gradcheck(fn, leaves(arrays), **kw)


def gradgradcheck(fn, arrays, **kw):
    return tg.gradgradcheck(fn, leaves(arrays), **kw)


def assert_matches_torch(fn, torch_fn, arrays, dtype=np.float64, seed=0, grads=True, tol=None):
    """Forward values and the gradients of every input (for a random upstream gradient) agree with PyTorch."""
    tol = tol or TOL[dtype]
    ours = leaves(arrays, dtype)
    theirs = [torch.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
    y, yt = fn(*ours), torch_fn(*theirs)
    assert y.shape == tuple(yt.shape)
    assert y.dtype == np.dtype(dtype)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), **tol)
    if not grads:
        return
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(dtype)
    y.backward(tg.tensor(g, dtype=dtype))
    yt.backward(torch.tensor(g))
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.grad is not None, f"input {i} got no gradient"
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol, err_msg=f"gradient of input {i}")
