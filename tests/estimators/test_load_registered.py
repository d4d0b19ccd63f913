"""aekit.load reads back a saved AnomalyDetector, AutoencoderImputer and ImageCompressor (tiny fits)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import aekit
from aekit.estimators import ESTIMATORS


def test_the_new_estimators_are_public_and_registered() -> None:
    for name in ("AnomalyDetector", "AutoencoderImputer", "ImageCompressor"):
        assert name in aekit.__all__ and name in dir(aekit)
        assert getattr(aekit, name) is ESTIMATORS[name]


def test_a_saved_detector_loads(tmp_path: Path) -> None:
    X = np.random.default_rng(0).normal(size=(80, 4))
    det = aekit.AnomalyDetector(n_estimators=2, epochs=2, random_state=0).fit(X)
    det.save(tmp_path / "det")
    back = aekit.load(tmp_path / "det")
    assert isinstance(back, aekit.AnomalyDetector) and back.threshold_ == det.threshold_
    np.testing.assert_array_equal(back.decision_function(X), det.decision_function(X))


def test_a_saved_imputer_loads(tmp_path: Path) -> None:
    X = np.random.default_rng(0).normal(size=(60, 4))
    X[::5, 1] = np.nan
    imp = aekit.AutoencoderImputer(hidden=(8,), epochs=2, random_state=0).fit(X)
    imp.save(tmp_path / "imp")
    back = aekit.load(tmp_path / "imp" / "config.json")
    assert isinstance(back, aekit.AutoencoderImputer)
    np.testing.assert_allclose(back.transform(X), imp.transform(X))


def test_a_saved_compressor_loads(tmp_path: Path) -> None:
    X = np.random.default_rng(0).random((16, 8, 8)).astype(np.float32)
    comp = aekit.ImageCompressor(latent_channels=2, hidden=4, stages=1, kernel_size=3, epochs=1, batch_size=8,
                                 device="cpu", random_state=0).fit(X)
    comp.save(tmp_path / "comp")
    back = aekit.load(tmp_path / "comp")
    assert isinstance(back, aekit.ImageCompressor)
    assert back.compress(X) == comp.compress(X)
    assert back.decompress(comp.compress(X)).shape == X.shape
