"""Learning-rate schedules, point by point against PyTorch's (and the warm-up-cosine against its closed form)."""
import math

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from tinygrad_gen import optim
from tinygrad_gen.optim import lr_scheduler

STEPS = 60


def two_group_optimizers():
    ours = optim.SGD([{"params": [tg.zeros(1, requires_grad=True)]},
                      {"params": [tg.zeros(1, requires_grad=True)], "lr": 0.03}], lr=0.1)
    theirs = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                              {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.03}], lr=0.1)
    return ours, theirs


def schedules(make_ours, make_theirs, steps=STEPS):
    o_opt, t_opt = two_group_optimizers()
    ours, theirs = make_ours(o_opt), make_theirs(t_opt)
    got, want = [], []
    for _ in range(steps):
        got.append(ours.get_last_lr() + [g["lr"] for g in o_opt.param_groups])
        want.append(theirs.get_last_lr() + [g["lr"] for g in t_opt.param_groups])
        o_opt.step()
        t_opt.step()
        ours.step()
        theirs.step()
    return np.array(got), np.array(want)


CASES = {
    "lambda": (lambda o: lr_scheduler.LambdaLR(o, lambda t: 0.95 ** t),
               lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: 0.95 ** t)),
    "lambda_per_group": (lambda o: lr_scheduler.LambdaLR(o, [lambda t: 1 / (t + 1), lambda t: t % 3]),
                         lambda o: torch.optim.lr_scheduler.LambdaLR(o, [lambda t: 1 / (t + 1), lambda t: t % 3])),
    "step": (lambda o: lr_scheduler.StepLR(o, step_size=7, gamma=0.5),
             lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5)),
    "cosine_past_T_max": (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=25, eta_min=0.001),
                          lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=25, eta_min=0.001)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_schedule_matches_torch_point_by_point(name):
    got, want = schedules(*CASES[name])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_warmup_cosine_matches_torch_linear_then_cosine_sequence():
    warmup, total = 10, 50

    def theirs(o):
        linear = torch.optim.lr_scheduler.LinearLR(o, start_factor=1 / warmup, end_factor=1.0,
                                                   total_iters=warmup - 1)
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=total - warmup, eta_min=0.0)
        return torch.optim.lr_scheduler.SequentialLR(o, [linear, cosine], milestones=[warmup])

    got, want = schedules(lambda o: lr_scheduler.WarmupCosineLR(o, warmup, total, min_lr_ratio=0.0), theirs,
                          steps=total + 1)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_warmup_cosine_closed_form_with_floor():
    opt = optim.AdamW([tg.zeros(1, requires_grad=True)], lr=6e-4)
    sched = lr_scheduler.WarmupCosineLR(opt, warmup_steps=4, total_steps=20, min_lr_ratio=0.1)
    lrs = []
    for _ in range(30):
        lrs.append(opt.param_groups[0]["lr"])
        sched.step()
    base, floor = 6e-4, 6e-5
    expected = [base * (t + 1) / 4 if t < 4 else
                floor + (base - floor) * 0.5 * (1 + math.cos(math.pi * (t - 4) / 16)) if t < 20 else floor
                for t in range(30)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    assert lrs[3] == pytest.approx(base) and lrs[20] == pytest.approx(floor)


def test_scheduler_state_dict_resumes_the_same_rates():
    opt = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.WarmupCosineLR(opt, 5, 40)
    for _ in range(12):
        sched.step()
    state = sched.state_dict()
    opt2 = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    sched2 = lr_scheduler.WarmupCosineLR(opt2, 5, 40)
    sched2.load_state_dict(state)
    for _ in range(10):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_lambda_scheduler_state_dict_leaves_out_the_function():
    opt = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    state = lr_scheduler.LambdaLR(opt, lambda t: 0.5).state_dict()
    assert "lr_lambdas" not in state and state["last_epoch"] == 0 and state["base_lrs"] == [1.0]


@pytest.mark.parametrize("make, match", [
    (lambda o: lr_scheduler.WarmupCosineLR(o, 10, 5), "warmup_steps"),
    (lambda o: lr_scheduler.WarmupCosineLR(o, 1, 5, min_lr_ratio=2.0), "min_lr_ratio"),
    (lambda o: lr_scheduler.StepLR(o, 0), "step_size"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, 0), "T_max"),
    (lambda o: lr_scheduler.LambdaLR(o, [lambda t: 1, lambda t: 1]), "2 lr_lambdas for 1"),
])
def test_bad_schedule_arguments_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make(optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0))
