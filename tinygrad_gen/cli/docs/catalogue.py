"""The op catalogue: one page per op family, one section per ``Function``: the derivation of its class docstring
rendered as math, the names that call it, its PyTorch twin and its gradcheck rows, each checked while the page is
made (the same check and table row as ``tgg gradcheck``), so a page never shows a result the code does not give."""
from __future__ import annotations

import html
import inspect
import re
from typing import Dict, List, Tuple

import numpy as np

from tinygrad_gen import autograd
from tinygrad_gen.autograd import Function
from tinygrad_gen.op_cases import cases_by_family, family_name
from tinygrad_gen.ops import FAMILIES

from ..gradcheck import _shapes, check
from .mathtext import prose_with_math
from .reference import anchor


def twin_source(case) -> str:
    """The PyTorch twin of a row as written: ``torch.nn.functional.silu(a)``, or '' where it has none."""
    if case.torch is None:
        return ""
    try:
        src = inspect.getsource(case.torch)
    except (OSError, TypeError):
        return ""
    m = re.search(r"torch=lambda torch(?:, [\w, *]+)?:\s*(.*)", " ".join(src.split()))
    text = m.group(1) if m else ""
    depth, end = 0, len(text)
    for i, ch in enumerate(text):  # the expression ends where its brackets close and a comma or ')' follows
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth < 0 or depth == 0 and ch == ",":
            end = i
            break
    return text[:end].strip()


def torch_names(expr: str) -> List[str]:
    """The PyTorch names a twin calls: ``torch.nn.functional.silu``, ``torch.Tensor.sum`` for ``a.sum(...)``."""
    names = re.findall(r"\btorch(?:\.\w+)+", expr)
    names += [f"torch.Tensor.{m}" for m in re.findall(r"(?<![\w.])(?!torch\b)[a-z]\w*\)?\.(\w+)\(", expr)]
    return list(dict.fromkeys(n for n in names if not n.endswith((".float64", ".float32", ".tensor"))))


def _plain(cls: type) -> type:
    """The plain op a fast path speeds up (the first class of its MRO that an op family defines), or ``cls``."""
    families = {f.__name__ for f in FAMILIES}
    return next((c for c in cls.__mro__ if c.__module__ in families), cls)


def _functions_of(case, inputs) -> List[type]:
    """The (plain) Function classes the row's graph is built of, in the order backward would meet them."""
    out = case.fn(*inputs)
    if not isinstance(out, autograd.Tensor) or out._ctx is None:
        return []
    order = autograd._topological_order([out._ctx])
    return list(dict.fromkeys(_plain(node.fn) for node in order))


def _public_callers(family) -> Dict[str, List[str]]:
    """{Function class name: the names users call it by}, from the family's binding rows' sources."""
    out: Dict[str, List[str]] = {}
    for row in getattr(family, "BINDINGS", ()):
        fn = row.fn.fget if isinstance(row.fn, property) else row.fn
        try:
            src = inspect.getsource(fn)
        except (OSError, TypeError):
            continue
        names = [f"x.{n}" for n in row.methods] + [f"tg.{n}" for n in row.functions]
        names += [f"F.{n}" for n in row.functionals]
        for cls in re.findall(r"\b([A-Z]\w*)(?:\.apply|\))", src) + re.findall(r"pick\((\w+)\)", src):
            out.setdefault(cls, [])
            out[cls] += [n for n in names if n not in out[cls]]
    return out


def derivation_html(doc: str) -> str:
    """A Function's docstring, each line with its formulas as MathML; ``forward:`` / ``backward:`` start lines."""
    lines = inspect.cleandoc(doc).splitlines()
    paras, cur = [], []
    for line in lines:
        if re.match(r"\s*(forward|backward|special|note)\b.*:", line, re.I) and cur:
            paras.append(cur)
            cur = []
        cur.append(line.strip())
    if cur:
        paras.append(cur)
    def line(text):  # ``code`` stays code; the rest is prose with math
        parts = re.split(r"``(.+?)``", text)
        return "".join(f"<code>{html.escape(part)}</code>" if i % 2 else prose_with_math(part)
                       for i, part in enumerate(parts))
    body = "\n".join("<p>" + line(" ".join(p)) + "</p>" for p in paras)
    return f'<div class="derivation">{body}</div>'


def family_page(family, rows: List[Tuple]) -> str:
    """The Markdown of one family's page; ``rows`` are every family's checked rows (a row sits under each op its
    graph uses)."""
    name = family_name(family)
    classes = [c for c in vars(family).values()
               if inspect.isclass(c) and issubclass(c, Function) and c.__module__ == family.__name__]
    by_class: Dict[type, List[Tuple]] = {}
    for row in rows:
        for cls in row[-1]:
            by_class.setdefault(cls, []).append(row)
    callers = _public_callers(family)
    intro = (inspect.getdoc(family) or "").split("\n\n")[0]
    out = [f"# {name}\n", f'<div class="doc"><p>{html.escape(intro)}</p></div>\n',
           f"Source: `tinygrad_gen/ops/{name}.py`; tests: `tests/ops/test_{name}.py`.\n"]
    for cls in classes:
        out.append(f'<h2 id="{anchor(cls.__name__)}"><code>{cls.__name__}</code></h2>\n')
        doc = cls.__doc__ or ""
        out.append(derivation_html(doc) if doc.strip() else "<p><em>No derivation written.</em></p>")
        out.append(f'\n<details><summary>The docstring as written in the source</summary><pre><code>'
                   f'{html.escape(inspect.cleandoc(doc))}</code></pre></details>\n')
        if callers.get(cls.__name__):
            out.append("<p><b>Called as:</b> " + ", ".join(f"<code>{html.escape(n)}</code>"
                                                            for n in callers[cls.__name__]) + "</p>\n")
        used = by_class.get(cls, [])
        own = [r for r in used if r[-1][0] is cls]  # rows whose output this op makes: its own checks
        mine = own + [r for r in used if r[-1][0] is not cls]
        twins = sorted({t for r in (own or used) for t in torch_names(r[1])})
        if twins:
            out.append("<p><b>PyTorch:</b> " + ", ".join(f"<code>{t}</code>" for t in twins) + "</p>\n")
        if mine:
            out.append('<table class="gradcheck"><thead><tr><th>gradcheck row</th><th>inputs</th><th>max abs err'
                       '</th><th>max rel err</th><th>pass</th><th>PyTorch twin</th></tr></thead><tbody>')
            for case_name, twin, shapes, abs_err, rel_err, ok, fns in mine:
                inside = "" if fns[0] is cls else f" (uses {cls.__name__} inside {fns[0].__name__})"
                out.append(f"<tr><td><code>{html.escape(case_name)}</code>{html.escape(inside)}</td>"
                           f"<td>{html.escape(shapes)}</td><td>{abs_err}</td><td>{rel_err}</td>"
                           f"<td>{'ok' if ok else 'FAIL'}</td><td><code>{html.escape(twin)}</code></td></tr>")
            out.append("</tbody></table>\n")
            out.append(f"<p>Run one yourself: <code>tgg gradcheck</code> checks every row, "
                       f"<code>tgg explain {html.escape(mine[0][0])}</code> prints the Jacobians side by side.</p>\n")
    return "\n".join(out)


def pages() -> Tuple[Dict[str, str], List[str]]:
    """{file name under ops/: Markdown} (one per family and the index), and the rows whose gradcheck failed."""
    rng = np.random.default_rng(0)
    cases = cases_by_family()
    out, index, failed, rows = {}, [], [], []
    for family in FAMILIES:
        for case in cases[family_name(family)]:
            inputs = case.inputs(rng)
            abs_err, rel_err, message = check(case.fn, inputs)
            if message is not None:
                failed.append(f"{case.name}: {message}")
            rows.append((case.name, twin_source(case), _shapes(inputs), f"{abs_err:.2e}", f"{rel_err:.2e}",
                         message is None, _functions_of(case, case.inputs(rng))))
            fns = rows[-1][-1]  # the row is indexed under the op that makes its output, on that op's page
            shown = bool(fns) and fns[0].__module__ in {f.__name__ for f in FAMILIES}
            index.append({"row": case.name, "op": fns[0].__name__ if fns else case.name,
                          "family": fns[0].__module__.rsplit(".", 1)[-1] if shown else family_name(family),
                          "anchor": anchor(fns[0].__name__) if shown else "", "twin": rows[-1][1]})
    for family in FAMILIES:
        out[f"{family_name(family)}.md"] = family_page(family, rows)
    lines = ["# Op catalogue\n",
             "Every differentiable op of the engine, one page per family: each `Function`'s forward and "
             "hand-derived backward (its docstring, with the formulas set as math), the names that call it, its "
             "PyTorch twin and its gradcheck rows, checked in float64 while this site was built (the rows "
             "`tgg gradcheck` prints). Look an op up by its PyTorch name in the table below or with the search.\n",
             "| PyTorch | gradcheck row | op | family |", "| --- | --- | --- | --- |"]
    for e in sorted(index, key=lambda e: (torch_names(e["twin"]) or ["~"])[0]):
        twin = ", ".join(f"`{t}`" for t in torch_names(e["twin"])) or "(none)"
        target = f"{e['family']}.md" + (f"#{e['anchor']}" if e["anchor"] else "")
        lines.append(f"| {twin} | `{e['row']}` | [{e['op']}]({target}) | {e['family']} |")
    out["index.md"] = "\n".join(lines) + "\n"
    return out, failed
