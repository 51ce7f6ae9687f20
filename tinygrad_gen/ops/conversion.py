"""Conversions: a tensor in another dtype (``astype``, ``to(dtype)``, ``long`` ...) or on another device
(``to("cuda")``). Both are differentiable where PyTorch's are: the gradient is converted back, so it always has the
input's dtype and device. A cast to an integer or boolean dtype gives a constant (no gradient), as in PyTorch.
(``float()``, ``double()``, ``cpu()`` and ``cuda()`` live in ``tensor.py`` and call ``astype`` / ``to``.)"""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import check_device, device_of, to_device
from ..binding import bind
from ..tensor import DTypeLike, Tensor
from .case import OpCase


class Cast(Function):
    """z = a converted to another dtype (values rounded to the new dtype's precision).

    backward: the conversion is the identity on values, dz/da = 1, so da = g converted back to a's dtype (nothing
    saved; a's dtype stays on ctx)."""
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.dtype), None


class ToDevice(Function):
    """z = a copied to another device ('cpu' or 'cuda').

    backward: the copy is the identity on values, dz/da = 1, so da = g copied back to a's device (nothing saved;
    a's device stays on ctx)."""
    @staticmethod
    def forward(ctx, a, device):
        ctx.device = device_of(a)
        return to_device(a, device)

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.device), None


def _checked_dtype(dtype, op: str) -> np.dtype:
    try:
        return np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"{op}: {dtype!r} is not a dtype ({e})") from None


def astype(x: Tensor, dtype: DTypeLike | None) -> Tensor:
    """x in ``dtype`` (NumPy's ``astype``; PyTorch writes ``x.to(dtype)``); x itself when it already has it.

    Args:
        x: a tensor.
        dtype: a NumPy dtype or its name (``tg.float64``, ``"int32"``). Gradients flow between floating-point
            dtypes; an integer or boolean result is a constant."""
    dtype = _checked_dtype(dtype, "astype")
    if dtype == x.dtype:
        return x
    return Cast.apply(x if dtype.kind in "fc" else x.detach(), dtype)


def to(x: Tensor, device: str | Tensor | DTypeLike | None = None, dtype: DTypeLike | None = None) -> Tensor:
    """x on ``device`` and/or in ``dtype`` (PyTorch's ``Tensor.to``); x itself when nothing changes.

    Args:
        x: a tensor.
        device: 'cpu' or 'cuda'. In its place a dtype (``x.to(tg.float64)``) or a tensor (``x.to(y)``: y's device
            and dtype) works as in PyTorch.
        dtype: a NumPy dtype or its name."""
    if isinstance(device, Tensor):
        device, dtype = device.device, device.dtype
    elif device is not None and not isinstance(device, str):
        device, dtype = None, device
    out = x if dtype is None else astype(x, dtype)
    if device is None:
        return out
    device = check_device(device)
    return out if device == out.device else ToDevice.apply(out, device)


def type_as(x: Tensor, other: Tensor) -> Tensor:
    """x in ``other``'s dtype (PyTorch's ``Tensor.type_as``)."""
    return astype(x, other.dtype)


def long(x: Tensor) -> Tensor:
    """x as int64, a constant (PyTorch's ``Tensor.long``)."""
    return astype(x, np.int64)


def int_(x: Tensor) -> Tensor:
    """x as int32, a constant (PyTorch's ``Tensor.int``)."""
    return astype(x, np.int32)


def bool_(x: Tensor) -> Tensor:
    """x as booleans (nonzero is True), a constant (PyTorch's ``Tensor.bool``)."""
    return astype(x, np.bool_)


def half(x: Tensor) -> Tensor:
    """x as float16 (PyTorch's ``Tensor.half``); differentiable, as ``astype`` is."""
    return astype(x, np.float16)


def short(x: Tensor) -> Tensor:
    """x as int16, a constant (PyTorch's ``Tensor.short``)."""
    return astype(x, np.int16)


def byte(x: Tensor) -> Tensor:
    """x as uint8, a constant (PyTorch's ``Tensor.byte``)."""
    return astype(x, np.uint8)


def char(x: Tensor) -> Tensor:
    """x as int8, a constant (PyTorch's ``Tensor.char``)."""
    return astype(x, np.int8)


BINDINGS = [
    bind(to, method=True),
    bind(astype, method=True),
    bind(type_as, method=True),
    bind(long, method=True),
    bind(int_, method="int"),
    bind(bool_, method="bool"),
    bind(half, method=True),
    bind(short, method=True),
    bind(byte, method=True),
    bind(char, method=True),
]


CASES = [
    OpCase("astype", lambda a: a.astype(np.float64) * a, ((3, 4),), torch=lambda torch, a: a.to(torch.float64) * a),
    OpCase("to_dtype", lambda a: a.to(np.float64), ((3, 4),), torch=lambda torch, a: a.to(torch.float64)),
    OpCase("to_device_and_dtype", lambda a: a.to("cpu", "float64"), ((3, 4),),
           torch=lambda torch, a: a.to("cpu", torch.float64)),
    OpCase("type_as", lambda a: a.type_as(Tensor(np.zeros(1))), ((3, 4),),
           torch=lambda torch, a: a.type_as(torch.zeros(1, dtype=torch.float64))),
]


# ----- copies, PyTorch's type(), and the factories that are tg.* functions only -----
class Clone(Function):
    """z = a copy of a (its own memory: writing into z leaves a alone).

    backward: the copy is the identity on values, dz/da = 1, so da = g (nothing saved)."""
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def clone(x: Tensor, *, memory_format: object = None) -> Tensor:
    """A copy of x in its own memory that stays in the graph: gradients flow back to x (PyTorch's
    ``Tensor.clone``; ``detach()`` instead cuts the graph and shares the memory).

    Args:
        x: a tensor.
        memory_format: accepted for PyTorch's signature; every copy here is C-contiguous."""
    return Clone.apply(x)


def contiguous(x: Tensor, memory_format: object = None) -> Tensor:
    """x itself when its memory is C-contiguous, else a contiguous copy in the graph (PyTorch's
    ``Tensor.contiguous``).

    Args:
        x: a tensor.
        memory_format: accepted for PyTorch's signature."""
    return x if x._data.flags.c_contiguous else Clone.apply(x)


def is_contiguous(x: Tensor, memory_format: object = None) -> bool:
    """Whether x's memory is C-contiguous (PyTorch's ``Tensor.is_contiguous``)."""
    return bool(x._data.flags.c_contiguous)


# PyTorch's legacy type names (``x.type()``) for each dtype
_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
               "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor"}
_TYPE_DTYPES = {name: dtype for dtype, name in _TYPE_NAMES.items()}


def type_(x: Tensor, dtype: DTypeLike | None = None, non_blocking: bool = False) -> Tensor | str:
    """x in ``dtype`` (PyTorch's ``x.type(torch.float64)``), or with no dtype the name of x's type as PyTorch writes
    it (``'torch.FloatTensor'``, ``'torch.cuda.LongTensor'``).

    Args:
        x: a tensor.
        dtype: a dtype (``tg.float64``, ``"int64"``) or one of PyTorch's type names (``"torch.DoubleTensor"``).
        non_blocking: accepted for PyTorch's signature (copies here are synchronous)."""
    if dtype is None:
        name = _TYPE_NAMES.get(x.dtype.name)
        if name is None:
            raise TypeError(f"type: dtype {x.dtype} has no PyTorch type name")
        return f"torch.{'cuda.' if x.device == 'cuda' else ''}{name}"
    if isinstance(dtype, str) and dtype.rsplit(".", 1)[-1] in _TYPE_DTYPES:
        out = astype(x, _TYPE_DTYPES[dtype.rsplit(".", 1)[-1]])
        return out.to("cuda" if ".cuda." in dtype else "cpu")
    return astype(x, _checked_dtype(dtype, "type"))


BINDINGS += [
    bind(clone, method=True, tg=True),
    bind(contiguous, method=True),
    bind(is_contiguous, method=True),
    bind(type_, method="type"),
]


CASES += [
    OpCase("clone", lambda a: a.clone(), ((3, 4),), torch=lambda torch, a: a.clone()),
    OpCase("contiguous_copy", lambda a: a.swapaxes(0, -1).contiguous(), ((3, 4),), min_ndim=1,
           torch=lambda torch, a: a.transpose(0, -1).contiguous(), exact_twin=False),
    OpCase("type", lambda a: a.type(np.float64), ((3, 4),), torch=lambda torch, a: a.type(torch.float64)),
]
