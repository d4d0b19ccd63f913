"""aekit encode / reconstruct / evaluate on a trained run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

import aekit


def test_encode_npy_matches_transform(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    result = cli("encode", run, "--data", table, "--out", tmp_path / "codes.npy")
    assert result.exit_code == 0, result.output
    codes = np.load(tmp_path / "codes.npy")
    assert codes.shape == (60, 3)
    features = pd.read_csv(table).drop(columns="label").to_numpy(np.float32)  # the run's label column is dropped
    np.testing.assert_allclose(codes, aekit.load(run).transform(features), rtol=1e-6)
    assert "60 codes of 3 values" in result.stdout


def test_encode_csv_and_config_json_as_run(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    result = cli("encode", run / "config.json", "--data", table, "--out", tmp_path / "codes.csv")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "codes.csv")
    assert list(frame.columns) == ["z0", "z1", "z2"] and len(frame) == 60


def test_encode_a_table_without_the_label_column(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    pd.read_csv(table).drop(columns="label").to_csv(tmp_path / "plain.csv", index=False)
    result = cli("encode", run, "--data", tmp_path / "plain.csv", "--out", tmp_path / "codes.npy")
    assert result.exit_code == 0, result.output


def test_reconstruct_table_to_csv_keeps_column_names(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    result = cli("reconstruct", run, "--data", table, "--out", tmp_path / "recon.csv")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "recon.csv")
    assert list(frame.columns) == [f"f{i}" for i in range(6)] and len(frame) == 60
    assert not (tmp_path / "recon.png").exists()  # pictures for images only


def test_reconstruct_images_writes_a_picture(cli, fast, images_npy: Path, tmp_path: Path) -> None:
    assert cli("train", "--data", images_npy, *fast, "-o", tmp_path / "run").exit_code == 0
    result = cli("reconstruct", tmp_path / "run", "--data", images_npy, "--out", tmp_path / "recon.npy")
    assert result.exit_code == 0, result.output
    assert np.load(tmp_path / "recon.npy").shape == (40, 1, 8, 8)
    assert (tmp_path / "recon.png").read_bytes().startswith(b"\x89PNG")
    assert "recon.png" in result.stdout


def test_evaluate_prints_and_writes_metrics(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    result = cli("evaluate", run, "--data", table, "--out", tmp_path / "m.json")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["n_samples"] == 60 and "bce" not in metrics  # table values are not in [0, 1]
    assert metrics["mean_score"] == -metrics["loss"]
    features = pd.read_csv(table).drop(columns="label").to_numpy(np.float32)
    model = aekit.load(run)
    assert np.isclose(metrics["mse"], np.mean((model.predict(features) - features) ** 2), rtol=1e-4)
    assert np.isclose(metrics["mean_score"], model.score(features), rtol=1e-5)
    assert "mse" in result.stdout and "mean_score" in result.stdout


def test_evaluate_writes_into_the_run_folder_by_default(cli, trained) -> None:
    run, table = trained
    result = cli("evaluate", run, "--data", table)
    assert result.exit_code == 0, result.output
    assert (run / "evaluation-table.json").is_file()
