"""The CPU kernel benchmarks: flash attention's peak memory is linear in N (the reference's quadratic), the
``--device cpu`` routing of ``tgg bench attention|kernels``, and a tiny run of each writing its JSON."""
import json

import numpy as np
import pytest

pytest.importorskip("numba")
pytest.importorskip("torch")

from tinygrad_gen.benchmarks import bench_cpu_attention as att, bench_kernels  # noqa: E402


def test_flash_attention_peak_memory_grows_linearly_and_the_reference_quadratically():
    flash, reference = [], []
    for n in (256, 512, 1024):
        arrays = att._inputs(1, 2, n, 32, False)
        flash.append(att.peak_bytes(att.ours_flash(*arrays, True)))
        reference.append(att.peak_bytes(att.ours_reference(*arrays, True)))
    assert all(1.7 < b / a < 2.4 for a, b in zip(flash, flash[1:])), flash
    assert all(b / a > 3.0 for a, b in zip(reference, reference[1:])), reference
    assert flash[-1] < reference[-1] / 3


def test_device_cpu_is_routed_to_the_cpu_benchmarks():
    assert bench_kernels._cpu_device(["attention", "--device", "cpu", "--reps", "1"]) == ["attention", "--reps", "1"]
    assert bench_kernels._cpu_device(["kernels", "--device=cpu"]) == ["kernels"]
    assert bench_kernels._cpu_device(["attention", "--device", "cuda"]) is None


def test_attention_benchmark_runs_and_writes_its_rows(tmp_path, capsys):
    out = tmp_path / "att.json"
    assert bench_kernels.main(["attention", "--device", "cpu", "--sizes", "64", "--reps", "1", "--batch", "1",
                               "--heads", "2", "--head-dim", "16", "--threads", "1", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["results"]
    assert [(r["n"], r["mask"]) for r in rows] == [(64, "causal"), (64, "padded")]
    assert all(r["ours_ms"] > 0 and r["torch_ms"] > 0 and r["flash_peak"] > 0 for r in rows)
    assert "causal" in capsys.readouterr().out


def test_roofline_draws_the_roof_and_the_points(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tinygrad_gen.benchmarks import bench_cpu_roofline as roof
    fig, ax = plt.subplots()
    roof.draw(ax, 100.0, 20.0, [("a", 0.5, 8.0), ("b", 50.0, 60.0)], "t")
    xs, ys = ax.lines[0].get_data()
    assert np.allclose(ys, np.minimum(100.0, xs * 20.0))
    assert [t.get_text() for t in ax.texts][-2:] == ["a", "b"]
    plt.close(fig)
