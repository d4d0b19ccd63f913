"""apps.detect: fit or reuse a detector, flag, write scores and plots, IsolationForest beside it."""

import numpy as np
import pandas as pd
import pytest

from aekit.apps.detect import detect
from aekit.data.dataset import Dataset
from aekit.errors import InputError
from aekit.estimators.detector import AnomalyDetector

SMALL = dict(n_estimators=2, epochs=10, random_state=0)


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5)).astype(np.float32)
    y = np.zeros(300, dtype=int)
    X[:15] += 5.0
    y[:15] = 1
    return X, y, rng.normal(size=(400, 5)).astype(np.float32)


def test_table_with_labels_writes_scores_plot_and_baseline(tmp_path, table):
    X, y, _ = table
    res = detect(Dataset(X, y), model=AnomalyDetector(contamination=0.05, **SMALL), out=tmp_path / "run")
    assert res.n_samples == 300 and res.n_flagged == 15
    assert res.roc_auc > 0.95 and res.baseline_roc_auc is not None and res.baseline_roc_auc > 0.9
    csv = pd.read_csv(res.files["scores"])
    assert list(csv.columns) == ["index", "score", "label"] and len(csv) == 300
    assert res.files["histogram"].stat().st_size > 1000


def test_alpha_with_calibration_flags_by_p_values(tmp_path, table):
    X, y, clean = table
    res = detect(X, model=AnomalyDetector(**SMALL), alpha=0.01, calibration=clean, out=tmp_path / "run")
    assert res.p_values is not None
    np.testing.assert_array_equal(res.labels, (res.p_values < 0.01).astype(int))
    assert res.labels[y == 1].mean() > 0.8 and res.labels[y == 0].mean() < 0.05
    assert "p_value" in pd.read_csv(res.files["scores"]).columns


def test_alpha_without_calibration_is_refused(table):
    with pytest.raises(InputError, match="calibration"):
        detect(table[0], alpha=0.05)


def test_a_fitted_detector_is_reused(table):
    X, _, _ = table
    det = AnomalyDetector(**SMALL).fit(X)
    res = detect(X[:50], model=det)
    assert res.detector is det and res.fit_seconds == 0.0
    np.testing.assert_allclose(res.scores, det.decision_function(X[:50]))


def test_series_gives_events_and_a_series_plot(tmp_path):
    t = np.arange(500)
    s = np.sin(2 * np.pi * t / 25)[:, None] + 0.05 * np.random.default_rng(0).normal(size=(500, 1))
    s[300:310] += 3.0
    y = np.zeros(500, dtype=int)
    y[300:310] = 1
    res = detect(s, y=y, model=AnomalyDetector(window=20, stride=2, contamination=0.05, **SMALL),
                 out=tmp_path / "run")
    assert res.scores.shape == (500,) and res.roc_auc > 0.9
    assert any(e.start <= 305 <= e.end for e in res.events)
    assert res.files["series"].exists()


def test_images_give_a_top_anomalies_grid(tmp_path):
    rng = np.random.default_rng(0)
    X = (rng.random((60, 1, 8, 8)) * 0.2).astype(np.float32)
    X[:, :, 2:6, 2:6] += 0.7
    X[:4, :, :, :2] += 0.7
    res = detect(X, model=AnomalyDetector(method="reconstruction", epochs=10, random_state=0), out=tmp_path / "run")
    assert res.files["top_anomalies"].exists()
