"""aekit generate: samples, interpolation and traversal grids from a trained run, beside the PCA-Gaussian baseline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aekit.cli.main import app
from aekit.cli.generate import Sampler
from tests.cli._app_helpers import one_line_error, result_line, usage_error
from tests.cli.conftest import make_images


@pytest.fixture(scope="module")
def image_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gen")
    images = make_images(folder)
    result = CliRunner().invoke(app, ["train", "--data", str(images), "--epochs", "1", "--latent-dim", "3",
                                      "--hidden", "16", "--quiet", "--out", str(folder / "run")])
    assert result.exit_code == 0, result.output
    return folder / "run"


def test_generate_writes_samples_baseline_interpolation_and_traversal(cli, image_run: Path, tmp_path: Path) -> None:
    result = cli("--quiet", "generate", image_run, "--n", "9", "--n-components", "2", "--interpolate", "0,5",
                 "--traverse", "--steps", "4", "--out", tmp_path / "g")
    line = result_line(result)
    assert line.startswith("9 gmm samples (code size 3) and 9 PCA-Gaussian baseline samples, "
                           "interpolation and traversal; folder ")
    folder = tmp_path / "g"
    assert np.load(folder / "samples.npy").shape == (9, 1, 8, 8)  # the run's input shape
    assert np.load(folder / "baseline_pca.npy").shape == (9, 1, 8, 8)
    assert np.load(folder / "interpolation.npy").shape == (2, 4, 1, 8, 8)  # linear, spherical
    assert np.load(folder / "traversal.npy").shape == (3, 4, 1, 8, 8)  # one row per code dimension
    for name in ("samples", "baseline_pca", "interpolation", "traversal"):
        assert (folder / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((folder / "metrics.json").read_text())["latent_dim"] == 3
    assert json.loads((folder / "metrics.json").read_text())["n_components"] == 2
    assert "<html" in (folder / "report.html").read_text().lower()
    # same seed, same samples
    again = cli("--quiet", "generate", image_run, "--n", "9", "--n-components", "2", "--out", tmp_path / "g2")
    assert again.exit_code == 0, again.output
    np.testing.assert_array_equal(np.load(tmp_path / "g2" / "samples.npy"), np.load(folder / "samples.npy"))


def test_generate_prior_needs_a_vae(cli, image_run: Path, tmp_path: Path) -> None:
    message = one_line_error(cli("generate", image_run, "--sampler", "prior", "--out", tmp_path / "g"))
    assert "VariationalAutoencoder" in message and "gmm" in message


def test_generate_refuses_a_bad_pair_and_a_missing_run(cli, image_run: Path, tmp_path: Path) -> None:
    text = usage_error(cli("generate", image_run, "--interpolate", "3"))
    assert "Invalid value for '--interpolate'" in text and "I,J" in text
    assert "does not exist" in usage_error(cli("generate", tmp_path / "none"))


def test_generate_refuses_an_index_out_of_range(cli, image_run: Path, tmp_path: Path) -> None:
    message = one_line_error(cli("generate", image_run, "--n-components", "2", "--interpolate", "0,99",
                                 "--out", tmp_path / "g"))
    assert "99" in message and "out of range" in message


def test_sampler_choices_mirror_the_library() -> None:
    from aekit.apps.generate import SAMPLERS

    assert {s.value for s in Sampler} == set(SAMPLERS)


def test_the_baseline_is_drawn_unless_no_baseline(cli, image_run: Path, tmp_path: Path) -> None:
    args = ["--quiet", "generate", image_run, "--n", "4", "--n-components", "2"]
    assert "and 4 PCA-Gaussian baseline samples" in result_line(cli(*args, "--out", tmp_path / "a"))
    line = result_line(cli(*args, "--no-baseline", "--out", tmp_path / "b"))
    assert line.startswith("4 gmm samples (code size 3); folder ") and "PCA" not in line
    assert not (tmp_path / "b" / "baseline_pca.png").exists() and (tmp_path / "b" / "samples.png").exists()
    assert json.loads((tmp_path / "b" / "metrics.json").read_text())["baseline"] is None


def test_generate_refuses_n_below_one_and_data_outside_the_models_range(cli, image_run: Path, tmp_path: Path) -> None:
    assert "--n" in usage_error(cli("generate", image_run, "--n", "0"))
    x = np.load(make_images(tmp_path))
    np.save(tmp_path / "big.npy", (x * 255.0).astype(np.float32))
    message = one_line_error(cli("generate", image_run, "--data", tmp_path / "big.npy", "--out", tmp_path / "g"))
    assert "outside the model's range" in message and "255" in message


def test_the_mixture_size_is_auto_by_default_or_a_given_number(cli, image_run: Path, tmp_path: Path) -> None:
    args = ["generate", image_run, "--n", "4", "--no-baseline"]
    auto = cli(*args, "--out", tmp_path / "a")
    assert auto.exit_code == 0, auto.output
    chosen = json.loads((tmp_path / "a" / "metrics.json").read_text())["n_components"]
    assert chosen in (1, 2, 5, 10, 20, 50, 100) and f"mixture of {chosen} components (auto)" in auto.output
    again = cli(*args, "--components", "auto", "--out", tmp_path / "b")
    assert again.exit_code == 0, again.output
    np.testing.assert_array_equal(np.load(tmp_path / "b" / "samples.npy"), np.load(tmp_path / "a" / "samples.npy"))
    three = cli(*args, "--components", "3", "--out", tmp_path / "c")
    assert three.exit_code == 0 and "mixture of 3 components;" in three.output
    assert json.loads((tmp_path / "c" / "metrics.json").read_text())["n_components"] == 3


@pytest.mark.parametrize("bad", ["0", "-1", "x", "2.5"])
def test_a_bad_mixture_size_is_a_usage_error(cli, image_run: Path, bad: str) -> None:
    text = usage_error(cli("generate", image_run, "--n-components", bad))
    assert "neither 'auto' nor a whole number >= 1" in text and "--n-components auto" in text
