"""The course kit, tested both ways: stubs fail naming their task, the solved workspace gets full marks, each task's
typical mistake fails that task alone with the element named, hostile submissions are contained, and the grader's
outputs follow Gradescope's and JUnit's formats."""
import dataclasses
import json
import subprocess
import sys
import textwrap
from xml.etree import ElementTree

import pytest

from tinygrad_gen.cli import main as tgg
from tinygrad_gen.course import grade, source, tasks, workspace
from tinygrad_gen.course.tasks import BY_ID, PARTS, TASKS

# Gradescope's documented results.json, as far as the grader writes it (gradescope-autograders.readthedocs.io:
# "score", "execution_time", "output", and "tests" with "score", "max_score", "status", "name", "number",
# "output", "visibility")
GRADESCOPE_TEST_KEYS = {"score": (int, float), "max_score": (int, float), "status": str, "name": str, "number": str,
                        "output": str, "visibility": str}


def validate_gradescope(doc):
    assert isinstance(doc["score"], (int, float)) and isinstance(doc["tests"], list)
    assert isinstance(doc.get("execution_time", 0), (int, float)) and isinstance(doc.get("output", ""), str)
    for test in doc["tests"]:
        for key, kind in GRADESCOPE_TEST_KEYS.items():
            assert isinstance(test[key], kind), (key, test)
        assert test["status"] in ("passed", "failed") and test["visibility"] in ("hidden", "after_due_date",
                                                                                   "after_published", "visible")
        assert 0 <= test["score"] <= test["max_score"]
    assert doc["score"] == sum(t["score"] for t in doc["tests"])


def test_at_least_25_tasks_in_the_six_parts_each_with_a_statement_points_and_a_command(capsys):
    assert len(TASKS) >= 25 and {t.part for t in TASKS} == set(PARTS)
    assert len({t.id for t in TASKS}) == len(TASKS)
    assert tgg(["exercise", "list"]) == 0
    text = capsys.readouterr().out
    for t in TASKS:
        assert t.points > 0 and t.question and t.hint and t.slide
        assert f"{t.id} " in text and f"pytest -m {t.marker}" in text and t.title in text


def test_a_stub_raises_naming_its_task_and_keeps_no_answer():
    for t in TASKS:
        stub = source.blanked_source(t)
        assert f'raise NotImplementedError("Task {t.id}: {t.title}")' in stub, t.id
        solution = source.solved_source(t)
        assert t.mistake[0] in solution, f"task {t.id}: its mistake is not in the solution"
        assert stub.count(t.mistake[0]) < solution.count(t.mistake[0]), f"task {t.id}: the stub holds the answer"
        compile(source.task_file(t), f"task{t.id}", "exec")  # the student's file is valid Python


def test_the_derivation_is_cut_from_the_docstring_and_the_forward_kept():
    stub = source.blanked_source(BY_ID["4.1"])
    assert "z = mu + exp(logvar / 2) * eps" in stub and "Task 4.1 (3 points)" in stub
    assert "dlogvar" not in stub and "g * eps" not in stub


def test_start_writes_the_files_markers_readme_and_classroom_config(tmp_path):
    ws = tmp_path / "ws"
    assert tgg(["exercise", "start", str(ws), "--part", "1", "--tasks", "5.4"]) == 0
    chosen = [t for t in TASKS if t.part == 1] + [BY_ID["5.4"]]
    assert workspace.workspace_tasks(ws) == [t.id for t in chosen]
    ini = (ws / "pytest.ini").read_text()
    for t in chosen:
        assert workspace.task_path(ws, t).is_file() and f"{t.marker}:" in ini
    assert "task2_1" not in ini
    tests_text = (ws / "tests" / "test_part1_backprop.py").read_text()
    assert "@pytest.mark.task1_7" in tests_text
    classroom = json.loads((ws / ".github" / "classroom" / "autograding.json").read_text())
    assert [t["points"] for t in classroom["tests"]] == [t.points for t in chosen]
    assert "pytest -m task1_1" in (ws / "README.md").read_text()
    with pytest.raises(ValueError, match="not an empty folder"):
        workspace.write_workspace(ws, chosen)


def test_unknown_parts_and_tasks_are_refused_by_name():
    with pytest.raises(ValueError, match=r"unknown task\(s\) \['9.9'\]"):
        tasks.select(ids=["9.9"])
    with pytest.raises(ValueError, match=r"unknown part\(s\) \[7\]"):
        tasks.select(parts=[7])


def solved(tmp_path, ids):
    ws = tmp_path / "solved"
    workspace.write_workspace(ws, [BY_ID[i] for i in ids], solutions=True)
    return ws


def plant(ws, task_id, text):
    workspace.task_path(ws, BY_ID[task_id]).write_text(text)


def test_one_solved_one_wrong_one_stub_graded_with_the_element_named(tmp_path):
    ws = solved(tmp_path, ["1.2", "2.4", "4.2"])
    plant(ws, "2.4", source.wrong_solution(BY_ID["2.4"]))
    plant(ws, "4.2", source.task_file(BY_ID["4.2"]))
    results = {r["task"]: r for r in grade.grade(ws, seed=3)}
    assert results["1.2"]["passed"] and results["1.2"]["points"] == 2
    assert not results["2.4"]["passed"] and "element" in results["2.4"]["message"]
    assert "expected" in results["2.4"]["message"] and "received" in results["2.4"]["message"]
    assert not results["4.2"]["passed"] and "Task 4.2" in results["4.2"]["message"]


def test_the_workspace_pytest_runs_one_task_by_its_marker(tmp_path):
    ws = solved(tmp_path, ["1.3", "1.4"])
    plant(ws, "1.4", source.wrong_solution(BY_ID["1.4"]))
    one = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "task1_3"], cwd=ws, capture_output=True,
                         text=True, timeout=300)
    assert one.returncode == 0 and "1 passed, 1 deselected" in one.stdout, one.stdout
    other = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "task1_4"], cwd=ws, capture_output=True,
                           text=True, timeout=300)
    assert other.returncode == 1 and "Task 1.4" in other.stdout and "element" in other.stdout


HOSTILE = {
    "endless loop": "while True:\n    pass\n",
    "sys.exit": "import sys\nsys.exit(0)\n",
    "os._exit": "import os\nos._exit(0)\n",
    "crash": "import ctypes\nctypes.string_at(0)\n",
    "forged result": "import sys, json, os\nopen(sys.argv[4], 'w').write(json.dumps({'passed': True, "
                     "'message': 'passed', 'token': ''}))\nos._exit(0)\n",
    "memory": "import numpy\nhog = numpy.ones(1 << 34)\n",
}


@pytest.mark.parametrize("how", sorted(HOSTILE))
def test_a_hostile_submission_fails_its_task_and_the_grade_completes(tmp_path, how):
    ws = solved(tmp_path, ["1.1", "1.2"])
    plant(ws, "1.1", source.task_file(BY_ID["1.1"], solved=True) + "\n" + HOSTILE[how])
    quick = dataclasses.replace(BY_ID["1.1"], timeout=8)
    bad = grade.grade_task(ws, quick, 0)
    assert not bad["passed"] and bad["points"] == 0, bad
    assert grade.grade_task(ws, BY_ID["1.2"], 0)["passed"]


PATCHES = {
    "the reference": "import tinygrad_gen.ops.arithmetic as engine\n"
                     "engine.Div.backward = staticmethod(lambda ctx, g: (g, g))\n",
    "the checks": "import tinygrad_gen.course.checks as checks\nchecks.compare = lambda *a, **k: None\n",
    "the engine's copy of the answer": "from tinygrad_gen.ops.arithmetic import Mul as Engine\n"
                                       "Mul.backward = staticmethod(lambda ctx, g: Engine.backward(ctx, g))\n",
}


@pytest.mark.parametrize("what", sorted(PATCHES))
def test_a_submission_that_patches_the_engine_or_the_grader_fails(tmp_path, what):
    ws = solved(tmp_path, ["1.1"])
    wrong = source.wrong_solution(BY_ID["1.1"])
    plant(ws, "1.1", wrong + "\n" + PATCHES[what])
    result = grade.grade_task(ws, BY_ID["1.1"], 0)
    assert not result["passed"], result


def test_results_json_follows_gradescope_and_junit_parses(tmp_path):
    ws = solved(tmp_path, ["1.5", "1.6"])
    plant(ws, "1.6", source.wrong_solution(BY_ID["1.6"]))
    assert tgg(["exercise", "grade", str(ws), "--seed", "11"]) == 0
    doc = json.loads((ws / "grade" / "results.json").read_text())
    validate_gradescope(doc)
    assert doc["score"] == BY_ID["1.5"].points and [t["status"] for t in doc["tests"]] == ["passed", "failed"]
    suite = ElementTree.fromstring((ws / "grade" / "junit.xml").read_text())
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    assert [c.get("name") for c in suite.iter("testcase")] == ["task1_5", "task1_6"]
    assert "element" in suite.find("testcase[@name='task1_6']/failure").text


def test_the_hidden_seed_draws_other_shapes_than_the_public_one():
    from tinygrad_gen.course.checks import examples
    task = BY_ID["1.7"]
    assert examples(task, 0) != examples(task, 12345)
    assert examples(task, 12345) == examples(task, 12345)


@pytest.mark.slow
def test_an_untouched_workspace_scores_zero_naming_every_task(tmp_path):
    ws = tmp_path / "ws"
    workspace.write_workspace(ws, TASKS)
    results = grade.grade(ws)
    assert sum(r["points"] for r in results) == 0
    for r in results:
        assert f"Task {r['task']}" in r["message"], r


@pytest.mark.slow
@pytest.mark.parametrize("planted", [0, 1])
def test_every_typical_mistake_fails_its_task_alone_with_the_element_named(tmp_path, planted):
    """Half the tasks get their mistake, the other half stay solved: exactly the planted ones fail, each naming an
    element; the other run swaps the halves. The solved half earns full marks."""
    ws = solved(tmp_path, [t.id for t in TASKS])
    wrong = {t.id for k, t in enumerate(TASKS) if k % 2 == planted}
    for i in wrong:
        plant(ws, i, source.wrong_solution(BY_ID[i]))
    results = grade.grade(ws, seed=7)
    assert {r["task"] for r in results if not r["passed"]} == wrong
    for r in results:
        if r["task"] in wrong:
            assert "element" in r["message"], r
        else:
            assert r["points"] == r["max_points"]


def test_tgg_exercise_start_solutions_then_one_task_graded_from_the_command_line(tmp_path):
    ws = tmp_path / "inst"
    done = subprocess.run([sys.executable, "-m", "tinygrad_gen.cli", "exercise", "start", str(ws), "--tasks",
                           "6.1", "--solutions"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    graded = subprocess.run([sys.executable, "-m", "tinygrad_gen.cli", "exercise", "grade", str(ws)],
                            capture_output=True, text=True, timeout=400)
    assert graded.returncode == 0 and "total 4/4 points" in graded.stdout, graded.stdout + graded.stderr
    assert textwrap.dedent("pass") in graded.stdout
