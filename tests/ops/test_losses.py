"""Losses (ops/losses.py): the family's rows, then reductions, ignored targets, weights, label smoothing, soft
targets, stability at logits of 1e4, higher derivatives, argument errors and the fused cross-entropy fast path."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from family_checks import FamilyChecks, leaves, matches_torch, normal_grad
from tinygrad_gen import dispatch
from tinygrad_gen.ops import losses

T = torch.nn.functional
REDUCTIONS = ["mean", "sum", "none"]


class TestLossesRows(FamilyChecks):
    family = losses


# ----- cross-entropy and NLL against PyTorch -----
@st.composite
def class_cases(draw):
    """Logits (N, C), (N, C, d1[, d2]) or (C,) and integer targets, some set to ignore_index -1 (never all)."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    extra = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    if draw(st.booleans()) and not extra:
        return rng.standard_normal(c) * 2, np.array(rng.integers(0, c))
    target = rng.integers(0, c, (n,) + extra)
    ignored = rng.random(target.shape) < 0.3
    ignored.flat[0] = False
    return rng.standard_normal((n, c) + extra) * 2, np.where(ignored, -1, target)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=8)
@given(case=class_cases())
def test_cross_entropy_and_nll_match_pytorch_and_finite_differences(case, reduction):
    logits, target = case
    tt = torch.tensor(target)
    assert tg.gradcheck(lambda x: F.cross_entropy(x, target, ignore_index=-1, reduction=reduction), leaves(logits))
    for dtype in (np.float32, np.float64):
        matches_torch(lambda x: F.cross_entropy(x, target, ignore_index=-1, reduction=reduction),
                      lambda x: T.cross_entropy(x, tt, ignore_index=-1, reduction=reduction), [logits], dtype,
                      grad=normal_grad)
    matches_torch(lambda x: F.nll_loss(F.log_softmax(x, axis=x.ndim > 1), target, ignore_index=-1,
                                       reduction=reduction),
                  lambda x: T.nll_loss(T.log_softmax(x, int(x.ndim > 1)), tt, ignore_index=-1,
                                       reduction=reduction), [logits], grad=normal_grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_with_weight_smoothing_and_ignore_index_matches_pytorch(reduction, smoothing, weighted):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4, 2))  # (N, C, d1): the class axis is 1
    t = np.array([[0, 3], [-100, 1], [2, 2], [1, -100], [3, 0]])
    w = rng.uniform(0.2, 2.0, 4) if weighted else None
    tw = None if w is None else torch.tensor(w)
    matches_torch(
        lambda a: F.cross_entropy(a, t, weight=w, reduction=reduction, label_smoothing=smoothing),
        lambda a: T.cross_entropy(a, torch.tensor(t), weight=tw, reduction=reduction, label_smoothing=smoothing),
        [x], grad=normal_grad)
    matches_torch(lambda a: F.nll_loss(a, t, weight=w, reduction=reduction),
                  lambda a: T.nll_loss(a, torch.tensor(t), weight=tw, reduction=reduction), [x], grad=normal_grad)


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_with_probability_targets_matches_pytorch(smoothing, weighted):
    rng = np.random.default_rng(1)
    logits, p = rng.standard_normal((3, 4)), rng.dirichlet(np.ones(4), 3)
    w = rng.uniform(0.2, 2.0, 4) if weighted else None
    tw = None if w is None else torch.tensor(w)
    matches_torch(lambda x: F.cross_entropy(x, p, weight=w, label_smoothing=smoothing),
                  lambda x: T.cross_entropy(x, torch.tensor(p), weight=tw, label_smoothing=smoothing), [logits],
                  grad=normal_grad)


def test_cross_entropy_default_ignore_index_is_minus_100():
    logits, target = np.random.default_rng(0).standard_normal((3, 4)), np.array([1, -100, 2])
    matches_torch(lambda x: F.cross_entropy(x, target), lambda x: T.cross_entropy(x, torch.tensor(target)),
                  [logits], grad=normal_grad)


@pytest.mark.parametrize("mode", ["reference", "fast"])
def test_cross_entropy_is_finite_at_logits_of_1e4(mode):
    x0 = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], np.float32)
    with dispatch.kernels(mode):
        x = tg.tensor(x0, requires_grad=True)
        loss = F.cross_entropy(x, np.array([1, 2]))
        loss.backward()
        assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
        matches_torch(lambda a: F.cross_entropy(a, np.array([1, 2])),
                      lambda a: T.cross_entropy(a, torch.tensor([1, 2])), [x0], np.float32, grad=normal_grad)


@pytest.mark.parametrize("mode", ["reference", "fast"])
def test_cross_entropy_third_derivative_matches_pytorch(mode):
    rng = np.random.default_rng(3)
    x0, t = rng.standard_normal((4, 5)), np.array([0, 3, 1, 4])
    x, tx = tg.tensor(x0, dtype=tg.float64, requires_grad=True), torch.tensor(x0, requires_grad=True)
    with dispatch.kernels(mode):
        g, = tg.grad(F.cross_entropy(x, t), x, create_graph=True)
        h, = tg.grad((g * g * g).sum(), x, create_graph=True)
        k, = tg.grad((h * h).sum(), x)
    tgr, = torch.autograd.grad(T.cross_entropy(tx, torch.tensor(t)), tx, create_graph=True)
    th, = torch.autograd.grad((tgr * tgr * tgr).sum(), tx, create_graph=True)
    tk, = torch.autograd.grad((th * th).sum(), tx)
    np.testing.assert_allclose(h.numpy(), th.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(k.numpy(), tk.numpy(), rtol=1e-8, atol=1e-12)


# ----- binary cross-entropy, MSE -----
@pytest.mark.parametrize("mode", ["reference", "fast"])
def test_bce_with_logits_is_finite_at_logits_of_1e4(mode):
    x = tg.tensor([1e4, -1e4, 1e4, -1e4], requires_grad=True)
    t = np.array([0.0, 1.0, 1.0, 0.0], np.float32)
    with dispatch.kernels(mode):
        loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [1e4, 1e4, 0, 0])
    np.testing.assert_allclose(x.grad.numpy(), [1, -1, 0, 0])


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_binary_cross_entropy_clamps_its_logs_at_minus_100_like_pytorch(reduction):
    p = np.array([0.0, 1.0, 0.3, 1e-50])
    t = np.array([1.0, 0.0, 0.3, 1.0])
    # PyTorch's clamp 1e-12 of p (1 - p) is a float32 constant: 4e-9 relative off in float64
    matches_torch(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
                  lambda a, b: T.binary_cross_entropy(a, b, reduction=reduction), [p, t],
                  tol=dict(rtol=1e-7, atol=1e-11), grad=normal_grad)


def test_binary_cross_entropy_weight_rescales_each_element_like_pytorch():
    rng = np.random.default_rng(2)
    p, t, w = rng.uniform(0.1, 0.9, (3, 4)), rng.random((3, 4)), rng.uniform(0.5, 2, 4)
    matches_torch(lambda a, b: F.binary_cross_entropy(a, b, weight=w, reduction="sum"),
                  lambda a, b: T.binary_cross_entropy(a, b, weight=torch.tensor(w), reduction="sum"), [p, t],
                  grad=normal_grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_gradient_is_2_d_g_scaled_by_the_reduction(reduction):
    rng = np.random.default_rng(4)
    a0, b0 = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    a, b = tg.tensor(a0, dtype=np.float64, requires_grad=True), tg.tensor(b0, dtype=np.float64, requires_grad=True)
    loss = F.mse_loss(a, b, reduction=reduction)
    g = np.cos(np.arange(loss.numel())).reshape(loss.shape)
    loss.backward(tg.tensor(g, dtype=np.float64))
    want = 2 * (a0 - b0) * (g / a0.size if reduction == "mean" else g)
    np.testing.assert_allclose(a.grad.numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), -want, rtol=1e-12)


# ----- argument errors -----
@pytest.mark.parametrize("call, error, message", [
    (lambda: F.cross_entropy(tg.randn(4, 10), np.zeros((4, 1), np.int64)), ValueError,
     r"cross_entropy: target of shape \(4, 1\) does not fit logits of shape \(4, 10\)"),
    (lambda: F.cross_entropy(tg.randn(2, 10), np.array([1, 10])), ValueError,
     "cross_entropy: target value 10 is out of range for 10 classes"),
    (lambda: F.cross_entropy(tg.randn(2, 10), np.zeros(2)), ValueError, "cross_entropy: probability target"),
    (lambda: F.cross_entropy(tg.randn(2, 3), np.array([0, 1]), reduction="avg"), ValueError,
     "cross_entropy: reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    (lambda: F.cross_entropy(tg.randn(2, 3), np.array([0, 1]), label_smoothing=1.5), ValueError,
     "cross_entropy: label_smoothing must be in"),
    (lambda: F.cross_entropy(tg.randn(2, 3), np.array([0, 1]), weight=np.ones(4)), ValueError,
     r"cross_entropy: weight of shape \(4,\) must have one entry per class \(3"),
    (lambda: F.nll_loss(tg.randn(2, 3), np.array([0.0, 1.0])), TypeError,
     "nll_loss: target must hold integer class indices"),
    (lambda: F.nll_loss(tg.randn(2, 3), np.array([0, 1]), reduction="avg"), ValueError, "nll_loss: reduction"),
    (lambda: F.mse_loss(tg.randn(3), tg.randn(3), reduction="avg"), ValueError, "mse_loss: reduction must be"),
    (lambda: F.mse_loss(tg.randn(3), tg.randn(3, 1)), ValueError, r"mse_loss.*\(3,\).*\(3, 1\)"),
    (lambda: F.binary_cross_entropy_with_logits(tg.randn(3), tg.rand(3, 1)), ValueError,
     r"binary_cross_entropy_with_logits.*\(3, 1\).*\(3,\)"),
    (lambda: F.binary_cross_entropy(tg.tensor([0.5, 1.5]), tg.tensor([1.0, 0.0])), ValueError,
     r"binary_cross_entropy: input must hold probabilities in \[0, 1\]"),
    (lambda: F.binary_cross_entropy(tg.rand(3), tg.rand(3), reduction="avg"), ValueError,
     "binary_cross_entropy: reduction"),
])
def test_bad_arguments_are_errors_naming_the_op_and_values(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----- the fast path against the plain op -----
FAST_TOL = {np.float64: dict(rtol=1e-12, atol=1e-15), np.float32: dict(rtol=1e-5, atol=1e-6)}


def _values_and_grads(x0, target, reduction, double=False):
    x = tg.tensor(x0, dtype=x0.dtype, requires_grad=True)
    loss = F.cross_entropy(x, target, ignore_index=-1, reduction=reduction)
    g = tg.tensor(np.cos(np.arange(loss.numel())).reshape(loss.shape), dtype=x0.dtype)
    dx, = tg.grad((loss * g).sum(), x, create_graph=double)
    if not double:
        return loss.numpy(), dx.numpy()
    ddx, = tg.grad((dx * dx).sum(), x)
    return loss.numpy(), dx.numpy(), ddx.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spread", [1.0, 59.0, 61.0, 1e4])  # one global shift below a spread of 60, row maxes above
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_fast_cross_entropy_matches_the_plain_op(reduction, spread, dtype):
    rng = np.random.default_rng(0)
    x0 = (rng.uniform(-0.5, 0.5, (300, 65)) * spread).astype(dtype)
    target = np.where(rng.random(300) < 0.1, -1, rng.integers(0, 65, 300))
    with dispatch.kernels("reference"):
        want = _values_and_grads(x0, target, reduction, double=reduction == "mean")
    with dispatch.kernels("fast"):
        got = _values_and_grads(x0, target, reduction, double=reduction == "mean")
    for g, w in zip(got, want):
        assert g.dtype == w.dtype == dtype
        np.testing.assert_allclose(g, w, **FAST_TOL[dtype])


# ----- every target ignored, pos_weight, one_hot (issue 25) -----
@pytest.mark.parametrize("kw", [{}, {"weight": np.ones(5)}, {"label_smoothing": 0.1}])
@pytest.mark.parametrize("kernels", ["fast", "reference"])
def test_cross_entropy_with_every_target_ignored_is_nan_with_zero_gradient_as_pytorch(kw, kernels):
    x0 = np.random.default_rng(3).standard_normal((3, 5))
    t0 = np.full(3, -100)
    x, xt = tg.tensor(x0, dtype=np.float64, requires_grad=True), torch.tensor(x0, requires_grad=True)
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    with dispatch.kernels(kernels):
        loss = F.cross_entropy(x, t0, **kw)
        loss.backward()
    lt = T.cross_entropy(xt, torch.from_numpy(t0), **tkw)
    lt.backward()
    assert np.isnan(loss.item()) and torch.isnan(lt).item()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())
    assert not np.isnan(x.grad.numpy()).any()


def test_nll_loss_with_every_target_ignored_is_nan_with_zero_gradient_as_pytorch():
    x = tg.tensor(np.zeros((2, 3)), dtype=np.float64, requires_grad=True)
    loss = F.nll_loss(x, [-100, -100])
    loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


def test_bce_with_logits_pos_weight_is_pytorchs_and_stable():
    x0 = np.array([[-1e4, -2.0, 0.0, 3.0], [1e4, 0.5, -0.5, 20.0]], np.float32)
    t0 = np.array([[1.0, 0.0, 1.0, 0.3], [0.0, 1.0, 1.0, 0.7]], np.float32)
    q0 = np.array([3.0, 0.5, 1.0, 2.0], np.float32)
    x, xt = tg.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, t0, pos_weight=q0, reduction="sum")
    lt = T.binary_cross_entropy_with_logits(xt, torch.tensor(t0), pos_weight=torch.tensor(q0), reduction="sum")
    loss.backward()
    lt.backward()
    np.testing.assert_allclose(loss.item(), lt.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_bce_with_logits_weights_are_checked():
    x = tg.zeros(2, 3)
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2,\) does not broadcast to logits of shape \(2, 3\)"):
        F.binary_cross_entropy_with_logits(x, tg.ones(2, 3), pos_weight=[1.0, 2.0])
    with pytest.raises(RuntimeError, match="not differentiable with respect to weight"):
        F.binary_cross_entropy_with_logits(x, tg.ones(2, 3), weight=tg.ones(3, requires_grad=True))
    # PyTorch's positional order: weight third
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, tg.ones(2, 3), tg.full((3,), 2.0)).item(),
                               2 * np.log(2), rtol=1e-6)


def test_one_hot_is_pytorchs():
    idx = np.array([[0, 2], [1, 4]])
    for n in (-1, 6):
        got = F.one_hot(tg.tensor(idx), num_classes=n)
        want = T.one_hot(torch.from_numpy(idx), num_classes=n)
        assert got.dtype == np.int64 and got.shape == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert F.one_hot(tg.tensor(np.zeros(0, np.int64)), 3).shape == (0, 3)
    assert F.one_hot([2, 0]).tolist() == [[0, 0, 1], [1, 0, 0]]


def test_one_hot_bad_input_is_refused():
    with pytest.raises(ValueError, match="smaller than num_classes=3"):
        F.one_hot(tg.tensor([0, 3]), 3)
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(tg.tensor([-1, 1]))
    with pytest.raises(TypeError, match="integer class indices"):
        F.one_hot(tg.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="empty"):
        F.one_hot(tg.tensor(np.zeros(0, np.int64)))


# ---- PyTorch's signatures: reduction values, legacy flags, integer inputs ----------------------------------------
_LOSS_CALLS = {
    "mse_loss": lambda F, x, red, **kw: F.mse_loss(x, x * 0.5, reduction=red, **kw),
    "l1_loss": lambda F, x, red, **kw: F.l1_loss(x, x * 0.5, reduction=red, **kw),
    "cross_entropy": lambda F, x, red, **kw: F.cross_entropy(x, _targets(x), reduction=red, **kw),
    "nll_loss": lambda F, x, red, **kw: F.nll_loss(x, _targets(x), reduction=red, **kw),
    "binary_cross_entropy": lambda F, x, red, **kw: F.binary_cross_entropy(x.sigmoid(), x.sigmoid() * 0 + 0.5,
                                                                           reduction=red, **kw),
    "binary_cross_entropy_with_logits": lambda F, x, red, **kw: F.binary_cross_entropy_with_logits(
        x, x * 0 + 0.5, reduction=red, **kw),
}
_TARGETS3 = np.array([1, 0, 3])


def _targets(x):
    """The class targets as the library of ``x`` takes them (PyTorch wants a tensor)."""
    return tg.tensor(_TARGETS3) if isinstance(x, tg.Tensor) else __import__("torch").from_numpy(_TARGETS3)


@pytest.mark.parametrize("loss", sorted(_LOSS_CALLS))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_every_loss_takes_pytorchs_reductions_with_pytorchs_values(loss, reduction):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((3, 5))
    ours = _LOSS_CALLS[loss](F, tg.tensor(x, dtype=np.float64), reduction)
    want = _LOSS_CALLS[loss](torch.nn.functional, torch.tensor(x), reduction)
    np.testing.assert_allclose(ours.numpy(), want.numpy(), rtol=1e-10)


@pytest.mark.parametrize("loss", sorted(_LOSS_CALLS))
def test_every_loss_refuses_a_bad_reduction_naming_it(loss):
    with pytest.raises(ValueError, match=f"{loss}: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        _LOSS_CALLS[loss](F, tg.randn(3, 5), "avg")


@pytest.mark.parametrize("loss", sorted(_LOSS_CALLS))
@pytest.mark.parametrize("flags, reduction", [({"size_average": False}, "sum"), ({"reduce": False}, "none"),
                                              ({"size_average": True, "reduce": True}, "mean")])
def test_the_deprecated_size_average_and_reduce_set_the_reduction_with_pytorchs_warning(loss, flags, reduction):
    x = tg.randn(3, 5, dtype=np.float64)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        legacy = _LOSS_CALLS[loss](F, x, "mean", **flags)
    np.testing.assert_allclose(legacy.numpy(), _LOSS_CALLS[loss](F, x, reduction).numpy())


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "cross_entropy", "nll_loss"])
def test_an_integer_input_is_refused_naming_the_op_and_the_dtype(loss):
    x = tg.tensor(np.arange(15).reshape(3, 5))
    with pytest.raises(RuntimeError, match=rf"{loss}: expected a floating-point input.*int64.*'Long'"):
        _LOSS_CALLS[loss](F, x, "mean")


def test_cross_entropy_of_integer_logits_is_refused_as_pytorch_refuses_it():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="Long"):
        torch.nn.functional.cross_entropy(torch.tensor([[1, 2]]), torch.tensor([0]))
    with pytest.raises(RuntimeError, match="cross_entropy: expected a floating-point input"):
        F.cross_entropy(tg.tensor([[1, 2]]), [0])


def test_mse_and_l1_weights_must_have_the_inputs_size():
    x = tg.randn(2, 3)
    for fn in (F.mse_loss, F.l1_loss):
        with pytest.raises(ValueError, match="weights and input must have the same size"):
            fn(x, x * 2, weight=tg.ones(3))


def test_l1_loss_matches_the_l1loss_module_and_pytorch_keywords():
    torch = pytest.importorskip("torch")
    a, b = np.random.default_rng(2).standard_normal((2, 4, 3))
    ours = F.l1_loss(input=tg.tensor(a), target=tg.tensor(b))
    np.testing.assert_allclose(ours.item(), torch.nn.functional.l1_loss(torch.tensor(a), torch.tensor(b)).item(),
                               rtol=1e-6)
    np.testing.assert_allclose(tg.nn.L1Loss(reduction="sum")(tg.tensor(a), tg.tensor(b)).item(),
                               np.abs(a - b).sum(), rtol=1e-6)
