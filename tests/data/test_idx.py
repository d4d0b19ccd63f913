import gzip
from pathlib import Path

import numpy as np
import pytest

from aekit.data.idx import read_idx, write_idx
from aekit.errors import DataFileError, InputError

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["a-idx3-ubyte", "a-idx3-ubyte.gz"])
def test_round_trip(tmp_path: Path, rng: np.random.Generator, dtype: type, name: str) -> None:
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else np.finfo(dtype)
    a = rng.uniform(max(info.min, -1e6), min(info.max, 1e6), size=(3, 4, 5)).astype(dtype)
    write_idx(tmp_path / name, a)
    b = read_idx(tmp_path / name)
    assert b.dtype == np.dtype(dtype) and b.shape == (3, 4, 5)
    np.testing.assert_array_equal(a, b)
    assert (tmp_path / name).read_bytes()[:2] == (b"\x1f\x8b" if name.endswith(".gz") else b"\x00\x00")


def test_header_is_big_endian_as_specified(tmp_path: Path) -> None:
    write_idx(tmp_path / "x.idx", np.array([[1, 2, 3]], dtype=np.int16))
    raw = (tmp_path / "x.idx").read_bytes()
    assert raw == bytes([0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 1, 0, 2, 0, 3])


def test_gzip_detected_by_content_not_name(tmp_path: Path) -> None:
    write_idx(tmp_path / "x.gz", np.arange(6, dtype=np.uint8))
    (tmp_path / "x.gz").rename(tmp_path / "plain-name")
    np.testing.assert_array_equal(read_idx(tmp_path / "plain-name"), np.arange(6))


def test_one_dimensional_and_empty(tmp_path: Path) -> None:
    write_idx(tmp_path / "labels.idx", np.array([7, 2, 1], dtype=np.uint8))
    np.testing.assert_array_equal(read_idx(tmp_path / "labels.idx"), [7, 2, 1])
    write_idx(tmp_path / "empty.idx", np.zeros((0, 2), dtype=np.float32))
    assert read_idx(tmp_path / "empty.idx").shape == (0, 2)


def _idx(code: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    return bytes([0, 0, code, len(dims)]) + np.asarray(dims, ">u4").tobytes() + payload


@pytest.mark.parametrize("raw, message", [
    (b"\x01\x02\x08\x01\x00\x00\x00\x01\x05", r"starts with bytes 01 02.*00 00"),
    (b"<!DOCTYPE html><html>", r"web page"),
    (_idx(0x0A, (2,), b"\x00\x00"), r"unknown IDX dtype code 0x0A.*0x08 uint8"),
    (_idx(0x08, (), b""), r"0 dimensions"),
    (b"\x00\x00\x08\x02\x00\x00\x00\x02", r"truncated inside its header"),
    (_idx(0x08, (10, 28, 28), b"\x00" * 100), r"truncated.*needs 7840 payload bytes.*got 100.*[Rr]e-download"),
    (_idx(0x0C, (3,), b"\x00" * 13), r"1 trailing bytes after the 12 payload bytes"),
    (b"\x00", r"too short"),
], ids=["magic", "html", "dtype", "ndim0", "header", "truncated", "trailing", "short"])
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_malformed_files_name_the_problem(tmp_path: Path, raw: bytes, message: str, compress: bool) -> None:
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    with pytest.raises(DataFileError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_says_redownload(tmp_path: Path) -> None:
    write_idx(tmp_path / "x.gz", np.random.default_rng(0).integers(0, 255, (50, 28, 28), dtype=np.uint8))
    data = (tmp_path / "x.gz").read_bytes()
    (tmp_path / "x.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFileError, match=r"truncated.*re-download"):
        read_idx(tmp_path / "x.gz")


def test_corrupt_gzip(tmp_path: Path) -> None:
    write_idx(tmp_path / "x.gz", np.zeros((20, 28, 28), dtype=np.uint8))
    data = bytearray((tmp_path / "x.gz").read_bytes())
    data[-8] ^= 0xFF  # the CRC32 of the stream
    (tmp_path / "x.gz").write_bytes(bytes(data))
    with pytest.raises(DataFileError, match=r"corrupt gzip.*re-download"):
        read_idx(tmp_path / "x.gz")
    (tmp_path / "y.gz").write_bytes(b"\x1f\x8b" + b"garbage" * 10)
    with pytest.raises(DataFileError, match="corrupt gzip"):
        read_idx(tmp_path / "y.gz")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        read_idx(tmp_path / "nope.idx")


@pytest.mark.parametrize("array, message", [
    (np.zeros(3, dtype=np.int64), r"cannot store dtype int64.*astype"),
    (np.zeros(3, dtype=bool), r"cannot store dtype bool"),
    (np.float32(1.0), r"1 to 255 dimensions"),
])
def test_write_refuses_what_idx_cannot_hold(tmp_path: Path, array: np.ndarray, message: str) -> None:
    with pytest.raises(InputError, match=message):
        write_idx(tmp_path / "x.idx", array)
    assert list(tmp_path.iterdir()) == []


def test_write_failure_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(gzip.GzipFile, "write", broken)
    with pytest.raises(OSError, match="disk full"):
        write_idx(tmp_path / "x.gz", np.zeros(3, dtype=np.uint8))
    assert list(tmp_path.iterdir()) == []
