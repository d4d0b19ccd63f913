"""apps.classify: label efficiency (pre-trained vs scratch) and frozen-feature comparison on tiny blobs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from aekit import Autoencoder
from aekit.apps.classify import (FeatureComparison, LabelEfficiency, frozen_features_comparison,
                                 label_efficiency, stratified_subset)
from aekit.errors import InputError
from aekit.estimators.classifier import AutoencoderClassifier


@pytest.fixture(scope="module")
def split():
    X, y = make_blobs(n_samples=400, n_features=12, centers=3, cluster_std=2.5, random_state=1)
    return X[:300], y[:300], X[300:], y[300:]


@pytest.fixture(scope="module")
def ae(split):
    return Autoencoder(latent_dim=4, hidden=(16,), epochs=20, batch_size=32, random_state=0, device="cpu").fit(split[0])


def test_stratified_subset_keeps_class_shares_and_is_fixed():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    idx = stratified_subset(y, 10, random_state=0)
    assert len(idx) == 10 and np.bincount(y[idx]).tolist() == [5, 3, 2]
    np.testing.assert_array_equal(idx, stratified_subset(y, 10, random_state=0))
    assert len(stratified_subset(y, None)) == 100 and len(stratified_subset(y, 1000)) == 100


def test_label_efficiency_rows_and_plot(split, ae, tmp_path):
    clf = AutoencoderClassifier(head_hidden=(16,), freeze_encoder=False, epochs=2, batch_size=32, lr=1e-2, device="cpu",
                                random_state=0)
    result = label_efficiency(*split, n_labels=(9, None), autoencoder=ae, classifier=clf, min_updates=60)
    assert isinstance(result, LabelEfficiency) and result.autoencoder is ae and result.pretrain_seconds == 0.0
    assert [r.n_labels for r in result.rows] == [9, 300]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.rows[0].n_labels = 5  # type: ignore[misc]
    for row in result.rows:
        assert 0.0 <= row.scratch_acc <= 1.0 and 0.0 <= row.pretrained_acc <= 1.0
    # with every label, fine-tuning from the pre-trained encoder separates the blobs (measured 1.00)
    assert result.rows[-1].pretrained_acc >= 0.9
    assert len(result.seconds["pretrained"]) == len(result.seconds["scratch"]) == 2
    assert result.plot(tmp_path / "acc.png").read_bytes().startswith(b"\x89PNG")


def test_label_efficiency_pretrains_an_unfitted_autoencoder(split):
    clf = AutoencoderClassifier(head_hidden=(), epochs=1, device="cpu", random_state=0)
    unfitted = Autoencoder(latent_dim=3, epochs=1, device="cpu", random_state=0)
    result = label_efficiency(*split, n_labels=(30,), autoencoder=unfitted, classifier=clf, min_updates=1)
    assert hasattr(result.autoencoder, "module_") and not hasattr(unfitted, "module_")
    assert result.pretrain_seconds > 0.0


@pytest.mark.parametrize("n_labels, match", [((), "n_labels is empty"), ((1,), "ints >= 2 or None")])
def test_label_efficiency_refuses_bad_counts(split, ae, n_labels, match):
    with pytest.raises(InputError, match=match):
        label_efficiency(*split, n_labels=n_labels, autoencoder=ae)


def test_label_efficiency_refuses_mismatched_labels(split, ae):
    X, y, Xt, yt = split
    with pytest.raises(InputError, match="training data: X has 300 samples but y has 299"):
        label_efficiency(X, y[:-1], Xt, yt, autoencoder=ae)


def test_frozen_features_side_by_side(split, ae):
    result = frozen_features_comparison(*split, autoencoder=ae)
    assert isinstance(result, FeatureComparison)
    assert [(r.method, r.n_features) for r in result.rows] == [("autoencoder", 4), ("pca", 4), ("raw", 12)]
    # separable blobs: every feature set gets them almost all right (measured 1.00 each)
    assert min(r.test_acc for r in result.rows) >= 0.9 and result.accuracy("raw") >= 0.9
