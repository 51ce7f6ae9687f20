"""Optimizers and gradient clipping: the same parameters and gradients through ours and PyTorch's, step by step."""
import math

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from tinygrad_gen import nn, optim

SHAPES = [(4, 3), (3,), (2, 2, 2)]
STEPS = 50


def make_params(seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    return [tg.tensor(a, requires_grad=True) for a in arrays], [torch.tensor(a, requires_grad=True) for a in arrays]


def gradients(step, seed=1):
    """The gradient each parameter gets at ``step``: noise of a size that changes over time (so Adam's moments move)."""
    rng = np.random.default_rng([seed, step])
    return [(rng.standard_normal(s) * (1 + step % 7)).astype(np.float32) for s in SHAPES]


def run_both(make_ours, make_theirs, steps=STEPS, groups=None):
    ours_p, theirs_p = make_params()
    if groups:
        ours_opt = make_ours([dict(g, params=[ours_p[i] for i in g["params"]]) for g in groups])
        theirs_opt = make_theirs([dict(g, params=[theirs_p[i] for i in g["params"]]) for g in groups])
    else:
        ours_opt, theirs_opt = make_ours(ours_p), make_theirs(theirs_p)
    for t in range(steps):
        for p, q, g in zip(ours_p, theirs_p, gradients(t)):
            p.grad = tg.tensor(g)
            q.grad = torch.from_numpy(g.copy())
        ours_opt.step()
        theirs_opt.step()
        for p, q in zip(ours_p, theirs_p):
            np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=2e-6, atol=2e-6,
                                       err_msg=f"step {t}")
    return ours_p, ours_opt


CONFIGS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, weight_decay=0.1)),
    ("SGD", dict(lr=0.02, momentum=0.9)),
    ("SGD", dict(lr=0.02, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.02, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.05)),
    ("SGD", dict(lr=0.02, momentum=0.5, dampening=0.5, weight_decay=0.01)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, betas=(0.9, 0.95))),
    ("AdamW", dict(lr=0.01, weight_decay=0.0)),
]


@pytest.mark.parametrize("name, options", CONFIGS, ids=[f"{n}-{o}" for n, o in CONFIGS])
def test_optimizer_follows_torch_for_50_steps(name, options):
    run_both(lambda p: getattr(optim, name)(p, **options), lambda p: getattr(torch.optim, name)(p, **options))


@pytest.mark.parametrize("name, defaults, groups", [
    ("SGD", dict(lr=0.1), [dict(params=[0], momentum=0.9), dict(params=[1, 2], lr=0.01, weight_decay=0.2)]),
    ("AdamW", dict(lr=0.01), [dict(params=[0, 2], weight_decay=0.1), dict(params=[1], weight_decay=0.0, lr=0.05)]),
    ("Adam", dict(), [dict(params=[2]), dict(params=[0, 1], betas=(0.5, 0.9))]),
])
def test_parameter_groups_follow_torch_with_their_own_options(name, defaults, groups):
    _, opt = run_both(lambda g: getattr(optim, name)(g, **defaults),
                      lambda g: getattr(torch.optim, name)(g, **defaults), groups=groups)
    assert opt.param_groups[1]["lr"] == groups[1].get("lr", defaults.get("lr", 1e-3))


def test_adam_first_step_moves_each_weight_by_lr_against_the_gradient_sign():
    # closed form: after one step m_hat = g and v_hat = g^2, so the update is lr * g / (|g| + eps) ~ lr * sign(g)
    p = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    p.grad = tg.tensor([0.5, -4.0, 0.01])
    optim.Adam([p], lr=0.1).step()
    np.testing.assert_allclose(p.numpy(), [0.9, -1.9, 2.9], rtol=1e-6)


def test_adamw_decay_is_decoupled_from_the_adaptive_scaling():
    # with a zero gradient Adam's moments stay 0, so only the decoupled decay moves p: p * (1 - lr * wd)
    p = tg.tensor([2.0, -4.0], requires_grad=True)
    p.grad = tg.zeros(2)
    optim.AdamW([p], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(p.numpy(), [2.0 * 0.95, -4.0 * 0.95], rtol=1e-6)


def test_state_dict_resume_continues_bit_for_bit():
    ours_p, _ = make_params()
    opt = optim.AdamW(ours_p, lr=0.01)
    copy_p, _ = make_params()
    for t in range(STEPS):
        if t == 20:  # "restart": fresh parameters and optimizer loaded from snapshots of the old ones
            resumed = [tg.tensor(p.numpy().copy(), requires_grad=True) for p in ours_p]
            opt2 = optim.AdamW(resumed, lr=0.5)
            opt2.load_state_dict(opt.state_dict())
        for p, g in zip(ours_p, gradients(t)):
            p.grad = tg.tensor(g)
        opt.step()
        if t >= 20:
            for p, g in zip(resumed, gradients(t)):
                p.grad = tg.tensor(g)
            opt2.step()
    assert opt2.param_groups[0]["lr"] == 0.01
    for a, b in zip(ours_p, resumed):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_state_dict_has_torch_layout_and_is_a_snapshot():
    ps, tps = make_params()
    opt, topt = optim.SGD(ps, lr=0.1, momentum=0.9), torch.optim.SGD(tps, lr=0.1, momentum=0.9)
    for p, q, g in zip(ps, tps, gradients(0)):
        p.grad, q.grad = tg.tensor(g), torch.from_numpy(g)
    opt.step()
    topt.step()
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sorted(sd["state"]) == sorted(tsd["state"]) == [0, 1, 2]
    assert set(sd["state"][0]) == set(tsd["state"][0])
    assert sd["param_groups"][0]["params"] == tsd["param_groups"][0]["params"]
    buf = sd["state"][0]["momentum_buffer"].copy()
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"], buf)


def test_load_state_dict_accepts_string_keys_and_tensors_as_a_checkpoint_gives_them():
    ps, _ = make_params()
    opt = optim.Adam(ps)
    for p, g in zip(ps, gradients(0)):
        p.grad = tg.tensor(g)
    opt.step()
    sd = opt.state_dict()
    restored = {"state": {str(i): {k: tg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in s.items()}
                          for i, s in sd["state"].items()},
                "param_groups": [dict(g, betas=list(g["betas"])) for g in sd["param_groups"]]}
    opt2 = optim.Adam(make_params()[0])
    opt2.load_state_dict(restored)
    assert opt2.state_dict()["param_groups"] == sd["param_groups"]
    for i in range(3):
        np.testing.assert_array_equal(opt2.state_dict()["state"][i]["exp_avg"], sd["state"][i]["exp_avg"])


def test_load_state_dict_with_mis_shaped_state_names_it_and_changes_nothing():
    ps, _ = make_params()
    opt = optim.SGD(ps, lr=0.1, momentum=0.9)
    for p, g in zip(ps, gradients(0)):
        p.grad = tg.tensor(g)
    opt.step()
    sd = opt.state_dict()
    sd["state"][1]["momentum_buffer"] = np.zeros(5, np.float32)
    sd["param_groups"][0]["lr"] = 123.0
    with pytest.raises(ValueError, match=r"momentum_buffer.*parameter 1.*\(5,\).*\(3,\)"):
        opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.1


def test_load_state_dict_rejects_a_different_group_layout():
    ps, _ = make_params()
    sd = optim.SGD(ps, lr=0.1).state_dict()
    with pytest.raises(ValueError, match="1 parameter groups, this optimizer has 2"):
        optim.SGD([{"params": ps[:1]}, {"params": ps[1:]}], lr=0.1).load_state_dict(sd)


def test_parameters_without_gradient_are_left_alone():
    a, b = tg.ones(2, requires_grad=True), tg.ones(2, requires_grad=True)
    a.grad = tg.ones(2)
    optim.Adam([a, b], lr=0.1).step()
    assert np.all(a.numpy() < 1) and np.all(b.numpy() == 1)


def test_zero_grad_clears_gradients():
    ps, _ = make_params()
    for p in ps:
        p.grad = tg.ones(*p.shape)
    opt = optim.SGD(ps, lr=0.1)
    opt.zero_grad()
    assert all(p.grad is None for p in ps)


@pytest.mark.parametrize("make, match", [
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov"),
    (lambda p: optim.SGD(p, lr=-1.0), "learning rate"),
    (lambda p: optim.SGD(p), "required option 'lr'"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "betas"),
    (lambda p: optim.SGD(p + p[:1], lr=0.1), "more than once"),
    (lambda p: optim.Adam([]), "empty parameter list"),
])
def test_bad_options_raise_value_error_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make(make_params()[0])


def test_non_leaf_and_non_tensor_parameters_are_rejected():
    x = tg.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([x * 2], lr=0.1)
    with pytest.raises(TypeError, match="ndarray"):
        optim.SGD([np.ones(2)], lr=0.1)


def test_training_a_linear_regression_with_adam_reaches_the_least_squares_fit():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3
    model = nn.Linear(3, 1)
    opt = optim.Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        loss = ((model(tg.tensor(x)) - tg.tensor(y)) ** 2).mean()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(model.weight.numpy().ravel(), [1.0, -2.0, 0.5], atol=1e-2)
    np.testing.assert_allclose(model.bias.numpy(), [0.3], atol=1e-2)


# ----- clip_grad_norm_ -----
@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, math.inf)])
def test_clip_grad_norm_matches_torch_norm_and_clipped_gradients(max_norm, norm_type):
    ps, tps = make_params()
    for p, q, g in zip(ps, tps, gradients(3)):
        p.grad, q.grad = tg.tensor(g), torch.from_numpy(g.copy())
    total = optim.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type=norm_type)
    np.testing.assert_allclose(float(total), float(ttotal), rtol=1e-6)
    for p, q in zip(ps, tps):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_returns_norm_before_clipping_and_caps_it_at_max_norm():
    p = tg.zeros(2, requires_grad=True)
    p.grad = tg.tensor([3.0, 4.0])
    assert float(optim.clip_grad_norm_([p], 1.0)) == pytest.approx(5.0)
    assert np.linalg.norm(p.grad.numpy()) == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_scales_a_gradient_shared_by_two_leaves_once():
    a, b = tg.ones(2, requires_grad=True), tg.ones(2, requires_grad=True)
    (a + b).sum().backward()  # both leaves may hold the very same gradient array
    optim.clip_grad_norm_([a, b], 1.0)
    expected = 1 / (2 + 1e-6)  # total norm 2, so every entry 1 becomes 1 / 2
    np.testing.assert_allclose(a.grad.numpy(), [expected] * 2, rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), [expected] * 2, rtol=1e-5)


def test_clip_grad_norm_error_if_nonfinite_raises_before_touching_gradients():
    p = tg.zeros(2, requires_grad=True)
    p.grad = tg.tensor([np.nan, 1.0])
    with pytest.raises(RuntimeError, match="nan"):
        optim.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert p.grad.numpy()[1] == 1.0
    assert math.isnan(float(optim.clip_grad_norm_([p], 1.0)))  # without the flag: reported, like torch
