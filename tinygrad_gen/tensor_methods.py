"""The math methods of ``Tensor``: each one a thin call of a ``Function`` in ``ops/`` (read those for the forward
and backward math), plus the in-place ops and ``tg.cat`` / ``tg.stack`` / ``tg.where``.

Why they live here and not in ``tensor.py``: ``ops/`` and ``autograd`` build Tensors, so they import ``tensor.py``;
if ``tensor.py`` imported them back, the two would need each other. Instead this module, one layer above both,
writes the methods in the class body of ``_TensorMath`` and attaches them to ``Tensor`` once, at import (the
package ``__init__`` imports it first, so every Tensor has them). Imports point one way:
backend <- tensor <- autograd <- ops <- tensor_methods.

In-place ops follow PyTorch's rules (``x += y``, ``add_``, ``sub_``, ``mul_``, ``div_``, ``zero_``, ``fill_``,
``copy_``, ``clamp_``, ``x[i] = v``):

- under ``no_grad`` (or on a tensor outside any graph) they write into the array and bump the tensor's version;
- with grad mode on, a leaf that requires grad is refused (PyTorch's "a leaf Variable that requires grad is being
  used in an in-place operation");
- with grad mode on, a tensor in a graph (or an operand that requires grad) is not written: the operators
  ``+= -= *= /=`` then compute out of place and rebind the name (``y += x`` is ``y = y + x``, so the gradient is
  right), and the named methods (``add_`` ...) raise, since they promise to change the tensor itself;
- a backward rule that saved an array checks its tensor's version, so an array changed in place after it was
  saved raises "one of the variables needed for gradient computation has been modified by an inplace operation"
  instead of giving a wrong gradient. Views and ``detach()`` share the array but not the version counter.
"""
import numpy as np

from . import autograd, backend
from .grad_mode import _Mode
from .backend import check_device, to_device
from .ops import elementwise as _ew, reduce as _red, movement as _mv, matmul as _mm, softmax as _sm
from .tensor import Tensor, _as_tensor, _dtype, _number, _to_array


class _TensorMath:
    """The class body of Tensor's math methods; ``_attach`` copies every one onto ``Tensor``."""

    def to(self, device=None, dtype=None):
        """A copy on ``device`` and/or in ``dtype``; ``x.to(tg.float64)`` (a dtype in the device's place) works as in
        PyTorch."""
        if device is not None and not isinstance(device, str):
            device, dtype = None, device
        out = self if dtype is None else self.astype(dtype)
        if device is None:
            return out
        device = check_device(device)
        if device == out.device:
            return out
        return _mv.ToDevice.apply(out, device)

    def astype(self, dtype):
        dtype = _dtype(dtype)
        if dtype == self.dtype:
            return self
        # gradients flow only between floating-point dtypes; an integer result is a constant, as in PyTorch
        return _ew.Cast.apply(self if dtype.kind in "fc" else self.detach(), dtype)

    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Backpropagate: add d self / d leaf to the ``.grad`` of every leaf that requires grad."""
        autograd.backward(self, grad, retain_graph, create_graph)

    def __add__(self, other):
        return _ew.Add.apply(self, self._lift(other))

    def __radd__(self, other):
        return _ew.Add.apply(self._lift(other), self)

    def __sub__(self, other):
        return _ew.Sub.apply(self, self._lift(other))

    def __rsub__(self, other):
        return _ew.Sub.apply(self._lift(other), self)

    def __mul__(self, other):
        return _ew.Mul.apply(self, self._lift(other))

    def __rmul__(self, other):
        return _ew.Mul.apply(self._lift(other), self)

    def __truediv__(self, other):
        return _ew.Div.apply(self, self._lift(other))

    def __rtruediv__(self, other):
        return _ew.Div.apply(self._lift(other), self)

    def __pow__(self, other):
        other = self._lift(other)
        if isinstance(other, Tensor):
            return _ew.Pow.apply(self, other)
        return _ew.PowScalar.apply(self, other)

    def __rpow__(self, other):
        return _ew.Pow.apply(self._lift(other), self)

    def __neg__(self):
        return _ew.Neg.apply(self)

    def __matmul__(self, other):
        if isinstance(other, Tensor) and self.data.ndim >= 2 and other.data.ndim >= 2 \
                and self.data.shape[-1] == other.data.shape[-2]:
            return _mm.Matmul.apply(self, other)  # the common case, checked first
        other = self._lift(other)
        if not isinstance(other, Tensor):
            raise TypeError(f"matmul: cannot multiply a tensor of shape {self.shape} by a scalar with @")
        a, b = self, other
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else -1]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align: {a.shape[-1]} columns against "
                             f"{b.shape[-2 if b.ndim > 1 else -1]} rows")
        if a.ndim >= 2 and b.ndim >= 2:
            return _mm.Matmul.apply(a, b)
        # 1-D operands: lift to a row / column, multiply, drop the added axis (NumPy's rule)
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        out = _mm.Matmul.apply(a2, b2)
        if b.ndim == 1:
            out = out.squeeze(-1)
        if a.ndim == 1:
            out = out.squeeze(-2 if b.ndim > 1 else -1)
        return out

    def __rmatmul__(self, other):
        return Tensor(_to_array(other, self.dtype, self.device)) @ self

    # ----- elementwise functions -----
    def exp(self):
        return _ew.Exp.apply(self)

    def log(self):
        return _ew.Log.apply(self)

    def sqrt(self):
        return _ew.Sqrt.apply(self)

    def tanh(self):
        return _ew.Tanh.apply(self)

    def sigmoid(self):
        return _ew.Sigmoid.apply(self)

    def relu(self):
        return _ew.Relu.apply(self)

    def abs(self):
        return _ew.Abs.apply(self)

    def erf(self):
        return _ew.Erf.apply(self)

    def clip(self, lo=None, hi=None):
        if lo is None and hi is None:
            raise ValueError("clip: at least one of lo, hi must be given")
        return _ew.Clip.apply(self, _number(lo), _number(hi))

    clamp = clip

    def masked_fill(self, mask, value):
        mask = mask.data if isinstance(mask, Tensor) else mask
        if not isinstance(mask, backend.ARRAY_TYPES):
            mask = np.asarray(mask)  # lists, and the NumPy bool scalars that comparisons of 0-d arrays give
        if mask.dtype != bool:
            raise TypeError(f"masked_fill: mask must be boolean, got dtype {mask.dtype}")
        return _ew.MaskedFill.apply(self, mask if self.device == "cpu" else to_device(mask, "cuda"), value)

    # ----- reductions (NumPy's axis= / keepdims=; PyTorch's dim= / keepdim= are accepted as aliases) -----
    def sum(self, axis=None, keepdims=False, dim=None, keepdim=False):
        if dim is not None or keepdim:
            axis, keepdims = (axis if dim is None else dim), keepdims or keepdim
        return _red.Sum.apply(self, axis, keepdims) if axis is not None or keepdims else _red.Sum.apply(self)

    def mean(self, axis=None, keepdims=False, dim=None, keepdim=False):
        if dim is not None or keepdim:
            axis, keepdims = (axis if dim is None else dim), keepdims or keepdim
        return _red.Mean.apply(self, axis, keepdims)

    def max(self, axis=None, keepdims=False, dim=None, keepdim=False):
        if dim is not None or keepdim:
            axis, keepdims = (axis if dim is None else dim), keepdims or keepdim
        return _red.Max.apply(self, axis, keepdims)

    def min(self, axis=None, keepdims=False, dim=None, keepdim=False):
        if dim is not None or keepdim:
            axis, keepdims = (axis if dim is None else dim), keepdims or keepdim
        return _red.Max.apply(self, axis, keepdims, reducer="min")

    def var(self, axis=None, keepdims=False, ddof=0, dim=None, keepdim=False):
        """Variance: mean of squared deviations, divided by n - ddof. Composed of differentiable ops, so
        d var / dx_i = 2 (x_i - mean) / (n - ddof) comes out of the chain rule."""
        axis, keepdims = (axis if dim is None else dim), keepdims or keepdim
        axes = _red.normalize_axis(axis, self.ndim, "var")
        n = 1
        for i in axes:
            n *= self.shape[i]
        if n - ddof <= 0 and n > 0:
            raise ValueError(f"var: {n} elements with ddof={ddof} leave no degrees of freedom")
        d = self - self.mean(axis=axes, keepdims=True)
        if n == 0:  # the variance of nothing is NaN, as PyTorch (0 / 0 without NumPy's warning)
            return (d * d).sum(axis=axes, keepdims=keepdims) * float("nan")
        return (d * d).sum(axis=axes, keepdims=keepdims) / (n - ddof)

    def std(self, axis=None, keepdims=False, ddof=0, dim=None, keepdim=False):
        return self.var(axis, keepdims, ddof, dim, keepdim).sqrt()

    def logsumexp(self, axis=None, keepdims=False, dim=None, keepdim=False):
        if dim is not None or keepdim:
            axis, keepdims = (axis if dim is None else dim), keepdims or keepdim
        return _red.LogSumExp.apply(self, axis, keepdims)

    def argmax(self, axis=None, keepdims=False, dim=None, keepdim=False):
        if dim is not None or keepdim:
            axis, keepdims = (axis if dim is None else dim), keepdims or keepdim
        return _red.ArgMax.apply(self.detach(), axis, keepdims)

    def argmin(self, axis=None, keepdims=False, dim=None, keepdim=False):
        if dim is not None or keepdim:
            axis, keepdims = (axis if dim is None else dim), keepdims or keepdim
        return _red.ArgMax.apply(self.detach(), axis, keepdims, "min")  # direct: -x overflows at integer extremes

    def softmax(self, axis=-1, dim=None):
        return _sm.Softmax.apply(self, axis if dim is None else dim)

    def log_softmax(self, axis=-1, dim=None):
        return _sm.LogSoftmax.apply(self, axis if dim is None else dim)

    # ----- movement -----
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if shape == self.shape:
            return self
        return _mv.Reshape.apply(self, shape)

    view = reshape

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            return _mv.Transpose.apply(self, None)  # reverse the axes
        if len(axes) != self.ndim or sorted(a % self.ndim for a in axes) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation for shape {self.shape} (NumPy-style: "
                             "name every axis; swapaxes(a, b) swaps two)")
        return _mv.Transpose.apply(self, tuple(a % self.ndim for a in axes))

    permute = transpose

    @property
    def T(self):
        return _mv.Transpose.apply(self, None)

    def swapaxes(self, a, b):
        axes = list(range(self.ndim))
        a, b = a % self.ndim, b % self.ndim
        axes[a], axes[b] = axes[b], axes[a]
        return _mv.Transpose.apply(self, tuple(axes))

    def squeeze(self, axis=None):
        if axis is None:
            shape = tuple(n for n in self.shape if n != 1)
        else:
            axes = _red.normalize_axis(axis, self.ndim, "squeeze")
            for a in axes:
                if self.shape[a] != 1:
                    raise ValueError(f"squeeze: axis {a} has size {self.shape[a]}, not 1 (shape {self.shape})")
            shape = tuple(n for i, n in enumerate(self.shape) if i not in axes)
        return self.reshape(shape)

    def unsqueeze(self, axis):
        if not -self.ndim - 1 <= axis <= self.ndim:
            raise ValueError(f"unsqueeze: axis {axis} is out of range for shape {self.shape}")
        axis = axis % (self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def flatten(self, start=0, end=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start % self.ndim, end % self.ndim
        n = 1
        for s in self.shape[start:end + 1]:
            n *= s
        return self.reshape(self.shape[:start] + (n,) + self.shape[end + 1:])

    def expand(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        lead = len(shape) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: cannot expand shape {self.shape} to fewer dimensions {shape}")
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        if shape == self.shape:
            return self
        return _mv.Expand.apply(self, shape)

    def __getitem__(self, idx):
        return _mv.GetItem.apply(self, _mv._index_arrays(idx))

    # ----- in-place ops (rules in the module docstring) -----
    def __iadd__(self, other):
        return _write(self, "add_", np.add, other, rebind=True)

    def __isub__(self, other):
        return _write(self, "sub_", np.subtract, other, rebind=True)

    def __imul__(self, other):
        return _write(self, "mul_", np.multiply, other, rebind=True)

    def __itruediv__(self, other):
        return _write(self, "div_", np.true_divide, other, rebind=True)

    def add_(self, other, alpha=1):
        return _write(self, "add_", np.add, other if alpha == 1 else _operand(other) * alpha)

    def sub_(self, other, alpha=1):
        return _write(self, "sub_", np.subtract, other if alpha == 1 else _operand(other) * alpha)

    def mul_(self, other):
        return _write(self, "mul_", np.multiply, other)

    def div_(self, other):
        return _write(self, "div_", np.true_divide, other)

    def clamp_(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp_: at least one of min, max must be given")
        return _write(self, "clamp_", lambda a, _, out, casting: np.clip(a, _number(min), _number(max), out=out,
                                                                            casting=casting), None)

    clip_ = clamp_

    def fill_(self, value):
        return _write(self, "fill_", _assign, value)

    def zero_(self):
        return _write(self, "zero_", _assign, 0)

    def copy_(self, src):
        """Copy ``src``'s values (broadcast, cast to this dtype, moved to this device) into this tensor."""
        if _blocked(self, "copy_", src):
            raise _in_graph_error(self, "copy_")
        arr = src.data if isinstance(src, Tensor) else np.asarray(src)
        return _write(self, "copy_", _assign, arr if self.device == "cpu" else to_device(arr, self.device))

    def __setitem__(self, idx, value):
        """``x[idx] = value``: an in-place write, under the same rules as ``add_``."""
        if _blocked(self, "setitem", value):
            raise _in_graph_error(self, "setitem")
        self.data[_mv._index_arrays(idx)] = value.data if isinstance(value, Tensor) else value
        self._version += 1


def _operand(other):
    return other.data if isinstance(other, Tensor) else other if isinstance(other, (int, float)) else np.asarray(other)


def _assign(a, value, out, casting):
    out[...] = value


def _blocked(t, op, other):
    """Whether grad mode forbids writing ``t`` in place; raises for a leaf that requires grad (before any change)."""
    if not _Mode.grad:
        return False
    if t._requires_grad and t._ctx is None:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place operation "
                           f"(shape {t.shape}); update it inside `with tg.no_grad():`")
    return t._ctx is not None or (isinstance(other, Tensor) and other._requires_grad)


def _in_graph_error(t, op):
    return RuntimeError(f"{op}: an in-place write into a tensor that is part of a graph, or of a value that "
                        f"requires grad, is not supported with grad mode on (shape {t.shape}); compute out of place "
                        f"(y = y + x, where, masked_fill, cat) or write under tg.no_grad()")


def _write(t, op, ufunc, other, rebind=False):
    """Write ``ufunc(t, other)`` into ``t``'s array and bump its version; errors are raised before any change."""
    if _blocked(t, op, other):
        if rebind:
            return NotImplemented  # Python then evaluates y = y + x: out of place, the graph stays right
        raise _in_graph_error(t, op)
    o = _operand(other) if other is not None else None
    try:
        # "same_kind": a float result is not silently truncated into an integer tensor (PyTorch refuses it too)
        ufunc(t.data, o, out=t.data, casting="same_kind")
    except (ValueError, TypeError) as e:
        shape = getattr(o, "shape", ())
        raise RuntimeError(f"{op}: cannot write the result into the tensor of shape {t.shape} and dtype {t.dtype} "
                           f"(operand shape {tuple(shape)}): {e}") from e
    t._version += 1
    return t



def _attach(methods, cls):
    for name, value in vars(methods).items():
        if name not in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__"):
            setattr(cls, name, value)


_attach(_TensorMath, Tensor)


def cat(tensors, axis=0):
    """Join tensors along an existing axis."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    return _mv.Cat.apply(*tensors, axis=axis)


def stack(tensors, axis=0):
    """Join tensors along a new axis (each is unsqueezed, then concatenated)."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    return cat([t.unsqueeze(axis) for t in tensors], axis=axis)


def where(cond, a, b):
    """Elementwise choice: a where cond is True, else b (gradients flow to the chosen side)."""
    cond = cond.data if isinstance(cond, Tensor) else np.asarray(cond)
    if cond.dtype != bool:
        raise TypeError(f"where: cond must be boolean, got dtype {cond.dtype}")
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else None
    if like is not None and like.device != "cpu":
        cond = to_device(cond, like.device)  # a NumPy mask is a constant: it goes to the data's device
    a = _number(a) if isinstance(a, (Tensor, int, float)) else _as_tensor(a, like)
    b = _number(b) if isinstance(b, (Tensor, int, float)) else _as_tensor(b, like)
    return _ew.Where.apply(cond, a, b)
