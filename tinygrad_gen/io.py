"""Checkpoints: ``tg.save(state_dict, path)`` and ``tg.load(path)`` in the safetensors format, read and written here.

The format: 8 bytes (little-endian u64) giving the header's length N, then N bytes of JSON
``{name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {str: str}}``, then the raw
little-endian bytes of every tensor, back to back; offsets count from the start of that data. Nothing is pickled,
so loading a file never runs code from it. PyTorch's ``safetensors`` package reads these files and we read its.

A save never leaves a half-written checkpoint behind: it writes a temporary file in the same folder, flushes and
fsyncs it, then renames it over the old one (a rename within one file system is atomic). A crash at any moment
leaves either the old checkpoint or the new one. Files we write carry a CRC-32 of the data in their metadata, so
flipped bits are caught on load too.
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


def save(state_dict, path, metadata=None):
    """Write {name: Tensor or array} to ``path`` as safetensors, atomically. ``metadata``: an optional {str: str}."""
    if not hasattr(state_dict, "items"):
        raise TypeError(f"save: expected a dict of name -> Tensor, got {type(state_dict).__name__}")
    arrays = []
    for name, value in state_dict.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise TypeError(f"save: tensor names must be strings other than '__metadata__', got {name!r}")
        arrays.append((name, _as_cpu_array(name, value)))
    metadata = dict(metadata or {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError("save: metadata must map strings to strings")
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
    """Read a safetensors file into an ordered {name: Tensor} on ``device`` (file order). Raises
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
    return out


def load_metadata(path):
    """The {str: str} metadata stored with ``save(..., metadata=...)`` (without the checksum)."""
    _, _, metadata, _ = _read(path)
    return {k: v for k, v in metadata.items() if k != _CRC_KEY}
