"""Reverse-mode automatic differentiation: ``Function``, the graph node and the backward pass (``backward``, ``grad``).

A ``Function`` computes its forward on raw arrays and its backward with Tensor ops. When the backward runs with
grad mode off (the default), those Tensor ops record nothing and cost little; with ``create_graph=True`` they build
a new graph, so the gradient itself can be differentiated again (second derivatives, gradient penalties).

The graph is made of ``Context`` nodes. A node holds its inputs strongly and its outputs weakly, so there are no
reference cycles: an intermediate Tensor is freed as soon as nothing downstream needs it, and ``backward`` frees the
saved arrays of each node right after using them unless ``retain_graph=True``. Grad mode (``no_grad`` ...) lives in
``grad_mode.py`` and is re-exported here.

Tools watch the backward pass through one hook, ``with on_backward_node(callback):``, which hands the callback a
``NodeVisit`` (the node, its incoming gradients, what it sent to each input) per node; ``tg.trace_backward`` is
built on it.
"""
import contextlib
import functools
import os
import traceback
import types
import weakref
from typing import Callable, Iterator, NamedTuple, Optional, Tuple

import numpy as np

from . import backend
from .errors import ArgumentError, DTypeError
from .backend import as_array
from .grad_mode import (_Mode, detect_anomaly, enable_grad, is_grad_enabled, no_grad,  # noqa: F401 (public here)
                        set_grad_enabled)
from .binding import bind
from .tensor import Tensor, leaf_hooks, share_version, version_of

_ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))
_node_callbacks = ()  # set only by on_backward_node(); each backward call reads it once to pick its per-node runner
_new_tensor = object.__new__


class Context:
    """What one op application remembers for its backward; also the graph node.

    ``ctx.save_for_backward(*arrays)`` in ``forward``; ``ctx.saved_tensors`` in ``backward`` gives them back as
    Tensors: an input's own Tensor where an input array was saved, the output's Tensor where the output was saved,
    so that a backward built with ``create_graph=True`` reaches through them. The node records its inputs'
    versions (their count of in-place writes); ``saved_tensors`` raises if a saved one changed since, as PyTorch
    does.
    """
    __slots__ = ("fn", "inputs", "outputs", "saved", "versions", "needs_input_grad", "where", "__dict__",
                 "__weakref__")

    def __init__(self, fn, inputs, needs_input_grad, versions):
        self.fn = fn
        self.inputs = inputs
        self.needs_input_grad = needs_input_grad
        self.versions = versions  # each input's version when the op ran (0 for non-Tensors)
        self.outputs = None
        self.saved = ()

    def save_for_backward(self, *arrays):
        """Keep arrays for backward (inputs, the output, or arrays computed from them); ``saved_tensors`` gives
        them back. Inputs and the output kept this way are checked for in-place changes before backward uses them."""
        self.saved = arrays

    @property
    def saved_tensors(self):
        """The arrays ``save_for_backward`` kept, as Tensors (an input's or the output's own Tensor where one was
        saved), after checking that none was changed in place since."""
        if self.inputs is None:
            raise RuntimeError(f"{self.fn.__name__}: saved tensors were freed by an earlier backward; "
                               "call backward(retain_graph=True) to backward through the graph twice")
        return tuple([self._tensor_for(a) for a in self.saved])

    def _tensor_for(self, a):
        if not isinstance(a, backend.ARRAY_TYPES):
            return a
        for i, t in enumerate(self.inputs):
            if isinstance(t, Tensor) and t._data is a:
                if version_of(t) != self.versions[i]:
                    raise self._modified(t, version_of(t), self.versions[i])
                return t
        for ref in self.outputs or ():
            t = ref()
            if t is not None and t._data is a:
                expected = getattr(self, "output_versions", {}).get(t._index, 0)
                if version_of(t) != expected:
                    raise self._modified(t, version_of(t), expected)
                return t
        return Tensor(a)

    def _modified(self, t, version, expected):
        return RuntimeError(f"{self.fn.__name__}: one of the variables needed for gradient computation has been "
                            f"modified by an inplace operation: a tensor of shape {t.shape} and dtype {t.dtype} is "
                            f"at version {version}; expected version {expected} instead (it was saved for this "
                            "op's backward; modify a copy, or do the in-place write after backward)")

    def free(self):
        """Drop what backward needed (inputs, saved arrays, the op's own attributes) once it has run."""
        self.inputs = None
        self.saved = ()
        self.__dict__.clear()

    def __repr__(self):
        return f"<{self.fn.__name__} node>"

    # What ``register_hook`` / ``retain_grad`` put on this node for its outputs: {output index: TensorHooks}. A
    # class default, so the backward pass reads one attribute per node; set in the instance only when used.
    _tensor_hooks = None

    def name(self) -> str:
        """The op's name, e.g. "Mul" (PyTorch's ``grad_fn.name()`` says "MulBackward0")."""
        return self.fn.__name__

    @property
    def next_functions(self) -> Tuple[Tuple[object, int], ...]:
        """Where this node's gradients go, one pair per positional input of the op (constants included), as
        PyTorch's ``grad_fn.next_functions``: ``(node, output index)`` for an input made by another node,
        ``(AccumulateGrad, 0)`` for a leaf that requires grad (``.variable`` is the leaf), ``(None, 0)`` otherwise.
        Raises once a backward without ``retain_graph=True`` has freed the node."""
        if self.inputs is None:
            raise RuntimeError(f"next_functions: the {self.fn.__name__} node was freed by an earlier backward; "
                               "pass retain_graph=True to keep the graph")
        out = []
        for t in self.inputs:
            if not isinstance(t, Tensor) or not t._requires_grad:
                out.append((None, 0))
            elif t._ctx is not None:
                out.append((t._ctx, t._index))
            else:
                out.append((AccumulateGrad(t), 0))
        return tuple(out)


class AccumulateGrad:
    """The end of a path in ``grad_fn.next_functions``: where a leaf's gradient is added to its ``.grad``
    (PyTorch's ``AccumulateGrad`` node); ``variable`` is the leaf."""
    __slots__ = ("variable",)
    next_functions = ()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        """The node's name: "AccumulateGrad" (PyTorch's ``name()`` says "torch::autograd::AccumulateGrad")."""
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad of a leaf of shape {self.variable.shape}>"


class Function:
    """Base class of every differentiable op, and the public way to write your own (like torch.autograd.Function).

    Subclasses define two static methods::

        forward(ctx, *inputs)   # inputs: arrays where Tensors were passed, other arguments as given; returns arrays
        backward(ctx, *grads)   # grads: one Tensor per output; returns one Tensor (or None) per input

    and are called as ``MyOp.apply(*inputs)``. Set ``once_differentiable = True`` on a Function whose backward works
    on raw arrays: differentiating its gradient again then raises a clear error instead of giving a wrong zero. A
    Function written outside the engine whose backward returns raw arrays while ``create_graph=True`` builds the
    graph of the gradient raises such an error too (its first derivative, ``create_graph=False``, may be arrays).
    """
    once_differentiable = False

    def __new__(cls, *args, **kwargs):
        """A Function is applied (``MyOp.apply(x)``), never instantiated: calling the class says so."""
        shown = "x" if len(args) == 1 and not kwargs else "..."
        raise TypeError(f"call {cls.__name__}.apply({shown}), not {cls.__name__}({shown}): a Function is applied, "
                        "not instantiated")

    def __init_subclass__(cls, **kwargs) -> None:
        """Check the gradients of a Function written outside the engine: its ``backward`` is wrapped so that
        returning a raw array while ``create_graph=True`` builds the graph of the gradient raises (see
        ``_checked_backward``). The engine's own ops are left unwrapped (no cost on their hot path): they are
        written in Tensor ops and their second derivatives are checked by their ``OpCase`` rows."""
        super().__init_subclass__(**kwargs)
        backward = cls.__dict__.get("backward")
        if isinstance(backward, staticmethod):
            backward = backward.__func__
        if isinstance(backward, types.FunctionType) and not cls.__module__.startswith(__package__ + "."):
            cls.backward = staticmethod(_checked_backward(backward))

    @staticmethod
    def forward(ctx, *inputs):
        """Compute the outputs from the input arrays (NumPy or CuPy); save what backward needs on ``ctx``."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        """Given d loss / d output (Tensors), return d loss / d input for each input (None where not needed),
        written in Tensor ops so that it can itself be differentiated."""
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on Tensors (and constants): the forward on their arrays, and a graph node if an input
        requires grad and grad mode is on; returns the output Tensor(s)."""
        # The hot path of every op: kept flat, since on small tensors this bookkeeping costs more than the math.
        arrays, needs, versions = [], [], []
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                needs.append(a._requires_grad)
                shared = a._shared_version  # the version counter, shared with views (tensor.version_of)
                versions.append(a._version if shared is None else shared[0])
            else:
                arrays.append(a)
                needs.append(False)
                versions.append(0)
        if kwargs and any(isinstance(v, Tensor) for v in kwargs.values()):
            raise TypeError(f"{cls.__name__}.apply: pass Tensors positionally (keyword arguments get no gradient)")
        ctx = Context(cls, args, tuple(needs), versions)
        try:
            out = cls.forward(ctx, *arrays, **kwargs)
        except (ValueError, IndexError, TypeError) as e:
            raise _named(e, cls.__name__, arrays) from e
        record = _Mode.grad and True in needs
        if record and _Mode.anomaly:
            ctx.where = _user_frame()
        if type(out) is tuple:
            return _several_outputs(ctx, out, record)
        if type(out) is not np.ndarray and not isinstance(out, backend.ARRAY_TYPES):
            out = np.asarray(out)  # NumPy turns 0-d results into scalars (and a forward may return a number)
        t = _new_tensor(Tensor)  # the output, built without __init__'s checks (the array is known good)
        t._data = out
        t._grad = None  # the slot behind Tensor.grad
        t._index = 0
        t._version = 0
        t._shared_version = None
        if out.base is not None:  # a view: it counts in-place writes with the input whose memory it aliases
            _share_with_aliased_input(t, args, ctx)
        if record:  # the output points at its node; the node holds it only weakly (no reference cycle)
            t._ctx = ctx
            t._requires_grad = True
            ctx.outputs = (weakref.ref(t),)
        else:
            t._ctx = None
            t._requires_grad = False
        return t


def _checked_backward(backward: Callable) -> Callable:
    """``backward`` raising when, with grad mode on inside the backward pass (``create_graph=True``), it returns a
    raw array: the gradient would silently become a constant, so its derivative would be a wrong zero."""

    @functools.wraps(backward)
    def checked(ctx, *grads):
        in_grads = backward(ctx, *grads)
        if _Mode.grad:
            for g in in_grads if type(in_grads) is tuple else (in_grads,):
                if isinstance(g, backend.ARRAY_TYPES) or isinstance(g, np.generic):
                    raise _array_gradient_error(ctx.fn, g)
        return in_grads
    return checked


def _array_gradient_error(fn, g) -> RuntimeError:
    """The error for a backward of ``fn`` that returned the raw array ``g`` while the gradient's graph was built."""
    kind = "NumPy" if isinstance(g, (np.ndarray, np.generic)) else type(g).__module__.split(".")[0].capitalize()
    kind = "CuPy" if kind == "Cupy" else kind
    return RuntimeError(f"{fn.__name__}.backward returned a {kind} array, so its gradient is not differentiable; "
                        "write the backward in Tensor ops (see CONTRIBUTING.md), or set once_differentiable = True")


def _memory_owner(array):
    """The array that owns ``array``'s memory (NumPy and CuPy collapse chains of views onto it)."""
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def _share_with_aliased_input(t, args, ctx):
    """If ``t``'s array is a view of an input's memory, share that input's version counter (as PyTorch's views
    do), and note the count at creation (when not 0), against which a saved output is checked."""
    base = t._data.base  # NumPy and CuPy point a view of a view at the array that owns the memory
    for a in args:
        if isinstance(a, Tensor):
            d = a._data
            if d is base or d.base is base or _memory_owner(d) is _memory_owner(base):  # the last: as_strided's
                share_version(t, a)
                start = t._shared_version[0]
                if start:
                    starts = getattr(ctx, "output_versions", {})
                    starts[t._index] = start
                    ctx.output_versions = starts
                return


def _several_outputs(ctx, out, record):
    outs = tuple([_make(o, ctx if record else None, i if record else 0) for i, o in enumerate(out)])
    for o in outs:
        if o._data.base is not None:
            _share_with_aliased_input(o, ctx.inputs, ctx)
    if not record:
        return outs
    ctx.outputs = tuple([weakref.ref(o) for o in outs])
    ctx.output_meta = tuple([(o._data.shape, o._data.dtype) for o in outs])  # for zero grads of unused ones
    return outs


def _named(error, op, arrays):
    """The same error with the op's name and its input shapes added (errors users see name both). NumPy's plain
    ValueError and TypeError become the engine's ArgumentError and DTypeError, so they are PyTorch's RuntimeError
    too (``errors.py``)."""
    shapes = ", ".join(str(tuple(a.shape)) for a in arrays if isinstance(a, backend.ARRAY_TYPES))
    message = str(error) if str(error).lower().startswith(op.lower()) else f"{op}: {error}"
    kind = {ValueError: ArgumentError, TypeError: DTypeError}.get(type(error), type(error))
    try:
        return kind(f"{message} (input shapes: {shapes})")
    except Exception:  # an exception type whose constructor wants more than a message
        return error


def _make(array, ctx, index):
    """A Tensor for an op's output, built without __init__'s checks (the array is known good)."""
    if type(array) is not np.ndarray and not isinstance(array, backend.ARRAY_TYPES):
        array = np.asarray(array)  # NumPy turns 0-d results into scalars (and a forward may return a number)
    t = _new_tensor(Tensor)
    t._data = array
    t._grad = None
    t._ctx = ctx
    t._index = index
    t._version = 0
    t._shared_version = None
    t._requires_grad = ctx is not None
    return t


def _user_frame():
    """The innermost stack frame outside this package: where the user's code called the op."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if not os.path.abspath(frame.filename).startswith(_ENGINE_DIR):
            return f"{frame.filename}:{frame.lineno}: {frame.line}"
    return "<unknown>"


class _OnceDifferentiableBackward(Function):
    """Stands in for the gradient of a once-differentiable op so that differentiating it again fails loudly."""

    @staticmethod
    def forward(ctx, grad, *inputs, op_name=""):
        ctx.op_name = op_name
        return grad

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(f"{ctx.op_name} is once-differentiable: its backward was computed by a fused kernel and "
                           "cannot be differentiated again (double backward); use the reference backend for it")


def _topological_order(roots):
    """Nodes reachable from ``roots`` with every node before the nodes it depends on (iterative DFS, no recursion)."""
    order, seen, stack = [], set(), [(root, False) for root in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        if node.inputs is None:
            raise RuntimeError(f"backward: the graph through {node.fn.__name__} was already freed by an earlier "
                               "backward; pass retain_graph=True to the first backward to go through it twice")
        seen.add(node)
        stack.append((node, True))
        for t in node.inputs:
            if isinstance(t, Tensor) and t._ctx is not None and t._ctx not in seen:
                stack.append((t._ctx, False))
    order.reverse()
    return order


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, so it takes the input's ``shape``.

    This is the one place broadcasting is undone: y = broadcast(x) has dx = sum of g over the broadcast axes.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape) if grad.shape != shape else grad


def backward(tensor: Tensor, grad: Optional[Tensor] = None, retain_graph: Optional[bool] = None,
             create_graph: bool = False) -> None:
    """Backpropagate from ``tensor``: accumulate d tensor / d leaf into every leaf's ``.grad`` (bound as
    ``x.backward()``, PyTorch's ``Tensor.backward``).

    Args:
        grad: d loss / d tensor; implied (1) for a one-element tensor.
        retain_graph: keep the graph for another backward; defaults to ``create_graph`` (as in PyTorch).
        create_graph: record the backward itself, so the gradients can be differentiated again."""
    if not tensor.requires_grad:
        raise RuntimeError(f"backward: tensor of shape {tensor.shape} does not require grad and has no graph")
    _backprop([(tensor, _seed(tensor, grad, create_graph, "backward"))], retain_graph, create_graph, None)


BINDINGS = [bind(backward, method=True)]  # x.backward(...): attached with the op families' methods


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned as a tuple (like ``torch.autograd.grad``);
    no ``.grad`` anywhere is read or written.

    ``grad_outputs`` gives d L / d output for each output (default 1 for single-element outputs), so the result is
    the vector-Jacobian product sum_k grad_outputs[k] * d outputs[k] / d inputs. With ``create_graph=True`` the
    gradients are themselves differentiable (a gradient penalty, a second derivative). An input that no output
    depends on is an error unless ``allow_unused=True``, which gives ``None`` for it."""
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs[{i}] is a {type(t).__name__}, not a Tensor")
        if not t.requires_grad:
            raise RuntimeError(f"grad: inputs[{i}] (shape {t.shape}) does not require grad")
    pairs = []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: outputs[{i}] does not require grad and has no graph")
        pairs.append((t, _seed(t, g, create_graph, "grad")))
    got = _backprop(pairs, retain_graph, create_graph, inputs)
    for i, g in enumerate(got):
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: inputs[{i}] (shape {inputs[i].shape}) was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
    return tuple(got)


def _seed(tensor, grad, create_graph, op):
    """The gradient that starts a backward at ``tensor``: 1 for a single element, else the given one."""
    if grad is None:
        if tensor._data.size != 1:
            raise RuntimeError(f"{op}: grad can be implied only for a single-element tensor, got shape "
                               f"{tensor.shape}; pass a gradient of that shape")
        data = tensor._data
        return _make(backend.xp_of(data).array(1, data.dtype).reshape(data.shape), None, 0)  # d out / d out
    grad = grad if isinstance(grad, Tensor) else Tensor(grad)
    if grad.shape != tensor.shape:
        raise RuntimeError(f"{op}: grad has shape {grad.shape} but the tensor has shape {tensor.shape}")
    return grad if create_graph else grad.detach()


class _Capture:
    """Where ``grad()`` collects the gradients of its inputs instead of writing any ``.grad``."""
    __slots__ = ("index", "got", "hooked")

    def __init__(self, inputs):
        self.index = {}
        for i, t in enumerate(inputs):
            self.index.setdefault(id(t), []).append(i)
        self.got = [None] * len(inputs)
        self.hooked = None  # the pass's _HookedLeaves, where some leaf has hooks

    def add(self, t, g):
        for i in self.index.get(id(t), ()):
            self.got[i] = g if self.got[i] is None else self.got[i] + g

    def leaf(self, t, g, create_graph):
        """A gradient for the leaf ``t``: collected (held first for its hooks, if it has any)."""
        if self.hooked is not None and id(t) in self.hooked.left:
            self.hooked.add(t, g)
        else:
            self.add(t, g)

    def has(self, t):
        """Whether a gradient for ``t`` was collected already."""
        if self.hooked is not None and self.hooked.has(t):
            return True
        return any(self.got[i] is not None for i in self.index.get(id(t), ()))


# ----- watching the backward pass: a per-node callback, chosen once per backward call -----

class GradSent(NamedTuple):
    """One gradient a node's backward sent to one of its inputs (one entry of ``NodeVisit.outgoing``)."""
    input: int          # the input's position in the node's inputs
    tensor: Tensor      # that input: a leaf, or the output of the node it came from (``tensor._ctx``)
    grad: Tensor        # the gradient, reduced to the input's shape and dtype: what was added
    accumulated: bool   # added to a gradient already there (a fan-out, or a leaf whose .grad was not zeroed)


class NodeVisit(NamedTuple):
    """What the backward pass hands an ``on_backward_node`` callback, once per node, right after running it.

    The node is still whole (``node.fn``, ``node.inputs``): the pass frees it after the callbacks return, unless
    ``retain_graph=True``. A callback reads; it must not keep the node or the tensors, or the graph stays alive."""
    step: int                         # 1, 2, ...: the order this backward call runs the nodes in
    node: Context                     # the graph node (``node.fn.__name__`` is its op)
    grads: Tuple[Optional[Tensor], ...]   # d loss / d output, one per output (None: an output nothing used)
    outgoing: Tuple[GradSent, ...]    # the gradients it sent to its inputs, in input order


@contextlib.contextmanager
def on_backward_node(callback: Callable[[NodeVisit], None]) -> Iterator[Callable[[NodeVisit], None]]:
    """Call ``callback(visit)`` for every node that a backward pass started inside this block runs
    (``Tensor.backward``, ``backward`` and ``grad``), with a :class:`NodeVisit` of the node, its incoming gradients
    and the gradients it sent to each input. Blocks nest: each active callback is called, outermost first.

    The callbacks are read once when a backward pass starts, so a pass that runs without any pays nothing per
    node; leaving the block stops the calls even after an error. ``tg.trace_backward`` is built on this."""
    global _node_callbacks
    _node_callbacks = _node_callbacks + (callback,)
    try:
        yield callback
    finally:
        at = len(_node_callbacks) - 1 - _node_callbacks[::-1].index(callback)
        _node_callbacks = _node_callbacks[:at] + _node_callbacks[at + 1:]


class _Observed:
    """The per-node runner of a backward pass that callbacks watch: ``_run_node`` noting what it sends where,
    then a ``NodeVisit`` to each callback (in grad mode off, even under ``create_graph=True``)."""
    __slots__ = ("callbacks", "step")

    def __init__(self, callbacks):
        self.callbacks, self.step = callbacks, 0

    def __call__(self, node, grads, pending, create_graph, sink):
        self.step += 1
        outgoing = []
        _run_node(node, grads, pending, create_graph, sink, outgoing)
        visit = NodeVisit(self.step, node, tuple(grads), tuple(outgoing))
        with no_grad():  # what a callback computes from the gradients is never part of a graph
            for callback in self.callbacks:
                callback(visit)


def _backprop(pairs, retain_graph, create_graph, wanted):
    """Run the graph backward from each (tensor, seed gradient) pair. ``wanted`` None: accumulate into every leaf's
    ``.grad``; a list of tensors: return their gradients (leaves or not) and write no ``.grad``.

    ``sink`` is where gradients reaching a leaf go: for backward, the set of arrays a leaf may not own (the
    caller's grads, and those already given to a leaf), for grad, the ``_Capture`` of the wanted inputs."""
    if retain_graph is None:
        retain_graph = create_graph
    capture = None if wanted is None else _Capture(wanted)
    sink = {id(g._data) for _, g in pairs} if capture is None else capture
    pending, roots = {}, []
    for t, g in pairs:
        if t._ctx is None:
            continue
        slot = pending.get(t._ctx)
        if slot is None:
            slot = pending[t._ctx] = [None] * len(t._ctx.outputs)
            roots.append(t._ctx)
        slot[t._index] = g if slot[t._index] is None else slot[t._index] + g
    order = _topological_order(roots)  # raises before any gradient is written
    hooked = _HookedLeaves.of(order, pairs, create_graph, capture) if leaf_hooks else None  # leaves with hooks
    if hooked is not None:
        if capture is None:
            sink = hooked.given = _HookedSink(sink, hooked)
        else:
            capture.hooked = hooked
    for t, g in pairs:  # an output that is itself a leaf
        if t._ctx is None:
            if hooked is not None and id(t) in hooked.left:
                hooked.add(t, g)
            elif capture is None:
                _accumulate_leaf(t, g, create_graph, sink)
            else:
                capture.add(t, g)
    run = _run_node if not _node_callbacks else _Observed(_node_callbacks)  # chosen once: no per-node check
    prev, _Mode.grad = _Mode.grad, create_graph
    reach = None  # grad(): the nodes on a path to a wanted input, where some node has hooks
    if capture is not None and any(node._tensor_hooks is not None for node in order):
        reach = _reaching(order, capture)
    try:
        if hooked is not None:
            hooked.fire_ready()  # hooked leaves that only the roots feed
        for node in order:
            grads = pending.pop(node, None)
            if grads is not None:
                table = node._tensor_hooks  # register_hook / retain_grad on this node's outputs
                if table is not None:
                    if capture is None or node in reach:  # grad() runs the hooks PyTorch's pruned pass runs
                        grads = _output_hooks(node, table, grads, create_graph)
                if capture is not None:  # a non-leaf input: its gradient is complete once its node is reached
                    for ref, g in zip(node.outputs, grads):
                        if g is not None and id(ref()) in capture.index:
                            capture.add(ref(), g)
                run(node, grads, pending, create_graph, sink)
                if not retain_graph:
                    node.free()
                    if table is not None:
                        node._tensor_hooks = table  # the tensors' hooks outlive the saved arrays, as in PyTorch
            if hooked is not None and node in hooked.feeds:
                hooked.done(node)
        if hooked is not None:
            hooked.fire_all()
    finally:
        _Mode.grad = prev
    return None if capture is None else capture.got


# ----- the tensors' own hooks (Tensor.register_hook, retain_grad) -----

def _reaching(order, capture):
    """For ``grad()``: the nodes whose outputs' hooks PyTorch runs, those on a path to a wanted input (PyTorch
    runs no node beyond them) and those that made a wanted input."""
    reach = set()
    for node in reversed(order):  # the nodes that made a node's inputs come first
        for ref in node.outputs:
            if id(ref()) in capture.index:
                reach.add(node)
                break
        else:
            for t in node.inputs:
                if isinstance(t, Tensor) and (id(t) in capture.index or t._ctx in reach):
                    reach.add(node)
                    break
    return reach

def _call_hooks(hooks, g):
    """Run a tensor's hooks on its gradient ``g``, in registration order; a Tensor a hook returns replaces ``g``
    (PyTorch's checks: a Tensor, of the same shape and dtype)."""
    for fn in list(hooks.fns.values()):  # a hook may remove itself
        out = fn(g)
        if out is None:
            continue
        name = getattr(fn, "__name__", type(fn).__name__)
        if not isinstance(out, Tensor):
            raise TypeError(f"register_hook: expected Tensor or None, but hook '{name}' returned "
                            f"'{type(out).__name__}'")
        if out.shape != g.shape:
            raise RuntimeError(f"register_hook: hook '{name}' has changed the size of value (was {g.shape}, got "
                               f"{out.shape})")
        if out.dtype != g.dtype:
            raise RuntimeError(f"register_hook: hook '{name}' has changed the type of value (was {g.dtype}, got "
                               f"{out.dtype})")
        g = out
    return g


def _output_hooks(node, table, grads, create_graph):
    """The gradients of ``node``'s outputs after their tensors' hooks, once complete (the node is reached); a
    tensor that called ``retain_grad()`` adds its (hooked) gradient to its ``.grad``, as a leaf would."""
    grads = list(grads)
    for i, hooks in table.items():
        g = grads[i]
        if g is None:
            continue
        if hooks.fns:
            g = grads[i] = _call_hooks(hooks, g)
        if hooks.retain:
            t = node.outputs[i]()  # held weakly: a tensor already freed keeps nothing
            if t is not None:
                prev = t._grad
                if create_graph:
                    t._grad = g if prev is None else prev + g
                else:  # an array of its own (PyTorch clones), like a leaf's
                    t._grad = _make(g._data.copy() if prev is None else prev._data + g._data, None, 0)
    return grads


class _HookedLeaves:
    """The gradients bound for leaves that have hooks, held back until the last node that feeds each leaf has run:
    then its hooks see the sum over every path once, and what they return is added to ``.grad`` (or collected by
    ``grad()``), as PyTorch's ``AccumulateGrad`` does. Only made when some leaf has hooks."""
    __slots__ = ("left", "feeds", "got", "create_graph", "capture", "given")

    @staticmethod
    def of(order, pairs, create_graph, capture):
        """The pass's hooked leaves (those ``order``'s nodes or the roots feed), or None where there are none."""
        left, feeds = {}, {}
        for node in order:
            ids = {id(t) for t in node.inputs
                   if isinstance(t, Tensor) and t._ctx is None and t._requires_grad and id(t) in leaf_hooks
                   and (capture is None or id(t) in capture.index)}  # grad() runs only its inputs' hooks
            if ids:
                feeds[node] = ids
                for i in ids:
                    left[i] = left.get(i, 0) + 1
        for t, _ in pairs:
            if t._ctx is None and id(t) in leaf_hooks and (capture is None or id(t) in capture.index):
                left.setdefault(id(t), 0)
        if not left:
            return None
        self = _HookedLeaves()
        self.left, self.feeds, self.got = left, feeds, {}
        self.create_graph, self.capture, self.given = create_graph, capture, None
        return self

    def add(self, t, g):
        """Hold ``g`` for the hooked leaf ``t`` (summed with what came before)."""
        slot = self.got.get(id(t))
        if slot is None:
            self.got[id(t)] = [t, g]
        else:
            slot[1] = slot[1] + g

    def has(self, t):
        """Whether a gradient for ``t`` is held already."""
        return id(t) in self.got

    def done(self, node):
        """``node`` has run: the leaves it was the last to feed are complete."""
        for i in self.feeds[node]:
            self.left[i] -= 1
            if not self.left[i]:
                self.fire(i)

    def fire_ready(self):
        """Deliver the leaves no node feeds (only the roots)."""
        for i, n in list(self.left.items()):
            if not n:
                self.fire(i)

    def fire_all(self):
        """Deliver whatever is still held (leaves of nodes that got no gradient)."""
        for i in list(self.got):
            self.fire(i)

    def fire(self, i):
        """Run leaf ``i``'s hooks on its total gradient and deliver the result."""
        slot = self.got.pop(i, None)
        if slot is None:
            return
        t, g = slot
        hooks = leaf_hooks.get(i)
        if hooks is not None and hooks.fns:
            g = _call_hooks(hooks, g)
        if self.capture is not None:
            self.capture.add(t, g)
        else:
            _accumulate_leaf(t, g, self.create_graph, self.given)


class _HookedSink(set):
    """``backward``'s sink (the ids of arrays a leaf may not own) in a pass with hooked leaves: their gradients are
    held by ``_HookedLeaves``, the other leaves' are accumulated at once."""
    __slots__ = ("hooked",)

    def __init__(self, ids, hooked):
        super().__init__(ids)
        self.hooked = hooked

    def leaf(self, t, g, create_graph):
        """A gradient for the leaf ``t``."""
        if id(t) in self.hooked.left:
            self.hooked.add(t, g)
        else:
            _accumulate_leaf(t, g, create_graph, self)

    def has(self, t):
        """Whether a gradient for ``t`` is there already."""
        return self.hooked.has(t) or t._grad is not None


def _run_node(node, grads, pending, create_graph, sink, outgoing=None):
    """Run one node's backward and send each input its gradient: added to a leaf's ``.grad`` (or to ``sink``, a
    ``_Capture``, for ``grad()``), or to the pending gradients of the node that made the input. ``outgoing``, a
    list when ``on_backward_node`` callbacks watch, gets a ``GradSent`` per gradient sent."""
    fn = node.fn
    if len(grads) > 1 and any(g is None for g in grads):  # an output that nothing used gets a zero gradient
        xp = backend.xp_of(next(g for g in grads if g is not None)._data)
        grads = [g if g is not None else _make(xp.zeros(shape, dtype), None, 0)
                 for g, (shape, dtype) in zip(grads, node.output_meta)]
    if create_graph and fn.once_differentiable:
        with no_grad():
            in_grads = fn.backward(node, *grads)
    else:
        in_grads = fn.backward(node, *grads)
    if type(in_grads) is not tuple:
        in_grads = (in_grads,)
    inputs = node.inputs
    if len(in_grads) < len(inputs) and any(isinstance(t, Tensor) and t._requires_grad for t in inputs[len(in_grads):]):
        raise RuntimeError(f"{fn.__name__}.backward returned {len(in_grads)} gradients for {len(inputs)} inputs")
    for i, (inp, g) in enumerate(zip(inputs, in_grads)):
        if g is None or not isinstance(inp, Tensor) or not inp._requires_grad:
            continue
        if not isinstance(g, Tensor):
            g = Tensor(as_array(g))
        if g._data.dtype != inp._data.dtype:
            g = g.astype(inp._data.dtype)
        if g._data.shape != inp._data.shape:
            if not _broadcasts_to(inp._data.shape, g._data.shape):
                raise RuntimeError(f"{fn.__name__}.backward returned a gradient of shape {g.shape} for input {i} "
                                   f"of shape {inp.shape}")
            g = unbroadcast(g, inp.shape)
        if create_graph and fn.once_differentiable:
            g = _OnceDifferentiableBackward.apply(g._data, *inputs, op_name=fn.__name__)
        if _Mode.anomaly:
            _check_finite(node, g)
        if outgoing is not None:  # watched (see _Observed): note where g goes, before it is added
            outgoing.append(GradSent(i, inp, g, _has_grad(inp, pending, sink)))
        if inp._ctx is None:
            if type(sink) is not set:  # grad()'s _Capture (no .grad written), or a pass with hooked leaves
                sink.leaf(inp, g, create_graph)
            else:
                _accumulate_leaf(inp, g, create_graph, sink)
        else:
            slot = pending.get(inp._ctx)
            if slot is None:
                slot = pending[inp._ctx] = [None] * len(inp._ctx.outputs)
            prev = slot[inp._index]
            slot[inp._index] = g if prev is None else prev + g


def _has_grad(inp, pending, sink):
    """Whether a gradient for ``inp`` is already there: the gradient about to be sent is then added to it."""
    if inp._ctx is None:
        return sink.has(inp) if type(sink) is not set else inp._grad is not None
    slot = pending.get(inp._ctx)
    return slot is not None and slot[inp._index] is not None


def _broadcasts_to(shape, grad_shape):
    """Whether an input of ``shape`` could have been broadcast to ``grad_shape``."""
    lead = len(grad_shape) - len(shape)
    return lead >= 0 and all(n == 1 or n == m for n, m in zip(shape, grad_shape[lead:]))


def _accumulate_leaf(leaf, g, create_graph, given):
    """leaf.grad += g. Each leaf's .grad gets an array of its own (optimizers update grads in place)."""
    if not create_graph:
        data = g._data
        if leaf._grad is not None:
            data = leaf._grad._data + data
        elif data.base is not None or id(data) in given:
            data = data.copy()  # a view (maybe a read-only broadcast) or an array someone else holds
        given.add(id(data))
        leaf._grad = _make(data, None, 0)
    else:
        leaf._grad = g if leaf._grad is None else leaf._grad + g


def _check_finite(node, g):
    xp = np if type(g._data) is np.ndarray else __import__("cupy")
    if not bool(xp.isfinite(g._data).all()):
        where = getattr(node, "where", None) or "<unknown: the op was created outside detect_anomaly>"
        raise FloatingPointError(f"detect_anomaly: the backward of {node.fn.__name__} produced NaN or Inf; "
                                 f"the op was created at {where}")
