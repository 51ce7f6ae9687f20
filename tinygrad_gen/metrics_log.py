"""The metrics log of a training run, ``metrics.csv``: one row per logged step, a column per name ever logged.

Plain functions of a path and rows (``{name: number or text}``): appending a row, rewriting the table under a wider
header when a row brings a new column, and reading rows back. Floats are written by ``repr``, so they read back
exactly (a resumed run's table ends byte for byte like an uninterrupted one's).
"""
import csv
import io
from pathlib import Path
from typing import List, Optional

from .jsonable import write_text_atomic


def columns_of(rows: List[dict]) -> List[str]:
    """Every name the rows use, in the order they first appear: the table's header."""
    return list(dict.fromkeys(k for row in rows for k in row))


def _cells(row: dict) -> dict:
    return {k: repr(v) if isinstance(v, float) else v for k, v in row.items()}  # repr: floats read back exactly


def write_table(path: Path, rows: List[dict]) -> List[str]:
    """Write all ``rows`` to ``path`` (atomically) under the header of every name they use; returns the header."""
    header = columns_of(rows)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(_cells(row))
    write_text_atomic(Path(path), buf.getvalue())
    return header


def append_row(path: Path, row: dict, header: List[str]) -> None:
    """Append one ``row`` whose names are all in ``header`` (the table on disk was written with it)."""
    with open(path, "a", newline="", encoding="utf-8") as f:
        csv.DictWriter(f, fieldnames=header, lineterminator="\n").writerow(_cells(row))


def read_table(path: Path, rows: Optional[int] = None) -> List[dict]:
    """The first ``rows`` rows of the table at ``path`` (all when None; none when there is no file), numbers parsed
    back exactly and empty cells left out."""
    path = Path(path)
    if not path.is_file() or rows == 0:
        return []

    def parse(text):
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return text
    with open(path, newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    return [{k: parse(v) for k, v in row.items() if v != ""} for row in table[:rows]]
