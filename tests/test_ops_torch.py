"""Every core op, forward and backward, against PyTorch (an independent oracle) in float32 and float64."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_gen as tg
from tinygrad_gen.op_cases import CORE, _pattern, index_pattern
from test_ops_gradcheck import shapes_for

BY_NAME = {c.name: c for c in CORE}


def _bshape(a, b):
    return torch.broadcast_shapes(a.shape, b.shape)


TORCH = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a: -a,
    "add_scalar": lambda a: 2.5 + a - 1,
    "mul_scalar": lambda a: 3 * a * 0.5,
    "rdiv_scalar": lambda a: 2.0 / a,
    "pow_scalar": lambda a: a ** 3,
    "pow_fractional": lambda a: a ** 1.5,
    "pow": lambda a, b: a ** b,
    "rpow_scalar": lambda a: 2.0 ** a,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "abs": torch.abs,
    "clip": lambda a: a.clamp(-0.5, 0.5),
    "erf": torch.erf,
    "normal_cdf": torch.special.ndtr,
    "normal_pdf": lambda a: torch.exp(-a * a / 2) / math.sqrt(2 * math.pi),
    "gelu_slope": lambda a: torch.special.ndtr(a) + a * torch.exp(-a * a / 2) / math.sqrt(2 * math.pi),
    "masked_fill": lambda a: a.masked_fill(torch.from_numpy(_pattern(tuple(a.shape))), -1.0),
    "where": lambda a, b: torch.where(torch.from_numpy(_pattern(tuple(_bshape(a, b)))), a, b),
    "sum": lambda a: a.sum(),
    "sum_axis": lambda a: a.sum(-1, keepdim=True),
    "mean": lambda a: a.mean(0),
    "max": lambda a: a.amax(-1),
    "min": lambda a: a.amin(),
    "var": lambda a: a.var(correction=0),
    "var_ddof1": lambda a: a.var(0, correction=1),
    "std": lambda a: a.std(-1, keepdim=True, correction=0),
    "logsumexp": lambda a: torch.logsumexp(a, -1),
    "softmax": lambda a: torch.softmax(a, -1),
    "log_softmax": lambda a: torch.log_softmax(a, 0),
    "matmul": torch.matmul,
    "matmul_batched": torch.matmul,
    "matmul_vector": torch.matmul,
    "matmul_dot": torch.matmul,
    "reshape": lambda a: a.reshape(-1),
    "transpose": lambda a: a.permute(tuple(reversed(range(a.ndim)))),
    "T": lambda a: a.permute(tuple(reversed(range(a.ndim)))) * 1.0,
    "swapaxes": lambda a: a.transpose(0, -1),
    "squeeze": lambda a: a.squeeze(),
    "unsqueeze": lambda a: a.unsqueeze(0),
    "flatten": lambda a: a.flatten(),
    "expand": lambda a: a.expand(2, *a.shape),
    "getitem_basic": lambda a: a[..., ::2],
    "getitem_int_array": lambda a: a[[0, -1, 0]],
    "getitem_tensor": lambda a: a[torch.tensor([0, 0, -1])],
    "getitem_bool": lambda a: a[torch.from_numpy(_pattern(tuple(a.shape)))],
    "getitem_mixed": lambda a: a[None, 1:, torch.tensor([2, 2, 0])],
    "cat": lambda a, b: torch.cat([a, b], 0),
    "cat_same": lambda a, b: torch.cat([a, b], -1),
    "stack": lambda a, b: torch.stack([a, b], 0),
}

def _ix(shape, n):
    return torch.from_numpy(index_pattern(tuple(shape), n))


def _pieces(parts):
    return torch.cat([p.reshape(-1) * (i + 1) for i, p in enumerate(parts)])


TORCH.update({
    "sign": lambda a: a.sign() + a,
    "round": lambda a: (a * 3).round() + a,
    "floor": lambda a: torch.floor(a * 3) * a,
    "ceil": lambda a: a.ceil() + a,
    "sin": torch.sin,
    "cos": torch.cos,
    "log2": torch.log2,
    "exp2": torch.exp2,
    "rsqrt": torch.rsqrt,
    "copysign": torch.copysign,
    "remainder": lambda a, b: a % b,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "prod": lambda a: a.prod(),
    "prod_axis": lambda a: a.prod(0, keepdim=True),
    "cumsum": lambda a: a.cumsum(-1),
    "cumprod": lambda a: a.cumprod(0),
    "logcumsumexp": lambda a: a.logcumsumexp(-1),
    "cummax": lambda a: a.cummax(-1).values,
    "cummin": lambda a: torch.cummin(a, 0)[0],
    "sort": lambda a: a.sort(-1).values,
    "sort_descending": lambda a: torch.sort(a, 0, descending=True)[0],
    "topk": lambda a: a.topk(2, -1).values,
    "gather": lambda a: a.gather(-1, _ix(a.shape[:-1] + (2,), a.shape[-1])),
    "scatter": lambda a, b: a.scatter(0, _ix((1,) + tuple(a.shape[1:]), a.shape[0]), b[:1]),
    "scatter_add": lambda a, b: a.scatter_add(-1, _ix(b.shape, a.shape[-1]), b),
    "scatter_reduce_mean": lambda a, b: a.scatter_reduce(-1, _ix(b.shape, min(2, a.shape[-1])), b, "mean",
                                                         include_self=False),
    "scatter_reduce_amax": lambda a, b: a.scatter_reduce(0, _ix(b.shape, a.shape[0]), b, "amax"),
    "scatter_reduce_prod": lambda a, b: a.scatter_reduce(-1, _ix(b.shape, a.shape[-1]), b, "prod"),
    "masked_select": lambda a: a.masked_select(torch.from_numpy(_pattern(tuple(a.shape[-1:])))),
    "flip": lambda a: a.flip(-1),
    "roll": lambda a: a.roll(1, 0),
    "roll_flat": lambda a: a.roll(-2),
    "repeat": lambda a: a.repeat(2, *([1] * a.ndim)),
    "tile": lambda a: a.tile((2, 1)),
    "chunk": lambda a: _pieces(a.chunk(2, -1)),
    "split": lambda a: _pieces(torch.split(a, [1, 2], 0)),
    "einsum_matmul": lambda a, b: torch.einsum("ij,jk->ik", a, b),
    "einsum_batched_ellipsis": lambda a, b: torch.einsum("...ij,...kj->...ik", a, b),
    "einsum_trace": lambda a: torch.einsum("ii", a),
    "einsum_outer_sum": lambda a, b: torch.einsum("i,j->j", a, b) + torch.einsum("ij->", a[:, None] * b),
    "einsum_three": lambda a, b, c: torch.einsum("bi,bj,bk->bijk", a, b, c).sum(0),
})

TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def compare_with_torch(name, values, dtype, seed=0):
    """Run the op on the same values in both libraries; compare outputs, output dtype and input gradients."""
    ours = [tg.tensor(v, dtype=dtype, requires_grad=True) for v in values]
    theirs = [torch.tensor(v.astype(dtype), requires_grad=True) for v in values]
    out, out_t = BY_NAME[name].fn(*ours), TORCH[name](*theirs)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), **TOL[dtype])
    g = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
    out.backward(tg.tensor(g, dtype=dtype))
    out_t.backward(torch.from_numpy(g))
    for x, xt in zip(ours, theirs):
        assert x.grad.dtype == dtype and x.grad.shape == x.shape
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), **TOL[dtype])


def test_every_core_op_has_a_torch_reference():
    assert sorted(TORCH) == sorted(BY_NAME)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_forward_and_backward_match_torch(name, dtype):
    values = [x.numpy() for x in BY_NAME[name].inputs(np.random.default_rng(3))]
    compare_with_torch(name, values, dtype)


@pytest.mark.parametrize("name", sorted(c.name for c in CORE if c.draw != "fixed"))
@settings(max_examples=4)
@given(data=st.data())
def test_forward_and_backward_match_torch_on_drawn_shapes(name, data):
    case = BY_NAME[name]
    shapes = data.draw(shapes_for(case), label="shapes")
    values = [x.numpy() for x in case.inputs(np.random.default_rng(4), shapes)]
    compare_with_torch(name, values, np.float64)
