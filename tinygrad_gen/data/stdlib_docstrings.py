"""English prose that every Python installation already has: the docstrings of the standard library's modules.

Each ``.py`` file of the running Python's standard library (test suites and ``site-packages`` left out) is parsed
with ``ast``, never imported, and its docstrings (the module's, then each class's and function's, in source order)
become one document: a list of prose sentences. Doctest lines, indented blocks (code, argument tables) and reST
headings are dropped, reST roles (``:func:`len```) keep their text. A sentence already met in an earlier module
(sorted by module name) is dropped, so no text is in two documents. Modules are sorted by name; the corpus is fixed
by the Python version (``python_version()``), which runs record in their config.

Held-out documents are whole top-level packages (``email`` with all of ``email.*``) picked by a hash of the name,
about one in ten: never seen in pre-training, and no sibling module of theirs is either.

The text is the Python Software Foundation's, under the PSF License Agreement (Python's own license); it is read
from the local installation at run time and not redistributed here.

    python -m tinygrad_gen.data.stdlib_docstrings     # size, document counts and a sample
"""
import ast
import functools
import platform
import re
import sysconfig
import zlib
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from .text import split_sentences, tokenize

# folders of the standard library that hold tests or third-party packages, not the library's own prose
SKIPPED_FOLDERS = frozenset({"test", "tests", "idle_test", "site-packages", "__pycache__"})
_ROLE = re.compile(r":[\w:.-]+:`~?([^`]*)`")   # :func:`len` -> len
_DOCTEST = re.compile(r"^\s*(>>>|\.\.\.)")


def python_version() -> str:
    """The running Python's version, e.g. ``"3.11.7"``: the corpus is this version's standard library."""
    return platform.python_version()


def stdlib_root() -> Path:
    """The folder of the running Python's standard library."""
    return Path(sysconfig.get_paths()["stdlib"])


def module_files(root: Optional[Path] = None) -> List[Tuple[str, Path]]:
    """(dotted module name, path) of every library module under ``root`` (default: ``stdlib_root()``), sorted by
    name; a package's ``__init__.py`` is the package's own name."""
    root = Path(stdlib_root() if root is None else root)
    if not root.is_dir():
        raise FileNotFoundError(f"stdlib_docstrings: no standard library folder at {str(root)!r}")
    found = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        if SKIPPED_FOLDERS.intersection(parts[:-1]) or not all(p.isidentifier() for p in parts):
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name:
            found.append((name, path))
    return sorted(found)


def docstrings(source: Union[str, bytes]) -> List[str]:
    """The docstrings of a module's source, in source order: the module's, then each class's and function's
    (nested ones after their parent's). Source that does not parse gives none."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    out = []

    def visit(node):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                out.append(doc)
        for child in ast.iter_child_nodes(node):   # fields in source order
            visit(child)

    visit(tree)
    return out


def prose_sentences(docstring: str) -> List[str]:
    """The prose sentences of one docstring: doctest lines dropped, reST roles reduced to their text, then
    ``split_sentences`` (no headings, no indented blocks); a sentence needs four tokens, most of them words."""
    lines = [ln for ln in docstring.split("\n") if not _DOCTEST.match(ln)]
    text = _ROLE.sub(r"\1", "\n".join(lines)).replace("``", "").replace("`", "")
    out = []
    for sentence in split_sentences(text):
        tokens = tokenize(sentence)
        if len(tokens) >= 4 and sum(t.isalpha() for t in tokens) >= 0.6 * len(tokens):
            out.append(sentence)
    return out


def read_documents(root: Optional[Path] = None) -> Dict[str, List[str]]:
    """{module name: its sentences} for every module under ``root`` with at least two new sentences, sorted by
    name; a sentence met in an earlier module is dropped."""
    seen, docs = set(), {}
    for name, path in module_files(root):
        sentences = []
        for doc in docstrings(path.read_bytes()):
            for s in prose_sentences(doc):
                if s not in seen:
                    seen.add(s)
                    sentences.append(s)
        if len(sentences) >= 2:
            docs[name] = sentences
    return docs


@functools.lru_cache(maxsize=1)
def stdlib_documents() -> Dict[str, List[str]]:
    """``read_documents()`` of the running Python's library, read once per process (about 7 s)."""
    return read_documents()


def is_held_out(module: str, every: int = 10) -> bool:
    """Whether ``module`` belongs to the held-out split: its top-level package's CRC-32 is divisible by
    ``every`` (a hash, so the split of a module never depends on which other modules exist)."""
    if every < 2:
        raise ValueError(f"is_held_out: every must be at least 2, got {every}")
    return zlib.crc32(module.split(".")[0].encode()) % every == 0


def split_corpus(documents: Dict[str, List[str]], every: int = 10
                 ) -> Tuple[Dict[str, List[str]], Dict[str, List[str]]]:
    """(training documents, held-out documents), each {module: sentences} in name order, split by
    ``is_held_out``."""
    train = {k: v for k, v in documents.items() if not is_held_out(k, every)}
    held = {k: v for k, v in documents.items() if is_held_out(k, every)}
    return train, held


def stdlib_corpus(every: int = 10) -> Tuple[List[List[str]], List[List[str]]]:
    """(training documents, held-out documents) of the running Python's library docstrings, each a list of
    documents (lists of sentences) in module order: the input of BERT's pre-training."""
    train, held = split_corpus(stdlib_documents(), every)
    return list(train.values()), list(held.values())


def describe(documents: Optional[Dict[str, List[str]]] = None, every: int = 10, sample: int = 3) -> dict:
    """Size, document and sentence counts of both splits, and the first ``sample`` sentences of the first
    held-out module, as a dict (what ``python -m tinygrad_gen.data.stdlib_docstrings`` prints)."""
    documents = stdlib_documents() if documents is None else documents
    out = {"python": python_version(), "documents": len(documents)}
    for split, docs in zip(("train", "held_out"), split_corpus(documents, every)):
        out[split] = {"documents": len(docs), "sentences": sum(map(len, docs.values())),
                      "characters": sum(len(s) for doc in docs.values() for s in doc),
                      "words": sum(len(tokenize(s)) for doc in docs.values() for s in doc)}
    held = split_corpus(documents, every)[1]
    first = next(iter(held), None)
    out["sample"] = {first: held[first][:sample]} if first else {}
    out["held_out_modules"] = sorted({m.split(".")[0] for m in held})
    return out


def main() -> None:
    """Print ``describe()``: the corpus's size, document counts and a sample."""
    d = describe()
    print(f"standard library docstrings of Python {d['python']} (PSF License Agreement): {d['documents']} modules")
    for split in ("train", "held_out"):
        s = d[split]
        print(f"  {split:8s} {s['documents']:4d} modules, {s['sentences']:6d} sentences, {s['words']:8d} words, "
              f"{s['characters']:9d} characters")
    print(f"  held-out packages: {', '.join(d['held_out_modules'])}")
    for module, sentences in d["sample"].items():
        print(f"  sample ({module}):")
        for s in sentences:
            print(f"    {s}")


if __name__ == "__main__":
    main()
