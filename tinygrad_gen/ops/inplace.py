"""In-place ops: ``x += y``, ``add_``, ``sub_``, ``mul_``, ``div_``, ``clamp_``, ``fill_``, ``zero_``, ``copy_`` and
``x[i] = v``. They write into the tensor's own array, are not differentiable, and follow PyTorch's rules:

- under ``no_grad`` (or on a tensor outside any graph) they write into the array and bump the tensor's version;
- with grad mode on, a leaf that requires grad is refused (PyTorch's "a leaf Variable that requires grad is being
  used in an in-place operation");
- with grad mode on, a tensor in a graph (or an operand that requires grad) is not written: the operators
  ``+= -= *= /=`` then compute out of place and rebind the name (``y += x`` is ``y = y + x``, so the gradient is
  right), and the named methods (``add_`` ...) raise, since they promise to change the tensor itself;
- a backward rule that saved an array checks its tensor's version, so an array changed in place after it was
  saved raises "one of the variables needed for gradient computation has been modified by an inplace operation"
  instead of giving a wrong gradient. A view (a reshape, a slice, a transpose ...) and ``detach()`` share the
  array and its version counter, as in PyTorch: a write through any of them is seen.

Every error is raised before anything is written.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import ArgumentError
from ..binding import bind
from ..grad_mode import _Mode
from ..tensor import Number, Tensor, TensorLike, bump_version
from .checks import as_tensor, constant, operand
from .indexing import write


def _blocked(t: Tensor, op: str, other) -> bool:
    """Whether grad mode forbids writing ``t`` in place; raises for a leaf that requires grad (before any change)."""
    if not _Mode.grad:
        return False
    if t._requires_grad and t._ctx is None:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place operation "
                           f"(shape {t.shape}); update it inside `with tg.no_grad():`")
    return t._ctx is not None or (isinstance(other, Tensor) and other._requires_grad)


def _in_graph_error(t: Tensor, op: str) -> RuntimeError:
    return RuntimeError(f"{op}: an in-place write into a tensor that is part of a graph, or of a value that "
                        f"requires grad, is not supported with grad mode on (shape {t.shape}); compute out of place "
                        f"(y = y + x, where, masked_fill, cat) or write under tg.no_grad()")


def _ufunc_operand(other, t: Tensor):
    """``checks.operand`` unwrapped for the ufunc that writes into t: a number, or an array on t's device (data in
    t's float dtype)."""
    other = operand(other, t)
    return other._data if isinstance(other, Tensor) else other


def _assign(a, value, out, casting):
    out[...] = value


def _write(t: Tensor, op: str, ufunc, other, rebind: bool = False, alpha=1):
    """Write ``ufunc(t, alpha * other)`` into ``t``'s array and bump its version; errors are raised before any
    change. ``rebind``: the operator form (``+=``), which under a graph returns NotImplemented so Python computes out
    of place."""
    if _blocked(t, op, other):
        if rebind:
            return NotImplemented  # Python then evaluates y = y + x: out of place, the graph stays right
        raise _in_graph_error(t, op)
    o = None if other is None else _ufunc_operand(other, t)
    if alpha != 1:
        o = o * alpha
    try:
        # "same_kind": a float result is not silently truncated into an integer tensor (PyTorch refuses it too)
        ufunc(t._data, o, out=t._data, casting="same_kind")
    except (ValueError, TypeError) as e:
        shape = getattr(o, "shape", ())
        raise RuntimeError(f"{op}: cannot write the result into the tensor of shape {t.shape} and dtype {t.dtype} "
                           f"(operand shape {tuple(shape)}): {e}") from e
    bump_version(t)
    return t


def add_(x: Tensor, other: TensorLike, alpha: float = 1) -> Tensor:
    """x += alpha * other, in place; returns x (PyTorch's ``Tensor.add_``).

    Args:
        x: the tensor written into (not a leaf that requires grad, unless under ``tg.no_grad()``).
        other: a tensor, a number or array-like data that broadcasts to x's shape.
        alpha: a number other is multiplied by first."""
    return _write(x, "add_", np.add, other, alpha=alpha)


def sub_(x: Tensor, other: TensorLike, alpha: float = 1) -> Tensor:
    """x -= alpha * other, in place; returns x (PyTorch's ``Tensor.sub_``). Arguments as ``add_``."""
    return _write(x, "sub_", np.subtract, other, alpha=alpha)


def mul_(x: Tensor, other: TensorLike) -> Tensor:
    """x *= other, in place; returns x (PyTorch's ``Tensor.mul_``). Arguments as ``add_``."""
    return _write(x, "mul_", np.multiply, other)


def div_(x: Tensor, other: TensorLike) -> Tensor:
    """x /= other, in place; returns x (PyTorch's ``Tensor.div_``); an integer tensor cannot hold the result."""
    return _write(x, "div_", np.true_divide, other)


def iadd(x: Tensor, other: TensorLike) -> Tensor:
    """``x += other``: in place outside a graph; inside one, ``x = x + other`` (Python's ``__iadd__``)."""
    return _write(x, "add_", np.add, other, rebind=True)


def isub(x: Tensor, other: TensorLike) -> Tensor:
    """``x -= other``: in place outside a graph; inside one, ``x = x - other`` (Python's ``__isub__``)."""
    return _write(x, "sub_", np.subtract, other, rebind=True)


def imul(x: Tensor, other: TensorLike) -> Tensor:
    """``x *= other``: in place outside a graph; inside one, ``x = x * other`` (Python's ``__imul__``)."""
    return _write(x, "mul_", np.multiply, other, rebind=True)


def itruediv(x: Tensor, other: TensorLike) -> Tensor:
    """``x /= other``: in place outside a graph; inside one, ``x = x / other`` (Python's ``__itruediv__``)."""
    return _write(x, "div_", np.true_divide, other, rebind=True)


def clamp_(x: Tensor, min: Number | None = None, max: Number | None = None) -> Tensor:
    """Each element of x limited to [min, max], in place; returns x (PyTorch's ``Tensor.clamp_`` / ``clip_``).

    Args:
        x: the tensor written into.
        min, max: numbers; either may be None, not both."""
    if min is None and max is None:
        raise ArgumentError("clamp_: at least one of min, max must be given")
    lo, hi = (None if v is None else _ufunc_operand(v, x) for v in (min, max))
    return _write(x, "clamp_", lambda a, _, out, casting: np.clip(a, lo, hi, out=out, casting=casting), None)


def fill_(x: Tensor, value: TensorLike) -> Tensor:
    """Every element of x set to ``value``, in place; returns x (PyTorch's ``Tensor.fill_``)."""
    return _write(x, "fill_", _assign, value)


def zero_(x: Tensor) -> Tensor:
    """Every element of x set to 0, in place; returns x (PyTorch's ``Tensor.zero_``)."""
    return _write(x, "zero_", _assign, 0)


def copy_(x: Tensor, src: TensorLike | None) -> Tensor:
    """src's values written into x (broadcast, cast to x's dtype, moved to x's device); returns x (PyTorch's
    ``Tensor.copy_``).

    Args:
        x: the tensor written into.
        src: a tensor or array-like data that broadcasts to x's shape."""
    if _blocked(x, "copy_", src):
        raise _in_graph_error(x, "copy_")
    return _write(x, "copy_", _assign, Tensor(constant(src, x)))  # src's array, moved to x's device


def setitem(x: Tensor, index: TensorLike, value: TensorLike) -> None:
    """``x[index] = value``: an in-place write under the rules of ``add_`` (Python's ``__setitem__``).

    Args:
        x: the tensor written into.
        index: anything ``x[...]`` takes (ints, slices, None, Ellipsis, integer arrays or tensors, boolean masks).
        value: a number, a tensor or array-like data that broadcasts to the indexed shape."""
    if _blocked(x, "setitem", value):
        raise _in_graph_error(x, "setitem")
    value = value if isinstance(value, (bool, int, float, np.generic)) else constant(value, x)
    try:
        write(x._data, index, value)  # PyTorch's reading of the index (axis order of separated index tensors)
    except (ValueError, IndexError, TypeError) as e:
        raise type(e)(f"setitem: cannot write a value of shape {getattr(value, 'shape', ())} into index {index!r} "
                      f"of a tensor of shape {x.shape}: {e}") from e
    bump_version(x)


def inplace_result(x: Tensor, fn: Callable[[Tensor], Tensor], op: str) -> Tensor:
    """``fn(x)`` written into x's own memory, for PyTorch's ``inplace=True`` (``F.relu(x, inplace=True)``,
    ``nn.ReLU(inplace=True)``, ``F.dropout(x, inplace=True)``); x's version counter is bumped, so a backward that
    saved x (``y = x.sigmoid(); F.relu(y, inplace=True)``) raises PyTorch's "modified by an inplace operation".

    - Outside a graph (grad mode off, or x not requiring grad): x is written and returned, as in PyTorch.
    - A leaf that requires grad, with grad mode on: refused, as in PyTorch.
    - x in a graph: ``fn`` is applied out of place to a copy of x in the graph, the values are written into x, and
      the result returned is that new tensor (PyTorch returns x itself, re-pointed at the new op): use the value
      returned (``x = F.relu(x, inplace=True)``, as every ``nn.Sequential`` does). x keeps its old place in the
      graph, so a gradient taken through x itself afterwards does not see ``fn``.

    Args:
        x: the tensor written into.
        fn: the out-of-place op, a function of one tensor returning one tensor of x's shape and dtype.
        op: the op's name, for errors."""
    x = as_tensor(x)
    in_graph = _Mode.grad and x._requires_grad
    if in_graph and x._ctx is None:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place operation "
                           f"(shape {x.shape}); update it inside `with tg.no_grad():`")
    if not x._data.flags.writeable or any(s == 0 and n > 1 for s, n in zip(x._data.strides, x.shape)):
        raise RuntimeError(f"{op}: unsupported operation: more than one element of the written-to tensor refers to a "
                           f"single memory location (an expanded tensor of shape {x.shape}, or read-only memory); "
                           "clone it first or use inplace=False")
    out = fn(x.clone() if in_graph else x)
    if out.shape != x.shape or out.dtype != x.dtype:
        raise RuntimeError(f"{op}: the result of shape {out.shape} and dtype {out.dtype} cannot be written in place "
                           f"into the input of shape {x.shape} and dtype {x.dtype}")
    if out._data is not x._data:
        x._data[...] = out._data
    bump_version(x)
    return out if in_graph else x


BINDINGS = [
    bind(add_, method="add_"),
    bind(sub_, method="sub_"),
    bind(mul_, method="mul_"),
    bind(div_, method="div_"),
    bind(iadd, method="__iadd__"),
    bind(isub, method="__isub__"),
    bind(imul, method="__imul__"),
    bind(itruediv, method="__itruediv__"),
    bind(clamp_, method="clamp_ clip_"),
    bind(fill_, method="fill_"),
    bind(zero_, method="zero_"),
    bind(copy_, method="copy_"),
    bind(setitem, method="__setitem__"),
]
CASES: list = []  # in-place ops are not differentiable: their tests are in tests/ops/test_inplace.py
