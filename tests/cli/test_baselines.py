"""Every scoring command prints its classical baseline beside its number (and --no-baseline skips it)."""

from __future__ import annotations

import json
from pathlib import Path

TINY_CLASSIFY = ["--epochs", "2", "--batch-size", "16", "--latent-dim", "3", "--hidden", "8", "--head-hidden", "8",
                 "--quiet"]


def test_train_prints_pca_beside_its_error_and_says_it_loses(cli, fast, table_csv: Path, tmp_path: Path) -> None:
    result = cli("train", "--data", table_csv, "--label-column", "label", *fast, "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert "baseline PCA-3 (fit on 54 rows" in result.stdout and "test MSE" in result.stdout
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["baseline"]["name"] == "PCA-3" and metrics["baseline"]["aekit"] == metrics["test_mse"]
    # rank-2 table: PCA-3 is exact, two epochs of an autoencoder are not
    assert metrics["baseline"]["aekit_ahead"] is False
    assert "aekit loses to PCA-3 on test MSE" in result.stdout and "most likely fix: train longer" in result.stdout
    assert "baseline.name" in (tmp_path / "run" / "report.html").read_text()


def test_train_no_baseline(cli, fast, table_csv: Path, tmp_path: Path) -> None:
    result = cli("train", "--data", table_csv, "--label-column", "label", *fast, "--out", tmp_path / "run",
                 "--no-baseline")
    assert result.exit_code == 0, result.output
    assert "baseline PCA" not in result.stdout and "aekit loses" not in result.stdout
    assert "baseline" not in json.loads((tmp_path / "run" / "metrics.json").read_text())


def test_evaluate_and_reduce_print_pca(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    result = cli("evaluate", run, "--data", table, "--out", tmp_path / "m.json")
    assert result.exit_code == 0, result.output
    assert "baseline PCA-3 (fit on in-sample, the data itself, 60 rows" in result.stdout
    assert json.loads((tmp_path / "m.json").read_text())["baseline"]["name"] == "PCA-3"
    skipped = cli("evaluate", run, "--data", table, "--out", tmp_path / "n.json", "--no-baseline")
    assert "baseline PCA" not in skipped.stdout and "baseline" not in json.loads((tmp_path / "n.json").read_text())

    reduced = cli("--quiet", "reduce", run, "--data", table, "--out", tmp_path / "codes.npy")
    assert reduced.exit_code == 0, reduced.output
    assert "baseline PCA-3" in reduced.stdout
    quiet = cli("--quiet", "reduce", run, "--data", table, "--out", tmp_path / "codes.npy", "--no-baseline")
    assert quiet.exit_code == 0 and "baseline PCA" not in quiet.stdout


def test_classify_prints_logistic_regression(cli, table_csv: Path, tmp_path: Path) -> None:
    result = cli("classify", "--data", table_csv, "--label-column", "label", *TINY_CLASSIFY, "--out", tmp_path / "c")
    assert result.exit_code == 0, result.output
    assert "baseline LogisticRegression on raw inputs (fit on 54 rows" in result.stdout
    assert "baseline LogisticRegression on PCA-3 codes" in result.stdout
    metrics = json.loads((tmp_path / "c" / "metrics.json").read_text())
    assert metrics["baseline"]["test_accuracy"] >= 0.0 and metrics["baseline_pca"]["name"].endswith("PCA-3 codes")
    skipped = cli("classify", "--data", table_csv, "--label-column", "label", *TINY_CLASSIFY, "--out",
                  tmp_path / "d", "--no-baseline")
    assert skipped.exit_code == 0 and "baseline Logistic" not in skipped.stdout
    assert "baseline" not in json.loads((tmp_path / "d" / "metrics.json").read_text())
