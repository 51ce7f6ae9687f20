"""``tgg exercise start DIR``: a student's workspace, written from the engine's own source.

    DIR/README.md                      how to work through it
    DIR/part1_backprop/task1_1.py      one file per task: the engine's code with the student's part raising
    DIR/tests/test_part1_backprop.py   one test per task, marked ``task1_1``: ``pytest -m task1_1``
    DIR/pytest.ini                     the markers, so ``pytest`` and GitHub Classroom's autograding both run
    DIR/.github/classroom/autograding.json   one autograding test per task, with its points
    DIR/exercise.json                  which tasks, and whether this is the solved (instructor's) version
"""
import json
from pathlib import Path

from .source import task_file
from .tasks import PARTS, Task

PUBLIC_SEED = 0
MANIFEST = "exercise.json"


def part_folder(task: Task) -> str:
    """'part2_reductions' for a task of part 2."""
    return f"part{task.part}_{PARTS[task.part][0]}"


def task_path(workspace: Path, task: Task) -> Path:
    """Where a task's file lives in a workspace."""
    return Path(workspace) / part_folder(task) / f"{task.marker}.py"


def _tests(tasks: list) -> str:
    lines = ['"""The public tests: one per task (pytest -m task1_1 runs one). Each grades the task in a process of',
             'its own, as tgg exercise grade does, on the public seed."""', "import pytest", "",
             "from tinygrad_gen.course.grade import assert_task_passes", ""]
    for t in tasks:
        slug = "".join(c if c.isalnum() else "_" for c in t.title.lower()).strip("_")
        lines += ["", f"@pytest.mark.{t.marker}", f"def test_{t.marker}_{slug}():",
                  f'    assert_task_passes("{t.id}", __file__)', ""]
    return "\n".join(lines).rstrip() + "\n"


def _readme(tasks: list, solutions: bool) -> str:
    rows = "\n".join(f"| {t.id} | {t.title} | {t.points} | `{task_path(Path('.'), t).as_posix()}` | "
                     f"`pytest -m {t.marker}` |" for t in tasks)
    intro = ("This is the **instructor's solved version**: every task passes. Hand out a workspace made without "
             "`--solutions`." if solutions else
             "Each task is a piece of tinygrad_gen, the engine the course's models run on, with the part you write "
             "replaced by `raise NotImplementedError(\"Task ...\")`. Its docstring keeps the forward and asks the "
             "question; the derivation is yours.")
    return f"""# tinygrad_gen exercises

{intro}

## How to work

1. Open a task's file, read its docstring (the forward, the question, a hint, the slide it comes from).
2. Write the missing body with NumPy and Tensor ops (a backward returns one gradient per input, None where
   `ctx.needs_input_grad` says it is not needed).
3. Check that task alone: `pytest -m task1_1` (the message names the input, the element, the expected and the
   received value when something is off).
4. Grade everything: `tgg exercise grade .` prints the table of tasks and points.

The tests compare your code with the engine's on shapes hypothesis draws (broadcasting included), in float64 and
float32, against central differences (a gradient check), and where the lecture needs it by a second derivative;
the VAE and a small GPT are trained on your code where a part ends in a model. The grader draws other shapes and
values too (the instructor's seed), so make it right, not fit to the tests.

| task | what | points | file | check |
|---|---|---|---|---|
{rows}
"""


def _autograding(tasks: list) -> str:
    tests = [{"name": f"Task {t.id}: {t.title}", "setup": "", "run": f"python -m pytest -q -m {t.marker}",
              "input": "", "output": "", "comparison": "included", "timeout": max(1, t.timeout // 60 + 2),
              "points": t.points} for t in tasks]
    return json.dumps({"tests": tests}, indent=2) + "\n"


def write_workspace(folder, tasks: list, solutions: bool = False) -> Path:
    """Write the workspace of ``tasks`` into ``folder`` (new or empty); refuses a folder that holds files."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ValueError(f"exercise start: {folder} exists and is not an empty folder; choose a new one")
    files = {task_path(folder, t): task_file(t, solved=solutions) for t in tasks}  # everything made before writing
    by_part = {}
    for t in tasks:
        by_part.setdefault(t.part, []).append(t)
    for part_tasks in by_part.values():
        files[folder / "tests" / f"test_{part_folder(part_tasks[0])}.py"] = _tests(part_tasks)
    markers = "\n".join(f"    {t.marker}: Task {t.id}, {t.title}" for t in tasks)
    files[folder / "pytest.ini"] = f"[pytest]\ntestpaths = tests\naddopts = -p no:cacheprovider\nmarkers =\n{markers}\n"
    files[folder / "README.md"] = _readme(tasks, solutions)
    files[folder / ".github" / "classroom" / "autograding.json"] = _autograding(tasks)
    files[folder / MANIFEST] = json.dumps({"tasks": [t.id for t in tasks], "solutions": solutions,
                                           "public_seed": PUBLIC_SEED}, indent=2) + "\n"
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def workspace_tasks(folder) -> list:
    """The task ids of the workspace at ``folder`` (from its manifest); a ValueError when it is not one."""
    manifest = Path(folder) / MANIFEST
    if not manifest.is_file():
        raise ValueError(f"exercise: {folder} is not a workspace (no {MANIFEST}); make one with tgg exercise start")
    return json.loads(manifest.read_text())["tasks"]
