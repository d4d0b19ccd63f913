from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aekit.data.images import image_folder_classes, read_image, read_image_folder, write_image
from aekit.errors import DataFileError, InputError


def _png(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return path


@pytest.fixture
def two_classes(tmp_path: Path, rng: np.random.Generator) -> Path:
    root = tmp_path / "shapes"
    for name, n in (("squares", 3), ("circles", 2)):
        for i in range(n):
            _png(root / name / f"{i}.png", rng.integers(0, 256, (8, 6), dtype=np.uint8))
    _png(root / "squares" / "nested" / "deep.png", rng.integers(0, 256, (8, 6), dtype=np.uint8))
    (root / "squares" / "notes.txt").write_text("not an image")
    (root / ".hidden").mkdir()
    _png(root / ".hidden" / "x.png", np.zeros((3, 3), np.uint8))
    return root


def test_class_folders_become_labels(two_classes: Path) -> None:
    ds = read_image_folder(two_classes)
    assert image_folder_classes(two_classes) == ["circles", "squares"]
    assert ds.X.shape == (6, 1, 8, 6) and ds.X.dtype == np.float32 and ds.image_shape == (1, 8, 6)
    assert ds.y.dtype == np.int64 and ds.y.tolist() == [0, 0, 1, 1, 1, 1]
    assert ds.name == "shapes" and 0.0 <= ds.X.min() and ds.X.max() <= 1.0
    first = np.asarray(Image.open(two_classes / "circles" / "0.png"), dtype=np.float32) / 255
    np.testing.assert_allclose(ds.X[0, 0], first)


def test_flat_folder_has_no_labels(tmp_path: Path) -> None:
    for i in range(3):
        _png(tmp_path / f"{i}.png", np.full((4, 5), 10 * i, np.uint8))
    ds = read_image_folder(tmp_path)
    assert ds.y is None and ds.X.shape == (3, 1, 4, 5) and image_folder_classes(tmp_path) == []


def test_auto_mode_is_rgb_when_any_image_has_colour(tmp_path: Path) -> None:
    _png(tmp_path / "a.png", np.full((4, 4), 255, np.uint8))
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 0] = 255
    _png(tmp_path / "b.png", rgb)
    ds = read_image_folder(tmp_path)
    assert ds.X.shape == (2, 3, 4, 4) and ds.image_shape == (3, 4, 4)
    np.testing.assert_array_equal(ds.X[0], 1.0)  # gray image repeated on three channels
    assert ds.X[1, 0].min() == 1.0 and ds.X[1, 1:].max() == 0.0
    assert read_image_folder(tmp_path, mode="L").X.shape == (2, 1, 4, 4)


def test_forced_rgb_and_gray_palette(tmp_path: Path) -> None:
    _png(tmp_path / "a.png", np.zeros((4, 4), np.uint8))
    Image.fromarray(np.zeros((4, 4), np.uint8)).convert("P").save(tmp_path / "p.gif")
    assert read_image_folder(tmp_path).X.shape == (2, 1, 4, 4)
    assert read_image_folder(tmp_path, mode="RGB").X.shape == (2, 3, 4, 4)


def test_resize(tmp_path: Path) -> None:
    _png(tmp_path / "big.png", np.full((40, 30), 200, np.uint8))
    _png(tmp_path / "small.png", np.full((5, 7), 100, np.uint8))
    ds = read_image_folder(tmp_path, size=(10, 12))
    assert ds.X.shape == (2, 1, 10, 12) and ds.image_shape == (1, 10, 12)
    np.testing.assert_allclose(ds.X[0], 200 / 255, atol=1e-6)  # constant images stay constant
    np.testing.assert_allclose(ds.X[1], 100 / 255, atol=1e-6)
    assert read_image_folder(tmp_path, size=16).X.shape == (2, 1, 16, 16)


def test_mixed_sizes_name_two_files_and_suggest_size(tmp_path: Path) -> None:
    _png(tmp_path / "a.png", np.zeros((4, 4), np.uint8))
    _png(tmp_path / "b.png", np.zeros((6, 5), np.uint8))
    with pytest.raises(InputError, match=r"a.png is 4x4 and b.png is 6x5 \(height x width\).*Resize them to one "
                                         r"size first.*read_image_folder\(path, size=\(4, 4\)\)"):
        read_image_folder(tmp_path)


@pytest.mark.parametrize("content", [b"definitely not a png", None], ids=["garbage", "truncated"])
def test_corrupt_image_is_named(tmp_path: Path, content: bytes | None) -> None:
    _png(tmp_path / "ok.png", np.zeros((64, 64), np.uint8))
    bad = _png(tmp_path / "bad.png", np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8))
    bad.write_bytes(content if content is not None else bad.read_bytes()[:200])
    with pytest.raises(DataFileError, match=r"image file .*bad.png could not be decoded"):
        read_image_folder(tmp_path)


def test_empty_and_missing_folders(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"no images .* in .*\(it is empty\)"):
        read_image_folder(tmp_path)
    (tmp_path / "readme.md").write_text("hi")
    with pytest.raises(DataFileError, match=r"found other files, e.g. readme.md"):
        read_image_folder(tmp_path)
    with pytest.raises(DataFileError, match="does not exist"):
        read_image_folder(tmp_path / "nope")


def test_loose_images_beside_class_folders(tmp_path: Path) -> None:
    _png(tmp_path / "cats" / "1.png", np.zeros((4, 4), np.uint8))
    _png(tmp_path / "stray.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(InputError, match=r"mixes class folders \(cats\) with 1 loose image.*stray.png"):
        read_image_folder(tmp_path)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="mode must be one of 'auto', 'L', 'RGB'"):
        read_image_folder(tmp_path, mode="CMYK")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"size must be \(height, width\)"):
        read_image_folder(tmp_path, size=(0, 4))


def test_sixteen_bit_png_keeps_precision(tmp_path: Path) -> None:
    a = np.array([[0, 1000], [40000, 65535]], dtype=np.uint16)
    Image.fromarray(a).save(tmp_path / "deep.png")
    x = read_image(tmp_path / "deep.png")
    assert x.shape == (1, 2, 2)
    np.testing.assert_allclose(x[0], a / 65535, atol=1e-6)


@pytest.mark.parametrize("shape", [(5, 7), (1, 5, 7), (3, 5, 7)])
def test_write_read_round_trip(tmp_path: Path, rng: np.random.Generator, shape: tuple[int, ...]) -> None:
    a = rng.integers(0, 256, shape).astype(np.float32) / 255
    write_image(tmp_path / "x.png", a)
    back = read_image(tmp_path / "x.png")
    assert back.shape == (1 if len(shape) == 2 else shape[0], 5, 7)
    np.testing.assert_allclose(back.reshape(a.shape), a, atol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]


def test_write_image_clips_and_refuses_bad_input(tmp_path: Path) -> None:
    write_image(tmp_path / "c.bmp", np.array([[-1.0, 2.0]]))
    np.testing.assert_array_equal(read_image(tmp_path / "c.bmp")[0], [[0.0, 1.0]])
    with pytest.raises(InputError, match=r"channels-last.*transpose\(2, 0, 1\)"):
        write_image(tmp_path / "x.png", np.zeros((5, 7, 3)))
    with pytest.raises(InputError, match="NaN"):
        write_image(tmp_path / "x.png", np.full((2, 2), np.nan))
    with pytest.raises(InputError, match=r"suffix '.xyz'"):
        write_image(tmp_path / "x.xyz", np.zeros((2, 2)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.bmp"]


def test_read_image_errors(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        read_image(tmp_path / "none.png")
    (tmp_path / "x.jpg").write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(DataFileError, match=r"x.jpg could not be decoded"):
        read_image(tmp_path / "x.jpg")
