"""Edge cases against PyTorch: integer extremes in argmin/argmax, x ** y at x = 0 and c ** x for c <= 0, 0-d tensors
through the reductions and softmaxes, empty tensors through every reduction, attention given mask and causal."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F

I64 = np.iinfo(np.int64)


@pytest.mark.parametrize("values", [[I64.min, 0, I64.max], [I64.max, I64.min, I64.min], [5, -3, 5, -3]])
def test_argmin_and_argmax_are_exact_on_integer_extremes(values):
    x = np.array(values)
    for name in ("argmin", "argmax"):
        assert getattr(tg.tensor(x), name)().item() == getattr(torch.tensor(x), name)().item()
    m = np.stack([x, x[::-1]])
    for name in ("argmin", "argmax"):
        ours = getattr(tg.tensor(m), name)(axis=1, keepdims=True).numpy()
        assert np.array_equal(ours, getattr(torch.tensor(m), name)(dim=1, keepdim=True).numpy())


def _torch_grads(fn, *arrays):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    fn(*ts).sum().backward()
    return [t.grad.numpy() for t in ts]


def _our_grads(fn, *arrays):
    ts = [tg.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fn(*ts).sum().backward()
    return [t.grad.numpy() for t in ts]


def test_pow_gradients_at_zero_base_match_torch():
    x = np.array([0.0, 0.0, 0.0, 0.0, 2.0, -1.5, 0.0])
    y = np.array([0.0, 1.0, 2.5, -1.0, 0.0, 2.0, 0.5])
    for ours, theirs in zip(_our_grads(lambda a, b: a ** b, x, y), _torch_grads(lambda a, b: a ** b, x, y)):
        np.testing.assert_allclose(ours, theirs)


@pytest.mark.parametrize("c", [0.0, -2.0, 2.0, 1.0])
def test_pow_of_a_constant_base_matches_torch_for_every_sign(c):
    x = np.array([-1.0, 0.0, 0.5, 2.0, 3.0])
    np.testing.assert_allclose(_our_grads(lambda a: c ** a, x)[0], _torch_grads(lambda a: c ** a, x)[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours = (c ** tg.tensor(x, dtype=np.float64)).numpy()
    np.testing.assert_allclose(ours, (c ** torch.tensor(x)).numpy())


@pytest.mark.parametrize("c", [0.0, 1.0, 2.0, 0.5, -1.0])
def test_pow_by_a_constant_at_zero_matches_torch(c):
    x = np.array([0.0, 1.5])
    np.testing.assert_allclose(_our_grads(lambda a: a ** c, x)[0], _torch_grads(lambda a: a ** c, x)[0])


REDUCTIONS = {
    "sum": (lambda x, ax: x.sum(axis=ax), lambda x, ax: x.sum(dim=ax)),
    "mean": (lambda x, ax: x.mean(axis=ax), lambda x, ax: x.mean(dim=ax)),
    "max": (lambda x, ax: x.max(axis=ax), lambda x, ax: x.amax(dim=ax)),
    "min": (lambda x, ax: x.min(axis=ax), lambda x, ax: x.amin(dim=ax)),
    "logsumexp": (lambda x, ax: x.logsumexp(axis=ax), lambda x, ax: x.logsumexp(dim=ax)),
    "softmax": (lambda x, ax: x.softmax(axis=ax), lambda x, ax: x.softmax(dim=ax)),
    "log_softmax": (lambda x, ax: x.log_softmax(axis=ax), lambda x, ax: x.log_softmax(dim=ax)),
    "F.softmax": (lambda x, ax: F.softmax(x, axis=ax), lambda x, ax: torch.softmax(x, ax)),
    "prod": (lambda x, ax: x.prod(axis=ax), lambda x, ax: x.prod(dim=ax)),
    "cumsum": (lambda x, ax: x.cumsum(axis=ax), lambda x, ax: x.cumsum(dim=ax)),
}


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_0d_tensors_go_through_reductions_forward_and_backward_like_torch(name, axis):
    ours_fn, torch_fn = REDUCTIONS[name]
    x = tg.tensor(1.5, dtype=np.float64, requires_grad=True)
    xt = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    y, yt = ours_fn(x, axis), torch_fn(xt, axis)
    assert y.shape == tuple(yt.shape) == ()
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy())
    (y * 3).backward()
    (yt * 3).backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_0d_tensors_squeeze_and_reduce_without_an_axis():
    x = tg.tensor(2.0)
    assert x.squeeze(0).shape == () and x.squeeze(-1).shape == () and x.squeeze().shape == ()
    assert x.sum().item() == 2.0 and x.max().item() == 2.0 and x.argmax().item() == 0 and x.argmax(0).item() == 0
    with pytest.raises(ValueError, match="sum"):
        x.sum(axis=1)


EMPTY = {
    "sum": (lambda x, ax: x.sum(axis=ax), lambda x, ax: x.sum(dim=ax) if ax is not None else x.sum()),
    "mean": (lambda x, ax: x.mean(axis=ax), lambda x, ax: x.mean(dim=ax) if ax is not None else x.mean()),
    "prod": (lambda x, ax: x.prod(axis=ax), lambda x, ax: x.prod(dim=ax) if ax is not None else x.prod()),
    "logsumexp": (lambda x, ax: x.logsumexp(axis=ax), lambda x, ax: x.logsumexp(dim=ax if ax is not None
                                                                                  else (0, 1))),
    "var": (lambda x, ax: x.var(axis=ax), lambda x, ax: x.var(dim=ax, correction=0)),
    "all": (lambda x, ax: x.all(axis=ax), lambda x, ax: x.all(dim=ax) if ax is not None else x.all()),
    "any": (lambda x, ax: x.any(axis=ax), lambda x, ax: x.any(dim=ax) if ax is not None else x.any()),
    "softmax": (lambda x, ax: x.softmax(axis=ax if ax is not None else 0),
                lambda x, ax: x.softmax(dim=ax if ax is not None else 0)),
    "cumsum": (lambda x, ax: x.cumsum(axis=ax if ax is not None else 0),
               lambda x, ax: x.cumsum(dim=ax if ax is not None else 0)),
}


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("name", sorted(EMPTY))
def test_empty_tensors_reduce_to_torchs_values(name, axis):
    ours_fn, torch_fn = EMPTY[name]
    x = tg.zeros(0, 3, dtype=np.float64, requires_grad=True)
    xt = torch.zeros(0, 3, dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy division warnings either
        y = ours_fn(x, axis)
    yt = torch_fn(xt, axis)
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y.numpy().astype(np.float64), yt.detach().numpy().astype(np.float64))
    if y.requires_grad:
        y.sum().backward()
        assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin"])
def test_max_min_and_arg_reductions_over_a_zero_size_axis_are_errors_naming_the_op(name):
    with pytest.raises(ValueError, match=name):
        getattr(tg.zeros(0, 3), name)()
    with pytest.raises(ValueError, match=name):
        getattr(tg.zeros(0, 3), name)(axis=0)
    assert getattr(tg.zeros(0, 3), name)(axis=1).shape == (0,)  # nothing reduced over a zero-size axis: fine


def test_attention_given_both_a_mask_and_causal_is_a_clear_error():
    q = tg.randn(1, 3, 4)
    with pytest.raises(ValueError, match="scaled_dot_product_attention.*mask.*causal"):
        F.scaled_dot_product_attention(q, q, q, mask=np.ones((3, 3), bool), causal=True)
