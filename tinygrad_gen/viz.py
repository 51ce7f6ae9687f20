"""See backprop happen: a picture of the computation graph, and the backward pass traced node by node.

    g = tg.draw(loss, params=model)        # one node per op and per tensor; g.source is Graphviz DOT text
    g.save("graph.svg")                    # .dot always works; .svg and .png need Graphviz's ``dot`` program
    with tg.trace_backward(params=model) as trace:
        loss.backward()
    print(trace)                           # one row per node, in the order the backward pass visited them

Both only read the graph: they change no gradient and keep no reference to it. Drawn after
``backward(retain_graph=True)``, each tensor shows its gradient's shape and norm (a gradient holding NaN or Inf is
coloured red), and each op the step at which the backward pass visits it.

``collapse=`` groups the ops of one Module call into one box. It needs to know which call made each node, so the
forward must run inside ``with tg.viz.record_modules():``, which tags the nodes while it is active and costs nothing
once it is left (``Module.__call__`` is swapped for a recording one only inside the block).
"""
import contextlib
import itertools
import math
import shutil
import subprocess

import numpy as np

from . import autograd
from .tensor import Tensor

_SCOPE = "_module_scope"  # attribute of a graph node (Context): the Module calls active when it was made
INSTALL_DOT = "install Graphviz (apt-get install graphviz, brew install graphviz or conda install graphviz)"


# ----- names: parameter and module names from a Module or a dict -----

def _sources(params):
    """``params`` as a list of (prefix, Module) and (name, Tensor): from a Module, a dict of names to Tensors or
    Modules, (name, tensor) pairs such as ``named_parameters()``, or a list of any of these."""
    if params is None:
        return []
    if hasattr(params, "named_parameters"):
        return [("", params)]
    if hasattr(params, "items"):
        return list(params.items())
    out = []
    for item in params:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            out.append(item)
        else:
            out += _sources(item)
    return out


def _named_tensors(params):
    """{id(tensor): dotted name}, the first name wins (a tied weight keeps its first name)."""
    names = {}
    for key, value in _sources(params):
        if hasattr(value, "named_parameters"):
            prefix = f"{key}." if key else ""
            for name, t in list(value.named_parameters()) + list(value.named_buffers()):
                names.setdefault(id(t), prefix + name)
        elif isinstance(value, Tensor):
            names.setdefault(id(value), key)
        else:
            raise TypeError(f"draw: params entry {key!r} is a {type(value).__name__}, not a Tensor or a Module")
    return names


def _named_modules(params):
    """{id(module): dotted name} for the Modules in ``params``."""
    out = {}
    for key, value in _sources(params):
        if hasattr(value, "named_modules"):
            for name, m in value.named_modules():
                out.setdefault(id(m), ".".join(p for p in (key, name) if p))
    return out


# ----- recording which Module call made each node -----

class _Recorder:
    depth = 0          # nesting of record_modules blocks
    original = None    # Module.__call__ outside them
    stack = []         # (call number, id(module), class name) of the calls now running
    calls = itertools.count(1)


def _tensors_in(obj):
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _tensors_in(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors_in(o)]
    return []


def _tag(out, args, scope):
    """Tag the nodes this call made with ``scope``: walk back from its outputs, stopping at its arguments and at
    nodes made before it began; nodes an inner call already tagged keep their (deeper) scope."""
    stop = {id(t) for t in _tensors_in(args)}
    began = scope[-1][0]
    seen, stack = set(), _tensors_in(out)
    while stack:
        t = stack.pop()
        ctx = t._ctx
        if id(t) in stop or ctx is None or id(ctx) in seen or ctx.inputs is None:
            continue
        seen.add(id(ctx))
        tag = ctx.__dict__.get(_SCOPE)
        if tag is None:
            ctx.__dict__[_SCOPE] = scope
        elif tag[-1][0] < began:
            continue
        stack.extend(x for x in ctx.inputs if isinstance(x, Tensor))


def _recording_call(self, *args, **kwargs):
    frame = (next(_Recorder.calls), id(self), type(self).__name__)
    _Recorder.stack.append(frame)
    try:
        out = _Recorder.original(self, *args, **kwargs)
    finally:
        _Recorder.stack.pop()
    _tag(out, (args, kwargs), tuple(_Recorder.stack) + (frame,))
    return out


@contextlib.contextmanager
def record_modules():
    """Inside this block every Module call tags the graph nodes it makes, so ``draw(..., collapse=...)`` can group
    them. Outside it Module calls run exactly as before: the recording ``__call__`` is swapped in only here."""
    from .nn.module import Module
    if _Recorder.depth == 0:
        _Recorder.original = Module.__dict__["__call__"]
        Module.__call__ = _recording_call
    _Recorder.depth += 1
    try:
        yield
    finally:
        _Recorder.depth -= 1
        if _Recorder.depth == 0:
            Module.__call__ = _Recorder.original
            _Recorder.stack.clear()


# ----- reading the graph -----

def _freed(ctx):
    return RuntimeError(f"draw: the graph through {ctx.fn.__name__} was freed by backward(); draw before the "
                        "backward, or call backward(retain_graph=True) to draw the graph with its gradients")


def _walk(roots):
    """Tensors and nodes reachable from ``roots``, each once, in a fixed order (iterative, no recursion limit)."""
    tensors, nodes, stack = {}, {}, list(reversed(roots))
    while stack:
        t = stack.pop()
        if id(t) in tensors:
            continue
        tensors[id(t)] = t
        ctx = t._ctx
        if ctx is None or id(ctx) in nodes:
            continue
        if ctx.inputs is None:
            raise _freed(ctx)
        nodes[id(ctx)] = ctx
        alive = [o for o in (ref() for ref in ctx.outputs or ()) if o is not None and id(o) not in tensors]
        stack.extend(reversed([x for x in ctx.inputs if isinstance(x, Tensor)] + alive))
    return list(tensors.values()), list(nodes.values())


def _host(a):
    return a if type(a) is np.ndarray else a.get()


def _stats(a):
    """(norm, min, max, finite) of an array, in float64 on the host."""
    a = _host(a).astype(np.float64, copy=False)
    if a.size == 0:
        return 0.0, math.nan, math.nan, True
    finite = bool(np.isfinite(a).all())
    return float(np.sqrt(np.sum(a * a))), float(a.min()), float(a.max()), finite


def _shape(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _constant(a):
    """A short text for a non-tensor argument of an op (a scalar, an axis), or None to leave it out."""
    if isinstance(a, bool) or a is None:
        return None  # flags such as keepdims=False say little on a picture
    if isinstance(a, (int, float)):
        return f"{a:.4g}" if isinstance(a, float) else str(a)
    if isinstance(a, tuple) and len(a) <= 4 and all(isinstance(x, int) for x in a):
        return str(a)
    return None


def _q(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# ----- the picture -----

class Graph:
    """A drawn graph: ``.source`` is its Graphviz DOT text; ``.save(path)`` writes .dot, .svg or .png; in a notebook
    it shows itself (``_repr_svg_``)."""

    def __init__(self, source, nodes=0, edges=0):
        self.source = source
        self.nodes, self.edges = nodes, edges

    def render(self, fmt):
        """The picture as bytes in Graphviz format ``fmt`` ("svg", "png"); needs the ``dot`` program."""
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError(f"draw: Graphviz's `dot` program is not installed, so no .{fmt} can be made; "
                               f"{INSTALL_DOT}, or save a .dot file")
        done = subprocess.run([dot, f"-T{fmt}"], input=self.source.encode(), capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"draw: dot -T{fmt} failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def save(self, path):
        """Write the graph to ``path``: ``.dot`` (DOT text, always), ``.svg`` or ``.png`` (drawn by ``dot``)."""
        path = str(path)
        ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        if ext in ("dot", "gv"):
            data = self.source.encode()
        elif ext in ("svg", "png", "pdf"):
            data = self.render(ext)
        else:
            raise ValueError(f"draw: cannot save {path!r}; use a .dot, .svg or .png file name")
        with open(path, "wb") as f:
            f.write(data)
        return path

    def _repr_svg_(self):
        if shutil.which("dot") is None:
            return None  # the notebook falls back to __repr__, which says how to get the picture
        return self.render("svg").decode()

    def __repr__(self):
        hint = "" if shutil.which("dot") else f"; to see it as a picture, {INSTALL_DOT}"
        return (f"<Graph: {self.nodes} nodes, {self.edges} edges; .source is DOT text, .save(path) writes "
                f".dot/.svg/.png{hint}>")


def _group_keys(nodes, collapse):
    """{id(node): group key or None}: the first ``depth`` Module calls of each node's scope, for nodes made at that
    call depth or deeper (ops of shallower calls stay single ops)."""
    scopes = {id(c): c.__dict__.get(_SCOPE) or () for c in nodes}

    def at(depth):
        return {k: (s[:depth] if len(s) >= depth else None) for k, s in scopes.items()}

    if collapse is True:
        deepest = max(len(s) for s in scopes.values())
        if deepest == 0:
            raise ValueError("draw: collapse= needs to know which Module call made each op: run the forward "
                             "inside `with tg.viz.record_modules():`")
        for depth in range(1, deepest + 1):  # the shallowest depth at which no box holds more than half the ops
            sizes = {}
            for key in at(depth).values():
                if key is not None:
                    sizes[key] = sizes.get(key, 0) + 1
            if max(sizes.values()) * 2 <= len(nodes):
                break
        return at(depth)
    if isinstance(collapse, bool) or not isinstance(collapse, int) or collapse < 1:
        raise ValueError(f"draw: collapse must be True, False or a call depth >= 1, got {collapse!r}")
    return at(collapse)


def draw(*tensors, params=None, show_grad=True, collapse=False):
    """Draw the graph that made ``tensors``: a :class:`Graph` (Graphviz DOT in ``.source``).

    One node per op (its Function's name, the constants it was given and the step at which backward visits it)
    and one per tensor (shape and dtype; a name from ``params``: a Module, a dict of names to Tensors or Modules,
    or a list of these, e.g. ``fc1.weight``). With ``show_grad``, a tensor with a ``.grad`` shows the gradient's
    shape and norm; NaN or Inf in it colours the node red. ``collapse=True`` (or a call depth, 1 = the outermost
    Module call) draws the ops of one Module call as one box; it needs the forward run inside
    ``tg.viz.record_modules()``. Reads the graph only, and keeps no reference to it."""
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError("draw: pass one or more Tensors, e.g. tg.draw(loss, params=model)")
    return _Picture(tensors, params, show_grad, collapse).graph()


class _Picture:
    """The display nodes of one ``draw`` call: tensors, ops, and boxes of ops (one per Module call when collapsed).
    A tensor is left out when only one box uses it inside (its intermediates, its parameters, its masks)."""

    def __init__(self, roots, params, show_grad, collapse):
        self.roots, self.show_grad = {id(t) for t in roots}, show_grad
        self.names, self.modules = _named_tensors(params), _named_modules(params)
        self.tensors, self.nodes = _walk(roots)
        self.steps = {}
        if len(roots) == 1 and roots[0]._ctx is not None:  # the order backward from this tensor visits the ops
            self.steps = {id(c): i + 1 for i, c in enumerate(autograd._topological_order([roots[0]._ctx]))}
        keys = _group_keys(self.nodes, collapse) if collapse else {id(c): None for c in self.nodes}
        sizes = {}
        for key in keys.values():
            sizes[key] = sizes.get(key, 0) + 1
        # a call that made one op is drawn as that op, not as a box
        self.keys = {k: (key if key is not None and sizes[key] > 1 else None) for k, key in keys.items()}
        self.boxes = {}  # group key -> display id, in first-seen order
        for c in self.nodes:
            key = self.keys[id(c)]
            if key is not None and key not in self.boxes:
                self.boxes[key] = f"g{len(self.boxes)}"
        self.box_ids = set(self.boxes.values())
        self.op_id = {id(c): f"op{i}" for i, c in enumerate(self.nodes)}
        self.t_id = {id(t): f"t{i}" for i, t in enumerate(self.tensors)}
        self.users = {id(t): set() for t in self.tensors}  # display nodes that take each tensor
        for c in self.nodes:
            for x in c.inputs:
                if isinstance(x, Tensor):
                    self.users[id(x)].add(self.place(c))
        self.fed = {self.place(c) for c in self.nodes for x in c.inputs  # boxes fed a tensor computed outside
                    if isinstance(x, Tensor) and x._ctx is not None and self.place(x._ctx) != self.place(c)}
        self.fed &= self.box_ids
        self.inside = {key: [] for key in self.boxes}  # the parameters counted in each box instead of drawn
        self.shown = set()

    def place(self, ctx):
        """The display node of an op: its own, or its box."""
        key = self.keys[id(ctx)]
        return self.op_id[id(ctx)] if key is None else self.boxes[key]

    def hidden(self, t):
        users = self.users[id(t)]
        if id(t) in self.roots:
            return False
        if t._ctx is not None:  # an intermediate that only its own box uses
            made_in = self.place(t._ctx)
            return made_in in self.box_ids and users <= {made_in}
        if t.requires_grad or id(t) in self.names:  # a parameter that only boxes use (a GAN's D, called thrice)
            return bool(users) and users <= self.box_ids
        return len(users) == 1 and users <= self.fed  # a constant (a dropout mask) in a box fed a computed tensor

    def graph(self):
        lines = ["digraph tinygrad_gen {", '  graph [rankdir=TB, fontname="Helvetica"];',
                 '  node [fontname="Helvetica", fontsize=11];', '  edge [fontname="Helvetica", fontsize=9];']
        for t in self.tensors:
            if self.hidden(t):
                if t._ctx is None and (t.requires_grad or id(t) in self.names):
                    for key, gid in self.boxes.items():
                        if gid in self.users[id(t)]:
                            self.inside[key].append(t)
                continue
            self.shown.add(id(t))
            style = _tensor_style(t, self.names.get(id(t)), self.show_grad, id(t) in self.roots)
            lines.append(f"  {self.t_id[id(t)]} [{style}];")
        lines += self.op_lines() + self.box_lines()
        edges = self.edges()
        lines += [f"  {a} -> {b}" + (f" [label={_q(label)}]" if label else "") + ";" for a, b, label in edges]
        lines.append("}")
        count = len(self.shown) + len(self.boxes) + sum(1 for c in self.nodes if self.keys[id(c)] is None)
        return Graph("\n".join(lines) + "\n", count, len(edges))

    def op_lines(self):
        lines = []
        for c in self.nodes:
            if self.keys[id(c)] is not None:
                continue
            label = c.fn.__name__
            consts = [s for s in (_constant(x) for x in c.inputs if not isinstance(x, Tensor)) if s is not None]
            if consts:
                label += "\n" + ", ".join(consts)
            if id(c) in self.steps:
                label += f"\nbackward step {self.steps[id(c)]}"
            lines.append(f'  {self.op_id[id(c)]} [label={_q(label)}, shape=ellipse, style=filled, '
                         'fillcolor="#eeeeee"];')
        return lines

    def box_lines(self):
        counts, calls = {}, {}
        for c in self.nodes:
            key = self.keys[id(c)]
            if key is not None:
                counts[key] = counts.get(key, 0) + 1
        for key in self.boxes:
            calls[key[-1][1]] = calls.get(key[-1][1], 0) + 1
        lines, seen = [], {}
        for key, gid in self.boxes.items():
            _, module, cls = key[-1]
            seen[module] = seen.get(module, 0) + 1
            name = self.modules.get(module)
            label = f"{name} ({cls})" if name else cls
            if calls[module] > 1:  # the same module called again (a GAN's D on real and fake)
                label += f", call {seen[module]}"
            label += f"\n{counts[key]} ops"
            params, color = self.inside[key], "#e7f5e9"
            if params:
                label += f", {sum(t.data.size for t in params)} parameters in {len(params)} tensors"
                stats = [_stats(t.grad.data) for t in params if t.grad is not None]
                if self.show_grad and stats:
                    label += f"\ngrad norm {math.sqrt(sum(s[0] ** 2 for s in stats)):.4g}"
                    if not all(s[3] for s in stats):
                        label, color = label + " (NaN/Inf)", "#ff8a8a"
            lines.append(f'  {gid} [label={_q(label)}, shape=box3d, style=filled, fillcolor="{color}"];')
        return lines

    def edges(self):
        """(from, to, label): op or box -> its shown outputs, shown inputs -> op or box (an op with several tensor
        inputs numbers them); a tensor entering one box twice is drawn once."""
        edges = []
        for c in self.nodes:
            dst = self.place(c)
            for ref in c.outputs or ():
                o = ref()
                if o is not None and id(o) in self.shown:
                    edges.append((dst, self.t_id[id(o)], ""))
            inputs = [(i, x) for i, x in enumerate(c.inputs) if isinstance(x, Tensor)]
            numbered = len(inputs) > 1 and dst not in self.box_ids
            for i, x in inputs:
                inside_box = dst in self.box_ids and x._ctx is not None and self.place(x._ctx) == dst
                if id(x) in self.shown and not inside_box:
                    edges.append((self.t_id[id(x)], dst, str(i) if numbered else ""))
        return list(dict.fromkeys(edges))


def _tensor_style(t, name, show_grad, root):
    lines = [name] if name else []
    lines.append(f"{_shape(t.shape)} {t.dtype}")
    color = "#fff3bf" if root else "#cfe2ff" if t._ctx is None and t.requires_grad else "#ffffff"
    if show_grad and t.grad is not None:
        norm, _, _, finite = _stats(t.grad.data)
        lines.append(f"grad {_shape(t.grad.shape)} norm {norm:.4g}" + ("" if finite else " (NaN/Inf)"))
        if not finite:
            color = "#ff8a8a"
    style = "filled" if t._ctx is not None or t.requires_grad else "filled,dashed"
    return f'label={_q(chr(10).join(lines))}, shape=box, style="{style}", fillcolor="{color}"'


# ----- the backward pass, node by node -----

def _feeds(inp, target, index):
    """Whether input ``inp`` is the leaf ``target`` (index None) or output ``index`` of node ``target``."""
    if not isinstance(inp, Tensor):
        return False
    return inp is target if index is None else (inp._ctx is target and inp._index == index)


class _SlotSpy:
    """One node's pending output gradients, as ``_run_node`` sees them while traced: every slot reads empty, so
    the engine hands over each gradient as it is; the spy records it and adds it to what is there (prev + g, the
    engine's own sum)."""
    __slots__ = ("slot", "node", "log")

    def __init__(self, slot, node, log):
        self.slot, self.node, self.log = slot, node, log

    def __getitem__(self, index):
        return None

    def __setitem__(self, index, g):
        prev = self.slot[index]
        self.log.append((self.node, index, g, prev is not None))
        self.slot[index] = g if prev is None else prev + g


class _PendingSpy:
    """The backward pass's pending table as ``_run_node`` sees it while traced: each lookup gives a ``_SlotSpy``."""
    __slots__ = ("pending", "log")

    def __init__(self, pending, log):
        self.pending, self.log = pending, log

    def get(self, node, default=None):
        slot = self.pending.get(node)
        if slot is None:
            slot = self.pending[node] = [None] * len(node.outputs)
        return _SlotSpy(slot, node, self.log)

    __getitem__ = get

    def __setitem__(self, node, slot):
        self.pending[node] = slot

    def __contains__(self, node):
        return node in self.pending


class trace_backward:
    """Records each node as the backward pass visits it, for every ``backward()`` run inside the block::

        with tg.trace_backward(params=model) as trace:
            loss.backward()
        print(trace)          # the table;  trace.rows: the same as a list of dicts

    A row: ``backward`` (which backward call in the block), ``step``, ``op``, ``node`` (``id()`` of the graph node,
    for matching while the graph is alive), ``output_shape``, the incoming gradient's ``grad_norm``, ``grad_min``,
    ``grad_max``, ``outgoing`` (one dict per input that gets a gradient: ``input`` position, ``to`` (the op that made
    that input, or the leaf's name), ``to_step``, ``shape``, ``norm``, ``accumulated``: added to a gradient already
    there, as at a fan-out) and ``fan_out`` (any of them accumulated). With ``keep_grads=True`` rows also hold the
    gradients themselves as NumPy arrays (``grad``, and ``grad`` in each outgoing entry). Outside the block the
    backward pass runs untouched."""

    def __init__(self, params=None, keep_grads=False):
        self.names = _named_tensors(params)
        self.keep_grads = keep_grads
        self.rows = []
        self._pending = None
        self._waiting = {}  # id(node) -> outgoing entries whose to_step is that node's step, once it runs
        self._deliveries = None  # (leaf or node, output index or None, gradient, accumulated) of the node running

    def __enter__(self):
        if autograd._tracer is not None:
            raise RuntimeError("trace_backward: already tracing (blocks do not nest)")
        autograd._tracer = self._run_node
        self._accumulate_leaf = autograd._accumulate_leaf
        autograd._accumulate_leaf = self._leaf_spy  # sees each gradient a leaf gets, then adds it as before
        self._capture_add = autograd._Capture.add  # the same for the inputs of tg.grad, which get no .grad
        autograd._Capture.add = self._capture_spy()
        return self

    def __exit__(self, *exc):
        autograd._tracer = None
        autograd._accumulate_leaf = self._accumulate_leaf
        autograd._Capture.add = self._capture_add
        self._pending, self._waiting, self._deliveries = None, {}, None
        return False

    def _capture_spy(self):
        original = self._capture_add

        def add(sink, t, g):
            if self._deliveries is not None:
                there = any(sink.got[i] is not None for i in sink.index.get(id(t), ()))
                self._deliveries.append((t, None, g, there))
            original(sink, t, g)
        return add

    def _leaf_spy(self, leaf, g, create_graph, given):
        if self._deliveries is not None:
            self._deliveries.append((leaf, None, g, leaf.grad is not None))
        self._accumulate_leaf(leaf, g, create_graph, given)

    def _run_node(self, node, grads, pending, create_graph, given):
        """The engine's own ``_run_node``, watched: its deliveries go through spies that record each gradient and
        then add it exactly as the engine does."""
        if pending is not self._pending:  # each backward call has its own pending table
            self._pending, self._waiting = pending, {}
            self._backward = (self.rows[-1]["backward"] + 1) if self.rows else 1
            self._step = 0
        self._step += 1
        incoming = [g.data for g in grads if g is not None]
        row = {"backward": self._backward, "step": self._step, "op": node.fn.__name__, "node": id(node)}
        shapes = [tuple(a.shape) for a in incoming]
        row["output_shape"] = shapes[0] if len(grads) == 1 else tuple(shapes)
        stats = [_stats(a) for a in incoming]
        row["grad_norm"] = math.sqrt(sum(s[0] ** 2 for s in stats))
        row["grad_min"] = min(s[1] for s in stats)
        row["grad_max"] = max(s[2] for s in stats)
        if self.keep_grads:
            row["grad"] = _host(incoming[0]).copy() if len(grads) == 1 else [_host(a).copy() for a in incoming]
        inputs = node.inputs  # the engine frees them after the node has run
        self._deliveries = []
        try:
            autograd._run_node(node, grads, _PendingSpy(pending, self._deliveries), create_graph, given)
            deliveries = self._deliveries
        finally:
            self._deliveries = None
        row["outgoing"], position = [], 0
        for target, index, g, accumulated in deliveries:  # in input order: match each to its input's position
            while not _feeds(inputs[position], target, index):
                position += 1
            to = self.names.get(id(target), "leaf") if index is None else target.fn.__name__
            entry = {"input": position, "to": to, "to_step": None, "shape": tuple(g.shape),
                     "norm": _stats(g.data)[0], "accumulated": accumulated}
            if self.keep_grads:
                entry["grad"] = _host(g.data).copy()
            if index is not None:
                self._waiting.setdefault(id(target), []).append(entry)
            row["outgoing"].append(entry)
            position += 1
        row["fan_out"] = any(e["accumulated"] for e in row["outgoing"])
        for entry in self._waiting.pop(id(node), ()):
            entry["to_step"] = self._step
        self.rows.append(row)

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __str__(self):
        head = f"{'step':>4}  {'op':<14} {'output':<14} {'grad norm':>10} {'min':>10} {'max':>10}  outgoing"
        lines = [head]
        for row in self.rows:
            if row["step"] == 1 and row["backward"] > 1:
                lines.append(f"-- backward {row['backward']}")
            out = ", ".join(f"{e['input']}: {e['norm']:.3g} -> {e['to']}"
                            + (f"@{e['to_step']}" if e["to_step"] else "") + (" (+=)" if e["accumulated"] else "")
                            for e in row["outgoing"])
            shape = row["output_shape"]
            shape = _shape(shape) if not shape or isinstance(shape[0], int) else " ".join(_shape(s) for s in shape)
            lines.append(f"{row['step']:>4}  {row['op']:<14} {shape:<14} {row['grad_norm']:>10.4g} "
                         f"{row['grad_min']:>10.4g} {row['grad_max']:>10.4g}  {out}")
        if any(row["fan_out"] for row in self.rows):
            lines.append("(+=): added to a gradient already there: the tensor feeds more than one op (a fan-out), "
                         "or a leaf's .grad was not zeroed")
        return "\n".join(lines)

    def __repr__(self):
        return f"<trace_backward: {len(self.rows)} rows; print() it for the table, .rows for dicts>"
