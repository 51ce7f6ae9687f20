"""The pooling modules beyond MaxPool2d / AvgPool2d (issue 25): MaxPool1d/3d, AvgPool1d/3d, MaxUnpool1d/2d/3d, and
MaxPool2d(return_indices=True), against PyTorch's modules (settings as printed, values, gradients)."""
import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from tinygrad_gen.nn import pooling as P

RNG = np.random.default_rng(0)

MODULES = [
    (lambda: P.MaxPool1d(3, 2, 1), lambda: torch.nn.MaxPool1d(3, 2, 1), (2, 3, 9)),
    (lambda: P.AvgPool1d(3, 2, 1, count_include_pad=False),
     lambda: torch.nn.AvgPool1d(3, 2, 1, count_include_pad=False), (2, 3, 9)),
    (lambda: P.MaxPool3d((2, 3, 2), 2, (1, 1, 0), ceil_mode=True),
     lambda: torch.nn.MaxPool3d((2, 3, 2), 2, (1, 1, 0), ceil_mode=True), (1, 2, 4, 5, 6)),
    (lambda: P.AvgPool3d(2, 1, 1, divisor_override=3), lambda: torch.nn.AvgPool3d(2, 1, 1, divisor_override=3),
     (1, 2, 4, 5, 3)),
]


@pytest.mark.parametrize("make", MODULES, ids=lambda m: repr(m[1]()))
def test_nd_pooling_modules_match_torch(make):
    ours, theirs, shape = make[0](), make[1](), make[2]
    assert repr(ours) == repr(theirs)
    x = RNG.permutation(int(np.prod(shape))).reshape(shape) * 0.1
    xt, tt = tg.tensor(x, dtype=np.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours(xt), theirs(tt)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12)
    g = RNG.standard_normal(y.shape)
    y.backward(tg.tensor(g, dtype=np.float64))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), tt.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_max_pool_with_indices_then_max_unpool_round_trip_like_torch(dims):
    shape = (2, 3) + (6,) * dims
    x = RNG.permutation(int(np.prod(shape))).reshape(shape) * 0.1
    pool = getattr(P, f"MaxPool{dims}d")(2, return_indices=True)
    unpool = getattr(P, f"MaxUnpool{dims}d")(2)
    tpool = getattr(torch.nn, f"MaxPool{dims}d")(2, return_indices=True)
    tunpool = getattr(torch.nn, f"MaxUnpool{dims}d")(2)
    assert repr(unpool) == repr(tunpool)
    y, idx = pool(tg.tensor(x, dtype=np.float64))
    ty, tidx = tpool(torch.tensor(x))
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    np.testing.assert_array_equal(unpool(y, idx).numpy(), tunpool(ty, tidx).numpy())
    np.testing.assert_array_equal(unpool(y, idx, output_size=shape[2:]).numpy(),
                                  tunpool(ty, tidx, output_size=shape[2:]).numpy())
