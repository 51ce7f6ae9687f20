"""tgg train scaling: a short sweep writes the sizes, the power-law fit and the three figures."""
import json

import numpy as np

from run_helpers import logged, train_run


def test_quick_scaling_writes_sizes_fit_and_figures(tmp_path_factory):
    out = train_run(tmp_path_factory, "scaling", "--quick", "--steps", "6", "--evals", "2", "--bootstrap", "20")
    m = json.loads((out / "metrics.json").read_text())
    assert len(m["sizes"]) == 6
    for s in m["sizes"]:
        assert s["tokens"] == 6 * 16 * 32 and s["compute"] == 6 * s["n_params"] * s["tokens"]
        assert np.isfinite(s["val_loss"])
    n = np.array([s["n_params"] for s in m["sizes"]], float)
    assert np.all(np.diff(n) > 0) and n.max() / n.min() > 20
    fit = m["fit"]
    assert set(fit) == {"E", "A", "alpha", "r2", "alpha_ci"}
    loss = np.array([s["val_loss"] for s in m["sizes"]])   # the stated R^2 is that of the stated curve
    pred = fit["E"] + fit["A"] * n ** -fit["alpha"]
    assert np.isclose(fit["r2"], 1 - ((loss - pred) ** 2).sum() / ((loss - loss.mean()) ** 2).sum())
    assert fit["alpha_ci"][0] <= fit["alpha_ci"][1]
    for name in ("scaling_params.png", "scaling_tokens.png", "scaling_compute.png"):
        assert (out / name).stat().st_size > 0
    assert logged(out, "step") == [3.0, 6.0] * 6   # held-out loss twice per size
