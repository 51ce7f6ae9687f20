"""The API reference pages: every public name a user calls (Tensor methods, ``tg.*``, ``F.*``, ``nn``, ``optim``,
``data``, ``io``, ``viz``), read from the live objects, the binder's tables included (the names it attaches at
import are invisible to a reader of the source, which is why the pages are made from the code as it runs). A public
name without a docstring stops the build, naming it."""
from __future__ import annotations

import html
import inspect
import re
import types
from typing import Callable, Dict, List, Tuple

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen import autograd, binding, ops


def doc_html(doc: str) -> str:
    """A docstring as HTML: paragraphs, indented blocks as code, ``x`` as code; nothing read as Markdown."""
    text = inspect.cleandoc(doc)
    out, para, block = [], [], []

    def flush():
        if para:
            body = html.escape(" ".join(para))
            out.append("<p>" + re.sub(r"``(.+?)``", r"<code>\1</code>", body) + "</p>")
            para.clear()
        if block:
            out.append("<pre><code>" + html.escape("\n".join(block)) + "</code></pre>")
            block.clear()

    for line in text.splitlines():
        if line.startswith("    ") and not para or line.startswith("    ") and block:
            if para:
                flush()
            block.append(line[4:])
        elif not line.strip():
            flush()
        else:
            if block:
                flush()
            para.append(line.strip())
    flush()
    return '<div class="doc">' + "\n".join(out) + "</div>"


def signature(fn: Callable) -> str:
    """``(x, axis=None, keepdims=False) -> Tensor``, or ``(...)`` where Python cannot read it."""
    fn = fn.fget if isinstance(fn, property) else fn
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return "(...)"


def anchor(name: str) -> str:
    """The page anchor of a name: ``Tensor.__add__`` -> ``tensor-__add__``."""
    return re.sub(r"[^a-z0-9_]+", "-", name.lower()).strip("-")


def entry(title: str, fn: Callable, missing: List[str]) -> str:
    """One name's block: heading (with its anchor), signature, docstring."""
    target = fn.fget if isinstance(fn, property) else fn
    doc = inspect.getdoc(target) if not isinstance(target, type) or target.__doc__ else None
    if not (doc or "").strip():
        missing.append(title)
        doc = ""
    sig = "" if isinstance(fn, property) else signature(fn)
    return (f'<h3 id="{anchor(title)}"><code>{html.escape(title)}</code></h3>\n'
            f'<pre class="sig"><code>{html.escape(title + sig)}</code></pre>\n{doc_html(doc)}\n')


def _tensor_names() -> Dict[str, Callable]:
    """Every public attribute of Tensor, bound methods and the class's own, by name."""
    names = {}
    for name in sorted(dir(tg.Tensor)):
        if name.startswith("_") and not (name.startswith("__") and name in _DUNDERS):
            continue
        value = inspect.getattr_static(tg.Tensor, name)
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if callable(value) or isinstance(value, property):
            names[name] = value
    return names


_DUNDERS = {row_name for row in binding.rows((autograd,) + ops.FAMILIES) for row_name in row.methods
            if row_name.startswith("__")}


def _module_names(module: types.ModuleType) -> Dict[str, object]:
    """The public names of a module: its ``__all__``, or what it defines without a leading underscore."""
    names = getattr(module, "__all__", None) or [  # without __all__: what the module itself defines
        n for n, v in vars(module).items()
        if not n.startswith("_") and str(getattr(v, "__module__", None)).startswith(module.__name__)]
    out = {}
    for n in names:
        value = getattr(module, n)
        if isinstance(value, types.ModuleType) or not (callable(value) or isinstance(value, property)):
            continue
        if isinstance(value, type) and issubclass(value, np.generic):  # the dtypes, NumPy's own
            continue
        out[n] = value
    return out


def _class_members(cls: type, prefix: str) -> List[Tuple[str, Callable]]:
    """A class's own public methods and properties, as (``Class.name``, object)."""
    out = []
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if callable(value) or isinstance(value, property):
            out.append((f"{prefix}.{name}", value))
    return out


def tg_names() -> Dict[str, object]:
    """The ``tg.*`` namespace: what ``import tinygrad_gen as tg`` gives, the lazily imported names included."""
    out = {n: v for n, v in _module_names(tg).items()}
    for lazy in ("draw", "trace_backward", "step_through", "save", "load"):
        if lazy in ("draw", "trace_backward", "save", "load") or hasattr(tg, lazy):  # step_through: once exported
            out[lazy] = getattr(tg, lazy)
    return dict(sorted(out.items()))


def pages() -> Tuple[Dict[str, str], List[str]]:
    """{file name under api/: Markdown}, and the public names that have no docstring."""
    from tinygrad_gen import data, io, nn, optim, viz
    import tinygrad_gen.nn.functional as F
    missing: List[str] = []
    out = {}

    def page(title, intro, items):
        body = [f"# {title}\n", intro + "\n"]
        for name, value in items:
            body.append(entry(name, value, missing))
            if isinstance(value, type) and not issubclass(value, BaseException) and value is not tg.Tensor:
                body += [entry(n, v, missing) for n, v in _class_members(value, name)]
        return "\n".join(body)

    out["tensor.md"] = page(
        "Tensor methods", "Every method and property of `Tensor`: the math methods come from the op families' "
        "binding tables (`tinygrad_gen/binding.py` attaches them), the rest from `tinygrad_gen/tensor.py`. "
        "PyTorch's `dim=` / `keepdim=` are accepted wherever `axis=` / `keepdims=` are.",
        [(f"Tensor.{n}", v) for n, v in _tensor_names().items()])
    out["tg.md"] = page(
        "tg.*", "The names of `import tinygrad_gen as tg`: factories, the `tg.*` forms of the ops, autograd and the "
        "tools. The dtypes (`tg.float32`, `tg.int64`, ...) are NumPy's.",
        [(f"tg.{n}", v) for n, v in tg_names().items()])
    out["functional.md"] = page(
        "F.* (nn.functional)", "`import tinygrad_gen.nn.functional as F`: the functional forms, as in "
        "`torch.nn.functional`.", [(f"F.{n}", v) for n, v in sorted(_module_names(F).items())])
    for mod, title, intro in ((nn, "nn", "Modules with PyTorch's parameter names, shapes and initialisations."),
                              (optim, "optim", "Optimizers, gradient clipping and learning-rate schedules."),
                              (optim.lr_scheduler, "optim.lr_scheduler", "Learning-rate schedules."),
                              (nn.init, "nn.init", "Initialisations, as `torch.nn.init`."),
                              (data, "data", "Data sets shipped with the package (nothing is downloaded) and the "
                                             "loader."),
                              (io, "io", "`tg.save` / `tg.load`: safetensors files, written atomically."),
                              (viz, "viz", "The graph picture, the backward trace and the backward stepper.")):
        out[f"{title.replace('.', '_')}.md"] = page(
            title, intro, [(f"{title}.{n}", v) for n, v in sorted(_module_names(mod).items())])
    return out, missing
