"""Training steps of the models under TGG_KERNELS=numba against the plain ops, in float32: the same gradients of
every parameter after the first step, and the same losses step after step (each depends on every earlier
gradient). Weights are not compared after AdamW steps: Adam divides by sqrt(v), so a gradient near 0 turns float32
rounding into a step of +-lr either way."""
import numpy as np
import pytest

pytest.importorskip("numba")

from tinygrad_gen import dispatch  # noqa: E402 (numba first: without it these tests are skipped)
from tinygrad_gen.kernels import cpu  # noqa: E402


def losses_and_grads(module_name, mode, steps=3):
    """The losses of ``steps`` training steps and every parameter's gradient after the first."""
    import importlib
    module = importlib.import_module(f"tinygrad_gen.benchmarks.{module_name}")
    with dispatch.kernels(mode):
        step = module.ours("cpu")
        model = next(c.cell_contents for c in step.__closure__ if hasattr(c.cell_contents, "parameters"))
        losses = [step()]
        grads = [p.grad.numpy().copy() for p in model.parameters() if p.grad is not None]
        losses += [step() for _ in range(steps - 1)]
    return np.array(losses), grads


@pytest.mark.parametrize("module_name", ["step_gpt", "step_bert"])
def test_model_steps_under_the_numba_kernels_match_the_plain_ops(module_name, monkeypatch):
    calls = []
    real = cpu.run
    monkeypatch.setattr(cpu, "run", lambda kernel, size, *a: calls.append(kernel) or real(kernel, size, *a))
    want_losses, want_grads = losses_and_grads(module_name, "reference")
    assert not calls
    got_losses, got_grads = losses_and_grads(module_name, "numba")
    assert len(calls) > 10  # the kernels ran
    np.testing.assert_allclose(got_losses, want_losses, rtol=2e-5)
    assert want_losses[-1] < want_losses[0]  # the steps train
    assert len(got_grads) == len(want_grads) > 5
    for got, want in zip(got_grads, want_grads):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4 * np.abs(want).max())
