"""A task's code, cut out of the engine's own source: solved as it is, or with the student's part blanked.

The file a student gets for a task is its target (a class or a function, with its decorators) preceded by the
imports its code needs, each taken from the engine module the target lives in, so it runs exactly as the engine's
copy does. Blanking replaces the bodies of the members the student writes by ``raise NotImplementedError("Task
..")`` and cuts the derivation out of the docstring (from the task's ``answer_from`` marker on), keeping the
forward and adding the question.
"""
import ast
import builtins
import importlib
import inspect
import textwrap
import types

from .tasks import Task

WIDTH = 100


def target_object(task: Task):
    """The engine's class or function the task is about."""
    return getattr(importlib.import_module(task.module), task.name)


def solved_source(task: Task) -> str:
    """The target's source as the engine has it (decorators included)."""
    obj = target_object(task)
    lines, _ = inspect.getsourcelines(obj)
    return "".join(lines)


def _free_names(tree: ast.AST) -> list:
    """Names the code reads, in order of first use."""
    seen = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            seen.setdefault(node.id, None)
    return list(seen)


def header(task: Task, code: str) -> str:
    """The import lines the target's code needs, from the globals of the engine module it came from."""
    module = importlib.import_module(task.module)
    lines = ["from __future__ import annotations", ""]
    for name in _free_names(ast.parse(code)):
        if name == task.name or not hasattr(module, name) or (hasattr(builtins, name) and
                                                              getattr(builtins, name) is getattr(module, name)):
            continue
        value = getattr(module, name)
        if isinstance(value, types.ModuleType):
            lines.append(f"import {value.__name__}" if value.__name__ == name else
                         f"import {value.__name__} as {name}")
        else:
            lines.append(f"from {task.module} import {name}")
    return "\n".join(lines) + "\n"


def _docstring_node(node) -> ast.Expr | None:
    first = node.body[0] if node.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


def statement(task: Task) -> str:
    """The task's statement as a student reads it in the code: question, hint, the slide, the command that checks it."""
    parts = [f"Task {task.id} ({task.points} point{'s' if task.points > 1 else ''}): {task.question}",
             f"Hint: {task.hint}", f"Lecture: {task.slide}.", f"Check it: pytest -m {task.marker}"]
    return "\n".join(textwrap.fill(p, WIDTH - 8, subsequent_indent="    ") for p in parts)


def trimmed_doc(doc: str, task: Task) -> str:
    """``doc`` without the answer: cut at the task's ``answer_from`` marker (the whole doc when there is none)."""
    doc = inspect.cleandoc(doc)
    if task.answer_from and task.answer_from in doc:
        doc = doc[:doc.index(task.answer_from)].rstrip()
    return doc


def _quoted(text: str, indent: str) -> list:
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    body = textwrap.indent(text, indent).splitlines()
    body[0] = body[0][len(indent):]
    return [f'{indent}"""{body[0]}'] + body[1:] + [f'{indent}"""']


def _stub(task: Task, indent: str, doc: str) -> list:
    return _quoted(doc, indent) + [f'{indent}raise NotImplementedError("Task {task.id}: {task.title}")']


def blanked_source(task: Task) -> str:
    """The target's source with the student's part replaced by a stub that raises, the answer cut from the docs."""
    code = solved_source(task)
    lines = code.splitlines()
    node = ast.parse(code).body[0]
    edits = []  # (first line, last line, replacement lines), 1-based and inclusive
    if isinstance(node, ast.ClassDef):
        doc = _docstring_node(node)
        if doc is not None:
            text = trimmed_doc(doc.value.value, task)
            edits.append((doc.lineno, doc.end_lineno, _quoted(text, " " * doc.col_offset)))
        for member in node.body:
            if isinstance(member, ast.FunctionDef) and member.name in task.blank:
                indent = " " * member.body[0].col_offset
                edits.append((member.body[0].lineno, member.end_lineno, _stub(task, indent, statement(task))))
        missing = set(task.blank) - {m.name for m in node.body if isinstance(m, ast.FunctionDef)}
        if missing:
            raise RuntimeError(f"exercise: task {task.id}: {task.name} has no member {sorted(missing)}")
    else:
        doc = _docstring_node(node)
        kept = trimmed_doc(doc.value.value, task) + "\n\n" if doc is not None else ""
        indent = " " * node.body[0].col_offset
        edits.append((node.body[0].lineno, node.end_lineno, _stub(task, indent, kept + statement(task))))
    for first, last, new in sorted(edits, reverse=True):
        lines[first - 1:last] = new
    return "\n".join(lines) + "\n"


def task_file(task: Task, solved: bool = False, code: str | None = None) -> str:
    """The whole file of a task in a workspace: a module docstring, the imports, and the (blanked) target (or
    ``code`` in its place)."""
    if code is None:
        code = solved_source(task) if solved else blanked_source(task)
    intro = (f'"""Task {task.id}: {task.title}.\n\nCut from {task.module} ({task.name}); '
             f'{"the solution, as the engine has it" if solved else "fill in the part that raises"}.\n'
             f'Check it with: pytest -m {task.marker}\n"""\n')
    return intro + header(task, solved_source(task)) + "\n\n" + code


def wrong_solution(task: Task) -> str:
    """The solved file with the task's typical mistake made (for the kit's own tests)."""
    old, new = task.mistake
    code = solved_source(task)
    if not old or old not in code:
        raise RuntimeError(f"exercise: task {task.id}: its mistake {old!r} is not in the solution")
    return task_file(task, solved=True, code=code.replace(old, new, 1))
