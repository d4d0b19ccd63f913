"""aekit compress / decompress: images to an .aek file beside JPEG at the same rate, and back as PNG or .npy."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aekit.estimators.compressor import ImageCompressor
from tests.cli._app_helpers import one_line_error, result_line, usage_error
from tests.cli.conftest import make_images


@pytest.fixture(scope="module")
def compressor(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny fitted ImageCompressor's folder, and 40 8x8 images (N, H, W) in [0, 1]."""
    folder = tmp_path_factory.mktemp("comp")
    images = make_images(folder)
    ImageCompressor(latent_channels=2, hidden=4, stages=1, kernel_size=3, epochs=1, batch_size=8, device="cpu",
                    random_state=0).fit(np.load(images)).save(folder / "model")
    return folder / "model", images


def test_compress_writes_the_file_and_measures_it_beside_jpeg(cli, compressor, tmp_path: Path) -> None:
    model, images = compressor
    result = cli("--quiet", "compress", model, "--data", images, "--out", tmp_path / "x.aek")
    line = result_line(result)
    m = re.match(r"40 images of images\.npy -> .*x\.aek \(([\d,]+) bytes\): (\d+\.\d{3}) bpp / (\d+\.\d\d) dB PSNR "
                 r"vs JPEG q\d+ (\d+\.\d{3}) bpp / (\d+\.\d\d) dB$", line)
    assert m, line
    size = (tmp_path / "x.aek").stat().st_size
    assert int(m.group(1).replace(",", "")) == size
    assert float(m.group(2)) == pytest.approx(8 * size / (40 * 8 * 8), abs=1e-3)
    # a second line says so when JPEG has fewer bits and a higher PSNR (one epoch of a tiny model: likely)
    bpp, psnr, jpeg_bpp, jpeg_psnr = (float(m.group(i)) for i in (2, 3, 4, 5))
    dominated = psnr < jpeg_psnr and bpp >= jpeg_bpp
    assert ("aekit loses to JPEG here: more bits and lower PSNR" in result.stdout) == dominated
    for name in ("rate_distortion.png", "decoded.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")


def test_compress_no_baseline_skips_the_jpeg_line_and_figure(cli, compressor, tmp_path: Path) -> None:
    model, images = compressor
    default = result_line(cli("--quiet", "compress", model, "--data", images, "--out", tmp_path / "a" / "x.aek"))
    assert " vs JPEG q" in default and (tmp_path / "a" / "rate_distortion.png").is_file()
    result = cli("--quiet", "compress", model, "--data", images, "--out", tmp_path / "b" / "x.aek", "--no-baseline")
    line = result_line(result)
    assert re.fullmatch(r"40 images of images\.npy -> .*x\.aek \([\d,]+ bytes\): \d+\.\d{3} bpp / \d+\.\d\d dB PSNR",
                        line), line
    assert "JPEG" not in result.stdout and not (tmp_path / "b" / "rate_distortion.png").exists()
    assert (tmp_path / "b" / "decoded.png").is_file()


def test_decompress_gives_back_pngs_or_one_npy(cli, compressor, tmp_path: Path) -> None:
    model, images = compressor
    assert cli("compress", model, "--data", images, "--out", tmp_path / "x.aek").exit_code == 0
    line = result_line(cli("decompress", tmp_path / "x.aek", "--model", model, "--out", tmp_path / "png"))
    assert line.startswith("40 images (8x8, uint8) decoded from") and line.endswith("(40 png files)")
    pngs = sorted((tmp_path / "png").glob("*.png"))
    assert len(pngs) == 40 and np.asarray(Image.open(pngs[0])).shape == (8, 8)
    line = result_line(cli("decompress", tmp_path / "x.aek", "--model", model, "--out", tmp_path / "arr",
                           "--format", "npy"))
    assert line.endswith("(1 npy file)")
    decoded = np.load(tmp_path / "arr" / "images.npy")
    assert decoded.shape == (40, 8, 8) and decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded[0], np.asarray(Image.open(pngs[0])))


def test_compress_refuses_a_model_that_is_not_a_compressor(cli, trained, tmp_path: Path) -> None:
    run, _ = trained
    message = one_line_error(cli("compress", run, "--data", "default", "--out", tmp_path / "x.aek"))
    assert "not an ImageCompressor" in message


def test_compress_wants_an_aek_name_and_decompress_a_real_file(cli, compressor, tmp_path: Path) -> None:
    model, images = compressor
    assert ".aek" in one_line_error(cli("compress", model, "--data", images, "--out", tmp_path / "x.zip"))
    assert "does not exist" in usage_error(cli("decompress", tmp_path / "none.aek", "--model", model))
    (tmp_path / "junk.aek").write_bytes(b"not an aek file at all")
    assert one_line_error(cli("decompress", tmp_path / "junk.aek", "--model", model, "--out", tmp_path / "o"))
    text = usage_error(cli("decompress", tmp_path / "junk.aek", "--model", model, "--format", "gif"))
    assert "'gif' is not one of 'png', 'npy'" in text
