"""``tgg exercise list | start DIR | grade DIR``: the course kit.

    tgg exercise list [--part N]                       the tasks, by part, with points and the command that checks each
    tgg exercise start DIR [--part N ...] [--tasks 2.3,5.1] [--solutions]
                                                       a student workspace (or the instructor's solved one)
    tgg exercise grade DIR [--seed N] [--tasks ...] [--results FILE] [--junit FILE]
                                                       grade it: a table, Gradescope's results.json, JUnit XML
"""
import argparse
import json
import sys
import time
from pathlib import Path

from tinygrad_gen.course import grade as grading
from tinygrad_gen.course.tasks import PARTS, select
from tinygrad_gen.course.workspace import task_path, write_workspace


def _ids(text):
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def _parser():
    parser = argparse.ArgumentParser(prog="tgg exercise", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="the tasks, grouped by part")
    listing.add_argument("--part", type=int, action="append", help="only this part (repeatable)")
    start = sub.add_parser("start", help="write a workspace")
    start.add_argument("dir")
    start.add_argument("--part", type=int, action="append", help="only this part (repeatable)")
    start.add_argument("--tasks", help="comma-separated task ids, e.g. 1.1,2.4")
    start.add_argument("--solutions", action="store_true", help="the instructor's solved version")
    grade = sub.add_parser("grade", help="grade a workspace")
    grade.add_argument("dir")
    grade.add_argument("--tasks", help="comma-separated task ids (default: the workspace's)")
    grade.add_argument("--seed", type=int, default=None,
                       help=f"the instructor's seed for hidden shapes and values (or ${grading.SEED_VARIABLE})")
    grade.add_argument("--results", default=None, help="Gradescope results.json (default DIR/grade/results.json)")
    grade.add_argument("--junit", default=None, help="JUnit XML (default DIR/grade/junit.xml)")
    return parser


def list_tasks(parts=None) -> str:
    """The task list as text: per part, each task's id, points, title, the command that checks it and its
    statement."""
    lines = []
    tasks = select(parts)
    for part, (_, title) in PARTS.items():
        mine = [t for t in tasks if t.part == part]
        if not mine:
            continue
        lines += ["", f"Part {part}: {title} ({sum(t.points for t in mine)} points)"]
        for t in mine:
            lines.append(f"  {t.id:4s} [{t.points} pt] {t.title}  ({task_path(Path('.'), t).as_posix()}; "
                         f"pytest -m {t.marker})")
            lines.append(f"       {t.question}")
            lines.append(f"       hint: {t.hint}  (lecture: {t.slide})")
    total = sum(t.points for t in tasks)
    return "\n".join(lines[1:] + ["", f"{len(tasks)} tasks, {total} points. Start: tgg exercise start DIR"])


def main(argv=None) -> int:
    """Run ``tgg exercise``; returns the exit status."""
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "list":
        print(list_tasks(args.part))
        return 0
    if args.command == "start":
        tasks = select(args.part, _ids(args.tasks))
        folder = write_workspace(args.dir, tasks, solutions=args.solutions)
        print(f"tgg exercise: wrote {len(tasks)} task(s) into {folder}{' (solved)' if args.solutions else ''}; "
              f"read {folder / 'README.md'}, then: cd {folder} && pytest -m {tasks[0].marker}")
        return 0
    start = time.perf_counter()
    results = grading.grade(args.dir, _ids(args.tasks), args.seed)
    print(grading.table(results))
    out = Path(args.dir) / "grade"
    results_path, junit_path = Path(args.results or out / "results.json"), Path(args.junit or out / "junit.xml")
    for path, text in ((results_path, json.dumps(grading.gradescope(results, time.perf_counter() - start),
                                                 indent=2)), (junit_path, grading.junit(results))):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    print(f"wrote {results_path} and {junit_path}")
    return 0
