"""``tgg exercise grade DIR``: every task of a workspace graded in a process of its own, then a table, Gradescope's
``results.json`` and JUnit XML.

A task's process has a time limit (the task's ``timeout``) and a memory limit (``run_task.MEMORY_LIMIT``); an
infinite loop, a crash, ``sys.exit`` or a result file without the token this grader handed it fails that task and
nothing else. The seed is the instructor's (``--seed`` or ``TGG_GRADE_SEED``), so the shapes and values drawn are
not the ones the student's public tests show; without one it is the public seed.
"""
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

from .tasks import BY_ID, Task
from .workspace import PUBLIC_SEED, workspace_tasks

SEED_VARIABLE = "TGG_GRADE_SEED"


def grading_seed(seed=None) -> int:
    """``seed``, else ``TGG_GRADE_SEED``, else the public seed."""
    if seed is not None:
        return int(seed)
    return int(os.environ.get(SEED_VARIABLE, PUBLIC_SEED))


def grade_task(workspace, task: Task, seed: int) -> dict:
    """{"task", "title", "points", "max_points", "passed", "message", "seconds"} of one task, graded in a fresh
    process."""
    token = secrets.token_hex(16)
    env = dict(os.environ, TGG_GRADE_TOKEN=token, TGG_KERNELS="reference", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    if task.kernel:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        result_path = Path(scratch) / "result.json"
        command = [sys.executable, "-m", "tinygrad_gen.course.run_task", str(Path(workspace).resolve()), task.id,
                   str(seed), str(result_path)]
        try:
            proc = subprocess.run(command, env=env, cwd=scratch, capture_output=True, text=True,
                                  timeout=task.timeout)
            result = _read_result(result_path, token, proc)
        except subprocess.TimeoutExpired:
            result = {"passed": False, "message": f"took longer than {task.timeout} s (an endless loop?); stopped"}
    return {"task": task.id, "title": task.title, "max_points": task.points,
            "points": task.points if result["passed"] else 0, "passed": result["passed"],
            "message": result["message"], "seconds": round(time.perf_counter() - start, 2)}


def _read_result(path: Path, token: str, proc) -> dict:
    tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
    if not path.is_file():
        return {"passed": False, "message": f"the task's process ended (status {proc.returncode}) without a result: "
                                            + " | ".join(tail)}
    try:
        result = json.loads(path.read_text())
    except ValueError:
        return {"passed": False, "message": "the task's result file was overwritten"}
    if result.get("token") != token:
        return {"passed": False, "message": "the task's result was not written by the grader"}
    return {"passed": bool(result["passed"]), "message": str(result["message"])}


def grade(workspace, ids=None, seed=None) -> list:
    """The results of the workspace's tasks (or of ``ids``), in table order."""
    seed = grading_seed(seed)
    ids = ids or workspace_tasks(workspace)
    return [grade_task(workspace, BY_ID[i], seed) for i in ids]


def table(results: list) -> str:
    """The grade as a text table: task, points, pass or fail, and what failed."""
    lines = [f"{'task':5s} {'points':>7s}  {'result':6s}  title / what failed", "-" * 100]
    for r in results:
        lines.append(f"{r['task']:5s} {r['points']:>3d}/{r['max_points']:<3d}  {'pass' if r['passed'] else 'FAIL':6s}"
                     f"  {r['title']}")
        if not r["passed"]:
            lines.append(f"{'':23s}{r['message']}")
    total, most = sum(r["points"] for r in results), sum(r["max_points"] for r in results)
    lines += ["-" * 100, f"total {total}/{most} points, {sum(r['passed'] for r in results)}/{len(results)} tasks"]
    return "\n".join(lines)


def gradescope(results: list, seconds: float = 0.0) -> dict:
    """Gradescope's autograder ``results.json``: one test per task with its score, max_score, status and output."""
    tests = [{"name": f"Task {r['task']}: {r['title']}", "number": r["task"], "score": r["points"],
              "max_score": r["max_points"], "status": "passed" if r["passed"] else "failed",
              "output": r["message"], "visibility": "visible"} for r in results]
    return {"score": sum(r["points"] for r in results), "execution_time": round(seconds, 2),
            "output": f"{sum(r['passed'] for r in results)} of {len(results)} tasks pass", "tests": tests}


def junit(results: list) -> str:
    """JUnit XML: one testsuite, one testcase per task, a <failure> with the message for each failed one."""
    suite = ElementTree.Element("testsuite", name="tinygrad_gen exercises", tests=str(len(results)),
                                failures=str(sum(not r["passed"] for r in results)),
                                time=str(round(sum(r["seconds"] for r in results), 2)))
    for r in results:
        case = ElementTree.SubElement(suite, "testcase", classname=f"part{r['task'].split('.')[0]}",
                                      name=f"task{r['task'].replace('.', '_')}", time=str(r["seconds"]))
        if not r["passed"]:
            failure = ElementTree.SubElement(case, "failure", message=r["message"][:200])
            failure.text = r["message"]
    return ElementTree.tostring(suite, encoding="unicode")


def assert_task_passes(task_id: str, test_file: str) -> None:
    """For a workspace's own tests: grade one task (public seed) and fail with its message."""
    workspace = Path(test_file).resolve().parents[1]
    result = grade_task(workspace, BY_ID[task_id], PUBLIC_SEED)
    assert result["passed"], f"Task {task_id}: {result['message']}"
