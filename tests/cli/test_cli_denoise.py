"""aekit denoise: train-and-test on clean images with added noise, or a trained run on noisy images; PSNR/SSIM
beside the 3x3 median filter."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.cli._app_helpers import one_line_error, result_line, usage_error

TINY = ["--depth", "2", "--width", "4", "--epochs", "1", "--batch-size", "16", "--device", "cpu", "--quiet"]


def test_denoise_trains_on_clean_images_and_measures_beside_the_median_filter(cli, images_npy: Path,
                                                                               tmp_path: Path) -> None:
    result = cli("denoise", "--data", images_npy, "--noise", "gaussian", "--noise-level", "0.3", *TINY,
                 "--out", tmp_path / "dn")
    line = result_line(result)
    assert re.match(r"PSNR -?\d+\.\d\d dB vs median 3x3 \d+\.\d\d dB \(noisy \d+\.\d\d\); SSIM", line), line
    assert "4 images denoised" in line  # the fixed 10% of 40 held out
    folder = tmp_path / "dn"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert f"{metrics['psnr_denoised']:.2f} dB vs median 3x3 {metrics['psnr_median3']:.2f}" in line
    assert metrics["noise"] == "gaussian" and metrics["noise_level"] == 0.3
    denoised = np.load(folder / "denoised.npy")
    assert denoised.shape == (4, 1, 8, 8) and 0.0 <= denoised.min() and denoised.max() <= 1.0
    assert (folder / "denoise_grid.png").read_bytes().startswith(b"\x89PNG")
    assert "<html" in (folder / "report.html").read_text().lower()


def test_denoise_with_a_run_on_noisy_images_and_their_clean_versions(cli, trained_images, tmp_path: Path) -> None:
    run, clean = trained_images
    rng = np.random.default_rng(1)
    x = np.load(clean)
    np.save(tmp_path / "noisy.npy", np.clip(x + 0.2 * rng.normal(size=x.shape), 0, 1).astype(np.float32))
    result = cli("denoise", run, "--data", tmp_path / "noisy.npy", "--clean", clean, "--write-images",
                 "--out", tmp_path / "dn")
    assert "40 images denoised" in result_line(result) and "vs median 3x3" in result_line(result)
    assert len(list((tmp_path / "dn" / "images").glob("*.png"))) == 40
    # without the clean versions there is nothing to measure: just the count
    bare = cli("--quiet", "denoise", run, "--data", tmp_path / "noisy.npy", "--out", tmp_path / "dn2")
    assert result_line(bare).startswith("40 images denoised")


@pytest.fixture(scope="module")
def trained_images(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from typer.testing import CliRunner

    from aekit.cli.main import app
    from tests.cli.conftest import make_images

    folder = tmp_path_factory.mktemp("dae")
    images = make_images(folder)
    result = CliRunner().invoke(app, ["train", "--data", str(images), "--noise", "gaussian", "--noise-level", "0.2",
                                      "--epochs", "1", "--latent-dim", "4", "--hidden", "16", "--quiet",
                                      "--out", str(folder / "run")])
    assert result.exit_code == 0, result.output
    return folder / "run", images


def test_denoise_needs_a_run_or_a_noise(cli, images_npy: Path, tmp_path: Path) -> None:
    message = one_line_error(cli("denoise", "--data", images_npy, "--out", tmp_path / "dn"))
    assert "--noise" in message and "RUN" in message


def test_denoise_blind_is_gaussian_only(cli, images_npy: Path, tmp_path: Path) -> None:
    message = one_line_error(cli("denoise", "--data", images_npy, "--blind", "--noise", "mask", *TINY,
                                 "--out", tmp_path / "dn"))
    assert "gaussian" in message


def test_denoise_refuses_a_missing_clean_file_and_an_unknown_noise(cli, images_npy: Path, tmp_path: Path) -> None:
    assert "does not exist" in usage_error(cli("denoise", "--data", images_npy, "--clean", tmp_path / "none.npy"))
    text = usage_error(cli("denoise", "--data", images_npy, "--noise", "pink"))
    assert "'pink' is not one of" in text and "'gaussian'" in text


def test_model_choices_mirror_the_library() -> None:
    from aekit.apps.denoise import MODELS
    from aekit.cli.denoise import DenoiseModel

    assert {m.value for m in DenoiseModel} == set(MODELS)


def test_denoise_blind_trains_over_a_range_and_tests_at_the_level(cli, images_npy: Path, tmp_path: Path) -> None:
    result = cli("denoise", "--data", images_npy, "--blind", "--noise-level", "0.1", *TINY, "--out", tmp_path / "b")
    assert "vs median 3x3" in result_line(result)
    metrics = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert metrics["noise"] == "gaussian" and metrics["noise_level"] == 0.1 and "blind" in metrics["model"]


def test_the_median_baseline_is_printed_unless_no_baseline(cli, images_npy: Path, tmp_path: Path) -> None:
    args = ["denoise", "--data", images_npy, "--noise", "gaussian", "--noise-level", "0.3", *TINY]
    assert "vs median 3x3" in result_line(cli(*args, "--out", tmp_path / "a"))
    line = result_line(cli(*args, "--no-baseline", "--out", tmp_path / "b"))
    assert re.match(r"PSNR -?\d+\.\d\d dB \(noisy \d+\.\d\d\); SSIM -?\d\.\d{3}; 4 images denoised", line), line
    assert "median" not in line.split("; run folder")[0]
    metrics = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert "psnr_median3" not in metrics and "psnr_denoised" in metrics


def test_a_denoise_run_folder_is_reused_as_run(cli, images_npy: Path, tmp_path: Path) -> None:
    from aekit.apps.denoise import load_denoiser

    cli("denoise", "--data", images_npy, "--noise", "salt_pepper", "--noise-level", "0.2", *TINY, "--out", tmp_path / "dn")
    assert (tmp_path / "dn" / "config.json").exists() and (tmp_path / "dn" / "model.safetensors").exists()
    x = np.load(images_npy)
    noisy = np.where(np.random.default_rng(3).random(x.shape) < 0.1, 1.0, x).astype(np.float32)
    np.save(tmp_path / "noisy.npy", noisy)
    again = cli("--quiet", "denoise", tmp_path / "dn", "--data", tmp_path / "noisy.npy", "--clean", images_npy,
                "--out", tmp_path / "again")
    assert "40 images denoised" in result_line(again) and "vs median 3x3" in result_line(again)
    expected = load_denoiser(tmp_path / "dn")(noisy)
    np.testing.assert_allclose(np.load(tmp_path / "again" / "denoised.npy"), expected, atol=1e-6)


def test_denoise_blocks_trains_and_measures(cli, images_npy: Path, tmp_path: Path) -> None:
    result = cli("denoise", "--data", images_npy, "--noise", "blocks", "--noise-level", "0.25", *TINY,
                 "--out", tmp_path / "blk")
    assert "vs median 3x3" in result_line(result)
    assert json.loads((tmp_path / "blk" / "metrics.json").read_text())["noise"] == "blocks"


def test_denoise_bad_options_each_get_one_clear_message(cli, images_npy: Path, tmp_path: Path) -> None:
    message = one_line_error(cli("denoise", "--data", images_npy, "--blind", "--model", "conv", *TINY,
                                 "--out", tmp_path / "dn"))
    assert "--blind" in message and "--model residual" in message
    assert not (tmp_path / "dn").exists()  # refused before anything was written
    text = usage_error(cli("denoise", "--data", images_npy, "--noise", "gaussian", "--noise-level", "-0.1"))
    assert "Invalid value for '--noise-level'" in text and "greater than or equal to 0" in text
    message = one_line_error(cli("denoise", "--data", images_npy, "--noise", "blocks", "--noise-level", "1.5", *TINY,
                                 "--out", tmp_path / "dn2"))
    assert "fraction of each image to hide, in [0, 1]" in message


def test_noise_choices_mirror_the_library() -> None:
    from aekit.apps.denoise import NOISES
    from aekit.cli.denoise import DenoiseNoise

    assert [n.value for n in DenoiseNoise] == list(NOISES)
