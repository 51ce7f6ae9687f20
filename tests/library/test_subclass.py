"""A user's Tensor subclass is a Tensor everywhere: every ``F.*`` function keeps its graph, so the gradient reaches
it; ``nn.Parameter`` is such a subclass and keeps working in modules, state dicts, copies, optimizers and io."""
import copy

import numpy as np
import pytest

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import nn, optim


class Tagged(tg.Tensor):
    """What a user might write: a Tensor that carries a label."""
    __slots__ = ("label",)


def tagged(*shape, seed=0, positive=False):
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    t = Tagged(np.abs(data) + 0.5 if positive else data, requires_grad=True)
    t.label = "mine"
    return t


IDX = np.array([1, 0, 2])
CASES = {  # F name -> a call whose first Tensor argument (and every Tagged one) must receive a gradient
    "relu": lambda x: F.relu(x), "leaky_relu": lambda x: F.leaky_relu(x), "gelu": lambda x: F.gelu(x),
    "sigmoid": lambda x: F.sigmoid(x), "tanh": lambda x: F.tanh(x), "softplus": lambda x: F.softplus(x),
    "softmax": lambda x: F.softmax(x) * tg.tensor(np.arange(4.0)),
    "log_softmax": lambda x: F.log_softmax(x) * tg.tensor(np.arange(4.0)),
    "softmin": lambda x: F.softmin(x, dim=-1) * tg.tensor(np.arange(4.0)),
    "normalize": lambda x: F.normalize(x) * tg.tensor(np.arange(4.0)),
    "masked_softmax": lambda x: F.masked_softmax(x, np.array([True, True, False, True])) * tg.tensor(np.arange(4.0)),
    "linear": lambda x: F.linear(x, tagged(5, 4, seed=1), tagged(5, seed=2)),
    "conv2d": lambda x: F.conv2d(x.reshape(1, 1, 3, 4), tagged(2, 1, 2, 2, seed=1), tagged(2, seed=2)),
    "conv_transpose2d": lambda x: F.conv_transpose2d(x.reshape(1, 1, 3, 4), tagged(1, 2, 2, 2, seed=1)),
    "max_pool2d": lambda x: F.max_pool2d(x.reshape(1, 1, 3, 4), 2),
    "avg_pool2d": lambda x: F.avg_pool2d(x.reshape(1, 1, 3, 4), 2),
    "layer_norm": lambda x: F.layer_norm(x, (4,), tagged(4, seed=1), tagged(4, seed=2)) * tg.tensor(np.arange(4.0)),
    "batch_norm": lambda x: F.batch_norm(x, None, None, tagged(4, seed=1), tagged(4, seed=2))
    * tg.tensor(np.arange(12.0).reshape(3, 4)),
    "dropout": lambda x: F.dropout(x, 0.0),
    "embedding": lambda x: F.embedding(IDX, x),
    "scaled_dot_product_attention": lambda x: F.scaled_dot_product_attention(
        x.reshape(1, 3, 4), tagged(1, 3, 4, seed=1), tagged(1, 3, 4, seed=2)),
    "mse_loss": lambda x: F.mse_loss(x, tagged(3, 4, seed=1)),
    "cross_entropy": lambda x: F.cross_entropy(x, IDX),
    "nll_loss": lambda x: F.nll_loss(F.log_softmax(x), IDX),
    "binary_cross_entropy_with_logits": lambda x: F.binary_cross_entropy_with_logits(x, tg.rand(3, 4)),
    "reparameterize": lambda x: F.reparameterize(x, tagged(3, 4, seed=1), eps=tg.randn(3, 4)),
    "gaussian_kl": lambda x: F.gaussian_kl(x, tagged(3, 4, seed=1)),
    "attention": lambda x: F.attention(x.reshape(1, 3, 4), tagged(1, 3, 4, seed=1), tagged(1, 3, 4, seed=2)),
    "binary_cross_entropy": lambda x: F.binary_cross_entropy(F.sigmoid(x), tg.rand(3, 4)),
    "celu": lambda x: F.celu(x), "elu": lambda x: F.elu(x), "hardsigmoid": lambda x: F.hardsigmoid(x * 2),
    "hardswish": lambda x: F.hardswish(x), "hardtanh": lambda x: F.hardtanh(x), "logsigmoid": lambda x: F.logsigmoid(x),
    "mish": lambda x: F.mish(x), "quick_gelu": lambda x: F.quick_gelu(x), "relu6": lambda x: F.relu6(x * 3),
    "selu": lambda x: F.selu(x), "silu": lambda x: F.silu(x), "softsign": lambda x: F.softsign(x),
    "interpolate": lambda x: F.interpolate(x.reshape(1, 1, 3, 4), scale_factor=2),
    "upsample": lambda x: F.upsample(x.reshape(1, 1, 3, 4), scale_factor=2),
    "pad": lambda x: F.pad(x, (1, 1)),
    "conv1d": lambda x: F.conv1d(x.reshape(1, 3, 4), tagged(2, 3, 2, seed=1), tagged(2, seed=2)),
    "conv_transpose1d": lambda x: F.conv_transpose1d(x.reshape(1, 3, 4), tagged(3, 2, 2, seed=1)),
    "conv3d": lambda x: F.conv3d(x.reshape(1, 1, 3, 2, 2), tagged(2, 1, 2, 2, 2, seed=1)),
    "conv_transpose3d": lambda x: F.conv_transpose3d(x.reshape(1, 1, 3, 2, 2), tagged(1, 2, 2, 2, 2, seed=1)),
    "avg_pool1d": lambda x: F.avg_pool1d(x.reshape(1, 3, 4), 2),
    "avg_pool3d": lambda x: F.avg_pool3d(x.reshape(1, 1, 3, 2, 2), 2),
    "max_pool1d": lambda x: F.max_pool1d(x.reshape(1, 3, 4), 2),
    "max_pool3d": lambda x: F.max_pool3d(x.reshape(1, 1, 3, 2, 2), 2),
    "max_unpool1d": lambda x: F.max_unpool1d(x.reshape(1, 3, 4), tg.tensor(np.array([[[1, 2, 4, 7]] * 3])), 2),
    "max_unpool2d": lambda x: F.max_unpool2d(x.reshape(1, 1, 3, 4), tg.tensor(np.arange(12).reshape(1, 1, 3, 4)), 1),
    "max_unpool3d": lambda x: F.max_unpool3d(x.reshape(1, 1, 3, 2, 2), tg.tensor(np.arange(12).reshape(1, 1, 3, 2, 2)),
                                             1),
    "unfold": lambda x: F.unfold(x.reshape(1, 1, 3, 4), 2),
    "im2col": lambda x: F.im2col(x.reshape(1, 1, 3, 4), 2),
    "fold": lambda x: F.fold(x.reshape(1, 4, 3), (2, 4), 2),
    "col2im": lambda x: F.col2im(x.reshape(1, 4, 3), (1, 1, 2, 4), 2),
    "l1_loss": lambda x: F.l1_loss(x, tagged(3, 4, seed=1)),
    "sum_to": lambda x: F.sum_to(x, (1, 4)),
}


NOT_DIFFERENTIABLE = {"one_hot"}  # integer output: no gradient to reach a subclass


def test_the_cases_cover_every_function_of_F():
    assert set(CASES) == set(F.__all__) - NOT_DIFFERENTIABLE


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_tensor_subclass_keeps_its_graph_through_every_F_function(name):
    x = tagged(3, 4)
    tags = []
    orig_init = Tagged.__init__

    def remember(self, *a, **k):  # collect the other Tagged inputs the case builds, to check them too
        orig_init(self, *a, **k)
        tags.append(self)
    Tagged.__init__ = remember
    try:
        out = CASES[name](x)
    finally:
        Tagged.__init__ = orig_init
    assert out.requires_grad, f"F.{name} detached a Tensor subclass"
    out.sum().backward()
    for t in [x] + tags:
        assert t.grad is not None and t.grad.shape == t.shape, f"F.{name}: no gradient reached a Tagged input"
    assert np.abs(x.grad.numpy()).sum() > 0


def test_arithmetic_on_a_subclass_gives_plain_tensors_and_reaches_it():
    x = tagged(3)
    y = (x * 2 + 1).sum()
    assert type(x * 2) is tg.Tensor
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.ones(3))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.scale = nn.Parameter(np.ones(2, np.float32))

    def forward(self, x):
        return self.fc(x) * self.scale


def test_parameters_register_save_copy_and_train_as_a_subclass(tmp_path):
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "fc.weight", "fc.bias"]  # own ones first
    assert all(type(p) is nn.Parameter for p in net.parameters())
    twin = copy.deepcopy(net)
    assert all(type(p) is nn.Parameter for p in twin.parameters())
    assert all(a is not b and np.array_equal(a.numpy(), b.numpy()) for a, b in zip(net.parameters(), twin.parameters()))
    opt = optim.SGD(net.parameters(), lr=0.1)
    before = net.scale.numpy().copy()
    net(tg.randn(4, 3)).sum().backward()
    opt.step()
    assert not np.array_equal(net.scale.numpy(), before) and np.array_equal(twin.scale.numpy(), before)
    tg.save(net.state_dict(), tmp_path / "net.safetensors")
    fresh = Net()
    fresh.load_state_dict(tg.load(tmp_path / "net.safetensors"))
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(net.parameters(), fresh.parameters()))
    assert all(type(p) is nn.Parameter for p in fresh.parameters())


def test_a_plain_tensor_is_not_a_parameter_and_a_parameter_of_a_tensor_shares_its_array():
    t = tg.ones(3)
    p = nn.Parameter(t)
    assert not isinstance(t, nn.Parameter) and isinstance(p, nn.Parameter) and p._data is t._data
    with pytest.raises(TypeError, match="cannot assign"):
        net = Net()
        net.scale = tg.ones(2)  # a parameter slot takes only a Parameter (or None), as in PyTorch
