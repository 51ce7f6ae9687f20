"""The layers of the design, drawn from the code: every import of every module (top level and inside functions,
read with ``ast``, nothing imported) points down the table below, no import circle exists, and nothing below the
command line names a model or a benchmark by string."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# folder -> the package name it is installed as (setup.py maps kernels/ and models/ into the namespace)
FOLDERS = {"tinygrad_gen": "tinygrad_gen", "kernels": "tinygrad_gen.kernels", "models": "tinygrad_gen.models"}

RANK = {"kernels": 0, "core": 1, "library": 2, "models": 3, "cli": 4}
# module (and everything below it) -> layer; the longest matching name wins. A new module must be entered here.
LAYER = {
    "tinygrad_gen.kernels": "kernels",
    "tinygrad_gen.backend": "core", "tinygrad_gen.tensor": "core", "tinygrad_gen.autograd": "core",
    "tinygrad_gen.ops": "core", "tinygrad_gen.dispatch": "core", "tinygrad_gen.binding": "core",
    "tinygrad_gen.random": "core", "tinygrad_gen.grad_mode": "core", "tinygrad_gen.devices": "core",
    "tinygrad_gen.errors": "core",
    "tinygrad_gen": "library",  # the package __init__: the public names of core and library (exact name only)
    "tinygrad_gen.nn": "library", "tinygrad_gen.optim": "library", "tinygrad_gen.data": "library",
    "tinygrad_gen.io": "library", "tinygrad_gen.gradcheck": "library", "tinygrad_gen.run": "library",
    "tinygrad_gen.viz": "library", "tinygrad_gen.distributed": "library", "tinygrad_gen.op_cases": "library",
    "tinygrad_gen.options": "library", "tinygrad_gen.utils": "library", "tinygrad_gen.checkpoint": "library",
    "tinygrad_gen.threads": "library",
    "tinygrad_gen.metrics_log": "library", "tinygrad_gen.jsonable": "library",
    "tinygrad_gen.linalg": "library",
    "tinygrad_gen.models": "models",
    "tinygrad_gen.cli": "cli", "tinygrad_gen.benchmarks": "cli",
    "tinygrad_gen.course": "cli",  # the course kit grades the models' code: it sits with the command line
}
FORBIDDEN_EVERYWHERE = ("torch", "jax", "autograd", "tensorflow")  # from scratch: the engine never imports these


def _modules():
    """{dotted name: (path, ast tree)} for every .py file in the engine, kernels and models."""
    found = {}
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join([package] + parts)
            found[name] = (path, ast.parse(path.read_text(), str(path)))
    return found


MODULES = _modules()


def layer_of(name):
    best = None
    for prefix in LAYER:
        exact_only = prefix == "tinygrad_gen"
        if name == prefix or (not exact_only and name.startswith(prefix + ".")):
            if best is None or len(prefix) > len(best):
                best = prefix
    return None if best is None else LAYER[best]


def _is_package(name):
    path = MODULES[name][0] if name in MODULES else None
    return path is not None and path.name == "__init__.py"


def imports_of(name):
    """The modules ``name`` imports anywhere in its code: (imported module, line). ``from X import y`` counts as an
    import of X.y when that is a module, else of X."""
    path, tree = MODULES[name]
    package = name if _is_package(name) else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.append((sub if sub in MODULES else base, node.lineno))
    return out


def _edges():
    edges = {}
    for name in MODULES:
        edges[name] = [(target, line) for target, line in imports_of(name)
                       if target == "tinygrad_gen" or target.startswith("tinygrad_gen.") or target == "benchmarks"
                       or target.startswith("benchmarks.")]
    return edges


def test_every_module_has_a_layer_in_the_table():
    missing = [name for name in MODULES if layer_of(name) is None]
    assert not missing, f"modules without a layer (add them to LAYER in tests/core/test_layers.py): {missing}"


def test_every_import_points_down_the_layers():
    wrong = []
    for name, targets in _edges().items():
        here = layer_of(name)
        for target, line in targets:
            there = "cli" if target.split(".")[0] == "benchmarks" else layer_of(target)
            if there is None or here is None or RANK[there] > RANK[here]:
                wrong.append(f"{MODULES[name][0].relative_to(ROOT)}:{line} ({here}) imports {target} ({there})")
    assert not wrong, "imports that point up the layers:\n" + "\n".join(wrong)


def _cycle(edges):
    """One import circle as a list of modules, or None (iterative DFS, three colours)."""
    colour, parent = {}, {}
    for start in edges:
        if colour.get(start):
            continue
        stack = [(start, iter(edges[start]))]
        colour[start] = 1
        while stack:
            node, it = stack[-1]
            for target, _ in it:
                if target not in edges:
                    continue
                if colour.get(target) == 1:  # back to a module still being walked: a circle
                    path, n = [target], node
                    while n != target:
                        path.append(n)
                        n = parent[n]
                    return [target] + path[:0:-1] + [target]
                if not colour.get(target):
                    colour[target], parent[target] = 1, node
                    stack.append((target, iter(edges[target])))
                    break
            else:
                colour[node] = 2
                stack.pop()
    return None


def test_there_is_no_import_circle():
    circle = _cycle(_edges())
    assert circle is None, "import circle: " + " -> ".join(circle)


def test_the_circle_finder_finds_a_planted_circle():
    edges = {"a": [("b", 1)], "b": [("c", 1)], "c": [("a", 1)], "d": [("a", 1)]}
    assert _cycle(edges) in (["a", "b", "c", "a"], ["b", "c", "a", "b"], ["c", "a", "b", "c"])
    assert _cycle({"a": [("b", 1)], "b": []}) is None


def test_the_layer_table_rejects_an_upward_import():
    assert RANK[layer_of("tinygrad_gen.ops.elementwise")] < RANK[layer_of("tinygrad_gen.nn.functional")]
    assert layer_of("tinygrad_gen.models.vae") == "models" and layer_of("tinygrad_gen.cli.train") == "cli"
    assert layer_of("tinygrad_gen.tensorx") is None  # names match whole dotted parts, not prefixes of words


def _docstrings(tree):
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


@pytest.mark.parametrize("name", sorted(n for n in MODULES if RANK.get(layer_of(n), 0) < RANK["models"]))
def test_no_module_below_the_models_names_a_model_or_a_benchmark(name):
    path, tree = MODULES[name]
    docs = _docstrings(tree)
    named = [f"line {node.lineno}: {node.value!r}" for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
             and ("tinygrad_gen.models" in node.value or "benchmarks" in node.value)]
    imported = [f"line {line}: import {target}" for target, line in imports_of(name)
                if target.split(".")[0] == "benchmarks" or target.startswith(("tinygrad_gen.models",
                                                                                "tinygrad_gen.benchmarks"))]
    assert not named + imported, f"{path.relative_to(ROOT)} names a model or a benchmark: {named + imported}"


def test_nothing_in_the_engine_kernels_or_models_imports_another_autodiff_library():
    found = [f"{MODULES[n][0].relative_to(ROOT)}:{line} imports {target}" for n in MODULES
             for target, line in imports_of(n) if target.split(".")[0] in FORBIDDEN_EVERYWHERE]
    assert not found, found


# ----- no module rewires another: assignments on what it imported -----
# A module may change its own names only. Assigning an attribute of an imported module or of an object imported from
# another module (``autograd._tracer = ...``, ``Module.__call__ = ...``, ``setattr(Tensor, ...)``, ``del m.x``), or
# changing a container that another module owns (``other.TABLE[k] = v``, ``other.hooks.append(f)``), is rewiring:
# a tool should use the engine's hooks instead. A helper that does it to its parameter counts where it is called
# with an imported name (``_attach(methods, Tensor)``). Each exception below says why it is one.
ALLOWED_REWIRING = {
    ("tinygrad_gen/binding.py", "setattr(Tensor, ...)"):
        "the one binder: it attaches every op family's methods to Tensor (issue 24 asks for exactly one)",
    ("tinygrad_gen/autograd.py", "_Mode.grad = ..."):
        "the backward pass sets grad mode (grad_mode.py's switch, as no_grad does) to create_graph while it runs",
}
MUTATING_METHODS = {"append", "extend", "insert", "update", "setdefault", "clear", "pop", "popitem", "remove", "add",
                    "discard", "__setitem__", "__delitem__", "__setattr__", "__delattr__"}


def imported_names(name):
    """{local name: what it is} for the names a module's imports bind to something of this tree (a module, or an
    object defined in another module): ``from . import autograd`` binds autograd, ``from .tensor import Tensor``
    binds Tensor."""
    path, tree = MODULES[name]
    package = name if _is_package(name) else name.rpartition(".")[0]
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                out[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                out[alias.asname or alias.name] = f"{base}.{alias.name}"
    return {k: v for k, v in out.items() if v.split(".")[0] in ("tinygrad_gen", "benchmarks")}


def _root(expr):
    """The name an attribute or subscript chain starts from (``a`` of ``a.b[c].d``), or None."""
    while isinstance(expr, (ast.Attribute, ast.Subscript)):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def _writes(tree):
    """(line, root name, description) for every write through a name: attribute and subscript assignments (plain,
    augmented, annotated, del), setattr/delattr calls and calls of a container's mutating methods."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            targets = [e for t in targets for e in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t])]
            for t in targets:
                if isinstance(t, (ast.Attribute, ast.Subscript)) and _root(t):
                    text = ast.unparse(t)
                    out.append((node.lineno, _root(t), f"del {text}" if isinstance(node, ast.Delete) else
                                f"{text} = ..."))
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in ("setattr", "delattr") and node.args and _root(node.args[0]):
                out.append((node.lineno, _root(node.args[0]), f"{f.id}({ast.unparse(node.args[0])}, ...)"))
            elif isinstance(f, ast.Attribute) and f.attr in MUTATING_METHODS and _root(f.value):
                out.append((node.lineno, _root(f.value), f"{ast.unparse(f)}(...)"))
    return out


def rewiring(name):
    """[(line, description)]: where module ``name`` writes on something it imported from another module, directly
    or by passing it to a function of its own that writes on that parameter."""
    path, tree = MODULES[name]
    imported = imported_names(name)
    found = [(line, text) for line, root, text in _writes(tree) if root in imported]
    methods = {id(f) for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for f in c.body}
    helpers = {}  # function name -> {parameter position: [(parameter, description)]}, for functions called by name
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and id(fn) not in methods:
            params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
            for _, root, text in _writes(fn):
                if root in params:
                    helpers.setdefault(fn.name, {}).setdefault(params.index(root), []).append((root, text))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in helpers:
            for position, writes in helpers[node.func.id].items():
                if position < len(node.args) and _root(node.args[position]) in imported:
                    given = ast.unparse(node.args[position])
                    found += [(node.lineno, text.replace(param, given, 1)) for param, text in writes]
    return found


def _found_rewiring():
    """[(path, line, description)] over the engine, kernels and models."""
    return [(str(MODULES[n][0].relative_to(ROOT)), line, text) for n in MODULES for line, text in rewiring(n)]


def test_no_module_assigns_attributes_on_what_it_imported_from_another_module():
    wrong = [f"{path}:{line}: {text}" for path, line, text in _found_rewiring()
             if (path, text) not in ALLOWED_REWIRING]
    assert not wrong, ("modules that rewire another module (use a hook instead, or add an entry with its reason "
                       "to ALLOWED_REWIRING):\n" + "\n".join(wrong))


def test_every_allowed_rewiring_is_still_there_so_the_list_stays_short():
    found = {(path, text) for path, _, text in _found_rewiring()}
    stale = [f"{path}: {text}" for path, text in ALLOWED_REWIRING if (path, text) not in found]
    assert not stale, f"allowed rewiring no longer in the code (drop the entries): {stale}"


def test_the_rewiring_scan_finds_what_viz_once_did():
    planted = ast.parse("from . import autograd\nfrom .nn.module import Module\nimport tinygrad_gen as tg\n"
                        "autograd._tracer = run\nModule.__call__ = call\nsetattr(autograd, '_x', 1)\n"
                        "autograd._Capture.add = spy\ntg.nn.hooks['k'] = 1\nautograd.after_backward.append(f)\n"
                        "def attach(cls):\n    setattr(cls, 'x', 1)\nattach(Module)\n"
                        "mine = 1\nlocal = object()\nlocal.x = 1\n")
    MODULES["tinygrad_gen.planted"] = (ROOT / "tinygrad_gen" / "planted.py", planted)
    try:
        texts = [text for _, text in rewiring("tinygrad_gen.planted")]
    finally:
        del MODULES["tinygrad_gen.planted"]
    assert texts == ["autograd._tracer = ...", "Module.__call__ = ...", "autograd._Capture.add = ...",
                     "tg.nn.hooks['k'] = ...", "setattr(autograd, ...)", "autograd.after_backward.append(...)",
                     "setattr(Module, ...)"]
