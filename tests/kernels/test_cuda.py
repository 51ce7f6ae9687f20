"""Every op on device="cuda" gives what it gives on the CPU, and our Numba kernels agree with cuBLAS / the reference
attention on a real GPU. Runs where CuPy sees a CUDA GPU; skipped cleanly elsewhere (the kernels' logic is also
tested without a GPU under Numba's simulator: tests/kernels/sim)."""
import functools
import math

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen.kernels import matmul_numba
from tinygrad_gen.op_cases import all_cases


def _has_cuda():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no CuPy, no driver, no device
        return False


HAS_CUDA = _has_cuda()
needs_cuda = pytest.mark.skipif(not HAS_CUDA, reason="needs CuPy and a CUDA GPU")
pytestmark = [needs_cuda, pytest.mark.cuda]
DEVICES = ["cuda"]  # compared against "cpu", the reference device
CASES = all_cases()
UNROLLED_SGEMMS = [name for name, tiles in matmul_numba.VARIANTS.items() if len(tiles) > 6]


def on(device, array, requires_grad=False, dtype=np.float64):
    return tg.tensor(np.asarray(array), dtype=dtype, device=device, requires_grad=requires_grad)


# ----- the op suite -----

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op_forward_and_backward_on_device_match_cpu(case, device, monkeypatch):
    rng = np.random.default_rng(0)
    cpu_inputs = case.inputs(rng)
    dev_inputs = [on(device, t.numpy(), requires_grad=True) for t in cpu_inputs]
    tg.manual_seed(0)
    want = case.fn(*cpu_inputs)
    tg.manual_seed(0)
    with monkeypatch.context() as patch:  # constants a case builds with tg.tensor / tg.ones live on the device too
        for name in ("tensor", "ones"):
            patch.setattr(tg, name, functools.partial(getattr(tg, name), device=device))
        got = case.fn(*dev_inputs)
    assert got.device == device and got.dtype == want.dtype
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-7, atol=1e-10)
    g = rng.standard_normal(want.shape)
    want.backward(on("cpu", g))
    got.backward(on(device, g))
    for i, (c, d) in enumerate(zip(cpu_inputs, dev_inputs)):
        if c.grad is None:
            assert d.grad is None, f"input {i}"
            continue
        assert d.grad.device == device, f"input {i}"
        np.testing.assert_allclose(d.grad.numpy(), c.grad.numpy(), rtol=1e-7, atol=1e-10, err_msg=f"input {i}")


# ----- devices, modules, checkpoints -----

def test_to_moves_values_and_gradient_flows_back_to_the_cpu_leaf():
    x = on("cpu", [1.0, -2.0, 3.0], requires_grad=True)
    y = x.to("cuda")
    assert y.device == "cuda" and y.to("cuda") is y
    (y * y).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])


def test_module_to_cuda_gives_the_cpu_output_and_gradients():
    from tinygrad_gen import nn
    cpu = nn.Linear(5, 3)
    dev = nn.Linear(5, 3)
    dev.load_state_dict(cpu.state_dict())
    dev.to("cuda")
    assert all(p.device == "cuda" for p in dev.parameters())
    x = np.random.default_rng(0).standard_normal((4, 5))
    out_c, out_d = cpu(on("cpu", x, dtype=np.float32)), dev(on("cuda", x, dtype=np.float32))
    np.testing.assert_allclose(out_d.numpy(), out_c.numpy(), rtol=1e-5, atol=1e-6)
    out_c.sum().backward()
    out_d.sum().backward()
    np.testing.assert_allclose(dev.weight.grad.numpy(), cpu.weight.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_checkpoint_saved_on_cuda_loads_onto_either_device(tmp_path):
    from tinygrad_gen import nn
    model = nn.Linear(4, 2).to("cuda")
    tg.save(model.state_dict(), tmp_path / "m.safetensors")
    on_cpu, on_gpu = tg.load(tmp_path / "m.safetensors"), tg.load(tmp_path / "m.safetensors", device="cuda")
    for name, t in model.state_dict().items():
        assert on_cpu[name].device == "cpu" and on_gpu[name].device == "cuda"
        np.testing.assert_array_equal(on_cpu[name].numpy(), t.numpy())
        np.testing.assert_array_equal(on_gpu[name].numpy(), t.numpy())
    fresh = nn.Linear(4, 2)
    fresh.load_state_dict(on_cpu)
    np.testing.assert_array_equal(fresh.weight.numpy(), model.weight.numpy())


def test_a_training_step_never_synchronises_with_the_host():
    """Forward, backward and an optimizer step stay on the device: no hidden .get() / host copies inside ops."""
    import cupyx
    from tinygrad_gen import nn, optim
    import tinygrad_gen.nn.functional as F
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)).to("cuda")
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x = on("cuda", np.random.default_rng(0).standard_normal((32, 8)), dtype=np.float32)
    y = on("cuda", np.random.default_rng(1).standard_normal((32, 4)), dtype=np.float32)
    loss = F.mse_loss(model(x), y)  # warm-up: CuPy compiles its kernels (that may synchronise) once
    loss.backward()
    opt.step()
    with cupyx.allow_synchronize(False):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    assert math.isfinite(loss.item())


# ----- our kernels on the GPU -----

def _rand32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("shapes", [((129, 65), (65, 130)), ((3, 37, 200), (3, 200, 5)), ((2, 1, 7, 9), (4, 9, 11)),
                                    ((300, 1), (1, 257))])
def test_numba_matmul_forward_and_both_backward_products_match_cublas(shapes, monkeypatch):
    rng = np.random.default_rng(0)
    a, b = (_rand32(rng, *s) for s in shapes)
    results = {}
    for backend in ("cupy", "numba"):
        monkeypatch.setenv("TGG_MATMUL", backend)
        ta, tb = on("cuda", a, True, np.float32), on("cuda", b, True, np.float32)
        out = ta @ tb
        out.backward(on("cuda", np.ones(out.shape), dtype=np.float32))
        results[backend] = [out.numpy(), ta.grad.numpy(), tb.grad.numpy()]
    for name, got, cublas in zip(("out", "da", "db"), results["numba"], results["cupy"]):
        np.testing.assert_allclose(got, cublas, rtol=1e-4, atol=1e-4, err_msg=name)
    np.testing.assert_allclose(results["numba"][0], np.matmul(a.astype(np.float64), b), rtol=1e-5, atol=1e-4)


def test_numba_matmul_at_4096_matches_float64_relative_error():
    import cupy as cp
    from tinygrad_gen.kernels import matmul_numba
    rng = cp.random.default_rng(0)
    a, b = rng.standard_normal((1024, 4096), dtype=cp.float32), rng.standard_normal((4096, 1000), dtype=cp.float32)
    ref = a.astype(cp.float64) @ b.astype(cp.float64)
    err = float(cp.abs(matmul_numba.matmul(a, b) - ref).max() / cp.abs(ref).max())
    assert err < 1e-5


@pytest.mark.parametrize("name", UNROLLED_SGEMMS)
def test_swept_matmul_variants_match_float64_inside_and_at_the_edges(name):
    """The new variants the autotune sweep may pick as DEFAULT: interior 128-blocks, ragged edges, a ragged K slice."""
    import cupy as cp
    from tinygrad_gen.kernels import matmul_numba
    rng = cp.random.default_rng(0)
    a, b = rng.standard_normal((2, 300, 70), dtype=cp.float32), rng.standard_normal((2, 70, 260), dtype=cp.float32)
    ref = a.astype(cp.float64) @ b.astype(cp.float64)
    err = float(cp.abs(matmul_numba.matmul(a, b, matmul_numba.VARIANTS[name]) - ref).max() / cp.abs(ref).max())
    assert err < 1e-5


@pytest.mark.parametrize("d", [64, 128])
@pytest.mark.parametrize("variant", ["tiled-big"])
def test_new_attention_variants_match_float64_forward_and_backward_causal_ragged(variant, d):
    """Masks are the same code in every variant (checked in the simulator); here the variant's tiles on the GPU."""
    import cupy as cp
    from tinygrad_gen.benchmarks.bench_kernels import _reference_head
    from tinygrad_gen.kernels import attention_numba
    rng = cp.random.default_rng(2)
    q, k, v, g = (rng.standard_normal((2, n, d), dtype=cp.float32) for n in (131, 150, 150, 131))
    scale = 1.0 / math.sqrt(d)
    out, lse = attention_numba.forward(q, k, v, None, True, scale, variant)
    ours = (out,) + attention_numba.backward(q, k, v, out, lse, g, None, True, scale, variant)
    for bh in range(2):
        ref = _reference_head(q[bh], k[bh], v[bh], g[bh], True, scale)
        for what, got, want in zip(("out", "dq", "dk", "dv"), ours, ref):
            err = float(cp.abs(got[bh] - want).max() / cp.abs(want).max())
            assert err < 1e-5, (what, bh, err)


def _attention_case(causal, with_mask, d=16, lq=70, lk=70):
    rng = np.random.default_rng(1)
    q, k, v = _rand32(rng, 2, 3, lq, d), _rand32(rng, 2, 3, lk, d), _rand32(rng, 2, 3, lk, d)
    g = _rand32(rng, 2, 3, lq, d)
    mask = None
    if with_mask:
        mask = rng.random((2, 1, 1, lk)) > 0.3
        mask[1] = False  # batch entry 1 attends to nothing: zeros, never NaN
    return q, k, v, g, mask


def _run_attention(backend, q, k, v, g, mask, causal, monkeypatch):
    import tinygrad_gen.nn.functional as F
    monkeypatch.setenv("TGG_ATTENTION", backend)
    tq, tk, tv = (on("cuda", a, True, np.float32) for a in (q, k, v))
    m = None if mask is None else tg.tensor(mask, device="cuda")
    out = F.attention(tq, tk, tv, mask=m, causal=causal)  # the engine's mask-and-causal form
    out.backward(on("cuda", g, dtype=np.float32))
    return [out.numpy(), tq.grad.numpy(), tk.grad.numpy(), tv.grad.numpy()]


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("with_mask", [False, True])
def test_flash_attention_matches_reference_forward_and_backward(causal, with_mask, monkeypatch):
    q, k, v, g, mask = _attention_case(causal, with_mask)
    ours = _run_attention("numba", q, k, v, g, mask, causal, monkeypatch)
    ref = _run_attention("reference", q, k, v, g, mask, causal, monkeypatch)
    for name, a, b in zip(("out", "dq", "dk", "dv"), ours, ref):
        assert np.all(np.isfinite(a)), name
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=name)
    if with_mask:
        assert np.all(ours[0][1] == 0) and np.all(ours[1][1] == 0)


def test_flash_attention_head_dim_128_ragged_lengths(monkeypatch):
    q, k, v, g, mask = _attention_case(True, False, d=128, lq=100, lk=77)
    ours = _run_attention("numba", q, k, v, g, mask, True, monkeypatch)
    ref = _run_attention("reference", q, k, v, g, mask, True, monkeypatch)
    for name, a, b in zip(("out", "dq", "dk", "dv"), ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=name)


def test_flash_attention_memory_grows_linearly_not_quadratically():
    """At N = 8192 one N x N float32 matrix is 256 MiB; forward + backward must allocate far less than that."""
    import cupy as cp
    from tinygrad_gen.benchmarks.bench_kernels import PeakMemory
    from tinygrad_gen.kernels import attention_numba
    n, d = 8192, 64
    q, k, v, g = (cp.random.default_rng(i).standard_normal((1, n, d), dtype=cp.float32) for i in range(4))
    with PeakMemory() as pm:
        out, lse = attention_numba.forward(q, k, v, None, True)
        attention_numba.backward(q, k, v, out, lse, g, None, True)
        cp.cuda.Device().synchronize()
    assert 0 < pm.peak < 16 * n * d * 4  # a few (N, d) arrays
