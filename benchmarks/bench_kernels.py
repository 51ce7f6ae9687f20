"""``tgg bench matmul|attention``: our Numba CUDA kernels against cuBLAS (CuPy, TF32 off) and PyTorch's
scaled_dot_product_attention (float32), measured in the same run, interleaved.

Each row: median time of timed runs after warm-up (CUDA events), TFLOP/s, % of the peer, peak device memory
allocated during one call, and the kernel's error against a float64 reference (max |err| / max |ref|).
Attention FLOPs: 4 B H N^2 d forward (halved when causal), x2.5 for backward (so fwd+bwd = 3.5x forward).

    tgg bench matmul [--sizes 1024 2048 4096] [--repeats 10] [--variant NAME] [--json FILE]
    tgg bench attention [--quick] [--variant NAME] [--json FILE]
    tgg bench attention --device cpu ...   (bench_cpu_attention: the Numba CPU flash kernels vs PyTorch's SDPA)
    tgg bench kernels --device cpu ...     (bench_cpu_roofline: the CPU kernels on a roofline of this machine)
    tgg bench matmul-variants | attention-variants [--variants NAME ...] [--json FILE]   (autotune: every compiled
        variant of the kernel -- matmul_numba.VARIANTS tile shapes at 4096^3, attention_numba.VARIANTS at d = 64
        and d = 128 -- timed against the peer in one run, each checked against float64; the fastest correct one is
        reported as the winner, and the kernels' DEFAULT is set to it by hand after a run)
    python -m tinygrad_gen.benchmarks.bench_kernels summary MATMUL.json ATTENTION.json   (the short table)
"""
import argparse
import json
import math
import os
import statistics
import sys

os.environ.setdefault("CUPY_TF32", "0")  # full float32 cuBLAS: the fair peer for a float32 kernel


def _cupy():
    import cupy
    return cupy


class PeakMemory:
    """Peak bytes allocated from CuPy's pool (and torch's allocator) while inside ``with``."""

    def __init__(self):
        cp = _cupy()
        self.peak = 0
        outer = self

        class Hook(cp.cuda.MemoryHook):
            name = "tgg_peak"

            def __init__(self):
                self.used = 0

            def malloc_postprocess(self, device_id, size, mem_size, mem_ptr, pmem_id):
                self.used += mem_size
                outer.peak = max(outer.peak, self.used)

            def free_postprocess(self, device_id, mem_size, mem_ptr, pmem_id):
                self.used -= mem_size

        self.hook = Hook()

    def __enter__(self):
        self.hook.__enter__()
        try:
            import torch
            torch.cuda.reset_peak_memory_stats()
            self.torch_base = torch.cuda.memory_allocated()
        except Exception:
            self.torch_base = None
        return self

    def __exit__(self, *exc):
        self.hook.__exit__(*exc)
        if self.torch_base is not None:
            import torch
            self.peak = max(self.peak, torch.cuda.max_memory_allocated() - self.torch_base)


def peak_memory(fn):
    try:
        with PeakMemory() as pm:
            fn()
            _cupy().cuda.Device().synchronize()
        return pm.peak
    except Exception:  # a CuPy without memory hooks: report nothing rather than a wrong number
        return None


def time_interleaved(fns, repeats, warmup=2):
    """Median milliseconds of each fn, timed with CUDA events; the fns take turns so drift hits all alike."""
    cp = _cupy()
    for fn in fns:
        for _ in range(warmup):
            fn()
    cp.cuda.Device().synchronize()
    times = [[] for _ in fns]
    start, end = cp.cuda.Event(), cp.cuda.Event()
    for _ in range(repeats):
        for t, fn in zip(times, fns):
            start.record()
            fn()
            end.record()
            end.synchronize()
            t.append(cp.cuda.get_elapsed_time(start, end))
    return [statistics.median(t) for t in times]


def rel_err(got, ref):
    cp = _cupy()
    got = cp.asarray(got, dtype=cp.float64)
    return float(cp.abs(got - ref).max() / max(float(cp.abs(ref).max()), 1e-30))


def device_name():
    cp = _cupy()
    props = cp.cuda.runtime.getDeviceProperties(cp.cuda.Device().id)
    return props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])


# ---------------------------------------------------------------- matmul
def _save(which, rows, path):
    """Write what has been measured so far (a later size that fails or times out keeps the earlier rows)."""
    if path:
        with open(path, "w") as f:
            json.dump({"benchmark": which, "device": device_name(), "rows": rows}, f, indent=1)


def bench_matmul(shapes, repeats, json_path=None, variant=None):
    cp = _cupy()
    from tinygrad_gen.kernels import matmul_numba
    tiles = matmul_numba.VARIANTS[variant or matmul_numba.DEFAULT]
    rows = []
    for shape in shapes:
        *batch, m, k, n = shape
        rng = cp.random.default_rng(0)
        a = rng.standard_normal((*batch, m, k), dtype=cp.float32)
        b = rng.standard_normal((k, n), dtype=cp.float32)
        ref = cp.matmul(a.astype(cp.float64), b.astype(cp.float64))
        ours, cublas = (lambda: matmul_numba.matmul(a, b, tiles)), (lambda: cp.matmul(a, b))
        t_ours, t_cublas = time_interleaved([ours, cublas], repeats)
        flops = 2.0 * math.prod(batch) * m * n * k
        rows.append({
            "shape": "x".join(map(str, shape)), "variant": variant or matmul_numba.DEFAULT,
            "numba_ms": t_ours, "cublas_ms": t_cublas,
            "numba_tflops": flops / t_ours / 1e9, "cublas_tflops": flops / t_cublas / 1e9,
            "pct_of_cublas": 100.0 * t_cublas / t_ours,
            "numba_err": rel_err(ours(), ref), "cublas_err": rel_err(cublas(), ref),
            "numba_peak_mib": _mib(peak_memory(ours)), "cublas_peak_mib": _mib(peak_memory(cublas)),
        })
        del ref
        _print_row(rows[-1], ("shape", "numba_ms", "numba_tflops", "numba_err", "cublas_ms", "cublas_tflops",
                              "cublas_err", "pct_of_cublas", "numba_peak_mib"))
        _save("matmul", rows, json_path)
    return rows


# ---------------------------------------------------------------- attention
def _reference_head(q, k, v, g, causal, scale):
    """float64 attention of one (batch, head) with the full N x N matrices: out, dq, dk, dv."""
    cp = _cupy()
    q, k, v, g = (x.astype(cp.float64) for x in (q, k, v, g))
    s = q @ k.T * scale
    if causal:
        s = cp.where(cp.tri(*s.shape, dtype=bool), s, -cp.inf)
    p = cp.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    del s
    out = p @ v
    dp = g @ v.T
    ds = p * (dp - (dp * p).sum(-1, keepdims=True))
    del dp
    return out, ds @ k * scale, ds.T @ q * scale, p.T @ g


def _variant_for(variant, d):
    """``variant`` is one name for every head dim, or "64:NAME,128:NAME" per head-dim class (None: the default)."""
    if not variant or ":" not in variant:
        return variant
    per_class = dict(item.split(":") for item in variant.split(","))
    return per_class.get(str(64 if d <= 64 else 128))


def bench_attention(configs, repeats, json_path=None, variant=None):
    cp = _cupy()
    import torch
    import torch.nn.functional as TF
    from tinygrad_gen.kernels import attention_numba
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    rows = []
    requested = variant
    for B, H, N, d, causal in configs:
        variant = _variant_for(requested, d)
        gen = torch.Generator(device="cuda").manual_seed(0)
        q, k, v, g = (torch.randn(B, H, N, d, device="cuda", generator=gen) for _ in range(4))
        scale = 1.0 / math.sqrt(d)
        # the same memory seen by CuPy (for our kernels) as (B*H, N, d)
        cq, ck, cv, cg = (cp.asarray(x.detach()).reshape(B * H, N, d) for x in (q, k, v, g))
        qr, kr, vr = (x.detach().clone().requires_grad_() for x in (q, k, v))

        def ours_fwd():
            return attention_numba.forward(cq, ck, cv, None, causal, scale, variant)

        def ours_fwd_bwd():
            out, lse = attention_numba.forward(cq, ck, cv, None, causal, scale, variant)
            return (out,) + attention_numba.backward(cq, ck, cv, out, lse, cg, None, causal, scale, variant)

        def sdpa_fwd():
            with torch.no_grad():
                return TF.scaled_dot_product_attention(q, k, v, is_causal=causal)

        def sdpa_fwd_bwd():
            qr.grad = kr.grad = vr.grad = None
            out = TF.scaled_dot_product_attention(qr, kr, vr, is_causal=causal)
            out.backward(g)
            return out, qr.grad, kr.grad, vr.grad

        t_of, t_sf, t_ofb, t_sfb = time_interleaved([ours_fwd, sdpa_fwd, ours_fwd_bwd, sdpa_fwd_bwd], repeats)
        flops = 4.0 * B * H * N * N * d / (2 if causal else 1)
        ref = _reference_head(cq[0], ck[0], cv[0], cg[0], causal, scale)  # batch 0, head 0: O(N^2) in float64
        ours = ours_fwd_bwd()
        theirs = [cp.asarray(x.detach()).reshape(B * H, N, d) for x in sdpa_fwd_bwd()]
        row = {
            "config": f"B{B} H{H} N{N} d{d}{' causal' if causal else ''}",
            "variant": variant or attention_numba.default_variant(d), "numba_fwd_ms": t_of, "sdpa_fwd_ms": t_sf,
            "numba_fwdbwd_ms": t_ofb, "sdpa_fwdbwd_ms": t_sfb,
            "numba_fwd_tflops": flops / t_of / 1e9, "sdpa_fwd_tflops": flops / t_sf / 1e9,
            "numba_fwdbwd_tflops": 3.5 * flops / t_ofb / 1e9, "sdpa_fwdbwd_tflops": 3.5 * flops / t_sfb / 1e9,
            "fwd_x_sdpa": t_sf / t_of, "fwdbwd_x_sdpa": t_sfb / t_ofb,
            "numba_err": max(rel_err(o[0], r) for o, r in zip(ours, ref)),
            "sdpa_err": max(rel_err(o[0], r) for o, r in zip(theirs, ref)),
            "numba_peak_mib": _mib(peak_memory(ours_fwd_bwd)), "sdpa_peak_mib": _mib(peak_memory(sdpa_fwd_bwd)),
        }
        del ref, ours, theirs
        rows.append(row)
        _print_row(row, ("config", "numba_fwd_ms", "sdpa_fwd_ms", "numba_fwdbwd_ms", "sdpa_fwdbwd_ms",
                         "numba_fwdbwd_tflops", "sdpa_fwdbwd_tflops", "fwdbwd_x_sdpa", "numba_err", "sdpa_err",
                         "numba_peak_mib", "sdpa_peak_mib"))
        _save("attention", rows, json_path)
    return rows


# ---------------------------------------------------------------- variant sweeps (autotune)
def _winner(rows, key):
    """The fastest variant whose error is float32-sized (a wrong kernel never wins)."""
    good = [r for r in rows if r.get("err") is not None and r["err"] < 1e-4]
    return max(good, key=lambda r: r[key])["variant"] if good else None


def sweep_matmul(shape, repeats, json_path=None, names=None):
    """Every tile shape of matmul_numba.VARIANTS (or those ``names``) against cuBLAS at one shape, interleaved."""
    cp = _cupy()
    from tinygrad_gen.kernels import matmul_numba
    m, k, n = shape
    rng = cp.random.default_rng(0)
    a, b = rng.standard_normal((m, k), dtype=cp.float32), rng.standard_normal((k, n), dtype=cp.float32)
    ref = cp.matmul(a.astype(cp.float64), b.astype(cp.float64))
    flops = 2.0 * m * n * k
    rows = []
    for name in names or matmul_numba.VARIANTS:
        tiles = matmul_numba.VARIANTS[name]
        row = {"shape": "x".join(map(str, shape)), "variant": name, "tiles": list(tiles)}
        try:
            err = rel_err(matmul_numba.matmul(a, b, tiles), ref)  # also compiles it, outside the timing
            t_ours, t_cublas = time_interleaved([lambda: matmul_numba.matmul(a, b, tiles), lambda: cp.matmul(a, b)],
                                                repeats, warmup=1)
            row.update(numba_ms=t_ours, cublas_ms=t_cublas, numba_tflops=flops / t_ours / 1e9,
                       pct_of_cublas=100.0 * t_cublas / t_ours, err=err)
            _print_row(row, ("variant", "numba_ms", "cublas_ms", "numba_tflops", "pct_of_cublas", "err"))
        except Exception as e:  # one variant that does not compile or launch must not cost the others
            row.update(error=f"{type(e).__name__}: {str(e)[:300]}", err=None)
            print(f"variant={name}  FAILED {row['error']}", flush=True)
        rows.append(row)
        winner = _winner([r for r in rows if "numba_tflops" in r], "numba_tflops")
        if json_path:  # after every variant, so a sweep cut short keeps what it measured
            with open(json_path, "w") as f:
                json.dump({"benchmark": "matmul-variants", "device": device_name(), "winner": winner, "rows": rows},
                          f, indent=1)
    print(f"winner: {winner}", flush=True)
    return rows


def sweep_attention(configs, repeats, json_path=None, names=None):
    """Every variant of attention_numba.VARIANTS (or those ``names``), forward + backward, against SDPA; a winner per
    head dim."""
    cp = _cupy()
    import torch
    import torch.nn.functional as TF
    from tinygrad_gen.kernels import attention_numba
    rows, winners = [], {}
    for B, H, N, d, causal in configs:
        gen = torch.Generator(device="cuda").manual_seed(0)
        q, k, v, g = (torch.randn(B, H, N, d, device="cuda", generator=gen) for _ in range(4))
        scale = 1.0 / math.sqrt(d)
        cq, ck, cv, cg = (cp.asarray(x.detach()).reshape(B * H, N, d) for x in (q, k, v, g))
        qr, kr, vr = (x.detach().clone().requires_grad_() for x in (q, k, v))
        ref = _reference_head(cq[0], ck[0], cv[0], cg[0], causal, scale)
        flops = 3.5 * 4.0 * B * H * N * N * d / (2 if causal else 1)

        def sdpa_fwd_bwd():
            qr.grad = kr.grad = vr.grad = None
            out = TF.scaled_dot_product_attention(qr, kr, vr, is_causal=causal)
            out.backward(g)

        config_rows = []
        for variant in names or attention_numba.VARIANTS:
            def ours_fwd_bwd(variant=variant):
                out, lse = attention_numba.forward(cq, ck, cv, None, causal, scale, variant)
                return (out,) + attention_numba.backward(cq, ck, cv, out, lse, cg, None, causal, scale, variant)

            row = {"config": f"B{B} H{H} N{N} d{d}{' causal' if causal else ''}", "variant": variant}
            try:
                err = max(rel_err(o[0], r) for o, r in zip(ours_fwd_bwd(), ref))
                t_ours, t_sdpa = time_interleaved([ours_fwd_bwd, sdpa_fwd_bwd], repeats, warmup=1)
                row.update(numba_fwdbwd_ms=t_ours, sdpa_fwdbwd_ms=t_sdpa, numba_fwdbwd_tflops=flops / t_ours / 1e9,
                           fwdbwd_x_sdpa=t_sdpa / t_ours, err=err)
                _print_row(row, ("config", "variant", "numba_fwdbwd_ms", "sdpa_fwdbwd_ms", "numba_fwdbwd_tflops",
                                 "fwdbwd_x_sdpa", "err"))
            except Exception as e:
                row.update(error=f"{type(e).__name__}: {str(e)[:300]}", err=None)
                print(f"config={row['config']}  variant={variant}  FAILED {row['error']}", flush=True)
            config_rows.append(row)
        winners[row["config"]] = _winner([r for r in config_rows if "numba_fwdbwd_tflops" in r], "numba_fwdbwd_tflops")
        print(f"winner for {row['config']}: {winners[row['config']]}", flush=True)
        rows += config_rows
        del ref
        if json_path:
            with open(json_path, "w") as f:
                json.dump({"benchmark": "attention-variants", "device": device_name(), "winners": winners,
                           "rows": rows}, f, indent=1)
    return rows


# ---------------------------------------------------------------- output
def _mib(nbytes):
    return None if nbytes is None else nbytes / 2 ** 20


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.2e}" if (abs(v) < 1e-2 and v != 0) else f"{v:.2f}"
    return "n/a" if v is None else str(v)


def _print_row(row, keys):
    print("  ".join(f"{key}={_fmt(row[key])}" for key in keys), flush=True)


def summary(paths):
    """The short table gpu_check.sh prints last."""
    lines = []
    for path in paths:
        with open(path) as f:
            result = json.load(f)
        lines.append(f"# {result['benchmark']} on {result['device']}")
        if result["benchmark"].endswith("-variants"):
            for r in result["rows"]:
                where = r.get("shape") or r.get("config")
                if "error" in r:
                    lines.append(f"{where:>24} {r['variant']:>16}  FAILED {r['error'][:80]}")
                elif "pct_of_cublas" in r:
                    lines.append(f"{where:>24} {r['variant']:>16} {r['numba_tflops']:6.2f} TF/s "
                                 f"{r['pct_of_cublas']:5.1f} % of cuBLAS  err {r['err']:.1e}")
                else:
                    lines.append(f"{where:>24} {r['variant']:>16} {r['numba_fwdbwd_ms']:8.2f} ms "
                                 f"{r['fwdbwd_x_sdpa']:5.2f} x SDPA  err {r['err']:.1e}")
            lines.append(f"winner: {result.get('winner') or result.get('winners')}")
        elif result["benchmark"] == "matmul":
            lines.append(f"{'shape':>16} {'numba TF/s':>10} {'cuBLAS TF/s':>11} {'% cuBLAS':>8} {'numba err':>9}")
            for r in result["rows"]:
                lines.append(f"{r['shape']:>16} {r['numba_tflops']:10.2f} {r['cublas_tflops']:11.2f} "
                             f"{r['pct_of_cublas']:8.1f} {r['numba_err']:9.1e}")
        else:
            lines.append(f"{'config':>24} {'fwd x SDPA':>10} {'fwd+bwd ms':>10} {'SDPA ms':>8} {'x SDPA':>6} "
                         f"{'TF/s':>6} {'err':>7} {'MiB':>7} {'SDPA MiB':>8}")
            for r in result["rows"]:
                lines.append(f"{r['config']:>24} {r['fwd_x_sdpa']:10.2f} {r['numba_fwdbwd_ms']:10.1f} "
                             f"{r['sdpa_fwdbwd_ms']:8.1f} {r['fwdbwd_x_sdpa']:6.2f} {r['numba_fwdbwd_tflops']:6.2f} "
                             f"{r['numba_err']:7.1e} {_fmt(r['numba_peak_mib']):>7} {_fmt(r['sdpa_peak_mib']):>8}")
    print("\n".join(lines))


def _cpu_device(argv):
    """The arguments without ``--device cpu`` (or ``--device=cpu``) if they hold it, else None."""
    for i, a in enumerate(argv):
        if a == "--device=cpu":
            return argv[:i] + argv[i + 1:]
        if a == "--device" and argv[i + 1:i + 2] == ["cpu"]:
            return argv[:i] + argv[i + 2:]
    return None


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["summary"]:
        return summary(argv[1:])
    cpu_argv = _cpu_device(argv)
    if cpu_argv is not None and argv[:1] in (["attention"], ["kernels"]):  # the Numba CPU kernels (kernels/cpu)
        from . import bench_cpu_attention, bench_cpu_roofline
        return (bench_cpu_attention if argv[0] == "attention" else bench_cpu_roofline).main(cpu_argv[1:])
    p = argparse.ArgumentParser(prog="tgg bench", description=__doc__.split("\n")[0])
    p.add_argument("which", choices=["matmul", "attention", "matmul-variants", "attention-variants", "kernels"])
    p.add_argument("--device", default="cuda", choices=["cuda"],
                   help="the CUDA kernels (attention and kernels also take --device cpu: the Numba CPU kernels)")
    p.add_argument("--repeats", type=int, default=10, help="timed runs per kernel (after 2 warm-up runs)")
    p.add_argument("--sizes", type=int, nargs="*", default=[1024, 2048, 4096], help="square matmul sizes")
    p.add_argument("--quick", action="store_true", help="attention: skip N = 16384")
    p.add_argument("--variant", help="matmul: a name of matmul_numba.VARIANTS; attention: of attention_numba.VARIANTS, "
                                      "or 64:NAME,128:NAME per head-dim class (default: the kernels' DEFAULT)")
    p.add_argument("--variants", nargs="*", help="sweeps: time only these variants (default: all of VARIANTS)")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = p.parse_args(argv)
    try:
        _cupy().cuda.runtime.getDeviceCount()
    except Exception as e:
        print(f"tgg bench {args.which}: needs a CUDA GPU with CuPy ({type(e).__name__}: {e})")
        return 1
    if args.which == "matmul-variants":
        rows = sweep_matmul((4096, 4096, 4096), args.repeats, args.json, args.variants)
    elif args.which == "attention-variants":
        rows = sweep_attention([(4, 8, 4096, 64, False), (2, 8, 2048, 128, False)], max(3, args.repeats // 2),
                               args.json, args.variants)
    elif args.which == "matmul":
        shapes = [(s, s, s) for s in args.sizes] + [(1000, 3001, 777), (8, 512, 768, 768)]
        rows = bench_matmul(shapes, args.repeats, args.json, args.variant)
    else:
        configs = [(4, 8, 1024, 64, False), (4, 8, 4096, 64, False), (4, 8, 4096, 64, True), (2, 8, 2048, 128, False)]
        if not args.quick:
            configs.append((4, 8, 16384, 64, True))
        rows = bench_attention(configs, max(3, args.repeats // 2), args.json, args.variant)
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
