"""aekit detect: a run folder with scores, plots, the detector and a report; ROC-AUC beside Isolation Forest."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

import aekit
from tests.cli._app_helpers import one_line_error, result_line, usage_error


def test_detect_with_a_trained_run_beside_isolation_forest(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    result = cli("--quiet", "detect", run, "--data", table, "--label-column", "label", "--contamination", "0.1",
                 "--out", tmp_path / "d")
    line = result_line(result)
    assert re.match(r"ROC-AUC \d\.\d{3} vs IsolationForest \d\.\d{3} \(PR-AUC", line), line
    assert "6 of 60 samples flagged (contamination 0.1)" in line
    folder = tmp_path / "d"
    scores = pd.read_csv(folder / "scores.csv")
    assert len(scores) == 60 and set(scores.columns) >= {"score", "label"} and scores["label"].sum() == 6
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["n_flagged"] == 6 and 0 <= metrics["isolation_forest_roc_auc"] <= 1
    assert f"{metrics['roc_auc']:.3f}" in line and f"{metrics['isolation_forest_roc_auc']:.3f}" in line
    assert (folder / "score_histogram.png").read_bytes().startswith(b"\x89PNG")
    assert "<html" in (folder / "report.html").read_text().lower()
    # the folder is a RUN: its detector scores new data the same way (the label column is remembered)
    det = aekit.load(folder)
    assert isinstance(det, aekit.AnomalyDetector)
    again = cli("--quiet", "detect", folder, "--data", table, "--out", tmp_path / "again")
    assert "6 of 60 samples flagged" in result_line(again)
    np.testing.assert_allclose(pd.read_csv(tmp_path / "again" / "scores.csv")["score"], scores["score"], rtol=1e-6)


def test_detect_without_labels_fits_the_default_detector_and_counts(cli, table_csv: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(table_csv).drop(columns="label")
    frame.to_csv(tmp_path / "plain.csv", index=False)
    result = cli("--quiet", "detect", "--data", tmp_path / "plain.csv", "--n-estimators", "1", "--epochs", "2",
                 "--out", tmp_path / "d")
    line = result_line(result)
    assert line.startswith("3 of 60 samples flagged (contamination 0.05)") and "ROC-AUC" not in line
    assert json.loads((tmp_path / "d" / "metrics.json").read_text())["isolation_forest_roc_auc"] is None


def test_detect_refuses_a_missing_run(cli, table_csv: Path, tmp_path: Path) -> None:
    text = usage_error(cli("detect", tmp_path / "none", "--data", table_csv))
    assert "does not exist" in text and "none" in text


def test_detect_refuses_a_contamination_out_of_range(cli, trained) -> None:
    run, table = trained
    text = usage_error(cli("detect", run, "--data", table, "--contamination", "0.9"))
    assert "Invalid value for '--contamination'" in text and "less than or equal to 0.5" in text


def test_detect_alpha_needs_calibration(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    message = one_line_error(cli("detect", run, "--data", table, "--alpha", "0.01", "--out", tmp_path / "d"))
    assert "calibration" in message and not (tmp_path / "d").exists()


def test_detect_refuses_labels_that_are_not_0_1(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    frame = pd.read_csv(table)
    frame["label"] = frame["label"] + 1
    frame.to_csv(tmp_path / "t.csv", index=False)
    message = one_line_error(cli("detect", run, "--data", tmp_path / "t.csv", "--label-column", "label"))
    assert "0 (normal) and 1 (anomaly)" in message


def test_detect_alpha_with_calibration_writes_p_values(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    frame = pd.read_csv(table)
    frame.iloc[:30].to_csv(tmp_path / "clean.csv", index=False)
    result = cli("--quiet", "detect", run, "--data", table, "--alpha", "0.2", "--calibration", tmp_path / "clean.csv",
                 "--fdr", "--out", tmp_path / "d")
    assert "samples flagged (Benjamini-Hochberg at 0.2)" in result_line(result)
    p = pd.read_csv(tmp_path / "d" / "scores.csv")["p_value"]
    assert len(p) == 60 and p.between(0, 1).all()
