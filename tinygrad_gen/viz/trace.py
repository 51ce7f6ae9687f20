"""The trace: ``trace_backward()`` records each node as the backward pass runs it, as a table, from what the
engine's per-node callback (``autograd.on_backward_node``) hands it: the node, the gradients coming in, and the
gradient sent to each input."""
from __future__ import annotations

import math
from typing import Any, Dict, Iterator, List

from .. import autograd
from .common import host, named_tensors, shape_text, stats


class trace_backward:
    """Records each node as the backward pass visits it, for every backward pass run inside the block
    (``loss.backward()``, ``tg.grad``)::

        with tg.trace_backward(params=model) as trace:
            loss.backward()
        print(trace)          # the table;  trace.rows: the same as a list of dicts

    A row: ``backward`` (which backward call in the block), ``step``, ``op``, ``node`` (``id()`` of the graph node,
    for matching while the graph is alive), ``output_shape``, the incoming gradient's ``grad_norm``, ``grad_min``,
    ``grad_max``, ``outgoing`` (one dict per input that gets a gradient: ``input`` position, ``to`` (the op that made
    that input, or the leaf's name), ``to_step``, ``shape``, ``norm``, ``accumulated``: added to a gradient already
    there, as at a fan-out) and ``fan_out`` (any of them accumulated). With ``keep_grads=True`` rows also hold the
    gradients themselves as NumPy arrays (``grad``, and ``grad`` in each outgoing entry). ``params`` (a Module, a dict
    of names to Tensors or Modules, or a list of these) names the leaves. Outside the block the backward pass runs
    untouched; blocks of different traces may nest (each records). PyTorch has no counterpart (the nearest is a
    hook on each ``grad_fn`` node).
    """

    def __init__(self, params: Any = None, keep_grads: bool = False) -> None:
        self.names = named_tensors(params)
        self.keep_grads = keep_grads
        self.rows: List[Dict[str, Any]] = []
        self._block = None  # the on_backward_node block while this trace is active
        self._backward = 0  # backward calls seen
        self._waiting: Dict[int, list] = {}  # id(node) -> outgoing entries whose to_step is that node's step

    def __enter__(self) -> trace_backward:
        if self._block is not None:
            raise RuntimeError("trace_backward: this trace is already active (enter it once; a new trace_backward() "
                               "may nest inside)")
        self._block = autograd.on_backward_node(self._record)
        self._block.__enter__()
        return self

    def __exit__(self, *exc: Any) -> bool:
        block, self._block, self._waiting = self._block, None, {}
        block.__exit__(None, None, None)  # takes the callback off; an error in the block goes on
        return False

    def _record(self, visit: autograd.NodeVisit) -> None:
        """The per-node callback: one row from one ``NodeVisit``."""
        if visit.step == 1:  # a new backward call
            self._backward += 1
            self._waiting = {}
        node = visit.node
        incoming = [g._data for g in visit.grads if g is not None]
        row = {"backward": self._backward, "step": visit.step, "op": node.fn.__name__, "node": id(node)}
        shapes = [tuple(a.shape) for a in incoming]
        row["output_shape"] = shapes[0] if len(visit.grads) == 1 else tuple(shapes)
        figures = [stats(a) for a in incoming]
        row["grad_norm"] = math.sqrt(sum(f[0] ** 2 for f in figures))
        row["grad_min"] = min(f[1] for f in figures)
        row["grad_max"] = max(f[2] for f in figures)
        if self.keep_grads:
            row["grad"] = host(incoming[0]).copy() if len(visit.grads) == 1 else [host(a).copy() for a in incoming]
        row["outgoing"] = []
        for sent in visit.outgoing:
            made_by = sent.tensor._ctx
            to = self.names.get(id(sent.tensor), "leaf") if made_by is None else made_by.fn.__name__
            entry = {"input": sent.input, "to": to, "to_step": None, "shape": tuple(sent.grad.shape),
                     "norm": stats(sent.grad._data)[0], "accumulated": sent.accumulated}
            if self.keep_grads:
                entry["grad"] = host(sent.grad._data).copy()
            if made_by is not None:
                self._waiting.setdefault(id(made_by), []).append(entry)
            row["outgoing"].append(entry)
        row["fan_out"] = any(e["accumulated"] for e in row["outgoing"])
        for entry in self._waiting.pop(id(node), ()):
            entry["to_step"] = visit.step
        self.rows.append(row)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        return iter(self.rows)

    def __str__(self) -> str:
        head = f"{'step':>4}  {'op':<14} {'output':<14} {'grad norm':>10} {'min':>10} {'max':>10}  outgoing"
        lines = [head]
        for row in self.rows:
            if row["step"] == 1 and row["backward"] > 1:
                lines.append(f"-- backward {row['backward']}")
            out = ", ".join(f"{e['input']}: {e['norm']:.3g} -> {e['to']}"
                            + (f"@{e['to_step']}" if e["to_step"] else "") + (" (+=)" if e["accumulated"] else "")
                            for e in row["outgoing"])
            shape = row["output_shape"]
            shape = shape_text(shape) if not shape or isinstance(shape[0], int) else " ".join(
                shape_text(s) for s in shape)
            lines.append(f"{row['step']:>4}  {row['op']:<14} {shape:<14} {row['grad_norm']:>10.4g} "
                         f"{row['grad_min']:>10.4g} {row['grad_max']:>10.4g}  {out}")
        if any(row["fan_out"] for row in self.rows):
            lines.append("(+=): added to a gradient already there: the tensor feeds more than one op (a fan-out), "
                         "or a leaf's .grad was not zeroed")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<trace_backward: {len(self.rows)} rows; print() it for the table, .rows for dicts>"
