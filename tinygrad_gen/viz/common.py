"""What the picture and the trace share: the names of parameters and modules given as ``params=``, and the
statistics and text of an array (its norm, its shape)."""
import math

import numpy as np

from ..tensor import Tensor


def sources(params):
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
            out += sources(item)
    return out


def named_tensors(params):
    """{id(tensor): dotted name}, the first name wins (a tied weight keeps its first name)."""
    names = {}
    for key, value in sources(params):
        if hasattr(value, "named_parameters"):
            prefix = f"{key}." if key else ""
            for name, t in list(value.named_parameters()) + list(value.named_buffers()):
                names.setdefault(id(t), prefix + name)
        elif isinstance(value, Tensor):
            names.setdefault(id(value), key)
        else:
            raise TypeError(f"draw: params entry {key!r} is a {type(value).__name__}, not a Tensor or a Module")
    return names


def named_modules(params):
    """{id(module): dotted name} for the Modules in ``params``."""
    out = {}
    for key, value in sources(params):
        if hasattr(value, "named_modules"):
            for name, m in value.named_modules():
                out.setdefault(id(m), ".".join(p for p in (key, name) if p))
    return out


def host(a):
    """``a`` as a NumPy array (a CuPy one is copied to the host)."""
    return a if type(a) is np.ndarray else a.get()


def stats(a):
    """(norm, min, max, finite) of an array, in float64 on the host."""
    a = host(a).astype(np.float64, copy=False)
    if a.size == 0:
        return 0.0, math.nan, math.nan, True
    finite = bool(np.isfinite(a).all())
    return float(np.sqrt(np.sum(a * a))), float(a.min()), float(a.max()), finite


def shape_text(shape):
    """A shape as Python writes a tuple: (3, 4), (4,), ()."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _freed(ctx):
    return RuntimeError(f"draw: the graph through {ctx.fn.__name__} was freed by backward(); draw before the "
                        "backward, or call backward(retain_graph=True) to draw the graph with its gradients")


def walk(roots):
    """Tensors and nodes (graph Contexts) reachable from ``roots``, each once, in a fixed order (iterative, no
    recursion limit): what ``draw`` and ``step_through`` both show."""
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
