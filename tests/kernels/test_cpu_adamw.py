"""The one-pass Numba Adam/AdamW update (kernels/cpu/adamw.py, chosen by dispatch.fused_adam) against the
optimizer's NumPy steps: the same parameters and moments after several steps, float32 and float64, odd shapes,
with and without weight decay; and the choice itself (TGG_KERNELS Adam=...)."""
import numpy as np
import pytest

pytest.importorskip("numba")

import tinygrad_gen as tg  # noqa: E402 (numba first: without it these tests are skipped)
from tinygrad_gen import dispatch, optim  # noqa: E402


def run_steps(mode, opt_class, dtype, wd, steps=4):
    rng = np.random.default_rng(0)
    params = [tg.tensor(rng.standard_normal(s).astype(dtype), dtype=dtype, requires_grad=True)
              for s in [(3, 5), (7,), (33, 17)]]
    with dispatch.kernels(mode):
        opt = opt_class(params, lr=3e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=wd)
        for step in range(steps):
            for p in params:
                p.grad = tg.tensor(np.random.default_rng(step).standard_normal(p.shape).astype(dtype), dtype=dtype)
            opt.step()
    return [p.numpy() for p in params] + [opt.state[p][k] for p in params for k in ("exp_avg", "exp_avg_sq")]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("opt_class, wd", [(optim.AdamW, 0.1), (optim.Adam, 0.0), (optim.Adam, 0.05)])
def test_fused_update_matches_the_numpy_steps(opt_class, wd, dtype, monkeypatch):
    chosen = []
    real = dispatch.fused_adam
    monkeypatch.setattr(dispatch, "fused_adam", lambda a: chosen.append(real(a)) or chosen[-1])
    want = run_steps("Adam=reference", opt_class, dtype, wd)
    assert chosen and all(c is None for c in chosen)
    chosen.clear()
    got = run_steps("Adam=numba", opt_class, dtype, wd)
    assert chosen and all(c is not None for c in chosen)  # the kernel ran
    for g, w in zip(got, want):
        assert g.dtype == w.dtype == dtype
        np.testing.assert_allclose(g, w, rtol=4e-7 if dtype == np.float32 else 1e-15, atol=0)
    assert not np.array_equal(got[0], run_steps("Adam=numba", opt_class, dtype, wd, steps=1)[0])


def test_the_choice_follows_tgg_kernels():
    p = np.zeros(4, np.float32)
    with dispatch.kernels("Adam=numba"):
        assert dispatch.fused_adam(p) is not None
        assert dispatch.fused_adam(p[::2]) is None  # not contiguous
        assert dispatch.fused_adam(p.astype(np.float16)) is None
    with dispatch.kernels("fast"):
        assert dispatch.fused_adam(p) is None
    with dispatch.kernels("reference"):
        assert dispatch.fused_adam(p) is None
