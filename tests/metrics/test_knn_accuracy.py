"""knn_accuracy: near 1 on separated classes, near chance on shuffled labels."""

from __future__ import annotations

import numpy as np
import pytest

from aekit.errors import InputError
from aekit.metrics import knn_accuracy


def blobs(rng, n_per=60, dims=20, spread=8.0):
    centres = rng.normal(scale=spread, size=(3, dims))
    X = np.concatenate([c + rng.normal(size=(n_per, dims)) for c in centres])
    return X, np.repeat(np.arange(3), n_per)


def test_separated_blobs_score_near_one(rng):
    X, y = blobs(rng)
    assert knn_accuracy(X, y) > 0.98


def test_shuffled_labels_score_near_chance(rng):
    X, y = blobs(rng)
    shuffled = rng.permutation(y)
    assert abs(knn_accuracy(X, shuffled) - 1 / 3) < 0.15


def test_held_out_points_are_scored_after_fitting_on_the_rest(rng):
    X, y = blobs(rng)
    train, test = np.arange(len(X)) % 4 != 0, np.arange(len(X)) % 4 == 0
    assert knn_accuracy(X[train], y[train], test_codes=X[test], test_labels=y[test]) == 1.0
    # Test labels flipped to a wrong class: every prediction misses.
    assert knn_accuracy(X[train], y[train], test_codes=X[test], test_labels=(y[test] + 1) % 3) == 0.0


def test_same_seed_same_folds(rng):
    X, y = blobs(rng, spread=1.0)
    assert knn_accuracy(X, y, random_state=3) == knn_accuracy(X, y, random_state=3)


def test_rare_classes_fall_back_to_plain_folds(rng):
    X, y = blobs(rng)
    y[:2] = 7  # a class of 2 members cannot be stratified over 5 folds
    assert 0.9 < knn_accuracy(X, y) <= 1.0


@pytest.mark.parametrize("kwargs, match", [
    ({"k": 0}, r"k must be an int >= 1, got 0"),
    ({"cv": 1}, r"cv must be an int >= 2"),
    ({"k": 200}, r"too few for 5-fold"),
    ({"test_codes": np.zeros((3, 20))}, r"together"),
    ({"test_codes": np.zeros((3, 4)), "test_labels": np.zeros(3)}, r"4 dims but codes have 20"),
])
def test_bad_settings_are_named(rng, kwargs, match):
    X, y = blobs(rng)
    with pytest.raises(InputError, match=match):
        knn_accuracy(X, y, **kwargs)


def test_labels_must_match_the_codes(rng):
    with pytest.raises(InputError, match=r"one label per row"):
        knn_accuracy(rng.random((10, 2)), np.zeros(9))
    with pytest.raises(InputError, match=r"2-D"):
        knn_accuracy(rng.random(10), np.zeros(10))
    with pytest.raises(InputError, match=r"NaN"):
        knn_accuracy(np.full((10, 2), np.nan), np.zeros(10))
