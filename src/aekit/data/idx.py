"""IDX files (the MNIST format), raw or gzip-compressed.

Layout: two zero bytes, a dtype code, the number of dimensions, one big-endian uint32
per dimension, then the values, big-endian, row-major. Gzip is recognised by its magic
bytes (``1f 8b``), not by the file name.
"""

from __future__ import annotations

import gzip
import os
import sys
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.typing import ArrayLike

from aekit.data.files import atomic_path, file_kind
from aekit.data.limits import check_input_size
from aekit.errors import DataFileError, InputError

#: IDX dtype code -> big-endian NumPy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {(dt.kind, dt.itemsize): code for code, dt in IDX_DTYPES.items()}
_CODE_NAMES = "0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64"
_GZIP_MAGIC = b"\x1f\x8b"
_MAX_DIMS = 32  # NumPy 1.x holds at most 32 axes (2.x: 64); MNIST files have 1 to 3


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file into a NumPy array, checking every header field and the length.

    Parameters
    ----------
    path : str or path-like
        An IDX file, raw or gzip-compressed (detected from its first bytes).

    Returns
    -------
    np.ndarray
        The values, shape as declared in the header, native byte order
        (``uint8`` for MNIST images and labels).

    Raises
    ------
    DataFileError
        If the file is missing, not IDX, has an unknown dtype code, is truncated, has
        trailing bytes, is a corrupt gzip stream, or (gzip) declares more data than the
        input limit (:mod:`aekit.data.limits`, ``AEKIT_MAX_INPUT_BYTES``). Sizes are read
        from the header and checked before anything is allocated.

    Examples
    --------
    >>> images = read_idx("mnist/t10k-images-idx3-ubyte.gz")   # doctest: +SKIP
    >>> images.shape, images.dtype                               # doctest: +SKIP
    ((10000, 28, 28), dtype('uint8'))
    """
    path = Path(path)
    kind = file_kind(path)
    if kind == "nothing":
        raise DataFileError(f"IDX file {str(path)!r} does not exist. Check the path.")
    if kind != "a file":
        raise DataFileError(f"IDX file {str(path)!r} is {kind}, not a regular file; aekit reads data only from "
                            "regular files. Check the path.")
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            return _read_stream(raw, path, compressed=False, file_bytes=os.fstat(raw.fileno()).st_size)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as f:
                return _read_stream(f, path, compressed=True)
        except EOFError as exc:
            raise DataFileError(
                f"{path} is a gzip stream that ends early ({exc}); the file is truncated, probably "
                "an interrupted download. Delete it and re-download it."
            ) from exc
        except (gzip.BadGzipFile, zlib.error, OSError) as exc:
            raise DataFileError(
                f"{path} is a corrupt gzip file ({exc}). Delete it and re-download it."
            ) from exc


def _read_exactly(f: BinaryIO, buffer: np.ndarray) -> int:
    """Fill ``buffer`` from ``f``; return how many bytes arrived before end of file."""
    got = 0
    view = memoryview(buffer)
    while got < len(view):
        n = f.readinto(view[got:])  # type: ignore[attr-defined]
        if not n:
            break
        got += n
    return got


def _read_stream(f: BinaryIO, path: Path, *, compressed: bool, file_bytes: int | None = None) -> np.ndarray:
    """The array of one IDX stream; ``file_bytes`` is the size of an uncompressed file, whose
    header may not declare more than it holds."""
    after = " after decompression" if compressed else ""
    head = f.read(4)
    if len(head) < 4:
        raise DataFileError(f"{path} is too short to be an IDX file ({len(head)} bytes{after}). "
                            "Re-download it.")
    if head[:2] != b"\x00\x00":
        looks = " It looks like a web page, not data: the download fetched an error page." \
            if head[:1] == b"<" else ""
        raise DataFileError(
            f"{path} is not an IDX file: it starts with bytes {head[:2].hex(' ')}{after}, "
            f"an IDX file starts with 00 00.{looks} Check that it is the right file, or re-download it."
        )
    code, ndim = head[2], head[3]
    if code not in IDX_DTYPES:
        raise DataFileError(f"{path} has unknown IDX dtype code 0x{code:02X}; valid codes are {_CODE_NAMES}. "
                            "The file is corrupt or not IDX; re-download it.")
    if ndim == 0 or ndim > _MAX_DIMS:
        raise DataFileError(f"{path} declares {ndim} dimensions; an IDX file aekit reads has 1 to {_MAX_DIMS}. "
                            "The file is corrupt; re-download it.")
    dims_raw = f.read(4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise DataFileError(f"{path} is truncated inside its header (declares {ndim} dimensions, "
                            f"{len(dims_raw) // 4} present). Re-download it.")
    dims = tuple(int(d) for d in np.frombuffer(dims_raw, dtype=">u4"))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=object)) * dtype.itemsize
    if file_bytes is not None:
        held = file_bytes - 4 - 4 * ndim
        if expected > held:  # checked before allocating: a header may declare terabytes
            raise DataFileError(
                f"{path} is truncated: shape {dims} of {dtype.newbyteorder('=').name} needs {expected} payload "
                f"bytes, got {max(held, 0)} (checked before reading). Re-download the file.")
    else:
        # what aekit then holds: float32 samples (4 bytes per value, whatever the file's dtype)
        check_input_size(int(np.prod(dims, dtype=object)) * max(dtype.itemsize, 4),
                         what=f"{path} (IDX, shape {dims} of {dtype.newbyteorder('=').name}, as float32)")
    out = np.empty(dims, dtype=dtype.newbyteorder("="))
    got = _read_exactly(f, out.reshape(-1).view(np.uint8))
    if got < expected:
        raise DataFileError(
            f"{path} is truncated: shape {dims} of {dtype.newbyteorder('=').name} needs {expected} "
            f"payload bytes{after}, got {got}. Re-download the file."
        )
    # At most one more block is read: a gzip stream can go on inflating far past its payload.
    extra = len(f.read(1 << 16)) if file_bytes is None else file_bytes - 4 - 4 * ndim - expected
    if extra:
        at_least = "at least " if file_bytes is None and extra == 1 << 16 else ""
        raise DataFileError(
            f"{path} has {at_least}{extra} trailing bytes after the {expected} payload bytes its header "
            f"declares (shape {dims}); it is corrupt or not the file it claims. Re-download it."
        )
    if dtype.itemsize > 1 and sys.byteorder == "little":
        out.byteswap(inplace=True)  # bytes were read big-endian into a native-order array
    return out


def _idx_code(arr: np.ndarray) -> int:
    code = _CODES.get((arr.dtype.kind, arr.dtype.itemsize))
    if code is None:
        raise InputError(
            f"IDX cannot store dtype {arr.dtype}; it holds {_CODE_NAMES}. Convert first, e.g. "
            "array.astype(np.float32) or array.astype(np.int32)."
        )
    return code


def write_idx(path: str | os.PathLike[str], array: ArrayLike) -> None:
    """Write an array as an IDX file, atomically; gzip-compressed when ``path`` ends in ``.gz``.

    Parameters
    ----------
    path : str or path-like
        Destination; ``*.gz`` is compressed (with a zero timestamp, so equal arrays give
        equal files).
    array : array-like
        At least 1-D, of dtype uint8, int8, int16, int32, float32 or float64.

    Raises
    ------
    InputError
        For a 0-d array, more than 255 dimensions, a dimension above 2**32 - 1, or a
        dtype IDX cannot hold.

    Examples
    --------
    >>> write_idx("labels-idx1-ubyte.gz", np.array([3, 1, 4], dtype=np.uint8))   # doctest: +SKIP
    """
    arr = np.asarray(array)
    if arr.ndim == 0 or arr.ndim > 255:
        raise InputError(f"IDX holds arrays with 1 to 255 dimensions; got shape {arr.shape}.")
    if any(d > 0xFFFFFFFF for d in arr.shape):
        raise InputError(f"IDX dimensions must be below 2**32; got shape {arr.shape}.")
    code = _idx_code(arr)
    header = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    payload = np.ascontiguousarray(arr, dtype=IDX_DTYPES[code])
    target = Path(path)
    with atomic_path(target) as tmp:
        if target.name.endswith(".gz"):
            with open(tmp, "wb") as raw, gzip.GzipFile(filename=target.name[:-3], mode="wb",
                                                       fileobj=raw, mtime=0) as f:
                f.write(header)
                f.write(payload.reshape(-1).view(np.uint8))
        else:
            with open(tmp, "wb") as f:
                f.write(header)
                f.write(payload.reshape(-1).view(np.uint8))
