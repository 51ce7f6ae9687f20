"""nn: Module bookkeeping, and every layer against its PyTorch twin (same state dict -> same outputs and gradients)."""
import copy
import math

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from tinygrad_gen import nn


def to_torch(ours, theirs):
    """Load our state dict into the torch module (names must map one to one)."""
    sd = {k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(sd, strict=True)
    return theirs


# (ours, torch twin, input shape, integer input?)
LAYERS = {
    "linear": (lambda: nn.Linear(5, 3), lambda: torch.nn.Linear(5, 3), (4, 5)),
    "linear_nobias_3d": (lambda: nn.Linear(5, 3, bias=False), lambda: torch.nn.Linear(5, 3, bias=False), (2, 4, 5)),
    "conv2d": (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), lambda: torch.nn.Conv2d(3, 4, 3, 2, 1), (2, 3, 7, 7)),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1),
                         lambda: torch.nn.ConvTranspose2d(4, 3, 4, 2, 1), (2, 4, 5, 5)),
    "batchnorm1d": (lambda: nn.BatchNorm1d(6), lambda: torch.nn.BatchNorm1d(6), (8, 6)),
    "batchnorm1d_3d": (lambda: nn.BatchNorm1d(6), lambda: torch.nn.BatchNorm1d(6), (4, 6, 5)),
    "batchnorm2d": (lambda: nn.BatchNorm2d(3), lambda: torch.nn.BatchNorm2d(3), (4, 3, 5, 5)),
    "layernorm": (lambda: nn.LayerNorm(6), lambda: torch.nn.LayerNorm(6), (3, 4, 6)),
    "layernorm_2d_shape": (lambda: nn.LayerNorm((4, 6)), lambda: torch.nn.LayerNorm((4, 6)), (3, 4, 6)),
    "relu": (nn.ReLU, torch.nn.ReLU, (3, 7)),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2), (3, 7)),
    "leaky_relu_default": (nn.LeakyReLU, torch.nn.LeakyReLU, (3, 7)),
    "gelu": (nn.GELU, torch.nn.GELU, (3, 7)),
    "tanh": (nn.Tanh, torch.nn.Tanh, (3, 7)),
    "sigmoid": (nn.Sigmoid, torch.nn.Sigmoid, (3, 7)),
    "mlp": (lambda: nn.Sequential(nn.Linear(5, 8), nn.GELU(), nn.LayerNorm(8), nn.Linear(8, 2)),
            lambda: torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.GELU(), torch.nn.LayerNorm(8),
                                        torch.nn.Linear(8, 2)), (6, 5)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_state_dict_names_shapes_and_dtypes_match_torch(name):
    ours, theirs, _ = LAYERS[name]
    a, b = ours().state_dict(), theirs().state_dict()
    assert list(a) == list(b)
    for k in a:
        assert a[k].shape == tuple(b[k].shape), k
        assert a[k].dtype == b[k].numpy().dtype, k


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_forward_and_gradients_match_torch(name):
    ours_fn, theirs_fn, shape = LAYERS[name]
    ours = ours_fn()
    theirs = to_torch(ours, theirs_fn())
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    xt = torch.from_numpy(x.copy()).requires_grad_()
    yt = theirs(xt)
    xo = tg.tensor(x, requires_grad=True)
    yo = ours(xo)
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    w = np.random.default_rng(2).standard_normal(yt.shape).astype(np.float32)
    (yt * torch.from_numpy(w)).sum().backward()
    (yo * tg.tensor(w)).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    grads = {k: p.grad for k, p in theirs.named_parameters()}
    for k, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[k].numpy(), rtol=1e-4, atol=1e-5, err_msg=k)


def test_embedding_forward_and_gradient_match_torch():
    ours = nn.Embedding(10, 4)
    theirs = to_torch(ours, torch.nn.Embedding(10, 4))
    idx = np.array([[1, 2, 2], [9, 0, 1]])
    yo, yt = ours(tg.tensor(idx)), theirs(torch.from_numpy(idx))
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy())
    (yo * yo).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6)


def test_embedding_padding_row_starts_at_zero_and_gets_no_gradient_like_torch():
    ours = nn.Embedding(6, 3, padding_idx=2)
    theirs = to_torch(ours, torch.nn.Embedding(6, 3, padding_idx=2))
    assert np.all(ours.weight.numpy()[2] == 0)
    idx = np.array([2, 0, 2, 5])
    (ours(tg.tensor(idx)) * 3).sum().backward()
    (theirs(torch.from_numpy(idx)) * 3).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
    assert np.all(ours.weight.grad.numpy()[2] == 0)


def test_batchnorm_running_statistics_follow_torch_over_training_steps_then_eval():
    ours, theirs = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    rng = np.random.default_rng(3)
    for _ in range(4):
        x = (rng.standard_normal((5, 3, 4, 4)) * 2 + 1).astype(np.float32)
        ours(tg.tensor(x))
        theirs(torch.from_numpy(x))
    sd = theirs.state_dict()
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(v.numpy(), sd[k].numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    assert int(ours.num_batches_tracked.item()) == 4
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_batchnorm_momentum_none_is_a_cumulative_average_like_torch():
    ours, theirs = nn.BatchNorm1d(4, momentum=None), torch.nn.BatchNorm1d(4, momentum=None)
    rng = np.random.default_rng(4)
    for _ in range(3):
        x = rng.standard_normal((6, 4)).astype(np.float32)
        ours(tg.tensor(x))
        theirs(torch.from_numpy(x))
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5, atol=1e-6)


def test_batchnorm_without_running_stats_has_no_buffers_and_uses_batch_stats_in_eval():
    ours = nn.BatchNorm1d(3, track_running_stats=False).eval()
    assert list(ours.state_dict()) == list(torch.nn.BatchNorm1d(3, track_running_stats=False).state_dict())
    x = np.random.default_rng(5).standard_normal((7, 3)).astype(np.float32)
    y = ours(tg.tensor(x)).numpy()
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-4, atol=1e-5)


def test_batchnorm_rejects_wrong_channel_count_naming_shape():
    with pytest.raises(ValueError, match=r"BatchNorm2d.*\(2, 4, 3, 3\)"):
        nn.BatchNorm2d(3)(tg.zeros(2, 4, 3, 3))


def test_batchnorm_rejecting_a_batch_of_one_changes_no_statistics():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(tg.ones(1, 3))
    assert int(bn.num_batches_tracked.item()) == 0
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(3))


# ----- multi-head attention -----
def mha_pair(E=8, H=2, bias=True):
    ours = nn.MultiHeadAttention(E, H, bias=bias)
    theirs = to_torch(ours, torch.nn.MultiheadAttention(E, H, bias=bias, batch_first=True))
    return ours, theirs


def test_multihead_attention_state_dict_matches_torch():
    ours, theirs = nn.MultiHeadAttention(8, 2), torch.nn.MultiheadAttention(8, 2, batch_first=True)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


@pytest.mark.parametrize("causal", [False, True])
def test_multihead_self_attention_matches_torch_with_gradients(causal):
    ours, theirs = mha_pair()
    x = np.random.default_rng(6).standard_normal((2, 5, 8)).astype(np.float32)
    xt = torch.from_numpy(x.copy()).requires_grad_()
    forbid = torch.triu(torch.ones(5, 5, dtype=torch.bool), 1) if causal else None
    yt, _ = theirs(xt, xt, xt, attn_mask=forbid, need_weights=False)
    xo = tg.tensor(x, requires_grad=True)
    yo = ours(xo, causal=causal)
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    yt.pow(2).sum().backward()
    (yo * yo).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    grads = dict(theirs.named_parameters())
    for k, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[k].grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=k)


def test_multihead_cross_attention_with_padding_mask_and_weights_matches_torch():
    ours, theirs = mha_pair(12, 3)
    rng = np.random.default_rng(7)
    q = rng.standard_normal((2, 4, 12)).astype(np.float32)
    kv = rng.standard_normal((2, 6, 12)).astype(np.float32)
    keep = np.ones((2, 6), bool)
    keep[0, 4:] = False
    yt, wt = theirs(torch.from_numpy(q), torch.from_numpy(kv), torch.from_numpy(kv),
                    key_padding_mask=torch.from_numpy(~keep))
    yo, wo = ours(tg.tensor(q), tg.tensor(kv), tg.tensor(kv), mask=keep[:, None, None, :], need_weights=True)
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(wo.numpy(), wt.detach().numpy(), rtol=1e-4, atol=1e-6)
    yf = ours(tg.tensor(q), tg.tensor(kv), tg.tensor(kv), mask=keep[:, None, None, :])  # the fused path
    np.testing.assert_allclose(yf.numpy(), yo.numpy(), rtol=1e-5, atol=1e-6)


def test_multihead_attention_without_bias_matches_torch():
    ours, theirs = mha_pair(bias=False)
    x = np.random.default_rng(8).standard_normal((1, 3, 8)).astype(np.float32)
    yt, _ = theirs(*[torch.from_numpy(x)] * 3)
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_multihead_attention_dropout_acts_only_in_training():
    m = nn.MultiHeadAttention(8, 2, dropout=0.5)
    plain = nn.MultiHeadAttention(8, 2)
    plain.load_state_dict(m.state_dict())
    x = tg.randn(2, 4, 8)
    assert not np.allclose(m(x).numpy(), plain(x).numpy())
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), plain(x).numpy(), rtol=1e-6, atol=1e-7)


def test_multihead_attention_rejects_embed_dim_not_divisible_by_heads():
    with pytest.raises(ValueError, match="embed_dim 10.*num_heads 3"):
        nn.MultiHeadAttention(10, 3)


# ----- initialisation: PyTorch's formulas, from the seeded generator -----
def uniform_bound_and_std(w):
    w = w.numpy()
    return np.abs(w).max(), w.std()


@pytest.mark.parametrize("make, fan_in", [
    (lambda: nn.Linear(300, 200), 300),
    (lambda: nn.Conv2d(16, 32, 3), 16 * 9),
    (lambda: nn.ConvTranspose2d(32, 16, 4), 16 * 16),  # fan_in of a transposed conv is weight dim 1 (out) * k * k
])
def test_default_weight_and_bias_are_uniform_within_one_over_sqrt_fan_in(make, fan_in):
    m = make()
    bound = 1 / math.sqrt(fan_in)
    top, std = uniform_bound_and_std(m.weight)
    assert top <= bound and top > 0.99 * bound
    assert abs(std - bound / math.sqrt(3)) < 0.03 * bound
    assert np.abs(m.bias.numpy()).max() <= bound


def test_embedding_is_standard_normal_and_norm_layers_start_at_identity():
    w = nn.Embedding(1000, 64).weight.numpy()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02
    for m in (nn.LayerNorm(5), nn.BatchNorm1d(5)):
        assert np.all(m.weight.numpy() == 1) and np.all(m.bias.numpy() == 0)


def test_multihead_in_projection_is_glorot_uniform_and_biases_zero():
    m = nn.MultiHeadAttention(64, 4)
    bound = math.sqrt(6 / (64 + 3 * 64))
    top, std = uniform_bound_and_std(m.in_proj_weight)
    assert top <= bound and abs(std - bound / math.sqrt(3)) < 0.05 * bound
    assert np.all(m.in_proj_bias.numpy() == 0) and np.all(m.out_proj.bias.numpy() == 0)


def test_initialisation_is_repeatable_under_manual_seed():
    tg.manual_seed(5)
    a = nn.Linear(4, 3).weight.numpy().copy()
    tg.manual_seed(5)
    b = nn.Linear(4, 3).weight.numpy()
    np.testing.assert_array_equal(a, b)


# ----- Module bookkeeping -----
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(tg.ones(1))
        self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4))
        self.heads = nn.ModuleList([nn.Linear(4, 2), nn.Linear(4, 1)])
        self.register_buffer("step", tg.zeros(1))
        self.register_buffer("cache", tg.zeros(2), persistent=False)
        self.not_a_parameter = tg.zeros(3, requires_grad=True)

    def forward(self, x):
        h = self.body(x) * self.scale
        return [head(h) for head in self.heads]


def test_parameters_come_in_registration_order_with_dotted_names():
    names = [n for n, _ in Net().named_parameters()]
    assert names == ["scale", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias",
                     "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias"]


def test_state_dict_has_parameters_then_persistent_buffers_per_module_like_torch():
    keys = list(Net().state_dict())
    assert keys == ["scale", "step", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias",
                    "body.2.running_mean", "body.2.running_var", "body.2.num_batches_tracked",
                    "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias"]


def test_buffers_include_non_persistent_ones_but_plain_tensor_attributes_are_not_registered():
    net = Net()
    assert [n for n, _ in net.named_buffers()] == ["step", "cache", "body.2.running_mean", "body.2.running_var",
                                                     "body.2.num_batches_tracked"]
    assert all(p is not net.not_a_parameter for p in net.parameters())


def test_tied_parameter_is_listed_once_but_saved_under_both_names():
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight
    seq = nn.Sequential(a, b)
    assert len(list(seq.parameters())) == 3
    assert "1.weight" in seq.state_dict()


def test_parameter_is_a_tensor_subclass_leaf_that_requires_grad_and_shares_data():
    arr = np.ones(3, np.float32)
    p = nn.Parameter(arr)
    assert type(p) is nn.Parameter and isinstance(p, tg.Tensor) and p.requires_grad and p.is_leaf
    assert type(p * 2) is tg.Tensor and not isinstance(p * 2, nn.Parameter)
    assert p._data is arr
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), 2 * arr)
    assert not isinstance(tg.ones(3, requires_grad=True), nn.Parameter)


def test_assigning_a_plain_tensor_to_a_parameter_name_is_a_type_error():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        m.weight = tg.zeros(2, 2)


def test_train_and_eval_reach_every_submodule_and_dropout_follows():
    net = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.Dropout(0.5)))
    net.eval()
    assert not any(m.training for m in net.modules())
    x = tg.ones(8, 4)
    np.testing.assert_array_equal(net[1](x).numpy(), x.numpy())
    net.train()
    assert all(m.training for m in net.modules())
    assert (net[1](x).numpy() == 0).any()


def test_zero_grad_clears_every_parameter_gradient():
    net = Net()
    sum(y.sum() for y in net(tg.randn(5, 3))).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_to_cpu_moves_in_place_and_keeps_parameter_identity():
    net = Net()
    before = list(net.parameters())
    assert net.to("cpu") is net
    assert all(a is b for a, b in zip(before, net.parameters()))
    with pytest.raises(ValueError, match="unknown device"):
        net.to("tpu")


def test_deepcopy_gives_independent_parameters_that_are_still_parameters():
    net = Net()
    twin = copy.deepcopy(net)
    pairs = list(zip(net.parameters(), twin.parameters()))
    assert len(pairs) == 9 and all(isinstance(b, nn.Parameter) and a is not b for a, b in pairs)
    twin.heads[0].weight._data[...] = 0
    assert np.any(net.heads[0].weight.numpy() != 0)
    x = tg.randn(4, 3)
    net.heads[0].weight._data[...] = 0
    net.eval(), twin.eval()
    np.testing.assert_array_equal(net(x)[1].numpy(), twin(x)[1].numpy())


def test_repr_reads_like_torch():
    ours = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1, bias=False))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1, bias=False))
    assert repr(ours) == repr(theirs)


def test_sequential_and_modulelist_index_iterate_and_slice():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.Tanh) and len(seq[:2]) == 2
    ml = nn.ModuleList([nn.Tanh()]).append(nn.ReLU())
    assert [type(m).__name__ for m in ml] == ["Tanh", "ReLU"]
    ml[0] = nn.Sigmoid()
    assert [type(m).__name__ for m in ml] == ["Sigmoid", "ReLU"]


# ----- load_state_dict -----
def test_load_state_dict_from_torch_module_reproduces_its_outputs():
    theirs = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.ReLU())
    ours = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU())
    theirs(torch.randn(4, 2, 6, 6))  # move the running statistics away from their start
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(9).standard_normal((2, 2, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_load_state_dict_names_missing_key_and_changes_nothing():
    m = nn.Linear(3, 2)
    before = m.weight.numpy().copy()
    sd = {"weight": np.zeros((2, 3), np.float32)}
    with pytest.raises(RuntimeError, match="missing key.*'bias'"):
        m.load_state_dict(sd)
    np.testing.assert_array_equal(m.weight.numpy(), before)


def test_load_state_dict_names_unexpected_key():
    m = nn.Linear(3, 2)
    sd = dict(m.state_dict(), extra=tg.zeros(1))
    with pytest.raises(RuntimeError, match="unexpected key.*'extra'"):
        m.load_state_dict(sd)


def test_load_state_dict_names_mis_shaped_key_with_both_shapes_and_changes_nothing():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2))
    before = [t.numpy().copy() for t in m.state_dict().values()]
    sd = {k: tg.zeros(*v.shape) for k, v in m.state_dict().items()}
    sd["1.weight"] = tg.zeros(2, 5)
    with pytest.raises(RuntimeError, match=r"'1.weight'.*\(2, 5\).*\(2, 2\)"):
        m.load_state_dict(sd)
    for a, b in zip(before, m.state_dict().values()):
        np.testing.assert_array_equal(a, b.numpy())


def test_load_state_dict_not_strict_loads_what_matches_and_reports_the_rest():
    m = nn.Linear(3, 2)
    result = m.load_state_dict({"weight": np.ones((2, 3)), "other": np.ones(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(m.weight.numpy(), np.ones((2, 3), np.float32))
    assert m.weight.dtype == np.float32


def test_load_state_dict_copies_in_place_so_optimizer_references_stay_valid():
    m = nn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({k: v.numpy() * 0 + 7 for k, v in m.state_dict().items()})
    assert m.weight is w and np.all(w.numpy() == 7)
