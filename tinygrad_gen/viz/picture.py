"""The picture: ``draw(*tensors)`` turns the graph that made them into Graphviz DOT text (a :class:`Graph`), one
node per op and per tensor, with parameter names, gradient norms and the step at which backward visits each op;
``collapse=`` draws the ops of one Module call (recorded by ``record_modules``) as one box."""
from __future__ import annotations

import math
import os
import shutil
import subprocess
from typing import Any, Optional, Union

from .. import autograd
from ..tensor import Tensor
from .common import named_modules, named_tensors, shape_text, stats, walk
from .record import scope_of

INSTALL_DOT = "install Graphviz (apt-get install graphviz, brew install graphviz or conda install graphviz)"


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


class Graph:
    """A drawn graph: ``.source`` is its Graphviz DOT text; ``.save(path)`` writes .dot, .svg or .png; in a notebook
    it shows itself (``_repr_svg_``)."""

    def __init__(self, source: str, nodes: int = 0, edges: int = 0) -> None:
        self.source = source
        self.nodes, self.edges = nodes, edges

    def render(self, fmt: str) -> bytes:
        """The picture as bytes in Graphviz format ``fmt`` ("svg", "png"); needs the ``dot`` program."""
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError(f"draw: Graphviz's `dot` program is not installed, so no .{fmt} can be made; "
                               f"{INSTALL_DOT}, or save a .dot file")
        done = subprocess.run([dot, f"-T{fmt}"], input=self.source.encode(), capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"draw: dot -T{fmt} failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def save(self, path: Union[str, os.PathLike]) -> str:
        """Write the graph to ``path``: ``.dot`` (DOT text, always), ``.svg`` or ``.png`` (drawn by ``dot``);
        returns the path as a string."""
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

    def _repr_svg_(self) -> Optional[str]:
        if shutil.which("dot") is None:
            return None  # the notebook falls back to __repr__, which says how to get the picture
        return self.render("svg").decode()

    def __repr__(self) -> str:
        hint = "" if shutil.which("dot") else f"; to see it as a picture, {INSTALL_DOT}"
        return (f"<Graph: {self.nodes} nodes, {self.edges} edges; .source is DOT text, .save(path) writes "
                f".dot/.svg/.png{hint}>")


def _group_keys(nodes, collapse):
    """{id(node): group key or None}: the first ``depth`` Module calls of each node's scope, for nodes made at that
    call depth or deeper (ops of shallower calls stay single ops)."""
    scopes = {id(c): scope_of(c) for c in nodes}

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


def draw(*tensors: Tensor, params: Any = None, show_grad: bool = True, collapse: Union[bool, int] = False,
         html: Union[str, os.PathLike, None] = None) -> Graph:
    """Draw the graph that made ``tensors``: a :class:`Graph` (Graphviz DOT in ``.source``).

    One node per op (its Function's name, the constants it was given and the step at which backward visits it)
    and one per tensor (shape and dtype; a name from ``params``: a Module, a dict of names to Tensors or Modules,
    or a list of these, e.g. ``fc1.weight``). With ``show_grad``, a tensor with a ``.grad`` (a leaf's, or an
    intermediate's kept by ``retain_grad()``) shows the gradient's shape and norm; NaN or Inf in it colours the
    node red. ``collapse=True`` (or a call depth, 1 = the outermost
    Module call) draws the ops of one Module call as one box; it needs the forward run inside
    ``tg.viz.record_modules()``. Reads the graph only, and keeps no reference to it. To step through the backward
    pass node by node in a self-contained HTML page, give ``html="backward.html"`` (the one loss is then
    backpropagated, as ``tg.viz.step_through(loss, "backward.html")`` does, after the graph is drawn). (PyTorch
    has no built-in counterpart; torchviz's ``make_dot`` is the closest.)"""
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError("draw: pass one or more Tensors, e.g. tg.draw(loss, params=model)")
    if html is not None and len(tensors) != 1:
        raise ValueError(f"draw: html= steps through the backward of one loss, got {len(tensors)} tensors")
    graph = _Picture(tensors, params, show_grad, collapse).graph()
    if html is not None:
        from .stepper import step_through
        step_through(tensors[0], html, params)
    return graph


class _Picture:
    """The display nodes of one ``draw`` call: tensors, ops, and boxes of ops (one per Module call when collapsed).
    A tensor is left out when only one box uses it inside (its intermediates, its parameters, its masks)."""

    def __init__(self, roots, params, show_grad, collapse):
        self.roots, self.show_grad = {id(t) for t in roots}, show_grad
        self.names, self.modules = named_tensors(params), named_modules(params)
        self.tensors, self.nodes = walk(roots)
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
                label += f", {sum(t._data.size for t in params)} parameters in {len(params)} tensors"
                figures = [stats(t.grad._data) for t in params if t.grad is not None]
                if self.show_grad and figures:
                    label += f"\ngrad norm {math.sqrt(sum(s[0] ** 2 for s in figures)):.4g}"
                    if not all(s[3] for s in figures):
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
    lines.append(f"{shape_text(t.shape)} {t.dtype}")
    color = "#fff3bf" if root else "#cfe2ff" if t._ctx is None and t.requires_grad else "#ffffff"
    grad = t._grad  # a leaf's, or a non-leaf's that called retain_grad() (no non-leaf .grad warning)
    if show_grad and grad is not None:
        norm, _, _, finite = stats(grad._data)
        lines.append(f"grad {shape_text(grad.shape)} norm {norm:.4g}" + ("" if finite else " (NaN/Inf)"))
        if not finite:
            color = "#ff8a8a"
    style = "filled" if t._ctx is not None or t.requires_grad else "filled,dashed"
    return f'label={_q(chr(10).join(lines))}, shape=box, style="{style}", fillcolor="{color}"'
