"""apps.baselines and the baseline each scoring apps function records beside its own number."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from aekit.apps.baselines import Baseline, logistic_regression, pca_reconstruction, reconstruction_fix
from aekit.apps.classify import classify_run
from aekit.apps.reduce import pca_errors, run_pca_baseline
from aekit.apps.runs import evaluate_run
from tests.apps.conftest import TINY
from aekit.apps.train import train_run



def test_pca_baseline_is_pca_at_the_code_size() -> None:
    rng = np.random.default_rng(0)
    X_train, X_test = rng.normal(size=(300, 10)), rng.normal(size=(50, 10))
    b = pca_reconstruction(X_train, X_test, 3, ours=0.5)
    (expected,) = pca_errors(X_train, X_test, (3,))
    assert b.name == "PCA-3" and b.key == "test_mse" and b.n_fit == b.n_train == 300
    assert np.isclose(b.value, expected, rtol=1e-6)
    assert b.to_dict()["test_mse"] == b.value and b.to_dict()["aekit"] == 0.5


def test_a_large_training_set_is_subsampled_and_the_line_says_so() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((500, 8))
    b = pca_reconstruction(X, X[:20], 2, max_rows=100)
    assert (b.n_fit, b.n_train) == (100, 500)
    assert "100 of 500 rows (subsampled)" in b.line()


def test_logistic_regression_on_raw_inputs_and_on_pca_codes() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    raw = logistic_regression(X[:300], y[:300], X[300:], y[300:], ours=0.5, max_rows=200)
    codes = logistic_regression(X[:300], y[:300], X[300:], y[300:], pca_components=2)
    assert raw.name == "LogisticRegression on raw inputs" and raw.key == "test_accuracy"
    assert raw.value > 0.9 and raw.n_fit == 200 and codes.name == "LogisticRegression on PCA-2 codes"
    assert raw.ahead is False and "aekit loses to LogisticRegression on raw inputs" in str(raw.verdict())


@pytest.mark.parametrize(("key", "value", "ours", "ahead"), [
    ("test_mse", 0.02, 0.01, True), ("test_mse", 0.01, 0.02, False),
    ("test_accuracy", 0.88, 0.90, True), ("test_accuracy", 0.90, 0.88, False)])
def test_direction_of_each_metric(key: str, value: float, ours: float, ahead: bool) -> None:
    b = Baseline("B", key, value, ours, 0.1, 10, 10, fix="do this")
    assert b.ahead is ahead
    assert (b.verdict() is None) is ahead
    if not ahead:
        assert str(b.verdict()).endswith("most likely fix: do this.")


def test_the_fix_is_more_epochs_while_the_loss_falls_else_a_larger_code() -> None:
    assert "--epochs 20" in reconstruction_fix([{"loss": 1.0}, {"loss": 0.5}], 5, 8)
    assert "--epochs 20" in reconstruction_fix([{"loss": 1.0}, {"loss": 0.999}], 5, 8)  # few epochs
    assert "--latent-dim 16" in reconstruction_fix([{"loss": 1.0}, {"loss": 0.999}], 30, 8)


def test_train_run_records_pca_beside_its_error_and_says_when_it_loses(table: Path, tmp_path: Path) -> None:
    result = train_run(str(table), tmp_path / "run", params=TINY, label_column="label", progress=False)
    b = result.baseline
    assert b is not None and b.name == "PCA-2" and (b.n_fit, b.n_train) == (54, 54)
    recorded = json.loads((tmp_path / "run" / "metrics.json").read_text())["baseline"]
    assert recorded == b.to_dict() and recorded["aekit"] == result.metrics["test_mse"]
    # rank-2 data: PCA-2 is exact, two epochs of an autoencoder are not
    assert b.ahead is False and "--epochs 20" in str(b.verdict())


def test_train_run_without_baseline(table: Path, tmp_path: Path) -> None:
    result = train_run(str(table), tmp_path / "run", params=TINY, label_column="label", progress=False,
                       baseline=False)
    assert result.baseline is None and "baseline" not in result.metrics


def test_evaluate_and_reduce_fit_pca_on_a_file_in_sample(table: Path, tmp_path: Path) -> None:
    train_run(str(table), tmp_path / "run", params=TINY, label_column="label", progress=False, baseline=False)
    evaluation = evaluate_run(tmp_path / "run", str(table), out=tmp_path / "e.json")
    b = evaluation.baseline
    assert b is not None and b.key == "mse" and b.n_fit == 60 and "in-sample" in b.line()
    assert json.loads((tmp_path / "e.json").read_text())["baseline"]["mse"] == b.value
    again = run_pca_baseline(tmp_path / "run", str(table))  # what 'aekit reduce' prints
    assert (again.name, again.value, again.ours) == (b.name, b.value, b.ours)
    skipped = evaluate_run(tmp_path / "run", str(table), out=tmp_path / "f.json", baseline=False)
    assert skipped.baseline is None and "baseline" not in skipped.metrics


def test_classify_run_records_both_logistic_regressions(table: Path, tmp_path: Path) -> None:
    result = classify_run(str(table), tmp_path / "c", epochs=2, latent_dim=2, head_hidden=(8,), batch_size=16,
                          label_column="label", progress=False)
    raw, codes = result.baselines
    assert raw.name == "LogisticRegression on raw inputs" and codes.name == "LogisticRegression on PCA-2 codes"
    assert raw.n_fit == result.n_labels and raw.ours == result.metrics["test_accuracy"]
    metrics = json.loads((tmp_path / "c" / "metrics.json").read_text())
    assert metrics["baseline"] == raw.to_dict() and metrics["baseline_pca"] == codes.to_dict()
    skipped = classify_run(str(table), tmp_path / "d", epochs=1, latent_dim=2, head_hidden=(8,), batch_size=16,
                           label_column="label", progress=False, baseline=False)
    assert skipped.baselines == () and "baseline" not in skipped.metrics
