"""``.aek`` compressed files, cut, flipped and forged (checksums recomputed so that the checks
behind them are reached), met by ``ImageCompressor.decompress`` and ``aekit decompress``."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import aekit

HEADER = struct.Struct("<8sHH32sBBHIIQQI")  # the .aek header up to its own CRC (aekit/io/aek_format.py)
FIELDS = ("magic", "version", "flags", "digest", "dtype", "ndim", "c", "h", "w", "count", "size", "payload_crc")
AEK_WORDS = r"\.aek|header|checksum|CRC|truncat|corrupt|record|payload|version|model|SHA-256|shape|channel|size|limit"


@pytest.fixture(scope="module")
def aek(material: dict[str, Path]) -> dict[str, Any]:
    comp = aekit.load(material["comp"])
    data = material["aek"].read_bytes()
    return {"comp": comp, "data": data, "images": comp.decompress(data)}


def parse(data: bytes) -> tuple[dict[str, Any], bytes]:
    values = HEADER.unpack_from(data)
    return dict(zip(FIELDS, values)), data[HEADER.size + 4:]


def forge(fields: dict[str, Any], payload: bytes, *, fix_size: bool = True, fix_crc: bool = True) -> bytes:
    """Bytes of an .aek file with both CRCs (and the payload size) made to match, as a forger would."""
    f = dict(fields)
    if fix_size:
        f["size"] = len(payload)
    if fix_crc:
        f["payload_crc"] = zlib.crc32(payload)
    head = HEADER.pack(*(f[k] for k in FIELDS))
    return head + struct.pack("<I", zlib.crc32(head)) + payload


def edit_field(name: str, value: Any) -> Callable[[bytes], bytes]:
    def build(data: bytes) -> bytes:
        fields, payload = parse(data)
        fields[name] = value
        return forge(fields, payload, fix_size=name != "size", fix_crc=name != "payload_crc")
    return build


def edit_payload(fn: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    def build(data: bytes) -> bytes:
        fields, payload = parse(data)
        return forge(fields, fn(payload))
    return build


def _records(payload: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(payload):
        n, shift = 0, 0
        while True:
            b = payload[pos]
            pos += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        out.append(payload[pos:pos + n])
        pos += n
    return out


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _join(records: list[bytes]) -> bytes:
    return b"".join(_varint(len(r)) + r for r in records)


def _garbage_records(payload: bytes) -> bytes:
    rng = np.random.default_rng(0)
    return _join([bytes(rng.integers(0, 256, len(r), dtype=np.uint8)) for r in _records(payload)])


def same_shape(ref: dict[str, Any]) -> Callable[[Any], bool]:
    """A forged but well-formed file can only be checked for shape and dtype (its CRCs match)."""
    def check(x: Any) -> bool:
        assert x.shape == ref["images"].shape and x.dtype == ref["images"].dtype, f"{x.shape} {x.dtype}"
        return True
    return check


def same_images(ref: dict[str, Any]) -> Callable[[Any], bool]:
    def check(x: Any) -> bool:
        assert x.shape == ref["images"].shape and np.array_equal(x, ref["images"]), "images differ"
        return True
    return check


CASES: dict[str, tuple[Callable[[bytes], bytes], str | None]] = {  # id -> (edit, "same" | "shape" | None)
    **{f"truncated_at_{n}": ((lambda n: lambda d: d[:n])(n), None) for n in (0, 1, 7, 8, 9, 10, 12, 44, 46, 64, 75,
                                                                            76, 79, 80, 81)},
    "truncated_last_byte": (lambda d: d[:-1], None),
    "extra_byte": (lambda d: d + b"\0", None),
    "png_magic": (lambda d: b"\x89PNG\r\n\x1a\n" + d[8:], None),
    "zip_file": (lambda d: b"PK\x03\x04" + d[4:], None),
    "text_file": (lambda d: b"hello world, not an aek file", None),
    "version_0": (edit_field("version", 0), None),
    "version_2": (edit_field("version", 2), None),
    "version_65535": (edit_field("version", 65535), None),
    "flags_set": (edit_field("flags", 1), "same"),
    "other_model": (edit_field("digest", bytes(32)), None),
    "dtype_0": (edit_field("dtype", 0), None),
    "dtype_4": (edit_field("dtype", 4), None),
    "dtype_255": (edit_field("dtype", 255), None),
    "dtype_float32": (edit_field("dtype", 2), "float"),
    "ndim_7": (edit_field("ndim", 7), None),
    "channels_0": (edit_field("c", 0), None),
    "channels_3": (edit_field("c", 3), None),
    "channels_65535": (edit_field("c", 65535), None),
    "height_0": (edit_field("h", 0), None),
    "height_16": (edit_field("h", 16), "16x8"),
    "height_2pow32": (edit_field("h", 2**32 - 1), None),
    "width_2pow32": (edit_field("w", 2**32 - 1), None),
    "both_sides_65536": (lambda d: edit_field("w", 65536)(edit_field("h", 65536)(d)), None),
    "count_0": (edit_field("count", 0), None),
    "count_plus_1": (lambda d: edit_field("count", parse(d)[0]["count"] + 1)(d), None),
    "count_minus_1": (lambda d: edit_field("count", parse(d)[0]["count"] - 1)(d), None),
    "count_2pow63": (edit_field("count", 2**63), None),
    "size_huge": (edit_field("size", 2**63), None),
    "size_0": (edit_field("size", 0), None),
    "payload_crc_wrong": (edit_field("payload_crc", 0), None),
    "header_crc_wrong": (lambda d: d[:76] + bytes(4) + d[80:], None),
    "varint_never_ends": (edit_payload(lambda p: b"\xff" * 12 + p), None),
    "record_runs_past_end": (edit_payload(lambda p: _varint(10**6) + p), None),
    "trailing_payload_bytes": (edit_payload(lambda p: p + b"\0\0\0"), None),
    "empty_records": (edit_payload(lambda p: _join([b""] * len(_records(p)))), "shape"),
    "garbage_records": (edit_payload(_garbage_records), "shape"),
    "records_reversed": (edit_payload(lambda p: _join(_records(p)[::-1])), "shape"),
    "one_record_doubled": (edit_payload(lambda p: _join([r + r for r in _records(p)])), "shape"),
    **{f"bit_flip_at_{int(f * 100)}pct": ((lambda f: lambda d: d[:int(len(d) * f)] + bytes([d[int(len(d) * f)] ^ 0x10])
                                           + d[int(len(d) * f) + 1:])(f), None) for f in (0.05, 0.2, 0.4, 0.6, 0.8, 0.99)},
}


def _check(ref: dict[str, Any], kind: str | None) -> Callable[[Any], bool] | None:
    if kind == "same":
        return same_images(ref)
    if kind == "shape":
        return same_shape(ref)
    if kind == "16x8":  # what the forged header declares; the records cannot tell
        return lambda x: x.shape[0] == len(ref["images"]) and x.shape[-2:] == (16, 8)
    if kind == "float":
        return lambda x: x.shape == ref["images"].shape and x.dtype == np.float32 and float(x.min()) >= 0 \
            and float(x.max()) <= 1
    return None


@pytest.mark.parametrize("name", list(CASES))
def test_decompress_api(trust, aek, tmp_path: Path, name: str) -> None:
    edit, kind = CASES[name]
    path = tmp_path / "x.aek"
    path.write_bytes(edit(aek["data"]))
    trust.isolated(".aek files (API)", lambda t: t.api(
        ".aek files (API)", lambda: aek["comp"].decompress(path), expect=AEK_WORDS, check=_check(aek, kind),
        valid=kind == "same", timeout=30))


CLI_CASES = ["truncated_at_0", "truncated_at_44", "truncated_last_byte", "png_magic", "version_2", "other_model",
             "channels_3", "height_2pow32", "count_2pow63", "payload_crc_wrong", "varint_never_ends",
             "record_runs_past_end", "bit_flip_at_40pct", "garbage_records"]


@pytest.mark.parametrize("name", CLI_CASES)
def test_decompress_cli(trust, material, aek, tmp_path: Path, name: str) -> None:
    edit, kind = CASES[name]
    path = tmp_path / "x.aek"
    path.write_bytes(edit(aek["data"]))
    out = tmp_path / "decoded"
    check = (lambda r: len(list(out.glob("*.png"))) == len(aek["images"])) if kind == "shape" else None
    trust.isolated(".aek files (aekit decompress)", lambda t: t.cli(
        ".aek files (aekit decompress)", ["decompress", path, "--model", material["comp"], "--out", out],
        expect=AEK_WORDS, check=check, timeout=60))
    if kind is None:
        assert not out.exists() or not any(out.iterdir()), "images written from a refused file"


def test_decompress_a_folder_named_aek(trust, material, tmp_path: Path) -> None:
    (tmp_path / "x.aek").mkdir()
    trust.cli(".aek files (aekit decompress)", ["decompress", tmp_path / "x.aek", "--model", material["comp"]],
              expect=r"x\.aek|directory|file")


def test_decompress_with_a_dense_model(trust, material, tmp_path: Path) -> None:
    trust.cli(".aek files (aekit decompress)", ["decompress", material["aek"], "--model", material["run"],
                                                "--out", tmp_path / "d"], expect=r"ImageCompressor|compressor")
