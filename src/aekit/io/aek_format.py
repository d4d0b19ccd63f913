"""The ``.aek`` container: compressed images and what is needed to trust them.

Layout, format version 1 (all integers little-endian)::

    offset  size  field
         0     8  magic  89 41 45 4B 0D 0A 1A 0A  ("\\x89AEK\\r\\n\\x1a\\n", PNG-style: catches
                  7-bit and newline-translating transfers)
         8     2  format version (uint16) = 1
        10     2  flags (uint16) = 0, reserved
        12    32  SHA-256 of the model that wrote the file (raw digest)
        44     1  dtype of the images: 1 = uint8 (0-255), 2 = float32, 3 = float64 ([0, 1])
        45     1  rank of the array that was compressed: 3 = (N, H, W) (C = 1, no channel
                  axis), 4 = (N, C, H, W); 0 = not recorded (files written before the
                  byte was used, when it was reserved = 0: decoders use the rank the
                  model was fitted on). Readers that predate it ignore it, so the
                  format version stays 1.
        46     2  channels C (uint16)
        48     4  height H (uint32)
        52     4  width W (uint32)
        56     8  image count N (uint64)
        64     8  payload size P in bytes (uint64): everything after the header
        72     4  CRC-32 of the payload
        76     4  CRC-32 of bytes 0-75
        80     P  payload: N records, each an unsigned LEB128 length then that many bytes

A record is one image's range-coded stream (:mod:`aekit.io.entropy`): for a model with
the factorized prior its latents, channel by channel; for a hyperprior model its side
information ``z`` and then its latents grouped by scale rung. The model named by the
SHA-256 fixes which, so both share format version 1. A record's length may be zero.
The file holds only integers and opaque bytes: nothing is executed or unpickled.

Writing streams: :class:`AekWriter` writes a placeholder header, appends records as they
come, then goes back and fills in N, P and both checksums; :func:`open_aek` does so into a
temp file renamed onto the target only when all went well. Reading checks, in order,
the magic, the version, the header checksum, the length, the payload checksum and the
records, and refuses any failure with :class:`~aekit.errors.DataFileError`;
:func:`check_model` refuses a file written by another model with
:class:`~aekit.errors.InputError` naming both digests.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from aekit.data.files import atomic_path
from aekit.data.limits import check_input_size
from aekit.errors import DataFileError, InputError

MAGIC = b"\x89AEK\r\n\x1a\n"
FORMAT_VERSION = 1
SUFFIX = ".aek"
_HEADER = struct.Struct("<8sHH32sBBHIIQQI")  # everything up to the header checksum
HEADER_SIZE = _HEADER.size + 4
DTYPES: dict[int, str] = {1: "uint8", 2: "float32", 3: "float64"}
_DTYPE_CODES = {v: k for k, v in DTYPES.items()}


@dataclass(frozen=True)
class AekHeader:
    """What an ``.aek`` header says (see the module docstring for the bytes)."""

    model_sha256: str
    dtype: str
    shape: tuple[int, int, int]  # (C, H, W) of every image
    count: int
    ndim: int = 0  # 3: compressed as (N, H, W); 4: as (N, C, H, W); 0: not recorded
    version: int = FORMAT_VERSION


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


class AekWriter:
    """Stream images' records into a seekable binary file, then finish its header.

    Parameters
    ----------
    f : binary file object
        Open for writing and seekable, positioned at its start.
    model_sha256 : str
        Hex digest of the model that encodes the records.
    dtype : {"uint8", "float32", "float64"}
        The images' dtype, restored on decoding.
    shape : tuple of int
        ``(C, H, W)`` of every image.
    ndim : {3, 4}, default=4
        The rank of the array the images came in: 3 for ``(N, H, W)`` (then C must be 1),
        4 for ``(N, C, H, W)``; decoders give back the same rank.
    """

    def __init__(self, f: BinaryIO, *, model_sha256: str, dtype: str, shape: tuple[int, int, int],
                 ndim: int = 4) -> None:
        if dtype not in _DTYPE_CODES:
            raise InputError(f".aek files store images of dtype {', '.join(_DTYPE_CODES)}, not {dtype!r}.")
        digest = bytes.fromhex(model_sha256)
        if len(digest) != 32:
            raise InputError(f"model_sha256 must be 64 hex digits, got {model_sha256!r}.")
        c, h, w = (int(v) for v in shape)
        if not (0 < c < 2**16 and 0 < h < 2**32 and 0 < w < 2**32):
            raise InputError(f"image shape {shape} does not fit an .aek header (C < 65536, H and W < 2**32).")
        if ndim not in (3, 4) or (ndim == 3 and c != 1):
            raise InputError(f"ndim must be 4, or 3 for single-channel images given as (N, H, W); got ndim={ndim!r} "
                             f"for images of shape {shape}.")
        self._f, self._digest, self._dtype, self._shape = f, digest, _DTYPE_CODES[dtype], (c, h, w)
        self._ndim = int(ndim)
        self.count = 0
        self._size = 0
        self._crc = 0
        f.write(b"\0" * HEADER_SIZE)

    def write(self, record: bytes) -> None:
        """Append one image's record."""
        chunk = _varint(len(record)) + bytes(record)
        self._f.write(chunk)
        self._crc = zlib.crc32(chunk, self._crc)
        self._size += len(chunk)
        self.count += 1

    def finish(self) -> None:
        """Write the final header (count, sizes, checksums) at the start of the file."""
        c, h, w = self._shape
        head = _HEADER.pack(MAGIC, FORMAT_VERSION, 0, self._digest, self._dtype, self._ndim, c, h, w, self.count,
                            self._size, self._crc)
        end = self._f.tell()
        self._f.seek(0)
        self._f.write(head + struct.pack("<I", zlib.crc32(head)))
        self._f.seek(end)


@contextmanager
def open_aek(path: str | Path, *, model_sha256: str, dtype: str, shape: tuple[int, int, int],
             ndim: int = 4) -> Iterator[AekWriter]:
    """Write an ``.aek`` file record by record, atomically.

    The file appears at ``path`` complete, when the block ends without an exception;
    otherwise the old file (if any) stays and the temp file is removed.

    Examples
    --------
    >>> with open_aek("x.aek", model_sha256=sha, dtype="uint8", shape=(1, 28, 28)) as out:  # doctest: +SKIP
    ...     for record in records:
    ...         out.write(record)
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        writer = AekWriter(f, model_sha256=model_sha256, dtype=dtype, shape=shape, ndim=ndim)
        yield writer
        writer.finish()


def _corrupt(what: str, problem: str) -> DataFileError:
    return DataFileError(f"{what} is not a readable .aek file: {problem}. It was truncated or corrupted in "
                         "storage or transfer; compress the images again or fetch an intact copy.")


def read_header(data: bytes, what: str = "the data") -> AekHeader:
    """Parse and check the header of ``.aek`` bytes (not the payload).

    Raises
    ------
    aekit.errors.DataFileError
        Not an ``.aek`` file, a newer format version, or a damaged header.
    """
    if len(data) < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        if len(data) < len(MAGIC) and MAGIC.startswith(data):
            raise _corrupt(what, f"only {len(data)} bytes, cut inside the magic number")
        raise DataFileError(f"{what} is not an .aek file (it does not start with the .aek magic bytes "
                            f"{MAGIC!r}, but with {bytes(data[:8])!r}).")
    if len(data) < 10:
        raise _corrupt(what, f"only {len(data)} bytes, cut before the format version")
    version = struct.unpack_from("<H", data, 8)[0]
    if version != FORMAT_VERSION:
        raise DataFileError(f"{what} is an .aek file of format version {version}; this aekit reads version "
                            f"{FORMAT_VERSION} only. {'Upgrade aekit to read it.' if version > FORMAT_VERSION else ''}"
                            .rstrip())
    if len(data) < HEADER_SIZE:
        raise _corrupt(what, f"only {len(data)} bytes, shorter than the {HEADER_SIZE}-byte header")
    head = bytes(data[: _HEADER.size])
    (stored_crc,) = struct.unpack_from("<I", data, _HEADER.size)
    if zlib.crc32(head) != stored_crc:
        raise _corrupt(what, "its header fails its CRC-32 checksum")
    _, _, _, digest, dtype, ndim, c, h, w, count, size, _ = _HEADER.unpack(head)
    if dtype not in DTYPES or c == 0 or h == 0 or w == 0 or ndim not in (0, 3, 4) or (ndim == 3 and c != 1):
        raise _corrupt(what, f"its header holds dtype code {dtype}, rank {ndim} and shape {(c, h, w)}")
    # A forged header (its CRC recomputed) may declare 2**32-pixel sides; the decoder would
    # allocate them before noticing, so the decoded size is bounded like any other input's.
    check_input_size(count * c * h * w * 4, what=f"{what} ({count} images of {c}x{h}x{w}, as float32)")
    return AekHeader(model_sha256=digest.hex(), dtype=DTYPES[dtype], shape=(c, h, w), count=count, ndim=ndim)


def read_aek(source: bytes | str | Path) -> tuple[AekHeader, list[bytes]]:
    """The header and the per-image records of an ``.aek`` file or its bytes.

    Raises
    ------
    aekit.errors.DataFileError
        A missing file, not an ``.aek`` file, a newer format version, a truncated or
        lengthened file, or a checksum failure.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, what = bytes(source), "the data"
    else:
        path = Path(source)
        if not path.is_file():
            raise DataFileError(f"no .aek file at {path}.")
        data, what = path.read_bytes(), str(path)
    header = read_header(data, what)
    _, _, _, _, _, _, _, _, _, _, size, crc = _HEADER.unpack_from(data)
    payload = memoryview(data)[HEADER_SIZE:]
    if len(payload) != size:
        cut = "truncated" if len(payload) < size else "followed by extra bytes"
        raise _corrupt(what, f"its payload is {len(payload)} bytes, the header says {size} ({cut})")
    if zlib.crc32(payload) != crc:
        raise _corrupt(what, "its payload fails its CRC-32 checksum")
    records: list[bytes] = []
    pos = 0
    for i in range(header.count):
        n, shift = 0, 0
        while True:
            if pos >= size or shift > 35:
                raise _corrupt(what, f"record {i} of {header.count} has no valid length")
            byte = payload[pos]
            pos += 1
            n |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if pos + n > size:
            raise _corrupt(what, f"record {i} of {header.count} runs past the end of the payload")
        records.append(bytes(payload[pos: pos + n]))
        pos += n
    if pos != size:
        raise _corrupt(what, f"{size - pos} bytes follow the last of its {header.count} records")
    return header, records


def check_model(header: AekHeader, model_sha256: str, what: str = "the data") -> None:
    """Refuse a file written by another model than the one holding ``model_sha256``.

    Raises
    ------
    aekit.errors.InputError
        Naming both digests.
    """
    if header.model_sha256 != model_sha256:
        raise InputError(f"{what} was compressed by the model with SHA-256 {header.model_sha256}, but this model's "
                         f"SHA-256 is {model_sha256}; a different model cannot decode it. Load the model that "
                         "wrote the file.")


def model_sha256(config: dict, tensors: dict) -> str:
    """A model's identity: SHA-256 over its JSON config and every tensor's name, dtype, shape and bytes.

    ``tensors`` maps names to objects with ``.numpy()`` (torch tensors) or arrays.
    """
    h = hashlib.sha256(json.dumps(config, sort_keys=True, separators=(",", ":")).encode())
    for name in sorted(tensors):
        t = tensors[name]
        a = np.ascontiguousarray(t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t))
        h.update(f"\n{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()
