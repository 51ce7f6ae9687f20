"""``Tensor``: an array (NumPy or CuPy), whether it requires grad, its ``.grad``, and the graph node that made it.

Every method here is a thin call of a ``Function`` in ``ops/``; read those for the forward and backward math."""
import numpy as np

from . import autograd, backend
from .backend import check_device, device_of, to_device, xp_for

_FLOAT_DEFAULT = np.float32


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
    __slots__ = ("data", "requires_grad", "grad", "_ctx", "_index", "__weakref__")
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
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----- basic properties -----
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self):
        return self.data.size

    @property
    def device(self):
        return device_of(self.data)

    @property
    def is_leaf(self):
        return self._ctx is None

    def requires_grad_(self, flag=True):
        if flag and self.data.dtype.kind not in "fc":
            raise TypeError(f"requires_grad: only floating-point tensors can require gradients, got dtype "
                            f"{self.data.dtype} (shape {self.shape})")
        if not flag and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot turn off requires_grad on a non-leaf tensor; use detach()")
        self.requires_grad = bool(flag)
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

    def numpy(self):
        """The values as a NumPy array (copied from the GPU if needed; no graph)."""
        return self.data if type(self.data) is np.ndarray else self.data.get()

    def tolist(self):
        return self.numpy().tolist()

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor can be converted to a Python number, got shape "
                             f"{self.shape}")
        return self.data.item()

    def detach(self):
        """The same values, cut off from the graph (shares the array)."""
        return Tensor(self.data)

    def to(self, device):
        device = check_device(device)
        if device == self.device:
            return self
        return _mv.ToDevice.apply(self, device)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def astype(self, dtype):
        dtype = _dtype(dtype)
        if dtype == self.dtype:
            return self
        # gradients flow only between floating-point dtypes; an integer result is a constant, as in PyTorch
        return _ew.Cast.apply(self if dtype.kind in "fc" else self.detach(), dtype)

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)

    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Backpropagate: add d self / d leaf to the ``.grad`` of every leaf that requires grad."""
        autograd.backward(self, grad, retain_graph, create_graph)

    def zero_grad(self):
        self.grad = None

    # ----- arithmetic -----
    def _lift(self, other):
        """Make ``other`` an operand: Tensors pass, Python numbers stay numbers (NumPy keeps our dtype), arrays wrap."""
        if isinstance(other, Tensor) or type(other) is float or type(other) is int:
            return other
        if isinstance(other, np.generic) and other.dtype.kind in "biuf":
            return other.item()  # a NumPy scalar acts as a Python number: it never upcasts a float32 tensor
        if isinstance(other, (int, float)):
            return other
        arr = other if isinstance(other, backend.ARRAY_TYPES) else np.asarray(other)
        # plain data takes a float tensor's dtype (as a Python number would), so it never upcasts float32
        dtype = self.dtype if self.dtype.kind == "f" else None
        return Tensor(_to_array(arr, dtype, self.device))

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

    def __invert__(self):
        return Tensor(~self.data)

    def __and__(self, other):
        return self._cmp(other, np.logical_and)

    def __or__(self, other):
        return self._cmp(other, np.logical_or)

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

    # ----- reductions -----
    def sum(self, axis=None, keepdims=False):
        return _red.Sum.apply(self, axis, keepdims) if axis is not None or keepdims else _red.Sum.apply(self)

    def mean(self, axis=None, keepdims=False):
        return _red.Mean.apply(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return _red.Max.apply(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return _red.Max.apply(self, axis, keepdims, reducer="min")

    def var(self, axis=None, keepdims=False, ddof=0):
        """Variance: mean of squared deviations, divided by n - ddof. Composed of differentiable ops, so
        d var / dx_i = 2 (x_i - mean) / (n - ddof) comes out of the chain rule."""
        axes = _red.normalize_axis(axis, self.ndim, "var")
        n = 1
        for i in axes:
            n *= self.shape[i]
        if n - ddof <= 0:
            raise ValueError(f"var: {n} elements with ddof={ddof} leave no degrees of freedom")
        d = self - self.mean(axis=axes, keepdims=True)
        return (d * d).sum(axis=axes, keepdims=keepdims) / (n - ddof)

    def std(self, axis=None, keepdims=False, ddof=0):
        return self.var(axis, keepdims, ddof).sqrt()

    def logsumexp(self, axis=None, keepdims=False):
        return _red.LogSumExp.apply(self, axis, keepdims)

    def argmax(self, axis=None, keepdims=False):
        return _red.ArgMax.apply(self.detach(), axis, keepdims)

    def argmin(self, axis=None, keepdims=False):
        return (-self.detach()).argmax(axis, keepdims)

    def softmax(self, axis=-1):
        return _sm.Softmax.apply(self, axis)

    def log_softmax(self, axis=-1):
        return _sm.LogSoftmax.apply(self, axis)

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

    def __setitem__(self, idx, value):
        """In-place assignment, for tensors outside any graph: one that requires grad may have been saved by a
        backward rule, which would then silently use the new values."""
        if self.requires_grad:
            raise RuntimeError(f"setitem: cannot assign into a tensor that requires grad (shape {self.shape}); "
                               "build a new one with where / masked_fill / cat, or assign under .detach()")
        self.data[_mv._index_arrays(idx)] = value.data if isinstance(value, Tensor) else value


def tensor(data, requires_grad=False, dtype=None, device="cpu"):
    """Make a Tensor from data (lists, numbers, arrays): float data becomes float32 unless ``dtype`` is given."""
    return Tensor(_to_array(data, dtype, check_device(device)), requires_grad=requires_grad)


def _factory(make, shape, dtype, device, requires_grad):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    device = check_device(device)
    dtype = _dtype(dtype) or np.dtype(_FLOAT_DEFAULT)
    arr = make(shape, dtype)
    return Tensor(to_device(arr, device), requires_grad=requires_grad)


def zeros(*shape, dtype=None, device="cpu", requires_grad=False):
    return _factory(lambda s, d: np.zeros(s, d), shape, dtype, device, requires_grad)


def ones(*shape, dtype=None, device="cpu", requires_grad=False):
    return _factory(lambda s, d: np.ones(s, d), shape, dtype, device, requires_grad)


def full(shape, value, dtype=None, device="cpu", requires_grad=False):
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _factory(lambda s, d: np.full(s, value, d), (shape,), dtype, device, requires_grad)


def randn(*shape, dtype=None, device="cpu", requires_grad=False):
    """Standard normal samples from the engine's seeded generator (``tg.manual_seed``)."""
    from .random import generator
    return _factory(lambda s, d: generator().standard_normal(s).astype(d), shape, dtype, device, requires_grad)


def rand(*shape, dtype=None, device="cpu", requires_grad=False):
    """Uniform samples in [0, 1) from the engine's seeded generator."""
    from .random import generator
    return _factory(lambda s, d: generator().random(s).astype(d), shape, dtype, device, requires_grad)


def arange(start, stop=None, step=1, dtype=None, device="cpu", requires_grad=False):
    """Like np.arange; integer arguments give int64, float arguments float32 unless ``dtype`` is given."""
    arr = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return tensor(arr, requires_grad=requires_grad, dtype=dtype, device=device)


def eye(n, m=None, dtype=None, device="cpu", requires_grad=False):
    return _factory(lambda s, d: np.eye(n, m, dtype=d), (), dtype, device, requires_grad)


def zeros_like(t, dtype=None):
    return Tensor(xp_for(t.device).zeros(t.shape, dtype=_dtype(dtype) or t.dtype))


def ones_like(t, dtype=None):
    return Tensor(xp_for(t.device).ones(t.shape, dtype=_dtype(dtype) or t.dtype))


def _as_tensor(x, like=None):
    if isinstance(x, Tensor):
        return x
    dtype = like.dtype if like is not None and np.asarray(x).dtype.kind == "f" else None
    return Tensor(_to_array(x, dtype, like.device if like is not None else "cpu"))


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


autograd.Tensor = Tensor
from .ops import elementwise as _ew, reduce as _red, movement as _mv, matmul as _mm, softmax as _sm  # noqa: E402
