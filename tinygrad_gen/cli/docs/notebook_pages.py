"""Notebooks as site pages: each committed notebook (with its outputs) becomes a Markdown page: markdown cells as
they are (their ``$...$`` math as MathML), code cells as Python blocks, text outputs as text blocks, figures as
PNG files beside the page, HTML outputs (the backward stepper) as they are. Nothing is executed here: CI executes
the notebooks in a step of its own; a notebook holding an error output stops the build."""
from __future__ import annotations

import base64
import json
import pathlib
import re
from typing import Dict, List, Tuple

from .mathtext import mathml


def _math(text: str) -> str:
    """``$$...$$`` and ``$...$`` as MathML (code spans and blocks left alone)."""
    parts = re.split(r"(```.*?```|`[^`]*`)", text, flags=re.S)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"\$\$(.+?)\$\$", lambda m: mathml(m.group(1).strip(), display=True), parts[i], flags=re.S)
        parts[i] = re.sub(r"(?<![\\$])\$([^$\n]+?)\$", lambda m: mathml(m.group(1).strip()), parts[i])
    return "".join(parts)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def page(path: pathlib.Path, images: pathlib.Path) -> Tuple[str, List[str]]:
    """The Markdown of one notebook, the figure files written under ``images``, and a list of problems (error
    outputs, code cells never run)."""
    nb = json.loads(path.read_text())
    out, problems, n = [], [], 0
    for i, cell in enumerate(nb["cells"]):
        src = _text(cell.get("source", ""))
        if cell["cell_type"] == "markdown":
            out.append(_math(src) + "\n")
            continue
        if cell["cell_type"] != "code" or not src.strip():
            continue
        out.append("```python\n" + src.rstrip() + "\n```\n")
        if cell.get("execution_count") is None:
            problems.append(f"{path.name}: code cell {i} was never run (commit the notebook with its outputs)")
        for o in cell.get("outputs", []):
            kind = o.get("output_type")
            if kind == "error":
                problems.append(f"{path.name}: cell {i} raised {o.get('ename')}: {o.get('evalue')}")
            elif kind == "stream":
                out.append("```text\n" + _text(o["text"]).rstrip() + "\n```\n")
            elif kind in ("execute_result", "display_data"):
                data = o.get("data", {})
                if "image/png" in data:
                    n += 1
                    name = f"{path.stem}-{n}.png"
                    images.mkdir(parents=True, exist_ok=True)
                    (images / name).write_bytes(base64.b64decode(_text(data["image/png"])))
                    out.append(f"![figure {n} of {path.stem}](img/{name})\n")
                elif "image/svg+xml" in data:
                    n += 1
                    name = f"{path.stem}-{n}.svg"
                    images.mkdir(parents=True, exist_ok=True)
                    (images / name).write_text(_text(data["image/svg+xml"]))
                    out.append(f"![figure {n} of {path.stem}](img/{name})\n")
                elif "text/html" in data:
                    out.append('<div class="nb-html">' + _text(data["text/html"]) + "</div>\n")
                elif "text/plain" in data:
                    out.append("```text\n" + _text(data["text/plain"]).rstrip() + "\n```\n")
    return "\n".join(out), problems


def pages(folder: pathlib.Path, out: pathlib.Path) -> Tuple[Dict[str, str], List[str]]:
    """{notebook page name: its title} for every ``*.ipynb`` in ``folder``, written as Markdown into ``out``, and the
    problems found."""
    titles, problems = {}, []
    for path in sorted(folder.glob("*.ipynb")):
        text, found = page(path, out / "img")
        problems += found
        (out / f"{path.stem}.md").write_text(text)
        m = re.search(r"^# (.+)$", text, re.M)
        titles[f"{path.stem}.md"] = m.group(1).strip() if m else path.stem
    return titles, problems
