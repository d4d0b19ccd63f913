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


def _stamped_series(steps: int = 300):
    t = np.arange(steps)
    s = (np.sin(2 * np.pi * t / 24) + 0.05 * np.random.default_rng(1).normal(size=steps)).astype(np.float32)
    s[200:206] += 4.0
    stamps = np.asarray(pd.date_range("2014-04-01", periods=steps, freq="h"), dtype="datetime64[ns]")
    return s[:, None], stamps


def test_a_time_index_makes_a_series_with_events_in_time_stamps(tmp_path):
    import json

    from aekit.apps.detect import default_window

    X, stamps = _stamped_series()
    y = np.zeros(len(X), dtype=int)
    y[200:206] = 1
    res = detect(Dataset(X, y, time_index=stamps), contamination=0.03, out=tmp_path / "run", random_state=0)
    assert res.detector.window == default_window(300) == 30  # a tenth of a short series
    assert res.scores.shape == (300,) and res.roc_auc > 0.9
    hit = [e for e in res.events if e.start <= 203 <= e.end]
    assert hit
    start, end, peak = res.event_times[res.events.index(hit[0])]
    assert start == pd.Timestamp(stamps[hit[0].start]).isoformat()
    # a step scores the max of the windows covering it: the event starts at most a window before the spike
    assert pd.Timestamp(stamps[200 - 29]) <= pd.Timestamp(start) <= pd.Timestamp(stamps[200])
    csv = pd.read_csv(res.files["scores"])
    assert list(csv.columns) == ["step", "timestamp", "score", "label"]
    assert csv["timestamp"].iloc[200] == "2014-04-09 08:00:00"
    saved = json.loads(res.files["summary"].read_text())
    assert saved["window"] == 30 and {"start_time", "end_time", "peak_time"} <= set(saved["events"][0])
    assert res.files["series"].exists()


def test_the_baseline_is_skipped_on_request(table):
    X, y, _ = table
    with_base = detect(X, y=y, model=AnomalyDetector(**SMALL))
    without = detect(X, y=y, model=AnomalyDetector(**SMALL), baseline=False)
    assert with_base.baseline_roc_auc is not None and with_base.baseline_fit_seconds is not None
    assert without.baseline_roc_auc is None and without.baseline_fit_seconds is None
    assert without.roc_auc == pytest.approx(with_base.roc_auc)


def test_a_time_index_out_of_order_is_refused(table):
    X, stamps = _stamped_series(50)
    with pytest.raises(InputError, match=r"strictly increasing .* row 2"):
        detect(X, time_index=stamps[[0, 1, 1, *range(3, 50)]])
    with pytest.raises(InputError, match=r"one time stamp per row of the series \(50,\)"):
        detect(X, time_index=stamps[:10])
