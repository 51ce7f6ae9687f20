"""``Tensor``: an array (NumPy or CuPy), whether it requires grad, its ``.grad``, and the graph node that made it.

This module is the bottom of the engine: it imports only ``backend``. ``autograd`` builds graphs of Tensors and
``ops/`` computes with them, so both import this module, never the other way round. The math methods
(``a + b``, ``x.sum()``, ``x.reshape(...)``, the in-place ``add_`` ...) each call a ``Function`` of ``ops/``, so they
are written in their op family (``ops/<family>.py``), one layer up; ``binding.py`` attaches them to this class when
``import tinygrad_gen`` runs, so every Tensor has them."""
from typing import Sequence, Union

import numpy as np

from . import backend
from .backend import check_device, device_of, to_device, xp_for

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
    """Turn user data into an array: float data becomes float32 unless ``dtype`` says otherwise."""
    dtype = _dtype(dtype)
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, backend.ARRAY_TYPES):
        arr = data
    else:
        arr = np.asarray(data)
        if arr.dtype == object:
            raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} data")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif arr.dtype.kind == "f" and arr.dtype != _FLOAT_DEFAULT:
        arr = arr.astype(_FLOAT_DEFAULT)
    return to_device(arr, device)


class Tensor:
    """An n-dimensional array that remembers how it was computed, so gradients can flow back through it."""
    # _version counts in-place writes to ``data``: a backward rule that saved the array checks it did not change.
    # Tensors whose arrays alias each other (a view and its base, a detached copy) share one counter instead, a
    # one-element list in _shared_version (None until the first alias is made; see ``version_of``).
    __slots__ = ("data", "_requires_grad", "grad", "_ctx", "_index", "_version", "_shared_version", "__weakref__")
    __array_ufunc__ = None  # numpy_array + tensor defers to Tensor.__radd__ instead of looping elementwise

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        if isinstance(data, Tensor):
            data = data.data
        if not isinstance(data, backend.ARRAY_TYPES) or dtype is not None:
            data = _to_array(data, dtype, check_device(device) if device else "cpu")
        elif device is not None:
            data = to_device(data, check_device(device))
        if type(data) is not np.ndarray and isinstance(data, np.generic):
            data = np.asarray(data)
        self.data = data
        self.grad = None
        self._ctx = None
        self._index = 0
        self._version = 0
        self._shared_version = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----- basic properties -----
    @property
    def shape(self) -> tuple:
        """The size of each axis, a tuple (PyTorch's ``x.shape``)."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes (PyTorch's ``x.ndim``)."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the values (``tg.float32`` ... are NumPy's dtypes)."""
        return self.data.dtype

    @property
    def size(self) -> int:
        """The number of elements, NumPy's ``a.size`` (PyTorch's ``numel()``)."""
        return self.data.size

    @property
    def device(self) -> str:
        """'cpu' for a NumPy array, 'cuda' for a CuPy one (PyTorch's ``x.device``, as a string)."""
        return device_of(self.data)

    @property
    def is_leaf(self) -> bool:
        """True for a tensor no recorded op made: backward writes only leaves' ``.grad`` (PyTorch's ``is_leaf``)."""
        return self._ctx is None

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
        if flag and self.data.dtype.kind not in "fc":
            raise TypeError(f"requires_grad: only floating-point tensors can require gradients, got dtype "
                            f"{self.data.dtype} (shape {self.shape})")
        if not flag and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot turn off requires_grad on a non-leaf tensor; use detach()")
        self._requires_grad = bool(flag)
        return self

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        extra = ", requires_grad=True" if self.requires_grad else ""
        dev = "" if self.device == "cpu" else ", device='cuda'"
        arr = self.data if self.device == "cpu" else self.data.get()
        return f"tensor({np.array2string(arr, prefix='tensor(', separator=', ')}, dtype={self.dtype}{dev}{extra})"

    def __array__(self, dtype=None, copy=None):
        arr = self.data if type(self.data) is np.ndarray else self.data.get()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"bool: the truth value of a tensor with {self.data.size} elements is ambiguous")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (copied from the GPU if needed; no graph)."""
        return self.data if type(self.data) is np.ndarray else self.data.get()

    def tolist(self) -> list:
        """The values as (nested) Python lists (PyTorch's ``tolist``)."""
        return self.numpy().tolist()

    def item(self) -> float:
        """The value of a one-element tensor as a Python number (PyTorch's ``item``)."""
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor can be converted to a Python number, got shape "
                             f"{self.shape}")
        return self.data.item()

    def detach(self) -> "Tensor":
        """The same values, cut off from the graph; shares the array and its in-place version counter, as in
        PyTorch (writing into the detached tensor is seen by a backward that saved this one)."""
        out = Tensor(self.data)
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
        self.grad = None

    # comparisons give constant boolean tensors
    def _cmp(self, other, op):
        o = other.data if isinstance(other, Tensor) else other
        return Tensor(op(self.data, o))

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
        return Tensor(~self.data)

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
    """Make a Tensor from data (lists, numbers, arrays): float data becomes float32 unless ``dtype`` is given."""
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


def randn(*shape, dtype=None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the engine's seeded generator (``tg.manual_seed``)."""
    from .random import generator
    return _factory(lambda s, d: generator().standard_normal(s).astype(d), shape, dtype, device, requires_grad)


def rand(*shape, dtype=None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from the engine's seeded generator."""
    from .random import generator
    return _factory(lambda s, d: generator().random(s).astype(d), shape, dtype, device, requires_grad)


def arange(start, stop=None, step=1, dtype=None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Like np.arange; integer arguments give int64, float arguments float32 unless ``dtype`` is given."""
    arr = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return tensor(arr, requires_grad=requires_grad, dtype=dtype, device=device)


def eye(n: int, m: int = None, dtype=None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (m = n by default); PyTorch's ``torch.eye``."""
    return _factory(lambda s, d: np.eye(n, m, dtype=d), (), dtype, device, requires_grad)


def zeros_like(t: Tensor, dtype=None) -> Tensor:
    """Zeros of ``t``'s shape, dtype (unless ``dtype`` says) and device; PyTorch's ``torch.zeros_like``."""
    return Tensor(xp_for(t.device).zeros(t.shape, dtype=_dtype(dtype) or t.dtype))


def ones_like(t: Tensor, dtype=None) -> Tensor:
    """Ones of ``t``'s shape, dtype (unless ``dtype`` says) and device; PyTorch's ``torch.ones_like``."""
    return Tensor(xp_for(t.device).ones(t.shape, dtype=_dtype(dtype) or t.dtype))


def full_like(t: Tensor, value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``t``'s shape filled with ``value``, in t's dtype and device unless given (PyTorch's
    ``torch.full_like``)."""
    arr = xp_for(device or t.device).full(t.shape, value, dtype=_dtype(dtype) or t.dtype)
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

