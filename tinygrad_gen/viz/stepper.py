"""The stepper: ``step_through(loss)`` runs ``loss.backward()`` and writes one self-contained HTML page (inline SVG,
CSS and JavaScript; no server, no network) in which a student steps through that backward pass node by node.

Each step highlights the node the backward pass is visiting, shows the gradient it received (d loss / d its output)
and the gradient it sends to each input; where a tensor feeds several ops (a fan-out, the reused node micrograd's
users ask about), the second gradient to reach it is shown as ``+=``, with the sum so far. The layout is our own
(layers by longest path from the loss), so no Graphviz is needed."""
from __future__ import annotations

import html
import json
import os
from typing import Any, Dict, List, Optional, Union

import numpy as np

from .. import autograd
from ..tensor import Tensor
from .common import host, named_tensors, shape_text, stats, walk

SHOWN = 12  # arrays with at most this many elements are shown in full; larger ones by shape, norm, min and max


def _summary(a) -> Dict[str, Any]:
    """A gradient as the page shows it: its values if small, else its shape, norm, min and max."""
    a = host(a)
    norm, lo, hi, finite = stats(a)
    out = {"shape": shape_text(a.shape), "norm": float(f"{norm:.6g}"), "finite": finite}
    if a.size <= SHOWN:
        out["values"] = np.array([float(f"{v:.6g}") for v in a.astype(np.float64).ravel()]).reshape(a.shape).tolist()
    else:
        out["min"], out["max"] = float(f"{lo:.6g}"), float(f"{hi:.6g}")
    return out


def _layout(tensors, nodes, root):
    """{display id: (layer, slot)}: the loss in layer 0, each op one layer above its lowest output's user, each input
    above every op that takes it (longest path, so every edge points down the page toward the loss)."""
    depth = {id(root): 0}
    order = autograd._topological_order([root._ctx])  # every node before the nodes it depends on
    for c in order:
        outs = [o for o in (ref() for ref in c.outputs or ()) if o is not None and id(o) in depth]
        depth[id(c)] = max((depth[id(o)] for o in outs), default=0) + 1
        for x in c.inputs:
            if isinstance(x, Tensor):
                depth[id(x)] = max(depth.get(id(x), 0), depth[id(c)] + 1)
    for t in tensors:  # an output of a multi-output op that nothing used
        depth.setdefault(id(t), depth.get(id(t._ctx), 1) - 1 if t._ctx is not None else 0)
    return depth


class BackwardSteps:
    """One backward pass recorded for stepping: ``.steps`` (a dict per visited node), ``.html`` (the page),
    ``.save(path)`` writes it, and in a notebook it shows itself as an embedded frame."""

    def __init__(self, graph: Dict[str, Any], steps: List[Dict[str, Any]], title: str) -> None:
        self.graph, self.steps, self.title = graph, steps, title
        self.html = _page(graph, steps, title)

    def save(self, path: Union[str, os.PathLike]) -> str:
        """Write the page to ``path`` (an ``.html`` file); returns the path as a string."""
        path = str(path)
        if not path.lower().endswith((".html", ".htm")):
            raise ValueError(f"step_through: cannot save {path!r}; the page is HTML, use a .html file name")
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html)
        return path

    def _repr_html_(self) -> str:
        height = 330 + 60 * (1 + max(n["layer"] for n in self.graph["nodes"]))  # the bar, the step text, the graph
        return (f'<iframe title="{html.escape(self.title)}" srcdoc="{html.escape(self.html, quote=True)}" '
                f'style="width:100%;height:{max(height, 420)}px;border:1px solid #ccc"></iframe>')

    def __repr__(self) -> str:
        return (f"<BackwardSteps: {len(self.steps)} steps over {len(self.graph['nodes'])} nodes; .save(path) writes "
                "the HTML page, a notebook shows it>")


def step_through(loss: Tensor, path: Optional[Union[str, os.PathLike]] = None, params: Any = None,
                 title: str = "The backward pass, node by node") -> BackwardSteps:
    """Run ``loss.backward()`` and record it for a page that steps through it node by node.

    ``loss`` is a one-element Tensor whose graph has not been through a backward yet; ``params`` (a Module, a dict of
    names to Tensors or Modules, or a list of these) names the leaves; with ``path`` the page is also written there.
    The gradients land in ``.grad`` exactly as a plain ``loss.backward()`` puts them (zero them first, or each is
    added to the one already there, and the page shows that ``+=``). Returns a :class:`BackwardSteps`. PyTorch has no
    counterpart (the nearest is a hook on each ``grad_fn`` node)."""
    if not isinstance(loss, Tensor):
        raise TypeError(f"step_through: pass the loss Tensor, got a {type(loss).__name__}")
    if loss._data.size != 1:
        raise ValueError(f"step_through: the loss must hold one value (backward needs no seed then), got shape "
                         f"{shape_text(loss.shape)}")
    if loss._ctx is None:
        raise ValueError("step_through: the loss was not made by an op (it is a leaf), so there is no backward pass "
                         "to step through")
    names = named_tensors(params)
    tensors, nodes = walk([loss])
    depth = _layout(tensors, nodes, loss)
    ids = {id(t): f"t{i}" for i, t in enumerate(tensors)}
    ids.update({id(c): f"op{i}" for i, c in enumerate(nodes)})
    shown = []
    for t in tensors:
        label = names.get(id(t)) or ("loss" if t is loss else "leaf" if t._ctx is None else "")
        shown.append({"id": ids[id(t)], "kind": "tensor", "label": label, "shape": shape_text(t.shape),
                      "dtype": str(t.dtype), "leaf": t._ctx is None, "requires_grad": bool(t.requires_grad),
                      "layer": depth[id(t)]})
    for c in nodes:
        shown.append({"id": ids[id(c)], "kind": "op", "label": c.fn.__name__, "layer": depth[id(c)]})
    edges = []
    for c in nodes:
        for i, x in enumerate(c.inputs):
            if isinstance(x, Tensor):
                edges.append({"from": ids[id(x)], "to": ids[id(c)], "input": i})
        for ref in c.outputs or ():
            o = ref()
            if o is not None and id(o) in ids:
                edges.append({"from": ids[id(c)], "to": ids[id(o)], "input": None})
    steps, totals = [], {}

    def record(visit: autograd.NodeVisit) -> None:
        c = visit.node
        outs = [ref() for ref in c.outputs or ()]
        incoming = [{"tensor": ids.get(id(o)) if o is not None else None, "grad": _summary(g._data)}
                    for o, g in zip(outs, visit.grads) if g is not None]
        sends = []
        for sent in visit.outgoing:
            tid = ids[id(sent.tensor)]
            g = host(sent.grad._data).astype(np.float64)
            before = totals.get(tid)
            if sent.tensor._ctx is None and before is None and sent.accumulated and sent.tensor.grad is not None:
                before = host(sent.tensor.grad._data).astype(np.float64) - g  # a .grad left from an earlier backward
            totals[tid] = g if before is None else before + g
            sends.append({"input": sent.input, "tensor": tid, "grad": _summary(g), "accumulated": sent.accumulated,
                          "total": _summary(totals[tid])})
        steps.append({"step": visit.step, "node": ids[id(c)], "op": c.fn.__name__, "incoming": incoming,
                      "sends": sends})

    with autograd.on_backward_node(record):
        loss.backward()
    out = BackwardSteps({"nodes": shown, "edges": edges, "loss": ids[id(loss)]}, steps, title)
    if path is not None:
        out.save(path)
    return out


_CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:12px;color:#222}
#bar{display:flex;gap:8px;align-items:center;margin-bottom:8px}
button{font-size:14px;padding:4px 12px;cursor:pointer}
#wrap{display:flex;flex-direction:column;gap:10px}
svg{border:1px solid #ddd;background:#fff;max-width:100%}
.node rect{fill:#fff;stroke:#888;stroke-width:1}
.node.op rect{fill:#eee}
.node.leaf rect{fill:#cfe2ff}
.node.current rect{fill:#ffd43b;stroke:#e67700;stroke-width:3}
.node.receives rect{stroke:#2f9e44;stroke-width:3}
.node.accum rect{stroke:#c2255c;stroke-width:3}
.node.hasgrad .g{fill:#2b8a3e}
.node text{font-size:11px;text-anchor:middle}
.node .badge{font-weight:bold;fill:#c2255c;font-size:13px}
.edge{stroke:#aaa;stroke-width:1.2;fill:none}
.edge.active{stroke:#2f9e44;stroke-width:2.5}
#detail{font-size:13px;height:170px;overflow:auto;border:1px solid #eee;padding:0 8px;max-width:900px}
#detail code{background:#f4f4f4;padding:1px 3px}
.pluseq{color:#c2255c;font-weight:bold}
"""

_JS = """
const G = JSON.parse(document.getElementById('graph-data').textContent);
const S = JSON.parse(document.getElementById('steps-data').textContent);
let k = 0;  // steps shown so far: 0 = before the backward pass, S.length = done
const byId = {}; G.nodes.forEach(n => byId[n.id] = n);
function fmt(g){
  if (g.values !== undefined)
    return JSON.stringify(g.values, (key, v) => typeof v === 'number' ? +v.toPrecision(4) : v);
  return g.shape + ', norm ' + g.norm + ', min ' + g.min + ', max ' + g.max;
}
function name(id){ const n = byId[id]; return n.label ? n.label + ' ' + (n.shape || '') : (n.shape || id); }
function render(){
  document.querySelectorAll('.node').forEach(e => {
    e.classList.remove('current', 'receives', 'accum', 'hasgrad');
    e.querySelector('.badge').textContent = ''; e.querySelector('.g').textContent = ''; });
  document.querySelectorAll('.edge').forEach(e => e.classList.remove('active'));
  const have = {}; have[G.loss] = {norm: 1};
  for (let i = 0; i < k; i++) S[i].sends.forEach(s => have[s.tensor] = s.total);
  for (const id in have) { const e = document.getElementById('n-' + id); e.classList.add('hasgrad');
    e.querySelector('.g').textContent = 'grad norm ' + (+have[id].norm.toPrecision(4)); }
  document.getElementById('step-label').textContent = 'step ' + k + ' of ' + S.length;
  document.getElementById('prev').disabled = k === 0; document.getElementById('next').disabled = k === S.length;
  const d = document.getElementById('detail');
  if (k === 0) { d.innerHTML = '<p>Before the backward pass. It starts at the loss with d loss / d loss = 1. ' +
      'Press <b>Next</b> (or the right arrow key) to visit the first node.</p>'; return; }
  const s = S[k - 1], e = document.getElementById('n-' + s.node); e.classList.add('current');
  let h = '<p><b>Step ' + s.step + ': ' + s.op + '</b> runs its backward.</p><p>It received d loss / d output:</p><ul>';
  s.incoming.forEach(i => h += '<li><code>' + fmt(i.grad) + '</code></li>');
  h += '</ul><p>It sends to its inputs:</p><ul>';
  s.sends.forEach(x => {
    const n = document.getElementById('n-' + x.tensor);
    n.classList.add(x.accumulated ? 'accum' : 'receives');
    if (x.accumulated) n.querySelector('.badge').textContent = '+=';
    document.querySelectorAll('.edge[data-from="' + x.tensor + '"][data-to="' + s.node + '"]')
      .forEach(a => a.classList.add('active'));
    h += '<li class="send">input ' + x.input + ' (' + name(x.tensor) + '): grad ' +
      (x.accumulated ? '<span class="pluseq">+=</span> ' : '= ') + '<code>' + fmt(x.grad) + '</code>' +
      (x.accumulated ? '<br>a gradient was already there (this tensor feeds more than one op), ' +
       'so the two add up: now <code>' +
       fmt(x.total) + '</code>' : '') + '</li>';
  });
  if (!s.sends.length) h += '<li>nothing: no input needs a gradient</li>';
  d.innerHTML = h + '</ul>';
}
document.getElementById('next').onclick = () => { if (k < S.length) { k++; render(); } };
document.getElementById('prev').onclick = () => { if (k > 0) { k--; render(); } };
document.getElementById('reset').onclick = () => { k = 0; render(); };
document.getElementById('end').onclick = () => { k = S.length; render(); };
document.addEventListener('keydown', ev => { if (ev.key === 'ArrowRight') document.getElementById('next').click();
  if (ev.key === 'ArrowLeft') document.getElementById('prev').click(); });
render();
"""


def _svg(graph):
    """The graph as inline SVG: layers top (inputs) to bottom (the loss), nodes as boxes, edges as lines. Each layer
    is ordered by where its nodes' users below sit (one barycentre pass from the loss up), to keep edges short."""
    layers: Dict[int, list] = {}
    for n in graph["nodes"]:
        layers.setdefault(n["layer"], []).append(n)
    top = max(layers)
    w, h, gap_x, gap_y = 132, 38, 18, 22
    width = max(len(v) for v in layers.values()) * (w + gap_x) + gap_x
    below: Dict[str, list] = {}  # node -> the nodes its edges lead down to
    for e in graph["edges"]:
        below.setdefault(e["from"], []).append(e["to"])
    pos = {}
    for layer in range(top + 1):
        row = layers.get(layer, [])
        placed = [[pos[m][0] for m in below.get(n["id"], ()) if m in pos] for n in row]
        keys = [sum(p) / len(p) if p else i * 1e-6 for i, p in enumerate(placed)]
        row = [n for _, n in sorted(zip(keys, row), key=lambda kn: kn[0])]
        row_w = len(row) * (w + gap_x) - gap_x
        for i, n in enumerate(row):
            pos[n["id"]] = ((width - row_w) / 2 + i * (w + gap_x), gap_y + (top - layer) * (h + gap_y))
    height = (top + 1) * (h + gap_y) + gap_y
    out = [f'<svg id="graph" width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">']
    for e in graph["edges"]:
        (x1, y1), (x2, y2) = pos[e["from"]], pos[e["to"]]
        out.append(f'<line class="edge" data-from="{e["from"]}" data-to="{e["to"]}" x1="{x1 + w / 2:.1f}" '
                   f'y1="{y1 + h:.1f}" x2="{x2 + w / 2:.1f}" y2="{y2:.1f}"/>')
    for n in graph["nodes"]:
        x, y = pos[n["id"]]
        cls = "node " + n["kind"] + (" leaf" if n.get("leaf") and n.get("requires_grad") else "")
        first = n["label"] if n["kind"] == "op" else (n["label"] + " " if n["label"] else "") + n["shape"]
        rx = 16 if n["kind"] == "op" else 3
        out.append(f'<g class="{cls}" id="n-{n["id"]}"><rect x="{x:.1f}" y="{y:.1f}" width="{w}" height="{h}" '
                   f'rx="{rx}"/><text x="{x + w / 2:.1f}" y="{y + 16:.1f}">{html.escape(first)}</text>'
                   f'<text class="g" x="{x + w / 2:.1f}" y="{y + 30:.1f}"></text>'
                   f'<text class="badge" x="{x + w - 12:.1f}" y="{y + 14:.1f}"></text></g>')
    out.append("</svg>")
    return "\n".join(out)


def _json_script(name, value):
    text = json.dumps(value).replace("</", "<\\/")  # a string can never close the script element
    return f'<script type="application/json" id="{name}">{text}</script>'


def _page(graph, steps, title):
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
            f"<h3>{html.escape(title)}</h3>\n"
            '<div id="bar"><button id="reset">Reset</button><button id="prev">&#9664; Back</button>'
            '<button id="next">Next &#9654;</button><button id="end">End</button><span id="step-label"></span></div>\n'
            f'<div id="wrap"><div id="detail"></div>{_svg(graph)}</div>\n'
            '<p style="font-size:12px;color:#666">Yellow: the node being visited. Green: an input receiving its '
            'gradient. Red with <b>+=</b>: a tensor that already had a gradient from another op; the new one is '
            'added to it. Blue boxes are the leaves that require grad.</p>\n'
            + _json_script("graph-data", graph) + "\n" + _json_script("steps-data", steps) + "\n"
            + f"<script>{_JS}</script>\n</body></html>\n")
