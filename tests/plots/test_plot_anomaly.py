"""plots.anomaly: series with score and events, top-k anomalous images."""

import numpy as np
import pytest

from aekit.errors import InputError
from aekit.metrics.anomaly import Event
from aekit.plots.anomaly import plot_series_scores, plot_top_anomalies


def test_series_plot_with_events(tmp_path):
    s = np.sin(np.linspace(0, 20, 200))
    score = np.abs(np.random.default_rng(0).normal(size=200))
    path = plot_series_scores(s, score, tmp_path / "series.png", threshold=2.0,
                              events=[Event(50, 60, 55, 3.0), (120, 125)])
    assert path.exists() and path.read_bytes()[:4] == b"\x89PNG"


def test_series_plot_refuses_mismatched_lengths(tmp_path):
    with pytest.raises(InputError, match="scores has 10 entries but series has 20"):
        plot_series_scores(np.zeros(20), np.zeros(10), tmp_path / "x.png")


def test_top_anomalies_grid(tmp_path):
    imgs = np.random.default_rng(0).random((30, 8, 8))
    path = plot_top_anomalies(imgs, np.arange(30.0), tmp_path / "top.png", k=6, ncols=3)
    assert path.exists() and path.read_bytes()[:4] == b"\x89PNG"


def test_top_anomalies_refuses_nan_scores(tmp_path):
    with pytest.raises(InputError, match="NaN"):
        plot_top_anomalies(np.zeros((3, 4, 4)), [0.0, np.nan, 1.0], tmp_path / "top.png")
