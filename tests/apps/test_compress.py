"""apps.compress: .aek files with their JPEG baseline and figures; the Pillow helpers the benchmark uses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from aekit.apps.compress import (JPEG_QUALITIES, compress_images, decompress_file, jpeg_curve, jpeg_mosaics,
                                 jpeg_payload, mosaic, pil_encode, psnr_uint8, rate_distortion, unmosaic, webp_payload)
from aekit.apps.train import check_rate_lambdas
from aekit.metrics import ssim
from aekit.errors import DataFileError, InputError
from aekit.estimators.compressor import ImageCompressor

torch.set_num_threads(1)


def _images(n: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros((n, 16, 16), np.uint8)
    for i in range(n):
        r, c = rng.integers(0, 12, size=2)
        out[i, r:r + 4, c:c + 2] = 255
    return out


@pytest.fixture(scope="module")
def comp() -> ImageCompressor:
    return ImageCompressor(0.01, latent_channels=4, hidden=8, stages=2, kernel_size=3, epochs=1, batch_size=8,
                           device="cpu", random_state=0).fit(_images(40))


def test_mosaic_round_trip_grey_and_colour() -> None:
    x = _images(20)
    assert mosaic(x, cols=10).shape == (32, 160)
    np.testing.assert_array_equal(unmosaic(mosaic(x), 20, (16, 16)), x)
    rgb = np.stack([x, x // 2, x // 3], axis=1)
    np.testing.assert_array_equal(unmosaic(mosaic(rgb), 20, (3, 16, 16)), rgb)
    with pytest.raises(InputError, match="multiple of 10"):
        mosaic(x[:7])


@pytest.mark.parametrize("codec, payload", [("jpeg", jpeg_payload), ("webp", webp_payload)])
def test_payload_is_most_of_the_file_minus_its_headers(codec: str, payload) -> None:  # type: ignore[no-untyped-def]
    x = _images(1)[0]
    data, decoded = pil_encode(x, codec, 50)
    assert decoded.shape == x.shape and decoded.dtype == np.uint8
    n = payload(data)
    assert 0 < n < len(data)
    if codec == "jpeg":  # the tables alone are > 100 bytes
        assert len(data) - n > 100
    else:
        assert len(data) - n >= 30  # RIFF + chunk + VP8 frame headers


def test_payload_parsers_refuse_other_formats() -> None:
    png, _ = pil_encode(_images(1)[0], "png")
    with pytest.raises(DataFileError):
        webp_payload(png)
    with pytest.raises(DataFileError):
        jpeg_payload(b"\xff\xd8" + b"\x00" * 10)


def test_png_is_lossless() -> None:
    x = _images(1)[0]
    assert psnr_uint8(x, pil_encode(x, "png")[1]) == float("inf")


def test_compress_images_writes_the_file_figures_and_the_jpeg_row(comp: ImageCompressor, tmp_path: Path) -> None:
    x = _images(20, seed=1)
    res = compress_images(comp, x, tmp_path / "out" / "x.aek")
    assert res.path.is_file() and res.file_bytes == res.path.stat().st_size
    assert res.bits_per_pixel == pytest.approx(8 * res.file_bytes / (20 * 256))
    assert np.isfinite(res.psnr) and 5 <= res.jpeg_quality <= 95 and res.jpeg_bits_per_pixel > 0
    assert {p.name for p in res.figures} == {"rate_distortion.png", "decoded.png"}
    assert all(Image.open(p).size[0] > 100 for p in res.figures)


def test_compress_images_without_baseline_skips_jpeg(comp: ImageCompressor, tmp_path: Path) -> None:
    x = _images(20, seed=1)
    res = compress_images(comp, x, tmp_path / "x.aek", baseline=False)
    assert res.jpeg_quality == 0 and np.isnan(res.jpeg_bits_per_pixel) and np.isnan(res.jpeg_psnr)
    assert [p.name for p in res.figures] == ["decoded.png"]
    assert res.file_bytes == compress_images(comp, x, tmp_path / "y.aek").file_bytes  # the file is the same


@pytest.mark.parametrize("fmt", ["png", "npy"])
def test_decompress_file_writes_images(comp: ImageCompressor, tmp_path: Path, fmt: str) -> None:
    x = _images(12, seed=2)
    path = comp.compress_file(x, tmp_path / "x.aek")
    res = decompress_file(comp, path, tmp_path / "dec", format=fmt)  # type: ignore[arg-type]
    assert res.n_images == 12 and res.shape == (16, 16) and res.dtype == "uint8"
    if fmt == "npy":
        np.testing.assert_array_equal(np.load(res.paths[0]), comp.decompress(path))
    else:
        assert len(res.paths) == 12 and res.paths[0].name == "00.png"
        np.testing.assert_array_equal(np.asarray(Image.open(res.paths[3])), comp.decompress(path)[3])


def test_decompress_file_refuses_a_bad_format_and_a_corrupt_file(comp: ImageCompressor, tmp_path: Path) -> None:
    path = comp.compress_file(_images(3), tmp_path / "x.aek")
    with pytest.raises(InputError, match="png' or 'npy"):
        decompress_file(comp, path, tmp_path / "d", format="jpg")  # type: ignore[arg-type]
    data = path.read_bytes()
    path.write_bytes(data[:-2])
    with pytest.raises(DataFileError, match="truncated"):
        decompress_file(comp, path, tmp_path / "d")


def test_rate_distortion_measures_each_model_beside_jpeg_at_the_closest_rate(comp: ImageCompressor,
                                                                             tmp_path: Path) -> None:
    x = _images(20, seed=3)
    other = ImageCompressor(0.1, latent_channels=4, hidden=8, stages=2, kernel_size=3, epochs=1, batch_size=8,
                            device="cpu", random_state=1).fit(_images(40))
    rd = rate_distortion({"a": comp, "b": other}, x, tmp_path)
    assert rd.n_images == 20 and [q for q, _, _ in rd.jpeg] == list(JPEG_QUALITIES)
    assert rd.points[0].bits_per_pixel >= rd.points[1].bits_per_pixel  # most bits first
    for p in rd.points:
        model = {"a": comp, "b": other}[p.model]
        data = model.compress(x)
        decoded = model.decompress(data)
        assert p.rate_lambda == model.rate_lambda and p.file_bytes == len(data)
        assert p.bits_per_pixel == pytest.approx(8 * len(data) / (20 * 16 * 16))
        assert p.psnr == pytest.approx(psnr_uint8(x, decoded))
        assert p.ssim == pytest.approx(ssim(x, decoded, data_range=255.0))
        # JPEG at the quality whose rate is closest, measured on the same images
        q, bpp, psnr = min(rd.jpeg, key=lambda r: abs(r[1] - p.bits_per_pixel))
        assert (p.jpeg_quality, p.jpeg_bits_per_pixel, p.jpeg_psnr) == (q, bpp, psnr)
        assert p.jpeg_ssim == pytest.approx(ssim(x, jpeg_mosaics(x, q)[1], data_range=255.0))
        better = [r for r in rd.jpeg if r[1] <= p.bits_per_pixel and r[2] > p.psnr]
        assert p.beaten_by == (max(better, key=lambda r: r[2])[0] if better else 0) and p.behind == bool(better)
        assert Image.open(rd.figures[f"decoded_lambda-{p.rate_lambda:g}"]).size[0] > 100
    assert rd.figures["rate_distortion"] == tmp_path / "rate_distortion.png"
    assert jpeg_curve(x)[3] == rd.jpeg[3]


def test_rate_distortion_without_baseline_still_draws_the_models_curve(comp: ImageCompressor, tmp_path: Path) -> None:
    rd = rate_distortion({"a": comp}, _images(20, seed=3), tmp_path, baseline=False)
    assert rd.jpeg == [] and rd.points[0].jpeg_quality == 0 and np.isnan(rd.points[0].jpeg_psnr)
    assert not rd.points[0].behind
    assert set(rd.figures) == {"rate_distortion", "decoded_lambda-0.01"}


def test_check_rate_lambdas_takes_one_or_several_positive_rates() -> None:
    assert check_rate_lambdas(0.01) == (0.01,) and check_rate_lambdas([0.03, 1]) == (0.03, 1.0)
    for bad in (0, -0.1, float("nan"), float("inf"), "0.1", True, []):
        with pytest.raises(InputError, match="rate_lambda"):
            check_rate_lambdas(bad)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="names a rate twice"):
        check_rate_lambdas((0.01, 0.01))
