"""Builders of hostile files, generated at test time (nothing big is committed)."""

from __future__ import annotations

import gzip
import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np


class Evil:
    """Pickles to a call that creates ``marker``: if any loader unpickles, the marker appears."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.marker, "w"))


def npy_bytes(header: str, data: bytes = b"", version: tuple[int, int] = (1, 0)) -> bytes:
    """An .npy file with a hand-written header dict (padded to 64 bytes as numpy does)."""
    body = header.encode("latin1")
    size_fmt = "<H" if version[0] == 1 else "<I"
    pre = 8 + struct.calcsize(size_fmt)
    pad = (64 - (pre + len(body) + 1) % 64) % 64
    body = body + b" " * pad + b"\n"
    return b"\x93NUMPY" + bytes(version) + struct.pack(size_fmt, len(body)) + body + data


def npy_of(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    dt = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    head = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return head + np.ascontiguousarray(array, dtype=dt).tobytes()


def gzip_bomb(path: Path, declared: int, *, head: bytes = b"") -> Path:
    """A gzip file that expands to ``head`` then ``declared`` zero bytes (compressed ~1000x)."""
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as gz:
        gz.write(head)
        block = bytes(1 << 22)
        left = declared
        while left > 0:
            gz.write(block[: min(left, len(block))])
            left -= len(block)
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int, *, bit_depth: int = 8, color: int = 0) -> bytes:
    """A PNG that declares ``width`` x ``height`` with a tiny (truncated) image stream."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + _chunk(b"IEND", b""))


def json_nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def write_json(path: Path, obj: object) -> Path:
    path.write_text(json.dumps(obj))
    return path
