"""JSON-able copies of the values a training run records, and text files written so that no reader ever sees half
of one (the run's config.json, metrics.csv and metrics.json)."""
import os
from pathlib import Path
from typing import Any

import numpy as np

from . import backend


def to_plain(value: Any) -> Any:
    """A JSON-able copy of ``value``: Tensors and arrays become numbers or nested lists, tuples lists, paths text."""
    from .tensor import Tensor
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (Tensor, *backend.ARRAY_TYPES)):
        arr = backend.to_device(value._data if isinstance(value, Tensor) else value, "cpu")
        return arr.item() if arr.ndim == 0 else arr.tolist()
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place: never a half-written file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
