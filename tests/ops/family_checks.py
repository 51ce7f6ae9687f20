"""The checks every op family's rows get. A family's test file subclasses ``FamilyChecks`` with ``family = <module>``;
``conftest.py`` parametrizes each test below with that family's ``CASES``:

- the backward against float64 central differences, on shapes hypothesis draws (broadcasting included);
- second derivatives (gradgradcheck) on the row's shapes;
- values and gradients against the row's PyTorch twin, in float32 and float64;
- the fast paths against the plain ops (``TGG_KERNELS=reference``), values and gradients, float32 and float64;
- the in-place probe: forward, change an input or the output in place, backward: PyTorch's error where PyTorch
  raises one, PyTorch's gradient where it gives one (for a row whose twin is a composition of PyTorch ops,
  ``exact_twin=False``, our error is accepted there too: it saved more than the composition does, never less).
"""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_gen as tg
from tinygrad_gen import dispatch

TOL = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=2e-4, atol=2e-5)}


def shapes_for(case):
    """A hypothesis strategy of input-shape tuples that ``case`` accepts."""
    n = len(case.shapes)
    if case.draw == "broadcast":
        return hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=3, max_side=3).map(
            lambda bs: bs.input_shapes)
    one = hnp.array_shapes(min_dims=max(case.min_ndim, 0), max_dims=3, min_side=1, max_side=3)
    if case.draw == "any" and case.min_ndim == 0:
        one = st.one_of(st.just(()), one)
    return one.map(lambda shape: (shape,) * n)


def run(case, inputs):
    """(output values, input gradients) of ``case.fn`` at ``inputs`` (fresh leaves), seeded."""
    tg.manual_seed(0)
    out = case.fn(*inputs)
    out.backward(tg.tensor(np.linspace(-1, 1, out.numel()).reshape(out.shape), dtype=out.dtype))
    return out.numpy().copy(), [None if x.grad is None else x.grad.numpy().copy() for x in inputs]


def run_torch(case, arrays):
    """(output values, input gradients) of the row's PyTorch twin."""
    xs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = case.torch(torch, *xs)
    out.backward(torch.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)), dtype=out.dtype))
    return out.detach().numpy(), [None if x.grad is None else x.grad.numpy() for x in xs]


def assert_close(got, want, dtype, what):
    np.testing.assert_allclose(got, want, err_msg=what, **TOL[dtype])


def fresh(case, seed, dtype, shapes=None):
    return case.inputs(np.random.default_rng(seed), shapes, dtype=dtype)


MATCH_TOL = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=2e-4, atol=2e-5)}


def normal_grad(shape, seed=0):
    """A fixed random upstream gradient (standard normal, seeded), for ``grad=`` of the helpers below."""
    return np.random.default_rng(seed).standard_normal(shape)


def upstream(grad, shape, dtype):
    """The upstream gradient for an output of ``shape``: linspace(-1, 1) when ``grad`` is None, ``grad(shape)`` when
    it is callable, else ``grad`` broadcast to ``shape``; in ``dtype``."""
    if grad is None:
        g = np.linspace(-1, 1, int(np.prod(shape))).reshape(shape)
    elif callable(grad):
        g = grad(shape)
    else:
        g = np.broadcast_to(np.asarray(grad), shape)
    return np.array(g, dtype=dtype)


def leaves(*arrays, dtype=np.float64):
    """Fresh tinygrad_gen leaves that require grad, in ``dtype``; a None stays None."""
    return [None if a is None else tg.tensor(np.asarray(a), dtype=dtype, requires_grad=True) for a in arrays]


def torch_leaves(*arrays, dtype=np.float64):
    return [None if a is None else torch.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]


def grads_of(fn, arrays, dtype=np.float64, grad=None):
    """fn's values and its inputs' gradients (None for an input given as None or that got none), for the upstream
    gradient ``grad`` (see ``upstream``; linspace(-1, 1) by default)."""
    xs = leaves(*arrays, dtype=dtype)
    out = fn(*xs)
    out.backward(tg.tensor(upstream(grad, out.shape, dtype), dtype=dtype))
    return out.numpy().copy(), [None if x is None or x.grad is None else x.grad.numpy().copy() for x in xs]


def torch_grads_of(torch_fn, arrays, dtype=np.float64, grad=None):
    """``grads_of`` for a PyTorch function."""
    xs = torch_leaves(*arrays, dtype=dtype)
    out = torch_fn(*xs)
    out.backward(torch.from_numpy(upstream(grad, tuple(out.shape), dtype)))
    return out.detach().numpy(), [None if x is None or x.grad is None else x.grad.numpy() for x in xs]


def _tolerance(tol, dtype):
    """``tol`` is None (MATCH_TOL), one dict(rtol=, atol=) or a dict of them by dtype."""
    dtype = np.dtype(dtype).type
    tol = MATCH_TOL if tol is None else tol
    return tol[dtype] if dtype in tol else tol


def matches_torch(fn, torch_fn, arrays, dtype=np.float64, tol=None, grad=None, grad_tol=None):
    """fn and its PyTorch twin torch_fn at ``arrays`` (in ``dtype``; a None is passed as None) agree: shape, dtype,
    values, and the gradient of every input for the upstream gradient ``grad`` (linspace(-1, 1) by default,
    ``normal_grad`` for a seeded random one, or a value). ``tol`` (one dict, or one per dtype; MATCH_TOL by default)
    for values, ``grad_tol`` (default ``tol``) for gradients. Returns our (values, gradients)."""
    tol = _tolerance(tol, dtype)
    grad_tol = tol if grad_tol is None else _tolerance(grad_tol, dtype)
    out, grads = grads_of(fn, arrays, dtype, grad)
    want, want_grads = torch_grads_of(torch_fn, arrays, dtype, grad)
    assert out.shape == want.shape, f"shape {out.shape}, PyTorch {want.shape}"
    assert out.dtype == np.dtype(dtype), f"dtype {out.dtype}, wanted {np.dtype(dtype)}"
    np.testing.assert_allclose(out, want, err_msg="values", **tol)
    for i, (a, g, w) in enumerate(zip(arrays, grads, want_grads)):
        if a is None:
            continue
        assert g is not None, f"input {i} got no gradient"
        assert w is not None, f"input {i} got no gradient from PyTorch"
        np.testing.assert_allclose(g, w, err_msg=f"gradient of input {i}", **grad_tol)
    return out, grads


def modified_in_place(case, arrays, which, library):
    """Run the row, add 0.25 in place (outside grad mode) to input ``which`` (or the output, for -1), then backward;
    the input gradients, or the RuntimeError raised."""
    if library == "torch":
        xs = [torch.tensor(a, requires_grad=True) for a in arrays]
        out = case.torch(torch, *xs)
        target = out if which == -1 else xs[which]
        try:
            with torch.no_grad():
                target.add_(0.25)
        except RuntimeError:  # PyTorch refuses the write itself (an expanded view's output): nothing to probe
            return None
    else:
        xs = [tg.tensor(a, dtype=a.dtype, requires_grad=True) for a in arrays]
        tg.manual_seed(0)
        out = case.fn(*xs)
        target = out if which == -1 else xs[which]
        with tg.no_grad():
            target.add_(0.25)
    try:
        out.sum().backward()
    except RuntimeError as e:
        return e
    return [None if x.grad is None else np.asarray(x.grad.detach().numpy() if library == "torch" else x.grad.numpy())
            for x in xs]


class FamilyChecks:
    """Subclass with ``family = <ops module>``; each test runs once per row of ``family.CASES`` (the PyTorch and
    in-place tests once per row that has a PyTorch twin)."""
    family = None

    @given(data=st.data())
    def test_backward_matches_finite_differences(self, case, data):
        if case.draw == "fixed":
            inputs = fresh(case, 1, np.float64)
        else:
            shapes = data.draw(shapes_for(case), label="shapes")
            inputs = fresh(case, data.draw(st.integers(0, 2 ** 16), label="seed"), np.float64, shapes)
        assert tg.gradcheck(case.fn, inputs)

    def test_second_derivatives_match_finite_differences(self, case):
        assert tg.gradgradcheck(case.fn, fresh(case, 2, np.float64))

    @pytest.mark.parametrize("dtype", [np.float64, np.float32])
    def test_matches_pytorch(self, case, dtype):
        inputs = fresh(case, 3, dtype)
        out, grads = run(case, inputs)
        want, want_grads = run_torch(case, [x.numpy() for x in inputs])
        assert out.dtype == want.dtype, f"{case.name}: dtype {out.dtype}, PyTorch {want.dtype}"
        assert_close(out, want, dtype, f"{case.name}: values")
        for i, (g, w) in enumerate(zip(grads, want_grads)):
            assert (g is None) == (w is None), f"{case.name}: input {i} gradient presence"
            if g is not None:
                assert_close(g, w, dtype, f"{case.name}: gradient of input {i}")

    @pytest.mark.parametrize("dtype", [np.float64, np.float32])
    def test_fast_paths_match_plain_ops(self, case, dtype):
        with dispatch.kernels("reference"):
            want, want_grads = run(case, fresh(case, 4, dtype))
        with dispatch.kernels("fast"):
            got, grads = run(case, fresh(case, 4, dtype))
        assert_close(got, want, dtype, f"{case.name}: fast path values")
        for i, (g, w) in enumerate(zip(grads, want_grads)):
            if w is not None:
                assert_close(g, w, dtype, f"{case.name}: fast path gradient of input {i}")

    def test_in_place_change_after_forward_is_caught_as_in_pytorch(self, case):
        arrays = [x.numpy() for x in fresh(case, 5, np.float64)]
        for which in [-1, *range(len(arrays))]:
            want = modified_in_place(case, arrays, which, "torch")
            if want is None:
                continue
            got = modified_in_place(case, arrays, which, "tg")
            what = f"{case.name}: {'the output' if which == -1 else f'input {which}'} changed in place"
            if isinstance(want, Exception):
                assert isinstance(got, RuntimeError), f"{what}: PyTorch raises ({want}), we gave a gradient"
                assert "modified by an inplace operation" in str(got), f"{what}: {got}"
            elif case.exact_twin or not isinstance(got, RuntimeError):
                assert not isinstance(got, Exception), f"{what}: PyTorch gives a gradient, we raised {got}"
                for i, (g, w) in enumerate(zip(got, want)):
                    if w is not None:
                        np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-9, err_msg=f"{what}: gradient {i}")


# ----- values and gradients against PyTorch, for the special-value tests of the family files -----
def grads(library, fn, *arrays):
    """The value of fn(*arrays) and the gradients of its sum, in float64, with PyTorch ("torch") or ours ("tg")."""
    if library == "torch":
        ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    else:
        ts = [tg.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = fn(*ts)
        out.sum().backward()
    values = out.detach().numpy() if library == "torch" else out.numpy()
    return [values] + [t.grad.numpy() for t in ts]


def assert_like_torch(fn, *arrays, torch_fn=None):
    for ours, theirs in zip(grads("tg", fn, *arrays), grads("torch", torch_fn or fn, *arrays)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
