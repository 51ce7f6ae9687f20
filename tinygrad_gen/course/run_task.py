"""Grade one task in a process of its own: ``python -m tinygrad_gen.course.run_task WORKSPACE TASK SEED RESULT``.

The order is what contains a submission: (1) the engine's expected values are computed and kept before any student
code is loaded; (2) the student's file is loaded and its object takes the engine's place (in the engine module and
wherever else the engine object is bound), and the engine's own copy is replaced by a trap, so a submission that
hands the work back to the engine fails; (3) every engine function and class is fingerprinted, and a submission that
patches one (the reference, a check) fails; (4) a crash, ``sys.exit`` or a timeout leaves no result file, which the
grader counts as a failure of this task alone. The result is one JSON line written to RESULT, with the token the
grader passed in ``TGG_GRADE_TOKEN`` (taken out of the environment before student code runs).
"""
import importlib
import importlib.util
import json
import os
import sys
import types
from pathlib import Path

from .tasks import BY_ID, Task
from .workspace import task_path

MEMORY_LIMIT = 4 << 30  # bytes of address space for a task's process


def _limit_memory() -> None:
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):  # not on this platform: the timeout still holds
        pass


def load_student(task: Task, workspace: Path) -> types.ModuleType:
    """The student's file of ``task`` as a module (errors propagate: they fail the task)."""
    path = task_path(workspace, task)
    if not path.is_file():
        raise FileNotFoundError(f"no file {path} (was the workspace started with this task?)")
    spec = importlib.util.spec_from_file_location(f"tgg_student_task{task.marker}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _trap(task: Task):
    """A function (no closure, so its code can replace an engine function's) that refuses to run."""
    message = (f"Task {task.id} is graded on your own code: the engine's {task.name} is not available while it is "
               "graded")
    namespace = {}
    exec(f"def trap(*args, **kwargs):\n    raise RuntimeError({message!r})\n", namespace)
    return namespace["trap"]


def install(task: Task, student: types.ModuleType) -> None:
    """Put the student's object in the engine's place (in every engine module that binds it), and make the
    engine's own copy refuse to run."""
    engine = getattr(importlib.import_module(task.module), task.name)
    mine = getattr(student, task.name, None)
    if mine is None:
        raise AttributeError(f"your file defines no {task.name}")
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("tinygrad_gen") and getattr(module, task.name, None) is engine:
            setattr(module, task.name, mine)
    if isinstance(engine, type):
        for member in task.blank:
            setattr(engine, member, staticmethod(_trap(task)))
    elif isinstance(engine, types.FunctionType) and not engine.__code__.co_freevars:
        engine.__code__ = _trap(task).__code__


def fingerprint() -> dict:
    """{(module, name[, member]): id} of every function and class of the loaded engine modules."""
    prints = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("tinygrad_gen") or name.startswith("tinygrad_gen.course.run_task"):
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, (types.FunctionType, type)):
                prints[(name, attr)] = id(value)
                if isinstance(value, types.FunctionType):
                    prints[(name, attr, "__code__")] = id(value.__code__)
                else:
                    for member, v in list(vars(value).items()):
                        if isinstance(v, (types.FunctionType, staticmethod, classmethod, property)):
                            prints[(name, attr, member)] = id(v)
    return prints


def changed(before: dict, after: dict) -> list:
    """The keys of ``before`` whose value moved (what was there at the start and is no longer the same)."""
    return [k for k, v in before.items() if k in after and after[k] != v]


def grade(task: Task, workspace: Path, seed: int) -> tuple:
    """(passed, message) for ``task`` in ``workspace``."""
    from . import checks, model_checks
    os.environ["TGG_KERNELS"] = "reference"
    from tinygrad_gen import dispatch
    dispatch.set_kernels("reference")
    if task.kernel:
        problems = model_checks.kernel_problems(task, seed)
    else:
        reference = checks.expected(task, seed)
        model_want = model_checks.MODELS[task.model][0](seed) if task.model else None
    before = fingerprint()  # before any student code runs: what it may not change
    student = load_student(task, workspace)
    install(task, student)
    try:
        if task.kernel:
            failure = None
            for what, inputs, want in problems:
                tol = checks.TOL[str(inputs[0].dtype)] | ({"atol": 1e-4} if inputs[0].dtype == "float32" else {})
                failure = checks.compare(f"kernel output, {inputs[0].dtype}",
                                         model_checks.kernel_result(task, inputs), want, tol, what)
                if failure:
                    break
        else:
            failure = checks.first_failure(task, reference)
            if failure is None and task.model:
                run, margin, what = model_checks.MODELS[task.model]
                score = run(seed)
                if not abs(score - model_want) <= margin:
                    failure = checks.Failure(f"end to end, {what}",
                                             f"expected {model_want:.4f} (within {margin}), received {score:.4f}")
    finally:  # the grader's own swap of the task's object is the one change allowed
        moved = [".".join(k) for k in changed(before, fingerprint()) if k[1] != task.name]
    if moved:
        return False, f"your code changed the engine while it was graded ({', '.join(moved[:5])}): not allowed"
    if failure is not None:
        return False, str(failure)
    return True, "passed"


def main(argv=None) -> int:
    """Grade one task and write its result; the exit status is 0 whatever the verdict (the verdict is the file)."""
    argv = sys.argv[1:] if argv is None else argv
    workspace, task_id, seed, result_path = Path(argv[0]), argv[1], int(argv[2]), Path(argv[3])
    token = os.environ.pop("TGG_GRADE_TOKEN", "")
    _limit_memory()
    task = BY_ID[task_id]
    try:
        passed, message = grade(task, workspace, seed)
    except NotImplementedError as e:
        passed, message = False, f"not done yet: NotImplementedError({str(e)!r})"
    except SystemExit as e:
        passed, message = False, f"your code called sys.exit({e.code!r})"
    except BaseException as e:  # noqa: BLE001 (any error of the submission fails this task, with its message)
        passed, message = False, f"{type(e).__name__}: {e}"
    result_path.write_text(json.dumps({"task": task.id, "passed": passed, "message": message, "token": token}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
