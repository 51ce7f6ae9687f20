"""``Tensor``: an array (NumPy or CuPy), whether it requires grad, its ``.grad``, and the graph node that made it.

This module is the bottom of the engine: it imports only ``backend``. ``autograd`` builds graphs of Tensors and
``ops/`` computes with them, so both import this module, never the other way round. The math methods
(``a + b``, ``x.sum()``, ``x.reshape(...)``, the in-place ``add_`` ...) each call a ``Function`` of ``ops/``, so they
are written in their op family (``ops/<family>.py``), one layer up; ``binding.py`` attaches them to this class when
``import tinygrad_gen`` runs, so every Tensor has them."""
import sys
import itertools
import warnings
import weakref
from typing import Any, Callable, Dict, Optional, Sequence, Union

import numpy as np

from .errors import ArgumentError, DTypeError
from . import backend, devices
from .backend import check_device, to_device, xp_for

_FLOAT_DEFAULT = np.float32

# The type hints of the public API: what may stand where a tensor is expected, an axis, a dtype.
Number = Union[bool, int, float]
TensorLike = Union["Tensor", Number, np.ndarray, Sequence]  # a Tensor, a Python number, or array-like data
Axis = Union[int, Sequence[int], None]  # one axis, several, or None: all
DTypeLike = Union[np.dtype, type, str]  # np.float32, tg.float32, "float32", ...


def _dtype(dtype):
    if dtype is None:
        return None
    return dtype.dtype if isinstance(dtype, (np.ndarray, Tensor)) else np.dtype(dtype)


def _number(v):
    """NumPy scalars become Python numbers, which never upcast a float32 array (NEP 50); the rest pass through."""
    return v.item() if isinstance(v, np.generic) else v


def _to_array(data, dtype=None, device="cpu"):
    """Turn user data into an array, as ``torch.tensor`` does: an array (or NumPy scalar) keeps its dtype, Python
    floats become float32, unless ``dtype`` says otherwise. Strings and other non-numbers are refused."""
    dtype = _dtype(dtype)
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, backend.ARRAY_TYPES):
        arr = data
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        arr = np.asarray(data)
        if dtype is None and arr.dtype.kind == "f":
            arr = arr.astype(_FLOAT_DEFAULT)  # Python floats: PyTorch's default dtype
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} data of dtype {arr.dtype} (numbers "
                        "and booleans only)")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    return to_device(arr, device)


class Tensor:
    """An n-dimensional array that remembers how it was computed, so gradients can flow back through it."""
    # _version counts in-place writes to ``data``: a backward rule that saved the array checks it did not change.
    # Tensors whose arrays alias each other (a view and its base, a detached copy) share one counter instead, a
    # one-element list in _shared_version (None until the first alias is made; see ``version_of``).
    # _grad is the slot behind the ``grad`` property: autograd writes it directly (no property call in the hot path).
    __slots__ = ("_data", "_requires_grad", "_grad", "_ctx", "_index", "_version", "_shared_version", "__weakref__")

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs, **kwargs):
        """NumPy ufuncs on Tensors: ``numpy_array + tensor`` (and ``np.float32(2) * t``, ``array < t`` ...) runs the
        Tensor's reflected operator, as Python would on its own; any other ufunc raises a TypeError naming the
        Tensor method or ``tg`` function to use instead (``np.exp(t)``: ``t.exp()`` or ``tg.exp(t)``).

        (NumPy calls the ufunc for a binary operator whenever ``__array_ufunc__`` is not None, and a
        ``NotImplemented`` from here would make it raise rather than fall back, so the reflected call is made here.)"""
        if (method == "__call__" and not kwargs and len(inputs) == 2 and inputs[1] is self
                and not isinstance(inputs[0], Tensor) and ufunc.__name__ in _REFLECTED):
            return getattr(self, _REFLECTED[ufunc.__name__])(inputs[0])
        raise TypeError(_ufunc_message(ufunc, method, inputs, kwargs))

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        if isinstance(data, Tensor):
            data = data._data
        if not isinstance(data, backend.ARRAY_TYPES) or dtype is not None:
            data = _to_array(data, dtype, check_device(device) if device else "cpu")
        elif device is not None:
            data = to_device(data, check_device(device))
        if type(data) is not np.ndarray and isinstance(data, np.generic):
            data = np.asarray(data)
        self._data = data
        self._grad = None
        self._ctx = None
        self._index = 0
        self._version = 0
        self._shared_version = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----- basic properties -----
    @property
    def data(self) -> "Tensor":
        """The values as a Tensor outside the graph, sharing this tensor's array (PyTorch's ``x.data``): writing into
        it changes this tensor, and autograd does not see the write (``p.data += -lr * p.grad`` is a plain SGD
        step). Unlike ``detach()`` it gets its own version counter, as in PyTorch, so such a write is not checked
        against saved tensors. The NumPy array itself is ``x.numpy()``."""
        return Tensor(self._data)

    @data.setter
    def data(self, value: TensorLike) -> None:
        """``x.data = other``: this tensor now holds ``other``'s array (a Tensor's, or array-like data as given)."""
        if isinstance(value, Tensor):
            self._data = value._data
        else:
            self._data = _to_array(value, self._data.dtype, self.device)

    @property
    def shape(self) -> tuple:
        """The size of each axis, a tuple (PyTorch's ``x.shape``)."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """The number of axes (PyTorch's ``x.ndim``)."""
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the values (``tg.float32`` ... are NumPy's dtypes)."""
        return self._data.dtype

    def size(self, dim: Optional[int] = None) -> Union[tuple, int]:
        """The shape as a tuple, or the size of axis ``dim`` (PyTorch's ``x.size()`` / ``x.size(dim)``; it
        compares equal to a tuple). The number of elements is ``numel()`` (NumPy's ``a.size``)."""
        shape = self._data.shape
        if dim is None:
            return shape
        nd = max(len(shape), 1)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool) or not -nd <= dim < nd:
            raise IndexError(f"size: dim {dim!r} is out of range for a tensor of shape {shape}")
        return shape[int(dim) % nd] if shape else 1

    def nelement(self) -> int:
        """The number of elements (PyTorch's ``nelement``, the same as ``numel()``)."""
        return self._data.size

    @property
    def device(self) -> "devices.device":
        """Where the values live: ``tg.device("cpu")`` for a NumPy array, ``tg.device("cuda")`` for a CuPy one
        (PyTorch's ``x.device``; a device is also its name, so it equals "cpu")."""
        return devices.of_array(self._data)

    @property
    def is_cuda(self) -> bool:
        """Whether the values live on the GPU (PyTorch's ``x.is_cuda``)."""
        return type(self._data) is not np.ndarray

    @property
    def is_leaf(self) -> bool:
        """True for a tensor no recorded op made: backward writes only leaves' ``.grad`` (PyTorch's ``is_leaf``)."""
        return self._ctx is None

    # ----- gradients: .grad, intermediate gradients (retain_grad, hooks) and the graph node (grad_fn) -----
    @property
    def grad(self) -> Optional["Tensor"]:
        """The gradient that backward accumulated here (PyTorch's ``x.grad``): None until a backward reaches this
        tensor. Only leaves get one, and non-leaves that called ``retain_grad()``; reading ``.grad`` of any other
        non-leaf gives None with PyTorch's warning (Python's default filter shows it once per place in the code).
        Setting it takes a Tensor of this tensor's shape and dtype, or None."""
        g = self._grad
        if g is None and self._ctx is not None and not self.retains_grad:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value: Optional["Tensor"]) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value.shape != self._data.shape:
                raise RuntimeError(f"grad: assigned grad has data of a different size: shape {value.shape}, but "
                                   f"the tensor has shape {self.shape}")
            if value.dtype != self._data.dtype:
                raise RuntimeError(f"grad: assigned grad has data of a different type: {value.dtype}, but the "
                                   f"tensor is {self.dtype}")
        self._grad = value

    @property
    def grad_fn(self) -> Any:
        """The graph node that made this tensor, None for a leaf (PyTorch's ``grad_fn``).

        The node (``autograd.Context``) gives ``name()``, our op's name ("Mul", "Matmul"; PyTorch says
        "MulBackward0"), and ``next_functions``: per positional input of the op, ``(node, output index)`` for a
        non-leaf, ``(AccumulateGrad, 0)`` for a leaf that requires grad (its ``.variable`` is the leaf) and
        ``(None, 0)`` for anything else (a constant), as PyTorch does."""
        return self._ctx

    @property
    def retains_grad(self) -> bool:
        """Whether this non-leaf keeps its ``.grad`` after backward (``retain_grad()`` was called); False for a
        leaf, whose ``.grad`` is always kept (PyTorch's ``retains_grad``)."""
        ctx = self._ctx
        if ctx is None:
            return False
        hooks = getattr(ctx, "_tensor_hooks", None)
        return hooks is not None and self._index in hooks and hooks[self._index].retain

    def retain_grad(self) -> None:
        """Make backward keep this non-leaf's gradient in ``.grad``, accumulated over backward calls like a leaf's
        (PyTorch's ``retain_grad``); a no-op on a leaf. The kept gradient is the one after this tensor's hooks
        (``register_hook``), whatever the order they were registered in, as PyTorch does."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on Tensor that has requires_grad=False (shape "
                               f"{self.shape})")
        if self._ctx is not None:
            _hooks_of(self).retain = True

    def register_hook(self, hook: Callable[["Tensor"], Optional["Tensor"]]) -> "RemovableHandle":
        """Call ``hook(grad)`` with this tensor's gradient each time a backward computes it (PyTorch's
        ``register_hook``); returns a handle whose ``remove()`` takes the hook off.

        For a non-leaf the hook runs once its total gradient is known, before it flows on; for a leaf, before the
        gradient is added to ``.grad`` (once per backward, with the sum over every path). If the hook returns a
        Tensor, that replaces the gradient (it must keep the shape and dtype): later hooks, the kept ``.grad`` and
        everything further back see it. Several hooks run in the order they were registered. They run in
        ``backward`` and in ``tg.grad`` (``torch.autograd.grad``); with ``create_graph=True``, with grad mode on."""
        if not self._requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't require gradient "
                               f"(shape {self.shape})")
        if not callable(hook):
            raise TypeError(f"register_hook: the hook must be callable, got {type(hook).__name__}")
        hooks = _hooks_of(self)
        key = next(_hook_keys)
        hooks.fns[key] = hook
        return RemovableHandle(hooks.fns, key)

    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow to this tensor (PyTorch's ``requires_grad``; setting it checks the dtype)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        # a property, so that ``t.requires_grad = True`` is checked like the constructor; the engine's hot path
        # reads and writes the slot ``_requires_grad`` directly
        self.requires_grad_(flag)

    def requires_grad_(self, flag: bool = True) -> "Tensor":
        """Turn gradient tracking on (or off) for this leaf, in place; returns it (PyTorch's ``requires_grad_``).
        Only floating-point tensors can require gradients."""
        if flag and self._data.dtype.kind not in "fc":
            raise TypeError(f"requires_grad: only floating-point tensors can require gradients, got dtype "
                            f"{self._data.dtype} (shape {self.shape})")
        if not flag and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot turn off requires_grad on a non-leaf tensor; use detach()")
        self._requires_grad = bool(flag)
        return self

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        extra = ", requires_grad=True" if self.requires_grad else ""
        dev = "" if self.device == "cpu" else ", device='cuda'"
        arr = self._data if self.device == "cpu" else self._data.get()
        return f"tensor({np.array2string(arr, prefix='tensor(', separator=', ')}, dtype={self.dtype}{dev}{extra})"

    def __array__(self, dtype=None, copy=None):
        arr = self._data if type(self._data) is np.ndarray else self._data.get()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"bool: the truth value of a tensor with {self._data.size} elements is ambiguous")
        return bool(self._data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __index__(self) -> int:
        """A one-element integer tensor used as an index or slice bound (``data[i:i + n]``), as in PyTorch."""
        if self._data.size != 1 or self._data.dtype.kind not in "iub":
            raise TypeError(f"__index__: only a one-element integer tensor can be used as an index, got shape "
                            f"{self.shape} and dtype {self.dtype}")
        return int(self._data.item())

    def __abs__(self) -> "Tensor":
        """``abs(x)``: the elementwise absolute value (``x.abs()``), differentiable."""
        return self.abs()

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (copied from the GPU if needed; no graph)."""
        return self._data if type(self._data) is np.ndarray else self._data.get()

    def tolist(self) -> list:
        """The values as (nested) Python lists (PyTorch's ``tolist``)."""
        return self.numpy().tolist()

    def item(self) -> float:
        """The value of a one-element tensor as a Python number (PyTorch's ``item``)."""
        if self._data.size != 1:
            raise ArgumentError(f"item: only a one-element tensor can be converted to a Python number, got shape "
                                f"{self.shape}")
        return self._data.item()

    def detach(self) -> "Tensor":
        """The same values, cut off from the graph; shares the array and its in-place version counter, as in
        PyTorch (writing into the detached tensor is seen by a backward that saved this one)."""
        out = Tensor(self._data)
        share_version(out, self)
        return out

    def cpu(self) -> "Tensor":
        """This tensor on the CPU (itself if it is there already); PyTorch's ``cpu()``."""
        return self.to("cpu")

    def cuda(self) -> "Tensor":
        """This tensor on the GPU (needs CuPy); PyTorch's ``cuda()``."""
        return self.to("cuda")

    def float(self) -> "Tensor":
        """This tensor as float32 (PyTorch's ``float()``); differentiable."""
        return self.astype(np.float32)

    def double(self) -> "Tensor":
        """This tensor as float64 (PyTorch's ``double()``); differentiable."""
        return self.astype(np.float64)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient: ``.grad`` becomes None (as ``optimizer.zero_grad()`` does)."""
        self._grad = None

    # comparisons give constant boolean tensors
    def _cmp(self, other, op):
        o = other._data if isinstance(other, Tensor) else other
        return Tensor(op(self._data, o))

    def __lt__(self, other):
        return self._cmp(other, np.less)

    def __le__(self, other):
        return self._cmp(other, np.less_equal)

    def __gt__(self, other):
        return self._cmp(other, np.greater)

    def __ge__(self, other):
        return self._cmp(other, np.greater_equal)

    def __eq__(self, other):
        return self._cmp(other, np.equal)

    def __ne__(self, other):
        return self._cmp(other, np.not_equal)

    # & | ^ ~ are bitwise on integer tensors and logical on boolean ones (NumPy's bitwise ufuncs do both), constant
    def __invert__(self):
        return Tensor(~self._data)

    def __and__(self, other):
        return self._cmp(other, np.bitwise_and)

    def __or__(self, other):
        return self._cmp(other, np.bitwise_or)

    def __xor__(self, other):
        return self._cmp(other, np.bitwise_xor)

    def __rand__(self, other):
        return self._cmp(other, np.bitwise_and)

    def __ror__(self, other):
        return self._cmp(other, np.bitwise_or)

    def __rxor__(self, other):
        return self._cmp(other, np.bitwise_xor)


# NumPy's binary ufuncs -> the Tensor method Python calls when a non-Tensor is on the left (``array + t``)
_REFLECTED = {"add": "__radd__", "subtract": "__rsub__", "multiply": "__rmul__", "divide": "__rtruediv__",
              "true_divide": "__rtruediv__", "floor_divide": "__rfloordiv__", "remainder": "__rmod__",
              "power": "__rpow__", "matmul": "__rmatmul__", "bitwise_and": "__rand__", "bitwise_or": "__ror__",
              "bitwise_xor": "__rxor__", "less": "__gt__", "less_equal": "__ge__", "greater": "__lt__",
              "greater_equal": "__le__", "equal": "__eq__", "not_equal": "__ne__"}
# NumPy's ufuncs whose twin has another name here (PyTorch's); the others are looked up by their own name
_UFUNC_TWINS = {"absolute": "abs", "fabs": "abs", "negative": "neg", "rint": "round", "power": "pow",
                "float_power": "pow", "subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div",
                "mod": "remainder", "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arctan2": "atan2",
                "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "greater": "gt", "greater_equal": "ge",
                "less": "lt", "less_equal": "le", "equal": "eq", "not_equal": "ne"}
_OPERATORS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "true_divide": "/", "floor_divide": "//",
              "remainder": "%", "power": "**", "matmul": "@", "less": "<", "less_equal": "<=", "greater": ">",
              "greater_equal": ">=", "equal": "==", "not_equal": "!="}


def _ufunc_message(ufunc, method, inputs, kwargs) -> str:
    """Why NumPy's ``ufunc`` cannot take a Tensor, and what to call instead."""
    name = ufunc.__name__
    call = f"np.{name}" if method == "__call__" else f"np.{name}.{method}"
    if kwargs.get("out") is not None:
        return (f"{call}(..., out=...): NumPy cannot write a Tensor's result into an array (as in `array += t`); "
                f"compute with Tensors (`x = x + t`), or on arrays with t.numpy() (no gradient)")
    if method != "__call__":
        return (f"{call} does not take a Tensor: use the Tensor's own reductions (t.sum(), t.cumsum(), ...), or "
                f"call it on t.numpy() for a constant (no gradient)")
    twin = _UFUNC_TWINS.get(name, name)
    package = sys.modules.get(__package__)  # the tg namespace, when the package is imported (no import upward)
    in_tg = package is not None and callable(getattr(package, twin, None))
    args = "t" if ufunc.nin == 1 else "a, b"
    if name in _OPERATORS:
        return f"{call} does not take a Tensor: use a {_OPERATORS[name]} b" + (f" or tg.{twin}(a, b)" if in_tg else "")
    if callable(getattr(Tensor, twin, None)):
        method_call = f"t.{twin}()" if ufunc.nin == 1 else f"a.{twin}(b)"
        return f"{call} does not take a Tensor: use {method_call}" + (f" or tg.{twin}({args})" if in_tg else "")
    if in_tg:
        return f"{call} does not take a Tensor: use tg.{twin}({args})"
    arrays = "t.numpy()" if ufunc.nin == 1 else "a.numpy(), b.numpy()"
    return (f"{call} does not take a Tensor and has no tinygrad_gen twin: for a constant, call it on the array "
            f"(np.{name}({arrays}), no gradient); for a differentiable op, write a Function with its backward in "
            "Tensor ops (see CONTRIBUTING.md)")


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, "
    "use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
    "the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information.")


class TensorHooks:
    """The hooks of one tensor (``register_hook``) and whether it keeps its gradient (``retain_grad``).

    A non-leaf's are kept on its graph node (``node._tensor_hooks[output index]``), as PyTorch keeps them on the
    ``grad_fn``; a leaf's in ``leaf_hooks`` (by ``id``, dropped when the leaf is freed), so that a Tensor carries no
    extra slot and nothing points back from the hooks to the tensor (no reference cycle)."""
    __slots__ = ("fns", "retain")

    def __init__(self) -> None:
        self.fns: Dict[int, Callable] = {}  # in registration order (the key: a counter, for the handle)
        self.retain = False


leaf_hooks: Dict[int, TensorHooks] = {}  # id(leaf) -> its hooks; read by autograd's backward pass
_hook_keys = itertools.count()


def _hooks_of(t: Tensor) -> TensorHooks:
    """``t``'s hooks record, made on first use (on its node for a non-leaf, in ``leaf_hooks`` for a leaf)."""
    ctx = t._ctx
    if ctx is None:
        hooks = leaf_hooks.get(id(t))
        if hooks is None:
            hooks = leaf_hooks[id(t)] = TensorHooks()
            weakref.finalize(t, leaf_hooks.pop, id(t), None)
        return hooks
    table = getattr(ctx, "_tensor_hooks", None)
    if table is None:
        table = ctx._tensor_hooks = {}
    hooks = table.get(t._index)
    if hooks is None:
        hooks = table[t._index] = TensorHooks()
    return hooks


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook off (again: nothing happens); also a
    context manager that removes it on exit (PyTorch's ``torch.utils.hooks.RemovableHandle``)."""
    __slots__ = ("_fns", "id")

    def __init__(self, fns: Dict[int, Callable], key: int) -> None:
        self._fns = fns
        self.id = key

    def remove(self) -> None:
        """Take the hook off (PyTorch's ``RemovableHandle.remove``)."""
        self._fns.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def version_of(t: Tensor) -> int:
    """How many in-place writes ``t``'s memory has seen (PyTorch's ``t._version``): one count shared by a tensor and
    every view or detached copy of it, so a write through any of them is seen by a backward that saved another."""
    shared = t._shared_version
    return t._version if shared is None else shared[0]


def bump_version(t: Tensor) -> None:
    """Count one in-place write into ``t``'s memory."""
    shared = t._shared_version
    if shared is None:
        t._version += 1
    else:
        shared[0] += 1


def share_version(view: Tensor, base: Tensor) -> None:
    """Make ``view`` (whose array aliases ``base``'s) count in-place writes with ``base``."""
    shared = base._shared_version
    if shared is None:
        shared = base._shared_version = [base._version]
    view._shared_version = shared


def tensor(data, requires_grad: bool = False, dtype=None, device: str = "cpu") -> Tensor:
    """Make a Tensor from data (lists, numbers, arrays), copying it as ``torch.tensor`` does: Python floats become
    float32 and an array keeps its dtype (a NumPy float64 array stays float64), unless ``dtype`` is given."""
    return Tensor(_to_array(data, dtype, check_device(device)), requires_grad=requires_grad)


def _factory(make, shape, dtype, device, requires_grad):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    device = check_device(device)
    dtype = _dtype(dtype) or np.dtype(_FLOAT_DEFAULT)
    arr = make(shape, dtype)
    return Tensor(to_device(arr, device), requires_grad=requires_grad)


def zeros(*shape, dtype=None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of ``shape`` (float32 unless ``dtype`` says); PyTorch's ``torch.zeros``."""
    return _factory(lambda s, d: np.zeros(s, d), shape, dtype, device, requires_grad)


def ones(*shape, dtype=None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """A tensor of ones of ``shape`` (float32 unless ``dtype`` says); PyTorch's ``torch.ones``."""
    return _factory(lambda s, d: np.ones(s, d), shape, dtype, device, requires_grad)


def full(shape, value, dtype=None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """``shape`` filled with ``value``; without ``dtype`` it is inferred as PyTorch does: bool for True/False, int64
    for an int, float32 for a float."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if dtype is None:
        value = _number(value)
        dtype = np.bool_ if isinstance(value, bool) else np.int64 if isinstance(value, int) else None
    return _factory(lambda s, d: np.full(s, value, d), (shape,), dtype, device, requires_grad)


def randn(*shape, generator=None, dtype=None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Standard normal samples from ``generator`` (a ``tg.Generator``), or the engine's seeded one
    (``tg.manual_seed``)."""
    from .random import generator_or_default
    rng = generator_or_default(generator, "randn")
    return _factory(lambda s, d: rng.standard_normal(s).astype(d), shape, dtype, device, requires_grad)


def rand(*shape, generator=None, dtype=None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from ``generator`` (a ``tg.Generator``), or the engine's seeded one."""
    from .random import generator_or_default
    rng = generator_or_default(generator, "rand")
    return _factory(lambda s, d: rng.random(s).astype(d), shape, dtype, device, requires_grad)


def arange(start, stop=None, step=1, dtype=None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Like np.arange; integer arguments give int64, float arguments float32 unless ``dtype`` is given."""
    arr = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is None and arr.dtype.kind == "f":
        dtype = _FLOAT_DEFAULT  # float arguments: PyTorch's default dtype
    return tensor(arr, requires_grad=requires_grad, dtype=dtype, device=device)


def eye(n: int, m: int = None, dtype=None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (m = n by default); PyTorch's ``torch.eye``."""
    return _factory(lambda s, d: np.eye(n, m, dtype=d), (), dtype, device, requires_grad)


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``t``'s shape, in t's dtype and device unless given; PyTorch's ``torch.zeros_like``."""
    return full_like(t, 0, dtype, device, requires_grad)


def ones_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones of ``t``'s shape, in t's dtype and device unless given; PyTorch's ``torch.ones_like``."""
    return full_like(t, 1, dtype, device, requires_grad)


def full_like(t: Tensor, value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``t``'s shape filled with ``value``, in t's dtype and device unless given (PyTorch's
    ``torch.full_like``)."""
    arr = xp_for(check_device(device) if device else t.device).full(t.shape, value, dtype=_dtype(dtype) or t.dtype)
    return Tensor(arr, requires_grad=requires_grad)


def empty(*shape, dtype=None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """PyTorch's ``torch.empty`` leaves memory uninitialised; here it is zeros, so nothing depends on leftovers."""
    return zeros(*shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``t``'s shape (PyTorch's ``torch.empty_like``, without leftover memory)."""
    return full_like(t, 0, dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None, like=None) -> "Tensor":
    """``data`` as a Tensor, sharing its array where it can (PyTorch's ``torch.as_tensor``).

    A Tensor passes through (cast or moved only if ``dtype`` / ``device`` ask). Other data becomes a constant
    Tensor: float data is float32 unless ``dtype`` says otherwise, or takes the dtype and device of ``like`` (how a
    list or array joins an expression with a tensor without upcasting it)."""
    if isinstance(data, Tensor):
        out = data if dtype is None else data.astype(dtype)
        return out if device is None else out.to(device)
    if like is not None:
        kind = data.dtype.kind if isinstance(data, backend.ARRAY_TYPES) else np.asarray(data).dtype.kind
        dtype = dtype if dtype is not None else (like.dtype if kind == "f" else None)
        device = device or like.device
    return Tensor(_to_array(data, dtype, check_device(device) if device else "cpu"))



def _float_dtype(dtype, like, op: str) -> np.dtype:
    dtype = _dtype(dtype) or like
    if dtype.kind != "f":
        raise TypeError(f"{op}: random floats need a floating-point dtype, got {dtype}")
    return dtype


def randn_like(t: "Tensor", dtype: Optional[Any] = None, device: Optional[str] = None,
               requires_grad: bool = False, generator: Any = None) -> "Tensor":
    """Standard normal samples of ``t``'s shape, in t's dtype and device unless given (PyTorch's
    ``torch.randn_like``), from the engine's seeded generator.

    Args:
        t: the tensor whose shape (and dtype, device) to take.
        dtype, device: override t's; the dtype must be floating point.
        requires_grad: whether the result is a leaf that requires grad.
        generator: a ``tg.Generator`` to draw from (None: the engine's)."""
    return randn(*t.shape, dtype=_float_dtype(dtype, t.dtype, "randn_like"), device=device or t.device,
                 requires_grad=requires_grad, generator=generator)


def rand_like(t: "Tensor", dtype: Optional[Any] = None, device: Optional[str] = None,
              requires_grad: bool = False, generator: Any = None) -> "Tensor":
    """Uniform samples in [0, 1) of ``t``'s shape, in t's dtype and device unless given (PyTorch's
    ``torch.rand_like``), from the engine's seeded generator.

    Args:
        t: the tensor whose shape (and dtype, device) to take.
        dtype, device: override t's; the dtype must be floating point.
        requires_grad: whether the result is a leaf that requires grad.
        generator: a ``tg.Generator`` to draw from (None: the engine's)."""
    return rand(*t.shape, dtype=_float_dtype(dtype, t.dtype, "rand_like"), device=device or t.device,
                requires_grad=requires_grad, generator=generator)


def linspace(start: Union[int, float, "Tensor"], end: Union[int, float, "Tensor"], steps: int,
             dtype: Optional[Any] = None, device: str = "cpu", requires_grad: bool = False) -> "Tensor":
    """``steps`` evenly spaced values from ``start`` to ``end``, both included (PyTorch's ``torch.linspace``;
    float32 unless ``dtype`` says).

    Args:
        start, end: numbers (or one-element tensors), the first and last value.
        steps: how many values, >= 0.
        dtype, device, requires_grad: as for ``tg.zeros``."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ArgumentError(f"linspace: steps must be a non-negative integer, got {steps!r}")
    if _dtype(dtype) == np.bool_:
        raise DTypeError("linspace: a boolean dtype is not supported (as in PyTorch)")
    start, end = (float(v) if isinstance(v, Tensor) else v for v in (start, end))
    values = np.linspace(start, end, int(steps))
    return _factory(lambda s, d: values.astype(d), (), dtype, device, requires_grad)


def randint(low: int = 0, high: Optional[Union[int, Sequence[int]]] = None,
            size: Optional[Union[int, Sequence[int]]] = None, generator: Any = None, dtype: Optional[Any] = None,
            device: str = "cpu", requires_grad: bool = False) -> "Tensor":
    """Integers drawn uniformly from [low, high) from the engine's seeded generator (PyTorch's ``torch.randint``:
    ``randint(high, size)`` or ``randint(low, high, size)``; int64 unless ``dtype`` says).

    Args:
        low: the smallest value (0 when only ``high`` and ``size`` are given).
        high: one past the largest value.
        size: the shape, a tuple.
        generator: a ``tg.Generator`` to draw from (None: the engine's).
        dtype, device: as for ``tg.zeros`` (int64 by default).
        requires_grad: only for a floating-point dtype, as in PyTorch."""
    from .random import generator_or_default
    rng = generator_or_default(generator, "randint")
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    elif high is None and size is not None:
        low, high = 0, low
    if high is None or size is None:
        raise TypeError("randint: give randint(high, size) or randint(low, high, size); size is a tuple")
    low, high = int(low), int(high)
    if low >= high:
        raise ArgumentError(f"randint: low ({low}) must be less than high ({high})")
    shape = (int(size),) if isinstance(size, (int, np.integer)) else tuple(int(n) for n in size)
    return _factory(lambda s, d: rng.integers(low, high, s).astype(d), (shape,),
                    dtype if dtype is not None else np.int64, device, requires_grad)


def from_numpy(array: np.ndarray) -> "Tensor":
    """A tensor sharing ``array``'s memory and keeping its dtype (float64 stays float64), as PyTorch's
    ``torch.from_numpy`` does (``tg.tensor`` copies and makes float data float32).

    Args:
        array: a NumPy array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(array).__name__})")
    return Tensor(array)
