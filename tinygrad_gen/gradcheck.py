"""Finite-difference checks of backward rules: the exercise "write a backward, check it" of a backprop course.

For every element x_i of every input that requires grad, the numerical derivative of each output is the central
difference (f(x + eps e_i) - f(x - eps e_i)) / (2 eps); the analytical one comes from ``backward``. They must agree
to ``|a - n| <= atol + rtol * |n|``.
"""

import numpy as np

from .autograd import enable_grad, grad, no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """A backward rule disagrees with finite differences; the message names input, element and both values."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, (tuple, list)) else (out,)


def _host(a):
    return a if type(a) is np.ndarray else a.get()


def _flat_outputs(fn, inputs):
    return [_host(o._data).astype(np.float64).ravel() for o in _outputs(fn, inputs) if isinstance(o, Tensor)]


def numerical_jacobian(fn, inputs, eps=1e-6):
    """One matrix per (input, output): entry [i, j] = d out_j / d in_i by central differences."""
    with no_grad():
        outs = [o for o in _outputs(fn, inputs) if isinstance(o, Tensor)]
        jac = []
        for t in inputs:
            if not isinstance(t, Tensor) or not t.requires_grad:
                jac.append(None)
                continue
            flat = t._data.reshape(-1)  # a view: perturbing it perturbs the input in place
            per_out = [np.zeros((flat.size, o._data.size)) for o in outs]
            for i in range(flat.size):
                orig = flat[i].item()
                flat[i] = orig + eps
                plus = _flat_outputs(fn, inputs)
                flat[i] = orig - eps
                minus = _flat_outputs(fn, inputs)
                flat[i] = orig
                for k in range(len(outs)):
                    per_out[k][i] = (plus[k] - minus[k]) / (2 * eps)
            jac.append(per_out)
    return jac


def analytical_jacobian(fn, inputs, create_graph=False):
    """The same matrices from backward: one backward per output element with a one-hot grad."""
    outs = [o for o in _outputs(fn, inputs) if isinstance(o, Tensor)]
    jac = [None if not isinstance(t, Tensor) or not t.requires_grad else
           [np.zeros((t._data.size, o._data.size)) for o in outs] for t in inputs]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for j in range(o._data.size):
            for t in inputs:
                if isinstance(t, Tensor):
                    t.grad = None
            onehot = np.zeros(o._data.size, dtype=_host(o._data).dtype)
            onehot[j] = 1
            o.backward(Tensor(onehot.reshape(o.shape)).to(o.device), retain_graph=True, create_graph=create_graph)
            for i, t in enumerate(inputs):
                if jac[i] is not None and t.grad is not None:
                    jac[i][k][:, j] = _host(t.grad._data).astype(np.float64).ravel()
    for t in inputs:
        if isinstance(t, Tensor):
            t.grad = None
    return jac


def output_shapes(fn, inputs):
    """The shapes of ``fn(*inputs)``'s Tensor outputs (computed without a graph)."""
    with no_grad():
        return [o.shape for o in _outputs(fn, inputs) if isinstance(o, Tensor)]


def mismatch(num, ana, inputs, atol, rtol, what="gradient", out_shapes=None):
    """The message for the worst element where ``|a - n| > atol + rtol * |n|``, or None when all agree."""
    for i, (n_in, a_in) in enumerate(zip(num, ana)):
        if n_in is None:
            continue
        for k, (n, a) in enumerate(zip(n_in, a_in)):
            bad = np.abs(a - n) > atol + rtol * np.abs(n)
            if bad.any():
                flat = int(np.argmax(np.abs(a - n) * bad))
                elem, out = np.unravel_index(flat, n.shape)
                index = np.unravel_index(elem, inputs[i].shape) if inputs[i].ndim else ()
                where = int(out)
                if out_shapes:
                    where = tuple(int(x) for x in np.unravel_index(out, out_shapes[k])) if out_shapes[k] else ()
                return (f"{what} mismatch for input {i} (shape {inputs[i].shape}) at element "
                        f"{tuple(int(x) for x in index)}, output {k} element {where}: numerical "
                        f"{n[elem, out]:.6g} vs analytical {a[elem, out]:.6g} (atol={atol}, rtol={rtol})")
    return None


def max_errors(num, ana, atol=1e-5):
    """The largest absolute error |a - n| and relative error |a - n| / max(|n|, atol) over all Jacobian entries."""
    abs_err = rel_err = 0.0
    for n_in, a_in in zip(num, ana):
        for n, a in zip(n_in or (), a_in or ()):
            if n.size:
                diff = np.abs(a - n)
                abs_err = max(abs_err, float(diff.max()))
                rel_err = max(rel_err, float((diff / np.maximum(np.abs(n), atol)).max()))
    return abs_err, rel_err


def _check_inputs(inputs, name):
    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t.dtype != np.float64:
            raise TypeError(f"{name}: input {i} (shape {t.shape}) has dtype {t.dtype}; finite differences at "
                            "eps=1e-6 are meaningful only in float64: make it with dtype=tg.float64, e.g. "
                            "tg.tensor(data, dtype=tg.float64, requires_grad=True), or x.double()")
    if not any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
        raise ValueError(f"{name}: no input requires grad; nothing to check")
    for t in inputs:
        if isinstance(t, Tensor) and t.requires_grad and not t._data.flags.c_contiguous:
            t._data = t._data.copy()  # the finite differences perturb a flat view of each input in place
    return tuple(inputs)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Compare ``fn``'s backward with central differences on every input that requires grad.

    Returns True, or raises ``GradcheckError`` naming the input, the element index, the numerical and the analytical
    value. Inputs that require grad must be float64 (``dtype=tg.float64``); float32 ones are an error."""
    inputs = _check_inputs(inputs, "gradcheck")
    num = numerical_jacobian(fn, inputs, eps)
    ana = analytical_jacobian(fn, inputs)
    message = mismatch(num, ana, inputs, atol, rtol, out_shapes=output_shapes(fn, inputs))
    if message:
        raise GradcheckError(message)
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check second derivatives: gradcheck of the map (inputs, v) -> d(fn(inputs) . v)/d inputs built with
    ``create_graph=True``, for a fixed random cotangent v per output."""
    inputs = _check_inputs(inputs, "gradgradcheck")
    with no_grad():
        outs = [o for o in _outputs(fn, inputs) if isinstance(o, Tensor)]
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        grad_outputs = [Tensor(rng.standard_normal(o.shape).astype(o.dtype)).to(o.device) for o in outs]
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]

    @enable_grad()
    def first_derivatives(*xs):
        xs_iter = iter(xs)
        full = [next(xs_iter) if isinstance(t, Tensor) and t.requires_grad else t for t in inputs]
        out = [o for o in _outputs(fn, full) if isinstance(o, Tensor)]
        total = None
        for o, v in zip(out, grad_outputs):
            term = (o * v).sum()
            total = term if total is None else total + term
        grads = grad(total, xs, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else x * 0.0 for g, x in zip(grads, xs))

    leaves = [Tensor(t._data, requires_grad=True) for t in diff]
    return gradcheck(first_derivatives, leaves, eps, atol, rtol)
