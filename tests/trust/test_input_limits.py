"""Small files that declare or expand to huge inputs are refused from their headers, before
anything is allocated, with one error naming the limit and AEKIT_MAX_INPUT_BYTES (issue #13)."""

from __future__ import annotations

import gzip
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aekit.cli.main import app
from aekit.data import read_array, read_idx, read_image, read_image_folder
from aekit.data.limits import DEFAULT_MAX_INPUT_BYTES, MAX_INPUT_BYTES_ENV, format_bytes, max_input_bytes
from aekit.errors import DataFileError, InputError

LIMIT_MESSAGE = rf"above aekit's limit of .* \({MAX_INPUT_BYTES_ENV}\).*raise the limit, e\.g\. {MAX_INPUT_BYTES_ENV}="


def _idx_header(code: int, dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


@pytest.mark.parametrize(("raw", "expected"), [("", DEFAULT_MAX_INPUT_BYTES), ("2048", 2048), ("4G", 4 << 30),
                                               ("1.5m", 3 << 19), ("3 GiB", 3 << 30), ("10KB", 10 << 10)])
def test_the_limit_reads_sizes_with_units(raw: str, expected: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_INPUT_BYTES_ENV, raw)
    assert max_input_bytes() == expected


@pytest.mark.parametrize("raw", ["lots", "-5", "0", "4X"])
def test_a_limit_that_is_not_a_size_is_refused(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_INPUT_BYTES_ENV, raw)
    with pytest.raises(InputError, match=rf"{MAX_INPUT_BYTES_ENV}=.* is not a size.*e\.g\. 4G"):
        max_input_bytes()


def test_format_bytes() -> None:
    assert (format_bytes(512), format_bytes(3 << 30), format_bytes(1536)) == ("512 B", "3 GiB", "1.5 KiB")


def test_a_gzip_idx_declaring_terabytes_is_refused_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_idx_header(0x08, (2**32 - 1, 2**32 - 1, 28)) + b"\0" * 1000))
    with pytest.raises(DataFileError, match=r"bomb-idx3-ubyte\.gz \(IDX, shape .*decodes to .*TiB, " + LIMIT_MESSAGE):
        read_idx(path)


def test_a_gzip_idx_that_really_inflates_past_the_limit_is_refused(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "zeros-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(_idx_header(0x08, (2 << 20,)) + bytes(2 << 20)))  # 2 MiB of zeros, ~2 kB packed
    assert path.stat().st_size < 10_000
    monkeypatch.setenv(MAX_INPUT_BYTES_ENV, "1M")
    with pytest.raises(DataFileError, match=r"as float32\) decodes to 8 MiB, above aekit's limit of 1 MiB.*=9M"):
        read_idx(path)
    monkeypatch.setenv(MAX_INPUT_BYTES_ENV, "9M")  # raising the limit is all it takes
    assert read_idx(path).shape == (2 << 20,)


def test_an_idx_header_with_more_axes_than_numpy_holds_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "many-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_idx_header(0x08, (1,) * 255) + b"\0"))
    with pytest.raises(DataFileError, match="declares 255 dimensions; an IDX file aekit reads has 1 to 32"):
        read_idx(path)


def test_an_npz_member_that_is_not_an_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("X.npy", b"hello")
    with pytest.raises(DataFileError, match="odd.npz"):
        read_array(path)


def test_a_gzip_idx_does_not_inflate_its_whole_tail_to_find_trailing_bytes(tmp_path: Path) -> None:
    path = tmp_path / "tail-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(_idx_header(0x08, (3,)) + b"abc" + bytes(50 << 20)))  # 50 MiB tail
    with pytest.raises(DataFileError, match=r"at least 65536 trailing bytes"):
        read_idx(path)


def test_a_raw_idx_declaring_more_than_it_holds_is_truncated_not_a_memory_error(tmp_path: Path) -> None:
    path = tmp_path / "huge-idx3-ubyte"
    path.write_bytes(_idx_header(0x0E, (2**32 - 1, 2**32 - 1)) + b"\0" * 64)
    with pytest.raises(DataFileError, match=r"is truncated: shape .* needs \d+ payload bytes, got 64"):
        read_idx(path)


def _npy(descr: str, shape: str, payload: bytes) -> bytes:
    """A version-1.0 .npy file whose header declares ``shape``, followed by ``payload``."""
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    header = header.ljust(128 - 10 - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def test_a_raw_npy_declaring_terabytes_is_truncated_not_a_memory_error(tmp_path: Path) -> None:
    path = tmp_path / "huge.npy"
    path.write_bytes(_npy("<f4", "(100000, 100000, 100000)", bytes(16)))
    with pytest.raises(DataFileError, match=r"huge\.npy is truncated: its header declares shape \(100000, 100000, "
                                            r"100000\).*file holds 16"):
        read_array(path)


def test_an_npz_whose_array_declares_terabytes_is_refused_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("X.npy", _npy("|u1", "(1000000, 1000000, 10)", bytes(1000)))
    with pytest.raises(DataFileError, match=r"bomb\.npz, array 'X' \(shape \(1000000, 1000000, 10\), uint8\) "
                                            r"decodes to 9\.09 TiB, " + LIMIT_MESSAGE):
        read_array(path)


def test_an_npz_of_deflated_zeros_past_the_limit_is_refused_and_passes_when_raised(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "zeros.npz"
    np.savez_compressed(path, X=np.zeros((1024, 2048), dtype=np.uint8), y=np.zeros(1024, dtype=np.int64))
    assert path.stat().st_size < 20_000
    monkeypatch.setenv(MAX_INPUT_BYTES_ENV, "1M")
    with pytest.raises(DataFileError, match=r"zeros\.npz, array 'X' .*decodes to 2 MiB, above aekit's limit of 1 MiB"):
        read_array(path)
    monkeypatch.delenv(MAX_INPUT_BYTES_ENV)
    assert read_array(path).X.shape == (1024, 2048)


def _png(width: int, height: int, *, color_type: int = 0) -> bytes:
    """A PNG whose header declares width x height 8-bit pixels, with one tiny (truncated) data chunk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(bytes(1000)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")


def test_a_huge_png_is_refused_from_its_header_not_a_decompression_bomb_traceback(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(_png(20000, 20000))
    assert path.stat().st_size < 2000
    with pytest.raises(DataFileError, match=r"huge\.png \(20000x20000 pixels, 1 bands, as float32\) decodes to 1\.49 "
                                            r"GiB, " + LIMIT_MESSAGE):
        read_image(path)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.png").write_bytes(path.read_bytes())
    with pytest.raises(DataFileError, match=LIMIT_MESSAGE):
        read_image_folder(folder)


def test_raising_the_limit_lifts_pillows_own_bound_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(_png(20000, 20000))
    monkeypatch.setenv(MAX_INPUT_BYTES_ENV, "2G")
    # Past the limit, the file is what it is (a header with no pixels behind it): truncated, not a bomb.
    with pytest.raises(DataFileError, match=r"could not be decoded.*truncated") as info:
        read_image(path)
    assert "DecompressionBomb" not in str(info.value)


def test_a_folder_of_images_past_the_limit_as_float32_is_refused_before_allocating(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    for i in range(3):
        Image.fromarray(np.full((64, 64), 10 * i, dtype=np.uint8)).save(tmp_path / f"{i}.png")
    monkeypatch.setenv(MAX_INPUT_BYTES_ENV, "40K")  # one image (16 KiB as float32) fits, the three (48 KiB) do not
    with pytest.raises(DataFileError, match=r"the 3 images in .* as float32 \(1x64x64 each\) decodes to 48 KiB"):
        read_image_folder(tmp_path)
    assert read_image(tmp_path / "0.png").shape == (1, 64, 64)


def test_aekit_train_on_a_bomb_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("X.npy", _npy("|u1", "(1000000, 1000000)", bytes(1000)))
    result = CliRunner().invoke(app, ["train", "--data", str(path), "-o", str(tmp_path / "run")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert MAX_INPUT_BYTES_ENV in result.output and not (tmp_path / "run").exists()


def test_an_npy_header_that_breaks_numpys_tokenizer_is_one_clear_error(tmp_path) -> None:
    # found by the hostile suite's fuzzing: an unclosed bracket in the header dict
    from aekit.data.tables import read_array
    from aekit.errors import DataFileError

    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (3,"
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    p = tmp_path / "x.npy"
    p.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(12))
    with pytest.raises(DataFileError, match="corrupt .npy header|not a valid|could not"):
        read_array(p)
