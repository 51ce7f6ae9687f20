"""PyTorch's names that ported code calls: devices (tg.device, tg.cuda, tg.backends, tg.accelerator), Generator
objects, dtype names, ``inplace=`` on the activation layers. Compared with PyTorch where it runs here."""
import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen import devices
from tinygrad_gen import nn
from tinygrad_gen import random as tg_random

torch = pytest.importorskip("torch")
exported = pytest.mark.skipif(not hasattr(tg, "Generator") or not hasattr(tg, "device"),
                              reason="the tg.* lines of this task are not in tinygrad_gen/__init__.py yet")


# ---- devices ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 0), ("cpu", 0), ("cpu:1",)])
def test_device_objects_read_like_pytorchs(args):
    ours, want = devices.device(*args), torch.device(*args)
    assert (ours.type, ours.index, str(ours), repr(ours)) == (want.type, want.index, str(want), repr(want))
    assert ours == devices.device(*args) and hash(ours) == hash(devices.device(*args))


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "cuda:0:1", "cuda:-1"])
def test_device_refuses_what_pytorch_refuses(bad):
    with pytest.raises(RuntimeError):
        torch.device(bad)
    with pytest.raises(RuntimeError, match="device"):
        devices.device(bad)


def test_a_device_goes_where_a_device_name_goes():
    dev = devices.device("cpu")
    x = tg.ones(2, 3)
    assert x.to(dev).device == "cpu" and tg.zeros(2, device=dev).device == dev
    assert x.to(dev, np.float64).dtype == np.float64
    assert "cuda" in devices.device("cuda:0") and "cuda" not in dev  # nanoGPT's device_type test


def test_nanogpt_style_device_selection_picks_the_cpu_without_a_gpu(monkeypatch):
    monkeypatch.setattr(devices, "_gpu_count", lambda: 0)
    if devices.cuda.is_available():
        name = "cuda"
    elif devices.backends.mps.is_available():
        name = "mps"
    else:
        name = "cpu"
    assert name == "cpu" and devices.cuda.device_count() == 0
    assert not devices.accelerator.is_available() and devices.accelerator.current_accelerator() is None
    dtype = "bfloat16" if devices.cuda.is_available() and devices.cuda.is_bf16_supported() else "float16"
    assert dtype == "float16"
    devices.backends.cuda.matmul.allow_tf32 = True  # settings scripts assign
    devices.backends.cudnn.allow_tf32 = True
    devices.cuda.manual_seed(1337)
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        devices.cuda.current_device()


def test_with_a_gpu_the_accelerator_is_cuda(monkeypatch):
    monkeypatch.setattr(devices, "_gpu_count", lambda: 2)
    assert devices.cuda.is_available() and devices.cuda.device_count() == 2
    assert devices.accelerator.current_accelerator() == devices.device("cuda")


@exported
def test_the_device_names_are_exported():
    assert tg.device is devices.device and tg.cuda is devices.cuda and tg.backends is devices.backends
    assert tg.accelerator is devices.accelerator
    x = tg.ones(2)
    assert x.device.type == "cpu" and x.is_cuda is False


# ---- Generator ------------------------------------------------------------------------------------------------------
def test_generator_manual_seed_returns_itself_and_repeats_draws():
    g = tg_random.Generator().manual_seed(7)
    assert isinstance(g, tg_random.Generator) and g.initial_seed() == 7 and g.device == "cpu"
    a = tg.multinomial(tg.ones(10), 10, generator=g).numpy()
    g.manual_seed(7)
    np.testing.assert_array_equal(a, tg.multinomial(tg.ones(10), 10, generator=g).numpy())
    state = g.get_state()
    b = tg.randperm(8, generator=g).numpy()
    g.set_state(state)
    np.testing.assert_array_equal(b, tg.randperm(8, generator=g).numpy())


def test_a_new_generator_has_pytorchs_default_seed_and_seeds_like_pytorch():
    assert tg_random.Generator().initial_seed() == torch.Generator().initial_seed()
    with pytest.raises(TypeError, match="integer"):
        tg_random.Generator().manual_seed(1.5)
    assert tg_random.Generator().manual_seed(-1).initial_seed() == torch.Generator().manual_seed(-1).initial_seed()


def test_manual_seed_returns_the_default_generator():
    g = tg.manual_seed(3)
    assert g is tg_random.default_generator and g.initial_seed() == 3 == tg_random.initial_seed()
    a = tg.randn(4).numpy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(a, tg.randn(4).numpy())
    assert g.numpy_generator is tg_random.generator()


def test_generator_or_default_gives_the_numpy_generator_to_draw_from():
    g = tg_random.Generator().manual_seed(1)
    assert tg_random.generator_or_default(None) is tg_random.generator()
    assert tg_random.generator_or_default(g) is g.numpy_generator
    with pytest.raises(TypeError, match="randn: generator must be"):
        tg_random.generator_or_default("seed", "randn")


def test_init_functions_take_a_generator():
    w = tg.zeros(3, 4)
    with tg.no_grad():
        a = nn.init.normal_(w, generator=tg_random.Generator().manual_seed(0)).numpy().copy()
        b = nn.init.normal_(w, generator=tg_random.Generator().manual_seed(0)).numpy()
    np.testing.assert_array_equal(a, b)


@exported
def test_generator_and_sampling_names_are_exported():
    g = tg.Generator().manual_seed(0)
    assert tg.multinomial(tg.ones(3), 2, generator=g).shape == (2,) and tg.randperm(3).shape == (3,)


# ---- dtype names ----------------------------------------------------------------------------------------------------
_DTYPES = {"long": "int64", "int": "int32", "float": "float32", "double": "float64", "half": "float16",
           "short": "int16", "bool": "bool", "int8": "int8", "int16": "int16", "int32": "int32", "int64": "int64",
           "uint8": "uint8", "float16": "float16", "float32": "float32", "float64": "float64"}


@pytest.mark.skipif(not hasattr(tg, "long"), reason="tg.long etc. are not in tinygrad_gen/__init__.py yet")
@pytest.mark.parametrize("name", sorted(_DTYPES))
def test_pytorchs_dtype_names(name):
    assert str(getattr(torch, name)) == f"torch.{_DTYPES[name]}"
    assert np.dtype(getattr(tg, name)) == np.dtype(_DTYPES[name])
    assert tg.zeros(2, dtype=getattr(tg, name)).dtype == np.dtype(_DTYPES[name])


# ---- inplace= on the activation layers ------------------------------------------------------------------------------
_LAYERS = [("ReLU", (), "relu"), ("LeakyReLU", (0.2,), "leaky_relu"), ("ELU", (0.5,), "elu"),
           ("CELU", (0.5,), "celu"), ("SELU", (), "selu"), ("Hardtanh", (-0.5, 0.5), "hardtanh"),
           ("ReLU6", (), "relu6"), ("SiLU", (), "silu"), ("Hardsigmoid", (), "hardsigmoid"),
           ("Hardswish", (), "hardswish"), ("Mish", (), "mish")]


@pytest.mark.parametrize("name, args, fn", _LAYERS)
def test_inplace_layers_match_pytorch_values_gradients_and_write_the_input(name, args, fn):
    x = np.random.default_rng(0).standard_normal((4, 5)) * 3
    a, ta = tg.tensor(x, dtype=np.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
    h, th = a * 1.5, ta * 1.5
    ours = getattr(nn, name)(*args, inplace=True)
    want = getattr(torch.nn, name)(*args, inplace=True)
    y, ty = ours(h), want(th)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-7)
    np.testing.assert_allclose(h.numpy(), th.detach().numpy(), rtol=1e-7)  # the input holds the result too
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6, atol=1e-12)  # PyTorch: ~3e-8 off
    assert ours.inplace and "inplace=True" in repr(ours) or name in ("Hardsigmoid", "Hardswish")


@pytest.mark.parametrize("name, args, fn", _LAYERS)
def test_inplace_layers_outside_a_graph_return_the_input_itself(name, args, fn):
    x = tg.randn(3, 4)
    before = x.numpy().copy()
    out = getattr(nn, name)(*args, inplace=True)(x)
    assert out is x
    np.testing.assert_allclose(x.numpy(), getattr(nn, name)(*args)(tg.tensor(before)).numpy(), rtol=1e-6)


def test_inplace_relu_after_sigmoid_raises_at_backward_like_pytorch():
    a = tg.randn(5, requires_grad=True)
    s = a.sigmoid()
    nn.ReLU(inplace=True)(s)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        s.sum().backward()


def test_inplace_relu_on_a_leaf_that_requires_grad_is_refused():
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        nn.ReLU(inplace=True)(tg.randn(3, requires_grad=True))


def test_inplace_in_a_sequential_model_trains_like_the_out_of_place_one():
    tg.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(inplace=True), nn.Linear(6, 1))
    x = tg.randn(8, 4)
    net(x).sum().backward()
    grads = [p.grad.numpy().copy() for p in net.parameters()]
    for p in net.parameters():
        p.grad = None
    net[1].inplace = False
    net(x).sum().backward()
    for g, p in zip(grads, net.parameters()):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-6)


def test_layer_signatures_follow_pytorch():
    assert repr(nn.ReLU()) == repr(torch.nn.ReLU()) and repr(nn.ReLU(True)) == repr(torch.nn.ReLU(True))
    assert repr(nn.LeakyReLU(0.1, True)) == repr(torch.nn.LeakyReLU(0.1, True))
    assert repr(nn.Hardtanh()) == repr(torch.nn.Hardtanh())
    sp = nn.Softplus(beta=2.0, threshold=10.0)
    x = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(sp(tg.tensor(x)).numpy(),
                               torch.nn.Softplus(beta=2.0, threshold=10.0)(torch.tensor(x)).numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match="inplace must be True or False"):
        nn.ReLU(inplace="yes")
