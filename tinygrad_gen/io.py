"""Checkpoints: ``tg.save(state_dict, path)`` and ``tg.load(path)`` in the safetensors format, read and written here.

The format: 8 bytes (little-endian u64) giving the header's length N, then N bytes of JSON
``{name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {str: str}}``, then the raw
little-endian bytes of every tensor, back to back; offsets count from the start of that data. Nothing is pickled,
so loading a file never runs code from it. PyTorch's ``safetensors`` package reads these files and we read its.

A save never leaves a half-written checkpoint behind: it writes a temporary file in the same folder, flushes and
fsyncs it, then renames it over the old one (a rename within one file system is atomic). A crash at any moment
leaves either the old checkpoint or the new one. Files we write carry a CRC-32 of the data in their metadata, so
flipped bits are caught on load too.

Nested state, as ``torch.save`` users expect (``tg.save(opt.state_dict(), path)``): dicts (string or integer keys),
lists and tuples of Tensors, arrays, numbers, strings and None. Each Tensor or array is stored as one safetensors
tensor named by its path (``state.0.exp_avg``); the tree itself, with every other leaf, is a JSON entry of the
metadata (``tinygrad_gen.structure``), so ``tg.load`` rebuilds the same dicts and lists and still nothing is
pickled. A flat {name: Tensor or array} is written as plain safetensors, as before, and loads as {name: Tensor}.
"""
import json
import math
import os
import struct
import tempfile
import time
import zlib

import numpy as np

from . import backend
from .backend import check_device, to_device
from .tensor import Tensor

_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "<i1",
           "U8": "<u1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "BOOL": "|b1"}
_CODES = {np.dtype(v).newbyteorder("="): k for k, v in _DTYPES.items()}
_CRC_KEY = "tinygrad_gen.crc32"
_TREE_KEY = "tinygrad_gen.structure"  # the JSON tree of a nested save (see the module docstring)
_MAX_HEADER = 100_000_000  # as the safetensors package: a bigger "header" means a corrupt or foreign file


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read: not safetensors, truncated, or corrupt. The message says which."""


def _as_cpu_array(name, value):
    if isinstance(value, Tensor):
        value = value._data
    if isinstance(value, backend.ARRAY_TYPES):
        value = to_device(value, "cpu")
    elif isinstance(value, (bool, int, float, np.generic)):
        value = np.asarray(value)
    else:
        raise TypeError(f"save: value of {name!r} must be a Tensor or an array, got {type(value).__name__}")
    if value.dtype.newbyteorder("=") not in _CODES:
        raise TypeError(f"save: {name!r} has dtype {value.dtype}, which safetensors cannot store "
                        f"(supported: {', '.join(_DTYPES)})")
    value = value.astype(value.dtype.newbyteorder("<"), copy=False)
    return value if value.flags.c_contiguous else value.copy(order="C")  # (ascontiguousarray makes 0-d 1-d)


_TMP_SUFFIX = ".tmp"
_TMP_RANDOM = 8       # characters tempfile.mkstemp puts between our prefix and suffix
_STALE_SECONDS = 60   # a temp file untouched this long belongs to a save that was killed, not to one running


def _remove_stale_temps(folder, prefix):
    """Delete what killed saves to the same target left behind: hidden files named exactly like our temp files
    (".NAME.<8 random chars>.tmp") that nobody has written to for a minute. Each can be as big as a checkpoint."""
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if (name.startswith(prefix) and name.endswith(_TMP_SUFFIX)
                and len(name) == len(prefix) + _TMP_RANDOM + len(_TMP_SUFFIX)):
            try:
                if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime > _STALE_SECONDS:
                    os.unlink(entry.path)
            except OSError:
                pass  # another process removed or replaced it first


_LEAF_TYPES = (Tensor, bool, int, float, np.generic) + backend.ARRAY_TYPES
_JSON_LEAVES = (bool, int, float, str, type(None))


def _is_flat(obj):
    """A plain {str: Tensor, array or number}: written as bare safetensors, loaded as {name: Tensor}."""
    return hasattr(obj, "items") and all(isinstance(k, str) and isinstance(v, _LEAF_TYPES)
                                         for k, v in obj.items())


def _flatten(obj, path, arrays, inside):
    """The JSON tree of ``obj``; each Tensor or array goes into ``arrays`` under its dotted path."""
    where = ".".join(path) or "the saved object"
    if isinstance(obj, (Tensor,) + backend.ARRAY_TYPES + (np.generic,)):
        name = ".".join(path) or "tensor"
        if name in arrays or name == "__metadata__":
            raise TypeError(f"save: two values are stored under the name {name!r}; rename a key")
        arrays[name] = _as_cpu_array(name, obj)
        return {"tensor" if isinstance(obj, Tensor) else "scalar" if isinstance(obj, np.generic) else "array": name}
    if isinstance(obj, _JSON_LEAVES):
        return {"value": obj}
    if not isinstance(obj, (dict, list, tuple)):
        raise TypeError(f"save: {where!r} is a {type(obj).__name__}; a saved value must be a Tensor, an array, a "
                        "number, a string, None, or a dict, list or tuple of those")
    if id(obj) in inside:
        raise ValueError(f"save: {where!r} contains itself")
    inside = inside | {id(obj)}
    if isinstance(obj, dict):
        for k in obj:
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise TypeError(f"save: key {k!r} of {where!r} is a {type(k).__name__}; keys must be strings or ints")
        return {"dict": [[k, _flatten(v, path + [str(k)], arrays, inside)] for k, v in obj.items()]}
    kind = "list" if isinstance(obj, list) else "tuple"
    return {kind: [_flatten(v, path + [str(i)], arrays, inside) for i, v in enumerate(obj)]}


def _unflatten(node, tensors, path):
    """Rebuild what ``_flatten`` described, from the loaded {name: Tensor}."""
    if not (isinstance(node, dict) and len(node) == 1):
        raise CheckpointError(f"load: {path} is corrupt: a malformed entry in its {_TREE_KEY} metadata")
    (kind, value), = node.items()
    if kind in ("tensor", "array", "scalar"):
        if value not in tensors:
            raise CheckpointError(f"load: {path} is corrupt: its structure names tensor {value!r}, which it lacks")
        t = tensors[value]
        return t if kind == "tensor" else t._data if kind == "array" else t._data[()]
    if kind == "value":
        return value
    if kind == "dict" and isinstance(value, list) and all(isinstance(kv, list) and len(kv) == 2 for kv in value):
        return {k: _unflatten(v, tensors, path) for k, v in value}
    if kind in ("list", "tuple") and isinstance(value, list):
        items = [_unflatten(v, tensors, path) for v in value]
        return items if kind == "list" else tuple(items)
    raise CheckpointError(f"load: {path} is corrupt: a malformed entry in its {_TREE_KEY} metadata")


def save(state_dict, path, metadata=None):
    """Write ``state_dict`` to ``path`` as safetensors, atomically: {name: Tensor or array}, or a nested dict/list
    (an optimizer's ``state_dict()``, say) of Tensors, arrays, numbers, strings and None. ``metadata``: an optional
    {str: str}. Everything is checked before the file is touched."""
    metadata = dict(metadata or {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError("save: metadata must map strings to strings")
    if _TREE_KEY in metadata or _CRC_KEY in metadata:
        raise ValueError(f"save: metadata keys {_TREE_KEY!r} and {_CRC_KEY!r} are reserved")
    if _is_flat(state_dict):
        arrays = []
        for name, value in state_dict.items():
            if name == "__metadata__":
                raise TypeError("save: tensor names must be strings other than '__metadata__'")
            arrays.append((name, _as_cpu_array(name, value)))
    else:
        named = {}
        metadata[_TREE_KEY] = json.dumps(_flatten(state_dict, [], named, frozenset()), separators=(",", ":"))
        arrays = list(named.items())
    header, offset, crc = {}, 0, 0
    for name, a in arrays:
        header[name] = {"dtype": _CODES[a.dtype.newbyteorder("=")], "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        crc = zlib.crc32(a.reshape(-1).view(np.uint8), crc)
    metadata[_CRC_KEY] = f"{crc:08x}"
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # pad so the data starts 8-byte aligned, as the safetensors package does

    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    prefix = "." + os.path.basename(path) + "."
    _remove_stale_temps(folder, prefix)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=_TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for _, a in arrays:
                f.write(a.reshape(-1).view(np.uint8))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never a mix
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder):
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _read(path):
    """The file's bytes, its parsed header (tensor entries only), its metadata and where the data starts."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise CheckpointError(f"load: {path} is {len(raw)} bytes long, too short to be a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > min(len(raw) - 8, _MAX_HEADER):
        raise CheckpointError(f"load: {path} is not a safetensors file or is truncated: its first 8 bytes announce "
                              f"a header of {n} bytes, but the file has {len(raw) - 8} bytes after them")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"load: {path} is not a safetensors file or is corrupt: its header is not valid "
                              f"JSON ({e})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"load: {path} is not a safetensors file: its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    return raw, header, metadata, 8 + n


def _check_entry(path, name, info, data_size):
    """The dtype, shape and byte range of one tensor, after checking that they fit together and in the file."""
    if not (isinstance(info, dict) and (info.get("dtype") in _DTYPES or info.get("dtype") == "BF16")):
        raise CheckpointError(f"load: {path}: tensor {name!r} has an unknown dtype or a malformed entry: {info!r}")
    shape, offsets = info.get("shape"), info.get("data_offsets")
    if not (isinstance(shape, list) and all(isinstance(s, int) and s >= 0 for s in shape)
            and isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)
            and 0 <= offsets[0] <= offsets[1]):
        raise CheckpointError(f"load: {path}: tensor {name!r} has a malformed shape or data_offsets: {info!r}")
    itemsize = 2 if info["dtype"] == "BF16" else np.dtype(_DTYPES[info["dtype"]]).itemsize
    need = math.prod(shape) * itemsize
    if offsets[1] - offsets[0] != need:
        raise CheckpointError(f"load: {path}: tensor {name!r} ({info['dtype']}, shape {shape}) needs {need} bytes "
                              f"but its data_offsets {offsets} cover {offsets[1] - offsets[0]}")
    if offsets[1] > data_size:
        raise CheckpointError(f"load: {path} is truncated: tensor {name!r} lies at bytes {offsets} of the data, "
                              f"but the file holds only {data_size} bytes of data")
    return info["dtype"], tuple(shape), offsets


def load(path, device="cpu"):
    """Read a safetensors file into an ordered {name: Tensor} on ``device`` (file order), or, for a nested save, the
    same dicts and lists (Tensors come back as Tensors, arrays as arrays, numbers as numbers). Raises
    ``CheckpointError`` naming the problem for a file that is not safetensors, truncated or corrupt."""
    device = check_device(device)
    raw, header, metadata, start = _read(path)
    data_size = len(raw) - start
    entries = {name: _check_entry(path, name, info, data_size) for name, info in header.items()}
    spans = sorted(e[2] for e in entries.values())
    end = 0
    for begin, stop in spans:
        if begin != end:
            raise CheckpointError(f"load: {path} is corrupt: tensor data overlaps or has a gap at byte {end}")
        end = stop
    if end != data_size:
        raise CheckpointError(f"load: {path} is corrupt: its tensors cover {end} bytes of data but the file holds "
                              f"{data_size}")
    crc = metadata.get(_CRC_KEY)
    if crc is not None and f"{zlib.crc32(memoryview(raw)[start:]):08x}" != crc:
        raise CheckpointError(f"load: {path} is corrupt: the checksum of its tensor data does not match")
    out = {}
    for name, (code, shape, (begin, _stop)) in entries.items():
        if code == "BF16":  # bfloat16 is the top half of a float32
            bits = np.frombuffer(raw, "<u2", math.prod(shape), start + begin).astype(np.uint32) << 16
            arr = bits.view(np.float32).reshape(shape)
        else:
            dtype = np.dtype(_DTYPES[code])
            arr = np.frombuffer(raw, dtype, math.prod(shape), start + begin).reshape(shape)
            arr = arr.astype(dtype.newbyteorder("="), copy=True)  # writable, native byte order, not tied to raw
        out[name] = Tensor(to_device(arr, device))
    if _TREE_KEY not in metadata:
        return out
    try:
        tree = json.loads(metadata[_TREE_KEY])
    except (TypeError, json.JSONDecodeError):
        raise CheckpointError(f"load: {path} is corrupt: its {_TREE_KEY} metadata is not valid JSON") from None
    return _unflatten(tree, out, os.fspath(path))


def load_metadata(path):
    """The {str: str} metadata stored with ``save(..., metadata=...)`` (without the checksum)."""
    _, _, metadata, _ = _read(path)
    return {k: v for k, v in metadata.items() if k not in (_CRC_KEY, _TREE_KEY)}
