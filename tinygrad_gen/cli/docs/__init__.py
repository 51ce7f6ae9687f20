"""The docs site, made from the code: ``python -m tinygrad_gen.cli.docs [--build]``.

It copies the hand-written pages of ``docs/`` into ``build/docs/`` and writes beside them the pages that must not
drift from the code: the API reference (``reference.py``), the op catalogue with each op's derivation as math, its
PyTorch twin and its gradcheck rows, checked as the pages are made (``catalogue.py``), the notebooks with their
outputs (``notebook_pages.py``), the lecture-to-code map (the README's table), the exercises (``tgg exercise list``),
the benchmark results (``benchmarks/RESULTS.md``) and a backward stepper page. Then ``build/mkdocs.yml`` (the repo's
``mkdocs.yml`` plus the navigation) builds the site with MkDocs and Material, ``--strict``: a broken link or anchor
fails, and so does the generator itself for a public name without a docstring, a failed gradcheck row or a notebook
with an error output. The math is MathML made at build time (no script, no network).
"""
from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys
from typing import Dict, List

ROOT = pathlib.Path(__file__).resolve().parents[3]
SECTIONS = ("## From the slides to the code", "## Quick start")


class DocsError(RuntimeError):
    """The site cannot be built as the code stands (the message lists every reason)."""


def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(title)
    end = text.find("\n## ", start + len(title))
    return text[start + len(title):end if end > 0 else None].strip()


def _unlink(markdown: str) -> str:
    """Relative links to files outside the site become plain code text (a site page cannot reach them)."""
    return re.sub(r"!?\[([^\]]*)\]\((?!https?:|#)([^)]+)\)", r"\1 (`\2`)", markdown)


def lecture_map(notebooks: Dict[str, str]) -> str:
    """The README's lecture-to-code table, with the notebooks that tell each part."""
    table = _unlink(_readme_section("## From the slides to the code")).split("\n\n")[0]
    nbs = "\n".join(f"- [{title}](notebooks/{page})" for page, title in notebooks.items())
    return ("# From the slides to the code\n\nEach part of the lecture (CSC413/2516 Lecture 9: GANs, autoencoders "
            "and the VAE, large language models) and where the engine does it; the op catalogue has every op's "
            "derivation, the notebooks tell each part with the engine.\n\n" + table + "\n\n## The notebooks\n\n"
            + nbs + "\n")


def exercises() -> str:
    """The README's course-kit section and ``tgg exercise list``'s output, where that command exists; else how to
    run it."""
    from tinygrad_gen.cli import COMMANDS
    head = "# Exercises\n\nWrite a backward, let the gradient check find the wrong element.\n\n"
    if "exercise" not in COMMANDS:
        return (head + "Run `tgg exercise list` to see the exercises, `tgg exercise start DIR` to write a workspace "
                "and `tgg exercise grade DIR` to grade it. The README's exercise works everywhere: put a `Function` "
                "with a wrong backward in `my_ops.py` and run `tgg gradcheck my_ops.py`; it names the element that "
                "disagrees.\n")
    done = subprocess.run([sys.executable, "-m", "tinygrad_gen.cli", "exercise", "list"], capture_output=True,
                          text=True, cwd=ROOT)
    if done.returncode != 0:
        raise DocsError(f"docs: `tgg exercise list` failed: {done.stderr.strip()}")
    kit = _unlink(_readme_section("## The course kit"))
    kit = kit.split("\n", 1)[1] if kit.startswith(":") else kit  # the heading's rest, after the matched prefix
    return (head + kit.strip() + "\n\n## The tasks\n\n`tgg exercise list` printed (when this site was built):\n\n"
            "```text\n" + done.stdout.rstrip() + "\n```\n")


def benchmarks() -> str:
    """``benchmarks/RESULTS.md``, its links to files outside the site made plain text."""
    return _unlink((ROOT / "benchmarks" / "RESULTS.md").read_text())


def stepper_page(out: pathlib.Path) -> None:
    """The README's tiny MLP, its backward written as a stepper page beside the site's pages."""
    import tinygrad_gen as tg
    from tinygrad_gen import nn
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    x, y = tg.randn(4, 2), tg.randn(4, 1)
    h = model(x)
    loss = ((h - y) ** 2).mean() + 0.1 * (h * h).mean()  # h feeds two ops: its gradient arrives twice (+=)
    (out / "stepper").mkdir(parents=True, exist_ok=True)
    tg.viz.step_through(loss, out / "stepper" / "mlp.html", params=[model, {"x": x, "y": y}],
                        title="A tiny MLP's backward pass, node by node")


def generate(out: pathlib.Path) -> List:
    """Write every page into ``out`` (emptied first); returns the navigation. Raises DocsError listing every
    missing docstring, failed gradcheck row and broken notebook."""
    from . import catalogue, notebook_pages, reference
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ROOT / "docs", out)
    problems: List[str] = []
    api, missing = reference.pages()
    problems += [f"no docstring: {name}" for name in missing]
    ops, failed = catalogue.pages()
    problems += [f"gradcheck failed: {row}" for row in failed]
    (out / "notebooks").mkdir(exist_ok=True)
    notebooks, broken = notebook_pages.pages(ROOT / "notebooks", out / "notebooks")
    problems += broken
    if problems:
        raise DocsError("docs: the site cannot be built:\n  " + "\n  ".join(problems))
    for folder, files in (("api", api), ("ops", ops)):
        (out / folder).mkdir(exist_ok=True)
        for name, text in files.items():
            (out / folder / name).write_text(text)
    (out / "lecture-map.md").write_text(lecture_map(notebooks))
    (out / "exercises.md").write_text(exercises())
    (out / "benchmarks.md").write_text(benchmarks())
    stepper_page(out)
    api_titles = {"tensor.md": "Tensor methods", "tg.md": "tg.*", "functional.md": "F.*", "nn.md": "nn",
                  "nn_init.md": "nn.init", "optim.md": "optim", "optim_lr_scheduler.md": "optim.lr_scheduler",
                  "data.md": "data", "io.md": "io", "viz.md": "viz"}
    return [{"Start here": "index.md"}, {"Step through a backward pass": "stepper.md"},
            {"Notebooks": [{title: f"notebooks/{page}"} for page, title in notebooks.items()]},
            {"Op catalogue": ["ops/index.md"] + [f"ops/{name}" for name in ops if name != "index.md"]},
            {"API reference": [{title: f"api/{name}"} for name, title in api_titles.items()]},
            {"From the slides to the code": "lecture-map.md"}, {"Exercises": "exercises.md"},
            {"Benchmarks": "benchmarks.md"}]


def write_config(nav: List, build: pathlib.Path) -> pathlib.Path:
    """``build/mkdocs.yml``: the repo's ``mkdocs.yml`` and the navigation of the pages just made."""
    import json
    import os
    lines = ["INHERIT: " + os.path.relpath(ROOT / "mkdocs.yml", build), "docs_dir: docs", "site_dir: site",
             "nav: " + json.dumps(nav)]
    path = build / "mkdocs.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv=None) -> int:
    """``python -m tinygrad_gen.cli.docs [--build] [--out DIR]``: write the pages (and build the site, strict)."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m tinygrad_gen.cli.docs", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "build"), help="where docs/, mkdocs.yml and site/ go")
    parser.add_argument("--build", action="store_true", help="then run mkdocs build --strict")
    args = parser.parse_args(argv)
    build = pathlib.Path(args.out).resolve()
    build.mkdir(parents=True, exist_ok=True)
    try:
        nav = generate(build / "docs")
    except DocsError as e:
        print(e, file=sys.stderr)
        return 1
    config = write_config(nav, build)
    print(f"docs: wrote {build / 'docs'} and {config}")
    if args.build:
        return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config)]).returncode
    return 0
