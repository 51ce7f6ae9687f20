"""The nn modules PyTorch users port: Flatten/Unflatten/Identity, MaxPool2d/AvgPool2d, the loss modules, ModuleDict
and nn.init, each against its torch twin (values and gradients through the module; init by its statistics)."""
import math

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from tinygrad_gen import nn

RNG = np.random.default_rng(0)


def leaf(a):
    t = tg.Tensor(np.array(a))
    t.requires_grad_()
    return t


def tleaf(a):
    return torch.tensor(np.array(a), requires_grad=True)


def both(ours, theirs, inputs, consts=(), rtol=1e-5, atol=1e-6):
    """Run the module on leaves made from ``inputs`` (and constants ``consts``) both ways; compare outputs and
    the gradients of sum(out * cotangent)."""
    xs, txs = [leaf(a) for a in inputs], [tleaf(a) for a in inputs]
    cs = [tg.Tensor(np.array(c)) for c in consts]
    tcs = [torch.tensor(np.array(c)) for c in consts]
    out, tout = ours(*xs, *cs), theirs(*txs, *tcs)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=rtol, atol=atol)
    cot = RNG.standard_normal(tout.shape).astype(np.array(inputs[0]).dtype)
    (out * tg.Tensor(cot)).sum().backward()
    (tout * torch.tensor(cot)).sum().backward()
    for x, tx in zip(xs, txs):
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=atol)
    return out


# ----- shape modules -----

@pytest.mark.parametrize("args", [(), (0,), (1, 2), (-3, -2), (2, -1), (0, -1)])
def test_flatten_matches_torch(args):
    x = RNG.standard_normal((2, 3, 4, 5))
    out = both(nn.Flatten(*args), torch.nn.Flatten(*args), [x])
    assert out.shape == torch.nn.Flatten(*args)(torch.tensor(x)).shape
    assert repr(nn.Flatten(*args)) == repr(torch.nn.Flatten(*args))


def test_flatten_refuses_bad_dims():
    with pytest.raises(IndexError, match="Flatten"):
        nn.Flatten(4)(tg.Tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="Flatten"):
        nn.Flatten(2, 1)(tg.Tensor(np.zeros((2, 3, 4))))


@pytest.mark.parametrize("dim,sizes", [(1, (3, 4)), (-2, [2, -1]), (0, (2, 1)), (2, (5,))])
def test_unflatten_matches_torch(dim, sizes):
    x = RNG.standard_normal((2, 12, 5))
    if dim == 2:
        x = RNG.standard_normal((2, 3, 5))
    out = both(nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes), [x])
    assert out.shape == torch.nn.Unflatten(dim, sizes)(torch.tensor(x)).shape
    assert repr(nn.Unflatten(dim, sizes)) == repr(torch.nn.Unflatten(dim, sizes))


def test_unflatten_refuses_sizes_that_do_not_fill_the_dim():
    with pytest.raises(ValueError, match="Unflatten"):
        nn.Unflatten(1, (5, 3))(tg.Tensor(np.zeros((2, 12))))
    with pytest.raises(TypeError, match="Unflatten"):
        nn.Unflatten(1, 12)


def test_identity_returns_its_input_and_ignores_arguments():
    x = leaf(RNG.standard_normal((3, 2)))
    m = nn.Identity(54, unused="argument")
    assert m(x) is x
    assert repr(m) == repr(torch.nn.Identity(54, unused="argument")) == "Identity()"
    assert list(m.parameters()) == []


# ----- pooling -----

POOLS = [
    (lambda: nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2)),
    (lambda: nn.MaxPool2d(3, stride=2, padding=1), lambda: torch.nn.MaxPool2d(3, stride=2, padding=1)),
    (lambda: nn.MaxPool2d((2, 3), stride=(1, 2), dilation=(1, 2), ceil_mode=True),
     lambda: torch.nn.MaxPool2d((2, 3), stride=(1, 2), dilation=(1, 2), ceil_mode=True)),
    (lambda: nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2)),
    (lambda: nn.AvgPool2d(3, 1, 1), lambda: torch.nn.AvgPool2d(3, 1, 1)),
    (lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
     lambda: torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)),
    (lambda: nn.AvgPool2d(2, divisor_override=3), lambda: torch.nn.AvgPool2d(2, divisor_override=3)),
]


@pytest.mark.parametrize("make", POOLS, ids=lambda m: repr(m[1]()))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pooling_modules_match_torch(make, dtype):
    ours, theirs = make[0](), make[1]()
    assert repr(ours) == repr(theirs)
    for shape in [(2, 3, 7, 8), (3, 6, 6)]:
        x = RNG.standard_normal(shape).astype(dtype)
        both(ours, theirs, [x], rtol=1e-5 if dtype == np.float32 else 1e-10)


def test_max_pool_return_indices_is_refused_or_matches_torch():
    import inspect
    if "return_indices" in inspect.signature(nn.functional.max_pool2d).parameters:
        out, idx = nn.MaxPool2d(2, return_indices=True)(tg.Tensor(np.arange(16.0).reshape(1, 1, 4, 4)))
        tout, tidx = torch.nn.MaxPool2d(2, return_indices=True)(torch.arange(16.0).reshape(1, 1, 4, 4))
        np.testing.assert_array_equal(np.asarray(idx.numpy()), tidx.numpy())
    else:
        with pytest.raises(NotImplementedError, match="return_indices"):
            nn.MaxPool2d(2, return_indices=True)


def test_pooling_in_a_model():
    m = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 2))
    out = m(tg.Tensor(RNG.standard_normal((2, 3, 8, 8)).astype(np.float32)))
    assert out.shape == (2, 2)
    assert list(m.state_dict()) == ["0.weight", "0.bias", "4.weight", "4.bias"]


# ----- losses -----

def logits(*shape):
    return RNG.standard_normal(shape)


LOSSES = {
    "ce": (lambda M: M.CrossEntropyLoss(), [logits(5, 4)], [RNG.integers(0, 4, 5)]),
    "ce_sum": (lambda M: M.CrossEntropyLoss(reduction="sum"), [logits(5, 4)], [RNG.integers(0, 4, 5)]),
    "ce_none": (lambda M: M.CrossEntropyLoss(reduction="none"), [logits(5, 4)], [RNG.integers(0, 4, 5)]),
    "ce_weight_ignore": (lambda M: M.CrossEntropyLoss(weight=W(M, [0.5, 2.0, 1.0, 3.0]), ignore_index=1),
                         [logits(6, 4)], [np.array([0, 1, 2, 3, 1, 2])]),
    "ce_smoothing": (lambda M: M.CrossEntropyLoss(label_smoothing=0.2), [logits(5, 4)], [RNG.integers(0, 4, 5)]),
    "ce_weight_smoothing": (lambda M: M.CrossEntropyLoss(weight=W(M, [0.5, 2.0, 1.0]), label_smoothing=0.1),
                            [logits(4, 3)], [RNG.integers(0, 3, 4)]),
    "ce_spatial": (lambda M: M.CrossEntropyLoss(), [logits(2, 3, 4, 5)], [RNG.integers(0, 3, (2, 4, 5))]),
    "ce_probs": (lambda M: M.CrossEntropyLoss(), [logits(5, 4)], [np.full((5, 4), 0.25)]),
    "nll": (lambda M: M.NLLLoss(), [logits(5, 4)], [RNG.integers(0, 4, 5)]),
    "nll_weight_ignore": (lambda M: M.NLLLoss(weight=W(M, [1.0, 2.0, 0.5]), ignore_index=0, reduction="mean"),
                          [logits(5, 3)], [np.array([0, 1, 2, 2, 1])]),
    "nll_none": (lambda M: M.NLLLoss(reduction="none"), [logits(5, 4)], [RNG.integers(0, 4, 5)]),
    "mse": (lambda M: M.MSELoss(), [logits(3, 4)], [logits(3, 4)]),
    "mse_sum": (lambda M: M.MSELoss(reduction="sum"), [logits(3, 4)], [logits(3, 4)]),
    "mse_none": (lambda M: M.MSELoss(reduction="none"), [logits(3, 4)], [logits(3, 4)]),
    "l1": (lambda M: M.L1Loss(), [logits(3, 4)], [logits(3, 4)]),
    "l1_none": (lambda M: M.L1Loss(reduction="none"), [logits(3, 4)], [logits(3, 4)]),
    "l1_ties": (lambda M: M.L1Loss(reduction="sum"), [np.array([1.0, 2.0, 3.0])], [np.array([1.0, 0.0, 3.0])]),
    "bce": (lambda M: M.BCELoss(), [RNG.uniform(0.05, 0.95, (3, 4))], [RNG.integers(0, 2, (3, 4)).astype(float)]),
    "bce_weight_sum": (lambda M: M.BCELoss(weight=W(M, [1.0, 2.0, 0.5, 3.0]), reduction="sum"),
                       [RNG.uniform(0.05, 0.95, (3, 4))], [RNG.uniform(0, 1, (3, 4))]),
    "bce_logits": (lambda M: M.BCEWithLogitsLoss(), [logits(3, 4)], [RNG.integers(0, 2, (3, 4)).astype(float)]),
    "bce_logits_weight": (lambda M: M.BCEWithLogitsLoss(weight=W(M, [1.0, 2.0, 0.5, 3.0])),
                          [logits(3, 4)], [RNG.uniform(0, 1, (3, 4))]),
    "bce_logits_weight_none": (lambda M: M.BCEWithLogitsLoss(weight=W(M, [[2.0], [0.5], [1.0]]), reduction="none"),
                               [logits(3, 4)], [RNG.uniform(0, 1, (3, 4))]),
}


def W(M, values, dtype=np.float64):
    return torch.tensor(values, dtype=torch.float64) if M is torch.nn else tg.Tensor(np.array(values, dtype))


@pytest.mark.parametrize("name", list(LOSSES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_modules_match_torch_values_and_gradients(name, dtype):
    make, inputs, consts = LOSSES[name]
    inputs = [a.astype(dtype) for a in inputs]
    consts = [c.astype(dtype) if c.dtype.kind == "f" else c.astype(np.int64) for c in consts]

    def torch_make(M):
        m = make(M)
        return m.to(torch.float32) if dtype == np.float32 else m

    ours = make(nn)
    if dtype == np.float32:  # our weights in the inputs' dtype
        for k in ("weight", "pos_weight"):
            if getattr(ours, k, None) is not None:
                setattr(ours, k, ours._buffers[k].float() if hasattr(ours._buffers[k], "float")
                        else tg.Tensor(ours._buffers[k].numpy().astype(np.float32)))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    both(ours, torch_make(torch.nn), inputs, consts, **tol)


def test_cross_entropy_module_is_a_module_with_torch_state_dict_keys():
    for make in (lambda M, w: M.CrossEntropyLoss(weight=w), lambda M, w: M.NLLLoss(weight=w),
                 lambda M, w: M.BCELoss(weight=w), lambda M, w: M.BCEWithLogitsLoss(weight=w)):
        ours, theirs = make(nn, tg.Tensor(np.ones(3, np.float32))), make(torch.nn, torch.ones(3))
        assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
        assert repr(ours) == repr(theirs)
    assert list(nn.CrossEntropyLoss().state_dict()) == list(torch.nn.CrossEntropyLoss().state_dict()) == []


def test_loss_in_a_training_step_like_pytorch():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    crit = nn.CrossEntropyLoss()
    x = tg.Tensor(RNG.standard_normal((6, 4)).astype(np.float32))
    y = tg.Tensor(RNG.integers(0, 3, 6))
    loss = crit(model(x), y)
    loss.backward()
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    tmodel.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()})
    tloss = torch.nn.CrossEntropyLoss()(tmodel(torch.from_numpy(x.numpy())), torch.from_numpy(y.numpy()))
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
    for (name, p), tp in zip(model.named_parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


def test_legacy_size_average_and_reduce_map_as_in_torch():
    for sa, rd in [(False, None), (None, False), (True, True), (False, True)]:
        with pytest.warns(UserWarning):
            ours = nn.MSELoss(size_average=sa, reduce=rd)
        with pytest.warns(UserWarning):
            theirs = torch.nn.MSELoss(size_average=sa, reduce=rd)
        assert ours.reduction == theirs.reduction


def test_losses_refuse_bad_settings():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="average")
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="L1Loss|shape"):
        nn.L1Loss()(leaf(np.zeros((2, 3))), tg.Tensor(np.zeros((3, 3))))


def test_bce_with_logits_pos_weight_matches_torch_or_is_refused():
    import inspect
    pw = np.array([1.0, 3.0, 0.5])
    if "pos_weight" in inspect.signature(nn.functional.binary_cross_entropy_with_logits).parameters:
        ours = nn.BCEWithLogitsLoss(pos_weight=tg.Tensor(pw))
        both(ours, torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pw)), [logits(4, 3)],
             [RNG.uniform(0, 1, (4, 3))], rtol=1e-10, atol=1e-12)
        assert list(ours.state_dict()) == ["pos_weight"]
    else:
        with pytest.raises(NotImplementedError, match="pos_weight"):
            nn.BCEWithLogitsLoss(pos_weight=tg.Tensor(pw))


# ----- ModuleDict -----

def test_module_dict_registers_its_modules_with_torch_state_dict_keys():
    def build(M):
        net = M.Module()
        net.heads = M.ModuleDict({"cls": M.Linear(4, 3), "reg": M.Linear(4, 1)})
        net.heads["aux"] = M.Linear(4, 2)
        net.blocks = M.ModuleDict([("b0", M.Sequential(M.Linear(4, 4), M.ReLU())), ("b1", M.LayerNorm(4))])
        return net

    ours, theirs = build(nn), build(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    assert repr(ours.heads) == repr(theirs.heads)


def test_module_dict_behaves_like_a_dict():
    d = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.ReLU()})
    assert len(d) == 2 and "a" in d and "z" not in d
    assert list(d) == list(d.keys()) == ["a", "b"]
    assert [k for k, _ in d.items()] == ["a", "b"] and isinstance(list(d.values())[1], nn.ReLU)
    new = nn.Linear(2, 2)
    d["a"] = new  # replaced in place: the order stays
    assert list(d) == ["a", "b"] and d["a"] is new
    d.update([("c", nn.Tanh())])
    d.update(nn.ModuleDict({"e": nn.Linear(2, 1)}))
    assert list(d) == ["a", "b", "c", "e"]
    assert isinstance(d.pop("c"), nn.Tanh) and "c" not in d
    del d["b"]
    assert list(d.state_dict()) == ["a.weight", "a.bias", "e.weight", "e.bias"]
    assert sum(1 for _ in d.parameters()) == 4
    d.clear()
    assert len(d) == 0 and list(d.parameters()) == []
    with pytest.raises(TypeError, match="ModuleDict"):
        d["x"] = "not a module"
    with pytest.raises(TypeError, match="ModuleDict"):
        d[1] = nn.ReLU()
    with pytest.raises(ValueError, match="pair"):
        d.update([("x", nn.ReLU(), 3)])
    with pytest.raises(TypeError, match="ModuleDict"):
        nn.ModuleDict({"ok": nn.ReLU(), "bad": 3})
    assert len(d) == 0  # nothing was added by the refused updates


# ----- nn.init -----

@pytest.mark.parametrize("nl,param", [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                                      ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
                                      ("conv_transpose1d", None), ("leaky_relu", 2)])
def test_calculate_gain_matches_torch(nl, param):
    assert math.isclose(nn.init.calculate_gain(nl, param), torch.nn.init.calculate_gain(nl, param))


def test_calculate_gain_refuses_what_torch_refuses():
    for args in [("swish",), ("leaky_relu", True), ("leaky_relu", "a")]:
        with pytest.raises(ValueError):
            torch.nn.init.calculate_gain(*args)
        with pytest.raises(ValueError):
            nn.init.calculate_gain(*args)


def _pair(shape, dtype=np.float32):
    return tg.Tensor(np.zeros(shape, dtype)), torch.zeros(shape, dtype=torch.float32)


INITS = [
    ("kaiming_normal_", {}), ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {"a": 0.2}), ("kaiming_uniform_", {}), ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "tanh"}), ("xavier_normal_", {}),
    ("xavier_normal_", {"gain": 2.0}), ("xavier_uniform_", {}), ("xavier_uniform_", {"gain": 0.5}),
    ("uniform_", {"a": -0.3, "b": 0.7}), ("normal_", {"mean": 1.0, "std": 0.1}),
    ("trunc_normal_", {}), ("trunc_normal_", {"std": 0.02}), ("trunc_normal_", {"mean": 1.0, "a": 0.5, "b": 1.2}),
    ("orthogonal_", {}), ("orthogonal_", {"gain": 2.0}),
]


@pytest.mark.parametrize("shape", [(128, 96), (64, 16, 3, 3)])
@pytest.mark.parametrize("name,kw", INITS, ids=lambda v: str(v))
def test_init_statistics_and_bounds_match_torch(name, kw, shape):
    tg.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = _pair(shape)
    ret = getattr(nn.init, name)(ours, **kw)
    getattr(torch.nn.init, name)(theirs, **kw)
    assert ret is ours and ours.shape == tuple(theirs.shape) and ours.dtype == np.float32
    a, b = ours.numpy().ravel().astype(np.float64), theirs.numpy().ravel().astype(np.float64)
    n = a.size
    # same distribution: the means and stds agree within a few standard errors, and the ranges are alike
    assert abs(a.mean() - b.mean()) < 6 * b.std() / math.sqrt(n) + 1e-12
    assert abs(a.std() / b.std() - 1) < 6 / math.sqrt(n) + 0.02
    if "uniform" in name:  # the same bounds, nearly reached
        assert a.min() >= b.min() - 0.02 * b.std() and a.max() <= b.max() + 0.02 * b.std()
        assert a.min() < b.min() + 0.05 * b.std() and a.max() > b.max() - 0.05 * b.std()
    if name == "trunc_normal_":
        assert a.min() >= kw.get("a", -2.0) and a.max() <= kw.get("b", 2.0)
    if name == "orthogonal_":
        m = ours.numpy().reshape(shape[0], -1).astype(np.float64)
        g = kw.get("gain", 1.0)
        gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
        np.testing.assert_allclose(gram, g * g * np.eye(len(gram)), atol=1e-4)


@pytest.mark.filterwarnings("ignore:mean is more than 2 std")
def test_trunc_normal_stays_in_bounds_far_in_a_tail():
    tg.manual_seed(0)
    t = tg.Tensor(np.zeros((100, 100), np.float32))
    nn.init.trunc_normal_(t, a=4.0, b=4.5)
    x = t.numpy()
    assert x.min() >= 4.0 and x.max() <= 4.5
    # the density falls across [4, 4.5]: about 60% of the mass lies in the first half, as for torch's draw
    torch.manual_seed(0)
    tt = torch.nn.init.trunc_normal_(torch.zeros(100, 100), a=4.0, b=4.5).numpy()
    assert abs((x < 4.25).mean() - (tt < 4.25).mean()) < 0.03
    with pytest.raises(ValueError, match="a < b"):
        nn.init.trunc_normal_(t, a=1.0, b=0.0)


def test_init_is_reproducible_with_a_seed():
    outs = []
    for _ in range(2):
        tg.manual_seed(7)
        t = tg.Tensor(np.zeros((4, 5), np.float32))
        outs.append(nn.init.kaiming_normal_(t).numpy().copy())
    np.testing.assert_array_equal(*outs)


@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (6, 2)])
def test_eye_and_constant_match_torch(shape):
    ours, theirs = _pair(shape)
    np.testing.assert_array_equal(nn.init.eye_(ours).numpy(), torch.nn.init.eye_(theirs).numpy())
    np.testing.assert_array_equal(nn.init.constant_(ours, 0.25).numpy(), torch.nn.init.constant_(theirs, 0.25))


def test_init_refuses_what_torch_refuses():
    for name, shape, kw in [("eye_", (2, 3, 4), {}), ("orthogonal_", (5,), {}),
                            ("kaiming_normal_", (3, 4), {"mode": "fan_avg"}),
                            ("kaiming_uniform_", (3, 4), {"nonlinearity": "swish"}), ("xavier_normal_", (5,), {})]:
        ours, theirs = _pair(shape)
        with pytest.raises(ValueError):
            getattr(torch.nn.init, name)(theirs, **kw)
        with pytest.raises(ValueError):
            getattr(nn.init, name)(ours, **kw)


def test_init_of_a_parameter_keeps_it_a_trainable_leaf():
    lin = nn.Linear(8, 4)
    w = lin.weight
    nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
    nn.init.zeros_(lin.bias)
    assert lin.weight is w and lin.weight.requires_grad
    assert np.all(lin.bias.numpy() == 0)


def test_the_new_modules_are_exported():
    for name in ["Flatten", "Unflatten", "Identity", "MaxPool2d", "AvgPool2d", "CrossEntropyLoss", "NLLLoss",
                 "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "ModuleDict"]:
        assert name in nn.__all__ and isinstance(getattr(nn, name), type)
