"""How well a low-dimensional map keeps classes apart: k-nearest-neighbour accuracy."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from aekit.errors import InputError


def _check_codes(codes: Any, labels: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    z = np.asarray(codes, dtype=np.float64)
    y = np.asarray(labels)
    if z.ndim != 2:
        raise InputError(f"{what} codes must be 2-D (n_samples, n_dims), got shape {z.shape}.")
    if y.ndim != 1 or len(y) != len(z):
        raise InputError(f"{what} labels must be 1-D with one label per row of codes: got labels of shape "
                         f"{y.shape} for {len(z)} codes.")
    if len(z) == 0:
        raise InputError(f"{what} codes are empty (0 samples).")
    if not np.all(np.isfinite(z)):
        raise InputError(f"{what} codes hold NaN or infinite values; k-NN distances are undefined.")
    return z, y


def knn_accuracy(codes: Any, labels: Any, k: int = 5, *, test_codes: Any = None, test_labels: Any = None,
                 cv: int = 5, random_state: int | None = 0) -> float:
    """Accuracy of a k-nearest-neighbour classifier in a code space (e.g. a 2-D map).

    A map that keeps the classes apart scores near 1; a map where labels are mixed scores
    near chance (the share of the most common class, or 1 / n_classes for balanced data).

    Parameters
    ----------
    codes : array-like of shape (n_samples, n_dims)
        Points of the map (or any codes).
    labels : array-like of shape (n_samples,)
        Class of each point.
    k : int, default=5
        Neighbours that vote (Euclidean distance, uniform weights).
    test_codes, test_labels : array-like, optional
        Held-out points: fit on ``codes`` and score on these. Without them, the score is
        the mean accuracy over ``cv`` folds of ``codes`` (stratified when every class has
        at least ``cv`` members).
    cv : int, default=5
        Number of folds (>= 2) when no held-out points are given.
    random_state : int or None, default=0
        Shuffles the samples before splitting them into folds.

    Returns
    -------
    float
        Accuracy in [0, 1]; higher = classes better separated.

    Raises
    ------
    aekit.errors.InputError
        Codes not 2-D or not finite, labels of another length, ``k`` or ``cv`` out of range,
        or too few samples for ``k`` neighbours in a training fold.

    Examples
    --------
    >>> z = np.r_[np.zeros((20, 2)), np.ones((20, 2))]
    >>> knn_accuracy(z, np.r_[np.zeros(20), np.ones(20)])
    1.0
    """
    z, y = _check_codes(codes, labels, "knn_accuracy:")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"knn_accuracy: k must be an int >= 1, got {k!r}.")
    classifier = KNeighborsClassifier(n_neighbors=int(k))
    if (test_codes is None) != (test_labels is None):
        raise InputError("knn_accuracy: pass test_codes and test_labels together, or neither (cross-validation).")
    if test_codes is not None:
        zt, yt = _check_codes(test_codes, test_labels, "knn_accuracy: test")
        if zt.shape[1] != z.shape[1]:
            raise InputError(f"knn_accuracy: test codes have {zt.shape[1]} dims but codes have {z.shape[1]}.")
        if len(z) < k:
            raise InputError(f"knn_accuracy: k={k} neighbours need at least {k} training codes, got {len(z)}.")
        return float(classifier.fit(z, y).score(zt, yt))
    if isinstance(cv, bool) or not isinstance(cv, (int, np.integer)) or cv < 2:
        raise InputError(f"knn_accuracy: cv must be an int >= 2 (folds), got {cv!r}.")
    if len(z) < cv or len(z) - int(np.ceil(len(z) / cv)) < k:
        raise InputError(f"knn_accuracy: {len(z)} codes are too few for {cv}-fold cross-validation with k={k} "
                         f"neighbours; pass more samples, a smaller k or cv, or held-out test_codes.")
    _, counts = np.unique(y, return_counts=True)
    folds: Any = (StratifiedKFold if counts.min() >= cv else KFold)(cv, shuffle=True, random_state=random_state)
    return float(np.mean(cross_val_score(classifier, z, y, cv=folds)))
