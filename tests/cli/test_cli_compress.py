"""aekit compress / decompress: images to an .aek file beside JPEG at the same rate, and back as PNG or .npy."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
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


# ---------------------------------------------------------------- aekit train --model compress
TRAIN_FAST = ["--model", "compress", "--epochs", "2", "--batch-size", "16", "--latent-channels", "2", "--quiet"]
RATE_LINE = (r"rate_lambda {lam}: (\d+\.\d{{3}}) bpp, (\d+\.\d\d) dB PSNR, SSIM (-?\d\.\d{{3}}) vs JPEG q(\d+) "
             r"(\d+\.\d{{3}}) bpp, (\d+\.\d\d) dB, SSIM (-?\d\.\d{{3}}) \(lambda-{lam}/\)$")


@pytest.fixture(scope="module")
def compress_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    """Two rates trained by the CLI on 120 8x8 images (108 train, 12 test): run folder, images, result."""
    from typer.testing import CliRunner

    from aekit.cli.main import app

    folder = tmp_path_factory.mktemp("train-comp")
    images = make_images(folder, n=120)
    result = CliRunner().invoke(app, ["train", "--data", str(images), "--rate-lambda", "0.03,0.003", *TRAIN_FAST,
                                      "--out", str(folder / "run")])
    assert result.exit_code == 0, result.output
    return folder / "run", images, result


def test_train_compress_prints_each_rate_beside_jpeg_and_writes_one_model_per_rate(compress_run) -> None:
    import json

    import aekit

    run, _, result = compress_run
    lines = [line for line in result.stdout.strip().splitlines() if not line.startswith("aekit loses to ")]
    assert len(lines) == 3, result.stdout
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["rate_lambdas"] == [0.03, 0.003] and metrics["n_eval"] == metrics["n_test"] == 12
    for lam in ("0.03", "0.003"):
        m = next(re.match(RATE_LINE.format(lam=re.escape(lam)), line) for line in lines[:2] if lam + ":" in line)
        assert m, lines
        rate = metrics["rates"][f"lambda-{lam}"]
        assert float(m.group(1)) == pytest.approx(8 * rate["file_bytes"] / (12 * 8 * 8), abs=1e-3)
        assert float(m.group(1)) == pytest.approx(rate["bits_per_pixel"], abs=1e-3)
        assert int(m.group(4)) == rate["jpeg_quality"]
        assert float(m.group(6)) == pytest.approx(rate["jpeg_psnr"], abs=0.01)
        assert (run / f"decoded_lambda-{lam}.png").read_bytes().startswith(b"\x89PNG")
        model = aekit.load(run / f"lambda-{lam}")
        assert type(model).__name__ == "ImageCompressor" and model.rate_lambda == float(lam)
        assert model.latent_channels == 2
    # the first rate trained 2 epochs, the next continued the same network for 1 (a quarter, at least one)
    assert re.fullmatch(r"2 rates measured on 12 test images; 3 epochs in \d+\.\ds; run folder .*run, "
                        r"report .*report\.html", lines[2]), lines[2]
    assert metrics["epochs_run"] == 3 and metrics["baseline"].startswith("JPEG")
    # one line more where some JPEG quality has no more bits and a higher PSNR (likely after 3 epochs)
    beaten = [lam for lam, rate in metrics["rates"].items() if rate["beaten_by"]]
    assert ("aekit loses to JPEG here: " in result.stdout) == bool(beaten)
    for lam in beaten:
        assert f"no more bits than rate_lambda {lam[len('lambda-'):]} for a higher PSNR" in result.stdout
    history = pd.read_csv(run / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3] and history["rate_lambda"].tolist() == [0.003, 0.003, 0.03]
    # the run folder itself is the first rate given
    root = aekit.load(run)
    assert root.rate_lambda == 0.03 and root.model_sha256_ == aekit.load(run / "lambda-0.03").model_sha256_
    assert {"rate_distortion.png", "loss_curves.png", "history.csv", "run.json", "report.html"} <= {
        p.name for p in run.iterdir()}


def test_train_compress_run_goes_through_compress_and_decompress(cli, compress_run, tmp_path: Path) -> None:
    run, images, _ = compress_run
    x = np.load(images)
    for model in (run, run / "lambda-0.003"):
        out = tmp_path / f"{model.name}.aek"
        line = result_line(cli("--quiet", "compress", model, "--data", images, "--out", out, "--no-baseline"))
        assert line.startswith("120 images of images.npy ->"), line
        cli_line = result_line(cli("decompress", out, "--model", model, "--out", tmp_path / model.name,
                                   "--format", "npy"))
        assert cli_line.endswith("(1 npy file)")
        decoded = np.load(tmp_path / model.name / "images.npy")
        assert decoded.shape == (120, 1, 8, 8) and decoded.dtype == np.uint8
        # lossy, but the images come back: far closer to their own originals than to the mean image
        err = np.mean((decoded[:, 0] / 255.0 - x) ** 2)
        assert err < np.mean((x - x.mean(axis=0)) ** 2) * 4
    # the two rates are different models: a file of one is refused by the other, naming both
    message = one_line_error(cli("decompress", tmp_path / "run.aek", "--model", run / "lambda-0.003",
                                 "--out", tmp_path / "o"))
    assert "was compressed by the model with SHA-256" in message and "a different model cannot decode it" in message


def test_train_compress_report_shows_the_rate_distortion_curve_and_decoded_grids(compress_run) -> None:
    run, _, _ = compress_run
    page = (run / "report.html").read_text()
    for name in ("rate_distortion.png", "decoded_lambda-0.03.png", "decoded_lambda-0.003.png", "loss_curves.png"):
        assert f'<span class="file">{name}</span>' in page, name
    assert page.index("rate_distortion.png") < page.index("decoded_lambda-0.03.png")
    assert "rates.lambda-0.03.bits_per_pixel" in page


def test_train_compress_one_rate_no_baseline_and_resume(cli, tmp_path: Path) -> None:
    import json

    import aekit

    images = make_images(tmp_path, n=120)
    args = ["train", "--data", images, *TRAIN_FAST, "--out", tmp_path / "one", "--no-baseline"]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert re.fullmatch(r"rate_lambda 0.01: \d+\.\d{3} bpp, \d+\.\d\d dB PSNR, SSIM -?\d\.\d{3}", first), first
    assert "JPEG" not in result.stdout
    run = tmp_path / "one"
    assert not list(run.glob("lambda-*")) and (run / "checkpoint.safetensors").is_file()
    assert aekit.load(run).rate_lambda == 0.01  # the estimator's default rate
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["baseline"] is None and metrics["rates"]["lambda-0.01"]["jpeg_quality"] == 0
    assert (run / "rate_distortion.png").is_file() and (run / "decoded_lambda-0.01.png").is_file()
    again = cli(*args, "--resume")
    assert "already trained (2 epochs, nothing to do)" in again.stdout, again.output
    assert json.loads((run / "metrics.json").read_text())["rates"] == metrics["rates"]


def test_train_compress_refuses_a_table(cli, table_csv: Path, tmp_path: Path) -> None:
    message = one_line_error(cli("train", "--data", table_csv, *TRAIN_FAST, "--out", tmp_path / "t"))
    assert "--model compress compresses images, but table.csv holds a table of 7 columns" in message
    assert "--model dense" in message and not (tmp_path / "t").exists()


@pytest.mark.parametrize("value", ["-1", "0", "abc", "0.01,,0.1", "nan", "inf", "0.01,0.01"])
def test_train_compress_refuses_a_bad_rate_lambda(cli, images_npy: Path, value: str) -> None:
    text = usage_error(cli("train", "--data", images_npy, *TRAIN_FAST, "--rate-lambda", value))
    assert "Invalid value for '--rate-lambda'" in text
    assert "is not a positive number" in text or "names a rate twice" in text
    assert "e.g." in text and "0.003,0.01" in text


def test_compress_options_belong_to_compress(cli, images_npy: Path) -> None:
    message = one_line_error(cli("train", "--data", images_npy, *TRAIN_FAST, "--latent-dim", "4"))
    assert "--latent-dim needs --model dense, conv, vae, conv-vae or recurrent, not --model compress" in message
    message = one_line_error(cli("train", "--data", images_npy, "--rate-lambda", "0.01", "--quiet"))
    assert "--rate-lambda needs --model compress, not --model dense" in message


def test_train_compress_resumes_a_run_killed_between_rates(cli, compress_run, tmp_path: Path) -> None:
    import shutil

    import aekit

    run, images, _ = compress_run
    killed = tmp_path / "run"
    shutil.copytree(run, killed)
    shutil.rmtree(killed / "lambda-0.03")  # killed after the first rate (0.003) finished
    result = cli("train", "--data", images, "--rate-lambda", "0.03,0.003", *TRAIN_FAST, "--out", killed, "--resume")
    assert "1 epochs resumed after epoch 2" in result_line(result), result.stdout
    # the same network as the uninterrupted run: the second rate continued the first one's weights
    for lam in ("0.03", "0.003"):
        assert (aekit.load(killed / f"lambda-{lam}").model_sha256_ == aekit.load(run / f"lambda-{lam}").model_sha256_)


def test_train_compress_says_when_there_are_too_few_test_images_for_jpeg(cli, images_npy: Path,
                                                                          tmp_path: Path) -> None:
    result = cli("train", "--data", images_npy, *TRAIN_FAST)  # 40 images: 4 test
    assert result.exit_code == 0, result.output
    assert "no JPEG baseline: it needs >= 10 test images of 1 or 3 channels" in result.stdout
    run = tmp_path / "runs" / "images-compress-2"  # the default --out: runs/<data>-compress-<latent channels>
    assert "vs JPEG" not in result.stdout and (run / "rate_distortion.png").is_file()


def test_train_compress_takes_the_prior_and_refuses_an_unknown_one(cli, tmp_path: Path) -> None:
    import aekit

    images = make_images(tmp_path, n=60)
    result = cli("train", "--data", images, *TRAIN_FAST, "--prior", "factorized", "--out", tmp_path / "f",
                 "--no-baseline")
    assert result.exit_code == 0, result.output
    comp = aekit.load(tmp_path / "f")
    assert comp.prior == "factorized" and comp.scale_tables_ is None
    text = usage_error(cli("train", "--data", images, *TRAIN_FAST, "--prior", "laplace"))
    assert "Invalid value for '--prior'" in text and "hyperprior" in text and "factorized" in text
    message = one_line_error(cli("train", "--data", images, "--prior", "factorized", "--quiet"))
    assert "--prior needs --model compress, not --model dense" in message
