"""impute(): fills, writes by suffix, measures against IterativeImputer, draws its figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aekit.apps.impute import ImputationResult, impute, read_data, write_data
from aekit.errors import InputError
from aekit.estimators.imputer import AutoencoderImputer

FAST = {"hidden": (64, 64), "epochs": 300, "random_state": 0}


@pytest.fixture(scope="module")
def table() -> tuple[pd.DataFrame, pd.DataFrame]:
    r = np.random.default_rng(0)
    truth = pd.DataFrame(r.normal(size=(200, 2)) @ r.normal(size=(2, 6)), columns=list("abcdef"))
    holes = truth.mask(r.random(truth.shape) < 0.2)
    return holes, truth


@pytest.fixture(scope="module")
def result(table, tmp_path_factory) -> ImputationResult:
    holes, truth = table
    folder = tmp_path_factory.mktemp("impute")
    return impute(holes, AutoencoderImputer(**FAST), truth=truth, out=folder / "filled.csv",
                  figure=folder / "missing.png", random_state=0)


def test_fills_and_compares_with_the_baseline(table, result):
    holes, _ = table
    assert result.n_missing == int(holes.isna().sum().sum()) and not result.filled.isna().any().any()
    assert 0 < result.rmse < 0.2 and 0 <= result.baseline_rmse < 0.2  # rank-2 data: both fill well
    assert result.figure.stat().st_size > 10_000
    assert "RMSE" in result.summary() and result.to_dict()["baseline"] == "IterativeImputer(BayesianRidge)"


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".npy"])
def test_the_filled_table_is_written_by_suffix(result, tmp_path, suffix):
    path = write_data(result.filled, tmp_path / f"filled{suffix}")
    assert np.allclose(np.asarray(read_data(path), dtype=float), result.filled.to_numpy())
    assert np.allclose(read_data(result.output).to_numpy(), result.filled.to_numpy())


def test_a_fitted_imputer_is_used_as_is(table, result):
    holes, _ = table
    imp = result.imputer
    result = impute(holes, imp)
    assert result.imputer is imp and result.fit_seconds is None and result.rmse is None
    pd.testing.assert_frame_equal(result.filled, imp.transform(holes))


def test_images_get_an_inpainting_grid(images, tmp_path):
    holes = np.random.default_rng(0).random(images.shape) < 0.25
    result = impute(images, AutoencoderImputer(**{**FAST, "epochs": 50}), mask=holes, truth=images, figure=tmp_path / "grid.png",
                    out=tmp_path / "filled.npy")
    assert result.filled.shape == images.shape and result.figure.is_file()
    assert np.load(tmp_path / "filled.npy").shape == images.shape
    assert result.rmse is not None and result.baseline_rmse is not None


def test_unknown_suffix_is_refused(table, tmp_path):
    with pytest.raises(InputError, match=r"impute writes .csv, .parquet, .npy"):
        impute(table[0], AutoencoderImputer(**{**FAST, "epochs": 2}), out=tmp_path / "x.xlsx")


@pytest.mark.parametrize("bad, match", [
    ({"out": "x.xlsx"}, r"impute writes .csv, .parquet, .npy"),
    ({"figure": "x.jpg"}, r"the figure is a PNG"),
    ({"truth": np.zeros((3, 6))}, r"truth has shape \(3, 6\) but the data has \(200, 6\)"),
    ({"truth": pd.DataFrame(np.zeros((200, 6)), columns=list("abcdeg"))}, r"truth's columns"),
])
def test_bad_arguments_are_refused_before_training(table, tmp_path, monkeypatch, bad, match):
    def boom(*args, **kwargs):
        raise AssertionError("fit was called before the arguments were checked")
    monkeypatch.setattr(AutoencoderImputer, "fit", boom)
    kwargs = {k: tmp_path / v if isinstance(v, str) else v for k, v in bad.items()}
    with pytest.raises(InputError, match=match):
        impute(table[0], AutoencoderImputer(**FAST), **kwargs)
