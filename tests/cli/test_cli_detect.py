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


def _nab_file(folder: Path, steps: int = 240, *, name: str = "series.csv") -> Path:
    """A NAB-shaped series (``timestamp,value``, hourly) with one spike at steps 150-153."""
    t = np.arange(steps)
    value = 100 + 10 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(0).normal(size=steps)
    value[150:154] += 80
    stamps = pd.date_range("2015-03-01", periods=steps, freq="h").strftime("%Y-%m-%d %H:%M:%S")
    path = folder / name
    pd.DataFrame({"timestamp": stamps, "value": value}).to_csv(path, index=False)
    return path


def test_detect_reads_a_nab_file_as_a_series_with_events_in_time_stamps(cli, tmp_path: Path) -> None:
    path = _nab_file(tmp_path)
    result = cli("detect", "--data", path, "--contamination", "0.02", "--n-estimators", "2", "--out", tmp_path / "d")
    assert result.exit_code == 0, result.output
    assert "of 240 time steps flagged (contamination 0.02)" in result_line(result)
    found = re.search(r"event (2015-03-\d\dT\d\d:00:00) to (2015-03-\d\dT\d\d:00:00), peak at 2015-03-", result.output)
    assert found and found[1] <= "2015-03-07T06:00:00" <= found[2]  # the spike (step 150) lies inside it
    scores = pd.read_csv(tmp_path / "d" / "scores.csv")
    assert list(scores.columns) == ["step", "timestamp", "score", "label"] and len(scores) == 240
    assert (tmp_path / "d" / "series.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((tmp_path / "d" / "run.json").read_text())["time_column"] is None  # found, not named


def test_detect_refuses_a_nab_file_out_of_time_order(cli, tmp_path: Path) -> None:
    path = _nab_file(tmp_path)
    frame = pd.read_csv(path)
    frame.iloc[[5, 6]] = frame.iloc[[6, 5]].to_numpy()
    frame.to_csv(path, index=False)
    message = one_line_error(cli("detect", "--data", path, "--out", tmp_path / "d"))
    assert "not in time order: row 6" in message and "sort_values('timestamp')" in message


def test_detect_time_column_names_a_numeric_clock(cli, tmp_path: Path) -> None:
    frame = pd.read_csv(_nab_file(tmp_path))
    frame["timestamp"] = np.arange(len(frame)) * 3600
    frame.to_csv(tmp_path / "clock.csv", index=False)
    result = cli("--quiet", "detect", "--data", tmp_path / "clock.csv", "--time-column", "timestamp",
                 "--window", "12", "--n-estimators", "1", "--out", tmp_path / "d")
    assert "of 240 time steps flagged" in result_line(result)
    assert json.loads((tmp_path / "d" / "detect.json").read_text())["window"] == 12
    assert pd.read_csv(tmp_path / "d" / "scores.csv")["timestamp"].iloc[2] == 7200


def test_detect_no_baseline_drops_the_isolation_forest_line(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    args = ("--quiet", "detect", run, "--data", table, "--label-column", "label")
    default = result_line(cli(*args, "--out", tmp_path / "a"))
    skipped = result_line(cli(*args, "--no-baseline", "--out", tmp_path / "b"))
    assert "vs IsolationForest" in default
    assert "IsolationForest" not in skipped and skipped.startswith("ROC-AUC") and "no baseline" in skipped
    assert json.loads((tmp_path / "b" / "metrics.json").read_text())["isolation_forest_roc_auc"] is None


def test_train_recurrent_then_detect_on_a_nab_file(cli, fast, tmp_path: Path) -> None:
    path = _nab_file(tmp_path)
    train = cli("train", "--model", "recurrent", "--data", path, "--window", "24", "--stride", "4", "--epochs", "1",
                "--batch-size", "16", "--latent-dim", "3", "--quiet", "--out", tmp_path / "rnn")
    assert train.exit_code == 0, train.output
    result = cli("--quiet", "detect", tmp_path / "rnn", "--data", path, "--out", tmp_path / "d")
    assert "of 240 time steps flagged" in result_line(result)
    assert json.loads((tmp_path / "d" / "detect.json").read_text())["window"] == 24  # the model's own windows
