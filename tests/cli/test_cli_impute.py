"""aekit impute: a filled table and a figure; with the truth, RMSE beside IterativeImputer(BayesianRidge)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aekit
from tests.cli._app_helpers import one_line_error, result_line, usage_error

TINY = ["--epochs", "3", "--hidden", "8"]


@pytest.fixture
def holes(tmp_path: Path) -> tuple[Path, Path]:
    """A 60 x 5 rank-2 table (truth.csv) and a copy with 27 cells removed (holes.csv)."""
    rng = np.random.default_rng(0)
    truth = pd.DataFrame(rng.normal(size=(60, 2)) @ rng.normal(size=(2, 5)), columns=list("abcde"))
    with_holes = truth.copy()
    with_holes.iloc[::4, 1] = np.nan
    with_holes.iloc[1::5, 3] = np.nan
    truth.to_csv(tmp_path / "truth.csv", index=False)
    with_holes.to_csv(tmp_path / "holes.csv", index=False)
    return tmp_path / "holes.csv", tmp_path / "truth.csv"


def test_impute_fills_and_measures_beside_iterative_imputer(cli, holes, tmp_path: Path) -> None:
    data, truth = holes
    result = cli("--quiet", "impute", "--data", data, "--truth", truth, "--out", tmp_path / "filled.csv", *TINY,
                 "--save-model", tmp_path / "imp")
    line = result_line(result)
    assert re.match(r"27 missing entries filled in 60 rows; RMSE \(min-max scaled\) \d\.\d{4} vs "
                    r"IterativeImputer\(BayesianRidge\) \d\.\d{4}; written to .*filled\.csv$", line), line
    # the table is exactly rank 2, so the linear imputer is exact there, and the command says aekit loses
    assert "aekit loses to IterativeImputer(BayesianRidge) on RMSE here" in result.stdout
    filled = pd.read_csv(tmp_path / "filled.csv")
    original = pd.read_csv(data)
    assert list(filled.columns) == list("abcde") and not filled.isna().any().any()
    known = original.notna()
    np.testing.assert_allclose(filled[known].to_numpy()[known.to_numpy()], original.to_numpy()[known.to_numpy()],
                               rtol=1e-6)  # observed cells are kept
    assert (tmp_path / "filled.png").read_bytes().startswith(b"\x89PNG")
    # the saved imputer is a RUN that fills another table as it is
    assert isinstance(aekit.load(tmp_path / "imp"), aekit.AutoencoderImputer)
    again = cli("--quiet", "impute", tmp_path / "imp", "--data", data, "--out", tmp_path / "again.parquet")
    assert result_line(again).startswith("27 missing entries filled in 60 rows (pass --truth to measure the fill)")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "again.parquet"), filled, check_exact=False)


def test_impute_no_baseline(cli, holes, tmp_path: Path) -> None:
    data, truth = holes
    line = result_line(cli("--quiet", "impute", "--data", data, "--truth", truth, "--no-baseline", *TINY,
                           "--out", tmp_path / "f.npy"))
    assert "RMSE (min-max scaled)" in line and "IterativeImputer" not in line
    assert np.load(tmp_path / "f.npy").shape == (60, 5)


def test_impute_refuses_a_missing_table_and_a_bad_width(cli, holes, tmp_path: Path) -> None:
    data, _ = holes
    assert "does not exist" in usage_error(cli("impute", "--data", tmp_path / "none.csv"))
    assert "not a whole number >= 1" in usage_error(cli("impute", "--data", data, "--hidden", "8,x"))


@pytest.fixture
def no_training(monkeypatch):
    """Any fit fails loudly: the refusals below must come before training."""
    def boom(*args, **kwargs):
        raise AssertionError("fit was called before the arguments were checked")
    monkeypatch.setattr(aekit.AutoencoderImputer, "fit", boom)


def test_impute_refuses_an_output_suffix_it_cannot_write(cli, holes, tmp_path: Path, no_training) -> None:
    data, _ = holes
    message = one_line_error(cli("impute", "--data", data, *TINY, "--out", tmp_path / "filled.xlsx"))
    assert ".xlsx" in message and ".csv" in message
    assert not (tmp_path / "filled.xlsx").exists()


def test_impute_checks_every_flag_before_training(cli, holes, tmp_path: Path, no_training) -> None:
    data, truth = holes
    assert "the figure is a PNG" in one_line_error(
        cli("impute", "--data", data, *TINY, "--figure", tmp_path / "f.jpg"))
    (tmp_path / "afile").write_text("x")
    assert "is a file" in one_line_error(cli("impute", "--data", data, *TINY, "--save-model", tmp_path / "afile"))
    short = pd.read_csv(truth).iloc[:-1]
    short.to_csv(tmp_path / "short.csv", index=False)
    assert "truth has shape (59, 5)" in one_line_error(
        cli("impute", "--data", data, *TINY, "--truth", tmp_path / "short.csv"))
    assert "RUN" in one_line_error(cli("impute", tmp_path, "--data", data, "--epochs", "3"))


def test_impute_images_from_npy_with_either_network(cli, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    images = rng.random((40, 8, 8))
    holes = images.copy()
    holes[rng.random(images.shape) < 0.2] = np.nan
    np.save(tmp_path / "holes.npy", holes)
    for network in ("conv", "dense"):
        line = result_line(cli("--quiet", "impute", "--data", tmp_path / "holes.npy", "--network", network,
                               "--epochs", "2", "--out", tmp_path / f"{network}.npy", "--save-model",
                               tmp_path / network))
        assert line.startswith(f"{int(np.isnan(holes).sum())} missing entries filled in 40 rows"), line
        filled = np.load(tmp_path / f"{network}.npy")
        assert filled.shape == images.shape and np.array_equal(filled[~np.isnan(holes)], images[~np.isnan(holes)])
        assert aekit.load(tmp_path / network).network_ == network


def test_impute_refuses_network_with_a_fitted_run(cli, holes, tmp_path: Path) -> None:
    data, _ = holes
    cli("--quiet", "impute", "--data", data, *TINY, "--out", tmp_path / "f.csv", "--save-model", tmp_path / "imp")
    err = one_line_error(cli("impute", tmp_path / "imp", "--data", data, "--network", "dense",
                             "--out", tmp_path / "g.csv"))
    assert "--network shape an imputer fitted here" in err
