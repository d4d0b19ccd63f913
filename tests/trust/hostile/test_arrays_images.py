""".npy, .npz, IDX (raw and gzip) and image folders, as an attacker and a careless user make them.

Decompression bombs are real (1 GiB from about 1 MB, made in well under a second by repeating
one compressed block); a case that inflates them before refusing counts as unbounded work.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from aekit.data import load_dataset
from tests.trust.hostile._build import Evil, idx_bytes, npy_bytes, npy_of, png_header_only
from tests.trust.hostile.test_tables import Case, text, x_equals

GOOD = np.arange(12, dtype=np.float32).reshape(4, 3) / 12


def raw(name: str, data: bytes | Callable[[Path], bytes]) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        p = tmp / name
        p.write_bytes(data(tmp) if callable(data) else data)
        return p
    return build


def cut(data: bytes, n: int) -> bytes:
    return data[:n]


def _evil_npy(tmp: Path) -> bytes:
    return npy_of(np.array([Evil(tmp / "PWNED")], dtype=object))


def _code_header(tmp: Path) -> bytes:
    return npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (__import__('os').system('touch "
                     + str(tmp / "PWNED") + "'),), }", b"\0" * 16)


NPY_GOOD = npy_of(GOOD)
NPY: dict[str, Case] = {
    "plain": Case(raw("x.npy", NPY_GOOD), want=GOOD, valid=True),
    "fortran_order": Case(raw("x.npy", npy_of(np.asfortranarray(GOOD))), want=GOOD, valid=True),
    "big_endian": Case(raw("x.npy", npy_of(GOOD.astype(">f4"))), want=GOOD, valid=True),
    "float64": Case(raw("x.npy", npy_of(GOOD.astype(np.float64))), want=GOOD, valid=True),
    "float16": Case(raw("x.npy", npy_of(GOOD.astype(np.float16))), want=GOOD.astype(np.float16), valid=True),
    "int8": Case(raw("x.npy", npy_of(np.array([[1, -2], [3, 4]], np.int8))), want=[[1, -2], [3, 4]], valid=True),
    "bool": Case(raw("x.npy", npy_of(np.array([[True, False]]))), want=[[1, 0]], valid=True),
    "one_dim": Case(raw("x.npy", npy_of(np.arange(5.0))), want=np.arange(5.0).reshape(5, 1), valid=True),
    "format_v2": Case(raw("x.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }",
                                             GOOD.tobytes(), (2, 0))), want=GOOD, valid=True),
    "format_v3": Case(raw("x.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }",
                                             GOOD.tobytes(), (3, 0))), want=GOOD, valid=True),
    "complex": Case(raw("x.npy", npy_of(GOOD.astype(np.complex64))), r"complex|dtype|number"),
    "strings": Case(raw("x.npy", npy_of(np.array([["a", "b"]]))), r"dtype|number"),
    "structured": Case(raw("x.npy", npy_of(np.zeros(3, [("a", "f4"), ("b", "i4")]))), r"dtype|number|struct"),
    "datetime": Case(raw("x.npy", npy_of(np.array(["2024-01-01"], "datetime64[D]"))), r"dtype|number"),
    "scalar": Case(raw("x.npy", npy_of(np.float32(3))), r"single value|shape"),
    "zero_rows": Case(raw("x.npy", npy_of(np.zeros((0, 3), np.float32))), r"no samples"),
    "nan_inside": Case(raw("x.npy", npy_of(np.array([[1, np.nan]], np.float32))), r"NaN|missing"),
    "inf_inside": Case(raw("x.npy", npy_of(np.array([[1, np.inf]], np.float32))), r"infinite|inf"),
    "float64_beyond_float32": Case(raw("x.npy", npy_of(np.array([[1e300, 1.0]]))),
                                   r"float32|large|overflow|range"),
    "pickled_object_array": Case(raw("x.npy", _evil_npy), r"pickle|object"),
    "code_in_header": Case(raw("x.npy", _code_header), r"npy|header|valid|corrupt"),
    "bad_magic": Case(raw("x.npy", b"\x93NUMPZ" + NPY_GOOD[6:]), r"npy|magic|valid"),
    "version_9": Case(raw("x.npy", NPY_GOOD[:6] + b"\x09\x00" + NPY_GOOD[8:]), r"npy|version|valid"),
    "header_len_huge": Case(raw("x.npy", NPY_GOOD[:8] + b"\xff\xff" + NPY_GOOD[10:]), r"npy|header|valid|corrupt|truncat"),
    "header_not_dict": Case(raw("x.npy", npy_bytes("[1, 2, 3]", b"")), r"npy|header|valid"),
    "header_missing_shape": Case(raw("x.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False}", b"")), r"npy|header|valid"),
    "negative_shape": Case(raw("x.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-4, 3), }",
                                                  GOOD.tobytes())), r"npy|shape|valid|negative"),
    "declares_terabytes": Case(raw("x.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, "
                                                      "'shape': (1000000000000, 3), }", GOOD.tobytes())),
                               r"truncat|declares|large|size|corrupt|bytes"),
    "declares_more_than_present": Case(raw("x.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, "
                                                              "'shape': (400, 3), }", GOOD.tobytes())),
                                       r"truncat|corrupt|bytes|size|not fully written"),
    "trailing_bytes": Case(raw("x.npy", NPY_GOOD + b"\x00" * 64), r"trailing|corrupt|bytes|size", GOOD),
    "npz_named_npy": Case(raw("x.npy", lambda t: _npz_bytes(X=GOOD)), r"npy|valid|zip|pickle"),
    "text_named_npy": Case(raw("x.npy", b"1,2,3\n4,5,6\n"), r"npy|valid|magic"),
    "empty_file": Case(raw("x.npy", b""), r"npy|empty|valid|truncat"),
    **{f"truncated_at_{n}": Case(raw("x.npy", cut(NPY_GOOD, n)), r"npy|truncat|corrupt|valid|short")
       for n in (1, 6, 8, 9, 20, 60, 127, 128, 130, len(NPY_GOOD) - 1)},
}


def _npz_bytes(*args: Any, **arrays: Any) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, *args, **arrays)
    return buf.getvalue()


def _npz_raw(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _evil_npz(tmp: Path) -> bytes:
    return _npz_raw({"X.npy": npy_of(np.array([Evil(tmp / "PWNED")], dtype=object))})


NPZ_GOOD = _npz_bytes(X=GOOD, y=np.arange(4))
NPZ: dict[str, Case] = {
    "X_and_y": Case(raw("x.npz", NPZ_GOOD), want=lambda ds: x_equals(GOOD)(ds) and list(ds.y) == [0, 1, 2, 3],
                    valid=True),
    "lowercase_x": Case(raw("x.npz", _npz_bytes(x=GOOD)), want=GOOD, valid=True),
    "data_and_labels": Case(raw("x.npz", _npz_bytes(data=GOOD, labels=np.arange(4))), want=GOOD, valid=True),
    "single_arr_0": Case(raw("x.npz", _npz_bytes(GOOD)), want=GOOD, valid=True),
    "compressed": Case(raw("x.npz", lambda t: _savez_compressed(X=GOOD)), want=GOOD, valid=True),
    "empty_archive": Case(raw("x.npz", _npz_bytes()), r"no array|empty|key|holds"),
    "two_unknown_keys": Case(raw("x.npz", _npz_bytes(a=GOOD, b=GOOD * 2)), r"key|which|'a'"),
    "labels_too_short": Case(raw("x.npz", _npz_bytes(X=GOOD, y=np.arange(3))), r"label|shape|per sample"),
    "labels_2d": Case(raw("x.npz", _npz_bytes(X=GOOD, y=np.zeros((4, 2)))), r"label|shape"),
    "labels_nan": Case(raw("x.npz", _npz_bytes(X=GOOD, y=np.array([0, 1, np.nan, 1]))), r"label|missing"),
    "labels_fractional": Case(raw("x.npz", _npz_bytes(X=GOOD, y=np.array([0, 0.5, 1, 1]))), r"label|integer|whole",
                              lambda ds: len(set(ds.y.tolist())) == 3 and ds.y[2] == ds.y[3] != ds.y[1]),
    "labels_strings": Case(raw("x.npz", _npz_bytes(X=GOOD, y=np.array(["a", "b", "a", "b"]))), r"label|integer|number",
                           lambda ds: ds.y is not None and ds.y[0] == ds.y[2] != ds.y[1]),
    "pickled_X": Case(raw("x.npz", _evil_npz), r"pickle|object"),
    "pickled_y": Case(raw("x.npz", lambda t: _npz_raw({"X.npy": NPY_GOOD, "y.npy": npy_of(
        np.array([Evil(t / "PWNED")] * 4, dtype=object))})), r"pickle|object|label"),
    "member_not_npy": Case(raw("x.npz", _npz_raw({"X.npy": b"hello"})), r"npz|npy|valid|corrupt"),
    "path_traversal_name": Case(raw("x.npz", _npz_raw({"../../X.npy": NPY_GOOD})), r"key|which|npz", GOOD),
    "not_a_zip": Case(raw("x.npz", b"PK\x03\x04 not really"), r"npz|zip|valid|corrupt"),
    "empty_file": Case(raw("x.npz", b""), r"npz|zip|valid|empty"),
    "npy_named_npz": Case(raw("x.npz", NPY_GOOD), r"npz|zip", GOOD),
    "member_declares_terabytes": Case(raw("x.npz", _npz_raw({"X.npy": npy_bytes(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 3), }", GOOD.tobytes())})),
        r"truncat|declares|large|size|corrupt|bytes|npz"),
    **{f"truncated_at_{int(f * 100)}pct": Case(raw("x.npz", cut(NPZ_GOOD, int(len(NPZ_GOOD) * f))),
                                               r"npz|zip|corrupt|truncat|valid") for f in (0.1, 0.3, 0.5, 0.7, 0.9, 0.99)},
    "crc_flipped": Case(raw("x.npz", lambda t: _flip_member_byte(NPZ_GOOD)), r"npz|zip|crc|corrupt|valid"),
}


def _savez_compressed(**arrays: Any) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def _flip_member_byte(data: bytes) -> bytes:
    b = bytearray(data)
    start = data.index(b"\x93NUMPY") + 130  # inside X's values (stored, not compressed)
    b[start] ^= 0x01
    return bytes(b)


def _run(trust: Any, category: str, case: Case, tmp: Path, *, memory_mb: float | None = None) -> None:
    path = case.build(tmp)
    want = case.want
    check = None if want is None else (want if callable(want) else x_equals(want))
    call = lambda: load_dataset(path, **(case.kwargs or {}))  # noqa: E731
    if memory_mb is not None:
        call = _bounded(call, memory_mb)
    trust.api(category, call, expect=case.expect, check=check, valid=case.valid, timeout=30)
    assert not (tmp / "PWNED").exists(), "a loader ran code from the file"


class Unbounded(Exception):
    pass


def _bounded(call: Callable[[], Any], memory_mb: float) -> Callable[[], Any]:
    """Run ``call`` under tracemalloc; a peak above ``memory_mb`` is unbounded work (a hang)."""
    def wrapped() -> Any:
        from tests.trust.hostile.conftest import Hang

        tracemalloc.start()
        try:
            try:
                return call()
            finally:
                peak = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
                if peak > memory_mb:
                    raise Hang(f"allocated {peak:.0f} MB for a file of a few MB (limit {memory_mb:g} MB)")
        except Hang:
            raise
    return wrapped


@pytest.mark.parametrize("name", list(NPY))
def test_npy(trust, tmp_path: Path, name: str) -> None:
    _run(trust, ".npy files", NPY[name], tmp_path)


@pytest.mark.parametrize("name", list(NPZ))
def test_npz(trust, tmp_path: Path, name: str) -> None:
    _run(trust, ".npz files", NPZ[name], tmp_path)


# -- IDX and gzip -----------------------------------------------------------------------------

IMGS = (np.arange(4 * 3 * 3) % 256).astype(np.uint8).reshape(4, 3, 3)
IDX_GOOD = idx_bytes(IMGS)
LABELS = idx_bytes(np.array([0, 1, 2, 3], np.uint8))


def idx_pair(images: bytes, labels: bytes | None = LABELS, *, gz: bool = False) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        suffix = ".gz" if gz else ""
        p = tmp / f"train-images-idx3-ubyte{suffix}"
        p.write_bytes(gzip.compress(images) if gz else images)
        if labels is not None:
            (tmp / f"train-labels-idx1-ubyte{suffix}").write_bytes(gzip.compress(labels) if gz else labels)
        return p
    return build


def _idx_want(ds: Any) -> bool:
    assert ds.X.shape == (4, 1, 3, 3), ds.X.shape
    assert np.allclose(ds.X[:, 0], IMGS / 255.0), "values"
    assert ds.y is not None and list(ds.y) == [0, 1, 2, 3], "labels"
    return True


def _gz_bomb(tmp: Path) -> Path:
    """train-images-idx3-ubyte.gz: an IDX header declaring (524288, 32, 32) uint8, then 512 MiB of zeros."""
    block = gzip.compress(bytes(1 << 26), 9)  # 64 MiB of zeros -> ~65 kB; gzip members concatenate
    p = tmp / "train-images-idx3-ubyte.gz"
    with open(p, "wb") as f:
        f.write(gzip.compress(bytes([0, 0, 8, 3]) + struct.pack(">III", 1 << 19, 32, 32)))
        for _ in range(8):
            f.write(block)
    return p


IDX: dict[str, Case] = {
    "plain_with_labels": Case(idx_pair(IDX_GOOD), want=_idx_want, valid=True),
    "gzip_with_labels": Case(idx_pair(IDX_GOOD, gz=True), want=_idx_want, valid=True),
    "no_labels_file": Case(idx_pair(IDX_GOOD, None), want=lambda ds: ds.X.shape == (4, 1, 3, 3) and ds.y is None,
                           valid=True),
    "float64_idx": Case(idx_pair(idx_bytes(IMGS.astype(np.float64) / 255, 0x0E)),
                        want=lambda ds: np.allclose(ds.X[:, 0], IMGS / 255.0), valid=True),
    "int32_idx": Case(idx_pair(idx_bytes(IMGS.astype(np.int32) * 1000, 0x0C)),
                      want=lambda ds: np.allclose(ds.X[:, 0], IMGS * 1000.0), valid=True),
    "labels_wrong_length": Case(idx_pair(IDX_GOOD, idx_bytes(np.array([0, 1, 2], np.uint8))), r"label|3|4"),
    "labels_are_images": Case(idx_pair(IDX_GOOD, IDX_GOOD), r"label|shape"),
    "labels_garbage": Case(idx_pair(IDX_GOOD, b"<html>404</html>"), r"IDX|web page"),
    "images_are_labels": Case(idx_pair(LABELS, LABELS), r"labels file|shape"),
    "html_error_page": Case(idx_pair(b"<!DOCTYPE html><html>Not found</html>"), r"web page|IDX"),
    "bad_dtype_code": Case(idx_pair(bytes([0, 0, 0x05, 3]) + IDX_GOOD[4:]), r"dtype code"),
    "zero_dims": Case(idx_pair(bytes([0, 0, 8, 0])), r"0 dimensions"),
    "255_dims": Case(idx_pair(bytes([0, 0, 8, 255]) + b"\x00\x00\x00\x01" * 255), r"shape|labels|images"),
    "zero_sized_dim": Case(idx_pair(idx_bytes(np.zeros((0, 3, 3), np.uint8))), r"no samples|empty|0|shape"),
    "declares_terabytes": Case(idx_pair(bytes([0, 0, 8, 3]) + struct.pack(">III", 2**31, 2**31, 2) + b"\0" * 64),
                               r"declares|large|corrupt|truncat"),
    "declares_gigabytes": Case(idx_pair(bytes([0, 0, 8, 3]) + struct.pack(">III", 2**20, 64, 64) + b"\0" * 64),
                               r"declares|large|corrupt|truncat|limit"),
    "trailing_bytes": Case(idx_pair(IDX_GOOD + b"\x00" * 10), r"trailing"),
    "empty_file": Case(idx_pair(b""), r"too short"),
    **{f"truncated_at_{n}": Case(idx_pair(cut(IDX_GOOD, n)), r"short|truncat") for n in (2, 4, 7, 12, 16, 20, 30)},
    "gz_truncated": Case(idx_pair(IDX_GOOD, gz=True), r"truncat|ends early|corrupt"),  # cut below
    "gz_garbage_after_magic": Case(raw("train-images-idx3-ubyte.gz", b"\x1f\x8b" + bytes(range(200))), r"gzip|corrupt"),
    "gz_crc_flipped": Case(raw("train-images-idx3-ubyte.gz", lambda t: _flip_gzip_crc(gzip.compress(IDX_GOOD))),
                           r"gzip|corrupt|crc"),
    "gz_of_gz": Case(raw("train-images-idx3-ubyte.gz", gzip.compress(gzip.compress(IDX_GOOD))), r"IDX|1f 8b|starts"),
    "gz_trailing_garbage": Case(raw("train-images-idx3-ubyte.gz", gzip.compress(IDX_GOOD) + b"junkjunk"),
                                r"gzip|corrupt|trailing", lambda ds: ds.X.shape == (4, 1, 3, 3)),
}


def _flip_gzip_crc(data: bytes) -> bytes:
    b = bytearray(data)
    b[-8] ^= 0xFF
    return bytes(b)


@pytest.mark.parametrize("name", list(IDX))
def test_idx(trust, tmp_path: Path, name: str) -> None:
    case = IDX[name]
    if name == "gz_truncated":
        path = case.build(tmp_path)
        path.write_bytes(path.read_bytes()[:-12])
        case = case._replace(build=lambda t: path)
    _run(trust, "IDX and gzip files", case, tmp_path)


BOMBS = {
    "idx_gz_512mib": _gz_bomb,
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_decompression_bomb(trust, tmp_path: Path, name: str) -> None:
    """512 MiB behind ~0.5 MB: a clear error naming the limit, before the memory is taken."""
    case = Case(BOMBS[name], r"limit|large|exceed|GB|GiB|MB")
    _run(trust, "decompression bombs", case, tmp_path, memory_mb=300)


# -- image folders ----------------------------------------------------------------------------

def _img(mode: str, size: tuple[int, int] = (8, 8), value: Any = None) -> Image.Image:
    if value is None:
        value = {"1": 1, "L": 128, "LA": (128, 255), "P": 3, "RGB": (200, 100, 50), "RGBA": (200, 100, 50, 128),
                 "I;16": 32768, "I": 40000, "F": 0.5, "CMYK": (0, 0, 0, 0)}[mode]
    return Image.new(mode, size, value)


def folder(*files: tuple[str, Any]) -> Callable[[Path], Path]:
    """files: (relative name, PIL image | bytes)."""
    def build(tmp: Path) -> Path:
        root = tmp / "imgs"
        root.mkdir()
        for name, content in files:
            p = root / name
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                fmt = {".png": "PNG", ".jpg": "JPEG", ".gif": "GIF", ".bmp": "BMP", ".webp": "WEBP",
                       ".tif": "TIFF"}.get(p.suffix.lower()) or ("JPEG" if "jpg" in p.name else "PNG")
                content.save(p, format=fmt)
        return root
    return build


def _png(mode: str = "L", size: tuple[int, int] = (8, 8), value: Any = None) -> bytes:
    buf = io.BytesIO()
    _img(mode, size, value).save(buf, "PNG")
    return buf.getvalue()


def images_ok(n: int, channels: int, hw: tuple[int, int] = (8, 8), value: float | None = None,
              tol: float = 0.02) -> Callable[[Any], bool]:
    def check(ds: Any) -> bool:
        assert ds.X.shape == (n, channels, *hw), f"shape {ds.X.shape}, expected {(n, channels, *hw)}"
        assert np.isfinite(ds.X).all() and ds.X.min() >= 0 and ds.X.max() <= 1, "values outside [0, 1]"
        if value is not None:
            assert abs(float(ds.X.mean()) - value) < tol, f"mean {float(ds.X.mean()):.3f}, expected {value:.3f}"
        return True
    return check


def _fifo(tmp: Path, name: str) -> Path:
    os.mkfifo(tmp / name)
    return tmp / name


def _symlink_to(tmp: Path, target: str, name: str) -> Path:
    os.symlink(target, tmp / name)
    return tmp / name


def _red_p() -> Image.Image:
    im = Image.new("P", (8, 8), 0)
    im.putpalette([255, 0, 0] * 256)
    return im


IMAGES: dict[str, Case] = {
    "three_gray_png": Case(folder(*[(f"{i}.png", _img("L")) for i in range(3)]), want=images_ok(3, 1, value=128 / 255),
                           valid=True),
    "rgb_png": Case(folder(("a.png", _img("RGB")), ("b.png", _img("RGB"))), want=images_ok(2, 3), valid=True),
    "rgba_png": Case(folder(("a.png", _img("RGBA")), ("b.png", _img("RGBA"))), want=images_ok(2, 3), valid=True),
    "la_png": Case(folder(("a.png", _img("LA")), ("b.png", _img("LA"))), want=images_ok(2, 1, value=128 / 255),
                   valid=True),
    "palette_png_gray": Case(folder(("a.png", _img("P")), ("b.png", _img("P"))), want=images_ok(2, 1), valid=True),
    "palette_png_red": Case(folder(("a.png", _red_p()), ("b.png", _red_p())),
                            want=lambda ds: images_ok(2, 3)(ds) and np.allclose(ds.X[:, 0], 1) and np.allclose(ds.X[:, 1:], 0),
                            valid=True),
    "one_bit_png": Case(folder(("a.png", _img("1")), ("b.png", _img("1"))), want=images_ok(2, 1, value=1.0),
                        valid=True),
    "sixteen_bit_png_half": Case(folder(("a.png", _img("I;16")), ("b.png", _img("I;16"))),
                                 want=images_ok(2, 1, value=0.5), valid=True),
    "float_tiff": Case(folder(("a.tif", _img("F")), ("b.tif", _img("F"))), r"mode|type|suffix|no images|F",
                       images_ok(2, 1, value=0.5)),
    "cmyk_jpeg": Case(folder(("a.jpg", _img("CMYK")), ("b.jpg", _img("CMYK"))), want=images_ok(2, 3, value=1.0),
                      valid=True),
    "mixed_gray_and_rgb": Case(folder(("a.png", _img("L")), ("b.png", _img("RGB"))), want=images_ok(2, 3), valid=True),
    "png_named_jpg": Case(folder(("a.jpg", _png()), ("b.jpg", _png())), want=images_ok(2, 1), valid=True),
    "jpeg_named_png": Case(folder(("a.png", _img("RGB")), ("b.png", _img("RGB"))), want=images_ok(2, 3), valid=True),
    "gif": Case(folder(("a.gif", _red_p()), ("b.gif", _red_p())), want=images_ok(2, 3), valid=True),
    "bmp_and_webp": Case(folder(("a.bmp", _img("RGB")), ("b.webp", _img("RGB"))), want=images_ok(2, 3), valid=True),
    "uppercase_suffix": Case(folder(("A.PNG", _img("L")), ("B.Png", _img("L"))), want=images_ok(2, 1), valid=True),
    "one_pixel": Case(folder(("a.png", _img("L", (1, 1)))), want=images_ok(1, 1, (1, 1)), valid=True),
    "unicode_and_newline_names": Case(folder(("é 中.png", _img("L")), ("a\nb.png", _img("L"))),
                                      want=images_ok(2, 1), valid=True),
    "hidden_and_junk_files": Case(folder(("a.png", _img("L")), (".DS_Store", b"\0\0junk"), ("notes.txt", b"hi"),
                                         ("._a.png", b"\0\5\26\7 resource fork")), want=images_ok(1, 1), valid=True),
    "class_folders": Case(folder(("cat/a.png", _img("L")), ("cat/b.png", _img("L")), ("dog/c.png", _img("L"))),
                          want=lambda ds: images_ok(3, 1)(ds) and list(ds.y) == [0, 0, 1], valid=True),
    "loose_and_class_images": Case(folder(("a.png", _img("L")), ("cat/b.png", _img("L"))), r"loose|class|folder"),
    "empty_folder": Case(folder(), r"no images"),
    "only_text_files": Case(folder(("a.txt", b"x"), ("b.csv", b"1,2")), r"no images"),
    "mixed_sizes": Case(folder(("a.png", _img("L", (8, 8))), ("b.png", _img("L", (9, 7)))), r"differ in size|size"),
    "garbage_png": Case(folder(("a.png", _png()), ("b.png", b"not a png at all")), r"b\.png"),
    "zero_byte_png": Case(folder(("a.png", _png()), ("b.png", b"")), r"b\.png"),
    "truncated_png": Case(folder(("a.png", _png()), ("b.png", _png("L", (64, 64), 7)[:60])), r"b\.png"),
    "png_bad_crc": Case(folder(("a.png", _png()), ("b.png", lambda: None)), r"b\.png|crc"),  # built below
    "huge_png_header": Case(folder(("a.png", png_header_only(20000, 20000))), r"a\.png|pixels|large|limit"),
    "wide_png_header": Case(folder(("a.png", png_header_only(2**31 - 1, 1))), r"a\.png|pixels|large|limit"),
    "zero_width_png": Case(folder(("a.png", png_header_only(0, 8))), r"a\.png"),
    "sixteen_bit_rgb_header_lie": Case(folder(("a.png", png_header_only(8, 8, bit_depth=16, color=2))), r"a\.png"),
    "file_not_folder_named_png": Case(folder(("a.png", _img("L")), ("dir.png/b.png", _img("L"))),
                                      r"loose|class|folder", images_ok(2, 1)),
    "symlink_loop": Case(lambda t: _with_loop(folder(("a.png", _img("L")))(t)), r"loop|symlink|link",
                         images_ok(1, 1)),
    "dev_zero": Case(lambda t: Path("/dev/zero"), r"cannot tell how to read"),
    "fifo": Case(lambda t: _fifo(t, "pipe"), r"cannot tell how to read"),
    "fifo_named_npy": Case(lambda t: _fifo(t, "x.npy"), r"^(?!.*is a folder).*(fifo|pipe|regular|special|not a file)"),
    "fifo_named_npz": Case(lambda t: _fifo(t, "x.npz"), r"^(?!.*is a folder).*(fifo|pipe|regular|special|not a file)"),
    "fifo_named_idx": Case(lambda t: _fifo(t, "train-images-idx3-ubyte"), r"^(?!.*is a folder).*(fifo|pipe|regular|special|not a file)"),
    "dev_zero_named_npy": Case(lambda t: _symlink_to(t, "/dev/zero", "x.npy"),
                               r"^(?!.*is a folder).*(device|regular|special|not a file|npy)"),
}


def _with_loop(root: Path) -> Path:
    os.symlink(root, root / "loop")
    return root


def _bad_crc_png() -> bytes:
    b = bytearray(_png("L", (8, 8), 9))
    b[29] ^= 0xFF  # inside IHDR's CRC
    return bytes(b)


@pytest.mark.parametrize("name", list(IMAGES))
def test_image_folder(trust, tmp_path: Path, name: str) -> None:
    case = IMAGES[name]
    if name == "png_bad_crc":
        case = case._replace(build=folder(("a.png", _png()), ("b.png", _bad_crc_png())))
    special = name.startswith(("fifo", "dev_zero"))
    _run(trust, "special files (FIFO, /dev/zero)" if special else "image folders", case, tmp_path)
