"""The IDX file format of MNIST (and Fashion-MNIST, EMNIST), read with NumPy; ``.gz`` files are read transparently.

Layout: two zero bytes, a type code, the number of dimensions ``n``; then ``n`` big-endian uint32 sizes; then the
data, big-endian, in C order. So a user with MNIST on disk can train the image models on it (``--data PATH``).
"""
import gzip
from pathlib import Path

import numpy as np

# type code -> big-endian NumPy dtype
IDX_DTYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _read_bytes(path):
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"read_idx: no file at {str(path)!r}")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip's magic number, whatever the file is called
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise ValueError(f"read_idx: {str(path)!r} is a damaged gzip file ({e})") from None
    return raw


def read_idx(path):
    """The array stored in the IDX file at ``path`` (gzip or not), in native byte order."""
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"read_idx: {str(path)!r} is not an IDX file (magic number "
                         f"{raw[:4].hex() or 'missing'}; expected 0000 then type code and rank)")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        raise ValueError(f"read_idx: {str(path)!r} has unknown type code 0x{code:02X} "
                         f"(known: {', '.join(f'0x{c:02X}' for c in IDX_DTYPES)})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {str(path)!r} is truncated inside its header ({len(raw)} bytes for {ndim} sizes)")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"read_idx: {str(path)!r} has {len(raw) - header} data bytes but shape {shape} of "
                         f"{dtype.newbyteorder('=').name} needs {expected} (truncated or corrupt)")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(folder, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"mnist: no {stem}[.gz] in {str(folder)!r}")


def mnist(folder):
    """MNIST-format data in ``folder`` (the four standard file names, gzip or not), shaped like ``digits()``:
    ``(x_train, y_train, x_test, y_test)`` with images flattened and scaled to [0, 1] as float32, labels int64."""
    folder = Path(folder)
    out = []
    for split in ("train", "t10k"):
        images = read_idx(_find(folder, f"{split}-images-idx3-ubyte"))
        labels = read_idx(_find(folder, f"{split}-labels-idx1-ubyte"))
        if images.ndim != 3 or labels.shape != images.shape[:1]:
            raise ValueError(f"mnist: {split} images {images.shape} and labels {labels.shape} do not match")
        out += [(images.reshape(len(images), -1) / 255.0).astype(np.float32), labels.astype(np.int64)]
    return tuple(out)
