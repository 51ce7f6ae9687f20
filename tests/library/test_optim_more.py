"""RMSprop, ReduceLROnPlateau and OneCycleLR, step by step against PyTorch's."""
import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from tinygrad_gen import optim
from tinygrad_gen.optim import lr_scheduler


def _quadratic_runs(make_ours, make_theirs, steps=20):
    """Minimise sum((w x)^2 ... ) style losses with both optimizers from the same start; return the weights."""
    rng = np.random.default_rng(0)
    w0, x0 = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((5, 4)).astype(np.float32)
    w, wt = tg.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    x, xt = tg.tensor(x0), torch.tensor(x0)
    ours, theirs = make_ours([w]), make_theirs([wt])
    for _ in range(steps):
        ours.zero_grad()
        theirs.zero_grad()
        ((x @ w).tanh() ** 2).sum().backward()
        ((xt @ wt).tanh() ** 2).sum().backward()
        ours.step()
        theirs.step()
        np.testing.assert_allclose(w.numpy(), wt.detach().numpy(), rtol=2e-5, atol=2e-6)
    return ours, theirs


RMSPROP = {
    "defaults": {},
    "momentum": dict(momentum=0.9, lr=3e-3),
    "centered": dict(centered=True, alpha=0.9),
    "all": dict(lr=5e-3, alpha=0.95, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True),
}


@pytest.mark.parametrize("name", sorted(RMSPROP))
def test_rmsprop_matches_torch_for_20_steps(name):
    kw = RMSPROP[name]
    ours, theirs = _quadratic_runs(lambda p: optim.RMSprop(p, **kw), lambda p: torch.optim.RMSprop(p, **kw))
    mine, torch_state = ours.state_dict()["state"][0], theirs.state_dict()["state"][0]
    np.testing.assert_allclose(mine["square_avg"], torch_state["square_avg"].numpy(), rtol=2e-5, atol=1e-7)


def test_rmsprop_defaults_and_bad_options_are_pytorchs():
    import inspect
    ours = inspect.signature(optim.RMSprop).parameters
    for k in ("lr", "alpha", "eps", "weight_decay", "momentum", "centered"):
        assert ours[k].default == inspect.signature(torch.optim.RMSprop).parameters[k].default
    for bad in (dict(lr=-1), dict(alpha=-0.1), dict(eps=-1), dict(momentum=-1), dict(weight_decay=-1)):
        with pytest.raises(ValueError, match="RMSprop: invalid"):
            optim.RMSprop([tg.zeros(2, requires_grad=True)], **bad)


def test_rmsprop_state_dict_resumes_bit_for_bit():
    def run(resume_at=None):
        w = tg.tensor(np.arange(4, dtype=np.float32), requires_grad=True)
        opt = optim.RMSprop([w], momentum=0.9, centered=True)
        for i in range(6):
            if i == resume_at:
                saved = opt.state_dict()
                opt = optim.RMSprop([w], momentum=0.9, centered=True)
                opt.load_state_dict(saved)
            opt.zero_grad()
            (w * w).sum().backward()
            opt.step()
        return w.numpy()
    np.testing.assert_array_equal(run(), run(resume_at=3))


# ----- ReduceLROnPlateau -----
METRICS = [1.0, 0.9, 0.9, 0.95, 0.91, 0.9, 0.89999, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.7, 0.69, 0.6, 0.61,
           0.62, 0.63, 0.64, 0.65, 0.66, 0.67, 0.68]
PLATEAU = {
    "defaults": dict(patience=2),
    "max_abs": dict(mode="max", threshold_mode="abs", threshold=0.01, patience=1, factor=0.5),
    "cooldown_min_lr": dict(patience=1, cooldown=2, min_lr=[0.02, 0.001], factor=0.3),
    "abs_eps": dict(threshold_mode="abs", threshold=0.05, patience=0, eps=1e-3, min_lr=0.009),
}


@pytest.mark.parametrize("name", sorted(PLATEAU))
def test_reduce_lr_on_plateau_matches_torch_step_by_step(name):
    kw = PLATEAU[name]
    o = optim.SGD([{"params": [tg.zeros(1, requires_grad=True)]},
                   {"params": [tg.zeros(1, requires_grad=True)], "lr": 0.03}], lr=0.1)
    t = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                         {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.03}], lr=0.1)
    ours, theirs = lr_scheduler.ReduceLROnPlateau(o, **kw), torch.optim.lr_scheduler.ReduceLROnPlateau(t, **kw)
    for m in METRICS:
        ours.step(tg.tensor(m, dtype=np.float64) if m < 0.8 else m)  # a one-element Tensor too
        theirs.step(m)
        assert [g["lr"] for g in o.param_groups] == pytest.approx([g["lr"] for g in t.param_groups], rel=1e-12)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
        assert (ours.num_bad_epochs, ours.cooldown_counter, ours.best) == \
            (theirs.num_bad_epochs, theirs.cooldown_counter, theirs.best)


def test_reduce_lr_on_plateau_bad_arguments_are_errors():
    o = optim.SGD([tg.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="factor must be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(o, factor=1.0)
    with pytest.raises(ValueError, match="mode must be"):
        lr_scheduler.ReduceLROnPlateau(o, mode="lowest")
    with pytest.raises(ValueError, match="threshold_mode"):
        lr_scheduler.ReduceLROnPlateau(o, threshold_mode="relative")
    with pytest.raises(ValueError, match="2 min_lrs for 1 parameter groups"):
        lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1, 0.2])


# ----- OneCycleLR -----
ONECYCLE = {
    "cos_sgd": ("sgd", dict(max_lr=[1.0, 0.5], total_steps=30)),
    "linear_three_phase": ("sgd", dict(max_lr=0.8, epochs=4, steps_per_epoch=7, anneal_strategy="linear",
                                       three_phase=True, pct_start=0.25)),
    "adam_beta1": ("adam", dict(max_lr=0.01, total_steps=25, div_factor=10.0, final_div_factor=100.0,
                                base_momentum=0.8, max_momentum=0.9)),
    "no_momentum_cycling": ("adam", dict(max_lr=0.01, total_steps=20, cycle_momentum=False, pct_start=0.5)),
}


def _optimizers(kind):
    if kind == "sgd":
        return (optim.SGD([{"params": [tg.zeros(1, requires_grad=True)]},
                           {"params": [tg.zeros(1, requires_grad=True)], "lr": 0.03}], lr=0.1, momentum=0.9),
                torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                                 {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.03}], lr=0.1,
                                momentum=0.9))
    return (optim.Adam([tg.zeros(1, requires_grad=True)], lr=0.1),
            torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=0.1))


@pytest.mark.parametrize("name", sorted(ONECYCLE))
def test_one_cycle_matches_torch_step_by_step(name):
    kind, kw = ONECYCLE[name]
    o, t = _optimizers(kind)
    ours, theirs = lr_scheduler.OneCycleLR(o, **kw), torch.optim.lr_scheduler.OneCycleLR(t, **kw)
    total = kw.get("total_steps") or kw["epochs"] * kw["steps_per_epoch"]
    key = "momentum" if kind == "sgd" else "betas"
    for _ in range(total):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, atol=1e-15)
        for go, gt in zip(o.param_groups, t.param_groups):
            assert go["lr"] == pytest.approx(gt["lr"], rel=1e-12, abs=1e-15)
            assert np.allclose(go[key], gt[key], rtol=1e-12)
        o.step()
        t.step()
        ours.step()
        theirs.step()
    with pytest.raises(ValueError, match="total_steps"):
        ours.step()


def test_one_cycle_cycles_sgd_momentum_into_the_update():
    w = tg.tensor([1.0, -2.0], requires_grad=True)
    wt = torch.tensor([1.0, -2.0], requires_grad=True)
    o, t = optim.SGD([w], lr=0.1, momentum=0.9), torch.optim.SGD([wt], lr=0.1, momentum=0.9)
    ours, theirs = lr_scheduler.OneCycleLR(o, 0.05, total_steps=12), torch.optim.lr_scheduler.OneCycleLR(t, 0.05,
                                                                                                       total_steps=12)
    for _ in range(12):
        o.zero_grad()
        t.zero_grad()
        (w ** 2).sum().backward()
        (wt ** 2).sum().backward()
        o.step()
        t.step()
        ours.step()
        theirs.step()
    assert np.isfinite(w.numpy()).all()
    np.testing.assert_allclose(w.numpy(), wt.detach().numpy(), rtol=1e-5)


def test_one_cycle_bad_arguments_are_errors():
    o = optim.SGD([tg.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="give total_steps, or epochs and steps_per_epoch"):
        lr_scheduler.OneCycleLR(o, 1.0)
    with pytest.raises(ValueError, match="positive integer total_steps"):
        lr_scheduler.OneCycleLR(o, 1.0, total_steps=0)
    with pytest.raises(ValueError, match="pct_start"):
        lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="anneal_strategy"):
        lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ValueError, match="max_lr has 2 values for 1 parameter groups"):
        lr_scheduler.OneCycleLR(o, [1.0, 2.0], total_steps=10)
