"""The layers of the design, drawn from the code: every import of every module (top level and inside functions,
read with ``ast``, nothing imported) points down the table below, no import circle exists, and nothing below the
command line names a model or a benchmark by string."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
# folder -> the package name it is installed as (setup.py maps kernels/ and models/ into the namespace)
FOLDERS = {"tinygrad_gen": "tinygrad_gen", "kernels": "tinygrad_gen.kernels", "models": "tinygrad_gen.models"}

RANK = {"kernels": 0, "core": 1, "library": 2, "models": 3, "cli": 4}
# module (and everything below it) -> layer; the longest matching name wins. A new module must be entered here.
LAYER = {
    "tinygrad_gen.kernels": "kernels",
    "tinygrad_gen.backend": "core", "tinygrad_gen.tensor": "core", "tinygrad_gen.autograd": "core",
    "tinygrad_gen.ops": "core", "tinygrad_gen.tensor_methods": "core", "tinygrad_gen.tensor_extra": "core",
    "tinygrad_gen.dispatch": "core", "tinygrad_gen.binding": "core", "tinygrad_gen.ops_new": "core", "tinygrad_gen.random": "core", "tinygrad_gen.grad_mode": "core",
    "tinygrad_gen": "library",  # the package __init__: the public names of core and library (exact name only)
    "tinygrad_gen.nn": "library", "tinygrad_gen.optim": "library", "tinygrad_gen.data": "library",
    "tinygrad_gen.io": "library", "tinygrad_gen.gradcheck": "library", "tinygrad_gen.run": "library",
    "tinygrad_gen.viz": "library", "tinygrad_gen.distributed": "library", "tinygrad_gen.op_cases": "library",
    "tinygrad_gen.options": "library",
    "tinygrad_gen.models": "models",
    "tinygrad_gen.cli": "cli", "tinygrad_gen.benchmarks": "cli",
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
    assert not missing, f"modules without a layer (add them to LAYER in tests/test_layers.py): {missing}"


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
